"""A plan as the contract's JSON (section 6): the one shape ``optimize``, ``evaluate``,
``compare`` and the report share."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from scenarios import Plan, ReachModel, Scenario, violations
from scenarios.calendar import plan_days, schedule_rows, schedule_violations

from .cpm import per_thousand
from .formats import Table
from .plausibility import plan_warnings


def plan_result(scenario: Scenario, plan: Plan, model: ReachModel | None = None) -> dict[str, Any]:
    """Score ``plan`` with the reach model and lay it out as the contract's optimize JSON."""
    model = model or ReachModel.build(scenario)
    ev = model.evaluate(plan.posts)
    objective_value = scenario.objective.value(ev.metrics())
    days = plan_days(scenario, plan)  # its own days, else the default (earliest) schedule
    broken = violations(model, plan.posts) + schedule_violations(scenario, plan.posts, days)
    status = "infeasible" if broken else plan.status
    upper = plan.upper_bound
    # The gap is always about the plan's *true* objective value, whatever the strategy said.
    gap = dataclasses.replace(plan, objective_value=objective_value).gap
    pool = scenario.pool
    selection = [
        {
            "handle": handle,
            "tier": scenario.tiers.names[model.tier[i]],
            "posts": posts,
            "cost": float(ev.creator_cost[i]),
            "fee": float(pool.fee[i]),
            "target_impressions": float(ev.creator_target_impressions[i]),
            "followers": float(pool.followers[i]),
            "avg_views": float(pool.avg_views[i]),
            "target_match": float(model.match[i]),
        }
        for i, handle, posts in plan.selection(pool)
    ]
    return {
        "scenario": scenario.name,
        "strategy": plan.strategy,
        "status": status,
        "currency": scenario.currency,
        "budget": float(scenario.budget),
        "spent": ev.cost,
        "objective": scenario.objective.name,
        "objective_value": objective_value,
        "target_reach": ev.target_reach,
        "target_impressions": ev.target_impressions,
        "engagements": ev.engagements,
        "views": ev.views,
        "audience_size": float(scenario.audience.size),
        "upper_bound": None if upper is None else float(upper),
        "gap": gap,
        "seconds": float(plan.seconds),
        "creators": ev.creators,
        "posts": ev.posts,
        "creators_by_tier": dict(ev.creators_by_tier),
        "spend_by_tier": dict(ev.spend_by_tier),
        # Two CPMs, never a bare "cpm" (whatif/cpm.py): per 1,000 views and per 1,000 target impressions.
        "cpm_views": per_thousand(ev.cost, ev.views),
        "cpm_target": per_thousand(ev.cost, ev.target_impressions),
        "cost_per_reached": _ratio(ev.cost, ev.target_reach),
        "violations": broken,
        "stats": _plain(dict(plan.stats)),
        "selection": selection,
        # Every bought post's day (always written, so that the file re-reads as the same plan).
        "schedule": schedule_rows(pool, plan.posts, days),
        # Implausible inputs or results, as data (contract: every command's JSON may carry warnings).
        "warnings": plan_warnings(scenario, plan.posts, model),
    }


def plan_tables(result: dict) -> tuple[Table, ...]:
    """The selection table (main, for CSV) and a one-row summary of a plan result."""
    cur = result.get("currency", "")
    selection = Table(
        columns=("handle", "tier", "posts", "cost", "target_impressions", "followers", "target_match"),
        rows=tuple((s["handle"], s["tier"], s["posts"], s["cost"], s["target_impressions"],
                    s.get("followers"), s.get("target_match")) for s in result["selection"]),
        title=f"{result['scenario']}: {result['strategy']} plan, {result['status']}",
        percent=("target_match",),
    )
    gap = result.get("gap")
    summary = Table(
        columns=("budget", "spent", "creators", "posts", "target_reach", "target_impressions", "engagements",
                 "cpm_views", "cpm_target", "upper_bound", "gap %", "seconds"),
        rows=((result["budget"], result["spent"], result["creators"], result["posts"], result["target_reach"],
               result["target_impressions"], result["engagements"], result.get("cpm_views"), result.get("cpm_target"),
               result["upper_bound"], None if gap is None else 100.0 * gap, result["seconds"]),),
        title=f"Summary ({cur}); objective {result['objective']}",
        notes=tuple(f"Rule broken: {v}" for v in result.get("violations", ()))
        + ("cpm_views: price per 1,000 views; cpm_target: cost per 1,000 target impressions.",),
    )
    return selection, summary


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def _plain(value: Any) -> Any:
    """Make solver statistics JSON-safe (NumPy scalars and arrays become Python values)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value

