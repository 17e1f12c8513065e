"""The inverse question (smallest budget for a reach target) and Pareto frontiers.

* ``min_budget_for_reach``: bisection on the budget with the certified MILP in decision mode. A
  budget counts as enough when a plan reaching the target is found; as too small only when the
  MILP's certified upper bound on reach is below the target (or no plan obeys the rules there);
  otherwise it is undecided (the gap is tightened, then the budget is left unproven). The
  answer is bracketed to a relative tolerance when the proofs allow, and says so when not.
* ``frontier``: best target reach per budget (one certified solve per budget).
* ``engagement_frontier``: reach against engagements at the scenario's budget, by weighted sums
  of the two normalised metrics (finds the supported points of the frontier).

Each takes one configured strategy (``MilpStrategy(gap=1e-3, time_limit=30)``, or a name for its
default settings), as scikit-learn meta-estimators take an estimator.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from scenarios import InfeasibleError, Objective, Plan, ReachModel, Scenario
from scenarios.calendar import window_capacity

from .base import Strategy, make_strategy, with_settings


def _with(scenario: Scenario, *, budget: float | None = None, weights: dict | None = None) -> Scenario:
    kw = {}
    if budget is not None:
        kw["budget"] = float(budget)
    if weights is not None:
        kw["objective"] = Objective(weights=MappingProxyType(dict(weights)))
    return dataclasses.replace(scenario, **kw)


def _solve(scenario: Scenario, strategy: Strategy) -> Plan:
    from . import optimize

    return optimize(scenario, strategy)


def _row(scenario: Scenario, model: ReachModel, plan: Plan | None, reason: str | None = None) -> dict:
    """One frontier row. ``model`` is built once per frontier: the reach model does not depend on
    the budget or the objective weights that vary along it."""
    row = {"budget": float(scenario.budget)}
    if plan is None:
        row.update(status="infeasible", reason=reason)
        return row
    ev = model.evaluate(plan.posts)
    row.update(status=plan.status, strategy=plan.strategy, spent=ev.cost, target_reach=ev.target_reach,
               target_impressions=ev.target_impressions, engagements=ev.engagements, creators=ev.creators,
               posts=ev.posts, objective=scenario.objective.name, objective_value=plan.objective_value,
               upper_bound=plan.upper_bound, gap=plan.gap, seconds=plan.seconds)
    return row


def min_budget_for_reach(scenario: Scenario, target_reach: float, *, tolerance: float = 0.005,
                         strategy: Strategy | str = "milp") -> tuple[float, Plan]:
    """Smallest budget (within ``tolerance``, relative) at which a plan reaches ``target_reach``.

    ``strategy`` (a configured object, or a name for its default settings) decides each budget; a
    ``MilpStrategy`` runs in decision mode and, while a budget is undecided, with its gap tightened
    ten and a hundred times.

    Returns ``(budget, plan)``: ``plan`` reaches the target and costs at most ``budget``.
    ``plan.stats``: ``budget_lower_bound`` is the largest budget *proven* too small (its certified
    upper bound on reach is below the target, or its rules admit no plan; 0 when none was proven)
    and ``budget_proven`` says whether ``budget - budget_lower_bound <= tolerance * budget``; when it
    is false, ``budget_note`` says why. Raises ``InfeasibleError`` when the target is beyond the
    pool's maximum reach (every eligible creator at max_posts) or no budget up to the most the
    pool can absorb reaches it.
    """
    sc = _with(scenario, weights={"target_reach": 1.0})
    model = ReachModel.build(sc)
    # The pool's ceiling: every creator the per-creator rules allow, at max_posts, whatever it costs.
    window = window_capacity(sc)  # availability windows hold fewer posts than max_posts
    sells = sc.pool.max_posts if window is None else np.minimum(sc.pool.max_posts, window)
    everything = np.where(_eligible_any_budget(model), sells, 0)
    ceiling = model.evaluate(everything).target_reach
    if target_reach > ceiling * (1 + 1e-12):
        raise InfeasibleError(f"target reach {target_reach:,.0f} is out of reach of the pool: hiring every eligible "
                              f"creator at max_posts reaches at most {ceiling:,.0f}")
    cap = float(model.cost(everything).sum())
    if sc.constraints.max_creator_share is not None:
        # Each creator may take only a share of the budget: the budget must be large enough for all.
        cap = max(cap, float(model.cost(everything).max(initial=0.0)) / sc.constraints.max_creator_share)
    c = sc.constraints
    # Without rules stated as shares of the budget, a plan that reaches the target at one budget
    # obeys every rule at its own spend too, so the search may jump down to what it spent.
    relative = bool(c.max_budget_share or c.min_budget_share or c.max_creator_share is not None)
    # Reach is a float sum over cells: two computations of the same plan may differ in the last
    # bits, so "reaches" means at least ``goal``; a "too small" proof excludes even that.
    goal = float(target_reach) * (1.0 - REACH_RTOL)
    search = _Search(sc, model, goal, make_strategy(strategy))

    # Feasibility is not monotone in the budget (a min_budget_share cannot be spent from a huge
    # budget), so search upwards from the scenario's own budget, doubling, rather than down from
    # the most the pool could absorb.
    lo, hi, best, probe = 0.0, None, None, float(sc.budget)
    while best is None:
        verdict, plan, spent = search.decide(probe)
        if verdict == "enough":
            hi, best = (probe if relative else min(probe, spent)), plan
            break
        if verdict == "small":
            lo = probe
        if probe >= cap:
            detail = f"the best plan found reaches {search.reached:,.0f}" if search.reached else "no plan satisfies the rules"
            if search.why:
                detail += f"; at a budget of {probe:,.0f}: {search.why}"
            raise InfeasibleError(f"target reach {target_reach:,.0f} cannot be met under the rules with any budget "
                                  f"up to {probe:,.0f}: {detail}")
        probe = min(2.0 * probe, cap)
    # Bisection between the largest budget examined below ``hi`` (``seen``: proven too small or
    # undecided) and ``hi``. Only a proof moves ``lo``: a budget where the best plan found misses
    # the target but the bound does not exclude it is "undecided", never "too small".
    seen = lo
    for _ in range(60):
        if hi - lo <= tolerance * hi:
            break
        if hi - seen > tolerance * hi:
            mid = 0.5 * (seen + hi)
        elif search.tried_below(hi, tolerance):
            break  # the bracket is as tight as the solver can prove within the time given
        else:
            mid = hi * (1.0 - tolerance)  # try to prove the budget just below the bracket too small
        verdict, plan, spent = search.decide(mid)
        if verdict == "enough":
            hi, best = (mid if relative else min(mid, spent)), plan
            if seen >= hi:  # a plan cheaper than a budget left undecided: bisect from the proof again
                seen = lo
        elif verdict == "small":
            lo = seen = max(lo, mid)
        else:
            seen = max(seen, mid)
    proven = hi - lo <= tolerance * hi * (1 + 1e-12)
    stats = dict(best.stats)
    stats.update(budget_lower_bound=lo, budget_proven=proven, target_reach=float(target_reach),
                 budget_solves=search.solves)
    if not proven:
        stats["budget_note"] = (f"could not prove {hi:,.2f} within {tolerance:.2%} of the smallest budget: the largest "
                                f"budget proven too small is {lo:,.2f}; undecided budgets lie between (the best plan "
                                "found there misses the target, but the bound does not exclude one); pass a smaller "
                                "gap or a longer time limit")
    return hi, dataclasses.replace(best, stats=MappingProxyType(stats))


#: Relative float slack on "reaches the target" (see ``min_budget_for_reach``).
REACH_RTOL = 1e-9


class _Search:
    """One budget at a time: is it enough, proven too small, or undecided?"""

    #: Gaps tried in turn while a budget is undecided, as factors of the requested gap.
    GAP_STEPS = (1.0, 0.1, 0.01)

    def __init__(self, sc, model, target, strategy: Strategy):
        self.sc, self.model, self.target, self.strategy = sc, model, target, strategy
        # A strategy without a gap setting proves nothing more when asked again: one try per budget.
        self.gap = float(getattr(strategy, "gap", 0.0) or 0.0)
        self.reached, self.why, self.solves, self.tried = 0.0, None, 0, []

    def tried_below(self, hi: float, tolerance: float) -> bool:
        return any(hi * (1 - tolerance) * (1 - 1e-9) <= b < hi for b in self.tried)

    def _plan(self, budget: float, gap: float) -> Plan:
        sc = _with(self.sc, budget=budget)
        from .milp import MilpStrategy

        if not isinstance(self.strategy, MilpStrategy):
            return _solve(sc, with_settings(self.strategy, gap=gap))
        # Decision mode: the solver stops as soon as the question at this budget is answered.
        return dataclasses.replace(self.strategy, gap=gap, target=self.target).select(sc)

    def decide(self, budget: float) -> tuple[str, Plan | None, float]:
        """("enough" | "small" | "undecided", plan, its spend) at ``budget``."""
        self.tried.append(budget)
        plan = None
        for step in self.GAP_STEPS if self.gap > 0 else (1.0,):
            self.solves += 1
            try:
                plan = self._plan(budget, self.gap * step)
            except InfeasibleError as exc:
                self.why = str(exc)
                return "small", None, 0.0  # no plan obeys the rules at this budget: a proof
            ev = self.model.evaluate(plan.posts)
            if plan.status != "infeasible":
                if ev.target_reach >= self.target:
                    return "enough", plan, float(ev.cost)
                self.reached = max(self.reached, ev.target_reach)
            if plan.upper_bound is not None and plan.upper_bound < self.target:
                return "small", plan, 0.0  # the certified bound on reach is below the target
            if plan.upper_bound is None or plan.status == "time_limit":
                break  # a heuristic proves nothing; a solver out of time will not do better
        return "undecided", plan, 0.0


def _eligible_any_budget(model) -> np.ndarray:
    """Creators no per-creator rule excludes, whatever the budget."""
    from scenarios import eligible

    sc = model.scenario
    huge = dataclasses.replace(sc, budget=1e300)
    return eligible(dataclasses.replace(model, scenario=huge))


def frontier(scenario: Scenario, budgets=None, points: int = 10, *, strategy: Strategy | str = "milp",
             metric: str = "target_reach") -> list[dict]:
    """Best ``metric`` per budget: one row per budget (default: 20% .. 200% of the scenario's), each
    chosen by ``strategy`` (a configured object, e.g. ``MilpStrategy(gap=1e-2)``, or a name).

    An infeasible budget gives a row with ``status = "infeasible"`` and the reason.
    """
    strategy = make_strategy(strategy)
    if budgets is None:
        budgets = scenario.budget * np.linspace(0.2, 2.0, int(points))
    sc = _with(scenario, weights={metric: 1.0})
    model = ReachModel.build(sc)
    rows = []
    for b in budgets:
        at = _with(sc, budget=float(b))
        try:
            plan = _solve(at, strategy)
        except InfeasibleError as exc:
            rows.append(_row(at, model, None, str(exc)))
            continue
        rows.append(_row(at, model, plan))
    return rows


def engagement_frontier(scenario: Scenario, points: int = 7, *, strategy: Strategy | str = "milp") -> list[dict]:
    """Target reach against engagements at the scenario's budget (Pareto-optimal rows only), each
    point chosen by ``strategy`` (a configured object or a name)."""
    strategy = make_strategy(strategy)
    top_reach = _solve(_with(scenario, weights={"target_reach": 1.0}), strategy)
    top_eng = _solve(_with(scenario, weights={"engagements": 1.0}), strategy)
    model = ReachModel.build(scenario)
    r_max = max(model.evaluate(top_reach.posts).target_reach, 1e-9)
    e_max = max(model.evaluate(top_eng.posts).engagements, 1e-9)
    rows = []
    for alpha in np.linspace(0.0, 1.0, int(points)):
        weights = {k: v for k, v in {"target_reach": (1 - alpha) / r_max, "engagements": alpha / e_max}.items() if v}
        sc = _with(scenario, weights=weights)
        plan = _solve(sc, strategy)
        row = _row(sc, model, plan)
        row["weight_engagements"] = float(alpha)
        rows.append(row)
    # Keep the Pareto-optimal rows (no other row has more of both).
    keep = [r for r in rows if not any(o["target_reach"] >= r["target_reach"] and o["engagements"] >= r["engagements"]
                                       and (o["target_reach"], o["engagements"]) != (r["target_reach"], r["engagements"])
                                       for o in rows)]
    uniq = {(round(r["target_reach"], 6), round(r["engagements"], 6)): r for r in keep}
    return sorted(uniq.values(), key=lambda r: r["target_reach"])
