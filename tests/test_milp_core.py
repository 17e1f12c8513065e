"""The core problem (issue 12): a MILP that decides some creators while the others keep fixed
levels, checked against enumerating every plan of the free creators with the others pinned; and
the milp strategy, forced down the path that uses it, against brute force over every plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optimizer.milp as milp
from optimizer import optimize
from optimizer.highs_model import HighsModel
from optimizer.problem import Problem
from scenarios import ReachModel, violations

from test_optimizer_exact import brute_force, instance


def pinned_optimum(problem: Problem, free: np.ndarray, fixed: np.ndarray):
    """(best true value, plan) over every level of the ``free`` creators, the others at ``fixed``;
    feasibility by ``scenarios.violations`` (every rule of the contract), not by the MILP's rows."""
    best, best_plan = None, None
    for levels in itertools.product(*(range(int(problem.cap[i]) + 1) for i in free)):
        plan = fixed.copy()
        plan[free] = levels
        if violations(problem.model, plan):
            continue
        value = problem.value(plan)
        if best is None or value > best:
            best, best_plan = value, plan
    return best, best_plan


def split(problem: Problem, seed: int):
    """Free creators (3 of them) and a fixed level for each of the others, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero(problem.cap > 0)
    free = np.sort(rng.choice(eligible, size=min(3, len(eligible)), replace=False))
    fixed = np.where(rng.random(problem.n) < 0.5, 0, rng.integers(0, problem.cap + 1))
    fixed[free] = 0
    fixed[problem.cap == 0] = 0
    return free, fixed.astype(np.int64)


def solve_core(problem: Problem, free, fixed, points: int):
    """The core MILP solved to optimality, with ``points`` tangents per cell (a fine outer approximation)."""
    model = HighsModel(problem, free, 1.0, fixed=fixed)
    if model.reach:
        top = 3.0 * float(problem.cell_load(np.maximum(problem.cap, 0)).max(initial=1.0)) + 1.0
        grid = np.concatenate([[0.0], np.geomspace(1e-4, top, points)])
        n_cells = len(problem.population)
        model.add_tangents(np.repeat(np.arange(n_cells), len(grid)), np.tile(grid, n_cells))
    return model.solve_mip(0.0, None)


CASES = [s for s in range(40) if Problem.build(instance(s)).n >= 5][:24]


@pytest.mark.parametrize("seed", CASES)
def test_the_core_milp_is_the_best_plan_of_its_free_creators(seed):
    problem = Problem.build(instance(seed))
    free, fixed = split(problem, seed)
    best, _ = pinned_optimum(problem, free, fixed)
    res = solve_core(problem, free, fixed, points=400)
    if best is None:  # the fixed creators alone break a rule the free ones cannot repair
        assert res["infeasible"] or res["posts"] is None or violations(problem.model, res["posts"])
        return
    plan = res["posts"]
    assert np.array_equal(np.delete(plan, free), np.delete(fixed, free))  # the others keep their levels
    assert violations(problem.model, plan) == []
    value = problem.value(plan)
    if problem.is_linear:  # exact model: the optimum itself, and its bound includes the fixed value
        assert value == pytest.approx(best, rel=1e-9)
        assert res["bound"] == pytest.approx(best, rel=1e-6)
    else:  # outer approximation: its bound is above the optimum and its plan within its error
        assert res["bound"] >= best * (1 - 1e-9)
        assert value >= best * (1 - 1e-4)


def test_fixed_creators_use_the_budget_and_load_the_cells():
    problem = Problem.build(instance(3))
    free, fixed = split(problem, 3)
    model = HighsModel(problem, free, 1.0, fixed=fixed)
    plan = fixed.copy()
    plan[free] = np.minimum(problem.cap[free], 1)
    cols = model.columns_of(plan)
    lay = model.layout
    if model.reach:  # x is the total load, the fixed creators' included
        assert np.allclose(cols[lay.x0: lay.r0], problem.cell_load(plan))
    budget_row = lay.coupling_row0  # the budget is the first coupling row
    low, high = model.model.rows.bounds()
    assert high[budget_row] == pytest.approx(problem.rows[0].rhs - float(problem.cost(fixed).sum()))
    assert np.array_equal(model.posts_of(cols), plan)


@pytest.mark.slow
@pytest.mark.parametrize("seed", list(range(30)))
def test_the_milp_through_the_dual_and_the_core_matches_brute_force(seed, monkeypatch):
    # A block limit of 2 x cells sends even these small pools down the large-pool path: the NumPy
    # dual instead of the LP, then a core problem of 2 creators before the full MILP.
    sc = instance(seed)
    problem = Problem.build(sc)
    monkeypatch.setattr(milp, "LP_BLOCK_LIMIT", 2 * max(len(problem.cells), 1))
    best, _ = brute_force(sc)
    if best is None:
        return
    plan = optimize(sc, "milp", gap=1e-9)
    assert violations(ReachModel.build(sc), plan.posts) == []
    assert plan.objective_value == pytest.approx(best, rel=1e-6)
    assert plan.upper_bound >= best * (1 - 1e-9)
