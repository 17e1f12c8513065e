"""Column parser benchmarks (pytest-benchmark, group "io"): scenarios/cells.py on a million cells.

Targets (issue 9 part A): plain numbers parse at millions of cells per second through the vectorised
path (5 million in well under a second); a million ISO 8601 times in about a second or less, also
when they are naive and read in a DST zone. Each benchmark asserts the values it parsed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest

from scenarios.cells import parse_numbers, parse_times

pytestmark = pytest.mark.benchmark(group="io")
N = 1_000_000


@pytest.fixture(scope="module")
def numbers():
    rng = np.random.default_rng(11)
    values = rng.integers(0, 10**7, N) / 100.0               # counts and prices with two decimals
    return values, pa.array(np.char.mod("%.2f", values))


@pytest.fixture(scope="module")
def iso_times():
    rng = np.random.default_rng(12)
    seconds = 1_700_000_000 + rng.integers(0, 2 * 365 * 86400, N)
    cells = seconds.astype("datetime64[s]").astype(str)       # 2023-11-14T22:13:20
    return seconds.astype(np.float64), pa.array(cells)


def test_parse_a_million_plain_numbers(benchmark, numbers):
    expected, column = numbers
    values, problems = benchmark(parse_numbers, column)
    assert problems == []
    np.testing.assert_array_equal(values, expected)


def test_parse_a_million_iso_times(benchmark, iso_times):
    expected, column = iso_times
    values, problems, naive = benchmark(parse_times, column)
    assert problems == [] and naive is True
    np.testing.assert_array_equal(values, expected)


def test_parse_a_million_naive_iso_times_in_a_dst_zone(benchmark, iso_times):
    seconds, column = iso_times
    zone = ZoneInfo("America/Los_Angeles")
    values, problems, naive = benchmark(parse_times, column, timezone=zone)
    assert problems == [] and naive is True
    # Independent check on a sample: the same wall times through zoneinfo, one by one.
    from datetime import datetime, timedelta
    for k in range(0, N, 99_991):
        wall = datetime(1970, 1, 1) + timedelta(seconds=float(seconds[k]))
        assert values[k] == wall.replace(tzinfo=zone).timestamp()
