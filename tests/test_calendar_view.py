"""The campaign calendar (issue 11): the schedule by week, spend per week, the iCalendar export and
the ``optimize --calendar`` / report wiring."""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from scenarios import Plan, ScenarioError, ScheduleRules
from simulate_helpers import make_pool, make_scenario
from whatif.calendar_view import (calendar_table, check_calendar, escape_text, fold, ics_text, weekly_spend,
                                  write_ics)
from whatif.formats import to_csv
from whatif.results import plan_result

START = datetime.date(2025, 3, 1)
POSTS = np.array([0, 2, 0, 0, 1, 0])
DAYS = [3, 20, 11]  # @c1 on days 3 and 20, @c4 on day 11


@pytest.fixture
def dated():
    sc = make_scenario(make_pool(6, fee=50.0))
    return dataclasses.replace(sc, schedule=ScheduleRules(start_date=START))


@pytest.fixture
def result(dated):
    return plan_result(dated, Plan(posts=POSTS, days=DAYS))


def _cost(result, handle):
    return next(s["cost"] for s in result["selection"] if s["handle"] == handle)


# --------------------------------------------------------------------------------------------
# Tables


def test_calendar_rows_are_by_day_with_weeks_dates_and_cost_per_post(result, dated):
    table = calendar_table(result, START)
    assert table.columns == ("week", "day", "date", "handle", "post", "of", "cost")
    c1, c4 = _cost(result, "@c1"), _cost(result, "@c4")
    price1 = float(dated.pool.price[1])
    # The fee (50) rides with @c1's first post; its second post costs the price alone.
    assert table.rows == ((1, 3, "2025-03-04", "@c1", 1, 2, pytest.approx(price1 + 50.0)),
                          (2, 11, "2025-03-12", "@c4", 1, 1, pytest.approx(c4)),
                          (3, 20, "2025-03-21", "@c1", 2, 2, pytest.approx(price1)))
    assert c1 == pytest.approx(2 * price1 + 50.0)
    assert sum(r[-1] for r in table.rows) == pytest.approx(result["spent"])
    assert "a creator's first post also carries its one-off fee" in table.notes[0]
    assert table.title == f"Calendar: 3 posts by day (day 0 = 2025-03-01); cost in {result['currency']}"


def test_without_a_start_date_there_is_no_date_column(result):
    table = calendar_table(result)
    assert table.columns == ("week", "day", "handle", "post", "of", "cost")
    assert [r[:3] for r in table.rows] == [(1, 3, "@c1"), (2, 11, "@c4"), (3, 20, "@c1")]
    assert weekly_spend(result).columns == ("week", "first day", "posts", "spend")


def test_same_day_posts_are_ordered_by_handle():
    result = {"currency": "USD", "selection": [{"handle": "@b", "posts": 1, "cost": 10.0},
                                               {"handle": "@a", "posts": 1, "cost": 20.0}],
              "schedule": [{"handle": "@b", "post": 1, "day": 7}, {"handle": "@a", "post": 1, "day": 7}]}
    assert [r[2] for r in calendar_table(result).rows] == ["@a", "@b"]


def test_weekly_spend_lists_every_week_between_the_first_and_last_post(result, dated):
    table = weekly_spend(result, START)
    assert table.columns == ("week", "first day", "first date", "posts", "spend")
    c1, c4 = _cost(result, "@c1"), _cost(result, "@c4")
    price1 = float(dated.pool.price[1])
    assert table.rows == ((1, 0, "2025-03-01", 1, pytest.approx(price1 + 50.0)), (2, 7, "2025-03-08", 1, pytest.approx(c4)),
                          (3, 14, "2025-03-15", 1, pytest.approx(price1)))
    assert c1 == pytest.approx(2 * price1 + 50.0)
    gap = dict(result, schedule=[{"handle": "@c1", "post": 1, "day": 0}, {"handle": "@c1", "post": 2, "day": 20},
                                 {"handle": "@c4", "post": 1, "day": 6}])
    assert [(r[0], r[2]) for r in weekly_spend(gap).rows] == [(1, 2), (2, 0), (3, 1)]


def test_weekly_caps_add_a_cap_column():
    result = {"currency": "USD", "selection": [{"handle": "@a", "posts": 2, "cost": 100.0}],
              "schedule": [{"handle": "@a", "post": 1, "day": 0}, {"handle": "@a", "post": 2, "day": 8}]}
    table = weekly_spend(result, caps={1: 40.0, 2: 60.0})
    assert table.columns[-2:] == ("cap", "over cap")
    assert [r[-2:] for r in table.rows] == [(40.0, True), (60.0, False)]


