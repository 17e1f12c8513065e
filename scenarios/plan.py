"""A plan: how many posts to buy from each creator, optionally on which days, plus the evidence
of how it was found.

Strategies return a ``Plan``; ``plan_from_json`` reads a user's PLAN_JSON (any JSON with a
``selection`` list of ``{"handle", "posts"}`` and optionally a ``schedule`` list of
``{"handle", "post", "day"}``; see docs/schedule.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import PlanError, did_you_mean
from .files import read_text
from .pool import CreatorPool
from .plan_summary import SELECTION_COLUMNS, PlanSummary, selection_rows, summarise
from .pool_csv import MAX_POSTS_LIMIT

STATUSES = ("optimal", "feasible", "infeasible", "time_limit")


if TYPE_CHECKING:  # the reach model imports the scenario, which does not need plans
    from .scenario import Scenario


@dataclass(frozen=True, eq=False)
class Plan:
    """Posts per creator (pool order), optionally their days, and the strategy's evidence.

    ``days``: one campaign day per bought post, aligned with ``np.repeat(hired, posts[hired])``
    (pool row ascending, then the creator's 1st, 2nd, ... post), never decreasing within one
    creator; ``None`` = the scenario's default schedule (``scenarios.calendar.earliest_schedule``).
    ``upper_bound`` is a proven bound on the best achievable objective value (``None`` when the
    strategy proves none); ``gap = (upper_bound - objective) / upper_bound``.
    """

    posts: np.ndarray
    strategy: str = "given"
    status: str = "feasible"
    objective_value: float | None = None
    upper_bound: float | None = None
    seconds: float = 0.0
    #: Solver statistics and notes (iterations, cuts, nodes, rules a baseline could not obey...).
    stats: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: The day of every bought post (see above); ``None`` = the scenario's default schedule.
    days: np.ndarray | None = None

    def __post_init__(self) -> None:
        posts = np.asarray(self.posts, dtype=np.int64).copy()
        posts.setflags(write=False)
        object.__setattr__(self, "posts", posts)
        if self.days is not None:
            object.__setattr__(self, "days", _checked_days(posts, self.days))

    @property
    def gap(self) -> float | None:
        if self.upper_bound is None or self.objective_value is None:
            return None
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, (self.upper_bound - self.objective_value) / self.upper_bound)

    def selection(self, pool: CreatorPool) -> list[tuple[int, str, int]]:
        """(row, handle, posts) of every hired creator, in pool order."""
        return [(int(i), pool.handles[i], int(self.posts[i])) for i in np.flatnonzero(self.posts)]

    def __repr__(self) -> str:
        # Short: the generated repr printed the whole posts array (one number per creator).
        gap = "" if self.gap is None else f", gap {100 * self.gap:.3g}%"
        scheduled = "" if self.days is None else ", scheduled"
        return (f"Plan({self.strategy}, {self.status}, {int(np.count_nonzero(self.posts)):,} creators, "
                f"{int(self.posts.sum()):,} posts{scheduled}{gap})")

    def summary(self, scenario: "Scenario") -> "PlanSummary":
        """Spend, reach, impressions, engagements, status and gap of this plan in ``scenario``
        (scored by the reach model; status ``infeasible`` when the plan breaks a rule)."""
        return summarise(scenario, self)

    def to_frame(self, scenario: "Scenario"):
        """One row per hired creator (handle, tier, posts, cost, target impressions, followers,
        avg views, target match) as a pandas DataFrame (``pip install 'reachmix[frame]'``)."""
        from .frames import data_frame

        return data_frame(selection_rows(scenario, self), SELECTION_COLUMNS)


def _checked_days(posts: np.ndarray, days) -> np.ndarray:
    """``days`` as a read-only int64 array aligned with ``posts``, or a one-line ``PlanError``."""
    arr = np.asarray(days)
    n = int(posts.sum())
    if arr.ndim != 1 or arr.size != n:
        raise PlanError(f"the plan's days have {arr.size} entries but it buys {n} posts; give one day per bought "
                        "post (pool order, then each creator's 1st, 2nd, ... post), or days=None")
    if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.number)
                     or not np.all(np.isfinite(arr.astype(float))) or np.any(arr != np.round(arr)) or np.any(arr < 0)):
        raise PlanError("the plan's days must be whole numbers >= 0 (campaign days, 0 = the start)")
    out = arr.astype(np.int64)
    if out.size > 1:
        hired = np.flatnonzero(posts)
        creator = np.repeat(hired, posts[hired])
        bad = np.flatnonzero((creator[1:] == creator[:-1]) & (np.diff(out) < 0))
        if bad.size:
            i = int(bad[0])
            raise PlanError(f"the plan's days of pool row {int(creator[i])} decrease (day {int(out[i])} then day "
                            f"{int(out[i + 1])}); a creator's posts go live in order, so sort each creator's days")
    out.setflags(write=False)
    return out


def plan_from_json(source: str | Path | Mapping[str, Any], pool: CreatorPool) -> Plan:
    """Read a PLAN_JSON (path or parsed object) against ``pool``."""
    where = str(source) if not isinstance(source, Mapping) else "plan"
    if isinstance(source, Mapping):
        doc = source
    else:
        # Only regular files within the memory budget: a FIFO or /dev/zero is a one-line error.
        text = read_text(source, PlanError, what="plan file", directory="give the plan .json file",
                         save_as="the plan")
        try:
            doc = json.loads(text)
        except RecursionError:
            raise PlanError(f"{where}: not valid JSON (nested too deeply); "
                            "give a JSON object with a selection list") from None
        except json.JSONDecodeError as exc:
            raise PlanError(f"{where}: not valid JSON ({str(exc).splitlines()[0]}); "
                            "give a JSON object with a selection list") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("selection"), list):
        raise PlanError(f'{where}: needs a "selection" list of {{"handle", "posts"}} objects')
    index = pool.index_of()
    posts = np.zeros(pool.size, dtype=np.int64)
    for k, item in enumerate(doc["selection"]):
        here = f"{where}: selection[{k}]"
        if not isinstance(item, Mapping) or "handle" not in item or "posts" not in item:
            raise PlanError(f'{here} needs "handle" and "posts"')
        handle, n = item["handle"], item["posts"]
        if not isinstance(handle, str):
            raise PlanError(f'{here}: handle must be a string such as "@a", not {json.dumps(handle)[:40]}')
        if handle not in index:
            raise PlanError(f'{here}: handle "{handle}" is not in the pool {pool.source}'
                            f"{did_you_mean(str(handle), pool.handles)}")
        if (isinstance(n, bool) or not isinstance(n, (int, float)) or not math.isfinite(n)
                or n != int(n) or n < 0):
            raise PlanError(f'{here}: posts must be a whole number >= 0, not {json.dumps(n)[:40]}')
        if n > MAX_POSTS_LIMIT:
            raise PlanError(f"{here}: posts = {n:g} is too large; it must be <= {MAX_POSTS_LIMIT}")
        if posts[index[handle]]:
            raise PlanError(f'{here}: handle "{handle}" appears twice; list each creator once')
        posts[index[handle]] = int(n)
    days = _schedule_from_json(doc.get("schedule"), posts, pool, where, index) if "schedule" in doc else None
    return Plan(posts=posts, strategy=str(doc.get("strategy", "given")), days=days)


#: Latest campaign day a schedule may name (about 100 years); the loader uses the same bound.
MAX_DAY = 36_500


def _whole(value, low: int) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and value == int(value) and value >= low)


def _schedule_from_json(items, posts: np.ndarray, pool: CreatorPool, where: str, index) -> np.ndarray:
    """The ``schedule`` list as days aligned with ``posts`` (every bought post exactly once)."""
    if not isinstance(items, list):
        raise PlanError(f'{where}: "schedule" must be a list of {{"handle", "post", "day"}} objects '
                        '(or leave it out for the default schedule)')
    hired = np.flatnonzero(posts)
    offsets = np.zeros(pool.size, dtype=np.int64)
    offsets[hired] = np.cumsum(posts[hired]) - posts[hired]
    days = np.full(int(posts.sum()), -1, dtype=np.int64)
    seen: dict[int, int] = {}  # aligned position -> schedule index
    for k, item in enumerate(items):
        here = f"{where}: schedule[{k}]"
        if not isinstance(item, Mapping) or not all(key in item for key in ("handle", "post", "day")):
            raise PlanError(f'{here} needs "handle", "post" and "day"')
        handle, post, day = item["handle"], item["post"], item["day"]
        if not isinstance(handle, str):
            raise PlanError(f'{here}: handle must be a string such as "@a", not {json.dumps(handle)[:40]}')
        if handle not in index:
            raise PlanError(f'{here}: handle "{handle}" is not in the pool {pool.source}'
                            f"{did_you_mean(str(handle), pool.handles)}")
        row = index[handle]
        bought = int(posts[row])
        if not bought:
            raise PlanError(f'{here}: handle "{handle}" has no posts in the selection; remove this entry '
                            "or buy posts from the creator")
        if not _whole(post, 1):
            raise PlanError(f"{here}: post must be a whole number >= 1 (the creator's 1st, 2nd, ... post), "
                            f"not {json.dumps(post)[:40]}")
        if post > bought:
            raise PlanError(f'{here}: post {int(post)} of "{handle}" is out of range; the selection buys '
                            f"{bought} post{'s' if bought != 1 else ''} from it")
        if not _whole(day, 0):
            raise PlanError(f"{here}: day must be a whole number >= 0 (campaign day, 0 = the start), "
                            f"not {json.dumps(day)[:40]}")
        if day > MAX_DAY:
            raise PlanError(f"{here}: day = {day:g} is too large; it must be <= {MAX_DAY}")
        at = int(offsets[row]) + int(post) - 1
        if at in seen:
            raise PlanError(f'{here}: post {int(post)} of "{handle}" is already scheduled by '
                            f"schedule[{seen[at]}]; list each post once")
        seen[at] = k
        days[at] = int(day)
    missing = np.flatnonzero(days < 0)
    if missing.size:
        row = int(np.repeat(hired, posts[hired])[missing[0]])
        post = int(missing[0] - offsets[row]) + 1
        raise PlanError(f'{where}: schedule has no day for post {post} of "{pool.handles[row]}" '
                        f"({missing.size} bought post{'s' if missing.size != 1 else ''} unscheduled); give every "
                        'bought post a day, or leave "schedule" out for the default schedule')
    creator = np.repeat(hired, posts[hired])
    bad = np.flatnonzero((creator[1:] == creator[:-1]) & (np.diff(days) < 0))
    if bad.size:
        i = int(bad[0])
        row, post = int(creator[i]), int(i - offsets[creator[i]]) + 1
        raise PlanError(f'{where}: schedule[{seen[i + 1]}]: post {post + 1} of "{pool.handles[row]}" is on day '
                        f"{int(days[i + 1])}, before post {post} (day {int(days[i])}, schedule[{seen[i]}]); "
                        "a creator's posts go live in order")
    return days
