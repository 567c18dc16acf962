"""Paths and settings of the data home, read from the environment.

Everything the platform writes lives under one folder, ``$WIJKBEELD_HOME`` (default ``./data`` in the
repository). Settings are read at call time, not import time, so tests can point a fresh home at a
temporary folder with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

PRIVATE_DIR_MODE = 0o700  # archive, quarantine, warehouse, logs, dagster: personal data or operational detail
PRIVATE_FILE_MODE = 0o600
PUBLIC_DIR_MODE = 0o755  # the data home, landing (when the platform creates it), publish, releases, reports
PAUSE_ENV = "WIJKBEELD_TEST_PAUSE_AT"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _limit_env(name: str, default: int) -> int:
    """A resource limit: a positive integer."""
    value = _int_env(name, default)
    if value <= 0:
        raise SystemExit(f"{name} must be a positive integer, got {value}")
    return value


@dataclass(frozen=True)
class FileLimits:
    """Resource limits per delivered file: a file beyond one is refused whole (quarantine) with the limit named.

    They bound what one hostile or broken file can cost, so it cannot stop the night for the other files.
    The defaults are far above the real deliveries (national scale included); each is an environment setting.
    """

    max_line_bytes: int = 1_048_576  # one CSV line, or one record whose quoted value spans lines
    max_columns: int = 1_000  # columns in the header (CSV) / cells in a row (Excel)
    max_cells: int = 20_000_000  # Excel: cells read from the sheet (rows x columns, gaps included)
    max_shared_strings: int = 1_000_000  # Excel: distinct texts, counted before openpyxl loads them
    max_xlsx_mb: int = 500  # Excel: the workbook's size unpacked (all its XML parts)
    max_file_seconds: int = 900  # reading one file (the streaming pass), in seconds

    @classmethod
    def from_env(cls) -> FileLimits:
        return cls(
            max_line_bytes=_limit_env("WIJKBEELD_MAX_LINE_BYTES", cls.max_line_bytes),
            max_columns=_limit_env("WIJKBEELD_MAX_COLUMNS", cls.max_columns),
            max_cells=_limit_env("WIJKBEELD_MAX_CELLS", cls.max_cells),
            max_shared_strings=_limit_env("WIJKBEELD_MAX_SHARED_STRINGS", cls.max_shared_strings),
            max_xlsx_mb=_limit_env("WIJKBEELD_MAX_XLSX_MB", cls.max_xlsx_mb),
            max_file_seconds=_limit_env("WIJKBEELD_MAX_FILE_SECONDS", cls.max_file_seconds),
        )


@dataclass(frozen=True)
class Settings:
    """Resolved locations and tunables. Build with :func:`settings`."""

    home: Path
    settle_seconds: int
    keep_releases: int
    reference_year: int | None
    archive_retention_days: int = 365
    min_free_mb: int = 200
    webhook_url: str | None = None
    webhook_timeout: float = 5.0
    duckdb_memory_limit: str = "2GB"
    limits: FileLimits = FileLimits()
    dagster_home: Path | None = None  # $DAGSTER_HOME; None: <data home>/dagster
    refresh_wait_seconds: int = 60  # a refresh waits this long for another one to finish, then does not start

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "wijkbeeld.duckdb"

    @property
    def publish(self) -> Path:
        return self.home / "publish"

    @property
    def releases(self) -> Path:
        return self.publish / "releases"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dagster(self) -> Path:
        """Dagster's run, event and check history (``$DAGSTER_HOME``, by default ``<data home>/dagster``)."""
        return self.dagster_home or self.home / "dagster"

    @property
    def private_dirs(self) -> tuple[Path, ...]:
        """Folders that are never world- or group-readable (see docs/security.md)."""
        return (self.archive, self.quarantine, self.warehouse_dir, self.logs, self.dagster)

    @property
    def public_dirs(self) -> tuple[Path, ...]:
        """Folders others read but only the platform writes: never group- or world-writable."""
        return (self.home, self.publish, self.releases, self.reports)

    def ensure(self) -> Settings:
        """Create the folders of the data home (idempotent) with explicit modes, whatever the umask: the private
        ones 0700, the others 0755. Existing private folders are set to 0700; write access for group and others
        is taken from the public ones (a umask of 000 made them 0777)."""
        make_dir(self.home, PUBLIC_DIR_MODE)
        make_dir(self.landing, PUBLIC_DIR_MODE)  # only when the platform creates it: partners' access is set by hand
        for path in (self.releases, self.reports):
            make_dir(path, PUBLIC_DIR_MODE)
        for path in self.private_dirs:
            make_dir(path, PRIVATE_DIR_MODE)
            if path.stat().st_mode & 0o777 != PRIVATE_DIR_MODE:
                path.chmod(PRIVATE_DIR_MODE)
        for path in self.public_dirs:
            mode = path.stat().st_mode & 0o777
            if mode & 0o022:
                path.chmod(mode & ~0o022)
        return self


