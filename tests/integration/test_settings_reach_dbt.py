"""dbt gets its settings from the same place as the rest of the platform: WIJKBEELD_REFERENCE_YEAR becomes dbt's
referentiejaar (so the mart reports on the year ingest maps to) and the region's name reaches the mart, through the
vars every platform dbt command passes (wijkbeeld/dbt_vars.py). Run on a copy of the shared home's warehouse."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import SharedHome
from wijkbeeld.dbt_vars import vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR, load_settings
from wijkbeeld.warehouse import Warehouse

REGION_ROW = "SELECT gebiedsnaam, geografie_jaar FROM intermediate.int_geografie_referentie WHERE niveau = 'regio'"


def test_reference_year_and_region_reach_dbt(
    published: SharedHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "wijkbeeld.duckdb"
    shutil.copyfile(published.home / "warehouse" / "wijkbeeld.duckdb", copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(REGION_ROW).fetchone() == ("Veiligheidsregio Midden- en West-Brabant", 2024)  # defaults

    monkeypatch.setenv("WIJKBEELD_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("WIJKBEELD_REFERENCE_YEAR", "2023")
    monkeypatch.setenv("WIJKBEELD_REGIONAAM", "Testregio")
    s = load_settings()
    warehouse = Warehouse.from_settings(s).model_copy(update={"path": copy})
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "run", "--select", "int_geografie_referentie", "--target-path", str(tmp_path / "target")]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    done = subprocess.run(
        [*command, *vars_args(s, warehouse)], capture_output=True, text=True, cwd=DBT_PROJECT_DIR, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(REGION_ROW).fetchone() == ("Testregio", 2023)
