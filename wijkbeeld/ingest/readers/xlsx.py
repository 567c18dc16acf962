"""The Excel reader: the records of the contract's sheet of an .xlsx workbook, each with its Excel row number.

Before any reader opens a workbook, one streaming pass over its XML bounds the work by the cells really present
(:func:`package_problem`) and learns what chooses the reader (:class:`Shape`). fastexcel (Rust calamine) reads
it into an Arrow table (:func:`arrow_pass`) when nothing in it would be read differently from openpyxl; else, or
when the Arrow pass declines or fails, openpyxl reads it in read-only streaming mode with its XML parsed by
defusedxml into the numbered CSV copy the CSV reader writes (:func:`openpyxl_pass`), and words every refusal.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from defusedxml.ElementTree import fromstring as safe_xml

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import hash_file, limit_problem, open_file
from wijkbeeld.ingest.readers.header import structure_problem
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.settings import FileLimits

LOG = logging.getLogger("wijkbeeld.ingest")


def magic_problem(path: Path, head: bytes, contract: Contract) -> FileProblem | None:
    """Recognise files that are not an .xlsx workbook at all (CSV text renamed, old .xls, encrypted, empty)."""
    example = contract.file.name_example
    if not head:
        return FileProblem("file is empty", f"an Excel workbook like {example}", "deliver the export again")
    if head.startswith(b"PK\x03\x04"):
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0") and is_encrypted_workbook(path):
        return FileProblem(
            reason="file is a password-protected (encrypted) Excel workbook and cannot be read",
            expected=f"an Excel workbook (.xlsx) like {example} without a password",
            fix="open the workbook, remove the password (File > Info > Protect Workbook > Encrypt with Password: "
            "empty) and save it; send a password separately only if agreed",
            details={"byte_offset": 0},
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return FileProblem(
            reason="file is an old Excel 97-2003 workbook (.xls), not an .xlsx workbook",
            expected=f"an Excel workbook (.xlsx) like {example}",
            fix="open the file in Excel and save it as 'Excel Workbook (*.xlsx)'",
            details={"byte_offset": 0},
        )
    return FileProblem(
        reason="file is not an Excel workbook: it looks like a text (CSV) file renamed to .xlsx",
        expected=f"an Excel workbook (.xlsx) like {example}",
        fix="open the data in Excel and save it as 'Excel Workbook (*.xlsx)'; do not just rename a CSV file",
        details={"byte_offset": 0},
    )


def is_encrypted_workbook(path: Path) -> bool:
    """An encrypted .xlsx is an OLE compound file with a stream named ``EncryptedPackage`` (UTF-16 name)."""
    name = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with open_file(path) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            if name in tail + block:
                return True
            tail = block[-len(name) :]
    return False


EXCEL_MAX_ROWS = 1_048_576
# Opening tags of rows, cells and shared strings in any prefix (``<row r="3" ...>``, ``<x:c ...>``, ``<si>``).
_XLSX_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si)(?=[\s/>])([^>]*)>")
_XLSX_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\'](\d+)["\']')
# Cells as Excel and openpyxl write them, ``<c r="AB12" ...>``: the Arrow reader needs to know the rightmost
# one; a workbook with any other cell tag (no reference, a prefix, the reference not first) goes to openpyxl.
_CELL_REF = b'<c r="'
# Upper-case letters to A and digits 1-9 to 1: ``<c r="A1``, ``<c r="AA1``, ``<c r="AAA1`` count the cells with a
# reference of one, two and three letters (literal byte counts, no regular expression per cell).
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REF_CLASSES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789", b"A" * 26 + b"1" * 9)
# What the Arrow reader (calamine) would read differently from openpyxl, so the workbook goes to openpyxl:
# error cells, ISO date cells and booleans (any attribute value "e", "d" or "b", found as '"e"' once quotes and
# those letters are made one), entity declarations (defusedxml words the verdict) and any other "<!", phonetic
# runs, escaped characters (_x000D_), carriage returns other than after the XML declaration (openpyxl's parser
# normalises line ends, calamine does not), the 1904 date system. Byte searches at C speed, none a loop over
# cells; a false alarm only costs the slower reader.
_ONE_LETTER_VALUES = bytes.maketrans(b"'EDBedb", b'"eeeeee')
_ODD_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_UNIQUE_COUNT = re.compile(rb'uniqueCount\s*=\s*["\']?(\d*)')
# Texts fastexcel takes for empty when it guesses a column's type: harmless unless a column holds only such texts.
_XLSX_NULL_TEXT = re.compile(
    rb">(?:#N/A N/A|#N/A|#NA|-1\.#IND|-1\.#QNAN|-NaN|-nan|1\.#IND|1\.#QNAN|&lt;NA&gt;|N/A|NA|NULL|NaN|None|n/a|nan"
    rb"|null)</"
)


@dataclass
class Shape:
    """What the byte scan saw of a workbook, to choose its reader (all parts together: the largest row number,
    the rightmost cell, anything the Arrow reader would read differently from openpyxl)."""

    last_row: int = 0
    max_column: int = 0  # a bound of the rightmost cell's column (exact beyond Z)
    odd: list[str] = field(default_factory=list)  # why the workbook goes to openpyxl

    def arrow_ready(self, limits: FileLimits) -> bool:
        """The Arrow reader may read it: nothing odd, and the sheet's full rectangle (calamine holds every cell
        of it, empty or not) within the cells openpyxl may read; openpyxl's own limits then never bite."""
        if self.max_column > limits.max_columns:
            self.odd.append("a cell beyond the column limit")
        elif self.last_row * (self.max_column + 1) > limits.max_cells:
            self.odd.append("the sheet's rectangle is larger than the cell limit")
        return not self.odd


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def package_problem(
    path: Path, contract: Contract, limits: FileLimits, shape: Shape | None = None
) -> FileProblem | None:
    """Bound what openpyxl will do before it opens the workbook: its unpacked size, the cells and rows really
    present, and the shared strings (openpyxl loads all of them into memory at once).

    One streaming pass over the XML parts (bounded by their declared sizes, which zipfile enforces). Rows must
    come in increasing order, as Excel writes them: openpyxl silently drops a row numbered lower than the one
    before, and pads gaps with empty rows. ``shape`` (when given) learns what chooses the reader.
    """
    with open_file(path) as raw, zipfile.ZipFile(raw) as package:
        parts = package.infolist()
        unpacked = sum(p.file_size for p in parts)
        if unpacked > limits.max_xlsx_mb * 2**20:
            return limit_problem(
                contract,
                f"the workbook unpacks to {unpacked / 2**20:.0f} MB, more than the limit of {limits.max_xlsx_mb} MB",
                "WIJKBEELD_MAX_XLSX_MB",
                "deliver only the agreed sheet, without other sheets, images or formatting",
                unpacked_bytes=unpacked,
            )
        counts = {b"c": 0, b"si": 0}
        deadline = time.monotonic() + limits.max_file_seconds
        for part in parts:
            if not part.filename.lower().endswith(".xml"):
                continue
            with package.open(part) as src:
                problem = scan_part(src, part.filename, contract, limits, counts, deadline, shape)
            if problem:
                return problem
    return None


