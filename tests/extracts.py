"""Small hand-made partner extracts, written exactly by the contracts, with hand-computable numbers.

Every personal field the contracts name carries a marker (free text, street and case numbers PII_MARKER, house
numbers HOUSE_MARKER after the number, exact locations X_RD/Y_RD) that must never reach the warehouse beyond
mapping, nor a release; the markers change no counted value. :func:`poison_files` adds one file per dataset that
must be refused whole while everything else loads (the integration tier's shared home has both).

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
PII_MARKER = "PII-MARKER-E2E-7731"  # free text, streets, case numbers, postcodes
HOUSE_MARKER = "PII-HNR"  # written after a house number: '3 PII-HNR' still maps by its leading digits
X_RD, Y_RD = "131313.7", "424242.9"  # exact incident locations: must not be stored at all


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
                    f"{categorie};sub;{text};{PII_MARKER}straat;{_house(nr)};{pc6};Afgehandeld;"
                )
        name = f"meldingen-GM0826-{year}{month:02d}.csv"
        paths.append(write(landing / "gemeente" / "meldingen" / name, "\r\n".join(rows) + "\r\n", "cp1252"))
    return paths


def _house(number: str) -> str:
    """A house number as a resident writes it, with the marker after it ('' stays empty: PC6 majority)."""
    return f"{number} {HOUSE_MARKER}" if number else ""


def all_extracts(landing: Path) -> None:
    kerncijfers(landing)
    adressen(landing)
    misdrijven(landing)
    incidenten(landing)
    meldingen(landing)


# ---------------------------------------------------------------- the newer sources
# Addresses: 4901AA -> WK082601, 4902BB -> WK082602 by majority (8 of 10 addresses), 5111AB -> WK074401.
# The expected values in tests/integration/test_mart_*.py are computed by hand from the tables below.

# brandweer: WK082601's monthly Woningbrand (4901AA 1) with its rookmelder per month of 2024; 2023: werkend.
# May 2024 is delivered as 'onbekend' and corrected to 'afwezig' in the June file (same incident_id).
ROOKMELDER_2024 = [
    "werkend",
    "werkend",
    "werkend",
    "werkend",
    "onbekend",
    "werkend",
    "werkend",
    "afwezig",
    "afwezig",
    "niet werkend",
    "niet werkend",
    "onbekend",
]
BRANDWEER_HEADER = "incident_id,melding_tijd,incidentsoort,prioriteit,ter_plaatse,pc6,huisnummer,x_rd,y_rd,rookmelder"


def _brandweer_rows(year: int, month: int) -> list[tuple]:
    """(id, soort, ter_plaatse, pc6, huisnummer, rookmelder) of the incidents of one month."""
    rows = [
        (
            f"W{year}{month:02d}",
            "Woningbrand",
            "ja",
            "4901AA",
            "1",
            ROOKMELDER_2024[month - 1] if year == 2024 else "werkend",
        )
    ]
    rows += [(f"B{year}{month:02d}{i}", "Buitenbrand", "ja", "4901 aa", "", "") for i in (1, 2)]  # PC6 majority
    rows += [(f"N{year}{month:02d}", "Buitenbrand", "nee", "4901AA", "", "")]  # no unit arrived: not counted
    rows += [(f"C{year}{month:02d}", "Buitenbrand", "ja", "4902BB", "3", "")]  # WK082602
    rows += [(f"H{year}{month:02d}", "Hulpverlening", "ja", "4901AA", "2", "")]  # not an indicator
    rows += [(f"U{year}{month:02d}", "Buitenbrand", "ja", "9999ZZ", "1", "")]  # unknown PC6: unmapped
    if month <= 6:
        rows.append((f"D{year}{month:02d}", "Buitenbrand", "ja", "5111AB", "2", ""))  # WK074401
    if (year, month) == (2024, 3):
        rows.append(("W2024031", "Woningbrand", "ja", "4902BB", "3", "onbekend"))  # WK082602, once
    if (year, month) == (2024, 1):
        rows.append(("W2024011", "Woningbrand", "nee", "4901AA", "4", "afwezig"))  # no unit arrived
    return rows


def brandweer(landing: Path) -> list[Path]:
    paths = []
    for year, month in MONTHS:
        rows = _brandweer_rows(year, month)
        lines = [BRANDWEER_HEADER]
        for n, (ident, soort, ter_plaatse, pc6, nr, rookmelder) in enumerate(rows):
            lines.append(
                f"{ident},{year}-{month:02d}-{1 + n % 27:02d}T14:{n:02d}:00,{soort},2,{ter_plaatse},{pc6},{_house(nr)},"
                f"{X_RD},{Y_RD},{rookmelder}"
            )
        if (year, month) == (2024, 6):  # re-delivery of May's Woningbrand (same incident_id), rookmelder corrected
            lines.append("W202405,2024-05-01T14:00:00,Woningbrand,1,ja,4901AA,1,,,afwezig")
        name = f"brandweer-incidenten-{year}{month:02d}.csv"
        paths.append(write(landing / "brandweer" / "incidenten" / name, "\n".join(lines) + "\n", "utf-8-sig"))
    return paths


def xlsx(path: Path, sheet: str, rows: list[list], title_rows: list[list] = ()) -> Path:
    """A workbook with one sheet; datetime cells are written as Excel dates."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in [*title_rows, *rows]:
        ws.append(row)
    wb.save(path)
    return path


