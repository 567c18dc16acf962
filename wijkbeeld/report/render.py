"""The wijkprofiel report's pages: what each shows, worked out here, rendered by the Jinja2 templates in
``templates/`` (autoescaped: every text from the data is escaped by the template, never by hand).

Self-contained pages: inline CSS and SVG, no scripts, no fonts or files from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from wijkbeeld.report import charts
from wijkbeeld.report.charts import fmt
from wijkbeeld.report.data import Gebied, Indicator, PeriodKey, ReportData, Waarde

TEMPLATES = Path(__file__).resolve().parent / "templates"

SCORE_COLUMNS = ["veiligheid", "leefbaarheid", "gezondheid", "wonen", "brandveiligheid"]
WIJK_COLOUR, GEMEENTE_COLOUR, REGIO_COLOUR = "#b2182b", "#2166ac", "#666666"
GEO_SOURCE = (
    "Kaartvlakken: CBS wijk- en buurtindeling 2024, gegeneraliseerd (Bron: CBS / Kadaster (PDOK), via cartomap/nl)."
)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_INDICATOR_CODE = re.compile(r"\b[A-Z]\d{2}\b")  # V01, L04 ... as named in a signal's onderbouwing


def wijk_filename(code: str) -> str:
    """File name of a wijk page; codes are CBS codes, anything else is replaced so no path can escape."""
    return _SAFE_NAME.sub("_", code) + ".html"


class Labels:
    """The Dutch wording from labels.yaml, with safe fall-backs for codes it does not know."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def _status(self, status: str | None) -> dict[str, str]:
        table = self.raw.get("status", {})
        fallback = table.get("ontbreekt", {"kort": "ontbreekt", "uitleg": "geen cijfer"})
        return table.get(status or "ontbreekt") or {"kort": str(status), "uitleg": fallback["uitleg"]}

    def kort(self, status: str | None) -> str:
        """Short label for a table cell ('onderdrukt'); empty for ok."""
        return "" if status == "ok" else self._status(status)["kort"]

    def status(self, status: str | None) -> str:
        """The status in words ('onderdrukt: te weinig gebeurtenissen ...'); empty for ok."""
        if status == "ok":
            return ""
        entry = self._status(status)
        return f"{entry['kort']}: {entry['uitleg']}"

    def domein(self, domein: str) -> str:
        return self.raw.get("domeinen", {}).get(domein, domein.capitalize())

    def domeinen(self, indicatoren: Sequence[Indicator]) -> list[str]:
        """Domains in report order: the configured ones, then any new domain the catalogue brings."""
        known = list(self.raw.get("domeinen", {}))
        extra = sorted({i.domein for i in indicatoren} - set(known))
        return known + extra

    def signaal(self, code: str) -> str:
        return self.raw.get("signalen", {}).get(code, code)

    def periode(self, periode: PeriodKey) -> str:
        kind = self.raw.get("periode_type", {}).get(periode[1], periode[1])
        return f"{periode[0]} ({kind})"


class Context:
    """What every page of one build shares."""

    def __init__(self, data: ReportData, labels: Labels, periode: PeriodKey) -> None:
        self.data = data
        self.labels = labels
        self.periode = periode
        self.regio = data.regio
        self.trend_perioden = _trend_periods(data, periode)
        self.rangen = sum(
            1 for (_, p, t), row in data.kwetsbaarheid.items() if (p, t) == periode and row.get("rang_in_regio")
        )

    def page(self, **values: Any) -> dict[str, Any]:
        """What every page's template gets: the release it was made from, and the page's own values."""
        published = self.data.published_at.strftime("%d-%m-%Y %H:%M UTC") if self.data.published_at else "onbekend"
        return {"release_id": self.data.release_id, "published": published, "map_source": None, **values}

    def kwets(self, code: str, periode: PeriodKey | None = None) -> dict[str, Any]:
        return self.data.kwetsbaarheid.get((code, *(periode or self.periode)), {})


def _trend_periods(data: ReportData, periode: PeriodKey) -> list[PeriodKey]:
    """The time axis of the trend charts: the periods of the type with the longest series (calendar years
    or rolling 12 months; on a tie the current period's type). Types are not mixed: they overlap in time."""
    kinds = {t for _, t in data.perioden}
    best = max(kinds, key=lambda kind: (len(data.perioden_van_type(kind)), kind == periode[1]), default=periode[1])
    return [(p, best) for p in data.perioden_van_type(best)]


