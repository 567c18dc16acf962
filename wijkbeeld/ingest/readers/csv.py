"""The CSV reader: hash the file, check its bytes and write the UTF-8 copy DuckDB reads.

One of two passes runs per file:

- :func:`bulk_pass` (almost every file): large blocks and only C-speed work on them (hashing, ``bytes.decode``
  and ``encode``, ``count``/``find``, regular expressions). It proves that every record is exactly one line
  (no blank line, no quoted value over several lines, no carriage return inside a line, no line over the limit,
  the encoding right) and writes a plain copy (UTF-8, LF, no BOM) whose record ``k`` is line ``k + 2``. Only the
  lines that hold a quote character are looked at one by one (:func:`quote_state`). At anything unusual it gives
  up and leaves the file to:
- :func:`line_pass`: line by line in Python; every record of its copy carries its file number and its physical
  line in the original (header = line 1), also after quoted values with line breaks and skipped blank lines. It
  finds the exact line of every problem, so the verdict names it.

Both split records by the quote rules of DuckDB's own reader, so all three agree on where a record ends;
:func:`wijkbeeld.ingest.readers.read_batch` checks per file that they did.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from pathlib import Path

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import limit_problem, open_file
from wijkbeeld.ingest.readers.header import structure_problem
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.ingest.sql import ODD_SPACES
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
    """The reading pass of one CSV file: :func:`bulk_pass`, or :func:`line_pass` where the bulk pass gives up."""
    prep = bulk_pass(path, contract, staged, index, limits)
    return prep if prep is not None else line_pass(path, contract, staged, index, limits)


BLOCK_BYTES = 1 << 20  # the bulk pass holds one block of this size at a time, plus one partial line
BOM = b"\xef\xbb\xbf"
# A line without a printable ASCII character: blank or whitespace-only (as str.strip() sees it, in any encoding).
# The line pass drops such a line, DuckDB's reader would reject it: the bulk pass leaves such files to the line
# pass. Matched after a line break; the first line of a block separately.
_BLANKISH = rb"[\t\x0b\x0c\x1c-\x1f \x80-\xff]*\n"
_BLANK_LINE = re.compile(rb"\n" + _BLANKISH)
_BLANK_START = re.compile(_BLANKISH)
# The odd whitespace of the typing SQL (wijkbeeld.ingest.sql.ODD_SPACES) that a cell of the plain copy can hold:
# all but the line breaks, which the bulk pass proved are not inside a record. A file without any lets the typing
# SQL skip looking for it (wijkbeeld.ingest.sql.clean). (Substring searches at memchr speed: one regular
# expression with these alternatives ran at ~90 MB/s.)
_ODD_SPACES = tuple(c.encode("utf-8") for c in ODD_SPACES if c not in "\n\r")


def bulk_pass(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared | None:
    """Hash the file and write a plain UTF-8 copy (LF line ends, no BOM) with C-speed work on large blocks.

    Returns None as soon as the file is not plainly one record per line in its contract encoding: a magic number
    (a workbook, UTF-16), a NUL byte, an invalid byte, a CP1252 file that is really UTF-8, a line longer than
    ``limits.max_line_bytes``, a carriage return that does not end a line, a blank or whitespace-only line, a
    quoted value that does not close on its own line, or a pass slower than ``limits.max_file_seconds``. The
    line pass then reads the file and names the problem and its line.

    Memory is one block and one partial line: a file without line breaks is given up after its first block.
    """
    spec = contract.file
    if not (spec.quote.isascii() and spec.delimiter.isascii()):
        return None
    cp1252 = spec.encoding == "cp1252"
    encoding = "cp1252" if cp1252 else "utf-8"
    quote = spec.quote.encode("ascii")
    st = path.stat()
    prep = Prepared(path=path, sha256="", staged=staged, stat=(st.st_size, st.st_mtime), index=index, layout="plain")
    deadline = time.monotonic() + limits.max_file_seconds
    sha = hashlib.sha256()
    carry = b""  # the partial last line of the previous block
    lines = 0
    header_line: str | None = None
    non_ascii = odd = False
    utf8_valid = True  # a CP1252 file that is valid UTF-8 throughout (and not ASCII) is refused by the line pass
    with open_file(path) as src, staged.open("wb") as dst:
        at_start = first_block = True
        while True:
            block = src.read(BLOCK_BYTES)
            sha.update(block)
            if first_block:
                first_block = False
                if not block or magic_problem(block[:4], contract):
                    return None
                if block.startswith(BOM):
                    block = block[3:]
                    if spec.encoding == "utf-8":
                        prep.notes.append("UTF-8 byte order mark at the start was ignored")
            buf = carry + block if carry else block
            if not block:  # the end: a last line without a line break is a line
                if not buf:
                    break
                buf += b"\n"
            cut = buf.rfind(b"\n") + 1
            done, carry = (buf, b"") if cut == len(buf) else (buf[:cut], buf[cut:])
            if len(carry) > limits.max_line_bytes or not _lines_within(done, limits.max_line_bytes):
                return None
            if done:
                plain = _plain_lines(done, encoding, spec.delimiter, spec.quote, quote)
                if plain is None:
                    return None
                if at_start:
                    header_line = plain[: plain.index(b"\n")].decode("utf-8")
                    at_start = False
                if not done.isascii():
                    non_ascii = True
                    if cp1252 and utf8_valid:
                        try:
                            done.decode("utf-8")
                        except UnicodeDecodeError:
                            utf8_valid = False
                lines += plain.count(b"\n")
                odd = odd or any(space in plain for space in _ODD_SPACES)
                dst.write(plain)
            if time.monotonic() > deadline:
                return None
            if not block:
                break
    if header_line is None or (cp1252 and non_ascii and utf8_valid):
        return None
    prep.sha256 = sha.hexdigest()
    prep.records = lines - 1
    prep.odd_spaces = odd
    prep.problem = structure_problem(prep, header_line, contract, limits)
    return prep


def _lines_within(done: bytes, max_bytes: int) -> bool:
    """Whether every line of ``done`` (complete lines) is at most ``max_bytes`` long without its LF, as the line
    pass counts: jumps from a line break to the farthest one within reach, one call per ``max_bytes`` of text."""
    pos, end = -1, len(done) - 1
    while pos < end:
        nxt = done.rfind(b"\n", pos + 1, pos + 2 + max_bytes)
        if nxt < 0:
            return False
        pos = nxt
    return True


def _plain_lines(done: bytes, encoding: str, delimiter: str, quote: str, quote_byte: bytes) -> bytes | None:
    """Complete lines of a block as they go into the copy (UTF-8, CRLF as LF), or None when they are not plainly
    one record per line (see :func:`bulk_pass`)."""
    if b"\x00" in done:
        return None
    if b"\r" in done:
        if done.count(b"\r") != done.count(b"\r\n"):
            return None  # a carriage return inside a line
        done = done.replace(b"\r\n", b"\n")
    if _BLANK_START.match(done) or _BLANK_LINE.search(done):
        return None
    ascii_only = done.isascii()
    try:
        text = "" if ascii_only else done.decode(encoding)
    except UnicodeDecodeError:
        return None
    if quote_byte in done and quote_byte in _quoted_values(delimiter, quote).sub(b"", b"\n" + done):
        pos = 0  # a quote outside a plainly quoted value: the lines with a quote, one by one
    else:
        pos = len(done)  # every quote is in a value quoted as a whole: one record per line
    while (q := done.find(quote_byte, pos)) >= 0:
        start = done.rfind(b"\n", 0, q) + 1
        end = done.index(b"\n", q)
        in_quote, bare_cr = quote_state(done[start:end].decode(encoding), False, delimiter, quote)
        if in_quote or bare_cr:
            return None
        pos = end + 1
    if ascii_only or encoding == "utf-8":
        return done
    return text.encode("utf-8")


@functools.cache
def _quoted_values(delimiter: str, quote: str) -> re.Pattern[bytes]:
    """A value quoted as a whole on one line: a quote right after a delimiter or line break (the copy starts
    with one), quotes inside doubled, closed right before a delimiter or line break. Removing these from a block
    leaves no quote exactly when every quote of the block is in such a value (then :func:`quote_state` has
    nothing to say); the pattern starts with the quote, so the search skips along at C speed."""
    d, q = re.escape(delimiter.encode("ascii")), re.escape(quote.encode("ascii"))
    inside = b"[^" + q + b"\n]*(?:" + q + q + b"[^" + q + b"\n]*)*"  # unrolled: the character runs go at C speed
    return re.compile(q + b"(?<=[" + d + b"\n]" + q + b")" + inside + q + b"(?=[" + d + b"\n])")


def line_pass(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared:
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
