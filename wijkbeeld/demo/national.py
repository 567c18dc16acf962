"""National demo scale: every Dutch gemeente, five years, realistic volumes (``wijkbeeld demo --scale national``).

The real VR20 region (24 gemeenten, 241 wijken, with its planted stories) is kept as it is in the region
demo; around it the generator invents the rest of the country: 318 synthetic gemeenten with synthetic
codes and names, about 3,060 wijken, buurten and addresses, so that the country has about 342 gemeenten,
3,300 wijken, 14,000 buurten and 8 million addresses, as the real one has. The synthetic gemeenten take
codes that no VR20 gemeente uses (and never GM0363, the "outside the region" row of the CBS file).

Everything goes through the region generator's partner modules and writers (:mod:`wijkbeeld.demo`), so the files are
in exactly the partner contracts. Generation is numpy-vectorised and deterministic for a seed; the
incident-level meldingen are generated in chunks of gemeenten to keep memory bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from wijkbeeld.demo.brandweer import brandweer_files
from wijkbeeld.demo.cbs import adressen_csv, kerncijfers_csv, kwb_years
from wijkbeeld.demo.corporatie import CORPORATIES, corporatie_files
from wijkbeeld.demo.gemeente import HANDHAVING_GEMEENTEN, handhaving_files, meldingen_frame, veiligheidsmonitor_files
from wijkbeeld.demo.geography import (
    GEOGRAPHY_YEAR,
    PC4_RANGES,
    UNKNOWN_PC4,
    Geography,
    add_profile,
    build_geography,
    make_adressen,
    make_buurten,
    wijk_centres_rd,
)
from wijkbeeld.demo.ggd import ggd_files
from wijkbeeld.demo.politie import politie_files
from wijkbeeld.demo.writers import DemoSummary, Writer, apportion, csv_bytes, seeded_rng

NATIONAL_GEMEENTEN = 342
NATIONAL_WIJKEN = 3_300
NATIONAL_INWONERS = 17_950_000
INWONERS_PER_BUURT = 1_350  # makes about 14,000 buurten, as CBS has
# A synthetic gemeente's size: lognormal around this median, clipped to the real extremes.
GEMEENTE_MEDIAN, GEMEENTE_SIGMA, GEMEENTE_MIN, GEMEENTE_MAX = 30_000, 0.75, 1_000, 900_000
STEDEN, MIDDELGROTE = 12, 45  # the largest synthetic gemeenten of class stad and middel
HANDHAVING_SHARE = 0.4  # share of synthetic gemeenten whose BOAs deliver registrations
GEMEENTEN_PER_CORPORATIE = 9
MELDINGEN_CHUNK_INWONERS = 1_500_000  # meldingen are generated per chunk of gemeenten of about this size
_RD_BOX = ((20_000.0, 270_000.0), (310_000.0, 600_000.0))  # x, y extent of the Netherlands in RD metres
_OUTSIDE_REGION_CODE = "GM0363"  # the CBS file's example row of a gemeente outside the region


def generate_national(landing: Path, *, seed: int, months: pd.PeriodIndex) -> DemoSummary:
    """Write all ten partner datasets for the whole country into ``landing`` (existing files are kept)."""
    geo, extra = build_national_geography(seed)
    summary = DemoSummary()
    writer = Writer(landing, summary)
    for year in kwb_years(months):
        writer.write("cbs", "kerncijfers", f"kwb-{year}.csv", *kerncijfers_csv(geo, year, seed))
    writer.write("cbs", "adressen", f"pc6hnr-{GEOGRAPHY_YEAR}.csv", *adressen_csv(geo, seed))
    for dataset, name, data, rows in politie_files(geo, months, seed):
        writer.write("politie", dataset, name, data, rows)
    for name, data, rows in _meldingen_files(geo, months, seed):
        writer.write("gemeente", "meldingen", name, data, rows)
    for name, data, rows in brandweer_files(geo, months, seed):
        writer.write("brandweer", "incidenten", name, data, rows)
    for name, data, rows in ggd_files(geo, months, seed):
        writer.write("ggd", "gezondheidsmonitor", name, data, rows)
    for name, data, rows in handhaving_files(geo, months, seed, extra.handhaving_gemeenten):
        writer.write("gemeente", "handhaving", name, data, rows)
    for name, data, rows in veiligheidsmonitor_files(geo, months, seed):
        writer.write("gemeente", "veiligheidsmonitor", name, data, rows)
    for name, data, rows in corporatie_files(geo, months, seed, extra.corporaties):
        writer.write("corporatie", "signalen", name, data, rows)
    return summary


class NationalExtras:
    """Who delivers what outside the region: BOA registrations and the corporations' working areas."""

    def __init__(self, handhaving_gemeenten: tuple[str, ...], corporaties: dict[str, tuple[str, ...]]) -> None:
        self.handhaving_gemeenten = handhaving_gemeenten
        self.corporaties = corporaties


