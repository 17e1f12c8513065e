"""The campaign calendar: a plan's schedule by week, and as an iCalendar file (issue 11).

Pure functions of a plan result (``whatif.results.plan_result``: its ``schedule``, ``selection``
and ``currency``). Days are campaign days (0 = the first day); week k holds days 7(k-1)..7k-1, so
week 1 is days 0-6 whatever weekday ``start_date`` falls on.

Money: a post costs its price; the creator's first post also carries its one-off fee (``fee`` in
the pool; the selection's ``fee``), the convention of the spend caps (scenarios/calendar.py), which
makes a period's spend linear in the posts bought. The simulator books fees on day 0. Weekly spend
adds up to the plan's ``spent``. A plan JSON without ``fee`` (written before it was added) spreads
the creator's cost evenly over its posts.

The iCalendar writer (RFC 5545) is written out here rather than taken from the ``icalendar``
package: one all-day event per post needs about 40 lines, while the package (with python-dateutil
and tzdata) would be a new runtime dependency for it.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.errors import ScenarioError
from scenarios.files import atomic_write_bytes

from .formats import Table, to_csv

if TYPE_CHECKING:
    from scenarios import Scenario

#: Campaign days in a calendar week.
WEEK_DAYS = 7
#: The note under every calendar table: how a post's cost is counted.
COST_NOTE = ("cost: the post's price; a creator's first post also carries its one-off fee (as the spend caps "
             "count it; the simulator books fees on day 0).")
PRODID = "-//reachmix//campaign calendar//EN"
#: RFC 5545 section 3.1: content lines are folded at 75 octets.
FOLD_OCTETS = 75


def week_of(day: int) -> int:
    """The 1-based calendar week of a campaign day (days 0-6 are week 1)."""
    return int(day) // WEEK_DAYS + 1


def _date(start_date: datetime.date | None, day: int) -> str | None:
    return None if start_date is None else (start_date + datetime.timedelta(days=int(day))).isoformat()


def post_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One dict per post (``handle``, ``post``, ``posts``, ``day``, ``week``, ``cost``), by day then handle."""
    selection = {s["handle"]: s for s in result.get("selection") or ()}
    rows = []
    for entry in result.get("schedule") or ():
        item = selection.get(entry["handle"], {})
        posts = int(item.get("posts") or 0)
        cost = None
        if posts and item.get("cost") is not None:
            fee = float(item.get("fee") or 0.0)
            cost = (float(item["cost"]) - fee) / posts + (fee if int(entry["post"]) == 1 else 0.0)
        rows.append({"handle": entry["handle"], "post": int(entry["post"]), "posts": posts, "day": int(entry["day"]),
                     "week": week_of(entry["day"]), "cost": cost})
    return sorted(rows, key=lambda r: (r["day"], r["handle"], r["post"]))


def calendar_table(result: Mapping[str, Any], start_date: datetime.date | None = None) -> Table:
    """Who posts what on which day: one row per post, by day then handle (a date column with ``start_date``)."""
    cur = result.get("currency", "")
    dated = start_date is not None
    columns = ("week", "day", *(("date",) if dated else ()), "handle", "post", "of", "cost")
    rows = tuple((r["week"], r["day"], *((_date(start_date, r["day"]),) if dated else ()), r["handle"], r["post"],
                  r["posts"], r["cost"]) for r in post_rows(result))
    first = f" (day 0 = {start_date.isoformat()})" if dated else ""
    return Table(columns=columns, rows=rows, title=f"Calendar: {len(rows):,} posts by day{first}; cost in {cur}",
                 notes=(COST_NOTE,))


def weekly_spend(result: Mapping[str, Any], start_date: datetime.date | None = None,
                 caps: Mapping[int, float] | None = None) -> Table:
    """Posts and spend per calendar week, from the first week with a post to the last (empty weeks included).

    ``caps`` (week -> spend cap, ``[budget] by_week``) adds a ``cap`` column and marks the weeks over it."""
    cur = result.get("currency", "")
    posts: dict[int, int] = {}
    spend: dict[int, float] = {}
    for r in post_rows(result):
        posts[r["week"]] = posts.get(r["week"], 0) + 1
        spend[r["week"]] = spend.get(r["week"], 0.0) + (r["cost"] or 0.0)
    weeks = range(min(posts), max(posts) + 1) if posts else range(0)
    dated = start_date is not None
    capped = caps is not None
    columns = ("week", "first day", *(("first date",) if dated else ()), "posts", "spend",
               *(("cap", "over cap") if capped else ()))
    rows = []
    for w in weeks:
        first = (w - 1) * WEEK_DAYS
        row: tuple = (w, first, *((_date(start_date, first),) if dated else ()), posts.get(w, 0), spend.get(w, 0.0))
        if capped:
            cap = caps.get(w)
            row += (cap, None if cap is None else spend.get(w, 0.0) > cap * (1 + 1e-9))
        rows.append(row)
    return Table(columns=columns, rows=tuple(rows), title=f"Spend by week ({cur}); week k = days 7(k-1) to 7k-1",
                 notes=("spend: the week's posts at the calendar's cost per post.",))


