"""Spend caps per week and month (``[budget] by_week`` / ``by_month``, issue 11): read, obeyed by the
earliest schedule, checked on given schedules, shown in the calendar."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import toml_with
from scenarios import ScenarioError, ScheduleRules, SpendCap, load_scenario
from scenarios.calendar import earliest_schedule, post_positions, rule_days, schedule_violations
from simulate_helpers import make_pool, make_scenario

POOL = make_pool(12, seed=5, fee=40.0)
BASE = make_scenario(POOL, simulation={"days": 60})


def _capped(*caps: SpendCap, **rules) -> object:
    return dataclasses.replace(BASE, schedule=ScheduleRules(spend_caps=caps, **rules))


def _spend_by_period(sc, posts, days, length):
    creator, k = post_positions(posts)
    costs = sc.pool.price[creator] + np.where(k == 0, sc.pool.fee[creator], 0.0)  # the fee with the first post
    return np.bincount(np.asarray(days) // length, weights=costs)


def test_caps_are_read_as_a_number_or_per_period(write_scenario):
    every = load_scenario(write_scenario(toml_with("by_week = 50000", "by_month = 150000")))
    assert every.schedule.spend_caps == (SpendCap("by_week", 7, every=50000.0), SpendCap("by_month", 30, every=150000.0))
    assert every.schedule.constrains
    listed = load_scenario(write_scenario(toml_with("[budget.by_week]", "1 = 60000", "2 = 40000", "every = 30000")))
    (cap,) = listed.schedule.spend_caps
    assert (cap.cap(1), cap.cap(2), cap.cap(3)) == (60000.0, 40000.0, 30000.0)
    only = load_scenario(write_scenario(toml_with("[budget.by_week]", "1 = 60000")))
    assert only.schedule.spend_caps[0].cap(2) == float("inf")


@pytest.mark.parametrize("lines, message", [
    (["by_week = 0"], "budget.by_week = 0 is too small; it must be > 0"),
    (["by_wek = 10"], 'budget.by_wek is not a known key (did you mean "by_week"?); remove or correct it'),
    (["[budget.by_week]", "first = 100"], "budget.by_week.first is not a week number; use 1, 2, ... (campaign "
                                          "weeks from day 0) or every"),
    (["[budget.by_month]", "0 = 100"], "budget.by_month.0 is not a month number; use 1, 2, ... (campaign "
                                       "months from day 0) or every"),
    (["[budget.by_week]"], "budget.by_week is empty; give a cap for every period (by_week = 50000) or per period "
                           "(1 = 60000)"),
])
def test_cap_errors_name_the_key(write_scenario, lines, message):
    path = write_scenario(toml_with(*lines))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize("seed", range(12))
def test_the_earliest_schedule_keeps_every_cap(seed):
    rng = np.random.default_rng(seed)
    posts = rng.integers(0, 4, POOL.size)
    posts[0] = max(posts[0], 1)
    creator, k = post_positions(posts)
    dearest = float((POOL.price[creator] + np.where(k == 0, POOL.fee[creator], 0.0)).max())
    week = SpendCap("by_week", 7, every=dearest * rng.uniform(1.0, 3.0))
    month = SpendCap("by_month", 30, every=dearest * rng.uniform(3.0, 6.0))
    sc = _capped(week, month, min_spacing_days=int(rng.integers(0, 5)))
    days = earliest_schedule(sc, posts)
    assert schedule_violations(sc, posts, days) == []
    for cap in (week, month):
        assert _spend_by_period(sc, posts, days, cap.length).max() <= cap.every * (1 + 1e-9)
    # The earliest: a post could not go a day earlier without breaking the spacing, the start or a cap.
    for p in range(days.size):
        if days[p] == 0:
            continue
        moved = days.copy()
        moved[p] -= 1
        if np.all(np.diff(moved[creator == creator[p]]) >= 0):
            assert schedule_violations(sc, posts, moved), f"post {p} could go on day {moved[p]}"


def test_loose_caps_change_nothing():
    posts = np.array([2, 0, 1, 3, 0, 0, 1, 0, 2, 0, 0, 1])
    sc = _capped(SpendCap("by_week", 7, every=1e12))
    assert np.array_equal(earliest_schedule(sc, posts), rule_days(BASE, posts))


def test_a_cap_below_one_post_is_an_error():
    posts = np.zeros(POOL.size, dtype=np.int64)
    posts[3] = 2
    cost = POOL.price[3] + POOL.fee[3]  # post 1 carries the fee
    sc = _capped(SpendCap("by_week", 7, every=float(cost) / 2))
    with pytest.raises(ScenarioError) as info:
        earliest_schedule(sc, posts)
    assert str(info.value) == (f"sim-test: budget.by_week = {cost / 2:,.0f} is less than post 1 of @c3 ({cost:,.0f} "
                               "with its fee); no schedule can place it; raise the cap or drop that post")


def test_a_given_schedule_over_a_cap_is_a_violation():
    posts = np.zeros(POOL.size, dtype=np.int64)
    posts[[1, 2]] = 1
    creator, _ = post_positions(posts)
    costs = POOL.price[creator] + POOL.fee[creator]
    spend, cap = float(costs.sum()), float(costs.max()) * 1.001  # each post fits alone, not both together
    sc = _capped(SpendCap("by_week", 7, every=cap))
    assert schedule_violations(sc, posts, [0, 3]) == [
        f"1 period(s) over budget.by_week (first: period 1, days 0-6, spends {spend:,.0f} > {cap:,.0f})"]
    assert schedule_violations(sc, posts, [0, 7]) == []


def test_the_calendar_shows_the_weekly_cap(write_scenario):
    from click.testing import CliRunner

    import cli

    path = write_scenario(toml_with("by_week = 30000"))
    run = CliRunner().invoke(cli.main, ["optimize", str(path)])
    assert run.exit_code == 0, run.output
    spend_table = run.output[run.output.index("Spend by week"):]
    assert "cap" in spend_table.splitlines()[1] and "30,000" in spend_table
