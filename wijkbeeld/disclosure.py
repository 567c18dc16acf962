"""Disclosure control as an attacker sees it: the interval each hidden figure can take, and what to hide.

An attacker holds a release and knows the rules (docs/methodology.md, "Disclosure control"). For one period
every figure behind a published row is a variable with the bounds the release gives away:

- a published (rounded) teller ``T`` lies in its rounding window ``[T - 2, T + 2]`` (``± 2.5`` for a teller
  that is a mean), narrowed by what status ``ok`` says (a standaard teller is 0 or at least 5, a gevoelig
  teller at least 10), and by the noemer where the teller cannot exceed it;
- a hidden teller (``onderdrukt``, ``te_kleine_noemer``) is only known to be at least 0 (at least 1 for an
  ``onderdrukt`` standaard count: a standaard 0 is published);
- a survey percentage ``p`` of ``n`` respondents stands for ``p * n / 100`` persons, within the rounding of
  ``p`` to one decimal and the survey rule (at least 5 or 10 persons behind ``p`` and behind its complement);
- a noemer that is itself a count (the catalogue's ``noemer_is_telling``, e.g. B02's woningbranden) is a
  variable like a teller.

The relations between them are sums (the gemeente is the sum of its wijken, the region of its gemeenten, or
of the wijken of a gemeente without a total; a pooled survey region is the sum of its wijken's persons) and
inequalities (the catalogue's ``indicator_relaties``: parts never exceed their whole, a teller never exceeds
a counting noemer). The attacker's interval for a hidden figure is its minimum and maximum over everything
these allow: a linear programme. Figures that share no relation are independent, so the programme splits
into components. A component that is a tree of sums (no inequality between figures) is solved exactly by
interval propagation (each sum's bounds passed up and down until nothing changes: on a tree this reaches the
programme's optimum); every other component is solved with SciPy's HiGHS solver, two programmes per hidden
figure. tests/unit/test_disclosure.py checks that both give the same intervals.

A hidden figure is protected when its interval is at least as wide as the disclosure range of its class
(4 standaard, 9 gevoelig; less only where its a-priori range is narrower, e.g. a noemer of 2 dwellings).
:func:`protect` hides more figures (secondary suppression, chosen from public information only: the
smallest public size, then the gebiedcode) until every hidden figure is protected; :func:`audit` reports the
intervals of a release. Both use only what a release shows (the rounded numbers), so the choice of secondary
cells depends on public information.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

INF = math.inf
EPS = 1e-6
VALUE_STATUSES = frozenset({"ok", "onderdrukt", "te_kleine_noemer"})
HIDDEN_STATUSES = frozenset({"onderdrukt", "te_kleine_noemer"})
TELLER = "teller"
NOEMER = "noemer"


class DisclosureError(RuntimeError):
    """The figures contradict the rules (an empty interval) or a hidden figure cannot be protected."""


@dataclass(frozen=True)
class Rules:
    """What the catalogue says about one indicator, as far as disclosure goes."""

    code: str
    gevoelig: bool
    minimum_noemer: float
    # 'som': wijken add up to their gemeente and to the region; 'gepoold': a survey percentage whose region
    # value pools the wijken's persons; None: no relation between levels (CBS figures, scale scores).
    hierarchie: str | None
    geheel: bool = True  # the teller counts whole events or persons (False: a mean over quarters)
    teller_max_noemer: bool = False
    noemer_is_telling: bool = False
    # the source delivers the noemer itself (corporatie dwellings): a noemer of 0 means nothing to count
    zero_without_noemer: bool = False

    @property
    def ok_floor(self) -> float:
        """The smallest teller that may be published (a standaard 0 is published too)."""
        return 10.0 if self.gevoelig else 5.0

    @property
    def required_width(self) -> float:
        """How wide the interval of a hidden figure must stay: the width of the disclosure range."""
        return 9.0 if self.gevoelig else 4.0

    @property
    def half_window(self) -> float:
        """Half the rounding window of a teller rounded to 5."""
        return 2.0 if self.geheel else 2.5


@dataclass(frozen=True)
class Value:
    """One row of one period: a gebied's figure for one indicator, as the release shows it.

    ``teller`` is the published (rounded) teller, or for a survey percentage the published percentage;
    ``noemer`` the published noemer (for a counting noemer: rounded, None where hidden). ``size`` is public
    (the noemer where it is public, else the inwoners) and orders the candidates for secondary suppression.
    """

    gebiedcode: str
    niveau: str
    gemeentecode: str | None
    indicator: str
    status: str
    teller: float | None
    noemer: float | None
    size: float = 0.0


@dataclass(frozen=True)
class Relation:
    """Parts that never exceed their whole within one gebied: sum(parts) <= whole."""

    whole: tuple[str, str]  # (indicator, TELLER/NOEMER)
    parts: tuple[tuple[str, str], ...]


@dataclass
class Interval:
    """The attacker's interval for one hidden figure, and the width it must keep."""

    gebiedcode: str
    indicator: str
    quantity: str
    lo: float
    hi: float
    required: float
    zero_publishable: bool = False  # a standaard count: a 0 may be published, so knowing it is no leak

    @property
    def width(self) -> float:
        return self.hi - self.lo

    @property
    def protected(self) -> bool:
        return _protected(self.lo, self.hi, self.required, gevoelig=not self.zero_publishable)


