"""End to end through the same code path as `wijkbeeld refresh`: hand-made extracts -> published mart.

Every expected value below is computed by hand from the monthly numbers in tests/extracts.py. The first tests read
the integration tier's shared home; the last ones refresh again (no new files, a redelivery while a reader holds
the published file, a delivery the quality gate blocks, publicatie on its own), in this order, on one copy of it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.refresh import RefreshOutcome, run_refresh
from tests import extracts
from tests.homes import settings, use_data_home
from tests.integration.conftest import MAX_LINE_BYTES, SharedHome, copy_home
from wijkbeeld.publish import current_release, list_releases


@pytest.fixture
def home(in_published: Path) -> Path:
    """The shared home (read only)."""
    return in_published


@pytest.fixture(scope="module")
def copied(published: SharedHome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the shared home for the tests that refresh again (they build on each other, in file order)."""
    return copy_home(published, tmp_path_factory.mktemp("e2e-copy"))


@pytest.fixture
def again(copied: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The settings of this test point at the copy."""
    use_data_home(monkeypatch, copied.parent)
    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", MAX_LINE_BYTES)
    return copied


def _published(home: Path) -> dict[tuple[str, str, str], dict]:
    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    try:
        cur = con.execute("select * from mart.fct_indicator_waarde where periode_type = 'jaar'")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return {(r["gebiedcode"], r["indicator_code"], r["periode"]): r for r in rows}


def _value(rows: dict, gebied: str, code: str, periode: str = "2024") -> tuple:
    r = rows[(gebied, code, periode)]
    return r["status"], r["teller"], r["waarde"]


def test_rates_statuses_and_rounding_match_hand_computation(home: Path) -> None:
    rows = _published(home)
    # V05 uses the delivered total row 0.0.0 as is (120 a year, more than the listed kinds add up to).
    # waarde comes from the published (rounded) teller, never from the exact one.
    assert _value(rows, "WK082601", "V05") == ("ok", 120, 20.0)
    assert _value(rows, "WK082602", "V05") == ("ok", 50, 13.5)  # 48 -> 50; 50 / 3700 * 1000 = 13.51
    assert _value(rows, "WK074401", "V05") == ("ok", 25, 20.8)  # 24 -> 25; 25 / 1200 * 1000 = 20.83
    assert _value(rows, "GM0826", "V05") == ("ok", 180, 18.0)  # sum of its wijken over its own noemer
    assert _value(rows, "VR20", "V05") == ("ok", 215, 17.9)  # pooled 216 -> 215; 215 / 12000 * 1000
    wk = rows[("WK082601", "V05", "2024")]
    assert wk["regio_waarde"] == 17.9  # the region row's published waarde
    assert wk["index_regio"] == round(100 * 20.0 / 17.9, 1)
    assert wk["noemer"] == 6000
    # a teller of 3 (standaard) is suppressed; a noemer under minimum_noemer gives te_kleine_noemer
    assert _value(rows, "WK082602", "V01") == ("onderdrukt", None, None)
    assert _value(rows, "WK082603", "V01") == ("te_kleine_noemer", None, None)
    assert _value(rows, "WK082603", "V05") == ("te_kleine_noemer", None, None)
    assert _value(rows, "WK074401", "V01") == ("ok", 25, 50.0)  # 24 -> 25; 25 / 500 * 1000
    # a withheld (empty) count is niet_geleverd, for the wijk and for its gemeente
    assert _value(rows, "WK082601", "V02")[0] == "niet_geleverd"
    assert _value(rows, "GM0826", "V02")[0] == "niet_geleverd"
    assert _value(rows, "WK082601", "V02", "2023") == ("ok", 10, 1.7)  # 12 -> 10; 10 / 6000 * 1000
    # Baarle-Nassau sent no meldingen: geen_data, never a rate of 0
    for gebied in ("GM0744", "WK074401", "WK074402"):
        assert _value(rows, gebied, "L01")[0] == "geen_data"
    assert _value(rows, "WK082601", "L01") == ("ok", 240, 40.0)
    assert _value(rows, "WK082602", "L01") == ("ok", 35, 9.5)  # 36 incl. one by PC6 majority -> 35
    assert rows[("WK082602", "L01", "2024")]["verandering_vorig_jaar"] == round(9.5 - 25.7, 1)  # 96 -> 95
    assert _value(rows, "GM0826", "L01") == ("ok", 275, 27.5)  # the unmapped melding counts nowhere
    # CBS indicators: percentages become tellers on their noemer; '.' is niet_geleverd
    assert _value(rows, "WK082601", "W06") == ("ok", 300, 12.0)
    assert _value(rows, "WK082603", "W06")[0] == "niet_geleverd"
    assert _value(rows, "WK082601", "C01") == ("ok", 6000, 6000.0)


def test_complementary_suppression_blocks_the_subtraction_attack(home: Path) -> None:
    rows = _published(home)
    # Baarle-Nassau V03 2024: WK074402 has 3 (suppressed); the gemeente total 15 is published as 15 ([13, 17])
    # and the other wijk's 12 as 10 ([8, 12]), so the hidden wijk lies anywhere in [1, 9]: the exact 15 - 12
    # cannot be worked out from rounded numbers, and no secondary cell is needed.
    assert _value(rows, "GM0744", "V03") == ("ok", 15, 7.5)
    assert _value(rows, "WK074402", "V03")[0] == "onderdrukt"
    assert _value(rows, "WK074401", "V03") == ("ok", 10, 8.3)
    assert _value(rows, "WK074401", "V03", "2023") == ("ok", 10, 8.3)
    # Oosterhout V03: the only hidden wijk has te_kleine_noemer: 25 ([23, 27]) - 25 ([23, 27]) - 0 = [0, 4]
    assert _value(rows, "WK082601", "V03") == ("ok", 25, 4.2)
    for (gebied, code, periode), r in rows.items():
        if r["teller"] is not None:
            assert r["teller"] % 5 == 0, (gebied, code, periode)


def test_z_scores_over_the_wijken_with_status_ok(home: Path) -> None:
    rows = _published(home)
    # over the published waarden (rounded tellers): 120, 50, 25 and 10 crimes
    values = {"WK082601": 20.0, "WK082602": 13.5, "WK074401": 20.8, "WK074402": 12.5}
    mean = sum(values.values()) / 4
    sd = (sum((v - mean) ** 2 for v in values.values()) / 4) ** 0.5
    for gebied, v in values.items():
        assert rows[(gebied, "V05", "2024")]["z_score"] == pytest.approx((v - mean) / sd, abs=1e-3)
    assert rows[("WK082603", "V05", "2024")]["z_score"] is None
    assert rows[("WK082601", "L01", "2024")]["z_score"] is None  # context indicator (polarity 0)


def test_the_release_records_the_gate_verdict_of_its_own_run(home: Path) -> None:
    """Not a hand-written 'geslaagd': the quality_gate result of every published table in the publishing run, as
    data in release.json, summed up in mart.publicatie (with the run that passed it)."""
    from assets.transform import mart_tables

    con = duckdb.connect(str(home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    try:
        release_id, gate, checks, run_id = con.execute(
            "select release_id, kwaliteitspoort, kwaliteitscontroles, kwaliteitspoort_run from mart.publicatie "
            "order by volgnummer desc limit 1"
        ).fetchone()
    finally:
        con.close()
    release = home / "publish" / "releases" / release_id / "release.json"
    verdict = json.loads(release.read_text(encoding="utf-8"))["kwaliteitspoort"]
    assert verdict["resultaat"] == gate == "geslaagd" and verdict["run_id"] == run_id
    assert sorted(verdict["tabellen"]) == sorted(mart_tables())
    assert all(t["geslaagd"] and t["expectations_evaluated"] > 0 for t in verdict["tabellen"].values())
    assert checks == sum(t["expectations_evaluated"] for t in verdict["tabellen"].values())


def test_second_refresh_without_new_files_changes_nothing(again: Path) -> None:
    before = current_release(settings())
    outcome = run_refresh()
    assert outcome.published and not outcome.new_release
    assert current_release(settings()).release_id == before.release_id
    assert len(list_releases(settings())) == 1


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, go = sys.argv[1], sys.argv[2]
    con = duckdb.connect(path, read_only=True)
    q = "select waarde from mart.fct_indicator_waarde where gebiedcode='WK082601' and indicator_code='V05' "
    q += "and periode='2024' and periode_type='jaar'"
    print(con.execute(q).fetchone()[0], flush=True)
    import pathlib
    for _ in range(36000):  # the test touches `go` when the refresh ends, however slow the machine
        if pathlib.Path(go).exists():
            break
        time.sleep(0.1)
    print(con.execute(q).fetchone()[0], flush=True)
    con.close()
    print(duckdb.connect(path, read_only=True).execute(q).fetchone()[0], flush=True)
    """
)


