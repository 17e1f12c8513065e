"""The scenario: a pool, a budget, a target audience, rules, an objective and model settings.

Every default below is named and documented in ``docs/assumptions.md`` with its source; a
scenario's TOML overrides any of them (see ``scenarios.loader``).
"""

from __future__ import annotations

import copyreg
import datetime
from collections.abc import Mapping
from numbers import Real
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .audience import TargetAudience
from .errors import ScenarioError
from .pool import CreatorPool
from .tiers import Tiers

# The domain's read-only mappings (a scenario's document, weights, the audience's population) are
# MappingProxyType, which Python cannot pickle; sweeps ship scenarios to worker processes and Dask
# (whatif.compare.scenario_rows). A proxy travels as a read-only proxy of a copy of its dict.
def read_only(mapping: dict) -> Mapping:
    """A read-only view of ``mapping`` (how a pickled MappingProxyType is rebuilt)."""
    return MappingProxyType(mapping)


copyreg.pickle(MappingProxyType, lambda proxy: (read_only, (dict(proxy),)))

OBJECTIVES: tuple[str, ...] = ("target_reach", "target_impressions", "engagements")
KPI_METRICS: tuple[str, ...] = (
    "views",
    "target_reach",
    "likes",
    "comments",
    "shares",
    "engagements",
    "engagement_rate",
    "followers_gained",
)
KPI_WINDOWS: tuple[str, ...] = ("campaign", "weekly", "monthly")


