"""Run the nightly job in-process through Dagster and describe its outcome for a person."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wijkbeeld.config import Settings, settings


@dataclass
class RefreshOutcome:
    """What a refresh did: published or not, and why not."""

    success: bool
    published: bool
    release_id: str | None = None
    new_release: bool = False
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)


def use_data_home_instance(s: Settings) -> None:
    """Keep Dagster's run history in the data home, so `make ui` shows the runs of `wijkbeeld refresh`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(s.home / "dagster")
    os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not config.exists():
        # No phoning home from a public-safety server; the rest are Dagster's defaults (storage in DAGSTER_HOME).
        config.write_text("telemetry:\n  enabled: false\n")


def run_refresh() -> RefreshOutcome:
    """ingest -> dbt -> quality gate -> publish, exactly as the nightly schedule runs it."""
    s = settings().ensure()
    use_data_home_instance(s)
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import NIGHTLY_JOB_NAME

    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    failed_checks = [
        f"{'/'.join(ev.asset_key.path)}: {ev.check_name}"
        for ev in result.get_asset_check_evaluations()
        if not ev.passed and ev.severity.value == "ERROR"
    ]
    failed_steps = [ev.step_key or "?" for ev in result.get_step_failure_events()]
    published = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["publicatie"]]
    outcome = RefreshOutcome(
        success=result.success and not failed_checks,
        published=bool(published),
        failed_checks=failed_checks,
        failed_steps=failed_steps,
    )
    if published:
        meta = published[0].materialization.metadata
        outcome.release_id = meta["release_id"].value
        outcome.new_release = bool(meta["nieuwe_release"].value)
    return outcome
