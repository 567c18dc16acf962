"""The demo generator: deterministic, never overwrites, contract formats, and the planted stories."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from wijkbeeld.demo import (
    DOMMELBERGEN,
    PII_MARKER,
    RISING_CRIME,
    generate,
)

# One short window for the byte-level tests; the full default run for content and stories.
SHORT = {"start": "2024-06", "end": "2024-06"}

NAME_PATTERNS = {
    "cbs/kerncijfers": r"kwb-\d{4}\.csv",
    "cbs/adressen": r"pc6hnr-\d{4}\.csv",
    "politie/misdrijven": r"misdrijven-\d{6}\.csv",
    "politie/incidenten": r"incidenten-\d{6}\.csv",
    "gemeente/meldingen": r"meldingen-GM\d{4}-\d{6}\.csv",
    "brandweer/incidenten": r"brandweer-incidenten-\d{6}\.csv",
    "ggd/gezondheidsmonitor": r"gezondheidsmonitor-\d{4}\.xlsx",
    "gemeente/handhaving": r"handhaving-GM\d{4}-\d{4}\.xlsx",
    "gemeente/veiligheidsmonitor": r"veiligheidsmonitor-\d{4}\.csv",
    "corporatie/signalen": r"corporatie-[a-z-]+-\d{4}Q[1-4]\.xlsx",
}
SMALL_WIJKEN = ("WK074403", "WK077701", "WK078513", "WK082608", "WK082609", "WK085534", "WK167408")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "landing"
    summary = generate(path)
    assert summary.files_skipped == 0
    assert summary.files_written == sum(summary.files_per_dataset.values())
    return path


@pytest.fixture(scope="module")
def short_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = {}
    for label, seed in (("a", 2024), ("b", 2024), ("other", 7)):
        runs[label] = tmp_path_factory.mktemp(f"short-{label}")
        generate(runs[label], seed=seed, **SHORT)
    return runs


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".complete")
    }


def _read(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=encoding)


def _kwb(landing: Path, year: int = 2024) -> pd.DataFrame:
    frame = _read(landing / "cbs" / "kerncijfers" / f"kwb-{year}.csv")
    return frame.assign(code=frame.gwb_code.str.strip()).set_index("code")


def _politie(landing: Path, dataset: str, kind_col: str, value_col: str) -> pd.DataFrame:
    """All months, newest delivery of each (kind, area, period) winning, as ingest will do."""
    frames = [_read(p) for p in sorted((landing / "politie" / dataset).glob("*.csv"))]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.assign(
        soort=frame[kind_col].str.strip(),
        gebied=frame.WijkenEnBuurten.str.strip(),
        jaar=frame.Perioden.str[:4],
        n=pd.to_numeric(frame[value_col]),
    )
    return frame.drop_duplicates(["soort", "gebied", "Perioden"], keep="last")


def test_same_seed_gives_identical_bytes_and_other_seed_differs(short_runs: dict[str, Path]) -> None:
    a, b, other = (_hashes(short_runs[k]) for k in ("a", "b", "other"))
    assert a == b
    assert a.keys() == other.keys()
    assert all(a[name] != other[name] for name in a)


def test_never_overwrites_an_existing_file(short_runs: dict[str, Path]) -> None:
    root = short_runs["a"]
    partner_file = root / "cbs" / "kerncijfers" / "kwb-2024.csv"
    partner_file.write_bytes(b"a partner's own file\n")
    before = _hashes(root)
    summary = generate(root, **SHORT)
    assert summary.files_written == 0
    assert summary.files_skipped == len(before)
    assert _hashes(root) == before


def test_rejects_unknown_scale_and_bad_months(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="planet")
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate(tmp_path, start="2024-13")
    with pytest.raises(ValueError, match="start <= end"):
        generate(tmp_path, start="2025-01", end="2024-12")
    assert not any(tmp_path.iterdir())


def test_file_names_match_the_contract_patterns(landing: Path) -> None:
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.endswith(".complete")]
    markers = {p.name for p in landing.rglob("*.complete")}
    assert markers == {f"{p.name}.complete" for p in files}, "every demo file is marked complete for ingest"
    for path in files:
        dataset = path.parent.relative_to(landing).as_posix()
        assert re.fullmatch(NAME_PATTERNS[dataset], path.name), path
    names = {p.name for p in files}
    assert {"kwb-2022.csv", "kwb-2023.csv", "kwb-2024.csv", "pc6hnr-2024.csv"} <= names
    assert {f"misdrijven-2025{m:02d}.csv" for m in range(1, 13)} <= names
    assert len([n for n in names if n.startswith("meldingen-GM0826-")]) == 48
    assert {f"gezondheidsmonitor-{y}.xlsx" for y in range(2022, 2026)} <= names
    assert "corporatie-woonstichting-noord-2024Q3.xlsx" in names
    assert set(NAME_PATTERNS) == {p.parent.relative_to(landing).as_posix() for p in files}


def test_kerncijfers_follow_the_cbs_layout(landing: Path) -> None:
    kwb = _kwb(landing)
    assert "ind_wbi" in kwb.columns  # an extra column ingest must ignore
    assert "GM0363" in kwb.index  # a gemeente outside the region
    assert (kwb.gwb_code != kwb.index).any()  # trailing spaces on codes
    assert (kwb.p_hh_li == ".").any()
    assert kwb.p_koopw.str.fullmatch(r"\d+,\d|\.").all()
    ages = kwb[["a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo"]].astype(int).sum(axis=1)
    assert (ages == kwb.a_inw.astype(int)).all()
    buurten = kwb[kwb.recs == "Buurt"].index.drop("BU03630000")
    assert buurten.str.fullmatch(r"BU\d{8}").all()
    assert (buurten.str[2:8].map(lambda w: f"WK{w}").isin(kwb.index)).all()


def test_population_magnitudes(landing: Path) -> None:
    gemeenten = _kwb(landing).query("recs == 'Gemeente'").a_inw.astype(int).drop("GM0363")
    assert len(gemeenten) == 24
    assert 1_000_000 < gemeenten.sum() < 1_250_000
    for city in ("GM0855", "GM0758"):
        assert 3 <= gemeenten[city] / gemeenten["GM0826"] <= 5
    # earlier years drift slightly, on the same geography
    older = _kwb(landing, 2022)
    assert list(older.index) == list(_kwb(landing).index)
    assert abs(int(older.loc["GM0826", "a_inw"]) / gemeenten["GM0826"] - 1) < 0.05


def test_small_wijken_trigger_the_minimum_denominators(landing: Path) -> None:
    kwb = _kwb(landing)
    for code in SMALL_WIJKEN:
        assert 100 <= int(kwb.loc[code].a_inw) < 500, code
        assert int(kwb.loc[code].a_woning) < 200, code


def test_adressen_map_dwellings_with_split_postcodes(landing: Path) -> None:
    adressen = _read(landing / "cbs" / "adressen" / "pc6hnr-2024.csv")
    assert (adressen.PC6.str.contains(" ")).any() and (adressen.PC6.str.contains("[a-z]")).any()
    pc6 = adressen.PC6.str.replace(" ", "").str.upper()
    assert pc6.str.fullmatch(r"\d{4}[A-Z]{2}").all()
    assert not adressen.assign(pc6=pc6).duplicated(["pc6", "Huisnummer"]).any()
    buurten_per_pc6 = adressen.assign(pc6=pc6).groupby("pc6").Buurt.nunique()
    assert 0 < (buurten_per_pc6 > 1).mean() < 0.1
    dwellings = _kwb(landing).query("recs == 'Wijk'").a_woning.astype(int).drop("WK036300")
    per_wijk = adressen.groupby("Wijk").size()
    assert (per_wijk.rename(lambda w: f"WK{w}") == dwellings).all()


def test_politie_totals_and_quirks(landing: Path) -> None:
    raw = _read(landing / "politie" / "misdrijven" / "misdrijven-202406.csv")
    assert set(raw.Perioden) == {"2024MM05", "2024MM06"}  # a revision of the previous month
    assert raw.SoortMisdrijf.str.endswith(" ").all() and raw.WijkenEnBuurten.str.endswith(" ").any()
    crimes = _politie(landing, "misdrijven", "SoortMisdrijf", "GeregistreerdeMisdrijven_1")
    assert crimes.n.isna().sum() > 0  # withheld counts
    month = crimes[crimes.Perioden == "2024MM07"].pivot(index="gebied", columns="soort", values="n")
    listed = month.drop(columns="0.0.0").sum(axis=1)
    assert (month["0.0.0"] >= listed).all() and (month["0.0.0"] > listed).mean() > 0.5
    wijken = month[month.index.str.startswith("WK")]
    assert month.loc["GM0826", "0.0.0"] == wijken[wijken.index.str.startswith("WK0826")]["0.0.0"].sum()
    incidents = _politie(landing, "incidenten", "SoortIncident", "Incidenten_1")
    totals = incidents[incidents.Perioden == "2024MM07"].pivot(index="gebied", columns="soort", values="n")
    complete = totals.dropna()
    assert (complete["Totaal overlast"] == complete.drop(columns="Totaal overlast").sum(axis=1)).all()


def test_meldingen_are_cp1252_with_free_text_quirks(landing: Path) -> None:
    curly, markers = 0, 0
    for path in sorted((landing / "gemeente" / "meldingen").glob("*.csv")):
        data = path.read_bytes()
        text = data.decode("cp1252")
        if "’" in text:
            curly += 1
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        markers += text.count(PII_MARKER)
        if path.name.startswith("meldingen-GM0826-2024"):
            rows = list(csv.reader(io.StringIO(text), delimiter=";"))
            assert all(len(row) == 10 for row in rows)
            assert any(";" in row[4] for row in rows[1:])
            assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", row[1]) for row in rows[1:])
    assert curly > 100
    assert 0 < markers <= 20


def test_baarle_nassau_sends_no_meldingen(landing: Path) -> None:
    assert not list((landing / "gemeente" / "meldingen").glob("meldingen-GM0744-*.csv"))
    assert list((landing / "gemeente" / "meldingen").glob("meldingen-GM0748-*.csv"))


def test_dommelbergen_story(landing: Path) -> None:
    adressen = _read(landing / "cbs" / "adressen" / "pc6hnr-2024.csv")
    adressen["pc6"] = adressen.PC6.str.replace(" ", "").str.upper()
    dommel_pc6 = set(adressen[adressen.Wijk == DOMMELBERGEN[2:]].pc6)
    frames = [_read(p, "cp1252") for p in (landing / "gemeente" / "meldingen").glob("meldingen-GM0826-*.csv")]
    meldingen = pd.concat(frames, ignore_index=True)
    meldingen = meldingen[meldingen.Postcode.str.replace(" ", "").isin(dommel_pc6)]
    per_year = meldingen.DatumMelding.str[6:10].value_counts()
    assert per_year["2024"] <= 0.75 * per_year["2023"]
    assert per_year["2025"] <= 0.75 * per_year["2023"]

    crimes = _politie(landing, "misdrijven", "SoortMisdrijf", "GeregistreerdeMisdrijven_1")
    dommel = crimes[crimes.gebied == DOMMELBERGEN].groupby(["soort", "jaar"]).n.sum()
    assert dommel["2.2.1", "2024"] > dommel["2.2.1", "2023"]
    assert dommel["0.0.0", "2024"] > 1.15 * dommel["0.0.0", "2023"]
    incidents = _politie(landing, "incidenten", "SoortIncident", "Incidenten_1")
    jeugd = incidents[(incidents.gebied == DOMMELBERGEN) & (incidents.soort == "Overlast jeugd")]
    per_year = jeugd.groupby("jaar").n.sum()
    assert per_year["2024"] > per_year["2023"]


def test_rising_crime_wijk(landing: Path) -> None:
    crimes = _politie(landing, "misdrijven", "SoortMisdrijf", "GeregistreerdeMisdrijven_1")
    totals = crimes[(crimes.gebied == RISING_CRIME) & (crimes.soort == "0.0.0")].groupby("jaar").n.sum()
    assert totals.is_monotonic_increasing
    assert totals["2025"] > 1.6 * totals["2022"]


def _sheet(path: Path, sheet: str) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook[sheet].iter_rows(values_only=True))
    workbook.close()
    return rows


def test_workbooks_have_fixed_properties(landing: Path) -> None:
    workbook = openpyxl.load_workbook(landing / "gemeente" / "handhaving" / "handhaving-GM0826-2024.xlsx")
    assert workbook.properties.created == workbook.properties.modified
    assert workbook.properties.modified.year == 2020
    sheet = workbook["registraties"]
    assert [c.value for c in sheet[1]] == ["Zaaknummer", "Datum", "Feitcategorie", "Afdoening", "Buurtcode",
                                           "Postcode"]  # fmt: skip
    assert sheet["B2"].is_date


def test_brandweer_csv_has_bom_commas_and_redeliveries(landing: Path) -> None:
    folder = landing / "brandweer" / "incidenten"
    data = (folder / "brandweer-incidenten-202406.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfincident_id,melding_tijd,incidentsoort,prioriteit,ter_plaatse,pc6,")
    june = pd.read_csv(folder / "brandweer-incidenten-202406.csv", dtype=str, encoding="utf-8-sig")
    may = pd.read_csv(folder / "brandweer-incidenten-202405.csv", dtype=str, encoding="utf-8-sig")
    assert 0 < june.incident_id.isin(may.incident_id).sum() <= 5
    assert june.melding_tijd.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}").all()
    assert set(june.incidentsoort) == {"Woningbrand", "Buitenbrand", "Brand overig gebouw", "Hulpverlening",
                                       "Loos alarm", "OMS-melding"}  # fmt: skip
    assert set(june.rookmelder.dropna()) <= {"werkend", "niet werkend", "afwezig", "onbekend"}
    assert june[june.incidentsoort != "Woningbrand"].rookmelder.isna().all()
    assert june.huisnummer.isna().any() and june.x_rd.isna().any()


def test_ggd_workbook_has_title_rows_and_mixed_cells(landing: Path) -> None:
    rows = _sheet(landing / "ggd" / "gezondheidsmonitor" / "gezondheidsmonitor-2024.xlsx", "wijken")
    header = next(i for i, row in enumerate(rows) if row[0] == "Gebiedcode")
    assert header == 3
    assert rows[header] == ("Gebiedcode", "Gebiednaam", "Indicator", "Percentage", "Ondergrens", "Bovengrens",
                            "Respondenten")  # fmt: skip
    values = [row[3] for row in rows[header + 1 :]]
    assert any(isinstance(v, float) for v in values)
    assert any(isinstance(v, str) and re.fullmatch(r"\d+,\d", v) for v in values)
    assert "-" in values  # not published: too few respondents


def test_corporaties_share_postcodes(landing: Path) -> None:
    folder = landing / "corporatie" / "signalen"
    files = sorted(folder.glob("corporatie-*-2024Q3.xlsx"))
    assert len(files) == 5
    postcodes = []
    for path in files:
        rows = _sheet(path, "signalen")
        assert rows[0] == ("Postcode", "Verhuureenheden", "Overlastmeldingen", "Woningvervuiling",
                           "Huurachterstand2mnd", "Ontruimingen", "Mutaties")  # fmt: skip
        assert all(isinstance(v, int) and v >= 0 for row in rows[1:] for v in row[1:])
        postcodes.append({str(row[0]).replace(" ", "") for row in rows[1:]})
    assert any(postcodes[i] & postcodes[j] for i in range(len(files)) for j in range(i + 1, len(files)))


def test_dommelbergen_decline_shows_in_boa_and_survey(landing: Path) -> None:
    frames = [pd.read_excel(p) for p in sorted((landing / "gemeente" / "handhaving").glob("*GM0826*.xlsx"))]
    boa = pd.concat(frames, ignore_index=True)
    in_wijk = boa.Buurtcode.astype(str).str.removeprefix("BU").str[:6] == DOMMELBERGEN[2:]
    afval = boa[in_wijk & boa.Feitcategorie.str.startswith("Afval")].Datum.dt.year.value_counts()
    assert afval[2024] > afval[2023]

    def verloedering(year: int) -> float:
        survey = _read(landing / "gemeente" / "veiligheidsmonitor" / f"veiligheidsmonitor-{year}.csv")
        row = survey[(survey.gebiedcode == DOMMELBERGEN) & survey.indicator.str.startswith("Verloedering")]
        return float(row.waarde.iloc[0].replace(",", "."))

    assert verloedering(2024) > verloedering(2023)
