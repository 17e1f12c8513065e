"""Fuzzing the loader (issue item 8): random bytes and mangled CSV/TOML give only clean errors.

Every outcome must be a valid ``Scenario`` (checked against the contract's invariants, and
scorable by the reach model) or a ``ReachmixError`` with exit code 2 and a one-line message.
Anything else (a bare ``ValueError``, ``OverflowError``, a NumPy warning, ...) fails the test.
Budgets are fixed so the whole file runs in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_CSV
from scenarios import ReachModel, ReachmixError, Scenario, load_scenario

pytestmark = pytest.mark.slow  # seconds to minutes: run by CI and `pytest --all`

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FULL_TOML = """\
name = "fuzz"
currency = "TRY"
[pool]
file = "creators.csv"
engagement_basis = "views"
[budget]
total = 400000
[audience]
size = 3500000
age = ["18-24", "25-34"]
gender = ["female"]
locations = ["Istanbul", "Ankara"]
interests = ["beauty", "skincare"]
[audience.population]
locations = { Istanbul = 0.7, Ankara = 0.3 }
[tiers]
micro = [10000, 100000]
[constraints]
max_posts = 3
min_count = { micro = 1 }
max_count = { mega = 0 }
min_budget_share = { micro = 0.1 }
max_budget_share = { macro = 0.5 }
max_creator_share = 0.25
must_include = ["@ayse.makeup"]
exclude = ["@mert.tech"]
min_engagement_rate = 0.01
min_target_match = 0.05
[objective]
maximize = "target_reach"
[model]
repeat_decay = 0.7
interest_floor = 0.25
view_rate = 0.25
[simulation]
days = 56
runs = 2000
seed = 7
view_dispersion = 1.2
[[kpi]]
metric = "views"
target = 5000000
by_day = 28
priority = 1
"""

NASTY_CELLS = [
    "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e308", "1e309", "9" * 400, "-1", "0", "1.5", "13.9K",
    "1.4M", '"2,500"', "2,500", "100", "55", "0.5", "1e-320", "😀", "İstanbul", '"', '""', '"a\nb"', "a\rb",
    "\x00", "\ufeff", "1,5", "#Beauty;;#", "%", "$", "4.1M", "0x10", "1_000", "-0", "12%", "@ayse.makeup",
    "loc_", "handle", "Followers", "\u2028", "1e30",
]
NASTY_TOML_VALUES = [
    "nan", "inf", "-inf", "1e309", "9" * 400, "-1", "0", "0.5", "3", '"x"', '""', "[]", '["a"]', "{}", "true",
    '"\\u0000"', '"a\\nb"', "1979-05-27", "[[1]]", '"13.9K"', "{ micro = 5 }", "[" * 40 + "]" * 40,
    '["18-24", "18-24"]', '["@nobody"]', '{ Istanbul = 0 }', "-0.0", "1e-320", '"\\u2028"', "[1, 2]",
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def check(workdir, toml: bytes, csv: bytes):
    (workdir / "scenario.toml").write_bytes(toml)
    (workdir / "creators.csv").write_bytes(csv)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy overflow or invalid cast is a bug too
        try:
            scenario = load_scenario(workdir / "scenario.toml")
        except ReachmixError as exc:
            message = str(exc)
            assert message.strip(), "empty message"
            assert len(message.splitlines()) == 1, repr(message)
            assert exc.exit_code == 2
            return None
    check_valid(scenario)
    return scenario


def check_valid(sc: Scenario) -> None:
    """The contract's invariants of a loaded scenario, and that the reach model can score it."""
    pool = sc.pool
    n = len(pool)
    assert n >= 1 and len(set(pool.handles)) == n and all(h.strip() for h in pool.handles)
    for name in ("followers", "price", "avg_views", "engagement_rate", "likes_rate", "comments_rate",
                 "shares_rate", "fee"):
        values = getattr(pool, name)
        assert values.shape == (n,) and np.isfinite(values).all() and (values >= 0).all(), name
    assert (pool.price > 0).all()
    assert (pool.followers == np.round(pool.followers)).all()
    assert pool.max_posts.dtype.kind == "i" and (pool.max_posts >= 0).all()
    if pool.age is not None:
        assert np.isfinite(pool.age).all() and (pool.age >= 0).all()
        np.testing.assert_allclose(pool.age.sum(axis=1), 1.0, rtol=1e-9)
    for group in (pool.gender, pool.locations):
        if group is not None:
            assert np.isfinite(group).all() and (group >= 0).all() and (group.sum(axis=1) <= 1.02 + 1e-9).all()
    assert sc.budget > 0 and np.isfinite(sc.budget)
    assert sc.audience.size > 0 and np.isfinite(sc.audience.size)
    # Absurd but valid magnitudes (avg_views = 1e308) may overflow engagements to inf; reach may not.
    with np.errstate(over="ignore"):
        model = ReachModel.build(sc)
        ev = model.evaluate(pool.max_posts)
    assert np.isfinite(ev.target_reach) and 0 <= ev.target_reach <= sc.audience.size * (1 + 1e-9) + 1e-6


