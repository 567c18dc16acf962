"""``wijkbeeld.xlsx``: the release as one Excel workbook, for users without a BI tool.

Sheets: ``Toelichting`` (which release, data up to, what is where), ``Wijken`` (the wide table ``wijkprofiel``),
``Gemeenten`` and ``Regio`` (the same layout from ``fct_indicator_waarde``: waarde, index and status per index
indicator), ``Indicatoren`` (``dim_indicator``), ``Statussen`` (``dim_status``) and ``Kolommen`` (every column's
description). Written with openpyxl in write-only mode (streaming), newest period first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from openpyxl import Workbook

LEVEL_SHEETS = {"gemeente": "Gemeenten", "regio": "Regio"}
WIDE_SUFFIXES = {"waarde": "waarde", "index": "index_regio", "status": "status"}


def write_workbook(con: duckdb.DuckDBPyConnection, path: Path, schema: dict, *, release_id: str) -> None:
    """Write the workbook from the release attached as ``rel`` (``schema``: table -> TableSchema)."""
    from openpyxl import Workbook  # heavy: imported when a release is written, not when definitions load

    book = Workbook(write_only=True)
    descriptions: list[tuple[str, str, str]] = []
    _intro(book, con, release_id)

    wijk = schema["wijkprofiel"]
    order = _order([c.name for c in wijk.columns], "gemeentenaam, wijknaam")
    _sheet(book, "Wijken", con, f"SELECT * FROM rel.mart.wijkprofiel ORDER BY {order}")
    descriptions += [("Wijken", c.name, c.comment or "") for c in wijk.columns]

    codes = [c.name.removesuffix("_waarde") for c in wijk.columns if c.name.endswith("_waarde")]
    if "fct_indicator_waarde" in schema and "dim_gebied" in schema and codes:
        for niveau, title in LEVEL_SHEETS.items():
            sql, columns = _wide_sql(schema, niveau, codes)
            _sheet(book, title, con, sql)
            descriptions += [(title, name, text) for name, text in columns]
    for table, title in (("dim_indicator", "Indicatoren"), ("dim_status", "Statussen")):
        if table in schema:
            _sheet(book, title, con, f"SELECT * FROM rel.mart.{table} ORDER BY 1")
            descriptions += [(title, c.name, c.comment or "") for c in schema[table].columns]
    sheet = book.create_sheet("Kolommen")
    sheet.append(["blad", "kolom", "omschrijving"])
    for row in descriptions:
        sheet.append(list(row))
    book.save(path)


def _intro(book: Workbook, con: duckdb.DuckDBPyConnection, release_id: str) -> None:
    sheet = book.create_sheet("Toelichting")
    latest = None
    if con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'rel' AND table_name = 'publicatie' "
        "AND column_name = 'data_tot_en_met'"
    ).fetchone()[0]:
        latest = con.execute(
            "SELECT data_tot_en_met FROM rel.mart.publicatie ORDER BY volgnummer DESC LIMIT 1"
        ).fetchone()
    lines = [
        ["wijkbeeld: cijfers per wijk, gemeente en regio"],
        ["release", release_id],
        ["data tot en met", latest[0] if latest else None],
        [],
        ["Blad", "Inhoud"],
        ["Wijken", "Eén rij per wijk en periode: waarde, index (100 = regiogemiddelde) en status per indicator, "
                   "domeinscores en kwetsbaarheidsindex."],
        ["Gemeenten / Regio", "Dezelfde indeling voor de gemeenten en de regio (zonder index)."],
        ["Indicatoren", "Definitie, eenheid, polariteit en bron van elke indicator."],
        ["Statussen", "Waarom een waarde leeg is: alleen bij status ok staat er een waarde."],
        ["Kolommen", "De betekenis van elke kolom."],
        [],
        ["Perioden", "periode_type jaar = kalenderjaar, 12mnd = de laatste 12 maanden. Het 12-maandsvenster dat in "
                     "december eindigt is hetzelfde als dat kalenderjaar: filter op één periode_type."],
        ["Bron kaartvormen", "CBS / Kadaster (PDOK), via cartomap/nl."],
    ]  # fmt: skip
    for line in lines:
        sheet.append(line)


def _sheet(book: Workbook, title: str, con: duckdb.DuckDBPyConnection, sql: str) -> None:
    cursor = con.execute(sql)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append([d[0] for d in cursor.description])
    while rows := cursor.fetchmany(2000):
        for row in rows:
            sheet.append(list(row))


def _order(columns: list[str], names: str) -> str:
    first = "periode_eind DESC, periode_type, " if "periode_eind" in columns else "periode DESC, periode_type, "
    return first + names


def _wide_sql(schema: dict, niveau: str, codes: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """One row per area of ``niveau`` and period, waarde/index/status per indicator code (as in wijkprofiel, whose
    column descriptions are reused)."""
    facts = {c.name for c in schema["fct_indicator_waarde"].columns}
    areas = {c.name for c in schema["dim_gebied"].columns}
    labels = schema["wijkprofiel"].descriptions()
    period = [c for c in ("periode", "periode_type", "periode_start", "periode_eind") if c in facts]
    columns = [("gebiedcode", "Gebied (zie dim_gebied)."), ("gebiedsnaam", "Naam van het gebied.")]
    columns += [(c, labels.get(c, "Periode (zie fct_indicator_waarde).")) for c in period]
    select = ["g.gebiedcode", "g.gebiedsnaam", *(f"w.{c}" for c in period)]
    if "inwoners" in areas:
        select.append("g.inwoners")
        columns.append(("inwoners", "Aantal inwoners (CBS Kerncijfers, referentiejaar)."))
    for code in codes:
        for suffix, source in WIDE_SUFFIXES.items():
            if source in facts:
                name = f"{code}_{suffix}"
                select.append(f"max(CASE WHEN w.indicator_code = '{code.upper()}' THEN w.{source} END) AS {name}")
                columns.append((name, labels.get(name, f"{code.upper()}: {suffix} (zie fct_indicator_waarde).")))
    sql = (
        f"SELECT {', '.join(select)} FROM rel.mart.fct_indicator_waarde AS w "
        "JOIN rel.mart.dim_gebied AS g ON g.gebiedcode = w.gebiedcode "
        f"WHERE g.niveau = '{niveau}' GROUP BY ALL ORDER BY {_order(period, 'gebiedsnaam')}"
    )
    return sql, columns
