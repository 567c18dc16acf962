"""The demo's geography: the real VR20 gemeenten and wijken (wijkbeeld/reference), synthetic buurten and
addresses inside them, the per-wijk profile every dataset draws from, and where the planted stories live
(docs/demo-data.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wijkbeeld.demo.writers import apportion, seeded_rng

REFERENCE_DIR = Path(__file__).parents[1] / "reference"
GEOGRAPHY_YEAR = 2024
# Approximate 2024 inhabitants per gemeente: the synthetic wijken of a gemeente add up to this.
INWONERS: dict[str, int] = {
    "GM0744": 7_100, "GM0748": 69_000, "GM0758": 188_000, "GM0766": 26_800, "GM0777": 45_000,
    "GM0779": 22_000, "GM0784": 27_000, "GM0785": 24_000, "GM0798": 16_000, "GM0809": 23_800,
    "GM0824": 33_000, "GM0826": 57_000, "GM0840": 23_000, "GM0851": 25_000, "GM0855": 227_000,
    "GM0867": 49_000, "GM0873": 22_000, "GM0879": 22_000, "GM1655": 30_000, "GM1674": 78_000,
    "GM1709": 37_500, "GM1719": 27_500, "GM1723": 10_500, "GM1959": 57_000,
}  # fmt: skip
# PC4 ranges (inclusive) per gemeente, close to the real ones and disjoint, so a PC6 never spans gemeenten.
PC4_RANGES: dict[str, tuple[int, int]] = {
    "GM0744": (5110, 5114), "GM0748": (4611, 4625), "GM0758": (4811, 4841), "GM0766": (5101, 5107),
    "GM0777": (4871, 4876), "GM0779": (4931, 4942), "GM0784": (5121, 5126), "GM0785": (5051, 5054),
    "GM0798": (5081, 5089), "GM0809": (5171, 5176), "GM0824": (5061, 5069), "GM0826": (4901, 4919),
    "GM0840": (4711, 4719), "GM0851": (4651, 4671), "GM0855": (5011, 5049), "GM0867": (5141, 5161),
    "GM0873": (4631, 4641), "GM0879": (4881, 4885), "GM1655": (4731, 4744), "GM1674": (4701, 4709),
    "GM1709": (4751, 4797), "GM1719": (4921, 4929), "GM1723": (5131, 5132), "GM1959": (4251, 4287),
}  # fmt: skip
UNKNOWN_PC4 = 5301  # outside every range above: a postcode that maps to no buurt
STAD = frozenset({"GM0758", "GM0855"})
MIDDELGROOT = frozenset({"GM0748", "GM0777", "GM0826", "GM0867", "GM1674"})
# Planted stories (docs/demo-data.md).
DOMMELBERGEN = "WK082606"
RISING_CRIME = "WK085543"  # Heikant, Tilburg: crime +25 % a year
VULNERABLE = ("WK075801", "WK085525", "WK085542")  # Breda noord, Groeseind-Hoefstraat, Stokhasselt
NO_MELDINGEN = frozenset({"GM0744"})  # Baarle-Nassau sends no MOR meldingen
STORY_START_YEAR = 2024
PINNED_INWONERS = {DOMMELBERGEN: 7_000, RISING_CRIME: 8_000, "WK085525": 4_500, "WK085542": 5_500}
HAMLETS = frozenset({"WK074403", "WK172303", "WK195909"})  # Castelré, Strijbeek, Waardhuizen
_INDUSTRIAL = ("bedrijventerrein", "industrie", "ind.terrein", "sportpark", "sportterreinen", "kvl terrein")
_RURAL = ("buitengebied", "landelijk gebied", "verspreide huizen", "verspriede huizen")
_CENTRE = ("centrum", "binnenstad", "oude stad")
# Class parameters: crime per 1,000 inh/yr, household size, share 1-person hh, share corporatie, % low inc.
_CLASS = {
    "stad": (48.0, 2.00, 0.44, 0.30, 9.5),
    "middel": (38.0, 2.15, 0.38, 0.26, 8.0),
    "dorp": (26.0, 2.35, 0.30, 0.18, 5.5),
}
_AGE_SHARES = {
    "stad": (0.15, 0.15, 0.30, 0.24, 0.16),
    "middel": (0.16, 0.12, 0.25, 0.27, 0.20),
    "dorp": (0.16, 0.11, 0.22, 0.29, 0.22),
    "kwetsbaar": (0.20, 0.14, 0.29, 0.22, 0.15),
    "bedrijf": (0.10, 0.10, 0.30, 0.35, 0.15),
}
_BUURT_SUFFIX = ("Centrum", "Noord", "Oost", "Zuid", "West", "Midden", "Park", "Veld")
_STRATEN = (
    "Kerkstraat", "Molenstraat", "Schoolstraat", "Dorpsstraat", "Stationsstraat", "Nieuwstraat",
    "Markt", "Hoogstraat", "Lindenlaan", "Eikenlaan", "Beukenlaan", "Kastanjelaan", "Berkenlaan",
    "Wilgenstraat", "Populierenlaan", "Meidoornstraat", "Rozenstraat", "Tulpstraat", "Vlasstraat",
    "Akkerstraat", "Heuvelstraat", "Bredaseweg", "Tilburgseweg", "Oosterhoutseweg", "Parallelweg",
    "Julianastraat", "Beatrixlaan", "Wilhelminastraat", "Irenestraat", "Prins Bernhardstraat",
    "Oranjestraat", "Van Goghstraat", "Rembrandtlaan", "Vermeerstraat", "Frans Halsstraat",
    "Mozartlaan", "Beethovenstraat", "Bachstraat", "Chopinstraat", "Leeuweriklaan", "Merelstraat",
    "Lijsterstraat", "Vinkenstraat", "Zwaluwstraat", "Meeuwenlaan", "Reigerstraat", "Kievitstraat",
    "Dommelstraat", "Markstraat", "Aastraat", "Donge", "Heistraat", "Veldstraat", "Broekstraat",
    "Vennenweg", "Gasthuisstraat", "Gildestraat", "Smidsstraat", "Bakkerstraat", "Kapelstraat",
)  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """Synthetic 2024 geography inside the real wijken, with the per-wijk profile the datasets share."""

    gemeenten: pd.DataFrame  # gemeentecode, gemeentenaam
    wijken: pd.DataFrame  # one row per wijk: names, type, population and rate profile
    buurten: pd.DataFrame  # one row per synthetic buurt with its 2024 kerncijfers
    adressen: pd.DataFrame  # one row per dwelling: pc6, huisnummer, straat, buurt/wijk/gemeente codes


def _short_name(wijknaam: str) -> str:
    return re.sub(r"^Wijk \d+ ", "", wijknaam)


def _wijk_type(code: str, name: str) -> str:
    low = name.lower()
    if code in HAMLETS:
        return "gehucht"
    if any(word in low for word in _INDUSTRIAL):
        return "bedrijf"
    if any(word in low for word in _RURAL):
        return "landelijk"
    if any(word in low for word in _CENTRE):
        return "centrum"
    return "woon"


def _gemeente_class(code: str) -> str:
    return "stad" if code in STAD else "middel" if code in MIDDELGROOT else "dorp"


def build_geography(seed: int) -> Geography:
    """Real gemeenten and wijken, synthetic population, buurten, profile and addresses for one seed."""
    rng = seeded_rng(seed, "geografie")
    gemeenten = pd.read_csv(REFERENCE_DIR / "gemeenten.csv", dtype=str)
    wijken = pd.read_csv(REFERENCE_DIR / "wijken.csv", dtype=str)
    wijken["type"] = [_wijk_type(c, n) for c, n in zip(wijken.wijkcode, wijken.wijknaam, strict=True)]
    wijken["klasse"] = wijken.gemeentecode.map(_gemeente_class)
    wijken["inwoners"] = _wijk_inwoners(wijken, gemeenten, rng)
    add_profile(wijken, rng)
    buurten = make_buurten(wijken, rng)
    adressen = make_adressen(buurten, rng)
    return Geography(gemeenten, wijken, buurten, adressen)


def _wijk_inwoners(wijken: pd.DataFrame, gemeenten: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Small wijken 100-440 inhabitants, rural ones 600-2,500, pinned ones fixed; the rest shares what is
    left of the gemeente total, the wijk named after the gemeente (its main town) with a larger share."""
    inwoners = np.zeros(len(wijken), dtype=np.int64)
    small = wijken.type.isin(["bedrijf", "gehucht"]).to_numpy()
    rural = (wijken.type == "landelijk").to_numpy()
    inwoners[small] = rng.integers(100, 441, small.sum())
    inwoners[rural] = rng.integers(600, 2_501, rural.sum())
    names = dict(zip(gemeenten.gemeentecode, gemeenten.gemeentenaam.str.lower(), strict=True))
    main_town = [names[g] in n.lower() for g, n in zip(wijken.gemeentecode, wijken.wijknaam, strict=True)]
    weights = rng.lognormal(0.0, 0.45, len(wijken)) * np.where(main_town, 2.5, 1.0)
    for gm, idx in wijken.groupby("gemeentecode", sort=True).indices.items():
        pinned = np.array([PINNED_INWONERS.get(c, 0) for c in wijken.wijkcode.iloc[idx]])
        inwoners[idx] += pinned
        free = idx[(~small[idx]) & (~rural[idx]) & (pinned == 0)]
        rest = INWONERS[gm] - inwoners[idx].sum()
        inwoners[free] = apportion(int(rest), weights[free])
    return inwoners


