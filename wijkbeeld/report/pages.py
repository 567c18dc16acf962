"""HTML of the wijkprofiel report: the regional overview and one page per wijk.

Self-contained pages: inline CSS and SVG, no scripts, no fonts or files from elsewhere. Every text that
comes from the data is escaped with ``html.escape``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from wijkbeeld.report import svg
from wijkbeeld.report.data import Gebied, Indicator, PeriodKey, ReportData, Waarde

SCORE_COLUMNS = ["veiligheid", "leefbaarheid", "gezondheid", "wonen", "brandveiligheid"]
WIJK_COLOUR, GEMEENTE_COLOUR, REGIO_COLOUR = "#b2182b", "#2166ac", "#666666"
GEO_SOURCE = (
    "Kaartvlakken: CBS wijk- en buurtindeling 2024, gegeneraliseerd (Bron: CBS / Kadaster (PDOK), via cartomap/nl)."
)

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0; color: #1a1a1a;
       background: #f6f6f4; line-height: 1.4; }
header { background: #12355b; color: #fff; padding: 14px 24px; }
header h1 { margin: 0 0 4px; font-size: 1.5rem; }
header p { margin: 0; opacity: .9; }
header a { color: #fff; }
main { padding: 12px 24px 32px; max-width: 1200px; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
h2 { font-size: 1.15rem; margin: 4px 0 10px; color: #12355b; }
h3 { font-size: 1rem; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6e6e6; vertical-align: top; }
th { background: #eef1f5; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.aandacht td:first-child { border-left: 4px solid #d73027; }
.status { color: #6b4e00; font-size: .8rem; white-space: normal; display: inline-block; text-align: left; }
table.cijfers { table-layout: fixed; }
table.cijfers th:first-child { width: 30%; }
figure { margin: 0; width: 300px; }
figcaption { font-size: .8rem; font-weight: 600; min-height: 2.4em; }
dl.toelichting { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: .85rem; }
dl.toelichting dt { color: #6b4e00; font-weight: 600; }
dl.toelichting dd { margin: 0; }
.muted { color: #666; font-size: .85rem; }
.kpi { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi div { background: #eef1f5; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 1.4rem; }
.badge { display: inline-block; background: #d73027; color: #fff; border-radius: 10px; padding: 0 8px;
         font-size: .8rem; }
.sig { border-left: 4px solid #fc8d59; padding: 4px 10px; margin: 6px 0; background: #fff8f0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
.trends { display: flex; flex-wrap: wrap; gap: 10px; }
svg { font-family: inherit; }
svg.map { width: 100%; height: auto; max-height: 780px; }
svg.map .area path, svg.map .area rect { stroke: #fff; stroke-width: .6; }
svg.map .area:hover path, svg.map .area:hover rect { stroke: #000; stroke-width: 1.5; }
svg.bars { width: 100%; max-width: 560px; height: auto; }
svg.trend { width: 300px; height: 130px; background: #fff; }
svg .ax { font-size: 10px; fill: #555; }
svg .lb { font-size: 12px; fill: #222; }
svg .ct { font-size: 11px; font-weight: 600; fill: #222; }
svg .lg { font-size: 12px; fill: #222; }
svg .lg-title { font-size: 12px; font-weight: 600; fill: #222; }
svg .grid { stroke: #eee; }
footer { color: #666; font-size: .8rem; padding: 0 24px 24px; }
"""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_INDICATOR_CODE = re.compile(r"\b[A-Z]\d{2}\b")  # V01, L04 ... as named in a signal's onderbouwing


def wijk_filename(code: str) -> str:
    """File name of a wijk page; codes are CBS codes, anything else is replaced so no path can escape."""
    return _SAFE_NAME.sub("_", code) + ".html"


