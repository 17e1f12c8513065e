"""Simulator benchmarks (pytest-benchmark): run with ``pytest benchmarks/bench_simulate.py``.

Targets (issue 4): 2,000 runs x 200 posts x 90 days in <= 1 s wall; >= 100x faster than the
per-run reference on the same work (both measured here, in one session); 100,000 runs in about
1 GB or less. Every benchmark also checks its results, so a fast wrong engine fails.
Set ``REACHMIX_BENCH_QUICK=1`` to measure the reference on 200 runs instead of 2,000 (it takes
~30 s on 2 cores) and compare per-run times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.reference_simulator import simulate_reference  # noqa: E402
from scenarios import ReachModel  # noqa: E402
from simulate import simulate  # noqa: E402
from simulate_helpers import make_pool, make_scenario, quiet  # noqa: E402

pytestmark = pytest.mark.benchmark(group="simulator")

RUNS, DAYS, POSTS = 2000, 90, 200


def workload(**simulation):
    """300 creators, 100 hired with 2 posts each (200 posts), a 4-cell target, 90 days."""
    pool = make_pool(300, seed=42)
    sc = make_scenario(pool, simulation={"days": DAYS, "runs": RUNS, "post_spacing_days": 7, **simulation})
    posts = np.zeros(300, dtype=np.int64)
    posts[np.random.default_rng(0).choice(300, 100, replace=False)] = 2
    assert posts.sum() == POSTS
    return sc, posts


def test_vectorised_2000_runs_200_posts_90_days(benchmark):
    sc, posts = workload()
    simulate(sc, posts, runs=250)  # warm-up (imports, caches)
    result = benchmark.pedantic(simulate, args=(sc, posts), kwargs={"runs": RUNS}, rounds=5, iterations=1)
    assert result.runs == RUNS and len(result.series["views"]["mean"]) == DAYS
    assert benchmark.stats.stats.median <= 1.0
    benchmark.extra_info["median_seconds"] = benchmark.stats.stats.median


def test_deterministic_totals_match_the_reach_model(benchmark):
    sc, posts = workload(**quiet({"days": 100}))
    result = benchmark.pedantic(simulate, args=(sc, posts), kwargs={"runs": RUNS, "days": 100}, rounds=3, iterations=1)
    ev = ReachModel.build(sc).evaluate(posts)
    assert abs(result.totals["views"]["mean"] - ev.views) <= 1e-9 * ev.views
    assert abs(result.totals["target_reach"]["mean"] - ev.target_reach) <= 1e-9 * ev.target_reach


def test_speedup_over_per_run_reference(benchmark):
    sc, posts = workload()
    ref_runs = 200 if os.environ.get("REACHMIX_BENCH_QUICK") else RUNS
    simulate(sc, posts, runs=250)
    vec = min(_timed(lambda: simulate(sc, posts, runs=RUNS)) for _ in range(3))
    ref = benchmark.pedantic(lambda: _timed(lambda: simulate_reference(sc, posts, runs=ref_runs, days=DAYS, seed=1)),
                             rounds=1, iterations=1)
    speedup = (ref * RUNS / ref_runs) / vec
    benchmark.extra_info.update(vectorised_seconds=vec, reference_seconds=ref, reference_runs=ref_runs, speedup=speedup)
    print(f"\nvectorised {vec:.3f} s, reference {ref:.1f} s for {ref_runs} runs, speed-up {speedup:.0f}x")
    assert speedup >= 100


def test_reference_and_vectorised_agree():
    # Exactly, without noise (every run identical).
    sc, posts = workload(**quiet({"days": 100}))
    ref = simulate_reference(sc, posts, runs=2, days=100, seed=1)
    vec = simulate(sc, posts, runs=2, days=100)
    for metric in ("views", "target_reach", "spend", "followers_gained"):
        np.testing.assert_allclose(vec.series[metric]["mean"], ref[metric][0], rtol=1e-9, atol=1e-9)
    # Statistically, with noise: difference of means within 4 standard errors.
    sc, posts = workload()
    n = 300
    ref = simulate_reference(sc, posts, runs=n, days=DAYS, seed=1)
    vec = simulate(sc, posts, runs=n, seed=1)
    for metric in ("views", "target_reach", "likes", "spend", "followers_gained"):
        a, b = ref[metric][:, -1], vec.finals[metric].astype(float)
        se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
        assert abs(a.mean() - b.mean()) <= 4 * se + 1e-9 * abs(a.mean()), metric


MEMORY_SCRIPT = """
import json, resource, sys, time
sys.path[:0] = {paths!r}
from bench_simulate import workload
from simulate import simulate
sc, posts = workload()
t = time.perf_counter()
r = simulate(sc, posts, runs=100_000, jobs={jobs})
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "mean_views": r.totals["views"]["mean"]}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_100k_runs_in_bounded_memory(jobs, benchmark):
    code = MEMORY_SCRIPT.format(paths=[str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")], jobs=jobs)
    out = benchmark.pedantic(lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                    check=True), rounds=1, iterations=1)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    benchmark.extra_info.update(figures)
    print(f"\n100,000 runs, jobs={jobs}: {figures}")
    # Parent peak plus (with jobs=2) the largest worker's peak: about 1 GB or less.
    assert figures["peak_mb"] + (figures["children_peak_mb"] if jobs > 1 else 0) <= 1100


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
