"""Greedy strategies: marginal true objective per cost, with lazy evaluation.

``greedy``: must_include / min_count / min_budget_share phases, then single posts by best
marginal gain per unit cost until nothing fits, then the best-single-creator fix (Khuller, Moss
and Naor 1999): return the better of the greedy plan and the best plan hiring one creator alone.
For a budget-only scenario this is a (1 - 1/e)/2 approximation of the optimum of a monotone
submodular function under a knapsack constraint.

``greedy-enum``: partial enumeration (Sviridenko 2004; Kulik, Schwartz and Shachnai 2021 showed
that seeds of size 2 suffice): every seed of at most 2 creators is completed greedily and the
best plan wins, a (1 - 1/e) approximation for a budget-only scenario. Enumerating all pairs of a
10,000 creator pool is 50 million greedy runs, so seeds are drawn from the ``top`` creators by
single-creator value and by first-post ratio; with ``top`` below the pool size the guarantee
formally holds only for that sub-pool, and ``stats["seed_pool"]`` says so.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from scenarios import Plan, Scenario, violations

from .builder import PlanBuilder, rule_names
from .problem import Problem


def _greedy_posts(problem: Problem, seed: tuple[int, ...] = ()) -> tuple[np.ndarray, list[str]]:
    b = PlanBuilder(problem)
    for i in seed:
        if not b.can_add(i):
            return b.posts, ["seed does not fit"]
        b.add(i)
    b.fill_minimums()
    b.lazy_greedy(np.flatnonzero(problem.cap > 0))
    # The builder never breaks an upper rule, so without lower rules nothing can be broken; the
    # full check (which indexes every handle) is left for the plan returned.
    return b.posts, (b.broken_rules() if _has_lower_rules(problem) else [])


def _has_lower_rules(problem: Problem) -> bool:
    c = problem.scenario.constraints
    return bool(problem.must.any() or any(c.min_count.values()) or any(c.min_budget_share.values()))


def best_single(problem: Problem) -> tuple[np.ndarray, float]:
    """The best plan hiring exactly one creator (with as many posts as pay off)."""
    best, best_value = np.zeros(problem.n, dtype=np.int64), 0.0
    b = PlanBuilder(problem)
    for k in range(1, problem.max_level + 1):
        ok = np.flatnonzero(problem.cap >= k)
        if len(ok) == 0:
            break
        posts = np.zeros(problem.n, dtype=np.int64)
        posts[ok] = k
        cost = problem.cost(posts)[ok]
        fits = ok[cost <= b.budget_cap]
        for t in range(len(b.spend_cap)):  # a single creator must respect its tier's spend cap
            fits = fits[~((problem.tier[fits] == t) & (problem.cost(posts)[fits] > b.spend_cap[t]))]
        if len(fits) == 0:
            continue
        value = problem.linear_value(posts)[fits]
        if problem.w_reach:
            w = float(problem.weight(k))
            value = value + problem.w_reach * (-np.expm1(-w * problem.load[fits])) @ problem.population
        j = int(np.argmax(value))
        if value[j] > best_value:
            best_value = float(value[j])
            best = np.zeros(problem.n, dtype=np.int64)
            best[fits[j]] = k
    return best, best_value


def greedy_solution(problem: Problem) -> tuple[np.ndarray, float, list[str]]:
    """Greedy plan with the best-single fix: (posts, true value, broken rules)."""
    posts, broken = _greedy_posts(problem)
    value = problem.value(posts)
    if not _has_lower_rules(problem):
        single, single_value = best_single(problem)
        if single_value > value:
            posts, value, broken = single, single_value, []
    return posts, value, broken


def _plan(name: str, problem: Problem, posts: np.ndarray, broken: list[str], start: float, **stats) -> Plan:
    value = problem.scenario.objective.value(problem.model.evaluate(posts).metrics())
    stats = {"objective": problem.scenario.objective.name, **stats}
    if broken:
        stats["ignored_rules"] = rule_names(broken)
        stats["violations"] = broken
    return Plan(posts=posts, strategy=name, status="infeasible" if broken else "feasible",
                objective_value=value, upper_bound=None, seconds=time.perf_counter() - start, stats=stats)


@dataclass(frozen=True)
class GreedyStrategy:
    """Lazy greedy by marginal true objective per cost, plus the best-single-creator fix."""

    name: str = "greedy"

    def select(self, scenario: Scenario, *, problem: Problem | None = None) -> Plan:
        start = time.perf_counter()
        problem = problem or Problem.build(scenario)
        posts, _, broken = greedy_solution(problem)
        return _plan(self.name, problem, posts, broken, start)


@dataclass(frozen=True)
class GreedyEnumStrategy:
    """Greedy completion of every seed of <= 2 creators drawn from the ``top`` candidates."""

    top: int = 12
    name: str = "greedy-enum"

    def select(self, scenario: Scenario, *, problem: Problem | None = None) -> Plan:
        start = time.perf_counter()
        problem = problem or Problem.build(scenario)
        best_posts, best_value, best_broken = greedy_solution(problem)
        seeds = _seed_pool(problem, self.top)
        runs = pruned = 0
        # A seed whose certified bound (Lagrangian at greedy's multipliers, with the seed's
        # creators forced in: bounds.reduce_caps's argument) is not above the incumbent cannot
        # give a better plan, so its run is skipped: the result is the same, the time is not
        # (78 full greedy runs took 201 s on 100,000 creators).
        forced = _seed_bounds(problem, best_posts, seeds) if not best_broken else None
        for size in (1, 2):
            for seed in itertools.combinations(seeds.tolist(), size):
                if forced is not None and forced[0] + sum(forced[1][s] for s in seed) < best_value - 1e-9 * abs(best_value):
                    pruned += 1
                    continue
                posts, broken = _greedy_posts(problem, seed)
                runs += 1
                if broken and not best_broken:
                    continue
                value = problem.value(posts)
                if (len(broken), -value) < (len(best_broken), -best_value):
                    best_posts, best_value, best_broken = posts, value, broken
        best_broken = violations(problem.model, best_posts)
        return _plan(self.name, problem, best_posts, best_broken, start, greedy_runs=runs, pruned_seeds=pruned,
                     seed_pool=f"{len(seeds)} of {int((problem.cap > 0).sum())} eligible creators")


def _seed_bounds(problem: Problem, posts: np.ndarray, seeds: np.ndarray) -> tuple[float, dict[int, float]]:
    """(L, {seed: change of L when that creator must be hired}); L is a bound for every plan."""
    from .bounds import greedy_multipliers

    _, _, lb = greedy_multipliers(problem, posts)
    if not np.isfinite(lb.bound):
        return np.inf, {}
    hired = np.max(lb.values[:, 1:], axis=1, initial=-np.inf) if lb.values.shape[1] > 1 else np.full(problem.n, -np.inf)
    return lb.bound, {int(s): float(hired[s] - lb.best[s]) for s in seeds}


def _seed_pool(problem: Problem, top: int) -> np.ndarray:
    """The ``top`` creators by one-post value, and by one-post value per cost (no duplicates)."""
    rows = np.flatnonzero(problem.cap > 0)
    if len(rows) <= top:
        return rows
    b = PlanBuilder(problem)
    value = b.first_gains(rows)
    ratio = value / (problem.price[rows] + problem.fee[rows])
    half = max(1, top // 2)
    picked = list(dict.fromkeys(rows[np.argsort(-value, kind="stable")][:half].tolist()
                                + rows[np.argsort(-ratio, kind="stable")].tolist()))
    return np.array(picked[:top], dtype=np.int64)