def page(title: str, heading: str, subtitle: str, body: str, footer: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)}</title><style>{CSS}</style></head>'
        f"<body><header><h1>{escape(heading)}</h1><p>{subtitle}</p></header>"
        f"<main>{body}</main><footer>{footer}</footer></body></html>\n"
    )


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

    def footer(self, *, with_map_source: bool = False) -> str:
        published = self.data.published_at.strftime("%d-%m-%Y %H:%M UTC") if self.data.published_at else "onbekend"
        text = (
            f"Gemaakt uit de gepubliceerde release {escape(self.data.release_id)} (gepubliceerd {published}). "
            "Cijfers zijn afgerond; onderdrukte waarden beschermen de privacy van bewoners."
        )
        if with_map_source:
            text += " " + escape(GEO_SOURCE)
        return text

    def kwets(self, code: str, periode: PeriodKey | None = None) -> dict[str, Any]:
        return self.data.kwetsbaarheid.get((code, *(periode or self.periode)), {})


def _trend_periods(data: ReportData, periode: PeriodKey) -> list[PeriodKey]:
    """The time axis of the trend charts: the periods of the type with the longest series (calendar years
    or rolling 12 months; on a tie the current period's type). Types are not mixed: they overlap in time."""
    kinds = {t for _, t in data.perioden}
    best = max(kinds, key=lambda kind: (len(data.perioden_van_type(kind)), kind == periode[1]), default=periode[1])
    return [(p, best) for p in data.perioden_van_type(best)]


# ---------------------------------------------------------------------------------------------- overview


def overview(ctx: Context, geometries: dict[str, dict]) -> str:
    data, labels = ctx.data, ctx.labels
    wijken = data.wijken
    regio_naam = ctx.regio.naam if ctx.regio else "de regio"
    body = [_intro(ctx, len(wijken)), _map_section(ctx, wijken, geometries), _ranking(ctx, wijken), _signals(ctx)]
    return page(
        f"Wijkprofiel {regio_naam}",
        f"Wijkprofiel {regio_naam}",
        f"Kwetsbaarheid van {len(wijken)} wijken · periode {escape(labels.periode(ctx.periode))}",
        "".join(body),
        ctx.footer(with_map_source=bool(geometries)),
    )


def _intro(ctx: Context, n_wijken: int) -> str:
    aandacht = sum(1 for w in ctx.data.wijken if ctx.kwets(w.code).get("aandacht"))
    signalen = len(ctx.data.signalen_van(periode=ctx.periode))
    return (
        '<section><div class="kpi">'
        f"<div>Wijken<b>{n_wijken}</b></div>"
        f'<div>Met aandacht<b id="n-aandacht">{aandacht}</b></div>'
        f'<div>Actieve signalen<b id="n-signalen">{signalen}</b></div>'
        f"<div>Periode<b>{escape(ctx.periode[0])}</b></div></div>"
        '<p class="muted">De kwetsbaarheidsindex is het gemiddelde van de domeinscores (gestandaardiseerde '
        "afwijkingen van het regiogemiddelde). 0 is het gemiddelde van de regio; hoe hoger, hoe kwetsbaarder. "
        "Een wijk krijgt <em>aandacht</em> bij een index in de hoogste 10% van de regio, bij twee of meer "
        "domeinen met score 1,0 of hoger, of bij een signaal.</p></section>"
    )


def _areas(ctx: Context, wijken: Sequence[Gebied]) -> list[svg.Area]:
    areas = []
    for w in wijken:
        k = ctx.kwets(w.code)
        value = k.get("kwetsbaarheidsindex")
        value = None if value is None else float(value)
        detail = f"index {svg.fmt(value, 2)}" if value is not None else ctx.labels.status(k.get("status"))
        areas.append(
            svg.Area(
                code=w.code,
                title=f"{w.naam} ({w.gemeentenaam or ''}) – {detail}",
                value=value,
                href=f"wijk/{wijk_filename(w.code)}",
                aandacht=bool(k.get("aandacht")),
            )
        )
    return areas


