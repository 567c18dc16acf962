"""Contract-driven ingest of partner extracts into the DuckDB warehouse (schemas ``raw`` and ``meta``).

Per settled file in ``landing/<partner>/<dataset>/``: one streaming pass hashes the bytes, checks and
decodes them in the contract encoding and writes a normalised UTF-8 copy whose records carry their line
number; DuckDB reads that copy with explicit options and validates/casts every cell in SQL. A bad file goes
to quarantine with a ``.reason.json``; a good file's rows, its rejected rows and its delivery record are
written in one transaction, and only after COMMIT is the original moved to the archive. The same code
path, without writing anything, is :func:`validate_file` (the partner-side check).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from wijkbeeld.config import PRIVATE_DIR_MODE, FileLimits, Settings, make_dir, pause_point
from wijkbeeld.config import settings as load_settings
from wijkbeeld.ingest.contracts import (
    AREA_DIGITS,
    ColumnSpec,
    Contract,
    all_contracts,
    contract_for_name,
    load_contract,
)

if TYPE_CHECKING:
    import duckdb

LOG = logging.getLogger("wijkbeeld.ingest")

MAX_VALUE_CHARS = 200  # offending values are stored truncated
PSEUDONYM_SALT = "wijkbeeld-pseudonym-v1:"  # prefix hashed with pseudonymised identifiers
SAMPLE_ROWS = 20  # bad rows shown in a reason.json
VERDICT_ROWS = 1000  # bad rows listed in a Verdict
DELIMITER_CANDIDATES = (";", ",", "\t", "|")
# Whitespace other than a plain space that cells may carry (tab, line breaks, no-break space, stray BOM).
ODD_SPACE_RE = "'[\\t\\n\\x0b\\x0c\\r\\x{00A0}\\x{FEFF}]'"
ODD_SPACE_CHARS = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(65279)"

META_TABLES = {
    "leveringen": [
        ("levering_id", "BIGINT"),
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("bestand_periode", "VARCHAR"),
        ("rijen_geaccepteerd", "BIGINT"),
        ("rijen_afgewezen", "BIGINT"),
        ("rijen_niet_gekoppeld", "BIGINT"),
        ("geladen_op", "TIMESTAMP"),
        ("archief_pad", "VARCHAR"),
    ],
    "afgewezen_rijen": [
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("regel", "BIGINT"),
        ("kolom", "VARCHAR"),
        ("waarde", "VARCHAR"),
        ("reden", "VARCHAR"),
        ("afgewezen_op", "TIMESTAMP"),
    ],
    "quarantaine": [
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("reden", "VARCHAR"),
        ("details", "VARCHAR"),
        ("quarantaine_op", "TIMESTAMP"),
        ("quarantaine_pad", "VARCHAR"),
    ],
}


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class BadRow:
    """One rejected cell or row: line in the file (header = 1), source column, value, reason."""

    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class FileProblem:
    """Why a whole file is refused, written to ``<file>.reason.json``."""

    reason: str
    expected: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    """What ingest would do with one file (the partner-side check)."""

    file: str
    dataset: str | None
    sha256: str | None
    accepted: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    bad_rows: list[BadRow] = field(default_factory=list)
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int | None = None
    notes: list[str] = field(default_factory=list)
    line_word: str = "line"  # 'row' for Excel workbooks (the row number in the sheet)

    def text(self) -> str:
        """Readable verdict for a terminal."""
        head = "ACCEPTED" if self.accepted else "REFUSED"
        lines = [f"{head}: {self.file} ({self.dataset or 'unknown dataset'})"]
        lines += [f"  reason: {r}" for r in self.reasons]
        for key in ("expected", "how_to_fix"):
            if key in self.details:
                lines.append(f"  {key.replace('_', ' ')}: {self.details[key]}")
        if self.rows_total:
            unmapped = "" if self.rows_unmapped is None else f", {self.rows_unmapped} not mapped to an area"
            lines.append(
                f"  rows: {self.rows_total} read, {self.rows_accepted} accepted, "
                f"{self.rows_rejected} rejected{unmapped}"
            )
        for bad in self.bad_rows[:50]:
            value = "" if bad.value is None else f" value {bad.value!r}:"
            lines.append(f"  {self.line_word} {bad.line}, column {bad.column or '-'}:{value} {bad.reason}")
        if len(self.bad_rows) > 50 or self.rows_rejected > len(self.bad_rows):
            lines.append(f"  ... {self.rows_rejected} rejected rows in total")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class QuarantinedFile:
    file: str
    reason: str
    path: str


@dataclass
class IngestReport:
    """What one :func:`ingest_dataset` call did (shown as Dagster metadata)."""

    partner: str
    dataset: str
    files_ingested: list[str] = field(default_factory=list)
    files_already_ingested: list[str] = field(default_factory=list)
    files_quarantined: list[QuarantinedFile] = field(default_factory=list)
    files_waiting: list[str] = field(default_factory=list)
    files_skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why): not files, or not readable
    waiting_for: list[str] = field(default_factory=list)
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int = 0
    last_delivery: str | None = None
    unmapped_by_period: dict[str, int] = field(default_factory=dict)
    freshness: Freshness | None = None


@dataclass(frozen=True)
class Freshness:
    """Whether a dataset is delivered on time against its contract cadence.

    ``covered_until`` is the last day of the newest period delivered (the newest row month when the
    contract has one, else the newest file period); the next period is due ``grace_days`` after it ends.
    """

    cadence: str
    covered_until: date | None
    due: date | None
    overdue: bool

    def text(self) -> str:
        if self.covered_until is None:
            return f"no delivery yet (expected every {self.cadence})"
        state = "OVERDUE" if self.overdue else "on time"
        return f"{state}: data up to {self.covered_until:%Y-%m-%d}; next period due by {self.due:%Y-%m-%d}"


@dataclass
class _Prepared:
    """Result of the streaming pass over one file."""

    path: Path
    sha256: str
    staged: Path
    header: list[str] = field(default_factory=list)
    records: int = 0
    problem: FileProblem | None = None
    notes: list[str] = field(default_factory=list)
    stat: tuple[int, float] = (0, 0.0)
    index: int = 0  # number of the file in its validation batch


@dataclass
class _Outcome:
    """Result of validating a prepared file; the temp tables ``final`` and ``bad`` hold the rows."""

    period: str | None = None
    problem: FileProblem | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int | None = None
    notes: list[str] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)  # file-derived target -> value
    file_end: date | None = None  # first day of the last month of the file's period


# ---------------------------------------------------------------- small helpers


def _lit(value: object) -> str:
    """SQL literal (strings quoted and escaped)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _relative(path: Path, home: Path) -> str:
    try:
        return path.relative_to(home).as_posix()
    except ValueError:
        return path.as_posix()


def normalise_area_code(text: str, prefixes: tuple[str, ...]) -> str | None:
    """Python twin of the SQL rule: trim, upper, add the prefix that fits the digits; None if invalid."""
    code = re.sub(r"\s", "", text).upper()
    if code.isdigit() and len(prefixes) == 1 and len(code) < AREA_DIGITS[prefixes[0]]:
        code = code.zfill(AREA_DIGITS[prefixes[0]])  # a spreadsheet dropped the leading zero
    if code.isdigit():
        code = next((p + code for p in prefixes if AREA_DIGITS[p] == len(code)), code)
    return code if any(re.fullmatch(f"{p}[0-9]{{{AREA_DIGITS[p]}}}", code) for p in prefixes) else None


def _example(fmt: str) -> str:
    return datetime(2024, 7, 14, 23, 41, 5).strftime(fmt)


def parse_period(text: str, granularity: str) -> tuple[date, date] | None:
    """First day of the first and of the last month of a file-name period; None when unparseable."""
    m = {
        "year": re.fullmatch(r"([0-9]{4})", text),
        "month": re.fullmatch(r"([0-9]{4})([0-9]{2})", text),
        "quarter": re.fullmatch(r"([0-9]{4})[Qq]([1-4])", text),
    }[granularity]
    if not m:
        return None
    year = int(m.group(1))
    if granularity == "year":
        return date(year, 1, 1), date(year, 12, 1)
    if granularity == "quarter":
        first = 3 * int(m.group(2)) - 2
        return date(year, first, 1), date(year, first + 2, 1)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, 1)


# ---------------------------------------------------------------- step 1: stream, hash, decode


def _encoding_problem(contract: Contract, what: str, where: str, fix: str) -> FileProblem:
    enc = contract.file.encoding
    return FileProblem(
        reason=f"file is not readable as {enc}: {what} ({where})",
        expected=f"text encoded as {enc}, delimiter {contract.file.delimiter!r}",
        fix=fix,
        details={"expected_encoding": enc, "position": where},
    )