def scan_part(
    src: Any,
    name: str,
    contract: Contract,
    limits: FileLimits,
    counts: dict[bytes, int],
    deadline: float,
    shape: Shape | None = None,
) -> FileProblem | None:
    """Count the cells, rows and shared strings of one XML part of a workbook (see :func:`package_problem`)."""
    row = row_cells = 0
    digits, misplaced = b"0", False  # the row's number as written in its cells' references
    carry = b""
    while True:
        block = src.read(1 << 20)
        buf = carry + block
        cut = len(buf) if not block else buf.rfind(b"<", max(0, len(buf) - 4096))
        cut = len(buf) if cut < 0 else cut  # process up to the last tag start; a tag never spans the cut
        if shape is not None:
            cells_before = counts[b"c"]
            refs = _shape_block(shape, name, buf, cut, limits)
        for m in _XLSX_TAG.finditer(buf, 0, cut):
            tag = m.group(1)
            if tag == b"row":
                number = _XLSX_ROW_NUMBER.search(m.group(2))
                new_row = int(number.group(1)) if number else row + 1
                if new_row <= row or new_row > EXCEL_MAX_ROWS:
                    return FileProblem(
                        reason=f"the workbook is damaged: row number {new_row} after row {row} in {name} (rows must "
                        f"increase, up to {EXCEL_MAX_ROWS})",
                        expected=f"a workbook saved by Excel, like {contract.file.name_example}",
                        fix="open the workbook in Excel, save it again and deliver the new file",
                        details={"part": name, "row": new_row},
                    )
                row, row_cells = new_row, 0
                digits = b"%d" % row
                continue
            counts[tag] += 1
            row_cells += tag == b"c"
            if shape is not None and tag == b"c":  # calamine places a cell by its reference, not by its row
                attrs = m.group(2)
                misplaced = misplaced or attrs[4 : attrs.find(b'"', 4)].lstrip(_LETTERS) != digits
            if row_cells > limits.max_columns:
                return limit_problem(
                    contract,
                    f"row {row} has more than {limits.max_columns} cells",
                    "WIJKBEELD_MAX_COLUMNS",
                    "deliver only the agreed columns",
                    row=row,
                )
            if counts[b"c"] > limits.max_cells:
                return cells_problem(contract, limits, row)
            if counts[b"si"] > limits.max_shared_strings:
                return limit_problem(
                    contract,
                    f"the workbook has more than {limits.max_shared_strings} different texts (shared strings)",
                    "WIJKBEELD_MAX_SHARED_STRINGS",
                    "deliver the data in smaller workbooks",
                )
        if shape is not None:
            shape.last_row = max(shape.last_row, row)
            if refs != counts[b"c"] - cells_before:
                shape.odd.append(f"cells not written as <c r=...> in {name}")
            if misplaced:
                shape.odd.append(f"a cell whose reference is not in its row in {name}")
                misplaced = False
        if not block:
            return None
        if time.monotonic() > deadline:
            return slow_problem(contract, limits, f"checking {name}")
        carry = buf[cut:]