def calendar_tables(result: Mapping[str, Any], start_date: datetime.date | None = None,
                    caps: Mapping[int, float] | None = None) -> tuple[Table, Table]:
    """The calendar and the weekly spend, the tables ``optimize`` adds after the plan's own."""
    return calendar_table(result, start_date), weekly_spend(result, start_date, caps)


def week_caps(scenario: "Scenario", result: Mapping[str, Any]) -> dict[int, float] | None:
    """``[budget] by_week`` as week -> cap for the plan's weeks (None without a weekly cap)."""
    cap = next((c for c in scenario.schedule.spend_caps if c.name == "by_week"), None)
    if cap is None:
        return None
    weeks = [r["week"] for r in post_rows(result)]
    limits = {w: cap.cap(w) for w in range(min(weeks), max(weeks) + 1)} if weeks else {}
    return {w: v for w, v in limits.items() if v != float("inf")}  # uncapped weeks show no cap


def check_calendar(scenario: "Scenario", calendar: str | Path | None) -> None:
    """Before any work: a calendar file is asked for and the scenario has no ``start_date``."""
    if calendar is not None:
        require_start_date(scenario.schedule.start_date, scenario.path or scenario.name)


def plan_calendar(result: Mapping[str, Any], scenario: "Scenario", calendar: str | Path | None = None,
                  calendar_csv: str | Path | None = None) -> tuple[Table, Table]:
    """``calendar_tables`` of a plan; with ``calendar``, also its iCalendar file, with ``calendar_csv``
    the calendar table as CSV (each named in a note)."""
    start = scenario.schedule.start_date
    posts, weeks = calendar_tables(result, start, week_caps(scenario, result))
    notes = []
    if calendar is not None:
        events = write_ics(result, calendar, start, scenario.name)
        notes.append(f"Wrote {events:,} events to {calendar}.")
    if calendar_csv is not None:
        atomic_write_bytes(calendar_csv, to_csv((posts,)).encode("utf-8"), what="the calendar CSV")
        notes.append(f"Wrote the calendar to {calendar_csv}.")
    return dataclasses.replace(posts, notes=posts.notes + tuple(notes)), weeks


def require_start_date(start_date: datetime.date | None, source: Any = "the scenario") -> datetime.date:
    """``start_date``, or the error that a calendar file cannot be written without it."""
    if start_date is None:
        raise ScenarioError(f"{source}: a calendar file needs [schedule] start_date (the date of campaign day 0); "
                            "add it, e.g. start_date = 2025-03-01 under [schedule]")
    return start_date


# --------------------------------------------------------------------------------------------
# iCalendar (RFC 5545)


def escape_text(value: Any) -> str:
    """A TEXT value (RFC 5545 section 3.3.11): backslash, semicolon, comma and line breaks escaped;
    other control characters (not allowed in TEXT) become spaces."""
    text = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return "".join(" " if (ord(c) < 32 and c != "\t") or ord(c) == 127 else c for c in text)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (section 3.1): CRLF and a space before each continuation,
    never inside a UTF-8 character."""
    if len(line.encode("utf-8")) <= FOLD_OCTETS:
        return line
    parts, current, size, limit = [], [], 0, FOLD_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, FOLD_OCTETS - 1  # the leading space counts
        current.append(ch)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts)


def ics_text(result: Mapping[str, Any], start_date: datetime.date, campaign_name: str) -> str:
    """The calendar as an iCalendar document: one all-day VEVENT per post, deterministic (DTSTAMP is
    ``start_date`` at midnight UTC, UIDs are ``{campaign}-{handle}-{k}@reachmix``)."""
    start_date = require_start_date(start_date)
    cur = result.get("currency", "")
    stamp = f"{start_date:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(campaign_name)}"]
    for r in post_rows(result):
        day = start_date + datetime.timedelta(days=r["day"])
        handle, k = r["handle"], r["post"]
        at = handle if handle.startswith("@") else "@" + handle
        cost = "" if r["cost"] is None else f"; cost {r['cost']:,.2f} {cur}"
        about = (f"{campaign_name}: post {k} of {r['posts']} by {at}, campaign day {r['day']} "
                 f"(week {r['week']}){cost}")
        lines += ["BEGIN:VEVENT",
                  "UID:" + escape_text(f"{campaign_name}-{handle}-{k}@reachmix"),
                  f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}",
                  "SUMMARY:" + escape_text(f"{at} post {k}"),
                  "DESCRIPTION:" + escape_text(about),
                  "TRANSP:TRANSPARENT",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def write_ics(result: Mapping[str, Any], path: str | Path, start_date: datetime.date | None,
              campaign_name: str) -> int:
    """Write ``ics_text`` to ``path`` atomically; returns the number of events."""
    text = ics_text(result, require_start_date(start_date), campaign_name)
    atomic_write_bytes(path, text.encode("utf-8"), what="the calendar")
    return len(result.get("schedule") or ())

