"""The quality gate: validates the mart tables of the warehouse before a release is published.

The expectations are data (``expectations.yaml``). Each one is evaluated in DuckDB as a count of violating
rows plus a small sample of them, so a large table is never copied into pandas. Great Expectations then
validates the one-row frame of counts (every count must be 0, the row count must lie within its bounds),
which gives each check a standard result and the Data Docs report. Great Expectations and pandas are
imported inside functions: the Dagster definitions import this module at load time. Every DuckDB file is opened
through :class:`wijkbeeld.warehouse.Warehouse` (read-only, the platform's memory cap and lock policy).
"""

from __future__ import annotations

import functools
import math
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from data_quality import docs, onthulling
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

EXPECTATIONS_FILE = Path(__file__).with_name("expectations.yaml")
PUBLISHED_DB = "wijkbeeld.duckdb"
MART_SCHEMA = "mart"
TABLE_PRESENT = "table_present"
ROW_COUNT = "row_count"
DOCS_SITE = "wijkbeeld_quality"

_KINDS = ("between", "rule", "audit")
# Checks that need more than a SQL count: evaluated in Python on the same read-only connection.
_AUDITS = ("onthulling",)
_EXPECTATION_KEYS = {"name", "description", "show", *_KINDS}
_TABLE_KEYS = {"key", "from", "optional", "row_count", "expectations"}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class ExpectationConfigError(ValueError):
    """expectations.yaml is malformed; the message names the table and expectation."""


@dataclass(frozen=True)
class Check:
    """One expectation compiled to DuckDB SQL: the count of violating rows and a sample of them."""

    name: str
    description: str
    count_sql: str
    sample_sql: str
    audit: str | None = None  # one of _AUDITS instead of the SQL


