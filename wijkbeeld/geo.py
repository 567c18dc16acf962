"""Area shapes for maps: wijk polygons from the reference geography, gemeenten and the region as their union.

The wijk polygons (``reference/wijken.geojson``) are CBS's generalised map (3 decimals, about 100 m, at most 34
points per ring), so they are already simplified to a size BI tools draw quickly. Neighbouring wijken share their
border vertices exactly, which makes a union simple and exact without a geometry library: put every ring's
edges together, drop each edge that also occurs in the opposite direction (a border between two wijken of the
same area) and chain the edges that remain into rings. Outer rings run counter-clockwise and holes clockwise
(RFC 7946), which also tells outer rings from holes after the union.

The same shapes are written as WKT (``dim_gebied.geometrie_wkt``), GeoJSON and TopoJSON; all coordinates are
WGS84 longitude/latitude.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path

from wijkbeeld.settings import REFERENCE_DIR

WIJKEN_GEOJSON = REFERENCE_DIR / "wijken.geojson"
MIN_HOLE_AREA = 1e-7  # square degrees (about 700 m2): smaller rings left by a union are slivers, not holes

Point = tuple[float, float]
Ring = list[Point]  # closed: the first point is repeated at the end
Polygon = list[Ring]  # outer ring first, then its holes
Shape = list[Polygon]  # one or more polygons (a MultiPolygon when more)


def load_wijken(path: Path = WIJKEN_GEOJSON) -> dict[str, tuple[str, Shape]]:
    """``{wijkcode: (gemeentecode, shape)}`` from a GeoJSON file with properties wijkcode and gemeentecode."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    wijken = {}
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        shape = [[_oriented([(float(x), float(y)) for x, y in ring], hole=i > 0) for i, ring in enumerate(p)]
                 for p in polygons]  # fmt: skip
        wijken[props["wijkcode"]] = (props["gemeentecode"], shape)
    return wijken


def union(shapes: Iterable[Shape]) -> Shape:
    """The union of shapes that meet along shared vertices (see the module docstring)."""
    edges: Counter[tuple[Point, Point]] = Counter()
    for shape in shapes:
        for polygon in shape:
            for ring in polygon:
                for a, b in pairwise(ring):
                    if a != b:
                        edges[(a, b)] += 1
    remaining: dict[Point, list[Point]] = defaultdict(list)
    for (a, b), n in sorted(edges.items()):
        for _ in range(n - edges.get((b, a), 0)):
            remaining[a].append(b)
    rings = []
    while remaining:
        start = next(iter(remaining))
        ring, point = [start], start
        while True:
            following = remaining[point]
            nxt = following.pop()
            if not following:
                del remaining[point]
            ring.append(nxt)
            point = nxt
            if point == start:
                break
        rings.append(ring)
    outers = [r for r in rings if _area(r) > 0]
    holes = [r for r in rings if _area(r) < -MIN_HOLE_AREA]  # a degenerate sliver is no hole
    polygons: list[Polygon] = [[outer] for outer in sorted(outers, key=_area, reverse=True)]
    for hole in holes:
        for polygon in sorted(polygons, key=lambda p: _area(p[0])):  # the smallest outer ring around it
            if any(_inside(point, polygon[0]) for point in hole):
                polygon.append(hole)
                break
    return polygons


def area_shapes(
    gebieden: Iterable[tuple[str, str, str | None]], wijken: Mapping[str, tuple[str, Shape]] | None = None
) -> dict[str, Shape]:
    """Shapes of ``(gebiedcode, niveau, gemeentecode)`` areas: a wijk's own, a gemeente's the union of its wijken,
    the region's the union of all wijken of its gemeenten. Areas without any known wijk shape are left out."""
    wijken = load_wijken() if wijken is None else wijken
    rows = list(gebieden)
    gemeenten = {code for code, niveau, _ in rows if niveau == "gemeente"}
    per_gemeente: dict[str, list[Shape]] = defaultdict(list)
    for gemeente, shape in wijken.values():
        per_gemeente[gemeente].append(shape)
    shapes = {}
    for code, niveau, _gemeente in rows:
        if niveau == "wijk" and code in wijken:
            shapes[code] = wijken[code][1]
        elif niveau == "gemeente" and per_gemeente.get(code):
            shapes[code] = union(per_gemeente[code])
        elif niveau == "regio":
            parts = [s for g in sorted(gemeenten) for s in per_gemeente.get(g, [])]
            if parts:
                shapes[code] = union(parts)
    return shapes


