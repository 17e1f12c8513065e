"""The scenario's rules as data: who may be hired and whether a plan obeys every constraint.

Strategies use ``eligible`` and ``post_caps``; tests and ``evaluate`` use ``violations``.
"""

from __future__ import annotations

import numpy as np

from .calendar import window_capacity
from .reach import ReachModel

#: Relative slack when comparing money, so that float rounding never flags a plan.
MONEY_TOL = 1e-9


def post_caps(model: ReachModel) -> np.ndarray:
    """Most posts each creator may get: their ``max_posts`` or what their availability window holds
    (``calendar.window_capacity``), whichever is fewer; 0 when ineligible."""
    cap = model.scenario.pool.max_posts
    window = window_capacity(model.scenario)
    if window is not None:
        cap = np.minimum(cap, window)
    return np.where(eligible(model), cap, 0).astype(np.int64)


def eligible(model: ReachModel) -> np.ndarray:
    """Creators that no per-creator rule excludes (exclude list, min rates, max_count = 0, price)."""
    sc = model.scenario
    pool, c = sc.pool, sc.constraints
    ok = pool.max_posts > 0
    if c.exclude:
        index = pool.index_of()
        ok[[index[h] for h in c.exclude]] = False
    if c.min_engagement_rate is not None:
        # Compared in the basis the planner wrote the pool in (per view or per follower).
        ok &= pool.engagement_rate_as_written() >= c.min_engagement_rate
    if c.min_target_match is not None:
        ok &= model.match >= c.min_target_match
    for tier, cap in c.max_count.items():
        if cap == 0:
            ok &= model.tier != sc.tiers.index(tier)
    one_post = pool.price + pool.fee
    ok &= one_post <= sc.budget * (1 + MONEY_TOL)
    if c.max_creator_share is not None:
        ok &= one_post <= c.max_creator_share * sc.budget * (1 + MONEY_TOL)
    for cap in sc.schedule.spend_caps:  # a first post dearer than every period's cap can never go live
        ok &= one_post <= cap.largest * (1 + MONEY_TOL)
    return ok


def violations(model: ReachModel, posts: np.ndarray) -> list[str]:
    """Every rule the plan breaks, one readable line each (empty list = feasible)."""
    sc = model.scenario
    pool, c, budget = sc.pool, sc.constraints, sc.budget
    posts = np.asarray(posts, dtype=np.int64)
    out: list[str] = []
    cost = model.cost(posts)
    total = cost.sum()
    slack = MONEY_TOL * budget
    if total > budget + slack:
        out.append(f"spends {total:,.2f} but the budget is {budget:,.2f}")
    over = np.flatnonzero(posts > pool.max_posts)
    for i in over[:3]:
        out.append(f"{pool.handles[i]} gets {posts[i]} posts but sells at most {pool.max_posts[i]}")
    if (posts < 0).any():
        out.append("has a negative number of posts")
    hired = posts > 0
    index = pool.index_of()
    for h in c.must_include:
        if not hired[index[h]]:
            out.append(f"does not hire {h} (must_include)")
    for h in c.exclude:
        if hired[index[h]]:
            out.append(f"hires {h} (exclude)")
    if c.min_engagement_rate is not None:
        rate = pool.engagement_rate_as_written()
        for i in np.flatnonzero(hired & (rate < c.min_engagement_rate))[:3]:
            out.append(f"hires {pool.handles[i]} whose engagement rate {rate[i]:.4f} is below "
                       f"min_engagement_rate {c.min_engagement_rate}")
    if c.min_target_match is not None:
        for i in np.flatnonzero(hired & (model.match < c.min_target_match - 1e-12))[:3]:
            out.append(f"hires {pool.handles[i]} whose target match {model.match[i]:.4f} is below "
                       f"min_target_match {c.min_target_match}")
    if c.max_creator_share is not None:
        for i in np.flatnonzero(cost > c.max_creator_share * budget + slack)[:3]:
            out.append(f"pays {pool.handles[i]} {cost[i]:,.2f}, above max_creator_share "
                       f"{c.max_creator_share} of the budget")
    names = sc.tiers.names
    counts = np.bincount(model.tier[hired], minlength=len(names))
    spend = np.bincount(model.tier, weights=cost, minlength=len(names))
    for tier, need in c.min_count.items():
        if counts[names.index(tier)] < need:
            out.append(f"hires {counts[names.index(tier)]} {tier} creators but min_count {tier} = {need}")
    for tier, cap in c.max_count.items():
        if counts[names.index(tier)] > cap:
            out.append(f"hires {counts[names.index(tier)]} {tier} creators but max_count {tier} = {cap}")
    for tier, share in c.min_budget_share.items():
        if spend[names.index(tier)] < share * budget - slack:
            out.append(f"spends {spend[names.index(tier)]:,.2f} on {tier} but min_budget_share {tier} = {share}")
    for tier, share in c.max_budget_share.items():
        if spend[names.index(tier)] > share * budget + slack:
            out.append(f"spends {spend[names.index(tier)]:,.2f} on {tier} but max_budget_share {tier} = {share}")
    return out
