"""Row-level validation of a batch of files in DuckDB: typed values, rejected rows and duplicates.

Each step takes the tables it reads and returns the one it writes: :func:`files_table` (what the file names give
every row), :func:`type_records` (one layered query trims, normalises, casts and checks every cell of the
:class:`~wijkbeeld.ingest.readers.Records`), :func:`split` (rejected rows with their reasons, and the accepted
rows, duplicates kept once). No row-by-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from wijkbeeld.ingest.contracts import ColumnSpec, Contract
from wijkbeeld.ingest.readers import STRUCTURE_REASONS, Records
from wijkbeeld.ingest.results import Outcome, Prepared
from wijkbeeld.ingest.sql import (
    MAX_VALUE_CHARS,
    ODD_SPACE_FLAG,
    Table,
    clean,
    column_sql,
    ident,
    in_list,
    lit,
    raw_table,
    temp_table,
    temp_view,
)


@dataclass(frozen=True)
class Split:
    """The rows of a batch after the checks: ``bad`` (__bestand, regel, kolom, waarde, reden, counts_as_bad; one
    row per problem) and ``accepted`` (the typed rows without a problem, each duplicate once)."""

    bad: Table
    accepted: Table


@dataclass
class Plan:
    """Everything the SQL of one batch of files needs besides the contract.

    Values that come from a file's name (period, gemeente, ...) are in the table of :func:`files_table`
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