@dataclass(frozen=True)
class RowCountBounds:
    """Allowed row count, relative to the same table in the published release."""

    min_rows: int = 0
    min_ratio: float | None = None
    max_ratio: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """The expectations of one mart table, as read from expectations.yaml."""

    name: str
    optional: bool
    key: tuple[str, ...]
    row_count: RowCountBounds | None
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one expectation.

    ``failing_rows`` is None where rows cannot fail (presence, row count) and where the check could not be
    evaluated; ``error`` then holds the DuckDB error (e.g. a column the SQL names no longer exists).
    """

    name: str
    description: str
    success: bool
    observed_value: Any
    failing_rows: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "success": self.success,
            "observed_value": self.observed_value,
            "failing_rows": self.failing_rows,
            "sample": self.sample,
            "error": self.error,
        }


@dataclass(frozen=True)
class TableResult:
    """The validation of one mart table."""

    table: str
    success: bool
    expectations: list[ExpectationResult]
    validated_at: datetime
    warehouse: Path
    row_count: int | None
    previous_row_count: int | None
    docs_page: Path | None = None

    @property
    def failed(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.success]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "success": self.success,
            "validated_at": self.validated_at.isoformat(),
            "row_count": self.row_count,
            "previous_row_count": self.previous_row_count,
            "docs_page": str(self.docs_page) if self.docs_page else None,
            "expectations": [e.to_dict() for e in self.expectations],
        }


@dataclass(frozen=True)
class GateResult:
    """The outcome of a gate run over one or more tables; ``report`` is the summary page."""

    success: bool
    tables: list[TableResult]
    report: Path | None = None

    @property
    def failed(self) -> dict[str, list[str]]:
        """Names of the failed expectations per failed table."""
        return {t.table: [e.name for e in t.failed] for t in self.tables if not t.success}

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "report": str(self.report) if self.report else None,
            "tables": {t.table: t.to_dict() for t in self.tables},
        }


@dataclass
class _Measurement:
    """What DuckDB measured for one table, before Great Expectations judges it."""

    present: bool
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # what an audit found, added to its description
    row_count: int | None = None
    previous_row_count: int | None = None


@dataclass(frozen=True)
class _Planned:
    """One Great Expectations expectation on the frame of measurements: min <= column value <= max."""

    name: str
    description: str
    low: float | None
    high: float | None
    failing_rows: int | None  # None: the value is not a count of violating rows


# --- expectations.yaml -----------------------------------------------------------------------------------


def load_specs(path: Path = EXPECTATIONS_FILE) -> dict[str, TableSpec]:
    """Read and compile expectations.yaml; raises ExpectationConfigError with the place of a mistake.

    Compiled once per version of the file (every table's check reads it twice)."""
    stat = path.stat()
    return _load_specs(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_specs(path: Path, _mtime_ns: int, _size: int) -> dict[str, TableSpec]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    defaults = raw.get("defaults") or {}
    sample_size = int(defaults.get("sample_size", 5))
    default_bounds = defaults.get("row_count")
    tables = raw.get("tables") or {}
    if not tables:
        raise ExpectationConfigError(f"{path}: no tables defined")
    return {name: _table_spec(name, body or {}, default_bounds, sample_size) for name, body in tables.items()}


def _table_spec(table: str, body: dict, default_bounds: dict | None, sample_size: int) -> TableSpec:
    _require(_IDENT.match(table), f"table name {table!r} is not a plain identifier")
    unknown = set(body) - _TABLE_KEYS
    _require(not unknown, f"{table}: unknown keys {sorted(unknown)}")
    key = tuple(body.get("key") or ())
    for column in key:
        _require(_IDENT.match(column), f"{table}: key column {column!r} is not a plain identifier")
    source = " ".join(str(body.get("from") or f"{MART_SCHEMA}.{table} AS t").split())
    bounds_raw = body.get("row_count", default_bounds)  # an explicit null switches the bounds off
    bounds = RowCountBounds(**bounds_raw) if bounds_raw is not None else None
    checks = tuple(_compile(table, source, key, item, sample_size) for item in body.get("expectations") or ())
    names = [c.name for c in checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    _require(not duplicates, f"{table}: duplicate expectation names {duplicates}")
    return TableSpec(table, bool(body.get("optional", False)), key, bounds, checks)


def _compile(table: str, source: str, key: tuple[str, ...], item: dict, sample_size: int) -> Check:
    name = item.get("name", "")
    where = f"{table}.{name or '?'}"
    _require(_IDENT.match(name or ""), f"{where}: name must be a plain identifier")
    _require(name not in (TABLE_PRESENT, ROW_COUNT), f"{where}: the name is reserved")
    unknown = set(item) - _EXPECTATION_KEYS
    _require(not unknown, f"{where}: unknown keys {sorted(unknown)}")
    kinds = [k for k in _KINDS if k in item]
    _require(len(kinds) == 1, f"{where}: needs exactly one of {', '.join(_KINDS)}")
    kind, arg = kinds[0], item[kinds[0]]
    _require(kind == "rule" or "show" not in item, f"{where}: show is for rules only")
    limit = f"ORDER BY ALL LIMIT {sample_size}"

    if kind == "audit":
        _require(arg in _AUDITS, f"{where}: audit must be one of {', '.join(_AUDITS)}")
        _require(item.get("description"), f"{where}: an audit needs a description")
        return Check(name, item["description"], "", "", audit=arg)
    if kind == "rule":
        _require(isinstance(arg, str) and arg.strip(), f"{where}: rule must be a SQL predicate")
        _require(item.get("description"), f"{where}: a rule needs a description")
        violation, description = f"NOT coalesce(({' '.join(arg.split())}), FALSE)", ""
        shown = list(item.get("show") or [])
    else:
        source = f"{MART_SCHEMA}.{table} AS t"  # the table's own columns: no join that could repeat rows
        violation, shown, description = _range_violation(arg, where)
    select = ", ".join(dict.fromkeys([*(f"t.{c}" for c in key), *shown]))
    return Check(
        name,
        item.get("description") or description,
        f"SELECT count(*) FROM {source} WHERE {violation}",
        f"SELECT {select or 't.*'} FROM {source} WHERE {violation} {limit}",
    )


def _range_violation(arg: Any, where: str) -> tuple[str, list[str], str]:
    """(SQL condition of a violating row, checked columns, default description) of a ``between``."""
    _require(isinstance(arg, dict), f"{where}: between needs column(s), min and/or max")
    plain = arg.get("columns") or [arg.get("column")]
    columns = _columns(where, plain)
    low, high = arg.get("min"), arg.get("max")
    _require(low is not None or high is not None, f"{where}: between needs min and/or max")
    parts = [f"{c} < {_literal(where, low)}" for c in columns if low is not None]
    parts += [f"{c} > {_literal(where, high)}" for c in columns if high is not None]
    return " OR ".join(parts), columns, f"{', '.join(plain)} {_range_text(low, high)}"


def _columns(where: str, columns: Any) -> list[str]:
    return [f"t.{c}" for c in _plain_columns(where, columns)]


def _plain_columns(where: str, columns: Any) -> list[str]:
    _require(isinstance(columns, list) and columns, f"{where}: expected a list of columns")
    for column in columns:
        _require(isinstance(column, str) and _IDENT.match(column), f"{where}: bad column {column!r}")
    return columns


def _literal(where: str, value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    _require(isinstance(value, str), f"{where}: unsupported value {value!r}")
    return "'" + value.replace("'", "''") + "'"


def _range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"binnen [{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"


def _require(condition: Any, message: str) -> None:
    if not condition:
        raise ExpectationConfigError(message)


def _spec(table: str) -> TableSpec:
    specs = load_specs()
    if table not in specs:
        raise KeyError(f"no expectations for table {table!r}; known: {', '.join(specs)}")
    return specs[table]


# --- measuring in DuckDB ---------------------------------------------------------------------------------


def _mart_has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [MART_SCHEMA, table],
    ).fetchone()
    return bool(found and found[0])


def present_tables(warehouse: Warehouse) -> set[str]:
    """The mart tables that exist in the warehouse."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [MART_SCHEMA]
        ).fetchall()
    return {r[0] for r in rows}


def _measure(spec: TableSpec, warehouse: Warehouse) -> _Measurement:
    with warehouse.connect(read_only=True) as con:
        if not _mart_has_table(con, spec.name):
            return _Measurement(present=False)
        measured = _Measurement(present=True)
        measured.row_count = _scalar(con, f"SELECT count(*) FROM {MART_SCHEMA}.{spec.name}")
        for check in spec.checks:
            if check.audit is not None:
                count, sample, note = _run_audit(check.audit, con, sample_size=5)
                measured.counts[check.name], measured.notes[check.name] = count, note
                if count:
                    measured.samples[check.name] = sample
                continue
            try:
                count = _scalar(con, check.count_sql)
                if count:
                    measured.samples[check.name] = _rows(con, check.sample_sql)
            except duckdb.Error as exc:  # reported as a failed expectation, not a crashed gate
                measured.errors[check.name] = str(exc).splitlines()[0]
                continue
            measured.counts[check.name] = count
        return measured


def _run_audit(audit: str, con: duckdb.DuckDBPyConnection, sample_size: int) -> tuple[int, list[dict], str]:
    """(violations, sample, summary) of a Python audit; only 'onthulling' exists (data_quality.onthulling)."""
    assert audit == "onthulling"
    return onthulling.run(con, sample_size)


def _previous_row_count(table: str, warehouse: Warehouse, previous_release: Path) -> int | None:
    """Row count of the table in the published release, or None when there is nothing to compare with."""
    if not previous_release.exists():
        return None
    with warehouse.open(previous_release, read_only=True) as con:
        if not _mart_has_table(con, table):
            return None
        return _scalar(con, f"SELECT count(*) FROM {MART_SCHEMA}.{table}")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _json_value(value: Any) -> Any:
    """Sample values as JSON-friendly Python values (dates as ISO text, NaN as None)."""
    if hasattr(value, "item"):  # numpy scalars from Great Expectations
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _row_count_expectation(bounds: RowCountBounds, previous: int | None) -> tuple[float, float | None, str]:
    """(min, max, description) of the row-count expectation; no baseline when there is no old table."""
    low, high = float(bounds.min_rows), None
    if not previous:
        return low, high, f"minstens {bounds.min_rows} rij(en) (nog geen gepubliceerde release om mee te vergelijken)"
    parts = []
    if bounds.min_ratio is not None:
        low = max(low, bounds.min_ratio * previous)
        parts.append(f">= {bounds.min_ratio}x")
    if bounds.max_ratio is not None:
        high = bounds.max_ratio * previous
        parts.append(f"<= {bounds.max_ratio}x")
    relation = " en ".join(parts) or "vergeleken met"
    return (
        low,
        high,
        f"aantal rijen {relation} de gepubliceerde release ({previous} rijen), minstens {bounds.min_rows}",
    )


# --- judging with Great Expectations ---------------------------------------------------------------------


def published_release(s: Settings) -> Path:
    """The published DuckDB file the row counts are compared with."""
    return s.publish / PUBLISHED_DB


def validate_table(table: str, s: Settings, warehouse: Warehouse, *, docs_dir: Path | None = None) -> TableResult:
    """Validate one mart table of the warehouse.

    The row count is compared with the same table in the published release (:func:`published_release`). With
    ``docs_dir`` the Great Expectations Data Docs of this validation are written there (made usable offline);
    without it nothing is written.
    """
    spec = _spec(table)
    measured = _measure(spec, warehouse)
    if measured.present and spec.row_count is not None:
        measured.previous_row_count = _previous_row_count(table, warehouse, published_release(s))

    planned = [_Planned(TABLE_PRESENT, f"tabel {MART_SCHEMA}.{table} bestaat", 1, None, None)]
    values: dict[str, int] = {TABLE_PRESENT: int(measured.present)}
    if measured.present:
        if spec.row_count is not None:
            low, high, text = _row_count_expectation(spec.row_count, measured.previous_row_count)
            planned.append(_Planned(ROW_COUNT, text, low, high, None))
            values[ROW_COUNT] = measured.row_count or 0
        for check in spec.checks:
            if check.name in measured.errors:  # left out of the frame: Great Expectations fails it
                failed = f"{check.description} (kon niet worden gecontroleerd: {measured.errors[check.name]})"
                planned.append(_Planned(check.name, failed, None, 0, None))
                continue
            note = measured.notes.get(check.name)
            description = f"{check.description} ({note})" if note else check.description
            planned.append(_Planned(check.name, description, None, 0, measured.counts[check.name]))
            values[check.name] = measured.counts[check.name]

    outcomes, docs_page = _run_great_expectations(table, values, planned, docs_dir)
    expectations = [
        ExpectationResult(
            name=p.name,
            description=p.description,
            success=outcomes[p.name][0],
            observed_value=outcomes[p.name][1],
            failing_rows=p.failing_rows,
            sample=measured.samples.get(p.name, []),
            error=measured.errors.get(p.name),
        )
        for p in planned
    ]
    return TableResult(
        table=table,
        success=all(e.success for e in expectations),
        expectations=expectations,
        validated_at=datetime.now(UTC),
        warehouse=warehouse.path,
        row_count=measured.row_count,
        previous_row_count=measured.previous_row_count,
        docs_page=docs_page,
    )


def _run_great_expectations(
    table: str,
    values: dict[str, int],
    planned: list[_Planned],
    docs_dir: Path | None,
) -> tuple[dict[str, tuple[bool, Any]], Path | None]:
    """Validate the one-row frame of measurements; returns {column: (success, observed)} and the page."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)  # one validation per table site: the latest
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            data_docs_sites=sites,
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        ),
    )
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("measurements")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=table))
    for p in planned:
        counted = "; de waargenomen waarde is het aantal rijen dat niet voldoet" if p.failing_rows is not None else ""
        suite.add_expectation(
            gxe.ExpectColumnMaxToBeBetween(
                column=p.name, min_value=p.low, max_value=p.high, description=p.description + counted
            )
        )
    validation = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
    actions = [UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])] if sites else []
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=f"quality_gate_{table}", validation_definitions=[validation], actions=actions)
    )
    result = checkpoint.run(
        batch_parameters={"dataframe": pd.DataFrame([values])}, run_id=RunIdentifier(run_name="quality_gate")
    )
    (suite_result,) = result.run_results.values()
    outcomes = {
        r.expectation_config.kwargs["column"]: (
            bool(r.success),
            _json_value((r.result or {}).get("observed_value")),
        )
        for r in suite_result.results
    }
    docs_page = None
    if docs_dir is not None:
        docs.make_site_offline(docs_dir)
        docs_page = next(iter(sorted(docs_dir.glob("validations/**/*.html"))), None)
    return outcomes, docs_page


# --- the gate --------------------------------------------------------------------------------------------


def quality_report_dir(s: Settings) -> Path:
    """Where the quality report lives: ``reports/quality`` in the data home."""
    return s.reports / "quality"


def run_gate(s: Settings, warehouse: Warehouse, tables: list[str] | None = None) -> GateResult:
    """Validate mart tables and refresh the quality report (:func:`quality_report_dir`).

    ``tables=None`` validates every table of expectations.yaml (optional ones only when present) and
    replaces the report; a list validates just those tables and updates their part of the report.
    """
    specs = load_specs()
    if tables is None:
        present = present_tables(warehouse)
        names = [n for n, spec in specs.items() if not spec.optional or n in present]
    else:
        unknown = [t for t in tables if t not in specs]
        if unknown:
            raise KeyError(f"no expectations for tables {unknown}; known: {', '.join(specs)}")
        names = list(tables)
    reports = quality_report_dir(s)
    results = [validate_table(name, s, warehouse, docs_dir=reports / "gx" / name) for name in names]
    index = docs.write_quality_report(
        [r.to_dict() for r in results], reports, table_order=list(specs), replace=tables is None
    )
    return GateResult(success=all(r.success for r in results), tables=results, report=index)
