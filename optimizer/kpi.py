"""Choosing posts for the KPIs: a sample-average approximation (SAA) of the probability of meeting
each dated KPI target, maximised in priority order.

The inputs are arrays that the orchestration layer computes from the simulator's model
(``whatif/kpi_plan.py``): for M seeded draws of every candidate post's luck (failure, log-normal
views, shares), what the post adds to each KPI's metric by the KPI's deadline. The MILP, for the
candidate creators ``rows`` with levels k = 1..cap (the same ``y`` columns as the reach MILP, ``milp_model``):

* ``y[i,k]`` binary with ``y[i,k] <= y[i,k-1]``; the coupling rules (budget, tier budget shares and
  counts) and ``must_include`` exactly as in the reach MILP;
* ``z[q,m]`` binary: KPI q counts as met in draw m;
* a linear metric (views, likes, comments, shares, engagements): ``sum_col g[m,col] y[col] >= T_q z[q,m]``;
* target reach: ``x[m,s] <= sum_col load[m,col,s] y[col]``, ``r[m,s]`` below tangents of
  ``1 - exp(-x)`` and ``sum_s N_s r[m,s] >= T_q z[q,m]``. Tangents over-estimate reach, so after each
  solve the true reach of every draw counted as met is checked, and where it falls short a tangent
  is added at that draw's loads and the stage is solved again (a cutting-plane loop). The counts
  reported are always the true ones of the final plan.

Lexicographic order: stage q maximises ``sum_m z[q,m]`` with every earlier stage held at its best
count minus its tolerance (``floor(tolerance * M)`` draws). A tie-break worth less than one draw in
total prefers, among plans meeting the KPI in as many draws, the one with the larger mean metric.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .highs_model import INF
from .kpi_search import improve
from .problem import Problem
from .saa_model import Rows, run

#: Tangent points (cell loads x = I/N) every target-reach row starts with; the loop adds more.
#: A doubling grid from 0 (r <= x): between neighbours a and 2a the over-estimate of 1 - exp(-x) is
#: about a/8 of the value, so few draws near a target are miscounted and the loop has little to do
#: (measured: a coarser grid from 0.05 left 300-creator cases with 8-10% errors at loads ~0.01,
#: and the cutting rounds then ran out of time with a worse plan).
START_TANGENTS = (0.0, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12)
#: Rounds of the cutting-plane loop per stage before giving up on refining (counted draws are
#: then re-checked with the true reach, so the answer stays honest, only possibly not optimal).
MAX_CUT_ROUNDS = 30
#: Share of one draw the whole tie-break may be worth. With the solver's absolute gap
#: ``STOP_GAP``, a stop proves the draw count optimal: the bound B <= value + STOP_GAP < count + 1
#: needs TIE_BREAK_WEIGHT + STOP_GAP < 1 (the tie-break itself is then only near-optimal).
TIE_BREAK_WEIGHT = 0.25
STOP_GAP = 0.5
#: Share of the time limit the local search (kpi_search.py) may use before the MILP starts.
SEARCH_SHARE = 0.3


@dataclass(frozen=True, eq=False)
class KpiSample:
    """One KPI's M draws for the candidate columns.

    Exactly one of ``gains`` (M, n_cols): the linear metric each column adds by the deadline, or
    ``loads`` (M, n_cols, C): each column's target-impression load ``I/N`` per cell, with
    ``population`` (C,) the cells' sizes ``N``.
    """

    label: str
    target: float
    gains: np.ndarray | None = None
    loads: np.ndarray | None = None
    population: np.ndarray | None = None

    @property
    def draws(self) -> int:
        return int((self.gains if self.gains is not None else self.loads).shape[0])

    def values(self, y: np.ndarray) -> np.ndarray:
        """The metric in every draw for a 0/1 column vector ``y``."""
        y = np.asarray(y, dtype=float)
        if self.gains is not None:
            return self.gains @ y
        x = np.einsum("mcs,c->ms", self.loads, y)
        return -np.expm1(-x) @ self.population

    def met(self, y: np.ndarray) -> np.ndarray:
        # A relative tolerance of 1e-9: the solver's y are rounded, its sums are not exact.
        return self.values(y) >= self.target * (1.0 - 1e-9)


@dataclass(frozen=True, eq=False)
class Columns:
    """The y columns: creator ``rows[owner[c]]``'s ``level[c]``-th post.

    A creator may own several groups of columns (``rows`` repeats it): the same posts on other
    days, e.g. starting after a spend cap's period (whatif/kpi_plan.py). ``limits`` = (A, b) adds
    ``A y <= b`` (dense A of shape (R, n)): at most one group per creator, spend per period.
    """

    rows: np.ndarray
    caps: np.ndarray
    limits: tuple[np.ndarray, np.ndarray] | None = None
    owner: np.ndarray = field(init=False)
    level: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        caps = np.asarray(self.caps, dtype=np.int64)
        owner = np.repeat(np.arange(len(caps)), caps)
        first = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64) if len(caps) else np.zeros(0, np.int64)
        object.__setattr__(self, "owner", owner)
        object.__setattr__(self, "level", np.arange(owner.size) - first[owner] + 1)

    @property
    def n(self) -> int:
        return int(self.owner.size)

    def posts(self, y: np.ndarray, pool_size: int) -> np.ndarray:
        out = np.zeros(pool_size, dtype=np.int64)
        np.add.at(out, np.asarray(self.rows)[self.owner], np.rint(y).astype(np.int64))
        return out

    def of_posts(self, posts: np.ndarray) -> np.ndarray:
        """The 0/1 column vector of a plan, in each creator's first group (posts beyond a
        candidate's cap are ignored)."""
        rows = np.asarray(self.rows)
        first = np.zeros(rows.size, dtype=bool)
        first[np.unique(rows, return_index=True)[1]] = True
        return ((self.level <= np.asarray(posts)[rows][self.owner]) & first[self.owner]).astype(float)

    def within_limits(self, y: np.ndarray) -> bool:
        if self.limits is None:
            return True
        a, b = self.limits
        return bool(np.all(a @ y <= b + 1e-6 * np.maximum(1.0, np.abs(b))))