def test_csv_of_the_optimize_tables_keeps_the_selection_first(result):
    from whatif.jobs import plan_tables
    from whatif.calendar_view import calendar_tables

    text = to_csv((*plan_tables(result), *calendar_tables(result, START)))
    assert text.splitlines()[0].startswith("handle,tier,posts,cost")


# --------------------------------------------------------------------------------------------
# iCalendar


def _unfold(text: str) -> list[str]:
    """RFC 5545 content lines: CRLF line ends, a CRLF followed by a space continues the line."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def _unescape(value: str) -> str:
    out, k = [], 0
    while k < len(value):
        if value[k] == "\\":
            out.append({"n": "\n", "N": "\n"}.get(value[k + 1], value[k + 1]))
            k += 2
        else:
            out.append(value[k])
            k += 1
    return "".join(out)


def _events(text: str) -> list[dict[str, str]]:
    events, current = [], None
    for line in _unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def test_ics_has_one_all_day_event_per_post(result):
    text = ics_text(result, START, "Spring launch")
    events = _events(text)
    assert len(events) == 3
    assert [e["DTSTART;VALUE=DATE"] for e in events] == ["20250304", "20250312", "20250321"]
    assert [e["DTEND;VALUE=DATE"] for e in events] == ["20250305", "20250313", "20250322"]
    assert [_unescape(e["SUMMARY"]) for e in events] == ["@c1 post 1", "@c4 post 1", "@c1 post 2"]
    assert [_unescape(e["UID"]) for e in events] == ["Spring launch-@c1-1@reachmix", "Spring launch-@c4-1@reachmix",
                                                     "Spring launch-@c1-2@reachmix"]
    assert {e["DTSTAMP"] for e in events} == {"20250301T000000Z"}
    lines = _unfold(text)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-1] == "END:VCALENDAR"
    assert any(line.startswith("PRODID:") for line in lines)
    assert ics_text(result, START, "Spring launch") == text  # deterministic


def test_ics_folds_long_lines_at_75_octets_and_escapes_text():
    handle = "@" + "ü" * 50 + "_x"  # 103 octets: folded, never inside a two-octet character
    name = 'Launch, "spring"; a\\b\nline two'
    result = {"currency": "TRY", "selection": [{"handle": handle, "posts": 1, "cost": 99.0}],
              "schedule": [{"handle": handle, "post": 1, "day": 9}]}
    text = ics_text(result, START, name)
    physical = text.split("\r\n")[:-1]
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert any(p.startswith(" ") for p in physical)  # some line was folded
    event = _events(text)[0]
    assert _unescape(event["SUMMARY"]) == f"{handle} post 1"
    assert event["DTSTART;VALUE=DATE"] == "20250310"
    calname = next(line for line in _unfold(text) if line.startswith("X-WR-CALNAME:"))
    assert calname == 'X-WR-CALNAME:Launch\\, "spring"\\; a\\\\b\\nline two'
    assert _unescape(calname.partition(":")[2]) == name
    assert escape_text("a\r\nb\x07c") == "a\\nb c"
    assert fold("x" * 75) == "x" * 75 and fold("x" * 76) == "x" * 75 + "\r\n x"


def test_ics_reads_back_with_the_icalendar_library(result):
    icalendar = pytest.importorskip("icalendar")
    cal = icalendar.Calendar.from_ical(ics_text(result, START, "a, b; c"))
    events = list(cal.walk("VEVENT"))
    assert [e.decoded("DTSTART") for e in events] == [datetime.date(2025, 3, 4), datetime.date(2025, 3, 12),
                                                       datetime.date(2025, 3, 21)]
    assert str(events[0]["SUMMARY"]) == "@c1 post 1"
    assert str(events[0]["DESCRIPTION"]).startswith("a, b; c: post 1 of 2 by @c1, campaign day 3 (week 1); cost ")


def test_write_ics_writes_the_file_atomically(result, tmp_path):
    out = tmp_path / "plan.ics"
    assert write_ics(result, out, START, "c") == 3
    assert out.read_bytes() == ics_text(result, START, "c").encode("utf-8")


def test_a_calendar_file_without_start_date_is_an_error(dated, result, tmp_path):
    plain = dataclasses.replace(dated, schedule=ScheduleRules(), path=tmp_path / "scenario.toml")
    expected = (f"{tmp_path / 'scenario.toml'}: a calendar file needs [schedule] start_date (the date of campaign "
                "day 0); add it, e.g. start_date = 2025-03-01 under [schedule]")
    with pytest.raises(ScenarioError) as caught:
        check_calendar(plain, tmp_path / "out.ics")
    assert str(caught.value) == expected
    check_calendar(plain, None)  # no file asked for: fine
    with pytest.raises(ScenarioError, match=r"^the scenario: a calendar file needs \[schedule\] start_date"):
        write_ics(result, tmp_path / "out.ics", None, "c")
    assert not (tmp_path / "out.ics").exists()


# --------------------------------------------------------------------------------------------
# Commands


def _example(tmp_path, start_date=True):
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 5)
    if start_date:
        path.write_text(path.read_text() + "\n[schedule]\nstart_date = 2025-03-01\n")
    return path


def test_optimize_writes_the_calendar(tmp_path):
    path = _example(tmp_path)
    ics, plan = tmp_path / "plan.ics", tmp_path / "plan.json"
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar", str(ics)])
    assert run.exit_code == 0, run.output
    assert "Calendar: " in run.output and "Spend by week (USD)" in run.output and f"to {ics}." in run.output
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--format", "json", "-o", str(plan)])
    assert run.exit_code == 0, run.output
    doc = json.loads(plan.read_text())
    events = _events(ics.read_bytes().decode("utf-8"))
    assert len(events) == len(doc["schedule"]) == doc["posts"]
    days = sorted(START + datetime.timedelta(days=s["day"]) for s in doc["schedule"])
    assert sorted(datetime.datetime.strptime(e["DTSTART;VALUE=DATE"], "%Y%m%d").date() for e in events) == days
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--format", "csv"])
    assert run.output.splitlines()[0].startswith("handle,tier,posts,cost")


def test_optimize_calendar_needs_a_start_date(tmp_path):
    path = _example(tmp_path, start_date=False)
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar", str(tmp_path / "plan.ics")])
    assert run.exit_code == 2
    assert (f"Error: {path}: a calendar file needs [schedule] start_date (the date of campaign day 0); add it, "
            "e.g. start_date = 2025-03-01 under [schedule]") in run.output
    assert not (tmp_path / "plan.ics").exists()


def test_the_calendar_file_may_not_be_an_input_or_another_output(tmp_path):
    path = _example(tmp_path)
    before = path.read_bytes()
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar", str(path)])
    assert run.exit_code != 0
    assert (f"--calendar {path} is the input file {path}; writing there would destroy it; give --calendar another "
            "file name") in run.output
    assert path.read_bytes() == before
    out = tmp_path / "same.ics"
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar", str(out), "-o", str(out)])
    assert run.exit_code != 0 and f"--calendar {out} is also the --output file; give them different names" \
        in run.output


def test_report_has_a_calendar_section(dated, result, monkeypatch):
    from whatif import report
    from whatif.report import render_report

    html = render_report(dated, result)
    assert 'id="calendar"' in html and 'href="#calendar"' in html
    assert "<td>2025-03-12</td><td>@c4</td>" in html and "<summary>3 posts by day</summary>" in html
    assert "Spend by week" in html
    monkeypatch.setattr(report, "CALENDAR_ROWS", 2)
    monkeypatch.setattr(report, "CALENDAR_OPEN_ROWS", 1)
    short = render_report(dated, result)
    assert "<details><summary>3 posts by day (first 2 shown)</summary>" in short
    assert "... and 1 more posts: the plan JSON&#x27;s schedule lists every one." in short
    assert "2025-03-21</td>" not in short.split('id="calendar"')[1].split("</section>")[0]


def test_optimize_calendar_csv_writes_the_calendar_table(tmp_path):
    path = _example(tmp_path, start_date=False)
    out = tmp_path / "calendar.csv"
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar-csv", str(out), "--format", "csv"])
    assert run.exit_code == 0, run.output
    assert run.output.splitlines()[0].startswith("handle,tier,posts,cost")  # stdout: still the selection
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "week,day,handle,post,of,cost" and len(lines) > 1
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--calendar-csv", str(path)])
    assert run.exit_code != 0 and f"--calendar-csv {path} is the input file {path}" in run.output
