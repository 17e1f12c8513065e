"""A local search that gives the KPI MILP (``optimizer/kpi.py``) a good plan to start from.

The chance-constrained MILP has a weak LP bound, so HiGHS may spend its whole time limit without
improving on the plan it was given (measured: a 300-creator scenario's priority-2 stage stayed at
5 of 100 draws for 60 s while a plan meeting 30+ existed). Counting met draws is cheap in NumPy,
so before each stage this search climbs from the incoming plan with two kinds of moves, all
evaluated at once:

* add: creator j's next post;
* swap: drop creator j's last post and add creator k's next post.

A move must keep every coupling rule (budget, tier shares and counts), ``must_include``, the
caps, the columns' own limits (spend per period, one group per creator: ``Columns.limits``), and
every earlier stage's held count; the best move by (draws met for this stage, tie-break
value) is taken while it improves. The MILP then proves or improves the result.
"""

from __future__ import annotations

import time

import numpy as np

from .problem import Problem, row_members

#: Upper limit on the moves taken per stage (each is one vectorised evaluation).
MAX_MOVES = 400
#: Elements of the per-move arrays evaluated at once (draws x moves x cells), about 64 MB of float64.
CHUNK_ELEMENTS = 8_000_000


class _Rules:
    """Row activities of the coupling rules for a posts vector over the candidates."""

    def __init__(self, problem: Problem, rows: np.ndarray):
        self.sign = np.array([r.sign for r in problem.rows])
        self.rhs = np.array([r.rhs for r in problem.rows]) + 1e-6 * np.maximum(1.0, np.abs([r.rhs for r in problem.rows]))
        self.member = np.array([row_members(problem, r)[rows] for r in problem.rows], dtype=float).reshape(
            len(problem.rows), len(rows))
        self.is_cost = np.array([r.kind == "cost" for r in problem.rows])
        self.price, self.fee = problem.price[rows], problem.fee[rows]

    def delta_add(self, n: np.ndarray) -> np.ndarray:
        """(rows, J): change of each rule's activity when creator j gets one more post."""
        first = (n == 0).astype(float)
        per = np.where(self.is_cost[:, None], (self.price + self.fee * first)[None, :], first[None, :])
        return self.sign[:, None] * self.member * per

    def delta_drop(self, n: np.ndarray) -> np.ndarray:
        last = (n == 1).astype(float)
        per = np.where(self.is_cost[:, None], (self.price + self.fee * last)[None, :], last[None, :])
        return -(self.sign[:, None] * self.member * per) * (n > 0)[None, :]

    def activity(self, n: np.ndarray) -> np.ndarray:
        hired = (n > 0).astype(float)
        per = np.where(self.is_cost[:, None], (self.price * n + self.fee * hired)[None, :], hired[None, :])
        return (self.sign[:, None] * self.member * per).sum(axis=1)


