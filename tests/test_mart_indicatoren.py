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

pytestmark = pytest.mark.slow

# The published tables come from the session fixture ``published`` (tests/conftest.py): one refresh shared with
# tests/test_mart_index.py and tests/test_release_clients.py.

Row = dict[str, object]


def _v(published: dict, gebied: str, code: str, periode: str = "2024") -> tuple:
    r = published["waarden"][(gebied, code, periode)]
    return r["status"], r["teller"], r["waarde"]


def test_brandweer_counts_only_arrivals_and_the_newest_delivery_of_an_incident(published: dict) -> None:
    # L08: Buitenbranden with ter_plaatse 'ja' (the 'nee' one each month does not count), PC6 majority fallback
    assert _v(published, "WK082601", "L08") == ("ok", 25, 40.0)  # 24 / 6000 x 10000
    assert _v(published, "WK082602", "L08") == ("ok", 10, 32.4)  # 12 / 3700 x 10000 = 32.43
    assert _v(published, "WK074401", "L08") == ("ok", 5, 50.0)  # 6 / 1200 x 10000
    assert _v(published, "WK074402", "L08") == ("ok", 0, 0.0)  # a teller of 0 is published (standaard)
    assert _v(published, "WK082603", "L08")[0] == "te_kleine_noemer"  # 300 < 500 inhabitants
    assert _v(published, "GM0826", "L08") == ("ok", 35, 36.0)  # 36 / 10000; the unmapped PC6 counts nowhere
    assert published["waarden"][("WK082601", "L08", "2024")]["regio_waarde"] == 35.0  # 42 / 12000 x 10000
    # B01 2023: 12 Woningbranden in WK082601 (the January 2024 one without arrival does not count)
    assert _v(published, "WK082601", "B01", "2023") == ("ok", 10, 40.0)  # 12 / 3000 x 10000
    assert _v(published, "WK082602", "B01", "2023") == ("ok", 0, 0.0)
    # B02: rookmelder niet werkend or afwezig over the Woningbranden whose rookmelder is known. May 2024 was
    # delivered as 'onbekend' and re-delivered in the June file as 'afwezig': the newest delivery wins, so
    # 3 afwezig + 2 niet werkend = 5 over 6 werkend + 5 = 11 (with the old delivery it would be 4 / 10).
    assert _v(published, "WK082601", "B02") == ("ok", 5, 45.5)  # 5 / 11 x 100 = 45.45
    assert published["waarden"][("WK082601", "B02", "2024")]["noemer"] == 11
    assert _v(published, "WK082601", "B02", "2023") == ("ok", 0, 0.0)  # 0 / 12
    # WK082602's only Woningbrand had rookmelder 'onbekend': noemer 0 < minimum 10
    assert _v(published, "WK082602", "B02")[0] == "te_kleine_noemer"
    assert _v(published, "GM0826", "B02") == ("ok", 5, 45.5)


def test_boa_handhaving_and_geen_data_for_a_gemeente_without_boa(published: dict) -> None:
    # L04 = Afval dumpen + Afval naast container; Parkeren does not count; '08260201' lacks its BU prefix
    assert _v(published, "WK082601", "L04", "2023") == ("ok", 35, 6.0)  # 36 / 6000 x 1000
    assert _v(published, "WK082601", "L04") == ("ok", 50, 8.0)  # 48 / 6000 x 1000
    assert _v(published, "WK082602", "L04", "2023") == ("ok", 10, 3.2)  # 12 / 3700 x 1000 = 3.24
    assert _v(published, "GM0826", "L04") == ("ok", 60, 6.1)  # 61 / 10000 x 1000
    # L05 = Jeugdoverlast (12) + Alcohol openbare ruimte (2)
    assert _v(published, "WK082601", "L05") == ("ok", 15, 2.3)  # 14 / 6000 x 1000 = 2.33
    assert _v(published, "WK082601", "L05", "2023") == ("ok", 0, 0.0)
    assert published["waarden"][("WK082601", "L05", "2024")]["verandering_vorig_jaar"] == 2.3
    # Baarle-Nassau has no BOA data at all: geen_data, never 0
    for gebied in ("GM0744", "WK074401", "WK074402"):
        assert _v(published, gebied, "L04")[0] == "geen_data"
    assert published["waarden"][("WK082601", "L04", "2024")]["regio_waarde"] == 6.1  # pooled over Oosterhout


