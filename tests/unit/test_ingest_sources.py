"""Ingest of brandweer, GGD, handhaving, veiligheidsmonitor and corporatie: mapping, xlsx, bad inputs, freshness.

Every bad input of the contracts (docs/ingest.md) that applies to these formats has a case here (the CSV cases
of the older datasets are in test_ingest.py). Each case also asserts that ``validate_file`` (the partner-side
check) gives the same verdict as ingest: accepted or refused, with the same reason and the same row counts.
Workbooks are written with openpyxl from the rows below, so a test shows exactly what the sheet holds.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.homes import platform, platform_kw, settings
from tests.unit.test_ingest import FIXTURES, NEXT_YEAR, drop, load_geography, reason_json, rows
from wijkbeeld.ingest import Freshness, all_contracts, freshness, ingest_dataset, validate_file
from wijkbeeld.ingest.contracts import load_contract

GGD_HEADER = ["Gebiedcode", "Gebiednaam", "Indicator", "Percentage", "Ondergrens", "Bovengrens", "Respondenten"]
GGD_LABELS = [
    "Ernstig eenzaam (%)",
    "Hoog risico op angststoornis of depressie (%)",
    "Ervaren gezondheid (zeer) goed (%)",
    "Moeite met rondkomen (%)",
    "Overgewicht (%)",
]
GGD_TITLE = [["Gezondheidsmonitor Volwassenen en Ouderen 2024 - wijkcijfers"], ["Bron: GGD (test)"], []]
HANDHAVING_HEADER = ["Zaaknummer", "Datum", "Feitcategorie", "Afdoening", "Buurtcode", "Postcode"]
CORPORATIE_HEADER = [
    "Postcode", "Verhuureenheden", "Overlastmeldingen", "Woningvervuiling", "Huurachterstand2mnd", "Ontruimingen",
    "Mutaties",
]  # fmt: skip


def ggd_rows() -> list[list]:
    """25 rows: 5 areas x 5 indicators; numbers, text with a decimal comma, and '-' (not published)."""
    out = []
    for area, name in (("WK082601", "Wijk 01"), ("wk082602 ", "Wijk 02"), ("GM0826", "Oosterhout"),
                       ("WK082603", "Wijk 03"), ("082606", "Wijk 06")):  # fmt: skip
        for k, label in enumerate(GGD_LABELS):
            if area == "WK082603":
                out.append([area, name, label, "-", None, None, 31])
            elif k == 1:
                out.append([area, name, label, "7,5", "5,1", "9,9", 240])
            else:
                out.append([area, name, label, 20.0 + k + 0.25, 18.5, 22.5, 240])
    return out


def handhaving_rows() -> list[list]:
    """24 registrations; Buurtcode with prefix, without, as an Excel number, and of an older geography."""
    codes = ["BU08260601", "08260602", 8260603, "bu08260604", "BU08261399", "BU08269901"]
    feiten = ["Afval dumpen", "Afval naast container", "Hondenpoep", "Alcohol openbare ruimte", "Jeugdoverlast",
              "Parkeren", "Overig"]  # fmt: skip
    return [
        [
            f"BOA-2024-{n:05d}",
            datetime(2024, 1 + n % 7, 1 + n),
            feiten[n % 7],
            "Waarschuwing",
            codes[n % 6],
            "4901AA" if n % 2 else None,
        ]
        for n in range(24)
    ]


def corporatie_rows() -> list[list]:
    """41 PC6 rows: three of the test geography, 38 PC6s unknown to the address table (not mapped)."""
    out = [["4901AA", 40, 2, 0, 3, 0, 1], ["4901 ab", 12, 1, 1, 0, 0, 0], ["4902CD", 8, 0, 0, 1, 0, 2]]
    out += [[f"5{n:03d}ZZ", 5, 0, 0, 0, 0, 0] for n in range(38)]
    return out


def xlsx(path: Path, sheet: str, header: list, data: list[list], title: list[list] = ()) -> Path:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in [*title, header, *data]:
        ws.append(row)
    wb.save(path)
    return path


def workbook(dataset: str, name: str | None = None, data: list[list] | None = None, **kw) -> Path:
    """A good workbook of ``dataset`` (optionally other rows/name/header/title/sheet) in a scratch folder."""
    spec = {
        "ggd/gezondheidsmonitor": ("gezondheidsmonitor-2024.xlsx", "wijken", GGD_HEADER, ggd_rows, GGD_TITLE),
        "gemeente/handhaving": ("handhaving-GM0826-2024.xlsx", "registraties", HANDHAVING_HEADER, handhaving_rows, []),
        "corporatie/signalen": (
            "corporatie-woonstichting-noord-2024Q3.xlsx",
            "signalen",
            CORPORATIE_HEADER,
            corporatie_rows,
            [],
        ),
    }[dataset]
    folder = settings().home.parent / "scratch"
    return xlsx(
        folder / (name or spec[0]),
        kw.get("sheet", spec[1]),
        kw.get("header", spec[2]),
        spec[3]() if data is None else data,
        kw.get("title", spec[4]),
    )


def text_file(dataset: str) -> str:
    name = {"brandweer/incidenten": "brandweer-incidenten-202407.csv"}.get(dataset, "veiligheidsmonitor-2024.csv")
    return (FIXTURES / name).read_bytes().decode("utf-8-sig")


def land(dataset: str, source: Path | bytes | str, name: str) -> Path:
    partner, ds = dataset.split("/")
    data = source.read_bytes() if isinstance(source, Path) else source
    return drop(partner, ds, data if isinstance(data, bytes) else data.encode("utf-8"), name)


def verdict_before_ingest(path: Path, dataset: str, tmp: Path):
    """The partner-side verdict on a copy of the landed file (ingest moves the original)."""
    copy = tmp / path.name
    shutil.copyfile(path, copy)
    return validate_file(copy, dataset, **platform_kw())


# ---------------------------------------------------------------- good files


def test_good_files_of_the_new_sources_load_mapped_and_without_personal_data(home: Path, tmp_path: Path) -> None:
    load_geography()
    brw = land("brandweer/incidenten", "\ufeff" + text_file("brandweer/incidenten"), "brandweer-incidenten-202407.csv")
    verdict = verdict_before_ingest(brw, "brandweer/incidenten", tmp_path)
    report = ingest_dataset("brandweer", "incidenten", *platform())
    assert report.files_ingested == [brw.name] and report.rows_accepted == 24 and report.rows_rejected == 0
    assert verdict.accepted and (verdict.rows_accepted, verdict.rows_unmapped) == (24, 4) == (24, report.rows_unmapped)
    got = {r[0]: r[1:] for r in rows("SELECT incident_id, pc6, buurtcode, wijkcode, koppeling, maand FROM "
                                      "raw.raw_brandweer__incidenten")}  # fmt: skip
    assert got["BRW-2024-000090"] == ("4901AA", "BU08260601", "WK082606", "adres", date(2024, 6, 1))
    assert got["BRW-2024-000101"][:4] == ("4901AA", "BU08260602", "WK082606", "adres")
    assert got["BRW-2024-000102"][:4] == ("4901AA", "BU08260601", "WK082606", "pc6_meerderheid")  # no huisnummer
    assert got["BRW-2024-000104"][:4] == ("4902CD", "BU08260604", "WK082606", "pc6_meerderheid")  # unknown number
    assert got["BRW-2024-000105"][:4] == ("9999ZZ", None, None, "niet_gekoppeld")
    cols = {r[0] for r in rows("DESCRIBE raw.raw_brandweer__incidenten")}
    assert not {"huisnummer", "x_rd", "y_rd"} & cols
    assert rows("SELECT rookmelder, ter_plaatse, prioriteit FROM raw.raw_brandweer__incidenten "
                "WHERE incident_id = 'BRW-2024-000090'") == [("afwezig", "ja", 1)]  # fmt: skip

    ggd = land("ggd/gezondheidsmonitor", workbook("ggd/gezondheidsmonitor"), "gezondheidsmonitor-2024.xlsx")
    verdict = verdict_before_ingest(ggd, "ggd/gezondheidsmonitor", tmp_path)
    report = ingest_dataset("ggd", "gezondheidsmonitor", *platform())
    assert report.rows_accepted == 25 and verdict.accepted and verdict.rows_accepted == 25
    values = {(r[0], r[1]): r[2:] for r in rows(
        "SELECT gebiedcode, indicator, percentage, ondergrens, bovengrens, respondenten, jaar, bron_regel "
        "FROM raw.raw_ggd__gezondheidsmonitor")}  # fmt: skip
    assert values[("WK082601", GGD_LABELS[0])] == (20.25, 18.5, 22.5, 240, 2024, 5)  # title rows: header = row 4
    assert values[("WK082602", GGD_LABELS[1])][:3] == (7.5, 5.1, 9.9)  # text with a decimal comma
    assert values[("WK082603", GGD_LABELS[2])][:4] == (None, None, None, 31)  # '-' = not published
    assert ("WK082606", GGD_LABELS[0]) in values  # code without prefix

    hh = land("gemeente/handhaving", workbook("gemeente/handhaving"), "handhaving-GM0826-2024.xlsx")
    verdict = verdict_before_ingest(hh, "gemeente/handhaving", tmp_path)
    report = ingest_dataset("gemeente", "handhaving", *platform())
    assert report.rows_accepted == 24 and report.rows_unmapped == 4 and verdict.rows_unmapped == 4
    got = rows("SELECT buurtcode, wijkcode, koppeling, count(*) FROM raw.raw_gemeente__handhaving GROUP BY ALL "
               "ORDER BY 1")  # fmt: skip
    assert got == [
        ("BU08260601", "WK082606", "buurtcode", 4),
        ("BU08260602", "WK082606", "buurtcode", 4),  # delivered without the BU prefix
        ("BU08260603", "WK082606", "buurtcode", 4),  # an Excel number that lost its leading zero
        ("BU08260604", "WK082606", "buurtcode", 4),
        ("BU08261399", "WK082613", "wijk_uit_buurtcode", 4),
        ("BU08269901", None, "niet_gekoppeld", 4),  # older geography, wijk gone: counted, not dropped
    ]
    first = rows("SELECT datum, maand, gemeentecode, bestand_jaar, zaaknummer_hash FROM raw.raw_gemeente__handhaving "
                 "WHERE bron_regel = 2")  # fmt: skip
    assert first[0][:4] == (date(2024, 1, 1), date(2024, 1, 1), "GM0826", 2024)
    assert len(first[0][4]) == 32 and "BOA" not in first[0][4]  # a pseudonym, not the Zaaknummer
    assert not {"postcode", "zaaknummer"} & {r[0] for r in rows("DESCRIBE raw.raw_gemeente__handhaving")}

    vm = land("gemeente/veiligheidsmonitor", text_file("gemeente/veiligheidsmonitor"), "veiligheidsmonitor-2024.csv")
    verdict = verdict_before_ingest(vm, "gemeente/veiligheidsmonitor", tmp_path)
    report = ingest_dataset("gemeente", "veiligheidsmonitor", *platform())
    assert report.rows_accepted == 24 and verdict.accepted and report.rows_unmapped == 0
    assert rows("SELECT waarde, respondenten FROM raw.raw_gemeente__veiligheidsmonitor WHERE gebiedcode = 'WK082602' "
                "AND indicator LIKE 'Verloedering%'") == [(2.9, 95)]  # fmt: skip
    assert rows("SELECT count(*) FROM raw.raw_gemeente__veiligheidsmonitor WHERE waarde IS NULL") == [(4,)]

    corp = workbook("corporatie/signalen")
    land("corporatie/signalen", corp, corp.name)
    report = ingest_dataset("corporatie", "signalen", *platform())
    assert report.rows_accepted == 41 and report.rows_unmapped == 38
    assert rows("SELECT corporatie, kwartaal, kwartaal_begin, pc6, buurtcode, koppeling, verhuureenheden, "
                "huurachterstand_2mnd FROM raw.raw_corporatie__signalen WHERE pc6 = '4901AB'") == [
        ("woonstichting-noord", "2024Q3", date(2024, 7, 1), "4901AB", "BU08260603", "pc6_meerderheid", 12, 0)
    ]  # fmt: skip
    per_period = rows("SELECT bestand_periode, rijen_niet_gekoppeld FROM meta.leveringen WHERE dataset = 'signalen'")
    assert per_period == [("2024Q3", 38)]


def test_unmapped_rows_of_an_older_geography_are_counted_per_period_and_warned(home: Path) -> None:
    """A code that exists only in an older CBS year loads, but is counted as not mapped (reference = newest)."""
    load_geography()
    old = (FIXTURES / "kwb-2024.csv").read_text(encoding="utf-8")
    old += "WK082699;Oude wijk;Oosterhout;Wijk;100" + ";." * 12 + "\n"
    drop("cbs", "kerncijfers", old, "kwb-2023.csv")
    assert ingest_dataset("cbs", "kerncijfers", *platform()).files_ingested == ["kwb-2023.csv"]
    text = text_file("gemeente/veiligheidsmonitor") + "WK082699;Verloedering (schaalscore 0-10);3,0;70\n"
    drop("gemeente", "veiligheidsmonitor", text, "veiligheidsmonitor-2024.csv")
    report = ingest_dataset("gemeente", "veiligheidsmonitor", *platform())
    assert report.rows_accepted == 25 and report.rows_unmapped == 1
    assert report.unmapped_by_period == {"2024": 1}


def test_freshness_follows_the_contract_cadence(home: Path) -> None:
    import duckdb

    from wijkbeeld.ingest import ensure_warehouse

    load_geography()
    land("brandweer/incidenten", text_file("brandweer/incidenten"), "brandweer-incidenten-202407.csv")
    ingest_dataset("brandweer", "incidenten", *platform())
    contract = load_contract("brandweer", "incidenten")  # monthly, 31 days of grace
    con = duckdb.connect(str(settings().warehouse_file), read_only=True)
    try:
        on_time = freshness(con, contract, date(2024, 10, 1))  # August is due a month + 31 days after July
        late = freshness(con, contract, date(2024, 10, 2))
        never = freshness(con, load_contract("ggd", "gezondheidsmonitor"), date(2024, 10, 1))
    finally:
        con.close()
    assert on_time == Freshness("month", date(2024, 7, 31), date(2024, 10, 1), False)
    assert late is not None and late.overdue and "OVERDUE" in late.text()
    assert never is not None and never.covered_until is None and never.overdue
    con = duckdb.connect(":memory:")
    ensure_warehouse(con, all_contracts())
    assert freshness(con, load_contract("corporatie", "signalen"), date(2024, 1, 1)).text().startswith("no delivery")


# ---------------------------------------------------------------- bad files (quarantine) and bad rows


def _truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


BAD_FILES = [
    # (dataset, landed name, builder -> bytes or Path, words the reason must contain)
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx", lambda: b"", ["empty"]),
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx", lambda: workbook("ggd/gezondheidsmonitor", data=[]),
     ["header but no data rows"]),
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx",
     lambda: workbook("ggd/gezondheidsmonitor", sheet="Blad1"), ["sheet 'wijken' not found", "Blad1"]),
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx",
     lambda: workbook("ggd/gezondheidsmonitor", header=["Code", *GGD_HEADER[1:]]), ["no header row", "Gebiedcode"]),
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx",
     lambda: workbook("ggd/gezondheidsmonitor", header=GGD_HEADER[:-1], data=[r[:-1] for r in ggd_rows()]),
     ["missing required column", "Respondenten"]),
    ("ggd/gezondheidsmonitor", "gezondheidsmonitor-2024.xlsx",
     lambda: ";".join(GGD_HEADER).encode() + b"\nWK082601;x;y;1;2;3;4\n", ["not an Excel workbook", "CSV"]),
    ("gemeente/handhaving", "handhaving-GM0826-2024.xlsx", lambda: _truncated(workbook("gemeente/handhaving")),
     ["damaged or incomplete"]),
    ("gemeente/handhaving", "handhaving_GM0826_2024.xlsx", lambda: workbook("gemeente/handhaving"),
     ["does not match", "handhaving-GM0826-2024.xlsx"]),
    ("gemeente/handhaving", "handhaving-GM9999-2024.xlsx", lambda: workbook("gemeente/handhaving"),
     ["unknown area code GM9999"]),
    ("ggd/gezondheidsmonitor", f"gezondheidsmonitor-{NEXT_YEAR}.xlsx", lambda: workbook("ggd/gezondheidsmonitor"),
     ["future"]),
    ("corporatie/signalen", "corporatie-woonstichting-noord-2014Q4.xlsx", lambda: workbook("corporatie/signalen"),
     ["before 2015-01"]),
    ("corporatie/signalen", "corporatie-woonstichting-noord-2024Q5.xlsx", lambda: workbook("corporatie/signalen"),
     ["does not match"]),
    ("corporatie/signalen", "corporatie-woonstichting-noord-2024Q3.xlsx",
     lambda: workbook("corporatie/signalen", data=[[r[0], "veel", *r[2:]] for r in corporatie_rows()]),
     ["too many bad rows", "not an integer"]),
    ("brandweer/incidenten", "brandweer-incidenten-202407.csv",
     lambda: text_file("brandweer/incidenten").replace(",", ";").encode(), ["wrong delimiter", "';'"]),
    ("brandweer/incidenten", "brandweer-incidenten-202407.csv",
     lambda: text_file("brandweer/incidenten").replace("OMS-melding", "OMS-melding Bréda").encode("cp1252"),
     ["not readable as utf-8", "0xE9", "Windows-1252"]),
    ("gemeente/veiligheidsmonitor", "veiligheidsmonitor-2024.csv",
     lambda: text_file("gemeente/veiligheidsmonitor").replace(",", "."), ["too many bad rows", "not a number"]),
]  # fmt: skip
BAD_IDS = [
    "xlsx-empty", "xlsx-header-only", "xlsx-wrong-sheet", "xlsx-no-header-row", "xlsx-missing-column",
    "csv-renamed-to-xlsx", "xlsx-truncated", "xlsx-bad-name", "xlsx-unknown-gemeente", "xlsx-period-future",
    "xlsx-period-before-2015", "xlsx-quarter-5", "xlsx-text-in-numeric-majority", "brandweer-wrong-delimiter",
    "brandweer-cp1252", "veiligheidsmonitor-decimal-point",
]  # fmt: skip


@pytest.mark.parametrize(("dataset", "name", "build", "words"), BAD_FILES, ids=BAD_IDS)
def test_bad_file_is_quarantined_and_validate_agrees(
    home: Path, tmp_path: Path, dataset: str, name: str, build, words: list[str]
) -> None:
    load_geography()
    built = build()
    path = land(dataset, built, name)
    verdict = verdict_before_ingest(path, dataset, tmp_path)
    partner, ds = dataset.split("/")
    report = ingest_dataset(partner, ds, *platform())

    assert [q.file for q in report.files_quarantined] == [name] and not report.files_ingested
    assert (settings().quarantine / partner / ds / name).is_file() and not path.exists()
    reason = reason_json(partner, ds, name)
    text = json.dumps(reason, ensure_ascii=False).lower()
    for word in words:
        assert word.lower() in text, (word, reason)
    assert reason["expected"] and reason["how_to_fix"]
    assert not verdict.accepted and verdict.reasons == [reason["reason"]]  # the partner sees the same reason
    assert "REFUSED" in verdict.text() and reason["how_to_fix"] in verdict.text()
    assert rows(f"SELECT count(*) FROM raw.raw_{partner}__{ds}") == [(0,)]


BAD_ROWS = [
    # (dataset, row change on the good rows, column, reason fragment); a conflicting key rejects both rows
    ("ggd/gezondheidsmonitor", lambda r: [*r, ["WK082601", "x", GGD_LABELS[0], "veel", 1, 2, 30]],
     "Percentage", "not a number"),
    ("ggd/gezondheidsmonitor", lambda r: [*r, ["WK999999", "x", GGD_LABELS[0], 1, 1, 2, 30]],
     "Gebiedcode", "unknown area code"),
    ("ggd/gezondheidsmonitor", lambda r: [*r, ["WK082607", "x", "Rookt (%)", 1, 1, 2, 30]],
     "Indicator", "unexpected value"),
    ("corporatie/signalen", lambda r: [*r, ["4901AA", 41, 2, 0, 3, 0, 1]], "Postcode", "conflicting duplicate"),
    ("ggd/gezondheidsmonitor", lambda r: [*r, list(r[3])], "Gebiedcode, Indicator", "exact duplicate of row 8"),
    ("corporatie/signalen", lambda r: [*r, ["4902CE", 5, -1, 0, 0, 0, 0]], "Overlastmeldingen", "below the minimum 0"),
    ("corporatie/signalen", lambda r: [*r, ["49O2CE", 5, 1, 0, 0, 0, 0]], "Postcode", "invalid postcode"),
    ("gemeente/handhaving", lambda r: [*r, ["BOA-X", datetime(2025, 1, 3), "Overig", "Waarschuwing", "BU08260601",
                                            None]], "Datum", "after the file's period (2024-12)"),
    ("gemeente/handhaving", lambda r: [*r, ["BOA-Y", "morgen", "Overig", "Waarschuwing", "BU08260601", None]],
     "Datum", "not a valid date"),
    ("gemeente/handhaving", lambda r: [*r, ["BOA-Z", datetime(2024, 3, 3), "Overig", "Waarschuwing", "WK082601",
                                            None]], "Buurtcode", "invalid area code"),
]  # fmt: skip


@pytest.mark.parametrize(("dataset", "change", "column", "reason"), BAD_ROWS)
def test_a_bad_row_in_a_workbook_is_rejected_with_its_row_and_validate_agrees(
    home: Path, tmp_path: Path, dataset: str, change, column: str, reason: str
) -> None:
    load_geography()
    good = {"ggd/gezondheidsmonitor": ggd_rows, "corporatie/signalen": corporatie_rows,
            "gemeente/handhaving": handhaving_rows}[dataset]()  # fmt: skip
    name = workbook(dataset).name
    path = land(dataset, workbook(dataset, data=change(good)), name)
    verdict = verdict_before_ingest(path, dataset, tmp_path)
    partner, ds = dataset.split("/")
    report = ingest_dataset(partner, ds, *platform())
    n_bad = 2 if "conflicting" in reason else 1
    assert report.files_ingested == [path.name] and report.rows_rejected == n_bad
    first_row = 5 if dataset.startswith("ggd") else 2  # the GGD sheet has a title block of three rows
    bad = rows("SELECT regel, kolom, reden FROM meta.afgewezen_rijen")
    assert len(bad) == n_bad and bad[-1][1] == column and reason in bad[-1][2], bad
    assert bad[-1][0] == first_row + len(good)  # the Excel row number of the added row
    assert verdict.accepted and (verdict.rows_accepted, verdict.rows_rejected) == (report.rows_accepted, n_bad)
    assert verdict.bad_rows[0].reason == bad[0][2] and verdict.bad_rows[0].line == bad[0][0]


def test_extra_columns_and_header_case_in_a_workbook_are_tolerated(home: Path, tmp_path: Path) -> None:
    load_geography()
    header = [*(h.upper() for h in GGD_HEADER), "Opmerking"]
    book = workbook("ggd/gezondheidsmonitor", header=header, data=[[*r, "vrije tekst"] for r in ggd_rows()])
    path = land("ggd/gezondheidsmonitor", book, book.name)
    verdict = verdict_before_ingest(path, "ggd/gezondheidsmonitor", tmp_path)
    assert verdict.accepted and any("Opmerking" in n for n in verdict.notes)
    assert ingest_dataset("ggd", "gezondheidsmonitor", *platform()).rows_accepted == 25


# ---------------------------------------------------------------- deliveries


def test_a_workbook_still_being_written_is_left_alone_until_it_settles(home: Path, monkeypatch) -> None:
    load_geography()
    monkeypatch.setenv("WIJKBEELD_SETTLE_SECONDS", "3600")
    half = land("gemeente/handhaving", _truncated(workbook("gemeente/handhaving")), "handhaving-GM0826-2024.xlsx")
    report = ingest_dataset("gemeente", "handhaving", *platform())
    assert report.files_waiting == [half.name] and not report.files_quarantined and half.exists()
    half.write_bytes(workbook("gemeente/handhaving").read_bytes())  # the copy completes
    an_hour_ago = time.time() - 3700
    os.utime(half, (an_hour_ago, an_hour_ago))
    assert ingest_dataset("gemeente", "handhaving", *platform()).files_ingested == [half.name]


def test_the_same_workbook_twice_changes_nothing(home: Path) -> None:
    load_geography()
    book = workbook("corporatie/signalen")
    land("corporatie/signalen", book, book.name)
    ingest_dataset("corporatie", "signalen", *platform())
    land("corporatie/signalen", book, book.name)
    report = ingest_dataset("corporatie", "signalen", *platform())
    assert report.files_already_ingested == [book.name] and not report.files_ingested
    assert rows("SELECT count(*), count(DISTINCT levering_id) FROM raw.raw_corporatie__signalen") == [(41, 1)]


def _newest(dataset: str, columns: str) -> list[tuple]:
    """Rows that win downstream: per the contract's newest_wins_per key, the highest levering_id (the logic of
    the dbt macro nieuwste_levering)."""
    contract = load_contract(*dataset.split("/"))
    key = ", ".join(contract.newest_wins_per)
    return rows(
        f"SELECT {columns} FROM raw.{contract.raw_table} "
        f"QUALIFY levering_id = max(levering_id) OVER (PARTITION BY {key}) ORDER BY ALL"
    )


def test_a_redelivery_revising_earlier_months_replaces_exactly_those_keys(home: Path) -> None:
    load_geography()
    july = (FIXTURES / "misdrijven-202407.csv").read_text(encoding="utf-8")
    drop("politie", "misdrijven", july)
    ingest_dataset("politie", "misdrijven", *platform())
    before = {r[:2]: r[2] for r in _newest("politie/misdrijven", "wijken_en_buurten, maand, levering_id")}
    header, *lines = july.rstrip("\n").split("\n")
    revised = [ln.rsplit(";", 1)[0] + ";77" for ln in lines if "2024MM07" in ln and "wk082601" in ln.lower()]
    assert revised
    august = [ln.replace("2024MM07", "2024MM08") for ln in lines if "2024MM07" in ln]
    drop("politie", "misdrijven", "\n".join([header, *revised, *august]) + "\n", "misdrijven-202408.csv")
    assert ingest_dataset("politie", "misdrijven", *platform()).files_ingested == ["misdrijven-202408.csv"]
    after = _newest("politie/misdrijven", "wijken_en_buurten, maand, levering_id, geregistreerde_misdrijven")
    won = {(w, m): (lev, n) for w, m, lev, n in after}
    assert {n for (w, m), (lev, n) in won.items() if (w, m) == ("WK082601", date(2024, 7, 1))} == {77}
    for (w, m), lev in before.items():  # every other (area, month) key keeps the first delivery
        if (w, m) != ("WK082601", date(2024, 7, 1)):
            assert won[(w, m)][0] == lev, (w, m)
    assert {lev for (w, m), (lev, _) in won.items() if m == date(2024, 8, 1)} == {4}  # kwb 1, adressen 2, July 3

    land("brandweer/incidenten", text_file("brandweer/incidenten"), "brandweer-incidenten-202407.csv")
    ingest_dataset("brandweer", "incidenten", *platform())
    fix = "incident_id,melding_tijd,incidentsoort,prioriteit,ter_plaatse,pc6,huisnummer,x_rd,y_rd,rookmelder\n"
    fix += "BRW-2024-000101,2024-07-01T01:41:00,Buitenbrand,3,nee,4901AA,16,,,\n"
    fix += "BRW-2024-000200,2024-08-02T10:00:00,Loos alarm,2,ja,4902CD,1,,,\n"
    land("brandweer/incidenten", fix, "brandweer-incidenten-202408.csv")
    ingest_dataset("brandweer", "incidenten", *platform())
    newest = {r[0]: r[1:] for r in _newest("brandweer/incidenten", "incident_id, prioriteit, ter_plaatse")}
    assert newest["BRW-2024-000101"] == (3, "nee") and newest["BRW-2024-000102"][1] == "ja"
    assert len(newest) == 25  # 24 of July, one new; the revised incident counted once


def test_a_redelivered_yearly_workbook_replaces_the_earlier_one_as_a_whole(home: Path) -> None:
    load_geography()
    rows_until_june = [r for r in handhaving_rows() if r[1].month <= 6]
    land("gemeente/handhaving", workbook("gemeente/handhaving", data=rows_until_june), "handhaving-GM0826-2024.xlsx")
    ingest_dataset("gemeente", "handhaving", *platform())
    land("gemeente/handhaving", workbook("gemeente/handhaving"), "handhaving-GM0826-2024.xlsx")  # the year so far
    assert ingest_dataset("gemeente", "handhaving", *platform()).files_ingested == ["handhaving-GM0826-2024.xlsx"]
    newest = _newest("gemeente/handhaving", "levering_id, zaaknummer_hash")
    assert len(newest) == 24 and {lev for lev, _ in newest} == {4}  # kwb 1, adressen 2, first workbook 3
    assert rows("SELECT count(*) FROM raw.raw_gemeente__handhaving") == [(len(rows_until_june) + 24,)]