def make_dir(path: Path, mode: int) -> Path:
    """Create ``path`` and its missing parents with exactly ``mode``, whatever the process umask (``mkdir``'s
    mode is masked by it). A folder that exists already is left as it is."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode)
        except FileExistsError:  # created meanwhile by another process: its mode is its creator's
            continue
        folder.chmod(mode)
    return path


def _memory_env(name: str, default: str) -> str:
    """A DuckDB memory size such as ``2GB`` or ``512MiB`` from the environment, checked before DuckDB sees it."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, flags=re.IGNORECASE):
        raise ValueError(f"{name}={value!r} is not a memory size; use e.g. 2GB or 512MiB")
    return value


def settings() -> Settings:
    """Settings from the environment (``WIJKBEELD_*`` variables)."""
    home = Path(os.environ.get("WIJKBEELD_HOME") or REPO_ROOT / "data").expanduser().resolve()
    ref_year = os.environ.get("WIJKBEELD_REFERENCE_YEAR", "").strip()
    return Settings(
        home=home,
        # Ingest only files unchanged for this long (a partner may still be writing).
        settle_seconds=_int_env("WIJKBEELD_SETTLE_SECONDS", 30),
        keep_releases=_int_env("WIJKBEELD_KEEP_RELEASES", 7),
        reference_year=int(ref_year) if ref_year else None,
        # Archived originals and quarantined files (they may hold personal data) are deleted this many days
        # after they were loaded / quarantined; 0 keeps them forever.
        archive_retention_days=_int_env("WIJKBEELD_ARCHIVE_RETENTION_DAYS", 365),
        # A refresh refuses to start with less free space than this in the data home.
        min_free_mb=_int_env("WIJKBEELD_MIN_FREE_MB", 200),
        webhook_url=os.environ.get("WIJKBEELD_WEBHOOK_URL", "").strip() or None,
        webhook_timeout=float(_int_env("WIJKBEELD_WEBHOOK_TIMEOUT", 5)),
        # DuckDB buffer memory of the platform's own connections (ingest); beyond it DuckDB spills to disk.
        duckdb_memory_limit=_memory_env("WIJKBEELD_DUCKDB_MEMORY_LIMIT", "2GB"),
        limits=FileLimits.from_env(),
        # One refresh at a time holds the warehouse; a second waits this long, then says why it did not start.
        refresh_wait_seconds=_int_env("WIJKBEELD_REFRESH_WAIT_SECONDS", 60),
        dagster_home=Path(os.environ["DAGSTER_HOME"]).expanduser() if os.environ.get("DAGSTER_HOME") else None,
    )


def pause_point(point: str) -> None:
    """Test hook for the fault tests: sleep here when ``WIJKBEELD_TEST_PAUSE_AT`` names this point.

    Inert unless the variable is set. Points: ``ingest`` (a file is committed to the warehouse but not yet
    archived), ``dbt`` (dbt is running), ``publish`` (a release is half built), ``swap`` (``publish/current``
    is switched, the stable file not yet). A line ``paused at <point>`` on stderr tells the test to kill.
    """
    if os.environ.get(PAUSE_ENV) != point:
        return
    print(f"paused at {point}", file=sys.stderr, flush=True)
    time.sleep(600)
