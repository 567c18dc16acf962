"""Readers: how a delivered file's bytes become records with their file number and line.

The seam between reading and validating is two calls:

- :func:`prepare` is the pass over one file (hash, decode, bounds, header): a :class:`Prepared` with a normalised
  UTF-8 copy whose records start with ``<file number>;<line>``. CSV files go through the line pass of
  :mod:`.csv`, Excel workbooks through :mod:`.xlsx`.
- :func:`read_batch` reads the copies of a batch of files (same header) with DuckDB into :class:`Records`: the
  rows (all VARCHAR, ``c0..cn``) and the lines DuckDB's reader rejected.

Everything after (typing, checks, mapping, loading) only sees :class:`Records`, so a faster reader can replace
these two calls without touching the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.csv import prepare_csv
from wijkbeeld.ingest.readers.xlsx import prepare_xlsx
from wijkbeeld.ingest.results import Prepared
from wijkbeeld.ingest.sql import Table, lit, temp_table
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
    """What DuckDB read from the copies of a batch.

    ``rows``: ``__bestand`` (file number, from the file DuckDB read the row from), ``__regel`` (line),
    ``__in_step`` (the row's own prefix agrees with its file) and the cells ``c0..cn``; ``rejects``:
    ``__bestand``, ``line`` (in the copy), ``regel`` (in the original) and ``error_type`` of every line the
    reader refused.
    """

    rows: Table
    rejects: Table


def prepare(path: Path, contract: Contract, staged: Path, index: int, limits: FileLimits) -> Prepared:
    """The reading pass of one file into ``staged``; ``index`` is its number in the batch. A file beyond one of
    ``limits`` is refused whole (``Prepared.problem``)."""
    if contract.file.format == "xlsx":
        return prepare_xlsx(path, contract, staged, index, limits)
    return prepare_csv(path, contract, staged, index, limits)


def read_batch(
    con: duckdb.DuckDBPyConnection, preps: list[Prepared], contract: Contract, limits: FileLimits
) -> Records:
    """Read the normalised copies of a batch (same header); every record starts with its file number and line.

    The file number of a row is taken from the file DuckDB read it from (``filename``), never from the text:
    a row whose own prefix disagrees (``NOT __in_step``: the line pass and the reader split records
    differently) makes its file refused by the count check, and can never be loaded as another file's row.
    """
    spec = contract.file
    cols = {"__bestand": "VARCHAR", "__regel": "VARCHAR"} | {f"c{i}": "VARCHAR" for i in range(len(preps[0].header))}
    columns_sql = "{" + ", ".join(f"{lit(k)}: 'VARCHAR'" for k in cols) + "}"
    files = ", ".join(lit(str(p.staged)) for p in preps)
    paths = ", ".join(f"({p.index}, {lit(str(p.staged))})" for p in preps)
    staged = temp_table(con, "staged_files", f"SELECT * FROM (VALUES {paths}) v(__bestand, __pad)")
    for table in ("rej", "rej_scan"):  # read_csv creates these itself
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    # A record may be 3x its original bytes in UTF-8 (CP1252 '€'), plus the prefix: the line pass enforces
    # the real limit, DuckDB's own must never cut a record first.
    max_line = 3 * limits.max_line_bytes + 64
    rows = temp_table(
        con,
        "src",
        f"""SELECT p.__bestand, TRY_CAST(r.__regel AS BIGINT) AS __regel,
                   TRY_CAST(r.__bestand AS INTEGER) IS NOT DISTINCT FROM p.__bestand
                       AND TRY_CAST(r.__regel AS BIGINT) IS NOT NULL AS __in_step,
                   r.* EXCLUDE (__bestand, __regel, filename)
            FROM read_csv([{files}],
            delim={lit(spec.delimiter)}, quote={lit(spec.quote)}, escape={lit(spec.quote)},
            header=true, columns={columns_sql}, auto_detect=false, all_varchar=true,
            new_line='\\n', comment='', skip=0, encoding='utf-8', null_padding=false, max_line_size={max_line},
            strict_mode=true, store_rejects=true, rejects_table='rej', rejects_scan='rej_scan', filename=true) r
            JOIN {staged} p ON p.__pad = r.filename""",
    )
    delim = lit(spec.delimiter)
    rejects = temp_table(
        con,
        "rej_f",
        f"""SELECT p.__bestand, e.line, TRY_CAST(split_part(e.csv_line, {delim}, 2) AS BIGINT) AS regel, e.error_type
            FROM rej e JOIN rej_scan s USING (scan_id, file_id) JOIN {staged} p ON p.__pad = s.file_path""",
    )
    return Records(rows=rows, rejects=rejects)
