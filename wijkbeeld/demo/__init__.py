"""Deterministic demo partner extracts for the VR20 region (see docs/demo-data.md).

The demo must exercise every contract quirk the real partners produce (trailing spaces, missing
prefixes, CP1252, withheld counts, revisions, tiny areas) and carry planted stories that the index and
the signals have to find. Everything is drawn from numpy Generators seeded per dataset, never from the
clock, so one seed always gives byte-identical files, and existing files are never overwritten.

One module per partner (cbs, politie, gemeente, brandweer, ggd, corporatie) writes that partner's datasets from
the shared :mod:`.geography`, with the writers of :mod:`.writers`; :mod:`.national` adds the rest of the country.
"""

from __future__ import annotations

from pathlib import Path

from wijkbeeld.demo.brandweer import brandweer_files
from wijkbeeld.demo.cbs import adressen_csv, kerncijfers_csv, kwb_years
from wijkbeeld.demo.corporatie import corporatie_files
from wijkbeeld.demo.gemeente import PII_MARKER, handhaving_files, meldingen_files, veiligheidsmonitor_files
from wijkbeeld.demo.geography import DOMMELBERGEN, GEOGRAPHY_YEAR, RISING_CRIME, Geography, build_geography
from wijkbeeld.demo.ggd import ggd_files
from wijkbeeld.demo.national import generate_national
from wijkbeeld.demo.politie import politie_files
from wijkbeeld.demo.writers import DemoSummary, Writer, month_range

SCALES = ("region", "national")
# Default period per scale: the region four years, national five (wijkbeeld/demo/national.py).
DEFAULT_PERIOD = {"region": ("2022-01", "2025-12"), "national": ("2021-01", "2025-12")}


def generate(
    landing: Path, *, seed: int = 2024, start: str | None = None, end: str | None = None, scale: str = "region"
) -> DemoSummary:
    """Write the demo partner extracts into ``landing/<partner>/<dataset>/`` (existing files are kept)."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r} is not supported; choose one of: {', '.join(SCALES)}")
    months = month_range(start or DEFAULT_PERIOD[scale][0], end or DEFAULT_PERIOD[scale][1])
    if scale == "national":
        return generate_national(Path(landing), seed=seed, months=months)
    geo = build_geography(seed)
    summary = DemoSummary()
    writer = Writer(Path(landing), summary)
    for year in kwb_years(months):
        writer.write("cbs", "kerncijfers", f"kwb-{year}.csv", *kerncijfers_csv(geo, year, seed))
    writer.write("cbs", "adressen", f"pc6hnr-{GEOGRAPHY_YEAR}.csv", *adressen_csv(geo, seed))
    for dataset, name, data, rows in politie_files(geo, months, seed):
        writer.write("politie", dataset, name, data, rows)
    for name, data, rows in meldingen_files(geo, months, seed):
        writer.write("gemeente", "meldingen", name, data, rows)
    for name, data, rows in brandweer_files(geo, months, seed):
        writer.write("brandweer", "incidenten", name, data, rows)
    for name, data, rows in ggd_files(geo, months, seed):
        writer.write("ggd", "gezondheidsmonitor", name, data, rows)
    for name, data, rows in handhaving_files(geo, months, seed):
        writer.write("gemeente", "handhaving", name, data, rows)
    for name, data, rows in veiligheidsmonitor_files(geo, months, seed):
        writer.write("gemeente", "veiligheidsmonitor", name, data, rows)
    for name, data, rows in corporatie_files(geo, months, seed):
        writer.write("corporatie", "signalen", name, data, rows)
    return summary


__all__ = ["DOMMELBERGEN", "PII_MARKER", "RISING_CRIME", "SCALES", "DemoSummary", "Geography", "generate"]
