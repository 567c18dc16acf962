"""A night costs what changed: nothing new skips the build, a new month and a re-delivery are built
incrementally, and the result equals a full rebuild on the same files, table by table and row by row.

The hand-made extracts of tests/extracts.py, first without December 2024 of meldingen and brandweer (so the
12 months end in November and 2024 is no complete year yet), then with it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.refresh import run_refresh
from tests import extracts
from tests.homes import settings, use_data_home, warehouse
from wijkbeeld import build_state
from wijkbeeld.dbt_vars import vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR

HELD_BACK = ("gemeente/meldingen/meldingen-GM0826-202412.csv", "brandweer/incidenten/brandweer-incidenten-202412.csv")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("incremental")
    with pytest.MonkeyPatch.context() as mp:
        data = use_data_home(mp, base)
        staged = base / "later"
        extracts.all_sources(staged)
        for name in HELD_BACK:
            (staged / name).rename(staged / (name + ".held"))
        shutil.copytree(staged, data / "landing", ignore=shutil.ignore_patterns("*.held"))
        outcome = run_refresh()
        assert outcome.published and outcome.new_release, outcome
        yield data


def _tables(path: Path) -> dict[str, str]:
    """A digest of every published table and every incremental model (rows sorted). (Other intermediate tables
    are rebuilt every night; some hold unrounded averages whose last bits depend on summation order.)"""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            ("mart", t)
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart' order by all"
            ).fetchall()
        ]
        names += [("intermediate", model) for model in build_state.INCREMENTAL_MODELS]
        return {
            f"{schema}.{table}": hashlib.sha256(
                repr(con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()).encode()
            ).hexdigest()
            for schema, table in names
        }
    finally:
        con.close()


def _full_rebuild(path: Path, tmp: Path) -> Path:
    """The same warehouse rebuilt from scratch by `dbt build --full-refresh`, in a copy."""
    copy = tmp / "full.duckdb"
    shutil.copy(path, copy)
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", "--full-refresh", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR)]
    command += vars_args(settings(), warehouse().model_copy(update={"path": copy}))
    done = subprocess.run(
        command,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return copy


def _metadata(asset: str) -> dict:
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey([asset]))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def _mode(home: Path) -> str:
    con = duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        return con.execute(f"select modus from {build_state.STATE_TABLE}").fetchone()[0]
    finally:
        con.close()


def test_a_night_without_news_skips_the_build(home: Path) -> None:
    before = _tables(home / "warehouse" / "wijkbeeld.duckdb")
    outcome = run_refresh()
    assert outcome.success and outcome.nothing_new and outcome.published and not outcome.new_release
    assert _tables(home / "warehouse" / "wijkbeeld.duckdb") == before


def test_a_new_month_is_built_incrementally_as_a_full_build_would(home: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    periods = {r[0] for r in con.execute("select distinct periode from mart.fct_indicator_waarde").fetchall()}
    con.close()
    assert "2023-12/2024-11" in periods and "2024" not in periods
    staged = home.parent / "later"
    for name in HELD_BACK:
        shutil.copy(staged / (name + ".held"), home / "landing" / name)
    outcome = run_refresh()
    assert outcome.published and outcome.new_release, outcome
    assert _mode(home) == "incremental"
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    periods = {r[0] for r in con.execute("select distinct periode from mart.fct_indicator_waarde").fetchall()}
    con.close()
    # the window moved on (the old one is gone), and 2024 is complete now
    assert {"2024", "2024-01/2024-12"} <= periods and "2023-12/2024-11" not in periods
    # Dagster shows how each model was built tonight: jaar 2024, its 12 months and the window a year earlier
    teller = _metadata("int_indicator_teller")
    assert teller["bouw"] == "incrementeel" and teller["perioden_herberekend"] == 3 and teller["rijen"] > 0
    assert _metadata("int_gebeurtenissen_maand")["maanden_herberekend"] == 2  # meldingen and brandweer 2024-12
    assert _metadata("fct_indicator_waarde")["bouw"].startswith("volledig")
    warehouse = home / "warehouse" / "wijkbeeld.duckdb"
    assert _tables(warehouse) == _tables(_full_rebuild(warehouse, tmp_path))


def test_a_redelivered_month_replaces_exactly_that_month(home: Path, tmp_path: Path) -> None:
    # politie re-delivers its file with December 2024 of WK082601 revised: 22 crimes instead of 10
    path = extracts.misdrijven(home / "landing")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(";0.0.0   ;WK082601  ;2024MM12;10", ";0.0.0   ;WK082601  ;2024MM12;22"), "utf-8")
    outcome = run_refresh()
    assert outcome.published and outcome.new_release, outcome
    assert _mode(home) == "incremental"
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    (teller,) = con.execute(
        "select teller from mart.fct_indicator_waarde where gebiedcode = 'WK082601' and indicator_code = 'V05' "
        "and periode = '2024'"
    ).fetchone()
    con.close()
    assert teller == 130  # 120 + 12 more = 132, rounded to 5
    warehouse = home / "warehouse" / "wijkbeeld.duckdb"
    assert _tables(warehouse) == _tables(_full_rebuild(warehouse, tmp_path))