def test_survey_estimates_are_published_as_delivered_with_respondents_as_noemer(published: dict) -> None:
    w = published["waarden"]
    assert _v(published, "WK082601", "V09") == ("ok", None, 30.0)  # no teller for an estimate
    assert w[("WK082601", "V09", "2024")]["noemer"] == 120
    assert w[("WK082601", "V09", "2024")]["verandering_vorig_jaar"] == 1.0  # 30 - 29
    # 40 respondents < 50: te_kleine_noemer, and the delivered 15,0 is not published
    assert _v(published, "WK074402", "V09") == ("te_kleine_noemer", None, None)
    assert _v(published, "WK082603", "V09")[0] == "te_kleine_noemer"  # '-' with 10 respondents
    assert _v(published, "GM0826", "V09") == ("ok", None, 26.0)  # the gemeente row as delivered
    # regio: respondent-weighted (30x120 + 20x80 + 25x60 + 15x40) / 300 = 24.33
    assert w[("WK082601", "V09", "2024")]["regio_waarde"] == 24.3
    assert w[("WK082601", "V09", "2024")]["index_regio"] == round(100 * 30 / (7300 / 300), 1)
    assert _v(published, "WK082602", "L06") == ("ok", None, 5.5)
    assert _v(published, "WK074401", "L07") == ("ok", None, 7.0)
    # the survey's fourth indicator is not in the catalogue and is ignored
    assert not any(code not in _catalogue_codes() for (_, code, _) in w)


def _catalogue_codes() -> set[str]:
    import csv

    path = Path(__file__).parents[1] / "dbt_project" / "seeds" / "indicator_catalogus.csv"
    with path.open(encoding="utf-8") as f:
        return {r["indicator_code"] for r in csv.DictReader(f)}


def test_ggd_estimates_with_interval_text_decimals_and_missing_years(published: dict) -> None:
    w = published["waarden"]
    r = w[("WK082601", "G01", "2024")]
    assert (r["status"], r["waarde"], r["ondergrens"], r["bovengrens"], r["noemer"]) == ("ok", 12.5, 10.1, 14.9, 240)
    r = w[("WK082602", "G01", "2024")]  # delivered as text with a decimal comma
    assert (r["status"], r["waarde"], r["ondergrens"], r["bovengrens"]) == ("ok", 8.5, 6.0, 11.0)
    assert _v(published, "WK082602", "G03") == ("ok", None, 68.5)  # G01 + 60
    assert _v(published, "WK074402", "G01")[0] == "te_kleine_noemer"  # '-' with 30 respondents
    assert _v(published, "GM0744", "G01") == ("ok", None, 9.0)
    assert r["regio_waarde"] == 10.8  # (12.5x240 + 8.5x150 + 10x60) / 450 = 10.83
    # no monitor for 2023: geen_data, also for the 12 months that end in 2023
    assert _v(published, "WK082601", "G01", "2023")[0] == "geen_data"
    assert _v(published, "WK082601", "G01", "2023-01/2023-12")[0] == "geen_data"
    assert _v(published, "WK082601", "G01", "2024-01/2024-12") == ("ok", None, 12.5)


def test_corporatie_stocks_are_averaged_and_flows_summed_over_quarters(published: dict) -> None:
    w = published["waarden"]
    # WK082601 = 4901AA of two corporations: 400 + 100 dwellings every quarter -> noemer (mean) 500
    # W01 huurachterstand is a stock: mean of (12+4, 12+4, 12+4, 14+4) = 16.5 -> 16.5 / 500 x 100 = 3.3
    assert _v(published, "WK082601", "W01") == ("ok", 15, 3.3)  # teller 16.5 rounds to 15
    assert w[("WK082601", "W01", "2024")]["noemer"] == 500
    # W05 mutaties is a flow: (5 + 1) x 4 = 24 -> 24 / 500 x 100 = 4.8
    assert _v(published, "WK082601", "W05") == ("ok", 25, 4.8)
    assert _v(published, "WK082602", "W01") == ("ok", 10, 8.3)  # 10 / 120 x 100 (4902BB by PC6 majority)
    assert _v(published, "WK074401", "W02") == ("ok", 10, 80.0)  # 12 / 150 x 1000
    assert _v(published, "GM0826", "W01") == ("ok", 25, 4.3)  # 26.5 / 620 x 100 = 4.27
    assert w[("WK082601", "W01", "2024")]["regio_waarde"] == 4.7  # 36.5 / 770 x 100 = 4.74
    # only 2023Q4 was delivered for 2023: an incomplete year is geen_data, not a quarter of a year
    assert _v(published, "WK082601", "W01", "2023")[0] == "geen_data"
    # no corporatie dwellings at all: noemer 0 -> te_kleine_noemer
    assert _v(published, "WK082603", "W05")[0] == "te_kleine_noemer"


