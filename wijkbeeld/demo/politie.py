"""politie / misdrijven and politie / incidenten: monthly counts per kind and wijk/buurt in the StatLine shape,
with withheld cells, revisions of earlier months and the crime stories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import DOMMELBERGEN, RISING_CRIME, STORY_START_YEAR, VULNERABLE, Geography
from wijkbeeld.demo.writers import csv_bytes, draw_counts, seasonal_factor, seeded_rng

# Dommelbergen from 2024 on (multipliers on the expected counts; docs/demo-data.md).
DOMMELBERGEN_CRIME = 1.3  # every crime kind
DOMMELBERGEN_VERNIELING = 1.4  # 2.2.1, instead of the 1.3 above
DOMMELBERGEN_JEUGD = 1.35  # Overlast jeugd
RISING_CRIME_PER_YEAR = 1.25
# politie / misdrijven: listed codes with their share of all crime; the rest (~42 %) is only in 0.0.0.
MISDRIJF_SHARES: dict[str, float] = {
    "1.1.1": 0.035, "1.1.2": 0.020, "1.2.1": 0.060, "1.2.2": 0.015, "1.2.3": 0.100, "1.2.4": 0.015,
    "1.2.5": 0.010, "1.4.2": 0.001, "1.4.3": 0.007, "1.4.4": 0.050, "1.4.5": 0.070, "1.4.6": 0.004,
    "1.4.7": 0.001, "2.2.1": 0.100, "2.5.2": 0.060, "3.6.4": 0.020,
}  # fmt: skip
MISDRIJF_TOTAAL = "0.0.0"
# politie / incidenten: incidents per 1,000 inhabitants per year.
INCIDENT_RATES: dict[str, float] = {
    "Overlast jeugd": 4.5,
    "Overlast verward persoon": 4.0,
    "Burengerucht (relatieproblemen)": 3.0,
    "Overlast drugs/drank": 1.5,
    "Overlast zwervers": 0.6,
}
INCIDENT_TOTAAL = "Totaal overlast"


def _area_matrix(geo: Geography) -> tuple[np.ndarray, np.ndarray]:
    """Area codes in StatLine order (gemeente, then its wijken) and the matrix that sums wijken into them."""
    w = geo.wijken
    codes, rows = [], []
    for gm in sorted(w.gemeentecode.unique()):
        members = np.flatnonzero(w.gemeentecode == gm)
        codes.append(gm)
        rows.append(np.isin(np.arange(len(w)), members))
        for i in members:
            codes.append(w.wijkcode.iloc[i])
            rows.append(np.arange(len(w)) == i)
    return np.array(codes), np.array(rows, dtype=np.int64)


def _crime_lambda(geo: Geography, months: pd.PeriodIndex) -> np.ndarray:
    """Expected crimes [wijk, kind (listed codes + unlisted rest), month] with the planted stories."""
    w = geo.wijken
    shares = np.array([*MISDRIJF_SHARES.values(), 1.0 - sum(MISDRIJF_SHARES.values())])
    yearly = w.inwoners.to_numpy() / 1000.0 * w.crime_rate.to_numpy() * (w.type != "bedrijf").to_numpy()
    yearly = yearly + w.crime_fixed.to_numpy()
    lam = yearly[:, None, None] * shares[None, :, None] * seasonal_factor(months, 0.06, 12)[None, None, :] / 12.0
    kinds = list(MISDRIJF_SHARES)
    t_years = np.asarray(months.year - 2022 + (months.month - 1) / 12.0, dtype=float)
    rising = (w.wijkcode == RISING_CRIME).to_numpy()
    lam[rising] *= (RISING_CRIME_PER_YEAR**t_years)[None, :]
    dommel = (w.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    vernieling = kinds.index("2.2.1")
    lam[np.ix_(dommel, [vernieling], np.arange(len(months)))] *= 2.0  # neglected public space, all years
    lam[np.ix_(dommel, np.arange(len(shares)), after)] *= DOMMELBERGEN_CRIME
    lam[np.ix_(dommel, [vernieling], after)] *= DOMMELBERGEN_VERNIELING / DOMMELBERGEN_CRIME
    return lam


def _incident_lambda(geo: Geography, months: pd.PeriodIndex) -> np.ndarray:
    w = geo.wijken
    rates = np.array(list(INCIDENT_RATES.values()))
    yearly = w.inwoners.to_numpy() / 1000.0 * w.incident_factor.to_numpy()
    lam = yearly[:, None, None] * rates[None, :, None] * seasonal_factor(months, 0.15, 7)[None, None, :] / 12.0
    vulnerable = w.wijkcode.isin(VULNERABLE).to_numpy()
    lam[vulnerable, 1, :] *= 1.3  # verward persoon even more
    dommel = (w.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    lam[np.ix_(dommel, [0], np.arange(len(months)))] *= 2.5  # youth hangs around its squares, all years
    lam[np.ix_(dommel, [0], after)] *= DOMMELBERGEN_JEUGD
    return lam


@dataclass(frozen=True)
class _StatlineSpec:
    """One politie dataset: its columns, the kind labels as written, and whether an unlisted rest exists."""

    dataset: str
    kind_col: str
    value_col: str
    kind_labels: tuple[str, ...]  # the total first
    has_rest: bool  # the expected counts carry one last kind that only the total contains


_MISDRIJVEN = _StatlineSpec(
    "misdrijven", "SoortMisdrijf", "GeregistreerdeMisdrijven_1",
    tuple(c.ljust(8) for c in (MISDRIJF_TOTAAL, *MISDRIJF_SHARES)), has_rest=True,
)  # fmt: skip
_INCIDENTEN = _StatlineSpec(
    "incidenten", "SoortIncident", "Incidenten_1",
    tuple(c.ljust(32) for c in (INCIDENT_TOTAAL, *INCIDENT_RATES)), has_rest=False,
)  # fmt: skip


def politie_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, str, bytes, int]]:
    """Yield (dataset, file name, bytes, rows) for both politie datasets, one file per month."""
    codes, matrix = _area_matrix(geo)
    story = [DOMMELBERGEN, RISING_CRIME, *VULNERABLE]
    # Withheld cells fall on ordinary wijken only, so the planted stories stay complete.
    candidates = np.flatnonzero(np.char.startswith(codes, "WK") & ~np.isin(codes, story))
    calm = (geo.wijken.wijkcode == DOMMELBERGEN).to_numpy()
    for spec, lam in (
        (_MISDRIJVEN, _crime_lambda(geo, months)),
        (_INCIDENTEN, _incident_lambda(geo, months)),
    ):
        rng = seeded_rng(seed, f"politie-{spec.dataset}")
        counts = draw_counts(rng, lam, calm)
        revised = counts + rng.poisson(0.04 * counts) - rng.binomial(counts, 0.01)
        listed = counts.shape[1] - 1 if spec.has_rest else counts.shape[1]
        none_withheld = np.zeros((len(codes), listed), bool)
        for t, month in enumerate(months):
            blocks = []
            if month.month in (6, 12) and t > 0:  # twice a year the politie revises the previous month
                blocks.append((months[t - 1], revised[:, :, t - 1], none_withheld))
            withheld = none_withheld.copy()
            withheld[rng.choice(candidates, 3, replace=False), rng.integers(0, listed, 3)] = True
            blocks.append((month, counts[:, :, t], withheld))
            frame = _statline_frame(codes, matrix, spec, listed, blocks)
            name = f"{spec.dataset}-{month.year}{month.month:02d}.csv"
            yield spec.dataset, name, csv_bytes(frame), len(frame)


def _statline_frame(
    codes: np.ndarray,
    matrix: np.ndarray,
    spec: _StatlineSpec,
    listed: int,
    blocks: Sequence[tuple[pd.Period, np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """Rows per (period, kind, area); column 0 of the kinds is the total over ALL kinds incl. the rest."""
    frames = []
    for period, wijk_counts, withheld in blocks:
        area_counts = matrix @ wijk_counts  # [area, kind]
        values = np.column_stack([area_counts.sum(axis=1), area_counts[:, :listed]]).astype(object)
        values[:, 1:][withheld] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    spec.kind_col: np.repeat(np.array(spec.kind_labels, dtype=object), len(codes)),
                    "WijkenEnBuurten": np.tile(np.char.ljust(codes.astype(str), 10), len(spec.kind_labels)),
                    "Perioden": f"{period.year}MM{period.month:02d}",
                    spec.value_col: values.T.ravel(),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame[spec.value_col] = frame[spec.value_col].astype("Int64")
    frame.insert(0, "ID", np.arange(len(frame)))
    return frame
