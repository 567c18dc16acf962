"""Sensors: new settled partner files start a refresh; a failed run or blocked publication notifies;
a successful run is followed by housekeeping (file modes, archive retention).

The run key is the set of settled files in the contracts' landing folders (path, size, mtime; a symbolic link
by its own, never followed), so the same files never start a second run, and a file that stays in landing
(e.g. waiting for the CBS geography) does not start runs over and over.
"""

from __future__ import annotations

import hashlib

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration.jobs import nightly_refresh
from wijkbeeld.housekeeping import apply_archive_retention, remove_stale_temp_dirs, secure_private_files
from wijkbeeld.ingest import all_contracts, linked_landing_folder, settled_files
from wijkbeeld.notify import NOTIFIED_TAG, build, error_text, notify
from wijkbeeld.settings import load_settings
from wijkbeeld.warehouse import Warehouse


@sensor(
    name="landing_sensor",
    job=nightly_refresh,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a refresh when settled partner files are waiting in the landing folders.",
)
def landing_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    s = load_settings()
    if not s.landing.exists():
        return SkipReason(f"No landing folder at {s.landing}")
    ready: list[str] = []
    for contract in sorted(all_contracts(), key=lambda c: c.name):
        if linked_landing_folder(s, contract.partner, contract.dataset):
            continue  # never followed; the ingest asset reports it
        for path in settled_files(s.landing / contract.partner / contract.dataset, s.settle_seconds).ready:
            try:
                st = path.lstat()  # a link is not followed: its own size and time
            except FileNotFoundError:
                continue
            ready.append(f"{path.relative_to(s.landing)}:{st.st_size}:{st.st_mtime_ns}")
    if not ready:
        return SkipReason("No settled files in landing")
    run_key = hashlib.sha256("\n".join(ready).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    if run_key == context.cursor:
        return SkipReason("These files already started a run")
    context.update_cursor(run_key)
    return RunRequest(run_key=run_key, tags={"trigger": "landing", "files": str(len(ready))})


@run_failure_sensor(
    name="notify_on_run_failure",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "A failed run or a publication blocked by the quality gate: one line in logs/notifications.log and, "
        "when WIJKBEELD_WEBHOOK_URL is set, a JSON POST. Runs of `wijkbeeld refresh` notify themselves."
    ),
)
def notify_on_run_failure(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    if run.tags.get(NOTIFIED_TAG):
        return
    failures = context.get_step_failure_events()
    errors = [
        f"{ev.step_key}: {error_text(ev.event_specific_data.error)}"
        for ev in failures
        if getattr(ev.event_specific_data, "error", None) is not None
    ]
    run_error = getattr(context.failure_event.event_specific_data, "error", None)
    if not errors and run_error is not None:  # failed before any step, e.g. another refresh held the warehouse
        errors = [error_text(run_error)]
    notify(
        build(
            failed_checks=failed_blocking_checks(context.instance, run.run_id),
            failed_steps=[ev.step_key or "?" for ev in failures],
            errors=errors or [context.failure_event.message or "run failed"],
            run_id=run.run_id,
            job=run.job_name,
        ),
        load_settings(),
    )


def failed_blocking_checks(instance: DagsterInstance, run_id: str) -> list[str]:
    """``asset: check`` of every ERROR-severity check that failed in the run (they block publication)."""
    failed = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity.value == "ERROR":
            failed.append(f"{'/'.join(evaluation.asset_key.path)}: {evaluation.check_name}")
    return failed


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    name="housekeeping_after_run",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "After a successful run launched by the daemon or the UI: private folders owner-only, archive retention "
        "(WIJKBEELD_ARCHIVE_RETENTION_DAYS), stale temp copies removed. `wijkbeeld refresh` does this itself."
    ),
)
def housekeeping_after_run(context: RunStatusSensorContext) -> None:
    if context.dagster_run.tags.get(NOTIFIED_TAG):
        return
    s = load_settings()
    if not s.home.is_dir():
        return
    removed = apply_archive_retention(s, Warehouse.from_settings(s)) + remove_stale_temp_dirs()
    secure_private_files(s)
    if removed:
        context.log.info(f"housekeeping removed {len(removed)} expired file(s)/folder(s)")