def test_redelivery_publishes_while_a_reader_holds_the_file(again: Path, tmp_path: Path) -> None:
    stable = again / "publish" / "wijkbeeld.duckdb"
    go = tmp_path / "go"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(stable), str(go)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "20.0"
        # the politie re-delivers the same file name with December 2024 revised: 22 instead of 10
        path = extracts.misdrijven(again / "landing")
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                ";0.0.0   ;WK082601  ;2024MM12;10", ";0.0.0   ;WK082601  ;2024MM12;22"
            ),
            encoding="utf-8",
        )
        outcome: RefreshOutcome = run_refresh()
        assert outcome.published and outcome.new_release, outcome
    finally:
        go.touch()
        out, _ = reader.communicate(timeout=60)
    held, reopened = out.split()
    assert held == "20.0"  # the open connection kept reading the old release, without error
    assert reopened == "21.7"  # 132 -> 130; 130 / 6000 * 1000
    assert reader.returncode == 0
    assert len(list_releases(settings())) == 2


def test_failing_quality_gate_blocks_publication(again: Path) -> None:
    stable = again / "publish" / "wijkbeeld.duckdb"
    before_id, before_sha = current_release(settings()).release_id, _sha(stable)
    # an implausible re-delivery: 99,999 crimes a month in WK082602 (V05 far above its plausible maximum)
    path = extracts.misdrijven(again / "landing")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(";0.0.0   ;WK082602  ;2024MM06;4", ";0.0.0   ;WK082602  ;2024MM06;99999"), "utf-8")
    outcome = run_refresh()
    assert not outcome.published
    assert any("fct_indicator_waarde" in c for c in outcome.failed_checks), outcome
    assert current_release(settings()).release_id == before_id
    assert _sha(stable) == before_sha


def test_publicatie_alone_never_publishes_the_unchecked_warehouse(again: Path) -> None:
    """After the blocked refresh above, the warehouse holds a mart that failed the gate: one click on
    'publicatie' in the UI must not publish it."""
    from dagster import DagsterInstance, materialize

    from assets.publication import publicatie
    from orchestration.resources import resources

    stable = again / "publish" / "wijkbeeld.duckdb"
    before_id, before_sha = current_release(settings()).release_id, _sha(stable)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([publicatie], instance=instance, resources=resources(), raise_on_error=False)
    assert not result.success
    assert current_release(settings()).release_id == before_id and _sha(stable) == before_sha
