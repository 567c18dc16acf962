"""Area mapping of accepted rows: addresses to buurt and wijk, old buurt codes to today's wijk, and which rows
fall outside the reference geography (counted as not mapped, per file).

The reference tables are built once per connection (the references do not change while one dataset is ingested)
and handed to the step that joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.rows import Plan
from wijkbeeld.ingest.sql import Table, has_temp_table, ident, lit, raw_table, temp_table


@dataclass(frozen=True)
class Mapped:
    """The rows to load (``final``: accepted rows with their areas and ``__unmapped``), and per file number the
    rows not mapped to the reference geography (None when the dataset is not mapped or its reference is missing)."""

    final: Table
    unmapped: dict[int, int] | None


def map_areas(
    con: duckdb.DuckDBPyConnection, contract: Contract, plan: Plan, accepted: Table, reference_year: int | None
) -> Mapped:
    """The accepted rows mapped to areas, as the contract's ``address_mapping``, ``area_mapping`` or
    ``reference_geography`` says (and only when the reference is loaded)."""
    final, mapped = _map_addresses(con, contract, plan, accepted)
    if contract.area_mapping and contract.area_mapping.reference in plan.refs:
        final = _map_buurtcodes(con, contract, final, reference_geography(con, reference_year))
        mapped = True
    elif contract.reference_geography and "cbs/kerncijfers" in plan.refs:
        geo = reference_geography(con, reference_year)
        column = ident(contract.reference_geography.column)
        final = temp_table(
            con, "final", f"SELECT *, {column} NOT IN (SELECT code FROM {geo}) AS __unmapped FROM {final}"
        )
        mapped = True
    if not mapped:
        return Mapped(final, None)
    rows = con.execute(f"SELECT __bestand, count(*) FILTER (__unmapped) FROM {final} GROUP BY ALL").fetchall()
    return Mapped(final, {int(b): int(n) for b, n in rows})


def reference_geography(con: duckdb.DuckDBPyConnection, reference_year: int | None) -> Table:
    """The area codes of the reference geography year: ``reference_year`` when delivered, else the newest CBS
    kerncijfers year (the newest delivery of it). The same year dbt reports on (dbt var ``referentiejaar``)."""
    geo = Table("ref_geo")
    if has_temp_table(con, geo.name):
        return geo
    kwb = raw_table("cbs/kerncijfers")
    con.execute(
        f"""CREATE TEMP TABLE {geo} AS
            WITH y AS (SELECT coalesce(max(jaar) FILTER (jaar = {lit(reference_year)}), max(jaar)) AS jaar
                       FROM {kwb}),
                 l AS (SELECT max(levering_id) AS levering_id FROM {kwb}
                       WHERE jaar = (SELECT jaar FROM y))
            SELECT DISTINCT gwb_code AS code FROM {kwb}
            WHERE levering_id = (SELECT levering_id FROM l)"""
    )
    return geo


@dataclass(frozen=True)
class _Addresses:
    exact: Table  # pc6, huisnummer -> buurt, wijk
    majority: Table  # pc6 -> the buurt (and wijk) with most addresses


def _address_reference(con: duckdb.DuckDBPyConnection, ref: str) -> _Addresses:
    """PC6 + number -> buurt, and PC6 -> buurt with most addresses, from the newest delivery of the newest year."""
    addresses = _Addresses(Table("ref_addr"), Table("ref_majority"))
    if has_temp_table(con, addresses.exact.name):
        return addresses
    con.execute(
        f"""CREATE TEMP TABLE ref_newest AS SELECT pc6, huisnummer, buurt, wijk FROM {ref}
            WHERE levering_id = (SELECT max(levering_id) FROM {ref}
                                 WHERE jaar = (SELECT max(jaar) FROM {ref}))"""
    )
    con.execute(
        f"""CREATE TEMP TABLE {addresses.majority} AS
           SELECT pc6, buurt, wijk FROM (SELECT pc6, buurt, wijk, count(*) AS n FROM ref_newest GROUP BY ALL)
           QUALIFY row_number() OVER (PARTITION BY pc6 ORDER BY n DESC, buurt) = 1"""
    )
    con.execute(
        f"""CREATE TEMP TABLE {addresses.exact} AS
           SELECT pc6, huisnummer, min(buurt) AS buurt, min(wijk) AS wijk FROM ref_newest GROUP BY ALL"""
    )
    con.execute("DROP TABLE ref_newest")
    return addresses


def _map_buurtcodes(con: duckdb.DuckDBPyConnection, contract: Contract, rows: Table, geo: Table) -> Table:
    """Wijk of a delivered buurt code: its own wijk when the buurt is in the reference geography
    ('buurtcode'); for a buurt code of an older geography the wijk its digits name, when that wijk still
    exists ('wijk_uit_buurtcode'); otherwise not mapped ('niet_gekoppeld', wijk NULL, counted)."""
    assert contract.area_mapping is not None
    buurt = ident(contract.area_mapping.column)
    parts = {c.derive.part: c.target for c in contract.columns if c.derive and c.derive.kind == "area_mapping"}
    replace = []
    if "wijk" in parts:
        replace.append(f"CASE WHEN __methode <> 'niet_gekoppeld' THEN __wijk END AS {ident(parts['wijk'])}")
    if "method" in parts:
        replace.append(f"__methode AS {ident(parts['method'])}")
    replace_sql = f" REPLACE ({', '.join(replace)})" if replace else ""
    return temp_table(
        con,
        "final",
        f"""WITH m AS (
            SELECT *, 'WK' || substr({buurt}, 3, 6) AS __wijk,
                   CASE WHEN {buurt} IN (SELECT code FROM {geo}) THEN 'buurtcode'
                        WHEN 'WK' || substr({buurt}, 3, 6) IN (SELECT code FROM {geo}) THEN 'wijk_uit_buurtcode'
                        ELSE 'niet_gekoppeld' END AS __methode
            FROM {rows})
        SELECT * EXCLUDE (__wijk, __methode){replace_sql}, __methode = 'niet_gekoppeld' AS __unmapped FROM m""",
    )


def _map_addresses(
    con: duckdb.DuckDBPyConnection, contract: Contract, plan: Plan, accepted: Table
) -> tuple[Table, bool]:
    """The accepted rows with buurt/wijk/method filled (and ``__unmapped``); False when not mapped (a copy)."""
    mapping = contract.address_mapping
    if mapping is None or mapping.reference not in plan.refs:
        return temp_table(con, "final", f"SELECT * FROM {accepted}"), False
    parts = {
        c.derive.part: c.target
        for c in contract.columns
        if c.derive and c.derive.kind == "address_mapping" and c.derive.part
    }
    pc6 = ident(mapping.pc6)
    replace = []
    if "buurt" in parts:
        replace.append(f"coalesce(x.buurt, m.buurt) AS {ident(parts['buurt'])}")
    if "wijk" in parts:
        replace.append(f"coalesce(x.wijk, m.wijk) AS {ident(parts['wijk'])}")
    method = (
        "CASE WHEN x.buurt IS NOT NULL THEN 'adres' WHEN m.buurt IS NOT NULL THEN 'pc6_meerderheid' "
        "ELSE 'niet_gekoppeld' END"
    )
    if "method" in parts:
        replace.append(f"{method} AS {ident(parts['method'])}")
    addresses = _address_reference(con, raw_table(mapping.reference))
    final = temp_table(
        con,
        "final",
        f"""SELECT a.* REPLACE ({", ".join(replace)}), {method} = 'niet_gekoppeld' AS __unmapped
        FROM {accepted} a
        LEFT JOIN (SELECT * FROM {addresses.exact} WHERE pc6 IN (SELECT {pc6} FROM {accepted})) x
               ON x.pc6 = a.{pc6} AND x.huisnummer = a.__huisnummer
        LEFT JOIN (SELECT * FROM {addresses.majority} WHERE pc6 IN (SELECT {pc6} FROM {accepted})) m
               ON m.pc6 = a.{pc6}""",
    )
    return final, True
