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


def _cell_term(p: Problem, pi: np.ndarray) -> float:
    """The cells' part of ``L``: sum over cells of ``max_{x >= 0} A_s (1 - exp(-x)) - pi_s x``."""
    if not (p.w_reach and len(pi)):
        return 0.0
    a = p.w_reach * p.population
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(pi <= 0, a, a - pi - pi * np.log(np.maximum(a, 1e-300) / np.maximum(pi, 1e-300)))
    return float(np.where(pi >= a, 0.0, inner).sum())


def _row_prices(p: Problem, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per creator, the price of a unit of cost and of being hired, from the rows that count them."""
    per_cost = np.zeros(p.n)
    per_hire = np.zeros(p.n)
    for m, row in zip(mu, p.rows):
        if m:
            target = per_cost if row.kind == "cost" else per_hire
            target += m * row.sign * row_members(p, row)
    return per_cost, per_hire


def lagrangian(problem: Problem, pi: np.ndarray, mu: np.ndarray, link: np.ndarray | None = None) -> LagrangeBound:
    """``L(pi, mu)``; ``link = load @ pi`` may be passed when only ``mu`` changes between calls."""
    p = problem
    pi = np.maximum(np.asarray(pi, dtype=float), 0.0)  # clipping keeps the bound valid
    mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
    cells = _cell_term(p, pi)
    per_cost, per_hire = _row_prices(p, mu)
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

    bound_of = _bound_at_fixed_pi(p, pi, link)

    def at(lam: float) -> float:
        mu[budget_row] = lam
        return bound_of(mu)

    lo, golden = 0.0, (np.sqrt(5) - 1) / 2
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = at(a), at(b)
    for _ in range(iterations):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = at(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = at(b)
    mu[budget_row] = min((lo, a, b, hi), key=at)
    result = lagrangian(p, pi, mu, link)
    return pi, mu.copy(), result


def _bound_at_fixed_pi(p: Problem, pi: np.ndarray, link: np.ndarray):
    """``mu -> lagrangian(p, pi, mu, link).bound`` with every part that depends on ``pi`` alone (the
    cells, each level's value before the rows' prices) computed once: the same arithmetic in the
    same order, so the same bound to the bit, for a search over ``mu`` (the budget multiplier's
    golden-section search calls it ~65 times; on 100,000 creators that was 1 s per MILP solve, a
    report's budget curve solves 6 of them)."""
    pi = np.maximum(np.asarray(pi, dtype=float), 0.0)
    cells = _cell_term(p, pi)
    levels = np.arange(p.max_level + 1)
    hired = (levels > 0).astype(float)[:, None]
    # (levels, creators): each level's value before the rows' prices, -inf where not allowed (the
    # prices are finite, so such entries stay -inf), and its spend.
    base = np.stack([p.linear_value(np.full(p.n, n)) + p.weight(n) * link for n in levels])
    base[levels[:, None] > p.cap[None, :]] = -np.inf
    base[0, p.must] = -np.inf
    spend = np.stack([p.price * n + p.fee * hired[n, 0] for n in levels])
    feasible = bool(np.isfinite(base.max(axis=0)).all())  # else a must_include creator cannot be hired
    rhs = np.array([r.rhs for r in p.rows])

    def bound(mu: np.ndarray) -> float:
        if not feasible:
            return -np.inf
        mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
        per_cost, per_hire = _row_prices(p, mu)
        best = (base - per_cost * spend - per_hire * hired).max(axis=0)
        return cells + float(best.sum()) + float(mu @ rhs)

    return bound


def dual_multipliers(problem: Problem, pi0: np.ndarray, mu0: np.ndarray, scale: float,
                     rounds: tuple[float, ...] = (1e-2, 1e-3, 1e-4), maxiter: int = 150,
                     enough: float = -np.inf, deadline: float | None = None,
                     stats: dict | None = None) -> LagrangeBound:
    """Minimise ``L(pi, mu)`` (the Lagrangian dual) in NumPy, from a starting point.

    ``L`` is convex but not smooth (each creator takes its best post level); a log-sum-exp
    over the levels with temperature ``tau * scale / n`` smooths it, and L-BFGS-B minimises the
    smoothed function for decreasing ``tau`` (continuation). Whatever the smoothing, the bound
    returned is the exact ``L`` at the multipliers found, so it is valid; the dual's optimum is the
    LP relaxation with the true curve (each creator's chain of post levels is integral), i.e. what
    the outer-approximation LP reaches with infinitely many tangents, without a simplex solve on
    the dense creator x cell block (issue 12: 169 s and unfinished at 10,000 x 240 x 10 posts).
    """
    import time

    from scipy.optimize import minimize

    p = problem
    n_cells = len(p.population) if p.w_reach else 0
    a = p.w_reach * p.population if n_cells else np.zeros(0)
    levels = np.arange(p.max_level + 1)
    lin = np.stack([p.linear_value(np.full(p.n, k)) for k in levels], axis=1)
    wts = p.weight(levels)
    hired = (levels > 0).astype(float)
    cost = p.price[:, None] * levels[None, :] + p.fee[:, None] * hired[None, :]
    allowed = levels[None, :] <= p.cap[:, None]
    allowed[p.must, 0] = False
    members = [row_members(p, r) for r in p.rows]
    rhs = np.array([r.rhs for r in p.rows])
    signs = np.array([r.sign for r in p.rows])
    is_cost = np.array([r.kind == "cost" for r in p.rows])
    live = np.flatnonzero(allowed[:, 1:].any(axis=1))  # creators with a choice; the rest give lin[:, 0] = 0
    # Copies restricted to those creators, made once (fancy indexing copies the dense block).
    load, lin, cost, allowed = p.load[live], lin[live], cost[live], allowed[live]
    members_live = [m[live] for m in members]
    stats = {} if stats is None else stats
    stats["evaluations"] = 0
    # Scaled variables: pi = a * u (u in [0, 1]: a larger pi never lowers L), mu = mscale * v.
    one = np.maximum(p.price + p.fee, 1e-12)
    mscale = np.full(len(p.rows), max(float(np.abs(mu0).max(initial=0.0)), 1e-12))
    for k, r in enumerate(p.rows):
        if r.kind == "hire":
            mscale[k] = max(float(np.median(p.price[members[k]] if members[k].any() else one)) * mscale[k], 1e-12)

    def unpack(z):
        return a * z[:n_cells], mscale * z[n_cells:]

    def evaluate(z, tau):
        stats["evaluations"] += 1
        pi, mu = unpack(z)
        per_cost = np.zeros(len(live))
        per_hire = np.zeros(len(live))
        for k, m in enumerate(mu):
            if m:
                (per_cost if is_cost[k] else per_hire)[members_live[k]] += m * signs[k]
        link = load @ pi if n_cells else np.zeros(len(live))
        v = (lin + wts[None, :] * link[:, None] - per_cost[:, None] * cost
             - per_hire[:, None] * hired[None, :])
        v = np.where(allowed, v, -np.inf)
        top = v.max(axis=1)
        if tau > 0:
            e = np.exp((v - top[:, None]) / tau)
            s = e.sum(axis=1)
            creators = float((top + tau * np.log(s)).sum())
            prob = e / s[:, None]
        else:
            creators = float(top.sum())
            prob = (v == top[:, None]).astype(float)
            prob /= prob.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(pi < a, np.log(np.maximum(a, 1e-300) / np.maximum(pi, 1e-300)), 0.0)
        cells = float(np.where(pi < a, a - pi - pi * x, 0.0).sum())
        value = cells + creators + float(mu @ rhs)
        g_pi = (load.T @ (prob @ wts) - x) if n_cells else np.zeros(0)
        g_mu = rhs.copy()
        for k in range(len(mu)):
            use = (prob * cost).sum(axis=1) if is_cost[k] else prob[:, 1:].sum(axis=1)
            g_mu[k] -= signs[k] * float(use[members_live[k]].sum())
        grad = np.concatenate([g_pi * a, g_mu * mscale])
        return value / scale, grad / scale

    z = np.concatenate([np.clip(np.asarray(pi0, float) / np.maximum(a, 1e-300), 0, 1) if n_cells else np.zeros(0),
                        np.maximum(np.asarray(mu0, float), 0) / mscale])
    bounds = [(0.0, 1.0)] * n_cells + [(0.0, None)] * len(p.rows)
    best = lagrangian(p, *unpack(z))
    state = {"iter": 0}

    def check(zk):
        # Every few iterations, the exact bound at the current point: stop once it is enough
        # (it certifies the incumbent) or time is up. Any point gives a valid bound.
        nonlocal best
        state["iter"] += 1
        if deadline is not None and time.perf_counter() > deadline:
            raise StopIteration
        if state["iter"] % 10 == 0:
            cand = lagrangian(p, *unpack(zk))
            if cand.bound < best.bound:
                best = cand
            if best.bound <= enough:
                raise StopIteration

    for tau in rounds:
        if best.bound <= enough or (deadline is not None and time.perf_counter() > deadline):
            break
        t = tau * scale / max(len(live), 1)
        res = minimize(evaluate, z, args=(t,), jac=True, method="L-BFGS-B", bounds=bounds,
                       callback=check, options={"maxiter": maxiter})
        z = res.x
        cand = lagrangian(p, *unpack(z))
        if cand.bound < best.bound:
            best = cand
    return best