def test_every_status_and_disclosure_rule(published: dict) -> None:
    w = published["waarden"]
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


def test_complementary_suppression_cases(published: dict) -> None:
    # B01 2024 Oosterhout: WK082602 has 1 Woningbrand (suppressed); WK082603 (te_kleine_noemer) has 0. The
    # gemeente total 13 is published, so 13 - 12 would give the 1 away: WK082601 is suppressed too.
    assert _v(published, "WK082602", "B01")[0] == "onderdrukt"
    assert _v(published, "WK082601", "B01")[0] == "onderdrukt"
    assert _v(published, "GM0826", "B01") == ("ok", 15, 26.0)  # 13 / 5000 x 10000
    # L04 2024: the hidden wijk is WK082603 (te_kleine_noemer) with 1 BOA registration; the next smallest
    # published wijk (WK082602, 12) is suppressed, the larger one (WK082601, 48) stays.
    assert _v(published, "WK082602", "L04")[0] == "onderdrukt"
    assert _v(published, "WK082601", "L04")[0] == "ok"
    # W02 2024: WK082602 hides 4; the only other published wijk of Oosterhout is suppressed too
    assert _v(published, "WK082601", "W02")[0] == "onderdrukt"
    # hidden wijken with 0 out of 0 (no corporatie dwellings) describe nobody: no extra suppression for W01
    assert _v(published, "WK082601", "W01")[0] == "ok"


def test_subtraction_attack_on_gemeente_totals_reveals_no_small_teller(published: dict) -> None:
    """For every published gemeente teller: gemeente minus its published wijken must not be a small hidden count;
    likewise the region minus its published gemeenten.

    The attacker sees rounded tellers; the check uses the exact tellers of the warehouse, which is stricter.
    """
    con = duckdb.connect(str(published["home"] / "warehouse" / "wijkbeeld.duckdb"), read_only=True)
    try:
        rows = rows_of(
            con,
            """
            select g.indicator_code, g.periode, g.periode_type, g.gebiedcode, c.privacy_klasse,
                   sum(w.teller) as verborgen
            from intermediate.int_indicator_beveiligd as g
            join intermediate.int_indicator_beveiligd as w
              on w.indicator_code = g.indicator_code and w.periode = g.periode and w.periode_type = g.periode_type
             and ((g.niveau = 'gemeente' and w.niveau = 'wijk' and w.gemeentecode = g.gebiedcode)
                  or (g.niveau = 'regio' and w.niveau = 'gemeente'))
            join seeds.indicator_catalogus as c on c.indicator_code = g.indicator_code
            where g.status = 'ok' and g.teller is not null
              and w.status <> 'ok' and coalesce(w.noemer, 1) > 0
            group by all
            """,
        )
    finally:
        con.close()
    assert rows, "the extracts must contain hidden wijken under published gemeente totals"
    for r in rows:
        small = r["verborgen"] is not None and (
            (r["privacy_klasse"] == "gevoelig" and r["verborgen"] < 10)
            or (r["privacy_klasse"] == "standaard" and 0 < r["verborgen"] < 5)
        )
        assert not small, r


def test_rank_and_z_score(published: dict) -> None:
    w = published["waarden"]
    # V09 2024 over the wijken with status ok: 30, 20, 25 -> mean 25, population sd sqrt(50 / 3)
    sd = (50 / 3) ** 0.5
    assert w[("WK082601", "V09", "2024")]["z_score"] == pytest.approx(5 / sd, abs=1e-3)
    assert w[("WK082602", "V09", "2024")]["z_score"] == pytest.approx(-5 / sd, abs=1e-3)
    assert [w[(g, "V09", "2024")]["rang_in_regio"] for g in ("WK082601", "WK074401", "WK082602")] == [1, 2, 3]
    # L07 sociale cohesie has polarity -1: the lowest cohesion (WK082602, 5.0) is the least favourable
    sd = (2 / 3) ** 0.5
    assert w[("WK082602", "L07", "2024")]["z_score"] == pytest.approx(1 / sd, abs=1e-3)
    assert w[("WK082602", "L07", "2024")]["rang_in_regio"] == 1
    # gemeenten are ranked among the gemeenten
    assert w[("GM0826", "V09", "2024")]["rang_in_regio"] == 1 and w[("GM0744", "V09", "2024")]["rang_in_regio"] == 2
