"""Run the nightly job in-process through Dagster and describe its outcome for a person.

Around the job, the refresh does the housekeeping a night run needs without a daemon: it checks that the data
home is writable and has room, repairs what a killed earlier run left (:func:`wijkbeeld.publish.recover`;
DuckDB itself rolls back an unfinished warehouse transaction), keeps the private folders private, applies the
archive retention and notifies (log file, webhook) when the run failed or the quality gate blocked publication.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wijkbeeld.config import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Settings, make_dir, settings

LOG = logging.getLogger("wijkbeeld.refresh")


class RefreshError(Exception):
    """The refresh could not start or finish for a reason outside the data (disk, permissions)."""


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


def use_data_home_instance(s: Settings) -> None:
    """Keep Dagster's run history in the data home, so `make ui` shows the runs of `wijkbeeld refresh`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(s.home / "dagster")
    make_dir(Path(os.environ["DAGSTER_HOME"]), PRIVATE_DIR_MODE)  # run storage with event logs: owner only
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not config.exists():
        # No phoning home from a public-safety server; the rest are Dagster's defaults (storage in DAGSTER_HOME).
        config.write_text("telemetry:\n  enabled: false\n")


def preflight(s: Settings) -> Settings:
    """Fail early and clearly when the data home cannot be written or is (nearly) full."""
    try:
        s.ensure()
        probe = s.logs / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        where = exc.filename or s.home
        raise RefreshError(
            f"the data home {s.home} is not writable ({where}: {exc.strerror or exc}); "
            "check WIJKBEELD_HOME and the folder's owner and permissions"
        ) from exc
    free_mb = shutil.disk_usage(s.home).free // 2**20
    if free_mb < s.min_free_mb:
        raise RefreshError(
            f"not enough free disk space in the data home {s.home}: {free_mb} MB free, at least {s.min_free_mb} MB "
            "needed (WIJKBEELD_MIN_FREE_MB); free space (e.g. WIJKBEELD_ARCHIVE_RETENTION_DAYS, "
            "WIJKBEELD_KEEP_RELEASES) and run again"
        )
    return s


def run_refresh() -> RefreshOutcome:
    """ingest -> dbt -> quality gate -> publish, exactly as the nightly schedule runs it."""
    s = settings()
    try:
        outcome = _run(s)
    except RefreshError as exc:
        _notify_error(s, str(exc))
        raise
    except OSError as exc:  # e.g. the disk filled up under Dagster's own run storage
        message = f"refresh failed writing {exc.filename or s.home}: {exc.strerror or exc}"
        _notify_error(s, message)
        raise RefreshError(message) from exc
    if not outcome.success:
        from wijkbeeld.notify import build, notify

        notify(
            build(
                failed_checks=outcome.failed_checks,
                failed_steps=outcome.failed_steps,
                errors=outcome.errors,
                run_id=outcome.run_id,
                job="nightly_refresh (wijkbeeld refresh)",
            ),
            s,
        )
    return outcome


def _run(s: Settings) -> RefreshOutcome:
    preflight(s)
    use_data_home_instance(s)
    from wijkbeeld.publish import PublishError, recover

    try:
        recovered = recover(s)
    except PublishError as exc:
        raise RefreshError(str(exc)) from exc
    recovered += remove_stale_temp_dirs()
    for line in recovered:
        LOG.warning("recovered from an interrupted run: %s", line)
    secure_private_files(s)

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import NIGHTLY_JOB_NAME
    from wijkbeeld.notify import NOTIFIED_TAG

    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={NOTIFIED_TAG: "wijkbeeld refresh"},
            # The console shows INFO and up (one line per delivery batch, check results, the summary); the full
            # event log, DEBUG included, is still stored in the instance and shown by `make ui`.
            run_config={
                "loggers": {"console": {"config": {"log_level": os.environ.get("WIJKBEELD_LOG_LEVEL", "INFO")}}}
            },
        )
    outcome = _describe(result)
    outcome.recovered = recovered
    outcome.expired_files = apply_archive_retention(s)
    secure_private_files(s)
    return outcome


def _describe(result) -> RefreshOutcome:
    failed_checks = [
        f"{'/'.join(ev.asset_key.path)}: {ev.check_name}"
        for ev in result.get_asset_check_evaluations()
        if not ev.passed and ev.severity.value == "ERROR"
    ]
    from wijkbeeld.notify import error_text

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
        outcome.new_release = bool(meta["nieuwe_release"].value)
    return outcome


def _notify_error(s: Settings, message: str) -> None:
    from wijkbeeld.notify import build, notify

    notify(build(failed_checks=[], failed_steps=["refresh"], errors=[message], job="wijkbeeld refresh"), s)


