"""Shared fixtures: every test gets its own data home; nothing touches ./data."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data home for one test, with files ingested as soon as they land."""
    data = tmp_path / "data"
    monkeypatch.setenv("WIJKBEELD_HOME", str(data))
    monkeypatch.setenv("WIJKBEELD_SETTLE_SECONDS", "0")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return data
