"""Is a dataset on time, and which of its rows are not mapped: read from what was loaded (Dagster checks)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.periods import CADENCE_MONTHS, month_end, month_start, parse_period
from wijkbeeld.ingest.results import Freshness
from wijkbeeld.ingest.sql import ident


def freshness(con: duckdb.DuckDBPyConnection, contract: Contract, today: date) -> Freshness | None:
    """Freshness of a dataset from its loaded data (None when the contract has no cadence)."""
    cadence = contract.cadence
    if cadence is None:
        return None
    newest: date | None = None
    if contract.period.row_column:
        row = con.execute(f"SELECT max({ident(contract.period.row_column)}) FROM raw.{contract.raw_table}").fetchone()
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
    covered = month_end(month_start(newest))
    due = month_end(month_start(newest), CADENCE_MONTHS[cadence.period]) + timedelta(days=cadence.grace_days)
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
