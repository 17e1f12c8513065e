"""Schedules are part of a plan: ``Plan.days``, the plan JSON's ``schedule``, and the simulator using it."""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
import pytest

import reachmix
from conftest import BASE_CSV, toml_with
from scenarios import Plan, PlanError, ScheduleRules, load_scenario, plan_from_json
from scenarios.calendar import earliest_schedule, rule_days
from simulate import simulate
from simulate_helpers import make_scenario, plan, quiet
from whatif.results import plan_result


def _json(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Plan.days


def test_plan_days_are_validated_and_read_only():
    posts = np.array([2, 0, 1])
    p = Plan(posts=posts, days=[3, 10, 0])
    assert p.days.tolist() == [3, 10, 0] and p.days.dtype == np.int64
    assert not p.days.flags.writeable
    assert "scheduled" in repr(p) and "scheduled" not in repr(Plan(posts=posts))
    with pytest.raises(PlanError, match=r"^the plan's days have 2 entries but it buys 3 posts; give one day per"):
        Plan(posts=posts, days=[1, 2])
    with pytest.raises(PlanError, match=r"^the plan's days must be whole numbers >= 0 \(campaign days"):
        Plan(posts=posts, days=[1, -2, 3])
    with pytest.raises(PlanError, match=r"^the plan's days must be whole numbers >= 0"):
        Plan(posts=posts, days=[1, 2.5, 3])
    with pytest.raises(PlanError, match=r"^the plan's days of pool row 0 decrease \(day 9 then day 4\); a creator's "
                                        r"posts go live in order"):
        Plan(posts=posts, days=[9, 4, 0])
    Plan(posts=posts, days=[4, 4, 9])  # equal days of one creator are allowed (spacing is a scenario rule)


# --------------------------------------------------------------------------------------------
# Plan JSON


@pytest.fixture
def sc():
    return make_scenario(n=6)


def _read(sc, selection, schedule):
    return plan_from_json({"selection": selection, "schedule": schedule}, sc.pool)


SEL = [{"handle": "@c1", "posts": 2}, {"handle": "@c4", "posts": 1}]
GOOD = [{"handle": "@c4", "post": 1, "day": 5}, {"handle": "@c1", "post": 2, "day": 9},
        {"handle": "@c1", "post": 1, "day": 2}]


def test_schedule_is_read_in_plan_order_whatever_the_list_order(sc):
    p = _read(sc, SEL, GOOD)
    assert p.posts.tolist() == [0, 2, 0, 0, 1, 0]
    assert p.days.tolist() == [2, 9, 5]
    assert plan_from_json({"selection": SEL}, sc.pool).days is None  # no schedule: the default


@pytest.mark.parametrize("schedule, message", [
    ("soon", 'plan: "schedule" must be a list of {"handle", "post", "day"} objects (or leave it out for the '
             "default schedule)"),
    ([{"handle": "@c1", "post": 1}], 'plan: schedule[0] needs "handle", "post" and "day"'),
    ([{"handle": 7, "post": 1, "day": 0}], 'plan: schedule[0]: handle must be a string such as "@a", not 7'),
    (GOOD[:2] + [{"handle": "@c11x", "post": 1, "day": 0}],
     'plan: schedule[2]: handle "@c11x" is not in the pool <memory> (did you mean "@c1"?)'),
    ([{"handle": "@c2", "post": 1, "day": 0}],
     'plan: schedule[0]: handle "@c2" has no posts in the selection; remove this entry or buy posts from the creator'),
    ([{"handle": "@c1", "post": 3, "day": 0}],
     'plan: schedule[0]: post 3 of "@c1" is out of range; the selection buys 2 posts from it'),
    ([{"handle": "@c1", "post": 0, "day": 0}],
     "plan: schedule[0]: post must be a whole number >= 1 (the creator's 1st, 2nd, ... post), not 0"),
    ([{"handle": "@c1", "post": 1, "day": -1}],
     "plan: schedule[0]: day must be a whole number >= 0 (campaign day, 0 = the start), not -1"),
    ([{"handle": "@c1", "post": 1, "day": 2.5}],
     "plan: schedule[0]: day must be a whole number >= 0 (campaign day, 0 = the start), not 2.5"),
    ([{"handle": "@c1", "post": 1, "day": "3"}],
     'plan: schedule[0]: day must be a whole number >= 0 (campaign day, 0 = the start), not "3"'),
    ([{"handle": "@c1", "post": 1, "day": 1e9}],
     "plan: schedule[0]: day = 1e+09 is too large; it must be <= 36500"),
    (GOOD + [{"handle": "@C1", "post": 2, "day": 4}],
     'plan: schedule[3]: post 2 of "@C1" is already scheduled by schedule[1]; list each post once'),
    (GOOD[:2], 'plan: schedule has no day for post 1 of "@c1" (1 bought post unscheduled); give every bought post '
               'a day, or leave "schedule" out for the default schedule'),
    ([], 'plan: schedule has no day for post 1 of "@c1" (3 bought posts unscheduled); give every bought post '
         'a day, or leave "schedule" out for the default schedule'),
    ([GOOD[0], {"handle": "@c1", "post": 1, "day": 9}, {"handle": "@c1", "post": 2, "day": 2}],
     'plan: schedule[2]: post 2 of "@c1" is on day 2, before post 1 (day 9, schedule[1]); a creator\'s posts go '
     "live in order"),
])
def test_every_schedule_error_is_located(sc, schedule, message):
    with pytest.raises(PlanError) as info:
        _read(sc, SEL, schedule)
    assert str(info.value) == message


def test_schedule_errors_name_the_file(sc, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"selection": SEL, "schedule": GOOD + GOOD[:1]}), encoding="utf-8")
    with pytest.raises(PlanError, match=r'^\S*plan\.json: schedule\[3\]: post 1 of "@c4" is already scheduled'):
        plan_from_json(path, sc.pool)


