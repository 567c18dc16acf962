"""The SQL vocabulary of the ingest steps: literals, names, cell cleaning and the rule of one target column.

Every step of a batch writes one temp table and returns it as a :class:`Table`; the next step takes it as an
argument. So each function names what it reads and what it writes, and no step reads a table another one left
behind by convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from wijkbeeld.ingest.contracts import AREA_DIGITS, ColumnSpec

MAX_VALUE_CHARS = 200  # offending values are stored truncated
PSEUDONYM_SALT = "wijkbeeld-pseudonym-v1:"  # prefix hashed with pseudonymised identifiers
# Whitespace other than a plain space that cells may carry (tab, line breaks, no-break space, stray BOM): the one
# list the typing SQL (below) and the CSV reader's bulk pass (readers/csv.py) both derive theirs from.
ODD_SPACES = "\t\n\x0b\x0c\r\xa0\ufeff"
ODD_SPACE_RE = "'[" + "".join(f"\\x{{{ord(c):04X}}}" for c in ODD_SPACES) + "]'"
ODD_SPACE_CHARS = "' ' || " + " || ".join(f"chr({ord(c)})" for c in ODD_SPACES)


@dataclass(frozen=True)
class Table:
    """A temp table one step wrote, handed to the steps that read it."""

    name: str

    def __str__(self) -> str:
        return self.name


def temp_table(con: duckdb.DuckDBPyConnection, name: str, sql: str, params: list | None = None) -> Table:
    """(Re)create temp table ``name`` as ``sql`` and return it."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params or [])
    return Table(name)