def _frozen(mapping: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Constraints:
    """The planner's rules (contract section 3, ``[constraints]``)."""

    max_posts: int = 3
    min_count: Mapping[str, int] = field(default_factory=_frozen)
    max_count: Mapping[str, int] = field(default_factory=_frozen)
    min_budget_share: Mapping[str, float] = field(default_factory=_frozen)
    max_budget_share: Mapping[str, float] = field(default_factory=_frozen)
    max_creator_share: float | None = None
    must_include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_engagement_rate: float | None = None
    min_target_match: float | None = None


@dataclass(frozen=True)
class Objective:
    """What to maximise: one metric of ``OBJECTIVES``, or a weighted sum of them."""

    weights: Mapping[str, float] = field(default_factory=lambda: _frozen({"target_reach": 1.0}))
    #: ``maximize = "kpi"``: plans maximise the probability of meeting the ``[[kpi]]`` targets in
    #: priority order (whatif/kpi_plan.py); ``weights`` (target reach) still scores them and picks
    #: the reach-optimal plan they are compared with.
    for_kpis: bool = False
    #: ``risk = { measure, level, day }``: plans maximise the ``level`` quantile ("quantile") or the
    #: mean of the worst ``level`` share of runs ("cvar") of the objective metric by ``day``
    #: (``None`` = the last simulated day) instead of its mean (whatif/risk_plan.py).
    risk_measure: str | None = None
    risk_level: float = 0.1
    risk_day: int | None = None

    @property
    def name(self) -> str:
        if len(self.weights) == 1 and next(iter(self.weights.values())) == 1.0:
            return next(iter(self.weights))
        return "weighted(" + ",".join(f"{k}={v:g}" for k, v in self.weights.items()) + ")"

    @property
    def is_linear(self) -> bool:
        """True when target reach (the only concave term) has no weight."""
        return not self.weights.get("target_reach", 0.0)

    def value(self, metrics: Mapping[str, float]) -> float:
        return float(sum(w * metrics[k] for k, w in self.weights.items()))


@dataclass(frozen=True)
class ModelParams:
    """Reach-model parameters (contract section 4)."""

    #: rho: weight of a creator's k-th post is rho**(k-1). Repeat posts reach mostly the same
    #: followers; 0.7 is an assumption (see docs/assumptions.md).
    repeat_decay: float = 0.7
    #: Interest fit of a creator whose tags miss every target interest.
    interest_floor: float = 0.25
    #: Default views per post as a share of followers when ``avg_views`` is blank: one number, or a
    #: mapping tier -> rate; ``None`` = not given (then the follower curve below is the default).
    view_rate: float | Mapping[str, float] | None = None
    #: ``{"scale": s, "exponent": b}``: ``avg_views = s * followers**b`` when ``avg_views`` is blank;
    #: ``None`` = the sourced default (``scenarios.view_model.DEFAULT_VIEW_CURVE``).
    view_curve: Mapping[str, float] | None = None
    #: "curve" or "rate"; ``None`` = "rate" when ``view_rate`` is given, else "curve".
    view_model: str | None = None

    @property
    def views_from(self) -> str:
        """The model in force for blank ``avg_views``: "curve" or "rate"."""
        return "rate" if self.view_model is None and self.view_rate is not None else (self.view_model or "curve")


def _setting(default, *, high=None, low=0.0, low_open=False, doc=""):
    """A ``[simulation]`` field; ``low``/``high`` bound what the loader accepts."""
    return field(default=default, metadata={"low": low, "high": high, "low_open": low_open, "doc": doc})


@dataclass(frozen=True)
class SimulationSettings:
    """Monte Carlo settings (contract section 3, ``[simulation]``); see ``simulate/``.

    Extension point: a new field here becomes a valid ``[simulation]`` key automatically (the
    loader reads the fields and their ``low``/``high`` metadata).
    """

    days: int = _setting(56, low=1)
    runs: int = _setting(2000, low=1)
    seed: int = _setting(7)
    start_day: int = _setting(0)
    post_spacing_days: int = _setting(7)
    view_dispersion: float = _setting(1.2, high=5.0)
    # Sigma of log-views of a post of a creator known only by followers (the follower curve's residual).
    view_dispersion_followers: float = _setting(1.6, high=5.0, doc="sigma of log-views for a creator known "
                                                "only by followers")
    post_failure_rate: float = _setting(0.05, high=1.0)
    views_per_share: float = _setting(0.0)
    follow_rate: float = _setting(0.002, high=1.0)
    churn_rate: float = _setting(0.001, high=1.0)
    # Per-tier sigma of log-views; blank (None) = use view_dispersion. See simulate/assumptions.py.
    view_dispersion_nano: float | None = _setting(None, high=5.0, doc="sigma of log-views for nano creators")
    view_dispersion_micro: float | None = _setting(None, high=5.0, doc="sigma of log-views for micro creators")
    view_dispersion_mid: float | None = _setting(None, high=5.0, doc="sigma of log-views for mid creators")
    view_dispersion_macro: float | None = _setting(None, high=5.0, doc="sigma of log-views for macro creators")
    view_dispersion_mega: float | None = _setting(None, high=5.0, doc="sigma of log-views for mega creators")
    # Accumulation curve A(a) = p + (1-p) (ln a / ln T)^b: p = share of views in the first day,
    # b = shape, T = age (days) by which all views have arrived. Sources in simulate/assumptions.py.
    accrual_day1_share: float = _setting(0.32, high=1.0, low_open=True, doc="share of views in the first day")
    accrual_shape: float = _setting(1.295, high=20.0, low_open=True, doc="accumulation-curve shape b")
    accrual_days: int = _setting(90, low=1, doc="age by which all views have arrived")
    # Largest share-cascade amplification ratio q = views_per_share * shares_rate (keeps it finite).
    cascade_cap: float = _setting(0.5, high=0.95, doc="largest share-cascade amplification ratio")


@dataclass(frozen=True)
class SpendCap:
    """Most spend per calendar period (``[budget] by_week`` / ``by_month``; docs/schedule.md).

    Period k (1-based) is campaign days ``length (k-1)`` to ``length k - 1``, like the simulator's
    weekly and 30-day monthly roll-ups. ``every`` applies to each period not listed in ``periods``;
    ``None`` leaves unlisted periods uncapped. A post books its price on its day, and a creator's first
    post also its one-off fee (the calendar's convention; the simulator books fees on day 0).
    """

    name: str
    length: int
    every: float | None = None
    periods: Mapping[int, float] = field(default_factory=_frozen)

    def cap(self, period: int) -> float:
        value = self.periods.get(int(period), self.every)
        return float("inf") if value is None else float(value)

    @property
    def largest(self) -> float:
        """The most any period allows (infinite when some period is uncapped)."""
        if self.every is None:
            return float("inf")
        return max([float(self.every), *map(float, self.periods.values())])


@dataclass(frozen=True)
class ScheduleRules:
    """The posting calendar's rules (``[schedule]``; see docs/schedule.md).

    The defaults reproduce ``start_day + k x post_spacing_days``: a plan without its own days is
    scheduled by ``scenarios.calendar.earliest_schedule``, which then gives exactly that rule.
    """

    #: Date of campaign day 0 (``None``: days print as "day N").
    start_date: datetime.date | None = None
    #: Fewest days between two posts of one creator; ``None`` = ``[simulation] post_spacing_days``.
    min_spacing_days: int | None = None
    #: Most posts (all creators together) on one day; ``None`` = no cap.
    max_posts_per_day: int | None = None
    #: Campaign days on which nobody posts (dates are converted by the loader), ascending.
    blackout_days: tuple[int, ...] = ()
    #: Spend caps per week / 30-day month (read from ``[budget] by_week`` / ``by_month``).
    spend_caps: tuple[SpendCap, ...] = ()

    @property
    def constrains(self) -> bool:
        """True when a rule beyond today's ``start_day + k x post_spacing_days`` applies."""
        return (self.min_spacing_days is not None or self.max_posts_per_day is not None or bool(self.blackout_days)
                or bool(self.spend_caps))

    def spacing(self, settings: "SimulationSettings") -> int:
        """Fewest days between two posts of one creator."""
        return int(settings.post_spacing_days if self.min_spacing_days is None else self.min_spacing_days)

    def label(self, day: int) -> str:
        """A campaign day as a date (``start_date`` given) or as "day N"."""
        if self.start_date is None:
            return f"day {int(day)}"
        return (self.start_date + datetime.timedelta(days=int(day))).isoformat()


@dataclass(frozen=True)
class KpiTarget:
    """A KPI target: reach ``target`` of ``metric`` by day ``by_day`` (priority 1 is highest)."""

    metric: str
    target: float
    by_day: int
    priority: int = 1
    window: str = "campaign"


@dataclass(frozen=True)
class Scenario:
    """A fully validated scenario. Build it with ``scenarios.load_scenario``."""

    name: str
    currency: str
    budget: float
    pool: CreatorPool
    audience: TargetAudience
    tiers: Tiers = Tiers()
    constraints: Constraints = Constraints()
    objective: Objective = Objective()
    model: ModelParams = ModelParams()
    simulation: SimulationSettings = SimulationSettings()
    kpis: tuple[KpiTarget, ...] = ()
    schedule: ScheduleRules = ScheduleRules()
    #: Where it was read from (``None`` for scenarios built in code).
    path: Path | None = None
    #: The TOML document as read (after defaults are *not* applied), for dotted-key overrides.
    raw: Mapping[str, Any] = field(default_factory=_frozen, repr=False, compare=False)
    #: What ``--calibration FILE`` changed: dotted key -> [old, new] (empty without one).
    calibration: Mapping[str, Any] = field(default_factory=_frozen, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Scenarios built in code (dataclasses.replace(sc, budget=...), optimize(sc, budget=...)) skip
        # the loader: a negative budget would otherwise surface as a conflict between unrelated rules.
        budget = self.budget
        if isinstance(budget, bool) or not isinstance(budget, Real) or not budget >= 0 or budget == float("inf"):
            shown = repr(budget) if isinstance(budget, bool) or not isinstance(budget, Real) else f"{float(budget):g}"
            raise ScenarioError(f"{self.path or self.name}: budget.total = {shown} must be a finite number >= 0; "
                                "give the campaign's budget")

    def __repr__(self) -> str:
        # The default repr printed every array of the pool (322,862 characters for 5,000 creators).
        return (f"Scenario({self.name!r}, budget {self.budget:,.0f} {self.currency}, {self.pool.size:,} creators, "
                f"objective {self.objective.name})")

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, pool: Any = None, base_dir: str | Path = ".",
                  source: str = "<dict>") -> "Scenario":
        """A scenario from a parsed TOML document (the same keys and checks as a file).

        ``pool``: a ``CreatorPool`` (``scenarios.parse_pool(text, ...)`` or arrays), a pandas or
        polars data frame, or ``None`` to read ``[pool] file`` relative to ``base_dir``. Every pool
        setting of ``doc`` (``constraints.max_posts``, ``[model] view_rate``...) applies to it.
        """
        from .loader import scenario_from_dict

        if pool is not None and not isinstance(pool, CreatorPool):
            return cls.from_frame(pool, doc, base_dir=base_dir, source=source)
        return scenario_from_dict(doc, base_dir=Path(base_dir), source=source, pool=pool)

    @classmethod
    def from_frame(cls, frame: Any, doc: Mapping[str, Any] | None = None, *, base_dir: str | Path = ".",
                   source: str = "<frame>") -> "Scenario":
        """A scenario whose pool is a pandas or polars data frame (one row per creator, the pool CSV's
        columns) or a mapping of column -> values; ``doc`` is the rest of the scenario (at least
        ``{"budget": {"total": ...}}``). The frame is read exactly as a CSV file would be."""
        from .loader import scenario_from_dict
        from .pool_memory import frame_to_csv, parse_pool

        pool = parse_pool(frame_to_csv(frame), source)
        return scenario_from_dict(dict(doc or {}), base_dir=Path(base_dir), source=source, pool=pool)
