"""Inline SVG charts rendered at build time: a choropleth map (or a schematic tile grid), diverging bars
and small line charts. Plain strings, no JavaScript, no external resources; every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

# Diverging classes for the kwetsbaarheidsindex (mean of z-scores; positive = more vulnerable than the
# region). Colour-blind safe (ColorBrewer RdYlBu, reversed).
INDEX_CLASSES: list[tuple[float, str, str]] = [
    (-1.0, "#4575b4", "lager dan -1,0"),
    (-0.5, "#91bfdb", "-1,0 tot -0,5"),
    (-0.2, "#e0f3f8", "-0,5 tot -0,2"),
    (0.2, "#ffffbf", "-0,2 tot 0,2"),
    (0.5, "#fee090", "0,2 tot 0,5"),
    (1.0, "#fc8d59", "0,5 tot 1,0"),
    (math.inf, "#d73027", "1,0 of hoger"),
]
NO_DATA_COLOUR = "#d9d9d9"


def fmt(value: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """A number the Dutch way: 1.234,5 (thousands dot, decimal comma); a dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def index_colour(value: float | None) -> str:
    if value is None:
        return NO_DATA_COLOUR
    return next(colour for upper, colour, _ in INDEX_CLASSES if value < upper)


def legend(x: float, y: float) -> str:
    """The map legend as SVG elements, one swatch per class plus 'no index'."""
    parts = [f'<text x="{x}" y="{y}" class="lg-title">Kwetsbaarheidsindex</text>']
    entries = [(colour, label) for _, colour, label in INDEX_CLASSES] + [(NO_DATA_COLOUR, "geen index")]
    for i, (colour, label) in enumerate(entries):
        yy = y + 10 + i * 18
        parts.append(f'<rect x="{x}" y="{yy}" width="14" height="14" fill="{colour}" stroke="#777" stroke-width=".5"/>')
        parts.append(f'<text x="{x + 20}" y="{yy + 11}" class="lg">{escape(label)}</text>')
    yy = y + 10 + len(entries) * 18
    parts.append(f'<rect x="{x}" y="{yy}" width="14" height="14" fill="#fff" stroke="#000" stroke-width="2.5"/>')
    parts.append(f'<text x="{x + 20}" y="{yy + 11}" class="lg">aandacht</text>')
    return "".join(parts)


@dataclass(frozen=True)
class Area:
    """One wijk on the map: its code, a tooltip, the index value, a link and whether it needs attention."""

    code: str
    title: str
    value: float | None
    href: str
    aandacht: bool = False


