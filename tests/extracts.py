"""Small hand-made partner extracts, written exactly by the contracts, with hand-computable numbers.

Two gemeenten of the region: Oosterhout (GM0826) with wijken WK082601 (6,000 inhabitants), WK082602
(3,700) and WK082603 (300: below every minimum_noemer on inhabitants), and Baarle-Nassau (GM0744) with
WK074401 (1,200) and WK074402 (800). Monthly politie data for 2023-2024, meldingen for Oosterhout only
(Baarle-Nassau sends none). The numbers per month are in the tables below; tests recompute the expected
published values from them by hand.
"""

from __future__ import annotations

from pathlib import Path

MONTHS = [(y, m) for y in (2023, 2024) for m in range(1, 13)]

KWB_HEADER = (
    "gwb_code;regio;gm_naam;recs;a_inw;a_00_14;a_15_24;a_25_44;a_45_64;a_65_oo;a_hh;a_1p_hh;a_woning;"
    "p_koopw;p_huurw;p_wcorpw;p_hh_li;ind_wbi"
)
# code, name, gemeente, level, inhabitants, 65+, households, one-person hh, dwellings, % corporatie, % low income
AREAS = [
    ("GM0826", "Oosterhout", "Oosterhout", "Gemeente", 10000, 1800, 4000, 1400, 5000, "30,0", "10,0"),
    ("WK082601  ", "Wijk 01 Centrum", "Oosterhout", "Wijk", 6000, 1000, 2500, 1000, 3000, "40,0", "12,0"),
    ("WK082602", "Wijk 02 Noord", "Oosterhout", "Wijk", 3700, 700, 1400, 350, 1900, "20,0", "8,0"),
    ("WK082603", "Wijk 03 Bedrijventerrein", "Oosterhout", "Wijk", 300, 100, 100, 50, 100, "0,0", "."),
    ("BU08260101", "Centrum-Oost", "Oosterhout", "Buurt", 6000, 1000, 2500, 1000, 3000, "40,0", "12,0"),
    ("GM0744", "Baarle-Nassau", "Baarle-Nassau", "Gemeente", 2000, 500, 800, 200, 900, "10,0", "5,0"),
    ("WK074401", "Baarle-Nassau", "Baarle-Nassau", "Wijk", 1200, 300, 500, 120, 500, "12,0", "6,0"),
    ("WK074402", "Ulicoten", "Baarle-Nassau", "Wijk", 800, 200, 300, 80, 400, "5,0", "4,0"),
    # outside the region (CBS files are national): ignored downstream
    ("GM0363", "Amsterdam", "Amsterdam", "Gemeente", 900000, 100000, 500000, 250000, 450000, "40,0", "20,0"),
]

WIJKEN = ["WK082601", "WK082602", "WK082603", "WK074401", "WK074402"]

# Registered crimes per month (both years unless noted). 0.0.0 is the delivered total of ALL kinds, which
# is more than the listed kinds: it must be used as is, never summed.
MISDRIJVEN = {
    "0.0.0": {"WK082601": 10, "WK082602": 4, "WK082603": 1, "WK074401": 2, "WK074402": 1},
    "1.1.1": {"WK082601": 1, "WK082602": 0, "WK082603": 0, "WK074401": 2, "WK074402": 1},
    "1.4.5": {"WK082601": 1, "WK082602": 1, "WK082603": 0, "WK074401": 0, "WK074402": 0},
    "2.2.1": {"WK082601": 2, "WK082602": 0, "WK082603": 0, "WK074401": 1, "WK074402": 0},
}
# WK082602 has woninginbraken only in three months of 2024 (a teller of 3: suppressed);
# WK074402 has vernielingen in three months of 2024 (teller 3, the only hidden wijk of Baarle-Nassau:
# complementary suppression of WK074401); WK082601's 1.4.5 of May 2024 is withheld (empty).
EXTRA_2024 = {("1.1.1", "WK082602"): {3, 6, 9}, ("2.2.1", "WK074402"): {2, 5, 8}}
WITHHELD = {("1.4.5", "WK082601", 2024, 5)}

INCIDENTEN = {
    "Overlast jeugd": {"WK082601": 3, "WK082602": 1, "WK082603": 0, "WK074401": 1, "WK074402": 0},
    "Overlast verward persoon": {"WK082601": 0, "WK082602": 0, "WK082603": 0, "WK074401": 1, "WK074402": 0},
}

