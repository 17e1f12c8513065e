"""Creator availability windows: pool columns ``available_from`` / ``available_to`` (issue 11)."""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from cli import main
from conftest import BASE_CSV, toml_with
from scenarios import PoolError, ScheduleRules, load_scenario
from scenarios.availability import NO_END
from scenarios.calendar import earliest_schedule, post_positions, schedule_violations, window_capacity
from simulate_helpers import make_pool, make_scenario

WINDOW_CSV = BASE_CSV.replace("LOC_Istanbul,loc_Ankara", "LOC_Istanbul,loc_Ankara,available_from,available_to")
ROWS = WINDOW_CSV.splitlines()


def _csv(*windows: str) -> str:
    return "\n".join([ROWS[0], *(f"{row},{w}" for row, w in zip(ROWS[1:], windows))]) + "\n"


def _windowed(first, last, *, rules: ScheduleRules = ScheduleRules(), n: int = 8, seed: int = 3, **simulation):
    pool = make_pool(n, seed=seed)
    pool = dataclasses.replace(pool, available_from=np.asarray(first, dtype=np.int64),
                               available_to=np.asarray(last, dtype=np.int64))
    sc = dataclasses.replace(make_scenario(pool), schedule=rules)
    if simulation:
        sc = dataclasses.replace(sc, simulation=dataclasses.replace(sc.simulation, **simulation))
    return sc


# --------------------------------------------------------------------------------------------
# Reading


def test_days_and_dates_are_read_with_start_date(write_scenario):
    sc = load_scenario(write_scenario(toml_with("[schedule]", "start_date = 2025-03-01"),
                                      csv=_csv("3,10", "2025-03-05,15.03.2025", ",")))
    assert sc.pool.available_from.tolist() == [3, 4, 0]
    assert sc.pool.available_to.tolist() == [10, 14, NO_END]


def test_days_need_no_start_date_and_pools_without_the_columns_have_no_window(write_scenario):
    sc = load_scenario(write_scenario(csv=_csv("0,6", ",", "7,")))
    assert sc.pool.available_from.tolist() == [0, 0, 7]
    assert sc.pool.available_to.tolist() == [6, NO_END, NO_END]
    plain = load_scenario(write_scenario())
    assert plain.pool.available_from is None and window_capacity(plain) is None


@pytest.mark.parametrize("cells, message", [
    (("2025-03-05,", ",", ","),
     'creators.csv, row 2, column available_from: "2025-03-05" is a date but [schedule] start_date is not set; '
     "set start_date in the scenario or write a campaign day number (0 = the first day)"),
    (("soon,", ",", ","),
     'creators.csv, row 2, column available_from: "soon" is not a date; write it as 2024-03-01 or 2024-03-01 '
     "14:30, or write a campaign day number (0 = the first day)"),
    (("9,5", ",", ","),
     "creators.csv, row 2, column available_to: ends on campaign day 5, before available_from (day 9); swap the "
     "two or correct the dates"),
])
def test_bad_cells_are_located(write_scenario, cells, message):
    with pytest.raises(PoolError) as info:
        load_scenario(write_scenario(csv=_csv(*cells)))
    assert str(info.value).endswith(message)


# --------------------------------------------------------------------------------------------
# Capacity and the earliest schedule


def _capacity_brute(first, last, spacing, blackout, max_posts):
    """Count the posts one creator fits by walking the calendar a day at a time."""
    count, day, previous = 0, first, None
    while day <= last and count < max_posts:
        if day not in blackout and (previous is None or day - previous >= spacing):
            count += 1
            previous = day
            if spacing == 0:
                return max_posts
        day += 1
    return count


@settings(max_examples=30, deadline=None)
@given(first=st.lists(st.integers(0, 12), min_size=8, max_size=8), length=st.lists(st.integers(-3, 15), min_size=8,
       max_size=8), spacing=st.integers(0, 5), blackout=st.sets(st.integers(0, 25), max_size=6), start=st.integers(0, 4))
