"""One MILP description (optimizer/milp_model.py), two thin adapters: HiGHS and CBC get the same arrays."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.greedy import greedy_solution
from optimizer.highs_model import HighsModel
from optimizer.milp_model import INF
from optimizer.problem import Problem
from optimizer.pulp_model import PulpModel
from optimizer.synthetic import random_scenario

SCALE = 1000.0


@pytest.fixture(scope="module")
def problem():
    sc = random_scenario(30, 41, budget_share=0.1, locations=3,
                         constraints={"min_count": {"micro": 2}, "max_budget_share": {"mid": 0.4}})
    return Problem.build(sc)


def build(problem, rows=None):
    rows = np.arange(problem.n) if rows is None else rows
    models = HighsModel(problem, rows, SCALE), PulpModel(problem, rows, SCALE)
    cells = np.arange(len(problem.cells))
    for m in models:
        m.add_tangents(np.repeat(cells, 3), np.tile([0.0, 0.1, 1.0], len(cells)))
    return models


def test_highs_receives_the_description(problem):
    h, _ = build(problem)
    d = h.model
    assert d.reach and d.n_cuts == 3 * len(problem.cells) and h.n_cuts == d.n_cuts
    lp = h.h.getLp()
    assert (lp.num_col_, lp.num_row_) == (d.layout.n_col, d.rows.n)
    for got, want in [(lp.col_cost_, d.cost), (lp.col_lower_, d.lower), (lp.col_upper_, d.upper),
                      ((lp.row_lower_, lp.row_upper_), d.rows.bounds())]:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert [int(v) for v in lp.integrality_] == d.integrality.astype(int).tolist()
    m = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    a = (sp.csc_matrix((m.value_, m.index_, m.start_), shape=shape) if m.format_ == highspy.MatrixFormat.kColwise
         else sp.csr_matrix((m.value_, m.index_, m.start_), shape=shape))
    assert (a != d.rows.matrix(d.layout.n_col)).nnz == 0


def test_cbc_receives_the_description(problem):
    _, c = build(problem)
    d = c.model
    assert [v.name for v in c.columns] == d.column_names()
    assert [v.lowBound for v in c.columns] == d.lower.tolist()
    assert [INF if v.upBound is None else v.upBound for v in c.columns] == d.upper.tolist()
    assert [v.cat == "Integer" for v in c.columns] == d.integrality.tolist()
    column = {v.name: j for j, v in enumerate(c.columns)}
    objective = np.zeros(d.layout.n_col)
    for v, coef in c.prob.objective.items():
        objective[column[v.name]] = coef
    np.testing.assert_array_equal(objective, -d.cost)
    # Every row is one constraint here (no empty or ranged rows): the same coefficients and bounds.
    constraints = c.prob.constraints()
    assert len(constraints) == d.rows.n and c.n_cuts == d.n_cuts
    a = np.zeros((d.rows.n, d.layout.n_col))
    low, high = np.full(d.rows.n, -INF), np.full(d.rows.n, INF)
    for con in constraints:
        j = int(con.name.removeprefix("row_"))
        for v, coef in con.items():
            a[j, column[v.name]] = coef
        if con.sense != 1:  # <= or =
            high[j] = -con.constant
        if con.sense != -1:  # >= or =
            low[j] = -con.constant
    np.testing.assert_array_equal(a, d.rows.matrix(d.layout.n_col).toarray())
    np.testing.assert_array_equal(low, d.rows.bounds()[0])
    np.testing.assert_array_equal(high, d.rows.bounds()[1])


def test_both_adapters_solve_to_the_same_value(problem):
    h, c = build(problem)
    a, b = h.solve_mip(0.0, None), c.solve_mip(0.0, None)
    assert a["status"] == "Optimal" and b["status"] == "Optimal"
    assert b["bound"] == pytest.approx(a["bound"], rel=1e-7)  # the OA optimum, in original units
    assert np.array_equal(a["posts"], b["posts"])
    # Warm-started from greedy's plan: the same optimum again.
    warm = greedy_solution(problem)[0]
    b2 = c.solve_mip(0.0, None, warm=warm)
    assert b2["bound"] == pytest.approx(a["bound"], rel=1e-7)


def test_both_adapters_see_an_empty_infeasible_row(problem):
    """Without any micro creator the ``min_count micro = 2`` row has no entry and excludes 0."""
    micro = problem.scenario.tiers.names.index("micro")
    rows = np.flatnonzero(problem.tier != micro)
    h, c = build(problem, rows)
    assert c.infeasible
    assert h.solve_mip(0.0, None)["infeasible"] and c.solve_mip(0.0, None)["infeasible"]