def _magic_problem(head: bytes, contract: Contract) -> FileProblem | None:
    """Recognise files that are not text CSV at all (workbooks, UTF-16)."""
    if head.startswith(b"PK\x03\x04"):
        return FileProblem(
            reason="file is a ZIP/Excel workbook, not a CSV text file",
            expected=f"a {contract.file.encoding} CSV text file like {contract.file.name_example}",
            fix="export the sheet as CSV (not renaming the .xlsx file) and deliver that file",
            details={"byte_offset": 0},
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _encoding_problem(
            contract,
            "it starts with a UTF-16 byte order mark",
            "byte offset 0, line 1",
            f"save the file as {contract.file.encoding} (in Excel: 'CSV UTF-8' or 'CSV (separated)')",
        )
    return None


def _decode_line(raw: bytes, encoding: str) -> str:
    return raw.decode("cp1252" if encoding == "cp1252" else "utf-8")


def _prepare(
    path: Path, contract: Contract, staged: Path, index: int = 0, limits: FileLimits | None = None
) -> _Prepared:
    """Stream pass of one file: CSV text or an Excel workbook (see :func:`_prepare_csv`).

    ``index`` is the file's number in its batch: the staged copy carries it as the first field of every
    record, so several files are validated together in one set of queries. ``limits`` (default: the
    settings) bound what one file may cost; a file beyond one is refused whole.
    """
    limits = limits or load_settings().limits
    if contract.file.format == "xlsx":
        return _prepare_xlsx(path, contract, staged, index, limits)
    return _prepare_csv(path, contract, staged, index, limits)


def _quote_state(text: str, in_quote: bool, delimiter: str, quote: str) -> tuple[bool, bool]:
    """After one physical line: is the record still inside a quoted value, and is there a carriage return
    outside quotes (DuckDB's reader cannot read that)?

    The rules of DuckDB's reader (strict mode), so both agree on where each record ends: a value is quoted
    when its first character after spaces is the quote; inside it a doubled quote is a literal quote and a
    single one closes it. A quote anywhere else (``tv van 32" bij container``) is an ordinary character. When
    something other than spaces follows a closing quote, DuckDB rejects that row and goes on at the next line,
    and so does this.
    """
    if not in_quote and quote not in text:
        return False, "\r" in text
    i, n, bare_cr = 0, len(text), False
    while True:
        if in_quote:
            j = text.find(quote, i)
            if j < 0:
                return True, bare_cr
            if text.startswith(quote, j + 1):  # a doubled quote: a literal quote inside the value
                i = j + 2
                continue
            in_quote, k = False, j + 1
            while k < n and text[k] == " ":
                k += 1
            if k < n and text[k] != delimiter:  # a rejected row: the rest of the line belongs to it
                return False, bare_cr or "\r" in text[k:]
            i = k + 1
            if k >= n:
                return False, bare_cr
            continue
        k = i
        while k < n and text[k] == " ":
            k += 1
        if k < n and text[k] == quote:
            in_quote, i = True, k + 1
            continue
        j = text.find(delimiter, i)
        bare_cr = bare_cr or "\r" in text[i : n if j < 0 else j]
        if j < 0:
            return False, bare_cr
        i = j + 1


def _limit_problem(contract: Contract, what: str, setting: str, fix: str, **details: Any) -> FileProblem:
    """A file beyond a resource limit: says what, where and which setting, never the content."""
    return FileProblem(
        reason=what,
        expected=f"a file like {contract.file.name_example} within the platform's limits",
        fix=f"{fix} (the limit is the setting {setting})",
        details={"limit": setting, **details},
    )


def _prepare_csv(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> _Prepared:
    """Hash the file and write a normalised UTF-8 copy: blank lines dropped, record lines prefixed.

    Each record line gets its physical line number as an extra first field, so every row DuckDB reads
    keeps its line in the original file, also after multi-line quoted values or skipped blank lines.
    A line (or a record over several lines) longer than ``limits.max_line_bytes``, a quoted value that is
    never closed, a carriage return inside a line and a pass slower than ``limits.max_file_seconds`` refuse
    the file whole, with the line; lines are read with that bound, so a file without line breaks is never
    read into memory whole.
    """
    spec = contract.file
    sha = hashlib.sha256()
    st = path.stat()
    prep = _Prepared(path=path, sha256="", staged=staged, stat=(st.st_size, st.st_mtime), index=index)
    with _open_file(path) as src:
        head = src.read(4)
    prep.problem = _magic_problem(head, contract)
    in_quote = False
    offset = 0
    record_start = record_bytes = 0  # first line and size so far of the current record
    utf8_evidence: str | None = None  # where a cp1252 file turned out to be UTF-8
    utf8_valid = True
    header_line: str | None = None
    max_bytes = limits.max_line_bytes
    deadline = time.monotonic() + limits.max_file_seconds
    with _open_file(path) as src, staged.open("w", encoding="utf-8", newline="\n") as dst:
        line_no = 0
        while raw := src.readline(max_bytes + 1):
            line_no += 1
            sha.update(raw)
            start, offset = offset, offset + len(raw)
            if prep.problem:
                continue
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                prep.problem = _limit_problem(
                    contract,
                    f"line {line_no} is longer than {max_bytes} bytes (a file without line breaks?)",
                    "WIJKBEELD_MAX_LINE_BYTES",
                    "deliver one record per line, with line breaks",
                    line=line_no,
                )
                continue
            if line_no % 4096 == 0 and time.monotonic() > deadline:
                prep.problem = _limit_problem(
                    contract,
                    f"reading the file took longer than {limits.max_file_seconds} s (stopped at line {line_no})",
                    "WIJKBEELD_MAX_FILE_SECONDS",
                    "deliver the data in smaller files",
                    line=line_no,
                )
                continue
            chunk = raw
            if line_no == 1 and chunk.startswith(b"\xef\xbb\xbf"):
                chunk, start = chunk[3:], 3
                if spec.encoding == "utf-8":
                    prep.notes.append("UTF-8 byte order mark at the start was ignored")
            if b"\x00" in chunk:
                where = f"byte offset {start + chunk.index(0)}, line {line_no}"
                prep.problem = _encoding_problem(
                    contract,
                    "it contains NUL bytes (UTF-16 or a binary file?)",
                    where,
                    f"save the file as {spec.encoding} text",
                )
                continue
            try:
                text = _decode_line(chunk, spec.encoding)
            except UnicodeDecodeError as exc:
                where = f"byte offset {start + exc.start}, line {line_no}"
                bad = chunk[exc.start : exc.start + 1].hex().upper()
                hint = " It looks like Windows-1252 (CP1252/ANSI)." if spec.encoding != "cp1252" else ""
                prep.problem = _encoding_problem(
                    contract,
                    f"invalid byte 0x{bad}.{hint}",
                    where,
                    f"save the file as {spec.encoding} (in Excel: 'CSV UTF-8')"
                    if spec.encoding != "cp1252"
                    else "export the file as Windows-1252 (ANSI) text",
                )
                continue
            if spec.encoding == "cp1252" and utf8_valid and not chunk.isascii():
                try:
                    chunk.decode("utf-8")
                    if utf8_evidence is None:
                        first = next(i for i, b in enumerate(chunk) if b >= 0x80)
                        utf8_evidence = f"byte offset {start + first}, line {line_no}"
                except UnicodeDecodeError:
                    utf8_valid = False
            text = text.removesuffix("\n").removesuffix("\r")
            starts_record = not in_quote
            if starts_record:
                record_start, record_bytes = line_no, 0
            record_bytes += len(raw)
            in_quote, bare_cr = _quote_state(text, in_quote, spec.delimiter, spec.quote)
            if bare_cr:
                prep.problem = FileProblem(
                    reason=f"line {line_no} contains a carriage return (CR) inside the line",
                    expected=f"lines ending in CRLF or LF, delimiter {spec.delimiter!r}",
                    fix="save the file with Windows (CRLF) or Unix (LF) line endings; old Mac (CR) files cannot "
                    "be read",
                    details={"line": line_no},
                )
                continue
            if record_bytes > max_bytes:
                prep.problem = _limit_problem(
                    contract,
                    f"the record that starts on line {record_start} is longer than {max_bytes} bytes (a quoted "
                    f"value over many lines; a quote '{spec.quote}' that is never closed?)",
                    "WIJKBEELD_MAX_LINE_BYTES",
                    f"close every quoted value, or write quotes inside a value doubled ('{spec.quote * 2}')",
                    line=record_start,
                )
                continue
            if not starts_record:
                dst.write(text + "\n")
            elif text.strip():
                if header_line is None:
                    header_line = text
                    dst.write(f"__bestand{spec.delimiter}__regel{spec.delimiter}{text}\n")
                else:
                    prep.records += 1
                    dst.write(f"{index}{spec.delimiter}{line_no}{spec.delimiter}{text}\n")
    prep.sha256 = sha.hexdigest()
    if prep.problem is None and in_quote:
        prep.problem = FileProblem(
            reason=f"a quoted value in the record that starts on line {record_start} is never closed: the file "
            f"ends inside it (a stray quote '{spec.quote}' at the start of a value?)",
            expected=f"quoted values closed on the same or a later line, delimiter {spec.delimiter!r}",
            fix=f"close the quoted value, or write a quote inside a value doubled ('{spec.quote * 2}')",
            details={"line": record_start},
        )
    if prep.problem is None and utf8_valid and utf8_evidence is not None:
        prep.problem = _encoding_problem(
            contract,
            "it is UTF-8 encoded (first multi-byte UTF-8 character)",
            utf8_evidence,
            "export the file as Windows-1252 (ANSI), as agreed in the contract",
        )
    if prep.problem is None:
        prep.problem = _structure_problem(prep, header_line, contract, limits)
    return prep


def _open_file(path: Path) -> BinaryIO:
    """Open a landing file for reading without following a symbolic link: one swapped in after the listing
    fails (ELOOP) instead of being read. Only regular files are read (a FIFO would block: O_NONBLOCK)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _hash_file(path: Path) -> str:
    sha = hashlib.sha256()
    with _open_file(path) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _failed_prep(path: Path, staged: Path, index: int) -> _Prepared:
    """A file that is refused without its reading pass: only hashed (for the record), never decoded."""
    st = path.lstat()
    try:
        sha = _hash_file(path)
    except OSError:  # unreadable (permissions), or swapped for a link meanwhile
        sha = ""
    return _Prepared(path=path, sha256=sha, staged=staged, stat=(st.st_size, st.st_mtime), index=index)


def _xlsx_magic_problem(path: Path, head: bytes, contract: Contract) -> FileProblem | None:
    """Recognise files that are not an .xlsx workbook at all (CSV text renamed, old .xls, encrypted, empty)."""
    example = contract.file.name_example
    if not head:
        return FileProblem("file is empty", f"an Excel workbook like {example}", "deliver the export again")
    if head.startswith(b"PK\x03\x04"):
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0") and _is_encrypted_workbook(path):
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


def _is_encrypted_workbook(path: Path) -> bool:
    """An encrypted .xlsx is an OLE compound file with a stream named ``EncryptedPackage`` (UTF-16 name)."""
    name = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with _open_file(path) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            if name in tail + block:
                return True
            tail = block[-len(name) :]
    return False


EXCEL_MAX_ROWS = 1_048_576
# Opening tags of rows, cells and shared strings in any prefix (``<row r="3" ...>``, ``<x:c ...>``, ``<si>``).
_XLSX_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si)(?=[\s/>])([^>]*)>")
_XLSX_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\'](\d+)["\']')


def _xlsx_package_problem(path: Path, contract: Contract, limits: FileLimits) -> FileProblem | None:
    """Bound what openpyxl will do before it opens the workbook: its unpacked size, the cells and rows really
    present, and the shared strings (openpyxl loads all of them into memory at once).

    One streaming pass over the XML parts (bounded by their declared sizes, which zipfile enforces). Rows must
    come in increasing order, as Excel writes them: openpyxl silently drops a row numbered lower than the one
    before, and pads gaps with empty rows.
    """
    import zipfile

    with _open_file(path) as raw, zipfile.ZipFile(raw) as package:
        parts = package.infolist()
        unpacked = sum(p.file_size for p in parts)
        if unpacked > limits.max_xlsx_mb * 2**20:
            return _limit_problem(
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
                problem = _scan_xlsx_part(src, part.filename, contract, limits, counts, deadline)
            if problem:
                return problem
    return None


def _scan_xlsx_part(
    src: Any, name: str, contract: Contract, limits: FileLimits, counts: dict[bytes, int], deadline: float
) -> FileProblem | None:
    """Count the cells, rows and shared strings of one XML part of a workbook (see :func:`_xlsx_package_problem`)."""
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
                return _limit_problem(
                    contract,
                    f"row {row} has more than {limits.max_columns} cells",
                    "WIJKBEELD_MAX_COLUMNS",
                    "deliver only the agreed columns",
                    row=row,
                )
            if counts[b"c"] > limits.max_cells:
                return _cells_problem(contract, limits, row)
            if counts[b"si"] > limits.max_shared_strings:
                return _limit_problem(
                    contract,
                    f"the workbook has more than {limits.max_shared_strings} different texts (shared strings)",
                    "WIJKBEELD_MAX_SHARED_STRINGS",
                    "deliver the data in smaller workbooks",
                )
        if not block:
            return None
        if time.monotonic() > deadline:
            return _slow_problem(contract, limits, f"checking {name}")
        carry = buf[cut:]


def _cells_problem(contract: Contract, limits: FileLimits, row: int) -> FileProblem:
    return _limit_problem(
        contract,
        f"the workbook has more than {limits.max_cells} cells (reached at row {row})",
        "WIJKBEELD_MAX_CELLS",
        "deliver the data in smaller workbooks, without empty formatted rows or columns",
        row=row,
    )


def _slow_problem(contract: Contract, limits: FileLimits, where: str) -> FileProblem:
    return _limit_problem(
        contract,
        f"reading the file took longer than {limits.max_file_seconds} s ({where})",
        "WIJKBEELD_MAX_FILE_SECONDS",
        "deliver the data in smaller files",
    )


def _xlsx_cell(value: object, decimal: str) -> str:
    """Text of one cell as the CSV reader would see it: numbers with the contract's decimal separator,
    Excel dates as ISO dates (with the time only when it is not midnight)."""
    from decimal import Decimal

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


def _prepare_xlsx(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> _Prepared:
    """Hash the workbook and write its sheet as a normalised CSV copy (same shape as :func:`_prepare_csv`).

    The header is the first row holding the contract's ``header_contains`` column (title lines above it are
    skipped); each record carries its Excel row number. openpyxl reads in read-only streaming mode, with its
    XML parsed by defusedxml, after :func:`_xlsx_package_problem` bounded the work. The sheet's own
    ``<dimension>`` claim is ignored (openpyxl would pad every row to it); rows are only as wide as their last
    cell, and the cells read, gaps included, are capped by ``limits.max_cells``.
    """
    import io

    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # an installation problem (OPENPYXL_DEFUSEDXML=False?), not the partner's
        raise RuntimeError("openpyxl must parse workbooks with defusedxml: install it and unset OPENPYXL_DEFUSEDXML")
    spec = contract.file
    st = path.stat()
    prep = _Prepared(path=path, sha256=_hash_file(path), staged=staged, stat=(st.st_size, st.st_mtime), index=index)
    with _open_file(path) as src:
        head = src.read(8)
    prep.problem = _xlsx_magic_problem(path, head, contract)
    if prep.problem:
        return prep
    wanted = (spec.header_contains or "").strip().lower()
    header_line: str | None = None
    deadline = time.monotonic() + limits.max_file_seconds
    source = None
    try:
        from openpyxl import load_workbook

        prep.problem = _xlsx_package_problem(path, contract, limits)
        if prep.problem:
            return prep
        source = _open_file(path)
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged workbooks (BadZipFile, KeyError, ...)
        if source is not None:
            source.close()
        prep.problem = _damaged_workbook(contract, exc)
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
                    prep.problem = _limit_problem(
                        contract,
                        f"row {row_no} has a cell in column {len(row)}, beyond the limit of {limits.max_columns} "
                        "columns",
                        "WIJKBEELD_MAX_COLUMNS",
                        "delete the columns to the right of the data, or deliver only the agreed columns",
                        row=row_no,
                    )
                    return prep
                if read_cells > limits.max_cells:
                    prep.problem = _cells_problem(contract, limits, row_no)
                    return prep
                if row_no % 1024 == 0 and time.monotonic() > deadline:
                    prep.problem = _slow_problem(contract, limits, f"stopped at row {row_no}")
                    return prep
                cells = [_xlsx_cell(v, spec.decimal) for v in row]
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
        prep.problem = _damaged_workbook(contract, exc)
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
    prep.problem = _structure_problem(prep, header_line, contract, limits)
    return prep


def _damaged_workbook(contract: Contract, exc: BaseException) -> FileProblem:
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


def _structure_problem(
    prep: _Prepared, header_line: str | None, contract: Contract, limits: FileLimits
) -> FileProblem | None:
    """Empty file, header only, too many columns, wrong delimiter, missing or doubled columns."""
    spec = contract.file
    expected_cols = list(dict.fromkeys(c.source for c in contract.columns if c.source and c.required))
    expected = f"a header line with {', '.join(expected_cols)} separated by {spec.delimiter!r}"
    if spec.format == "xlsx":
        expected = f"a header row in sheet {spec.sheet!r} with the columns {', '.join(expected_cols)}"
    if header_line is None:
        return FileProblem("file is empty", expected, "deliver the export again; the file has no content")
    try:
        fields = next(csv.reader([header_line], delimiter=spec.delimiter, quotechar=spec.quote))
    except csv.Error:  # e.g. a header field longer than the csv module's field limit
        return FileProblem(
            "the header (line 1) cannot be read as a CSV line", expected, "deliver the export again", {"line": 1}
        )
    if len(fields) > limits.max_columns:
        return _limit_problem(
            contract,
            f"the header has {len(fields)} columns, more than the limit of {limits.max_columns}",
            "WIJKBEELD_MAX_COLUMNS",
            "deliver only the agreed columns",
            line=1,
            columns=len(fields),
        )
    prep.header = [f.replace("\ufeff", "").strip() for f in fields]
    if len(prep.header) == 1 and len(contract.source_columns()) > 1:
        seen = [d for d in DELIMITER_CANDIDATES if d != spec.delimiter and d in header_line]
        found = f"the header looks {seen[0]!r}-separated" if seen else "the header has a single column"
        return FileProblem(
            reason=f"wrong delimiter: {found}, the contract expects {spec.delimiter!r}",
            expected=expected,
            fix=f"export the file with {spec.delimiter!r} as the field separator",
            details={"line": 1, "header_columns": 1},
        )
    lower = [h.lower() for h in prep.header]
    needed = contract.source_columns()
    missing = [c.source for c in contract.columns if c.source and c.required and c.source.lower() not in lower]
    missing = sorted(set(missing))
    # Only contract column names are repeated back: without its header row the first line is data, which may
    # be personal (docs/security.md).
    found = [h for h in prep.header if h.lower() in needed]
    other = len(prep.header) - len(found)
    if missing:
        return FileProblem(
            reason=f"missing required column(s): {', '.join(missing)}",
            expected=expected,
            fix="add the missing column(s) to the export (or the header line, if it is missing); column names "
            "are matched case-insensitively",
            details={"line": 1, "missing": missing, "found": found, "other_columns": other},
        )
    doubled = sorted({h for h in lower if h in needed and lower.count(h) > 1})
    if doubled:
        return FileProblem(
            reason=f"column(s) appear more than once in the header: {', '.join(doubled)}",
            expected=expected,
            fix="deliver each column once",
            details={"line": 1, "found": found, "other_columns": other},
        )
    if prep.records == 0:
        return FileProblem("file has a header but no data rows", expected, "deliver the export with its rows")
    return None


# ---------------------------------------------------------------- step 2: read and validate in DuckDB


def _table_rows(con: duckdb.DuckDBPyConnection, dataset_ref: str) -> int | None:
    """Row count of the raw table of ``partner/dataset``; None when the table does not exist."""
    table = "raw_" + dataset_ref.replace("/", "__")
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = ? AND table_catalog = current_database()",
        [table],
    ).fetchone()
    if not exists or not exists[0]:
        return None
    return int(con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0])


def _stage(con: duckdb.DuckDBPyConnection, preps: list[_Prepared], contract: Contract, limits: FileLimits) -> None:
    """Read the normalised copies of a batch (same header) into temp table ``src`` (+ structural rejects
    in ``rej_f``); every record starts with its file number and line.

    The file number of a row is taken from the file DuckDB read it from (``filename``), never from the text:
    a row whose own prefix disagrees (``NOT __in_step``: the line pass and the reader split records
    differently) makes its file refused by :func:`_count_rows`, and can never be loaded as another file's row.
    """
    spec = contract.file
    cols = {"__bestand": "VARCHAR", "__regel": "VARCHAR"} | {f"c{i}": "VARCHAR" for i in range(len(preps[0].header))}
    columns_sql = "{" + ", ".join(f"{_lit(k)}: 'VARCHAR'" for k in cols) + "}"
    files = ", ".join(_lit(str(p.staged)) for p in preps)
    paths = ", ".join(f"({p.index}, {_lit(str(p.staged))})" for p in preps)
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged_files AS SELECT * FROM (VALUES {paths}) v(__bestand, __pad)")
    for table in ("rej", "rej_scan"):  # read_csv creates these itself
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    # A record may be 3x its original bytes in UTF-8 (CP1252 '€'), plus the prefix: the line pass enforces
    # the real limit, DuckDB's own must never cut a record first.
    max_line = 3 * limits.max_line_bytes + 64
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE src AS
            SELECT p.__bestand, TRY_CAST(r.__regel AS BIGINT) AS __regel,
                   TRY_CAST(r.__bestand AS INTEGER) IS NOT DISTINCT FROM p.__bestand
                       AND TRY_CAST(r.__regel AS BIGINT) IS NOT NULL AS __in_step,
                   r.* EXCLUDE (__bestand, __regel, filename)
            FROM read_csv([{files}],
            delim={_lit(spec.delimiter)}, quote={_lit(spec.quote)}, escape={_lit(spec.quote)},
            header=true, columns={columns_sql}, auto_detect=false, all_varchar=true,
            new_line='\\n', comment='', skip=0, encoding='utf-8', null_padding=false, max_line_size={max_line},
            strict_mode=true, store_rejects=true, rejects_table='rej', rejects_scan='rej_scan', filename=true) r
            JOIN staged_files p ON p.__pad = r.filename"""
    )
    delim = _lit(spec.delimiter)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE rej_f AS
            SELECT p.__bestand, e.line, TRY_CAST(split_part(e.csv_line, {delim}, 2) AS BIGINT) AS regel, e.error_type
            FROM rej e JOIN rej_scan s USING (scan_id, file_id) JOIN staged_files p ON p.__pad = s.file_path"""
    )


def _clean(expr: str) -> str:
    """Trimmed cell, NULL when empty. Plain trim() is fast; the general one only runs on odd whitespace."""
    odd = f"regexp_matches({expr}, {ODD_SPACE_RE})"
    return f"nullif(CASE WHEN {odd} THEN trim({expr}, {ODD_SPACE_CHARS}) ELSE trim({expr}) END, '')"


def _squeeze(expr: str) -> str:
    """Cell without any whitespace inside (codes like '4901 AB'), upper case."""
    odd = f"regexp_matches({expr}, {ODD_SPACE_RE})"
    general = f"regexp_replace({expr}, '[\\s\\x{{00A0}}\\x{{FEFF}}]', '', 'g')"
    return f"upper(CASE WHEN {odd} THEN {general} ELSE replace({expr}, ' ', '') END)"


def _in_list(expr: str, values: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(_lit(v) for v in values)})"


def _area_code_sql(n: str, prefixes: tuple[str, ...]) -> str:
    """Area code with the prefix that fits its digits (``n`` is upper case without spaces)."""
    by_len = " ".join(f"WHEN {AREA_DIGITS[p]} THEN {_lit(p)} || {n}" for p in prefixes)
    if len(prefixes) == 1:  # one level only: a spreadsheet may have dropped a leading zero (8260601)
        digits = AREA_DIGITS[prefixes[0]]
        return (
            f"(CASE WHEN regexp_full_match({n}, '[0-9]{{{digits - 1},{digits}}}') "
            f"THEN {_lit(prefixes[0])} || lpad({n}, {digits}, '0') ELSE {n} END)"
        )
    return f"(CASE WHEN regexp_full_match({n}, '[0-9]+') THEN (CASE length({n}) {by_len} END) ELSE {n} END)"


def _column_sql(col: ColumnSpec, s: str, n: str, decimal: str, excel: bool = False) -> tuple[str, str, str]:
    """SQL for one target read from a source column, in three layers.

    Returns (normalised text from the trimmed cell ``s``, typed value from the normalised text ``n``,
    error reason from ``n`` and the typed value). Each layer is its own column, so no expression is
    evaluated twice per cell.
    """
    norm = f"(CASE WHEN {_in_list(s, col.null_values)} THEN NULL ELSE {s} END)" if col.null_values else s
    val = _ident(col.target)
    checks: list[tuple[str, str]] = []  # (condition on a non-null n, reason): the first match wins
    if col.normalise in ("area_code", "pc6"):
        norm = _squeeze(norm)
    if col.normalise == "area_code":
        code = _area_code_sql(n, col.prefixes)
        pattern = "|".join(f"{p}[0-9]{{{AREA_DIGITS[p]}}}" for p in col.prefixes)
        value = f"CASE WHEN regexp_full_match({code}, {_lit(pattern)}) THEN {code} END"
        shape = " or ".join(f"{p} + {AREA_DIGITS[p]} digits" for p in col.prefixes)
        checks.append((f"{val} IS NULL", f"invalid area code (expected {shape})"))
    elif col.normalise == "pc6":
        value = f"CASE WHEN regexp_full_match({n}, '[1-9][0-9]{{3}}[A-Z]{{2}}') THEN {n} END"
        if col.on_invalid == "reject":
            checks.append((f"{val} IS NULL", "invalid postcode (expected 4 digits and 2 letters, e.g. 4901AB)"))
    elif col.type == "text" and col.pseudonymise:
        # One-way pseudonym: duplicates stay detectable, the delivered identifier is never stored.
        value = f"left(sha256({_lit(PSEUDONYM_SALT)} || {n}), 32)"
    elif col.type == "text":
        value = n
        # Text that a spreadsheet would run as a formula (=HYPERLINK(...), +cmd|...) never reaches a table BI
        # users export to Excel; a plain number or a lone '-' is harmless.
        formula = f"regexp_matches({n}, '^[=+@-]') AND NOT regexp_full_match({n}, '[+-]?[0-9.,]*')"
        checks.append((formula, "text starts with '=', '+', '-' or '@' (a spreadsheet would run it as a formula)"))
    elif col.type == "integer":
        value = f"CASE WHEN regexp_full_match({n}, '[+-]?[0-9]+') THEN TRY_CAST({n} AS {col.sql_type}) END"
        checks.append((f"{val} IS NULL", "not an integer"))
    elif col.type == "decimal":
        sep = re.escape(decimal)
        pattern = f"[+-]?([0-9]+({sep}[0-9]*)?|{sep}[0-9]+)"
        as_dot = f"replace({n}, ',', '.')" if decimal == "," else n
        value = f"CASE WHEN regexp_full_match({n}, {_lit(pattern)}) THEN TRY_CAST({as_dot} AS DOUBLE) END"
        checks.append((f"{val} IS NULL", f"not a number (decimal separator {decimal!r})"))
    else:
        fmts = "[" + ", ".join(_lit(f) for f in col.formats) + "]"
        value = f"CAST(try_strptime({n}, {fmts}) AS {col.sql_type})"
        if excel:  # an Excel date cell without a date format arrives as its serial number (days since 1899-12-30)
            days = f"TRY_CAST(replace({n}, ',', '.') AS DOUBLE)"
            serial = f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({days} * 86400e6) AS BIGINT))"
            value = (
                f"CASE WHEN regexp_full_match({n}, '[1-9][0-9]{{4}}([.,][0-9]+)?') "
                f"THEN CAST({serial} AS {col.sql_type}) ELSE {value} END"
            )
        examples = " or ".join(_example(f) for f in col.formats)
        checks.append((f"{val} IS NULL", f"not a valid {col.type} (expected e.g. {examples})"))
    if col.allowed:
        allowed = ", ".join(col.allowed)
        checks.append((f"NOT {_in_list(n, col.allowed)}", f"unexpected value (allowed: {allowed})"))
    if col.min is not None:
        checks.append((f"{val} < {col.min}", f"below the minimum {col.min:g}"))
    if col.max is not None:
        checks.append((f"{val} > {col.max}", f"above the maximum {col.max:g}"))
    missing = "NULL" if col.nullable else "'missing value'"
    whens = " ".join(f"WHEN {cond} THEN {_lit(reason)}" for cond, reason in checks)
    return norm, f"CAST({value} AS {col.sql_type})", f"CASE WHEN {n} IS NULL THEN {missing} {whens} END"


def _file_constant(col: ColumnSpec, contract: Contract, groups: dict[str, str], start: date) -> Any:
    """Value of a target derived from the file name (period or a name group)."""
    assert col.derive is not None
    if col.derive.kind == "file_period":
        if col.type == "integer":
            return start.year
        if col.type == "date":
            return start
        return groups[contract.period.group].upper()
    text = groups[col.derive.group or ""]
    if col.normalise == "area_code":
        return normalise_area_code(text, col.prefixes)
    return text.strip()


@dataclass
class _Plan:
    """Everything the SQL of one batch of files needs besides the contract.

    Values that come from a file's name (period, gemeente, ...) live in temp table ``files``
    (``__bestand``, ``__file_end`` and ``k_<target>``), joined to the records by file number.
    """

    colmap: dict[str, str]  # source header (lower) -> staged column, e.g. 'c3'
    this_month: date
    refs: set[str]  # reference datasets usable for checks/mapping


@dataclass
class _Layers:
    """Select lists of the layered ``typed`` query (see :func:`_typed_sql`)."""

    trimmed: list[str] = field(default_factory=list)
    normalised: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (kolom, waarde SQL, reason SQL)
    skips: list[str] = field(default_factory=list)


def _file_targets(contract: Contract) -> list[str]:
    """Targets whose value comes from the file name."""
    return [c.target for c in contract.columns if c.derive and c.derive.kind in ("file_period", "file_group")]


def _typed_sql(contract: Contract, plan: _Plan, n_cols: int) -> str:
    """SQL of temp table ``typed``: per record the typed targets, a skip flag and its errors (or NULL).

    Layers: t1 trimmed cells (s_*), t2 normalised text (n_*), t3 typed targets, t4 derived targets,
    t5 one error column per check (e_*); only rows with an error build the error list.
    """
    lay = _Layers(skips=["__empty"])
    lay.trimmed = ["f.*", "__regel"]
    lay.trimmed += [f"{_clean(staged)} AS {_ident('s_' + src)}" for src, staged in plan.colmap.items()]
    all_cells = ", ".join(f"c{i}" for i in range(n_cols))
    lay.trimmed.append(f"{_clean(f'concat_ws({_lit(chr(31))}, {all_cells})')} IS NULL AS __empty")
    for col in contract.columns:
        lay.typed.append(f"{_target_sql(col, contract, plan, lay)} AS {_ident(col.target)}")
    hnr = contract.address_mapping.huisnummer_source if contract.address_mapping else None
    hnr_sql = "CAST(NULL AS INTEGER)"
    if hnr and hnr.lower() in plan.colmap:
        hnr_sql = f"TRY_CAST(regexp_extract({_ident('s_' + hnr.lower())}, '^[0-9]+') AS INTEGER)"
    _derived_and_row_checks(contract, plan, lay)
    err_cols = [f"{reason} AS e_{i}" for i, (_, _, reason) in enumerate(lay.errors)]
    structs = ", ".join(
        f"{{'kolom': {_lit(kolom)}, 'waarde': {waarde}, 'reden': e_{i}}}"
        for i, (kolom, waarde, _) in enumerate(lay.errors)
    )
    any_error = f"coalesce({', '.join(f'e_{i}' for i in range(len(lay.errors)))})" if lay.errors else "NULL"
    exclude = ["__empty"] + [_ident("s_" + k) for k in plan.colmap]
    exclude += [_ident("n_" + c.target) for c in contract.columns if c.source and c.source.lower() in plan.colmap]
    exclude += [f"e_{i}" for i in range(len(lay.errors))]
    exclude += [_ident("k_" + target) for target in _file_targets(contract)]
    empty_list = "CAST(NULL AS STRUCT(kolom VARCHAR, waarde VARCHAR, reden VARCHAR)[])"
    errors = (
        f"CASE WHEN {any_error} IS NULL THEN {empty_list} "
        f"ELSE list_filter([{structs}], lambda x: x.reden IS NOT NULL) END"
        if lay.errors
        else empty_list
    )
    t2 = ", ".join(["*", *lay.normalised])
    t4 = f"SELECT * REPLACE ({', '.join(lay.derived)}) FROM t3" if lay.derived else "SELECT * FROM t3"
    t5 = ", ".join(["*", *err_cols])
    return f"""
        WITH t1 AS (SELECT {", ".join(lay.trimmed)} FROM src JOIN files f USING (__bestand)),
        t2 AS (SELECT {t2} FROM t1),
        t3 AS (SELECT *, {" OR ".join(lay.skips)} AS __skip, {hnr_sql} AS __huisnummer,
                      {", ".join(lay.typed)} FROM t2),
        t4 AS ({t4}),
        t5 AS (SELECT {t5} FROM t4)
        SELECT * EXCLUDE ({", ".join(exclude)}), {errors} AS __errors FROM t5"""


def _target_sql(col: ColumnSpec, contract: Contract, plan: _Plan, lay: _Layers) -> str:
    """Typed-value SQL of one target; adds its normalisation, error and skip SQL to ``lay``."""
    if col.derive and col.derive.kind in ("file_period", "file_group"):
        return f"CAST({_ident('k_' + col.target)} AS {col.sql_type})"
    key = (col.source or "").lower()
    if not col.source or key not in plan.colmap:  # derived later, or an optional column that is absent
        return f"CAST(NULL AS {col.sql_type})"
    s, n = _ident("s_" + key), _ident("n_" + col.target)
    norm, value, error = _column_sql(col, s, n, contract.file.decimal, contract.file.format == "xlsx")
    lay.normalised.append(f"{norm} AS {n}")
    waarde = _raw_text(contract, plan, col.source) or "NULL"
    lay.errors.append((col.source, waarde, error))
    if col.skip_values:
        lay.skips.append(f"coalesce({_in_list(s, col.skip_values)}, false)")
    return value


def _source_of(contract: Contract, target: str) -> str:
    col = contract.column(target)
    if col.source:
        return col.source
    if col.derive and col.derive.kind == "month_of" and col.derive.column:
        return _source_of(contract, col.derive.column)
    return target


def _raw_text(contract: Contract, plan: _Plan, source: str) -> str | None:
    """SQL of the delivered (trimmed) text of a source column; None for personal or absent columns."""
    key = source.lower()
    hidden = {c.source.lower() for c in contract.columns if c.pseudonymise and c.source}
    if key in contract.personal_sources() or key in hidden or key not in plan.colmap:
        return None
    return f"left({_ident('s_' + key)}, {MAX_VALUE_CHARS})"


def _derived_and_row_checks(contract: Contract, plan: _Plan, lay: _Layers) -> None:
    """Add derived targets (month_of) and row-level checks (period bounds, area codes) to ``lay``."""
    for col in contract.columns:
        if col.derive and col.derive.kind == "month_of":
            lay.derived.append(
                f"CAST(date_trunc('month', {_ident(col.derive.column or '')}) AS {col.sql_type}) "
                f"AS {_ident(col.target)}"
            )
    period = contract.period
    if period.row_column:
        target = _ident(period.row_column)
        month = f"CAST(date_trunc('month', {target}) AS DATE)"
        source = _source_of(contract, period.row_column)
        rules = [
            (f"{month} < {_lit(period.earliest)}", _lit(f"period before {period.earliest:%Y-%m}")),
            (f"{month} > {_lit(plan.this_month)}", _lit("period in the future")),
        ]
        if period.row_not_after_file:
            after = "'period after the file''s period (' || strftime(__file_end, '%Y-%m') || ')'"
            rules.append((f"{month} > __file_end", after))
        whens = " ".join(f"WHEN {c} THEN {r}" for c, r in rules)
        waarde = _raw_text(contract, plan, source) or f"strftime({target}, '%Y-%m')"
        lay.errors.append((source, waarde, f"CASE {whens} END"))
    for check in contract.checks:
        col = contract.column(check.column)
        if not col.source or check.reference not in plan.refs:
            continue  # file-derived columns are checked per file; missing references are reported
        ref_table = "raw_" + check.reference.replace("/", "__")
        target = _ident(check.column)
        reason = (
            f"CASE WHEN {target} NOT IN (SELECT {_ident(check.reference_column)} FROM raw.{ref_table}) "
            f"THEN {_lit(f'unknown area code (not in {check.reference})')} END"
        )
        lay.errors.append((col.source, _raw_text(contract, plan, col.source) or target, reason))
    # A cell error leaves its typed value NULL; a row rule on NULL yields NULL, so it adds no 2nd error.


def _build_typed(con: duckdb.DuckDBPyConnection, contract: Contract, plan: _Plan, n_cols: int) -> None:
    sql = _typed_sql(contract, plan, n_cols)
    con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS {sql}")


STRUCTURE_REASONS = {
    "MISSING COLUMNS": "too few fields on this line",
    "TOO MANY COLUMNS": "too many fields on this line",
    "UNQUOTED VALUE": "quote character inside an unquoted value or unterminated quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


def _build_bad_and_final(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Temp tables ``bad`` (__bestand, regel, kolom, waarde, reden, counts_as_bad) and ``accepted``."""
    line = "row" if contract.file.format == "xlsx" else "line"  # Excel users count rows
    reasons = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in STRUCTURE_REASONS.items())
    value_targets = [c.target for c in contract.columns if not (c.derive and c.derive.kind == "address_mapping")]
    keys = list(contract.keys)
    key_sources = ", ".join(_source_of(contract, k) for k in keys)
    row_struct = "{" + ", ".join(f"{_lit(t)}: {_ident(t)}" for t in value_targets) + ", '__h': __huisnummer}"
    key_cols = ", ".join(["__bestand", *(_ident(k) for k in keys)])
    key_text = " || ', ' || ".join(f"{_lit(k + '=')} || coalesce(CAST(c.{_ident(k)} AS VARCHAR), '')" for k in keys)
    join = " AND ".join(
        ["g.__bestand = c.__bestand", *(f"g.{_ident(k)} IS NOT DISTINCT FROM c.{_ident(k)}" for k in keys)]
    )
    con.execute("CREATE OR REPLACE TEMP TABLE cand AS SELECT * FROM typed WHERE NOT __skip AND __errors IS NULL")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE grp AS
            WITH dup AS (SELECT {key_cols} FROM cand GROUP BY ALL HAVING count(*) > 1)
            SELECT {key_cols}, count(DISTINCT {row_struct}) AS __nd, min(__regel) AS __first,
                   list(__regel ORDER BY __regel)[1:10] AS __lines
            FROM cand SEMI JOIN dup USING ({key_cols}) GROUP BY ALL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE bad AS
        SELECT __bestand, __regel AS regel, e.kolom, e.waarde, e.reden, true AS counts_as_bad
        FROM (SELECT __bestand, __regel, unnest(__errors) AS e FROM typed WHERE NOT __skip AND __errors IS NOT NULL)
        UNION ALL
        SELECT __bestand, regel, NULL AS kolom, NULL AS waarde,
               coalesce(CASE error_type {reasons} END, lower(error_type)) AS reden, true AS counts_as_bad
        FROM rej_f
        UNION ALL
        SELECT c.__bestand, c.__regel, {_lit(key_sources)},
               NULL,
               CASE WHEN g.__nd = 1 THEN 'exact duplicate of {line} ' || g.__first || ' (kept once)'
                    ELSE 'conflicting duplicate key (' || {key_text}
                         || '): {line}s ' || array_to_string(g.__lines, ', ') || ' differ' END,
               g.__nd > 1
        FROM cand c JOIN grp g ON {join}
        WHERE g.__nd > 1 OR c.__regel <> g.__first"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE accepted AS SELECT * FROM cand
           ANTI JOIN (SELECT __bestand, regel AS __regel FROM bad WHERE regel IS NOT NULL) USING (__bestand, __regel)"""
    )


def _address_reference(con: duckdb.DuckDBPyConnection, ref: str) -> None:
    """Temp tables ``ref_addr`` (PC6 + number -> buurt) and ``ref_majority`` (PC6 -> buurt with most
    addresses) from the newest delivery of the newest year; built once per connection, since the
    reference does not change while one dataset is ingested."""
    if _has_table(con, "ref_addr"):
        return
    con.execute(
        f"""CREATE TEMP TABLE ref_newest AS SELECT pc6, huisnummer, buurt, wijk FROM {ref}
            WHERE levering_id = (SELECT max(levering_id) FROM {ref}
                                 WHERE jaar = (SELECT max(jaar) FROM {ref}))"""
    )
    con.execute(
        """CREATE TEMP TABLE ref_majority AS
           SELECT pc6, buurt, wijk FROM (SELECT pc6, buurt, wijk, count(*) AS n FROM ref_newest GROUP BY ALL)
           QUALIFY row_number() OVER (PARTITION BY pc6 ORDER BY n DESC, buurt) = 1"""
    )
    con.execute(
        """CREATE TEMP TABLE ref_addr AS
           SELECT pc6, huisnummer, min(buurt) AS buurt, min(wijk) AS wijk FROM ref_newest GROUP BY ALL"""
    )
    con.execute("DROP TABLE ref_newest")


def _build_mapping(con: duckdb.DuckDBPyConnection, contract: Contract, plan: _Plan) -> dict[int, int] | None:
    """Create temp table ``final`` (rows to load, mapped to areas); returns per file number the rows not
    mapped to the reference geography (None when the dataset is not mapped or its reference is missing)."""
    mapped = _map_addresses(con, contract, plan)
    if contract.area_mapping and contract.area_mapping.reference in plan.refs:
        mapped = _map_buurtcodes(con, contract)
    elif contract.reference_geography and "cbs/kerncijfers" in plan.refs:
        _reference_geography(con)
        column = _ident(contract.reference_geography)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE final AS
                SELECT *, {column} NOT IN (SELECT code FROM ref_geo) AS __unmapped FROM final"""
        )
        mapped = True
    if not mapped:
        return None
    rows = con.execute("SELECT __bestand, count(*) FILTER (__unmapped) FROM final GROUP BY ALL").fetchall()
    return {int(b): int(n) for b, n in rows}