def _map_section(ctx: Context, wijken: Sequence[Gebied], geometries: dict[str, dict]) -> str:
    areas = _areas(ctx, wijken)
    on_map = [a for a in areas if a.code in geometries]
    missing = [a for a in areas if a.code not in geometries]
    parts = ['<section id="kaart"><h2>Kaart: kwetsbaarheidsindex per wijk</h2>']
    if on_map:
        parts.append(svg.choropleth(on_map, geometries))
        parts.append('<p class="muted">Klik op een wijk voor het wijkprofiel. Zwarte rand: wijk met aandacht.</p>')
    if missing:
        by_gemeente: dict[str, list[svg.Area]] = {}
        names = {w.code: w.gemeentenaam or w.gemeentecode or "onbekende gemeente" for w in wijken}
        for a in missing:
            by_gemeente.setdefault(names[a.code], []).append(a)
        note = (
            "Schematische weergave, geen kaart: er zijn geen kaartvlakken beschikbaar"
            if not on_map
            else f"{len(missing)} wijk(en) zonder kaartvlak in de referentiegeografie, schematisch weergegeven"
        )
        parts.append(f'<h3 id="schematisch">{escape(note)} (één vak per wijk, gegroepeerd per gemeente).</h3>')
        parts.append(svg.tile_grid(sorted(by_gemeente.items()), with_legend=not on_map))
    parts.append("</section>")
    return "".join(parts)


