"""The simulator agrees with the reach model (contract section 4, last bullet) and with analytic means."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import ReachModel
from simulate import AccumulationCurve, simulate
from simulate_helpers import make_pool, make_scenario, plan, quiet

REL = 1e-9


@pytest.mark.parametrize("decay", [0.7, 1.0, 0.3])
@pytest.mark.parametrize("audience", [None, {"size": 5e5}, {"size": 3e6, "locations": ["Izmir"], "interests": ["food"]}])
def test_noise_off_final_views_and_reach_match_evaluate(decay, audience):
    sc = make_scenario(simulation=quiet({"days": 120, "post_spacing_days": 5}), model={"repeat_decay": decay},
                       audience=audience, n=30)
    posts = plan(30, seed=3, hired=12)
    ev = ReachModel.build(sc).evaluate(posts)
    res = simulate(sc, posts, runs=7, seed=11)
    for metric, expected in (("views", ev.views), ("target_reach", ev.target_reach), ("spend", ev.cost)):
        total = res.totals[metric]
        assert abs(total["mean"] - expected) <= REL * expected, metric
        # Every run is the same: the percentiles agree to float32 storage precision.
        assert total["p5"] == total["p95"] == pytest.approx(expected, rel=1e-6)


def test_noise_off_daily_views_follow_the_curve():
    sc = make_scenario(simulation=quiet({"days": 40, "start_day": 2, "post_spacing_days": 9}))
    posts = plan(40)
    res = simulate(sc, posts, runs=3)
    curve = AccumulationCurve.from_settings(sc.simulation)
    pool = sc.pool
    expected = np.zeros(40)
    for i in np.flatnonzero(posts):
        for k in range(posts[i]):
            t = 2 + 9 * k
            age = np.arange(40) - t + 1
            expected += pool.avg_views[i] * np.where(age >= 1, curve(np.maximum(age, 0)), 0.0)
    np.testing.assert_allclose(res.series["views"]["mean"], expected, rtol=REL, atol=0)
    assert res.series["views"]["mean"][1] == 0.0  # nothing before the first post day


def test_followers_without_churn_are_follow_rate_times_reach():
    sc = make_scenario(simulation=quiet({"days": 100, "churn_rate": 0.0, "follow_rate": 0.01}))
    res = simulate(sc, plan(40), runs=4)
    assert res.totals["followers_gained"]["mean"] == pytest.approx(0.01 * res.totals["target_reach"]["mean"], rel=REL)


def test_churn_loses_followers():
    kw = quiet({"days": 60, "follow_rate": 0.01})
    kept = simulate(make_scenario(simulation={**kw, "churn_rate": 0.0}), plan(40), runs=2).totals["followers_gained"]["mean"]
    churned = simulate(make_scenario(simulation={**kw, "churn_rate": 0.01}), plan(40), runs=2).totals["followers_gained"]["mean"]
    assert 0 < churned < kept


def _expected_views(sc, posts, day):
    """Analytic E[cumulative views by the end of ``day``] with failure, dispersion and cascade on."""
    s, pool = sc.simulation, sc.pool
    curve = AccumulationCurve.from_settings(s)
    q = np.minimum(s.views_per_share * pool.shares_rate, s.cascade_cap)
    factor = 1.0 + s.views_per_share * pool.shares_rate / (1.0 - q)
    total = 0.0
    for i in np.flatnonzero(posts):
        for k in range(posts[i]):
            t = s.start_day + k * s.post_spacing_days
            if t <= day:
                total += (1 - s.post_failure_rate) * pool.avg_views[i] * factor[i] * float(curve(day - t + 1))
    return total


@pytest.mark.parametrize("settings", [
    {"view_dispersion": 1.2, "post_failure_rate": 0.05, "views_per_share": 3.0},
    {"view_dispersion": 0.8, "post_failure_rate": 0.2, "views_per_share": 40.0, "cascade_cap": 0.3},
    {"view_dispersion": 1.5, "view_dispersion_micro": 0.2, "post_failure_rate": 0.0, "views_per_share": 0.0},
])
def test_noisy_mean_views_match_analytic_expectation(settings):
    sc = make_scenario(simulation={"days": 50, **settings}, n=40)
    posts = plan(40, hired=25)
    runs = 4000
    res = simulate(sc, posts, runs=runs, seed=5)
    finals = res.finals["views"].astype(float)
    se = finals.std(ddof=1) / np.sqrt(runs)
    expected = _expected_views(sc, posts, 49)
    assert abs(res.totals["views"]["mean"] - expected) <= 4 * se, (res.totals["views"]["mean"], expected, se)
    # Spend: fees are 0 here; a failed post is not paid.
    cost = (1 - sc.simulation.post_failure_rate) * float((posts * sc.pool.price).sum())
    spend = res.finals["spend"].astype(float)
    assert abs(spend.mean() - cost) <= 4 * spend.std(ddof=1) / np.sqrt(runs) + 1e-6 * cost


def test_interactions_follow_the_rates_in_expectation():
    sc = make_scenario(simulation=quiet({"days": 120}))
    posts = plan(40)
    runs = 400
    res = simulate(sc, posts, runs=runs)
    pool = sc.pool
    for metric, rate in (("likes", pool.likes_rate), ("comments", pool.comments_rate), ("shares", pool.shares_rate)):
        values = res.finals[metric].astype(float)
        expected = float((posts * pool.avg_views * rate).sum())
        # Poisson counts: sd = sqrt(mean) per run; tolerance 4 standard errors of the mean.
        assert abs(values.mean() - expected) <= 4 * np.sqrt(expected / runs), metric
    er = res.totals["engagement_rate"]["mean"]
    assert er == pytest.approx(res.totals["engagements"]["mean"] / res.totals["views"]["mean"], rel=1e-3)
    exposure = float((posts * pool.followers).sum())
    assert res.totals["engagement_rate_followers"]["mean"] == pytest.approx(res.totals["engagements"]["mean"] / exposure, rel=1e-3)


def test_fees_are_booked_on_hire_and_ratios_are_consistent():
    pool = make_pool(40, fee=500.0)
    sc = make_scenario(pool, simulation=quiet({"days": 100, "start_day": 10}))
    posts = plan(40)
    res = simulate(sc, posts, runs=2)
    hired = int((posts > 0).sum())
    assert res.series["spend"]["mean"][0] == 500.0 * hired  # before any post goes live
    assert res.series["cpm"]["mean"][0] is None  # no views yet: undefined, not infinite
    t = res.totals
    assert t["cpm"]["mean"] == pytest.approx(1000 * t["spend"]["mean"] / t["views"]["mean"], rel=1e-6)
    assert t["cost_per_follower"]["mean"] == pytest.approx(t["spend"]["mean"] / t["followers_gained"]["mean"], rel=1e-6)


def test_posts_after_the_horizon_are_noted_and_not_simulated():
    sc = make_scenario(simulation=quiet({"days": 10, "post_spacing_days": 7}))
    posts = np.zeros(40, dtype=np.int64)
    posts[0] = 3  # days 0, 7, 14: the third is after day 9
    res = simulate(sc, posts, runs=2)
    assert any("1 bought post" in n for n in res.notes)
    assert res.totals["spend"]["mean"] == pytest.approx(2 * sc.pool.price[0])