def _reference_geography(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``ref_geo`` (code): the areas of the reference geography year, i.e. the configured
    ``reference_year`` when delivered, else the newest CBS kerncijfers year (newest delivery of it)."""
    if _has_table(con, "ref_geo"):
        return
    wanted = load_settings().reference_year
    con.execute(
        f"""CREATE TEMP TABLE ref_geo AS
            WITH y AS (SELECT coalesce(max(jaar) FILTER (jaar = {_lit(wanted)}), max(jaar)) AS jaar
                       FROM raw.raw_cbs__kerncijfers),
                 l AS (SELECT max(levering_id) AS levering_id FROM raw.raw_cbs__kerncijfers
                       WHERE jaar = (SELECT jaar FROM y))
            SELECT DISTINCT gwb_code AS code FROM raw.raw_cbs__kerncijfers
            WHERE levering_id = (SELECT levering_id FROM l)"""
    )


def _map_buurtcodes(con: duckdb.DuckDBPyConnection, contract: Contract) -> bool:
    """Wijk of a delivered buurt code: its own wijk when the buurt is in the reference geography
    ('buurtcode'); for a buurt code of an older geography the wijk its digits name, when that wijk still
    exists ('wijk_uit_buurtcode'); otherwise not mapped ('niet_gekoppeld', wijk NULL, counted)."""
    assert contract.area_mapping is not None
    _reference_geography(con)
    buurt = _ident(contract.area_mapping.column)
    parts = {c.derive.part: c.target for c in contract.columns if c.derive and c.derive.kind == "area_mapping"}
    replace = []
    if "wijk" in parts:
        replace.append(f"CASE WHEN __methode <> 'niet_gekoppeld' THEN __wijk END AS {_ident(parts['wijk'])}")
    if "method" in parts:
        replace.append(f"__methode AS {_ident(parts['method'])}")
    replace_sql = f" REPLACE ({', '.join(replace)})" if replace else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE final AS
        WITH m AS (
            SELECT *, 'WK' || substr({buurt}, 3, 6) AS __wijk,
                   CASE WHEN {buurt} IN (SELECT code FROM ref_geo) THEN 'buurtcode'
                        WHEN 'WK' || substr({buurt}, 3, 6) IN (SELECT code FROM ref_geo) THEN 'wijk_uit_buurtcode'
                        ELSE 'niet_gekoppeld' END AS __methode
            FROM final)
        SELECT * EXCLUDE (__wijk, __methode){replace_sql}, __methode = 'niet_gekoppeld' AS __unmapped FROM m"""
    )
    return True


