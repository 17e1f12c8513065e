"""The KPI objective at scale (pytest-benchmark, group "kpi"); each run asserts its result.

Target (issue 11): 10,000 creators, 2 KPIs, M = 200 draws: <= 60 s for ``kpi_plan`` (candidates,
the reach-optimal plan it is compared with, the draws, the lexicographic MILP and both out-of-sample
checks). The pool is ``write_example(10_000, seed=11)``; the KPI targets are the reach-optimal
plan's simulated medians (views by day 21, target reach by day 42), where the choice matters.

    pytest benchmarks/bench_kpi.py --benchmark-only -m huge
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

pytestmark = [pytest.mark.benchmark(group="kpi"), pytest.mark.huge]
SECONDS_LIMIT = 60.0


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    import optimizer
    from scenarios import KpiTarget, load_scenario
    from scenarios.generate import write_example
    from simulate import simulate

    path, _ = write_example(tmp_path_factory.mktemp("kpi10k"), 10_000, 11)
    sc = load_scenario(path)
    sc = dataclasses.replace(sc, simulation=dataclasses.replace(sc.simulation, days=max(sc.simulation.days, 43)))
    reach = optimizer.optimize(sc, "milp")
    probe = dataclasses.replace(sc, kpis=(KpiTarget("views", 1.0, 21, 1), KpiTarget("target_reach", 1.0, 42, 2)))
    res = simulate(probe, reach.posts, runs=500, seed=3)
    return dataclasses.replace(sc, kpis=(KpiTarget("views", round(res.series["views"]["p50"][21], -2), 21, 1),
                                         KpiTarget("target_reach", round(res.series["target_reach"]["p50"][42], -2),
                                                   42, 2)))


def test_10000_creators_2_kpis_200_draws(benchmark, scenario):
    from whatif.kpi_plan import kpi_plan

    found = benchmark.pedantic(kpi_plan, args=(scenario,), kwargs={"draws": 200}, rounds=1, iterations=1)
    p1 = found.kpis[0]
    # Not worse than the reach-optimal plan on its priority-1 KPI beyond Monte Carlo error.
    assert p1["probability"] >= p1["reach_plan_probability"] - 0.03
    assert benchmark.stats.stats.max <= SECONDS_LIMIT
    benchmark.extra_info.update({"seconds": benchmark.stats.stats.max, "p1": p1["probability"],
                                 "p1_reach_plan": p1["reach_plan_probability"], "candidates": found.candidates})
