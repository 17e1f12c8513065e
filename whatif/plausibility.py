"""Plausibility checks: numbers that are probably wrong input, said as warnings, never raised.

A real export can be off by orders of magnitude (a views column in another unit, cumulative
views of every video instead of one post's, another account's followers) and the optimizer will
happily build on it: on one scraped pool it claimed 14.3 billion views at 0.007 per thousand,
100% of the audience reached, and spent the whole budget on a budget-reach curve that was flat
from a fifth of it. Each check here returns warning *strings* (data: the commands put them in
their JSON under ``warnings``, the CLI prints them on stderr as ``Warning: ...``, the report
shows them in a box). Each names what is odd, the figures, and what to check.

Checks (thresholds are the named constants below):

* ``pool_outliers``: a creator whose views per follower or ``cpm_views`` (price per 1,000 views)
  is far outside the pool's own range: beyond Tukey's *far-out* fence (``FENCE_IQR`` = 3
  interquartile ranges past the quartiles) of the log values AND at least ``MIN_FOLD`` = 10x from
  the pool's median. Log values because both quantities are log-normal-like across a pool; both
  conditions so that neither a wide real pool (views per follower span orders of magnitude
  between tiers) nor a tight rate card (every CPM within 20%) raises false alarms.
* ``saturation``: target reach above ``SATURATION`` = 90% of the audience size.
* ``diminishing_returns`` and ``flat_spend``: the plan's own budget-reach curve, traced by a
  greedy prefix of the plan (below), shows that its last 10% of spend buys less than
  ``MIN_LAST_GAIN`` = 0.5% more reach; the warning names the spend that buys 99% of the reach.
  When the plan spends (nearly) the whole budget although 99% of its reach costs at most
  ``FLAT_SHARE`` = half of it, the stronger ``flat_spend`` warning is given instead.
* ``scale``: expected views above the platform's whole user base, an audience larger than it,
  target reach above the audience.

The budget-reach curve of a plan. Re-solving the MILP at many budgets is too slow to run on
every command, so the curve is traced along the plan itself: its posts are bought one at a time
in greedy order of marginal target reach per unit of cost (a creator's fee is paid with their
first post; their k-th post counts ``rho^(k-1)``, as in the reach model). Plans of more than
``CURVE_STEPS`` = 200 posts are bought in 200 rounds, each ordered by the marginal reach per unit
cost at its start (a few milliseconds for thousands of posts; exact greedy below 200 posts).
Each prefix is a real sub-plan, so its reach is a *lower* bound on what its spend could buy:
the check underestimates how flat the true curve is and never warns without cause. The reach
bought by 90% of the spend is that of the largest prefix costing at most 90% of it, and "the
spend that buys 99%" is the cost of the smallest prefix reaching 99% (both conservative too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios import ReachModel, Scenario
from scenarios.reach import reach_of_impressions

from .formats import format_number, format_percent

#: Tukey's far-out fence, in interquartile ranges of the log values past the quartiles.
FENCE_IQR = 3.0
#: ... and at least this many times above or below the pool's median.
MIN_FOLD = 10.0
#: Fewer creators with a value than this: the pool's quartiles say too little to judge.
MIN_POOL = 8
#: Creators named in one warning (the rest are counted).
MAX_NAMED = 5
#: Target reach above this share of the audience size: the reach model is saturating.
SATURATION = 0.90
#: The last ``LAST_SPEND_SHARE`` of a plan's spend must buy at least ``MIN_LAST_GAIN`` more reach.
LAST_SPEND_SHARE = 0.10
MIN_LAST_GAIN = 0.005
#: The share of the reach whose cost the warning names.
NAMED_REACH_SHARE = 0.99
#: A plan "spends the whole budget" above this share of it ...
WHOLE_BUDGET = 0.98
#: ... while the curve is "flat" when 99% of the reach costs at most this share of the budget.
FLAT_SHARE = 0.5
#: Rounds of the plan's greedy curve: posts are bought one at a time up to this many posts, in
#: rounds of ``posts / CURVE_STEPS`` for larger plans (keeps the check linear in the plan's size).
CURVE_STEPS = 200
#: People on TikTok: about 1.6 billion monthly users (1.59 billion in January 2025, DataReportal,
#: "Digital 2025: Global Overview Report"; other trackers say 1.6-1.9 billion). A campaign's
#: expected views or an audience above the whole platform are input errors.
PLATFORM_USERS = 1.6e9
PLATFORM_SOURCE = "about 1.6 billion monthly users; DataReportal, Digital 2025"


# --------------------------------------------------------------------------------------------
# Pool outliers


@dataclass(frozen=True)
class _Spread:
    """A positive quantity's robust spread over the pool, on the log scale."""

    median: float
    q1: float
    q3: float
    low: float  # fences, as values (not logs)
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> "_Spread | None":
        values = values[np.isfinite(values) & (values > 0)]
        if values.size < MIN_POOL:
            return None
        logs = np.log(values)
        q1, med, q3 = np.percentile(logs, [25, 50, 75])
        iqr = q3 - q1
        low = min(q1 - FENCE_IQR * iqr, med - np.log(MIN_FOLD))
        high = max(q3 + FENCE_IQR * iqr, med + np.log(MIN_FOLD))
        return cls(float(np.exp(med)), float(np.exp(q1)), float(np.exp(q3)), float(np.exp(low)), float(np.exp(high)))

    def outside(self, values: np.ndarray) -> np.ndarray:
        ok = np.isfinite(values) & (values > 0)
        return ok & ((values < self.low) | (values > self.high))