def add_profile(w: pd.DataFrame, rng: np.random.Generator) -> None:
    """Per-wijk structural profile: household make-up, housing, income, growth and event rates."""
    n = len(w)
    base = np.array([_CLASS[k] for k in w.klasse])
    crime, hh_size, p_1p, p_corp, p_li = base.T
    centre = (w.type == "centrum").to_numpy()
    vulnerable = w.wijkcode.isin(VULNERABLE).to_numpy()
    small = w.type.isin(["bedrijf", "gehucht"]).to_numpy()
    industrial = (w.type == "bedrijf").to_numpy()

    w["crime_rate"] = crime * rng.lognormal(0.0, 0.22, n) * np.where(centre, 1.8, 1.0)
    w.loc[vulnerable, "crime_rate"] = crime[vulnerable] * 2.3
    w.loc[w.wijkcode == RISING_CRIME, "crime_rate"] = crime[w.wijkcode == RISING_CRIME] * 1.2
    w.loc[w.wijkcode == DOMMELBERGEN, "crime_rate"] = crime[w.wijkcode == DOMMELBERGEN] * 1.3
    # Businesses, not residents, draw crime on industrial estates: a fixed yearly level.
    w["crime_fixed"] = np.where(industrial, rng.uniform(25, 70, n), 0.0)
    w["incident_factor"] = (
        np.select([w.klasse == "stad", w.klasse == "dorp"], [1.2, 0.8], 1.0)
        * rng.lognormal(0.0, 0.2, n)
        * np.where(centre, 1.5, 1.0)
        * np.where(vulnerable, 2.0, 1.0)
        * np.where(small, 0.5, 1.0)
    )
    w["melding_rate"] = (
        MELDING_RATE
        * w.gemeentecode.map(_gemeente_factor(w.gemeentecode, rng)).to_numpy()
        * rng.lognormal(0.0, 0.15, n)
        * np.where(centre, 1.3, 1.0)
        * np.where(industrial, 4.0, 1.0)
    )
    w["hh_size"] = np.where(small, 2.5, hh_size * rng.normal(1.0, 0.05, n) * np.where(centre, 0.85, 1.0))
    w["p_1p"] = np.clip(p_1p * rng.normal(1.0, 0.08, n) + np.where(centre, 0.12, 0.0), 0.1, 0.7)
    w["p_corp"] = np.where(industrial, 0.05, np.clip(p_corp * rng.lognormal(0.0, 0.3, n), 0.03, 0.5))
    w["p_li"] = np.clip(p_li * rng.lognormal(0.0, 0.2, n), 2.0, 15.0)
    w.loc[vulnerable, ["hh_size", "p_1p", "p_corp"]] = (1.8, 0.56, 0.60)
    w.loc[vulnerable, "p_li"] = rng.uniform(23.0, 27.0, vulnerable.sum())
    w["groei"] = rng.normal(0.006, 0.005, n)  # population growth per year, for the earlier CBS years
    w["age_key"] = np.where(vulnerable, "kwetsbaar", np.where(industrial, "bedrijf", w.klasse))