# handhaving (Oosterhout only; Baarle-Nassau has no BOA data): (buurtcode as delivered, feitcategorie,
# registrations per month in 2023, in 2024)
HANDHAVING = [
    ("BU08260101", "Afval dumpen", 2, 2),
    ("BU08260101", "Afval naast container", 1, 2),
    ("BU08260101", "Parkeren", 5, 5),  # not an indicator
    ("BU08260101", "Jeugdoverlast", 0, 1),
    ("08260201", "Afval dumpen", 1, 1),  # buurtcode without prefix
]
HANDHAVING_EXTRA_2024 = [
    ("BU08260101", "Alcohol openbare ruimte", 4),
    ("BU08260101", "Alcohol openbare ruimte", 9),
    ("BU08260301", "Afval dumpen", 7),
]


def handhaving(landing: Path) -> list[Path]:
    from datetime import datetime

    paths = []
    for year in (2023, 2024):
        rows = [["Zaaknummer", "Datum", "Feitcategorie", "Afdoening", "Buurtcode", "Postcode"]]
        n = 0
        for month in range(1, 13):
            for buurt, feit, per_2023, per_2024 in HANDHAVING:
                for _ in range(per_2023 if year == 2023 else per_2024):
                    n += 1
                    zaak = f"ZK-{PII_MARKER}-{year}-{n:05d}"
                    rows.append([zaak, datetime(year, month, 10), feit, "Waarschuwing", buurt, PII_MARKER])
        if year == 2024:
            for buurt, feit, month in HANDHAVING_EXTRA_2024:
                n += 1
                zaak = f"ZK-{PII_MARKER}-{year}-{n:05d}"
                rows.append([zaak, datetime(year, month, 20), feit, "Proces-verbaal", buurt, PII_MARKER])
        name = f"handhaving-GM0826-{year}.xlsx"
        paths.append(xlsx(landing / "gemeente" / "handhaving" / name, "registraties", rows))
    return paths


# veiligheidsmonitor: gebiedcode -> (onveilig %, verloedering, cohesie, respondenten) per year
VEILIGHEIDSMONITOR = {
    2023: {
        "GM0826": ("25,0", "4,0", "6,0", 210),
        "WK082601": ("29,0", "3,5", "6,2", 120),
        "WK082602": ("21,0", "5,0", "5,1", 80),
        "WK082603": ("-", "-", "-", 10),
        "GM0744": ("20,0", "3,0", "7,0", 100),
        "WK074401": ("24,0", "3,0", "7,0", 60),
        "WK074402": ("16,0", "3,2", "6,8", 40),
    },
    2024: {
        "GM0826": ("26,0", "4,5", "5,8", 210),
        "WK082601": ("30,0", "4,0", "6,0", 120),
        "WK082602": ("20,0", "5,5", "5,0", 80),
        "WK082603": ("-", "-", "-", 10),
        "GM0744": ("21,0", "3,0", "7,0", 100),
        "WK074401": ("25,0", "3,0", "7,0", 60),
        "WK074402": ("15,0", "3,1", "6,9", 40),
    },
}
VM_LABELS = [
    "Voelt zich wel eens onveilig in eigen buurt (%)",
    "Verloedering (schaalscore 0-10)",
    "Sociale cohesie (schaalscore 0-10)",
]


def veiligheidsmonitor(landing: Path) -> list[Path]:
    paths = []
    for year, per_gebied in VEILIGHEIDSMONITOR.items():
        lines = ["gebiedcode;indicator;waarde;respondenten"]
        for code, (*values, resp) in per_gebied.items():
            for label, value in zip(VM_LABELS, values, strict=True):
                lines.append(f"{code};{label};{value};{resp}")
            lines.append(f"{code};Slachtofferschap traditionele criminaliteit (%);10,0;{resp}")  # not in catalogue
        name = f"veiligheidsmonitor-{year}.csv"
        paths.append(write(landing / "gemeente" / "veiligheidsmonitor" / name, "\n".join(lines) + "\n"))
    return paths


