"""The kwetsbaarheidsindex and the signals on the small hand-made region of tests/extracts.py.

Reads the integration tier's shared home (session fixture ``published``, tests/integration/conftest.py). z-scores
are recomputed here by hand from the extract numbers (population standard deviation over the wijken with status
ok), then rounded to 3 decimals as published before they are averaged into domain scores.
"""

from __future__ import annotations

import re
from statistics import mean, pstdev

import pytest

from tests.integration.conftest import SharedHome


def _z(values: dict[str, float], polariteit: int = 1) -> dict[str, float]:
    m, sd = mean(values.values()), pstdev(values.values())
    return {k: round(polariteit * (v - m) / sd, 3) for k, v in values.items()}


def _index(mart: SharedHome, gebied: str, periode: str) -> dict:
    return next(
        r
        for r in mart.tables["fct_kwetsbaarheid"]
        if r["gebiedcode"] == gebied and r["periode"] == periode and r["periode_type"] == "jaar"
    )


def test_domain_score_gezondheid_from_hand_computed_z_scores(published: SharedHome) -> None:
    # GGD 2024 over the wijken with status ok; G04, G05 are G01 shifted (same z); G03 has polarity -1. G02
    # (gevoelig) is 15.0 % of 60 respondents in WK074401: 9 persons, below 10, so suppressed; and WK082602's
    # 13.5 % of 150 with it (the pooled region minus WK082601 would pin WK074401's persons otherwise). G02's
    # only published wijk, WK082601, has z 0 (no spread).
    z = _z({"WK082601": 12.5, "WK082602": 8.5, "WK074401": 10.0})
    assert z == {"WK082601": 1.313, "WK082602": -1.111, "WK074401": -0.202}
    assert [published.waarden[(g, "G02", "2024")]["status"] for g in z] == ["ok", "onderdrukt", "onderdrukt"]
    assert published.waarden[("WK082601", "G02", "2024")]["z_score"] == 0
    for gebied, zg in z.items():
        expected = (zg + 0 - zg + zg + zg) / 5 if gebied == "WK082601" else (zg - zg + zg + zg) / 4
        assert _index(published, gebied, "2024")["score_gezondheid"] == pytest.approx(expected, abs=1e-3)
        assert published.waarden[(gebied, "G03", "2024")]["z_score"] == pytest.approx(-zg, abs=1e-3)


def test_domain_needs_half_of_its_index_indicators(published: SharedHome) -> None:
    # wonen 2024 in WK082602: W01, W05, W06 ok (W02 suppressed, W03/W04 te_kleine_noemer): 3 of 6 is enough.
    # z-scores over the published waarden (rounded tellers, one decimal)
    w01 = _z({"WK082601": 3.0, "WK082602": 8.3, "WK074401": 6.7})  # 15 / 500, 10 / 120, 10 / 150 x 100
    w05 = _z({"WK082601": 5.0, "WK082602": 8.3, "WK074401": 6.7})  # 25 / 500, 10 / 120, 10 / 150 x 100
    w06 = _z({"WK082601": 12.0, "WK082602": 7.9, "WK074401": 6.0, "WK074402": 3.3})  # 110 / 1400, 10 / 300
    expected = (w01["WK082602"] + w05["WK082602"] + w06["WK082602"]) / 3
    assert _index(published, "WK082602", "2024")["score_wonen"] == pytest.approx(expected, abs=1e-3)
    # wonen 2023: only W06 (corporatie 2023 incomplete): 1 of 6 -> no score
    assert _index(published, "WK082602", "2023")["score_wonen"] is None
    # leefbaarheid 2024 in WK074402: only L08 of 5 -> no score, although L08 has a z-score
    assert published.waarden[("WK074402", "L08", "2024")]["z_score"] is not None
    assert _index(published, "WK074402", "2024")["score_leefbaarheid"] is None
    # brandveiligheid 2023: WK082601's B01 and B02 are hidden (see test_mart_indicatoren), so it has no score;
    # B01 of the published wijken is 0 and 0 (z 0, no spread): WK082602 has B01 only (1 of 2) -> 0
    assert _index(published, "WK082601", "2023")["score_brandveiligheid"] is None
    assert _index(published, "WK082602", "2023")["score_brandveiligheid"] == 0


