"""Views from followers (scenarios/view_model.py): the sourced curve, per-tier rates, the loader's
[model] keys, and the simulator's per-creator predictive spread."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from scenarios import ScenarioError, Tiers, scenario_from_dict
from scenarios.pool_csv import PoolOptions
from scenarios.view_model import (
    DEFAULT_VIEW_CURVE,
    FOLLOWER_VIEW_SIGMA,
    MEDIAN_SCALE,
    default_views,
    post_sigma,
)
from simulate import simulate
from simulate.schedule import prepare
from simulate_helpers import make_pool, make_scenario

F = np.array([500.0, 3162.0, 45_000.0, 250_000.0, 700_000.0, 3_162_278.0])
TIER = Tiers().classify(F)


def test_default_curve_reproduces_the_sourced_figures():
    # Independent: the least-squares median curve through two points in log space keeps the product of
    # the two medians, and its slope is 0.74 - 1 per log follower.
    nano, mega = (MEDIAN_SCALE * f ** (0.74 - 1.0) for f in (3162.0, 3162278.0))
    assert nano * mega == pytest.approx(2.5 * 0.36, rel=1e-9)
    assert nano / mega == pytest.approx(1000.0 ** 0.26, rel=1e-3)
    assert 2.2 < nano < 2.8 and 0.3 < mega < 0.4  # the field test's 2.5 and 0.36
    # Expected views = median x exp(sigma^2 / 2), rounded: 18.93 x exp(1.28) = 68.1 -> 68.
    assert MEDIAN_SCALE == pytest.approx(18.93, abs=0.01)
    assert dict(DEFAULT_VIEW_CURVE) == {"scale": 68.0, "exponent": 0.74}
    assert FOLLOWER_VIEW_SIGMA == 1.6


def test_default_views_by_model():
    curve = 68.0 * F ** 0.74
    # No view_rate: the curve (the scenario default).
    np.testing.assert_allclose(default_views(F, TIER, PoolOptions(view_rate=None)), curve)
    # A plain number: exactly the contract's followers * view_rate.
    np.testing.assert_array_equal(default_views(F, TIER, PoolOptions(view_rate=0.25)), F * 0.25)
    # Per tier; a tier left out uses the curve.
    out = default_views(F, TIER, PoolOptions(view_rate={"nano": 2.0, "mega": 0.3}))
    np.testing.assert_allclose(out, [1000.0, 6324.0, curve[2], curve[3], curve[4], 3_162_278.0 * 0.3])
    # An explicit view_model = "curve" wins over a given rate; a custom curve.
    opts = PoolOptions(view_rate=0.25, view_model="curve", view_curve={"scale": 10.0, "exponent": 0.5})
    np.testing.assert_allclose(default_views(F, TIER, opts), 10.0 * np.sqrt(F))
    assert default_views(np.array([0.0]), np.array([0]), PoolOptions(view_rate=None))[0] == 0.0


def _write(tmp_path: Path, model: str) -> Path:
    (tmp_path / "pool.csv").write_text("handle,followers,price,avg_views\n@n,3000,100,\n@m,50000,400,\n"
                                       "@g,2000000,9000,\n@k,20000,300,12345\n", encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(f'[pool]\nfile = "pool.csv"\n[budget]\ntotal = 1000\n[model]\n{model}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("model, expected", [
    ("", [68 * 3000 ** 0.74, 68 * 50000 ** 0.74, 68 * 2e6 ** 0.74, 12345]),
    ("view_rate = 0.25", [750, 12500, 500000, 12345]),
    ("view_rate = { nano = 1.5, mega = 0.2 }", [4500, 68 * 50000 ** 0.74, 400000, 12345]),
    ("view_curve = { scale = 10, exponent = 0.8 }", [10 * 3000 ** 0.8, 10 * 50000 ** 0.8, 10 * 2e6 ** 0.8, 12345]),
    ('view_rate = 0.25\nview_model = "curve"', [68 * 3000 ** 0.74, 68 * 50000 ** 0.74, 68 * 2e6 ** 0.74, 12345]),
])
def test_loader_fills_blank_views(tmp_path, model, expected):
    from scenarios import load_scenario

    sc = load_scenario(_write(tmp_path, model))
    np.testing.assert_allclose(sc.pool.avg_views, expected, rtol=1e-12)


def test_model_params_record_the_choice(tmp_path):
    from scenarios import load_scenario

    sc = load_scenario(_write(tmp_path, "view_rate = { nano = 1.5 }"))
    assert dict(sc.model.view_rate) == {"nano": 1.5} and sc.model.views_from == "rate"
    assert load_scenario(_write(tmp_path, "")).model.views_from == "curve"


@pytest.mark.parametrize("model, message", [
    ("view_curve = { scale = 10 }", "model.view_curve needs both scale and exponent, e.g. { scale = 68, exponent = 0.74 }"),
    ("view_curve = { scale = 10, exponent = 3 }", "model.view_curve.exponent = 3 is too large; it must be <= 2"),
    ("view_curve = { scale = 0, exponent = 0.7 }", "model.view_curve.scale = 0 is too small; it must be > 0"),
    ("view_curve = { scale = 1, exponent = 0.7, slope = 1 }",
     'model.view_curve.slope is not a known key (did you mean "scale"?); use one of scale, exponent'),
    ("view_rate = { nan = 1.0 }", 'model.view_rate.nan is not a known tier (did you mean "nano"?); use one of '
                                  "nano, micro, mid, macro, mega"),
    ("view_rate = {}", "model.view_rate is an empty table; give a rate per tier, e.g. { nano = 1.2 }, or remove it"),
    ('view_model = "curves"', 'model.view_model "curves" is not one of curve, rate (did you mean "curve"?)'),
    ('view_model = "rate"', 'model.view_model = "rate" needs a view_rate (e.g. view_rate = { nano = 1.2 }) or '
                            'view_model = "curve"'),
])
def test_bad_view_keys_are_located_errors(tmp_path, model, message):
    from scenarios import load_scenario

    path = _write(tmp_path, model)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: {message}"


def test_post_sigma_rules():
    pool = dataclasses.replace(make_pool(5), views_sigma=np.array([1.2, np.nan, 0.8, np.nan, 1.0]),
                               videos=np.array([3.0, np.nan, 1.0, 0.0, np.nan]))
    base = np.full(5, 1.1)
    out = post_sigma(pool, np.arange(5), base, 1.6)
    np.testing.assert_allclose(out, [1.2 * math.sqrt(1 + 1 / 3), 1.1, 0.8 * math.sqrt(2.0), 1.6, 1.0])
    # Rows are pool rows: a repeated creator gets its own value each time.
    np.testing.assert_allclose(post_sigma(pool, np.array([0, 0, 3]), np.full(3, 1.1), 1.6), out[[0, 0, 3]])
    # A pool without the columns keeps the tier sigma.
    np.testing.assert_array_equal(post_sigma(make_pool(5), np.arange(5), base, 1.6), base)


def test_simulator_uses_the_per_creator_spread():
    n = 6
    pool = dataclasses.replace(make_pool(n), views_sigma=np.array([0.5, np.nan, 0.9, np.nan, 2.0, 0.0]),
                               videos=np.array([4.0, np.nan, 9.0, 0.0, np.nan, 1.0]))
    sc = make_scenario(pool, simulation={"view_dispersion": 1.1, "view_dispersion_followers": 1.7})
    posts = np.array([1, 1, 2, 1, 1, 1])
    prep = prepare(sc, posts, days=60)
    np.testing.assert_allclose(prep.sigma, [0.5 * math.sqrt(1.25), 1.1, 0.9 * math.sqrt(10 / 9), 0.9 * math.sqrt(10 / 9),
                                            1.7, 2.0, 0.0])


def test_mean_preserving_with_per_creator_spread():
    """Mean final views equal the analytic expectation within 4 Monte Carlo standard errors."""
    n = 8
    pool = dataclasses.replace(make_pool(n, seed=4), views_sigma=np.full(n, 1.4), videos=np.arange(1.0, n + 1))
    sim = {"post_failure_rate": 0.0, "views_per_share": 0.0, "days": 120, "runs": 4000, "seed": 3}
    sc = make_scenario(pool, simulation=sim)
    posts = np.ones(n, dtype=np.int64)
    res = simulate(sc, posts)
    finals = res.finals["views"].astype(float)
    expected = float(pool.avg_views.sum())
    assert abs(finals.mean() - expected) <= 4 * finals.std(ddof=1) / math.sqrt(finals.size)
    # The spread is the predictive one: sd of log views of creator 0's single post is 1.4 * sqrt(2).
    assert prepare(sc, posts, 120).sigma[0] == pytest.approx(1.4 * math.sqrt(2))


def test_scenario_from_dict_without_view_rate_keeps_given_views():
    sc = scenario_from_dict({"budget": {"total": 10}}, base_dir=Path("."), source="<t>", pool=make_pool(3))
    assert sc.model.view_rate is None and sc.model.view_curve is None and sc.model.views_from == "curve"
