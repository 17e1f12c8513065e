"""Explain why no plan satisfies the rules, with numbers, before any solver runs.

``check(problem)`` runs cheap necessary conditions (each rule against the budget, the eligible
creators and the other rules) and raises ``InfeasibleError`` naming the rules in conflict. They
are not sufficient: when they all pass and the solver still proves infeasibility, ``generic``
gives the fallback message listing the active rules.
"""

from __future__ import annotations

import numpy as np

from scenarios import InfeasibleError
from scenarios.rules import MONEY_TOL

from .problem import Problem


def _money(x: float, currency: str) -> str:
    # Whole amounts print without decimals ("18,400 TRY"); others keep cents so that two
    # different amounts in one message never print the same.
    return f"{x:,.0f} {currency}" if float(x).is_integer() else f"{x:,.2f} {currency}"


def check(problem: Problem) -> None:
    p, sc = problem, problem.scenario
    c, cur, budget = sc.constraints, sc.currency, problem.budget
    pool, names = sc.pool, sc.tiers.names
    over = 1 + MONEY_TOL
    one_post = p.price + p.fee
    index = pool.index_of()

    def fail(msg: str):
        raise InfeasibleError(msg)

    # 1. Every must_include creator must be hireable on its own.
    for h in c.must_include:
        i = index[h]
        if p.cap[i] > 0:
            continue
        t = p.tier[i]
        if pool.max_posts[i] <= 0:
            fail(f"must_include {h} sells no posts (max_posts = 0)")
        if c.min_engagement_rate is not None and pool.engagement_rate[i] < c.min_engagement_rate:
            fail(f"must_include {h} has engagement rate {pool.engagement_rate[i]:.4f}, below "
                 f"min_engagement_rate = {c.min_engagement_rate:g}")
        if c.min_target_match is not None and p.model.match[i] < c.min_target_match:
            fail(f"must_include {h} has target match {p.model.match[i]:.4f}, below "
                 f"min_target_match = {c.min_target_match:g}")
        if t >= 0 and c.max_count.get(names[t]) == 0:
            fail(f"must_include {h} is a {names[t]} creator but max_count {names[t]} = 0")
        if one_post[i] > budget * over:
            fail(f"must_include {h} costs {_money(one_post[i], cur)} for one post but the budget is "
                 f"{_money(budget, cur)}")
        if c.max_creator_share is not None:
            fail(f"must_include {h} costs {_money(one_post[i], cur)} for one post, more than "
                 f"max_creator_share = {c.max_creator_share:g} allows ({_money(c.max_creator_share * budget, cur)})")
        for cap in sc.schedule.spend_caps:
            if one_post[i] > cap.largest * over:
                fail(f"must_include {h} costs {_money(one_post[i], cur)} for its first post, more than any period of "
                     f"budget.{cap.name} allows ({_money(cap.largest, cur)}); raise the cap or drop it from must_include")
        if pool.available_from is not None:
            fail(f"must_include {h} has no posting day in its availability window (available_from "
                 f"{int(pool.available_from[i])}, available_to {int(pool.available_to[i])} as campaign days) under "
                 "start_day, min_spacing_days and the blackout days; widen the window or drop it from must_include")
        fail(f"must_include {h} cannot be hired under the scenario's rules")
    must_cost = float(one_post[p.must].sum())
    if must_cost > budget * over:
        fail(f"must_include creators cost at least {_money(must_cost, cur)} (one post each) but the budget is "
             f"{_money(budget, cur)}")

    # 2. Per tier: counts and spend that the tier's own rules and the budget must allow.
    need_money = {}
    for t, name in enumerate(names):
        in_tier = p.tier == t
        musts = int((p.must & in_tier).sum())
        must_spend = float(one_post[p.must & in_tier].sum())
        lo_count = max(c.min_count.get(name, 0), musts)
        hi_count = c.max_count.get(name)
        if hi_count is not None and musts > hi_count:
            fail(f"must_include names {musts} {name} creators but max_count {name} = {hi_count}")
        if hi_count is not None and c.min_count.get(name, 0) > hi_count:
            fail(f"min_count {name} = {c.min_count[name]} is above max_count {name} = {hi_count}")
        lo_share, hi_share = c.min_budget_share.get(name, 0.0), c.max_budget_share.get(name)
        if hi_share is not None and lo_share > hi_share:
            fail(f"min_budget_share {name} = {lo_share:g} is above max_budget_share {name} = {hi_share:g}")
        if hi_share is not None and must_spend > hi_share * budget * over:
            fail(f"must_include {name} creators cost at least {_money(must_spend, cur)} but max_budget_share "
                 f"{name} = {hi_share:g} allows {_money(hi_share * budget, cur)}")
        eligible = np.flatnonzero(in_tier & (p.cap > 0) & ~p.must)
        extra = lo_count - musts
        if extra > len(eligible):
            fail(f"min_count {name} = {c.min_count.get(name, 0)} but only {len(eligible) + musts} {name} creators "
                 f"are eligible (after exclude, min_engagement_rate, min_target_match, max_creator_share and "
                 f"the budget)")
        cheapest = must_spend + float(np.sort(one_post[eligible])[:max(extra, 0)].sum())
        if c.min_count.get(name, 0) and cheapest > budget * over:
            fail(f"min_count {name} = {c.min_count[name]} needs at least {_money(cheapest, cur)} but the budget is "
                 f"{_money(budget, cur)}")
        if c.min_count.get(name, 0) and hi_share is not None and cheapest > hi_share * budget * over:
            fail(f"min_count {name} = {c.min_count[name]} needs at least {_money(cheapest, cur)} but "
                 f"max_budget_share {name} = {hi_share:g} allows {_money(hi_share * budget, cur)}")
        if lo_share > 0:
            # Most this tier can absorb: every eligible creator at its cap (or the top max_count).
            full = p.cost(p.cap)[in_tier & (p.cap > 0)]
            if hi_count is not None:
                full = np.sort(full)[::-1][:hi_count]
            absorb = float(full.sum())
            if absorb < lo_share * budget * (1 - MONEY_TOL):
                fail(f"min_budget_share {name} = {lo_share:g} needs {_money(lo_share * budget, cur)} spent on "
                     f"{name} creators but they can take at most {_money(absorb, cur)} (max_posts, "
                     f"max_creator_share, max_count)")
        need_money[name] = max(cheapest, lo_share * budget)
    shares = sum(c.min_budget_share.values())
    if shares > 1 + 1e-9:
        fail(f"min_budget_share values sum to {shares:g}, more than the whole budget")
    total = sum(need_money.values()) + float(one_post[p.must & (p.tier < 0)].sum())
    if total > budget * over:
        parts = [f"{k} {_money(v, cur)}" for k, v in need_money.items() if v > 0]
        fail(f"the tier minimums (min_count, min_budget_share, must_include) need at least {_money(total, cur)} "
             f"({', '.join(parts)}) but the budget is {_money(budget, cur)}")


def generic(problem: Problem) -> InfeasibleError:
    """The fallback when the solver proves infeasibility that no pre-check explains."""
    sc = problem.scenario
    active = [r.label for r in problem.rows if r.label != "budget"]
    if sc.constraints.must_include:
        active.append(f"must_include ({len(sc.constraints.must_include)} creators)")
    if sc.constraints.max_creator_share is not None:
        active.append(f"max_creator_share = {sc.constraints.max_creator_share:g}")
    rules = ", ".join(active) if active else "max_posts"
    return InfeasibleError(f"no plan satisfies every rule together: the budget of "
                           f"{_money(problem.budget, sc.currency)} with {rules}; relax one of them")
