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

Completions are remembered by the plans they pass through (issue 12): the greedy phase after the
lower rules picks, from a plan, the step of best exact ratio (ties: the lowest creator index),
whatever the way the plan was reached, so two completions that meet at the same plan end at the
same plan. A seeded run that reaches a plan an earlier run passed through (checked exactly, not
only by its hash) stops there and takes that run's result. Most seeds are creators greedy hires
early, so their runs meet greedy's at once: on 100,000 generated creators, of 28 seeded runs of
~1-2 s each, 27 met greedy's before their first greedy step and one after 9,635 of its ~10,700.
The only way this can differ from running every completion to its end is a ratio equal to
another's to the last bit or two (then the rounding of the slopes, which depends on the order the
posts were added, picks): the old code's seeded runs had the same exposure to it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from scenarios import Plan, Scenario, violations

from .builder import PlanBuilder, rule_names
from .problem import Problem


def _greedy_posts(problem: Problem, seed: tuple[int, ...] = (),
                  memo: "_Completions | None" = None) -> tuple[np.ndarray, list[str]]:
    # The unseeded run keeps the builder's own arithmetic, so greedy-enum starts from greedy's plan to the bit.
    b = PlanBuilder(problem) if memo is None else _RecordingBuilder(problem, memo.keys, memo.first_reach if seed else None)
    for i in seed:
        if not b.can_add(i):
            return b.posts, ["seed does not fit"]
        b.add(i)
    b.fill_minimums()
    if memo is not None:
        return memo.complete(b)
    b.lazy_greedy(np.flatnonzero(problem.cap > 0))
    # The builder never breaks an upper rule, so without lower rules nothing can be broken; the
    # full check (which indexes every handle) is left for the plan returned.
    return b.posts, (b.broken_rules() if _has_lower_rules(problem) else [])


_MASK = (1 << 64) - 1
#: greedy-enum keeps every creator's first-post reach per cell (as large as ``Problem.load``) up to this size.
FIRST_REACH_BYTES = 512 * 2**20


class _RecordingBuilder(PlanBuilder):
    """A ``PlanBuilder`` that keeps a hash of its plan (sum of a random key per post) and a log
    of the creators it added, so that a plan can be looked up and checked cheaply."""

    def __init__(self, problem: Problem, keys: list[int], first_reach: np.ndarray | None = None):
        super().__init__(problem)
        self.keys = keys
        self.key = 0
        self.log: list[int] = []
        self.first_reach = first_reach

    def first_gains(self, rows: np.ndarray) -> np.ndarray:
        """``PlanBuilder.first_gains`` with the reach part of a first post read from ``first_reach``
        (``w_reach * (1 - exp(-load))``, computed once per greedy-enum): one product with the
        slopes instead of an exponential per creator and cell, for every phase of every run."""
        p = self.p
        new = self.posts[rows] == 0
        if self.first_reach is None or not new.any():
            return super().first_gains(rows)
        if not new.all():
            out = np.empty(len(rows))
            out[new], out[~new] = self.first_gains(rows[new]), super().first_gains(rows[~new])
            return out
        dw = p.weight(self.posts[rows] + 1) - p.weight(self.posts[rows])
        out = p.w_impr * dw * p.impressions[rows] + p.w_eng * p.engagements[rows]
        return out + (self.first_reach @ self.slope)[rows]

    def add(self, i: int, k: int = 1) -> None:
        super().add(i, k)
        self.key = (self.key + k * self.keys[i]) & _MASK
        self.log.extend([int(i)] * k)


class _Completions:
    """The greedy completions run so far, by every plan their greedy phase passed through.

    The greedy phase (``lazy_greedy`` over every candidate, after the lower rules) is a function
    of the plan it starts from: each step takes the exact best ratio among the creators that still
    fit (ties: lowest index), spend and counts only grow, so a creator that does not fit never
    will. A run that reaches a plan seen in another run therefore ends where that run ended; the
    plan is matched by hash, then checked post for post (a hash collision can only cost time).
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.candidates = np.flatnonzero(problem.cap > 0)
        # Hash keys only (fixed seed, no global state): a result never depends on them.
        self.keys = np.random.default_rng(0x5EED).integers(0, 2**63, problem.n, dtype=np.int64).tolist()
        self.first_reach = None
        if problem.w_reach and problem.load.nbytes <= FIRST_REACH_BYTES:
            dw = float(problem.weight(1) - problem.weight(0))
            self.first_reach = problem.w_reach * -np.expm1(-dw * problem.load)
        self.seen: dict[int, tuple[int, int]] = {}  # plan hash -> (run, steps into its greedy phase)
        self.runs: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]] = []  # start, log, result, broken
        self.reused = 0

    def _find(self, b: _RecordingBuilder) -> tuple[np.ndarray, list[str]] | None:
        entry = self.seen.get(b.key)
        if entry is None:
            return None
        start, log, posts, broken = self.runs[entry[0]]
        then = start + np.bincount(log[: entry[1]], minlength=len(start))
        return (posts, broken) if np.array_equal(then, b.posts) else None

    def complete(self, b: _RecordingBuilder) -> tuple[np.ndarray, list[str]]:
        """Run ``b``'s greedy phase, stopping at the first plan an earlier run passed through."""
        start, mark = b.posts.copy(), len(b.log)
        visited: list[tuple[int, int]] = []
        found = self._find(b)
        if found is None:
            visited.append((b.key, 0))
            last = [mark]

            def stop() -> bool:
                nonlocal found
                if len(b.log) == last[0]:
                    return False
                last[0] = len(b.log)
                found = self._find(b)
                if found is None:
                    visited.append((b.key, len(b.log) - mark))
                return found is not None

            b.lazy_greedy(self.candidates, stop)
        if found is None:
            found = (b.posts, b.broken_rules() if _has_lower_rules(self.problem) else [])
        else:
            self.reused += 1
        run = len(self.runs)
        self.runs.append((start, np.array(b.log[mark:], dtype=np.int64), *found))
        for key, step in visited:
            self.seen.setdefault(key, (run, step))
        return found


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


def greedy_solution(problem: Problem, memo: _Completions | None = None) -> tuple[np.ndarray, float, list[str]]:
    """Greedy plan with the best-single fix: (posts, true value, broken rules)."""
    posts, broken = _greedy_posts(problem, memo=memo)
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
        posts, broken, stats = _enumerate(problem, self.top)
        return _plan(self.name, problem, posts, broken, start, **stats)


def _enumerate(problem: Problem, top: int, reuse: bool = True) -> tuple[np.ndarray, list[str], dict]:
    """greedy-enum's search: (best posts, their broken rules, stats). ``reuse=False`` runs every
    completion to its end (the implementation before issue 12; same plans, kept for the benchmarks)."""
    memo = _Completions(problem) if reuse else None
    best_posts, best_value, best_broken = greedy_solution(problem, memo)
    seeds = _seed_pool(problem, top)
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
            posts, broken = _greedy_posts(problem, seed, memo)
            runs += 1
            if broken and not best_broken:
                continue
            value = problem.value(posts)
            if (len(broken), -value) < (len(best_broken), -best_value):
                best_posts, best_value, best_broken = posts, value, broken
    stats = {"greedy_runs": runs, "pruned_seeds": pruned,
             "seed_pool": f"{len(seeds)} of {int((problem.cap > 0).sum())} eligible creators"}
    if memo is not None:
        stats["reused_runs"] = memo.reused
    return best_posts, violations(problem.model, best_posts), stats


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