def test_schedule_handles_fold_like_the_selection(write_scenario, tmp_path):
    scenario = load_scenario(write_scenario(csv=BASE_CSV.replace("@mert.tech", "@ayşe.İpek")))
    doc = {"selection": [{"handle": "@ayşe.İpek", "posts": 2}, {"handle": "@AYSE.MAKEUP", "posts": 1}],
           "schedule": [{"handle": "@AYŞE.İPEK", "post": 1, "day": 1}, {"handle": "@ays\u0327e.ipek", "post": 2,
                                                                       "day": 8},
                        {"handle": "@Ayse.Makeup", "post": 1, "day": 3}]}
    p = plan_from_json(doc, scenario.pool)
    assert p.posts.tolist() == [1, 2, 0] and p.days.tolist() == [3, 1, 8]
    doc["schedule"][2]["handle"] = "@ayse.ipek"  # folding is not accent stripping
    with pytest.raises(PlanError, match=r'^plan: schedule\[2\]: handle "@ayse.ipek" is not in the pool'):
        plan_from_json(doc, scenario.pool)


def test_written_plan_always_has_a_schedule_and_rereads_identically(sc):
    posts = np.array([0, 2, 0, 0, 1, 0])
    written = plan_result(sc, Plan(posts=posts))
    assert written["schedule"] == [{"handle": "@c1", "post": 1, "day": 0}, {"handle": "@c1", "post": 2, "day": 7},
                                   {"handle": "@c4", "post": 1, "day": 0}]
    again = plan_from_json(json.loads(json.dumps(written)), sc.pool)
    assert again.posts.tolist() == posts.tolist() and again.days.tolist() == [0, 7, 0]
    scheduled = Plan(posts=posts, days=[3, 20, 11])
    first = plan_result(sc, scheduled)
    assert [r["day"] for r in first["schedule"]] == [3, 20, 11]
    reread = plan_from_json(json.loads(json.dumps(first)), sc.pool)
    assert reread.days.tolist() == [3, 20, 11]
    second = plan_result(sc, reread)
    first.pop("seconds"), second.pop("seconds")
    assert first == dict(second, strategy=first["strategy"])


def test_a_schedule_breaking_the_rules_is_a_violation(sc):
    posts = np.array([0, 2, 0, 0, 1, 0])
    result = plan_result(sc, Plan(posts=posts, days=[0, 3, 0]))  # spacing 7 by default
    assert result["status"] == "infeasible"
    assert result["violations"] == ["1 post(s) less than 7 days after the same creator's previous post "
                                    "(first: @c1 on day 0 and day 3)"]


# --------------------------------------------------------------------------------------------
# The simulator uses the plan's days