def _fold(value: float, median: float) -> str:
    """How far ``value`` is from ``median``: ``750x the pool median`` / ``1/750 of the pool median``."""
    if value >= median:
        return f"{format_number(round(value / median, 0 if value / median >= 100 else 1))}x the pool median"
    return f"1/{format_number(round(median / value, 0 if median / value >= 100 else 1))} of the pool median"


def _outlier_warning(label: str, values: np.ndarray, rows: np.ndarray | None, handles: Sequence[str],
                     unit: str, check: str, who: str) -> list[str]:
    spread = _Spread.of(values)
    if spread is None:
        return []
    flagged = spread.outside(values)
    if rows is not None:
        keep = np.zeros_like(flagged)
        keep[rows] = True
        flagged &= keep
    idx = np.flatnonzero(flagged)
    if not idx.size:
        return []
    # The farthest first: those are the ones that move the results most.
    idx = idx[np.argsort(-np.abs(np.log(values[idx] / spread.median)), kind="stable")]
    named = [f"{handles[i]} {format_number(values[i])}{unit} ({_fold(values[i], spread.median)})"
             for i in idx[:MAX_NAMED]]
    more = f", and {idx.size - MAX_NAMED:,} more" if idx.size > MAX_NAMED else ""
    count = f"{idx.size:,} {who}{'s' if idx.size != 1 else ''}"
    return [f"{label} far outside the pool's range for {count} (pool median {format_number(spread.median)}{unit}, "
            f"middle half {format_number(spread.q1)}-{format_number(spread.q3)}{unit}): {'; '.join(named)}{more}; "
            f"{check}"]


