"""The CSV reader's line pass: hash, decode in the contract encoding, and write a normalised UTF-8 copy.

Every record of the copy carries its file number and its physical line in the original (header = line 1), so
DuckDB's reader (:func:`wijkbeeld.ingest.readers.read_batch`) keeps each row's place. Records are split by the
quote rules of DuckDB's own reader, so both always agree on where a record ends.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import limit_problem, open_file
from wijkbeeld.ingest.readers.header import structure_problem
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.settings import FileLimits


def encoding_problem(contract: Contract, what: str, where: str, fix: str) -> FileProblem:
    enc = contract.file.encoding
    return FileProblem(
        reason=f"file is not readable as {enc}: {what} ({where})",
        expected=f"text encoded as {enc}, delimiter {contract.file.delimiter!r}",
        fix=fix,
        details={"expected_encoding": enc, "position": where},
    )


def magic_problem(head: bytes, contract: Contract) -> FileProblem | None:
    """Recognise files that are not text CSV at all (workbooks, UTF-16)."""
    if head.startswith(b"PK\x03\x04"):
        return FileProblem(
            reason="file is a ZIP/Excel workbook, not a CSV text file",
            expected=f"a {contract.file.encoding} CSV text file like {contract.file.name_example}",
            fix="export the sheet as CSV (not renaming the .xlsx file) and deliver that file",
            details={"byte_offset": 0},
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return encoding_problem(
            contract,
            "it starts with a UTF-16 byte order mark",
            "byte offset 0, line 1",
            f"save the file as {contract.file.encoding} (in Excel: 'CSV UTF-8' or 'CSV (separated)')",
        )
    return None


def decode_line(raw: bytes, encoding: str) -> str:
    return raw.decode("cp1252" if encoding == "cp1252" else "utf-8")


def quote_state(text: str, in_quote: bool, delimiter: str, quote: str) -> tuple[bool, bool]:
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


def prepare_csv(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared:
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
    prep = Prepared(path=path, sha256="", staged=staged, stat=(st.st_size, st.st_mtime), index=index)
    with open_file(path) as src:
        head = src.read(4)
    prep.problem = magic_problem(head, contract)
    in_quote = False
    offset = 0
    record_start = record_bytes = 0  # first line and size so far of the current record
    utf8_evidence: str | None = None  # where a cp1252 file turned out to be UTF-8
    utf8_valid = True
    header_line: str | None = None
    max_bytes = limits.max_line_bytes
    deadline = time.monotonic() + limits.max_file_seconds
    with open_file(path) as src, staged.open("w", encoding="utf-8", newline="\n") as dst:
        line_no = 0
        while raw := src.readline(max_bytes + 1):
            line_no += 1
            sha.update(raw)
            start, offset = offset, offset + len(raw)
            if prep.problem:
                continue
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                prep.problem = limit_problem(
                    contract,
                    f"line {line_no} is longer than {max_bytes} bytes (a file without line breaks?)",
                    "WIJKBEELD_MAX_LINE_BYTES",
                    "deliver one record per line, with line breaks",
                    line=line_no,
                )
                continue
            if line_no % 4096 == 0 and time.monotonic() > deadline:
                prep.problem = limit_problem(
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
                prep.problem = encoding_problem(
                    contract,
                    "it contains NUL bytes (UTF-16 or a binary file?)",
                    where,
                    f"save the file as {spec.encoding} text",
                )
                continue
            try:
                text = decode_line(chunk, spec.encoding)
            except UnicodeDecodeError as exc:
                where = f"byte offset {start + exc.start}, line {line_no}"
                bad = chunk[exc.start : exc.start + 1].hex().upper()
                hint = " It looks like Windows-1252 (CP1252/ANSI)." if spec.encoding != "cp1252" else ""
                prep.problem = encoding_problem(
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
            in_quote, bare_cr = quote_state(text, in_quote, spec.delimiter, spec.quote)
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
                prep.problem = limit_problem(
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
        prep.problem = encoding_problem(
            contract,
            "it is UTF-8 encoded (first multi-byte UTF-8 character)",
            utf8_evidence,
            "export the file as Windows-1252 (ANSI), as agreed in the contract",
        )
    if prep.problem is None:
        prep.problem = structure_problem(prep, header_line, contract, limits)
    return prep
