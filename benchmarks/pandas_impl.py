"""Implementation (c) of the benchmark: the core indicator computation in pandas.

The same work as benchmarks/baseline.sql (the CSV sources: politie, meldingen, brandweer, CBS): read the
landing files, newest delivery per key, address mapping, events per wijk and month, coverage, periods,
noemers, tellers per indicator for wijk, gemeente and region, primary disclosure, value, regional value,
index, z-score and rank. Written the way an analyst would: whole files into DataFrames, vectorised
operations, no row loops. It reads every file into memory, which is exactly what the platform avoids.

Usage: python benchmarks/pandas_impl.py LANDING [--all-gemeenten]; prints a JSON line with timings.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
EVENT_SOURCES = ("politie__misdrijven", "politie__incidenten", "gemeente__meldingen", "brandweer__incidenten")
KWB_COLUMNS = ["a_inw", "a_65_oo", "a_hh", "a_1p_hh", "a_woning", "p_wcorpw", "p_hh_li"]


def _read_many(paths: list[Path], **kwargs: object) -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False, **kwargs).assign(bestand=p.name) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _pc6(series: pd.Series) -> pd.Series:
    return series.str.replace(" ", "", regex=False).str.strip().str.upper()


def load(landing: Path, all_gemeenten: bool) -> dict[str, pd.DataFrame]:
    """Read and clean every CSV source (the staging layer)."""
    kwb = _read_many(sorted((landing / "cbs" / "kerncijfers").glob("kwb-*.csv")), sep=";")
    kwb["jaar"] = kwb.bestand.str.extract(r"kwb-(\d{4})", expand=False).astype(int)
    kwb["gwb_code"] = kwb.gwb_code.str.strip().str.upper()
    for col in KWB_COLUMNS:
        kwb[col] = pd.to_numeric(kwb[col].str.replace(",", ".", regex=False).replace({".": None, "": None}))
    kwb = kwb.sort_values("bestand").drop_duplicates(["jaar", "gwb_code"], keep="last")

    adr = _read_many(sorted((landing / "cbs" / "adressen").glob("pc6hnr-*.csv")), sep=";")
    adressen = pd.DataFrame(
        {
            "pc6": _pc6(adr.PC6),
            "huisnummer": pd.to_numeric(adr.Huisnummer, errors="coerce"),
            "wijkcode": "WK" + adr.Wijk.str.strip(),
            "buurtcode": "BU" + adr.Buurt.str.strip(),
        }
    ).drop_duplicates()
    meerderheid = (
        adressen.groupby(["pc6", "buurtcode", "wijkcode"]).size().rename("n").reset_index()
        .sort_values(["pc6", "n", "buurtcode"], ascending=[True, False, True])
        .drop_duplicates("pc6")[["pc6", "wijkcode"]]
    )  # fmt: skip

    year = kwb.jaar.max()
    geo = kwb[(kwb.jaar == year) & kwb.gwb_code.str[:2].isin(["GM", "WK"])][["gwb_code"]].copy()
    geo.columns = ["gebiedcode"]
    geo["niveau"] = np.where(geo.gebiedcode.str[:2] == "GM", "gemeente", "wijk")
    geo["gemeentecode"] = "GM" + geo.gebiedcode.str[2:6]
    if not all_gemeenten:
        regio = pd.read_csv(SEEDS / "regio_gemeenten.csv", dtype=str)
        geo = geo[geo.gemeentecode.isin(regio.gemeentecode)]

    politie = []
    for bron, folder, kind, value in (
        ("politie__misdrijven", "misdrijven", "SoortMisdrijf", "GeregistreerdeMisdrijven_1"),
        ("politie__incidenten", "incidenten", "SoortIncident", "Incidenten_1"),
    ):
        raw = _read_many(sorted((landing / "politie" / folder).glob(f"{folder}-*.csv")), sep=";")
        frame = pd.DataFrame(
            {
                "bron": bron,
                "bestand": raw.bestand,
                "categorie": raw[kind].str.strip(),
                "wijkcode": raw.WijkenEnBuurten.str.strip().str.upper(),
                "maand": pd.to_datetime(raw.Perioden.str.strip().str.replace("MM", "-", regex=False) + "-01"),
                "aantal": pd.to_numeric(raw[value].str.strip(), errors="coerce"),
            }
        )
        frame = frame[frame.wijkcode.str.startswith("WK")]
        newest = frame.groupby(["maand", "wijkcode"]).bestand.transform("max")
        politie.append(frame[frame.bestand == newest].drop(columns="bestand"))

    paths = sorted((landing / "gemeente" / "meldingen").glob("meldingen-*.csv"))
    mel = _read_many(paths, sep=";", encoding="cp1252")
    names = mel.bestand.str.extract(r"meldingen-[Gg][Mm](\d{4})-(\d{6})\.csv", expand=True)
    meldingen = pd.DataFrame(
        {
            "gemeentecode": "GM" + names[0],
            "bestand_maand": pd.to_datetime(names[1], format="%Y%m"),
            "maand": pd.to_datetime(mel.DatumMelding.str.strip(), format="%d-%m-%Y %H:%M").dt.to_period("M")
            .dt.to_timestamp(),
            "categorie": mel.Categorie.str.strip(),
            "pc6": _pc6(mel.Postcode),
            "huisnummer": pd.to_numeric(mel.Huisnummer.str.strip(), errors="coerce"),
        }
    )  # fmt: skip
    meldingen = _map(meldingen, adressen, meerderheid)

    brw = _read_many(sorted((landing / "brandweer" / "incidenten").glob("*.csv")), sep=",", encoding="utf-8-sig")
    brw = brw.sort_values("bestand").drop_duplicates("incident_id", keep="last")
    brw = brw[brw.ter_plaatse.str.strip().str.lower() == "ja"]
    brandweer = pd.DataFrame(
        {
            "maand": pd.to_datetime(brw.melding_tijd.str.strip()).dt.to_period("M").dt.to_timestamp(),
            "categorie": brw.incidentsoort.str.strip(),
            "pc6": _pc6(brw.pc6),
            "huisnummer": pd.to_numeric(brw.huisnummer.str.strip(), errors="coerce"),
        }
    )
    brandweer = _map(brandweer, adressen, meerderheid)
    return {"kwb": kwb, "geo": geo, "politie": pd.concat(politie), "meldingen": meldingen, "brandweer": brandweer}


def _map(events: pd.DataFrame, adressen: pd.DataFrame, meerderheid: pd.DataFrame) -> pd.DataFrame:
    """Wijk by PC6 + huisnummer, else the majority wijk of the PC6."""
    exact = events.merge(adressen[["pc6", "huisnummer", "wijkcode"]], on=["pc6", "huisnummer"], how="left")
    fallback = exact.merge(meerderheid, on="pc6", how="left", suffixes=("", "_pc6"))
    fallback["wijkcode"] = fallback.wijkcode.fillna(fallback.wijkcode_pc6)
    return fallback.drop(columns=["wijkcode_pc6"])


def periods(dekking: pd.DataFrame) -> pd.DataFrame:
    """Complete years and the rolling 12 months (and the same window a year earlier)."""
    per_bron = dekking.groupby("bron").maand.agg(["min", "max"])
    first, last = per_bron["min"].min(), per_bron["max"].min()
    rows = [
        (str(y), "jaar", pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 1), y)
        for y in sorted(dekking.maand.dt.year.unique())
        if y < last.year or (y == last.year and last.month == 12)
    ]
    for end in (last, last - pd.DateOffset(months=12)):
        begin = end - pd.DateOffset(months=11)
        if begin >= first:
            rows.append((f"{begin:%Y-%m}/{end:%Y-%m}", "12mnd", begin, end, end.year))
    return pd.DataFrame(rows, columns=["periode", "periode_type", "begin_maand", "eind_maand", "peiljaar"])


def compute(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The indicator values (the mart's fct_indicator_waarde, for the CSV sources)."""
    geo, kwb = data["geo"], data["kwb"]
    wijken = geo[geo.niveau == "wijk"]
    catalogus = pd.read_csv(SEEDS / "indicator_catalogus.csv", dtype=str)
    categorieen = pd.read_csv(SEEDS / "indicator_categorieen.csv", dtype=str)
    categorieen = categorieen[categorieen.teller_bron.isin(EVENT_SOURCES) & (categorieen.rol == "teller")]
    categorieen = categorieen[categorieen.indicator_code != "B02"]

    pol = data["politie"]
    events = pd.concat(
        [
            pol.groupby(["bron", "categorie", "wijkcode", "maand"], as_index=False).agg(
                aantal=("aantal", "sum"), achtergehouden=("aantal", lambda s: bool(s.isna().any()))
            ),
            data["meldingen"].dropna(subset=["wijkcode"]).groupby(["categorie", "wijkcode", "maand"]).size()
            .rename("aantal").reset_index().assign(bron="gemeente__meldingen", achtergehouden=False),
            data["brandweer"].dropna(subset=["wijkcode"]).groupby(["categorie", "wijkcode", "maand"]).size()
            .rename("aantal").reset_index().assign(bron="brandweer__incidenten", achtergehouden=False),
        ],
        ignore_index=True,
    )  # fmt: skip
    mel_months = data["meldingen"][["gemeentecode", "bestand_maand"]].drop_duplicates()
    dekking = pd.concat(
        [
            pol[["bron", "wijkcode", "maand"]].drop_duplicates(),
            mel_months.merge(wijken, on="gemeentecode")[["gebiedcode", "bestand_maand"]]
            .set_axis(["wijkcode", "maand"], axis=1).assign(bron="gemeente__meldingen"),
            wijken[["gebiedcode"]].merge(data["brandweer"][["maand"]].drop_duplicates(), how="cross")
            .set_axis(["wijkcode", "maand"], axis=1).assign(bron="brandweer__incidenten"),
        ],
        ignore_index=True,
    )  # fmt: skip
    per = periods(dekking)

    def in_period(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.merge(per, how="cross")
        return out[(out.maand >= out.begin_maand) & (out.maand <= out.eind_maand)]

    keys = ["periode", "periode_type"]
    maanden = in_period(dekking).groupby(["bron", "wijkcode", *keys]).maand.nunique().rename("maanden").reset_index()
    matched = pd.concat(
        [
            events.merge(categorieen[categorieen.categorie == "*"][["indicator_code", "teller_bron"]],
                         left_on="bron", right_on="teller_bron"),
            events.merge(categorieen[["indicator_code", "teller_bron", "categorie"]],
                         left_on=["bron", "categorie"], right_on=["teller_bron", "categorie"]),
        ]
    )  # fmt: skip
    tellingen = (
        in_period(matched).groupby(["indicator_code", *keys, "wijkcode"])
        .agg(teller=("aantal", "sum"), achtergehouden=("achtergehouden", "max")).reset_index()
    )  # fmt: skip
    grid = (
        categorieen[["indicator_code", "teller_bron"]].drop_duplicates()
        .merge(per[keys], how="cross").merge(wijken.rename(columns={"gebiedcode": "wijkcode"}), how="cross")
        .merge(maanden, left_on=["teller_bron", "wijkcode", *keys], right_on=["bron", "wijkcode", *keys], how="left")
        .merge(tellingen, on=["indicator_code", *keys, "wijkcode"], how="left")
    )  # fmt: skip
    complete = grid.maanden.fillna(0) >= 12
    withheld = grid.achtergehouden.fillna(False).astype(bool)
    grid["bron_status"] = np.where(~complete, "geen_data", np.where(withheld, "niet_geleverd", None))
    grid["teller"] = np.where(complete & ~withheld, grid.teller.fillna(0), np.nan)
    wijk = grid.rename(columns={"wijkcode": "gebiedcode"})[["indicator_code", *keys, "gebiedcode", "gemeentecode",
                                                             "bron_status", "teller"]]  # fmt: skip
    gem = wijk.groupby(["indicator_code", *keys, "gemeentecode"]).agg(
        n=("teller", "size"),
        known=("teller", "count"),
        som=("teller", "sum"),
        withheld=("bron_status", lambda s: bool((s == "niet_geleverd").any())),
    )
    gem = gem.reset_index().rename(columns={"gemeentecode": "gebiedcode"})
    gem["teller"] = np.where(gem.n == gem.known, gem.som, np.nan)
    gem["bron_status"] = np.where(gem.n == gem.known, None, np.where(gem.withheld, "niet_geleverd", "geen_data"))

    # Noemers: the kerncijfers of the period's year, else the newest year before it, else the oldest.
    years = np.sort(kwb.jaar.unique())
    per["kwb_jaar"] = [
        p if p in years else (years[years < p].max() if (years < p).any() else years.min()) for p in per.peiljaar
    ]
    lang = kwb.melt(id_vars=["jaar", "gwb_code"], value_vars=KWB_COLUMNS, var_name="kolom", value_name="waarde")
    noemers = per[[*keys, "kwb_jaar"]].merge(lang, left_on="kwb_jaar", right_on="jaar")
    noemers = noemers.merge(geo[["gebiedcode"]], left_on="gwb_code", right_on="gebiedcode")[
        [*keys, "gebiedcode", "kolom", "waarde"]
    ]
    cbs_cat = catalogus[catalogus.teller_bron == "cbs__kerncijfers"]
    cbs = cbs_cat.merge(noemers, left_on="teller_kolom", right_on="kolom").merge(
        noemers, left_on=["noemer_kolom", *keys, "gebiedcode"], right_on=["kolom", *keys, "gebiedcode"],
        how="left", suffixes=("", "_n"),
    )  # fmt: skip
    cbs["bron_status"] = np.where(cbs.waarde.isna(), "niet_geleverd", None)
    cbs["teller"] = np.where(cbs.teller_is_percentage == "true", (cbs.waarde * cbs.waarde_n / 100).round(), cbs.waarde)
    tellers = pd.concat(
        [wijk, gem, cbs[["indicator_code", *keys, "gebiedcode", "bron_status", "teller"]]], ignore_index=True
    )

    cat = catalogus[catalogus.indicator_code.isin(tellers.indicator_code.unique())].copy()
    for col in ("schaal", "minimum_noemer"):
        cat[col] = cat[col].astype(float)
    cat["polariteit"] = cat.polariteit.astype(int)
    lok = cat.merge(per[keys], how="cross").merge(geo, how="cross")
    lok = lok.merge(tellers.drop(columns="gemeentecode", errors="ignore"), on=["indicator_code", *keys, "gebiedcode"],
                    how="left", indicator="heeft_teller")  # fmt: skip
    lok = lok.merge(
        noemers.rename(columns={"kolom": "noemer_kolom", "waarde": "noemer"}),
        on=["noemer_kolom", *keys, "gebiedcode"], how="left", indicator="heeft_noemer",
    )  # fmt: skip
    lok["bron_status"] = np.select(
        [
            lok.heeft_teller == "left_only",
            lok.bron_status.notna(),
            lok.noemer_kolom.notna() & (lok.heeft_noemer == "left_only"),
            lok.noemer_kolom.notna() & lok.noemer.isna(),
        ],
        ["geen_data", lok.bron_status, "geen_data", "niet_geleverd"],
        default=None,
    )
    ok_wijk = (lok.niveau == "wijk") & lok.bron_status.isna()
    regio = (
        lok[ok_wijk]
        .groupby(["indicator_code", *keys])
        .agg(t=("teller", "sum"), n=("noemer", "sum"), s=("schaal", "first"))
    )
    regio["regio_waarde"] = regio.t / regio.n.replace(0, np.nan) * regio.s
    lok = lok.merge(regio[["regio_waarde"]].reset_index(), on=["indicator_code", *keys], how="left")
    gevoelig = lok.privacy_klasse == "gevoelig"
    onthullend = np.where(gevoelig, lok.teller.between(0, 9), lok.teller.between(1, 4))
    lok["status"] = np.select(
        [lok.bron_status.notna(), lok.noemer.notna() & (lok.noemer < lok.minimum_noemer), onthullend],
        [lok.bron_status, "te_kleine_noemer", "onderdrukt"],
        default="ok",
    )
    exact = np.where(lok.noemer.isna(), lok.teller, lok.teller / lok.noemer.replace(0, np.nan) * lok.schaal)
    lok["waarde_exact"] = np.where(lok.status == "ok", exact, np.nan)
    is_wijk = (lok.niveau == "wijk") & lok.waarde_exact.notna()
    stats = lok[is_wijk].groupby(["indicator_code", *keys]).waarde_exact.agg(["mean", "std"]).reset_index()
    lok = lok.merge(stats, on=["indicator_code", *keys], how="left")
    z = (lok.polariteit * (lok.waarde_exact - lok["mean"]) / lok["std"]).round(2)
    lok["z_score"] = np.where((lok.niveau == "wijk") & (lok["std"] > 0), z, np.nan)
    lok["rang_in_regio"] = (
        (lok.waarde_exact * lok.polariteit).where(is_wijk).groupby([lok.indicator_code, lok.periode, lok.periode_type])
        .rank(method="min", ascending=False)
    )  # fmt: skip
    lok["index_regio"] = np.where(lok.regio_waarde > 0, (100 * lok.waarde_exact / lok.regio_waarde).round(1), np.nan)
    lok["teller_afgerond"] = np.where(lok.status == "ok", (lok.teller / 5).round() * 5, np.nan)
    lok["waarde"] = lok.waarde_exact.round(1)
    lok["regio_waarde"] = lok.regio_waarde.round(1)
    columns = ["indicator_code", *keys, "gebiedcode", "niveau", "status", "teller_afgerond", "noemer", "waarde",
               "regio_waarde", "index_regio", "z_score", "rang_in_regio"]  # fmt: skip
    return lok[columns]


def run_pandas(landing: Path, *, all_gemeenten: bool) -> dict[str, object]:
    started = time.perf_counter()
    data = load(landing, all_gemeenten)
    loaded = time.perf_counter()
    result = compute(data)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "load_seconds": loaded - started,
        "compute_seconds": done - loaded,
        "result_rows": len(result),
        "input_rows": int(sum(len(frame) for frame in data.values())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--all-gemeenten", action="store_true", help="report on every gemeente, not the region")
    parser.add_argument("--dump", type=Path, help="also write the result as CSV (to compare with (b))")
    args = parser.parse_args()
    if args.dump:
        result = compute(load(args.landing, args.all_gemeenten))
        result.to_csv(args.dump, index=False)
    print(json.dumps(run_pandas(args.landing, all_gemeenten=args.all_gemeenten)))


if __name__ == "__main__":
    main()
