"""The CBC adapter (PuLP) of the outer-approximation MILP described in ``milp_model``.

Used with ``solver="cbc"`` (``--solver cbc`` on the command line, contract section 5): slower than
highspy on large pools, since PuLP builds one Python expression per row. The adapter is generic:
one PuLP variable per column (name, bounds and integrality from the description) and one
constraint per row of its CSR matrix, tangents as further rows; it adds only a CBC warm start
(``mipstart``) and the bound below.
CBC through PuLP does not report its best bound, so the bound used is the one its stopping rule
implies: with relative gap ``g``, an optimal stop means no plan of the model is worth more than
``value / (1 - g)``; a time-limited stop proves nothing here (the Lagrangian bound remains).
"""

from __future__ import annotations

import warnings

import numpy as np
import pulp

from .milp_model import INF, MilpModel
from .problem import Problem


class PulpModel:
    """``MilpModel(problem, rows, scale, must)`` as a PuLP problem (``self.prob``, maximising
    ``-cost``); ``self.columns[j]`` is the variable of column j."""

    def __init__(self, problem: Problem, rows: np.ndarray, scale: float, must: np.ndarray | None = None):
        self.model = m = MilpModel(problem, rows, scale, must)
        self.p, self.scale, self.layout, self.reach = problem, m.scale, m.layout, m.reach
        self.prob = pulp.LpProblem("reachmix", pulp.LpMaximize)
        self.columns = [self.prob.add_variable(name, lowBound=float(lo), upBound=float(up) if up < INF else None,
                                               cat="Integer" if integer else "Continuous")
                        for name, lo, up, integer in zip(m.column_names(), m.lower, m.upper, m.integrality)]
        self.prob += pulp.LpAffineExpression([(v, -float(c)) for v, c in zip(self.columns, m.cost) if c])
        #: An empty row whose bounds exclude 0 (e.g. a tier minimum with no eligible member).
        self.infeasible = False
        a = m.rows.matrix(m.layout.n_col, "csr")
        self._add_rows(0, a.indptr, a.indices, a.data, *m.rows.bounds())

    @property
    def n_cuts(self) -> int:
        return self.model.n_cuts

    def _add_rows(self, first: int, start, index, value, low, high) -> None:
        """Rows ``first``, ``first + 1``, ... in CSR form (``start`` with its end marker), named
        ``row_{j}`` (a row with both bounds, lower != upper, becomes ``row_{j}_lo`` and ``row_{j}_hi``)."""
        for j, (lo, hi) in enumerate(zip(low, high)):
            terms = [(self.columns[c], float(v)) for c, v in zip(index[start[j]: start[j + 1]],
                                                                  value[start[j]: start[j + 1]]) if v]
            if not terms:
                self.infeasible |= bool(lo > 0 or hi < 0)
                continue
            expr, name = pulp.LpAffineExpression(terms), f"row_{first + j}"
            if lo == hi:
                self.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, float(hi)))
                continue
            ranged = lo > -INF and hi < INF
            if hi < INF:
                self.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, name + ("_hi" if ranged else ""),
                                                          float(hi)))
            if lo > -INF:
                self.prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, name + ("_lo" if ranged else ""),
                                                          float(lo)))

    def add_tangents(self, cells: np.ndarray, points: np.ndarray) -> None:
        b = self.model.add_tangents(cells, points)
        if b is not None:
            self._add_rows(self.model.rows.n - len(b.lower), np.r_[b.start, len(b.value)], b.index, b.value,
                           b.lower, b.upper)

    def solve_mip(self, gap: float, time_limit: float | None, warm: np.ndarray | None = None,
                  on_plan=None, stop=None):  # CBC has no callbacks through PuLP: hooks unused
        if self.infeasible:
            return {"status": "Infeasible", "posts": None, "bound": np.inf, "nodes": 0, "infeasible": True,
                    "time_limit": False}
        if warm is not None:
            # Every column (PuLP writes each variable's value to CBC's mipstart file); bounds are
            # not checked here: CBC checks the whole start.
            for v, value, integer in zip(self.columns, self.model.columns_of(warm), self.model.integrality):
                v.varValue = int(round(value)) if integer else float(value)
        with warnings.catch_warnings():
            # PuLP 3.x deprecates its bundled CBC in favour of COIN_CMD with a separately installed
            # binary; the bundled one is what a plain "pip install pulp" provides, so keep it.
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, gapRel=float(gap), timeLimit=time_limit, warmStart=warm is not None)
        self.prob.solve(solver)
        status = pulp.LpStatus[self.prob.status]
        posts = None
        if self.prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            posts = self.model.posts_of(np.array([v.value() or 0.0 for v in self.columns]))
        optimal = self.prob.sol_status == pulp.LpSolutionOptimal
        value = pulp.value(self.prob.objective) if posts is not None else None
        bound = value * self.scale / (1.0 - gap) if optimal and value is not None and gap < 1 else np.inf
        if optimal and value is not None and value < 0:
            bound = value * self.scale * (1.0 - gap)
        return {"status": status, "posts": posts, "bound": bound, "nodes": 0,
                "infeasible": status == "Infeasible", "time_limit": posts is not None and not optimal}
