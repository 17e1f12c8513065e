"""reachmix from Python: plan TikTok influencer campaigns in a notebook or a script.

>>> import reachmix
>>> sc = reachmix.load_scenario("scenarios/examples/istanbul-beauty/scenario.toml")
>>> plan = reachmix.optimize(sc)                 # the exact MILP; or strategy=MilpStrategy(gap=1e-4)
>>> plan.summary(sc)                             # spend, reach, impressions, engagements, status, gap
>>> reachmix.simulate(sc, plan).to_frame()       # Monte Carlo totals as a pandas DataFrame

See docs/python-api.md. This package sits above ``whatif`` (like the command line) and only
re-exports the library: the command line and a notebook give the same numbers.
"""

from optimizer import (
    GreedyEnumStrategy,
    GreedyStrategy,
    LowestCpmStrategy,
    MilpStrategy,
    RandomStrategy,
    Strategy,
    TopEngagementStrategy,
    TopFollowersStrategy,
    strategy_names,
)
from scenarios import CreatorPool, Plan, PoolOptions, ReachmixError, Scenario, parse_pool
from scenarios.plan_summary import PlanSummary
from scenarios.table import ReadOptions

from .api import (
    backtest,
    bench,
    calibrate,
    compare,
    evaluate,
    frontier,
    ingest,
    load_scenario,
    make_strategy,
    optimize,
    optimize_for_kpis,
    scenario_from_dict,
    scenario_from_frame,
    simulate,
    sweep,
)
from .results import Backtest, Benchmark, Comparison, Frontier, Simulation, Sweep

__all__ = [
    "Backtest", "Benchmark", "Comparison", "CreatorPool", "Frontier", "GreedyEnumStrategy", "GreedyStrategy",
    "LowestCpmStrategy", "MilpStrategy", "Plan", "PlanSummary", "PoolOptions", "RandomStrategy", "ReachmixError",
    "ReadOptions", "Scenario", "Simulation", "Strategy", "Sweep", "TopEngagementStrategy", "TopFollowersStrategy",
    "backtest", "bench", "calibrate", "compare", "evaluate", "frontier", "ingest", "load_scenario", "make_strategy",
    "optimize", "optimize_for_kpis", "parse_pool", "scenario_from_dict", "scenario_from_frame", "simulate", "strategy_names", "sweep",
]
