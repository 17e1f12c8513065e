"""The HiGHS adapter (highspy) of the outer-approximation MILP described in ``milp_model``.

The description's arrays go to HiGHS as one column-wise matrix (``passModel``), tangents as new
rows (``addRows``). What only this adapter adds: the LP relaxation with its duals (primal simplex),
warm starts through ``setSolution``, callbacks that score every improving plan and interrupt the
search once the caller's stopping rule holds, and the solver options below.
"""

from __future__ import annotations

import os

import highspy
import numpy as np

from .milp_model import INF, MilpModel, Rows
from .problem import Problem

__all__ = ["INF", "HighsModel", "highs_lp", "new_highs"]  # INF: kpi.py and risk.py import it here


def highs_lp(cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: Rows,
             integrality: np.ndarray | None, offset: float = 0.0) -> highspy.HighsLp:
    """The minimisation ``offset + cost . x`` over ``rows`` as a HiGHS model (integrality: bool per
    column, None for a pure LP)."""
    n_col = cost.size
    a = rows.matrix(n_col, "csc")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, rows.n
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.offset_ = float(offset)
    lp.row_lower_, lp.row_upper_ = rows.bounds()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.sense_ = highspy.ObjSense.kMinimize
    if integrality is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                           for v in integrality]
    return lp


