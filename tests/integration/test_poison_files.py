"""One poison file in each of the ten datasets: exactly those are refused, everything else loads and is published.

The shared home (tests/integration/conftest.py) got the hand-made extracts of every source plus, per dataset, a
file that must be refused whole: a carriage return inside a line, 20,000 header columns, an unclosed quote, a
symbolic link (to a file outside landing) and a wrong delimiter, a line of 300 kB, no header row (whose first data
row holds personal data), a cell far to the right, a name of 240 bytes, an encrypted workbook and rows out of
order; and a folder named like a delivery. One refresh published all the rest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from tests.integration.conftest import SECRET_TARGET, SharedHome
from tests.unit.test_hostile_files import no_secret_anywhere


def _rows(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_each_poison_is_quarantined_and_every_good_file_loads(published: SharedHome) -> None:
    home = published.home
    for (partner, dataset), poisons in published.poisons.items():
        reasons = [p for p in (home / "quarantine" / partner / dataset).iterdir() if p.name.endswith(".json")]
        assert len(reasons) == len(poisons), (partner, dataset, reasons)
        for poison in poisons:
            assert not os.path.lexists(poison), poison
    loaded = _rows(home, "SELECT partner, dataset, count(*) FROM meta.leveringen GROUP BY ALL")
    assert {(p, d): n for p, d, n in loaded} == published.good
    assert published.outside.read_text() == SECRET_TARGET  # the link's target was never read or moved
    assert (home / "landing" / "politie" / "misdrijven" / "misdrijven-202410.csv").is_dir()  # left, reported
    assert not any(p.is_file() for p in (home / "landing").rglob("*.csv"))


def test_a_wrong_delimiter_is_named_and_the_good_files_of_the_dataset_are_published(published: SharedHome) -> None:
    home = published.home
    bad = home / "quarantine" / "politie" / "incidenten" / "incidenten-202301.csv"
    reason = json.loads(bad.with_name(bad.name + ".reason.json").read_text(encoding="utf-8"))
    assert "wrong delimiter" in reason["reason"]
    assert len(list((home / "archive" / "gemeente" / "meldingen").iterdir())) == 24
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    try:
        files = {r[0] for r in con.execute("select distinct bron_bestand from mart.herkomst").fetchall()}
    finally:
        con.close()
    assert "incidenten-202412.csv" in files and "incidenten-202301.csv" not in files


def test_no_personal_data_of_a_poison_in_any_record_or_log(in_published: Path) -> None:
    no_secret_anywhere()