# ---------------------------------------------------------------------------------------------- overview


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from the data is escaped; charts and markup come from the templates only
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _template(name: str) -> Template:
    return _environment().get_template(name)


# ---------------------------------------------------------------------------------------------- overview


def overview(ctx: Context, geometries: dict[str, dict]) -> str:
    """The regional overview: key figures, the map (or the schematic tiles), the ranking, the signals."""
    wijken = ctx.data.wijken
    areas = _areas(ctx, wijken)
    on_map = [a for a in areas if a.code in geometries]
    missing = [a for a in areas if a.code not in geometries]
    tiles = tiles_note = None
    if missing:
        by_gemeente: dict[str, list[charts.Area]] = {}
        names = {w.code: w.gemeentenaam or w.gemeentecode or "onbekende gemeente" for w in wijken}
        for a in missing:
            by_gemeente.setdefault(names[a.code], []).append(a)
        tiles = charts.tile_grid(sorted(by_gemeente.items()), with_legend=not on_map)
        tiles_note = (
            "Schematische weergave, geen kaart: er zijn geen kaartvlakken beschikbaar"
            if not on_map
            else f"{len(missing)} wijk(en) zonder kaartvlak in de referentiegeografie, schematisch weergegeven"
        )
    values = ctx.page(
        regio_naam=ctx.regio.naam if ctx.regio else "de regio",
        wijken=wijken,
        periode=ctx.periode[0],
        periode_label=ctx.labels.periode(ctx.periode),
        n_aandacht=sum(1 for w in wijken if ctx.kwets(w.code).get("aandacht")),
        map=charts.choropleth(on_map, geometries) if on_map else None,
        tiles=tiles,
        tiles_note=tiles_note,
        domeinen=[ctx.labels.domein(d) for d in SCORE_COLUMNS],
        ranking=_ranking(ctx, wijken),
        signalen=_signals(ctx),
    )
    if geometries:
        values["map_source"] = GEO_SOURCE
    return _template("overview.html.j2").render(values)


def _areas(ctx: Context, wijken: Sequence[Gebied]) -> list[charts.Area]:
    areas = []
    for w in wijken:
        k = ctx.kwets(w.code)
        value = _f(k.get("kwetsbaarheidsindex"))
        detail = f"index {fmt(value, 2)}" if value is not None else ctx.labels.status(k.get("status"))
        areas.append(
            charts.Area(
                code=w.code,
                title=f"{w.naam} ({w.gemeentenaam or ''}) – {detail}",
                value=value,
                href=f"wijk/{wijk_filename(w.code)}",
                aandacht=bool(k.get("aandacht")),
            )
        )
    return areas


def _ranking(ctx: Context, wijken: Sequence[Gebied]) -> list[dict[str, Any]]:
    def order(w: Gebied) -> tuple:
        rang = ctx.kwets(w.code).get("rang_in_regio")
        return (rang is None, rang or 0, w.code)

    rows = []
    for w in sorted(wijken, key=order):
        k = ctx.kwets(w.code)
        index = _f(k.get("kwetsbaarheidsindex"))
        rows.append(
            {
                "code": w.code,
                "file": wijk_filename(w.code),
                "naam": w.naam,
                "gemeente": w.gemeentenaam or "",
                "rang": str(k.get("rang_in_regio") or "–"),
                "aandacht": bool(k.get("aandacht")),
                "index": None if index is None else fmt(index, 2),
                "colour": charts.index_colour(index),
                "status": ctx.labels.status(k.get("status") or "ontbreekt"),
                "scores": [fmt(_f(k.get(f"score_{d}")), 2) for d in SCORE_COLUMNS],
            }
        )
    return rows