def improve(problem: Problem, cols, samples, stage: int, need: list[int], y: np.ndarray, tie: np.ndarray,
            deadline: float | None = None) -> np.ndarray:
    """A plan at least as good as ``y`` for stage ``stage`` (same held counts), by local search."""
    rows, caps = np.asarray(cols.rows), np.asarray(cols.caps)
    j_count = len(rows)
    if j_count == 0:
        return y
    first_col = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64)
    must = problem.must[rows]
    rules = _Rules(problem, rows)
    n = np.zeros(j_count, dtype=np.int64)
    np.add.at(n, cols.owner, np.rint(y).astype(np.int64))
    active = samples[: stage + 1]
    states = [_state(q, y) for q in active]

    def score(values_by_q):
        """(ok under held counts, met this stage, tie) for each candidate move (arrays)."""
        ok = None
        for q, (sample, values) in enumerate(zip(active, values_by_q)):
            met = (values >= sample.target * (1 - 1e-9)).sum(axis=0)
            if q < stage:
                good = met >= need[q]
                ok = good if ok is None else ok & good
            else:
                current = met
        return (np.ones_like(current, dtype=bool) if ok is None else ok), current

    current_met = int(active[stage].met(y).sum())
    for _ in range(MAX_MOVES):
        if deadline is not None and time.perf_counter() > deadline:
            break
        act = rules.activity(n)
        can_add = n < caps
        add_col = first_col + np.minimum(n, caps - 1)  # the next level's column
        d_add = rules.delta_add(n)
        d_drop = rules.delta_drop(n)
        can_drop = (n > 0) & ~(must & (n == 1))
        drop_col = first_col + np.maximum(n - 1, 0)
        rhs = rules.rhs
        if cols.limits is not None:  # further rows on the columns themselves (spend caps, one group per creator)
            a, b = cols.limits
            act = np.r_[act, a @ y]
            d_add = np.vstack([d_add, a[:, add_col]])
            d_drop = np.vstack([d_drop, -a[:, drop_col] * (n > 0)[None, :]])
            rhs = np.r_[rhs, b + 1e-6 * np.maximum(1.0, np.abs(b))]
        best = None
        # Adds: every creator at once.
        fits = can_add & np.all(act[:, None] + d_add <= rhs[:, None], axis=0)
        if fits.any():
            js = np.flatnonzero(fits)
            values = [_with(q, s, add=add_col[js]) for q, s in zip(active, states)]
            ok, met = score(values)
            gain = tie[add_col[js]]
            best = _pick(best, met, gain, ok, lambda k: ("add", js[k]))
        # Swaps: drop j's last post, add k's next post (j != k).
        if can_drop.any() and can_add.any():
            dj, ak = np.flatnonzero(can_drop), np.flatnonzero(can_add)
            total = act[:, None, None] + d_drop[:, dj][:, :, None] + d_add[:, ak][:, None, :]
            pair_ok = np.all(total <= rhs[:, None, None], axis=0) & (dj[:, None] != ak[None, :])
            pj_all, pk_all = np.nonzero(pair_ok)
            # Chunks of pairs keep the (draws, pairs, cells) arrays near CHUNK_ELEMENTS.
            width = max(1, CHUNK_ELEMENTS // max(1, max(_width(q) for q in active)))
            for lo in range(0, pj_all.size, width):
                pj, pk = pj_all[lo: lo + width], pk_all[lo: lo + width]
                values = [_with(q, s, add=add_col[ak[pk]], drop=drop_col[dj[pj]]) for q, s in zip(active, states)]
                ok, met = score(values)
                gain = tie[add_col[ak[pk]]] - tie[drop_col[dj[pj]]]
                best = _pick(best, met, gain, ok, lambda k, pj=pj, pk=pk: ("swap", dj[pj[k]], ak[pk[k]]))
        if best is None:
            break
        met, gain, move = best
        if met < current_met or (met == current_met and gain <= 1e-12):
            break
        if move[0] == "add":
            y[add_col[move[1]]] = 1.0
            n[move[1]] += 1
        else:
            y[drop_col[move[1]]] = 0.0
            n[move[1]] -= 1
            y[add_col[move[2]]] = 1.0
            n[move[2]] += 1
        states = [_state(q, y) for q in active]
        current_met = met
    return y


def _pick(best, met, gain, ok, describe):
    if not ok.any():
        return best
    met = np.where(ok, met, -1)
    top = met.max()
    k = int(np.flatnonzero(met == top)[np.argmax(gain[met == top])])
    cand = (int(top), float(gain[k]), describe(k))
    if best is None or (cand[0], cand[1]) > (best[0], best[1]):
        return cand
    return best


def _width(sample) -> int:
    """Elements per move: draws, times cells for target reach."""
    return sample.draws * (1 if sample.loads is None else sample.loads.shape[2])


def _state(sample, y):
    if sample.gains is not None:
        return sample.gains @ y
    return np.einsum("mcs,c->ms", sample.loads, y)


def _with(sample, state, add, drop=None):
    """The metric per draw (M, moves) after each move."""
    if sample.gains is not None:
        values = state[:, None] + sample.gains[:, add]
        if drop is not None:
            values = values - sample.gains[:, drop]
        return values
    x = state[:, None, :] + sample.loads[:, add, :]
    if drop is not None:
        x = x - sample.loads[:, drop, :]
    return -np.expm1(-np.maximum(x, 0.0)) @ sample.population