@dataclass(frozen=True)
class StageResult:
    label: str
    #: Draws (of M) in which the final plan meets this KPI, by the true metric.
    met: int
    #: The best count the stage found, and the solver's proven upper bound on it.
    best: int
    bound: float
    status: str
    cut_rounds: int


@dataclass(frozen=True)
class KpiSolution:
    posts: np.ndarray
    y: np.ndarray
    stages: tuple[StageResult, ...]
    seconds: float


class _Model:
    """The MILP of one stage, as COO triplets handed to HiGHS."""

    def __init__(self, problem: Problem, cols: Columns, samples, stage: int, need: list[int],
                 tangents: list[list[np.ndarray]], tie: np.ndarray):
        self.samples = samples[: stage + 1]
        n_y = cols.n
        col = n_y
        self.z0, self.x0, self.r0 = [], [], []
        for q in self.samples:
            self.z0.append(col)
            col += q.draws
            if q.loads is not None:
                cells = q.loads.shape[2]
                self.x0.append(col)
                col += q.draws * cells
                self.r0.append(col)
                col += q.draws * cells
            else:
                self.x0.append(-1)
                self.r0.append(-1)
        self.n_col, self.n_y = col, n_y
        cost = np.zeros(col)
        cost[self.z0[stage]: self.z0[stage] + self.samples[stage].draws] = -1.0
        cost[:n_y] = -tie
        lower, upper = np.zeros(col), np.full(col, INF)
        upper[:n_y] = 1.0
        rows, owner, level = np.asarray(cols.rows), cols.owner, cols.level
        lower[:n_y][(level == 1) & problem.must[rows][owner]] = 1.0
        for q, z0 in zip(self.samples, self.z0):
            upper[z0: z0 + q.draws] = 1.0
        for q, r0 in zip(self.samples, self.r0):
            if r0 >= 0:
                upper[r0: r0 + q.loads.shape[0] * q.loads.shape[2]] = 1.0
        out = Rows()
        out.plan_rules(problem, cols)
        for q, (sample, z0, x0, r0) in enumerate(zip(self.samples, self.z0, self.x0, self.r0)):
            m_draws = sample.draws
            if sample.gains is not None:
                # sum_col (g / T) y - z >= 0: scaled by the target so coefficients are near 1, and
                # capped at 1 (one post that alone meets the target may as well count exactly 1):
                # the same integer solutions, a tighter LP relaxation.
                g = sp.coo_matrix(np.minimum(sample.gains / sample.target, 1.0))
                out.add(np.r_[g.row, np.arange(m_draws)], np.r_[g.col, z0 + np.arange(m_draws)],
                    np.r_[g.data, -np.ones(m_draws)], np.zeros(m_draws), np.full(m_draws, INF))
            else:
                cells = sample.loads.shape[2]
                # sum_s (N_s / T) r[m,s] - z[m] >= 0.
                share = sample.population / sample.target
                out.add(np.r_[np.repeat(np.arange(m_draws), cells), np.arange(m_draws)],
                    np.r_[r0 + np.arange(m_draws * cells), z0 + np.arange(m_draws)],
                    np.r_[np.tile(share, m_draws), -np.ones(m_draws)], np.zeros(m_draws), np.full(m_draws, INF))
                # Loads, and tangents r[m,s] - slope x[m,s] <= intercept at the points of ``tangents``.
                out.reach(sample.loads, x0, r0, tangents[q])
            if q < stage:
                out.add(np.zeros(m_draws), z0 + np.arange(m_draws), np.ones(m_draws), [need[q]], [INF])
        integer = np.zeros(col, dtype=bool)
        integer[:n_y] = True
        for q, z0 in zip(self.samples, self.z0):
            integer[z0: z0 + q.draws] = True
        self.lp = out.lp(cost, lower, upper, integer)
        self.reach = any(q.loads is not None for q in self.samples)

    def warm_vector(self, y: np.ndarray) -> np.ndarray:
        """Every column for the plan ``y``: z from the true metric, x the true loads, r the true
        reach shares (below every tangent, so the vector is feasible whenever ``y`` keeps the
        rules and the held counts)."""
        full = np.zeros(self.n_col)
        full[: self.n_y] = y
        for q, z0, x0, r0 in zip(self.samples, self.z0, self.x0, self.r0):
            full[z0: z0 + q.draws] = q.met(y)
            if q.loads is not None:
                x = np.einsum("mcs,c->ms", q.loads, y).reshape(-1)
                full[x0: x0 + x.size] = x
                full[r0: r0 + x.size] = -np.expm1(-x)
        return full

    def solve(self, time_limit: float | None, warm: np.ndarray | None):
        full, status, dual = run(self.lp, time_limit=time_limit, reach=self.reach, rel_gap=0.0, abs_gap=STOP_GAP,
                                 warm=None if warm is None else self.warm_vector(warm))
        if full is None:
            return None, None, status, math.inf
        return np.rint(full[: self.n_y]), full, status, -dual


