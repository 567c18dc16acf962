"""cbs / kerncijfers and cbs / adressen: the CBS key figures per area and year (StatLine shape, with the national
file's quirks) and the address table the meldingen are mapped with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import GEOGRAPHY_YEAR, Geography
from wijkbeeld.demo.writers import csv_bytes, decimal_comma, seeded_rng

KWB_COUNTS = ("a_inw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo", "a_hh", "a_1p_hh", "a_woning")
KWB_PERCENTS = ("p_koopw", "p_huurw", "p_wcorpw", "p_hh_li")
# A gemeente outside the region, as in the national CBS file: ingest must ignore these rows.
_OUTSIDE_REGION = (
    ("GM0363", "Amsterdam", "Gemeente", 931_298, 134_017, 118_402, 325_530, 213_129, 140_220, 530_611,
     295_120, 459_290, 28.9, 70.3, 37.6, 12.1),
    ("WK036300", "Burgwallen-Oude Zijde", "Wijk", 4_405, 281, 706, 1_880, 963, 575, 3_110, 2_295, 3_021,
     18.2, 81.1, 30.4, 16.9),
    ("BU03630000", "Kop Zeedijk", "Buurt", 1_110, 71, 180, 470, 241, 148, 790, 590, 801, 15.3, 84.0,
     33.1, 17.4),
)  # fmt: skip


def _buurt_year(geo: Geography, year: int, seed: int) -> pd.DataFrame:
    """Buurt kerncijfers of one year: 2024 levels with a slow per-wijk population drift."""
    rng = seeded_rng(seed, f"kerncijfers-{year}")
    b = geo.buurten.copy()
    growth = geo.wijken.set_index("wijkcode").groei
    factor = (1.0 + growth.loc[b.wijkcode].to_numpy()) ** (year - GEOGRAPHY_YEAR)
    for col in ("a_inw", "a_hh", "a_1p_hh", "a_woning"):
        b[col] = np.rint(b[col] * factor).astype(np.int64)
    shares = b[[f"leeftijd_{i}" for i in range(5)]].to_numpy()
    ages = rng.multinomial(b.a_inw.to_numpy(), shares)
    for i, col in enumerate(("a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo")):
        b[col] = ages[:, i]
    if year != GEOGRAPHY_YEAR:
        for col in KWB_PERCENTS:
            b[col] = np.clip(b[col] + rng.normal(0.0, 0.3, len(b)) * (GEOGRAPHY_YEAR - year), 0.0, 100.0)
        b["p_koopw"] = np.minimum(b.p_koopw, 100.0 - b.p_huurw)
    return b


def _aggregate(b: pd.DataFrame, key: str) -> pd.DataFrame:
    """Wijk or gemeente rows: counts summed, percentages weighted by dwellings or households."""
    weighted = b[list(KWB_COUNTS)].copy()
    for col in ("p_koopw", "p_huurw", "p_wcorpw"):
        weighted[col] = b[col] * b.a_woning
    weighted["p_hh_li"] = b.p_hh_li * b.a_hh
    weighted[key] = b[key]
    out = weighted.groupby(key, sort=True).sum()
    for col in ("p_koopw", "p_huurw", "p_wcorpw"):
        out[col] = out[col] / out.a_woning.clip(lower=1)
    out["p_hh_li"] = out.p_hh_li / out.a_hh.clip(lower=1)
    return out.reset_index().rename(columns={key: "code"})


def kerncijfers_csv(geo: Geography, year: int, seed: int) -> tuple[bytes, int]:
    b = _buurt_year(geo, year, seed)
    names = dict(zip(geo.gemeenten.gemeentecode, geo.gemeenten.gemeentenaam, strict=True))
    wijknaam = dict(zip(geo.wijken.wijkcode, geo.wijken.wijknaam, strict=True))
    gm = _aggregate(b, "gemeentecode").assign(regio=lambda f: f.code.map(names), recs="Gemeente")
    wk = _aggregate(b, "wijkcode").assign(regio=lambda f: f.code.map(wijknaam), recs="Wijk")
    bu = b.rename(columns={"buurtcode": "code", "buurtnaam": "regio"}).assign(recs="Buurt")
    rows = pd.concat([gm, wk, bu[["code", "regio", "recs", *KWB_COUNTS, *KWB_PERCENTS]]], ignore_index=True)
    rows["gm_naam"] = rows.code.str[2:6].map(lambda d: names[f"GM{d}"])
    # CBS order: each gemeente, then each wijk followed by its buurten.
    rank = rows.recs.map({"Gemeente": 0, "Wijk": 1, "Buurt": 2})
    rows["order_wijk"] = np.where(rank == 0, "", rows.code.str[2:8])
    rows = rows.assign(rank=rank, gm=rows.code.str[2:6]).sort_values(
        ["gm", "order_wijk", "rank", "code"], kind="stable"
    )
    outside = pd.DataFrame(_OUTSIDE_REGION, columns=["code", "regio", "recs", *KWB_COUNTS, *KWB_PERCENTS]).assign(
        gm_naam="Amsterdam"
    )
    rows = pd.concat([outside, rows], ignore_index=True)

    out = pd.DataFrame(
        {
            # CBS pads codes to 10 characters: wijk and gemeente codes arrive with trailing spaces.
            "gwb_code": rows.code.str.ljust(10),
            "regio": rows.regio,
            "gm_naam": rows.gm_naam,
            "recs": rows.recs,
            "ind_wbi": np.where(rows.recs == "Gemeente", ".", "1"),
        }
    )
    for col in KWB_COUNTS:
        out[col] = rows[col].astype(np.int64).to_numpy()
    few_dwellings = (rows.a_woning < 50).to_numpy()
    few_households = (rows.a_hh < 100).to_numpy()
    for col in ("p_koopw", "p_huurw", "p_wcorpw"):
        out[col] = decimal_comma(rows[col].to_numpy(), few_dwellings)
    out["p_hh_li"] = decimal_comma(rows.p_hh_li.to_numpy(), few_households)
    return csv_bytes(out), len(out)


def adressen_csv(geo: Geography, seed: int) -> tuple[bytes, int]:
    rng = seeded_rng(seed, "adressen")
    a = geo.adressen
    pc6 = a.pc6.to_numpy(dtype=object).copy()
    quirk = rng.random(len(a))
    spaced, lower = quirk < 0.0001, (quirk >= 0.0001) & (quirk < 0.0002)
    pc6[spaced] = [p[:4] + " " + p[4:] for p in pc6[spaced]]
    pc6[lower] = [p.lower() for p in pc6[lower]]
    out = pd.DataFrame(
        {
            "PC6": pc6,
            "Huisnummer": a.huisnummer.to_numpy(),
            "Buurt": a.buurtcode.str[2:].to_numpy(),
            "Wijk": a.wijkcode.str[2:].to_numpy(),
            "Gemeente": a.gemeentecode.str[2:].to_numpy(),
        }
    )
    return csv_bytes(out), len(out)


def kwb_years(months: pd.PeriodIndex) -> list[int]:
    """CBS years in range up to the geography year; the geography year itself is always delivered."""
    years = {y for y in range(months[0].year, months[-1].year + 1) if y <= GEOGRAPHY_YEAR}
    return sorted(years | {GEOGRAPHY_YEAR})