def _grid(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text))]


def _join(grid: list[list[str]], newline: str = "\n") -> str:
    """Cells back to CSV text; a cell with a comma is quoted unless it already plays with quotes."""
    quote = lambda c: f'"{c}"' if "," in c and '"' not in c else c  # noqa: E731
    return newline.join(",".join(quote(c) for c in row) for row in grid) + newline


# --- random bytes and text -------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_as_csv(workdir, data):
    check(workdir, FULL_TOML.encode(), data)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_as_toml(workdir, data):
    check(workdir, data, BASE_CSV.encode())


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('abchandlefollowersprice,\n\r"0123456789.-KM%#;@ _')),
                    max_size=300))
def test_random_csv_like_text(workdir, text):
    check(workdir, b'[pool]\nfile = "creators.csv"\n[budget]\ntotal = 1000\n', text.encode())


@FUZZ
@given(text=st.text(max_size=300))
def test_random_unicode_as_toml(workdir, text):
    check(workdir, text.encode("utf-8", "surrogatepass"), BASE_CSV.encode())


# --- mutations of a valid CSV ----------------------------------------------------------------

CSV_GRID = _grid(BASE_CSV)
ROWS, COLS = len(CSV_GRID), len(CSV_GRID[0])
csv_ops = st.one_of(
    st.tuples(st.just("set"), st.integers(0, ROWS - 1), st.integers(0, COLS - 1),
              st.sampled_from(NASTY_CELLS) | st.text(max_size=12)),
    st.tuples(st.just("drop_cell"), st.integers(0, ROWS - 1), st.integers(0, COLS - 1)),
    st.tuples(st.just("swap_cols"), st.integers(0, COLS - 1), st.integers(0, COLS - 1)),
    st.tuples(st.just("drop_col"), st.integers(0, COLS - 1)),
    st.tuples(st.just("dup_row"), st.integers(1, ROWS - 1)),
    st.tuples(st.just("drop_row"), st.integers(0, ROWS - 1)),
    st.tuples(st.just("insert_text"), st.integers(0, ROWS - 1), st.text(max_size=20)),
)


