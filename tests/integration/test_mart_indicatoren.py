"""Every indicator family of the catalogue, end to end through `wijkbeeld refresh`, on hand-made extracts.

The extracts are tests/extracts.py (all ten sources, written by their contracts). Every expected number below is
computed by hand from the tables there; the comment next to it shows the arithmetic. Geography: GM0826 Oosterhout
(WK082601 6,000 inhabitants / 3,000 dwellings, WK082602 3,700 / 1,900, WK082603 300 / 100) and GM0744
Baarle-Nassau (WK074401 1,200 / 500, WK074402 800 / 400).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import rows_of
from tests.integration.conftest import SharedHome
from wijkbeeld import disclosure

# The published tables come from the integration tier's shared home (session fixture ``published``,
# tests/integration/conftest.py): one refresh for the whole tier.

Row = dict[str, object]


def _v(published: SharedHome, gebied: str, code: str, periode: str = "2024") -> tuple:
    r = published.waarden[(gebied, code, periode)]
    return r["status"], r["teller"], r["waarde"]


def _exact(published: SharedHome, gebied: str, code: str, periode: str = "2024") -> Row:
    """The row before rounding and suppression (internal: the warehouse, never published)."""
    con = duckdb.connect(str(published.home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        (row,) = rows_of(
            con,
            "select teller, noemer, status from intermediate.int_indicator_beveiligd "
            f"where gebiedcode = '{gebied}' and indicator_code = '{code}' and periode = '{periode}' "
            "and periode_type = 'jaar'",
        )
    finally:
        con.close()
    return row


def test_brandweer_counts_only_arrivals_and_the_newest_delivery_of_an_incident(published: SharedHome) -> None:
    # L08: Buitenbranden with ter_plaatse 'ja' (the 'nee' one each month does not count), PC6 majority fallback.
    # Rates come from the published (rounded) teller: 24 -> 25, 25 / 6000 x 10000 = 41.7
    assert _v(published, "WK082601", "L08") == ("ok", 25, 41.7)
    assert _v(published, "WK082602", "L08") == ("ok", 10, 27.0)  # 12 -> 10; 10 / 3700 x 10000 = 27.03
    assert _v(published, "WK074401", "L08") == ("ok", 5, 41.7)  # 6 -> 5; 5 / 1200 x 10000
    assert _v(published, "WK074402", "L08") == ("ok", 0, 0.0)  # a teller of 0 is published (standaard)
    assert _v(published, "WK082603", "L08")[0] == "te_kleine_noemer"  # 300 < 500 inhabitants
    assert _v(published, "GM0826", "L08") == ("ok", 35, 35.0)  # 36 -> 35; the unmapped PC6 counts nowhere
    assert published.waarden[("WK082601", "L08", "2024")]["regio_waarde"] == 33.3  # 42 -> 40; / 12000
    # B01 2023: 12 Woningbranden in WK082601 (the January 2024 one without arrival does not count), 0 in
    # WK082602 and in WK082603 (te_kleine_noemer). Published as 10 ([8, 12]) next to B02's noemer of 12 known
    # fires (10: [10, 12], and B02's fires are B01's), Oosterhout's 10 would leave WK082603 in [0, 2]: so
    # WK082601, and up the hierarchy Oosterhout and the region, are hidden (secondary suppression).
    assert _v(published, "WK082602", "B01", "2023") == ("ok", 0, 0.0)
    for gebied in ("WK082601", "GM0826", "VR20"):
        assert _v(published, gebied, "B01", "2023")[0] == "onderdrukt"
    # B02: rookmelder niet werkend or afwezig over the Woningbranden whose rookmelder is known. May 2024 was
    # delivered as 'onbekend' and re-delivered in the June file as 'afwezig': the newest delivery wins, so
    # 3 afwezig + 2 niet werkend = 5 over 6 werkend + 5 = 11 (with the old delivery it would be 4 / 10). Its
    # noemer counts fires, so it is protected like a teller: with WK082602's 0 fires of known status pinned
    # to [0, 2] by Oosterhout's 11 minus WK082601's 11, B02 is hidden in WK082601, Oosterhout and the region.
    exact = _exact(published, "WK082601", "B02")
    assert (exact["teller"], exact["noemer"]) == (5, 11)
    for gebied in ("WK082601", "GM0826", "VR20"):
        r = published.waarden[(gebied, "B02", "2024")]
        assert (r["status"], r["teller"], r["noemer"], r["waarde"]) == ("onderdrukt", None, None, None)
    # WK082602's only Woningbrand had rookmelder 'onbekend': noemer 0 < minimum 10
    assert _v(published, "WK082602", "B02")[0] == "te_kleine_noemer"
    assert published.waarden[("WK082602", "B02", "2024")]["noemer"] is None  # a counting noemer


def test_boa_handhaving_and_geen_data_for_a_gemeente_without_boa(published: SharedHome) -> None:
    # L04 = Afval dumpen + Afval naast container; Parkeren does not count; '08260201' lacks its BU prefix
    assert _v(published, "WK082601", "L04", "2023") == ("ok", 35, 5.8)  # 36 -> 35; 35 / 6000 x 1000 = 5.83
    assert _v(published, "WK082601", "L04") == ("ok", 50, 8.3)  # 48 -> 50; 50 / 6000 x 1000
    assert _v(published, "WK082602", "L04", "2023") == ("ok", 10, 2.7)  # 12 -> 10; 10 / 3700 x 1000 = 2.70
    assert _v(published, "GM0826", "L04") == ("ok", 60, 6.0)  # 61 -> 60; 60 / 10000 x 1000
    # L05 = Jeugdoverlast (12) + Alcohol openbare ruimte (2)
    assert _v(published, "WK082601", "L05") == ("ok", 15, 2.5)  # 14 -> 15; 15 / 6000 x 1000
    assert _v(published, "WK082601", "L05", "2023") == ("ok", 0, 0.0)
    assert published.waarden[("WK082601", "L05", "2024")]["verandering_vorig_jaar"] == 2.5
    # Baarle-Nassau has no BOA data at all: geen_data, never 0
    for gebied in ("GM0744", "WK074401", "WK074402"):
        assert _v(published, gebied, "L04")[0] == "geen_data"
    assert published.waarden[("WK082601", "L04", "2024")]["regio_waarde"] == 6.0  # the region's 60 / 10000


def test_survey_estimates_are_published_as_delivered_with_respondents_as_noemer(published: SharedHome) -> None:
    w = published.waarden
    assert _v(published, "WK082601", "V09") == ("ok", None, 30.0)  # no teller for an estimate
    assert w[("WK082601", "V09", "2024")]["noemer"] == 120
    assert w[("WK082601", "V09", "2024")]["verandering_vorig_jaar"] == 1.0  # 30 - 29
    # 40 respondents < 50: te_kleine_noemer, and the delivered 15,0 is not published
    assert _v(published, "WK074402", "V09") == ("te_kleine_noemer", None, None)
    assert _v(published, "WK082603", "V09")[0] == "niet_geleverd"  # '-' (withheld) with 10 respondents
    assert _v(published, "GM0826", "V09") == ("ok", None, 26.0)  # the gemeente row as delivered
    # regio: respondent-weighted (30x120 + 20x80 + 25x60 + 15x40) / 300 = 24.33
    assert w[("WK082601", "V09", "2024")]["regio_waarde"] == 24.3
    assert w[("WK082601", "V09", "2024")]["index_regio"] == round(100 * 30.0 / 24.3, 1)  # published values
    # The pooled region stands for 24.3 % of 300 = [72.75, 73.05] persons; minus the published wijken (30.0 % of
    # 120, 20.0 % of 80, 25.0 % of 60) WK074402's hidden 15 % of 40 would be pinned to [5.6, 6.2] persons. So
    # the published wijk with the fewest respondents, WK074401 (60), is hidden as well.
    assert _v(published, "WK074401", "V09") == ("onderdrukt", None, None)
    assert _v(published, "WK082602", "L06") == ("ok", None, 5.5)
    assert _v(published, "WK074401", "L07") == ("ok", None, 7.0)
    # the survey's fourth indicator is not in the catalogue and is ignored
    assert not any(code not in _catalogue_codes() for (_, code, _) in w)


def _catalogue_codes() -> set[str]:
    import csv

    path = Path(__file__).parents[2] / "dbt_project" / "seeds" / "indicator_catalogus.csv"
    with path.open(encoding="utf-8") as f:
        return {r["indicator_code"] for r in csv.DictReader(f)}


def test_ggd_estimates_with_interval_text_decimals_and_missing_years(published: SharedHome) -> None:
    w = published.waarden
    r = w[("WK082601", "G01", "2024")]
    assert (r["status"], r["waarde"], r["ondergrens"], r["bovengrens"], r["noemer"]) == ("ok", 12.5, 10.1, 14.9, 240)
    r = w[("WK082602", "G01", "2024")]  # delivered as text with a decimal comma
    assert (r["status"], r["waarde"], r["ondergrens"], r["bovengrens"]) == ("ok", 8.5, 6.0, 11.0)
    assert _v(published, "WK082602", "G03") == ("ok", None, 68.5)  # G01 + 60
    assert _v(published, "WK074402", "G01")[0] == "niet_geleverd"  # '-' (withheld) with 30 respondents
    assert _v(published, "GM0744", "G01") == ("ok", None, 9.0)
    assert r["regio_waarde"] == 10.8  # (12.5x240 + 8.5x150 + 10x60) / 450 = 10.83
    # no monitor for 2023: geen_data, also for the 12 months that end in 2023
    assert _v(published, "WK082601", "G01", "2023")[0] == "geen_data"
    assert _v(published, "WK082601", "G01", "2023-01/2023-12")[0] == "geen_data"
    assert _v(published, "WK082601", "G01", "2024-01/2024-12") == ("ok", None, 12.5)


def test_corporatie_stocks_are_averaged_and_flows_summed_over_quarters(published: SharedHome) -> None:
    w = published.waarden
    # WK082601 = 4901AA of two corporations: 400 + 100 dwellings every quarter -> noemer (mean) 500
    # W01 huurachterstand is a stock: mean of (12+4, 12+4, 12+4, 14+4) = 16.5, published as 15: 15 / 500 x 100
    assert _v(published, "WK082601", "W01") == ("ok", 15, 3.0)
    assert _exact(published, "WK082601", "W01")["teller"] == 16.5
    assert w[("WK082601", "W01", "2024")]["noemer"] == 500
    # W05 mutaties is a flow: (5 + 1) x 4 = 24 -> 25; 25 / 500 x 100 = 5.0
    assert _v(published, "WK082601", "W05") == ("ok", 25, 5.0)
    assert _v(published, "WK082602", "W01") == ("ok", 10, 8.3)  # 10 / 120 x 100 (4902BB by PC6 majority)
    assert _v(published, "WK074401", "W02") == ("ok", 10, 66.7)  # 12 -> 10; 10 / 150 x 1000
    assert _v(published, "GM0826", "W01") == ("ok", 25, 4.0)  # 26.5 -> 25; 25 / 620 x 100 = 4.03
    assert w[("WK082601", "W01", "2024")]["regio_waarde"] == 4.5  # 36.5 -> 35; 35 / 770 x 100 = 4.55
    # only 2023Q4 was delivered for 2023: an incomplete year is geen_data, not a quarter of a year
    assert _v(published, "WK082601", "W01", "2023")[0] == "geen_data"
    # no corporatie dwellings at all: noemer 0 -> te_kleine_noemer
    assert _v(published, "WK082603", "W05")[0] == "te_kleine_noemer"


def test_every_status_and_disclosure_rule(published: SharedHome) -> None:
    w = published.waarden
    # gevoelig: a teller of 0-9 is suppressed (W03 4 signals, W04 0 evictions, on 500 dwellings)
    assert _v(published, "WK082601", "W03") == ("onderdrukt", None, None)
    assert _v(published, "WK082601", "W04") == ("onderdrukt", None, None)
    # standaard: a teller of 1-4 is suppressed (W02 in WK082602: 4 overlastmeldingen on 120 dwellings)
    assert _v(published, "WK082602", "W02") == ("onderdrukt", None, None)
    assert _v(published, "WK082603", "W06")[0] == "niet_geleverd"  # CBS '.'
    assert _v(published, "WK074401", "L01")[0] == "geen_data"
    assert {r["status"] for r in w.values()} == {"ok", "onderdrukt", "te_kleine_noemer", "niet_geleverd", "geen_data"}
    for key, r in w.items():
        if r["status"] != "ok":
            assert r["teller"] is None and r["waarde"] is None and r["ondergrens"] is None, key
        if r["teller"] is not None:
            assert r["teller"] % 5 == 0, key


def test_complementary_suppression_cases(published: SharedHome) -> None:
    # B01 2024 Oosterhout: WK082602 has 1 Woningbrand (suppressed, primary); WK082603 (te_kleine_noemer) has 0.
    assert _v(published, "WK082602", "B01")[0] == "onderdrukt"
    assert _exact(published, "WK082602", "B01")["teller"] == 1
    assert _v(published, "GM0826", "B01") == ("ok", 15, 30.0)  # 13 -> 15; 15 / 5000 x 10000
    # W02 2024: WK082602 hides 4. Oosterhout's 37 is published as 35 ([33, 37]) and WK082601's 30 as 30
    # ([28, 32]): the hidden wijk lies anywhere in [1, 9], so rounding protects it and nothing else is hidden.
    assert _v(published, "WK082602", "W02") == ("onderdrukt", None, None)
    assert _v(published, "WK082601", "W02") == ("ok", 30, 60.0)
    assert _v(published, "GM0826", "W02") == ("ok", 35, 56.5)
    # L04 2024: WK082603 (te_kleine_noemer) hides 1 BOA registration; 61 - 48 - 12 = 1 exactly, but published
    # 60 ([58, 62]) - 50 ([48, 52]) - 10 ([8, 12]) leaves it in [0, 6]: no secondary cell needed.
    assert _v(published, "WK082601", "L04")[0] == "ok" and _v(published, "WK082602", "L04")[0] == "ok"
    # hidden wijken with 0 out of 0 (no corporatie dwellings) describe nobody: no extra suppression for W01
    assert _v(published, "WK082601", "W01")[0] == "ok"
    # WK074401 V09: see test_survey_estimates_are_published_as_delivered_with_respondents_as_noemer


def test_the_attack_on_the_release_recovers_nothing(published: SharedHome) -> None:
    """From the published tables only, no hidden figure can be narrowed below its disclosure range."""
    con = duckdb.connect(str(published.home / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        rules, relations = disclosure.load_rules(con)  # the catalogue's public rules
    finally:
        con.close()
    con = duckdb.connect(str(published.home / "publish" / "wijkbeeld.duckdb"), read_only=True)
    try:
        result = disclosure.audit(disclosure.published_values(con, rules), rules, relations)
    finally:
        con.close()
    assert result.hidden > 100
    assert result.passed, result.failures[:5]


def test_rank_and_z_score(published: SharedHome) -> None:
    w = published.waarden
    # V09 2024 over the wijken with status ok: 30 and 20 (WK074401 is hidden) -> z +1 and -1
    assert w[("WK082601", "V09", "2024")]["z_score"] == 1
    assert w[("WK082602", "V09", "2024")]["z_score"] == -1
    assert [w[(g, "V09", "2024")]["rang_in_regio"] for g in ("WK082601", "WK082602")] == [1, 2]
    assert w[("WK074401", "V09", "2024")]["rang_in_regio"] is None
    # L07 sociale cohesie has polarity -1: the lowest cohesion (WK082602, 5.0) is the least favourable
    sd = (2 / 3) ** 0.5
    assert w[("WK082602", "L07", "2024")]["z_score"] == pytest.approx(1 / sd, abs=1e-3)
    assert w[("WK082602", "L07", "2024")]["rang_in_regio"] == 1
    # gemeenten are ranked among the gemeenten
    assert w[("GM0826", "V09", "2024")]["rang_in_regio"] == 1 and w[("GM0744", "V09", "2024")]["rang_in_regio"] == 2
