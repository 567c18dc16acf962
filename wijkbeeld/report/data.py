"""Read one published release into plain Python objects for the report.

Only the published release is read (its immutable DuckDB file), never the warehouse. The reader uses
the documented mart column names and tolerates what a growing mart brings: extra columns are ignored,
a missing table or column reads as empty, and indicators or domains without data simply have no values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from wijkbeeld.warehouse import Warehouse

PeriodKey = tuple[str, str]  # (periode, periode_type)


@dataclass(frozen=True)
class Gebied:
    code: str
    naam: str
    niveau: str
    gemeentecode: str | None
    gemeentenaam: str | None
    inwoners: int | None


@dataclass(frozen=True)
class Indicator:
    code: str
    naam: str
    domein: str
    eenheid: str
    definitie: str
    bron: str
    polariteit: int
    in_index: bool


@dataclass(frozen=True)
class Waarde:
    """One row of ``fct_indicator_waarde`` (only the columns the report shows)."""

    waarde: float | None
    status: str
    regio_waarde: float | None = None
    index_regio: float | None = None
    z_score: float | None = None
    rang_in_regio: int | None = None
    verandering_vorig_jaar: float | None = None
    ondergrens: float | None = None
    bovengrens: float | None = None


@dataclass
class ReportData:
    """Everything the report pages need, keyed for direct look-up."""

    release_id: str
    published_at: datetime | None
    gebieden: dict[str, Gebied]
    indicatoren: list[Indicator]
    perioden: list[PeriodKey]
    waarden: dict[tuple[str, str, str, str], Waarde]
    kwetsbaarheid: dict[tuple[str, str, str], dict[str, Any]]
    signalen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def wijken(self) -> list[Gebied]:
        return sorted((g for g in self.gebieden.values() if g.niveau == "wijk"), key=lambda g: g.code)

    @property
    def regio(self) -> Gebied | None:
        return next((g for g in self.gebieden.values() if g.niveau == "regio"), None)

    def actuele_periode(self) -> PeriodKey | None:
        """The newest period with an index; a rolling 12 months beats a calendar year (it is fresher)."""
        keys = {(p, t) for (_, p, t) in self.kwetsbaarheid} or set(self.perioden)
        if not keys:
            return None
        return max(keys, key=lambda k: (k[1] == "12mnd", k[0]))

    def perioden_van_type(self, periode_type: str) -> list[str]:
        return sorted(p for p, t in self.perioden if t == periode_type)

    def waarde(self, gebiedcode: str, indicator: str, periode: PeriodKey) -> Waarde | None:
        return self.waarden.get((gebiedcode, indicator, *periode))

    def signalen_van(self, gebiedcode: str | None = None, periode: PeriodKey | None = None) -> list[dict[str, Any]]:
        return [
            s
            for s in self.signalen
            if (gebiedcode is None or s.get("gebiedcode") == gebiedcode)
            and (periode is None or (s.get("periode"), s.get("periode_type", periode[1])) == periode)
        ]


def load_release(
    warehouse: Warehouse, duckdb_path: Path, release_id: str, published_at: datetime | None = None
) -> ReportData:
    """Read the report's tables from a release's DuckDB file (read-only)."""
    with warehouse.open(duckdb_path, read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute("select table_name from duckdb_tables() where schema_name = 'mart'").fetchall()
        }

        def rows(table: str) -> list[dict[str, Any]]:
            if table not in tables:
                return []
            cursor = con.execute(f'select * from mart."{table}"')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        gebieden = {r["gebiedcode"]: _gebied(r) for r in rows("dim_gebied") if r.get("gebiedcode")}
        indicatoren = sorted((_indicator(r) for r in rows("dim_indicator")), key=lambda i: i.code)
        waarden: dict[tuple[str, str, str, str], Waarde] = {}
        perioden: set[PeriodKey] = set()
        for r in rows("fct_indicator_waarde"):
            key = (r["gebiedcode"], r["indicator_code"], str(r["periode"]), r.get("periode_type") or "jaar")
            waarden[key] = _waarde(r)
            perioden.add(key[2:])
        kwetsbaarheid = {}
        for r in rows("fct_kwetsbaarheid"):
            key = (r["gebiedcode"], str(r["periode"]), r.get("periode_type") or "jaar")
            kwetsbaarheid[key] = r
            perioden.add(key[1:])
        signalen = rows("signalen")
    known = {i.code for i in indicatoren}
    for _, code, _, _ in waarden:
        if code not in known:  # a value whose indicator is not catalogued still gets a row
            known.add(code)
            indicatoren.append(Indicator(code, code, "overig", "", "", "", 0, False))
    return ReportData(
        release_id=release_id,
        published_at=published_at,
        gebieden=gebieden,
        indicatoren=indicatoren,
        perioden=sorted(perioden, key=lambda k: (k[1], k[0])),
        waarden=waarden,
        kwetsbaarheid=kwetsbaarheid,
        signalen=signalen,
    )


def _gebied(r: dict[str, Any]) -> Gebied:
    return Gebied(
        code=r["gebiedcode"],
        naam=r.get("gebiedsnaam") or r["gebiedcode"],
        niveau=r.get("niveau") or "wijk",
        gemeentecode=r.get("gemeentecode"),
        gemeentenaam=r.get("gemeentenaam"),
        inwoners=r.get("inwoners"),
    )


def _indicator(r: dict[str, Any]) -> Indicator:
    return Indicator(
        code=r["indicator_code"],
        naam=r.get("naam") or r["indicator_code"],
        domein=r.get("domein") or "overig",
        eenheid=r.get("eenheid") or "",
        definitie=r.get("definitie") or "",
        bron=r.get("bron") or "",
        polariteit=int(r.get("polariteit") or 0),
        in_index=bool(r.get("in_index")),
    )


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _waarde(r: dict[str, Any]) -> Waarde:
    rang = r.get("rang_in_regio")
    return Waarde(
        waarde=_num(r.get("waarde")),
        status=r.get("status") or "ontbreekt",
        regio_waarde=_num(r.get("regio_waarde")),
        index_regio=_num(r.get("index_regio")),
        z_score=_num(r.get("z_score")),
        rang_in_regio=None if rang is None else int(rang),
        verandering_vorig_jaar=_num(r.get("verandering_vorig_jaar")),
        ondergrens=_num(r.get("ondergrens")),
        bovengrens=_num(r.get("bovengrens")),
    )
