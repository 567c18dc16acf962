"""Hostile files and careless partners (issue 12): nothing lost in silence, nothing that stops every night,
nothing let in.

Every case is a file written by the test (none is committed). The rules checked throughout: a file is either
loaded completely or refused as a whole with a reason that says what and where (never which personal data);
row counts add up per file (read = accepted + rejected); one bad file never stops the others; resources per
file are bounded by settings; no symlink is followed out of landing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.homes import platform, platform_kw, settings, warehouse
from tests.unit.test_ingest import drop, load_geography, reason_json, rows
from wijkbeeld.ingest import ingest_dataset, validate_file

MELDINGEN_HEADER = (
    "MeldingNr;DatumMelding;Categorie;Subcategorie;Omschrijving;Straat;Huisnummer;Postcode;Status;DatumAfgehandeld"
)
SECRET = "Jansen-Geheim-4711"  # stands for personal data: it must never reach a record, log or error text


def melding(n: int, omschrijving: str = f"buren {SECRET} maken ruzie") -> str:
    return f"M2024-{n:05d};{1 + n % 28:02d}-06-2024 08:00;Afval;Sub;{omschrijving};Kerkstraat {SECRET};3;4901AA;Open;"


def meldingen_text(n_rows: int, special: dict[int, str] | None = None) -> str:
    """A meldingen file of ``n_rows`` data rows; ``special`` replaces data row k (1-based) by its own text."""
    lines = [MELDINGEN_HEADER]
    for k in range(1, n_rows + 1):
        lines.append((special or {}).get(k, melding(k)))
    return "\n".join(lines) + "\n"


def drop_meldingen(text: str, month: int = 7, gemeente: str = "GM0826") -> Path:
    return drop("gemeente", "meldingen", text, f"meldingen-{gemeente}-2024{month:02d}.csv")


def leveringen() -> dict[str, tuple[int, int]]:
    """File -> (rows accepted, rows rejected) of every delivery."""
    got = rows(
        "SELECT bron_bestand, rijen_geaccepteerd, rijen_afgewezen FROM meta.leveringen WHERE dataset = 'meldingen'"
    )
    return {name: (acc, rej) for name, acc, rej in got}


def loaded_lines(name: str) -> list[int]:
    return [r[0] for r in rows("SELECT bron_regel FROM raw.raw_gemeente__meldingen WHERE bron_bestand = ?", [name])]


def no_secret_anywhere() -> None:
    """The planted personal data is in no quarantine record, log line or warehouse table."""
    s = settings()
    for path in [*s.quarantine.rglob("*.reason.json"), *s.logs.glob("*")]:
        assert SECRET not in path.read_text(encoding="utf-8"), path
    details = rows("SELECT coalesce(string_agg(reden || details, ''), '') FROM meta.quarantaine")[0][0]
    assert SECRET not in details
    assert rows("SELECT count(*) FROM meta.afgewezen_rijen WHERE contains(waarde, ?)", [SECRET]) == [(0,)]


# ---------------------------------------------------------------- 1. one stray quote


def test_a_quote_inside_a_value_loads_every_row_of_the_file_and_its_neighbour(home: Path, tmp_path: Path) -> None:
    """`tv van 32" bij container` is a literal quote: DuckDB and the line pass agree, nothing is lost."""
    load_geography()
    stray = drop_meldingen(meldingen_text(378, {10: melding(10, 'tv van 32" bij container')}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(stray, tmp_path), **platform_kw())

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [stray.name, neighbour.name] and not report.files_quarantined
    assert leveringen() == {stray.name: (378, 0), neighbour.name: (5, 0)}
    assert loaded_lines(stray.name) == list(range(2, 380))
    assert loaded_lines(neighbour.name) == list(range(2, 7))
    assert verdict.accepted and (verdict.rows_total, verdict.rows_accepted) == (378, 378)


def test_an_unterminated_quote_refuses_the_file_with_its_line_and_the_batch_goes_on(home: Path, tmp_path: Path) -> None:
    """A value that opens a quote and never closes it would swallow the rest of the file: refused whole."""
    load_geography()
    bad = drop_meldingen(meldingen_text(378, {10: melding(10, '"32 inch tv bij container')}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(bad, tmp_path), **platform_kw())

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [neighbour.name]
    assert [q.file for q in report.files_quarantined] == [bad.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert "quote" in reason["reason"] and "line 11" in reason["reason"], reason
    assert leveringen() == {neighbour.name: (5, 0)} and loaded_lines(neighbour.name) == list(range(2, 7))
    assert not verdict.accepted and verdict.reasons == [reason["reason"]]
    no_secret_anywhere()


def test_a_quote_after_a_closed_value_rejects_that_row_only_and_counts_add_up(home: Path) -> None:
    load_geography()
    text = meldingen_text(40, {7: melding(7, '"tv van 32"bij container')})
    path = drop_meldingen(text)

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [path.name]
    assert leveringen() == {path.name: (39, 1)}
    assert 8 not in loaded_lines(path.name) and len(loaded_lines(path.name)) == 39
    assert rows("SELECT regel, waarde FROM meta.afgewezen_rijen") == [(8, None)]


def test_a_multi_line_value_over_the_line_limit_is_refused_with_its_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", "20000")
    load_geography()
    long_value = '"' + "\n".join(["bla " * 100] * 60) + '"'  # 24 KB over 60 lines, properly closed
    bad = drop_meldingen(meldingen_text(250, {200: melding(200, long_value)}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [neighbour.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert "line 201" in reason["reason"] and "20000" in reason["reason"], reason
    assert "WIJKBEELD_MAX_LINE_BYTES" in reason["how_to_fix"]
    assert leveringen() == {neighbour.name: (5, 0)}


def test_a_carriage_return_inside_a_line_is_refused_not_a_crash(home: Path) -> None:
    load_geography()
    bad = drop_meldingen(meldingen_text(30, {4: melding(4, "oude\rmac")}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [neighbour.name]
    assert "line 5" in reason_json("gemeente", "meldingen", bad.name)["reason"]


def test_the_reader_and_the_line_pass_must_agree_or_the_file_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Safety net: if the line pass ever misjudges a quote, the file is refused, not loaded short or mixed up."""
    from wijkbeeld.ingest.readers import csv as reader

    load_geography()
    quotes = {10: melding(10, 'tv van 32" bij container'), 20: melding(20, '28" scherm')}
    bad = drop_meldingen(meldingen_text(40, quotes), month=6)
    neighbour = drop_meldingen(meldingen_text(12), month=7)
    real = reader.quote_state

    def old_rule(text: str, in_quote: bool, delimiter: str, quote: str) -> tuple[bool, bool]:
        """The rule before issue 12: an odd number of quotes on a line toggles 'inside a quote'."""
        if quote not in text:
            return real(text, in_quote, delimiter, quote)
        return (not in_quote if text.count(quote) % 2 else in_quote), False

    monkeypatch.setattr(reader, "quote_state", old_rule)
    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [neighbour.name] and [q.file for q in report.files_quarantined] == [bad.name]
    assert "read consistently" in reason_json("gemeente", "meldingen", bad.name)["reason"]
    assert leveringen() == {neighbour.name: (12, 0)} and loaded_lines(neighbour.name) == list(range(2, 14))