def _protected(lo: float, hi: float, required: float, *, gevoelig: bool) -> bool:
    """Wide enough, or a standaard figure pinned at 0 (a standaard 0 may be published, so knowing it leaks
    nothing)."""
    return hi - lo >= required - EPS or (not gevoelig and hi <= EPS)


@dataclass
class _Cell:
    row: int  # index of the Value it belongs to
    quantity: str
    lo: float
    hi: float
    hidden: bool
    required: float


@dataclass
class _Problem:
    """The variables of one period and the relations between them."""

    values: list[Value]
    cells: list[_Cell] = field(default_factory=list)
    equations: list[tuple[int, list[int]]] = field(default_factory=list)  # parent = sum(children)
    inequalities: list[tuple[list[int], int]] = field(default_factory=list)  # sum(parts) <= whole
    by_key: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (gebied, indicator, quantity)

    def add(self, cell: _Cell) -> int:
        v = self.values[cell.row]
        self.cells.append(cell)
        self.by_key[(v.gebiedcode, v.indicator, cell.quantity)] = len(self.cells) - 1
        return len(self.cells) - 1


# --------------------------------------------------------------------------------------------- bounds


def _teller_domain(v: Value, r: Rules) -> tuple[float, float, bool, float]:
    """(lo, hi, hidden, required width) of the teller behind a row, as the release shows it."""
    public_noemer = v.noemer if not r.noemer_is_telling else None
    cap = public_noemer if (r.teller_max_noemer and public_noemer is not None) else INF
    if r.zero_without_noemer and public_noemer == 0:
        cap = 0.0  # no corporatie dwellings, no signals: a 0 that describes nobody
    if r.hierarchie == "gepoold":
        # a survey percentage: the persons behind it
        n = v.noemer if v.noemer is not None else INF
        if v.status == "ok" and v.teller is not None and n < INF:
            lo = max((v.teller - 0.05) * n / 100.0, r.ok_floor, 0.0)
            hi = min((v.teller + 0.05) * n / 100.0, n - r.ok_floor, n)
            return lo, hi, False, 0.0
        return 0.0, n, True, min(r.required_width, n)
    if v.status == "ok":
        t = float(v.teller)  # type: ignore[arg-type]
        if t == 0 and not r.gevoelig:
            return 0.0, 0.0, False, 0.0
        lo = max(t - r.half_window, r.ok_floor)
        return lo, min(t + r.half_window, cap), False, 0.0
    # A standaard count is hidden for being 1-4, or as a secondary cell (never a 0, see _eligible); a row with
    # a counting noemer may be hidden for its noemer while its teller is 0.
    lo = 1.0 if v.status == "onderdrukt" and not r.gevoelig and r.geheel and not r.noemer_is_telling else 0.0
    lo = min(lo, cap)
    return lo, cap, True, min(r.required_width, cap - lo)