def _shape_block(shape: Shape, name: str, buf: bytes, cut: int, limits: FileLimits) -> int:
    """What one block of an XML part tells about the reader to use: anything odd, and a bound of the rightmost
    cell (byte searches at C speed, no loop over cells). Returns the number of ``<c r="`` cells in the block."""
    view = buf[:cut] if cut < len(buf) else buf
    odd = []
    if b'"e"' in view.translate(_ONE_LETTER_VALUES):
        odd.append('an attribute value "e", "d" or "b" (error, ISO date or boolean cells?)')
    if b"<!" in view:
        odd.append("a declaration (<!)")
    if b"rPh" in view:
        odd.append("phonetic runs")
    if _ODD_ESCAPE.search(view):
        odd.append("an escaped character (_xHHHH_)")
    if b"\r" in view and view.count(b"\r") != view.count(b"?>\r"):
        odd.append("a carriage return")
    if name.lower().endswith("workbook.xml") and b"date1904" in view:
        odd.append("the 1904 date system")
    unique = _UNIQUE_COUNT.search(view)
    if unique and (not unique.group(1) or int(unique.group(1)) > limits.max_shared_strings):
        odd.append("a shared-strings count beyond the limit")  # calamine reserves room for that many
    classes = view.translate(_REF_CLASSES)
    refs = classes.count(_CELL_REF)
    one, two, three = (classes.count(_CELL_REF + b"A" * n + b"1") for n in (1, 2, 3)) if refs else (0, 0, 0)
    if one + two + three != refs:
        odd.append("a cell reference that is not A1-style")
    shape.odd += odd
    if two or three:
        size = 3 if three else 2
        at = re.finditer(re.escape(_CELL_REF + b"A" * size + b"1"), classes)
        wide = {view[m.start() + 6 : m.start() + 6 + size] for m in at}
        shape.max_column = max(shape.max_column, *(_column_number(letters) for letters in wide))
    elif one:
        shape.max_column = max(shape.max_column, 26)  # a bound: column Z at most
    return refs


def cells_problem(contract: Contract, limits: FileLimits, row: int) -> FileProblem:
    return limit_problem(
        contract,
        f"the workbook has more than {limits.max_cells} cells (reached at row {row})",
        "WIJKBEELD_MAX_CELLS",
        "deliver the data in smaller workbooks, without empty formatted rows or columns",
        row=row,
    )


