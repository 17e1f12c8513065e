"""Posting days: the default rule, the earliest schedule under ``[schedule]`` rules, and checks.

A plan's days are one int per bought post, aligned with ``np.repeat(hired, posts[hired])``: pool
row ascending, then the creator's 1st, 2nd, ... post. ``Plan.days = None`` means "no days of its
own": the plan is then scheduled by ``earliest_schedule``, which with the default rules is today's
``start_day + k x post_spacing_days``.

``earliest_schedule`` is greedy, day by day from ``[simulation] start_day``. On each day that is
not a blackout day, the creators whose next post may go live (their previous post at least
``min_spacing_days`` earlier) post in order of expected views (``avg_views``) descending, then pool
row ascending, until ``max_posts_per_day`` posts are placed. So every post is as early as the
rules allow given the posts placed before it: moving any post one day earlier breaks a rule
(a blackout, the spacing, the day's cap, or the start day). Posts that cannot fit before the
horizon go past it (the simulator counts them as "beyond the horizon"), never nowhere.

Availability (pool columns ``available_from`` / ``available_to``, scenarios/availability.py): a
creator's first post waits for its window; ``window_capacity`` is how many posts the window holds
under the spacing and blackouts, and the optimizer buys no more (``rules.post_caps``). Only the
per-day and spend caps can push a post past its window's end; ``schedule_violations`` names it.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from .availability import NO_END
from .errors import PlanError, ScenarioError

if TYPE_CHECKING:
    from .plan import Plan
    from .pool import CreatorPool
    from .scenario import Scenario


#: Days after the start within which every post must find a place (about 100 years).
SCHEDULE_DAY_LIMIT = 36_500


def post_positions(posts) -> tuple[np.ndarray, np.ndarray]:
    """(creator row, k = 0, 1, ... within the creator) of every bought post, in the aligned order."""
    posts = np.asarray(posts, dtype=np.int64)
    hired = np.flatnonzero(posts)
    creator = np.repeat(hired, posts[hired])
    starts = np.repeat(np.cumsum(posts[hired]) - posts[hired], posts[hired])
    return creator, np.arange(creator.size, dtype=np.int64) - starts


def _posts(scenario: "Scenario", posts) -> np.ndarray:
    arr = np.asarray(posts)
    if arr.shape != (scenario.pool.size,):
        raise PlanError(f"the plan has {arr.size} entries but the pool {scenario.pool.source} has "
                        f"{scenario.pool.size} creators; give one post count per pool row")
    if arr.size and (not np.all(np.isfinite(arr.astype(float))) or np.any(arr < 0) or np.any(arr != np.round(arr))):
        raise PlanError("the plan's post counts must be whole numbers >= 0")
    return arr.astype(np.int64)


def rule_days(scenario: "Scenario", posts) -> np.ndarray:
    """Today's rule: the k-th post (k from 0) of every creator on ``start_day + k x post_spacing_days``."""
    _, k = post_positions(_posts(scenario, posts))
    s = scenario.simulation
    return int(s.start_day) + k * int(s.post_spacing_days)


def windows(scenario: "Scenario", not_before=None) -> tuple[np.ndarray, np.ndarray] | None:
    """(first, last) day each creator may post: ``[simulation] start_day``, the pool's
    ``available_from`` and ``not_before`` (pool-size, optional), whichever is latest; and
    ``available_to``. None when none of them restricts any creator beyond start_day."""
    pool = scenario.pool
    if pool.available_from is None and not_before is None:
        return None
    start = int(scenario.simulation.start_day)
    first = np.full(pool.size, start, dtype=np.int64)
    last = np.full(pool.size, NO_END, dtype=np.int64)
    if pool.available_from is not None:
        first = np.maximum(first, pool.available_from)
        last = np.asarray(pool.available_to, dtype=np.int64)
    if not_before is not None:
        first = np.maximum(first, np.asarray(not_before, dtype=np.int64))
    return first, last