def _noemer_domain(v: Value, r: Rules) -> tuple[float, float, bool, float]:
    """(lo, hi, hidden, required width) of a counting noemer (published like a teller)."""
    if v.status == "ok" and v.noemer is not None:
        lo = max(v.noemer - r.half_window, r.minimum_noemer, r.ok_floor)
        return lo, v.noemer + r.half_window, False, 0.0
    if v.status == "te_kleine_noemer":
        # the status says the noemer is below the minimum
        hi = max(r.minimum_noemer - (1.0 if r.geheel else EPS), 0.0)
        return 0.0, hi, True, min(r.required_width, hi)
    return r.minimum_noemer, INF, True, r.required_width


def _build(values: list[Value], rules: Mapping[str, Rules], relations: Iterable[Relation]) -> _Problem:
    """The variables and relations of one period."""
    prob = _Problem(values)
    for i, v in enumerate(values):
        r = rules.get(v.indicator)
        # Figures that add up to nothing (CBS's own, scale scores) give no figure away but their own.
        if r is None or r.hierarchie is None or v.status not in VALUE_STATUSES:
            continue
        if r.hierarchie == "gepoold" and v.noemer is None:
            continue
        lo, hi, hidden, req = _teller_domain(v, r)
        prob.add(_Cell(i, TELLER, lo, hi, hidden, req))
        if r.noemer_is_telling:
            lo, hi, hidden, req = _noemer_domain(v, r)
            prob.add(_Cell(i, NOEMER, lo, hi, hidden, req))
    _add_hierarchy(prob, rules)
    _add_inequalities(prob, rules, relations)
    return prob


