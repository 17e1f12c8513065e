"""The generator's column path (issue 12): NumPy and Arrow in place of a Python loop per creator.

It must write the same bytes as the per-row rules it replaced: prices rounded like rate cards,
handles made unique by the next free number, numbers formatted like Python's ``format``, and a
CSV like the csv module's. Each piece is checked against that scalar rule, and whole files against
the row-dict path (``generate_pool`` + ``pool_csv``), which builds its cells from the same columns
but writes them with the csv module.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import generate
from scenarios.csv_text import columns_csv, fixed, fixed_units
from scenarios.generate import NAMES, NICHES, generate_pool, pool_csv, write_example

#: Checks every vectorised piece against the per-creator rule over many draws: CI runs them (--all).
pytestmark = pytest.mark.slow


def _nice_scalar(x: float, low: float = 0.0, high: float = math.inf) -> float:
    """The rate-card rounding as it was written per creator before issue 12."""
    step = 1 if x < 100 else 5 if x < 1_000 else 50 if x < 10_000 else 100 if x < 100_000 else 500
    value = round(x / step) * step
    if value > high:
        value = math.floor(high / step) * step
    if value < low:
        value = math.ceil(low / step) * step
    return float(max(step, value))


@pytest.mark.parametrize("n,seed,kwargs", [
    (1, 0, {}), (9, 3, {}), (500, 8, {}), (2_000, 2026, {}),
    (300, 4, {"locations": {"Istanbul": 7e6, "Ankara": 2.5e6}, "currency": "TRY", "fx_rate": 40.0}),
    (300, 5, {"locations": ["US"]}), (400, 6, {"currency": "EUR", "fx_rate": 0.93}),
])
def test_written_pool_equals_the_row_path(tmp_path, n, seed, kwargs):
    _, path = write_example(tmp_path, n, seed, **kwargs)
    assert path.read_bytes() == pool_csv(generate_pool(n, seed, **kwargs)).encode("utf-8")


def test_nice_matches_the_scalar_rule():
    rng = np.random.default_rng(1)
    x = np.concatenate([np.exp(rng.uniform(0, 14, 20_000)),
                        [0.4, 0.5, 1.5, 2.5, 99.4, 99.5, 100, 102.5, 997.5, 999.99, 1000, 1025, 9975, 10_000,
                         10_050, 99_950, 100_000, 100_250, 100_750, 3e6]])
    low = x * rng.uniform(0.5, 1.0, len(x))
    high = x * rng.uniform(1.0, 1.5, len(x))
    high[::3] = x[::3]  # bounds that bind
    low[1::3] = x[1::3]
    got = generate._nice(x, low, high)
    want = [_nice_scalar(a, b, c) for a, b, c in zip(x.tolist(), low.tolist(), high.tolist())]
    assert got.tolist() == want
    assert generate._nice(x).tolist() == [_nice_scalar(a) for a in x.tolist()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=50), st.sampled_from([4, 5]))
def test_fixed_is_pythons_format(values, decimals):
    x = np.array(values)
    text, read = fixed(x, decimals)
    assert text.to_pylist() == [f"{v:.{decimals}f}" for v in values]
    assert read.tolist() == [float(f"{v:.{decimals}f}") for v in values]


def test_fixed_on_halves_and_near_halves():
    # Exact binary halves (0.03125 = 1/32 is 312.5 units of 1e-4) round half to even, as format does;
    # values a hair off a half go the way their exact binary value says.
    values = [0.03125, 0.09375, 0.00005, 0.00015, 0.000125, 0.2999950000000001, 0.123456789, 1 / 3, 2 / 3]
    values += [np.nextafter(v, 0) for v in values] + [np.nextafter(v, 1) for v in values]
    for decimals in (4, 5):
        assert fixed(np.array(values), decimals)[0].to_pylist() == [f"{v:.{decimals}f}" for v in values]


def test_fixed_units_beyond_the_lookup_table():
    units = np.array([0, 7, 10_000, 100_000, 100_001, 123_456_789])
    assert fixed_units(units, 4).to_pylist() == [f"{u / 10_000:.4f}" for u in units.tolist()]
    assert fixed_units(units[:4], 4).to_pylist() == [f"{u / 10_000:.4f}" for u in units[:4].tolist()]


def test_repeated_handles_take_the_next_free_number():
    rng = np.random.default_rng(3)
    key = rng.integers(0, 30, 5_000)  # many repeats
    seen: dict[int, int] = {}
    want = []
    for k in key.tolist():
        want.append(seen.get(k, 0))
        seen[k] = seen.get(k, 0) + 1
    assert generate._handle_bumps(key).tolist() == want
    rows = generate_pool(30_000, 1)  # 30,000 creators over 640 name.niche pairs x 999 numbers: repeats
    handles = [r["handle"] for r in rows]
    assert len(set(handles)) == len(handles) and any(int(h.rsplit(".", 1)[1].lstrip("abcdefghijklmnopqrstuvwxyz")) > 999
                                                     for h in handles)


def test_vocabulary_needs_no_csv_quoting():
    # columns_csv joins cells without quoting: every word generate writes must be free of it.
    words = [*NAMES, *NICHES, *(h for v in NICHES.values() for h in v[3])]
    assert not [w for w in words if any(c in w for c in ',"\r\n')]


def test_columns_csv_is_the_csv_module():
    columns = {"a": pa.array(["x", "", "z;w"], type=pa.large_string()),
               "b é": pa.array(["1", "2.5000", "3"], type=pa.large_string())}
    header, body = columns_csv(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(zip(*(c.to_pylist() for c in columns.values())))
    assert header + bytes(body) == buffer.getvalue().encode("utf-8")


def test_memory_estimate_of_write_example_is_the_column_path(monkeypatch, tmp_path):
    from scenarios import limits

    monkeypatch.setenv(limits.ENV, "4G")  # 1M creators fit at 2 KiB each (1.9 GiB), not as row dicts (4.8 GiB)
    with pytest.raises(limits.ResourceLimitError, match="generating 1,000,000 creators"):
        generate_pool(1_000_000, 0)
    generate._check_args(1_000_000, 0, generate.WRITE_BYTES_PER_CREATOR)
