"""``bench`` reports the probability of meeting each synthetic instance's priority-1 KPI (issue 11)."""

from __future__ import annotations

import optimizer
from scenarios.knapsack import BUNDLED
from simulate import simulate
from whatif.bench import Family, bench, bench_table, synthetic_instance


def test_bench_reports_the_priority_1_kpi_probability_of_every_plan():
    family = Family(creators=120)
    result = bench(("milp", "top-followers"), families=(family,), instances=2, seed=3, kpi_runs=200)
    for k, outcome in enumerate(result["instances"]):
        scenario = synthetic_instance(family, 3 + k)
        assert scenario.kpis  # the generator's scenario has dated KPIs
        for row in outcome["results"]:
            plan = optimizer.optimize(scenario, row["strategy"], seed=3 + k)
            expected = simulate(scenario, plan.posts, runs=200, seed=3 + k).kpi_rows()[0]["probability"]
            assert row["kpi_p1"] == expected  # recomputed independently, same runs and seed
    summary = {r["strategy"]: r for r in result["summary"]}
    for name, row in summary.items():
        mine = [r["kpi_p1"] for o in result["instances"] for r in o["results"] if r["strategy"] == name]
        assert row["kpi_p1_mean"] == sum(mine) / len(mine)
    assert "kpi_p1_mean" in bench_table(result).columns


def test_without_kpi_runs_or_kpis_there_is_no_kpi_column():
    off = bench(("greedy",), families=(Family(creators=60),), instances=1, kpi_runs=0)
    assert off["instances"][0]["results"][0]["kpi_p1"] is None
    assert "kpi_p1_mean" not in off["summary"][0] and "kpi_p1_mean" not in bench_table(off).columns
    knapsack = bench(("greedy",), families=(), instances=0, pisinger=BUNDLED, kpi_runs=200)
    assert all(r["kpi_p1"] is None for o in knapsack["instances"] for r in o["results"])