# --------------------------------------------------------------------------------------------- formats


def to_wkt(shape: Shape) -> str:
    def ring(r: Ring) -> str:
        return "(" + ", ".join(f"{_num(x)} {_num(y)}" for x, y in r) + ")"

    def polygon(p: Polygon) -> str:
        return "(" + ", ".join(ring(r) for r in p) + ")"

    if len(shape) == 1:
        return "POLYGON " + polygon(shape[0])
    return "MULTIPOLYGON (" + ", ".join(polygon(p) for p in shape) + ")"


_WKT_RING = re.compile(r"\(([-\d.eE+ ,]+)\)")


def from_wkt(text: str) -> Shape:
    """Parse the POLYGON / MULTIPOLYGON WKT that :func:`to_wkt` writes."""
    kind = text.split("(", 1)[0].strip().upper()
    if kind not in ("POLYGON", "MULTIPOLYGON"):
        raise ValueError(f"not a polygon WKT: {text[:40]!r}")
    body = text[text.index("(") :]
    polygons_text = [body[1:-1]] if kind == "POLYGON" else re.findall(r"\(\s*(\(.*?\))\s*\)", body[1:-1])
    shape = []
    for p in polygons_text:
        rings = [
            [(float(x), float(y)) for x, y in (pair.split() for pair in m.split(","))] for m in _WKT_RING.findall(p)
        ]
        shape.append(rings)
    return shape


def to_geojson_geometry(shape: Shape) -> dict:
    coords = [[[list(pt) for pt in ring] for ring in polygon] for polygon in shape]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def feature_collection(features: Iterable[tuple[Shape, dict]]) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946: WGS84 longitude/latitude) of ``(shape, properties)``."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": props.get("gebiedcode"), "properties": props, "geometry": to_geojson_geometry(s)}
            for s, props in features
        ],
    }


def topology(objects: Mapping[str, Iterable[tuple[Shape, dict]]]) -> dict:
    """A TopoJSON topology with one GeometryCollection per object name (e.g. ``wijken``), as Power BI's Shape Map
    reads it. Every ring is its own arc (no quantisation): valid TopoJSON, simple rather than smallest."""
    arcs: list[list[list[float]]] = []
    out: dict[str, dict] = {}
    for name, features in objects.items():
        geometries = []
        for shape, props in features:
            polygons = []
            for polygon in shape:
                rings = []
                for ring in polygon:
                    arcs.append([list(pt) for pt in ring])
                    rings.append([len(arcs) - 1])
                polygons.append(rings)
            kind, ref = ("Polygon", polygons[0]) if len(polygons) == 1 else ("MultiPolygon", polygons)
            geometries.append({"type": kind, "arcs": ref, "id": props.get("gebiedcode"), "properties": props})
        out[name] = {"type": "GeometryCollection", "geometries": geometries}
    return {"type": "Topology", "objects": out, "arcs": arcs}


# --------------------------------------------------------------------------------------------- helpers


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _area(ring: Ring) -> float:
    """Signed area (shoelace): positive for a counter-clockwise ring."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in pairwise(ring)) / 2


def _oriented(ring: Ring, *, hole: bool) -> Ring:
    if ring[0] != ring[-1]:
        ring = [*ring, ring[0]]
    clockwise = _area(ring) < 0
    return ring[::-1] if clockwise != hole else ring


def _inside(point: Point, ring: Ring) -> bool:
    """Ray casting; a point on the ring's boundary may count either way."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
