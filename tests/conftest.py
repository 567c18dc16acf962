"""Shared fixtures: every test gets its own data home; nothing touches ./data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests import extracts
from tests.homes import use_data_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data home for one test, with files ingested as soon as they land."""
    return use_data_home(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """One refresh of the hand-made extracts of tests/extracts.py, shared by tests/test_mart_indicatoren.py,
    tests/test_mart_index.py and tests/test_release_clients.py; yields the published tables and the data home."""
    base = tmp_path_factory.mktemp("mart")
    with pytest.MonkeyPatch.context() as mp:
        data = use_data_home(mp, base)
        extracts.all_sources(data / "landing")
        from orchestration.refresh import run_refresh

        outcome = run_refresh()
        assert outcome.published, outcome
        con = duckdb.connect(str(data / "publish" / "wijkbeeld.duckdb"), read_only=True)
        try:
            names = ("fct_indicator_waarde", "fct_kwetsbaarheid", "signalen")
            tables = {t: rows_of(con, f"select * from mart.{t}") for t in names}
        finally:
            con.close()
        waarden = {(r["gebiedcode"], r["indicator_code"], r["periode"]): r for r in tables["fct_indicator_waarde"]}
        yield {"waarden": waarden, **tables, "home": data}


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