def test_no_days_and_the_rules_days_are_bit_identical():
    scenario = make_scenario(simulation={"days": 30})
    posts = plan(40)
    base = simulate(scenario, posts, runs=300, seed=5)
    assert _json(simulate(scenario, posts, runs=300, seed=5, post_days=None)) == _json(base)
    assert _json(simulate(scenario, posts, runs=300, seed=5, post_days=rule_days(scenario, posts))) == _json(base)
    assert _json(reachmix.simulate(scenario, Plan(posts=posts), runs=300, seed=5)) == _json(base)


def test_moving_every_post_ten_days_later_delays_the_views():
    scenario = make_scenario(simulation=quiet({"days": 40}))
    posts = plan(40)
    base = simulate(scenario, posts, runs=50, seed=1)
    later = simulate(scenario, posts, runs=50, seed=1, post_days=rule_days(scenario, posts) + 10)
    views, moved = np.array(base.series["views"]["mean"]), np.array(later.series["views"]["mean"])
    assert np.all(moved[:10] == 0) and moved[10] > 0 and views[0] > 0
    assert moved[14] < views[14]
    np.testing.assert_allclose(moved[10:], views[:-10], rtol=1e-9)  # same posts, shifted (no noise)


def test_posts_at_or_after_the_horizon_are_counted_not_simulated():
    scenario = make_scenario(simulation=quiet({"days": 20}))
    posts = np.zeros(40, dtype=np.int64)
    posts[[3, 8]] = [2, 1]
    out = simulate(scenario, posts, runs=20, post_days=[5, 20, 19])
    assert out.notes and out.notes[0].startswith("1 bought post(s) are scheduled after day 19 and are not simulated")


def test_the_plans_days_reach_simulate_through_the_api():
    scenario = make_scenario(simulation={"days": 30})
    posts = plan(40)
    days = rule_days(scenario, posts) + 12
    direct = simulate(scenario, posts, runs=100, post_days=days)
    assert _json(reachmix.simulate(scenario, Plan(posts=posts, days=days), runs=100)) == _json(direct)
    assert _json(direct) != _json(simulate(scenario, posts, runs=100))


def test_schedule_rules_apply_to_a_plan_without_days():
    scenario = make_scenario(simulation={"days": 30})
    ruled = dataclasses.replace(scenario, schedule=ScheduleRules(max_posts_per_day=2, blackout_days=(0, 1)))
    posts = plan(40)
    implied = simulate(ruled, posts, runs=200, seed=2)
    explicit = simulate(ruled, posts, runs=200, seed=2, post_days=earliest_schedule(ruled, posts))
    assert _json(implied) == _json(explicit)
    assert _json(implied) != _json(simulate(scenario, posts, runs=200, seed=2))


def test_scheduled_plan_file_through_the_simulate_command(write_scenario, tmp_path):
    from whatif import jobs

    path = write_scenario(toml_with("[simulation]", "days = 20", "runs = 50", "view_dispersion = 0",
                                    "post_failure_rate = 0"))
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps({"selection": [{"handle": "@ayse.makeup", "posts": 1}],
                                     "schedule": [{"handle": "@ayse.makeup", "post": 1, "day": 6}]}),
                         encoding="utf-8")
    views = jobs.simulate(path, plan_path=plan_path).result["series"]["views"]["mean"]
    assert views[5] == 0 and views[6] > 0


def test_evaluate_lists_the_schedules_broken_rules(sc):
    ruled = dataclasses.replace(sc, schedule=ScheduleRules(blackout_days=(3,)))
    posts = np.array([0, 2, 0, 0, 1, 0])
    assert reachmix.evaluate(ruled, Plan(posts=posts)).violations == ()
    summary = reachmix.evaluate(ruled, Plan(posts=posts, days=[0, 7, 3]))
    assert summary.status == "infeasible"
    assert summary.violations == ("1 post(s) on blackout days (first: @c4 on day 3)",)


def test_report_shows_posting_days_as_dates(sc):
    from whatif.report import render_report

    dated = dataclasses.replace(sc, schedule=ScheduleRules(start_date=datetime.date(2025, 3, 1)))
    doc = plan_result(dated, Plan(posts=np.array([0, 2, 0, 0, 1, 0]), days=[3, 20, 11]))
    html = render_report(dated, doc)
    assert "Posting days" in html and "2025-03-04, 2025-03-21" in html and "2025-03-12" in html
    plain = render_report(sc, plan_result(sc, Plan(posts=np.array([0, 2, 0, 0, 1, 0]))))
    assert "<td>0, 7</td>" in plain