def solve_kpis(problem: Problem, cols: Columns, samples: list[KpiSample], *, tolerance: float = 0.0,
               time_limit: float | None = None, warm: np.ndarray | None = None,
               warm_columns: np.ndarray | None = None) -> KpiSolution:
    """Maximise, in the order of ``samples``, the number of draws in which each KPI is met.

    ``warm``: a feasible plan (pool-size posts array) to start from, e.g. the reach-optimal plan, in
    each creator's first group of columns; or ``warm_columns``, the 0/1 column vector itself.
    ``tolerance``: the share of draws an earlier KPI may give up for a later one.
    """
    start = time.perf_counter()
    need: list[int] = []
    tangents: list[list[np.ndarray]] = []
    for s in samples:
        cells = 0 if s.loads is None else s.loads.shape[2]
        tangents.append([np.full(s.draws * cells, t) for t in START_TANGENTS] if cells else [])
    y = warm_columns if warm_columns is not None else (None if warm is None else cols.of_posts(warm))
    y = None if y is None else _within_limits(cols, np.asarray(y, dtype=float), problem)
    results = []
    for stage, sample in enumerate(samples):
        # Tie-break: each column's mean contribution, scaled so that all together are worth < 1 draw.
        per_col = sample.gains.mean(axis=0) if sample.gains is not None else sample.loads.sum(axis=2).mean(axis=0)
        tie = TIE_BREAK_WEIGHT * per_col / max(float(per_col.sum()), 1e-300)
        if y is not None:
            search_deadline = None if time_limit is None else start + time_limit * SEARCH_SHARE * (stage + 1) / len(samples)
            y = improve(problem, cols, samples, stage, need, y.copy(), tie, search_deadline)
        rounds = 0
        while True:
            left = None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - start))
            model = _Model(problem, cols, samples, stage, need, tangents, tie)
            y_new, full, status, bound = model.solve(left, y)
            if y_new is None:
                break
            y = y_new
            short = _short_draws(samples, stage, model, full, y)
            if not short or rounds >= MAX_CUT_ROUNDS:
                break
            for q, points in short:
                tangents[q].append(points)
            rounds += 1
        met = int(sample.met(y).sum()) if y is not None else 0
        # Hold this stage at what the plan truly achieves (never more than the model's count).
        need.append(max(0, met - math.floor(tolerance * sample.draws)))
        results.append(StageResult(sample.label, met, met, float(min(bound, sample.draws)), status, rounds))
    if y is None:
        y = np.zeros(cols.n)
    final = tuple(StageResult(r.label, int(s.met(y).sum()), r.best, r.bound, r.status, r.cut_rounds)
                  for r, s in zip(results, samples))
    return KpiSolution(cols.posts(y, problem.n), y, final, time.perf_counter() - start)


