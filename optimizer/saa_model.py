"""Pieces shared by the sample-average MILPs (``kpi.py``: KPI probabilities, ``risk.py``: CVaR and
quantiles): the row accumulator of ``milp_model`` extended with the plan's own rows (post order,
coupling rules, spend limits), the target-reach rows (cell loads and tangents of ``1 - exp(-x)``)
and the HiGHS export, and one guarded HiGHS run.
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np
import scipy.sparse as sp

from . import milp_model
from .highs_model import INF, highs_lp, new_highs
from .milp_model import tangent
from .problem import Problem


class Rows(milp_model.Rows):
    """``milp_model.Rows`` (the reach MILP's accumulator) with the SAA models' own rows and their
    HiGHS export."""

    def plan_rules(self, problem: Problem, cols) -> None:
        """``y[i,k] <= y[i,k-1]`` and the coupling rules (budget, tier shares and counts) on ``cols``."""
        self.order(cols.level)
        self.coupling(problem, np.asarray(cols.rows), cols.owner, cols.level)
        if getattr(cols, "limits", None) is not None:
            a = sp.coo_matrix(cols.limits[0])
            self.add(a.row, a.col, a.data, np.full(a.shape[0], -INF), cols.limits[1])

    def reach(self, loads: np.ndarray, x0: int, r0: int, tangents) -> None:
        """``x[m,s] <= sum_col load[m,col,s] y[col]`` and ``r[m,s] - slope x[m,s] <= intercept`` for
        every array of tangent points in ``tangents`` (one point per (m, s))."""
        m_draws, n_y, cells = loads.shape
        n = m_draws * cells
        block = sp.coo_matrix(loads.transpose(0, 2, 1).reshape(n, n_y))
        self.add(np.r_[np.arange(n), block.row], np.r_[x0 + np.arange(n), block.col],
                 np.r_[np.ones(n), -block.data], np.full(n, -INF), np.zeros(n))
        for points in tangents:
            slope, intercept = tangent(points)
            self.add(np.r_[np.arange(n), np.arange(n)], np.r_[r0 + np.arange(n), x0 + np.arange(n)],
                     np.r_[np.ones(n), -slope], np.full(n, -INF), intercept)

    def lp(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, integer: np.ndarray) -> highspy.HighsLp:
        """The minimisation ``cost . x`` over these rows as a HiGHS model."""
        return highs_lp(cost, lower, upper, self, integer)


def run(lp: highspy.HighsLp, *, time_limit: float | None, warm: np.ndarray | None, reach: bool,
        rel_gap: float, abs_gap: float):
    """Solve ``lp``; returns (column values or None, status, minimised objective's dual bound).

    HiGHS 1.16's RINS/RENS sub-MIPs run a presolve (strengthenInequalities) that ignores the time
    limit and took over 10 minutes on a dense target-reach block (measured with py-spy on a
    300-creator scenario): they are off (local search or the warm start supply incumbents), the
    top-level presolve is off on target-reach models (as in highs_model), and a wall-clock watchdog
    backs HiGHS's own limit.
    """
    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.setOptionValue("time_limit", float(time_limit) if time_limit else INF)
    h.setOptionValue("mip_heuristic_run_rins", False)
    h.setOptionValue("mip_heuristic_run_rens", False)
    if reach:
        h.setOptionValue("presolve", "off")
    h.passModel(lp)
    if warm is not None:
        sol = highspy.HighsSolution()
        sol.col_value = warm
        sol.value_valid = True
        h.setSolution(sol)
    deadline = None if not time_limit else time.perf_counter() + float(time_limit) + 1.0

    def interrupt(e):
        if deadline is not None and time.perf_counter() > deadline:
            e.interrupt()

    h.cbMipInterrupt.subscribe(interrupt)
    try:
        h.run()
    finally:
        h.cbMipInterrupt.unsubscribe(interrupt)
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return None, status, math.inf
    return np.asarray(h.getSolution().col_value), status, float(info.mip_dual_bound)
