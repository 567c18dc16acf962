"""One batch of files (same header) validated together: read -> type -> split -> map -> judge.

Up to 100 files / ~1M records go through one set of queries instead of many small ones; every file still gets
its own verdict (the 5 % rule is per file), so a bad file never takes the others down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from wijkbeeld.ingest import checks, mapping, readers, rows
from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.periods import month_start
from wijkbeeld.ingest.results import Outcome, Prepared
from wijkbeeld.ingest.sql import Table
from wijkbeeld.settings import FileLimits


@dataclass(frozen=True)
class Validated:
    """The tables a validated batch leaves for loading: the rows to load and the rejected rows."""

    final: Table
    bad: Table


def evaluate_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: list[tuple[Prepared, Outcome]],
    refs: set[str],
    today: date,
    limits: FileLimits,
    reference_year: int | None,
) -> Validated:
    """Read and check the rows of files that passed :func:`wijkbeeld.ingest.checks.precheck` (all with the same
    header); fills each file's outcome (counts, or the problem that refuses it)."""
    header = [h.lower() for h in items[0][0].header]
    wanted = contract.source_columns()
    plan = rows.Plan({h: f"c{i}" for i, h in enumerate(header) if h in wanted}, month_start(today), refs)
    files = rows.files_table(con, contract, items)
    records = readers.read_batch(con, [prep for prep, _ in items], contract, limits)
    typed = rows.type_records(con, contract, plan, records, files, len(header))
    checked = rows.split(con, contract, typed, records.rejects)
    mapped = mapping.map_areas(con, contract, plan, checked.accepted, reference_year)
    checks.judge(con, contract, items, records, typed, checked.bad, mapped.final, mapped.unmapped)
    return Validated(final=mapped.final, bad=checked.bad)
