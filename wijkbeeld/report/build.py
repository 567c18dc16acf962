"""Build the wijkprofiel report from the current published release.

The pages are written into a temporary folder next to ``reports/wijkprofiel`` and swapped into place when
complete, so a reader never sees a half-written report and a failed build leaves the previous one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from wijkbeeld.publish import current_release
from wijkbeeld.report.data import PeriodKey, ReportData, load_release
from wijkbeeld.report.render import Context, Labels, overview, wijk_filename, wijk_page
from wijkbeeld.settings import REFERENCE_DIR, Settings
from wijkbeeld.warehouse import Warehouse

REPORT_DIR_NAME = "wijkprofiel"
LABELS_FILE = Path(__file__).resolve().parent / "labels.yaml"
GEOJSON_FILE = REFERENCE_DIR / "wijken.geojson"


class ReportError(Exception):
    """The report cannot be built; the message says why."""


@dataclass(frozen=True)
class ReportResult:
    path: Path  # the overview page
    release_id: str
    periode: PeriodKey
    wijk_pages: int
    on_map: int


def wijkprofiel_dir(s: Settings) -> Path:
    """Where the wijkprofiel report lives: ``reports/wijkprofiel`` in the data home."""
    return s.reports / REPORT_DIR_NAME


def build_report(s: Settings, warehouse: Warehouse, *, geojson: Path | None = GEOJSON_FILE) -> ReportResult:
    """Write ``reports/wijkprofiel/index.html`` and ``wijk/<code>.html`` from the current release."""
    release = current_release(s)
    if release is None:
        raise ReportError("No published release yet: run `wijkbeeld refresh` first")
    data = load_release(warehouse, release.duckdb_path, release.release_id, release.published_at)
    return write_pages(data, wijkprofiel_dir(s), geometries=load_geometries(geojson))


def write_pages(data: ReportData, target: Path, *, geometries: dict[str, dict]) -> ReportResult:
    """The pages of ``data`` into ``target``, swapped into place when complete."""
    periode = data.actuele_periode()
    if periode is None or not data.wijken:
        raise ReportError(f"Release {data.release_id} has no wijken or periods to report on")
    labels = Labels(yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")))
    ctx = Context(data, labels, periode)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.old-*"):  # left by a build that was killed mid-swap
        shutil.rmtree(stale, ignore_errors=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "wijk").mkdir(parents=True)
    try:
        (tmp / "index.html").write_text(overview(ctx, geometries), encoding="utf-8")
        for wijk in data.wijken:
            (tmp / "wijk" / wijk_filename(wijk.code)).write_text(wijk_page(ctx, wijk), encoding="utf-8")
        meta = {
            "release_id": data.release_id,
            "periode": periode[0],
            "periode_type": periode[1],
            "wijken": len(data.wijken),
        }
        (tmp / "rapport.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    on_map = sum(1 for w in data.wijken if w.code in geometries)
    return ReportResult(target / "index.html", data.release_id, periode, len(data.wijken), on_map)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp``: two renames, so the old report is complete until the new one is."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def load_geometries(path: Path | None) -> dict[str, dict]:
    """Wijk polygons by wijkcode from the reference GeoJSON; empty when there is none (schematic fallback)."""
    if path is None or not Path(path).is_file():
        return {}
    return _geometries(str(path), Path(path).stat().st_mtime_ns)


@cache
def _geometries(path: str, _mtime: int) -> dict[str, dict]:
    features = json.loads(Path(path).read_text(encoding="utf-8")).get("features", [])
    return {
        f["properties"]["wijkcode"]: f["geometry"]
        for f in features
        if f.get("geometry") and f.get("properties", {}).get("wijkcode")
    }