def _map_addresses(con: duckdb.DuckDBPyConnection, contract: Contract, plan: _Plan) -> bool:
    """Create temp table ``final`` with buurt/wijk/method filled (and ``__unmapped``); False: not mapped."""
    mapping = contract.address_mapping
    if mapping is None or mapping.reference not in plan.refs:
        con.execute("CREATE OR REPLACE TEMP TABLE final AS SELECT * FROM accepted")
        return False
    parts = {
        c.derive.part: c.target
        for c in contract.columns
        if c.derive and c.derive.kind == "address_mapping" and c.derive.part
    }
    ref = "raw.raw_" + mapping.reference.replace("/", "__")
    pc6 = _ident(mapping.pc6)
    replace = []
    if "buurt" in parts:
        replace.append(f"coalesce(x.buurt, m.buurt) AS {_ident(parts['buurt'])}")
    if "wijk" in parts:
        replace.append(f"coalesce(x.wijk, m.wijk) AS {_ident(parts['wijk'])}")
    method = (
        "CASE WHEN x.buurt IS NOT NULL THEN 'adres' WHEN m.buurt IS NOT NULL THEN 'pc6_meerderheid' "
        "ELSE 'niet_gekoppeld' END"
    )
    if "method" in parts:
        replace.append(f"{method} AS {_ident(parts['method'])}")
    _address_reference(con, ref)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE final AS
        SELECT a.* REPLACE ({", ".join(replace)}), {method} = 'niet_gekoppeld' AS __unmapped
        FROM accepted a
        LEFT JOIN (SELECT * FROM ref_addr WHERE pc6 IN (SELECT {pc6} FROM accepted)) x
               ON x.pc6 = a.{pc6} AND x.huisnummer = a.__huisnummer
        LEFT JOIN (SELECT * FROM ref_majority WHERE pc6 IN (SELECT {pc6} FROM accepted)) m
               ON m.pc6 = a.{pc6}"""
    )
    return True


def _file_level_checks(
    con: duckdb.DuckDBPyConnection, contract: Contract, constants: dict[str, Any], refs: set[str]
) -> FileProblem | None:
    """Checks on values that come from the file name (e.g. the gemeente code)."""
    for check in contract.checks:
        col = contract.column(check.column)
        if col.source:
            continue
        value = constants.get(check.column)
        if value is None:
            return FileProblem(
                reason=f"{check.column} in the file name is not a valid code",
                expected=f"a file name like {contract.file.name_example}",
                fix="rename the file to the agreed pattern",
            )
        if check.reference not in refs:
            continue
        ref_table = "raw_" + check.reference.replace("/", "__")
        found = con.execute(
            f"SELECT count(*) FROM raw.{ref_table} WHERE {_ident(check.reference_column)} = ?", [value]
        ).fetchone()
        if not found or not found[0]:
            return FileProblem(
                reason=f"unknown area code {value} in the file name (not in {check.reference})",
                expected=f"a file name like {contract.file.name_example} with an existing code",
                fix="check the code in the file name",
                details={"code": value},
            )
    return None


def _name_and_period(contract: Contract, name: str) -> tuple[dict[str, str] | None, FileProblem | None]:
    spec = contract.file
    m = spec.name_pattern.fullmatch(name)  # not .match: '$' also matches before a trailing newline
    if not m:
        return None, FileProblem(
            reason=f"file name {name!r} does not match the agreed pattern",
            expected=f"a name like {spec.name_example} (pattern {spec.name_pattern.pattern})",
            fix=f"rename the file, e.g. {spec.name_example}",
        )
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    return groups, None


def _period_problem(contract: Contract, text: str, span: tuple[date, date] | None, today: date) -> FileProblem | None:
    period = contract.period
    expected = f"a {period.granularity} from {period.earliest:%Y-%m} up to the current month in the file name"
    if span is None:
        return FileProblem(
            reason=f"period {text!r} in the file name is not a valid {period.granularity}",
            expected=expected,
            fix=f"rename the file, e.g. {contract.file.name_example}",
        )
    if span[0] < period.earliest:
        return FileProblem(
            reason=f"period {text} is before {period.earliest:%Y-%m}",
            expected=expected,
            fix="check the period in the file name; data before the earliest period is not used",
        )
    if span[0] > _month_start(today):
        return FileProblem(
            reason=f"period {text} is in the future",
            expected=expected,
            fix="check the period in the file name",
        )
    return None


def _precheck(
    con: duckdb.DuckDBPyConnection, contract: Contract, prep: _Prepared, refs: set[str], today: date
) -> _Outcome:
    """Checks of one prepared file before its rows are read: name, period, bytes and header, codes in the
    file name. A file without a problem goes on to :func:`_evaluate_batch`."""
    out = _Outcome(notes=list(prep.notes))
    groups, problem = _name_and_period(contract, prep.path.name)
    if problem:
        out.problem = problem
        return out
    assert groups is not None
    out.period = groups.get(contract.period.group, "")
    span = parse_period(out.period, contract.period.granularity)
    out.problem = _period_problem(contract, out.period, span, today) or prep.problem
    if out.problem:
        return out
    assert span is not None
    wanted = contract.source_columns()
    ignored = [h for h in prep.header if h and h.lower() not in wanted]
    if ignored:
        out.notes.append(f"columns not in the contract were ignored: {', '.join(ignored)}")
    out.constants = {
        c.target: _file_constant(c, contract, groups, span[0])
        for c in contract.columns
        if c.derive and c.derive.kind in ("file_period", "file_group")
    }
    out.file_end = span[1]
    for ref in contract.requires():
        if ref not in refs:
            out.notes.append(f"not checked: {ref} is not available (area codes / address mapping)")
    out.problem = _file_level_checks(con, contract, out.constants, refs)
    return out


def _files_table(con: duckdb.DuckDBPyConnection, contract: Contract, items: list[tuple[_Prepared, _Outcome]]) -> None:
    """Temp table ``files``: per file number its period end and the targets taken from its name."""
    targets = [contract.column(t) for t in _file_targets(contract)]
    names = ["__bestand", "__file_end", *(_ident("k_" + c.target) for c in targets)]
    rows = []
    for prep, out in items:
        values = [f"CAST({prep.index} AS INTEGER)", f"CAST({_lit(out.file_end)} AS DATE)"]
        values += [f"CAST({_lit(out.constants[c.target])} AS {c.sql_type})" for c in targets]
        rows.append("(" + ", ".join(values) + ")")
    con.execute(f"CREATE OR REPLACE TEMP TABLE files AS SELECT * FROM (VALUES {', '.join(rows)}) v({', '.join(names)})")


def _evaluate_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: list[tuple[_Prepared, _Outcome]],
    refs: set[str],
    today: date,
    limits: FileLimits,
) -> None:
    """Read and check the rows of files that passed :func:`_precheck` (all with the same header) in one
    set of queries; fills each file's outcome and leaves temp tables ``final`` and ``bad`` keyed by
    ``__bestand`` (the file number). One verdict per file: a bad file never takes the others down."""
    header = [h.lower() for h in items[0][0].header]
    wanted = contract.source_columns()
    plan = _Plan({h: f"c{i}" for i, h in enumerate(header) if h in wanted}, _month_start(today), refs)
    _files_table(con, contract, items)
    _stage(con, [prep for prep, _ in items], contract, limits)
    _build_typed(con, contract, plan, len(header))
    _build_bad_and_final(con, contract)
    unmapped = _build_mapping(con, contract, plan)
    _count_rows(con, contract, items, unmapped)


def _count_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: list[tuple[_Prepared, _Outcome]],
    unmapped: dict[int, int] | None,
) -> None:
    """Row counts per file and the verdict on the bad-row share.

    First the safety nets: the records DuckDB read from a file (rows + rejected lines) must be exactly the
    records the line pass wrote, each with its own prefix; and read = accepted + rejected. A file that fails
    either is refused whole: it is never loaded short, nor with rows of another file.
    """
    typed = _per_file(con, "SELECT __bestand, count(*), count(*) FILTER (__skip) FROM typed GROUP BY ALL")
    parsed = _per_file(con, "SELECT __bestand, count(*), count(*) FILTER (NOT __in_step) FROM src GROUP BY ALL")
    rej = _per_file(con, "SELECT __bestand, count(DISTINCT line) FROM rej_f GROUP BY ALL")
    bad = _per_file(
        con,
        "SELECT __bestand, count(DISTINCT regel), count(DISTINCT regel) FILTER (counts_as_bad) FROM bad GROUP BY ALL",
    )
    final = _per_file(con, "SELECT __bestand, count(*) FROM final GROUP BY ALL")
    limit = contract.file.max_bad_row_fraction
    for prep, out in items:
        i = prep.index
        total, skipped = typed.get(i, (0, 0))
        out.rows_total = int(total) + int(rej.get(i, (0,))[0]) - int(skipped)
        out.rows_rejected, n_bad = bad.get(i, (0, 0))
        out.rows_accepted = final.get(i, (0,))[0]
        out.rows_unmapped = None if unmapped is None else unmapped.get(i, 0)
        read, out_of_step = parsed.get(i, (0, 0))
        if read + rej.get(i, (0,))[0] != prep.records or out_of_step:
            out.problem = _inconsistent(contract, prep.records, read + rej.get(i, (0,))[0])
            continue
        if out.rows_total != out.rows_accepted + out.rows_rejected:
            out.problem = _inconsistent(contract, out.rows_total, out.rows_accepted + out.rows_rejected)
            continue
        if skipped:
            out.notes.append(f"{skipped} row(s) skipped (empty rows or values the contract skips)")
        if out.rows_total and n_bad / out.rows_total > limit:
            out.problem = FileProblem(
                reason=f"too many bad rows: {n_bad} of {out.rows_total} ({100 * n_bad / out.rows_total:.1f} %) "
                f"exceed the limit of {100 * limit:g} %",
                expected=f"at most {100 * limit:g} % rows with problems",
                fix="correct the rows listed in first_bad_rows (line numbers: header = line 1) and deliver again",
                details={
                    "bad_rows": int(n_bad),
                    "rows": out.rows_total,
                    "reasons": _reason_counts(con, i),
                    "first_bad_rows": [b.__dict__ for b in _bad_rows(con, SAMPLE_ROWS, i)],
                },
            )
        elif out.rows_total == 0:
            out.problem = FileProblem(
                reason="file has no data rows (only empty rows or rows the contract skips)",
                expected="data rows below the header",
                fix="deliver the export with its rows",
            )
        elif out.rows_accepted == 0:
            out.problem = FileProblem(
                reason="no row of the file can be loaded",
                expected="data rows",
                fix="see first_bad_rows",
                details={"first_bad_rows": [b.__dict__ for b in _bad_rows(con, SAMPLE_ROWS, i)]},
            )


def _unreadable(contract: Contract, what: str, exc: BaseException) -> FileProblem:
    """A file that made a step fail: refused with the kind of error only (its message may quote the content)."""
    return FileProblem(
        reason=f"the file could not be read: {what} ({type(exc).__name__})",
        expected=f"a file like {contract.file.name_example}",
        fix="check the file with `wijkbeeld validate` and deliver it again; if it looks right, ask the data team",
        details={"error_type": type(exc).__name__},
    )


def _inconsistent(contract: Contract, expected: int, found: int) -> FileProblem:
    """The safety net of :func:`_count_rows`: the file is refused rather than loaded incompletely."""
    q = contract.file.quote
    return FileProblem(
        reason=f"the file could not be read consistently: {expected} records expected, {found} read (a quote "
        f"'{q}' in an unexpected place?); nothing of it was loaded",
        expected=f"values that contain the delimiter, a line break or a quote enclosed in quotes ('{q}'), and a "
        f"quote inside such a value doubled ('{q * 2}')",
        fix="check the quotes in the file and deliver it again; `wijkbeeld validate` shows the verdict",
        details={"records_expected": expected, "records_read": found},
    )


def _per_file(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, tuple[int, ...]]:
    return {int(r[0]): tuple(int(v) for v in r[1:]) for r in con.execute(sql).fetchall() if r[0] is not None}


def _reason_counts(con: duckdb.DuckDBPyConnection, bestand: int) -> dict[str, int]:
    rows = con.execute(
        "SELECT reden, count(DISTINCT regel) FROM bad WHERE __bestand = ? GROUP BY reden ORDER BY 2 DESC, 1 LIMIT 20",
        [bestand],
    ).fetchall()
    return {r: int(n) for r, n in rows}


def _bad_rows(con: duckdb.DuckDBPyConnection, limit: int, bestand: int) -> list[BadRow]:
    rows = con.execute(
        "SELECT regel, kolom, waarde, reden FROM bad WHERE __bestand = ? "
        f"ORDER BY regel NULLS LAST, kolom LIMIT {int(limit)}",
        [bestand],
    ).fetchall()
    return [BadRow(line=r[0], column=r[1], value=r[2], reason=r[3]) for r in rows]


# ---------------------------------------------------------------- warehouse


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas ``raw``/``meta`` and every raw table of every contract (empty) if absent.

    dbt then always finds its sources, also for datasets without files yet. An existing table whose
    columns differ from its contract is an error: silently loading into another shape would corrupt it.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    tables = [("raw", c.raw_table, c.table_columns()) for c in all_contracts()]
    tables += [("meta", name, cols) for name, cols in META_TABLES.items()]
    for schema, table, cols in tables:
        col_sql = ", ".join(f"{_ident(n)} {t}" for n, t in cols)
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} ({col_sql})")
        found = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? AND table_catalog = current_database() ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        if [(n, t.upper()) for n, t in found] != [(n, t) for n, t in cols]:
            raise RuntimeError(
                f"warehouse table {schema}.{table} has columns {found}, its contract expects {cols}; "
                "migrate or rebuild the warehouse"
            )


def limit_duckdb_memory(con: duckdb.DuckDBPyConnection, s: Settings, spill: Path | None = None) -> None:
    """Cap DuckDB's buffer memory and let it spill to the warehouse folder (national-scale ingest stays bounded),
    or to ``spill`` (the partner-side check, which writes nothing in the data home)."""
    con.execute(f"SET memory_limit = {_lit(s.duckdb_memory_limit)}")
    con.execute(f"SET temp_directory = {_lit(str(spill or s.warehouse.parent / 'spill'))}")


@contextmanager
def _warehouse(s: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Short-lived read-write connection to the warehouse (dbt and publish open the file later)."""
    import duckdb

    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(s.warehouse))
    con.execute("SET enable_progress_bar = false")
    limit_duckdb_memory(con, s)
    try:
        ensure_warehouse(con)
        yield con
    finally:
        con.close()


