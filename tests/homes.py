"""The environment of a test data home: one place for what every test's data home needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from wijkbeeld.settings import Settings, load_settings
from wijkbeeld.warehouse import Warehouse


def use_data_home(mp: pytest.MonkeyPatch, base: Path) -> Path:
    """Point the platform at ``base/data`` (Dagster history in ``base/dagster``); files ingest as soon as they land."""
    data = base / "data"
    mp.setenv("WIJKBEELD_HOME", str(data))
    mp.setenv("WIJKBEELD_SETTLE_SECONDS", "0")
    mp.setenv("DAGSTER_HOME", str(base / "dagster"))
    return data


def settings() -> Settings:
    """The settings of the current test data home (as the command line would read them)."""
    return load_settings()


def warehouse() -> Warehouse:
    """The warehouse of the current test data home."""
    return Warehouse.from_settings(load_settings())


def platform() -> tuple[Settings, Warehouse]:
    """(settings, warehouse) of the current test data home, for the library calls that take both."""
    s = load_settings()
    return s, Warehouse.from_settings(s)


def platform_kw() -> dict[str, object]:
    s, w = platform()
    return {"settings": s, "warehouse": w}
