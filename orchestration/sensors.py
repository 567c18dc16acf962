"""A sensor on the landing folders: new settled partner files start a refresh.

The run key is the set of settled files (path, size, mtime), so the same files never start a second run,
and a file that stays in landing (e.g. waiting for the CBS geography) does not start runs over and over.
"""

from __future__ import annotations

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import nightly_refresh
from wijkbeeld.config import settings


@sensor(
    name="landing_sensor",
    job=nightly_refresh,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a refresh when settled partner files are waiting in the landing folders.",
)
def landing_sensor(context: SensorEvaluationContext):
    from assets.ingest import settled_files

    s = settings()
    if not s.landing.exists():
        return SkipReason(f"No landing folder at {s.landing}")
    ready: list[str] = []
    for folder in sorted(p for p in s.landing.glob("*/*") if p.is_dir()):
        files, _waiting = settled_files(folder, s.settle_seconds)
        ready += [f"{f.relative_to(s.landing)}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
    if not ready:
        return SkipReason("No settled files in landing")
    run_key = hashlib.sha256("\n".join(ready).encode()).hexdigest()[:16]
    if run_key == context.cursor:
        return SkipReason("These files already started a run")
    context.update_cursor(run_key)
    return RunRequest(run_key=run_key, tags={"trigger": "landing", "files": str(len(ready))})
