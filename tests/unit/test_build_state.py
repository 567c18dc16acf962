"""The night's build plan (wijkbeeld/build_state.py): full, incremental or nothing, and why."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from wijkbeeld import build_state


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.leveringen (levering_id BIGINT)")
    con.execute("CREATE SCHEMA intermediate")
    con.execute("CREATE TABLE intermediate.int_perioden (periode VARCHAR, periode_type VARCHAR)")
    con.execute("INSERT INTO intermediate.int_perioden VALUES ('2024', 'jaar'), ('2024-01/2024-12', '12mnd')")
    return con


def _deliver(con: duckdb.DuckDBPyConnection, *ids: int) -> None:
    con.executemany("INSERT INTO meta.leveringen VALUES (?)", [[i] for i in ids])


def test_first_night_builds_all_then_nothing_new_then_incremental(con: duckdb.DuckDBPyConnection) -> None:
    _deliver(con, 1, 2, 3)
    first = build_state.plan(con, "abc")
    assert first.mode == "full" and first.dbt_flags() == ["--full-refresh"] and first.dbt_vars() == {}
    build_state.record(con, first)

    quiet = build_state.plan(con, "abc")
    assert quiet.mode == "none" and "no new delivery" in quiet.reason

    _deliver(con, 4, 5)
    night = build_state.plan(con, "abc")
    assert night.mode == "incremental" and (night.levering_sinds, night.levering_tot) == (3, 5)
    assert night.reason == "deliveries 4-5 are new"
    assert night.dbt_vars() == {"levering_sinds": 3, "gebouwde_perioden": ["2024|jaar", "2024-01/2024-12|12mnd"]}
    assert "--full-refresh" not in night.dbt_flags()


def test_a_changed_project_code_or_setting_means_a_full_build(con: duckdb.DuckDBPyConnection) -> None:
    _deliver(con, 1)
    build_state.record(con, build_state.plan(con, "abc"))
    again = build_state.plan(con, "def")
    assert again.mode == "full" and "changed" in again.reason
    build_state.forget(con)
    assert build_state.plan(con, "abc").mode == "full"  # forgotten: the next build is full


def test_the_fingerprint_follows_project_code_and_settings(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    code = tmp_path / "disclosure.py"
    code.write_text("x = 1")
    base = build_state.fingerprint(project, [code], {"regiocode": "VR20"})
    assert build_state.fingerprint(project, [code], {"regiocode": "VR20"}) == base
    assert build_state.fingerprint(project, [code], {"regiocode": "VR21"}) != base
    code.write_text("x = 2")
    changed_code = build_state.fingerprint(project, [code], {"regiocode": "VR20"})
    assert changed_code != base
    model.write_text("select 2")
    changed_model = build_state.fingerprint(project, [code], {"regiocode": "VR20"})
    assert changed_model != changed_code
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")  # build output is not the project
    assert build_state.fingerprint(project, [code], {"regiocode": "VR20"}) == changed_model
