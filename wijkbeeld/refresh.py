"""Run the nightly job in-process through Dagster and describe its outcome for a person.

Around the job, the refresh does the housekeeping a night run needs without a daemon: it checks that the data
home is writable and has room, repairs what a killed earlier run left (:func:`wijkbeeld.publish.recover`;
DuckDB itself rolls back an unfinished warehouse transaction), keeps the private folders private, applies the
archive retention and notifies (log file, webhook) when the run failed or the quality gate blocked publication.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wijkbeeld.config import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Settings, make_dir, settings

LOG = logging.getLogger("wijkbeeld.refresh")


class RefreshError(Exception):
    """The refresh could not start or finish for a reason outside the data (disk, permissions)."""


class RefreshBusy(RefreshError):
    """Another refresh holds the warehouse; this one did not start."""


LOCK_FILE = "refresh.lock"  # in warehouse/: one refresh at a time holds the warehouse
_HELD: dict[Path, list[int]] = {}  # lock file -> [fd, depth]: held by this process


@contextmanager
def refresh_lock(s: Settings, holder: str, wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse for one refresh: an exclusive ``flock`` on ``warehouse/refresh.lock``, whose content
    names the holder (pid, what it is, since when) for the one that has to wait.

    Every Dagster run that writes the warehouse takes it (the ``refresh_lock`` resource, for the whole run), and
    so does ``wijkbeeld refresh`` around its run (re-entrant within a process). A second refresh waits up to
    ``wait`` seconds (default ``WIJKBEELD_REFRESH_WAIT_SECONDS``) and then raises :class:`RefreshBusy`, naming
    the holder. The kernel releases the lock when its process dies: there are no stale locks.
    """
    path = s.warehouse_dir / LOCK_FILE
    held = _HELD.get(path)
    if held is not None:
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    make_dir(path.parent, PRIVATE_DIR_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    try:
        _acquire(fd, path, s.refresh_wait_seconds if wait is None else wait)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "holder": holder, "since": since}).encode() + b"\n", 0)
        _HELD[path] = [fd, 1]
        try:
            yield
        finally:
            del _HELD[path]
            with suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise RefreshBusy(_busy(path, wait)) from None
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))


def _busy(path: Path, wait: float) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    who = ", ".join(
        part
        for part in (
            f"pid {info['pid']}" if "pid" in info else "",
            str(info.get("holder") or ""),
            f"since {info['since']}" if "since" in info else "",
        )
        if part
    )
    return (
        f"another refresh holds the warehouse ({who or 'holder unknown'}, see {path}); this one did not start "
        f"after waiting {wait:g} s (WIJKBEELD_REFRESH_WAIT_SECONDS). Nothing is lost: files in landing are "
        "ingested by that refresh or the next one"
    )


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


DAGSTER_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n"


def use_data_home_instance(s: Settings) -> None:
    """Keep Dagster's run history in the data home, so `make ui` shows the runs of `wijkbeeld refresh`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(s.home / "dagster")
    make_dir(Path(os.environ["DAGSTER_HOME"]), PRIVATE_DIR_MODE)  # run storage with event logs: owner only
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not config.exists():
        # No phoning home from a public-safety server; one run at a time (the daemon queues the next one instead
        # of letting it wait for the refresh lock); the rest are Dagster's defaults (storage in DAGSTER_HOME).
        config.write_text(DAGSTER_YAML)


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
    with refresh_lock(s, "wijkbeeld refresh"):
        return _run_locked(s)


def _run_locked(s: Settings) -> RefreshOutcome:
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
    elif outcome.success:
        # The run succeeded without publishing: dbt found nothing new and the steps after it were skipped.
        from wijkbeeld.publish import current_release

        current = current_release()
        outcome.nothing_new = True
        outcome.published = current is not None
        outcome.release_id = current.release_id if current else None
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
                    if os.path.lexists(path):  # a quarantined symbolic link goes too, even when dangling
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
