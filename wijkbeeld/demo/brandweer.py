"""brandweer / incidenten: incident-level fires and alarms (UTF-8 with BOM, comma-separated, RD coordinates),
with redeliveries of earlier incidents."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import (
    DOMMELBERGEN,
    STORY_START_YEAR,
    VULNERABLE,
    Geography,
    pick_addresses,
    wijk_centres_rd,
)
from wijkbeeld.demo.writers import csv_bytes, draw_counts, seasonal_factor, seeded_rng, skip_dst_gap

# kind -> (per 10,000 inhabitants a year, or per 10,000 dwellings for Woningbrand; chance 'ja' ter plaatse;
# prioriteit weights 1/2/3)
BRANDWEER_KINDS: dict[str, tuple[float, float, tuple[float, float, float]]] = {
    "Woningbrand": (8.0, 0.97, (0.9, 0.1, 0.0)),
    "Buitenbrand": (8.0, 0.93, (0.3, 0.6, 0.1)),
    "Brand overig gebouw": (2.0, 0.95, (0.8, 0.2, 0.0)),
    "Hulpverlening": (25.0, 0.92, (0.4, 0.4, 0.2)),
    "Loos alarm": (12.0, 0.85, (0.2, 0.6, 0.2)),
    "OMS-melding": (4.0, 0.90, (0.7, 0.3, 0.0)),
}
# Buitenbranden peak around the turn of the year and in summer.
_BUITENBRAND_SEASON = np.array([1.6, 0.8, 0.9, 1.1, 1.0, 1.0, 1.2, 1.1, 0.9, 0.8, 0.8, 1.4])
ROOKMELDER = ("werkend", "niet werkend", "afwezig", "onbekend")
DOMMELBERGEN_BUITENBRAND = 1.6  # container fires from 2024 on


def _brandweer_lambda(geo: Geography, months: pd.PeriodIndex) -> np.ndarray:
    """Expected incidents [buurt, kind, month]."""
    b, w = geo.buurten, geo.wijken.set_index("wijkcode")
    prof = w.loc[b.wijkcode]
    rates = np.array([rate for rate, _, _ in BRANDWEER_KINDS.values()])
    base = np.where(np.arange(len(rates)) == 0, b.a_woning.to_numpy()[:, None], b.a_inw.to_numpy()[:, None])
    yearly = base * rates[None, :] / 10_000.0
    industrial = (prof.type == "bedrijf").to_numpy()
    yearly[industrial, 2] += 2.0  # Brand overig gebouw
    yearly[industrial, 5] += 20.0  # OMS-melding: automatic fire alarms of businesses
    centre = (prof.type == "centrum").to_numpy()
    yearly[centre, 4] *= 2.0  # Loos alarm
    vulnerable = prof.index.isin(VULNERABLE)
    yearly[vulnerable, :2] *= np.array([2.0, 1.8])
    season = np.ones((len(rates), len(months)))
    season[1] = _BUITENBRAND_SEASON[np.asarray(months.month) - 1]
    season[0] = seasonal_factor(months, 0.15, 1)
    lam = yearly[:, :, None] * season[None, :, :] / 12.0
    dommel = (b.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    lam[np.ix_(dommel, [1], np.arange(len(months)))] *= 2.0  # loose litter burns: all years
    lam[np.ix_(dommel, [1], after)] *= DOMMELBERGEN_BUITENBRAND
    return lam


def brandweer_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """Yield one file per month; June and December files repeat a few corrected incidents of the month
    before (a re-delivery: newest wins)."""
    rng = seeded_rng(seed, "brandweer")
    frame = _brandweer_frame(geo, months, rng)
    for t, month in enumerate(months):
        part = frame[frame.t == t]
        if month.month in (6, 12) and t > 0:
            earlier = frame[frame.t == t - 1]
            fixed = earlier.iloc[np.sort(rng.choice(len(earlier), min(5, len(earlier)), replace=False))].copy()
            fixed["prioriteit"] = np.maximum(fixed.prioriteit - 1, 1)
            fixed.loc[fixed.rookmelder == "onbekend", "rookmelder"] = "afwezig"
            part = pd.concat([fixed, part])
        out = part.drop(columns="t")
        name = f"brandweer-incidenten-{month.year}{month.month:02d}.csv"
        yield name, csv_bytes(out, sep=",", encoding="utf-8-sig"), len(out)


def _brandweer_frame(geo: Geography, months: pd.PeriodIndex, rng: np.random.Generator) -> pd.DataFrame:
    lam = _brandweer_lambda(geo, months)
    _, n_k, n_t = lam.shape
    counts = draw_counts(rng, lam, (geo.buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    b_idx, k_idx, t_idx = cell // (n_k * n_t), (cell // n_t) % n_k, cell % n_t
    n = cell.size
    kinds = list(BRANDWEER_KINDS)
    spec = list(BRANDWEER_KINDS.values())

    month_start = months.to_timestamp().to_numpy().astype("datetime64[m]")
    minute = rng.integers(0, months.days_in_month.to_numpy()[t_idx] * 1440)
    tijd = skip_dst_gap(month_start[t_idx] + minute.astype("timedelta64[m]"))
    ter_plaatse = rng.random(n) < np.array([p for _, p, _ in spec])[k_idx]
    cum = np.cumsum([w for _, _, w in spec], axis=1)
    prioriteit = 1 + (rng.random(n)[:, None] > cum[k_idx]).sum(axis=1)

    buurten = geo.buurten
    addr = pick_addresses(geo.adressen, buurten.buurtcode, b_idx, rng)
    huisnummer = geo.adressen.huisnummer.to_numpy()[addr].astype(str).astype(object)
    outdoor = rng.random(n) < np.where(k_idx == 1, 0.75, np.where(k_idx == 3, 0.4, 0.0))
    huisnummer[outdoor] = ""

    if "x_rd" in geo.wijken:  # synthetic wijken (national scale) carry their own centre
        x0, y0 = geo.wijken.x_rd.to_numpy(), geo.wijken.y_rd.to_numpy()
    else:
        x0, y0 = wijk_centres_rd(geo.wijken.wijkcode)
    wijk_pos = pd.Index(geo.wijken.wijkcode).get_indexer(buurten.wijkcode.to_numpy()[b_idx])
    x = np.round(x0[wijk_pos] + rng.normal(0, 350, n), 1).astype(object)
    y = np.round(y0[wijk_pos] + rng.normal(0, 350, n), 1).astype(object)
    no_xy = rng.random(n) < 0.1
    x[no_xy], y[no_xy] = "", ""

    vulnerable = buurten.wijkcode.isin(VULNERABLE).to_numpy()[b_idx]
    smoke_p = np.where(vulnerable[:, None], [0.35, 0.18, 0.35, 0.12], [0.50, 0.12, 0.23, 0.15])
    smoke = (rng.random(n)[:, None] > np.cumsum(smoke_p, axis=1)).sum(axis=1)
    rookmelder = np.where(k_idx == 0, np.array(ROOKMELDER)[np.minimum(smoke, 3)], "")

    frame = pd.DataFrame(
        {
            "t": t_idx,
            "tijd": tijd,
            "incidentsoort": np.array(kinds, dtype=object)[k_idx],
            "prioriteit": prioriteit,
            "ter_plaatse": np.where(ter_plaatse, "ja", "nee"),
            "pc6": geo.adressen.pc6.to_numpy(dtype=object)[addr],
            "huisnummer": huisnummer,
            "x_rd": x,
            "y_rd": y,
            "rookmelder": rookmelder,
        }
    ).sort_values(["tijd"], kind="stable", ignore_index=True)
    year = frame.tijd.dt.year
    seq = frame.groupby(year).cumcount() + 1
    frame.insert(1, "incident_id", "BRW-" + year.astype(str) + "-" + seq.map("{:06d}".format))
    iso = np.datetime_as_string(frame.pop("tijd").to_numpy(), unit="s")
    frame.insert(2, "melding_tijd", iso)
    return frame
