"""The milp strategy against brute-force enumeration of every plan on small random instances.

The brute force below re-implements the contract's rules and objective directly from the
scenario (not from ``optimizer.problem``), so that a shared mistake cannot hide.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizer import optimize
from optimizer.synthetic import random_scenario
from scenarios import ReachModel, violations

TOL = 1e-9


def brute_force(scenario):
    """(best value, best posts) over every post vector, or (None, None) when nothing is feasible."""
    model = ReachModel.build(scenario)
    pool, c, budget = scenario.pool, scenario.constraints, scenario.budget
    grids = [range(int(m) + 1) for m in pool.max_posts]
    plans = np.array(list(itertools.product(*grids)), dtype=np.int64)
    hired = plans > 0
    cost = plans * pool.price + hired * pool.fee
    total = cost.sum(axis=1)
    ok = total <= budget * (1 + TOL)
    index = pool.index_of()
    for h in c.must_include:
        ok &= hired[:, index[h]]
    for h in c.exclude:
        ok &= ~hired[:, index[h]]
    if c.min_engagement_rate is not None:
        ok &= ~(hired & (pool.engagement_rate < c.min_engagement_rate)).any(axis=1)
    if c.min_target_match is not None:
        ok &= ~(hired & (model.match < c.min_target_match)).any(axis=1)
    if c.max_creator_share is not None:
        ok &= (cost <= c.max_creator_share * budget * (1 + TOL)).all(axis=1)
    names = scenario.tiers.names
    for tier, need in c.min_count.items():
        ok &= (hired & (model.tier == names.index(tier))).sum(axis=1) >= need
    for tier, cap in c.max_count.items():
        ok &= (hired & (model.tier == names.index(tier))).sum(axis=1) <= cap
    for tier, share in c.min_budget_share.items():
        ok &= (cost * (model.tier == names.index(tier))).sum(axis=1) >= share * budget * (1 - TOL)
    for tier, share in c.max_budget_share.items():
        ok &= (cost * (model.tier == names.index(tier))).sum(axis=1) <= share * budget * (1 + TOL)
    if not ok.any():
        return None, None
    plans = plans[ok]
    rho = scenario.model.repeat_decay
    w = plans.astype(float) if rho == 1.0 else (1 - rho ** plans) / (1 - rho)
    impressions = w @ model.per_post  # (plans, cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(model.population > 0, model.population * -np.expm1(-impressions / model.population), 0.0)
    metrics = {"target_reach": reach.sum(axis=1), "target_impressions": impressions.sum(axis=1),
               "engagements": (plans * pool.avg_views * pool.engagement_rate).sum(axis=1)}
    value = sum(wt * metrics[k] for k, wt in scenario.objective.weights.items())
    best = int(np.argmax(value))
    return float(value[best]), plans[best]


def instance(seed: int):
    """A small instance with several tiers, fees, 2-3 posts and (seeded) active rules."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 8))
    constraints = {}
    roll = rng.random(6)
    if roll[0] < 0.5:
        constraints["min_count"] = {"micro": 1}
    if roll[1] < 0.4:
        constraints["max_count"] = {"nano": 1}
    if roll[2] < 0.4:
        constraints["max_creator_share"] = float(rng.uniform(0.3, 0.6))
    if roll[3] < 0.3:
        constraints["min_budget_share"] = {"micro": 0.2}
    if roll[4] < 0.3:
        constraints["max_budget_share"] = {"mid": 0.4}
    if roll[5] < 0.3:
        constraints["min_engagement_rate"] = 0.05
    objective = [{"maximize": "target_reach"}, {"maximize": "target_reach"}, {"maximize": "target_impressions"},
                 {"maximize": "engagements"}, {"weights": {"target_reach": 1.0, "engagements": 3.0}}][seed % 5]
    sc = random_scenario(n, seed, budget_share=float(rng.uniform(0.25, 0.7)), locations=2, ages=("18-24", "25-34"),
                         max_posts=(2, 3), constraints=constraints, objective=objective,
                         repeat_decay=float(rng.choice([0.5, 0.7, 1.0])), audience_size=float(rng.uniform(2e4, 5e5)),
                         fee_share=0.5)
    return sc


SEEDS = list(range(60))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_milp_matches_brute_force(seed):
    sc = instance(seed)
    best, _ = brute_force(sc)
    if best is None:
        with pytest.raises(Exception) as info:
            optimize(sc, "milp", gap=1e-9)
        assert type(info.value).__name__ == "InfeasibleError"
        return
    plan = optimize(sc, "milp", gap=1e-9)
    model = ReachModel.build(sc)
    assert violations(model, plan.posts) == []
    assert plan.objective_value == pytest.approx(best, rel=1e-6)
    # The proven bound is never below the true optimum.
    assert plan.upper_bound >= best * (1 - 1e-9)
    greedy = optimize(sc, "greedy")
    if greedy.status != "infeasible":
        assert plan.objective_value >= greedy.objective_value * (1 - 1e-12)


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_default_gap_is_honest(seed):
    """With the default gap the plan is within it of the brute-force optimum, and the bound holds."""
    sc = instance(seed)
    best, _ = brute_force(sc)
    if best is None:
        return
    plan = optimize(sc, "milp")
    assert plan.upper_bound >= best * (1 - 1e-9)
    assert plan.objective_value >= best * (1 - 1e-3) - 1e-9
    assert plan.gap <= 1e-3 + 1e-12


def test_instances_exercise_rules():
    """Guard against a generator that stops producing binding rules (the tests would go soft)."""
    binding = 0
    for seed in SEEDS:
        sc = instance(seed)
        if sc.constraints.min_count or sc.constraints.max_creator_share or sc.constraints.min_budget_share:
            binding += 1
    assert binding >= len(SEEDS) // 3
