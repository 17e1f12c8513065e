"""Compare, sweep and bench: their rows equal the individual optimize/evaluate results, a budget
sweep of the exact strategy never loses reach, and parallel runs equal serial ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optimizer
from scenarios import load_scenario
from scenarios.errors import ReachmixError, ScenarioError
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


# --- configured strategy objects (issue 13): settings travel with the object ----------------


@dataclasses.dataclass(frozen=True)
class Tagged:
    """Greedy's plan, named after its setting: shows which settings the worker's copy had."""

    tag: str = "plain"
    name: str = "tagged"

    def select(self, scenario, *, problem=None):
        plan = optimizer.GreedyStrategy().select(scenario, problem=problem)
        return dataclasses.replace(plan, strategy=f"tagged-{self.tag}")


class Stored:
    """Not a dataclass, but stores its constructor arguments (scikit-learn's rule)."""

    name = "stored"

    def __init__(self, seed: int = 0, width: int = 2):
        self.seed, self.width = seed, width

    def select(self, scenario):
        return optimizer.RandomStrategy(seed=self.seed).select(scenario)


class Forgetful(Stored):
    def __init__(self, seed: int = 0, width: int = 2):
        self.seed, self._width = seed, width


def test_compare_carries_configured_objects_to_the_workers(small):
    from optimizer import MilpStrategy

    rows = compare([small, small], [MilpStrategy(gap=0.0), MilpStrategy(), Tagged("blue")], jobs=2)
    assert [r["strategy"] for r in rows] == ["milp", "milp", "tagged-blue"] * 2
    exact, default = rows[0], rows[1]
    assert exact["gap"] == 0.0 < default["gap"] <= 1e-3  # gap=0 reached the worker: proven exactly
    assert exact["target_reach"] >= default["target_reach"]
    assert rows[3]["gap"] == 0.0 and rows[3]["target_reach"] == exact["target_reach"]
    with pytest.raises(ValueError, match='solver must be "highs" or "cbc", not "nope"'):
        compare([small, small], [MilpStrategy(solver="nope")], jobs=2)  # raised in a worker, by its copy


def test_sweep_and_bench_take_configured_objects(small):
    rows = sweep(small, ["budget.total=500,1000"], strategy=Tagged("red"), jobs=2)
    assert [r["strategy"] for r in rows] == ["tagged-red", "tagged-red"]
    fam = Family(creators=60)
    by_name = bench(["random"], families=[fam], instances=2, seed=4)
    # Each instance gives the strategy its seed, whatever the object was configured with.
    by_object = bench([optimizer.RandomStrategy(seed=99), Stored(seed=99)], families=[fam], instances=2, seed=4,
                      jobs=2)
    assert by_object["strategies"] == ["random", "stored"]
    values = [[r["value"] for r in o["results"]] for o in by_object["instances"]]
    assert [v[0] for v in values] == [o["results"][0]["value"] for o in by_name["instances"]]
    assert [v[1] for v in values] == [v[0] for v in values]


def test_bench_labels_strategies_and_judges_each_by_its_own_gap():
    from optimizer import MilpStrategy

    fam = Family(creators=80, budget_share=0.05)
    result = bench({"loose": MilpStrategy(gap=0.5), "milp": MilpStrategy()}, families=[fam], instances=2)
    assert result["strategies"] == ["loose", "milp"]
    assert [r["strategy"] for r in result["instances"][0]["results"]] == ["loose", "milp"]
    loose = [r for o in result["instances"] for r in o["results"] if r["strategy"] == "loose"]
    within = [(r["upper_bound"] - r["value"]) / r["upper_bound"] <= 0.5 for r in loose]
    summary = {r["strategy"]: r for r in result["summary"]}
    assert summary["loose"]["proven_optimal_share"] == np.mean(within) == 1.0
    assert summary["milp"]["proven_optimal_share"] == 1.0
    with pytest.raises(ReachmixError, match='two strategies are both named "milp"; label them with a '
                                                       'mapping, e.g. {"milp-fast": MilpStrategy'):
        bench([MilpStrategy(), MilpStrategy(gap=0.1)], families=[fam], instances=1)


def test_unknown_strategies_and_settings_still_say_did_you_mean(small):
    from optimizer import MilpStrategy, StrategyError, make_strategy

    with pytest.raises(StrategyError, match='unknown strategy "mlip" \\(did you mean "milp"\\?\\)'):
        compare([small], ["mlip"])
    with pytest.raises(StrategyError, match='strategy "milp": unknown setting gapp \\(did you mean "gap"\\?\\)'):
        make_strategy("milp", gapp=0.5)
    with pytest.raises(TypeError, match="gapp"):
        MilpStrategy(gapp=0.5)  # a configured object refuses a typo as it is made
    with pytest.raises(StrategyError, match="^time_limit given with a configured strategy object; set them on"):
        make_strategy(MilpStrategy(), time_limit=5)
    with pytest.raises(TypeError, match="options"):
        compare([small], ["milp"], options={"gap": 0.5})  # the old threading is gone


def test_with_settings_copies_and_never_changes_the_object():
    from optimizer import MilpStrategy, StrategyError, with_settings

    milp = MilpStrategy(gap=0.01, time_limit=5)
    tighter = with_settings(milp, gap=0.001, seed=3)  # seed: not a MILP setting, ignored
    assert (tighter.gap, tighter.time_limit, milp.gap) == (0.001, 5, 0.01)
    assert with_settings(optimizer.GreedyStrategy(), seed=3, gap=0.0) == optimizer.GreedyStrategy()
    rebuilt = with_settings(Stored(seed=1, width=7), seed=5)
    assert (type(rebuilt), rebuilt.seed, rebuilt.width) == (Stored, 5, 7)
    with pytest.raises(StrategyError, match="^strategy stored: cannot make a copy with seed changed: .*Forgetful "
                                            "does not store its constructor argument width as an attribute"):
        with_settings(Forgetful(seed=1), seed=5)


def test_a_strategy_loaded_by_module_path_travels_by_that_path(monkeypatch):
    """Workers (Dask's spawned ones too) import the user's module as the name was resolved here."""
    import pickle
    from pathlib import Path

    from optimizer import make_strategy

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    strategy = make_strategy("benchmarks.example_strategy:CheapestFirst")
    data = pickle.dumps(strategy)
    assert b"benchmarks.example_strategy:CheapestFirst" in data and b"_rebuild" in data
    assert pickle.loads(data) == strategy
