"""The ``[schedule]`` table and ``scenarios.calendar.earliest_schedule``."""

from __future__ import annotations

import dataclasses
import datetime
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import toml_with
from scenarios import ScenarioError, ScheduleRules, load_scenario
from scenarios.calendar import earliest_schedule, post_positions, rule_days, schedule_violations
from simulate_helpers import make_pool, make_scenario

POOL = make_pool(8, seed=3)
BASE = make_scenario(POOL)


def _with(rules: ScheduleRules, **simulation) -> object:
    sc = dataclasses.replace(BASE, schedule=rules)
    if simulation:
        sc = dataclasses.replace(sc, simulation=dataclasses.replace(sc.simulation, **simulation))
    return sc


# --------------------------------------------------------------------------------------------
# [schedule] in the scenario TOML


def test_default_rules_change_nothing(write_scenario):
    sc = load_scenario(write_scenario())
    assert sc.schedule == ScheduleRules() and not sc.schedule.constrains
    assert sc.schedule.label(3) == "day 3"


def test_schedule_table_is_read(write_scenario):
    sc = load_scenario(write_scenario(toml_with(
        "[schedule]", "start_date = 2025-03-01", "min_spacing_days = 3", "max_posts_per_day = 2",
        'blackout_days = [2, "2025-03-10", 2025-03-04, 2]')))
    rules = sc.schedule
    assert rules.start_date == datetime.date(2025, 3, 1)
    assert (rules.min_spacing_days, rules.max_posts_per_day, rules.blackout_days) == (3, 2, (2, 3, 9))
    assert rules.constrains and rules.spacing(sc.simulation) == 3
    assert rules.label(0) == "2025-03-01" and rules.label(31) == "2025-04-01"
    string = load_scenario(write_scenario(toml_with("[schedule]", 'start_date = "2025-03-01"')))
    assert string.schedule.start_date == rules.start_date and not string.schedule.constrains


@pytest.mark.parametrize("lines, message", [
    (["max_post_per_day = 2"], "schedule.max_post_per_day is not a known key (did you mean "
                               '"max_posts_per_day"?); remove or correct it'),
    (["max_posts_per_day = 0"], "schedule.max_posts_per_day = 0 is too small; it must be >= 1"),
    (["min_spacing_days = -1"], "schedule.min_spacing_days = -1 is too small; it must be >= 0"),
    (["min_spacing_days = 1.5"], "schedule.min_spacing_days must be a whole number, not 1.5"),
    (['start_date = "March 1st"'], 'schedule.start_date = "March 1st" is not a date; write an ISO date such as '
                                   "2025-03-01"),
    (["start_date = 2025-03-01T10:00:00"], "schedule.start_date = 2025-03-01T10:00:00 has a time of day; give a "
                                           "date such as 2025-03-01"),
    (['blackout_days = ["2025-03-10"]'], "schedule.blackout_days[0] = 2025-03-10 is a date but "
                                         "schedule.start_date is not set; set start_date or give campaign days "
                                         "(0 = start)"),
    (["start_date = 2025-03-01", "blackout_days = [1, 2025-02-27]"],
     "schedule.blackout_days[1] = 2025-02-27 is before schedule.start_date (2025-03-01); remove it or correct "
     "the date"),
    (["blackout_days = [3, -1]"], "schedule.blackout_days[1] = -1 is too small; it must be >= 0"),
    (["blackout_days = [true]"], "schedule.blackout_days[0] must be a number, not true"),
])
def test_schedule_errors_name_the_key(write_scenario, lines, message):
    path = write_scenario(toml_with("[schedule]", *lines))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: {message}"


# --------------------------------------------------------------------------------------------
# earliest_schedule


@pytest.mark.parametrize("start, spacing", [(0, 7), (3, 2), (0, 0), (5, 1)])
def test_default_rules_give_exactly_todays_rule(start, spacing):
    sc = _with(ScheduleRules(), start_day=start, post_spacing_days=spacing)
    rng = np.random.default_rng(start + spacing)
    for _ in range(10):
        posts = rng.integers(0, 4, POOL.size)
        days = earliest_schedule(sc, posts)
        creator, k = post_positions(posts)
        assert days.tolist() == (start + k * spacing).tolist() == rule_days(sc, posts).tolist()


