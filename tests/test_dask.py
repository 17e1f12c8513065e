"""Scale-out on Dask: the same work on a LocalCluster (loopback only) gives the same results as
in this process."""

from __future__ import annotations

import pytest

pytest.importorskip("dask.distributed")

from scenarios.generate import write_example  # noqa: E402
from whatif.bench import Family, bench  # noqa: E402
from whatif.compare import compare  # noqa: E402
from whatif.parallel import ParallelError, dask_client  # noqa: E402
from whatif.sweep import sweep  # noqa: E402

pytestmark = pytest.mark.slow  # seconds to minutes: run by CI and `pytest --all`

KEYS = ("strategy", "budget", "spent", "target_reach", "target_impressions", "engagements", "creators_by_tier")


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory):
    path, _ = write_example(tmp_path_factory.mktemp("dask"), 120, 21)
    return path


def test_compare_sweep_and_bench_on_a_local_cluster_equal_local_runs(scenario_path):
    local = compare([scenario_path], ["milp", "greedy", "random"])
    remote = compare([scenario_path], ["milp", "greedy", "random"], dask="local:2")
    assert [{k: r[k] for k in KEYS} for r in remote] == [{k: r[k] for k in KEYS} for r in local]

    s_local = sweep(scenario_path, ["budget.total=300,900"], strategy="greedy")
    s_remote = sweep(scenario_path, ["budget.total=300,900"], strategy="greedy", dask="local:2")
    assert [r["target_reach"] for r in s_remote] == [r["target_reach"] for r in s_local]

    fam = [Family(creators=100)]
    b_local = bench(["greedy", "lowest-cpm"], families=fam, instances=2, seed=3)
    b_remote = bench(["greedy", "lowest-cpm"], families=fam, instances=2, seed=3, dask="local:2")
    values = lambda res: [[r["value"] for r in i["results"]] for i in res["instances"]]  # noqa: E731
    assert values(b_remote) == values(b_local)


@pytest.mark.parametrize("address,message", [
    ("local:x", "--dask local:x: write local:N with N the number of workers, e.g. local:2"),
    ("local:0", "--dask local:0: N must be at least 1"),
])
def test_bad_dask_addresses_are_clean_errors(address, message):
    with pytest.raises(ParallelError) as info:
        dask_client(address)
    assert str(info.value) == message


def test_unreachable_scheduler_is_a_clean_error(monkeypatch):
    monkeypatch.setattr("whatif.parallel.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(ParallelError, match="cannot reach the scheduler"):
        dask_client("tcp://127.0.0.1:1")


def test_simulation_chunks_on_a_local_cluster_equal_a_serial_run(scenario_path):
    import numpy as np

    import simulate as sim
    from scenarios import load_scenario
    from whatif.parallel import dask_session

    scenario = load_scenario(scenario_path)
    posts = np.zeros(scenario.pool.size, dtype=np.int64)
    posts[:20] = 2
    serial = sim.simulate(scenario, posts, runs=1000, days=30, seed=4, chunk_size=250).to_dict()
    with dask_session("local:2") as client:
        remote = sim.simulate(scenario, posts, runs=1000, days=30, seed=4, chunk_size=250, executor=client).to_dict()
    assert remote["series"] == serial["series"] and remote["totals"] == serial["totals"]


def test_a_sweep_ships_its_pool_to_each_worker_once(scenario_path, monkeypatch):
    # Issue 12: the pool is scattered (one copy per worker), not sent with each of the 6 points.
    from scenarios.pool import CreatorPool

    pickled = []
    real = CreatorPool.__getstate__

    def counting(self):
        pickled.append(self.size)
        return real(self)

    monkeypatch.setattr(CreatorPool, "__getstate__", counting)
    sets = ["budget.total=300,500,700,900,1100,1300"]
    remote = sweep(scenario_path, sets, strategy="greedy", dask="local:2")
    assert 1 <= len(pickled) <= 2
    local = sweep(scenario_path, sets, strategy="greedy")
    assert [r["target_reach"] for r in remote] == [r["target_reach"] for r in local]
