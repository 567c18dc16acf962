"""Deterministic demo partner extracts for the VR20 region (see docs/demo-data.md).

The demo must exercise every contract quirk the real partners produce (trailing spaces, missing
prefixes, CP1252, withheld counts, revisions, tiny areas) and carry planted stories that the index and
the signals have to find. Everything is drawn from numpy Generators seeded per dataset, never from the
clock, so one seed always gives byte-identical files, and existing files are never overwritten.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).parents[1] / "reference"
GEOGRAPHY_YEAR = 2024
SCALES = ("region", "national")
# Default period per scale: the region four years, national five (wijkbeeld/demo_national.py).
DEFAULT_PERIOD = {"region": ("2022-01", "2025-12"), "national": ("2021-01", "2025-12")}

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
# Dommelbergen from 2024 on (multipliers on the expected counts; docs/demo-data.md).
DOMMELBERGEN_CRIME = 1.3  # every crime kind
DOMMELBERGEN_VERNIELING = 1.4  # 2.2.1, instead of the 1.3 above
DOMMELBERGEN_JEUGD = 1.35  # Overlast jeugd
DOMMELBERGEN_MELDINGEN_OPENBARE_RUIMTE = 0.5  # Afval and Straatmeubilair
DOMMELBERGEN_MELDINGEN_OVERIG = 0.72  # the other categories
RISING_CRIME_PER_YEAR = 1.25
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

# gemeente / meldingen: category -> (share, subcategorie -> resident texts). The texts carry CP1252-only
# punctuation (’ – € …), a ';' and quotes on purpose.
MELDING_CATEGORIES: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {
    "Afval": (0.30, {
        "Zwerfafval": ("Zwerfafval bij het speelveldje; kinderen spelen ertussen",
                       "Overal blikjes en chipszakken na het weekend…"),
        "Afval naast container": ("Er staan al dagen vuilniszakken naast de container – graag ophalen",
                                  "Weer zakken naast de container, het ruikt hier erg"),
        "Volle container": ("Container zit vol, deksel kan niet meer dicht",),
        "Gedumpt afval": ("Iemand heeft een bankstel gedumpt bij de glasbak…",
                          "Bouwafval gedumpt in de berm – wie ruimt dit op?"),
    }),
    "Straatmeubilair": (0.10, {
        "Bankje kapot": ("Het bankje bij de vijver is vernield, schade zeker € 300",),
        "Speeltoestel defect": ("Speeltoestel is kapot – gevaarlijk voor kinderen",),
        "Verkeersbord": ('Bord "verboden toegang" is omgereden',),
        "Afvalbak kapot": ("Afvalbak omgetrokken; ligt op de stoep",),
    }),
    "Verlichting": (0.12, {
        "Lantaarnpaal defect": ("Lantaarnpaal doet het al weken niet, ’s avonds aardedonker",
                                "Straatverlichting uit in de hele straat"),
        "Lamp knippert": ("Lamp knippert de hele nacht…",),
    }),
    "Groen": (0.15, {
        "Snoeien": ("Struiken groeien over het fietspad",),
        "Boom omgevallen": ("Boom ligt half over de weg – na de storm",),
        "Gras maaien": ("Gras is al lang niet gemaaid; veel onkruid",),
    }),
    "Wegen en verharding": (0.14, {
        "Losliggende tegel": ("Losliggende tegel voor nr. 12, mijn moeder is gestruikeld",),
        "Gat in de weg": ("Groot gat in de weg, fietsers moeten uitwijken…",),
        "Verzakking": ("Stoep verzakt na werkzaamheden",),
    }),
    "Graffiti": (0.04, {
        "Graffiti op gebouw": ("Nieuwe graffiti op de muur van het buurthuis",),
        "Graffiti op object": ("Tags op de elektriciteitskast – weer!",),
    }),
    "Overlast dieren": (0.05, {
        "Ratten": ("Ratten gezien bij de containers",),
        "Hondenpoep": ("Veel hondenpoep op het grasveld; niemand ruimt op",),
        "Duiven": ("Duiven nestelen onder de galerij",),
    }),
    "Overig": (0.10, {
        "Wateroverlast": ("Water blijft staan na regen",),
        "Stank": ("Stankoverlast uit het riool",),
        "Overig": ("Ik weet niet onder welke categorie dit valt, maar er ligt glas op straat",),
    }),
}  # fmt: skip
MELDING_RATE = 160.0  # meldingen per 1,000 inhabitants per year, before gemeente and wijk variation
PII_MARKER = "PII-MARKER-"
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


@dataclass
class DemoSummary:
    """What generate() did: files written and skipped, and files/rows written per partner/dataset."""

    files_written: int = 0
    files_skipped: int = 0
    files_per_dataset: dict[str, int] = field(default_factory=dict)
    rows_per_dataset: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Geography:
    """Synthetic 2024 geography inside the real wijken, with the per-wijk profile the datasets share."""

    gemeenten: pd.DataFrame  # gemeentecode, gemeentenaam
    wijken: pd.DataFrame  # one row per wijk: names, type, population and rate profile
    buurten: pd.DataFrame  # one row per synthetic buurt with its 2024 kerncijfers
    adressen: pd.DataFrame  # one row per dwelling: pc6, huisnummer, straat, buurt/wijk/gemeente codes


# ---------------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------------


def generate(
    landing: Path, *, seed: int = 2024, start: str | None = None, end: str | None = None, scale: str = "region"
) -> DemoSummary:
    """Write the demo partner extracts into ``landing/<partner>/<dataset>/`` (existing files are kept)."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r} is not supported; choose one of: {', '.join(SCALES)}")
    months = _months(start or DEFAULT_PERIOD[scale][0], end or DEFAULT_PERIOD[scale][1])
    if scale == "national":
        from wijkbeeld.demo_national import generate_national

        return generate_national(Path(landing), seed=seed, months=months)
    geo = build_geography(seed)
    summary = DemoSummary()
    writer = _Writer(Path(landing), summary)
    for year in _kwb_years(months):
        writer.write("cbs", "kerncijfers", f"kwb-{year}.csv", *_kerncijfers_csv(geo, year, seed))
    writer.write("cbs", "adressen", f"pc6hnr-{GEOGRAPHY_YEAR}.csv", *_adressen_csv(geo, seed))
    for dataset, name, data, rows in _politie_files(geo, months, seed):
        writer.write("politie", dataset, name, data, rows)
    for name, data, rows in _meldingen_files(geo, months, seed):
        writer.write("gemeente", "meldingen", name, data, rows)
    for name, data, rows in _brandweer_files(geo, months, seed):
        writer.write("brandweer", "incidenten", name, data, rows)
    for name, data, rows in _ggd_files(geo, months, seed):
        writer.write("ggd", "gezondheidsmonitor", name, data, rows)
    for name, data, rows in _handhaving_files(geo, months, seed):
        writer.write("gemeente", "handhaving", name, data, rows)
    for name, data, rows in _veiligheidsmonitor_files(geo, months, seed):
        writer.write("gemeente", "veiligheidsmonitor", name, data, rows)
    for name, data, rows in _corporatie_files(geo, months, seed):
        writer.write("corporatie", "signalen", name, data, rows)
    return summary


