"""Dask for big pools (issue 12): a sweep over a 1,000,000-creator pool on ``--dask local:2`` sends
the pool to each worker once, not once per point.

pytest-benchmark group "whatif", marked ``huge``. The pool and scenario are bench_million's (1,000,000
creators x 60 cells, Parquet). The sweep runs 4 budget points with ``greedy`` on a local cluster of
2 workers, in this process (``whatif.sweep.sweep``, what ``reachmix sweep`` calls). Counted: how often
the pool is pickled here (``CreatorPool.__getstate__``); before, each task re-read the pool file on
its worker instead. Asserted: at most one pickle per worker, and the same plans as the same sweep
in this process.

    pytest benchmarks/bench_dask_pool.py --benchmark-only -s -m huge
"""

from __future__ import annotations

import time

import pyarrow.parquet as pq
import pytest

from benchmarks.bench_million import CITIES, SCENARIO
from benchmarks.bench_parquet import make_pool
from scenarios.pool import CreatorPool
from whatif.sweep import sweep

pytest.importorskip("dask.distributed")
pytestmark = [pytest.mark.benchmark(group="whatif"), pytest.mark.huge]

N = 1_000_000
POINTS = 4


def test_a_sweep_ships_a_million_creator_pool_once_per_worker(benchmark, tmp_path, monkeypatch):
    table = make_pool(N, seed=7, locations=tuple(f"loc_{c}" for c in CITIES))
    one_post = (table["price"].to_numpy() + table["fee"].to_numpy()).sum()
    budget = round(0.003 * float(one_post))
    pq.write_table(table, tmp_path / "creators.parquet")
    del table
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO.format(file="creators.parquet", budget=budget, cities=", ".join(f'"{c}"' for c in CITIES)))
    sets = [f"budget.total={budget // 2}:{budget * 2}:{(budget * 2 - budget // 2) // (POINTS - 1)}"]

    pickled = []
    real = CreatorPool.__getstate__

    def counting(self):
        pickled.append(time.perf_counter())
        return real(self)

    monkeypatch.setattr(CreatorPool, "__getstate__", counting)
    timings = {}

    def run():
        start = time.perf_counter()
        rows = sweep(path, sets, strategy="greedy", dask="local:2")
        timings["dask"] = time.perf_counter() - start
        return rows

    rows = benchmark.pedantic(run, rounds=1, iterations=1)
    start = time.perf_counter()
    local = sweep(path, sets, strategy="greedy")
    timings["local"] = time.perf_counter() - start
    print(f"\nsweep of {len(rows)} points over {N:,} creators: --dask local:2 {timings['dask']:.1f} s "
          f"({len(pickled)} pickles of the pool), in this process {timings['local']:.1f} s")
    benchmark.extra_info.update(points=len(rows), pickles=len(pickled), dask_seconds=round(timings["dask"], 1),
                                local_seconds=round(timings["local"], 1))
    assert len(rows) == POINTS
    assert 1 <= len(pickled) <= 2
    # The same plans; reach to the last bits only (Dask's workers run BLAS on one thread, which sums
    # the cells' loads in another order).
    assert [(r["spent"], r["creators"]) for r in rows] == [(r["spent"], r["creators"]) for r in local]
    assert [r["target_reach"] for r in rows] == pytest.approx([r["target_reach"] for r in local], rel=1e-12)
