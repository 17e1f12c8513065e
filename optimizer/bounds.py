"""Lagrangian upper bounds with the *true* concave reach, and exact problem reduction.

Relax the coupling rules (budget, tier shares and counts, multipliers ``mu >= 0``) and the link
between creators and cells, ``x_s <= sum_i load_is w(n_i)`` (multipliers ``pi >= 0``). For any such
multipliers the relaxed problem separates:

* per cell: ``max_{x >= 0} A_s (1 - exp(-x)) - pi_s x`` with ``A_s = w_reach N_s``, in closed form;
* per creator: ``max_{n in 0..cap_i} lin_i(n) + w(n) load_i . pi - mu . a_i(n)``, by enumerating
  the (at most a few) post levels;

and ``L(pi, mu) = sum of both + mu . rhs`` is an upper bound on the true optimum (weak duality),
computed in NumPy with no solver tolerance involved. Good multipliers come from the duals of the
LP relaxation of the outer approximation.

Reduction (reduced-cost fixing, made exact by the same argument): the best value of any plan that
gives creator ``i`` at least ``k`` posts is at most ``L - best_i + max_{n >= k} v_i(n)``. When that is
below the value ``T`` of a plan we already hold, no such plan can beat it, so creator ``i``'s cap is
lowered to below ``k``. The optimum over the full pool is then at most ``max(optimum over the
reduced pool, T)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem, row_members


@dataclass(frozen=True, eq=False)
class LagrangeBound:
    bound: float
    #: v_i(n), shape (n, max_level + 1); -inf where a level is not allowed.
    values: np.ndarray
    #: max_n v_i(n): each creator's best relaxed contribution.
    best: np.ndarray


def lagrangian(problem: Problem, pi: np.ndarray, mu: np.ndarray, link: np.ndarray | None = None) -> LagrangeBound:
    """``L(pi, mu)``; ``link = load @ pi`` may be passed when only ``mu`` changes between calls."""
    p = problem
    pi = np.maximum(np.asarray(pi, dtype=float), 0.0)  # clipping keeps the bound valid
    mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
    # Cells.
    cells = 0.0
    if p.w_reach and len(pi):
        a = p.w_reach * p.population
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.where(pi <= 0, a, a - pi - pi * np.log(np.maximum(a, 1e-300) / np.maximum(pi, 1e-300)))
        cells = float(np.where(pi >= a, 0.0, inner).sum())
    # Creators: price of a unit of cost and of being hired, from the rows that count them.
    per_cost = np.zeros(p.n)
    per_hire = np.zeros(p.n)
    for m, row in zip(mu, p.rows):
        if m:
            target = per_cost if row.kind == "cost" else per_hire
            target += m * row.sign * row_members(p, row)
    if link is None:
        link = p.load @ pi if (p.w_reach and len(pi)) else np.zeros(p.n)
    levels = np.arange(p.max_level + 1)
    values = np.empty((p.n, len(levels)))
    for n in levels:
        posts = np.full(p.n, n)
        hired = float(n > 0)
        values[:, n] = (p.linear_value(posts) + p.weight(n) * link
                        - per_cost * (p.price * n + p.fee * hired) - per_hire * hired)
    values[levels[None, :] > p.cap[:, None]] = -np.inf
    values[p.must, 0] = -np.inf
    best = values.max(axis=1)
    rhs = np.array([r.rhs for r in p.rows])
    bound = cells + float(best[np.isfinite(best)].sum()) + float(mu @ rhs)
    if not np.isfinite(best).all():  # a must_include creator that cannot be hired: nothing is feasible
        bound = -np.inf
    return LagrangeBound(bound=bound, values=values, best=best)


def reduce_caps(problem: Problem, lb: LagrangeBound, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(new caps, forced hires) such that no removed option can beat ``threshold``.

    A small relative margin protects against rounding: only options proven below
    ``threshold - 1e-9 |threshold|`` are removed.
    """
    margin = threshold - 1e-9 * abs(threshold)
    rest = lb.bound - lb.best  # the bound minus this creator's own best contribution
    values = lb.values
    # max over n >= k of v_i(n), for every k (suffix maxima).
    suffix = np.maximum.accumulate(values[:, ::-1], axis=1)[:, ::-1]
    keep = (rest[:, None] + suffix) >= margin
    keep[:, 0] = True
    # The new cap is the largest k whose "at least k posts" option survives.
    levels = np.arange(values.shape[1])
    cap = np.where(keep, levels[None, :], 0).max(axis=1)
    cap = np.minimum(cap, problem.cap)
    forced = (rest + values[:, 0]) < margin  # not hiring i is provably worse than the threshold
    forced &= cap > 0
    return cap.astype(np.int64), forced


def greedy_multipliers(problem: Problem, posts: np.ndarray, iterations: int = 60) -> tuple[np.ndarray, np.ndarray, LagrangeBound]:
    """Multipliers read off a good plan, without any LP.

    ``pi_s`` is the marginal reach of load in cell s at the plan (``w_reach N_s exp(-x_s)``): the
    optimal multiplier if the plan's loads were optimal. The budget multiplier then minimises
    ``L`` along one dimension (``L`` is convex in it), by golden-section search; other rows get 0.
    """
    p = problem
    pi = p.w_reach * p.population * np.exp(-p.cell_load(posts)) if p.w_reach else np.zeros(0)
    link = p.load @ pi if (p.w_reach and len(pi)) else np.zeros(p.n)
    mu = np.zeros(len(p.rows))
    budget_row = next(k for k, r in enumerate(p.rows) if r.label == "budget")
    one = np.maximum(p.price + p.fee, 1e-12)
    first = p.post_value(1) + p.weight(1) * link
    hi = float(np.max(np.where(p.cap > 0, first / one, 0.0), initial=0.0)) * 1.01 + 1e-12

    def at(lam: float) -> LagrangeBound:
        mu[budget_row] = lam
        return lagrangian(p, pi, mu, link)

    lo, golden = 0.0, (np.sqrt(5) - 1) / 2
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = at(a).bound, at(b).bound
    for _ in range(iterations):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = at(a).bound
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = at(b).bound
    best = min((lo, a, b, hi), key=lambda v: at(v).bound)
    result = at(best)
    return pi, mu.copy(), result
