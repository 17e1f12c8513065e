"""greedy-enum remembers its greedy completions by the plans they pass through (issue 12).

A seeded completion that reaches a plan an earlier one passed through stops and takes that one's
result. The plans must be those of running every completion to its end (``reuse=False``, the
implementation before issue 12), on every kind of rule and objective; a hash collision may only cost
time; the cached first-post reach must give the builder's gains.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import Problem, get_strategy, infeasibility
from optimizer import greedy as G
from optimizer.builder import PlanBuilder
from optimizer.synthetic import hard_scenario, random_scenario

RULES = [None, {"min_count": {"micro": 3}}, {"max_count": {"mid": 2, "macro": 1}},
         {"min_budget_share": {"nano": 0.2}}, {"max_budget_share": {"mega": 0.3}, "min_count": {"nano": 2}},
         {"max_creator_share": 0.2}, {"min_count": {"micro": 2}, "max_count": {"nano": 3}, "min_budget_share": {"mid": 0.1}}]
OBJECTIVES = [None, {"maximize": "target_impressions"}, {"weights": {"target_reach": 1.0, "engagements": 3.0}}]


def _problems():
    rng = np.random.default_rng(7)
    for k in range(28):
        sc = random_scenario(int(rng.choice([30, 200, 800])), k, budget_share=float(rng.choice([0.003, 0.03, 0.3])),
                             constraints=RULES[k % len(RULES)], objective=OBJECTIVES[k % len(OBJECTIVES)],
                             max_posts=(1, int(rng.choice([1, 3, 5]))), repeat_decay=float(rng.choice([0.5, 0.7, 1.0])),
                             locations=int(rng.choice([1, 3, 10])))
        problem = Problem.build(sc)
        try:
            infeasibility.check(problem)
        except Exception:
            continue
        yield problem


@pytest.mark.slow
def test_reuse_gives_the_plans_of_full_runs():
    reused = 0
    checked = 0
    for problem in _problems():
        old = G._enumerate(problem, 12, reuse=False)
        new = G._enumerate(problem, 12, reuse=True)
        assert np.array_equal(old[0], new[0]) and old[1] == new[1]
        assert new[2]["greedy_runs"] == old[2]["greedy_runs"]
        reused += new[2]["reused_runs"]
        checked += 1
    assert checked >= 20 and reused > 0


@pytest.mark.slow
def test_hard_shape_with_quotas():
    problem = Problem.build(hard_scenario(2_000, 3, cells=240, budget_share=0.003))
    old, new = G._enumerate(problem, 12, reuse=False), G._enumerate(problem, 12, reuse=True)
    assert np.array_equal(old[0], new[0]) and old[1] == new[1] and new[2]["reused_runs"] > 0


@pytest.mark.slow
def test_a_hash_collision_costs_time_not_the_plan(monkeypatch):
    """With every plan hashing alike, every look-up hits a plan that is checked and refused, or
    really is the same plan."""
    real = G._Completions.__init__

    def colliding(self, problem):
        real(self, problem)
        self.keys = [0] * problem.n

    monkeypatch.setattr(G._Completions, "__init__", colliding)
    for problem in list(_problems())[:12]:
        old, new = G._enumerate(problem, 12, reuse=False), G._enumerate(problem, 12, reuse=True)
        assert np.array_equal(old[0], new[0]) and old[1] == new[1]


def test_cached_first_post_reach_gives_the_builders_gains():
    problem = Problem.build(random_scenario(3_000, 5, max_posts=(1, 4)))
    memo = G._Completions(problem)
    b, ref = G._RecordingBuilder(problem, memo.keys, memo.first_reach), PlanBuilder(problem)
    for i in np.random.default_rng(0).choice(problem.n, 40, replace=False).tolist():
        if b.can_add(i):
            b.add(i)
            ref.add(i)
    assert b.log and b.key != 0
    for rows in (np.arange(problem.n), np.flatnonzero(b.posts > 0), np.flatnonzero(problem.tier == 1)):
        np.testing.assert_allclose(b.first_gains(rows), ref.first_gains(rows), rtol=1e-13, atol=0)


@pytest.mark.parametrize("budget_share", [0.03, 0.003])
def test_strategy_reports_reused_runs(budget_share):
    sc = random_scenario(2_000, 11, budget_share=budget_share)
    plan = get_strategy("greedy-enum").select(sc)
    assert plan.stats["reused_runs"] <= plan.stats["greedy_runs"]
    assert np.array_equal(plan.posts, G._enumerate(Problem.build(sc), 12, reuse=False)[0])
