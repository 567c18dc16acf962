"""A release as BI users' tools read it (issue 13): the DuckDB file with a DuckDB 1.x client (as ODBC/JDBC,
DBeaver and Metabase embed it) and with DuckDB 2.x, through SQLAlchemy + duckdb-engine (as Superset introspects
it), and the Parquet files with pyarrow, pandas and polars. Every table must be readable with its Dutch
descriptions, keys, shapes, dates and release id.

Reads the integration tier's shared home (session fixture ``published``, tests/integration/conftest.py: hand-made
extracts of two gemeenten, every mart table). The 1.x client and the Parquet readers run in their own venv
(tests/clients.py, pinned in tests/bi_clients.txt).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from tests.clients import run_client
from tests.integration.conftest import SharedHome
from wijkbeeld import geo
from wijkbeeld.publish import STORAGE_VERSION

FACT_TABLES = ["fct_indicator_waarde", "fct_kwetsbaarheid", "signalen", "wijkprofiel", "fct_bijdrage"]

# Run by the clients venv's Python: argv = stable file, release folder. Prints what it read as JSON.
CLIENT_SCRIPT = """
import json, sys
from pathlib import Path
import duckdb, pandas, polars, pyarrow.parquet as pq

stable, release = sys.argv[1], Path(sys.argv[2])
out = {"duckdb": duckdb.__version__, "files": {}}
for path in (stable, str(release / "wijkbeeld.duckdb")):
    con = duckdb.connect(path, read_only=True)
    tables = {t: c for t, c in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'mart'").fetchall()}
    counts = {t: con.execute(f'SELECT count(*) FROM mart."{t}"').fetchall()[0][0] for t in tables}
    for t in tables:  # every row and column can be fetched
        con.execute(f'SELECT * FROM mart."{t}"').fetchall()
    columns = con.execute("SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
                          "WHERE schema_name = 'mart'").fetchall()
    keys = con.execute(
        "SELECT table_name, constraint_type, constraint_column_names, referenced_table FROM duckdb_constraints() "
        "WHERE schema_name = 'mart' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')").fetchall()
    latest = con.execute(
        "SELECT release_id, to_json(p)::VARCHAR FROM mart.publicatie p ORDER BY volgnummer DESC LIMIT 1").fetchall()[0]
    con.close()
    out["files"][path] = {"tables": tables, "counts": counts, "columns": columns, "keys": keys,
                          "release_id": latest[0], "publicatie": json.loads(latest[1])}
parquet = {}
for f in sorted((release / "parquet").glob("*.parquet")):
    meta = {k.decode(): v.decode() for k, v in pq.read_schema(f).metadata.items() if not k.startswith(b"ARROW")}
    frame = pandas.read_parquet(f)
    pl_frame = polars.read_parquet(f)
    pl_meta = polars.read_parquet_metadata(f)
    parquet[f.stem] = {"meta": meta, "pandas_rows": len(frame), "polars_rows": pl_frame.height,
                       "polars_release_id": pl_meta.get("release_id"),
                       "dtypes": {c: str(t) for c, t in frame.dtypes.items()}}
out["parquet"] = parquet
print(json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def release(published: SharedHome) -> dict:
    home: Path = published.home
    folder = Path(os.path.realpath(home / "publish" / "current"))
    return {"home": home, "stable": home / "publish" / "wijkbeeld.duckdb", "folder": folder}


@pytest.fixture(scope="module")
def client_view(release: dict) -> dict:
    """What the DuckDB 1.x client and the Parquet readers of the clients venv read from the release."""
    return run_client(CLIENT_SCRIPT, str(release["stable"]), str(release["folder"]))


def test_duckdb_1x_client_reads_every_table_of_the_stable_file_and_the_release(client_view: dict, release) -> None:
    assert client_view["duckdb"].startswith("1.")
    assert len(client_view["files"]) == 2
    for path, seen in client_view["files"].items():
        assert seen["release_id"] == release["folder"].name, path
        expected = {k.removeprefix("rijen_"): v for k, v in seen["publicatie"].items() if k.startswith("rijen_")}
        assert {t: n for t, n in seen["counts"].items() if t != "publicatie"} == expected
        assert {"dim_gebied", "dim_status", "fct_bijdrage", "wijkprofiel", "publicatie"} <= set(seen["tables"])
        # every table and column has its Dutch description
        assert all(seen["tables"].values()), [t for t, c in seen["tables"].items() if not c]
        assert [c[:2] for c in seen["columns"] if not c[3]] == []
        # keys a BI tool turns into relationships
        keys = {(t, kind, tuple(cols), ref) for t, kind, cols, ref in seen["keys"]}
        assert ("dim_gebied", "PRIMARY KEY", ("gebiedcode",), None) in keys
        assert ("fct_indicator_waarde", "FOREIGN KEY", ("gebiedcode",), "dim_gebied") in keys
        assert ("fct_indicator_waarde", "FOREIGN KEY", ("status",), "dim_status") in keys
        assert ("fct_bijdrage", "FOREIGN KEY", ("gebiedcode", "indicator_code", "periode", "periode_type"),
                "fct_indicator_waarde") in keys  # fmt: skip
        # dates on every fact table, the shape on dim_gebied
        types = {(t, c): d for t, c, d, _ in seen["columns"]}
        for table in FACT_TABLES:
            assert types[(table, "periode_start")] == types[(table, "periode_eind")] == "DATE", table
        assert types[("dim_gebied", "geometrie_wkt")] == "VARCHAR"


def test_the_storage_version_is_set_in_one_place_and_the_files_carry_it(release: dict) -> None:
    for path in (release["stable"], release["folder"] / "wijkbeeld.duckdb"):
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{path}' AS r (READ_ONLY)")
            (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'r'").fetchone()
        assert tags["storage_version"].startswith(STORAGE_VERSION), path


def test_parquet_files_name_their_release_and_carry_the_descriptions(client_view: dict, release: dict) -> None:
    parquet = client_view["parquet"]
    counts = client_view["files"][str(release["stable"])]["counts"]
    assert set(parquet) == set(counts)
    for table, seen in parquet.items():
        assert seen["meta"]["release_id"] == seen["polars_release_id"] == release["folder"].name, table
        assert seen["meta"]["tabel"] == table and seen["meta"]["omschrijving"], table
        assert seen["pandas_rows"] == seen["polars_rows"] == counts[table], table
    kolommen = json.loads(parquet["fct_indicator_waarde"]["meta"]["kolommen"])
    assert kolommen["periode_eind"].startswith("Laatste dag van de periode")
    assert parquet["fct_kwetsbaarheid"]["dtypes"]["periode_start"].startswith(("date", "object"))


def test_duckdb_2x_reads_descriptions_dates_and_shapes(release: dict) -> None:
    with duckdb.connect(str(release["stable"]), read_only=True) as con:
        missing = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'mart' AND comment IS NULL"
        ).fetchall()
        assert missing == []
        jaar, mnd = con.execute(
            "SELECT periode_start, periode_eind FROM mart.fct_kwetsbaarheid WHERE gebiedcode = 'WK082601' "
            "AND periode IN ('2024', '2024-01/2024-12') ORDER BY periode_type"
        ).fetchall()
        wkt = dict(con.execute("SELECT gebiedcode, geometrie_wkt FROM mart.dim_gebied").fetchall())
        (tot_en_met,) = con.execute(
            "SELECT data_tot_en_met FROM mart.publicatie ORDER BY volgnummer DESC LIMIT 1"
        ).fetchone()
        newest = con.execute("SELECT max(periode_eind) FROM mart.fct_indicator_waarde WHERE status = 'ok'").fetchone()
    # the calendar year and the 12 months ending in December cover the same days (docs/bi.md: filter one type)
    assert jaar == (date(2024, 1, 1), date(2024, 12, 31))
    assert mnd == jaar or mnd[0] != date(2024, 1, 1)
    assert tot_en_met == newest[0]
    assert wkt["WK082601"].startswith("POLYGON ((")
    assert wkt["GM0826"] and wkt["VR20"]  # gemeente and region: unions of their wijken


def test_sqlalchemy_duckdb_engine_introspects_columns_with_comments(release: dict) -> None:
    engine = create_engine(f"duckdb:///{release['stable']}", connect_args={"read_only": True}, poolclass=NullPool)
    try:
        inspector = inspect(engine)
        tables = inspector.get_table_names(schema="mart")
        columns = {c["name"]: c for c in inspector.get_columns("fct_indicator_waarde", schema="mart")}
        comment = inspector.get_table_comment("dim_gebied", schema="mart")["text"]
    finally:
        engine.dispose()
    assert {"dim_gebied", "fct_bijdrage", "dim_status", "publicatie"} <= set(tables)
    assert columns["periode_start"]["comment"].startswith("Eerste dag van de periode")
    assert str(columns["periode_eind"]["type"]) == "DATE"
    assert comment.startswith("Gebieden van de referentiegeografie")


def test_shapes_geojson_and_topojson_match_dim_gebied(release: dict) -> None:
    folder = release["folder"]
    with duckdb.connect(str(release["stable"]), read_only=True) as con:
        shaped = dict(
            con.execute("SELECT gebiedcode, niveau FROM mart.dim_gebied WHERE geometrie_wkt IS NOT NULL").fetchall()
        )
    features = json.loads((folder / "gebieden.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["gebiedcode"]: f["properties"]["niveau"] for f in features} == shaped
    wijken = json.loads((folder / "wijken.topo.json").read_text(encoding="utf-8"))
    assert wijken["type"] == "Topology"
    geometries = wijken["objects"]["wijken"]["geometries"]
    assert {g["properties"]["gebiedcode"] for g in geometries} == {c for c, n in shaped.items() if n == "wijk"}
    arc_ids = [i for g in geometries for part in _arc_refs(g) for i in part]
    assert sorted(arc_ids) == list(range(len(wijken["arcs"])))
    gemeenten = json.loads((folder / "gemeenten.topo.json").read_text(encoding="utf-8"))
    assert {g["id"] for g in gemeenten["objects"]["gemeenten"]["geometries"]} == {"GM0744", "GM0826"}


def _arc_refs(geometry: dict) -> list[list[int]]:
    arcs = geometry["arcs"]
    return arcs if geometry["type"] == "Polygon" else [ring for polygon in arcs for ring in polygon]


def test_workbook_has_a_sheet_per_level_definitions_and_statuses(release: dict) -> None:
    book = openpyxl.load_workbook(release["folder"] / "wijkbeeld.xlsx", read_only=True)
    try:
        sheets = ["Toelichting", "Wijken", "Gemeenten", "Regio", "Indicatoren", "Statussen", "Kolommen"]
        assert book.sheetnames == sheets
        wijken = list(book["Wijken"].values)
        gemeenten = list(book["Gemeenten"].values)
        statussen = {row[0] for row in list(book["Statussen"].values)[1:]}
        intro = {row[0]: row[1] for row in book["Toelichting"].values if row and len(row) > 1}
    finally:
        book.close()
    with duckdb.connect(str(release["stable"]), read_only=True) as con:
        assert len(wijken) - 1 == con.execute("SELECT count(*) FROM mart.wijkprofiel").fetchone()[0]
        n_gemeenten = con.execute(
            "SELECT count(DISTINCT (f.gebiedcode, f.periode, f.periode_type)) FROM mart.fct_indicator_waarde f "
            "JOIN mart.dim_gebied g USING (gebiedcode) WHERE g.niveau = 'gemeente'"
        ).fetchone()[0]
    header = wijken[0]
    assert "v05_status" in header and "periode_eind" in header and len(gemeenten) - 1 == n_gemeenten
    assert "v05_status" in gemeenten[0]
    assert {"ok", "onderdrukt", "te_kleine_noemer", "niet_geleverd", "geen_data", "onvoldoende_data"} <= statussen
    assert intro["release"] == release["folder"].name


def test_wijkprofiel_shows_why_a_value_is_empty(release: dict) -> None:
    with duckdb.connect(str(release["stable"]), read_only=True) as con:
        rows = con.execute(
            "SELECT w.v01_waarde, w.v01_status, f.status FROM mart.wijkprofiel w JOIN mart.fct_indicator_waarde f "
            "ON f.gebiedcode = w.gebiedcode AND f.periode = w.periode AND f.periode_type = w.periode_type "
            "AND f.indicator_code = 'V01'"
        ).fetchall()
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'wijkprofiel' AND column_name = 'v01_status'"
        ).fetchone()[0]
    assert rows and all(status == fct for _, status, fct in rows)
    assert all((waarde is None) == (status != "ok") for waarde, status, _ in rows)
    assert {"onderdrukt", "te_kleine_noemer"} <= {status for _, status, _ in rows}  # WK082602, WK082603 (2024)
    assert comment.startswith("Woninginbraken per 1.000 woningen: status")


def test_belangrijkste_indicatoren_quotes_the_largest_contributions(release: dict) -> None:
    with duckdb.connect(str(release["stable"]), read_only=True) as con:
        rows = con.execute(
            "SELECT k.gebiedcode, k.periode, k.periode_type, k.kwetsbaarheidsindex, k.belangrijkste_indicatoren, "
            "sum(b.bijdrage), list(b.indicator_code ORDER BY b.volgorde), "
            "list(round(b.bijdrage, 2) ORDER BY b.volgorde) "
            "FROM mart.fct_kwetsbaarheid k JOIN mart.fct_bijdrage b USING (gebiedcode, periode, periode_type) "
            "GROUP BY ALL"
        ).fetchall()
    assert rows
    for _, _, _, index, sentence, total, codes, bijdragen in rows:
        assert total == pytest.approx(index, abs=2e-3)  # the contributions add up to the index
        parts = sentence.split("; ")
        assert [p.split(" ", 1)[0] for p in parts] == codes[:3]
        assert parts[0].endswith(f"(bijdrage {str(bijdragen[0]).replace('.', ',')})")


def test_geo_union_keeps_the_area_of_its_parts() -> None:
    wijken = geo.load_wijken()
    parts = [shape for gemeente, shape in wijken.values() if gemeente == "GM0855"]

    def area(shape: geo.Shape) -> float:
        return sum(geo._area(ring) for polygon in shape for ring in polygon)

    union = geo.union(parts)
    assert area(union) == pytest.approx(sum(area(p) for p in parts), rel=1e-9)
    assert sum(len(r) for p in union for r in p) < sum(len(r) for s in parts for p in s for r in p)
    assert geo.from_wkt(geo.to_wkt(union)) == union