# Meldingen per month in Oosterhout: (pc6 as delivered, huisnummer, category, count per month 2023, 2024)
MELDINGEN = [
    ("4901 aa", "3", "Afval", 10, 10),  # WK082601 (postcode with space and lower case)
    ("4901AA", "5a", "Straatmeubilair", 5, 5),  # WK082601, huisnummer with addition
    ("4901AA", "7", "Groen", 5, 5),  # WK082601
    ("4902BB", "2", "Afval", 8, 2),  # WK082602: sharp drop in 2024
    ("4902BB", "", "Afval", 0, 1),  # WK082602 by the PC6 majority (no huisnummer)
    ("9999ZZ", "1", "Overig", 1, 1),  # unknown postcode: unmapped, counted, never in a wijk
]
PII_MARKER = "PII-MARKER-E2E-7731"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def kerncijfers(landing: Path, year: int = 2024) -> Path:
    rows = [KWB_HEADER]
    for code, naam, gm, recs, inw, a65, hh, hh1, won, corp, li in AREAS:
        rest = inw - a65
        rows.append(
            f"{code};{naam};{gm};{recs};{inw};{rest // 4};{rest // 4};{rest // 4};"
            f"{rest - 3 * (rest // 4)};{a65};{hh};{hh1};{won};50,0;50,0;{corp};{li};1"
        )
    return write(landing / "cbs" / "kerncijfers" / f"kwb-{year}.csv", "\n".join(rows) + "\n")


def adressen(landing: Path) -> Path:
    rows = ["PC6;Huisnummer;Buurt;Wijk;Gemeente"]
    rows += [f"4901AA;{n};08260101;082601;0826" for n in range(1, 11)]
    rows += [f"4902 BB;{n};08260201;082602;0826" for n in range(1, 9)]
    rows += [f"4902BB;{n};08260301;082603;0826" for n in range(9, 11)]  # minority of this PC6
    rows += [f"5111AB;{n};07440101;074401;0744" for n in range(1, 6)]
    return write(landing / "cbs" / "adressen" / "pc6hnr-2024.csv", "\n".join(rows) + "\n")


def _statline(landing: Path, dataset: str, header: str, table: dict, extra=None, withheld=()) -> Path:
    rows = [header]
    ident = 0
    for year, month in MONTHS:
        for soort, per_wijk in table.items():
            for wijk, count in per_wijk.items():
                value = count
                if extra and year == 2024 and month in extra.get((soort, wijk), ()):
                    value += 1
                cell = "" if (soort, wijk, year, month) in withheld else str(value)
                ident += 1
                rows.append(f"{ident};{soort:<8};{wijk}  ;{year}MM{month:02d};{cell}")
    return write(landing / "politie" / dataset / f"{dataset}-202412.csv", "\n".join(rows) + "\n")


def misdrijven(landing: Path) -> Path:
    header = "ID;SoortMisdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1"
    return _statline(landing, "misdrijven", header, MISDRIJVEN, EXTRA_2024, WITHHELD)


def incidenten(landing: Path) -> Path:
    header = "ID;SoortIncident;WijkenEnBuurten;Perioden;Incidenten_1"
    return _statline(landing, "incidenten", header, INCIDENTEN)


def meldingen(landing: Path) -> list[Path]:
    header = (
        "MeldingNr;DatumMelding;Categorie;Subcategorie;Omschrijving;Straat;Huisnummer;Postcode;Status;DatumAfgehandeld"
    )
    paths = []
    for year, month in MONTHS:
        rows = [header]
        n = 0
        for pc6, nr, categorie, per_2023, per_2024 in MELDINGEN:
            for _ in range(per_2023 if year == 2023 else per_2024):
                n += 1
                text = f'"Bewoner meldt: ’kapot’ – {PII_MARKER}; bel 06-12345678"'
                rows.append(
                    f"M{year}{month:02d}{n:04d};{n % 28 + 1:02d}-{month:02d}-{year} 10:{n % 60:02d};"
                    f"{categorie};sub;{text};Dorpsstraat;{nr};{pc6};Afgehandeld;"
                )
        name = f"meldingen-GM0826-{year}{month:02d}.csv"
        paths.append(write(landing / "gemeente" / "meldingen" / name, "\r\n".join(rows) + "\r\n", "cp1252"))
    return paths


def all_extracts(landing: Path) -> None:
    kerncijfers(landing)
    adressen(landing)
    misdrijven(landing)
    incidenten(landing)
    meldingen(landing)
