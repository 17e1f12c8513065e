"""A whole market (issue 12): ``reachmix optimize`` on 1,000,000 creators x 60 target cells.

pytest-benchmark group "optimizer", marked ``huge``. The pool is ``bench_parquet.make_pool`` with ten
``loc_*`` columns (a seeded NumPy pool shaped like ``reachmix generate``'s), written as CSV and as
Parquet; the scenario targets 3 ages x 2 genders x 10 locations = 60 cells, budget 0.3% of the cost of
one post from every creator, max 3 posts. Each command runs as the installed CLI would, in a fresh
process (``python cli.py optimize ... --format json``), timed by wall clock, with its peak RSS from
``resource.getrusage(RUSAGE_CHILDREN)``. Asserted: the targets (wall <= 60 s, peak <= 4 GB), status
optimal with a certified gap <= 0.1%, the plan within budget, and the same plan from CSV and Parquet.

    pytest benchmarks/bench_million.py --benchmark-only -s -m huge
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from benchmarks.bench_parquet import make_pool

pytestmark = [pytest.mark.benchmark(group="optimizer"), pytest.mark.huge]

ROOT = Path(__file__).resolve().parents[1]
N = 1_000_000
CITIES = ("US", "UK", "Canada", "Australia", "Germany", "France", "Spain", "Italy", "Brazil", "Mexico")
#: Issue 12's targets for optimize on 1,000,000 creators.
WALL_SECONDS, PEAK_BYTES = 60.0, 4e9
SCENARIO = """\
name = "million"
[pool]
file = "{file}"
[budget]
total = {budget}
[audience]
age = ["18-24", "25-34", "35-44"]
gender = ["female", "male"]
locations = [{cities}]
[constraints]
max_posts = 3
"""


def _optimize(scenario: Path) -> tuple[dict, float, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "optimize", str(scenario), "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    wall = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024.0  # the largest child so far
    return json.loads(done.stdout), wall, peak


def test_optimize_a_million_creators(benchmark, tmp_path):
    table = make_pool(N, seed=7, locations=tuple(f"loc_{c}" for c in CITIES))
    one_post = (table["price"].to_numpy() + table["fee"].to_numpy()).sum()
    budget = round(0.003 * float(one_post))
    pq.write_table(table, tmp_path / "creators.parquet")
    pacsv.write_csv(table, tmp_path / "creators.csv", write_options=pacsv.WriteOptions(quoting_style="needed"))
    del table
    cities = ", ".join(f'"{c}"' for c in CITIES)
    paths = {}
    for kind in ("csv", "parquet"):
        paths[kind] = tmp_path / f"{kind}.toml"
        paths[kind].write_text(SCENARIO.format(file=f"creators.{kind}", budget=budget, cities=cities))
    results = {}

    def run():
        results["csv"] = _optimize(paths["csv"])
        return results["csv"]

    benchmark.pedantic(run, rounds=1, iterations=1)
    results["parquet"] = _optimize(paths["parquet"])
    for kind, (plan, wall, peak) in results.items():
        print(f"\n{N:,} creators x 60 cells from {kind}: optimize {wall:.1f} s wall, peak RSS {peak / 1e9:.2f} GB, "
              f"status {plan['status']}, gap {plan['gap']:.4%}, {len(plan['selection']):,} creators hired")
        benchmark.extra_info[f"{kind}_seconds"] = round(wall, 1)
        benchmark.extra_info[f"{kind}_peak_gb"] = round(peak / 1e9, 2)
        assert plan["status"] == "optimal" and plan["gap"] <= 1e-3
        assert plan["spent"] <= budget * (1 + 1e-9)
        assert wall <= WALL_SECONDS, f"{kind}: {wall:.1f} s > {WALL_SECONDS} s"
        assert peak <= PEAK_BYTES, f"{kind}: peak {peak / 1e9:.2f} GB > {PEAK_BYTES / 1e9} GB"
    csv, parquet = results["csv"][0], results["parquet"][0]
    assert {s["handle"]: s["posts"] for s in csv["selection"]} == {s["handle"]: s["posts"] for s in parquet["selection"]}
    assert np.isclose(csv["target_reach"], parquet["target_reach"], rtol=1e-12)