def _gemeente_factor(codes: pd.Series, rng: np.random.Generator) -> dict[str, float]:
    """Reporting culture differs per gemeente (app, website, phone): about 120-200 per 1,000."""
    unique = sorted(codes.unique())
    return dict(zip(unique, np.clip(rng.lognormal(0.0, 0.15, len(unique)), 0.75, 1.25), strict=True))


def make_buurten(w: pd.DataFrame, rng: np.random.Generator, per_buurt: int = 2200) -> pd.DataFrame:
    """1-8 synthetic buurten per wijk (BU + wijk digits + 01..), with their 2024 kerncijfers."""
    rows = []
    for wijk in w.itertuples(index=False):
        count = int(np.clip(np.ceil(wijk.inwoners / per_buurt), 1, 8))
        parts = apportion(int(wijk.inwoners), rng.dirichlet(np.full(count, 5.0)))
        short = _short_name(wijk.wijknaam)
        for i, inw in enumerate(parts):
            name = short if count == 1 else f"{short} {_BUURT_SUFFIX[i]}"
            rows.append((f"BU{wijk.wijkcode[2:]}{i + 1:02d}", name, wijk.wijkcode, wijk.gemeentecode, inw))
    b = pd.DataFrame(rows, columns=["buurtcode", "buurtnaam", "wijkcode", "gemeentecode", "a_inw"])
    prof = w.set_index("wijkcode").loc[b.wijkcode]
    n = len(b)
    small = prof.type.isin(["bedrijf", "gehucht"]).to_numpy()
    b["hh_size"] = prof.hh_size.to_numpy() * rng.normal(1.0, 0.04, n)
    b["a_hh"] = np.maximum(np.rint(b.a_inw / b.hh_size), 1).astype(np.int64)
    b["a_1p_hh"] = np.rint(b.a_hh * np.clip(prof.p_1p.to_numpy() + rng.normal(0, 0.03, n), 0.05, 0.8))
    woning = np.rint(b.a_hh * rng.uniform(1.01, 1.06, n))
    b["a_woning"] = np.where(small, np.minimum(woning, 195), woning).astype(np.int64)
    b["a_1p_hh"] = b.a_1p_hh.astype(np.int64)
    b["p_wcorpw"] = np.clip(prof.p_corp.to_numpy() * 100 + rng.normal(0, 3.0, n), 0.0, 85.0)
    b["p_huurw"] = np.clip(b.p_wcorpw + rng.uniform(7.0, 15.0, n), 0.0, 100.0)
    b["p_koopw"] = np.clip(100.0 - b.p_huurw - rng.uniform(0.0, 1.5, n), 0.0, 100.0)
    b["p_hh_li"] = np.clip(prof.p_li.to_numpy() + rng.normal(0, 1.2, n), 0.5, 60.0)
    gamma = rng.gamma(np.array([_AGE_SHARES[k] for k in prof.age_key]) * 300.0)
    for i, share in enumerate((gamma / gamma.sum(axis=1, keepdims=True)).T):
        b[f"leeftijd_{i}"] = share
    return b