# ---------------------------------------------------------------- 5. personal data in quarantine records


def test_a_file_without_its_header_row_keeps_its_first_row_out_of_the_records(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_geography()
    path = drop_meldingen(meldingen_text(20).split("\n", 1)[1])  # the first line is a melding, not the header

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert [q.file for q in report.files_quarantined] == [path.name]
    reason = reason_json("gemeente", "meldingen", path.name)
    assert reason["reason"].startswith("missing required column(s): ")
    assert reason["details"]["found"] == [] and reason["details"]["other_columns"] == 10
    no_secret_anywhere()
    assert SECRET not in caplog.text


# ---------------------------------------------------------------- 3. a wide header; 8. no line breaks


def test_a_header_with_20000_extra_columns_is_refused_with_the_limit(home: Path, tmp_path: Path) -> None:
    load_geography()
    wide = MELDINGEN_HEADER + "".join(f";extra{k}" for k in range(20_000))
    bad = drop_meldingen(meldingen_text(3).replace(MELDINGEN_HEADER, wide), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(bad, tmp_path), **platform_kw())

    report = ingest_dataset("gemeente", "meldingen", *platform())

    assert report.files_ingested == [neighbour.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert reason["reason"] == "the header has 20010 columns, more than the limit of 1000"
    assert "WIJKBEELD_MAX_COLUMNS" in reason["how_to_fix"] and "extra1" not in json.dumps(reason)
    assert verdict.reasons == [reason["reason"]]


def test_a_file_without_line_breaks_is_never_read_into_memory_whole(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", "100000")
    load_geography()
    one_line = MELDINGEN_HEADER + ";" + "x" * 4_000_000  # 4 MB, not one line break
    path = tmp_path / "meldingen-GM0826-202406.csv"
    path.write_text(one_line, encoding="cp1252")

    tracemalloc.start()
    verdict = validate_file(path, **platform_kw())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert verdict.reasons == ["line 1 is longer than 100000 bytes (a file without line breaks?)"]
    assert peak < 2_000_000, peak
    drop("gemeente", "meldingen", path.read_bytes(), path.name)
    assert [q.file for q in ingest_dataset("gemeente", "meldingen", *platform()).files_quarantined] == [path.name]


# ---------------------------------------------------------------- 4. Excel: bounded by the cells really there


def handhaving_workbook(name: str = "handhaving-GM0826-2024.xlsx", data: list[list] | None = None) -> Path:
    from tests.unit.test_ingest_sources import workbook

    return workbook("gemeente/handhaving", name, data)


def rewrite_part(path: Path, part: str, change) -> Path:
    """Change one XML part of a workbook (``change(bytes) -> bytes``); a new part when it is not there."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        items = {i.filename: src.read(i.filename) for i in src.infolist()}
    items[part] = change(items.get(part, b""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in items.items():
            dst.writestr(name, data)
    return path


SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_strings(path: Path, table: bytes | None = None) -> Path:
    """Store the sheet's texts as shared strings, as Excel does (openpyxl writes them inline); ``table``
    replaces the shared-strings part it writes."""
    import re

    strings: list[bytes] = []

    def to_shared(m: re.Match[bytes]) -> bytes:
        strings.append(m.group(2))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (m.group(1), len(strings) - 1)

    inline = rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>'
    rewrite_part(path, SHEET, lambda xml: re.sub(inline, to_shared, xml))
    items = b"".join(b"<si><t>%s</t></si>" % s for s in strings)
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s</sst>' % items
    rewrite_part(path, "xl/sharedStrings.xml", lambda _: table or sst)
    override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s" /></Types>' % SHARED_STRINGS_TYPE
    return rewrite_part(path, "[Content_Types].xml", lambda xml: xml.replace(b"</Types>", override))


def ingest_handhaving(path: Path) -> tuple[object, object]:
    """validate_file on the workbook, then ingest it from landing: (verdict, report)."""
    verdict = validate_file(path, **platform_kw())
    drop("gemeente", "handhaving", path.read_bytes(), path.name)
    return verdict, ingest_dataset("gemeente", "handhaving", *platform())


def quarantine_reason(path: Path) -> str:
    return reason_json("gemeente", "handhaving", path.name)["reason"]


def test_a_false_dimension_and_a_gap_cost_only_the_cells_that_are_there(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """<dimension ref="A1:XFD1048576"/> made openpyxl pad every row to 16,384 cells and add a million rows."""
    import re

    from tests.unit.test_ingest_sources import handhaving_rows
    from wijkbeeld.ingest.readers import xlsx as reader

    load_geography()
    data = handhaving_rows()
    path = with_shared_strings(handhaving_workbook(data=[*data[:10], [], *data[10:]]))  # row 12 is a gap
    rewrite_part(path, SHEET, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml))
    converted = []
    real = reader.xlsx_cell
    monkeypatch.setattr(reader, "xlsx_cell", lambda v, d: converted.append(1) or real(v, d))

    verdict, report = ingest_handhaving(path)

    assert verdict.accepted and verdict.rows_total == 24 and report.files_ingested == [path.name]
    assert len(converted) < 2 * 6 * 26, len(converted)  # 26 rows of 6 cells, read twice (validate + ingest)


def test_a_cell_far_to_the_right_is_refused_with_its_row(home: Path) -> None:
    from openpyxl import load_workbook

    load_geography()
    path = handhaving_workbook()
    wb = load_workbook(path)
    wb.active.cell(row=5, column=16_384, value="x")
    wb.save(path)

    verdict, _ = ingest_handhaving(path)

    reason = "row 5 has a cell in column 16384, beyond the limit of 1000 columns"
    assert verdict.reasons == [reason] and quarantine_reason(path) == reason


def test_rows_out_of_order_are_refused_not_dropped(home: Path) -> None:
    """openpyxl silently skips a row numbered lower than the one before it."""
    load_geography()
    path = rewrite_part(handhaving_workbook(), SHEET, lambda xml: xml.replace(b'<row r="6"', b'<row r="3"'))

    verdict, _ = ingest_handhaving(path)

    assert "row number 3 after row 5" in quarantine_reason(path) and not verdict.accepted


def test_more_cells_than_the_limit_are_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_MAX_CELLS", "100")
    load_geography()
    path = handhaving_workbook()  # 25 rows of up to 6 cells

    verdict, _ = ingest_handhaving(path)

    assert quarantine_reason(path).startswith("the workbook has more than 100 cells (reached at row ")
    assert verdict.reasons == [quarantine_reason(path)]


def test_shared_strings_are_counted_before_openpyxl_loads_them(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    from tests.unit.test_ingest_sources import handhaving_rows

    monkeypatch.setenv("WIJKBEELD_MAX_SHARED_STRINGS", "100")
    load_geography()
    many = [[f"BOA-2024-{n:05d}", *row[1:]] for n, row in enumerate(handhaving_rows() * 5)]
    path = with_shared_strings(handhaving_workbook(data=many))  # 120 distinct case numbers
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened the workbook"))

    verdict, _ = ingest_handhaving(path)

    reason = "the workbook has more than 100 different texts (shared strings)"
    assert verdict.reasons == [reason] and quarantine_reason(path) == reason


def test_the_unpacked_size_is_checked_before_opening(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_MAX_XLSX_MB", "1")
    load_geography()
    path = rewrite_part(handhaving_workbook(), "xl/padding.xml", lambda _: b"<a>" + b" " * 3_000_000 + b"</a>")

    verdict, _ = ingest_handhaving(path)

    assert quarantine_reason(path) == "the workbook unpacks to 3 MB, more than the limit of 1 MB"
    assert verdict.reasons == [quarantine_reason(path)]


def test_entity_declarations_are_refused_by_defusedxml(home: Path) -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
    load_geography()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>'
    )
    path = with_shared_strings(handhaving_workbook(), laughs)

    verdict, _ = ingest_handhaving(path)

    assert "declares entities" in quarantine_reason(path) and not verdict.accepted


def test_an_encrypted_workbook_is_named_as_such(home: Path, tmp_path: Path) -> None:
    load_geography()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000) + "EncryptedPackage".encode("utf-16-le") + bytes(600)
    path = tmp_path / "handhaving-GM0826-2024.xlsx"
    path.write_bytes(ole)

    verdict, _ = ingest_handhaving(path)

    assert quarantine_reason(path).startswith("file is a password-protected (encrypted) Excel workbook")
    assert not verdict.accepted


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_that_takes_too_long_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """The clock is the test's: every look at it is 1000 s later (no test waits for real)."""
    import itertools
    import time
    from types import SimpleNamespace

    from wijkbeeld.ingest.readers import csv, xlsx

    load_geography()
    if kind == "csv":
        path = drop_meldingen(meldingen_text(5000))
    else:
        path = handhaving_workbook()
        drop("gemeente", "handhaving", path.read_bytes(), path.name)
    ticks = itertools.count(step=1000)
    clock = SimpleNamespace(monotonic=lambda: next(ticks), time=time.time)
    monkeypatch.setattr(csv if kind == "csv" else xlsx, "time", clock)

    report = ingest_dataset("gemeente", path.name.split("-")[0], *platform())

    assert [q.file for q in report.files_quarantined] == [path.name]
    assert "took longer than 900 s" in report.files_quarantined[0].reason


# ---------------------------------------------------------------- 2. long names; 10. names, folders, junk


def misdrijven_text() -> str:
    from tests.unit.test_ingest import fixture_text

    return fixture_text("politie", "misdrijven")


def test_names_too_long_for_their_marker_reason_or_archive_name_do_not_stop_the_run(home: Path) -> None:
    from wijkbeeld.ingest import settled_files

    load_geography()
    folder = settings().landing / "politie" / "misdrijven"
    long_names = [f"misdrijven-202407-{'x' * (n - 22)}.csv" for n in (240, 244, 247, 255)]
    for name in long_names:
        drop("politie", "misdrijven", "junk", name)
    corporatie = f"corporatie-{'a' * 210}-2024Q3.xlsx"  # matches the pattern, 233 bytes
    drop("corporatie", "signalen", b"junk", corporatie)
    good = drop("politie", "misdrijven", misdrijven_text())

    assert len(settled_files(folder, 0).ready) == 5
    report = ingest_dataset("politie", "misdrijven", *platform())

    assert report.files_ingested == [good.name]
    assert sorted(q.file for q in report.files_quarantined) == sorted(long_names)
    for q in report.files_quarantined:
        stored = settings().home / q.path
        assert stored.is_file() and len(stored.name.encode()) <= 200
        assert _json(stored.with_name(stored.name + ".reason.json"))["file"] == q.file
        assert "bytes long, more than 200" in q.reason
    (refused,) = ingest_dataset("corporatie", "signalen", *platform()).files_quarantined
    assert refused.reason.endswith("is 233 bytes long, more than 200")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("misdrijven-202407.csv\n", "is not plain text"),
        ("misdrijven-٢٠٢٤٠٧.csv", "does not match the agreed pattern"),  # Arabic-Indic digits: int() reads them
        ("misdrijven-202407.csv ", "does not match the agreed pattern"),
    ],
)
def test_a_name_must_match_the_pattern_exactly_and_in_ascii_digits(home: Path, name: str, why: str) -> None:
    from wijkbeeld.ingest.contracts import contract_for_name

    load_geography()
    drop("politie", "misdrijven", misdrijven_text(), name)

    report = ingest_dataset("politie", "misdrijven", *platform())

    assert not report.files_ingested and len(report.files_quarantined) == 1
    assert why in report.files_quarantined[0].reason
    assert contract_for_name(name) is None


def test_bytes_already_delivered_under_another_name_still_need_a_good_name(home: Path) -> None:
    load_geography()
    drop("politie", "misdrijven", misdrijven_text())
    assert ingest_dataset("politie", "misdrijven", *platform()).files_ingested == ["misdrijven-202407.csv"]
    drop("politie", "misdrijven", misdrijven_text(), "gestolen.csv")

    report = ingest_dataset("politie", "misdrijven", *platform())

    assert not report.files_already_ingested and [q.file for q in report.files_quarantined] == ["gestolen.csv"]
    assert not any("gestolen" in p.name for p in (settings().archive / "politie" / "misdrijven").iterdir())


def test_a_folder_named_like_a_data_file_is_reported_not_skipped_silently(home: Path) -> None:
    from assets.partners import report_metadata

    load_geography()
    (settings().landing / "politie" / "misdrijven" / "misdrijven-202406.csv").mkdir(parents=True)
    drop("politie", "misdrijven", misdrijven_text())

    report = ingest_dataset("politie", "misdrijven", *platform())

    assert report.files_ingested == ["misdrijven-202407.csv"]
    assert report.files_skipped == [("misdrijven-202406.csv", report.files_skipped[0][1])]
    assert "a folder, not a file" in report.files_skipped[0][1]
    assert report_metadata(report)["files_skipped"] == 1


def test_fifty_thousand_junk_files_cost_little_each_and_log_one_line(
    home: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 50,000 of the issue, scaled down: junk is refused on its name (never decoded), logged in one line."""
    import logging

    from assets.partners import report_metadata
    from wijkbeeld.ingest import landing, readers

    load_geography()
    folder = settings().landing / "politie" / "misdrijven"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(300):
        (folder / f"rommel-{n:05d}.txt").write_text("junk")
    drop("politie", "misdrijven", misdrijven_text())
    decoded = []
    real = readers.prepare
    monkeypatch.setattr(readers, "prepare", lambda path, *a: decoded.append(path.name) or real(path, *a))

    with caplog.at_level(logging.INFO, logger="wijkbeeld.ingest"):
        report = ingest_dataset("politie", "misdrijven", *platform())

    assert report.files_ingested == ["misdrijven-202407.csv"] and len(report.files_quarantined) == 300
    assert decoded == ["misdrijven-202407.csv"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == landing.LOGGED_FILES + 1 and "280 more file(s) quarantined" in warnings[-1].getMessage()
    meta = report_metadata(report)
    assert meta["files_quarantined"] == 300 and len(meta["quarantine"].value) == 100
    assert rows("SELECT count(*) FROM meta.quarantaine") == [(300,)]


def test_formula_like_text_is_rejected_before_it_reaches_a_table_users_export_to_excel(home: Path) -> None:
    load_geography()
    lines = misdrijven_text().rstrip("\n").split("\n")
    formula = '=HYPERLINK("http://example.invalid/x","klik")'
    lines[5] = ";".join([lines[5].split(";")[0], formula, *lines[5].split(";")[2:]])
    lines[6] = ";".join([lines[6].split(";")[0], "@SUM(A1)", *lines[6].split(";")[2:]])
    drop("politie", "misdrijven", "\n".join(lines) + "\n")  # 2 of 40 rows: the file loads

    report = ingest_dataset("politie", "misdrijven", *platform())

    assert report.files_ingested == ["misdrijven-202407.csv"] and report.rows_rejected == 2
    got = rows("SELECT regel, kolom, reden FROM meta.afgewezen_rijen ORDER BY regel")
    assert [(r[0], r[1]) for r in got] == [(6, "SoortMisdrijf"), (7, "SoortMisdrijf")]
    assert all("formula" in r[2] for r in got)
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven WHERE regexp_matches(soort_misdrijf, '^[=@]')") == [
        (0,)
    ]


def test_validate_uses_the_duckdb_memory_cap(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wijkbeeld.warehouse import Warehouse

    monkeypatch.setenv("WIJKBEELD_DUCKDB_MEMORY_LIMIT", "123MB")
    seen = []
    real = Warehouse.configure

    def spy(self, con, spill_dir=None):
        real(self, con, spill_dir)
        seen.append(con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone())

    monkeypatch.setattr(Warehouse, "configure", spy)
    path = tmp_path / "misdrijven-202407.csv"
    path.write_text(misdrijven_text())

    assert validate_file(path, **platform_kw()).accepted
    ((limit, spill),) = seen
    assert limit.startswith("117.3 MiB") and "wijkbeeld-validate-" in spill


# ---------------------------------------------------------------- 6. symbolic links are never followed


def test_a_link_to_a_file_is_quarantined_as_a_link_and_its_target_never_read(home: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from wijkbeeld.housekeeping import apply_archive_retention

    load_geography()
    secret = tmp_path / "elders" / "misdrijven-202407.csv"
    secret.parent.mkdir()
    secret.write_text(misdrijven_text())
    folder = settings().landing / "politie" / "misdrijven"
    folder.mkdir(parents=True)
    (folder / "misdrijven-202406.csv").symlink_to(secret)

    report = ingest_dataset("politie", "misdrijven", *platform())

    (q,) = report.files_quarantined
    assert "is a symbolic link" in q.reason and not report.files_ingested
    moved = settings().home / q.path
    assert moved.is_symlink() and secret.read_text() == misdrijven_text()  # the link moved, not its target
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven") == [(0,)]
    assert _json(moved.with_name(moved.name + ".reason.json"))["sha256"] is None
    secret.unlink()  # the link now points nowhere: retention still removes it (and never follows it)
    removed = apply_archive_retention(settings(), warehouse(), now=datetime.now(UTC) + timedelta(days=400))
    assert q.path in removed and not os.path.lexists(moved)


@pytest.mark.parametrize("linked", ["dataset", "partner"])
def test_a_linked_landing_folder_is_never_read_nor_emptied(home: Path, tmp_path: Path, linked: str) -> None:
    """An upload account aimed landing/politie/misdrijven at another folder: every file there went to quarantine."""
    load_geography()
    elsewhere = tmp_path / "andere-partner"
    target = elsewhere / "misdrijven" if linked == "partner" else elsewhere
    target.mkdir(parents=True)
    (target / "misdrijven-202407.csv").write_text(misdrijven_text())
    (target / "rommel.txt").write_text("x")
    landing = settings().landing
    landing.mkdir(parents=True, exist_ok=True)
    if linked == "partner":
        (landing / "politie").symlink_to(elsewhere)
    else:
        (landing / "politie").mkdir()
        (landing / "politie" / "misdrijven").symlink_to(elsewhere)

    report = ingest_dataset("politie", "misdrijven", *platform())

    assert not report.files_ingested and not report.files_quarantined
    assert report.files_skipped and "symbolic link" in report.files_skipped[0][1]
    assert sorted(p.name for p in target.iterdir()) == ["misdrijven-202407.csv", "rommel.txt"]


def test_a_file_swapped_for_a_link_after_the_listing_is_not_opened(tmp_path: Path) -> None:
    from wijkbeeld.ingest.readers.common import open_file as _open_file

    target = tmp_path / "target.csv"
    target.write_text("x")
    (tmp_path / "link.csv").symlink_to(target)
    with pytest.raises(OSError):
        _open_file(tmp_path / "link.csv")


# ---------------------------------------------------------------- 11. the gate and the warehouse: no bypass


def _materialize(assets: list, checks: list = (), instance=None):
    from dagster import DagsterInstance, materialize

    from orchestration.resources import resources

    with DagsterInstance.ephemeral() as ephemeral:
        return materialize(
            [*assets, *checks],
            instance=instance or ephemeral,
            resources=resources(),
            raise_on_error=False,
        )


def _failure(result) -> str:
    """Why a run failed: its failed step's error, or the run's own (a resource that could not start)."""
    from wijkbeeld.notify import error_text

    steps = result.get_step_failure_events()
    error = (steps[0] if steps else result.get_run_failure_event()).event_specific_data.error
    return error_text(error)


def test_publicatie_materialised_alone_refuses(home: Path) -> None:
    """One click in the UI skipped the blocking checks and still recorded the gate as 'geslaagd'."""
    from assets.publication import publicatie
    from assets.transform import mart_tables

    result = _materialize([publicatie])

    assert not result.success
    message = _failure(result)
    assert "publication refused: the quality gate did not run in this run for" in message
    assert all(table in message for table in mart_tables())
    assert not (settings().publish / "current").exists() and not (settings().publish / "wijkbeeld.duckdb").exists()


def test_publicatie_needs_the_gate_of_every_table_it_publishes(home: Path) -> None:
    """A run with some mart tables and their checks (and a hand-made 'passed' for none of the others)."""
    from dagster import AssetCheckResult, AssetKey, asset, asset_check

    from assets.publication import publicatie
    from assets.transform import mart_tables

    checked, unchecked = mart_tables()[:2], mart_tables()[2:]

    def stub(table: str):
        @asset(key=AssetKey([table]))
        def _model() -> None:
            """Stands in for the dbt model."""

        @asset_check(asset=AssetKey([table]), name="quality_gate", blocking=True)
        def _gate():
            return AssetCheckResult(passed=True)

        return _model, _gate

    stubs = [stub(table) for table in checked]
    result = _materialize([*(m for m, _ in stubs), publicatie], [g for _, g in stubs])

    assert not result.success and {e.check_name for e in result.get_asset_check_evaluations()} == {"quality_gate"}
    message = _failure(result)
    assert all(table in message for table in unchecked) and not any(f" {t}," in message for t in checked)


HOLDER = """
import pathlib, sys, time
from wijkbeeld.housekeeping import refresh_lock
from wijkbeeld.settings import load_settings
with refresh_lock(load_settings().ensure(), "nightly_refresh (test)"):
    print("held", flush=True)
    while not pathlib.Path(sys.argv[1]).exists():
        time.sleep(0.05)
"""


def test_a_second_refresh_does_not_start_and_says_who_holds_the_warehouse(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from dagster import DagsterInstance, build_run_status_sensor_context

    from assets.ingest_defs import INGEST_ASSETS
    from orchestration.refresh import run_refresh
    from orchestration.sensors import notify_on_run_failure
    from wijkbeeld.housekeeping import RefreshBusy

    monkeypatch.setenv("WIJKBEELD_REFRESH_WAIT_SECONDS", "1")
    settings().ensure()
    done = tmp_path / "done"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(done)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RefreshBusy, match=f"another refresh holds the warehouse \\(pid {holder.pid}, "):
            run_refresh()
        with DagsterInstance.ephemeral() as instance:  # a run launched from the UI or by the daemon
            result = _materialize(INGEST_ASSETS[:1], instance=instance)
            assert not result.success and "another refresh holds the warehouse" in _failure(result)
            notify_on_run_failure(
                build_run_status_sensor_context(
                    sensor_name="notify_on_run_failure",
                    dagster_instance=instance,
                    dagster_run=result.dagster_run,
                    dagster_event=result.get_run_failure_event(),
                ).for_run_failure()
            )
    finally:
        done.touch()
        holder.communicate(timeout=60)
    by_refresh, by_sensor = [
        json.loads(line) for line in (settings().logs / "notifications.log").read_text().splitlines()
    ]
    assert "did not start" in by_refresh["text"] and "nightly_refresh (test)" in by_refresh["text"]
    assert "RefreshBusy: another refresh holds the warehouse" in by_sensor["text"]
    assert _materialize(INGEST_ASSETS[:1]).success  # the holder is gone: the next one runs


# ---------------------------------------------------------------- 11. the landing sensor


def test_the_landing_sensor_starts_one_run_per_set_of_settled_files(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

    from orchestration.sensors import landing_sensor

    monkeypatch.setenv("WIJKBEELD_SETTLE_SECONDS", "30")
    s = settings().ensure()
    folder = s.landing / "politie" / "misdrijven"
    with DagsterInstance.ephemeral() as instance:

        def tick(cursor: str | None = None):
            context = build_sensor_context(instance=instance, cursor=cursor)
            return landing_sensor(context), context.cursor

        assert isinstance(tick()[0], SkipReason)
        fresh = drop("politie", "misdrijven", misdrijven_text())
        (folder / "misdrijven-202406.csv").mkdir()  # hostile entries never stop a tick
        (folder / f"misdrijven-{'x' * 240}.csv").write_text("x")
        result, cursor = tick()
        assert isinstance(result, SkipReason) and result.skip_message == "No settled files in landing"  # unsettled

        fresh.with_name(fresh.name + ".complete").write_text("")
        (folder / "misdrijven-202405.csv").symlink_to(s.home / "nowhere")  # dangling: ready to be quarantined
        first, cursor = tick()
        assert isinstance(first, RunRequest) and first.tags["files"] == "2"  # the file and the (unread) link
        assert cursor == first.run_key
        again, _ = tick(cursor)
        assert isinstance(again, SkipReason) and again.skip_message == "These files already started a run"

        os.utime(fresh, (fresh.stat().st_atime, fresh.stat().st_mtime + 5))  # delivered again
        second, cursor2 = tick(cursor)
        assert isinstance(second, RunRequest) and second.run_key != first.run_key and cursor2 == second.run_key


def _copy(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    return copy


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
