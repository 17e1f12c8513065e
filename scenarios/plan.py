"""A plan: how many posts to buy from each creator, plus the evidence of how it was found.

Strategies return a ``Plan``; ``plan_from_json`` reads a user's PLAN_JSON (any JSON with a
``selection`` list of ``{"handle", "posts"}``).
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
    """Posts per creator (pool order) and the strategy's evidence.

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

    def __post_init__(self) -> None:
        posts = np.asarray(self.posts, dtype=np.int64).copy()
        posts.setflags(write=False)
        object.__setattr__(self, "posts", posts)

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
        return (f"Plan({self.strategy}, {self.status}, {int(np.count_nonzero(self.posts)):,} creators, "
                f"{int(self.posts.sum()):,} posts{gap})")

    def summary(self, scenario: "Scenario") -> "PlanSummary":
        """Spend, reach, impressions, engagements, status and gap of this plan in ``scenario``
        (scored by the reach model; status ``infeasible`` when the plan breaks a rule)."""
        return summarise(scenario, self)

    def to_frame(self, scenario: "Scenario"):
        """One row per hired creator (handle, tier, posts, cost, target impressions, followers,
        avg views, target match) as a pandas DataFrame (``pip install 'reachmix[frame]'``)."""
        from .frames import data_frame

        return data_frame(selection_rows(scenario, self), SELECTION_COLUMNS)


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
    return Plan(posts=posts, strategy=str(doc.get("strategy", "given")))
