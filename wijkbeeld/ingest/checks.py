"""The verdict on a file: its name and period, the values its name gives, and its rows counted against the rules.

:func:`precheck` judges a prepared file before its rows are read; :func:`judge` counts the rows of a validated
batch per file, applies the safety nets (every record read exactly once, read = accepted + rejected) and the
bad-row share. A failing file gets its :class:`~wijkbeeld.ingest.results.FileProblem`; the others go on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from wijkbeeld.ingest.contracts import ColumnSpec, Contract
from wijkbeeld.ingest.landing import MAX_NAME_BYTES, display_name
from wijkbeeld.ingest.periods import month_start, parse_period
from wijkbeeld.ingest.readers import Records
from wijkbeeld.ingest.readers.common import inconsistent
from wijkbeeld.ingest.results import BadRow, FileProblem, Outcome, Prepared
from wijkbeeld.ingest.sql import Table, ident, normalise_area_code, raw_table

SAMPLE_ROWS = 20  # bad rows shown in a reason.json


def file_constant(col: ColumnSpec, contract: Contract, groups: dict[str, str], start: date) -> Any:
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


KnownCodes = dict[tuple[str, str], set[str]]  # (reference, column) -> its values, read once per ingest run


def file_level_checks(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    constants: dict[str, Any],
    refs: set[str],
    known: KnownCodes | None = None,
) -> FileProblem | None:
    """Checks on values that come from the file name (e.g. the gemeente code). ``known`` keeps the values of each
    reference column for the next file (the references do not change while a dataset is ingested)."""
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
        key = (check.reference, check.reference_column)
        if known is None:
            known = {}
        if key not in known:
            column = ident(check.reference_column)
            rows = con.execute(f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {raw_table(check.reference)}")
            known[key] = {r[0] for r in rows.fetchall()}
        if str(value) not in known[key]:
            return FileProblem(
                reason=f"unknown area code {value} in the file name (not in {check.reference})",
                expected=f"a file name like {contract.file.name_example} with an existing code",
                fix="check the code in the file name",
                details={"code": value},
            )
    return None


def name_and_period(contract: Contract, name: str) -> tuple[dict[str, str] | None, FileProblem | None]:
    spec = contract.file
    m = spec.regex.fullmatch(name)  # not .match: '$' also matches before a trailing newline
    if not m:
        return None, FileProblem(
            reason=f"file name {name!r} does not match the agreed pattern",
            expected=f"a name like {spec.name_example} (pattern {spec.name_pattern})",
            fix=f"rename the file, e.g. {spec.name_example}",
        )
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    return groups, None


def period_problem(contract: Contract, text: str, span: tuple[date, date] | None, today: date) -> FileProblem | None:
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
    if span[0] > month_start(today):
        return FileProblem(
            reason=f"period {text} is in the future",
            expected=expected,
            fix="check the period in the file name",
        )
    return None


def precheck(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    prep: Prepared,
    refs: set[str],
    today: date,
    known: KnownCodes | None = None,
) -> Outcome:
    """Checks of one prepared file before its rows are read: name, period, bytes and header, codes in the
    file name (``known``: see :func:`file_level_checks`). A file without a problem goes on to
    :func:`wijkbeeld.ingest.batch.evaluate_batch`."""
    out = Outcome(notes=list(prep.notes))
    groups, problem = name_and_period(contract, prep.path.name)
    if problem:
        out.problem = problem
        return out
    assert groups is not None
    out.period = groups.get(contract.period.group, "")
    span = parse_period(out.period, contract.period.granularity)
    out.problem = period_problem(contract, out.period, span, today) or prep.problem
    if out.problem:
        return out
    assert span is not None
    wanted = contract.source_columns()
    ignored = [h for h in prep.header if h and h.lower() not in wanted]
    if ignored:
        out.notes.append(f"columns not in the contract were ignored: {', '.join(ignored)}")
    out.constants = {
        c.target: file_constant(c, contract, groups, span[0])
        for c in contract.columns
        if c.derive and c.derive.kind in ("file_period", "file_group")
    }
    out.file_end = span[1]
    for ref in contract.requires():
        if ref not in refs:
            out.notes.append(f"not checked: {ref} is not available (area codes / address mapping)")
    out.problem = file_level_checks(con, contract, out.constants, refs, known)
    return out


def judge(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: list[tuple[Prepared, Outcome]],
    records: Records,
    typed: Table,
    bad: Table,
    final: Table,
    unmapped: dict[int, int] | None,
) -> None:
    """Row counts per file and the verdict on the bad-row share.

    First the safety nets: the records DuckDB read from a file (rows + rejected lines) must be exactly the
    records the line pass wrote, each with its own prefix; and read = accepted + rejected. A file that fails
    either is refused whole: it is never loaded short, nor with rows of another file.
    """
    typed_n = _per_file(con, f"SELECT __bestand, count(*), count(*) FILTER (__skip) FROM {typed} GROUP BY ALL")
    parsed = _per_file(
        con, f"SELECT __bestand, count(*), count(*) FILTER (NOT __in_step) FROM {records.rows} GROUP BY ALL"
    )
    rej = _per_file(con, f"SELECT __bestand, count(DISTINCT line) FROM {records.rejects} GROUP BY ALL")
    bad_n = _per_file(
        con,
        f"SELECT __bestand, count(DISTINCT regel), count(DISTINCT regel) FILTER (counts_as_bad) "
        f"FROM {bad} GROUP BY ALL",
    )
    final_n = _per_file(con, f"SELECT __bestand, count(*) FROM {final} GROUP BY ALL")
    limit = contract.file.max_bad_row_fraction
    for prep, out in items:
        i = prep.index
        if i in records.problems:  # refused on a second look by the reader
            out.problem = records.problems[i]
            continue
        total, skipped = typed_n.get(i, (0, 0))
        out.rows_total = int(total) + int(rej.get(i, (0,))[0]) - int(skipped)
        out.rows_rejected, n_bad = bad_n.get(i, (0, 0))
        out.rows_accepted = final_n.get(i, (0,))[0]
        out.rows_unmapped = None if unmapped is None else unmapped.get(i, 0)
        read, out_of_step = parsed.get(i, (0, 0))
        if read + rej.get(i, (0,))[0] != prep.records or out_of_step:
            out.problem = inconsistent(contract, prep.records, read + rej.get(i, (0,))[0])
            continue
        if out.rows_total != out.rows_accepted + out.rows_rejected:
            out.problem = inconsistent(contract, out.rows_total, out.rows_accepted + out.rows_rejected)
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
                    "reasons": _reason_counts(con, bad, i),
                    "first_bad_rows": [b.__dict__ for b in bad_rows(con, bad, SAMPLE_ROWS, i)],
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
                details={"first_bad_rows": [b.__dict__ for b in bad_rows(con, bad, SAMPLE_ROWS, i)]},
            )


def unreadable(contract: Contract, what: str, exc: BaseException) -> FileProblem:
    """A file that made a step fail: refused with the kind of error only (its message may quote the content)."""
    return FileProblem(
        reason=f"the file could not be read: {what} ({type(exc).__name__})",
        expected=f"a file like {contract.file.name_example}",
        fix="check the file with `wijkbeeld validate` and deliver it again; if it looks right, ask the data team",
        details={"error_type": type(exc).__name__},
    )


def _per_file(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, tuple[int, ...]]:
    return {int(r[0]): tuple(int(v) for v in r[1:]) for r in con.execute(sql).fetchall() if r[0] is not None}


def _reason_counts(con: duckdb.DuckDBPyConnection, bad: Table, bestand: int) -> dict[str, int]:
    rows = con.execute(
        f"SELECT reden, count(DISTINCT regel) FROM {bad} WHERE __bestand = ? "
        "GROUP BY reden ORDER BY 2 DESC, 1 LIMIT 20",
        [bestand],
    ).fetchall()
    return {r: int(n) for r, n in rows}


def bad_rows(con: duckdb.DuckDBPyConnection, bad: Table, limit: int, bestand: int) -> list[BadRow]:
    """The first ``limit`` rejected rows of file ``bestand`` (in line order)."""
    rows = con.execute(
        f"SELECT regel, kolom, waarde, reden FROM {bad} WHERE __bestand = ? "
        f"ORDER BY regel NULLS LAST, kolom LIMIT {int(limit)}",
        [bestand],
    ).fetchall()
    return [BadRow(line=r[0], column=r[1], value=r[2], reason=r[3]) for r in rows]


def name_problem(contract: Contract, name: str, today: date) -> FileProblem | None:
    """The checks on a file's name alone (length, pattern, period), done before its bytes are read: a name
    that fails is refused even when its bytes were delivered before under a good name."""
    size = len(name.encode("utf-8", "surrogateescape"))
    if display_name(name) != name or size > MAX_NAME_BYTES:
        shown = display_name(name)
        what = f"is {size} bytes long, more than {MAX_NAME_BYTES}" if size > MAX_NAME_BYTES else "is not plain text"
        return FileProblem(
            reason=f"file name {shown[:60]!r}... {what}" if len(shown) > 60 else f"file name {shown!r} {what}",
            expected=f"a name like {contract.file.name_example}",
            fix=f"rename the file, e.g. {contract.file.name_example}",
            details={"name_bytes": size},
        )
    groups, problem = name_and_period(contract, name)
    if problem or groups is None:
        return problem
    period = groups.get(contract.period.group, "")
    return period_problem(contract, period, parse_period(period, contract.period.granularity), today)