class HighsModel:
    """``MilpModel(problem, rows, scale, must)`` in a ``highspy.Highs`` instance (``self.h``)."""

    def __init__(self, problem: Problem, rows: np.ndarray, scale: float, must: np.ndarray | None = None,
                 integer: bool = True, threads: int | None = None, fixed: np.ndarray | None = None):
        self.model = m = MilpModel(problem, rows, scale, must, fixed)
        self.p, self.scale, self.layout, self.reach = problem, m.scale, m.layout, m.reach
        self.integrality = m.integrality.astype(np.int64)
        lp = highs_lp(m.cost, m.lower, m.upper, m.rows, m.integrality if integer else None, m.offset)
        self.h = new_highs()
        if threads:
            self.h.setOptionValue("threads", int(threads))
        self.h.passModel(lp)

    @property
    def n_cuts(self) -> int:
        return self.model.n_cuts

    # --- cuts --------------------------------------------------------------------------------
    def add_tangents(self, cells: np.ndarray, points: np.ndarray) -> None:
        b = self.model.add_tangents(cells, points)
        if b is not None:
            self.h.addRows(len(b.lower), b.lower, b.upper, len(b.value), b.start.astype(np.int32),
                           b.index.astype(np.int32), b.value)

    # --- solutions ---------------------------------------------------------------------------
    def posts_of(self, col_value: np.ndarray) -> np.ndarray:
        return self.model.posts_of(col_value)

    def columns_of(self, posts: np.ndarray) -> np.ndarray:
        """A full column vector for a plan (for warm starts)."""
        return self.model.columns_of(posts)

    def solve_lp(self, time_limit: float | None = None):
        """Solve the LP relaxation; return (objective in original units, pi, mu)."""
        lay = self.layout
        self.h.changeColsIntegrality(lay.n_col, np.arange(lay.n_col, dtype=np.int32),
                                     np.zeros(lay.n_col, dtype=np.uint8))
        self._limit(time_limit)
        # Primal simplex: the empty plan is a feasible start (all y = 0 meets every upper rule),
        # and it solves these LPs 2-3x faster than the default dual simplex (measured: 5,000
        # creators 1.7 s -> 0.6 s).
        self.h.setOptionValue("simplex_strategy", 4)
        self.h.run()
        sol = self.h.getSolution()
        dual = np.asarray(sol.row_dual)
        n_cells = lay.r0 - lay.x0 if self.reach else 0
        # HiGHS minimises -objective/scale: the duals of "<=" rows are <= 0; the multipliers of
        # the maximisation are their negatives, rescaled to original units.
        pi = -dual[lay.cell_row0: lay.cell_row0 + n_cells] * self.scale
        mu = -dual[lay.coupling_row0: lay.coupling_row0 + len(self.p.rows)] * self.scale
        value = -self.h.getInfo().objective_function_value * self.scale
        status = self.h.modelStatusToString(self.h.getModelStatus())
        self.h.changeColsIntegrality(lay.n_col, np.arange(lay.n_col, dtype=np.int32),
                                     self.integrality.astype(np.uint8))
        return value, pi, mu, status, np.asarray(sol.col_value)

    def solve_mip(self, gap: float, time_limit: float | None, warm: np.ndarray | None = None,
                  on_plan=None, stop=None):
        """Solve the MIP to ``gap``; ``on_plan(posts)`` sees every improving solution and
        ``stop(bound)`` (bound in original units) may end the search early, e.g. as soon as the
        bound certifies the *true* objective's gap, which the OA's own gap cannot know."""
        h = self.h
        h.setOptionValue("mip_rel_gap", float(gap))
        if self.reach:
            # HiGHS's presolve spends seconds on the dense creator x cell block (3 s of a 4.5 s
            # root at 3,300 creators) and removes little; linear (knapsack) models need it.
            h.setOptionValue("presolve", "off")
        self._limit(time_limit)
        if warm is not None:
            sol = highspy.HighsSolution()
            sol.col_value = self.columns_of(warm)
            sol.value_valid = True
            h.setSolution(sol)
        seen = {"bound": INF}

        def improving(e):
            on_plan(self.posts_of(np.asarray(e.data_out.mip_solution)))

        def interrupt(e):
            # ``stop`` is checked on every call (a few float operations): an improving plan
            # found since the last call may end the search as well as a better bound.
            seen["bound"] = min(seen["bound"], -e.data_out.mip_dual_bound * self.scale)
            if stop(seen["bound"]):
                e.interrupt()

        hooks = [(h.cbMipImprovingSolution, improving, on_plan), (h.cbMipInterrupt, interrupt, stop)]
        hooks = [(event, fn) for event, fn, user in hooks if user is not None]
        for event, fn in hooks:
            event.subscribe(fn)
        try:
            h.run()
        finally:
            for event, fn in hooks:
                event.unsubscribe(fn)
        status = h.getModelStatus()
        info = h.getInfo()
        name = h.modelStatusToString(status)
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        posts = self.posts_of(np.asarray(h.getSolution().col_value)) if has_solution else None
        # Both are valid bounds of the OA; keep the tighter.
        bound = min(-info.mip_dual_bound * self.scale, seen["bound"])
        return {"status": name, "posts": posts, "bound": bound, "nodes": int(info.mip_node_count),
                "infeasible": status == highspy.HighsModelStatus.kInfeasible,
                "time_limit": status == highspy.HighsModelStatus.kTimeLimit}

    def _limit(self, time_limit: float | None) -> None:
        self.h.setOptionValue("time_limit", float(time_limit) if time_limit else INF)


_BANNER_SHOWN = False
#: The process whose HiGHS scheduler is live (None until the first solve).
_SCHEDULER_PID: int | None = None


def new_highs() -> "highspy.Highs":
    """A silent ``Highs`` instance.

    HiGHS prints a copyright banner to the process's stdout (C level, before any option can be
    set) the first time one is created; that would corrupt ``--format json`` on stdout, so the
    first construction runs with file descriptor 1 pointed at /dev/null.
    """
    global _BANNER_SHOWN, _SCHEDULER_PID
    pid = os.getpid()
    if _SCHEDULER_PID is not None and _SCHEDULER_PID != pid:
        # A forked child (scenarios/processes.py's workers) inherits HiGHS's global thread scheduler
        # without its threads: the next parallel solve then spins for ever (measured: a MILP that
        # takes 4 s hung past 60 s after the parent had solved one). Rebuild it once per process.
        highspy.Highs.resetGlobalScheduler(False)  # not blocking: the old threads do not exist here
    _SCHEDULER_PID = pid
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h

