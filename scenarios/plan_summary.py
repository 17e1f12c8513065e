"""A plan's headline numbers (``Plan.summary``) and its selection as rows (``Plan.to_frame``).

Beside ``Plan`` in the domain layer, so a notebook gets spend and reach without the orchestration
layer's contract JSON (``whatif.results.plan_result``, which adds CPMs, warnings and statistics).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calendar import schedule_violations
from .frames import data_frame, html_table
from .reach import ReachModel
from .rules import violations

if TYPE_CHECKING:
    from .plan import Plan
    from .scenario import Scenario


@dataclass(frozen=True)
class PlanSummary:
    """A plan scored by the reach model: money in the scenario's currency, reach and impressions
    in the target audience. ``gap`` is the proven optimality gap of the plan's true objective
    (a fraction; ``None`` when the strategy proves no bound)."""

    scenario: str
    strategy: str
    status: str
    currency: str
    budget: float
    spend: float
    reach: float
    impressions: float
    engagements: float
    views: float
    creators: int
    posts: int
    gap: float | None
    violations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return dataclasses.asdict(self) | {"violations": list(self.violations)}

    def to_frame(self):
        """A one-row pandas DataFrame (``pip install 'reachmix[frame]'``)."""
        return data_frame([self.to_dict()])

    def _repr_html_(self) -> str:
        gap = "" if self.gap is None else f"{100 * self.gap:.3g}%"
        rows = [("status", self.status), ("spend", f"{self.spend:,.2f} of {self.budget:,.2f} {self.currency}"),
                ("target reach", f"{self.reach:,.0f}"), ("target impressions", f"{self.impressions:,.0f}"),
                ("engagements", f"{self.engagements:,.0f}"), ("creators / posts", f"{self.creators} / {self.posts}"),
                ("gap", gap)]
        rows += [("breaks", v) for v in self.violations]
        return html_table(("", f"{self.scenario} / {self.strategy}"), rows)


def summarise(scenario: Scenario, plan: Plan, model: ReachModel | None = None) -> PlanSummary:
    """``plan.summary(scenario)``."""
    model = model or ReachModel.build(scenario)
    ev = model.evaluate(plan.posts)
    broken = violations(model, plan.posts)
    if plan.days is not None:  # the default schedule obeys every [schedule] rule by construction
        broken += schedule_violations(scenario, plan.posts, plan.days)
    # The gap is about the plan's true objective value, whatever the strategy said (as plan_result).
    true_value = scenario.objective.value(ev.metrics())
    gap = dataclasses.replace(plan, objective_value=true_value).gap
    return PlanSummary(scenario=scenario.name, strategy=plan.strategy, status="infeasible" if broken else plan.status,
                       currency=scenario.currency, budget=float(scenario.budget), spend=float(ev.cost),
                       reach=float(ev.target_reach), impressions=float(ev.target_impressions),
                       engagements=float(ev.engagements), views=float(ev.views), creators=int(ev.creators),
                       posts=int(ev.posts), gap=gap, violations=tuple(broken))


#: The columns of ``selection_rows`` (and of ``Plan.to_frame``, also when nobody is hired).
SELECTION_COLUMNS = ("handle", "tier", "posts", "cost", "target_impressions", "followers", "avg_views", "target_match")


def selection_rows(scenario: Scenario, plan: Plan, model: ReachModel | None = None) -> list[dict[str, Any]]:
    """One dict per hired creator, in pool order (the columns of the contract's ``selection``)."""
    model = model or ReachModel.build(scenario)
    ev = model.evaluate(plan.posts)
    pool = scenario.pool
    return [{"handle": handle, "tier": scenario.tiers.names[model.tier[i]], "posts": posts,
             "cost": float(ev.creator_cost[i]), "target_impressions": float(ev.creator_target_impressions[i]),
             "followers": float(pool.followers[i]), "avg_views": float(pool.avg_views[i]),
             "target_match": float(model.match[i])}
            for i, handle, posts in plan.selection(pool)]
