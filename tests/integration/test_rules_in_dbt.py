"""The structure of the mart is dbt's (tests/unit/test_quality_rules.py says where each rule lives); here, on a copy
of the shared home's warehouse, dbt and DuckDB enforce it: a broken key or reference is refused by the database
(the contract's constraints), an unknown code fails dbt's data tests, so such a mart never reaches the gate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import SharedHome
from wijkbeeld.dbt_vars import vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR, Settings
from wijkbeeld.warehouse import Warehouse


@pytest.fixture
def warehouse(published: SharedHome, tmp_path: Path) -> Warehouse:
    copy = tmp_path / "wijkbeeld.duckdb"
    shutil.copyfile(published.home / "warehouse" / "wijkbeeld.duckdb", copy)
    return Warehouse(path=copy, spill_dir=tmp_path / "spill")


def test_keys_and_references_are_enforced_by_the_database(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        with pytest.raises(duckdb.ConstraintException):  # primary key
            con.execute("INSERT INTO mart.fct_indicator_waarde SELECT * FROM mart.fct_indicator_waarde LIMIT 1")
        with pytest.raises(duckdb.ConstraintException):  # foreign key to dim_status
            con.execute("UPDATE mart.fct_indicator_waarde SET status = 'weg' WHERE status = 'ok'")
        with pytest.raises(duckdb.ConstraintException):  # NOT NULL of a key column
            con.execute("UPDATE mart.herkomst SET bron_sha256 = NULL")


def test_unknown_codes_fail_dbt_data_tests(warehouse: Warehouse, tmp_path: Path) -> None:
    with warehouse.connect() as con:
        con.execute("UPDATE mart.dim_gebied SET niveau = 'buurt' WHERE gebiedcode = 'WK082601'")
        con.execute("UPDATE mart.dim_indicator SET privacy_klasse = 'geheim' WHERE indicator_code = 'V01'")
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "test", "--select", "dim_gebied", "dim_indicator", "--target-path", str(tmp_path / "target")]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    done = subprocess.run(
        [*command, *vars_args(Settings(home=tmp_path / "data"), warehouse)],
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
        check=False,
    )
    assert done.returncode != 0
    failed = [line for line in done.stdout.splitlines() if "FAIL" in line and "accepted_values" in line]
    assert any("niveau" in line for line in failed) and any("privacy_klasse" in line for line in failed), done.stdout
