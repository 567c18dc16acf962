"""The two Excel readers agree: a workbook read by the Arrow pass (fastexcel) gives the same header, records, cell
texts and row numbers as the openpyxl pass, and a workbook the Arrow pass declines goes to openpyxl and still
reads. Workbooks are written with openpyxl from the cells below, so a case shows exactly what the sheet holds."""

from __future__ import annotations

import csv
import time
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest

from wijkbeeld.ingest.contracts import load_contract
from wijkbeeld.ingest.readers import xlsx
from wijkbeeld.ingest.results import Prepared
from wijkbeeld.settings import FileLimits

CORPORATIE = load_contract("corporatie", "signalen")  # decimal '.', header_contains Postcode
GGD = load_contract("ggd", "gezondheidsmonitor")  # decimal ',', header_contains Gebiedcode
HEADER = ["Postcode", "Verhuureenheden", "Overlastmeldingen", "Woningvervuiling", "Huurachterstand2mnd"]


def write(path: Path, rows: list[list], formats: dict[str, str] | None = None, sheet: str = "signalen") -> Path:
    """A workbook with ``rows`` from A1 (None = no cell); ``formats`` sets number formats by cell (``"C3"``)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    wb.save(path)
    return path


def records(prep: Prepared, contract) -> list[list]:
    """(row, cells...) of every record a pass read, whatever its layout."""
    if prep.layout == "arrow":
        data = prep.table.to_pydict()
        return [[data[k][i] for k in data] for i in range(prep.table.num_rows)]
    with prep.staged.open(encoding="utf-8", newline="") as src:
        rows = list(csv.reader(src, delimiter=contract.file.delimiter, quotechar=contract.file.quote))
    return [[int(r[1]), *r[2:]] for r in rows[1:]]


def both(path: Path, contract, tmp: Path) -> tuple[Prepared, Prepared]:
    """The workbook through prepare_xlsx (Arrow when it may) and through the openpyxl pass alone."""
    limits = FileLimits()
    chosen = xlsx.prepare_xlsx(path, contract, tmp / "chosen.csv", 0, limits)
    alone = Prepared(path=path, sha256="", staged=tmp / "alone.csv")
    xlsx.openpyxl_pass(alone, contract, limits, time.monotonic() + 60)
    return chosen, alone


def assert_same(chosen: Prepared, alone: Prepared, contract) -> None:
    assert (chosen.problem and chosen.problem.reason) == (alone.problem and alone.problem.reason)
    assert chosen.header == alone.header
    assert chosen.records == alone.records
    assert records(chosen, contract) == records(alone, contract)


FLOATS = [0.1 + 0.2, 1e-7, 2.5, 123456.789, 1 / 3, 1e15 + 0.5, -0.0, 3.0, 4503599627370495.5, 29.020000000000003]

# name -> (contract, rows, number formats): each read by the Arrow pass. (The short headers lack columns the
# contract needs: both passes refuse them the same way, after reading the records.)
ARROW_CASES = {
    "floats-decimal-point": (CORPORATIE, [HEADER, *[["4901AA", v, 1, 2, 3] for v in FLOATS]], {}),
    "floats-decimal-comma": (
        GGD,
        [["Gebiedcode", "Percentage"], *[["WK082601", v] for v in FLOATS]],
        {},
    ),
    "large-whole-numbers": (CORPORATIE, [HEADER, ["4901AA", 2**53 - 1, -(2**52), 10**15, 0]], {}),
    "percentages-stored-as-numbers": (
        CORPORATIE,
        [HEADER, ["4901AA", 0.125, 1, 1, 1], ["4901AB", 0.5, 1, 1, 1]],
        {"B2": "0.0%", "B3": "0%"},
    ),
    "dates-and-times": (
        CORPORATIE,
        [
            HEADER,
            ["4901AA", datetime(2024, 1, 5), 1, 1, 1],
            ["4901AB", datetime(2024, 1, 5, 12, 30), 1, 1, 1],
            ["4901AC", datetime(2024, 1, 5, 12, 30, 15, 500000), 1, 1, 1],
            ["4901AD", date(2024, 2, 29), 1, 1, 1],
            ["4901AE", clock_time(7, 45), 1, 1, 1],
            ["4901AF", datetime(1900, 1, 1), 1, 1, 1],
            ["4901AG", datetime(1900, 3, 1), 1, 1, 1],
        ],
        {},
    ),
    "title-rows-gaps-and-wide-rows": (
        CORPORATIE,
        [
            ["Signalen per postcode"],
            [None, "Bron: test"],
            [],
            [None, *HEADER, None, "  "],  # header from column B, a blank cell after it
            [None, "4901AA", 40, 2, 0, 3, 9, "beyond the header"],
            [],
            [None, "   ", None, None, None, None],  # only whitespace: not a record
            [None, " 4901 ab ", 12, 1, 1, 0],
            [None, None, None, None, None, 7],
            [None, "\u00a04902CD\u3000", 8, 0, 0, 1],
        ],
        {},
    ),
    "a-column-of-null-texts": (CORPORATIE, [HEADER, ["4901AA", "NA", 1, 1, 1], ["4901AB", "NULL", 1, 1, 1]], {}),
    "header-only": (CORPORATIE, [HEADER], {}),
    "a-repeated-header-name": (CORPORATIE, [[*HEADER, "Postcode"], ["4901AA", 1, 2, 3, 4, "4901AB"]], {}),
    "a-name-like-a-renamed-one": (CORPORATIE, [[*HEADER, "Postcode_1"], ["4901AA", 1, 2, 3, 4, "x"]], {}),
    "texts-as-they-are": (
        CORPORATIE,
        [HEADER, ["NA", "-", "1.50", "12%", "n.v.t."], ["null", "0012", "1e3", " 7 ", 'a;b"c']],
        {},
    ),
}

# name -> (contract, rows, number formats): each goes to openpyxl (a reason of Shape or of the Arrow pass).
FALLBACK_CASES = {
    "numbers-mixed-with-text": (CORPORATIE, [HEADER, ["4901AA", 40, "-", 1, 1], ["4901AB", "12", 1.5, 1, 1]], {}),
    "booleans": (CORPORATIE, [HEADER, ["4901AA", True, 1, 1, 1], ["4901AB", False, 1, 1, 1]], {}),
    "error-cells": (CORPORATIE, [HEADER, ["4901AA", "#DIV/0!", 1, 1, 1], ["4901AB", "#N/A", 1, 1, 1]], {}),
    "beyond-exact-integers": (CORPORATIE, [HEADER, ["4901AA", 1e20, 1, 1, 1], ["4901AB", 2**64, 1, 1, 1]], {}),
    "a-duration-format": (CORPORATIE, [HEADER, ["4901AA", 1.25, 1, 1, 1]], {"B2": "[h]:mm:ss"}),
    "header-far-down": (CORPORATIE, [*[[f"titel {n}"] for n in range(xlsx.HEADER_PROBE_ROWS)], HEADER, ["4901AA"]], {}),
    "no-header-row": (CORPORATIE, [["Titel"], ["4901AA", 1, 2, 3, 4]], {}),
}


@pytest.mark.parametrize("case", sorted(ARROW_CASES))
def test_the_arrow_pass_reads_as_openpyxl_does(case: str, tmp_path: Path) -> None:
    contract, rows, formats = ARROW_CASES[case]
    path = write(tmp_path / "book.xlsx", rows, formats, contract.file.sheet)

    chosen, alone = both(path, contract, tmp_path)

    assert chosen.layout == "arrow" and alone.layout == "numbered"
    assert_same(chosen, alone, contract)


@pytest.mark.parametrize("case", sorted(FALLBACK_CASES))
def test_a_workbook_the_arrow_pass_declines_is_read_by_openpyxl(case: str, tmp_path: Path) -> None:
    contract, rows, formats = FALLBACK_CASES[case]
    path = write(tmp_path / "book.xlsx", rows, formats, contract.file.sheet)

    chosen, alone = both(path, contract, tmp_path)

    assert chosen.layout == "numbered"
    assert_same(chosen, alone, contract)


def test_the_row_numbers_are_the_sheets(tmp_path: Path) -> None:
    rows = [["Titel"], [], HEADER, ["4901AA", 1, 1, 1, 1], [], [], ["4901AB", 2, 2, 2, 2]]
    path = write(tmp_path / "book.xlsx", rows)

    prep = xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "s.csv", 0, FileLimits())

    assert prep.layout == "arrow"
    assert records(prep, CORPORATIE) == [[4, "4901AA", "1", "1", "1", "1"], [7, "4901AB", "2", "2", "2", "2"]]


def test_a_wrong_sheet_is_worded_by_openpyxl(tmp_path: Path) -> None:
    path = write(tmp_path / "book.xlsx", [HEADER, ["4901AA", 1, 1, 1, 1]], sheet="Blad1")

    prep = xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "s.csv", 0, FileLimits())

    assert prep.problem.reason == "sheet 'signalen' not found (the workbook has: Blad1)"


def test_a_rectangle_beyond_the_cell_limit_goes_to_openpyxl(tmp_path: Path) -> None:
    """calamine holds every cell of the rectangle from A1 to the last row and column: never more than openpyxl
    may read (limits.max_cells), whatever the cells really present. Up to column Z the scan bounds the width by
    26 (+1 per row, as openpyxl counts)."""
    rows = [HEADER, *[["4901AA", n, 1, 1, 1] for n in range(30)]]
    path = write(tmp_path / "book.xlsx", rows)

    assert xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "a.csv", 0, FileLimits(max_cells=31 * 27)).layout == "arrow"
    limits = FileLimits(max_cells=31 * 27 - 1)
    shape = xlsx.Shape()
    assert xlsx.package_problem(path, CORPORATIE, limits, shape) is None
    assert not shape.arrow_ready(limits) and shape.odd == ["the sheet's rectangle is larger than the cell limit"]
    assert xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "b.csv", 0, limits).records == 30  # openpyxl read it


def test_a_wide_sheet_is_bounded_by_its_rightmost_cell(tmp_path: Path) -> None:
    path = write(tmp_path / "book.xlsx", [[*HEADER, *[None] * 700, "x"], ["4901AA", 1, 1, 1, 1]])
    shape = xlsx.Shape()

    assert xlsx.package_problem(path, CORPORATIE, FileLimits(), shape) is None
    assert shape.max_column == 706 and shape.last_row == 2 and shape.odd == []


def test_calamine_and_openpyxl_class_number_formats_alike() -> None:
    from openpyxl.styles.numbers import is_date_format

    for code in ["yyyy-mm-dd", "d-mmm-yy", "h:mm AM/PM", "0.00", "#,##0", "0%", '"dag" 0', "General", "@"]:
        assert (xlsx.calamine_format(code) == "datetime") == is_date_format(code), code
    assert xlsx.calamine_format("[h]:mm:ss") == "timedelta"


def test_the_whitespace_of_the_arrow_pass_is_pythons() -> None:
    assert set(xlsx._PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def understate(path: Path, part: str, keep: int) -> Path:
    """Declare ``part`` as only its first ``keep`` bytes (size and CRC in both headers); the compressed data
    still inflates to all of it."""
    import struct
    import zipfile
    import zlib

    with zipfile.ZipFile(path) as src:
        info, whole = src.getinfo(part), src.read(part)
    data = bytearray(path.read_bytes())
    sizes = (zlib.crc32(whole[:keep]), info.compress_size, keep)
    struct.pack_into("<III", data, info.header_offset + 14, *sizes)
    central = bytes(data).index(b"PK\x01\x02")
    while bytes(data[central + 46 : central + 46 + len(part)]) != part.encode():
        central = bytes(data).index(b"PK\x01\x02", central + 4)
    struct.pack_into("<III", data, central + 16, *sizes)
    path.write_bytes(bytes(data))
    return path


def test_a_part_that_inflates_beyond_its_declared_size_never_reaches_fastexcel(tmp_path: Path) -> None:
    """zipfile (the scan, openpyxl) stops at the declared size; fastexcel's zip reader would read on, past the
    bounds the scan set."""
    import zipfile

    path = write(tmp_path / "book.xlsx", [HEADER, *[["4901AA", n, 1, 1, 1] for n in range(2000)]])
    with zipfile.ZipFile(path) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    understate(path, "xl/worksheets/sheet1.xml", sheet.index(b'<row r="11"'))

    prep = xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "s.csv", 0, FileLimits())

    assert prep.layout == "numbered"
    with zipfile.ZipFile(path) as package:
        reason = xlsx.parts_beyond_declared(package, path.read_bytes())
    assert reason == "xl/worksheets/sheet1.xml inflates to another size than it declares"


def test_a_cell_placed_outside_its_row_never_reaches_fastexcel(tmp_path: Path) -> None:
    """calamine places a cell by its own reference: one cell at row 900,000 inside row 2 would make it hold a
    rectangle of 900,000 rows, past the bound the scan took from the row tags."""
    import zipfile

    path = write(tmp_path / "book.xlsx", [HEADER, ["4901AA", 1, 1, 1, 1]])
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b'r="E2"', b'r="E900000"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    shape = xlsx.Shape()

    assert xlsx.package_problem(path, CORPORATIE, FileLimits(), shape) is None
    assert shape.odd == ["a cell whose reference is not in its row in xl/worksheets/sheet1.xml"]
    assert xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "s.csv", 0, FileLimits()).layout == "numbered"


def test_a_panic_of_the_arrow_reader_falls_back_to_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Rust panic in fastexcel arrives as pyo3's PanicException, which derives from BaseException."""

    class PanicException(BaseException):
        pass

    def panic(*_: object) -> None:
        raise PanicException("called `Option::unwrap()` on a `None` value")

    path = write(tmp_path / "book.xlsx", [HEADER, ["4901AA", 1, 1, 1, 1]])
    monkeypatch.setattr(xlsx, "arrow_pass", panic)

    prep = xlsx.prepare_xlsx(path, CORPORATIE, tmp_path / "s.csv", 0, FileLimits())

    assert prep.layout == "numbered" and prep.records == 1
