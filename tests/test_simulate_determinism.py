"""Seeds, chunking and worker processes: same inputs, same numbers; different seeds, different numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scenarios import PlanError
from simulate import SimulationError, simulate
from simulate_helpers import make_scenario, plan

KPIS = [{"metric": "views", "target": 2e6, "by_day": 20}, {"metric": "likes", "target": 1e5, "by_day": 25, "priority": 2}]


def _json(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True, allow_nan=False)


@pytest.fixture(scope="module")
def scenario():
    return make_scenario(simulation={"days": 30}, kpis=KPIS)


def test_same_seed_same_output_different_seed_differs(scenario):
    posts = plan(40)
    a = simulate(scenario, posts, runs=600, seed=3)
    b = simulate(scenario, posts, runs=600, seed=3)
    c = simulate(scenario, posts, runs=600, seed=4)
    assert _json(a) == _json(b)
    assert a.totals["views"]["mean"] != c.totals["views"]["mean"]
    assert not np.array_equal(a.finals["views"], c.finals["views"])


@pytest.mark.slow
@pytest.mark.parametrize("audience", [None, {"size": 4e6, "age": ["13-17", "18-24", "25-34", "35-44", "45-54", "55+"],
                                             "gender": ["female", "male"], "locations": ["Istanbul", "Ankara", "Izmir"]}])
def test_chunked_serial_and_parallel_are_identical(audience):
    scenario = make_scenario(simulation={"days": 30}, kpis=KPIS, audience=audience)  # 4 or 36 target cells
    posts = plan(40)
    serial = simulate(scenario, posts, runs=1100, seed=9)  # one chunk
    chunked = simulate(scenario, posts, runs=1100, seed=9, chunk_size=250)
    odd = simulate(scenario, posts, runs=1100, seed=9, chunk_size=600)  # rounded up to whole blocks
    parallel = simulate(scenario, posts, runs=1100, seed=9, chunk_size=500, jobs=2)
    assert _json(serial) == _json(chunked) == _json(odd) == _json(parallel)
    for metric in serial.finals:
        np.testing.assert_array_equal(serial.finals[metric], parallel.finals[metric])


def test_more_runs_extend_the_same_runs(scenario):
    """A run's draws depend on the seed and its block only, so the first blocks agree."""
    posts = plan(40)
    small = simulate(scenario, posts, runs=500, seed=2)
    large = simulate(scenario, posts, runs=1000, seed=2)
    np.testing.assert_array_equal(small.finals["views"], large.finals["views"][:500])


def test_progress_reports_every_chunk(scenario):
    calls = []
    simulate(scenario, plan(40), runs=1000, chunk_size=250, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(250, 1000), (500, 1000), (750, 1000), (1000, 1000)]


def test_defaults_come_from_the_scenario():
    sc = make_scenario(simulation={"days": 12, "runs": 260, "seed": 5})
    res = simulate(sc, plan(40))
    assert (res.runs, res.days, res.seed) == (260, 12, 5)
    assert all(len(res.series[m]["mean"]) == 12 for m in res.series)
    assert _json(res) == _json(simulate(sc, plan(40), runs=260, days=12, seed=5))


@pytest.mark.parametrize("kw", [{"runs": 0}, {"days": 0}, {"jobs": 0}, {"runs": 2.5}, {"seed": -1}, {"chunk_size": 0}])
def test_bad_arguments_are_user_errors(scenario, kw):
    with pytest.raises(SimulationError):
        simulate(scenario, plan(40), **kw)


@pytest.mark.parametrize("posts", [np.zeros(39), -np.ones(40), np.full(40, 1.5)])
def test_bad_plans_are_user_errors(scenario, posts):
    with pytest.raises(PlanError):
        simulate(scenario, posts, runs=10)


def test_empty_plan_simulates_to_zero(scenario):
    res = simulate(scenario, np.zeros(40, dtype=int), runs=10)
    assert res.totals["views"]["mean"] == 0.0 and res.totals["spend"]["mean"] == 0.0
    assert res.totals["cpm"]["mean"] is None
    json.dumps(res.to_dict(), allow_nan=False)