def build_national_geography(seed: int) -> tuple[Geography, NationalExtras]:
    """The region's geography plus synthetic gemeenten, wijken, buurten and addresses for the rest."""
    region = build_geography(seed)
    rng = seeded_rng(seed, "geografie-nationaal")
    gemeenten = _synthetic_gemeenten(region, rng)
    wijken = _synthetic_wijken(gemeenten, rng)
    add_profile(wijken, rng)
    buurten = make_buurten(wijken, rng, per_buurt=INWONERS_PER_BUURT)
    ranges = _pc4_ranges(buurten.groupby("gemeentecode", sort=True).a_woning.sum(), region)
    adressen = make_adressen(buurten, rng, pc4_ranges=ranges)

    region_wijken = region.wijken.copy()
    region_wijken["x_rd"], region_wijken["y_rd"] = wijk_centres_rd(region_wijken.wijkcode)
    geo = Geography(
        gemeenten=pd.concat([region.gemeenten, gemeenten[["gemeentecode", "gemeentenaam"]]], ignore_index=True),
        wijken=pd.concat([region_wijken, wijken[region_wijken.columns]], ignore_index=True),
        buurten=pd.concat([region.buurten, buurten[region.buurten.columns]], ignore_index=True),
        adressen=pd.concat([region.adressen, adressen], ignore_index=True),
    )
    codes = gemeenten.gemeentecode.to_numpy()
    handhaving = codes[rng.random(len(codes)) < HANDHAVING_SHARE]
    corporaties = {
        f"woonstichting-demo-{i // GEMEENTEN_PER_CORPORATIE + 1:02d}": tuple(codes[i : i + GEMEENTEN_PER_CORPORATIE])
        for i in range(0, len(codes), GEMEENTEN_PER_CORPORATIE)
    }
    extras = NationalExtras(
        handhaving_gemeenten=(*HANDHAVING_GEMEENTEN, *handhaving),
        corporaties={**CORPORATIES, **corporaties},
    )
    return geo, extras


def _synthetic_gemeenten(region: Geography, rng: np.random.Generator) -> pd.DataFrame:
    """Codes, names, inhabitants, class and a centre for the gemeenten outside the region."""
    n = NATIONAL_GEMEENTEN - len(region.gemeenten)
    taken = set(region.gemeenten.gemeentecode) | {_OUTSIDE_REGION_CODE}
    free = [f"GM{k:04d}" for k in range(1, 2000) if f"GM{k:04d}" not in taken]
    codes = np.array(free)[np.linspace(0, len(free) - 1, n).round().astype(int)]
    size = np.clip(rng.lognormal(np.log(GEMEENTE_MEDIAN), GEMEENTE_SIGMA, n), GEMEENTE_MIN, GEMEENTE_MAX)
    total = NATIONAL_INWONERS - int(region.wijken.inwoners.sum())
    inwoners = apportion(total, size)
    order = np.argsort(-inwoners, kind="stable")
    klasse = np.full(n, "dorp", dtype=object)
    klasse[order[:STEDEN]] = "stad"
    klasse[order[STEDEN : STEDEN + MIDDELGROTE]] = "middel"
    (x_lo, x_hi), (y_lo, y_hi) = _RD_BOX
    return pd.DataFrame(
        {
            "gemeentecode": codes,
            "gemeentenaam": [f"Demogemeente {c[2:]}" for c in codes],
            "inwoners": inwoners,
            "klasse": klasse,
            "x_rd": rng.uniform(x_lo, x_hi, n),
            "y_rd": rng.uniform(y_lo, y_hi, n),
        }
    )