def _known_delivery(con: duckdb.DuckDBPyConnection, contract: Contract, sha: str) -> int | None:
    row = con.execute(
        "SELECT min(levering_id) FROM meta.leveringen WHERE partner = ? AND dataset = ? AND bron_sha256 = ?",
        [contract.partner, contract.dataset, sha],
    ).fetchone()
    return row[0] if row else None


def _load_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, good: list[tuple[_Prepared, _Outcome, str]]
) -> list[int]:
    """Insert the rows, rejected rows and delivery records of the good files of a batch in ONE transaction
    (each file gets its own levering_id, in batch order); returns the levering_ids."""
    now = _now_utc()
    cols = ", ".join(_ident(c.target) for c in contract.columns)
    con.execute("BEGIN TRANSACTION")
    try:
        first = int(con.execute("SELECT coalesce(max(levering_id), 0) + 1 FROM meta.leveringen").fetchone()[0])
        leveringen = [first + k for k in range(len(good))]
        values = ", ".join(
            f"({prep.index}, {levering}, {_lit(prep.path.name)}, {_lit(prep.sha256)})"
            for (prep, _, _), levering in zip(good, leveringen, strict=True)
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE batch_lev AS
                SELECT * FROM (VALUES {values}) v(__bestand, levering_id, bron_bestand, bron_sha256)"""
        )
        con.execute(
            f"""INSERT INTO raw.{contract.raw_table} ({cols}, bron_bestand, bron_sha256, levering_id,
                bron_regel, geladen_op)
                SELECT {cols}, l.bron_bestand, l.bron_sha256, l.levering_id, __regel, $1
                FROM final JOIN batch_lev l USING (__bestand) ORDER BY l.levering_id, __regel""",
            [now],
        )
        con.execute(
            """INSERT INTO meta.afgewezen_rijen
               SELECT $1, $2, l.bron_bestand, l.bron_sha256, regel, kolom, waarde, reden, $3
               FROM bad JOIN batch_lev l USING (__bestand) ORDER BY l.levering_id, regel NULLS LAST, kolom""",
            [contract.partner, contract.dataset, now],
        )
        con.executemany(
            "INSERT INTO meta.leveringen VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [
                [
                    levering,
                    contract.partner,
                    contract.dataset,
                    prep.path.name,
                    prep.sha256,
                    out.period,
                    out.rows_accepted,
                    out.rows_rejected,
                    out.rows_unmapped or 0,
                    now,
                    archive_rel,
                ]
                for (prep, out, archive_rel), levering in zip(good, leveringen, strict=True)
            ],
        )
        con.execute("COMMIT")
    except Exception:
        with suppress(Exception):  # a failed COMMIT (e.g. disk full) already ended it: keep the original error
            con.execute("ROLLBACK")
        raise
    return leveringen


def _archive_path(s: Settings, contract: Contract, prep: _Prepared) -> Path:
    return s.archive / contract.partner / contract.dataset / f"{prep.sha256[:12]}_{prep.path.name}"


def _archive(path: Path, dest: Path) -> None:
    """Move an ingested original to the archive (healing: if it is already there, drop the copy)."""
    make_dir(dest.parent, PRIVATE_DIR_MODE)
    if dest.exists():
        path.unlink()
    else:
        shutil.move(str(path), str(dest))
    with suppress(OSError):
        path.with_name(path.name + ".complete").unlink()


MAX_NAME_BYTES = 200  # longer names are refused: '<name>.complete', '.reason.json' and archive names must fit in 255


def _display_name(name: str) -> str:
    """A file name as text for records and logs: bytes that are not UTF-8 and control characters escaped."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _stored_name(name: str) -> str:
    """The name a refused file gets in quarantine: its own, unless that is too long or not plain text."""
    shown = _display_name(name)
    if shown == name and len(name.encode()) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return shown.encode()[:150].decode("utf-8", "ignore") + "~" + digest


def _quarantine(
    s: Settings, contract: Contract, prep: _Prepared, problem: FileProblem
) -> tuple[QuarantinedFile, list[Any]]:
    """Move a bad file to quarantine with its reason.json; returns its row for meta.quarantaine.

    A symbolic link is moved as the link: its target is never touched. A name that is too long or not
    plain text is stored under a shortened name (the record keeps the delivered name)."""
    folder = make_dir(s.quarantine / contract.partner / contract.dataset, PRIVATE_DIR_MODE)
    stored = _stored_name(prep.path.name)
    dest = folder / stored
    name = _display_name(prep.path.name)
    now = _now_utc()
    reason = {
        "dataset": contract.name,
        "file": name,
        "sha256": prep.sha256 or None,
        "reason": problem.reason,
        "details": problem.details,
        "expected": problem.expected,
        "how_to_fix": problem.fix,
        "quarantined_at": now.isoformat() + "Z",
    }
    if stored != prep.path.name:
        reason["stored_as"] = stored
    reason_path = folder / f"{stored}.reason.json"
    tmp = reason_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(reason, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, reason_path)
    shutil.move(str(prep.path), str(dest))
    with suppress(OSError):
        prep.path.with_name(prep.path.name + ".complete").unlink()
    details = json.dumps({k: reason[k] for k in ("details", "expected", "how_to_fix")}, ensure_ascii=False, default=str)
    rel = _relative(dest, s.home)
    record = [contract.partner, contract.dataset, name, prep.sha256 or None, problem.reason, details, now, rel]
    return QuarantinedFile(file=name, reason=problem.reason, path=rel), record


LOGGED_FILES = 20  # quarantined files logged one by one per dataset and run; the rest in one line


@dataclass
class _Refusals:
    """The files one ingest run quarantines: each moved at once, recorded in ``meta.quarantaine`` in bulk (an
    INSERT per file cost 1.6 ms) and logged one by one for the first few only (50,000 junk files made 50,000
    Dagster events, which took longer than the ingest itself)."""

    con: duckdb.DuckDBPyConnection
    s: Settings
    contract: Contract
    report: IngestReport
    log: logging.Logger | logging.LoggerAdapter[Any]
    pending: list[list[Any]] = field(default_factory=list)

    def refuse(self, prep: _Prepared, problem: FileProblem) -> None:
        quarantined, record = _quarantine(self.s, self.contract, prep, problem)
        self.pending.append(record)
        self.report.files_quarantined.append(quarantined)
        if len(self.report.files_quarantined) <= LOGGED_FILES:
            self.log.warning("%s: quarantined: %s", quarantined.file, problem.reason)

    def record(self) -> None:
        """Write the pending rows of ``meta.quarantaine`` (one column list per field, unnested)."""
        if not self.pending:
            return
        columns = [list(c) for c in zip(*self.pending, strict=True)]
        unnest = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        self.con.execute(f"INSERT INTO meta.quarantaine SELECT * FROM (SELECT {unnest})", columns)
        self.pending.clear()


def _name_problem(contract: Contract, name: str, today: date) -> FileProblem | None:
    """The checks on a file's name alone (length, pattern, period), done before its bytes are read: a name
    that fails is refused even when its bytes were delivered before under a good name."""
    size = len(name.encode("utf-8", "surrogateescape"))
    if _display_name(name) != name or size > MAX_NAME_BYTES:
        shown = _display_name(name)
        what = f"is {size} bytes long, more than {MAX_NAME_BYTES}" if size > MAX_NAME_BYTES else "is not plain text"
        return FileProblem(
            reason=f"file name {shown[:60]!r}... {what}" if len(shown) > 60 else f"file name {shown!r} {what}",
            expected=f"a name like {contract.file.name_example}",
            fix=f"rename the file, e.g. {contract.file.name_example}",
            details={"name_bytes": size},
        )
    groups, problem = _name_and_period(contract, name)
    if problem or groups is None:
        return problem
    period = groups.get(contract.period.group, "")
    return _period_problem(contract, period, parse_period(period, contract.period.granularity), today)


def _symlink_problem(s: Settings, path: Path) -> FileProblem:
    rel = _relative(path, s.home)
    return FileProblem(
        reason=f"{_display_name(rel)} is a symbolic link, not a delivered file; links are never followed",
        expected="the file itself in the landing folder",
        fix="copy the file itself into the landing folder, not a link to it",
    )


class Landing(NamedTuple):
    """What :func:`settled_files` found in a landing folder."""

    ready: list[Path]  # settled regular files, and symbolic links (quarantined as such, never followed)
    waiting: list[str]  # still being written
    skipped: list[tuple[str, str]]  # (name, why): folders and other entries that are not files, left in place


def settled_files(folder: Path, settle_seconds: int) -> Landing:
    """Files safe to read (unchanged for ``settle_seconds`` or marked ``<name>.complete``), and the rest.

    Hidden files and ``~$`` lock files are partial uploads or editor files, not deliveries. Nothing here
    follows a symbolic link (``lstat``): a link is listed as ready, for ingest to quarantine the link itself.
    A name too long for its ``.complete`` marker, or an entry that vanishes meanwhile, never raises.
    """
    if folder.is_symlink() or not folder.is_dir():
        return Landing([], [], [])
    now = time.time()
    ready: list[tuple[str, float, Path]] = []
    waiting: list[str] = []
    skipped: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~$")) or name.endswith(".complete"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                marked = _has_marker(folder / name)
            except OSError:  # removed meanwhile
                continue
            if stat.S_ISDIR(st.st_mode):
                skipped.append((name, "a folder, not a file: deliver files directly in the dataset folder"))
            elif not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                skipped.append((name, "not a regular file (a pipe, socket or device)"))
            elif stat.S_ISLNK(st.st_mode) or marked or now - st.st_mtime >= settle_seconds:
                ready.append((name, st.st_mtime, folder / name))
            else:
                waiting.append(name)
    return Landing([p for _, _, p in sorted(ready, key=lambda t: (t[0], t[1]))], sorted(waiting), sorted(skipped))


def _has_marker(path: Path) -> bool:
    """Whether ``<name>.complete`` exists (a name near the length limit cannot have one)."""
    try:
        return os.path.lexists(path.with_name(path.name + ".complete"))
    except (OSError, ValueError):
        return False


def linked_landing_folder(s: Settings, partner: str, dataset: str) -> str | None:
    """Why ``landing/<partner>/<dataset>/`` must not be read: its folder or the partner's is a symbolic link
    (an upload account could aim it at the archive, releases or another partner's folder). None when fine."""
    for folder in (s.landing / partner, s.landing / partner / dataset):
        if folder.is_symlink():
            rel = folder.relative_to(s.home).as_posix()
            return f"{rel} is a symbolic link; links are never followed, so nothing in it is read"
    return None


def _available_refs(con: duckdb.DuckDBPyConnection, contract: Contract) -> set[str]:
    return {ref for ref in contract.requires() if (_table_rows(con, ref) or 0) > 0}


BATCH_FILES = 100  # files validated and committed together (each keeps its own verdict)
BATCH_RECORDS = 1_000_000  # ... up to about this many records


@dataclass
class _Batch:
    """Files that passed :func:`_precheck`, with the same header, waiting to be validated together."""

    header: tuple[str, ...] = ()
    items: list[tuple[_Prepared, _Outcome]] = field(default_factory=list)
    records: int = 0

    def fits(self, prep: _Prepared) -> bool:
        same = tuple(h.lower() for h in prep.header) == self.header
        return not self.items or (same and len(self.items) < BATCH_FILES and self.records < BATCH_RECORDS)

    def add(self, prep: _Prepared, out: _Outcome) -> None:
        self.header = tuple(h.lower() for h in prep.header)
        self.items.append((prep, out))
        self.records += prep.records


def _flush(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    contract: Contract,
    batch: _Batch,
    report: IngestReport,
    log: logging.Logger | logging.LoggerAdapter[Any],
    refusals: _Refusals,
) -> None:
    """Validate a batch, quarantine its bad files, load the good ones in one transaction, then archive."""
    import duckdb

    if not batch.items:
        return
    try:
        _evaluate_batch(con, contract, batch.items, set(contract.requires()), _now_utc().date(), s.limits)
    except (duckdb.InvalidInputException, duckdb.DataError, duckdb.OutOfMemoryException) as exc:
        # A file broke the reader: every file of the batch on its own, so only that one is refused.
        if len(batch.items) > 1:
            items, batch.items, batch.records = batch.items, [], 0
            for prep, out in items:
                single = _Batch()
                single.add(prep, out)
                _flush(con, s, contract, single, report, log, refusals)
            return
        batch.items[0][1].problem = _unreadable(contract, "the reader (DuckDB) failed on it", exc)
    good: list[tuple[_Prepared, _Outcome, str]] = []
    for prep, out in batch.items:
        if out.problem:
            refusals.refuse(prep, out.problem)
        else:
            good.append((prep, out, _relative(_archive_path(s, contract, prep), s.home)))
    refusals.record()
    leveringen = _load_batch(con, contract, good) if good else []
    if good:
        pause_point("ingest")  # fault tests only: committed, not yet archived (the next run archives it)
    for (prep, out, _), levering in zip(good, leveringen, strict=True):
        _archive(prep.path, _archive_path(s, contract, prep))
        report.files_ingested.append(prep.path.name)
        report.rows_accepted += out.rows_accepted
        report.rows_rejected += out.rows_rejected
        report.rows_unmapped += out.rows_unmapped or 0
        LOG.debug(
            "%s: levering %s, %s rows accepted, %s rejected, %s unmapped",
            prep.path.name,
            levering,
            out.rows_accepted,
            out.rows_rejected,
            out.rows_unmapped or 0,
        )
    if good:  # one line per batch: a Dagster log event per file costs more than loading a small file
        names = [prep.path.name for prep, _, _ in good]
        log.info(
            "%d file(s) loaded as levering %s-%s (%s ... %s): %d rows accepted, %d rejected, %d unmapped",
            len(good),
            leveringen[0],
            leveringen[-1],
            names[0],
            names[-1],
            sum(out.rows_accepted for _, out, _ in good),
            sum(out.rows_rejected for _, out, _ in good),
            sum(out.rows_unmapped or 0 for _, out, _ in good),
        )
    for prep, _ in batch.items:
        prep.staged.unlink(missing_ok=True)
    batch.items, batch.records = [], 0


def _ingest_files(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    contract: Contract,
    ready: list[Path],
    report: IngestReport,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> None:
    """Stream-prepare each file in order; files that pass the per-file checks are validated and loaded in
    batches of consecutive files with the same header (few large queries instead of many small ones)."""
    refs = set(contract.requires())  # all loaded (else we wait), and unchanged during this run
    today = _now_utc().date()
    seen: set[str] = set()
    known_shas = dict(
        con.execute(
            "SELECT bron_sha256, min(levering_id) FROM meta.leveringen WHERE partner = ? AND dataset = ? GROUP BY ALL",
            [contract.partner, contract.dataset],
        ).fetchall()
    )
    batch = _Batch()
    refusals = _Refusals(con, s, contract, report, log)
    with tempfile.TemporaryDirectory(prefix="wijkbeeld-ingest-") as tmp:
        try:
            for index, path in enumerate(ready):
                prep = _ready_file(s, contract, path, Path(tmp) / f"{index}.csv", index, refusals)
                if prep is None:
                    continue
                try:
                    st = path.lstat()
                except FileNotFoundError:
                    log.warning("%s: removed from landing while being read", _display_name(path.name))
                    continue
                if (st.st_size, st.st_mtime) != prep.stat or prep.sha256 in seen:
                    why = "changed while being read" if prep.sha256 not in seen else "same content as another file"
                    log.warning("%s: %s; left in landing for the next run", path.name, why)
                    report.files_waiting.append(path.name)
                    continue
                known = known_shas.get(prep.sha256)
                if known is not None:
                    _archive(path, _archive_path(s, contract, prep))
                    report.files_already_ingested.append(path.name)
                    log.info("%s: already ingested (levering %s); landing copy archived", path.name, known)
                    continue
                seen.add(prep.sha256)
                out = _precheck(con, contract, prep, refs, today)
                if out.problem:
                    refusals.refuse(prep, out.problem)
                    continue
                if not batch.fits(prep):
                    _flush(con, s, contract, batch, report, log, refusals)
                batch.add(prep, out)
            _flush(con, s, contract, batch, report, log, refusals)
        finally:
            refusals.record()  # a file moved to quarantine is recorded, whatever happens next
    if len(report.files_quarantined) > LOGGED_FILES:
        log.warning(
            "%s: %d more file(s) quarantined (%d in all this run; see meta.quarantaine and quarantine/%s/)",
            contract.name,
            len(report.files_quarantined) - LOGGED_FILES,
            len(report.files_quarantined),
            contract.name,
        )


def _ready_file(
    s: Settings, contract: Contract, path: Path, staged: Path, index: int, refusals: _Refusals
) -> _Prepared | None:
    """The reading pass of one landing file; None when the file was refused before it (a symbolic link, a bad
    name: junk is hashed for the record, never decoded) or is gone. A file that breaks the pass is refused
    with the kind of error; the night goes on."""
    try:
        if path.is_symlink():
            refusals.refuse(_Prepared(path, "", staged), _symlink_problem(s, path))
            return None
        problem = _name_problem(contract, path.name, _now_utc().date())
        if problem:
            refusals.refuse(_failed_prep(path, staged, index), problem)
            return None
        try:
            return _prepare(path, contract, staged, index, s.limits)
        except Exception as exc:
            if not os.path.lexists(path):
                raise FileNotFoundError(path) from exc
            prep = _failed_prep(path, staged, index)
            prep.problem = _unreadable(contract, "the reading pass failed on it", exc)
            return prep
    except FileNotFoundError:
        refusals.log.warning("%s: removed from landing while being read", _display_name(path.name))
        return None


def _last_delivery(con: duckdb.DuckDBPyConnection, contract: Contract) -> str | None:
    row = con.execute(
        """SELECT bron_bestand, levering_id, geladen_op FROM meta.leveringen
           WHERE partner = ? AND dataset = ? ORDER BY levering_id DESC LIMIT 1""",
        [contract.partner, contract.dataset],
    ).fetchone()
    return f"{row[0]} (levering {row[1]}, loaded {row[2]:%Y-%m-%d %H:%M} UTC)" if row else None


def ingest_dataset(
    partner: str,
    dataset: str,
    settings: Settings | None = None,
    *,
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> IngestReport:
    """Ingest every settled file in ``landing/<partner>/<dataset>/`` (see module docstring)."""
    s = (settings or load_settings()).ensure()
    log = log or LOG
    contract = load_contract(partner, dataset)
    report = IngestReport(partner=partner, dataset=dataset)
    linked = linked_landing_folder(s, partner, dataset)
    if linked:
        report.files_skipped.append((f"{partner}/{dataset}", linked))
        ready: list[Path] = []
    else:
        ready, report.files_waiting, report.files_skipped = settled_files(
            s.landing / partner / dataset, s.settle_seconds
        )
    for name, why in report.files_skipped[:LOGGED_FILES]:
        log.warning("%s: skipped, left in landing: %s", _display_name(name), why)
    for name in report.files_waiting:
        log.info(
            "%s: not settled yet (changed < %ss ago, no .complete marker); left in landing",
            name,
            s.settle_seconds,
        )
    with _warehouse(s) as con:
        missing = [ref for ref in contract.requires() if not _table_rows(con, ref)]
        if missing and ready:
            report.waiting_for = missing
            log.info(
                "%s: waiting for %s; %d file(s) left in landing",
                contract.name,
                report.waiting_for,
                len(ready),
            )
            report.files_waiting += [p.name for p in ready]
            ready = []
        _ingest_files(con, s, contract, ready, report, log)
        report.last_delivery = _last_delivery(con, contract)
        report.unmapped_by_period = unmapped_by_period(con, contract)
        report.freshness = freshness(con, contract, _now_utc().date())
    return report


_CADENCE_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _month_end(first: date, add_months: int = 0) -> date:
    """Last day of the month ``add_months`` after the month of ``first``."""
    from datetime import timedelta

    index = first.year * 12 + first.month - 1 + add_months + 1  # the month after, counted from year 0
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def freshness(con: duckdb.DuckDBPyConnection, contract: Contract, today: date) -> Freshness | None:
    """Freshness of a dataset from its loaded data (None when the contract has no cadence)."""
    from datetime import timedelta

    cadence = contract.cadence
    if cadence is None:
        return None
    newest: date | None = None
    if contract.period.row_column:
        row = con.execute(f"SELECT max({_ident(contract.period.row_column)}) FROM raw.{contract.raw_table}").fetchone()
        newest = row[0] if row and row[0] is not None else None
        if isinstance(newest, datetime):
            newest = newest.date()
    else:
        periods = con.execute(
            "SELECT DISTINCT bestand_periode FROM meta.leveringen WHERE partner = ? AND dataset = ?",
            [contract.partner, contract.dataset],
        ).fetchall()
        spans = [parse_period(p, contract.period.granularity) for (p,) in periods if p]
        newest = max((s[1] for s in spans if s), default=None)
    if newest is None:
        return Freshness(cadence.period, None, None, True)
    covered = _month_end(_month_start(newest))
    due = _month_end(_month_start(newest), _CADENCE_MONTHS[cadence.period]) + timedelta(days=cadence.grace_days)
    return Freshness(cadence.period, covered, due, today > due)


def unmapped_by_period(con: duckdb.DuckDBPyConnection, contract: Contract) -> dict[str, int]:
    """Rows not mapped to the reference geography per file period, over the newest delivery of each file."""
    rows = con.execute(
        """SELECT bestand_periode, sum(rijen_niet_gekoppeld) FROM (
               SELECT * FROM meta.leveringen WHERE partner = ? AND dataset = ?
               QUALIFY row_number() OVER (PARTITION BY bron_bestand ORDER BY levering_id DESC) = 1)
           GROUP BY ALL HAVING sum(rijen_niet_gekoppeld) > 0 ORDER BY 1""",
        [contract.partner, contract.dataset],
    ).fetchall()
    return {str(p): int(n) for p, n in rows}


# ---------------------------------------------------------------- partner-side check


def _resolve_contract(name: str, dataset: str | None) -> Contract | None:
    if dataset:
        partner, _, ds = dataset.replace("__", "/").partition("/")
        return load_contract(partner, ds)
    return contract_for_name(name)


def _attach_references(con: duckdb.DuckDBPyConnection, notes: list[str]) -> None:
    """Use the local warehouse read-only for geography checks, when there is one and it is free."""
    import duckdb

    path = load_settings().warehouse
    if not path.exists():
        notes.append("no local warehouse: area codes and address mapping not checked")
        return
    try:
        con.execute(f"ATTACH {_lit(str(path))} AS wh (READ_ONLY)")
        con.execute("USE wh")
    except duckdb.Error as exc:
        notes.append(f"warehouse not readable ({type(exc).__name__}): area codes not checked")


def validate_file(path: Path, dataset: str | None = None) -> Verdict:
    """The verdict ingest would give ``path``, without writing anything (partner-side check).

    ``dataset`` is ``partner/dataset``; when None it is inferred from the file name.
    """
    import duckdb

    path = Path(path)
    try:
        contract = _resolve_contract(path.name, dataset)
    except KeyError as exc:
        return Verdict(file=path.name, dataset=dataset, sha256=None, accepted=False, reasons=[str(exc.args[0])])
    if contract is None:
        examples = ", ".join(c.file.name_example for c in all_contracts())
        reason = f"file name matches no known dataset (expected names like: {examples})"
        return Verdict(file=path.name, dataset=None, sha256=None, accepted=False, reasons=[reason])
    if not path.is_file():
        return Verdict(path.name, contract.name, None, False, reasons=[f"not a file: {path}"])
    path = path.resolve()  # on the partner's own machine a link to the file is fine (ingest never follows one)
    s = load_settings()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    notes: list[str] = []
    try:
        _attach_references(con, notes)
        with tempfile.TemporaryDirectory(prefix="wijkbeeld-validate-") as tmp:
            limit_duckdb_memory(con, s, Path(tmp) / "spill")  # the same cap as ingest
            staged = Path(tmp) / "staged.csv"
            try:
                prep = _prepare(path, contract, staged, 0, s.limits)
            except Exception as exc:  # the verdict ingest would give, not a traceback
                prep = _failed_prep(path, staged, 0)
                prep.problem = _unreadable(contract, "the reading pass failed on it", exc)
            refs = _available_refs(con, contract)
            out = _precheck(con, contract, prep, refs, _now_utc().date())
            if out.problem is None:
                try:
                    _evaluate_batch(con, contract, [(prep, out)], refs, _now_utc().date(), s.limits)
                except (duckdb.InvalidInputException, duckdb.DataError, duckdb.OutOfMemoryException) as exc:
                    out.problem = _unreadable(contract, "the reader (DuckDB) failed on it", exc)
            known = _known_delivery(con, contract, prep.sha256) if _has_meta(con) else None
            if known is not None:
                notes.append(f"this exact file was already ingested (levering {known}): ingest changes nothing")
            bad = _bad_rows(con, VERDICT_ROWS, prep.index) if _has_table(con, "bad") and out.rows_total else []
    finally:
        con.close()
    verdict = Verdict(
        file=path.name,
        dataset=contract.name,
        sha256=prep.sha256,
        accepted=out.problem is None,
        bad_rows=bad,
        rows_total=out.rows_total,
        rows_accepted=out.rows_accepted,
        rows_rejected=out.rows_rejected,
        rows_unmapped=out.rows_unmapped,
        notes=notes + [n for n in out.notes if not n.startswith("not checked")],
        line_word="row" if contract.file.format == "xlsx" else "line",
    )
    if out.problem:
        verdict.reasons.append(out.problem.reason)
        verdict.details = {
            **out.problem.details,
            "expected": out.problem.expected,
            "how_to_fix": out.problem.fix,
        }
    return verdict


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' "
        "AND table_name = 'leveringen' AND table_catalog = current_database()"
    ).fetchone()
    return bool(row and row[0])


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).fetchone()
    return bool(row and row[0])
