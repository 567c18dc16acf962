"""corporatie / signalen: quarterly signals of the housing corporations per buurt (Excel), two corporations in
some gemeenten."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import DOMMELBERGEN, STORY_START_YEAR, VULNERABLE, Geography
from wijkbeeld.demo.writers import seeded_rng, xlsx_bytes

# corporation -> gemeenten where it is the main landlord
CORPORATIES: dict[str, tuple[str, ...]] = {
    "woonstichting-noord": ("GM0766", "GM0779", "GM0809", "GM0826", "GM0867", "GM1719", "GM1959"),
    "wonen-breda-west": ("GM0744", "GM0758", "GM0777", "GM0879", "GM1655", "GM1709", "GM1723"),
    "stadswonen-tilburg": ("GM0784", "GM0785", "GM0798", "GM0824", "GM0855"),
    "woongoed-markiezaat": ("GM0748", "GM0840", "GM0851", "GM0873", "GM1674"),
}
SECOND_CORPORATIE = ("samen-wonen-brabant", ("GM0758", "GM0826", "GM0855", "GM1674"), 0.35)
# signal -> per dwelling (verhuureenheid) a quarter; Huurachterstand2mnd is a stock at the quarter's end.
CORPORATIE_RATES: dict[str, float] = {
    "Overlastmeldingen": 0.015,
    "Woningvervuiling": 0.001,
    "Huurachterstand2mnd": 0.015,
    "Ontruimingen": 0.0002,
    "Mutaties": 0.0175,
}
CORPORATIE_VULNERABLE = np.array([2.2, 2.5, 2.5, 2.0, 1.3])
DOMMELBERGEN_CORPORATIE_OVERLAST = 1.5  # from 2024


def _corporatie_stock(
    geo: Geography, rng: np.random.Generator, corporaties: dict[str, tuple[str, ...]] = CORPORATIES
) -> pd.DataFrame:
    """Corporatie dwellings per (corporation, PC6): clustered in complexes, following the buurt's share."""
    a = geo.adressen
    pc6 = a.groupby("pc6", sort=True).agg(
        adressen=("pc6", "size"), buurtcode=("buurtcode", "first"), gemeentecode=("gemeentecode", "first")
    )
    share = geo.buurten.set_index("buurtcode").p_wcorpw.loc[pc6.buurtcode].to_numpy() / 100.0
    share = np.clip(share, 0.01, 0.95)
    q = rng.beta(share * 0.25, (1.0 - share) * 0.25)  # complexes: a PC6 is mostly corporatie or not
    pc6["vhe"] = rng.binomial(pc6.adressen.to_numpy(), q)
    pc6 = pc6[pc6.vhe > 0].reset_index()
    main = {gm: corp for corp, gms in corporaties.items() for gm in gms}
    pc6["corporatie"] = pc6.gemeentecode.map(main)
    second, gms, part = SECOND_CORPORATIE
    other = pc6.gemeentecode.isin(gms).to_numpy() & (rng.random(len(pc6)) < part)
    split = other & (pc6.vhe.to_numpy() >= 4) & (rng.random(len(pc6)) < 0.25)
    moved = pc6[other & ~split].assign(corporatie=second)
    shared = pc6[split].assign(vhe=lambda f: rng.binomial(f.vhe.to_numpy(), 0.5))
    kept = pc6[~other | split].copy()
    kept.loc[split[~other | split], "vhe"] -= shared.vhe.to_numpy()
    stock = pd.concat([kept, moved, shared.assign(corporatie=second)], ignore_index=True)
    return stock[stock.vhe > 0].sort_values(["corporatie", "pc6"], ignore_index=True)


def _quarters(months: pd.PeriodIndex) -> list[pd.Period]:
    """Quarters whose last month lies in the range (the corporations send after a quarter closes)."""
    return sorted({m.asfreq("Q") for m in months if m.month % 3 == 0})


def corporatie_files(
    geo: Geography, months: pd.PeriodIndex, seed: int, corporaties: dict[str, tuple[str, ...]] = CORPORATIES
) -> Iterator[tuple[str, bytes, int]]:
    stock = _corporatie_stock(geo, seeded_rng(seed, "corporatie-bezit"), corporaties)
    wijk = geo.buurten.set_index("buurtcode").wijkcode.loc[stock.buurtcode].to_numpy()
    factor = np.where(np.isin(wijk, VULNERABLE)[:, None], CORPORATIE_VULNERABLE[None, :], 1.0)
    rates = np.array(list(CORPORATIE_RATES.values()))
    columns = ["Postcode", "Verhuureenheden", *CORPORATIE_RATES]
    for quarter in _quarters(months):
        rng = seeded_rng(seed, f"corporatie-{quarter}")
        lam = stock.vhe.to_numpy()[:, None] * rates[None, :] * factor
        if quarter.year >= STORY_START_YEAR:
            lam[wijk == DOMMELBERGEN, 0] *= DOMMELBERGEN_CORPORATIE_OVERLAST
        signals = rng.poisson(lam)
        postcode = stock.pc6.to_numpy(dtype=object).copy()
        spaced = rng.random(len(stock)) < 0.005
        postcode[spaced] = [f"{p[:4]} {p[4:]}" for p in postcode[spaced]]
        for corp, idx in stock.groupby("corporatie", sort=True).indices.items():
            rows = [columns]
            rows += [[pc, int(v), *map(int, sig)] for pc, v, sig in
                     zip(postcode[idx], stock.vhe.to_numpy()[idx], signals[idx], strict=True)]  # fmt: skip
            name = f"corporatie-{corp}-{quarter.year}Q{quarter.quarter}.xlsx"
            yield name, xlsx_bytes("signalen", rows), len(rows) - 1
