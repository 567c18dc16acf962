"""``wijkbeeld refresh``: the nightly job run in-process through Dagster, its outcome described for a person.

Around the job it does the housekeeping a night run needs without a daemon (wijkbeeld/housekeeping.py): it checks
that the data home is writable and has room, holds the refresh lock, repairs what a killed earlier run left
(:func:`wijkbeeld.publish.recover`; DuckDB itself rolls back an unfinished warehouse transaction), keeps the private
folders private, applies the archive retention and notifies (log file, webhook) when the run failed or the
quality gate blocked publication. The settings are read once, here, and handed to the run's resources.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from dagster import DagsterInstance, ExecuteInProcessResult

from orchestration.definitions import defs
from orchestration.jobs import NIGHTLY_JOB_NAME
from orchestration.resources import settings_for_runs
from wijkbeeld.housekeeping import (
    RefreshError,
    apply_archive_retention,
    preflight,
    refresh_lock,
    remove_stale_temp_dirs,
    secure_private_files,
)
from wijkbeeld.notify import NOTIFIED_TAG, build, error_text, notify
from wijkbeeld.publish import PublishError, current_release, recover
from wijkbeeld.settings import PRIVATE_DIR_MODE, Settings, load_settings, make_dir
from wijkbeeld.warehouse import Warehouse

LOG = logging.getLogger("wijkbeeld.refresh")

DAGSTER_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n"


@dataclass
class RefreshOutcome:
    """What a refresh did: published or not, and why not."""

    success: bool
    published: bool
    release_id: str | None = None
    new_release: bool = False
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    expired_files: list[str] = field(default_factory=list)
    run_id: str | None = None
    nothing_new: bool = False  # no new delivery and no change: the night skipped dbt, gate and publication


def run_refresh(settings: Settings | None = None) -> RefreshOutcome:
    """ingest -> dbt -> quality gate -> publish, exactly as the nightly schedule runs it."""
    s = settings or load_settings()
    warehouse = Warehouse.from_settings(s)
    try:
        outcome = _run(s, warehouse)
    except RefreshError as exc:
        _notify_error(s, str(exc))
        raise
    except OSError as exc:  # e.g. the disk filled up under Dagster's own run storage
        message = f"refresh failed writing {exc.filename or s.home}: {exc.strerror or exc}"
        _notify_error(s, message)
        raise RefreshError(message) from exc
    if not outcome.success:
        notification = build(
            failed_checks=outcome.failed_checks,
            failed_steps=outcome.failed_steps,
            errors=outcome.errors,
            run_id=outcome.run_id,
            job="nightly_refresh (wijkbeeld refresh)",
        )
        notify(notification, s)
    return outcome


def _run(s: Settings, warehouse: Warehouse) -> RefreshOutcome:
    preflight(s)
    with refresh_lock(s, "wijkbeeld refresh"):
        return _run_locked(s, warehouse)


def _run_locked(s: Settings, warehouse: Warehouse) -> RefreshOutcome:
    try:
        recovered = recover(s, warehouse)
    except PublishError as exc:
        raise RefreshError(str(exc)) from exc
    recovered += remove_stale_temp_dirs()
    for line in recovered:
        LOG.warning("recovered from an interrupted run: %s", line)
    secure_private_files(s)
    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    with dagster_instance(s) as instance, settings_for_runs(s):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={NOTIFIED_TAG: "wijkbeeld refresh"},
            # The console shows INFO and up (one line per delivery batch, check results, the summary); the full
            # event log, DEBUG included, is still stored in the instance and shown by `make ui`.
            run_config={"loggers": {"console": {"config": {"log_level": s.log_level}}}},
        )
    outcome = _describe(result, s)
    outcome.recovered = recovered
    outcome.expired_files = apply_archive_retention(s, warehouse)
    secure_private_files(s)
    return outcome


def dagster_instance(s: Settings) -> DagsterInstance:
    """Dagster's run history in the data home (``$DAGSTER_HOME``, default ``<data home>/dagster``), so `make ui`
    shows the runs of `wijkbeeld refresh`: no telemetry, one run at a time (the daemon queues the next one instead
    of letting it wait for the refresh lock)."""
    make_dir(s.dagster, PRIVATE_DIR_MODE)  # run storage with event logs: owner only
    config = s.dagster / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return DagsterInstance.from_config(str(s.dagster))


def _describe(result: ExecuteInProcessResult, s: Settings) -> RefreshOutcome:
    failed_checks = [
        f"{'/'.join(ev.asset_key.path)}: {ev.check_name}"
        for ev in result.get_asset_check_evaluations()
        if not ev.passed and ev.severity.value == "ERROR"
    ]
    failures = result.get_step_failure_events()
    errors = []
    for ev in failures:
        error = getattr(ev.event_specific_data, "error", None)
        if error is not None and error.message:
            errors.append(f"{ev.step_key}: {error_text(error)}")
    published = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["publicatie"]]
    outcome = RefreshOutcome(
        success=result.success and not failed_checks,
        published=bool(published),
        failed_checks=failed_checks,
        failed_steps=[ev.step_key or "?" for ev in failures],
        errors=errors,
        run_id=result.run_id,
    )
    if published:
        meta = published[0].materialization.metadata
        outcome.release_id = meta["release_id"].value
        outcome.new_release = bool(meta["new_release"].value)
    elif outcome.success:
        # The run succeeded without publishing: dbt found nothing new and the steps after it were skipped.
        current = current_release(s)
        outcome.nothing_new = True
        outcome.published = current is not None
        outcome.release_id = current.release_id if current else None
    return outcome


def _notify_error(s: Settings, message: str) -> None:
    notify(build(failed_checks=[], failed_steps=["refresh"], errors=[message], job="wijkbeeld refresh"), s)