def _sequences(first: np.ndarray, length: np.ndarray, spacing: int, blackout: frozenset[int]
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per distinct first day f: (the positions of ``first`` equal to f, the days a creator starting
    at f posts on without a per-day cap: first free day >= f, then >= previous + spacing, as many
    as the longest ``length`` asked at those positions)."""
    values, which = np.unique(first, return_inverse=True)
    which = which.reshape(-1)
    longest = np.zeros(values.size, dtype=np.int64)
    np.maximum.at(longest, which, np.asarray(length, dtype=np.int64))
    order = np.argsort(which, kind="stable")  # the positions of each group, without a mask per group
    bounds = np.searchsorted(which[order], np.arange(values.size + 1))
    out = []
    for g, (f, n) in enumerate(zip(values.tolist(), longest.tolist())):
        seq, d = [], int(f)
        for _ in range(n):
            while d in blackout:
                d += 1
            seq.append(d)
            d += spacing
        out.append((order[bounds[g]:bounds[g + 1]], np.asarray(seq, dtype=np.int64)))
    return out


def window_capacity(scenario: "Scenario", not_before=None) -> np.ndarray | None:
    """Most posts each creator's availability window holds under the spacing and blackout rules
    (never more than its ``max_posts``), starting no earlier than ``not_before`` (pool-size, optional);
    None when neither the pool's windows nor ``not_before`` restrict anything."""
    win = windows(scenario, not_before)
    if win is None:
        return None
    first, last = win
    pool = scenario.pool
    cap = np.asarray(pool.max_posts, dtype=np.int64)
    spacing, blackout = scenario.schedule.spacing(scenario.simulation), frozenset(scenario.schedule.blackout_days)
    out = np.zeros(pool.size, dtype=np.int64)
    for rows, seq in _sequences(first, cap, spacing, blackout):
        out[rows] = np.searchsorted(seq, last[rows], side="right")
    return np.minimum(out, cap)


def earliest_schedule(scenario: "Scenario", posts, not_before=None) -> np.ndarray:
    """Each post as early as ``[schedule]`` and the creators' availability allow (module docstring),
    aligned with the plan's posts; ``not_before`` (pool-size) holds a creator's first post back."""
    posts = _posts(scenario, posts)
    rules, start = scenario.schedule, int(scenario.simulation.start_day)
    spacing = rules.spacing(scenario.simulation)
    blackout = frozenset(rules.blackout_days)
    creator, k = post_positions(posts)
    win = windows(scenario, not_before)
    if rules.max_posts_per_day is None and not rules.spend_caps:
        # No cap: a creator's k-th post goes on the k-th free day of the sequence from its first day.
        if win is None and not blackout and spacing == int(scenario.simulation.post_spacing_days):
            return rule_days(scenario, posts)
        first = np.full(posts.size, start, dtype=np.int64) if win is None else win[0]
        out = np.empty(creator.size, dtype=np.int64)
        for at, seq in _sequences(first[creator], k + 1, spacing, blackout):
            out[at] = seq[k[at]]
        return out
    cap = posts.size * int(posts.max(initial=0)) + 1 if rules.max_posts_per_day is None else int(rules.max_posts_per_day)
    _check_caps_can_hold(scenario, posts)
    ready = None if win is None else win[0]
    return _greedy(scenario.pool, posts, start, spacing, cap, blackout, rules.spend_caps, ready)


def _post_costs(pool: "CreatorPool", posts: np.ndarray) -> np.ndarray:
    """Spend booked with each bought post: its price, plus the creator's one-off fee on its first
    post (the calendar's convention, whatif/calendar_view.py). Linear in the posts bought, so the
    KPI optimizer can keep the spend caps exactly (optimizer/kpi.py)."""
    creator, k = post_positions(posts)
    return pool.price[creator].astype(float) + np.where(k == 0, pool.fee[creator].astype(float), 0.0)


def _check_caps_can_hold(scenario: "Scenario", posts: np.ndarray) -> None:
    """A post dearer than a cap that holds for every later period could never be scheduled."""
    caps = [c for c in scenario.schedule.spend_caps if c.every is not None]
    if not caps or not posts.any():
        return
    costs = _post_costs(scenario.pool, posts)
    creator, k = post_positions(posts)
    for c in caps:
        worst = int(np.argmax(costs))
        if costs[worst] > c.every * (1 + 1e-9) and not any(v >= costs[worst] for v in c.periods.values()):
            fee = " with its fee" if k[worst] == 0 and scenario.pool.fee[creator[worst]] > 0 else ""
            raise ScenarioError(
                f"{scenario.path or scenario.name}: budget.{c.name} = {c.every:,.0f} is less than post "
                f"{int(k[worst]) + 1} of {scenario.pool.handles[int(creator[worst])]} ({costs[worst]:,.0f}{fee}); "
                "no schedule can place it; raise the cap or drop that post")


def _greedy(pool: "CreatorPool", posts: np.ndarray, start: int, spacing: int, cap: int,
            blackout: frozenset[int], spend_caps=(), ready_day: np.ndarray | None = None) -> np.ndarray:
    hired = np.flatnonzero(posts)
    counts = posts[hired]
    offsets = np.cumsum(counts) - counts
    order = np.lexsort((hired, -pool.avg_views[hired].astype(float)))  # views descending, then pool row
    rank = np.empty(hired.size, dtype=np.int64)
    rank[order] = np.arange(hired.size)
    out = np.empty(int(counts.sum()), dtype=np.int64)
    done = np.zeros(hired.size, dtype=np.int64)
    first = np.full(hired.size, start, dtype=np.int64) if ready_day is None else np.maximum(ready_day[hired], start)
    ready = [(int(rank[j]), j) for j in range(hired.size) if first[j] <= start]  # may post today (heap by priority)
    heapq.heapify(ready)
    waiting = [(int(first[j]), int(rank[j]), j) for j in range(hired.size) if first[j] > start]  # (first allowed day, rank, j)
    heapq.heapify(waiting)
    left, d = out.size, start
    spent: dict[tuple[str, int], float] = {}  # (cap name, 0-based period) -> spend booked
    while left:
        if d > start + SCHEDULE_DAY_LIMIT:  # only spend caps can defer a post for ever
            raise ScenarioError(f"the spend caps ({', '.join('budget.' + c.name for c in spend_caps)}) leave "
                                f"{left} post(s) unscheduled after {SCHEDULE_DAY_LIMIT:,} days; raise the caps "
                                "or buy fewer posts")
        while waiting and waiting[0][0] <= d:
            _, r, j = heapq.heappop(waiting)
            heapq.heappush(ready, (r, j))
        if not ready:
            d = waiting[0][0]
            continue
        if d in blackout:
            d += 1
            continue
        placed = 0
        deferred = []
        while ready and placed < cap:
            r, j = heapq.heappop(ready)
            cost = float(pool.price[hired[j]]) + (float(pool.fee[hired[j]]) if done[j] == 0 else 0.0)
            later = _over_a_cap(spend_caps, spent, d, cost)
            if later is not None:  # this period's money is gone: try again when the next one starts
                deferred.append((later, r, j))
                continue
            for c in spend_caps:
                key = (c.name, d // c.length)
                spent[key] = spent.get(key, 0.0) + cost
            out[offsets[j] + done[j]] = d
            done[j] += 1
            placed += 1
            left -= 1
            if done[j] < counts[j]:
                if spacing:
                    heapq.heappush(waiting, (d + spacing, r, j))
                else:
                    heapq.heappush(ready, (r, j))
        for item in deferred:
            heapq.heappush(waiting, item)
        d += 1
    return out


def _over_a_cap(spend_caps, spent: dict, day: int, cost: float) -> int | None:
    """None when ``cost`` fits every cap's period of ``day``, else the first day it might fit."""
    later = None
    for c in spend_caps:
        period = day // c.length
        if spent.get((c.name, period), 0.0) + cost > c.cap(period + 1) * (1 + 1e-9):
            later = max(later or 0, (period + 1) * c.length)
    return later


def plan_days(scenario: "Scenario", plan: "Plan") -> np.ndarray:
    """The days ``plan`` is simulated and reported on: its own, else ``earliest_schedule``."""
    if plan.days is not None:
        return np.asarray(plan.days, dtype=np.int64)
    return earliest_schedule(scenario, plan.posts)


def schedule_rows(pool: "CreatorPool", posts, days) -> list[dict]:
    """The plan JSON's ``schedule``: ``{"handle", "post" (1-based), "day"}`` per bought post."""
    creator, k = post_positions(posts)
    return [{"handle": pool.handles[int(i)], "post": int(j) + 1, "day": int(d)}
            for i, j, d in zip(creator, k, np.asarray(days, dtype=np.int64))]


def schedule_violations(scenario: "Scenario", posts, days) -> list[str]:
    """Each ``[schedule]`` rule a plan's days break (empty when they obey every one)."""
    posts = _posts(scenario, posts)
    days = np.asarray(days, dtype=np.int64)
    creator, _ = post_positions(posts)
    if days.shape != creator.shape:
        return [f"the schedule has {days.size} days for {creator.size} bought posts"]
    rules, pool = scenario.schedule, scenario.pool
    out = []
    start = int(scenario.simulation.start_day)
    early = np.flatnonzero(days < start)
    if early.size:
        out.append(f"{early.size} post(s) before [simulation] start_day = {start} "
                   f"(first: {pool.handles[creator[early[0]]]} on {rules.label(days[early[0]])})")
    spacing = rules.spacing(scenario.simulation)
    same = creator[1:] == creator[:-1]
    close = np.flatnonzero(same & (np.diff(days) < spacing))
    if close.size:
        i = close[0]
        out.append(f"{close.size} post(s) less than {spacing} days after the same creator's previous post "
                   f"(first: {pool.handles[creator[i]]} on {rules.label(days[i])} and {rules.label(days[i + 1])})")
    if rules.blackout_days:
        hit = np.flatnonzero(np.isin(days, rules.blackout_days))
        if hit.size:
            out.append(f"{hit.size} post(s) on blackout days (first: {pool.handles[creator[hit[0]]]} on "
                       f"{rules.label(days[hit[0]])})")
    if rules.spend_caps and days.size:
        costs = _post_costs(pool, posts)
        for c in rules.spend_caps:
            period = days // c.length
            spend = np.bincount(period, weights=costs)
            over = [p for p in np.flatnonzero(spend) if spend[p] > c.cap(p + 1) * (1 + 1e-9)]
            if over:
                p = over[0]
                out.append(f"{len(over)} period(s) over budget.{c.name} (first: period {p + 1}, days "
                           f"{p * c.length}-{(p + 1) * c.length - 1}, spends {spend[p]:,.0f} > {c.cap(p + 1):,.0f})")
    if pool.available_from is not None and days.size:
        lo, hi = pool.available_from[creator], pool.available_to[creator]
        outside = np.flatnonzero((days < lo) | (days > hi))
        if outside.size:
            i = outside[0]
            out.append(f"{outside.size} post(s) outside their creator's availability (first: {pool.handles[creator[i]]} "
                       f"on {rules.label(days[i])}, available {_span(rules, lo[i], hi[i])})")
    if rules.max_posts_per_day is not None and days.size:
        values, counts = np.unique(days, return_counts=True)
        over = np.flatnonzero(counts > rules.max_posts_per_day)
        if over.size:
            out.append(f"{over.size} day(s) with more than max_posts_per_day = {rules.max_posts_per_day} posts "
                       f"(first: {rules.label(values[over[0]])} with {counts[over[0]]})")
    return out


def _span(rules, first: int, last: int) -> str:
    if last >= NO_END:
        return f"from {rules.label(first)}"
    return f"{rules.label(first)} to {rules.label(last)}"
