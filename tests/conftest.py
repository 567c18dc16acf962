"""Shared fixtures: every test gets its own data home; nothing touches ./data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.homes import use_data_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data home for one test, with files ingested as soon as they land."""
    return use_data_home(monkeypatch, tmp_path)