def pool_outliers(scenario: Scenario, rows: Iterable[int] | None = None) -> list[str]:
    """Creators whose views per follower or cpm_views is far outside the pool's range.

    The range is always the whole pool's; ``rows`` (e.g. the hired creators) limits whom to name.
    """
    pool = scenario.pool
    rows = None if rows is None else np.asarray(list(rows), dtype=np.int64)
    who = "creator" if rows is None else "hired creator"
    followers = np.asarray(pool.followers, dtype=float)
    views = np.asarray(pool.avg_views, dtype=float)
    price = np.asarray(pool.price, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_follower = np.where(followers > 0, views / np.where(followers > 0, followers, 1.0), np.nan)
        cpm_views = np.where(views > 0, 1000.0 * price / np.where(views > 0, views, 1.0), np.nan)
    cur = f" {scenario.currency}" if scenario.currency else ""
    return (_outlier_warning("views per follower", per_follower, rows, pool.handles, "",
                             "check their avg_views and followers (views in another unit, cumulative views of "
                             "every video instead of one post's, or another account's followers?)", who)
            + _outlier_warning("cpm_views (price per 1,000 views)", cpm_views, rows, pool.handles, cur,
                               "check their price (per post, in the scenario's currency) and avg_views", who))


# --------------------------------------------------------------------------------------------
# The plan's own budget-reach curve


@dataclass(frozen=True)
class PlanCurve:
    """Cumulative spend and target reach of the greedy prefixes of a plan (both start at 0)."""

    spend: np.ndarray
    reach: np.ndarray

    @property
    def total_spend(self) -> float:
        return float(self.spend[-1])

    @property
    def total_reach(self) -> float:
        return float(self.reach[-1])

    def reach_within(self, spend: float) -> float:
        """Reach of the largest prefix costing at most ``spend``."""
        k = int(np.searchsorted(self.spend, spend * (1 + 1e-12), side="right")) - 1
        return float(self.reach[max(k, 0)])

    def spend_for(self, reach: float) -> float:
        """Cost of the smallest prefix reaching ``reach``."""
        k = int(np.searchsorted(self.reach, reach * (1 - 1e-12), side="left"))
        return float(self.spend[min(k, self.spend.size - 1)])


def plan_curve(model: ReachModel, posts: np.ndarray) -> PlanCurve:
    """Trace the plan's budget-reach curve along greedy prefixes of its posts (module doc)."""
    pool = model.scenario.pool
    rho = model.scenario.model.repeat_decay
    posts = np.asarray(posts, dtype=np.int64)
    hired = np.flatnonzero(posts > 0)
    wanted = posts[hired]
    per_post = model.per_post[hired]
    price, fee = pool.price[hired], pool.fee[hired]
    population = model.population
    step = max(1, -(-int(wanted.sum()) // CURVE_STEPS))  # posts bought per round (1 = exact greedy)
    impressions = np.zeros(model.n_cells)
    bought = np.zeros(hired.size, dtype=np.int64)
    spend_parts, reach_parts, spent = [np.zeros(1)], [np.zeros(1)], 0.0
    while True:
        active = np.flatnonzero(bought < wanted)
        if not active.size:
            break
        k = bought[active] + 1  # each creator's next post
        delta = (rho ** (k - 1.0))[:, None] * per_post[active]
        now = reach_of_impressions(impressions, population)
        gain = (reach_of_impressions(impressions + delta, population) - now).sum(axis=1)
        cost = price[active] + np.where(k == 1, fee[active], 0.0)
        ratio = -gain / cost
        order = np.arange(active.size) if step >= active.size else np.argpartition(ratio, step - 1)[:step]
        order = order[np.argsort(ratio[order], kind="stable")]
        # Within a round, posts are bought in the order of their marginal reach per unit cost at its start.
        path = impressions + np.cumsum(delta[order], axis=0)
        reach_parts.append(reach_of_impressions(path, population).sum(axis=1))
        spend_parts.append(spent + np.cumsum(cost[order]))
        spent = float(spend_parts[-1][-1])
        impressions = path[-1]
        bought[active[order]] += 1
    # Reach never falls along the prefixes; guard the searches against float dust anyway.
    return PlanCurve(np.concatenate(spend_parts), np.maximum.accumulate(np.concatenate(reach_parts)))


def _money(value: float, currency: str) -> str:
    return f"{format_number(value)} {currency}".strip()


def curve_warnings(scenario: Scenario, curve: PlanCurve, budget: float | None = None) -> list[str]:
    """``diminishing_returns`` or ``flat_spend`` (module doc) for a traced plan curve."""
    total, reach = curve.total_spend, curve.total_reach
    if total <= 0 or reach <= 0 or curve.spend.size < 3:
        return []
    budget = float(scenario.budget if budget is None else budget)
    cur = scenario.currency
    last_gain = (reach - curve.reach_within((1 - LAST_SPEND_SHARE) * total)) / reach
    needed = curve.spend_for(NAMED_REACH_SHARE * reach)
    if budget > 0 and total >= WHOLE_BUDGET * budget and needed <= FLAT_SHARE * budget:
        return [f"the plan spends {_money(total, cur)} ({format_percent(total / budget)} of the budget) although "
                f"its budget-reach curve is flat: {_money(needed, cur)} ({format_percent(needed / budget)} of the "
                f"budget) buys {format_percent(NAMED_REACH_SHARE)} of its target reach "
                f"{format_number(reach)}; lower the budget, or check the pool's avg_views and [audience] size "
                f"(a saturated audience makes more posts worthless)"]
    if last_gain < MIN_LAST_GAIN:
        return [f"the last {format_percent(LAST_SPEND_SHARE)} of the plan's spend buys only "
                f"{format_percent(last_gain)} more target reach; {_money(needed, cur)} buys "
                f"{format_percent(NAMED_REACH_SHARE)} of its reach {format_number(reach)} (of "
                f"{_money(total, cur)} spent); consider the smaller budget, or check [audience] size and the "
                f"pool's avg_views"]
    return []


# --------------------------------------------------------------------------------------------
# Scale


def scale_warnings(scenario: Scenario, *, views: float | None = None, target_reach: float | None = None,
                   what: str = "the plan's", views_word: str = "expected views") -> list[str]:
    """Views above the platform, an audience above the platform, reach at or above the audience."""
    out = []
    size = float(scenario.audience.size)
    if size > PLATFORM_USERS:
        out.append(f"the audience size {format_number(size)} is larger than TikTok's whole user base "
                   f"({PLATFORM_SOURCE}); check [audience] size (people in the target, not impressions)")
    if views is not None and views > PLATFORM_USERS:
        out.append(f"{what} {views_word} {format_number(views)} exceed TikTok's whole user base "
                   f"({PLATFORM_SOURCE}); check the pool's avg_views (views of one post, not cumulative "
                   f"views of every video) and followers")
    if target_reach is not None and size > 0:
        share = target_reach / size
        if share > 1:
            out.append(f"{what} target reach {format_number(target_reach)} exceeds the audience size "
                       f"{format_number(size)}; check [audience] size")
        elif share > SATURATION:
            out.append(f"{what} target reach {format_number(target_reach)} is {format_percent(share)} of the "
                       f"audience size {format_number(size)}: the reach model saturates there, so more posts add "
                       f"almost nothing; check [audience] size (people in the target on the platform) and the "
                       f"pool's avg_views")
    return out


# --------------------------------------------------------------------------------------------
# What the commands call


def plan_warnings(scenario: Scenario, posts: np.ndarray, model: ReachModel | None = None) -> list[str]:
    """Every check that applies to one plan (optimize, evaluate, simulate, compare, sweep, report)."""
    model = model or ReachModel.build(scenario)
    posts = np.asarray(posts, dtype=np.int64)
    hired = np.flatnonzero(posts > 0)
    if not hired.size:
        return []
    ev = model.evaluate(posts)
    out = pool_outliers(scenario, hired)
    out += scale_warnings(scenario, views=ev.views, target_reach=ev.target_reach)
    out += curve_warnings(scenario, plan_curve(model, posts))
    return out


def simulation_warnings(scenario: Scenario, simulation: Mapping[str, Any]) -> list[str]:
    """Scale checks on a simulation's median totals (views, target reach)."""
    totals = simulation.get("totals") or {}

    def median(metric: str) -> float | None:
        value = (totals.get(metric) or {}).get("p50")
        return float(value) if isinstance(value, (int, float)) else None

    return scale_warnings(scenario, views=median("views"), target_reach=median("target_reach"),
                          what="the simulated median", views_word="views")


def report_warnings(scenario: Scenario, plan: Mapping[str, Any], simulation: Mapping[str, Any] | None) -> list[str]:
    """The report's box: the plan's own ``warnings`` and the simulation's scale checks."""
    return unique(list(plan.get("warnings") or ()) + (simulation_warnings(scenario, simulation) if simulation else []))


def unique(warnings: Iterable[str]) -> list[str]:
    """Warnings in order, each once."""
    return list(dict.fromkeys(warnings))


def row_label(row: Mapping[str, Any]) -> str:
    """A compare row is ``scenario / strategy``; a sweep row its parameters (``budget.total=100000``)."""
    if isinstance(row.get("parameters"), Mapping):
        return ", ".join(f"{k}={v}" for k, v in row["parameters"].items())
    return f"{row.get('scenario', '?')} / {row.get('strategy', '?')}"


def collect_rows(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The rows' own ``warnings`` (compare, sweep) as one list, each prefixed with its row's label."""
    return unique(f"{row_label(row)}: {w}" for row in rows for w in row.get("warnings") or ())
