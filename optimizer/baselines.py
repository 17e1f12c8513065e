"""Rule-of-thumb baselines: rank creators by one static key and buy down the list.

Each baseline satisfies must_include, min_count and min_budget_share first (best-ranked creators
of the tier first), then buys one post from each creator down its ranking while the upper rules
(budget, caps, max_count, max budget shares) allow, then a second pass buys repeat posts in the
same order. Rules a baseline ends up breaking (possible only for the lower rules, when the ranking
spends the budget elsewhere first) are listed in ``stats["ignored_rules"]`` and the plan's status
is ``infeasible``; they never break the budget or an upper rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from scenarios import Plan, Scenario

from .builder import PlanBuilder, rule_names
from .problem import Problem


def _ranked_plan(problem: Problem, order) -> tuple[np.ndarray, list[str]]:
    b = PlanBuilder(problem)
    b.fill_minimums(order)
    ranked = order(np.flatnonzero(problem.cap > 0))
    for i in ranked:
        if b.posts[i] == 0 and b.can_add(int(i)):
            b.add(int(i))
    for i in ranked:
        while b.can_add(int(i)):
            b.add(int(i))
    return b.posts, b.broken_rules()


@dataclass(frozen=True)
class _Ranked:
    name: str = "ranked"

    def key(self, problem: Problem) -> np.ndarray:  # larger = better
        raise NotImplementedError

    def select(self, scenario: Scenario, *, problem: Problem | None = None) -> Plan:
        start = time.perf_counter()
        problem = problem or Problem.build(scenario)
        key = self.key(problem)

        def order(rows: np.ndarray) -> np.ndarray:
            # Stable sort: ties keep pool order, so the plan is deterministic.
            return rows[np.argsort(-key[rows], kind="stable")]

        posts, broken = _ranked_plan(problem, order)
        value = scenario.objective.value(problem.model.evaluate(posts).metrics())
        stats = {"objective": scenario.objective.name}
        if broken:
            stats["ignored_rules"] = rule_names(broken)
            stats["violations"] = broken
        return Plan(posts=posts, strategy=self.name, status="infeasible" if broken else "feasible",
                    objective_value=value, upper_bound=None, seconds=time.perf_counter() - start, stats=stats)


@dataclass(frozen=True)
class TopFollowersStrategy(_Ranked):
    """Biggest accounts first."""

    name: str = "top-followers"

    def key(self, problem):
        return problem.scenario.pool.followers.astype(float)


@dataclass(frozen=True)
class TopEngagementStrategy(_Ranked):
    """Highest engagement rate (per view) first."""

    name: str = "top-engagement"

    def key(self, problem):
        return problem.scenario.pool.engagement_rate.astype(float)


@dataclass(frozen=True)
class LowestCpmStrategy(_Ranked):
    """Cheapest cost per thousand views first (one post: (price + fee) / avg_views * 1000)."""

    name: str = "lowest-cpm"

    def key(self, problem):
        pool = problem.scenario.pool
        with np.errstate(divide="ignore"):
            cpm = (problem.price + problem.fee) / pool.avg_views * 1000.0
        return -np.where(pool.avg_views > 0, cpm, np.inf)


@dataclass(frozen=True)
class RandomStrategy(_Ranked):
    """A random order of creators, from ``numpy.random.default_rng(seed)`` (never global state)."""

    seed: int = 0
    name: str = "random"

    def key(self, problem):
        rng = np.random.default_rng(self.seed)
        return rng.permutation(problem.n).astype(float)
