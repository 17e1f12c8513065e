"""reachmix's domain model and reach model.

No solver and no simulator here (a test enforces it): ``optimizer`` and ``simulate`` build on
this package, never the other way round.
"""

from .audience import AGE_BUCKETS, GENDERS, TargetAudience
from .errors import InfeasibleError, PlanError, PoolError, ReachmixError, ScenarioError
from .loader import apply_overrides, load_scenario, scenario_from_dict
from .plan import Plan, plan_from_json
from .pool import CreatorPool
from .pool_csv import PoolOptions, read_pool
from .pool_memory import parse_pool  # remembers the text: a scenario re-reads it with its settings
from .reach import Evaluation, ReachModel, exposure_weight, reach_of_impressions
from .rules import eligible, post_caps, violations
from .scenario import (
    KPI_METRICS,
    OBJECTIVES,
    Constraints,
    KpiTarget,
    ModelParams,
    Objective,
    Scenario,
    ScheduleRules,
    SimulationSettings,
    SpendCap,
)
from .tiers import TIER_NAMES, Tiers

__all__ = [
    "AGE_BUCKETS", "GENDERS", "KPI_METRICS", "OBJECTIVES", "TIER_NAMES",
    "Constraints", "CreatorPool", "Evaluation", "InfeasibleError", "KpiTarget", "ModelParams",
    "Objective", "Plan", "PlanError", "PoolError", "PoolOptions", "ReachModel", "ReachmixError",
    "Scenario", "ScenarioError", "ScheduleRules", "SimulationSettings", "SpendCap", "TargetAudience", "Tiers",
    "apply_overrides", "eligible", "exposure_weight", "load_scenario", "parse_pool", "plan_from_json",
    "post_caps", "reach_of_impressions", "read_pool", "scenario_from_dict", "violations",
]
