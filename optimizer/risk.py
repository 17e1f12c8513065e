"""Risk-aware choice of posts: maximise a low quantile (VaR) or the CVaR of the objective metric over
M seeded draws, instead of its mean (issue 11; docs/optimizer.md, "Risk-aware objectives").

The draws are those of the KPI objective (``optimizer/kpi.py``; a ``KpiSample`` whose target is
unused): ``v_m(y)``, the metric in draw m, is ``sum_col g[m,col] y[col]`` for a sum over posts
(engagements, target impressions) and ``sum_s N_s r[m,s]`` for target reach, with
``x[m,s] <= sum_col load[m,col,s] y[col]`` and ``r[m,s]`` below tangents of ``1 - exp(-x)``. The
``y`` columns, the coupling rules and ``must_include`` are exactly those of the KPI MILP.

* CVaR (Rockafellar-Uryasev): maximise ``eta - 1/(alpha M) sum_m u_m`` with ``u_m >= eta - v_m``,
  ``u_m >= 0``. At the optimum ``eta`` is the alpha-quantile and the objective the mean of the worst
  ``alpha M`` draws (a fractional weight on the next draw when ``alpha M`` is not whole: ``cvar_of``).
* Quantile: maximise ``eta`` with binary ``z_m`` (draw m counts), ``sum_m z_m >= M - floor(alpha M)``
  and ``v_m >= eta - U (1 - z_m)``. ``U`` is a valid bound on ``eta`` from the data: buying every
  candidate post gives ``U_m >= v_m(y)`` in every draw, and ``eta <= v_m`` on at least
  ``M - floor(alpha M)`` draws, so ``eta <= U_(floor(alpha M)+1)``, the (floor(alpha M)+1)-th
  smallest ``U_m``; with ``v_m >= 0`` that constant makes a row with ``z_m = 0`` void. (A big-M
  free form ``v_m >= eta z_m`` is bilinear; this is its exact linearisation for 0 <= eta <= U.)

Values are scaled by ``U_max`` so coefficients are near 1. A tie-break worth at most
``TIE_BREAK_WEIGHT x U_max`` in total prefers the larger mean contribution among plans with the same
risk value (leftover budget is spent, not left idle). Tangents over-estimate reach, so after each
solve every draw and cell whose modelled reach exceeds the true one at the plan's loads gets a
tangent there and the model is solved again, until the modelled objective is within ``CUT_TOLERANCE``
of the true one. The value reported is always the true metric's (``risk_value``), and the plan is
never worse in-sample than the warm start (the reach-optimal plan).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .highs_model import INF
from .kpi import START_TANGENTS, Columns, KpiSample
from .problem import Problem
from .saa_model import Rows, run

#: The risk measures (``[objective] risk.measure``).
MEASURES = ("quantile", "cvar")
#: Share of ``U_max`` the whole tie-break (mean contribution of the chosen columns) may be worth.
TIE_BREAK_WEIGHT = 1e-5
#: The cutting-plane loop stops when the modelled objective exceeds the true one by at most this
#: share of ``U_max``; and after ``MAX_CUT_ROUNDS`` rounds in any case.
CUT_TOLERANCE = 1e-6
MAX_CUT_ROUNDS = 30


def _whole(x: float) -> int:
    """floor(x), robust to ``0.1 * 30 = 3.0000000000000004``-style rounding."""
    return int(math.floor(x + 1e-9))


def quantile_of(values, level: float) -> float:
    """The largest value that all but ``floor(level M)`` of the M draws reach: the
    ``(floor(level M) + 1)``-th smallest (the quantile the MILP maximises)."""
    v = np.sort(np.asarray(values, dtype=float))
    return float(v[min(v.size - 1, _whole(level * v.size))])


def cvar_of(values, level: float) -> float:
    """The mean of the worst ``level`` share of the draws (Rockafellar-Uryasev): the worst
    ``floor(level M)`` at full weight and the next at the fractional rest."""
    v = np.sort(np.asarray(values, dtype=float))
    k = level * v.size
    full = min(v.size, _whole(k))
    rest = max(0.0, k - full) if full < v.size else 0.0
    return float((v[:full].sum() + rest * (v[full] if full < v.size else 0.0)) / k)


def risk_value(values, measure: str, level: float) -> float:
    if measure == "cvar":
        return cvar_of(values, level)
    if measure == "quantile":
        return quantile_of(values, level)
    raise ValueError(f"unknown risk measure {measure!r}; use one of {', '.join(MEASURES)}")


@dataclass(frozen=True)
class RiskSolution:
    posts: np.ndarray
    y: np.ndarray
    #: The risk measure of the final plan over the M draws, with the true metric.
    value: float
    #: The solver's proven upper bound on it over the candidates (tangents over-estimate reach, so
    #: it holds for the true metric too); ``inf`` when the solver found nothing.
    bound: float
    status: str
    cut_rounds: int
    seconds: float


class _Model:
    def __init__(self, problem: Problem, cols: Columns, sample: KpiSample, measure: str, level: float,
                 tangents: list[np.ndarray]):
        m_draws, n_y = sample.draws, cols.n
        self.sample, self.measure, self.level, self.n_y = sample, measure, level, n_y
        reach = sample.loads is not None
        cells = sample.loads.shape[2] if reach else 0
        # U_m: every candidate post bought (an upper bound on v_m(y) for every plan y).
        top = sample.values(np.ones(n_y))
        self.scale = max(float(top.max(initial=0.0)), 1e-12)
        k = _whole(level * m_draws)
        self.eta_upper = (float(np.sort(top)[min(k, m_draws - 1)]) if measure == "quantile"
                          else float(top.max(initial=0.0))) / self.scale
        self.eta = n_y
        self.w0 = n_y + 1  # u_m (cvar) or z_m (quantile)
        self.x0 = self.w0 + m_draws
        self.r0 = self.x0 + m_draws * cells
        col = self.r0 + m_draws * cells
        self.n_col = col
        # Tie-break: each column's mean contribution, in units of U_max, worth TIE_BREAK_WEIGHT in all.
        per_col = sample.gains.mean(axis=0) if not reach else np.einsum("mcs,s->c", sample.loads,
                                                                         sample.population) / m_draws
        tie = TIE_BREAK_WEIGHT * per_col / max(float(per_col.sum()), 1e-300)
        cost = np.zeros(col)
        cost[:n_y] = -tie
        cost[self.eta] = -1.0
        if measure == "cvar":
            cost[self.w0: self.w0 + m_draws] = 1.0 / (level * m_draws)
        lower, upper = np.zeros(col), np.full(col, INF)
        upper[:n_y] = 1.0
        upper[self.eta] = self.eta_upper
        if measure == "quantile":
            upper[self.w0: self.w0 + m_draws] = 1.0
        upper[self.r0: col] = 1.0
        rows, owner, level_of = np.asarray(cols.rows), cols.owner, cols.level
        lower[:n_y][(level_of == 1) & problem.must[rows][owner]] = 1.0
        out = Rows()
        out.plan_rules(problem, cols)  # y[i,k] <= y[i,k-1] and the coupling rules, as in kpi.py
        # One row per draw: v_m - eta + u_m >= 0 (cvar) or v_m - eta - U z_m >= -U (quantile).
        draw = np.arange(m_draws)
        if reach:
            v_rows = np.repeat(draw, cells)
            v_cols = self.r0 + np.arange(m_draws * cells)
            v_vals = np.tile(sample.population / self.scale, m_draws)
        else:
            g = sp.coo_matrix(sample.gains / self.scale)
            v_rows, v_cols, v_vals = g.row, g.col, g.data
        if measure == "cvar":
            w_val, low = np.ones(m_draws), np.zeros(m_draws)
        else:
            w_val, low = np.full(m_draws, -self.eta_upper), np.full(m_draws, -self.eta_upper)
        out.add(np.r_[v_rows, draw, draw], np.r_[v_cols, np.full(m_draws, self.eta), self.w0 + draw],
            np.r_[v_vals, -np.ones(m_draws), w_val], low, np.full(m_draws, INF))
        if measure == "quantile":
            out.add(np.zeros(m_draws), self.w0 + draw, np.ones(m_draws), [m_draws - k], [INF])
        if reach:  # cell loads and tangents r - slope x <= intercept
            out.reach(sample.loads, self.x0, self.r0, tangents)
        integer = np.zeros(col, dtype=bool)
        integer[:n_y] = True
        if measure == "quantile":
            integer[self.w0: self.w0 + m_draws] = True
        self.lp, self.cost = out.lp(cost, lower, upper, integer), cost

    def warm_vector(self, y: np.ndarray) -> np.ndarray:
        """Every column for the plan ``y`` with the true metric (feasible whenever ``y`` keeps the
        rules: true reach shares lie below every tangent)."""
        s = self.sample
        full = np.zeros(self.n_col)
        full[: self.n_y] = y
        v = s.values(y) / self.scale
        eta = min(quantile_of(v, self.level), self.eta_upper)
        full[self.eta] = eta
        m = s.draws
        full[self.w0: self.w0 + m] = np.maximum(0.0, eta - v) if self.measure == "cvar" else (v >= eta)
        if s.loads is not None:
            x = np.einsum("mcs,c->ms", s.loads, y).reshape(-1)
            full[self.x0: self.x0 + x.size] = x
            full[self.r0: self.r0 + x.size] = -np.expm1(-x)
        return full

    def modelled(self, full: np.ndarray) -> float:
        """The risk measure the model credits the solution ``full`` with (metric units)."""
        m = self.sample.draws
        value = full[self.eta]
        if self.measure == "cvar":
            value -= full[self.w0: self.w0 + m].sum() / (self.level * m)
        return float(value * self.scale)

    def solve(self, time_limit: float | None, warm: np.ndarray | None, gap: float):
        full, status, dual = run(self.lp, time_limit=time_limit, reach=self.sample.loads is not None, rel_gap=gap,
                                 abs_gap=TIE_BREAK_WEIGHT * 1e-2,
                                 warm=None if warm is None else self.warm_vector(warm))
        if full is None:
            return None, None, status, math.inf
        # -dual bound includes the tie-break (>= 0): still an upper bound on the risk measure.
        return np.rint(full[: self.n_y]), full, status, float(-dual * self.scale)


def solve_risk(problem: Problem, cols: Columns, sample: KpiSample, measure: str, level: float, *,
               time_limit: float | None = None, warm: np.ndarray | None = None, gap: float = 1e-6) -> RiskSolution:
    """The plan over the candidate columns ``cols`` maximising ``measure`` ("quantile" or "cvar") at
    ``level`` of the metric over the draws of ``sample``. ``warm``: a feasible posts array."""
    if measure not in MEASURES:
        raise ValueError(f"unknown risk measure {measure!r}; use one of {', '.join(MEASURES)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"risk level {level!r} must be in (0, 1)")
    start = time.perf_counter()
    cells = 0 if sample.loads is None else sample.loads.shape[2]
    tangents = [np.full(sample.draws * cells, t) for t in START_TANGENTS] if cells else []
    warm_y = None if warm is None else cols.of_posts(warm)
    y, status, bound, rounds = warm_y, "not solved", math.inf, 0
    while True:
        left = None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - start))
        model = _Model(problem, cols, sample, measure, level, tangents)
        y_new, full, status, bound = model.solve(left, y, gap)
        if y_new is None:
            break
        y = y_new
        if not cells or rounds >= MAX_CUT_ROUNDS:
            break
        true_value = risk_value(sample.values(y), measure, level)
        if model.modelled(full) - true_value <= CUT_TOLERANCE * model.scale:
            break
        x = np.einsum("mcs,c->ms", sample.loads, y).reshape(-1)
        over = full[model.r0: model.r0 + x.size] > -np.expm1(-x) + 1e-12
        if not over.any():
            break
        tangents.append(np.where(over, x, START_TANGENTS[-1]))
        rounds += 1
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status = "Time limit reached"
            break
    if y is None:
        y = np.zeros(cols.n)
    value = risk_value(sample.values(y), measure, level)
    if warm_y is not None:
        warm_value = risk_value(sample.values(warm_y), measure, level)
        if warm_value > value:  # a stop at the time limit must not lose the plan we started from
            y, value = warm_y, warm_value
    return RiskSolution(cols.posts(y, problem.n), y, value, max(bound, value), status, rounds,
                        time.perf_counter() - start)
