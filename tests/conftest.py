"""Shared by every tier: a fresh data home per test, and a dbt manifest that matches the dbt project.

The tiers: tests/unit (no refresh, under a minute: `make test-fast`), tests/integration (one shared published
data home per session, tests/integration/conftest.py) and tests/faults (killed and starved refreshes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path, PurePosixPath

import duckdb
import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.homes import use_data_home

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Never run against a stale dbt manifest: parse the project again when a dbt file is newer than
    dbt_project/target/manifest.json (before any test module imports the Dagster definitions)."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "prepare_dbt.py"), "--if-stale"], check=False)
    if done.returncode != 0:
        raise pytest.UsageError("dbt parse failed: the dbt project does not parse (see the output above)")


# Integration modules that build their own data home; every other integration test reads the shared one.
OWN_HOME = ("test_disclosure_attack", "test_benchmark_smoke", "test_demo", "test_incremental")
# The longest work units first, so both workers start on one and the short ones fill the gaps at the end.
UNIT_ORDER = ("shared-home", "tests/integration/test_disclosure_attack.py", "tests/faults/test_faults.py")


def work_unit(nodeid: str) -> str:
    """The tests that run together in one worker: the integration tests on the shared data home
    (tests/integration/conftest.py, built once per worker), else one test module (its module fixtures)."""
    module = PurePosixPath(nodeid.split("::", 1)[0])
    if module.parent.name == "integration" and module.stem not in OWN_HOME:
        return "shared-home"
    return str(module)


class DataHomeScheduling(LoadScopeScheduling):
    """pytest-xdist's --dist loadscope with the scope of work_unit: the shared home is built in one worker only."""

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    """Used by scripts/pytest.sh (pytest -n auto --dist loadscope --no-loadscope-reorder)."""
    return DataHomeScheduling(config, log) if config.getvalue("dist") == "loadscope" else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collection order is the order of the work units: the long ones first, the unit tier last."""

    def rank(item: pytest.Item) -> int:
        unit = work_unit(item.nodeid)
        if unit in UNIT_ORDER:
            return UNIT_ORDER.index(unit)
        return len(UNIT_ORDER) + (item.path.parent.name == "unit")

    items.sort(key=rank)  # stable: the order within a rank stays the collection order


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data home for one test, with files ingested as soon as they land."""
    return use_data_home(monkeypatch, tmp_path)


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