class _Writer:
    """Writes whole files with exclusive create, so an existing partner file is never touched."""

    def __init__(self, landing: Path, summary: DemoSummary) -> None:
        self.landing = landing
        self.summary = summary

    def write(self, partner: str, dataset: str, name: str, data: bytes, rows: int) -> None:
        folder = self.landing / partner / dataset
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with (folder / name).open("xb") as fh:
                fh.write(data)
        except FileExistsError:
            self.summary.files_skipped += 1
            return
        # The file is whole: tell ingest so it need not wait for the settle time (contract: <name>.complete).
        (folder / f"{name}.complete").touch()
        key = f"{partner}/{dataset}"
        self.summary.files_written += 1
        self.summary.files_per_dataset[key] = self.summary.files_per_dataset.get(key, 0) + 1
        self.summary.rows_per_dataset[key] = self.summary.rows_per_dataset.get(key, 0) + rows


# ---------------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------------


def _rng(seed: int, purpose: str) -> np.random.Generator:
    """One independent stream per purpose, so adding a dataset never changes another one's bytes."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def _months(start: str, end: str) -> pd.PeriodIndex:
    """Validate 'YYYY-MM' bounds and return the months between them (inclusive)."""
    if not all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v) for v in (start, end)):
        raise ValueError(f"start and end must look like 'YYYY-MM', got {start!r} and {end!r}")
    first, last = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    if first > last or first.year < 2015:
        raise ValueError(f"need 2015-01 <= start <= end, got {start} .. {end}")
    return pd.period_range(first, last, freq="M")


def _kwb_years(months: pd.PeriodIndex) -> list[int]:
    """CBS years in range up to the geography year; the geography year itself is always delivered."""
    years = {y for y in range(months[0].year, months[-1].year + 1) if y <= GEOGRAPHY_YEAR}
    return sorted(years | {GEOGRAPHY_YEAR})


def _apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Split an integer total over shares with largest remainders (the parts add up exactly)."""
    raw = total * shares / shares.sum()
    parts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: total - parts.sum()]] += 1
    return parts


