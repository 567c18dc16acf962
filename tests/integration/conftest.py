"""The integration tier's ONE shared published data home, built once per session.

Into an empty data home go the hand-made extracts of every source (tests/extracts.py: hand-computable numbers,
personal-data markers in every personal field) and one poison file per dataset (each must be refused whole while
everything else loads); then one refresh runs through the same code path as ``wijkbeeld refresh``. The tests of
this tier read that home (``published``; ``in_published`` points the settings at it) and never change it: a
test that refreshes again works on its own copy (``copy_home``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.refresh import RefreshOutcome, run_refresh
from tests import extracts
from tests.conftest import rows_of
from tests.homes import use_data_home
from tests.unit.test_hostile_files import SHEET, handhaving_workbook, meldingen_text, rewrite_part

# The brandweer poison is a line of 300,000 bytes: refused by a lowered WIJKBEELD_MAX_LINE_BYTES, cheaply.
MAX_LINE_BYTES = "200000"
SECRET_TARGET = "root:x:0:0:root:/root:/bin/bash\n"  # what a symbolic link in landing points at: never read


@dataclass
class SharedHome:
    """The shared home and what the tests need to know about how it was built."""

    base: Path
    home: Path  # the data home (WIJKBEELD_HOME)
    outcome: RefreshOutcome
    poisons: dict[tuple[str, str], list[Path]]  # per dataset the files that must be refused
    good: dict[tuple[str, str], int]  # per dataset the number of files that must load
    outside: Path  # the target of the symbolic link in landing
    tables: dict[str, list[dict]] = field(default_factory=dict)  # published fct_indicator_waarde, ... as rows

    @property
    def waarden(self) -> dict[tuple[str, str, str], dict]:
        """(gebiedcode, indicator_code, periode) -> the published row of fct_indicator_waarde."""
        return {(r["gebiedcode"], r["indicator_code"], r["periode"]): r for r in self.tables["fct_indicator_waarde"]}


def poison_files(landing: Path, outside: Path) -> dict[tuple[str, str], list[Path]]:
    """One file per dataset that must be refused whole (and, for politie/incidenten, also a wrong delimiter);
    a folder named like a delivery is left in landing."""
    outside.write_text(SECRET_TARGET)
    kwb = extracts.kerncijfers(landing).read_text(encoding="utf-8").replace("Baarle-Nassau;", "Baarle\rNassau;", 1)
    poisons = {
        ("cbs", "kerncijfers"): [extracts.write(landing / "cbs" / "kerncijfers" / "kwb-2023.csv", kwb)],
        ("cbs", "adressen"): [
            extracts.write(
                landing / "cbs" / "adressen" / "pc6hnr-2023.csv",
                "PC6;Huisnummer;Buurt;Wijk;Gemeente" + ";x" * 20_000 + "\n4901AA;1;08260101;082601;0826\n",
            )
        ],
        ("politie", "misdrijven"): [
            extracts.write(
                landing / "politie" / "misdrijven" / "misdrijven-202411.csv",
                'ID;SoortMisdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1\n1;"1.1.1;WK082601;2024MM11;3\n'
                + "".join(f"{n};1.1.1;WK082601;2024MM11;3\n" for n in range(2, 40)),
            )
        ],
        ("politie", "incidenten"): [
            landing / "politie" / "incidenten" / "incidenten-202411.csv",  # a symbolic link
            extracts.write(  # a wrong delimiter (',' instead of ';')
                landing / "politie" / "incidenten" / "incidenten-202301.csv",
                "ID,SoortIncident,WijkenEnBuurten,Perioden,Incidenten_1\n1,Overlast jeugd,WK082601,2023MM01,99\n",
            ),
        ],
        ("brandweer", "incidenten"): [
            extracts.write(
                landing / "brandweer" / "incidenten" / "brandweer-incidenten-202501.csv",
                extracts.BRANDWEER_HEADER + "," + "x" * 300_000,
            )
        ],
        ("gemeente", "meldingen"): [
            extracts.write(
                landing / "gemeente" / "meldingen" / "meldingen-GM0826-202501.csv",
                meldingen_text(20).split("\n", 1)[1],  # no header line: the first data row must not be repeated
            )
        ],
        ("gemeente", "handhaving"): [landing / "gemeente" / "handhaving" / "handhaving-GM0744-2024.xlsx"],
        ("gemeente", "veiligheidsmonitor"): [
            extracts.write(
                landing / "gemeente" / "veiligheidsmonitor" / f"veiligheidsmonitor-2023-{'x' * 220}.csv", "x"
            )
        ],
        ("ggd", "gezondheidsmonitor"): [landing / "ggd" / "gezondheidsmonitor" / "gezondheidsmonitor-2023.xlsx"],
        ("corporatie", "signalen"): [landing / "corporatie" / "signalen" / "corporatie-kwaad-2024Q1.xlsx"],
    }
    poisons["politie", "incidenten"][0].symlink_to(outside)
    wb = load_workbook(handhaving_workbook())
    wb.active.cell(row=3, column=16_384, value="x")  # a cell far to the right
    wb.save(poisons["gemeente", "handhaving"][0])
    poisons["ggd", "gezondheidsmonitor"][0].write_bytes(  # an encrypted workbook
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(900) + "EncryptedPackage".encode("utf-16-le")
    )
    corporatie = extracts.xlsx(poisons["corporatie", "signalen"][0], "signalen", [extracts.CORPORATIE_HEADER] * 6)
    rewrite_part(corporatie, SHEET, lambda xml: xml.replace(b'<row r="5"', b'<row r="2"'))  # rows out of order
    (landing / "politie" / "misdrijven" / "misdrijven-202410.csv").mkdir()  # a folder named like a file
    return poisons


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> SharedHome:
    base = tmp_path_factory.mktemp("shared")
    with pytest.MonkeyPatch.context() as mp:
        home = use_data_home(mp, base)
        mp.setenv("WIJKBEELD_MAX_LINE_BYTES", MAX_LINE_BYTES)
        landing = home / "landing"
        extracts.all_sources(landing)
        good: dict[tuple[str, str], int] = {}
        for path in landing.rglob("*"):
            if path.is_file():
                key = path.relative_to(landing).parts[:2]
                good[key] = good.get(key, 0) + 1
        outside = base / "elders.csv"
        poisons = poison_files(landing, outside)
        outcome = run_refresh()
    assert outcome.published and outcome.success, outcome
    shared = SharedHome(base, home, outcome, poisons, good, outside)
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    try:
        for table in ("fct_indicator_waarde", "fct_kwetsbaarheid", "signalen"):
            shared.tables[table] = rows_of(con, f"select * from mart.{table}")
    finally:
        con.close()
    return shared


@pytest.fixture
def in_published(published: SharedHome, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The settings of this test point at the shared home (to read it: never change it)."""
    use_data_home(monkeypatch, published.base)
    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", MAX_LINE_BYTES)
    yield published.home


def copy_home(published: SharedHome, dest: Path) -> Path:
    """A copy of the shared home (data and Dagster history) to refresh again; returns its data home."""
    shutil.copytree(published.base / "data", dest / "data", symlinks=True)
    shutil.copytree(published.base / "dagster", dest / "dagster", symlinks=True)
    return dest / "data"