def slow_problem(contract: Contract, limits: FileLimits, where: str) -> FileProblem:
    return limit_problem(
        contract,
        f"reading the file took longer than {limits.max_file_seconds} s ({where})",
        "WIJKBEELD_MAX_FILE_SECONDS",
        "deliver the data in smaller files",
    )


def xlsx_cell(value: object, decimal: str) -> str:
    """Text of one cell as the CSV reader would see it: numbers with the contract's decimal separator,
    Excel dates as ISO dates (with the time only when it is not midnight)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NaN"
        text = str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
        return text.replace(".", decimal)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def prepare_xlsx(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared:
    """Hash the workbook and read the records of its sheet, each with its Excel row number.

    The header is the first row holding the contract's ``header_contains`` column (title lines above it are
    skipped). :func:`package_problem` bounds the work from the bytes before any reader opens the workbook, and
    learns its :class:`Shape`. A workbook the Arrow reader reads exactly as openpyxl would goes through
    :func:`arrow_pass` (fastexcel, ``layout`` "arrow"); any other workbook, and any the Arrow pass declines or
    fails on, through :func:`openpyxl_pass` (a numbered CSV copy), which also words every refusal.
    """
    spec = contract.file
    st = path.stat()
    prep = Prepared(path=path, sha256=hash_file(path), staged=staged, stat=(st.st_size, st.st_mtime), index=index)
    with open_file(path) as src:
        head = src.read(8)
    prep.problem = magic_problem(path, head, contract)
    if prep.problem:
        return prep
    deadline = time.monotonic() + limits.max_file_seconds
    shape = Shape()
    try:
        prep.problem = package_problem(path, contract, limits, shape)
    except Exception as exc:  # a damaged package (BadZipFile, a part cut off, ...)
        prep.problem = damaged_workbook(contract, exc)
        return prep
    if prep.problem:
        return prep
    if spec.sheet and shape.arrow_ready(limits):
        try:
            why = arrow_pass(prep, contract, limits, deadline)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
            why = f"the Arrow reader failed ({type(exc).__name__})"  # openpyxl reads it and words the verdict
        if why is None:
            return prep
        shape.odd.append(why)
        prep.header, prep.records, prep.table, prep.problem, prep.layout = [], 0, None, None, "numbered"
    LOG.debug("%s: read with openpyxl: %s", path.name, "; ".join(shape.odd) or "no sheet name")
    return openpyxl_pass(prep, contract, limits, deadline)


def openpyxl_pass(prep: Prepared, contract: Contract, limits: FileLimits, deadline: float) -> Prepared:
    """The sheet as a numbered CSV copy (the CSV reader's shape), read by openpyxl in read-only streaming mode
    with its XML parsed by defusedxml. The sheet's own ``<dimension>`` claim is ignored (openpyxl would pad every
    row to it); rows are only as wide as their last cell, and the cells read, gaps included, are capped by
    ``limits.max_cells``."""
    from openpyxl import load_workbook  # heavy: imported when a workbook arrives
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # an installation problem (OPENPYXL_DEFUSEDXML=False?), not the partner's
        raise RuntimeError("openpyxl must parse workbooks with defusedxml: install it and unset OPENPYXL_DEFUSEDXML")
    spec = contract.file
    path, staged, index = prep.path, prep.staged, prep.index
    wanted = (spec.header_contains or "").strip().lower()
    header_line: str | None = None
    source = None
    try:
        source = open_file(path)
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged workbooks (BadZipFile, KeyError, ...)
        if source is not None:
            source.close()
        prep.problem = damaged_workbook(contract, exc)
        return prep
    try:
        sheet = next((wb[n] for n in wb.sheetnames if n.strip().lower() == (spec.sheet or "").lower()), None)
        if sheet is None:
            prep.problem = FileProblem(
                reason=f"sheet {spec.sheet!r} not found (the workbook has: {', '.join(wb.sheetnames)})",
                expected=f"a sheet named {spec.sheet!r} with the header row and the data",
                fix=f"rename the sheet with the data to {spec.sheet!r}",
                details={"sheets": wb.sheetnames},
            )
            return prep
        sheet.reset_dimensions()  # never trust <dimension ref="A1:XFD1048576"/>
        width = seen_rows = read_cells = 0
        with staged.open("w", encoding="utf-8", newline="") as dst:
            writer = csv.writer(dst, delimiter=spec.delimiter, quotechar=spec.quote, lineterminator="\n")
            for row_no, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                read_cells += len(row) + 1  # an empty row of a gap costs a little too
                if len(row) > limits.max_columns:
                    prep.problem = limit_problem(
                        contract,
                        f"row {row_no} has a cell in column {len(row)}, beyond the limit of {limits.max_columns} "
                        "columns",
                        "WIJKBEELD_MAX_COLUMNS",
                        "delete the columns to the right of the data, or deliver only the agreed columns",
                        row=row_no,
                    )
                    return prep
                if read_cells > limits.max_cells:
                    prep.problem = cells_problem(contract, limits, row_no)
                    return prep
                if row_no % 1024 == 0 and time.monotonic() > deadline:
                    prep.problem = slow_problem(contract, limits, f"stopped at row {row_no}")
                    return prep
                cells = [xlsx_cell(v, spec.decimal) for v in row]
                if header_line is None:
                    if any(c.strip().lower() == wanted for c in cells):
                        width = max(i for i, c in enumerate(cells) if c.strip()) + 1
                        header = cells[:width]
                        buf = io.StringIO()
                        csv.writer(buf, delimiter=spec.delimiter, quotechar=spec.quote, lineterminator="").writerow(
                            header
                        )
                        header_line = buf.getvalue()
                        writer.writerow(["__bestand", "__regel", *header])
                    elif any(c.strip() for c in cells):
                        seen_rows += 1
                    continue
                cells = (cells + [""] * width)[:width]
                if any(c.strip() for c in cells):
                    prep.records += 1
                    writer.writerow([index, row_no, *cells])
    except Exception as exc:  # a truncated stream fails while reading rows
        prep.problem = damaged_workbook(contract, exc)
        return prep
    finally:
        wb.close()
        source.close()  # openpyxl does not close a file object it was given
    if header_line is None and seen_rows:
        required = sorted({c.source for c in contract.columns if c.source and c.required})
        prep.problem = FileProblem(
            reason=f"no header row found: no row of sheet {spec.sheet!r} has a cell {spec.header_contains!r}",
            expected=f"a header row in sheet {spec.sheet!r} with the columns {', '.join(required)}",
            fix=f"add the header row (with {spec.header_contains!r}) above the data; names are matched "
            "case-insensitively",
            details={"missing": required},
        )
        return prep
    prep.problem = structure_problem(prep, header_line, contract, limits)
    return prep


# ---------------------------------------------------------------- the Arrow pass (fastexcel)

# Rows of the sheet read to find the header row (title lines above it); a header further down goes to openpyxl.
HEADER_PROBE_ROWS = 200
# Every character Python's str.isspace() takes for whitespace (what the openpyxl pass strips), for Arrow's RE2.
_PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A header cell whose text fastexcel may have made from a number, a date or a boolean (not a name).
_NOT_A_NAME = re.compile(r"-?\d+(\.\d+)?|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?|true|false")
_RENAMED = re.compile(r".*_\d+", re.DOTALL)  # how fastexcel renames a repeated column name
_EXACT_INTEGERS = 2.0**53  # floats beyond: openpyxl may have read an exact int where calamine has a float


def arrow_pass(prep: Prepared, contract: Contract, limits: FileLimits, deadline: float) -> str | None:
    """Read the sheet with fastexcel into ``prep.table`` (``__regel`` and ``c0..cn`` as text, the cells as
    :func:`xlsx_cell` words them) and check its header; None when done, else why openpyxl must read it.

    One load when the header is the sheet's first row (:func:`_header_in_row_1`), else two: the first rows as
    text to find the header row, then the data rows below it. Each column has one type guessed from all its
    rows (``dtype_coercion="strict"``: a column that mixes numbers and text is not coerced, the workbook goes to
    openpyxl). A cell fastexcel would turn into null (an error, a text in a number column) makes it go to
    openpyxl too (``to_arrow_with_errors``).
    """
    import fastexcel  # heavy: imported when a workbook arrives
    import pyarrow as pa

    spec = contract.file
    with open_file(prep.path) as src:
        data = src.read()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        why = parts_beyond_declared(package, data) or date_formats_differ(package)
    if why:
        return why
    reader = fastexcel.read_excel(data)
    name = next((n for n in reader.sheet_names if n.strip().lower() == (spec.sheet or "").lower()), None)
    if name is None:
        return "sheet not found"
    wanted = (spec.header_contains or "").strip().lower()
    found = _header_in_row_1(reader, name, wanted)
    if found:
        header_row, header, rest = 0, *found
    else:
        probe = reader.load_sheet(
            name, header_row=None, skip_rows=0, n_rows=HEADER_PROBE_ROWS, dtypes="string", eager=False
        )
        top = _by_absolute_column(probe.selected_columns, probe.to_arrow())
        header_row = next(
            (r for r in range(probe.height) if any(_cell(top, r, j).strip().lower() == wanted for j in top)), None
        )
        if header_row is None:
            return "no header row in the first rows"
        header = [_cell(top, header_row, j) for j in range(max(top) + 1)]
        rest = None
    if any(_NOT_A_NAME.fullmatch(c) for c in header):
        return "a header cell that is not a text"
    width = max(i for i, c in enumerate(header) if c.strip()) + 1
    header = header[:width]
    if rest is None:
        rest = reader.load_sheet(
            name,
            header_row=None,
            skip_rows=header_row + 1,
            schema_sample_rows=None,
            dtype_coercion="strict",
            use_columns=lambda c: c.absolute_index < width,
        )
    batch, errors = rest.to_arrow_with_errors()
    if errors is not None and errors.errors:
        return "cells fastexcel cannot read as their column's type"
    kinds = {c.absolute_index: c.dtype for c in rest.selected_columns}
    if any(kinds.get(j) == "null" for j in range(width)) and _has_null_texts(data):
        return "a column of texts fastexcel takes for empty"
    columns = _by_absolute_column(rest.selected_columns, batch)
    n = batch.num_rows
    cells: list[Any] = []
    for j in range(width):
        text = _text_column(columns[j], kinds[j], spec.decimal) if j in columns else None
        if isinstance(text, str):
            return text
        cells.append(pa.array([""] * n, pa.string()) if text is None else text.cast(pa.string()))  # one schema
    table = pa.table({"__regel": pa.array(range(header_row + 2, header_row + 2 + n), pa.int64())})
    for j, column in enumerate(cells):
        table = table.append_column(f"c{j}", column)
    table = table.filter(_not_blank(cells, n))
    if time.monotonic() > deadline:
        prep.problem = slow_problem(contract, limits, "reading the sheet")
        return None
    buf = io.StringIO()
    csv.writer(buf, delimiter=spec.delimiter, quotechar=spec.quote, lineterminator="").writerow(header)
    prep.layout, prep.table, prep.records = "arrow", table, table.num_rows
    prep.problem = structure_problem(prep, buf.getvalue(), contract, limits)
    return None


def _header_in_row_1(reader: Any, name: str, wanted: str) -> tuple[list[str], Any] | None:
    """The common case in one load: the header in the sheet's first row, the data typed below it. None when the
    first row is not the header, a name may have been changed (fastexcel renames a repeated one ``name_1``), or
    a column mixes types (perhaps only right of the header: the load that skips the header row decides)."""
    try:
        sheet = reader.load_sheet(name, header_row=0, skip_rows=0, schema_sample_rows=None, dtype_coercion="strict")
    except Exception:
        return None
    names = {c.absolute_index: "" if c.column_name_from == "generated" else c.name for c in sheet.selected_columns}
    if not any(n.strip().lower() == wanted for n in names.values()) or any(
        _RENAMED.fullmatch(n) for n in names.values()
    ):
        return None
    return [names.get(j, "") for j in range(max(names) + 1)], sheet


def _by_absolute_column(columns: list[Any], batch: Any) -> dict[int, Any]:
    """The arrays of a fastexcel batch by their column in the sheet (0 = A; fastexcel starts at the first used)."""
    return {c.absolute_index: batch.column(i) for i, c in enumerate(columns)}


def _cell(columns: dict[int, Any], row: int, col: int) -> str:
    value = columns[col][row].as_py() if col in columns else None
    return "" if value is None else value


def _has_null_texts(data: bytes) -> bool:
    """Whether an XML part of the workbook holds a text fastexcel takes for empty (``NULL``, ``#N/A``, ...)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for part in package.infolist():
            if part.filename.lower().endswith(".xml") and _XLSX_NULL_TEXT.search(package.read(part)):
                return True
    return False


def _text_column(column: Any, kind: str, decimal: str) -> Any:
    """One column as :func:`xlsx_cell` words its cells ("" for empty); a str says why it cannot be."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "string":
        return pc.fill_null(column, "")
    if kind == "null":
        return pa.array([""] * len(column), pa.string())
    if kind == "int":
        return pc.fill_null(pc.cast(column, pa.string()), "")
    if kind == "float":
        return _float_text(column, decimal)
    if kind == "datetime":
        return _datetime_text(column)
    return f"a column of type {kind}"


def _float_text(column: Any, decimal: str) -> Any:
    """Floats as :func:`xlsx_cell` words them: whole numbers without ``.0``, others with every digit of their
    shortest repr (Arrow's cast gives the same digits; the rare ones it writes with an exponent are written out
    by Decimal), with the contract's decimal separator."""
    import pyarrow as pa
    import pyarrow.compute as pc

    finite = pc.is_finite(column)
    if not pc.all(pc.or_kleene(finite, pc.is_null(column))).as_py():
        return "a number that is not finite"
    if pc.any(pc.greater_equal(pc.abs(column), _EXACT_INTEGERS)).as_py():
        return "a number beyond 2**53"
    whole = pc.equal(pc.floor(column), column)
    as_int = pc.cast(pc.if_else(whole, column, 0.0), pa.int64())
    text = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(column, pa.string()))
    exponent = pc.match_substring(text, "e")
    if pc.any(exponent).as_py():
        fixed = [
            format(Decimal(s), "f") if e else s for s, e in zip(text.to_pylist(), exponent.to_pylist(), strict=True)
        ]
        text = pa.array(fixed, pa.string())
    if decimal != ".":
        text = pc.if_else(whole, text, pc.replace_substring(text, ".", decimal))
    return pc.fill_null(text, "")


