"""Settings in one typed place (wijkbeeld/settings.py), what dbt gets of them (wijkbeeld/dbt_vars.py) and the one way
to open a DuckDB file (wijkbeeld/warehouse.py): the memory cap, the spill folder and one retry-on-lock policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.cli import main
from wijkbeeld.build_state import BuildPlan
from wijkbeeld.dbt_vars import dbt_vars, vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR, FileLimits, Settings, SettingsError, load_settings
from wijkbeeld.warehouse import Warehouse, WarehouseBusy


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No WIJKBEELD_* variable from the calling shell (make exports WIJKBEELD_HOME); a home in tmp_path."""
    for name in list(os.environ):
        if name.startswith("WIJKBEELD_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("WIJKBEELD_HOME", str(tmp_path / "data"))
    return monkeypatch


def test_settings_are_read_from_the_environment_typed(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("WIJKBEELD_KEEP_RELEASES", "3")
    clean_env.setenv("WIJKBEELD_REFERENCE_YEAR", "2023")
    clean_env.setenv("WIJKBEELD_ALLE_GEMEENTEN", "true")
    clean_env.setenv("WIJKBEELD_MAX_COLUMNS", "50")
    clean_env.setenv("WIJKBEELD_DUCKDB_MEMORY_LIMIT", " 512MiB ")
    clean_env.setenv("WIJKBEELD_WEBHOOK_URL", "")  # empty = unset
    s = load_settings()
    assert s.home == tmp_path / "data" and s.dagster == tmp_path / "data" / "dagster"
    assert (s.keep_releases, s.reference_year, s.alle_gemeenten) == (3, 2023, True)
    assert s.limits == FileLimits(max_columns=50) and s.duckdb_memory_limit == "512MiB"
    assert s.webhook_url is None and s.settle_seconds == 30
    assert s.warehouse_file == tmp_path / "data" / "warehouse" / "wijkbeeld.duckdb"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WIJKBEELD_KEEP_RELEASES", "seven"),
        ("WIJKBEELD_KEEP_RELEASES", "-1"),
        ("WIJKBEELD_DUCKDB_MEMORY_LIMIT", "lots"),
        ("WIJKBEELD_LOG_LEVEL", "LOUD"),
        ("WIJKBEELD_MAX_LINE_BYTES", "0"),
        ("WIJKBEELD_REFERENCE_YEAR", "next year"),
        ("WIJKBEELD_WEBHOOK_TIMEOUT", "0"),
    ],
)
def test_a_bad_value_is_an_exception_of_one_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """The library raises (never SystemExit): a caller decides what to do with it."""
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"invalid setting {variable}=")


def test_the_command_line_says_it_in_one_line(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    clean_env.setenv("WIJKBEELD_KEEP_RELEASES", "seven")
    assert main(["releases"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wijkbeeld: invalid setting WIJKBEELD_KEEP_RELEASES='seven': ")


def test_dbt_gets_every_setting_it_uses_from_the_same_settings(clean_env: pytest.MonkeyPatch) -> None:
    """WIJKBEELD_REFERENCE_YEAR reaches dbt's referentiejaar (ingest maps to the same year); the region, the
    warehouse, its memory cap and spill folder too (tests/integration/test_settings_reach_dbt.py runs dbt on them)."""
    clean_env.setenv("WIJKBEELD_REFERENCE_YEAR", "2023")
    clean_env.setenv("WIJKBEELD_REGIOCODE", "NL")
    clean_env.setenv("WIJKBEELD_DUCKDB_MEMORY_LIMIT", "1GB")
    s = load_settings()
    w = Warehouse.from_settings(s)
    assert dbt_vars(s, w) == {
        "warehouse": str(s.warehouse_file),
        "duckdb_memory_limit": "1GB",
        "spill_dir": str(s.spill_dir),
        "regiocode": "NL",
        "regionaam": "Veiligheidsregio Midden- en West-Brabant",
        "alle_gemeenten": False,
        "referentiejaar": 2023,
    }
    flag, value = vars_args(s, w)
    assert flag == "--vars" and yaml.safe_load(value)["referentiejaar"] == 2023


def test_every_var_the_dbt_project_reads_comes_from_the_settings() -> None:
    """The models and the profile read only vars the platform passes, and dbt's own defaults (dbt run by hand)
    equal the settings' defaults."""
    passed = dbt_vars(Settings(home=Path("/nonexistent")), Warehouse(path=Path("w.duckdb"), spill_dir=Path("s")))
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    defaults = Settings(home=Path("/nonexistent"))
    assert project["vars"] == {
        "regiocode": defaults.regiocode,
        "regionaam": defaults.regionaam,
        "referentiejaar": defaults.reference_year,
        "alle_gemeenten": defaults.alle_gemeenten,
    }
    used = set()
    for path in [*DBT_PROJECT_DIR.glob("models/**/*.sql"), *DBT_PROJECT_DIR.glob("models/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""var\(\s*['"](\w+)['"]""", text))
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    used |= set(re.findall(r"""var\(\s*['"](\w+)['"]""", profile))
    # besides the settings, an incremental night passes what changed (wijkbeeld/build_state.py)
    night = BuildPlan("incremental", 0, 0, "", "").dbt_vars()
    assert used and used <= set(passed) | set(night), used - set(passed) - set(night)
    assert "env_var(" not in profile + (DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")


def test_every_connection_gets_the_memory_cap_and_the_spill_folder(tmp_path: Path) -> None:
    w = Warehouse(path=tmp_path / "w.duckdb", spill_dir=tmp_path / "spill", memory_limit="300MB")
    with duckdb.connect() as plain:
        plain.execute("SET memory_limit = '300MB'")
        (capped,) = plain.execute("SELECT current_setting('memory_limit')").fetchone()
    seen = []
    with w.connect() as con:
        seen.append(con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone())
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    with w.open(w.path) as con:
        seen.append(con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone())
    with w.scratch() as con:
        seen.append(con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone())
    assert seen == [(capped, str(tmp_path / "spill"))] * 3


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.readline()  # until the test says so
    con.close()
    print("released", flush=True)
    time.sleep(60)
    """
)


def test_a_file_held_by_another_process_is_retried_then_refused_with_warehouse_busy(tmp_path: Path) -> None:
    """One retry-on-lock policy for every open: retried while the other process holds the file, opened once it
    lets go, WarehouseBusy (naming the wait) when it holds on longer than the policy waits."""
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        busy = Warehouse(path=path, spill_dir=tmp_path / "spill", lock_wait_seconds=0.5)
        with pytest.raises(WarehouseBusy, match=re.escape("waited 0.5 s for another process")), busy.connect():
            pass

        def release() -> None:
            holder.stdin.write("go\n")
            holder.stdin.flush()

        threading.Timer(1.0, release).start()  # lets go while the open below is retrying
        with Warehouse(path=path, spill_dir=tmp_path / "spill", lock_wait_seconds=60).connect(read_only=True) as con:
            assert con.execute("SELECT 1").fetchone() == (1,)
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.kill()
        holder.wait()