def make_adressen(
    b: pd.DataFrame, rng: np.random.Generator, pc4_ranges: dict[str, tuple[int, int]] = PC4_RANGES
) -> pd.DataFrame:
    """One address per 2024 dwelling; PC6 of 10-30 addresses run across buurt borders inside a gemeente."""
    letters = [a + c for a in "ABCDEFGHJKLMNPRSTVWXZ" for c in "ABCDEFGHJKLMNPRSTVWXZ"]
    letters = np.array([pair for pair in letters if pair not in {"SA", "SD", "SS"}])
    frames = []
    for gm, part in b.groupby("gemeentecode", sort=True):
        dwellings = int(part.a_woning.sum())
        sizes = rng.integers(10, 31, dwellings // 10 + 1)
        sizes = sizes[: np.searchsorted(np.cumsum(sizes), dwellings) + 1]
        sizes[-1] -= sizes.sum() - dwellings
        n_pc6 = len(sizes)
        low, high = pc4_ranges[gm]
        n_pc4 = high - low + 1
        per_pc4 = int(np.ceil(n_pc6 / n_pc4))
        if per_pc4 > len(letters):
            raise ValueError(f"PC4 range of {gm} too small for {n_pc6} postcodes")
        j = np.arange(n_pc6)
        pc4 = low + j // per_pc4
        pc6 = np.char.add(pc4.astype(str), letters[(j % per_pc4) * len(letters) // per_pc4])
        pc6_of_address = np.repeat(j, sizes)
        offset = np.arange(dwellings) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        first = rng.integers(1, 120, n_pc6)
        step = np.where(rng.random(n_pc6) < 0.3, 1, 2)
        straat = np.array(_STRATEN)[rng.integers(0, len(_STRATEN), n_pc6)]
        frames.append(
            pd.DataFrame(
                {
                    "pc6": pc6[pc6_of_address],
                    "huisnummer": first[pc6_of_address] + step[pc6_of_address] * offset,
                    "straat": straat[pc6_of_address],
                    "buurtcode": np.repeat(part.buurtcode.to_numpy(), part.a_woning.to_numpy()),
                    "wijkcode": np.repeat(part.wijkcode.to_numpy(), part.a_woning.to_numpy()),
                    "gemeentecode": gm,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def survey_basis(geo: Geography) -> pd.DataFrame:
    """Per wijk and gemeente: adults (18+, approximated from the age groups) and a deprivation z-score
    (log % low income), the common driver of the survey and health estimates."""
    b = geo.buurten
    adults = b.a_inw * (1.0 - b.leeftijd_0 - 0.4 * b.leeftijd_1)
    w = geo.wijken.assign(
        volwassenen=adults.groupby(b.wijkcode).sum().loc[geo.wijken.wijkcode].to_numpy(),
        z=lambda f: (np.log(f.p_li) - np.log(f.p_li).mean()) / np.log(f.p_li).std(),
    )
    names = dict(zip(geo.gemeenten.gemeentecode, geo.gemeenten.gemeentenaam, strict=True))
    gm = (
        w.assign(zw=w.z * w.volwassenen)
        .groupby("gemeentecode", sort=True)
        .agg(volwassenen=("volwassenen", "sum"), zw=("zw", "sum"), klasse=("klasse", "first"))
        .reset_index()
    )
    gm = gm.assign(code=gm.gemeentecode, naam=gm.gemeentecode.map(names), z=gm.zw / gm.volwassenen)
    wk = w.assign(code=w.wijkcode, naam=w.wijknaam)
    cols = ["code", "naam", "gemeentecode", "klasse", "volwassenen", "z"]
    return pd.concat([gm[cols], wk[cols]], ignore_index=True).sort_values("code", ignore_index=True)


def _wgs84_to_rd(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RD New (EPSG:28992) from WGS84 with the published polynomial approximation (metre accuracy)."""
    dp, dl = 0.36 * (lat - 52.15517440), 0.36 * (lon - 5.38720621)
    x = (
        155000.0 + 190094.945 * dl - 11832.228 * dp * dl - 114.221 * dp**2 * dl - 32.391 * dl**3
        - 0.705 * dp - 2.340 * dp**3 * dl - 0.608 * dp * dl**3 - 0.008 * dl**2 + 0.148 * dp**2 * dl**3
    )  # fmt: skip
    y = (
        463000.0 + 309056.544 * dp + 3638.893 * dl**2 + 73.077 * dp**2 - 157.984 * dp * dl**2
        + 59.788 * dp**3 + 0.433 * dl - 6.439 * dp**2 * dl**2 - 0.032 * dp * dl + 0.092 * dl**4
        - 0.054 * dp * dl**4
    )  # fmt: skip
    return x, y


def wijk_centres_rd(wijkcodes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Approximate centre (mean of the outer-ring vertices) of every wijk polygon, in RD metres."""
    features = json.loads((REFERENCE_DIR / "wijken.geojson").read_text(encoding="utf-8"))["features"]
    centres = {}
    for feature in features:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        ring = np.concatenate([np.asarray(polygon[0], dtype=float) for polygon in polygons])
        centres[feature["properties"]["wijkcode"]] = ring.mean(axis=0)
    lonlat = np.array([centres[c] for c in wijkcodes])
    return _wgs84_to_rd(lonlat[:, 1], lonlat[:, 0])


MELDING_RATE = 160.0  # meldingen per 1,000 inhabitants per year, before gemeente and wijk variation


def pick_addresses(
    adressen: pd.DataFrame, buurtcodes: pd.Series, b_idx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Row numbers in ``adressen`` of one random address in buurt ``buurtcodes[b]`` for every b in b_idx."""
    per_buurt = adressen.groupby("buurtcode", sort=False).indices
    first = np.array([per_buurt[c][0] for c in buurtcodes])
    size = np.array([len(per_buurt[c]) for c in buurtcodes])
    return first[b_idx] + (rng.random(b_idx.size) * size[b_idx]).astype(np.int64)
