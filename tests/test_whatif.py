"""Compare, sweep and bench: their rows equal the individual optimize/evaluate results, a budget
sweep of the exact strategy never loses reach, and parallel runs equal serial ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optimizer
from scenarios import load_scenario
from scenarios.errors import ScenarioError
from scenarios.generate import write_example
from whatif import jobs
from whatif.bench import Family, bench, synthetic_instance
from whatif.compare import compare
from whatif.results import plan_result
from whatif.sweep import sweep

KEYS = ("budget", "spent", "target_reach", "target_impressions", "engagements", "creators_by_tier", "gap")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    scenario_path, _ = write_example(folder, 150, 11)
    return scenario_path


def _same(row, result):
    for key in KEYS:
        if isinstance(result[key], float):
            assert row[key] == pytest.approx(result[key], rel=1e-12), key
        else:
            assert row[key] == result[key], key


def test_compare_rows_equal_individual_optimize_results(small):
    rows = compare([small, small], ["milp", "greedy", "top-followers"])
    assert [(r["strategy"]) for r in rows] == ["milp", "greedy", "top-followers"] * 2
    scenario = load_scenario(small)
    for row in rows[:3]:
        _same(row, plan_result(scenario, optimizer.optimize(scenario, row["strategy"])))
    # The exact strategy is never beaten on the true objective.
    assert rows[0]["target_reach"] >= max(r["target_reach"] for r in rows[1:3]) * (1 - 1e-9)


def test_budget_sweep_rows_equal_optimize_with_that_budget_and_reach_never_falls(small):
    rows = sweep(small, ["budget.total=300:1500:300"])
    budgets = [r["budget"] for r in rows]
    assert budgets == [300, 600, 900, 1200, 1500]
    reach = [r["target_reach"] for r in rows]
    # The MILP proves each value within its gap, so allow exactly that much slack between neighbours.
    for a, b in zip(rows, rows[1:]):
        assert b["target_reach"] >= a["target_reach"] * (1 - 1e-3) - 1e-9
    scenario = load_scenario(small)
    for row in rows:
        one = plan_result(dataclasses.replace(scenario, budget=float(row["budget"])),
                          optimizer.optimize(scenario, "milp", budget=row["budget"]))
        _same(row, one)
        assert row["parameter"] == "budget.total" and row["value"] == row["budget"]
    assert rows[0]["marginal_reach_per_unit"] is None
    for a, b in zip(rows, rows[1:]):
        assert b["marginal_reach_per_unit"] == pytest.approx((b["target_reach"] - a["target_reach"]) / 300)
    assert reach[-1] > reach[0]


def test_grid_sweep_covers_the_product(small):
    rows = sweep(small, ["budget.total=400,800", "constraints.min_budget_share.micro=0,0.5"], strategy="greedy")
    assert [r["parameters"] for r in rows] == [
        {"budget.total": 400, "constraints.min_budget_share.micro": 0},
        {"budget.total": 400, "constraints.min_budget_share.micro": 0.5},
        {"budget.total": 800, "constraints.min_budget_share.micro": 0},
        {"budget.total": 800, "constraints.min_budget_share.micro": 0.5},
    ]
    for row in rows:
        micro_share = row["spend_by_tier"]["micro"] / row["budget"]
        assert micro_share >= row["parameters"]["constraints.min_budget_share.micro"] - 1e-9
    # Marginal reach is only defined between points that differ in budget alone.
    assert rows[2]["marginal_reach_per_unit"] == pytest.approx(
        (rows[2]["target_reach"] - rows[0]["target_reach"]) / 400)


def test_sweep_of_an_unknown_key_is_a_clean_error(small):
    with pytest.raises(ScenarioError, match='budget.totl is not a known key \\(did you mean "total"\\?\\)'):
        sweep(small, ["budget.totl=1,2"])


def test_parallel_compare_and_sweep_equal_serial(small):
    serial = compare([small], ["milp", "random", "greedy"])
    parallel = compare([small], ["milp", "random", "greedy"], jobs=2)
    for a, b in zip(serial, parallel):
        assert {k: a[k] for k in KEYS} == {k: b[k] for k in KEYS}
    s1 = sweep(small, ["budget.total=500,1000"], strategy="greedy")
    s2 = sweep(small, ["budget.total=500,1000"], strategy="greedy", jobs=2)
    assert [r["target_reach"] for r in s1] == [r["target_reach"] for r in s2]


def test_compare_with_simulation_adds_bands_and_kpi_probabilities(small):
    row = compare([small], ["greedy"], simulate=True)[0]
    assert row["sim_views_p5"] <= row["sim_views_p50"] <= row["sim_views_p95"]
    assert row["kpi_targets"] and all(0.0 <= k["probability"] <= 1.0 for k in row["kpi_targets"])
    table = jobs.compare([small], strategies=["greedy"], simulate=True).tables[0]
    assert "sim_target_reach_p50" in table.columns


def test_bench_ratios_are_certified_and_milp_is_best(tmp_path):
    fam = Family(creators=120, budget_share=0.05)
    result = bench(["milp", "greedy", "top-followers"], families=[fam], instances=3, seed=5)
    summary = {r["strategy"]: r for r in result["summary"]}
    assert summary["milp"]["proven_optimal_share"] == 1.0
    assert summary["milp"]["ratio_worst"] >= 1 - 1e-3 - 1e-9
    for name in ("greedy", "top-followers"):
        assert summary[name]["ratio_mean"] <= 1.0 + 1e-9
        assert summary[name]["ratio_mean"] <= summary["milp"]["ratio_mean"] + 1e-9
    # Every ratio is value / the smallest proven bound of that instance.
    for inst in result["instances"]:
        bound = min(r["upper_bound"] for r in inst["results"] if r["upper_bound"] is not None)
        for r in inst["results"]:
            assert r["ratio"] == pytest.approx(r["value"] / bound)


@pytest.mark.slow
def test_bench_on_pisinger_hits_the_known_optima():
    from scenarios.knapsack import BUNDLED

    result = bench(["milp", "greedy"], families=(), instances=0, pisinger=BUNDLED)
    small = [i for i in result["instances"] if int(i["instance"].split("_")[2]) <= 200]
    assert small
    for inst in small:
        milp = next(r for r in inst["results"] if r["strategy"] == "milp")
        assert milp["value"] == pytest.approx(inst["reference"], rel=1e-12)


def test_synthetic_instances_are_deterministic_and_follow_the_family():
    fam = Family(creators=80, tier_mix="micro-heavy", overlap="high", constraints=False, budget_share=0.1)
    a, b = synthetic_instance(fam, 3), synthetic_instance(fam, 3)
    assert a.pool.handles == b.pool.handles and a.budget == b.budget
    assert np.array_equal(a.pool.price, b.pool.price)
    assert a.pool.size == 80
    assert a.budget == pytest.approx(0.1 * (a.pool.price + a.pool.fee).sum())
    assert not a.constraints.min_count and a.constraints.max_creator_share is None