def mutate_csv(ops) -> list[list[str]]:
    grid = [row[:] for row in CSV_GRID]
    for op in ops:
        kind = op[0]
        if kind == "set" and op[1] < len(grid) and op[2] < len(grid[op[1]]):
            grid[op[1]][op[2]] = op[3]
        elif kind == "drop_cell" and op[1] < len(grid) and op[2] < len(grid[op[1]]):
            del grid[op[1]][op[2]]
        elif kind == "swap_cols":
            for row in grid:
                if max(op[1], op[2]) < len(row):
                    row[op[1]], row[op[2]] = row[op[2]], row[op[1]]
        elif kind == "drop_col":
            for row in grid:
                if op[1] < len(row):
                    del row[op[1]]
        elif kind == "dup_row" and op[1] < len(grid):
            grid.append(grid[op[1]][:])
        elif kind == "drop_row" and op[1] < len(grid):
            del grid[op[1]]
        elif kind == "insert_text" and op[1] < len(grid):
            grid[op[1]].insert(len(grid[op[1]]) // 2, op[2])
    return grid


@FUZZ
@given(ops=st.lists(csv_ops, min_size=1, max_size=5), crlf=st.booleans(), bom=st.booleans())
def test_mutated_csv(workdir, ops, crlf, bom):
    text = _join(mutate_csv(ops), "\r\n" if crlf else "\n")
    check(workdir, FULL_TOML.encode(), (("\ufeff" if bom else "") + text).encode("utf-8", "surrogatepass"))


# --- mutations of a valid TOML ---------------------------------------------------------------

TOML_LINES = FULL_TOML.splitlines()
N_LINES = len(TOML_LINES)
toml_ops = st.one_of(
    st.tuples(st.just("value"), st.integers(0, N_LINES - 1), st.sampled_from(NASTY_TOML_VALUES)),
    st.tuples(st.just("drop"), st.integers(0, N_LINES - 1)),
    st.tuples(st.just("dup"), st.integers(0, N_LINES - 1)),
    st.tuples(st.just("swap"), st.integers(0, N_LINES - 1), st.integers(0, N_LINES - 1)),
    st.tuples(st.just("insert"), st.integers(0, N_LINES - 1), st.text(max_size=20)),
)


def mutate_toml(ops) -> list[str]:
    lines = TOML_LINES[:]
    for op in ops:
        kind = op[0]
        if op[1] >= len(lines):
            continue
        if kind == "value" and "=" in lines[op[1]]:
            key = lines[op[1]].split("=", 1)[0]
            lines[op[1]] = f"{key}= {op[2]}"
        elif kind == "drop":
            del lines[op[1]]
        elif kind == "dup":
            lines.insert(op[1], lines[op[1]])
        elif kind == "swap" and op[2] < len(lines):
            lines[op[1]], lines[op[2]] = lines[op[2]], lines[op[1]]
        elif kind == "insert":
            lines.insert(op[1], op[2])
    return lines


@FUZZ
@given(ops=st.lists(toml_ops, min_size=1, max_size=4), crlf=st.booleans(), bom=st.booleans())
def test_mutated_toml(workdir, ops, crlf, bom):
    text = ("\r\n" if crlf else "\n").join(mutate_toml(ops)) + "\n"
    check(workdir, (("\ufeff" if bom else "") + text).encode("utf-8", "surrogatepass"), BASE_CSV.encode())


def test_the_unmutated_inputs_are_valid(workdir):
    # Guards the fuzz tests against testing nothing but a broken base.
    assert check(workdir, FULL_TOML.encode(), BASE_CSV.encode()) is not None


# --- exhaustive: every nasty value in every cell and every key -------------------------------


def test_every_nasty_cell_in_every_column(workdir):
    outcomes = {"valid": 0, "error": 0}
    for row in (0, 1):
        for col in range(COLS):
            for value in NASTY_CELLS:
                grid = [r[:] for r in CSV_GRID]
                grid[row][col] = value
                text = _join(grid)
                ok = check(workdir, FULL_TOML.encode(), text.encode("utf-8"))
                outcomes["valid" if ok is not None else "error"] += 1
    assert outcomes["valid"] and outcomes["error"]  # the grid exercises both outcomes


def test_every_nasty_value_for_every_key(workdir):
    outcomes = {"valid": 0, "error": 0}
    for k, line in enumerate(TOML_LINES):
        if "=" not in line:
            continue
        for value in NASTY_TOML_VALUES:
            lines = TOML_LINES[:]
            lines[k] = line.split("=", 1)[0] + "= " + value
            ok = check(workdir, ("\n".join(lines) + "\n").encode(), BASE_CSV.encode())
            outcomes["valid" if ok is not None else "error"] += 1
    assert outcomes["valid"] and outcomes["error"]


# --- plan JSON ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["@ayse.makeup", "@mert.tech", "@deniz.vlogs"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["handle", "posts", "x"]) | st.text(
        max_size=5), inner, max_size=3),
    max_leaves=10,
)
selections = st.lists(st.fixed_dictionaries({"handle": json_values, "posts": json_values}), max_size=4)


@FUZZ
@given(doc=json_values | st.fixed_dictionaries({"selection": selections | json_values}))
def test_random_plan_json(workdir, doc):
    from scenarios import PlanError, plan_from_json

    pool = load_scenario_cached(workdir).pool
    path = workdir / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN and Infinity included, as Python writes them
    try:
        plan = plan_from_json(path, pool)
    except PlanError as exc:
        assert len(str(exc).splitlines()) == 1 and exc.exit_code == 2
        return
    assert plan.posts.shape == (len(pool),) and (plan.posts >= 0).all()


_CACHE: dict = {}


def load_scenario_cached(workdir):
    if "scenario" not in _CACHE:
        _CACHE["scenario"] = check(workdir, FULL_TOML.encode(), BASE_CSV.encode())
    return _CACHE["scenario"]