def _within_limits(cols: Columns, y: np.ndarray, problem: Problem) -> np.ndarray:
    """``y`` with posts dropped, last ones first, until the columns' limits hold (a warm start
    scheduled on its earliest days may overspend a capped period; the search and the MILP need a
    plan inside them). A must_include creator's first post is never dropped."""
    if cols.limits is None:
        return y
    a, b = cols.limits
    y = y.copy()
    keep = (cols.level == 1) & problem.must[np.asarray(cols.rows)][cols.owner]
    while not cols.within_limits(y):
        over = (a @ y) > b + 1e-6 * np.maximum(1.0, np.abs(b))
        followed = np.r_[(cols.owner[1:] == cols.owner[:-1]) & (y[1:] > 0), False]  # the owner's next level is on
        last = (y > 0) & ~followed & ~keep
        weight = np.where(last, a[over].sum(axis=0), 0.0)
        if weight.max(initial=0.0) <= 0:
            break
        y[int(np.argmax(weight))] = 0.0
    return y


def _short_draws(samples, stage, model: _Model, full: np.ndarray, y: np.ndarray):
    """Target-reach rows whose counted draws truly fall short: new tangent points at their loads."""
    out = []
    for q, sample in enumerate(samples[: stage + 1]):
        if sample.loads is None:
            continue
        z = np.rint(full[model.z0[q]: model.z0[q] + sample.draws]) > 0
        bad = z & ~sample.met(y)
        if not bad.any():
            continue
        x = np.einsum("mcs,c->ms", sample.loads, y)
        points = np.where(bad[:, None], x, START_TANGENTS[-1]).reshape(-1)
        out.append((q, points))
    return out