# GGD 2024 only (2023 has no monitor: geen_data). G01 per gebied: (percentage, ondergrens, bovengrens,
# respondenten); G02-G05 are G01 + 5, + 60, + 3, + 40 (bounds likewise).
GGD_G01 = {
    "GM0826": (11.0, 9.5, 12.5, 400),
    "WK082601": (12.5, 10.1, 14.9, 240),
    "WK082602": ("8,5", "6,0", "11,0", 150),
    "WK082603": ("-", None, None, 12),
    "GM0744": (9.0, 6.0, 12.0, 90),
    "WK074401": (10.0, 7.0, 13.0, 60),
    "WK074402": ("-", None, None, 30),
}
GGD_LABELS = {
    "Ernstig eenzaam (%)": 0,
    "Hoog risico op angststoornis of depressie (%)": 5,
    "Ervaren gezondheid (zeer) goed (%)": 60,
    "Moeite met rondkomen (%)": 3,
    "Overgewicht (%)": 40,
}


def _plus(value: object, offset: float) -> object:
    if value is None or value == "-":
        return value
    if isinstance(value, str):
        return f"{float(value.replace(',', '.')) + offset:.1f}".replace(".", ",")
    return value + offset


def ggd(landing: Path) -> Path:
    title = [["Gezondheidsmonitor Volwassenen en Ouderen 2024"], ["Bron: GGD West-Brabant"], []]
    rows = [["Gebiedcode", "Gebiednaam", "Indicator", "Percentage", "Ondergrens", "Bovengrens", "Respondenten"]]
    for code, (pct, low, high, resp) in GGD_G01.items():
        for label, offset in GGD_LABELS.items():
            rows.append([code, code, label, _plus(pct, offset), _plus(low, offset), _plus(high, offset), resp])
    return xlsx(landing / "ggd" / "gezondheidsmonitor" / "gezondheidsmonitor-2024.xlsx", "wijken", rows, title)


# corporatie, per quarter of 2024 (and 2023Q4 only, so 2023 is incomplete: geen_data):
# corporation -> PC6 -> (verhuureenheden, overlast per quarter Q1..Q4, vervuiling, huurachterstand per quarter,
# ontruimingen, mutaties). Huurachterstand is a stock (mean over the quarters), the rest flows (summed). The
# quarters differ, so no two workbooks are byte-identical (ingest knows a file by its SHA-256).
CORPORATIE = {
    "woonstichting-test": {
        "4901AA": (400, (5, 7, 6, 6), 1, (12, 12, 12, 14), 0, 5),  # WK082601
        "4902BB": (120, (1, 1, 1, 1), 0, (10, 10, 10, 10), 0, 2),  # WK082602 (PC6 majority)
        "5111AB": (150, (2, 4, 3, 3), 0, (10, 10, 10, 10), 0, 2),  # WK074401
    },
    "samen-wonen-test": {"4901 AA": (100, (1, 3, 0, 4), 0, (4, 4, 4, 4), 0, 1)},  # the same PC6 as another corporation
}
CORPORATIE_HEADER = [
    "Postcode",
    "Verhuureenheden",
    "Overlastmeldingen",
    "Woningvervuiling",
    "Huurachterstand2mnd",
    "Ontruimingen",
    "Mutaties",
]


def corporatie(landing: Path) -> list[Path]:
    paths = []
    for year, quarter in [(2023, 4), (2024, 1), (2024, 2), (2024, 3), (2024, 4)]:
        for corp, per_pc6 in CORPORATIE.items():
            rows = [CORPORATIE_HEADER]
            for pc6, (vhe, overlast, vervuiling, achterstand, ontruimingen, mutaties) in per_pc6.items():
                rows.append(
                    [
                        pc6,
                        vhe,
                        overlast[quarter - 1],
                        vervuiling,
                        achterstand[quarter - 1],
                        ontruimingen,
                        mutaties + (year == 2023),
                    ]  # 2023Q4 differs from 2024Q4
                )
            name = f"corporatie-{corp}-{year}Q{quarter}.xlsx"
            paths.append(xlsx(landing / "corporatie" / "signalen" / name, "signalen", rows))
    return paths


def all_sources(landing: Path) -> None:
    """Every source of the catalogue: the five of all_extracts and the five newer ones."""
    all_extracts(landing)
    brandweer(landing)
    handhaving(landing)
    veiligheidsmonitor(landing)
    ggd(landing)
    corporatie(landing)
