"""ggd / gezondheidsmonitor: survey estimates per wijk and gemeente with their interval and respondents, one
workbook per year with title lines above the header."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import Geography, survey_basis
from wijkbeeld.demo.writers import decimal_text, seeded_rng, xlsx_bytes, years_of

# label (catalogue naam) -> (regional %, logit effect of one SD of deprivation)
GGD_INDICATORS: dict[str, tuple[float, float]] = {
    "Ernstig eenzaam (%)": (11.0, 0.25),
    "Hoog risico op angststoornis of depressie (%)": (7.0, 0.30),
    "Ervaren gezondheid (zeer) goed (%)": (76.0, -0.30),
    "Moeite met rondkomen (%)": (16.0, 0.45),
    "Overgewicht (%)": (51.0, 0.15),
}
GGD_RESPONSE = 0.04  # share of adults that answered
GGD_MIN_RESPONDENTEN = 50


def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(np.asarray(p) / (1.0 - np.asarray(p)))


def ggd_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    basis = survey_basis(geo)
    area_effect = seeded_rng(seed, "ggd-wijk").normal(0.0, 0.12, (len(basis), len(GGD_INDICATORS)))
    for year in years_of(months):
        rng = seeded_rng(seed, f"ggd-{year}")
        respondents = rng.binomial(np.rint(basis.volwassenen).astype(np.int64), GGD_RESPONSE)
        rows: list[list[object]] = [
            [f"Gezondheidsmonitor Volwassenen en Ouderen {year} – wijkcijfers"],
            ["Bron: GGD (demo-data, synthetisch)"],
            [],
            [
                "Gebiedcode",
                "Gebiednaam",
                "Indicator",
                "Percentage",
                "Ondergrens",
                "Bovengrens",
                "Respondenten",
            ],
        ]
        for i, (label, (base, effect)) in enumerate(GGD_INDICATORS.items()):
            truth = 1.0 / (1.0 + np.exp(-(_logit(base / 100.0) + effect * basis.z.to_numpy() + area_effect[:, i])))
            se = np.sqrt(truth * (1 - truth) / np.maximum(respondents, 1)) * 1.3  # design effect
            # GGD publishes model-based small-area estimates: steadier than their intervals suggest.
            estimate = np.clip(truth + rng.normal(0.0, 0.4 * se), 0.005, 0.995)
            as_text = rng.random(len(basis)) < 0.1  # some cells typed as text with a decimal comma
            for j, area in enumerate(basis.itertuples(index=False)):
                if respondents[j] < GGD_MIN_RESPONDENTEN:
                    rows.append([area.code, area.naam, label, "-", None, None, int(respondents[j])])
                    continue
                values = [100 * estimate[j], 100 * max(estimate[j] - 1.96 * se[j], 0.0),
                          100 * min(estimate[j] + 1.96 * se[j], 1.0)]  # fmt: skip
                cells = [decimal_text(v) if as_text[j] else round(float(v), 1) for v in values]
                rows.append([area.code, area.naam, label, *cells, int(respondents[j])])
        yield f"gezondheidsmonitor-{year}.xlsx", xlsx_bytes("wijken", rows), len(rows) - 4
