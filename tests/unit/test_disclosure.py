"""Disclosure control as an attacker sees it (wijkbeeld.disclosure), on hand-made periods.

Every case states what a release shows and what the attacker can work out; the expected intervals are
computed by hand in the comments. The random cases check the fast paths against scipy.optimize.linprog.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import linprog

from wijkbeeld import disclosure as d

STANDAARD = d.Rules("B01", gevoelig=False, minimum_noemer=500, hierarchie="som")
GEVOELIG = d.Rules("W04", gevoelig=True, minimum_noemer=500, hierarchie="som")
B02 = d.Rules("B02", False, 10, "som", teller_max_noemer=True, noemer_is_telling=True)
G02 = d.Rules("G02", True, 50, "gepoold")
RULES = {r.code: r for r in (STANDAARD, GEVOELIG, B02, G02)}
B02_IN_B01 = d.Relation(("B01", d.TELLER), (("B02", d.NOEMER),))


def v(code: str, status: str, teller: float | None, *, ind: str = "B01", noemer: float = 1000, size: float = 0):
    """A row; the niveau and gemeente follow from the code (GM0001 holds WK000101, WK000102 ...)."""
    niveau = {"VR": "regio", "GM": "gemeente", "WK": "wijk"}[code[:2]]
    gemeente = code if niveau == "gemeente" else (f"GM{code[2:6]}" if niveau == "wijk" else None)
    return d.Value(code, niveau, gemeente, ind, status, teller, noemer, size or noemer)


def intervals(values: list[d.Value], relations=()) -> dict[tuple[str, str, str], d.Interval]:
    result = d.audit({"2024 jaar": values}, RULES, relations)
    prob = d._build(values, RULES, relations)
    ivs = d._intervals(prob, RULES)
    assert result.hidden == len(ivs)
    return {(i.gebiedcode, i.indicator, i.quantity): i for i in ivs}


def protected(values: list[d.Value], relations=()) -> bool:
    return d.audit({"2024 jaar": values}, RULES, relations).passed


def hide(values: list[d.Value], relations=()) -> list[str]:
    return sorted(f"{values[i].indicator} {values[i].gebiedcode}" for i in d.protect_period(values, RULES, relations))


def test_rounding_window_protects_a_single_hidden_wijk() -> None:
    # gemeente 15 -> [13, 17]; published wijk 10 -> [8, 12]; hidden wijk (onderdrukt, >= 1): [1, 9]
    values = [v("GM0001", "ok", 15), v("WK000101", "ok", 10), v("WK000102", "onderdrukt", 3)]
    iv = intervals(values)[("WK000102", "B01", "teller")]
    assert (iv.lo, iv.hi) == (1, 9)
    assert iv.protected and hide(values) == []


def test_alphen_chaam_pattern_is_caught_and_fixed_by_hiding_the_parent() -> None:
    # Alphen-Chaam B01 2023: the gemeente total 5 ([5, 7]) over five suppressed wijken (each >= 1): every
    # wijk lies in [1, 3]: too narrow. No published wijk can widen it: the gemeente itself is hidden, and its
    # value then follows from the region: [43 - 42, 47 - 38] = [1, 9], so each wijk lies in [1, 9 - 4 = 5].
    region = [v("VR20", "ok", 45), v("GM0002", "ok", 40), v("WK000201", "ok", 40)]
    wijken = [v(f"WK00010{i}", "onderdrukt", 5) for i in range(1, 6)]
    values = [*region, v("GM0001", "ok", 5), *wijken]
    iv = intervals(values)[("WK000101", "B01", "teller")]
    assert (iv.lo, iv.hi) == (1, 3)
    assert not protected(values)
    assert hide(values) == ["B01 GM0001"]
    fixed = [d._hide(x) if x.gebiedcode == "GM0001" else x for x in values]
    assert protected(fixed)
    assert (lambda iv: (iv.lo, iv.hi))(intervals(fixed)[("WK000101", "B01", "teller")]) == (1, 5)


def test_secondary_cell_is_chosen_by_public_size_not_by_teller() -> None:
    # gemeente 10 -> [8, 12]; published 0 is exact; hidden 3 (>= 1): within [1, 12 - 5]: but the 5 is [5, 7]
    # -> [1, 7], width 6: fine. With a gemeente of 5 ([5, 7]) and a published 5 ([5, 7]) the hidden wijk is
    # in [1, 2]: hide a published wijk: the one with the smallest noemer (public), not the smallest teller.
    values = [
        v("GM0001", "ok", 15),
        v("WK000101", "onderdrukt", 3, noemer=3000),
        v("WK000102", "ok", 10, noemer=9000),
        v("WK000103", "ok", 5, noemer=8000),
        v("WK000104", "ok", 0, noemer=100),  # a standaard 0: never a secondary cell (hiding it protects nothing)
    ]
    # [13, 17] - [8, 12] - [5, 7] - 0 = [-6, 4] -> [1, 4]: width 3 < 4
    assert (lambda iv: (iv.lo, iv.hi))(intervals(values)[("WK000101", "B01", "teller")]) == (1, 4)
    assert hide(values) == ["B01 WK000103"]


def test_te_kleine_noemer_counts_as_hidden() -> None:
    # WK000101 has too small a noemer (teller 5, not published); its only sibling published 0 exactly and the
    # gemeente 5 ([5, 7]): the hidden teller would be pinned to [5, 7]. It is protected by hiding the gemeente:
    # region minus GM0002 gives [103 - 102, 107 - 98] = [1, 9].
    values = [
        v("VR20", "ok", 105),
        v("GM0001", "ok", 5),
        v("WK000101", "te_kleine_noemer", 5, noemer=100),
        v("WK000102", "ok", 0),
        v("GM0002", "ok", 100),
        v("WK000201", "ok", 100),
    ]
    iv = intervals(values)[("WK000101", "B01", "teller")]
    assert (iv.lo, iv.hi) == (5, 7)
    assert hide(values) == ["B01 GM0001"]


def test_region_minus_published_gemeenten_is_protected() -> None:
    # GM0001 totals 3 (hidden, like its only wijk); GM0002 has 6 + 7 = 13; the region 16. Published: region
    # 15 ([13, 17]) and GM0002 15 ([13, 17]), so GM0001 lies in [-4, 4] -> [1, 4]: too narrow.
    values = [
        v("VR20", "ok", 15),
        v("GM0001", "onderdrukt", 5),
        v("WK000101", "onderdrukt", 5),
        v("GM0002", "ok", 15),
        v("WK000201", "ok", 5, noemer=900),
        v("WK000202", "ok", 5, noemer=800),
    ]
    assert (lambda iv: (iv.lo, iv.hi))(intervals(values)[("GM0001", "B01", "teller")]) == (1, 4)
    assert hide(values) == ["B01 GM0002"]
    # with GM0002 hidden it follows from its wijken ([10, 14]), and GM0001 from the region: [13 - 14, 17 - 10]
    fixed = [d._hide(x) if x.gebiedcode == "GM0002" else x for x in values]
    ivs = intervals(fixed)
    assert (ivs[("GM0001", "B01", "teller")].lo, ivs[("GM0001", "B01", "teller")].hi) == (1, 7)
    assert (ivs[("WK000101", "B01", "teller")].lo, ivs[("WK000101", "B01", "teller")].hi) == (1, 7)
    assert (ivs[("GM0002", "B01", "teller")].lo, ivs[("GM0002", "B01", "teller")].hi) == (10, 14)


def test_gevoelig_needs_nine() -> None:
    # gevoelig ok tellers are >= 10: a hidden 0-9 beside a published 10 ([10, 12]) in a gemeente of 15
    # ([13, 17]): [1, 7] -> from 0: [1, 7] (width 6 < 9)
    values = [
        v("GM0001", "ok", 15, ind="W04"),
        v("WK000101", "onderdrukt", 4, ind="W04"),
        v("WK000102", "ok", 10, ind="W04"),
    ]
    iv = intervals(values)[("WK000101", "W04", "teller")]
    assert (iv.lo, iv.hi, iv.required) == (1, 7, 9)
    assert not iv.protected


def test_counting_noemer_is_protected_and_bounded_by_its_whole() -> None:
    # B02's noemer (woningbranden with a known smoke detector) is a hidden count where B02 is hidden, and
    # never more than B01's teller: with B01 published 0 the hidden B02 figures are 0 (publishable).
    values = [
        v("WK000101", "ok", 0),
        v("WK000101", "te_kleine_noemer", None, ind="B02", noemer=None),
        v("WK000102", "ok", 20),
        v("WK000102", "ok", 5, ind="B02", noemer=15),
    ]
    ivs = intervals(values, [B02_IN_B01])
    n = ivs[("WK000101", "B02", "noemer")]
    assert (n.lo, n.hi) == (0, 0) and n.protected  # a standaard 0 may be published
    # B02 published (teller 5 of noemer 15) in WK000102: nothing hidden there
    assert ("WK000102", "B02", "noemer") not in ivs


def test_survey_percentage_pooled_region() -> None:
    # G02 (gevoelig): region 10.0 % of 300 respondents = [29.85, 30.15] persons; one published wijk 10.0 % of
    # 200 = [19.9, 20.1]; the hidden wijk (100 respondents) holds [9.75, 10.25] persons: pinned. Hiding the
    # published wijk leaves both within [0, 30.15].
    values = [
        v("VR20", "ok", 10.0, ind="G02", noemer=300),
        v("WK000101", "ok", 10.0, ind="G02", noemer=200),
        v("WK000102", "onderdrukt", None, ind="G02", noemer=100),
    ]
    iv = intervals(values)[("WK000102", "G02", "teller")]
    assert iv.hi - iv.lo == pytest.approx(0.5)
    assert hide(values) == ["G02 WK000101"]


def _linprog_interval(prob: d._Problem, cell: int) -> tuple[float, float]:
    n = len(prob.cells)
    a_eq = np.zeros((len(prob.equations), n))
    for row, (p, kids) in enumerate(prob.equations):
        a_eq[row, p] = 1
        a_eq[row, kids] = -1
    a_ub = np.zeros((max(len(prob.inequalities), 1), n))
    for row, (parts, whole) in enumerate(prob.inequalities):
        for q in parts:
            a_ub[row, q] += 1
        a_ub[row, whole] -= 1
    bounds = [(c.lo, None if c.hi == d.INF else c.hi) for c in prob.cells]
    kw = {"A_eq": a_eq, "b_eq": np.zeros(len(prob.equations)), "bounds": bounds, "method": "highs"}
    if prob.inequalities:
        kw |= {"A_ub": a_ub, "b_ub": np.zeros(len(prob.inequalities))}
    c = np.zeros(n)
    c[cell] = 1
    low = linprog(c, **kw)
    high = linprog(-c, **kw)
    assert low.status in (0, 3) and high.status in (0, 3)
    return (low.x[cell] if low.status == 0 else -d.INF, high.x[cell] if high.status == 0 else d.INF)


def _random_period(rng: random.Random, *, with_b02: bool) -> list[d.Value]:
    """A region of 2-4 gemeenten with 1-5 wijken each, true counts, primary statuses and rounded tellers."""
    rows: list[tuple[str, str, int, int]] = []  # code, ind, teller, noemer

    def add(code: str, t1: int, n2: int, t2: int) -> None:
        rows.append((code, "B01", t1, 1000))
        if with_b02:
            rows.append((code, "B02", t2, n2))

    totals = [0, 0, 0]
    for g in range(1, rng.randint(2, 4) + 1):
        sums = [0, 0, 0]
        for w in range(1, rng.randint(1, 5) + 1):
            t1 = rng.choice([0, 1, 2, 3, 4, 6, 9, 12, 20, 31])
            n2 = rng.randint(0, t1)
            t2 = rng.randint(0, n2)
            add(f"WK{g:04d}{w:02d}", t1, n2, t2)
            sums = [a + b for a, b in zip(sums, (t1, n2, t2), strict=True)]
        add(f"GM{g:04d}", *sums)
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
    add("VR20", *totals)
    values = []
    for code, ind, t, n in rows:
        rnd = 5 * round(t / 5)
        if ind == "B02" and n < 10:
            values.append(v(code, "te_kleine_noemer", rnd, ind=ind, noemer=None))
        elif 0 < t < 5:
            values.append(v(code, "onderdrukt", rnd, ind=ind, noemer=5 * round(n / 5) if ind == "B02" else n))
        else:
            values.append(v(code, "ok", rnd, ind=ind, noemer=5 * round(n / 5) if ind == "B02" else n))
    return values


@pytest.mark.parametrize("seed", range(25))
def test_tree_propagation_equals_the_linear_programme(seed: int) -> None:
    # Without inequalities a period is a tree of sums: interval propagation must give the LP's optimum.
    prob = d._build(_random_period(random.Random(seed), with_b02=False), RULES, [])
    lo, hi = d._bounds(prob)
    for c, cell in enumerate(prob.cells):
        if cell.hidden:
            want = _linprog_interval(prob, c)
            assert (lo[c], hi[c]) == pytest.approx(want, abs=1e-6), prob.values[cell.row]


@pytest.mark.parametrize("seed", range(25))
def test_warm_started_highs_equals_linprog(seed: int) -> None:
    # With B02 inside B01 the period is no tree: exact bounds from the warm-started model equal linprog's.
    prob = d._build(_random_period(random.Random(100 + seed), with_b02=True), RULES, [B02_IN_B01])
    lo, hi = d._bounds(prob, exact=True)
    for c, cell in enumerate(prob.cells):
        if cell.hidden and cell.required > 0:
            assert (lo[c], hi[c]) == pytest.approx(_linprog_interval(prob, c), abs=1e-6), prob.values[cell.row]


@pytest.mark.parametrize("seed", range(25))
def test_protect_always_ends_protected(seed: int) -> None:
    values = _random_period(random.Random(200 + seed), with_b02=True)
    secondary = d.protect_period(values, RULES, [B02_IN_B01])
    after = [d._hide(x) if i in secondary else x for i, x in enumerate(values)]
    assert protected(after, [B02_IN_B01])
    # checked independently: every hidden cell's exact interval is wide enough
    prob = d._build(after, RULES, [B02_IN_B01])
    for c, cell in enumerate(prob.cells):
        if cell.hidden and cell.required > 0:
            lo, hi = _linprog_interval(prob, c)
            assert hi - lo >= cell.required - 1e-6 or (
                hi <= 1e-6 and not RULES[prob.values[cell.row].indicator].gevoelig
            )