# ------------------------------------------------------------------------------------------ housekeeping


STALE_TEMP_PREFIXES = ("wijkbeeld-ingest-", "wijkbeeld-validate-", "wijkbeeld-dbt-docs-")
STALE_TEMP_HOURS = 6


def remove_stale_temp_dirs(now: float | None = None) -> list[str]:
    """Delete what a killed ingest left in the system temp folder: decoded copies of partner files, which may
    hold personal data. Only folders of ours older than ``STALE_TEMP_HOURS`` (a live run's are younger)."""
    import tempfile

    cutoff = (now or time.time()) - STALE_TEMP_HOURS * 3600
    removed = []
    for path in Path(tempfile.gettempdir()).iterdir():
        try:
            if path.name.startswith(STALE_TEMP_PREFIXES) and path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path)
                removed.append(f"removed stale temp folder {path}")
        except OSError:  # another user's folder, or gone meanwhile
            continue
    return removed


def secure_private_files(s: Settings) -> None:
    """Folders 0700 and files 0600 under the private folders (archive, quarantine, warehouse, logs, dagster);
    no write access for group or others under ``reports/``.

    Ingest moves partner files into the archive with whatever mode they were delivered with; this makes
    them private. The reports are written by several steps with the process umask (000 made them
    world-writable). Only changes what differs, so it is cheap on a full archive.
    """
    for root in s.private_dirs:
        if not root.is_dir():
            continue
        for folder, _dirs, files in os.walk(root):
            _chmod(Path(folder), PRIVATE_DIR_MODE)
            for name in files:
                _chmod(Path(folder) / name, PRIVATE_FILE_MODE)
    if s.reports.is_dir():
        for folder, _dirs, files in os.walk(s.reports):
            for path in (Path(folder), *(Path(folder) / name for name in files)):
                with suppress(FileNotFoundError):
                    st = path.lstat()
                    if not path.is_symlink() and st.st_mode & 0o022:
                        path.chmod(st.st_mode & 0o777 & ~0o022)


def _chmod(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
        if not path.is_symlink() and st.st_mode & 0o777 != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass


def apply_archive_retention(s: Settings, now: datetime | None = None) -> list[str]:
    """Delete archived originals and quarantined files older than ``WIJKBEELD_ARCHIVE_RETENTION_DAYS``.

    An archived file's age counts from when it was loaded (``meta.leveringen.geladen_op`` of the delivery
    that archived it, newest if delivered again); without such a record, and in quarantine, from the file's
    modification time (a quarantined file's ``.reason.json`` is written when it is quarantined). The
    delivery records in the warehouse stay: what was loaded stays traceable by name and SHA-256.
    Returns the removed paths relative to the data home.
    """
    days = s.archive_retention_days
    if days <= 0:
        return []
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(days=days)).timestamp()
    loaded = _loaded_at(s)
    removed: list[str] = []
    if loaded is None:
        LOG.warning("warehouse busy: archive retention skipped this time (quarantine retention applied)")
    elif s.archive.is_dir():
        for path in sorted(p for p in s.archive.rglob("*") if p.is_file()):
            rel = path.relative_to(s.home).as_posix()
            stamp = loaded.get(rel, path.stat().st_mtime)
            if stamp < cutoff:
                path.unlink()
                removed.append(rel)
    if s.quarantine.is_dir():
        for reason in sorted(s.quarantine.rglob("*.reason.json")):
            if reason.stat().st_mtime < cutoff:
                original = reason.with_name(reason.name.removesuffix(".reason.json"))
                for path in (original, reason):
                    if path.exists():
                        path.unlink()
                        removed.append(path.relative_to(s.home).as_posix())
    if removed:
        LOG.info("archive retention (%s days): removed %d file(s)", days, len(removed))
    return removed


def _loaded_at(s: Settings) -> dict[str, float] | None:
    """Archive path (relative to the data home) -> last load time, from the warehouse's delivery records.

    None when the warehouse stays locked by another process: then no archived file is judged (a partner's
    file may carry an old modification time, which must not get it deleted right after loading)."""
    if not s.warehouse.is_file():
        return {}
    import duckdb

    for _attempt in range(10):  # e.g. a dbt process that is still shutting down after a failed step
        try:
            with duckdb.connect(str(s.warehouse), read_only=True) as con:
                rows = con.execute(
                    "SELECT archief_pad, max(geladen_op) FROM meta.leveringen GROUP BY archief_pad"
                ).fetchall()
            return {path: stamp.replace(tzinfo=UTC).timestamp() for path, stamp in rows if path and stamp}
        except duckdb.CatalogException:
            return {}
        except duckdb.IOException:  # another process writes the warehouse right now
            time.sleep(1)
    return None