def _decimal_comma(values: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """One decimal with a decimal comma; CBS writes '.' for a suppressed value."""
    text = np.array([f"{v:.1f}".replace(".", ",") for v in values], dtype=object)
    text[suppressed] = "."
    return text


def _csv(frame: pd.DataFrame, sep: str = ";", encoding: str = "utf-8") -> bytes:
    return frame.to_csv(sep=sep, index=False, lineterminator="\n").encode(encoding)


def _season(months: pd.PeriodIndex, amplitude: float, peak_month: int) -> np.ndarray:
    month = np.asarray(months.month, dtype=float)
    return 1.0 + amplitude * np.cos(2 * np.pi * (month - peak_month) / 12.0)


def _short_name(wijknaam: str) -> str:
    return re.sub(r"^Wijk \d+ ", "", wijknaam)


# ---------------------------------------------------------------------------------------------------
# geography: wijken, synthetic buurten, addresses
# ---------------------------------------------------------------------------------------------------


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
    rng = _rng(seed, "geografie")
    gemeenten = pd.read_csv(REFERENCE_DIR / "gemeenten.csv", dtype=str)
    wijken = pd.read_csv(REFERENCE_DIR / "wijken.csv", dtype=str)
    wijken["type"] = [_wijk_type(c, n) for c, n in zip(wijken.wijkcode, wijken.wijknaam, strict=True)]
    wijken["klasse"] = wijken.gemeentecode.map(_gemeente_class)
    wijken["inwoners"] = _wijk_inwoners(wijken, gemeenten, rng)
    _add_profile(wijken, rng)
    buurten = _buurten(wijken, rng)
    adressen = _adressen(buurten, rng)
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
        inwoners[free] = _apportion(int(rest), weights[free])
    return inwoners


def _add_profile(w: pd.DataFrame, rng: np.random.Generator) -> None:
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


def _buurten(w: pd.DataFrame, rng: np.random.Generator, per_buurt: int = 2200) -> pd.DataFrame:
    """1-8 synthetic buurten per wijk (BU + wijk digits + 01..), with their 2024 kerncijfers."""
    rows = []
    for wijk in w.itertuples(index=False):
        count = int(np.clip(np.ceil(wijk.inwoners / per_buurt), 1, 8))
        parts = _apportion(int(wijk.inwoners), rng.dirichlet(np.full(count, 5.0)))
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


def _adressen(
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


# ---------------------------------------------------------------------------------------------------
# cbs / kerncijfers and cbs / adressen
# ---------------------------------------------------------------------------------------------------

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
    rng = _rng(seed, f"kerncijfers-{year}")
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


def _kerncijfers_csv(geo: Geography, year: int, seed: int) -> tuple[bytes, int]:
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
        out[col] = _decimal_comma(rows[col].to_numpy(), few_dwellings)
    out["p_hh_li"] = _decimal_comma(rows.p_hh_li.to_numpy(), few_households)
    return _csv(out), len(out)


def _adressen_csv(geo: Geography, seed: int) -> tuple[bytes, int]:
    rng = _rng(seed, "adressen")
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
    return _csv(out), len(out)


# ---------------------------------------------------------------------------------------------------
# politie: misdrijven and incidenten (StatLine shape, wijk and gemeente rows, monthly)
# ---------------------------------------------------------------------------------------------------


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
    lam = yearly[:, None, None] * shares[None, :, None] * _season(months, 0.06, 12)[None, None, :] / 12.0
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
    lam = yearly[:, None, None] * rates[None, :, None] * _season(months, 0.15, 7)[None, None, :] / 12.0
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


def _politie_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, str, bytes, int]]:
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
        rng = _rng(seed, f"politie-{spec.dataset}")
        counts = _draw_counts(rng, lam, calm)
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
            yield spec.dataset, name, _csv(frame), len(frame)


def _draw_counts(rng: np.random.Generator, lam: np.ndarray, calm: np.ndarray) -> np.ndarray:
    """Poisson counts [area, kind, month]. The 'calm' areas (Dommelbergen) get binomial counts with a
    quarter of the Poisson variance, so a planted change of +30 % shows for every seed."""
    counts = rng.poisson(lam)
    trials = lam[calm] / 0.75
    whole = np.floor(trials)
    trials = (whole + (rng.random(trials.shape) < trials - whole)).astype(np.int64)  # unbiased rounding
    counts[calm] = rng.binomial(trials, 0.75)
    return counts


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


# ---------------------------------------------------------------------------------------------------
# gemeente / meldingen (MOR, incident level, CP1252, one file per gemeente per month)
# ---------------------------------------------------------------------------------------------------

_HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 12, 12, 11, 10, 10, 9, 8, 6, 4, 3, 2], float)


def _melding_lambda(geo: Geography, months: pd.PeriodIndex) -> tuple[pd.DataFrame, np.ndarray]:
    """Expected meldingen [buurt, category, month] for gemeenten that deliver, with the Dommelbergen story."""
    w = geo.wijken.set_index("wijkcode")
    b = geo.buurten[~geo.buurten.gemeentecode.isin(NO_MELDINGEN)].reset_index(drop=True)
    shares = np.array([share for share, _ in MELDING_CATEGORIES.values()])
    yearly = b.a_inw.to_numpy() / 1000.0 * w.melding_rate.loc[b.wijkcode].to_numpy()
    lam = yearly[:, None, None] * shares[None, :, None] * _season(months, 0.12, 10)[None, None, :] / 12.0
    dommel = (b.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    public_space = [0, 1]  # Afval, Straatmeubilair
    lam[np.ix_(dommel, public_space, np.arange(len(months)))] *= 1.2
    lam[np.ix_(dommel, np.arange(len(shares)), after)] *= DOMMELBERGEN_MELDINGEN_OVERIG
    lam[np.ix_(dommel, public_space, after)] *= DOMMELBERGEN_MELDINGEN_OPENBARE_RUIMTE / DOMMELBERGEN_MELDINGEN_OVERIG
    return b, lam


def _meldingen_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """Yield (file name, CP1252 bytes, rows) per delivering gemeente and month."""
    frame = _meldingen_frame(geo, months, _rng(seed, "meldingen"))
    key = (frame.pop("gemeentecode") + "-" + frame.pop("periode")).to_numpy()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # frame is sorted by gemeente and time
    for begin, stop in zip(starts, [*starts[1:], len(frame)], strict=True):
        part = frame.iloc[begin:stop]
        yield f"meldingen-{key[begin]}.csv", _csv(part, encoding="cp1252"), len(part)


def _melding_variants() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """All (category, subcategorie, text) combinations, with each category's first row and row count."""
    rows = [
        (c, cat, sub, text)
        for c, (cat, (_, subs)) in enumerate(MELDING_CATEGORIES.items())
        for sub, texts in subs.items()
        for text in texts
    ]
    variants = pd.DataFrame(rows, columns=["c", "Categorie", "Subcategorie", "Omschrijving"])
    sizes = variants.groupby("c").size().to_numpy()
    return variants, np.cumsum(sizes) - sizes, sizes


def _dutch_datetime(values: np.ndarray) -> np.ndarray:
    """Format datetime64[m] as 'dd-mm-yyyy HH:MM' (NaT -> ''), by reordering characters: vectorised."""
    iso = np.datetime_as_string(values, unit="m").astype("U16")  # yyyy-mm-ddTHH:MM
    chars = iso.view("U1").reshape(-1, 16)[:, [8, 9, 7, 5, 6, 4, 0, 1, 2, 3, 10, 11, 12, 13, 14, 15]]
    chars[:, 10] = " "
    text = np.ascontiguousarray(chars).view("U16").ravel().astype(object)
    text[np.isnat(values)] = ""
    return text


def _skip_dst_gap(times: np.ndarray) -> np.ndarray:
    """Move local times in the hour that does not exist (last Sunday of March, 02:00-02:59) one hour on."""
    idx = pd.DatetimeIndex(times)
    gap = (idx.month == 3) & (idx.day >= 25) & (idx.dayofweek == 6) & (idx.hour == 2)
    return np.where(gap, times + np.timedelta64(60, "m"), times)


def _meldingen_frame(geo: Geography, months: pd.PeriodIndex, rng: np.random.Generator) -> pd.DataFrame:
    """One row per melding, sorted by gemeente and time, plus the gemeentecode and periode to split on."""
    buurten, lam = _melding_lambda(geo, months)
    _, n_c, n_t = lam.shape
    counts = _draw_counts(rng, lam, (buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    b_idx, c_idx, t_idx = cell // (n_c * n_t), (cell // n_t) % n_c, cell % n_t
    n = cell.size

    month_start = months.to_timestamp().to_numpy().astype("datetime64[m]")
    minute = (
        rng.integers(0, months.days_in_month.to_numpy()[t_idx]) * 1440
        + rng.choice(24, n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()) * 60
        + rng.integers(0, 60, n)
    )
    melding = _skip_dst_gap(month_start[t_idx] + minute.astype("timedelta64[m]"))
    export = (months + 1).to_timestamp().to_numpy().astype("datetime64[m]")[t_idx]  # status as exported
    done = melding + (rng.exponential(7.0 * 1440, n) + 30).astype("timedelta64[m]")
    finished = done <= export
    recent = export - melding < np.timedelta64(2 * 1440, "m")
    status = np.where(finished, "Afgehandeld", np.where(recent, "Open", "In behandeling"))

    variants, cat_first, cat_size = _melding_variants()
    variant = cat_first[c_idx] + (rng.random(n) * cat_size[c_idx]).astype(np.int64)
    text = variants.Omschrijving.to_numpy(dtype=object)[variant]
    marked = rng.choice(n, size=min(12, n), replace=False)
    text[marked] = [f"Bel me terug, ik ben overdag thuis ({PII_MARKER}{k:06d})" for k in range(len(marked))]

    frame = pd.DataFrame(
        {
            "gemeentecode": buurten.gemeentecode.to_numpy()[b_idx],
            "periode": np.array([f"{p.year}{p.month:02d}" for p in months])[t_idx],
            "melding": melding,
            "Categorie": variants.Categorie.to_numpy(dtype=object)[variant],
            "Subcategorie": variants.Subcategorie.to_numpy(dtype=object)[variant],
            "Omschrijving": text,
            **_melding_address(geo.adressen, buurten, b_idx, rng),
            "Status": status,
            "afgehandeld": np.where(finished, done, np.datetime64("NaT")),
        }
    ).sort_values(["gemeentecode", "melding"], kind="stable", ignore_index=True)
    year = frame.melding.dt.year
    seq = frame.groupby([frame.gemeentecode, year]).cumcount() + 1
    frame.insert(2, "MeldingNr", "MOR" + year.astype(str) + "-" + seq.map("{:06d}".format))
    frame.insert(3, "DatumMelding", _dutch_datetime(frame.pop("melding").to_numpy()))
    frame["DatumAfgehandeld"] = _dutch_datetime(frame.pop("afgehandeld").to_numpy())
    return frame


def _pick_addresses(
    adressen: pd.DataFrame, buurtcodes: pd.Series, b_idx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Row numbers in ``adressen`` of one random address in buurt ``buurtcodes[b]`` for every b in b_idx."""
    per_buurt = adressen.groupby("buurtcode", sort=False).indices
    first = np.array([per_buurt[c][0] for c in buurtcodes])
    size = np.array([len(per_buurt[c]) for c in buurtcodes])
    return first[b_idx] + (rng.random(b_idx.size) * size[b_idx]).astype(np.int64)


def _melding_address(
    adressen: pd.DataFrame, buurten: pd.DataFrame, b_idx: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """A random address of the melding's buurt, with the quirks ingest must handle: no or an unknown
    huisnummer (PC6 fallback), an unknown postcode (unmapped) and postcodes written with a space."""
    addr = _pick_addresses(adressen, buurten.buurtcode, b_idx, rng)
    postcode = adressen.pc6.to_numpy(dtype=object)[addr]
    number = adressen.huisnummer.to_numpy()[addr]
    huisnummer = number.astype(str).astype(object)
    quirk = rng.random(b_idx.size)
    huisnummer[quirk < 0.015] = ""
    unknown_number = (quirk >= 0.015) & (quirk < 0.02)
    huisnummer[unknown_number] = (number[unknown_number] + 1000).astype(str)
    unknown_pc = (quirk >= 0.02) & (quirk < 0.023)
    postcode[unknown_pc] = [f"{UNKNOWN_PC4}{p[4:]}" for p in postcode[unknown_pc]]
    spaced = (quirk >= 0.023) & (quirk < 0.033)
    postcode[spaced] = [f"{p[:4]} {p[4:]}" for p in postcode[spaced]]
    return {
        "Straat": adressen.straat.to_numpy(dtype=object)[addr],
        "Huisnummer": huisnummer,
        "Postcode": postcode,
    }


# ---------------------------------------------------------------------------------------------------
# stage 2 helpers: stable xlsx, per-wijk survey basis
# ---------------------------------------------------------------------------------------------------

XLSX_TIMESTAMP = datetime(2020, 1, 1)  # fixed document properties and zip entry times: stable bytes
_EXCEL_EPOCH = date(1899, 12, 30)
_COLUMN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_XLSX_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _xlsx(sheet: str, rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal one-sheet .xlsx (strings inline, numbers, dates as Excel serials with a date format).

    Written directly rather than with openpyxl: its pure-Python XML writer managed about 65,000 cells/s
    here, which made the corporatie and handhaving workbooks alone take well over 30 s. The bytes
    depend only on the content (fixed properties and zip times); tests read the files back with openpyxl.
    """
    width = max(len(row) for row in rows)
    body = "".join(
        f'<row r="{r}">' + "".join(_xlsx_cell(f"{_COLUMN_LETTERS[c]}{r}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    stamp = XLSX_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
            'metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
        ),
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
            'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>wijkbeeld demo'
            f'</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_XLSX_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{_XLSX_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
            '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
            '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
            '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0"'
            ' fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0"'
            ' fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0"'
            ' xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal"'
            ' xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_XLSX_NS}"><dimension ref="A1:{_COLUMN_LETTERS[width - 1]}{len(rows)}"/>'
            f"<sheetData>{body}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, date_time=XLSX_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _XML_HEAD + xml)
    return out.getvalue()


def _xlsx_cell(ref: str, value: object) -> str:
    """One <c> element; None, NaN and '' are left out (an empty cell)."""
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _years(months: pd.PeriodIndex) -> list[int]:
    return list(range(months[0].year, months[-1].year + 1))


def _survey_basis(geo: Geography) -> pd.DataFrame:
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


def _decimal_text(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


# ---------------------------------------------------------------------------------------------------
# brandweer / incidenten (incident level, monthly, ',' UTF-8 with BOM)
# ---------------------------------------------------------------------------------------------------

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


def _wijk_centres_rd(wijkcodes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
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
    season[0] = _season(months, 0.15, 1)
    lam = yearly[:, :, None] * season[None, :, :] / 12.0
    dommel = (b.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    lam[np.ix_(dommel, [1], np.arange(len(months)))] *= 2.0  # loose litter burns: all years
    lam[np.ix_(dommel, [1], after)] *= DOMMELBERGEN_BUITENBRAND
    return lam


def _brandweer_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """Yield one file per month; June and December files repeat a few corrected incidents of the month
    before (a re-delivery: newest wins)."""
    rng = _rng(seed, "brandweer")
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
        yield name, _csv(out, sep=",", encoding="utf-8-sig"), len(out)


def _brandweer_frame(geo: Geography, months: pd.PeriodIndex, rng: np.random.Generator) -> pd.DataFrame:
    lam = _brandweer_lambda(geo, months)
    _, n_k, n_t = lam.shape
    counts = _draw_counts(rng, lam, (geo.buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    b_idx, k_idx, t_idx = cell // (n_k * n_t), (cell // n_t) % n_k, cell % n_t
    n = cell.size
    kinds = list(BRANDWEER_KINDS)
    spec = list(BRANDWEER_KINDS.values())

    month_start = months.to_timestamp().to_numpy().astype("datetime64[m]")
    minute = rng.integers(0, months.days_in_month.to_numpy()[t_idx] * 1440)
    tijd = _skip_dst_gap(month_start[t_idx] + minute.astype("timedelta64[m]"))
    ter_plaatse = rng.random(n) < np.array([p for _, p, _ in spec])[k_idx]
    cum = np.cumsum([w for _, _, w in spec], axis=1)
    prioriteit = 1 + (rng.random(n)[:, None] > cum[k_idx]).sum(axis=1)

    buurten = geo.buurten
    addr = _pick_addresses(geo.adressen, buurten.buurtcode, b_idx, rng)
    huisnummer = geo.adressen.huisnummer.to_numpy()[addr].astype(str).astype(object)
    outdoor = rng.random(n) < np.where(k_idx == 1, 0.75, np.where(k_idx == 3, 0.4, 0.0))
    huisnummer[outdoor] = ""

    if "x_rd" in geo.wijken:  # synthetic wijken (national scale) carry their own centre
        x0, y0 = geo.wijken.x_rd.to_numpy(), geo.wijken.y_rd.to_numpy()
    else:
        x0, y0 = _wijk_centres_rd(geo.wijken.wijkcode)
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


# ---------------------------------------------------------------------------------------------------
# ggd / gezondheidsmonitor (yearly xlsx, title rows above the header)
# ---------------------------------------------------------------------------------------------------

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


def _ggd_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    basis = _survey_basis(geo)
    area_effect = _rng(seed, "ggd-wijk").normal(0.0, 0.12, (len(basis), len(GGD_INDICATORS)))
    for year in _years(months):
        rng = _rng(seed, f"ggd-{year}")
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
                cells = [_decimal_text(v) if as_text[j] else round(float(v), 1) for v in values]
                rows.append([area.code, area.naam, label, *cells, int(respondents[j])])
        yield f"gezondheidsmonitor-{year}.xlsx", _xlsx("wijken", rows), len(rows) - 4


# ---------------------------------------------------------------------------------------------------
# gemeente / handhaving (BOA registrations, one workbook per gemeente per year)
# ---------------------------------------------------------------------------------------------------

HANDHAVING_GEMEENTEN = ("GM0748", "GM0758", "GM0766", "GM0777", "GM0785", "GM0826", "GM0855", "GM0867",
                        "GM1674", "GM1709")  # fmt: skip
# Feitcategorie -> registrations per 1,000 inhabitants a year.
HANDHAVING_RATES: dict[str, float] = {
    "Afval dumpen": 4.0,
    "Afval naast container": 5.0,
    "Hondenpoep": 2.0,
    "Alcohol openbare ruimte": 1.5,
    "Jeugdoverlast": 2.0,
    "Parkeren": 8.0,
    "Overig": 2.0,
}
AFDOENING = ("Waarschuwing", "Proces-verbaal", "Bestuurlijke strafbeschikking")
DOMMELBERGEN_BOA_AFVAL = 1.5  # from 2024: the physical decline the meldingen no longer show
DOMMELBERGEN_BOA_JEUGD = 1.3


def _handhaving_lambda(
    geo: Geography, months: pd.PeriodIndex, gemeenten: Sequence[str] = HANDHAVING_GEMEENTEN
) -> tuple[pd.DataFrame, np.ndarray]:
    b = geo.buurten[geo.buurten.gemeentecode.isin(gemeenten)].reset_index(drop=True)
    prof = geo.wijken.set_index("wijkcode").loc[b.wijkcode]
    rates = np.array(list(HANDHAVING_RATES.values()))
    yearly = b.a_inw.to_numpy()[:, None] * rates[None, :] / 1000.0
    centre = (prof.type == "centrum").to_numpy()
    yearly[centre, 3] *= 3.0  # alcohol
    yearly[centre, 5] *= 3.0  # parkeren
    vulnerable = prof.index.isin(VULNERABLE)
    yearly[np.ix_(vulnerable, [0, 1, 4])] *= 1.8
    industrial = (prof.type == "bedrijf").to_numpy()
    yearly[industrial, 0] += 6.0  # dumping on industrial estates
    lam = yearly[:, :, None] * np.ones(len(months))[None, None, :] / 12.0
    dommel = (b.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    lam[np.ix_(dommel, [0, 1], after)] *= DOMMELBERGEN_BOA_AFVAL
    lam[np.ix_(dommel, [4], after)] *= DOMMELBERGEN_BOA_JEUGD
    return b, lam


def _handhaving_files(
    geo: Geography, months: pd.PeriodIndex, seed: int, gemeenten: Sequence[str] = HANDHAVING_GEMEENTEN
) -> Iterator[tuple[str, bytes, int]]:
    rng = _rng(seed, "handhaving")
    buurten, lam = _handhaving_lambda(geo, months, gemeenten)
    _, n_k, n_t = lam.shape
    counts = _draw_counts(rng, lam, (buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    b_idx, k_idx, t_idx = cell // (n_k * n_t), (cell // n_t) % n_k, cell % n_t
    n = cell.size
    day = months.to_timestamp().to_numpy().astype("datetime64[D]")[t_idx] + rng.integers(
        0, months.days_in_month.to_numpy()[t_idx]
    ).astype("timedelta64[D]")
    afdoening = (rng.random(n)[:, None] > np.cumsum([0.6, 0.15])).sum(axis=1)
    buurtcode = buurten.buurtcode.to_numpy(dtype=object)[b_idx].copy()
    bare = rng.random(n) < 0.15
    buurtcode[bare] = [c[2:] for c in buurtcode[bare]]  # some systems drop the BU prefix
    addr = _pick_addresses(geo.adressen, buurten.buurtcode, b_idx, rng)
    postcode = geo.adressen.pc6.to_numpy(dtype=object)[addr].copy()
    postcode[rng.random(n) < 0.3] = None
    frame = pd.DataFrame(
        {
            "gemeentecode": buurten.gemeentecode.to_numpy()[b_idx],
            "Datum": day,
            "Feitcategorie": np.array(list(HANDHAVING_RATES), dtype=object)[k_idx],
            "Afdoening": np.array(AFDOENING, dtype=object)[afdoening],
            "Buurtcode": buurtcode,
            "Postcode": postcode,
        }
    ).sort_values(["gemeentecode", "Datum"], kind="stable", ignore_index=True)
    year = frame.Datum.dt.year
    for (gm, yr), part in frame.groupby([frame.gemeentecode, year], sort=True):
        seq = np.arange(1, len(part) + 1)
        rows = [["Zaaknummer", "Datum", "Feitcategorie", "Afdoening", "Buurtcode", "Postcode"]]
        rows += [
            [f"BOA-{yr}-{k:05d}", d.date(), feit, afd, bu, pc]
            for k, d, feit, afd, bu, pc in zip(
                seq,
                part.Datum,
                part.Feitcategorie,
                part.Afdoening,
                part.Buurtcode,
                part.Postcode,
                strict=True,
            )
        ]
        yield f"handhaving-{gm}-{yr}.xlsx", _xlsx("registraties", rows), len(rows) - 1


# ---------------------------------------------------------------------------------------------------
# gemeente / veiligheidsmonitor (yearly CSV, decimal comma)
# ---------------------------------------------------------------------------------------------------

# indicator -> (level in stad / middel / dorp, effect of one SD of deprivation, SD between wijken,
# SD of one respondent's answer)
VM_INDICATORS: dict[str, tuple[tuple[float, float, float], float, float, float]] = {
    "Voelt zich wel eens onveilig in eigen buurt (%)": ((36.0, 32.0, 24.0), 5.0, 3.0, 48.0),
    "Verloedering (schaalscore 0-10)": ((3.3, 2.9, 2.3), 0.4, 0.25, 1.6),
    "Sociale cohesie (schaalscore 0-10)": ((5.9, 6.2, 6.7), -0.3, 0.25, 1.4),
    "Slachtofferschap traditionele criminaliteit (%)": ((14.0, 12.0, 9.0), 1.5, 2.0, 34.0),
}
VM_RESPONSE = 0.03  # share of adults that answered
# Dommelbergen against its own level, per year (later years keep 2025's): onveilig, verloedering,
# sociale cohesie, slachtofferschap.
DOMMELBERGEN_VM = {
    2022: (0, 0.3, 0, 0),
    2023: (2, 0.8, -0.2, 1),
    2024: (5, 1.5, -0.5, 3),
    2025: (6, 1.8, -0.6, 3),
}


def _veiligheidsmonitor_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    basis = _survey_basis(geo)
    klasse = basis.klasse.map({"stad": 0, "middel": 1, "dorp": 2}).to_numpy()
    vulnerable = basis.code.isin(VULNERABLE).to_numpy()
    dommel = (basis.code == DOMMELBERGEN).to_numpy()
    area_effect = _rng(seed, "vm-wijk").normal(0.0, 1.0, (len(basis), len(VM_INDICATORS)))
    for year in _years(months):
        rng = _rng(seed, f"veiligheidsmonitor-{year}")
        respondents = rng.binomial(np.rint(basis.volwassenen).astype(np.int64), VM_RESPONSE)
        shift = DOMMELBERGEN_VM.get(min(year, 2025), (0, 0, 0, 0))
        frames = []
        for i, (label, (levels, effect, area_sd, answer_sd)) in enumerate(VM_INDICATORS.items()):
            truth = np.array(levels)[klasse] + effect * basis.z.to_numpy() + area_sd * area_effect[:, i]
            truth += np.where(vulnerable, 3.0 * effect, 0.0) + np.where(dommel, shift[i], 0.0)
            value = truth + rng.normal(0.0, answer_sd / np.sqrt(np.maximum(respondents, 1)))
            value = np.clip(value, 0.0, 100.0 if label.endswith("(%)") else 10.0)
            waarde = [_decimal_text(v) for v in value]
            frames.append(
                pd.DataFrame(
                    {
                        "gebiedcode": basis.code,
                        "indicator": label,
                        "waarde": waarde,
                        "respondenten": respondents,
                    }
                )
            )
        frame = pd.concat(frames, ignore_index=True).sort_values(["gebiedcode"], kind="stable")
        yield f"veiligheidsmonitor-{year}.csv", _csv(frame), len(frame)


# ---------------------------------------------------------------------------------------------------
# corporatie / signalen (quarterly xlsx per corporation, aggregated to PC6)
# ---------------------------------------------------------------------------------------------------

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


def _corporatie_files(
    geo: Geography, months: pd.PeriodIndex, seed: int, corporaties: dict[str, tuple[str, ...]] = CORPORATIES
) -> Iterator[tuple[str, bytes, int]]:
    stock = _corporatie_stock(geo, _rng(seed, "corporatie-bezit"), corporaties)
    wijk = geo.buurten.set_index("buurtcode").wijkcode.loc[stock.buurtcode].to_numpy()
    factor = np.where(np.isin(wijk, VULNERABLE)[:, None], CORPORATIE_VULNERABLE[None, :], 1.0)
    rates = np.array(list(CORPORATIE_RATES.values()))
    columns = ["Postcode", "Verhuureenheden", *CORPORATIE_RATES]
    for quarter in _quarters(months):
        rng = _rng(seed, f"corporatie-{quarter}")
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
            yield name, _xlsx("signalen", rows), len(rows) - 1


__all__ = ["DemoSummary", "Geography", "build_geography", "generate"]