def _typed_sql(contract: Contract, plan: Plan, records: Records, files: Table, n_cols: int) -> str:
    """SQL of the typed records: per record the typed targets, a skip flag and its errors (or NULL).

    Layers: t1 trimmed cells (s_*), t2 normalised text (n_*), t3 typed targets, t4 derived targets,
    t5 one error column per check (e_*); only rows with an error build the error list.
    """
    lay = _Layers(skips=["__empty"])
    lay.trimmed = ["f.*", "__regel"]
    lay.trimmed += [f"{clean(staged, ODD_SPACE_FLAG)} AS {ident('s_' + src)}" for src, staged in plan.colmap.items()]
    all_cells = ", ".join(f"c{i}" for i in range(n_cols))
    # A record is empty when at most one cell is there and it is blank (two cells keep their separator, chr(31)):
    # two cells present settle it at once.
    two_cells = "c0 IS NOT NULL AND c1 IS NOT NULL" if n_cols > 1 else "false"
    blank = f"{clean(f'concat_ws({lit(chr(31))}, {all_cells})', ODD_SPACE_FLAG)} IS NULL"
    lay.trimmed.append(f"CASE WHEN {two_cells} THEN false ELSE {blank} END AS __empty")
    for col in contract.columns:
        lay.typed.append(f"{_target_sql(col, contract, plan, lay)} AS {ident(col.target)}")
    hnr = contract.address_mapping.huisnummer_source if contract.address_mapping else None
    hnr_sql = "CAST(NULL AS INTEGER)"
    if hnr and hnr.lower() in plan.colmap:
        hnr_sql = f"TRY_CAST(regexp_extract({ident('s_' + hnr.lower())}, '^[0-9]+') AS INTEGER)"
    _derived_and_row_checks(contract, plan, lay)
    err_cols = [f"{reason} AS e_{i}" for i, (_, _, reason) in enumerate(lay.errors)]
    structs = ", ".join(
        f"{{'kolom': {lit(kolom)}, 'waarde': {waarde}, 'reden': e_{i}}}"
        for i, (kolom, waarde, _) in enumerate(lay.errors)
    )
    any_error = f"coalesce({', '.join(f'e_{i}' for i in range(len(lay.errors)))})" if lay.errors else "NULL"
    exclude = ["__empty", ODD_SPACE_FLAG] + [ident("s_" + k) for k in plan.colmap]
    exclude += [ident("n_" + c.target) for c in contract.columns if c.source and c.source.lower() in plan.colmap]
    exclude += [f"e_{i}" for i in range(len(lay.errors))]
    exclude += [ident("k_" + target) for target in contract.file_targets()]
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
        WITH t1 AS (SELECT {", ".join(lay.trimmed)} FROM {records.rows} JOIN {files} f USING (__bestand)),
        t2 AS (SELECT {t2} FROM t1),
        t3 AS (SELECT *, {" OR ".join(lay.skips)} AS __skip, {hnr_sql} AS __huisnummer,
                      {", ".join(lay.typed)} FROM t2),
        t4 AS ({t4}),
        t5 AS (SELECT {t5} FROM t4)
        SELECT * EXCLUDE ({", ".join(exclude)}), {errors} AS __errors FROM t5"""


def _target_sql(col: ColumnSpec, contract: Contract, plan: Plan, lay: _Layers) -> str:
    """Typed-value SQL of one target; adds its normalisation, error and skip SQL to ``lay``."""
    if col.derive and col.derive.kind in ("file_period", "file_group"):
        return f"CAST({ident('k_' + col.target)} AS {col.sql_type})"
    key = (col.source or "").lower()
    if not col.source or key not in plan.colmap:  # derived later, or an optional column that is absent
        return f"CAST(NULL AS {col.sql_type})"
    s, n = ident("s_" + key), ident("n_" + col.target)
    norm, value, error = column_sql(col, s, n, contract.file.decimal, contract.file.format == "xlsx")
    lay.normalised.append(f"{norm} AS {n}")
    waarde = _raw_text(contract, plan, col.source) or "NULL"
    lay.errors.append((col.source, waarde, error))
    if col.skip_values:
        lay.skips.append(f"coalesce({in_list(s, col.skip_values)}, false)")
    return value


def _source_of(contract: Contract, target: str) -> str:
    col = contract.column(target)
    if col.source:
        return col.source
    if col.derive and col.derive.kind == "month_of" and col.derive.column:
        return _source_of(contract, col.derive.column)
    return target


def _raw_text(contract: Contract, plan: Plan, source: str) -> str | None:
    """SQL of the delivered (trimmed) text of a source column; None for personal or absent columns."""
    key = source.lower()
    hidden = {c.source.lower() for c in contract.columns if c.pseudonymise and c.source}
    if key in contract.personal_sources() or key in hidden or key not in plan.colmap:
        return None
    return f"left({ident('s_' + key)}, {MAX_VALUE_CHARS})"


def _derived_and_row_checks(contract: Contract, plan: Plan, lay: _Layers) -> None:
    """Add derived targets (month_of) and row-level checks (period bounds, area codes) to ``lay``."""
    for col in contract.columns:
        if col.derive and col.derive.kind == "month_of":
            lay.derived.append(
                f"CAST(date_trunc('month', {ident(col.derive.column or '')}) AS {col.sql_type}) AS {ident(col.target)}"
            )
    period = contract.period
    if period.row_column:
        target = ident(period.row_column)
        month = f"CAST(date_trunc('month', {target}) AS DATE)"
        source = _source_of(contract, period.row_column)
        rules = [
            (f"{month} < {lit(period.earliest)}", lit(f"period before {period.earliest:%Y-%m}")),
            (f"{month} > {lit(plan.this_month)}", lit("period in the future")),
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
        target = ident(check.column)
        reason = (
            f"CASE WHEN {target} NOT IN (SELECT {ident(check.reference_column)} FROM {raw_table(check.reference)}) "
            f"THEN {lit(f'unknown area code (not in {check.reference})')} END"
        )
        lay.errors.append((col.source, _raw_text(contract, plan, col.source) or target, reason))
    # A cell error leaves its typed value NULL; a row rule on NULL yields NULL, so it adds no 2nd error.


def type_records(
    con: duckdb.DuckDBPyConnection, contract: Contract, plan: Plan, records: Records, files: Table, n_cols: int
) -> Table:
    """The typed records: the targets of every record, ``__skip`` and ``__errors`` (NULL when the row is good)."""
    return temp_table(con, "typed", _typed_sql(contract, plan, records, files, n_cols))


def split(con: duckdb.DuckDBPyConnection, contract: Contract, typed: Table, rejects: Table) -> Split:
    """The rejected rows of a batch with their reasons (cell errors, lines the reader refused, duplicates) and the
    accepted rows. Rows identical in every stored value are kept once; rows with the same key but different
    values are all rejected."""
    line = contract.line_word
    reasons = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in STRUCTURE_REASONS.items())
    value_targets = [c.target for c in contract.columns if not (c.derive and c.derive.kind == "address_mapping")]
    keys = list(contract.keys)
    key_sources = ", ".join(_source_of(contract, k) for k in keys)
    row_struct = "{" + ", ".join(f"{lit(t)}: {ident(t)}" for t in value_targets) + ", '__h': __huisnummer}"
    key_cols = ", ".join(["__bestand", *(ident(k) for k in keys)])
    key_text = " || ', ' || ".join(f"{lit(k + '=')} || coalesce(CAST(c.{ident(k)} AS VARCHAR), '')" for k in keys)
    join = " AND ".join(
        ["g.__bestand = c.__bestand", *(f"g.{ident(k)} IS NOT DISTINCT FROM c.{ident(k)}" for k in keys)]
    )
    cand = temp_view(con, "cand", f"SELECT * FROM {typed} WHERE NOT __skip AND __errors IS NULL")
    groups = temp_table(
        con,
        "grp",
        f"""WITH dup AS (SELECT {key_cols} FROM {cand} GROUP BY ALL HAVING count(*) > 1)
            SELECT {key_cols}, count(DISTINCT {row_struct}) AS __nd, min(__regel) AS __first,
                   list(__regel ORDER BY __regel)[1:10] AS __lines
            FROM {cand} SEMI JOIN dup USING ({key_cols}) GROUP BY ALL""",
    )
    bad = temp_table(
        con,
        "bad",
        f"""SELECT __bestand, __regel AS regel, e.kolom, e.waarde, e.reden, true AS counts_as_bad
        FROM (SELECT __bestand, __regel, unnest(__errors) AS e FROM {typed} WHERE NOT __skip AND __errors IS NOT NULL)
        UNION ALL
        SELECT __bestand, regel, NULL AS kolom, NULL AS waarde,
               coalesce(CASE error_type {reasons} END, lower(error_type)) AS reden, true AS counts_as_bad
        FROM {rejects}
        UNION ALL
        SELECT c.__bestand, c.__regel, {lit(key_sources)},
               NULL,
               CASE WHEN g.__nd = 1 THEN 'exact duplicate of {line} ' || g.__first || ' (kept once)'
                    ELSE 'conflicting duplicate key (' || {key_text}
                         || '): {line}s ' || array_to_string(g.__lines, ', ') || ' differ' END,
               g.__nd > 1
        FROM {cand} c JOIN {groups} g ON {join}
        WHERE g.__nd > 1 OR c.__regel <> g.__first""",
    )
    accepted = temp_table(
        con,
        "accepted",
        f"""SELECT * FROM {cand} ANTI JOIN (SELECT __bestand, regel AS __regel FROM {bad} WHERE regel IS NOT NULL)
            USING (__bestand, __regel)""",
    )
    return Split(bad=bad, accepted=accepted)


def files_table(con: duckdb.DuckDBPyConnection, contract: Contract, items: list[tuple[Prepared, Outcome]]) -> Table:
    """Per file number of the batch: its period end and the targets taken from its name."""
    targets = [contract.column(t) for t in contract.file_targets()]
    names = ["__bestand", "__file_end", ODD_SPACE_FLAG, *(ident("k_" + c.target) for c in targets)]
    rows = []
    for prep, out in items:
        values = [f"CAST({prep.index} AS INTEGER)", f"CAST({lit(out.file_end)} AS DATE)", lit(prep.odd_spaces)]
        values += [f"CAST({lit(out.constants[c.target])} AS {c.sql_type})" for c in targets]
        rows.append("(" + ", ".join(values) + ")")
    return temp_table(con, "files", f"SELECT * FROM (VALUES {', '.join(rows)}) v({', '.join(names)})")
