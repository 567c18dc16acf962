"""The housekeeping around a refresh: one refresh at a time, a data home that can be written, private folders,
archive retention and the temp copies a killed run left.

``wijkbeeld refresh`` (orchestration/refresh.py) does all of it around the job it runs in-process; for runs the
daemon or the UI launched, the ``refresh_lock`` resource and the ``housekeeping_after_run`` sensor do.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from wijkbeeld.settings import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Settings, make_dir
from wijkbeeld.warehouse import Warehouse, WarehouseBusy

LOG = logging.getLogger("wijkbeeld.housekeeping")


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


# ------------------------------------------------------------------------------------------ housekeeping


STALE_TEMP_PREFIXES = ("wijkbeeld-ingest-", "wijkbeeld-validate-", "wijkbeeld-dbt-docs-")
STALE_TEMP_HOURS = 6


def remove_stale_temp_dirs(now: float | None = None) -> list[str]:
    """Delete what a killed ingest left in the system temp folder: decoded copies of partner files, which may
    hold personal data. Only folders of ours older than ``STALE_TEMP_HOURS`` (a live run's are younger)."""
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


def apply_archive_retention(s: Settings, warehouse: Warehouse, now: datetime | None = None) -> list[str]:
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
    loaded = _loaded_at(s, warehouse)
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


def _loaded_at(s: Settings, warehouse: Warehouse) -> dict[str, float] | None:
    """Archive path (relative to the data home) -> last load time, from the warehouse's delivery records.

    None when the warehouse stays locked by another process: then no archived file is judged (a partner's
    file may carry an old modification time, which must not get it deleted right after loading)."""
    if not warehouse.path.is_file():
        return {}
    try:  # e.g. a dbt process that is still shutting down after a failed step
        with warehouse.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT archief_pad, max(geladen_op) FROM meta.leveringen GROUP BY archief_pad"
            ).fetchall()
    except duckdb.CatalogException:
        return {}
    except WarehouseBusy:  # another process writes the warehouse right now
        return None
    return {path: stamp.replace(tzinfo=UTC).timestamp() for path, stamp in rows if path and stamp}
