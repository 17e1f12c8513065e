"""The budget multiplier's search evaluates L with pi fixed through a cached form
(``optimizer.bounds._bound_at_fixed_pi``, issue 12: a report's budget curve spent 1 s per solve
there on 100,000 creators). It must give lagrangian's bound to the bit, for any multipliers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optimizer
from optimizer.bounds import _bound_at_fixed_pi, greedy_multipliers, lagrangian
from optimizer.problem import Problem
from optimizer.synthetic import hard_scenario, random_scenario

SCENARIOS = [
    lambda: random_scenario(300, 1, budget_share=0.03),
    lambda: random_scenario(300, 2, budget_share=0.003),
    lambda: hard_scenario(300, 1, cells=60, budget_share=0.3, quotas=True),
]


@pytest.mark.parametrize("make", SCENARIOS, ids=["random", "random-small-budget", "hard-quotas"])
def test_cached_bound_equals_lagrangian_bit_for_bit(make):
    problem = Problem.build(make())
    posts = optimizer.optimize(problem.scenario, "greedy").posts
    pi, mu, lb = greedy_multipliers(problem, posts)
    link = problem.load @ pi
    bound = _bound_at_fixed_pi(problem, pi, link)
    assert bound(mu) == lb.bound == lagrangian(problem, pi, mu, link).bound
    rng = np.random.default_rng(0)
    scale = float(mu.max()) or 1.0
    for _ in range(20):  # every row's multiplier, not only the budget's; some negative (clipped)
        trial = rng.normal(scale, scale, len(problem.rows))
        assert bound(trial) == lagrangian(problem, pi, trial, link).bound


def test_a_must_include_that_cannot_be_hired_gives_minus_infinity():
    problem = Problem.build(random_scenario(200, 3, budget_share=0.03))
    must = problem.must.copy()
    must[0] = True
    cap = problem.cap.copy()
    cap[0] = 0
    broken = dataclasses.replace(problem, must=must, cap=cap)
    pi = np.ones(len(broken.cells))
    link = broken.load @ pi
    mu = np.zeros(len(broken.rows))
    assert _bound_at_fixed_pi(broken, pi, link)(mu) == lagrangian(broken, pi, mu, link).bound == -np.inf
