"""Personal data never reaches the warehouse (beyond what mapping needs) nor the published release.

Planted markers in every personal field the contracts name (meldingen Omschrijving/Straat/Huisnummer,
brandweer huisnummer and RD coordinates, handhaving Zaaknummer and Postcode) go through the same code path as
`wijkbeeld refresh` (ingest -> dbt -> quality gate -> publish); then every column of every table of the
warehouse, the published DuckDB file and every published Parquet file is searched for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.refresh import run_refresh
from tests import extracts
from tests.homes import use_data_home

pytestmark = pytest.mark.slow

MARKER = "PII-A-MARKER-5521"  # free text, street, case numbers, postcode cells
HOUSE_MARKER = "PII-A-HNR"  # written after a house number: '3 PII-A-HNR' still maps by its leading digits
X_RD, Y_RD = "131313.7", "424242.9"  # exact incident locations: must not be stored at all
# Column names that would mean personal data left the landing zone, checked on raw and staging tables (the
# CBS address table is reference data; mart tables use other names, e.g. signalen.omschrijving of a signal).
PERSONAL_COLUMNS = {"omschrijving", "straat", "huisnummer", "x_rd", "y_rd", "zaaknummer", "postcode"}
REFERENCE_TABLES = {"raw_cbs__adressen", "stg_cbs__adressen"}


def _plant(landing: Path) -> None:
    header = (
        "MeldingNr;DatumMelding;Categorie;Subcategorie;Omschrijving;Straat;Huisnummer;Postcode;Status;DatumAfgehandeld"
    )
    lines = [header] + [
        f"MA{n:03d};0{1 + n % 9}-06-2024 09:15;Afval;sub;Er ligt afval {MARKER};{MARKER}straat;"
        f"{1 + n % 3} {HOUSE_MARKER};4901AA;Open;"
        for n in range(30)
    ]
    extracts.write(
        landing / "gemeente" / "meldingen" / "meldingen-GM0744-202406.csv", "\r\n".join(lines) + "\r\n", "cp1252"
    )
    brw = ["incident_id,melding_tijd,incidentsoort,prioriteit,ter_plaatse,pc6,huisnummer,x_rd,y_rd,rookmelder"]
    brw += [
        f"BRW-P-{n:03d},2024-06-{1 + n % 28:02d}T10:00:00,Woningbrand,1,ja,4901AA,{1 + n % 3} {HOUSE_MARKER},"
        f"{X_RD},{Y_RD},werkend"
        for n in range(30)
    ]
    extracts.write(
        landing / "brandweer" / "incidenten" / "brandweer-incidenten-202406.csv", "\n".join(brw) + "\n", "utf-8-sig"
    )
    rows = [["Zaaknummer", "Datum", "Feitcategorie", "Afdoening", "Buurtcode", "Postcode"]]
    rows += [
        [f"ZK-{MARKER}-{n}", datetime(2024, 6, 1 + n), "Hondenpoep", "Waarschuwing", "BU08260101", f"{MARKER}"]
        for n in range(25)
    ]
    extracts.xlsx(landing / "gemeente" / "handhaving" / "handhaving-GM0826-2024.xlsx", "registraties", rows)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("privacy")
    with pytest.MonkeyPatch.context() as mp:
        data = use_data_home(mp, base)
        extracts.all_extracts(data / "landing")
        _plant(data / "landing")
        outcome = run_refresh()
        assert outcome.published, outcome
        yield data


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


def test_the_planted_files_were_ingested_and_mapped(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        got = con.execute(
            "SELECT dataset, rijen_geaccepteerd FROM meta.leveringen WHERE bron_bestand IN "
            "('meldingen-GM0744-202406.csv', 'brandweer-incidenten-202406.csv', 'handhaving-GM0826-2024.xlsx') "
            "ORDER BY 1"
        ).fetchall()
        mapped = con.execute(
            "SELECT DISTINCT koppeling FROM raw.raw_brandweer__incidenten WHERE incident_id LIKE 'BRW-P-%'"
        ).fetchall()
    finally:
        con.close()
    assert got == [("handhaving", 25), ("incidenten", 30), ("meldingen", 30)]
    assert mapped == [("adres",)]  # '3 PII-A-HNR' mapped by its number, then the text dropped


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
