"""The geometry of the report's inline SVG charts: a choropleth map (or a schematic tile grid), diverging bars
and small line charts, worked out at build time. These functions only compute (coordinates as text, colours,
Dutch numbers); templates/charts.svg.j2 draws them, escaping every text. No JavaScript, no external resources.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Legend:
    """The map legend: one swatch per index class plus 'no index', then the 'aandacht' outline."""

    x: float
    y: float
    entries: list[tuple[str, str, float]]  # colour, label, y of the swatch
    aandacht_y: float


def legend(x: float, y: float) -> Legend:
    entries = [(colour, label) for _, colour, label in INDEX_CLASSES] + [(NO_DATA_COLOUR, "geen index")]
    rows = [(colour, label, y + 10 + i * 18) for i, (colour, label) in enumerate(entries)]
    return Legend(x, y, rows, y + 10 + len(entries) * 18)


@dataclass(frozen=True)
class Area:
    """One wijk on the map: its code, a tooltip, the index value, a link and whether it needs attention."""

    code: str
    title: str
    value: float | None
    href: str
    aandacht: bool = False

    @property
    def colour(self) -> str:
        return index_colour(self.value)


def _rings(geometry: dict) -> Iterable[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        yield from geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


@dataclass(frozen=True)
class Map:
    """A choropleth: the areas with their path (``d``), the outlines of the areas with aandacht, the legend."""

    width: int
    height: int
    shapes: list[tuple[Area, str]]
    outlines: list[str]
    legend: Legend


def choropleth(areas: Sequence[Area], geometries: dict[str, dict], *, width: int = 760) -> Map:
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
    for a in sorted(drawn, key=lambda a: a.aandacht):
        d = " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in _rings(geometries[a.code]))
        shapes.append((a, d))
    outlines = [d for a, d in shapes if a.aandacht]
    return Map(width, height + 20, shapes, outlines, legend(map_w + 30, 20))


@dataclass(frozen=True)
class Tile:
    area: Area
    x: int
    y: int


@dataclass(frozen=True)
class Tiles:
    """Schematic fallback: one square per area, one row block per group (gemeente). Not a map."""

    width: int
    height: int
    size: int
    groups: list[tuple[str, str, list[Tile]]]  # gemeente, y of its label, its tiles
    legend: Legend | None


def tile_grid(
    groups: Sequence[tuple[str, Sequence[Area]]], *, columns: int = 20, size: int = 26, with_legend: bool = True
) -> Tiles:
    blocks = []
    y = 10
    label_w = 170
    for name, areas in groups:
        tiles = [
            Tile(a, label_w + (i % columns) * (size + 3), y + (i // columns) * (size + 3)) for i, a in enumerate(areas)
        ]
        blocks.append((name, f"{y + size * 0.65:.0f}", tiles))
        y += (max(len(areas) - 1, 0) // columns + 1) * (size + 3) + 8
    width = label_w + columns * (size + 3) + 180
    height = max(y, 200) if with_legend else y
    key = legend(label_w + columns * (size + 3) + 20, 20) if with_legend else None
    return Tiles(width, height, size, blocks, key)


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    value: str | None  # the score as text; None when missing
    missing: str
    x0: str = ""
    width: str = ""
    colour: str = ""


@dataclass(frozen=True)
class Bars:
    """Horizontal bars around zero (domain scores)."""

    width: int
    height: int
    label_w: int
    plot_w: int
    mid: float
    row_h: int
    rows: list[Bar]


def diverging_bars(rows: Sequence[tuple[str, float | None, str]], *, limit: float = 3.0, width: int = 520) -> Bars:
    """``rows`` are (label, value, text when missing)."""
    label_w, value_w, row_h = 150, 60, 26
    plot_w = width - label_w - value_w
    mid = label_w + plot_w / 2
    bars = []
    for i, (label, value, missing) in enumerate(rows):
        y = 6 + i * row_h
        if value is None:
            bars.append(Bar(label, y, None, missing))
            continue
        v = max(-limit, min(limit, value))
        x0, x1 = sorted((mid, mid + v / limit * plot_w / 2))
        text = fmt(value, 2, sign=True)
        bars.append(Bar(label, y, text, missing, f"{x0:.1f}", f"{max(x1 - x0, 1):.1f}", index_colour(value)))
    return Bars(width, row_h * len(rows) + 30, label_w, plot_w, mid, row_h, bars)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: Sequence[float | None]
    dashed: bool = False


@dataclass(frozen=True)
class Line:
    """A small trend chart: grid lines with their value, period labels, points and the lines between them."""

    title: str
    width: int
    height: int
    left: int
    right: int
    grid: list[tuple[str, str, str]] = field(default_factory=list)  # y, y of the text, the value
    ticks: list[tuple[str, str]] = field(default_factory=list)  # x, period label
    tick_y: int = 0
    series: list[SeriesView] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesView:
    colour: str
    dashed: bool
    points: list[tuple[str, str, str]]  # cx, cy, title
    lines: list[str]  # the points of each unbroken stretch


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *, width: int = 300) -> Line | None:
    """One line per series over the periods; gaps where a value is missing. None without any value.
    ``title`` labels the SVG for screen readers; the visible caption is HTML around it (it can wrap)."""
    height, left, right, top, bottom = 130, 56, 34, 8, 26
    values = [v for s in series for v in s.values if v is not None]
    if not values or not x_labels:
        return None
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

    chart = Line(title, width, height, left, right, tick_y=height - bottom + 14)
    for tick in (lo + pad, (lo + hi) / 2, hi - pad):
        chart.grid.append((f"{y(tick):.1f}", f"{y(tick) + 4:.1f}", fmt(tick, decimals)))
    chart.ticks.extend((f"{x(i):.1f}", _short_period(label)) for i, label in enumerate(x_labels))
    for s in series:
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        points = []
        for i, v in enumerate(s.values):
            if v is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            points.append((f"{x(i):.1f}", f"{y(v):.1f}", f"{s.label} {x_labels[i]}: {fmt(v)}"))
        chart.series.append(SeriesView(s.colour, s.dashed, points, [" ".join(seg) for seg in segments if len(seg) > 1]))
    return chart


def _short_period(label: str) -> str:
    """'2024-07/2025-06' -> '07/24–06/25' so rolling periods fit under a small chart."""
    if "/" in label and len(label) == 15:
        start, end = label.split("/")
        return f"{start[5:]}/{start[2:4]}–{end[5:]}/{end[2:4]}"
    return label