def _ranking(ctx: Context, wijken: Sequence[Gebied]) -> str:
    labels = ctx.labels

    def order(w: Gebied) -> tuple:
        rang = ctx.kwets(w.code).get("rang_in_regio")
        return (rang is None, rang or 0, w.code)

    head = "".join(f'<th class="n">{escape(labels.domein(d))}</th>' for d in SCORE_COLUMNS)
    rows = []
    for w in sorted(wijken, key=order):
        k = ctx.kwets(w.code)
        index = k.get("kwetsbaarheidsindex")
        cls = ' class="aandacht"' if k.get("aandacht") else ""
        scores = "".join(f'<td class="n">{svg.fmt(_f(k.get(f"score_{d}")), 2)}</td>' for d in SCORE_COLUMNS)
        index_cell = (
            f'<span class="swatch" style="background:{svg.index_colour(_f(index))}"></span>{svg.fmt(_f(index), 2)}'
            if index is not None
            else f'<span class="status">{escape(labels.status(k.get("status") or "ontbreekt"))}</span>'
        )
        rows.append(
            f'<tr{cls} data-wijk="{escape(w.code)}"><td class="n">{escape(str(k.get("rang_in_regio") or "–"))}</td>'
            f'<td><a href="wijk/{wijk_filename(w.code)}">{escape(w.naam)}</a></td>'
            f'<td>{escape(w.gemeentenaam or "")}</td><td class="n">{index_cell}</td>{scores}'
            f"<td>{'<span class=badge>aandacht</span>' if k.get('aandacht') else ''}</td></tr>"
        )
    return (
        '<section id="ranglijst"><h2>Ranglijst</h2>'
        '<p class="muted">Rang 1 is de meest kwetsbare wijk van de regio. Domeinscores: positief is '
        "ongunstiger dan de regio.</p>"
        f'<table><thead><tr><th class="n">Rang</th><th>Wijk</th><th>Gemeente</th><th class="n">Index</th>'
        f"{head}<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _signals(ctx: Context) -> str:
    signalen = ctx.data.signalen_van(periode=ctx.periode)
    if not signalen:
        return (
            '<section id="signalen"><h2>Actieve signalen</h2>'
            f"<p>Geen signalen in {escape(ctx.labels.periode(ctx.periode))}.</p></section>"
        )
    rows = []
    for s in sorted(signalen, key=lambda s: (str(s.get("signaal_code")), str(s.get("gebiedcode")))):
        w = ctx.data.gebieden.get(s.get("gebiedcode") or "")
        naam = w.naam if w else s.get("gebiedcode") or ""
        link = f'<a href="wijk/{wijk_filename(w.code)}">{escape(naam)}</a>' if w else escape(naam)
        rows.append(
            f"<tr><td>{escape(ctx.labels.signaal(str(s.get('signaal_code'))))}</td><td>{link}</td>"
            f"<td>{escape((w.gemeentenaam if w else '') or '')}</td>"
            f"<td>{escape(str(s.get('omschrijving') or ''))}</td>"
            f"<td>{escape(str(s.get('onderbouwing') or ''))}</td></tr>"
        )
    return (
        f'<section id="signalen"><h2>Actieve signalen ({len(signalen)})</h2>'
        "<table><thead><tr><th>Signaal</th><th>Wijk</th><th>Gemeente</th><th>Betekenis</th>"
        f"<th>Onderbouwing</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


# --------------------------------------------------------------------------------------------- wijk page


def wijk_page(ctx: Context, wijk: Gebied) -> str:
    labels = ctx.labels
    gemeente = ctx.data.gebieden.get(wijk.gemeentecode or "")
    body = [
        '<p><a href="../index.html">← Overzicht van de regio</a></p>',
        _wijk_summary(ctx, wijk),
        _wijk_domains(ctx, wijk),
        _wijk_signals(ctx, wijk),
        _wijk_figures(ctx, wijk, gemeente),
        _wijk_trends(ctx, wijk, gemeente),
    ]
    inwoners = f" · {svg.fmt(wijk.inwoners, 0)} inwoners" if wijk.inwoners is not None else ""
    return page(
        f"Wijkprofiel {wijk.naam} ({wijk.gemeentenaam or ''})",
        wijk.naam,
        f"Wijk {escape(wijk.code)} in {escape(wijk.gemeentenaam or '')}{inwoners} · "
        f"periode {escape(labels.periode(ctx.periode))}",
        "".join(body),
        ctx.footer(),
    )


def _wijk_summary(ctx: Context, wijk: Gebied) -> str:
    k = ctx.kwets(wijk.code)
    index = _f(k.get("kwetsbaarheidsindex"))
    rang = k.get("rang_in_regio")
    if index is None:
        index_text = f'<span class="status">{escape(ctx.labels.status(k.get("status") or "ontbreekt"))}</span>'
    else:
        index_text = svg.fmt(index, 2, sign=True)
    aandacht = "ja" if k.get("aandacht") else "nee"
    parts = [
        '<section id="samenvatting"><h2>Samenvatting</h2><div class="kpi">',
        f'<div>Kwetsbaarheidsindex<b id="index">{index_text}</b></div>',
        f"<div>Rang in de regio<b>{escape(str(rang)) if rang else '–'}{f' van {ctx.rangen}' if rang else ''}</b></div>",
        f'<div>Aandacht<b id="aandacht">{aandacht}</b></div></div>',
    ]
    if k.get("belangrijkste_indicatoren"):
        parts.append(
            "<p>Draagt het meest bij aan de index: "
            f'<span id="belangrijkste">{escape(str(k["belangrijkste_indicatoren"]))}</span></p>'
        )
    parts.append(
        '<p class="muted">0 is het regiogemiddelde; een positieve index betekent kwetsbaarder dan de regio.</p>'
        "</section>"
    )
    return "".join(parts)


def _wijk_domains(ctx: Context, wijk: Gebied) -> str:
    k = ctx.kwets(wijk.code)
    rows = [(ctx.labels.domein(d), _f(k.get(f"score_{d}")), "geen score: onvoldoende gegevens") for d in SCORE_COLUMNS]
    return (
        '<section id="domeinen"><h2>Domeinscores</h2>'
        '<p class="muted">Gemiddelde gestandaardiseerde afwijking van de indicatoren van het domein ten opzichte '
        "van de wijken in de regio (positief = ongunstiger).</p>"
        f"{svg.diverging_bars(rows)}</section>"
    )


def _wijk_signals(ctx: Context, wijk: Gebied) -> str:
    current = ctx.data.signalen_van(wijk.code, ctx.periode)
    earlier = [s for s in ctx.data.signalen_van(wijk.code) if s not in current]
    parts = ['<section id="signalen"><h2>Signalen</h2>']
    if not current:
        parts.append(f"<p>Geen signalen in {escape(ctx.labels.periode(ctx.periode))}.</p>")
    names = {i.code: i.naam for i in ctx.data.indicatoren}
    for s in current:
        evidence = str(s.get("onderbouwing") or "")
        named = [f"{code} {names[code]}" for code in dict.fromkeys(_INDICATOR_CODE.findall(evidence)) if code in names]
        legend = f'<br><span class="muted">{escape("; ".join(named))}</span>' if named else ""
        parts.append(
            f'<div class="sig" data-signaal="{escape(str(s.get("signaal_code")))}">'
            f"<b>{escape(ctx.labels.signaal(str(s.get('signaal_code'))))}</b> – "
            f"{escape(str(s.get('omschrijving') or ''))}<br>"
            f"Onderbouwing: {escape(evidence)}{legend}</div>"
        )
    if earlier:
        items = "".join(
            f"<li>{escape(ctx.labels.periode((str(s.get('periode')), str(s.get('periode_type', '')))))}: "
            f"{escape(ctx.labels.signaal(str(s.get('signaal_code'))))} – "
            f"{escape(str(s.get('onderbouwing') or ''))}</li>"
            for s in sorted(earlier, key=lambda s: str(s.get("periode")))
        )
        parts.append(f"<h3>Signalen in andere perioden</h3><ul>{items}</ul>")
    parts.append("</section>")
    return "".join(parts)


def _value_cell(w: Waarde | None, labels: Labels, used: set[str], decimals: int = 1) -> str:
    """A value, or the short status label (explained under the table; ``used`` collects the statuses)."""
    if w is None or w.waarde is None or w.status != "ok":
        status = "ontbreekt" if w is None else w.status if w.status != "ok" else "ontbreekt"
        used.add(status)
        return (
            f'<td class="n"><span class="status" title="{escape(labels.status(status))}">'
            f"{escape(labels.kort(status))}</span></td>"
        )
    interval = ""
    if w.ondergrens is not None and w.bovengrens is not None:
        interval = f'<br><span class="muted">({svg.fmt(w.ondergrens)} – {svg.fmt(w.bovengrens)})</span>'
    return f'<td class="n">{svg.fmt(w.waarde, decimals)}{interval}</td>'


def _wijk_figures(ctx: Context, wijk: Gebied, gemeente: Gebied | None) -> str:
    data, labels = ctx.data, ctx.labels
    regio_code = ctx.regio.code if ctx.regio else None
    parts = [
        '<section id="kerncijfers"><h2>Kerncijfers</h2>'
        '<p class="muted">Wijk tegenover gemeente en regio. Index: 100 is het regiogemiddelde. Tussen haakjes: '
        "95%-betrouwbaarheidsinterval van enquêtecijfers.</p>"
    ]
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
        if not any(v is not None and v.status == "ok" for triple in cells.values() for v in triple):
            # Nothing published for this domain in this period (e.g. a partner that has not delivered yet):
            # one line instead of a table full of empty cells.
            statuses = {v.status if v else "ontbreekt" for triple in cells.values() for v in triple[:1]}
            reason = labels.status(statuses.pop()) if len(statuses) == 1 else "geen cijfers in deze periode"
            names = ", ".join(f"{i.code} {i.naam}" for i in indicatoren)
            parts.append(
                f'<h3>{escape(labels.domein(domein))}</h3><p class="leeg" data-domein="{escape(domein)}">'
                f'<span class="status">{escape(reason)}</span><br><span class="muted">Indicatoren: '
                f"{escape(names)}</span></p>"
            )
            continue
        rows = []
        for ind in indicatoren:
            w, g, r = cells[ind.code]
            if r is None and w is not None and w.regio_waarde is not None:
                r = Waarde(waarde=w.regio_waarde, status="ok")
            ok = w is not None and w.status == "ok"
            index = svg.fmt(w.index_regio, 0) if ok else ""
            change = svg.fmt(w.verandering_vorig_jaar, 1, sign=True) if ok else ""
            rows.append(
                f'<tr data-indicator="{escape(ind.code)}"><td title="{escape(ind.definitie)}">'
                f'{escape(ind.naam)} <span class="muted">{escape(ind.code)}</span></td>'
                + "".join(_value_cell(v, labels, used, 0 if ind.eenheid == "aantal" else 1) for v in (w, g, r))
                + f'<td class="n">{index}</td><td class="n">{change}</td></tr>'
            )
        parts.append(
            f"<h3>{escape(labels.domein(domein))}</h3><table class='cijfers'><thead><tr><th>Indicator</th>"
            f'<th class="n">Wijk</th><th class="n">{escape(gemeente.naam if gemeente else "Gemeente")}</th>'
            f'<th class="n">Regio</th><th class="n">Index</th><th class="n">t.o.v. vorig jaar</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    if used:
        items = "".join(
            f"<dt>{escape(labels.kort(s))}</dt><dd>{escape(labels.status(s).split(': ', 1)[-1])}</dd>"
            for s in sorted(used)
        )
        parts.append(f'<h3>Toelichting bij ontbrekende cijfers</h3><dl class="toelichting">{items}</dl>')
    parts.append("</section>")
    return "".join(parts)


def _wijk_trends(ctx: Context, wijk: Gebied, gemeente: Gebied | None) -> str:
    data = ctx.data
    perioden = ctx.trend_perioden
    labels_x = [p for p, _ in perioden]
    regio_code = ctx.regio.code if ctx.regio else None
    charts = []
    index_series = [_f(ctx.kwets(wijk.code, p).get("kwetsbaarheidsindex")) for p in perioden]
    charts.append(_figure("Kwetsbaarheidsindex", [svg.Series("Wijk", WIJK_COLOUR, index_series)], labels_x))
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
        series = [svg.Series("Wijk", WIJK_COLOUR, wijk_values)]
        if ind.eenheid == "aantal":  # a count (inwoners): gemeente and region totals are not comparable
            charts.append(_figure(f"{ind.code} {ind.naam} (wijk)", series, labels_x))
            continue
        if gemeente:
            series.append(svg.Series(gemeente.naam, GEMEENTE_COLOUR, values(gemeente.code)))
        regio = values(regio_code)
        if not any(v is not None for v in regio):
            regio = [_regio_from_wijk(data, wijk.code, ind.code, p) for p in perioden]
        series.append(svg.Series("Regio", REGIO_COLOUR, regio, dashed=True))
        charts.append(_figure(f"{ind.code} {ind.naam}", series, labels_x))
    legend = (
        f'<p class="muted"><span class="swatch" style="background:{WIJK_COLOUR}"></span>wijk '
        f'<span class="swatch" style="background:{GEMEENTE_COLOUR}"></span>gemeente '
        f'<span class="swatch" style="background:{REGIO_COLOUR}"></span>regio (gestreept). '
        "Alleen gepubliceerde waarden; een onderbreking betekent een onderdrukte of ontbrekende waarde.</p>"
    )
    kind = ctx.labels.raw.get("periode_type", {}).get(perioden[0][1], "") if perioden else ""
    return (
        f'<section id="trends"><h2>Ontwikkeling over de perioden ({escape(kind)})</h2>{legend}'
        f'<div class="trends">{"".join(c for c in charts if c)}</div></section>'
    )


def _figure(title: str, series: list[svg.Series], x_labels: list[str]) -> str:
    chart = svg.line_chart(title, x_labels, series)
    return f"<figure><figcaption>{escape(title)}</figcaption>{chart}</figure>" if chart else ""


def _regio_from_wijk(data: ReportData, wijk: str, indicator: str, periode: PeriodKey) -> float | None:
    w = data.waarde(wijk, indicator, periode)
    return w.regio_waarde if w is not None else None


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