def _signals(ctx: Context) -> list[dict[str, Any]]:
    rows = []
    signalen = ctx.data.signalen_van(periode=ctx.periode)
    for s in sorted(signalen, key=lambda s: (str(s.get("signaal_code")), str(s.get("gebiedcode")))):
        w = ctx.data.gebieden.get(s.get("gebiedcode") or "")
        rows.append(
            {
                "signaal": ctx.labels.signaal(str(s.get("signaal_code"))),
                "naam": w.naam if w else s.get("gebiedcode") or "",
                "file": wijk_filename(w.code) if w else None,
                "gemeente": (w.gemeentenaam if w else "") or "",
                "omschrijving": str(s.get("omschrijving") or ""),
                "onderbouwing": str(s.get("onderbouwing") or ""),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------- wijk page


def wijk_page(ctx: Context, wijk: Gebied) -> str:
    """One wijk: summary, domain scores, signals, figures against gemeente and region, trends."""
    labels = ctx.labels
    gemeente = ctx.data.gebieden.get(wijk.gemeentecode or "")
    k = ctx.kwets(wijk.code)
    index = _f(k.get("kwetsbaarheidsindex"))
    rang = k.get("rang_in_regio")
    domeinen, toelichting = _wijk_figures(ctx, wijk, gemeente)
    current, earlier = _wijk_signals(ctx, wijk)
    perioden = ctx.trend_perioden
    values = ctx.page(
        wijk=wijk,
        inwoners=fmt(wijk.inwoners, 0) if wijk.inwoners is not None else None,
        periode_label=labels.periode(ctx.periode),
        index=None if index is None else fmt(index, 2, sign=True),
        index_status=labels.status(k.get("status") or "ontbreekt"),
        rang=str(rang) if rang else None,
        rangen=ctx.rangen,
        aandacht=bool(k.get("aandacht")),
        belangrijkste=str(k["belangrijkste_indicatoren"]) if k.get("belangrijkste_indicatoren") else None,
        domein_bars=charts.diverging_bars(
            [(labels.domein(d), _f(k.get(f"score_{d}")), "geen score: onvoldoende gegevens") for d in SCORE_COLUMNS]
        ),
        signalen=current,
        eerdere=earlier,
        gemeente_naam=gemeente.naam if gemeente else "Gemeente",
        domeinen=domeinen,
        toelichting=toelichting,
        trend_kind=labels.raw.get("periode_type", {}).get(perioden[0][1], "") if perioden else "",
        trends=_wijk_trends(ctx, wijk, gemeente),
        colours={"wijk": WIJK_COLOUR, "gemeente": GEMEENTE_COLOUR, "regio": REGIO_COLOUR},
    )
    return _template("wijk.html.j2").render(values)


def _wijk_signals(ctx: Context, wijk: Gebied) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    current = ctx.data.signalen_van(wijk.code, ctx.periode)
    earlier = [s for s in ctx.data.signalen_van(wijk.code) if s not in current]
    names = {i.code: i.naam for i in ctx.data.indicatoren}
    now = []
    for s in current:
        evidence = str(s.get("onderbouwing") or "")
        named = [f"{code} {names[code]}" for code in dict.fromkeys(_INDICATOR_CODE.findall(evidence)) if code in names]
        now.append(
            {
                "code": str(s.get("signaal_code")),
                "signaal": ctx.labels.signaal(str(s.get("signaal_code"))),
                "omschrijving": str(s.get("omschrijving") or ""),
                "onderbouwing": evidence,
                "named": "; ".join(named),
            }
        )
    before = [
        {
            "periode": ctx.labels.periode((str(s.get("periode")), str(s.get("periode_type", "")))),
            "signaal": ctx.labels.signaal(str(s.get("signaal_code"))),
            "onderbouwing": str(s.get("onderbouwing") or ""),
        }
        for s in sorted(earlier, key=lambda s: str(s.get("periode")))
    ]
    return now, before


def _value_cell(w: Waarde | None, labels: Labels, used: set[str], decimals: int = 1) -> dict[str, str | None]:
    """A value, or the short status label (explained under the table; ``used`` collects the statuses)."""
    if w is None or w.waarde is None or w.status != "ok":
        status = "ontbreekt" if w is None else w.status if w.status != "ok" else "ontbreekt"
        used.add(status)
        return {"status": labels.status(status), "kort": labels.kort(status)}
    interval = None
    if w.ondergrens is not None and w.bovengrens is not None:
        interval = f"{fmt(w.ondergrens)} – {fmt(w.bovengrens)}"
    return {"status": None, "value": fmt(w.waarde, decimals), "interval": interval}


def _wijk_figures(
    ctx: Context, wijk: Gebied, gemeente: Gebied | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Per domain its table of figures (wijk, gemeente, region), or why it has none; and the statuses used."""
    data, labels = ctx.data, ctx.labels
    regio_code = ctx.regio.code if ctx.regio else None
    blocks = []
    used: set[str] = set()
    for domein in labels.domeinen(data.indicatoren):
        indicatoren = [i for i in data.indicatoren if i.domein == domein]
        if not indicatoren:
            continue
        cells = {
            ind.code: (
                data.waarde(wijk.code, ind.code, ctx.periode),
                data.waarde(gemeente.code, ind.code, ctx.periode) if gemeente else None,
                data.waarde(regio_code, ind.code, ctx.periode) if regio_code else None,
            )
            for ind in indicatoren
        }
        block: dict[str, Any] = {"domein": domein, "naam": labels.domein(domein), "leeg": None, "rows": []}
        blocks.append(block)
        if not any(v is not None and v.status == "ok" for triple in cells.values() for v in triple):
            # Nothing published for this domain in this period (e.g. a partner that has not delivered yet):
            # one line instead of a table full of empty cells.
            statuses = {v.status if v else "ontbreekt" for triple in cells.values() for v in triple[:1]}
            block["leeg"] = labels.status(statuses.pop()) if len(statuses) == 1 else "geen cijfers in deze periode"
            block["indicatoren"] = ", ".join(f"{i.code} {i.naam}" for i in indicatoren)
            continue
        for ind in indicatoren:
            w, g, r = cells[ind.code]
            if r is None and w is not None and w.regio_waarde is not None:
                r = Waarde(waarde=w.regio_waarde, status="ok")
            ok = w is not None and w.status == "ok"
            decimals = 0 if ind.eenheid == "aantal" else 1
            block["rows"].append(
                {
                    "code": ind.code,
                    "naam": ind.naam,
                    "definitie": ind.definitie,
                    "cells": [_value_cell(v, labels, used, decimals) for v in (w, g, r)],
                    "index": fmt(w.index_regio, 0) if ok else "",
                    "change": fmt(w.verandering_vorig_jaar, 1, sign=True) if ok else "",
                }
            )
    toelichting = [(labels.kort(s), labels.status(s).split(": ", 1)[-1]) for s in sorted(used)]
    return blocks, toelichting


def _wijk_trends(ctx: Context, wijk: Gebied, gemeente: Gebied | None) -> list[charts.Line]:
    data = ctx.data
    perioden = ctx.trend_perioden
    labels_x = [p for p, _ in perioden]
    regio_code = ctx.regio.code if ctx.regio else None
    index_series = [_f(ctx.kwets(wijk.code, p).get("kwetsbaarheidsindex")) for p in perioden]
    figures = [charts.line_chart("Kwetsbaarheidsindex", labels_x, [charts.Series("Wijk", WIJK_COLOUR, index_series)])]
    for ind in data.indicatoren:

        def values(code: str | None, ind: Indicator = ind) -> list[float | None]:
            out = []
            for p in perioden:
                w = data.waarde(code, ind.code, p) if code else None
                out.append(w.waarde if w is not None and w.status == "ok" else None)
            return out

        wijk_values = values(wijk.code)
        if not any(v is not None for v in wijk_values):
            continue
        series = [charts.Series("Wijk", WIJK_COLOUR, wijk_values)]
        if ind.eenheid == "aantal":  # a count (inwoners): gemeente and region totals are not comparable
            figures.append(charts.line_chart(f"{ind.code} {ind.naam} (wijk)", labels_x, series))
            continue
        if gemeente:
            series.append(charts.Series(gemeente.naam, GEMEENTE_COLOUR, values(gemeente.code)))
        regio = values(regio_code)
        if not any(v is not None for v in regio):
            regio = [_regio_from_wijk(data, wijk.code, ind.code, p) for p in perioden]
        series.append(charts.Series("Regio", REGIO_COLOUR, regio, dashed=True))
        figures.append(charts.line_chart(f"{ind.code} {ind.naam}", labels_x, series))
    return [f for f in figures if f is not None]


def _regio_from_wijk(data: ReportData, wijk: str, indicator: str, periode: PeriodKey) -> float | None:
    w = data.waarde(wijk, indicator, periode)
    return w.regio_waarde if w is not None else None


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
