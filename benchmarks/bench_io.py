"""I/O and reach-model benchmarks (pytest-benchmark, group "io"); each asserts its result.

* reading the bundled 5,000-creator pool and scenario;
* evaluating a plan over 10,000 creators and 120 target cells (the foundation's target: milliseconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.synthetic import random_scenario
from scenarios import ReachModel, load_scenario

pytestmark = pytest.mark.benchmark(group="io")
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "synthetic-5000" / "scenario.toml"


def test_load_5000_creator_scenario(benchmark):
    scenario = benchmark(load_scenario, EXAMPLE)
    assert scenario.pool.size == 5000
    assert np.isfinite(scenario.pool.avg_views).all()


@pytest.fixture(scope="module")
def big_model():
    scenario = random_scenario(10_000, 3, budget_share=0.01, locations=20)
    model = ReachModel.build(scenario)
    rng = np.random.default_rng(0)
    posts = np.where(rng.random(10_000) < 0.05, rng.integers(1, 4, 10_000), 0)
    return model, posts


def test_evaluate_plan_10000_creators(benchmark, big_model):
    model, posts = big_model
    ev = benchmark(model.evaluate, posts)
    # Independent check of the same number: a plain dense computation of contract section 4.
    rho = model.scenario.model.repeat_decay
    w = (1 - rho ** posts) / (1 - rho)
    impressions = w @ model.per_post
    reach = float((model.population * (1 - np.exp(-impressions / model.population))).sum())
    assert ev.target_reach == pytest.approx(reach, rel=1e-12)
    assert benchmark.stats.stats.median < 0.05  # milliseconds, not seconds


def test_build_reach_model_10000_creators(benchmark):
    scenario = random_scenario(10_000, 3, budget_share=0.01, locations=20)
    model = benchmark(ReachModel.build, scenario)
    assert model.per_post.shape[0] == 10_000 and model.n_cells == 120
