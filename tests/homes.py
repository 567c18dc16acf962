"""The environment of a test data home: one place for what every test's data home needs."""

from __future__ import annotations

from pathlib import Path

import pytest


def use_data_home(mp: pytest.MonkeyPatch, base: Path) -> Path:
    """Point the platform at ``base/data`` (Dagster history in ``base/dagster``); files ingest as soon as they land."""
    data = base / "data"
    mp.setenv("WIJKBEELD_HOME", str(data))
    mp.setenv("WIJKBEELD_SETTLE_SECONDS", "0")
    mp.setenv("DAGSTER_HOME", str(base / "dagster"))
    return data