def test_window_capacity_matches_walking_the_calendar(first, length, spacing, blackout, start):
    last = [f + n for f, n in zip(first, length)]
    sc = _windowed(first, last, rules=ScheduleRules(min_spacing_days=spacing, blackout_days=tuple(sorted(blackout))),
                   start_day=start)
    expected = [_capacity_brute(max(f, start), t, spacing, blackout, 3) for f, t in zip(first, last)]
    assert window_capacity(sc).tolist() == expected


def _breaks(sc, posts, days) -> bool:
    """Brute force: does the schedule break spacing, blackouts, per-day cap, start or a window?"""
    rules, s, pool = sc.schedule, sc.simulation, sc.pool
    creator, _ = post_positions(posts)
    spacing = rules.spacing(s)
    if np.any(days < s.start_day) or np.isin(days, rules.blackout_days).any():
        return True
    if np.any(days < pool.available_from[creator]) or np.any(days > pool.available_to[creator]):
        return True
    if any(creator[a] == creator[a + 1] and days[a + 1] - days[a] < spacing for a in range(len(days) - 1)):
        return True
    if rules.max_posts_per_day is not None and days.size:
        return bool(np.bincount(days).max() > rules.max_posts_per_day)
    return False


@settings(max_examples=60, deadline=None)
@given(first=st.lists(st.integers(0, 10), min_size=8, max_size=8), wants=st.lists(st.integers(0, 3), min_size=8,
       max_size=8), spacing=st.integers(0, 4), cap=st.one_of(st.none(), st.integers(1, 3)),
       blackout=st.sets(st.integers(0, 30), max_size=5), start=st.integers(0, 3))
def test_earliest_schedule_keeps_windows_and_no_post_can_move_earlier(first, wants, spacing, cap, blackout, start):
    last = [f + 60 for f in first]  # wide enough that the per-day cap never pushes a post past it
    sc = _windowed(first, last, rules=ScheduleRules(min_spacing_days=spacing, max_posts_per_day=cap,
                                                    blackout_days=tuple(sorted(blackout))), start_day=start, days=30)
    posts = np.minimum(np.array(wants), window_capacity(sc))
    days = earliest_schedule(sc, posts)
    assert not _breaks(sc, posts, days) and schedule_violations(sc, posts, days) == []
    for p in range(days.size):
        moved = days.copy()
        moved[p] -= 1
        assert _breaks(sc, posts, moved), f"post {p} could go on day {moved[p]}"
        assert schedule_violations(sc, posts, moved)


def test_violations_name_the_window():
    sc = _windowed([2, 0, 0, 0, 0, 0, 0, 0], [4, NO_END, 9, 9, 9, 9, 9, 9],
                   rules=ScheduleRules(start_date=datetime.date(2025, 3, 1)))
    posts = np.array([1, 1, 0, 0, 0, 0, 0, 0])
    assert schedule_violations(sc, posts, [1, 3]) == [
        "1 post(s) outside their creator's availability (first: @c0 on 2025-03-02, available 2025-03-03 to "
        "2025-03-05)"]
    sc = _windowed([5] * 8, [NO_END] * 8)
    assert schedule_violations(sc, posts, [5, 4]) == [
        "1 post(s) outside their creator's availability (first: @c1 on day 4, available from day 5)"]


# --------------------------------------------------------------------------------------------
# The optimizer and the simulator see the windows