def _datetime_text(column: Any) -> Any:
    """Dates and times as :func:`xlsx_cell` words openpyxl's values: an ISO date, with the time when it is not
    midnight; a time of day (a serial below 1, which calamine puts on 1899-12-31) as ``HH:MM:SS``. Formatted per
    distinct value (few: dates repeat)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    words = []
    for value in encoded.dictionary.to_pylist():
        if value.date() == date(1899, 12, 31):
            words.append(str(value.time()))
        elif value < datetime(1900, 1, 1):  # openpyxl and calamine count days before 1900 differently
            return "a date before 1900"
        else:
            words.append(xlsx_cell(value, "."))
    return pc.fill_null(pc.take(pa.array(words, pa.string()), encoded.indices), "")


def _not_blank(cells: list[Any], n: int) -> Any:
    """Rows with a cell that is not only whitespace (``str.strip``'s whitespace), as the openpyxl pass keeps."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pa.array([False] * n, pa.bool_())
    pattern = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in _PY_WHITESPACE) + "]"
    for column in cells:
        keep = pc.or_(keep, pc.match_substring_regex(column, pattern))
    return keep


def parts_beyond_declared(package: zipfile.ZipFile, data: bytes) -> str | None:
    """A part whose compressed data inflates to more than its declared size, or None.

    zipfile (so the byte scan and openpyxl) stops at the declared size; the zip reader inside fastexcel reads on
    to the end of the compressed data, past every bound the scan set. One bounded inflate per part (C speed,
    never more than the declared size + 1 byte)."""
    for part in package.infolist():
        start = part.header_offset + 30
        if data[part.header_offset : start][:4] != b"PK\x03\x04":
            return f"no local header for {part.filename}"
        name_len, extra_len = struct.unpack("<HH", data[start - 4 : start])
        raw = data[start + name_len + extra_len : start + name_len + extra_len + part.compress_size]
        if part.compress_type == zipfile.ZIP_STORED:
            inflated = len(raw)
        elif part.compress_type == zipfile.ZIP_DEFLATED:
            inflated = len(zlib.decompressobj(-15).decompress(raw, part.file_size + 1))
        else:
            return f"{part.filename} compressed with method {part.compress_type}"
        if inflated != part.file_size:
            return f"{part.filename} inflates to another size than it declares"
    return None


