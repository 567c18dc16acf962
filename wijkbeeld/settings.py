"""Every setting of the platform, in one typed place: the ``WIJKBEELD_*`` environment variables.

:class:`Settings` is read once by whoever starts the work (the command line, the Dagster ``settings`` resource at
the start of a run, a sensor tick) and passed on; library code never reads the environment itself. dbt gets the
settings it needs from the same object (:func:`wijkbeeld.dbt_vars.dbt_vars`). A bad value raises
:class:`SettingsError` with one line that names the variable; the command line prints that line.

Everything the platform writes lives under one folder, the data home (``WIJKBEELD_HOME``, default ``./data``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CONTRACTS_DIR = REPO_ROOT / "assets" / "contracts"  # data (YAML) beside the ingest assets that use them

PRIVATE_DIR_MODE = 0o700  # archive, quarantine, warehouse, logs, dagster: personal data or operational detail
PRIVATE_FILE_MODE = 0o600
PUBLIC_DIR_MODE = 0o755  # the data home, landing (when the platform creates it), publish, releases, reports

ENV_PREFIX = "WIJKBEELD_"
_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class SettingsError(ValueError):
    """A setting has a value the platform cannot use; the message is one line naming the variable."""


class FileLimits(BaseModel):
    """Resource limits per delivered file: a file beyond one is refused whole (quarantine) with the limit named.

    They bound what one hostile or broken file can cost, so it cannot stop the night for the other files.
    The defaults are far above the real deliveries (national scale included); each is a setting.
    """

    model_config = ConfigDict(frozen=True)

    max_line_bytes: PositiveInt = 1_048_576  # one CSV line, or one record whose quoted value spans lines
    max_columns: PositiveInt = 1_000  # columns in the header (CSV) / cells in a row (Excel)
    max_cells: PositiveInt = 20_000_000  # Excel: cells read from the sheet (rows x columns, gaps included)
    max_shared_strings: PositiveInt = 1_000_000  # Excel: distinct texts, counted before openpyxl loads them
    max_xlsx_mb: PositiveInt = 500  # Excel: the workbook's size unpacked (all its XML parts)
    max_file_seconds: PositiveInt = 900  # reading one file (the streaming pass), in seconds


class Settings(BaseSettings):
    """The resolved settings; build with :func:`load_settings` (or ``Settings(home=...)`` in code and tests)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    home: Path = REPO_ROOT / "data"
    # Ingest only files unchanged for this long (a partner may still be writing), or marked <name>.complete.
    settle_seconds: NonNegativeInt = 30
    keep_releases: NonNegativeInt = 7  # the current release is always kept (0 keeps just that one)
    # The CBS geography year the mart reports on and ingest maps to; None: the newest cbs/kerncijfers year.
    reference_year: int | None = None
    # Archived originals and quarantined files (they may hold personal data) are deleted this many days after
    # they were loaded / quarantined; 0 keeps them forever.
    archive_retention_days: NonNegativeInt = 365
    # A refresh refuses to start with less free space than this in the data home.
    min_free_mb: NonNegativeInt = 200
    webhook_url: str | None = None
    webhook_timeout: Annotated[float, Field(gt=0)] = 5.0
    # DuckDB buffer memory of every connection the platform opens (ingest, dbt, gate, publish, report); beyond it
    # DuckDB spills to warehouse/spill/.
    duckdb_memory_limit: str = "2GB"
    # One refresh at a time holds the warehouse; a second waits this long, then says why it did not start.
    refresh_wait_seconds: NonNegativeInt = 60
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # The region row of the mart (dbt vars regiocode, regionaam); alle_gemeenten: every gemeente of the reference
    # geography is the region (a national run), else the gemeenten of the seed regio_gemeenten.
    regiocode: str = "VR20"
    regionaam: str = "Veiligheidsregio Midden- en West-Brabant"
    alle_gemeenten: bool = False
    # Per-file limits (FileLimits; docs/ingest.md, "Limits per file").
    max_line_bytes: PositiveInt = FileLimits().max_line_bytes
    max_columns: PositiveInt = FileLimits().max_columns
    max_cells: PositiveInt = FileLimits().max_cells
    max_shared_strings: PositiveInt = FileLimits().max_shared_strings
    max_xlsx_mb: PositiveInt = FileLimits().max_xlsx_mb
    max_file_seconds: PositiveInt = FileLimits().max_file_seconds
    # Dagster's run, event and check history; None: <data home>/dagster.
    dagster_home: Path | None = Field(default=None, validation_alias=AliasChoices("DAGSTER_HOME", "dagster_home"))

    @field_validator("home", "dagster_home")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else Path(value).expanduser().resolve()

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not _MEMORY_SIZE.fullmatch(value.strip()):
            raise ValueError("not a memory size; use e.g. 2GB or 512MiB")
        return value.strip()

    @field_validator("webhook_url", "regiocode", "regionaam")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    # ------------------------------------------------------------------------------------------- the data home

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
    def warehouse_file(self) -> Path:
        """The working DuckDB database (open it through :class:`wijkbeeld.warehouse.Warehouse`)."""
        return self.warehouse_dir / "wijkbeeld.duckdb"

    @property
    def spill_dir(self) -> Path:
        """Where DuckDB writes what does not fit in ``duckdb_memory_limit``."""
        return self.warehouse_dir / "spill"

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
    def limits(self) -> FileLimits:
        return FileLimits(**{name: getattr(self, name) for name in FileLimits.model_fields})

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


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment (``WIJKBEELD_*``, ``DAGSTER_HOME``), with ``overrides`` on top.

    Raises :class:`SettingsError` (one line, naming the variable) when a value is unusable.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        variable = "DAGSTER_HOME" if field == "dagster_home" else ENV_PREFIX + field.upper()
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}={error.get('input')!r}: {message}")
    return "invalid setting " + "; ".join(problems)


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
