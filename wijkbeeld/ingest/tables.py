"""The ingest's tables in the warehouse: ``raw.raw_<partner>__<dataset>`` (one per contract) and ``meta``
(deliveries, rejected rows, quarantined files); created from the contracts, loaded one batch per transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.periods import now_utc
from wijkbeeld.ingest.results import Outcome, Prepared
from wijkbeeld.ingest.sql import Table, ident, lit, temp_table

META_TABLES = {
    "leveringen": [
        ("levering_id", "BIGINT"),
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("bestand_periode", "VARCHAR"),
        ("rijen_geaccepteerd", "BIGINT"),
        ("rijen_afgewezen", "BIGINT"),
        ("rijen_niet_gekoppeld", "BIGINT"),
        ("geladen_op", "TIMESTAMP"),
        ("archief_pad", "VARCHAR"),
    ],
    "afgewezen_rijen": [
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("regel", "BIGINT"),
        ("kolom", "VARCHAR"),
        ("waarde", "VARCHAR"),
        ("reden", "VARCHAR"),
        ("afgewezen_op", "TIMESTAMP"),
    ],
    "quarantaine": [
        ("partner", "VARCHAR"),
        ("dataset", "VARCHAR"),
        ("bron_bestand", "VARCHAR"),
        ("bron_sha256", "VARCHAR"),
        ("reden", "VARCHAR"),
        ("details", "VARCHAR"),
        ("quarantaine_op", "TIMESTAMP"),
        ("quarantaine_pad", "VARCHAR"),
    ],
}


def ensure_warehouse(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create schemas ``raw``/``meta`` and the raw table of every contract (empty) if absent.

    dbt then always finds its sources, also for datasets without files yet. An existing table whose
    columns differ from its contract is an error: silently loading into another shape would corrupt it.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    tables = [("raw", c.raw_table, c.table_columns()) for c in contracts]
    tables += [("meta", name, cols) for name, cols in META_TABLES.items()]
    for schema, table, cols in tables:
        col_sql = ", ".join(f"{ident(n)} {t}" for n, t in cols)
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} ({col_sql})")
    present: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'meta') AND table_catalog = current_database() "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall():
        present.setdefault((schema, table), []).append((column, data_type))
    for schema, table, cols in tables:
        found = present.get((schema, table), [])
        if [(n, t.upper()) for n, t in found] != [(n, t) for n, t in cols]:
            raise RuntimeError(
                f"warehouse table {schema}.{table} has columns {found}, its contract expects {cols}; "
                "migrate or rebuild the warehouse"
            )


def table_rows(con: duckdb.DuckDBPyConnection, dataset_ref: str) -> int | None:
    """Row count of the raw table of ``partner/dataset``; None when the table does not exist."""
    table = "raw_" + dataset_ref.replace("/", "__")
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = ? AND table_catalog = current_database()",
        [table],
    ).fetchone()
    if not exists or not exists[0]:
        return None
    return int(con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0])


def known_delivery(con: duckdb.DuckDBPyConnection, contract: Contract, sha: str) -> int | None:
    row = con.execute(
        "SELECT min(levering_id) FROM meta.leveringen WHERE partner = ? AND dataset = ? AND bron_sha256 = ?",
        [contract.partner, contract.dataset, sha],
    ).fetchone()
    return row[0] if row else None


def load_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    good: list[tuple[Prepared, Outcome, str]],
    final: Table,
    bad: Table,
) -> list[int]:
    """Insert the rows (``final``), rejected rows (``bad``) and delivery records of the good files of a batch in
    ONE transaction (each file gets its own levering_id, in batch order); returns the levering_ids."""
    now = now_utc()
    cols = ", ".join(ident(c.target) for c in contract.columns)
    con.execute("BEGIN TRANSACTION")
    try:
        first = int(con.execute("SELECT coalesce(max(levering_id), 0) + 1 FROM meta.leveringen").fetchone()[0])
        leveringen = [first + k for k in range(len(good))]
        values = ", ".join(
            f"({prep.index}, {levering}, {lit(prep.path.name)}, {lit(prep.sha256)})"
            for (prep, _, _), levering in zip(good, leveringen, strict=True)
        )
        deliveries = temp_table(
            con, "batch_lev", f"SELECT * FROM (VALUES {values}) v(__bestand, levering_id, bron_bestand, bron_sha256)"
        )
        con.execute(
            f"""INSERT INTO raw.{contract.raw_table} ({cols}, bron_bestand, bron_sha256, levering_id,
                bron_regel, geladen_op)
                SELECT {cols}, l.bron_bestand, l.bron_sha256, l.levering_id, __regel, $1
                FROM {final} JOIN {deliveries} l USING (__bestand) ORDER BY l.levering_id, __regel""",
            [now],
        )
        con.execute(
            f"""INSERT INTO meta.afgewezen_rijen
               SELECT $1, $2, l.bron_bestand, l.bron_sha256, regel, kolom, waarde, reden, $3
               FROM {bad} JOIN {deliveries} l USING (__bestand) ORDER BY l.levering_id, regel NULLS LAST, kolom""",
            [contract.partner, contract.dataset, now],
        )
        records = [
            [
                levering,
                contract.partner,
                contract.dataset,
                prep.path.name,
                prep.sha256,
                out.period,
                out.rows_accepted,
                out.rows_rejected,
                out.rows_unmapped or 0,
                now,
                archive_rel,
            ]
            for (prep, out, archive_rel), levering in zip(good, leveringen, strict=True)
        ]
        columns = [list(c) for c in zip(*records, strict=True)]  # one INSERT for the batch, not one per file
        unnest = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        con.execute(f"INSERT INTO meta.leveringen SELECT * FROM (SELECT {unnest})", columns)
        con.execute("COMMIT")
    except Exception:
        with suppress(Exception):  # a failed COMMIT (e.g. disk full) already ended it: keep the original error
            con.execute("ROLLBACK")
        raise
    return leveringen


def last_delivery(con: duckdb.DuckDBPyConnection, contract: Contract) -> str | None:
    row = con.execute(
        """SELECT bron_bestand, levering_id, geladen_op FROM meta.leveringen
           WHERE partner = ? AND dataset = ? ORDER BY levering_id DESC LIMIT 1""",
        [contract.partner, contract.dataset],
    ).fetchone()
    return f"{row[0]} (levering {row[1]}, loaded {row[2]:%Y-%m-%d %H:%M} UTC)" if row else None