def _rings(geometry: dict) -> Iterable[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        yield from geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def choropleth(areas: Sequence[Area], geometries: dict[str, dict], *, width: int = 760) -> str:
    """A map of the areas that have a geometry, coloured by index, each a link to its page.

    Equirectangular projection with the longitude scaled by cos(mid latitude): good enough for a region of
    50 km, and it needs no projection library.
    """
    drawn = [a for a in areas if a.code in geometries]
    points = [pt for a in drawn for ring in _rings(geometries[a.code]) for pt in ring]
    lon0, lon1 = min(p[0] for p in points), max(p[0] for p in points)
    lat0, lat1 = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    map_w = width - 190
    scale = map_w / ((lon1 - lon0) * kx)
    height = max(int((lat1 - lat0) * scale) + 20, 260)

    def project(pt: list[float]) -> str:
        return f"{(pt[0] - lon0) * kx * scale + 10:.1f},{(lat1 - pt[1]) * scale + 10:.1f}"

    shapes = []
    outlines = []
    for a in sorted(drawn, key=lambda a: a.aandacht):
        d = " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in _rings(geometries[a.code]))
        shapes.append(
            f'<a href="{escape(a.href)}" class="area" data-wijk="{escape(a.code)}">'
            f'<path d="{d}" fill="{index_colour(a.value)}" fill-rule="evenodd">'
            f"<title>{escape(a.title)}</title></path></a>"
        )
        if a.aandacht:
            outlines.append(f'<path d="{d}" fill="none" stroke="#000" stroke-width="2" pointer-events="none"/>')
    return (
        f'<svg class="map" viewBox="0 0 {width} {height + 20}" role="img" '
        f'aria-label="Kaart van de wijken, gekleurd naar kwetsbaarheidsindex">'
        f'<g class="areas">{"".join(shapes)}</g><g>{"".join(outlines)}</g>'
        f"{legend(map_w + 30, 20)}</svg>"
    )


def tile_grid(
    groups: Sequence[tuple[str, Sequence[Area]]], *, columns: int = 20, size: int = 26, with_legend: bool = True
) -> str:
    """Schematic fallback: one square per area, one row block per group (gemeente). Not a map."""
    parts = []
    y = 10
    label_w = 170
    for name, areas in groups:
        parts.append(f'<text x="0" y="{y + size * 0.65:.0f}" class="lg">{escape(name)}</text>')
        for i, a in enumerate(areas):
            x = label_w + (i % columns) * (size + 3)
            yy = y + (i // columns) * (size + 3)
            stroke = 'stroke="#000" stroke-width="2.5"' if a.aandacht else 'stroke="#fff"'
            parts.append(
                f'<a href="{escape(a.href)}" class="area" data-wijk="{escape(a.code)}">'
                f'<rect x="{x}" y="{yy}" width="{size}" height="{size}" fill="{index_colour(a.value)}" {stroke}>'
                f"<title>{escape(a.title)}</title></rect></a>"
            )
        y += (max(len(areas) - 1, 0) // columns + 1) * (size + 3) + 8
    width = label_w + columns * (size + 3) + 180
    height = max(y, 200) if with_legend else y
    key = legend(label_w + columns * (size + 3) + 20, 20) if with_legend else ""
    return (
        f'<svg class="map tiles" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Schematische weergave van de wijken per gemeente (geen kaart)">{"".join(parts)}{key}</svg>'
    )


def diverging_bars(rows: Sequence[tuple[str, float | None, str]], *, limit: float = 3.0, width: int = 520) -> str:
    """Horizontal bars around zero (domain scores); ``rows`` are (label, value, text when missing)."""
    label_w, value_w, row_h = 150, 60, 26
    plot_w = width - label_w - value_w
    mid = label_w + plot_w / 2
    height = row_h * len(rows) + 30
    parts = [
        f'<line x1="{mid}" y1="4" x2="{mid}" y2="{height - 22}" stroke="#555"/>',
        f'<text x="{label_w}" y="{height - 6}" class="ax">gunstiger dan de regio</text>',
        f'<text x="{label_w + plot_w}" y="{height - 6}" class="ax" text-anchor="end">ongunstiger</text>',
    ]
    for i, (label, value, missing) in enumerate(rows):
        y = 6 + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="lb">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{mid + 6}" y="{y + 15}" class="ax">{escape(missing)}</text>')
            continue
        v = max(-limit, min(limit, value))
        x0, x1 = sorted((mid, mid + v / limit * plot_w / 2))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 8}" '
            f'fill="{index_colour(value)}" stroke="#555" stroke-width=".5"><title>{escape(label)}: '
            f"{fmt(value, 2, sign=True)}</title></rect>"
        )
        parts.append(f'<text x="{label_w + plot_w + 8}" y="{y + 15}" class="lb">{fmt(value, 2, sign=True)}</text>')
    return (
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="Domeinscores">{"".join(parts)}</svg>'
    )


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: Sequence[float | None]
    dashed: bool = False


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *, width: int = 300) -> str:
    """A small trend chart: one line per series over the periods; gaps where a value is missing.
    ``title`` labels the SVG for screen readers; the visible caption is HTML around it (it can wrap)."""
    height, left, right, top, bottom = 130, 56, 34, 8, 26
    values = [v for s in series for v in s.values if v is not None]
    if not values or not x_labels:
        return ""
    lo, hi = min(values), max(values)
    if math.isclose(lo, hi):
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.1
    lo, hi = lo - pad, hi + pad
    decimals = 2 if hi - lo < 2 else 1 if hi - lo < 50 else 0
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def y(v: float) -> float:
        return top + plot_h - (v - lo) / (hi - lo) * plot_h

    parts = []
    for tick in (lo + pad, (lo + hi) / 2, hi - pad):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end" class="ax">{fmt(tick, decimals)}</text>'
        )
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 14}" text-anchor="middle" class="ax">')
        parts.append(f"{escape(_short_period(label))}</text>")
    for s in series:
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for i, v in enumerate(s.values):
            if v is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{s.colour}">'
                f"<title>{escape(s.label)} {escape(x_labels[i])}: {fmt(v)}</title></circle>"
            )
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{s.colour}" stroke-width="1.8"{dash}/>'
                )
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"{''.join(parts)}</svg>"
    )


def _short_period(label: str) -> str:
    """'2024-07/2025-06' -> '07/24–06/25' so rolling periods fit under a small chart."""
    if "/" in label and len(label) == 15:
        start, end = label.split("/")
        return f"{start[5:]}/{start[2:4]}–{end[5:]}/{end[2:4]}"
    return label
