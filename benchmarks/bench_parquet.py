"""Reading a Parquet pool against the CSV of the same pool (issue 12: "1,000,000 creators: read <= 10 s
and <= 3 GB").

pytest-benchmark group "io". A seeded NumPy generator makes a pool shaped like ``reachmix generate``'s
(23 columns: handle, followers, price, avg_views, four rates, max_posts, fee, tags, six age shares, two
gender shares, four ``loc_*`` shares; NumPy because ``generate --creators 1000000`` took 88 s when this
was written), written by pyarrow once as typed Parquet (what an export job writes: int64/float64
columns, tags as text) and once as CSV. Each file is read by ``read_pool`` in a fresh Python process,
which prints its wall time for the read, its peak RSS (``ru_maxrss``: the whole process, interpreter and
imports included, about 0.1 GB) and checksums; the two pools must agree, so a fast but wrong reader
fails.

    pytest benchmarks/bench_parquet.py --benchmark-only -s -m "not huge"   # 100,000 creators
    pytest benchmarks/bench_parquet.py --benchmark-only -s -m huge         # 1,000,000 creators
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.benchmark(group="io")

ROOT = Path(__file__).resolve().parents[1]
#: Issue 12's targets for reading a 1,000,000-creator pool, and a bound for 100,000.
HUGE_SECONDS, HUGE_PEAK = 10.0, 3e9
SMALL_SECONDS, SMALL_PEAK = 3.0, 1e9
TAGS = np.array(["beauty;#skincare", "fashion;#style;#haul", "food", "travel;#vlog", "gaming", "fitness;#gym",
                 "tech;#review", ""])
AGES = ("age_13_17", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_plus")
LOCATIONS = ("loc_US", "loc_UK", "loc_Canada", "loc_Australia")

_READ = """
import json, resource, sys, time
import numpy as np
from scenarios import read_pool
start = time.perf_counter()
pool = read_pool(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    "n": len(pool), "first": pool.handles[0], "last": pool.handles[-1],
    "sums": [float(np.sum(a)) for a in (pool.followers, pool.price, pool.avg_views, pool.engagement_rate,
             pool.shares_rate, pool.max_posts, pool.fee, pool.age, pool.gender, pool.locations)],
    "tags": sum(len(t) for t in pool.tags), "locations": list(pool.location_names),
}))
"""


def make_pool(n: int, seed: int = 0, locations: tuple[str, ...] = LOCATIONS) -> pa.Table:
    """A seeded pool of ``n`` creators, typed as an export job writes it (``loc_*`` columns named
    by ``locations``)."""
    rng = np.random.default_rng(seed)
    followers = np.rint(np.exp(rng.uniform(np.log(1e3), np.log(5e6), n))).astype(np.int64)
    views = np.maximum(1, np.rint(followers * np.exp(rng.normal(np.log(0.25), 0.5, n)))).astype(np.int64)
    price = np.maximum(5, np.rint(views * rng.uniform(0.005, 0.03, n))).astype(np.int64)
    er = np.round(np.clip(rng.lognormal(np.log(0.07), 0.4, n), 0.005, 0.3), 4)
    split = rng.dirichlet([132.0, 7.5, 10.5], n)
    shares = np.round(er * split[:, 2], 5)
    columns = {
        "handle": pa.array(np.char.add("@c", np.char.mod("%x", np.arange(n))).astype(object), pa.string()),
        "followers": followers, "price": price, "avg_views": views, "engagement_rate": er,
        "likes_rate": np.round(er * split[:, 0], 5), "comments_rate": np.round(er * split[:, 1], 5),
        # 15% of rows without a shares count: blank (null) cells.
        "shares_rate": pa.array(shares, mask=rng.random(n) < 0.15),
        "max_posts": rng.integers(1, 6, n), "fee": np.where(rng.random(n) < 0.3, price // 4, 0),
        "tags": pa.array(TAGS[rng.integers(0, TAGS.size, n)].astype(object), pa.string()),
    }
    age = np.round(rng.dirichlet(np.full(len(AGES), 1.5), n), 4)
    age[:, -1] = np.maximum(0.0, np.round(1.0 - age[:, :-1].sum(axis=1), 4))
    columns.update({name: age[:, k] for k, name in enumerate(AGES)})
    female = np.round(rng.beta(2, 2, n) * 0.98, 4)
    columns.update({"female": female, "male": np.round(0.98 - female, 4)})
    loc = np.round(rng.dirichlet(np.full(len(locations) + 1, 0.7), n)[:, :len(locations)], 4)
    columns.update({name: loc[:, k] for k, name in enumerate(locations)})
    return pa.table(columns)


def read_in_fresh_process(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _READ, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check(benchmark, tmp_path_factory, n: int, seconds_limit: float, peak_limit: float) -> None:
    folder = tmp_path_factory.mktemp("parquet-pool")
    table = make_pool(n)
    parquet, csv = folder / "creators.parquet", folder / "creators.csv"
    pq.write_table(table, parquet)
    pacsv.write_csv(table, csv, write_options=pacsv.WriteOptions(quoting_style="needed"))
    del table
    results = {}

    def run():
        results["parquet"] = read_in_fresh_process(parquet)
        return results["parquet"]

    benchmark.pedantic(run, rounds=1, iterations=1)
    got, text = results["parquet"], read_in_fresh_process(csv)
    for name, path, r in (("Parquet", parquet, got), ("CSV", csv, text)):
        print(f"\n{n:,} creators, {name} {path.stat().st_size / 1e6:,.0f} MB: read {r['seconds']:.1f} s, "
              f"peak RSS {r['peak'] / 1e9:.2f} GB")
        benchmark.extra_info[f"{name.lower()}_seconds"] = round(r["seconds"], 2)
        benchmark.extra_info[f"{name.lower()}_peak_gb"] = round(r["peak"] / 1e9, 2)
    assert got["n"] == n and got["first"] == "@c0" and got["last"] == f"@c{n - 1:x}"
    assert got["locations"] == ["US", "UK", "Canada", "Australia"]
    for key in ("n", "first", "last", "tags", "locations"):
        assert got[key] == text[key], key
    np.testing.assert_allclose(got["sums"], text["sums"], rtol=1e-12)
    for name, r in (("Parquet", got), ("CSV", text)):
        assert r["seconds"] <= seconds_limit, f"{name}: {r['seconds']:.1f} s > {seconds_limit} s"
        assert r["peak"] <= peak_limit, f"{name}: peak RSS {r['peak'] / 1e9:.2f} GB > {peak_limit / 1e9} GB"


def test_read_100k_parquet_pool(benchmark, tmp_path_factory):
    _check(benchmark, tmp_path_factory, 100_000, SMALL_SECONDS, SMALL_PEAK)


@pytest.mark.huge
def test_read_1m_parquet_pool(benchmark, tmp_path_factory):
    _check(benchmark, tmp_path_factory, 1_000_000, HUGE_SECONDS, HUGE_PEAK)