def _add_hierarchy(prob: _Problem, rules: Mapping[str, Rules]) -> None:
    """parent = sum(children) per indicator and quantity: a gemeente with a value (every wijk delivered) is
    the sum of its wijken; the region the sum of those gemeenten and of the wijken of the others; a pooled
    survey region the sum of its wijken."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for c, cell in enumerate(prob.cells):
        groups[(prob.values[cell.row].indicator, cell.quantity)].append(c)
    for (indicator, _quantity), members in groups.items():
        pooled = rules[indicator].hierarchie == "gepoold"
        by_level: dict[str, dict[str, int]] = defaultdict(dict)
        for c in members:
            v = prob.values[prob.cells[c].row]
            by_level[v.niveau][v.gebiedcode] = c
        top = next(iter(by_level["regio"].values()), None)
        children: dict[int, list[int]] = defaultdict(list)
        for c in by_level["wijk"].values():
            gemeente = None if pooled else by_level["gemeente"].get(prob.values[prob.cells[c].row].gemeentecode or "")
            parent = gemeente if gemeente is not None else top
            if parent is not None:
                children[parent].append(c)
        if top is not None and not pooled:
            children[top].extend(by_level["gemeente"].values())
        prob.equations.extend((parent, kids) for parent, kids in children.items() if kids)


def _add_inequalities(prob: _Problem, rules: Mapping[str, Rules], relations: Iterable[Relation]) -> None:
    relations = list(relations)
    gebieden = {prob.values[cell.row].gebiedcode for cell in prob.cells}
    for gebied in sorted(gebieden):
        for rel in relations:
            whole = prob.by_key.get((gebied, *rel.whole))
            parts = [prob.by_key.get((gebied, *p)) for p in rel.parts]
            if whole is None or any(p is None for p in parts):
                continue
            prob.inequalities.append(([p for p in parts if p is not None], whole))
    for (gebied, indicator, quantity), c in list(prob.by_key.items()):
        r = rules[indicator]
        if quantity == TELLER and r.teller_max_noemer and r.noemer_is_telling:
            n = prob.by_key.get((gebied, indicator, NOEMER))
            if n is not None:
                prob.inequalities.append(([c], n))


def _components(prob: _Problem) -> list[list[int]]:
    parent = list(range(len(prob.cells)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for p, kids in prob.equations:
        for k in kids:
            union(p, k)
    for parts, whole in prob.inequalities:
        for p in parts:
            union(p, whole)
    comps: dict[int, list[int]] = defaultdict(list)
    for c in range(len(prob.cells)):
        comps[find(c)].append(c)
    return list(comps.values())


def _sum_bounds(idx: list[int], lo: list[float], hi: list[float]) -> tuple[float, float, int, int]:
    """Finite sums of lo and hi and how many of each are infinite."""
    slo = shi = 0.0
    nlo = nhi = 0
    for i in idx:
        if lo[i] == -INF:
            nlo += 1
        else:
            slo += lo[i]
        if hi[i] == INF:
            nhi += 1
        else:
            shi += hi[i]
    return slo, shi, nlo, nhi


def _propagate(equations: list[tuple[int, list[int]]], lo: list[float], hi: list[float]) -> None:
    """Interval propagation over sums until nothing changes (exact when the sums form a tree)."""
    for _ in range(100):
        changed = False
        for parent, kids in equations:
            slo, shi, nlo, nhi = _sum_bounds(kids, lo, hi)
            plo = slo if nlo == 0 else -INF
            phi = shi if nhi == 0 else INF
            if plo > lo[parent] + EPS:
                lo[parent], changed = plo, True
            if phi < hi[parent] - EPS:
                hi[parent], changed = phi, True
            for k in kids:
                others_hi = INF if nhi - (hi[k] == INF) > 0 else shi - (hi[k] if hi[k] < INF else 0.0)
                others_lo = -INF if nlo - (lo[k] == -INF) > 0 else slo - (lo[k] if lo[k] > -INF else 0.0)
                klo = lo[parent] - others_hi
                khi = hi[parent] - others_lo
                if klo > lo[k] + EPS:
                    lo[k], changed = klo, True
                if khi < hi[k] - EPS:
                    hi[k], changed = khi, True
            # the sums above may be stale after a child moved: the next round takes it up
        if not changed:
            return
    raise DisclosureError("interval propagation did not settle")


def _lp_bounds(
    prob: _Problem, comp: list[int], lo: list[float], hi: list[float], targets: list[int], *, exact: bool
) -> None:
    """Min and max of each target over a component with inequalities (SciPy's HiGHS, warm-started).

    One model per component; each programme changes only the objective, so HiGHS starts from the previous
    basis (scipy.optimize.linprog builds a new model per call: about ten times slower here; the tests
    compare both). With ``exact=False`` a target whose feasible points already span its required width keeps the
    span seen (a sub-interval of its true interval: enough to know it is protected) instead of two
    programmes of its own.
    """
    import numpy as np
    from scipy.optimize._highspy import _core as highspy  # SciPy's own HiGHS: the model object, warm starts

    pos = {c: j for j, c in enumerate(comp)}
    inf = highspy.kHighsInf
    model = highspy._Highs()
    model.setOptionValue("output_flag", False)
    model.setOptionValue("presolve", "off")  # warm starts from the previous basis need the model as is
    model.addVars(
        len(comp),
        np.array([lo[c] for c in comp], dtype=float),
        np.array([inf if hi[c] == INF else hi[c] for c in comp], dtype=float),
    )
    for p, kids in prob.equations:
        if p in pos:
            idx = np.array([pos[p], *(pos[k] for k in kids)], dtype=np.int32)
            model.addRow(0.0, 0.0, len(idx), idx, np.array([1.0] + [-1.0] * len(kids)))
    for parts, whole in prob.inequalities:
        if whole in pos:
            coef: dict[int, float] = defaultdict(float)
            for q in parts:
                coef[pos[q]] += 1.0
            coef[pos[whole]] -= 1.0
            idx = np.array(list(coef), dtype=np.int32)
            model.addRow(-inf, 0.0, len(idx), idx, np.array(list(coef.values())))
    model.setOptionValue("simplex_strategy", 4)  # primal simplex: the basis stays feasible when only costs change
    # The targets' values over the feasible points seen so far, by target index t (targets[t]).
    required = np.array([prob.cells[c].required for c in targets])
    target_pos = np.array([pos[c] for c in targets], dtype=np.int64)
    seen_lo = np.full(len(targets), INF)
    seen_hi = np.full(len(targets), -INF)
    costs = np.zeros(len(comp))
    all_cols = np.arange(len(comp), dtype=np.int32)

    def certified(t: int) -> bool:
        return seen_hi[t] - seen_lo[t] >= required[t] - EPS

    def solve(objective: np.ndarray) -> bool:
        """Minimise the objective and note the targets' values; False when it is unbounded."""
        model.changeColsCost(len(comp), all_cols, objective)
        model.run()
        status = model.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise DisclosureError("the published figures contradict each other (no feasible solution)")
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return False
        if status != highspy.HighsModelStatus.kOptimal:
            raise DisclosureError(f"linear programme failed: {model.modelStatusToString(status)}")
        x = np.asarray(model.getSolution().col_value)[target_pos]
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return True

    # Feasible points first: all targets at their lowest at once, then in rounds the highest of one target
    # per sum (targets under different sums can mostly be high together). Most targets are then seen to
    # span their required width, which certifies them.
    costs[target_pos] = 1.0
    solve(costs)
    parent_of = {k: p for p, kids in prob.equations for k in kids}
    by_sum: dict[int, list[int]] = defaultdict(list)
    for t, c in enumerate(targets):
        by_sum[parent_of.get(c, -1 - c)].append(t)
    for r in range(max(len(group) for group in by_sum.values())):
        costs[:] = 0.0
        for group in by_sum.values():
            if r < len(group) and not certified(group[r]):
                costs[target_pos[group[r]]] = -1.0
        if costs.any():
            solve(costs)
    # Exact bounds where a target is not certified by the feasible points seen so far, narrowest first.
    for t in np.argsort(seen_hi - seen_lo, kind="stable"):
        c, j = targets[t], target_pos[t]
        if not exact and certified(t):
            lo[c], hi[c] = max(lo[c], seen_lo[t]), min(hi[c], seen_hi[t])
            continue
        costs[:] = 0.0
        costs[j] = -1.0
        new_hi = seen_hi[t] if solve(costs) else INF
        if not exact and certified(t):
            lo[c], hi[c] = max(lo[c], seen_lo[t]), min(hi[c], new_hi)
            continue
        costs[j] = 1.0
        new_lo = seen_lo[t] if solve(costs) else -INF
        lo[c], hi[c] = max(lo[c], new_lo), min(hi[c], new_hi)


def _bounds(prob: _Problem, *, sums_only: bool = False, exact: bool = False) -> tuple[list[float], list[float]]:
    """The attacker's interval for every variable of a period.

    ``sums_only`` leaves the inequalities out (a relaxation: intervals at least as wide as the true ones).
    Without ``exact``, a hidden figure in a component with inequalities may get a sub-interval of its true
    interval that is already as wide as it must be.
    """
    lo = [c.lo for c in prob.cells]
    hi = [c.hi for c in prob.cells]
    if any(lo[i] > hi[i] + EPS for i in range(len(lo))):
        raise DisclosureError("a published figure lies outside its own rounding window")
    _propagate(prob.equations, lo, hi)
    cyclic: set[int] = set()
    for parts, whole in prob.inequalities:
        cyclic.update(parts)
        cyclic.add(whole)
    if cyclic and not sums_only:
        for comp in _components(prob):
            if not cyclic.intersection(comp):
                continue
            targets = [c for c in comp if prob.cells[c].hidden and prob.cells[c].required > 0]
            if targets:
                _lp_bounds(prob, comp, lo, hi, targets, exact=exact)
    for i in range(len(lo)):
        if lo[i] > hi[i] + EPS:
            raise DisclosureError("the published figures contradict each other (an empty interval)")
    return lo, hi


def _intervals(prob: _Problem, rules: Mapping[str, Rules]) -> list[Interval]:
    lo, hi = _bounds(prob)
    out = []
    for c, cell in enumerate(prob.cells):
        if cell.hidden and cell.required > 0:
            v = prob.values[cell.row]
            zero = not rules[v.indicator].gevoelig
            out.append(Interval(v.gebiedcode, v.indicator, cell.quantity, lo[c], hi[c], cell.required, zero))
    return out


# ------------------------------------------------------------------------------------------- audit


@dataclass
class AuditResult:
    """The attack on one release: every hidden figure's interval and the ones that are too narrow."""

    periods: int
    hidden: int
    narrowest: Interval | None
    failures: list[tuple[str, Interval]]  # (period, interval)

    @property
    def passed(self) -> bool:
        return not self.failures


def audit(periods: Mapping[str, list[Value]], rules: Mapping[str, Rules], relations: Iterable[Relation]) -> AuditResult:
    """Work out, from published figures only, the interval of every hidden figure in every period."""
    relations = list(relations)
    hidden = 0
    narrowest: Interval | None = None
    failures: list[tuple[str, Interval]] = []
    cache: dict[tuple, list[Interval]] = {}
    for period, values in sorted(periods.items()):
        key = tuple(sorted(values, key=lambda v: (v.indicator, v.gebiedcode)))
        if key not in cache:  # a 12-month window that equals a calendar year: the same figures
            cache[key] = _intervals(_build(list(values), rules, relations), rules)
        for iv in cache[key]:
            hidden += 1
            pinned_zero = iv.zero_publishable and iv.hi <= EPS  # a standaard 0: publishable anyway
            if not pinned_zero and (narrowest is None or iv.width - iv.required < narrowest.width - narrowest.required):
                narrowest = iv
            if not iv.protected:
                failures.append((period, iv))
    return AuditResult(len(periods), hidden, narrowest, failures)


# ----------------------------------------------------------------------------------------- protect


def _eligible(v: Value, r: Rules) -> bool:
    """May a published row become a secondary cell? Not a standaard 0: it is exact, so hiding it protects
    nothing (and a hidden standaard count is known to be at least 1); a counting noemer above 0 may be."""
    if v.status != "ok":
        return False
    if r.gevoelig or r.hierarchie == "gepoold" or v.teller is None or v.teller > 0:
        return True
    return r.noemer_is_telling and (v.noemer or 0) > 0


def _hide(v: Value) -> Value:
    return Value(v.gebiedcode, v.niveau, v.gemeentecode, v.indicator, "onderdrukt", v.teller, v.noemer, v.size)


def _choose(prob: _Problem, cell: int, rules: Mapping[str, Rules], lo: list[float], hi: list[float]) -> int | None:
    """The row to hide next for a hidden figure whose interval is too narrow (public information only)."""
    values = prob.values
    parent_of: dict[int, tuple[int, list[int]]] = {}
    children_of: dict[int, list[int]] = {}
    for p, kids in prob.equations:
        children_of[p] = kids
        for k in kids:
            parent_of[k] = (p, kids)

    def rank(c: int) -> tuple[float, str]:
        v = values[prob.cells[c].row]
        return (v.size, v.gebiedcode)

    def published(c: int) -> bool:
        v = values[prob.cells[c].row]
        return not prob.cells[c].hidden and _eligible(v, rules[v.indicator])

    # 1. a parent whose children are all published is pinned by their sum: hide its smallest child
    kids = children_of.get(cell, [])
    if kids and not any(prob.cells[k].hidden for k in kids):
        options = sorted((k for k in kids if published(k)), key=rank)
        if options:
            return prob.cells[options[0]].row
    # 2. an inequality that binds (the sums alone would leave it wide enough): hide the other side
    partners = []
    for parts, whole in prob.inequalities:
        if cell == whole:
            partners.extend(parts)
        elif cell in parts:
            partners.append(whole)
            partners.extend(p for p in parts if p != cell)
    if partners:
        tree_lo = [c.lo for c in prob.cells]
        tree_hi = [c.hi for c in prob.cells]
        _propagate(prob.equations, tree_lo, tree_hi)
        if tree_hi[cell] - tree_lo[cell] > hi[cell] - lo[cell] + EPS:
            options = sorted((p for p in partners if published(p)), key=rank)
            if options:
                return prob.cells[options[0]].row
    # 3. widen the sum it belongs to: a published sibling, else the parent, else one level up
    node = cell
    while node in parent_of:
        parent, siblings = parent_of[node]
        options = sorted((s for s in siblings if s != node and published(s)), key=rank)
        if options:
            return prob.cells[options[0]].row
        if published(parent):
            return prob.cells[parent].row
        node = parent
    options = sorted((p for p in partners if published(p)), key=rank)
    return prob.cells[options[0]].row if options else None


def _clusters(values: list[Value], relations: list[Relation]) -> list[list[int]]:
    """Row indexes per group of indicators that share a relation (B01 with B02, L01 with L02 and L03, every
    other indicator on its own): the groups share no variable, so each is protected on its own."""
    group = {v.indicator: v.indicator for v in values}

    def find(x: str) -> str:
        while group[x] != x:
            x = group[x]
        return x

    for rel in relations:
        codes = [code for code, _ in (rel.whole, *rel.parts) if code in group]
        for code in codes[1:]:
            group[find(code)] = find(codes[0])
    clusters: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(values):
        clusters[find(v.indicator)].append(i)
    return [clusters[k] for k in sorted(clusters)]


def protect_period(values: list[Value], rules: Mapping[str, Rules], relations: Iterable[Relation]) -> set[int]:
    """Indexes of the rows to hide besides the primary ones, so that every hidden figure is protected."""
    relations = list(relations)
    secondary: set[int] = set()
    for cluster in _clusters(values, relations):
        hidden = _protect_cluster([values[i] for i in cluster], rules, relations)
        secondary.update(cluster[i] for i in hidden)
    return secondary


def _protect_cluster(values: list[Value], rules: Mapping[str, Rules], relations: list[Relation]) -> set[int]:
    current = list(values)
    secondary: set[int] = set()
    # First the sums alone (fast; whatever they leave too narrow is too narrow with the inequalities as
    # well), then everything. Every round hides at least one more row, so the loop ends.
    for sums_only in (True, False):
        while True:
            prob = _build(current, rules, relations)
            if not sums_only and not prob.inequalities:
                break
            lo, hi = _bounds(prob, sums_only=sums_only)
            failing = [
                c
                for c, cell in enumerate(prob.cells)
                if cell.hidden
                and cell.required > 0
                and not _protected(lo[c], hi[c], cell.required, gevoelig=rules[current[cell.row].indicator].gevoelig)
            ]
            if not failing:
                break
            chosen: set[int] = set()
            widened: set[int] = set()  # one change per sum and round: the next round sees its effect first
            parent_of = {k: p for p, kids in prob.equations for k in kids}
            for c in sorted(failing, key=lambda c: (current[prob.cells[c].row].gebiedcode, c)):
                group = parent_of.get(c, c)
                if group in widened:
                    continue
                widened.add(group)
                row = _choose(prob, c, rules, lo, hi)
                if row is not None:
                    chosen.add(row)
                    continue
                # Nothing left to widen it with: hide every published row it is related to, so no sum or
                # relation of its component is published (its interval is then its a-priori range).
                comp = next(comp for comp in _components(prob) if c in comp)
                rows = {prob.cells[k].row for k in comp if not prob.cells[k].hidden}
                chosen.update(r for r in rows if _eligible(current[r], rules[current[r].indicator]))
            if not chosen:
                break  # nothing more to hide: the quality gate's audit reports what is left
            for row in chosen:
                current[row] = _hide(current[row])
                secondary.add(row)
    return secondary


# ------------------------------------------------------------------------------------ from the tables


def rules_from_records(records: Iterable[Mapping]) -> dict[str, Rules]:
    """Rules per indicator from rows of int_indicator_regels."""
    return {
        r["indicator_code"]: Rules(
            code=r["indicator_code"],
            gevoelig=r["privacy_klasse"] == "gevoelig",
            minimum_noemer=float(r["minimum_noemer"] or 0),
            hierarchie=r["hierarchie"],
            geheel=bool(r["teller_geheel"]),
            teller_max_noemer=bool(r["teller_max_noemer"]),
            noemer_is_telling=bool(r["noemer_is_telling"]),
            zero_without_noemer=bool(r["noemer_uit_bron"]),
        )
        for r in records
    }


def relations_from_records(records: Iterable[Mapping]) -> list[Relation]:
    """Relations from rows of the seed indicator_relaties (relatie, rol geheel/deel, indicator, grootheid)."""
    wholes: dict[str, tuple[str, str]] = {}
    parts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in records:
        key = (r["indicator_code"], r["grootheid"])
        if r["rol"] == "geheel":
            wholes[r["relatie"]] = key
        else:
            parts[r["relatie"]].append(key)
    return [Relation(wholes[name], tuple(parts[name])) for name in sorted(wholes) if parts[name]]


def _value(r: Mapping, status: str, teller: object, noemer: object, size: object = 0.0) -> Value:
    return Value(
        gebiedcode=r["gebiedcode"],
        niveau=r["niveau"],
        gemeentecode=r.get("gemeentecode"),
        indicator=r["indicator_code"],
        status=status,
        teller=None if teller is None else float(teller),
        noemer=None if noemer is None else float(noemer),
        size=float(size or 0.0),
    )


def secondary_rows(
    primair: Iterable[Mapping], regels: Iterable[Mapping], relaties: Iterable[Mapping]
) -> list[dict[str, str]]:
    """The rows of int_indicator_primair to hide as secondary cells (keys only), period by period."""
    rules = rules_from_records(regels)
    relations = relations_from_records(relaties)
    periods: dict[tuple[str, str], list[Value]] = defaultdict(list)
    for r in primair:
        v = _value(r, r["status"], r["teller_gepubliceerd"], r["noemer_gepubliceerd"], r["grootte"])
        periods[(r["periode"], r["periode_type"])].append(v)
    out = []
    done: dict[tuple[Value, ...], set[int]] = {}
    for (periode, periode_type), values in sorted(periods.items()):
        values.sort(key=lambda v: (v.indicator, v.gebiedcode))
        key = tuple(values)  # a 12-month window that equals a calendar year has the same figures
        if key not in done:
            done[key] = protect_period(values, rules, relations)
        for i in sorted(done[key]):
            v = values[i]
            out.append(
                {
                    "indicator_code": v.indicator,
                    "periode": periode,
                    "periode_type": periode_type,
                    "gebiedcode": v.gebiedcode,
                }
            )
    return out


def _records(con: object, sql: str) -> list[dict]:
    cursor = con.execute(sql)  # type: ignore[attr-defined]
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_rules(con: object) -> tuple[dict[str, Rules], list[Relation]]:
    """The disclosure rules of the catalogue, from the warehouse (int_indicator_regels, indicator_relaties)."""
    rules = rules_from_records(_records(con, "select * from intermediate.int_indicator_regels"))
    relations = relations_from_records(_records(con, "select * from seeds.indicator_relaties"))
    return rules, relations


def published_values(con: object, rules: Mapping[str, Rules], schema: str = "mart") -> dict[str, list[Value]]:
    """Every published row per period ('periode periode_type'), as the attacker reads it from a release."""
    rows = _records(
        con,
        f"""
        select f.periode, f.periode_type, f.gebiedcode, g.niveau, g.gemeentecode, f.indicator_code,
               f.status, f.teller, f.noemer, f.waarde
        from {schema}.fct_indicator_waarde as f
        inner join {schema}.dim_gebied as g on f.gebiedcode = g.gebiedcode
        """,
    )
    periods: dict[str, list[Value]] = defaultdict(list)
    for r in rows:
        rule = rules.get(r["indicator_code"])
        pooled = rule is not None and rule.hierarchie == "gepoold"
        teller = r["waarde"] if pooled else r["teller"]
        periods[f"{r['periode']} {r['periode_type']}"].append(_value(r, r["status"], teller, r["noemer"]))
    return periods
