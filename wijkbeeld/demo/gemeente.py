"""The gemeente's three datasets: meldingen openbare ruimte (incident level, CP1252, personal data to be dropped),
BOA handhaving (Excel per gemeente and year) and the veiligheidsmonitor (survey estimates per wijk)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from wijkbeeld.demo.geography import (
    DOMMELBERGEN,
    NO_MELDINGEN,
    STORY_START_YEAR,
    UNKNOWN_PC4,
    VULNERABLE,
    Geography,
    pick_addresses,
    survey_basis,
)
from wijkbeeld.demo.writers import (
    csv_bytes,
    decimal_text,
    draw_counts,
    seasonal_factor,
    seeded_rng,
    skip_dst_gap,
    xlsx_bytes,
    years_of,
)

DOMMELBERGEN_MELDINGEN_OPENBARE_RUIMTE = 0.5  # Afval and Straatmeubilair
DOMMELBERGEN_MELDINGEN_OVERIG = 0.72  # the other categories
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
PII_MARKER = "PII-MARKER-"
_HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 12, 12, 11, 10, 10, 9, 8, 6, 4, 3, 2], float)


def _melding_lambda(geo: Geography, months: pd.PeriodIndex) -> tuple[pd.DataFrame, np.ndarray]:
    """Expected meldingen [buurt, category, month] for gemeenten that deliver, with the Dommelbergen story."""
    w = geo.wijken.set_index("wijkcode")
    b = geo.buurten[~geo.buurten.gemeentecode.isin(NO_MELDINGEN)].reset_index(drop=True)
    shares = np.array([share for share, _ in MELDING_CATEGORIES.values()])
    yearly = b.a_inw.to_numpy() / 1000.0 * w.melding_rate.loc[b.wijkcode].to_numpy()
    lam = yearly[:, None, None] * shares[None, :, None] * seasonal_factor(months, 0.12, 10)[None, None, :] / 12.0
    dommel = (b.wijkcode == DOMMELBERGEN).to_numpy()
    after = np.asarray(months.year) >= STORY_START_YEAR
    public_space = [0, 1]  # Afval, Straatmeubilair
    lam[np.ix_(dommel, public_space, np.arange(len(months)))] *= 1.2
    lam[np.ix_(dommel, np.arange(len(shares)), after)] *= DOMMELBERGEN_MELDINGEN_OVERIG
    lam[np.ix_(dommel, public_space, after)] *= DOMMELBERGEN_MELDINGEN_OPENBARE_RUIMTE / DOMMELBERGEN_MELDINGEN_OVERIG
    return b, lam


def meldingen_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    """Yield (file name, CP1252 bytes, rows) per delivering gemeente and month."""
    frame = meldingen_frame(geo, months, seeded_rng(seed, "meldingen"))
    key = (frame.pop("gemeentecode") + "-" + frame.pop("periode")).to_numpy()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # frame is sorted by gemeente and time
    for begin, stop in zip(starts, [*starts[1:], len(frame)], strict=True):
        part = frame.iloc[begin:stop]
        yield f"meldingen-{key[begin]}.csv", csv_bytes(part, encoding="cp1252"), len(part)


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


def meldingen_frame(geo: Geography, months: pd.PeriodIndex, rng: np.random.Generator) -> pd.DataFrame:
    """One row per melding, sorted by gemeente and time, plus the gemeentecode and periode to split on."""
    buurten, lam = _melding_lambda(geo, months)
    _, n_c, n_t = lam.shape
    counts = draw_counts(rng, lam, (buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    b_idx, c_idx, t_idx = cell // (n_c * n_t), (cell // n_t) % n_c, cell % n_t
    n = cell.size

    month_start = months.to_timestamp().to_numpy().astype("datetime64[m]")
    minute = (
        rng.integers(0, months.days_in_month.to_numpy()[t_idx]) * 1440
        + rng.choice(24, n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()) * 60
        + rng.integers(0, 60, n)
    )
    melding = skip_dst_gap(month_start[t_idx] + minute.astype("timedelta64[m]"))
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


def _melding_address(
    adressen: pd.DataFrame, buurten: pd.DataFrame, b_idx: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """A random address of the melding's buurt, with the quirks ingest must handle: no or an unknown
    huisnummer (PC6 fallback), an unknown postcode (unmapped) and postcodes written with a space."""
    addr = pick_addresses(adressen, buurten.buurtcode, b_idx, rng)
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


def handhaving_files(
    geo: Geography, months: pd.PeriodIndex, seed: int, gemeenten: Sequence[str] = HANDHAVING_GEMEENTEN
) -> Iterator[tuple[str, bytes, int]]:
    rng = seeded_rng(seed, "handhaving")
    buurten, lam = _handhaving_lambda(geo, months, gemeenten)
    _, n_k, n_t = lam.shape
    counts = draw_counts(rng, lam, (buurten.wijkcode == DOMMELBERGEN).to_numpy()).ravel()
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
    addr = pick_addresses(geo.adressen, buurten.buurtcode, b_idx, rng)
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
        yield f"handhaving-{gm}-{yr}.xlsx", xlsx_bytes("registraties", rows), len(rows) - 1


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


def veiligheidsmonitor_files(geo: Geography, months: pd.PeriodIndex, seed: int) -> Iterator[tuple[str, bytes, int]]:
    basis = survey_basis(geo)
    klasse = basis.klasse.map({"stad": 0, "middel": 1, "dorp": 2}).to_numpy()
    vulnerable = basis.code.isin(VULNERABLE).to_numpy()
    dommel = (basis.code == DOMMELBERGEN).to_numpy()
    area_effect = seeded_rng(seed, "vm-wijk").normal(0.0, 1.0, (len(basis), len(VM_INDICATORS)))
    for year in years_of(months):
        rng = seeded_rng(seed, f"veiligheidsmonitor-{year}")
        respondents = rng.binomial(np.rint(basis.volwassenen).astype(np.int64), VM_RESPONSE)
        shift = DOMMELBERGEN_VM.get(min(year, 2025), (0, 0, 0, 0))
        frames = []
        for i, (label, (levels, effect, area_sd, answer_sd)) in enumerate(VM_INDICATORS.items()):
            truth = np.array(levels)[klasse] + effect * basis.z.to_numpy() + area_sd * area_effect[:, i]
            truth += np.where(vulnerable, 3.0 * effect, 0.0) + np.where(dommel, shift[i], 0.0)
            value = truth + rng.normal(0.0, answer_sd / np.sqrt(np.maximum(respondents, 1)))
            value = np.clip(value, 0.0, 100.0 if label.endswith("(%)") else 10.0)
            waarde = [decimal_text(v) for v in value]
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
        yield f"veiligheidsmonitor-{year}.csv", csv_bytes(frame), len(frame)
