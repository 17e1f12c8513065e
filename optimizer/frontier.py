"""The inverse question (smallest budget for a reach target) and Pareto frontiers.

* ``min_budget_for_reach``: bisection on the budget with the certified MILP. A budget counts as
  enough when a plan reaching the target is found; as too small when the MILP's proven upper bound
  on reach is below the target (or the rules are infeasible there). The answer is bracketed to a
  relative tolerance; both ends are reported.
* ``frontier``: best target reach per budget (one certified solve per budget).
* ``engagement_frontier``: reach against engagements at the scenario's budget, by weighted sums
  of the two normalised metrics (finds the supported points of the frontier).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from scenarios import InfeasibleError, Objective, Plan, ReachModel, Scenario


def _with(scenario: Scenario, *, budget: float | None = None, weights: dict | None = None) -> Scenario:
    kw = {}
    if budget is not None:
        kw["budget"] = float(budget)
    if weights is not None:
        kw["objective"] = Objective(weights=MappingProxyType(dict(weights)))
    return dataclasses.replace(scenario, **kw)


def _solve(scenario: Scenario, strategy, **params) -> Plan:
    from . import optimize

    return optimize(scenario, strategy, **params)


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
                         gap: float = 1e-3, time_limit: float | None = None, solver: str = "highs",
                         strategy: str = "milp") -> tuple[float, Plan]:
    """Smallest budget (within ``tolerance``, relative) at which a plan reaches ``target_reach``.

    Returns ``(budget, plan)``; ``plan.stats["budget_lower_bound"]`` is the largest budget proven
    (or found, for heuristics) too small. Raises ``InfeasibleError`` when the target is beyond the
    pool's maximum reach (every eligible creator at max_posts).
    """
    sc = _with(scenario, weights={"target_reach": 1.0})
    model = ReachModel.build(sc)
    # The pool's ceiling: every creator the per-creator rules allow, at max_posts, whatever it costs.
    everything = np.where(_eligible_any_budget(model), sc.pool.max_posts, 0)
    ceiling = model.evaluate(everything).target_reach
    if target_reach > ceiling * (1 + 1e-12):
        raise InfeasibleError(f"target reach {target_reach:,.0f} is out of reach of the pool: hiring every eligible "
                              f"creator at max_posts reaches at most {ceiling:,.0f}")
    cap = float(model.cost(everything).sum())
    if sc.constraints.max_creator_share is not None:
        # Each creator may take only a share of the budget: the budget must be large enough for all.
        cap = max(cap, float(model.cost(everything).max(initial=0.0)) / sc.constraints.max_creator_share)
    params = dict(gap=gap, time_limit=time_limit, solver=solver)

    def attempt(budget: float) -> tuple[Plan | None, float, str | None]:
        try:
            plan = _solve(_with(sc, budget=budget), strategy, **params)
        except InfeasibleError as exc:
            return None, 0.0, str(exc)
        return plan, model.evaluate(plan.posts).target_reach, None

    # Feasibility is not monotone in the budget (a min_budget_share cannot be spent from a huge
    # budget), so search upwards from the scenario's own budget, doubling, rather than down from
    # the most the pool could absorb.
    lo, hi, best = 0.0, float(sc.budget), None
    reached, why = 0.0, None
    while best is None:
        plan, reach, why = attempt(hi)
        if plan is not None and reach >= target_reach:
            best = plan
            break
        if plan is not None:
            reached = max(reached, reach)
        lo = hi
        if hi >= cap:
            detail = f"the best plan found reaches {reached:,.0f}" if reached else "no plan satisfies the rules"
            if why:
                detail += f"; at a budget of {hi:,.0f}: {why}"
            raise InfeasibleError(f"target reach {target_reach:,.0f} cannot be met under the rules with any budget "
                                  f"up to {hi:,.0f}: {detail}")
        hi = min(2.0 * hi, cap)
    for _ in range(80):
        if hi - lo <= tolerance * hi:
            break
        mid = 0.5 * (lo + hi)
        plan, reach, _ = attempt(mid)
        # Below a budget where the target was met, infeasible rules mean "too small" (min_count,
        # must_include, min shares need money); share caps only bind from above.
        if plan is not None and reach >= target_reach:
            hi, best = mid, plan
        else:
            lo = mid  # too small, or not proven enough within the gap: a conservative answer
    stats = dict(best.stats)
    stats.update(budget_lower_bound=lo, target_reach=float(target_reach))
    return hi, dataclasses.replace(best, stats=MappingProxyType(stats))


def _eligible_any_budget(model) -> np.ndarray:
    """Creators no per-creator rule excludes, whatever the budget."""
    from scenarios import eligible

    sc = model.scenario
    huge = dataclasses.replace(sc, budget=1e300)
    return eligible(dataclasses.replace(model, scenario=huge))


def frontier(scenario: Scenario, budgets=None, points: int = 10, *, strategy: str = "milp", gap: float = 1e-3,
             time_limit: float | None = None, solver: str = "highs", seed: int = 0,
             metric: str = "target_reach") -> list[dict]:
    """Best ``metric`` per budget: one row per budget (default: 20% .. 200% of the scenario's).

    An infeasible budget gives a row with ``status = "infeasible"`` and the reason.
    """
    if budgets is None:
        budgets = scenario.budget * np.linspace(0.2, 2.0, int(points))
    sc = _with(scenario, weights={metric: 1.0})
    model = ReachModel.build(sc)
    rows = []
    for b in budgets:
        at = _with(sc, budget=float(b))
        try:
            plan = _solve(at, strategy, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
        except InfeasibleError as exc:
            rows.append(_row(at, model, None, str(exc)))
            continue
        rows.append(_row(at, model, plan))
    return rows


def engagement_frontier(scenario: Scenario, points: int = 7, *, strategy: str = "milp", gap: float = 1e-3,
                        time_limit: float | None = None, solver: str = "highs") -> list[dict]:
    """Target reach against engagements at the scenario's budget (Pareto-optimal rows only)."""
    params = dict(gap=gap, time_limit=time_limit, solver=solver)
    top_reach = _solve(_with(scenario, weights={"target_reach": 1.0}), strategy, **params)
    top_eng = _solve(_with(scenario, weights={"engagements": 1.0}), strategy, **params)
    model = ReachModel.build(scenario)
    r_max = max(model.evaluate(top_reach.posts).target_reach, 1e-9)
    e_max = max(model.evaluate(top_eng.posts).engagements, 1e-9)
    rows = []
    for alpha in np.linspace(0.0, 1.0, int(points)):
        weights = {k: v for k, v in {"target_reach": (1 - alpha) / r_max, "engagements": alpha / e_max}.items() if v}
        sc = _with(scenario, weights=weights)
        plan = _solve(sc, strategy, **params)
        row = _row(sc, model, plan)
        row["weight_engagements"] = float(alpha)
        rows.append(row)
    # Keep the Pareto-optimal rows (no other row has more of both).
    keep = [r for r in rows if not any(o["target_reach"] >= r["target_reach"] and o["engagements"] >= r["engagements"]
                                       and (o["target_reach"], o["engagements"]) != (r["target_reach"], r["engagements"])
                                       for o in rows)]
    uniq = {(round(r["target_reach"], 6), round(r["engagements"], 6)): r for r in keep}
    return sorted(uniq.values(), key=lambda r: r["target_reach"])