def temp_view(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> Table:
    """(Re)create temp view ``name`` as ``sql`` and return it: for a step whose rows are read once or cheaply, so
    the batch is not copied once more."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    return Table(name)


def has_temp_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def lit(value: object) -> str:
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


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_table(dataset_ref: str) -> str:
    """``raw.raw_<partner>__<dataset>`` of ``partner/dataset``."""
    return "raw.raw_" + dataset_ref.replace("/", "__")


ODD_SPACE_FLAG = "__odd"  # per row: its file may hold odd whitespace (Prepared.odd_spaces; the files table)


def clean(expr: str, may_be_odd: str = "true") -> str:
    """Trimmed cell, NULL when empty. Plain trim() is fast; the general one only runs on odd whitespace, and the
    search for it only where ``may_be_odd`` (an SQL condition: the reader found odd whitespace in the file)."""
    odd = f"{may_be_odd} AND regexp_matches({expr}, {ODD_SPACE_RE})"
    return f"nullif(CASE WHEN {odd} THEN trim({expr}, {ODD_SPACE_CHARS}) ELSE trim({expr}) END, '')"


def squeeze(expr: str, may_be_odd: str = "true") -> str:
    """Cell without any whitespace inside (codes like '4901 AB'), upper case (``may_be_odd``: see :func:`clean`)."""
    odd = f"{may_be_odd} AND regexp_matches({expr}, {ODD_SPACE_RE})"
    general = f"regexp_replace({expr}, '[\\s\\x{{00A0}}\\x{{FEFF}}]', '', 'g')"
    return f"upper(CASE WHEN {odd} THEN {general} ELSE replace({expr}, ' ', '') END)"


def in_list(expr: str, values: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(lit(v) for v in values)})"


def area_code_sql(n: str, prefixes: tuple[str, ...]) -> str:
    """Area code with the prefix that fits its digits (``n`` is upper case without spaces)."""
    by_len = " ".join(f"WHEN {AREA_DIGITS[p]} THEN {lit(p)} || {n}" for p in prefixes)
    if len(prefixes) == 1:  # one level only: a spreadsheet may have dropped a leading zero (8260601)
        digits = AREA_DIGITS[prefixes[0]]
        return (
            f"(CASE WHEN regexp_full_match({n}, '[0-9]{{{digits - 1},{digits}}}') "
            f"THEN {lit(prefixes[0])} || lpad({n}, {digits}, '0') ELSE {n} END)"
        )
    return f"(CASE WHEN regexp_full_match({n}, '[0-9]+') THEN (CASE length({n}) {by_len} END) ELSE {n} END)"


def normalise_area_code(text: str, prefixes: tuple[str, ...]) -> str | None:
    """Python twin of :func:`area_code_sql`: trim, upper, add the prefix that fits the digits; None if invalid."""
    code = re.sub(r"\s", "", text).upper()
    if code.isdigit() and len(prefixes) == 1 and len(code) < AREA_DIGITS[prefixes[0]]:
        code = code.zfill(AREA_DIGITS[prefixes[0]])  # a spreadsheet dropped the leading zero
    if code.isdigit():
        code = next((p + code for p in prefixes if AREA_DIGITS[p] == len(code)), code)
    return code if any(re.fullmatch(f"{p}[0-9]{{{AREA_DIGITS[p]}}}", code) for p in prefixes) else None


def _example(fmt: str) -> str:
    return datetime(2024, 7, 14, 23, 41, 5).strftime(fmt)


def column_sql(col: ColumnSpec, s: str, n: str, decimal: str, excel: bool = False) -> tuple[str, str, str]:
    """SQL for one target read from a source column, in three layers.

    Returns (normalised text from the trimmed cell ``s``, typed value from the normalised text ``n``,
    error reason from ``n`` and the typed value). Each layer is its own column, so no expression is
    evaluated twice per cell.
    """
    norm = f"(CASE WHEN {in_list(s, col.null_values)} THEN NULL ELSE {s} END)" if col.null_values else s
    val = ident(col.target)
    checks: list[tuple[str, str]] = []  # (condition on a non-null n, reason): the first match wins
    if col.normalise in ("area_code", "pc6"):
        norm = squeeze(norm, ODD_SPACE_FLAG)
    if col.normalise == "area_code":
        code = area_code_sql(n, col.prefixes)
        pattern = "|".join(f"{p}[0-9]{{{AREA_DIGITS[p]}}}" for p in col.prefixes)
        value = f"CASE WHEN regexp_full_match({code}, {lit(pattern)}) THEN {code} END"
        shape = " or ".join(f"{p} + {AREA_DIGITS[p]} digits" for p in col.prefixes)
        checks.append((f"{val} IS NULL", f"invalid area code (expected {shape})"))
    elif col.normalise == "pc6":
        value = f"CASE WHEN regexp_full_match({n}, '[1-9][0-9]{{3}}[A-Z]{{2}}') THEN {n} END"
        if col.on_invalid == "reject":
            checks.append((f"{val} IS NULL", "invalid postcode (expected 4 digits and 2 letters, e.g. 4901AB)"))
    elif col.type == "text" and col.pseudonymise:
        # One-way pseudonym: duplicates stay detectable, the delivered identifier is never stored.
        value = f"left(sha256({lit(PSEUDONYM_SALT)} || {n}), 32)"
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
        value = f"CASE WHEN regexp_full_match({n}, {lit(pattern)}) THEN TRY_CAST({as_dot} AS DOUBLE) END"
        checks.append((f"{val} IS NULL", f"not a number (decimal separator {decimal!r})"))
    else:
        fmts = "[" + ", ".join(lit(f) for f in col.formats) + "]"
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
        checks.append((f"NOT {in_list(n, col.allowed)}", f"unexpected value (allowed: {allowed})"))
    if col.min is not None:
        checks.append((f"{val} < {col.min}", f"below the minimum {col.min:g}"))
    if col.max is not None:
        checks.append((f"{val} > {col.max}", f"above the maximum {col.max:g}"))
    missing = "NULL" if col.nullable else "'missing value'"
    whens = " ".join(f"WHEN {cond} THEN {lit(reason)}" for cond, reason in checks)
    return norm, f"CAST({value} AS {col.sql_type})", f"CASE WHEN {n} IS NULL THEN {missing} {whens} END"
