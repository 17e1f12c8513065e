"""The same outer-approximation MILP as ``highs_model``, built with PuLP and solved by CBC.

Used with ``solver="cbc"`` (slower than highspy on large pools: PuLP builds Python expressions).
CBC through PuLP does not report its best bound, so the bound used is the one its stopping rule
implies: with relative gap ``g``, an optimal stop means no plan of the model is worth more than
``value / (1 - g)``; a time-limited stop proves nothing here (the Lagrangian bound remains).
"""

from __future__ import annotations

import warnings

import numpy as np
import pulp

from .highs_model import tangent
from .problem import Problem, row_members


class PulpModel:
    def __init__(self, problem: Problem, rows: np.ndarray, scale: float, must: np.ndarray | None = None):
        self.p, self.scale = problem, float(scale)
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[problem.cap[rows] > 0]
        self.rows = rows
        must = problem.must if must is None else must
        self.reach = bool(problem.w_reach) and len(problem.cells) > 0
        prob = pulp.LpProblem("reachmix", pulp.LpMaximize)
        self.y: list[list[pulp.LpVariable]] = []
        objective = []
        for j, i in enumerate(rows):
            levels = []
            for k in range(1, int(problem.cap[i]) + 1):
                v = prob.add_variable(f"y_{i}_{k}", cat="Binary")
                levels.append(v)
                value = problem.w_impr * problem.rho ** (k - 1) * problem.impressions[i] + problem.w_eng * problem.engagements[i]
                if value:
                    objective.append((v, value / scale))
                if k >= 2:
                    prob += v <= levels[-2]
            if must[i]:
                prob += levels[0] >= 1
            self.y.append(levels)
        self.x, self.r = [], []
        if self.reach:
            w = []
            for j, i in enumerate(rows):
                wj = prob.add_variable(f"w_{i}", lowBound=0)
                prob += wj == pulp.lpSum(problem.rho ** k * v for k, v in enumerate(self.y[j]))
                w.append(wj)
            for s in range(len(problem.cells)):
                xs = prob.add_variable(f"x_{s}", lowBound=0)
                rs = prob.add_variable(f"r_{s}", lowBound=0, upBound=1)
                loads = problem.load[rows, s]
                nz = np.flatnonzero(loads)
                prob += xs <= pulp.LpAffineExpression([(w[j], float(loads[j])) for j in nz])
                objective.append((rs, problem.w_reach * problem.population[s] / scale))
                self.x.append(xs)
                self.r.append(rs)
        prob += pulp.LpAffineExpression(objective)
        for r in problem.rows:
            members = row_members(problem, r)
            terms = []
            for j, i in enumerate(rows):
                if not members[i]:
                    continue
                for k, v in enumerate(self.y[j]):
                    coef = (problem.price[i] + (problem.fee[i] if k == 0 else 0.0)) if r.kind == "cost" else float(k == 0)
                    if coef:
                        terms.append((v, r.sign * coef))
            if terms:
                prob += pulp.LpAffineExpression(terms) <= r.rhs, r.label.replace(" ", "_")
        self.prob = prob
        self.n_cuts = 0

    def add_tangents(self, cells: np.ndarray, points: np.ndarray) -> None:
        if not self.reach:
            return
        slope, intercept = tangent(np.asarray(points, dtype=float))
        for s, a, b in zip(cells, slope, intercept):
            self.prob += self.r[s] <= float(a) * self.x[s] + float(b)
            self.n_cuts += 1

    def solve_mip(self, gap: float, time_limit: float | None, warm: np.ndarray | None = None,
                  on_plan=None, stop=None):  # CBC has no callbacks through PuLP: hooks unused
        if warm is not None:
            for j, i in enumerate(self.rows):
                for k, v in enumerate(self.y[j]):
                    v.setInitialValue(1 if k < warm[i] else 0)
        with warnings.catch_warnings():
            # PuLP 3.x deprecates its bundled CBC in favour of COIN_CMD with a separately installed
            # binary; the bundled one is what a plain "pip install pulp" provides, so keep it.
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, gapRel=float(gap), timeLimit=time_limit, warmStart=warm is not None)
        self.prob.solve(solver)
        status = pulp.LpStatus[self.prob.status]
        posts = None
        if self.prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            posts = np.zeros(self.p.n, dtype=np.int64)
            for j, i in enumerate(self.rows):
                posts[i] = sum(int(round(v.value() or 0)) for v in self.y[j])
        optimal = self.prob.sol_status == pulp.LpSolutionOptimal
        value = pulp.value(self.prob.objective) if posts is not None else None
        bound = value * self.scale / (1.0 - gap) if optimal and value is not None and gap < 1 else np.inf
        if optimal and value is not None and value < 0:
            bound = value * self.scale * (1.0 - gap)
        return {"status": status, "posts": posts, "bound": bound, "nodes": 0,
                "infeasible": status == "Infeasible", "time_limit": posts is not None and not optimal}
