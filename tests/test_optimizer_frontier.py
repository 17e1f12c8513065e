"""The inverse question (smallest budget for a reach target) and the frontiers."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer import engagement_frontier, frontier, min_budget_for_reach, optimize
from optimizer.synthetic import random_scenario
from scenarios import InfeasibleError, ReachModel


@pytest.fixture(scope="module")
def sc():
    return random_scenario(150, 21, budget_share=0.05)


@pytest.mark.slow
def test_min_budget_for_reach_brackets_the_answer(sc):
    reach_now = ReachModel.build(sc).evaluate(optimize(sc).posts).target_reach
    target = 0.8 * reach_now
    budget, plan = min_budget_for_reach(sc, target, tolerance=0.01)
    model = ReachModel.build(sc)
    assert model.evaluate(plan.posts).target_reach >= target
    assert model.cost(plan.posts).sum() <= budget * (1 + 1e-9)
    assert budget <= sc.budget
    lo = plan.stats["budget_lower_bound"]
    assert budget - lo <= 0.01 * budget + 1e-9
    # Below the bracket no plan reaches the target: the certified bound says so.
    below = optimize(dataclasses.replace(sc, budget=lo * 0.999), "milp", gap=1e-4)
    assert below.objective_value < target or lo == 0


def test_target_out_of_reach(sc):
    with pytest.raises(InfeasibleError, match="out of reach of the pool: .* at most"):
        min_budget_for_reach(sc, sc.audience.size * 2)


@pytest.mark.slow
def test_frontier_is_monotone(sc):
    rows = frontier(sc, points=5)
    assert len(rows) == 5
    budgets = [r["budget"] for r in rows]
    assert budgets == sorted(budgets)
    reach = [r["target_reach"] for r in rows if r["status"] != "infeasible"]
    ub = [r["upper_bound"] for r in rows if r["status"] != "infeasible"]
    for k in range(1, len(reach)):
        # More budget never proves less: each point is within the gap of its optimum.
        assert ub[k] >= reach[k - 1] * (1 - 1e-9)
        assert reach[k] >= reach[k - 1] * (1 - 1e-3)
    for r in rows:
        assert r["spent"] <= r["budget"] * (1 + 1e-9)


@pytest.mark.slow
def test_engagement_frontier_is_pareto(sc):
    rows = engagement_frontier(sc, points=4)
    assert rows
    for a in rows:
        for b in rows:
            assert not (b["target_reach"] > a["target_reach"] and b["engagements"] > a["engagements"])


def test_min_budget_with_a_budget_share_rule_searches_up_from_the_scenario_budget():
    """min_budget_share makes huge budgets infeasible (the tier cannot absorb its share), so the
    search must not start from the most the pool could absorb (regression)."""
    from pathlib import Path

    from scenarios import load_scenario

    path = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
    sc = load_scenario(path)
    assert sc.constraints.min_budget_share  # the rule this test is about
    budget, plan = min_budget_for_reach(sc, 100_000)
    model = ReachModel.build(sc)
    assert model.evaluate(plan.posts).target_reach >= 100_000
    assert model.cost(plan.posts).sum() <= budget * (1 + 1e-9)
    lower = plan.stats["budget_lower_bound"]
    assert budget - lower <= 0.005 * budget
    below = optimize(sc, "milp", budget=lower)
    assert below.upper_bound < 100_000 * (1 + 1e-3)  # proven (within the gap) not enough below the bracket


def test_frontiers_take_one_configured_strategy(sc):
    """Issue 13: a configured object, not gap/time_limit/solver/seed threaded through."""
    from optimizer import GreedyStrategy, MilpStrategy

    budgets = [0.5 * sc.budget, sc.budget]
    rows = frontier(sc, budgets, strategy=MilpStrategy(gap=0.05, solver="cbc"))
    assert [r["strategy"] for r in rows] == ["milp", "milp"]
    assert all(r["gap"] <= 0.05 for r in rows)
    greedy = frontier(sc, budgets, strategy=GreedyStrategy())
    assert [r["strategy"] for r in greedy] == ["greedy", "greedy"] and all(r["gap"] is None for r in greedy)
    assert [r["target_reach"] for r in frontier(sc, budgets, strategy="greedy")] == [r["target_reach"] for r in greedy]
    assert engagement_frontier(sc, points=2, strategy=GreedyStrategy())
    with pytest.raises(TypeError, match="gap"):
        frontier(sc, budgets, gap=0.01)


def test_min_budget_for_reach_takes_a_configured_strategy(sc):
    from optimizer import GreedyStrategy, MilpStrategy

    model = ReachModel.build(sc)
    target = 0.5 * model.evaluate(optimize(sc, "greedy").posts).target_reach
    budget, plan = min_budget_for_reach(sc, target, tolerance=0.05, strategy=MilpStrategy(gap=0.01, time_limit=60))
    assert plan.strategy == "milp" and model.evaluate(plan.posts).target_reach >= target * (1 - 1e-9)
    g_budget, g_plan = min_budget_for_reach(sc, target, tolerance=0.05, strategy=GreedyStrategy())
    assert g_plan.strategy == "greedy" and g_budget >= budget * (1 - 0.05)
    with pytest.raises(TypeError, match="solver"):
        min_budget_for_reach(sc, target, solver="cbc")