def date_formats_differ(package: zipfile.ZipFile) -> str | None:
    """Why calamine and openpyxl may disagree on which number cells are dates (styles.xml), or None.

    Each cell style's number format is classed as openpyxl does (``is_date_format``) and as calamine does
    (:func:`calamine_format`); a duration format, or any style on which they differ, sends the workbook to
    openpyxl."""
    from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format

    try:
        xml = package.read("xl/styles.xml")
    except KeyError:
        return None  # no styles: no dates for either
    root = safe_xml(xml)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    formats = root.find(f"{ns}numFmts")
    found = [] if formats is None else formats.iter(f"{ns}numFmt")
    custom = {f.get("numFmtId"): f.get("formatCode") for f in found}
    if any(i is None or not i.isdigit() or i != str(int(i)) or code is None for i, code in custom.items()):
        return "a custom number format without a plain id or code"
    xfs = root.find(f"{ns}cellXfs")
    for xf in [] if xfs is None else xfs.iter(f"{ns}xf"):
        fmt_id = xf.get("numFmtId")
        if fmt_id is None:
            continue
        if not fmt_id.isdigit() or fmt_id != str(int(fmt_id)):
            return f"a number format id {fmt_id!r}"
        code = custom[fmt_id] if fmt_id in custom else builtin_format_code(int(fmt_id))
        theirs = calamine_format(custom[fmt_id]) if fmt_id in custom else calamine_builtin_format(int(fmt_id))
        if is_timedelta_format(code) or theirs == "timedelta":
            return "a duration format"
        if is_date_format(code) != (theirs == "datetime"):
            return f"the number format {code!r}"
    return None