def test_cap_goes_by_expected_views_then_pool_order():
    sc = _with(ScheduleRules(max_posts_per_day=1), post_spacing_days=0)
    posts = np.zeros(POOL.size, dtype=np.int64)
    posts[[1, 2, 5]] = 1
    days = earliest_schedule(sc, posts)
    by_views = sorted([1, 2, 5], key=lambda i: (-POOL.avg_views[i], i))
    assert [days[[1, 2, 5].index(i)] for i in by_views] == [0, 1, 2]


def test_blackouts_and_spacing_without_cap():
    sc = _with(ScheduleRules(min_spacing_days=3, blackout_days=(0, 4, 5)), start_day=0)
    posts = np.array([3, 0, 1, 0, 0, 0, 0, 0])
    assert earliest_schedule(sc, posts).tolist() == [1, 6, 9, 1]


def test_posts_that_do_not_fit_go_past_the_horizon():
    sc = _with(ScheduleRules(max_posts_per_day=1), days=3)
    posts = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    assert sorted(earliest_schedule(sc, posts).tolist()) == [0, 1, 2, 3, 4]


def _rule_breaks(sc, posts, days) -> bool:
    """Brute force: does this schedule break a rule? (independent of schedule_violations)"""
    rules, s = sc.schedule, sc.simulation
    creator, _ = post_positions(posts)
    spacing = rules.spacing(s)
    if np.any(days < s.start_day) or np.isin(days, rules.blackout_days).any():
        return True
    for a in range(len(days) - 1):
        if creator[a] == creator[a + 1] and days[a + 1] - days[a] < spacing:
            return True
    if rules.max_posts_per_day is not None:
        for d in set(days.tolist()):
            if (days == d).sum() > rules.max_posts_per_day:
                return True
    return False


@settings(max_examples=150, deadline=None)
@given(posts=st.lists(st.integers(0, 4), min_size=POOL.size, max_size=POOL.size),
       start=st.integers(0, 5), spacing=st.integers(0, 6), use_spacing=st.booleans(),
       cap=st.one_of(st.none(), st.integers(1, 4)), blackout=st.sets(st.integers(0, 30), max_size=8))
def test_earliest_schedule_obeys_every_rule_and_no_post_can_move_earlier(posts, start, spacing, use_spacing, cap,
                                                                         blackout):
    sc = _with(ScheduleRules(min_spacing_days=spacing if use_spacing else None, max_posts_per_day=cap,
                             blackout_days=tuple(sorted(blackout))), start_day=start, days=20)
    posts = np.array(posts)
    days = earliest_schedule(sc, posts)
    assert days.shape == (posts.sum(),) and days.dtype == np.int64
    assert not _rule_breaks(sc, posts, days)
    assert schedule_violations(sc, posts, days) == []
    for p in range(days.size):
        moved = days.copy()
        moved[p] -= 1
        assert _rule_breaks(sc, posts, moved), f"post {p} could go on day {moved[p]}"
        assert schedule_violations(sc, posts, moved)


def test_schedule_violations_name_each_rule():
    sc = _with(ScheduleRules(start_date=datetime.date(2025, 3, 1), min_spacing_days=2, max_posts_per_day=1,
                             blackout_days=(4,)), start_day=1)
    posts = np.array([2, 1, 0, 0, 0, 0, 0, 0])
    assert schedule_violations(sc, posts, [0, 1, 4]) == [
        "1 post(s) before [simulation] start_day = 1 (first: @c0 on 2025-03-01)",
        "1 post(s) less than 2 days after the same creator's previous post (first: @c0 on 2025-03-01 and 2025-03-02)",
        "1 post(s) on blackout days (first: @c1 on 2025-03-05)",
    ]
    assert schedule_violations(sc, posts, [2, 4, 2]) == [
        "1 post(s) on blackout days (first: @c0 on 2025-03-05)",
        "1 day(s) with more than max_posts_per_day = 1 posts (first: 2025-03-03 with 2)",
    ]


def test_large_pool_is_scheduled_quickly():
    pool = make_pool(10_000, seed=4)
    sc = dataclasses.replace(make_scenario(pool), schedule=ScheduleRules(max_posts_per_day=40, blackout_days=(3,)))
    posts = np.full(pool.size, 3)
    t = time.perf_counter()
    days = earliest_schedule(sc, posts)
    assert time.perf_counter() - t < 10
    assert np.bincount(days).max() == 40 and not np.isin(days, [3]).any()