def _synthetic_wijken(gemeenten: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Wijken in proportion to inhabitants (at most 99 per gemeente): a centre, some industrial estates
    and rural areas with the region's small populations, the rest sharing what is left."""
    target = NATIONAL_WIJKEN - 241
    count = np.clip(apportion(target, gemeenten.inwoners.to_numpy().astype(float)), 1, 99)
    gm_idx = np.repeat(np.arange(len(gemeenten)), count)
    nr = np.arange(gm_idx.size) - np.repeat(np.cumsum(count) - count, count)
    n = gm_idx.size
    draw = rng.random(n)
    kind = np.where(draw < 0.07, "bedrijf", np.where(draw < 0.17, "landelijk", "woon")).astype(object)
    kind[nr == 0] = "centrum"
    kind[np.repeat(count, count) == 1] = "woon"
    inwoners = np.zeros(n, dtype=np.int64)
    small, rural = kind == "bedrijf", kind == "landelijk"
    inwoners[small] = rng.integers(100, 441, small.sum())
    inwoners[rural] = rng.integers(600, 2_501, rural.sum())
    weights = rng.lognormal(0.0, 0.45, n) * np.where(nr == 0, 1.5, 1.0)
    starts = np.cumsum(count) - count
    for g, (first, size) in enumerate(zip(starts, count, strict=True)):
        idx = np.arange(first, first + size)
        free = idx[(kind[idx] == "woon") | (kind[idx] == "centrum")]
        rest = int(gemeenten.inwoners.iloc[g]) - int(inwoners[idx].sum())
        if rest < 500 * len(free):  # too small for fixed-size areas: everything is ordinary housing
            kind[idx[1:]] = "woon"
            inwoners[idx] = 0
            free, rest = idx, int(gemeenten.inwoners.iloc[g])
        inwoners[free] = apportion(rest, weights[free])
    g = gemeenten.iloc[gm_idx].reset_index(drop=True)
    codes = np.char.add(
        np.char.add("WK", g.gemeentecode.str[2:].to_numpy().astype(str)), np.char.zfill(nr.astype(str), 2)
    )
    return pd.DataFrame(
        {
            "wijkcode": codes,
            "wijknaam": [f"Wijk {k:02d} {name} {k + 1}" for k, name in zip(nr, g.gemeentenaam, strict=True)],
            "gemeentecode": g.gemeentecode.to_numpy(),
            "type": kind,
            "klasse": g.klasse.to_numpy(),
            "inwoners": inwoners,
            "x_rd": g.x_rd.to_numpy() + rng.normal(0.0, 2_500.0, n),
            "y_rd": g.y_rd.to_numpy() + rng.normal(0.0, 2_500.0, n),
        }
    )


def _pc4_ranges(dwellings: pd.Series, region: Geography) -> dict[str, tuple[int, int]]:
    """Disjoint PC4 blocks per synthetic gemeente, outside the region's ranges and the 'unknown' PC4.

    A PC6 holds 10-30 addresses (about 20); a PC4 takes at most about 200 PC6 here.
    """
    used = {pc4 for low, high in PC4_RANGES.values() for pc4 in range(low, high + 1)} | {UNKNOWN_PC4}
    ranges: dict[str, tuple[int, int]] = {}
    pc4 = 1000
    for gm, n_dwellings in dwellings.items():
        need = max(1, int(np.ceil(n_dwellings / 20 / 200)))
        while any(p in used for p in range(pc4, pc4 + need)):
            pc4 += 1
        if pc4 + need - 1 > 9999:
            raise ValueError("not enough PC4 codes for the national demo geography")
        ranges[str(gm)] = (pc4, pc4 + need - 1)
        pc4 += need
    return ranges


def _meldingen_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """MOR meldingen per gemeente and month, generated per chunk of gemeenten to bound memory.

    Each chunk has its own random stream, so the region's meldingen differ from the region demo's bytes
    (the planted Dommelbergen effect is the same).
    """
    sizes = geo.wijken.groupby("gemeentecode", sort=True).inwoners.sum()
    chunk = (sizes.cumsum() // MELDINGEN_CHUNK_INWONERS).to_numpy()
    for k in np.unique(chunk):
        members = set(sizes.index[chunk == k])
        part = Geography(
            gemeenten=geo.gemeenten[geo.gemeenten.gemeentecode.isin(members)],
            wijken=geo.wijken[geo.wijken.gemeentecode.isin(members)].reset_index(drop=True),
            buurten=geo.buurten[geo.buurten.gemeentecode.isin(members)].reset_index(drop=True),
            adressen=geo.adressen[geo.adressen.gemeentecode.isin(members)].reset_index(drop=True),
        )
        frame = meldingen_frame(part, months, seeded_rng(seed, f"meldingen-{k}"))
        key = (frame.pop("gemeentecode") + "-" + frame.pop("periode")).to_numpy()
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # sorted by gemeente and time
        for begin, stop in zip(starts, [*starts[1:], len(frame)], strict=True):
            rows = frame.iloc[begin:stop]
            yield f"meldingen-{key[begin]}.csv", csv_bytes(rows, encoding="cp1252"), len(rows)


__all__ = ["build_national_geography", "generate_national"]