def calamine_builtin_format(fmt_id: int) -> str:
    """calamine's class of a built-in number format (formats.rs ``builtin_format_by_code``)."""
    if 14 <= fmt_id <= 22 or fmt_id in (45, 47):
        return "datetime"
    return "timedelta" if fmt_id == 46 else "other"


def calamine_format(code: str | None) -> str:
    """calamine's class of a custom number format (formats.rs ``detect_custom_number_format``, 0.36)."""
    escaped = is_quote = ap = hms = False
    brackets = 0
    prev = " "
    for s in code or "":
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif is_quote:
            if s == '"':
                is_quote = False
        elif s == '"':
            is_quote = True
        elif s == ";":
            return "other"
        elif s == "[":
            brackets = min(brackets + 1, 255)
        elif s == "]" and brackets == 1 and hms:
            return "timedelta"
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif brackets == 0 and ((ap and s in "pm/PM") or (not ap and s in "dmhysDMHYS")):
            return "datetime"
        elif hms and s.lower() == prev.lower():
            pass
        else:
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return "other"


def damaged_workbook(contract: Contract, exc: BaseException) -> FileProblem:
    """A workbook openpyxl cannot read. Only the kind of error is kept: its message may quote cell content."""
    cause: BaseException | None = exc
    while cause is not None and not type(cause).__module__.startswith("defusedxml"):
        cause = cause.__cause__ or cause.__context__  # openpyxl wraps the parser's error in a ValueError
    if cause is not None:  # entity declarations, external references: refused by defusedxml
        return FileProblem(
            reason="file is not a plain Excel workbook: its XML declares entities or external references "
            f"({type(cause).__name__}), which are never read",
            expected=f"a workbook saved by Excel, like {contract.file.name_example}",
            fix="save the data in a new workbook in Excel and deliver that file",
            details={"error_type": type(cause).__name__},
        )
    return FileProblem(
        reason=f"file is a damaged or incomplete Excel workbook and cannot be read ({type(exc).__name__})",
        expected=f"a complete Excel workbook (.xlsx) like {contract.file.name_example}",
        fix="save the workbook again in Excel and deliver the new file (it may have been cut off while copying)",
        details={"error_type": type(exc).__name__},
    )