def test_index_rank_status_and_aandacht(published: SharedHome) -> None:
    rows = [r for r in published.tables["fct_kwetsbaarheid"] if r["periode_type"] == "jaar"]
    domains = ["score_veiligheid", "score_leefbaarheid", "score_gezondheid", "score_wonen", "score_brandveiligheid"]
    for r in rows:
        scores = [r[d] for d in domains if r[d] is not None]
        if scores:  # equal weights (seed domein_gewichten): the mean of the available domain scores
            assert r["status"] == "ok" and r["kwetsbaarheidsindex"] == pytest.approx(mean(scores), abs=2e-3), r
        else:
            assert r["status"] == "onvoldoende_data" and r["kwetsbaarheidsindex"] is None and r["rang_in_regio"] is None
    assert _index(published, "WK082603", "2024")["status"] == "onvoldoende_data"  # 300 inhabitants: all hidden
    for periode in ("2023", "2024"):
        ranked = sorted(
            (r for r in rows if r["periode"] == periode and r["rang_in_regio"]), key=lambda r: r["rang_in_regio"]
        )
        assert [r["rang_in_regio"] for r in ranked] == [1, 2, 3, 4]
        assert [r["kwetsbaarheidsindex"] for r in ranked] == sorted(
            (r["kwetsbaarheidsindex"] for r in ranked), reverse=True
        )
    # aandacht: top 10 % of 4 scored wijken = rank 1, or a signal (WK082602: S_MELDINGSBEREIDHEID in 2024)
    assert {r["gebiedcode"] for r in rows if r["periode"] == "2023" and r["aandacht"]} == {"WK082601"}
    assert {r["gebiedcode"] for r in rows if r["periode"] == "2024" and r["aandacht"]} == {"WK082601", "WK082602"}


def test_belangrijkste_indicatoren_are_the_three_largest_contributions(published: SharedHome) -> None:
    import csv
    from pathlib import Path

    seed = Path(__file__).parents[2] / "dbt_project" / "seeds" / "indicator_catalogus.csv"
    with seed.open(encoding="utf-8") as f:
        catalogus = {r["indicator_code"]: r for r in csv.DictReader(f) if r["in_index"] == "true"}
    r = _index(published, "WK082601", "2024")
    per_domain: dict[str, list[tuple[str, float]]] = {}
    for code, c in catalogus.items():
        v = published.waarden[("WK082601", code, "2024")]
        if v["status"] == "ok" and v["z_score"] is not None:
            per_domain.setdefault(c["domein"], []).append((code, v["z_score"]))
    scored = {d: zs for d, zs in per_domain.items() if r[f"score_{d}"] is not None}
    # contribution = z / (indicators available in the domain x number of scored domains), equal weights
    # (ties: the lower indicator code first, as in the model)
    bijdragen = sorted((-z / (len(zs) * len(scored)), code) for zs in scored.values() for code, z in zs)
    assert re.findall(r"\b([VLGWB]\d\d) ", r["belangrijkste_indicatoren"]) == [code for _, code in bijdragen[:3]]


def test_signals_fire_for_the_planted_cases_and_nothing_else(published: SharedHome) -> None:
    jaar = {
        (s["gebiedcode"], s["periode"], s["signaal_code"]): s
        for s in published.tables["signalen"]
        if s["periode_type"] == "jaar"
    }
    assert set(jaar) == {("WK082601", "2024", "S_STIJGING"), ("WK082602", "2024", "S_MELDINGSBEREIDHEID")}
    # WK082602: L01 96 -> 95 and 36 -> 35 published, / 3700 (25.7 -> 9.5, -63.0 %) while the region fell
    # 336 -> 335 and 276 -> 275 over 10000 (33.5 -> 27.5, -17.9 %); the evidence L04 BOA afval, L06 verloedering
    # and L08 buitenbranden did not fall. Every number is a published one.
    assert jaar[("WK082602", "2024", "S_MELDINGSBEREIDHEID")]["onderbouwing"] == (
        "L01 25.7 -> 9.5 (-63.0 %; regio -17.9 %); L04 2.7 -> 2.7; L06 5.0 -> 5.5; L08 27.0 -> 27.0"
    )
    # WK082601 L05: 0 and 0 in 2023 (z 0, no spread) -> 15 / 6000 (2.5) and 0 in 2024 (z +1.0); the published
    # 15 vs 0 exceeds 3 x sqrt(15 + 0 + 2 x 25 / 12) = 13.1 (Poisson plus the rounding's own variance)
    assert jaar[("WK082601", "2024", "S_STIJGING")]["onderbouwing"] == "L05 z 0.0 -> 1.0 (waarde 0.0 -> 2.5)"
    # the same evidence in the rolling 12 months that end in December 2024
    twaalf = {
        (s["gebiedcode"], s["signaal_code"]) for s in published.tables["signalen"] if s["periode"] == "2024-01/2024-12"
    }
    assert twaalf == {("WK082601", "S_STIJGING"), ("WK082602", "S_MELDINGSBEREIDHEID")}
