"""The attack on a demo release: every route of issue 11, tried as a curious analyst would, recovers nothing.

One refresh of three years of the region demo (seed 13: not the default seed the docs quote), then only the
published release is read, as the attacker has it, plus the catalogue's public rules. The routes:
waarde x noemer / schaal, z-scores, gemeente - wijken, te_kleine_noemer cells, regio - gemeenten and through
the hierarchy, B02's noemer, survey percentages and regio_waarde.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator

import duckdb
import pytest

from orchestration.refresh import run_refresh
from tests.homes import use_data_home
from wijkbeeld import disclosure
from wijkbeeld.demo import generate


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("attack")
    with pytest.MonkeyPatch.context() as mp:
        data = use_data_home(mp, base)
        generate(data / "landing", seed=13, start="2023-01", end="2025-12")
        outcome = run_refresh()
        assert outcome.published, outcome
        con = duckdb.connect(str(data / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
        try:
            rules, relations = disclosure.load_rules(con)  # public: the catalogue and docs/methodology.md
            schaal = dict(con.execute("select indicator_code, schaal from seeds.indicator_catalogus").fetchall())
        finally:
            con.close()
        con = duckdb.connect(str(data / "publish" / "wijkbeeld.duckdb"), read_only=True)
        try:
            cur = con.execute(
                "select f.*, g.niveau, i.privacy_klasse, i.eenheid, i.noemer_is_telling, i.polariteit "
                "from mart.fct_indicator_waarde f join mart.dim_gebied g using (gebiedcode) "
                "join mart.dim_indicator i using (indicator_code)"
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            values = disclosure.published_values(con, rules)
            signalen = con.execute(
                "select gebiedcode, periode, periode_type, signaal_code from mart.signalen"
            ).fetchall()
            index = con.execute(
                "select gebiedcode, rang_in_regio from mart.fct_kwetsbaarheid "
                "where periode_type = '12mnd' and periode = (select max(periode) from mart.fct_kwetsbaarheid "
                "where periode_type = '12mnd')"
            ).fetchall()
        finally:
            con.close()
        yield {
            "rows": rows,
            "values": values,
            "rules": rules,
            "relations": relations,
            "schaal": schaal,
            "signalen": signalen,
            "index": dict(index),
            "home": data,
        }


def test_rates_give_no_teller_back_beyond_its_rounding(release: dict) -> None:
    # Route 1: waarde x noemer / schaal. Every rate is a function of the published (rounded) teller and noemer,
    # so it narrows nothing: the exact teller is known only to lie in [T - 2, T + 2].
    rates = [r for r in release["rows"] if r["status"] == "ok" and r["teller"] is not None and r["noemer"]]
    assert len(rates) > 5000
    for r in rates:
        assert r["teller"] % 5 == 0, r
        rate = r["teller"] * release["schaal"][r["indicator_code"]] / r["noemer"]
        assert abs(r["waarde"] - rate) <= 0.05 + 1e-9, r  # rounded to one decimal (half away from zero)


def test_z_scores_come_from_published_waarden(release: dict) -> None:
    # Route 1b: z_score with three decimals from exact values pushed recovery to 97 %. Recomputed from the
    # published waarden it matches, so it holds nothing the waarden do not.
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in release["rows"]:
        if r["niveau"] == "wijk" and r["status"] == "ok" and r["polariteit"] != 0:
            groups[(r["indicator_code"], r["periode"], r["periode_type"])].append(r)
    checked = 0
    for group in groups.values():
        waarden = [r["waarde"] for r in group]
        mean = sum(waarden) / len(waarden)
        sd = math.sqrt(sum((w - mean) ** 2 for w in waarden) / len(waarden))
        for r in group:
            z = 0.0 if sd == 0 else max(-3.0, min(3.0, (r["waarde"] - mean) / sd)) * r["polariteit"]
            assert r["z_score"] == pytest.approx(z, abs=1e-3), r
            checked += 1
    assert checked > 5000


def test_no_hidden_figure_can_be_narrowed_by_subtraction(release: dict) -> None:
    # Routes 2-4: gemeente - published wijken, te_kleine_noemer cells, regio - gemeenten, and through the
    # hierarchy, with every rounding window and status range and the catalogue's relations: the linear
    # programme gives every hidden figure an interval at least as wide as its disclosure range.
    result = disclosure.audit(release["values"], release["rules"], release["relations"])
    assert result.hidden > 10000
    assert result.passed, result.failures[:5]


def test_the_audit_would_have_caught_the_old_release(release: dict) -> None:
    # The same attack on the release with secondary suppression undone (every secondary cell published again,
    # rounded): it must find hidden figures it can narrow, or it proves nothing.
    con = duckdb.connect(str(release["home"] / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        cur = con.execute(
            "select p.*, p.status as primair from intermediate.int_indicator_primair p "
            "join intermediate.int_indicator_beveiligd b using (gebiedcode, indicator_code, periode, periode_type) "
            "where b.secundair_onderdrukt"
        )
        names = [d[0] for d in cur.description]
        unhidden = {
            (r["periode"] + " " + r["periode_type"], r["gebiedcode"], r["indicator_code"]): r
            for r in (dict(zip(names, row, strict=True)) for row in cur.fetchall())
        }
    finally:
        con.close()
    assert unhidden, "the demo needs secondary cells"
    periods = {}
    for period, values in release["values"].items():
        periods[period] = [
            disclosure.Value(
                v.gebiedcode,
                v.niveau,
                v.gemeentecode,
                v.indicator,
                "ok",
                unhidden[key]["teller_gepubliceerd"],
                unhidden[key]["noemer_gepubliceerd"],
            )
            if (key := (period, v.gebiedcode, v.indicator)) in unhidden
            else v
            for v in values
        ]
    result = disclosure.audit(periods, release["rules"], release["relations"])
    assert not result.passed


def test_counting_noemer_is_protected_like_a_teller(release: dict) -> None:
    # Route 5: B02's noemer counts woningbranden. It is published only beside a published teller, rounded to 5
    # and at least its minimum; where B01 is hidden, B02's noemer cannot say how many fires there were.
    b02 = [r for r in release["rows"] if r["noemer_is_telling"]]
    assert b02
    for r in b02:
        if r["status"] == "ok":
            assert r["noemer"] % 5 == 0 and r["noemer"] >= 10, r
        else:
            assert r["noemer"] is None, r


def test_survey_percentages_rest_on_enough_persons(release: dict) -> None:
    # Route 6: G02 1.4 % of 87 respondents is one person. Published percentages have at least 5 (gevoelig 10)
    # persons behind them and behind their complement (checked on the rounded percentage, within its rounding).
    surveys = [r for r in release["rows"] if r["eenheid"] == "%" and r["teller"] is None and r["status"] == "ok"]
    assert surveys
    for r in surveys:
        floor = 10 if r["privacy_klasse"] == "gevoelig" else 5
        slack = 0.05 * r["noemer"] / 100
        assert min(r["waarde"], 100 - r["waarde"]) * r["noemer"] / 100 >= floor - slack, r


def test_regio_waarde_is_the_published_region_value(release: dict) -> None:
    # Route 7: regio_waarde shown where the region's own value is suppressed gave its teller back (5.2 x 0.77).
    region = {
        (r["indicator_code"], r["periode"], r["periode_type"]): r for r in release["rows"] if r["niveau"] == "regio"
    }
    for r in release["rows"]:
        own = region[(r["indicator_code"], r["periode"], r["periode_type"])]
        assert r["regio_waarde"] == (own["waarde"] if own["status"] == "ok" else None), r


def test_the_planted_stories_still_come_out(release: dict) -> None:
    # Dommelbergen's lowered willingness to report (2024 against 2023) and the structurally vulnerable wijken
    assert ("WK082606", "2024", "jaar", "S_MELDINGSBEREIDHEID") in release["signalen"]
    top3 = sorted(release["index"], key=lambda g: release["index"][g] or 999)[:3]
    assert set(top3) == {"WK085525", "WK085542", "WK075801"}
