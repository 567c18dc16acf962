"""Contract-driven ingest: every bad input of the contracts (docs/ingest.md), provenance, privacy, Dagster wiring.

Fixtures in tests/fixtures/ingest/ are small hand-made extracts (one per dataset, 24-40 rows, so one bad
row stays under the 5 % limit). Each test works in its own data home (``home`` from conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.homes import platform, platform_kw, settings
from wijkbeeld.ingest import ensure_warehouse, ingest_dataset, validate_file
from wijkbeeld.ingest.contracts import PROVENANCE_COLUMNS, ContractError, all_contracts, parse_contract
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"
FILES = {
    ("cbs", "kerncijfers"): "kwb-2024.csv",
    ("cbs", "adressen"): "pc6hnr-2024.csv",
    ("politie", "misdrijven"): "misdrijven-202407.csv",
    ("politie", "incidenten"): "incidenten-202407.csv",
    ("gemeente", "meldingen"): "meldingen-GM0826-202407.csv",
}
ENCODING = {("gemeente", "meldingen"): "cp1252"}
MARKER = "PII-MARKER-QX7"  # planted in Omschrijving and Straat of the meldingen fixture
NEXT_YEAR = date.today().year + 1


def fixture_text(partner: str, dataset: str) -> str:
    raw = (FIXTURES / FILES[(partner, dataset)]).read_bytes()
    return raw.decode(ENCODING.get((partner, dataset), "utf-8")).replace("\r\n", "\n")


def encode(partner: str, dataset: str, text: str) -> bytes:
    return text.encode(ENCODING.get((partner, dataset), "utf-8"))


def drop(partner: str, dataset: str, data: bytes | str, name: str | None = None) -> Path:
    """Put a file in the landing folder of ``partner/dataset``."""
    folder = settings().landing / partner / dataset
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or FILES[(partner, dataset)])
    path.write_bytes(encode(partner, dataset, data) if isinstance(data, str) else data)
    return path


def rows(sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings().warehouse_file), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


_GEOGRAPHY: list[Path] = []  # a data home with the CBS geography loaded: ingested once, then copied


def load_geography() -> None:
    """The CBS geography of the fixtures (kwb-2024.csv, pc6hnr-2024.csv) in the current data home, as if ingested
    there: ingested once per session into a data home of its own, then its warehouse and archive are copied."""
    if not _GEOGRAPHY:
        template = Path(tempfile.mkdtemp(prefix="wijkbeeld-geography-")) / "data"
        s = Settings(home=template, settle_seconds=0).ensure()
        for partner, dataset in (("cbs", "kerncijfers"), ("cbs", "adressen")):
            folder = s.landing / partner / dataset
            folder.mkdir(parents=True, exist_ok=True)
            (folder / FILES[(partner, dataset)]).write_bytes(encode(partner, dataset, fixture_text(partner, dataset)))
            report = ingest_dataset(partner, dataset, s, Warehouse.from_settings(s))
            assert report.files_ingested == [FILES[(partner, dataset)]], report
        _GEOGRAPHY.append(template)
    s = settings().ensure()
    shutil.copytree(_GEOGRAPHY[0] / "warehouse", s.warehouse_dir, dirs_exist_ok=True)
    shutil.copytree(_GEOGRAPHY[0] / "archive", s.archive, dirs_exist_ok=True)
    for partner, dataset in (("cbs", "kerncijfers"), ("cbs", "adressen")):
        (s.landing / partner / dataset).mkdir(parents=True, exist_ok=True)  # emptied by the ingest


def reason_json(partner: str, dataset: str, name: str) -> dict:
    path = settings().quarantine / partner / dataset / f"{name}.reason.json"
    assert path.exists(), f"no reason.json for {name}"
    return json.loads(path.read_text(encoding="utf-8"))


def with_line(text: str, line: str) -> str:
    return text.rstrip("\n") + "\n" + line + "\n"


# ---------------------------------------------------------------- contracts and warehouse


def test_contracts_load_and_every_raw_table_is_created_empty(home: Path) -> None:
    contracts = {c.name: c for c in all_contracts()}
    assert {f"{p}/{d}" for p, d in FILES} <= set(contracts)
    con = duckdb.connect(":memory:")
    ensure_warehouse(con, all_contracts())
    ensure_warehouse(con, all_contracts())  # idempotent
    for contract in contracts.values():
        cols = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
            "ORDER BY ordinal_position",
            [contract.raw_table],
        ).fetchall()
        names = [c[0] for c in cols]
        assert names[-5:] == [n for n, _ in PROVENANCE_COLUMNS]
        assert con.execute(f"SELECT count(*) FROM raw.{contract.raw_table}").fetchone() == (0,)
    meldingen = [c[0] for c in con.execute("DESCRIBE raw.raw_gemeente__meldingen").fetchall()]
    assert meldingen[:13] == [
        "melding_nr", "gemeentecode", "bestand_maand", "datum_melding", "maand", "categorie",
        "subcategorie", "status", "datum_afgehandeld", "pc6", "buurtcode", "wijkcode", "koppeling",
    ]  # fmt: skip
    assert not {"omschrijving", "straat", "huisnummer"} & set(meldingen)
    for table in ("leveringen", "afgewezen_rijen", "quarantaine"):
        assert con.execute(f"SELECT count(*) FROM meta.{table}").fetchone() == (0,)


def test_a_contract_with_an_unknown_key_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "x__y.yaml"
    doc = {
        "partner": "x",
        "dataset": "y",
        "description": "d",
        "file": {"format": "csv", "name_pattern": r"^y-(?P<period>\d{4})\.csv$", "name_example": "y-2024.csv",
                 "delimiter": ";", "encoding": "utf-8"},
        "period": {"group": "period", "granularity": "year", "earliest": "2015-01"},
        "columns": [{"target": "a", "source": "A", "type": "integr"}],
    }  # fmt: skip
    with pytest.raises(ContractError, match="type"):
        parse_contract(doc, path)
    doc["columns"] = [{"target": "a", "source": "A", "type": "integer", "minimum": 0}]
    with pytest.raises(ContractError, match="unknown key"):
        parse_contract(doc, path)


# ---------------------------------------------------------------- good files


def test_good_files_of_all_five_datasets_load_with_normalised_values_and_provenance(home: Path) -> None:
    load_geography()
    for partner, dataset in FILES:
        if partner != "cbs":
            drop(partner, dataset, fixture_text(partner, dataset))
            report = ingest_dataset(partner, dataset, *platform())
            assert report.files_ingested == [FILES[(partner, dataset)]], report
            assert report.rows_rejected == 0 and not report.files_quarantined

    kwb = dict(rows("SELECT gwb_code, recs FROM raw.raw_cbs__kerncijfers"))
    assert "NL00" not in kwb  # the national total row is skipped by the contract
    assert kwb["GM0826"] == "Gemeente" and kwb["WK082600"] == "Wijk" and kwb["BU08260601"] == "Buurt"
    assert rows("SELECT jaar, a_inw, p_koopw, p_hh_li FROM raw.raw_cbs__kerncijfers WHERE gwb_code = 'WK082606'") == [
        (2024, 3800, 55.6, None)
    ]  # decimal comma parsed, '.' = suppressed -> NULL
    assert rows("SELECT a_00_14 FROM raw.raw_cbs__kerncijfers WHERE gwb_code = 'BU08260604'") == [(None,)]

    assert rows("SELECT count(*), count(DISTINCT pc6) FROM raw.raw_cbs__adressen") == [(30, 3)]
    assert rows("SELECT buurt, wijk, gemeente FROM raw.raw_cbs__adressen WHERE pc6 = '4901AB' LIMIT 1") == [
        ("BU08260603", "WK082606", "GM0826")
    ]

    mis = rows(
        "SELECT soort_misdrijf, wijken_en_buurten, perioden, maand, geregistreerde_misdrijven, bron_regel "
        "FROM raw.raw_politie__misdrijven ORDER BY bron_regel"
    )
    assert len(mis) == 40
    assert mis[1][:4] == ("0.0.0", "WK082601", "2024MM06", date(2024, 6, 1))  # 'wk082601' normalised
    assert mis[1][5] == 3  # header = line 1
    assert {m[1] for m in mis} == {"WK082600", "WK082601", "WK082602", "WK082603", "BU08260601"}
    assert {m[0] for m in mis} == {"0.0.0", "1.1.1", "1.4.5", "2.2.1"}  # trailing spaces trimmed
    assert [m[4] for m in mis if m[0] == "1.4.5" and m[1] == "WK082602" and m[2] == "2024MM07"] == [None]
    assert rows("SELECT count(*) FROM raw.raw_politie__incidenten WHERE incidenten IS NULL") == [(1,)]
    assert rows("SELECT DISTINCT soort_incident FROM raw.raw_politie__incidenten ORDER BY 1")[0] == ("Overlast jeugd",)

    lev = rows("SELECT levering_id, partner, dataset, bestand_periode, archief_pad FROM meta.leveringen ORDER BY 1")
    assert [r[0] for r in lev] == [1, 2, 3, 4, 5]
    assert [r[3] for r in lev] == ["2024", "2024", "202407", "202407", "202407"]
    for _, partner, dataset, _, archief in lev:
        assert (settings().home / archief).is_file()
        assert not any((settings().landing / partner / dataset).iterdir())
    prov = rows("SELECT DISTINCT bron_bestand, length(bron_sha256), levering_id FROM raw.raw_politie__misdrijven")
    assert prov == [("misdrijven-202407.csv", 64, 3)]


def test_meldingen_are_mapped_to_buurt_by_address_then_pc6_majority_else_unmapped(home: Path) -> None:
    load_geography()
    drop("gemeente", "meldingen", fixture_text("gemeente", "meldingen"))
    report = ingest_dataset("gemeente", "meldingen", *platform())
    assert report.rows_accepted == 30 and report.rows_unmapped == 8
    got = {
        r[0]: r[1:]
        for r in rows(
            "SELECT melding_nr, gemeentecode, bestand_maand, maand, pc6, buurtcode, wijkcode, koppeling, "
            "bron_regel, datum_afgehandeld FROM raw.raw_gemeente__meldingen"
        )
    }
    base = ("GM0826", date(2024, 7, 1), date(2024, 7, 1))
    assert got["M2024-0000"][:7] == (*base, "4901AA", "BU08260601", "WK082606", "adres")
    assert got["M2024-0001"][3:7] == ("4901AA", "BU08260601", "WK082606", "adres")  # '3a' -> 3
    assert got["M2024-0002"][3:7] == ("4901AA", "BU08260601", "WK082606", "pc6_meerderheid")
    assert got["M2024-0003"][3:7] == ("4901AB", "BU08260603", "WK082606", "pc6_meerderheid")
    assert got["M2024-0004"][3:7] == ("4902CD", "BU08260604", "WK082606", "adres")
    assert got["M2024-0005"][3:7] == ("9999ZZ", None, None, "niet_gekoppeld")
    assert got["M2024-0006"][3:7] == (None, None, None, "niet_gekoppeld")
    # M2024-0003 spans lines 5-6 (quoted line break): later rows keep their real line numbers
    assert got["M2024-0003"][7] == 5 and got["M2024-0004"][7] == 7
    assert rows("SELECT rijen_niet_gekoppeld FROM meta.leveringen WHERE dataset = 'meldingen'") == [(8,)]


def test_politie_waits_for_the_cbs_geography_and_meldingen_for_the_addresses(home: Path) -> None:
    drop("politie", "misdrijven", fixture_text("politie", "misdrijven"))
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.waiting_for == ["cbs/kerncijfers"]
    assert report.files_waiting == ["misdrijven-202407.csv"] and not report.files_quarantined
    assert (settings().landing / "politie" / "misdrijven" / "misdrijven-202407.csv").exists()

    drop("cbs", "kerncijfers", fixture_text("cbs", "kerncijfers"))
    ingest_dataset("cbs", "kerncijfers", *platform())
    drop("gemeente", "meldingen", fixture_text("gemeente", "meldingen"))
    assert ingest_dataset("gemeente", "meldingen", *platform()).waiting_for == ["cbs/adressen"]
    assert ingest_dataset("politie", "misdrijven", *platform()).files_ingested == ["misdrijven-202407.csv"]


# ---------------------------------------------------------------- bad files -> quarantine


def _cp1252_kwb() -> bytes:
    text = fixture_text("cbs", "kerncijfers").replace("Dommelbergen 2", "Castelré")
    return text.encode("cp1252")


BAD_FILES = [
    # (partner, dataset, file name, bytes or text, words the reason must contain)
    ("cbs", "kerncijfers", "kwb-2024.csv", b"", ["empty"]),
    ("politie", "misdrijven", None, "ID;SoortMisdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1\n\n",
     ["header", "no data rows"]),
    ("cbs", "adressen", None, lambda: fixture_text("cbs", "adressen").replace(";", ","), ["wrong delimiter", "','"]),
    ("cbs", "kerncijfers", None, lambda: _cp1252_kwb(), ["utf-8", "0xE9", "byte offset", "line 22"]),
    ("gemeente", "meldingen", None, lambda: fixture_text("gemeente", "meldingen").encode("utf-8"),
     ["cp1252", "UTF-8 encoded", "line 2"]),
    ("politie", "incidenten", None, lambda: fixture_text("politie", "incidenten").encode("utf-16"), ["UTF-16"]),
    ("politie", "incidenten", None, b"PK\x03\x04\x14\x00\x06\x00binary workbook", ["Excel workbook"]),
    ("politie", "incidenten", None, lambda: fixture_text("politie", "incidenten").replace(";Incidenten_1", ";Aantal"),
     ["missing required column", "Incidenten_1"]),
    ("politie", "misdrijven", "misdrijven-2024-07.csv", lambda: fixture_text("politie", "misdrijven"),
     ["does not match", "misdrijven-202407.csv"]),
    ("politie", "misdrijven", f"misdrijven-{NEXT_YEAR}07.csv", lambda: fixture_text("politie", "misdrijven"),
     ["future"]),
    ("cbs", "kerncijfers", "kwb-2014.csv", lambda: fixture_text("cbs", "kerncijfers").replace("56000", "55000"),
     ["before 2015-01"]),  # other bytes than kwb-2024.csv: identical bytes count as already ingested
    ("politie", "misdrijven", "misdrijven-202413.csv", lambda: fixture_text("politie", "misdrijven"),
     ["not a valid month"]),
    ("gemeente", "meldingen", "meldingen-GM9999-202407.csv", lambda: fixture_text("gemeente", "meldingen"),
     ["unknown area code GM9999"]),
    ("politie", "misdrijven", None,
     lambda: fixture_text("politie", "misdrijven").replace("2024MM06;", "2024MM06;veel").replace(";veel\n", ";veel1\n"),
     ["too many bad rows", "not an integer"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("partner", "dataset", "name", "content", "words"),
    BAD_FILES,
    ids=[
        "empty", "header-only", "wrong-delimiter", "cp1252-in-utf8", "utf8-in-cp1252", "utf16", "xlsx-renamed",
        "missing-column", "bad-name", "period-future", "period-before-2015", "month-13", "unknown-gemeente",
        "text-in-numeric-majority",
    ],
)  # fmt: skip
def test_bad_file_is_quarantined_with_a_reason_and_nothing_loads(
    home: Path, tmp_path: Path, partner: str, dataset: str, name: str | None, content, words: list[str]
) -> None:
    load_geography()
    data = content() if callable(content) else content
    path = drop(partner, dataset, data, name)
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    verdict = validate_file(copy, f"{partner}/{dataset}", **platform_kw())  # the partner-side check, before ingest
    before = rows(f"SELECT count(*) FROM raw.raw_{partner}__{dataset} UNION ALL SELECT count(*) FROM meta.leveringen")
    report = ingest_dataset(partner, dataset, *platform())

    assert [q.file for q in report.files_quarantined] == [path.name]
    assert not report.files_ingested and not path.exists()
    quarantined = settings().quarantine / partner / dataset / path.name
    assert quarantined.read_bytes() == (data if isinstance(data, bytes) else encode(partner, dataset, data))
    reason = reason_json(partner, dataset, path.name)
    assert set(reason) >= {"dataset", "file", "sha256", "reason", "details", "expected", "how_to_fix"}
    assert reason["dataset"] == f"{partner}/{dataset}" and len(reason["sha256"]) == 64
    text = json.dumps(reason)
    for word in words:
        assert word.lower() in text.lower(), (word, reason)
    assert (
        rows(f"SELECT count(*) FROM raw.raw_{partner}__{dataset} UNION ALL SELECT count(*) FROM meta.leveringen")
        == before
    )
    meta = rows("SELECT bron_bestand, reden, quarantaine_pad FROM meta.quarantaine")
    assert meta == [(path.name, reason["reason"], f"quarantine/{partner}/{dataset}/{path.name}")]
    assert not verdict.accepted and verdict.reasons == [reason["reason"]]


def test_a_bad_file_does_not_stop_a_good_one_next_to_it(home: Path) -> None:
    load_geography()
    drop("politie", "misdrijven", "", "misdrijven-202406.csv")
    drop("politie", "misdrijven", fixture_text("politie", "misdrijven"))
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.files_ingested == ["misdrijven-202407.csv"]
    assert [q.file for q in report.files_quarantined] == ["misdrijven-202406.csv"]
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven") == [(40,)]


# ---------------------------------------------------------------- tolerated quirks


def test_bom_extra_columns_and_header_case_are_tolerated(home: Path, tmp_path: Path) -> None:
    text = fixture_text("cbs", "kerncijfers")
    header, body = text.split("\n", 1)
    header = header.replace("gwb_code", " GWB_Code ").replace("recs", "RECS") + ";ind_wbi"
    body = "\n".join(line + ";123" for line in body.rstrip("\n").split("\n")) + "\n"
    drop("cbs", "kerncijfers", b"\xef\xbb\xbf" + f"{header}\n{body}".encode())
    report = ingest_dataset("cbs", "kerncijfers", *platform())
    assert report.files_ingested == ["kwb-2024.csv"] and report.rows_rejected == 0
    assert rows("SELECT count(*) FROM raw.raw_cbs__kerncijfers") == [(22,)]  # 23 rows, NL00 skipped
    copy = tmp_path / "kwb-2024.csv"
    copy.write_bytes(next((settings().archive / "cbs" / "kerncijfers").iterdir()).read_bytes())
    verdict = validate_file(copy, "cbs/kerncijfers", **platform_kw())
    assert verdict.accepted
    assert any("ind_wbi" in n for n in verdict.notes) and any("byte order mark" in n for n in verdict.notes)
    assert any("already ingested (levering 1)" in n for n in verdict.notes)


# ---------------------------------------------------------------- bad rows in a good file


BAD_ROWS = [
    # (dataset, extra line, source column, reason fragment)
    ("misdrijven", "90;1.1.1;WK082601;2024MM07;veel", "GeregistreerdeMisdrijven_1", "not an integer"),
    ("misdrijven", "90;1.1.1;WK082601;2024MM07;-3", "GeregistreerdeMisdrijven_1", "below the minimum 0"),
    ("misdrijven", "90;1.1.1;WK999999;2024MM07;3", "WijkenEnBuurten", "unknown area code"),
    ("misdrijven", "90;1.1.1;XX12;2024MM07;3", "WijkenEnBuurten", "invalid area code"),
    ("misdrijven", "90;1.1.1;WK082601;2014MM07;3", "Perioden", "period before 2015-01"),
    ("misdrijven", "90;1.1.1;WK082601;2024MM08;3", "Perioden", "after the file's period"),
    ("misdrijven", "90;1.1.1;WK082601;2024JJ00;3", "Perioden", "not a valid date"),
    ("misdrijven", "90;1.1.1;WK082601;2024MM07;3;extra", None, "too many fields"),
    ("incidenten", "90;Overlast jeugd;WK082601;2024MM07", None, "too few fields"),
    ("incidenten", "90;;WK082601;2024MM07;4", "SoortIncident", "missing value"),
]


@pytest.mark.parametrize(("dataset", "line", "column", "reason"), BAD_ROWS)
def test_a_bad_row_is_rejected_with_line_and_reason_and_the_rest_loads(
    home: Path, tmp_path: Path, dataset: str, line: str, column: str | None, reason: str
) -> None:
    load_geography()
    text = fixture_text("politie", dataset)
    n_lines = len(text.rstrip("\n").split("\n"))
    path = drop("politie", dataset, with_line(text, line))
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    verdict = validate_file(copy, **platform_kw())
    report = ingest_dataset("politie", dataset, *platform())
    assert report.files_ingested and report.rows_rejected == 1
    assert report.rows_accepted == n_lines - 1
    bad = rows("SELECT regel, kolom, reden FROM meta.afgewezen_rijen")
    assert len(bad) == 1 and bad[0][0] == n_lines + 1 and bad[0][1] == column, bad
    assert reason in bad[0][2]
    assert rows("SELECT rijen_afgewezen FROM meta.leveringen WHERE dataset = ?", [dataset]) == [(1,)]
    assert verdict.accepted and (verdict.rows_accepted, verdict.rows_rejected) == (n_lines - 1, 1)
    assert [(b.line, b.column, b.reason) for b in verdict.bad_rows] == bad


def test_exact_duplicates_are_kept_once_and_conflicting_keys_are_rejected(home: Path) -> None:
    load_geography()
    text = fixture_text("politie", "misdrijven")
    text = with_line(text, "0;0.0.0;WK082600;2024MM06;0")  # identical to line 2 (normalised)
    text = with_line(text, "1;0.0.0; WK082601;2024MM06;8")  # same key as line 3, other count
    drop("politie", "misdrijven", text)
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.rows_accepted == 39 and report.rows_rejected == 3
    bad = dict(rows("SELECT regel, reden FROM meta.afgewezen_rijen ORDER BY regel"))
    assert bad[42] == "exact duplicate of line 2 (kept once)"
    assert "conflicting duplicate key" in bad[3] and "lines 3, 43" in bad[43]
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven WHERE bron_regel IN (2, 3, 42, 43)") == [(1,)]


# ---------------------------------------------------------------- deliveries


def test_the_same_file_twice_changes_nothing(home: Path) -> None:
    load_geography()
    drop("politie", "incidenten", fixture_text("politie", "incidenten"))
    ingest_dataset("politie", "incidenten", *platform())
    state = rows("SELECT count(*), max(levering_id) FROM raw.raw_politie__incidenten")
    landing = drop("politie", "incidenten", fixture_text("politie", "incidenten"), "incidenten-202407.csv")
    report = ingest_dataset("politie", "incidenten", *platform())
    assert report.files_already_ingested == ["incidenten-202407.csv"] and not report.files_ingested
    assert not landing.exists()
    assert rows("SELECT count(*), max(levering_id) FROM raw.raw_politie__incidenten") == state
    assert rows("SELECT count(*) FROM meta.leveringen WHERE dataset = 'incidenten'") == [(1,)]
    assert len(list((settings().archive / "politie" / "incidenten").iterdir())) == 1


def test_a_redelivery_with_the_same_name_is_a_new_levering(home: Path) -> None:
    load_geography()
    text = fixture_text("politie", "misdrijven")
    drop("politie", "misdrijven", text)
    ingest_dataset("politie", "misdrijven", *platform())
    drop("politie", "misdrijven", text.replace("2024MM06;0\n", "2024MM06;1\n", 1))
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.files_ingested == ["misdrijven-202407.csv"]
    lev = rows("SELECT levering_id, bron_sha256 FROM meta.leveringen WHERE dataset = 'misdrijven' ORDER BY 1")
    assert len(lev) == 2 and lev[0][1] != lev[1][1] and lev[1][0] > lev[0][0]
    assert rows("SELECT count(DISTINCT levering_id) FROM raw.raw_politie__misdrijven") == [(2,)]
    archived = sorted(p.name for p in (settings().archive / "politie" / "misdrijven").iterdir())
    assert archived == sorted(f"{sha[:12]}_misdrijven-202407.csv" for _, sha in lev)


def test_a_crash_between_commit_and_archive_is_healed_on_the_next_run(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wijkbeeld.ingest import landing

    load_geography()
    drop("politie", "misdrijven", fixture_text("politie", "misdrijven"))

    def crash(path: Path, dest: Path) -> None:
        raise OSError("simulated crash after COMMIT")

    monkeypatch.setattr(landing, "archive", crash)
    with pytest.raises(OSError, match="simulated"):
        ingest_dataset("politie", "misdrijven", *platform())
    monkeypatch.undo()
    monkeypatch.setenv("WIJKBEELD_HOME", str(home))
    monkeypatch.setenv("WIJKBEELD_SETTLE_SECONDS", "0")
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven") == [(40,)]  # committed
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.files_already_ingested == ["misdrijven-202407.csv"]
    assert rows("SELECT count(*) FROM raw.raw_politie__misdrijven") == [(40,)]
    assert len(list((settings().archive / "politie" / "misdrijven").iterdir())) == 1


def test_a_file_younger_than_the_settle_time_is_not_read_unless_marked_complete(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_geography()
    monkeypatch.setenv("WIJKBEELD_SETTLE_SECONDS", "3600")
    fresh = drop("politie", "misdrijven", fixture_text("politie", "misdrijven"))
    report = ingest_dataset("politie", "misdrijven", *platform())
    assert report.files_waiting == [fresh.name] and not report.files_ingested and fresh.exists()

    fresh.with_name(fresh.name + ".complete").touch()
    old = drop("politie", "incidenten", fixture_text("politie", "incidenten"))
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert ingest_dataset("politie", "misdrijven", *platform()).files_ingested == [fresh.name]
    assert not fresh.with_name(fresh.name + ".complete").exists()
    assert ingest_dataset("politie", "incidenten", *platform()).files_ingested == [old.name]


# ---------------------------------------------------------------- privacy


def test_personal_data_never_reaches_the_warehouse_or_a_reason_file(home: Path) -> None:
    load_geography()
    text = fixture_text("gemeente", "meldingen")
    drop("gemeente", "meldingen", with_line(text, f"M2024-9999;xx-07-2024;Afval;;{MARKER} tekst;{MARKER};1;;Open;"))
    bad = "\n".join(line.replace("-07-2024", "-13-2024") for line in text.split("\n"))
    drop("gemeente", "meldingen", bad, "meldingen-GM0766-202407.csv")  # every date bad -> quarantined
    report = ingest_dataset("gemeente", "meldingen", *platform())
    assert report.files_ingested == ["meldingen-GM0826-202407.csv"] and report.rows_rejected == 1
    assert [q.file for q in report.files_quarantined] == ["meldingen-GM0766-202407.csv"]

    found = []
    for schema, table, column in rows(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type = 'VARCHAR' AND table_schema IN ('raw', 'meta')"
    ):
        hits = rows(f'SELECT count(*) FROM {schema}.{table} WHERE contains("{column}", ?)', [MARKER])
        if hits[0][0]:
            found.append(f"{schema}.{table}.{column}")
    assert found == []
    assert rows("SELECT waarde FROM meta.afgewezen_rijen") == [("xx-07-2024",)]
    reason = reason_json("gemeente", "meldingen", "meldingen-GM0766-202407.csv")
    assert MARKER not in json.dumps(reason) and "not a valid datetime" in json.dumps(reason)


# ---------------------------------------------------------------- partner-side check


def test_validate_file_gives_the_ingest_verdict_without_writing(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "misdrijven-202407.csv"
    good.write_text(fixture_text("politie", "misdrijven"), encoding="utf-8")
    verdict = validate_file(good, **platform_kw())
    assert verdict.accepted and verdict.dataset == "politie/misdrijven" and verdict.rows_accepted == 40
    assert any("not checked" in n for n in verdict.notes)  # no warehouse: geography not checked
    assert not settings().warehouse_file.exists() and good.exists()

    load_geography()
    bad = tmp_path / "incidenten-202407.csv"
    bad.write_text(with_line(fixture_text("politie", "incidenten"), "90;Overlast jeugd;WK999999;2024MM07;1"))
    before = rows("SELECT count(*) FROM meta.leveringen")
    verdict = validate_file(bad, **platform_kw())
    assert verdict.accepted and verdict.rows_rejected == 1
    assert verdict.bad_rows[0].line == 32 and "unknown area code" in verdict.bad_rows[0].reason
    assert rows("SELECT count(*) FROM meta.leveringen") == before and bad.exists()

    empty = tmp_path / "kwb-2023.csv"
    empty.write_text("")
    verdict = validate_file(empty, **platform_kw())
    assert not verdict.accepted and "empty" in verdict.reasons[0] and "REFUSED" in verdict.text()
    assert not validate_file(tmp_path / "report.csv", **platform_kw()).accepted


# ---------------------------------------------------------------- Dagster


def test_dagster_assets_report_metadata_and_warn_on_quarantine(home: Path) -> None:
    from dagster import AssetCheckSeverity, AssetKey, DagsterInstance, materialize

    from assets.ingest_defs import INGEST_ASSETS
    from orchestration.resources import resources

    for partner, dataset in (("cbs", "kerncijfers"), ("cbs", "adressen"), ("politie", "misdrijven")):
        drop(partner, dataset, fixture_text(partner, dataset))
    drop("gemeente", "meldingen", fixture_text("gemeente", "meldingen"))  # 8 of its rows cannot be mapped
    drop("politie", "incidenten", b"", "incidenten-202407.csv")
    with DagsterInstance.ephemeral() as instance:
        result = materialize(INGEST_ASSETS, instance=instance, resources=resources())
    assert result.success
    [materialization] = result.asset_materializations_for_node("raw_politie__misdrijven")
    meta = materialization.metadata
    assert meta["files_ingested"].value == 1 and meta["rows_accepted"].value == 40
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert {table for table, _ in checks} == {c.raw_table for c in all_contracts()}
    assert checks[("raw_politie__misdrijven", "no_quarantined_files")].passed
    assert checks[("raw_politie__misdrijven", "all_rows_mapped")].passed
    unmapped = checks[("raw_gemeente__meldingen", "all_rows_mapped")]
    assert not unmapped.passed and unmapped.severity == AssetCheckSeverity.WARN
    assert "202407: 8 row(s)" in unmapped.description
    failed = checks[("raw_politie__incidenten", "no_quarantined_files")]
    assert not failed.passed and failed.severity == AssetCheckSeverity.WARN
    assert "incidenten-202407.csv" in failed.description and "empty" in failed.description
    # Freshness against the contract cadence: July 2024 data is long overdue; a source never delivered too.
    late = checks[("raw_politie__misdrijven", "delivered_on_time")]
    assert not late.passed and late.severity == AssetCheckSeverity.WARN and "2024-07-31" in late.description
    never = checks[("raw_ggd__gezondheidsmonitor", "delivered_on_time")]
    assert not never.passed and "no delivery yet" in never.description
    assert meta["overdue"].value is True and meta["covered_until"].value == "2024-07-31"
    assert all(spec.blocking is False for a in INGEST_ASSETS for spec in a.check_specs)
    assert sum(len(list(a.check_specs)) for a in INGEST_ASSETS) == 28  # evaluated in the ingest step itself
    asset_keys = {k.to_user_string() for a in INGEST_ASSETS for k in a.keys}
    assert asset_keys == {c.raw_table for c in all_contracts()}  # every contract has its asset
    misdrijven = AssetKey(["raw_politie__misdrijven"])
    [asset_def] = [a for a in INGEST_ASSETS if misdrijven in a.keys]
    assert asset_def.asset_deps[misdrijven] == {AssetKey(["raw_cbs__kerncijfers"])}


def test_the_contract_json_schema_for_partners_is_up_to_date() -> None:
    """docs/contract.schema.json (linked from docs/partners.md) is what the contract models export."""
    from wijkbeeld.ingest import contract_json_schema

    path = Path(__file__).resolve().parents[2] / "docs" / "contract.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == contract_json_schema(), (
        'regenerate: .venv/bin/python -c "import json; from wijkbeeld.ingest import contract_json_schema; '
        'print(json.dumps(contract_json_schema(), indent=2, ensure_ascii=False))" > docs/contract.schema.json'
    )
