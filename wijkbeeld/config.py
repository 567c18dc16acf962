"""Paths and settings of the data home, read from the environment.

Everything the platform writes lives under one folder, ``$WIJKBEELD_HOME`` (default ``./data`` in the
repository). Settings are read at call time, not import time, so tests can point a fresh home at a
temporary folder with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Resolved locations and tunables. Build with :func:`settings`."""

    home: Path
    settle_seconds: int
    keep_releases: int
    reference_year: int | None

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

    def ensure(self) -> Settings:
        """Create the folders of the data home (idempotent)."""
        for path in (
            self.landing,
            self.archive,
            self.quarantine,
            self.warehouse_dir,
            self.releases,
            self.reports,
            self.logs,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self


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
    )
