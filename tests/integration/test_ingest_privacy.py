"""Personal data never reaches the warehouse (beyond what mapping needs) nor the published release.

The hand-made extracts carry markers in every personal field the contracts name (meldingen Omschrijving, Straat and
Huisnummer, brandweer huisnummer and RD coordinates, handhaving Zaaknummer and Postcode; tests/extracts.py); they
went through the same code path as `wijkbeeld refresh` into the integration tier's shared home. Every column of every
table of its warehouse, its published DuckDB file and every published Parquet file is searched for them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.extracts import HOUSE_MARKER, PII_MARKER, X_RD, Y_RD
from tests.integration.conftest import SharedHome

MARKER = PII_MARKER
# Column names that would mean personal data left the landing zone, checked on raw and staging tables (the
# CBS address table is reference data; mart tables use other names, e.g. signalen.omschrijving of a signal).
PERSONAL_COLUMNS = {"omschrijving", "straat", "huisnummer", "x_rd", "y_rd", "zaaknummer", "postcode"}
REFERENCE_TABLES = {"raw_cbs__adressen", "stg_cbs__adressen"}


@pytest.fixture
def home(published: SharedHome) -> Path:
    return published.home


def _scan(con: duckdb.DuckDBPyConnection, where: str) -> list[str]:
    """Tables/columns of ``con`` holding a marker, or a personal column name."""
    found = []
    cols = con.execute(
        "SELECT table_catalog, table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
    ).fetchall()
    for catalog, schema, table, column in cols:
        landing_shaped = table.startswith(("raw_", "stg_")) and table not in REFERENCE_TABLES
        if column.lower() in PERSONAL_COLUMNS and landing_shaped:
            found.append(f"{where}: column {schema}.{table}.{column}")
        cell = f'CAST("{column}" AS VARCHAR)'
        hits = con.execute(
            f'SELECT count(*) FROM "{catalog}"."{schema}"."{table}" '
            f"WHERE {cell} LIKE ? OR {cell} LIKE ? OR {cell} IN (?, ?)",
            [f"%{MARKER}%", f"%{HOUSE_MARKER}%", X_RD, Y_RD],
        ).fetchone()[0]
        if hits:
            found.append(f"{where}: {schema}.{table}.{column} ({hits} rows)")
    return found


def test_the_files_with_markers_were_ingested_and_mapped(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        got = con.execute(
            "SELECT dataset, count(*), sum(rijen_geaccepteerd) FROM meta.leveringen "
            "WHERE dataset IN ('meldingen', 'handhaving') OR partner = 'brandweer' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        mapped = con.execute(
            "SELECT DISTINCT koppeling FROM raw.raw_brandweer__incidenten WHERE incident_id LIKE 'W%'"
        ).fetchall()
    finally:
        con.close()
    assert [(dataset, files) for dataset, files, _ in got] == [("handhaving", 2), ("incidenten", 24), ("meldingen", 24)]
    assert all(rows > 0 for *_, rows in got)
    assert mapped == [("adres",)]  # '1 PII-HNR' mapped by its number, then the text dropped


def test_no_personal_data_in_the_warehouse(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        assert _scan(con, "warehouse") == []
    finally:
        con.close()


def test_no_personal_data_in_the_published_duckdb_and_parquet(home: Path) -> None:
    publish = home / "publish"
    con = duckdb.connect(str(publish / "wijkbeeld.duckdb"), read_only=True)
    try:
        assert _scan(con, "published duckdb") == []
    finally:
        con.close()
    parquets = sorted(publish.rglob("*.parquet"))
    assert parquets, "no published Parquet files found"
    con = duckdb.connect()
    try:
        for path in parquets:
            con.execute(f"CREATE OR REPLACE VIEW p AS SELECT * FROM read_parquet('{path.as_posix()}')")
            assert _scan(con, path.name) == []
    finally:
        con.close()
