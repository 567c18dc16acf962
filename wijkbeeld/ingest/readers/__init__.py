"""Readers: how a delivered file's bytes become records with their file number and line.

The seam between reading and validating is two calls:

- :func:`prepare` is the pass over one file (hash, decode, bounds, header): a :class:`Prepared` that says what
  DuckDB reads of it and how each record keeps its line (``Prepared.layout``). CSV files go through
  :mod:`.csv` (a bulk pass, or the line pass for unusual files), Excel workbooks through :mod:`.xlsx` (an Arrow
  reader, or openpyxl for unusual workbooks).
- :func:`read_batch` reads the prepared files of a batch (same header) with DuckDB into :class:`Records`: the
  rows (all VARCHAR, ``c0..cn``) and the lines DuckDB's reader rejected. All plain copies of a batch are one
  ``read_csv`` call, so are all numbered copies; workbooks arrive as Arrow tables.

Everything after (typing, checks, mapping, loading) only sees :class:`Records`, so a faster reader can replace
these two calls without touching the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import inconsistent
from wijkbeeld.ingest.readers.csv import line_pass, prepare_csv
from wijkbeeld.ingest.readers.xlsx import prepare_xlsx
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.ingest.sql import Table, lit, temp_table, temp_view
from wijkbeeld.settings import FileLimits

# The reasons of the lines DuckDB's reader rejects (Records.rejects.error_type), in words for a partner.
STRUCTURE_REASONS = {
    "MISSING COLUMNS": "too few fields on this line",
    "TOO MANY COLUMNS": "too many fields on this line",
    "UNQUOTED VALUE": "quote character inside an unquoted value or unterminated quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


@dataclass(frozen=True)
class Records:
    """What DuckDB read from the prepared files of a batch.

    ``rows``: ``__bestand`` (file number, from the file DuckDB read the row from), ``__regel`` (line),
    ``__in_step`` (the row's place agrees with its file) and the cells ``c0..cn``; ``rejects``: ``__bestand``,
    ``line`` (in the copy), ``regel`` (in the original) and ``error_type`` of every line the reader refused;
    ``problems``: files a second look refused whole (by file number).
    """

    rows: Table
    rejects: Table
    problems: dict[int, FileProblem] = field(default_factory=dict)


def prepare(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared:
    """The reading pass of one file into ``staged``; ``index`` is its number in the batch. A file beyond one of
    ``limits`` is refused whole (``Prepared.problem``)."""
    if contract.file.format == "xlsx":
        return prepare_xlsx(path, contract, staged, index, limits)
    return prepare_csv(path, contract, staged, index, limits)


def read_batch(
    con: duckdb.DuckDBPyConnection, preps: list[Prepared], contract: Contract, limits: FileLimits
) -> Records:
    """Read the prepared files of a batch (same header) into one table of rows and one of rejected lines.

    The file number of a row is taken from the file DuckDB read it from (``filename``), never from the text. A
    plain copy's rows are numbered by their order in the file (DuckDB's CSV reader keeps it); a file whose rows
    and rejected lines do not add up to its lines, or whose rows are not one run, is read again through the line
    pass. A numbered row whose own prefix disagrees with its file (``NOT __in_step``) makes its file refused by
    the count check, and can never be loaded as another file's row.
    """
    n_cols = len(preps[0].header)
    problems: dict[int, FileProblem] = {}
    rows: list[Table] = []
    rejects: list[Table] = []
    plain = [p for p in preps if p.layout == "plain"]
    if plain:
        redo = _read_plain(con, plain, contract, limits, n_cols, rows, rejects)
        for prep in redo:
            problem = _again_line_by_line(prep, contract, limits)
            if problem:
                problems[prep.index] = problem
    numbered = [p for p in preps if p.layout == "numbered" and p.index not in problems]
    if numbered:
        _read_numbered(con, numbered, contract, limits, n_cols, rows, rejects)
    workbooks = [p for p in preps if p.layout == "arrow"]
    if workbooks:
        rows.append(_arrow_rows(con, workbooks, n_cols))
    cells = ", ".join(f"c{i}" for i in range(n_cols))
    empty_rows = f"SELECT NULL::INTEGER AS __bestand, NULL::BIGINT AS __regel, NULL::BOOLEAN AS __in_step, {cells}"
    union = " UNION ALL ".join(f"SELECT __bestand, __regel, __in_step, {cells} FROM {t}" for t in rows)
    all_rows = temp_view(con, "src", union or f"SELECT * FROM ({empty_rows}) WHERE false")
    empty_rej = "SELECT NULL::INTEGER AS __bestand, NULL::BIGINT AS line, NULL::BIGINT AS regel, NULL AS error_type"
    union = " UNION ALL ".join(f"SELECT __bestand, line, regel, error_type FROM {t}" for t in rejects)
    all_rejects = temp_view(con, "rej_f", union or f"SELECT * FROM ({empty_rej}) WHERE false")
    return Records(rows=all_rows, rejects=all_rejects, problems=problems)


def _reader_sql(files: Iterable[Path], contract: Contract, limits: FileLimits, columns: list[str], rej: str) -> str:
    """``read_csv`` of UTF-8 copies with the contract's delimiter and quote, DuckDB's strict quote rules, every
    cell as text and the lines it refuses in ``<rej>``/``<rej>_scan``."""
    spec = contract.file
    columns_sql = "{" + ", ".join(f"{lit(k)}: 'VARCHAR'" for k in columns) + "}"
    paths = ", ".join(lit(str(f)) for f in files)
    # A record may be 3x its original bytes in UTF-8 (CP1252 '€'), plus the prefix: the passes enforce the real
    # limit, DuckDB's own must never cut a record first.
    max_line = 3 * limits.max_line_bytes + 64
    return f"""read_csv([{paths}],
            delim={lit(spec.delimiter)}, quote={lit(spec.quote)}, escape={lit(spec.quote)},
            header=true, columns={columns_sql}, auto_detect=false, all_varchar=true,
            new_line='\\n', comment='', skip=0, encoding='utf-8', null_padding=false, max_line_size={max_line},
            strict_mode=true, store_rejects=true, rejects_table='{rej}', rejects_scan='{rej}_scan', filename=true)"""


def _staged_files(con: duckdb.DuckDBPyConnection, name: str, preps: list[Prepared]) -> Table:
    paths = ", ".join(f"({p.index}, {lit(str(p.staged))})" for p in preps)
    return temp_table(con, name, f"SELECT * FROM (VALUES {paths}) v(__bestand, __pad)")


def _drop_rejects_tables(con: duckdb.DuckDBPyConnection, rej: str) -> None:
    for table in (rej, f"{rej}_scan"):  # read_csv creates these itself
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def _read_numbered(
    con: duckdb.DuckDBPyConnection,
    preps: list[Prepared],
    contract: Contract,
    limits: FileLimits,
    n_cols: int,
    rows: list[Table],
    rejects: list[Table],
) -> None:
    """The numbered copies of the line pass: every record starts with its file number and line."""
    columns = ["__bestand", "__regel", *(f"c{i}" for i in range(n_cols))]
    staged = _staged_files(con, "staged_numbered", preps)
    _drop_rejects_tables(con, "rej_n")
    reader = _reader_sql((p.staged for p in preps), contract, limits, columns, "rej_n")
    rows.append(
        temp_table(
            con,
            "src_numbered",
            f"""SELECT p.__bestand, TRY_CAST(r.__regel AS BIGINT) AS __regel,
                       TRY_CAST(r.__bestand AS INTEGER) IS NOT DISTINCT FROM p.__bestand
                           AND TRY_CAST(r.__regel AS BIGINT) IS NOT NULL AS __in_step,
                       r.* EXCLUDE (__bestand, __regel, filename)
                FROM {reader} r JOIN {staged} p ON p.__pad = r.filename""",
        )
    )
    delim = lit(contract.file.delimiter)
    rejects.append(
        temp_table(
            con,
            "rej_numbered",
            f"""SELECT p.__bestand, e.line, TRY_CAST(split_part(e.csv_line, {delim}, 2) AS BIGINT) AS regel,
                       e.error_type
                FROM rej_n e JOIN rej_n_scan s USING (scan_id, file_id) JOIN {staged} p ON p.__pad = s.file_path""",
        )
    )


def _read_plain(
    con: duckdb.DuckDBPyConnection,
    preps: list[Prepared],
    contract: Contract,
    limits: FileLimits,
    n_cols: int,
    rows: list[Table],
    rejects: list[Table],
) -> list[Prepared]:
    """The plain copies of the bulk pass, numbered by their order: record ``k`` of a file is line ``k + 2`` (the
    bulk pass proved one record per line). Rejected lines are found after the fact, from their byte position,
    only in the files that have them; the rows after a rejected line move on by one. Returns the files whose
    rows and rejected lines do not add up to their lines, or are not one run (to be read line by line)."""
    columns = [f"c{i}" for i in range(n_cols)]
    staged = _staged_files(con, "staged_plain", preps)
    _drop_rejects_tables(con, "rej_p")
    reader = _reader_sql((p.staged for p in preps), contract, limits, columns, "rej_p")
    src = temp_table(
        con,
        "src_plain",
        f"""SELECT p.__bestand, r.__ord, r.* EXCLUDE (__ord, filename)
            FROM (SELECT row_number() OVER () AS __ord, * FROM {reader}) r JOIN {staged} p ON p.__pad = r.filename""",
    )
    found = temp_table(
        con,
        "rej_plain_raw",
        f"""SELECT p.__bestand, e.line_byte_position - 1 AS start, e.error_type
            FROM rej_p e JOIN rej_p_scan s USING (scan_id, file_id) JOIN {staged} p ON p.__pad = s.file_path""",
    )
    runs = {
        int(b): (int(n), int(lo), int(hi))
        for b, n, lo, hi in con.execute(
            f"SELECT __bestand, count(*), min(__ord), max(__ord) FROM {src} GROUP BY ALL"
        ).fetchall()
    }
    starts: dict[int, list[int]] = {}
    for b, start in con.execute(f"SELECT DISTINCT __bestand, start FROM {found} ORDER BY ALL").fetchall():
        starts.setdefault(int(b), []).append(int(start))
    redo: list[Prepared] = []
    lines: list[tuple[int, int, int]] = []  # (file, start, line) of every rejected line
    for prep in preps:
        n, lo, hi = runs.get(prep.index, (0, 0, -1))
        bad = starts.get(prep.index, [])
        if n + len(bad) != prep.records or hi - lo + 1 != n:
            redo.append(prep)
            continue
        lines += [(prep.index, start, line) for start, line in zip(bad, _lines_at(prep.staged, bad), strict=True)]
    gone = ", ".join(str(p.index) for p in redo)
    keep = f"WHERE __bestand NOT IN ({gone})" if redo else ""
    if lines:
        values = ", ".join(f"({b}, {start}, {line})" for b, start, line in lines)
        at = temp_table(con, "rej_plain_lines", f"SELECT * FROM (VALUES {values}) v(__bestand, start, line)")
        # Record k of a file with rejected lines l_1 < l_2 < ... is line k + 2 + #{j : l_j - 1 - j <= k}.
        gaps = temp_table(
            con,
            "rej_plain_gaps",
            f"""SELECT __bestand, line - 1 - j AS t, max(j) AS j
                FROM (SELECT __bestand, line, row_number() OVER (PARTITION BY __bestand ORDER BY line) AS j FROM {at})
                GROUP BY ALL""",
        )
        numbered = f"""WITH s AS (SELECT s.*, s.__ord - f.lo AS __k FROM {src} s
                                  JOIN (SELECT __bestand, min(__ord) AS lo FROM {src} GROUP BY ALL) f
                                  USING (__bestand))
                       SELECT s.__bestand, s.__k + 2 + coalesce(g.j, 0) AS __regel, true AS __in_step,
                              s.* EXCLUDE (__bestand, __ord, __k)
                       FROM s ASOF LEFT JOIN {gaps} g ON s.__bestand = g.__bestand AND s.__k >= g.t"""
        rejected = f"""SELECT r.__bestand, a.line, a.line AS regel, r.error_type
                       FROM {found} r JOIN {at} a USING (__bestand, start)"""
    else:
        numbered = f"""SELECT s.__bestand, s.__ord - f.lo + 2 AS __regel, true AS __in_step,
                              s.* EXCLUDE (__bestand, __ord)
                       FROM {src} s JOIN (SELECT __bestand, min(__ord) AS lo FROM {src} GROUP BY ALL) f
                       USING (__bestand)"""
        rejected = f"SELECT __bestand, NULL::BIGINT AS line, NULL::BIGINT AS regel, error_type FROM {found}"
    rows.append(temp_view(con, "src_plain_rows", f"SELECT * FROM ({numbered}) {keep}"))
    rejects.append(temp_table(con, "rej_plain", f"SELECT * FROM ({rejected}) {keep}"))
    return redo


def _lines_at(path: Path, starts: list[int]) -> list[int]:
    """The line (1 = the header) that starts at each byte offset of ``starts`` (ascending) in a plain copy."""
    data = path.read_bytes()
    out, line, pos = [], 1, 0
    for start in starts:
        line += data.count(b"\n", pos, start)
        pos = start
        out.append(line)
    return out


def _again_line_by_line(prep: Prepared, contract: Contract, limits: FileLimits) -> FileProblem | None:
    """Read a file the bulk pass and DuckDB disagreed on through the line pass instead (``prep`` becomes
    numbered); its problem if the line pass finds one, or if the file changed since the bulk pass."""
    staged = prep.staged.with_name(prep.staged.stem + "-lines.csv")
    again = line_pass(prep.path, contract, staged, prep.index, limits)
    prep.staged.unlink(missing_ok=True)
    prep.staged, prep.layout, prep.records, prep.header = staged, "numbered", again.records, again.header
    if again.sha256 != prep.sha256:
        return inconsistent(contract, prep.records, 0)
    return again.problem


def _arrow_rows(con: duckdb.DuckDBPyConnection, preps: list[Prepared], n_cols: int) -> Table:
    """The records of workbooks read into Arrow (``__regel`` and ``c0..cn`` as text), in one table."""
    import pyarrow as pa  # heavy: imported when a workbook arrives

    tables = []
    for prep in preps:
        table = prep.table
        number = pa.array([prep.index] * table.num_rows, pa.int32())
        tables.append(table.append_column("__bestand", number))
        prep.table = None  # the rows live in DuckDB from here on
    batch = pa.concat_tables(tables)
    cells = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(n_cols))
    con.register("arrow_records", batch)
    try:
        return temp_table(
            con,
            "src_arrow",
            f"SELECT __bestand, CAST(__regel AS BIGINT) AS __regel, true AS __in_step, {cells} FROM arrow_records",
        )
    finally:
        con.unregister("arrow_records")