def test_the_optimizer_buys_no_more_posts_than_a_window_holds():
    import optimizer
    from scenarios.reach import ReachModel
    from scenarios.rules import post_caps

    # Spacing 7 by default: @c0 fits 1 post (days 10-15), @c1 none (window over before day 0),
    # @c2 2 posts (days 0-7); the others are open.
    sc = _windowed([10, -9, 0, 0, 0, 0, 0, 0], [15, -1, 7, NO_END, NO_END, NO_END, NO_END, NO_END])
    assert post_caps(ReachModel.build(sc)).tolist()[:4] == [1, 0, 2, 3]
    plan = optimizer.optimize(dataclasses.replace(sc, budget=1e9), "milp")
    assert plan.posts.tolist()[:3] == [1, 0, 2]
    days = earliest_schedule(sc, plan.posts)
    assert days[:3].tolist() == [10, 0, 7]


def test_the_simulation_starts_each_creator_at_its_window():
    from simulate import simulate

    sc = _windowed([20] * 8, [NO_END] * 8, days=30)
    posts = np.zeros(8, dtype=np.int64)
    posts[0] = 1
    views = np.asarray(simulate(sc, posts, runs=50, seed=1).series["views"]["mean"])  # cumulative by day
    assert views[19] == 0 and views[20] > 0


def test_optimize_json_schedules_inside_the_windows(write_scenario, tmp_path):
    path = write_scenario(toml_with("[schedule]", "start_date = 2025-03-01"),
                          csv=_csv("2025-03-08,2025-03-20", "2,", ","))
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["optimize", str(path), "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    schedule = json.loads(out.read_text())["schedule"]
    first = {row["handle"]: row["day"] for row in schedule if row["post"] == 1}
    assert first.get("@ayse.makeup", 7) >= 7 and first.get("@mert.tech", 2) >= 2
    assert all(row["day"] <= 19 for row in schedule if row["handle"] == "@ayse.makeup")


def test_a_must_include_creator_without_a_posting_day_is_explained():
    import optimizer
    from scenarios import InfeasibleError

    sc = _windowed([10, -9, 0, 0, 0, 0, 0, 0], [15, -1, 7] + [NO_END] * 5)
    sc = dataclasses.replace(sc, constraints=dataclasses.replace(sc.constraints, must_include=("@c1",)))
    with pytest.raises(InfeasibleError) as info:
        optimizer.optimize(sc, "milp")
    assert str(info.value) == ("must_include @c1 has no posting day in its availability window (available_from -9, "
                               "available_to -1 as campaign days) under start_day, min_spacing_days and the blackout "
                               "days; widen the window or drop it from must_include")


@settings(max_examples=40, deadline=None)
@given(first=st.lists(st.integers(0, 10), min_size=8, max_size=8), wants=st.lists(st.integers(0, 3), min_size=8,
       max_size=8), spacing=st.integers(0, 4), cap=st.one_of(st.none(), st.integers(1, 3)),
       week=st.floats(1.0, 3.0), blackout=st.sets(st.integers(0, 30), max_size=4))
def test_windows_spacing_day_cap_and_weekly_spend_cap_hold_together(first, wants, spacing, cap, week, blackout):
    from scenarios import SpendCap

    last = [f + 400 for f in first]  # wide enough that only the caps decide how late a post goes
    sc = _windowed(first, last, rules=ScheduleRules(min_spacing_days=spacing, max_posts_per_day=cap,
                                                    blackout_days=tuple(sorted(blackout))), days=30)
    posts = np.minimum(np.array(wants), window_capacity(sc))
    creator, k = post_positions(posts)
    one_post = sc.pool.price + sc.pool.fee
    weekly = SpendCap("by_week", 7, every=float(one_post[creator].max(initial=1.0)) * week)
    sc = dataclasses.replace(sc, schedule=dataclasses.replace(sc.schedule, spend_caps=(weekly,)))
    days = earliest_schedule(sc, posts)
    assert not _breaks(sc, posts, days) and schedule_violations(sc, posts, days) == []
    cost = sc.pool.price[creator] + np.where(k == 0, sc.pool.fee[creator], 0.0)
    if days.size:  # every week's spend within the cap, by direct summation
        assert np.bincount(days // 7, weights=cost).max() <= weekly.every * (1 + 1e-9)
