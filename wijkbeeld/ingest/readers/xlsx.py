"""The Excel reader: the contract's sheet of an .xlsx workbook as the same normalised CSV copy the CSV reader
writes (records prefixed with their file number and Excel row).

Before openpyxl opens a workbook, one streaming pass over its XML bounds the work by the cells really present
(:func:`package_problem`); openpyxl then reads in read-only streaming mode with its XML parsed by defusedxml.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import hash_file, limit_problem, open_file
from wijkbeeld.ingest.readers.header import structure_problem
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.settings import FileLimits


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


def package_problem(path: Path, contract: Contract, limits: FileLimits) -> FileProblem | None:
    """Bound what openpyxl will do before it opens the workbook: its unpacked size, the cells and rows really
    present, and the shared strings (openpyxl loads all of them into memory at once).

    One streaming pass over the XML parts (bounded by their declared sizes, which zipfile enforces). Rows must
    come in increasing order, as Excel writes them: openpyxl silently drops a row numbered lower than the one
    before, and pads gaps with empty rows.
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
                problem = scan_part(src, part.filename, contract, limits, counts, deadline)
            if problem:
                return problem
    return None


def scan_part(
    src: Any, name: str, contract: Contract, limits: FileLimits, counts: dict[bytes, int], deadline: float
) -> FileProblem | None:
    """Count the cells, rows and shared strings of one XML part of a workbook (see :func:`package_problem`)."""
    row = row_cells = 0
    carry = b""
    while True:
        block = src.read(1 << 20)
        buf = carry + block
        cut = len(buf) if not block else buf.rfind(b"<", max(0, len(buf) - 4096))
        cut = len(buf) if cut < 0 else cut  # process up to the last tag start; a tag never spans the cut
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
                continue
            counts[tag] += 1
            row_cells += tag == b"c"
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
        if not block:
            return None
        if time.monotonic() > deadline:
            return slow_problem(contract, limits, f"checking {name}")
        carry = buf[cut:]


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
    """Hash the workbook and write its sheet as a normalised CSV copy (the CSV reader's shape).

    The header is the first row holding the contract's ``header_contains`` column (title lines above it are
    skipped); each record carries its Excel row number. openpyxl reads in read-only streaming mode, with its
    XML parsed by defusedxml, after :func:`package_problem` bounded the work. The sheet's own
    ``<dimension>`` claim is ignored (openpyxl would pad every row to it); rows are only as wide as their last
    cell, and the cells read, gaps included, are capped by ``limits.max_cells``.
    """
    from openpyxl import load_workbook  # heavy: imported when a workbook arrives
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # an installation problem (OPENPYXL_DEFUSEDXML=False?), not the partner's
        raise RuntimeError("openpyxl must parse workbooks with defusedxml: install it and unset OPENPYXL_DEFUSEDXML")
    spec = contract.file
    st = path.stat()
    prep = Prepared(path=path, sha256=hash_file(path), staged=staged, stat=(st.st_size, st.st_mtime), index=index)
    with open_file(path) as src:
        head = src.read(8)
    prep.problem = magic_problem(path, head, contract)
    if prep.problem:
        return prep
    wanted = (spec.header_contains or "").strip().lower()
    header_line: str | None = None
    deadline = time.monotonic() + limits.max_file_seconds
    source = None
    try:
        prep.problem = package_problem(path, contract, limits)
        if prep.problem:
            return prep
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
