"""Infeasible scenarios raise InfeasibleError naming the rules in conflict, with numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optimizer import optimize
from optimizer.synthetic import random_scenario
from scenarios import InfeasibleError, ReachModel


def scenario(**constraints):
    return random_scenario(60, 5, budget_share=0.05, constraints=constraints)


def tier_of(sc, name):
    model = ReachModel.build(sc)
    return np.flatnonzero(model.tier == sc.tiers.index(name))


def test_min_count_needs_more_than_budget():
    sc = scenario(min_count={"micro": 30})
    with pytest.raises(InfeasibleError, match=r"min_count micro = 30 needs at least [\d,.]+ USD but the budget is [\d,.]+"):
        optimize(sc)


def test_min_count_above_eligible():
    sc = scenario(min_count={"mega": 50})
    with pytest.raises(InfeasibleError, match=r"min_count mega = 50 but only \d+ mega creators are eligible"):
        optimize(sc)


def test_must_include_above_creator_share():
    base = scenario()
    one = base.pool.price + base.pool.fee
    # A creator the budget affords but a 1% creator share does not.
    costly = int(np.flatnonzero((one > 0.02 * base.budget) & (one < 0.5 * base.budget))[0])
    sc = scenario(max_creator_share=0.01, must_include=[base.pool.handles[costly]])
    with pytest.raises(InfeasibleError, match=r"must_include @c\d+ costs [\d,.]+ USD for one post, more than "
                                              r"max_creator_share = 0.01 allows"):
        optimize(sc)


def test_must_include_above_budget():
    base = scenario()
    costly = int(np.argmax(base.pool.price + base.pool.fee))
    sc = dataclasses.replace(scenario(must_include=[base.pool.handles[costly]]), budget=1.0)
    with pytest.raises(InfeasibleError, match=r"must_include @c\d+ costs [\d,.]+ USD for one post but the budget is"):
        optimize(sc)


def test_share_rules_in_conflict():
    sc = scenario(min_budget_share={"micro": 0.6, "nano": 0.6})
    with pytest.raises(InfeasibleError, match="min_budget_share"):
        optimize(sc)
    sc = scenario(min_budget_share={"micro": 0.5}, max_budget_share={"micro": 0.3})
    with pytest.raises(InfeasibleError, match=r"min_budget_share micro = 0.5 is above max_budget_share micro = 0.3"):
        optimize(sc)


def test_min_count_above_max_count():
    with pytest.raises(InfeasibleError, match=r"min_count micro = 5 is above max_count micro = 2"):
        optimize(scenario(min_count={"micro": 5}, max_count={"micro": 2}))


def test_joint_minimums_exceed_budget():
    """Tier minimums that each fit but not together name every tier's need and the budget."""
    # Every nano creator is expensive relative to a tight nano spend cap, and min_count needs them.
    sc = scenario()
    nano = tier_of(sc, "nano")
    assert len(nano) >= 3
    cheapest = np.sort((sc.pool.price + sc.pool.fee)[nano])
    budget = sc.budget
    # Two cheapest nano creators fit max_budget_share; min_count 2 passes the pre-check. Adding a
    # micro min share that leaves less than the remaining room makes the whole infeasible only jointly.
    share = (cheapest[:2].sum() * 1.001) / budget
    sc2 = scenario(min_count={"nano": 2}, max_budget_share={"nano": float(min(share, 1.0))},
                   min_budget_share={"micro": float(max(0.0, 1.0 - share * 0.999))})
    with pytest.raises(InfeasibleError) as info:
        optimize(sc2)
    assert "need at least" in str(info.value) and "nano" in str(info.value) and "micro" in str(info.value)
    assert "\n" not in str(info.value)


def test_generic_message_names_active_rules():
    from optimizer import Problem
    from optimizer.infeasibility import generic

    err = generic(Problem.build(scenario(min_count={"micro": 2}, max_budget_share={"mid": 0.2})))
    assert isinstance(err, InfeasibleError)
    assert "min_count micro" in str(err) and "max_budget_share mid" in str(err) and "budget of" in str(err)


def test_conflicting_rules_raise_the_same_error_for_every_strategy():
    """Rules no plan can meet are the scenario's fault: every strategy says so alike (exit 3 in
    the CLI); a heuristic that only misses satisfiable rules returns its plan marked infeasible."""
    sc = scenario(min_count={"micro": 30})
    messages = set()
    for name in ("milp", "greedy", "greedy-enum", "top-followers", "top-engagement", "lowest-cpm", "random"):
        with pytest.raises(InfeasibleError) as err:
            optimize(sc, name)
        messages.add(str(err.value))
    assert len(messages) == 1 and "min_count micro = 30" in messages.pop()
