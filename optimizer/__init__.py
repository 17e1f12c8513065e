"""reachmix's optimizer: strategies that choose posts per creator (contract sections 3-6).

Entry points the CLI uses: ``optimize``, ``min_budget_for_reach``, ``frontier``; strategies by
name with ``get_strategy``, configured once with ``make_strategy`` (frontier, compare, sweep and
bench take the configured object, as scikit-learn meta-estimators take an estimator). See docs/optimizer.md.
"""

from __future__ import annotations

import dataclasses
import inspect

from scenarios import Plan, Scenario

from . import infeasibility
from .base import (Strategy, StrategyError, get_strategy, make_strategy, register, resolve_strategy, strategy_names,
                   with_settings)
from .baselines import LowestCpmStrategy, RandomStrategy, TopEngagementStrategy, TopFollowersStrategy
from .frontier import engagement_frontier, frontier, min_budget_for_reach
from .greedy import GreedyEnumStrategy, GreedyStrategy
from .milp import MilpStrategy
from .problem import Problem

register("milp", MilpStrategy)
register("greedy", GreedyStrategy)
register("greedy-enum", GreedyEnumStrategy)
register("top-followers", TopFollowersStrategy)
register("top-engagement", TopEngagementStrategy)
register("lowest-cpm", LowestCpmStrategy)
register("random", RandomStrategy)


def optimize(scenario: Scenario, strategy: str | Strategy = "milp", *, gap: float = 1e-3,
             time_limit: float | None = None, solver: str = "highs", seed: int = 0,
             budget: float | None = None) -> Plan:
    """Choose a plan for ``scenario`` with ``strategy`` (a name or a Strategy object).

    ``budget`` overrides ``scenario.budget`` (the scenario itself is never changed).
    """
    if budget is not None:
        scenario = dataclasses.replace(scenario, budget=float(budget))
    if isinstance(strategy, str):
        strategy = get_strategy(strategy, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    problem = Problem.build(scenario)
    # Rules that conflict whatever the plan are the scenario's fault, not the strategy's: every
    # strategy gets the same InfeasibleError naming them. A heuristic that merely fails to meet
    # satisfiable rules returns its plan with status "infeasible" and says which.
    infeasibility.check(problem)
    if "problem" in inspect.signature(strategy.select).parameters:
        return strategy.select(scenario, problem=problem)
    return strategy.select(scenario)


__all__ = [
    "GreedyEnumStrategy", "GreedyStrategy", "LowestCpmStrategy", "MilpStrategy", "Problem", "RandomStrategy",
    "Strategy", "StrategyError", "TopEngagementStrategy", "TopFollowersStrategy", "engagement_frontier",
    "frontier", "get_strategy", "make_strategy", "min_budget_for_reach", "optimize", "register", "resolve_strategy",
    "strategy_names", "with_settings",
]
