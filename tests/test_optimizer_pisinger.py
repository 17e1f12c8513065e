"""Every Pisinger 0/1 knapsack instance (scenarios/data/knapsack-pisinger) solved to its proven optimum.

Objective target_impressions, one post per creator, per-post target impressions = profit,
price = weight, budget = capacity (see scenarios/knapsack.py and the data README).
"""

from __future__ import annotations

import csv

import pytest

from optimizer import optimize
from scenarios.knapsack import BUNDLED, as_scenario, read_instance
from scenarios import ReachModel, violations

DATA = BUNDLED
ROWS = list(csv.DictReader((DATA / "optima.csv").open()))


def test_all_instances_present():
    assert len(ROWS) == 21
    for row in ROWS:
        assert (DATA / f"{row['instance']}.txt").exists()


@pytest.mark.parametrize("row", ROWS, ids=[r["instance"] for r in ROWS])
def test_proven_optimum(row):
    instance = read_instance(DATA / f"{row['instance']}.txt")
    profits = instance.profits
    assert len(profits) == int(row["n"]) and instance.capacity == float(row["capacity"])
    sc = as_scenario(instance)
    model = ReachModel.build(sc)
    assert (model.per_post.sum(axis=1) == profits).all()  # the mapping is exact
    plan = optimize(sc, "milp", gap=0.0)
    optimum = float(row["optimum"])
    assert plan.status == "optimal"
    assert plan.objective_value == optimum
    assert violations(model, plan.posts) == []
    assert plan.upper_bound < optimum + 1  # integral objective: the bound proves optimality
    greedy = optimize(sc, "greedy")
    assert greedy.objective_value <= optimum
