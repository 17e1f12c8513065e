"""The two CPMs, named so that ``cpm`` means one thing in every command.

* ``cpm_views``: price per 1,000 views (spend x 1,000 / views), the rate-card sense: what a
  creator charges (validate's per-tier medians, the plausibility checks) or what a plan or a
  simulated campaign pays per 1,000 of all its views.
* ``cpm_target``: cost per 1,000 *target* impressions (spend x 1,000 / target impressions of the
  reach model, contract section 4): what reaching the target audience costs. Always higher than
  ``cpm_views`` (only part of each creator's audience is in the target).

A bare ``cpm`` appears in no JSON and no table: the simulator's own ``cpm`` metric (spend per
1,000 views) is renamed ``cpm_views`` in the ``simulate`` JSON and the report.
"""

from __future__ import annotations

from typing import Any

CPM_VIEWS = "cpm_views"
CPM_TARGET = "cpm_target"
MEANING = {
    CPM_VIEWS: "price per 1,000 views",
    CPM_TARGET: "cost per 1,000 target impressions",
}
#: The simulator's (library) name of spend per 1,000 views.
SIMULATED = "cpm"


def per_thousand(spend: float, count: float) -> float | None:
    """``spend`` per 1,000 of ``count`` (None when nothing was counted)."""
    return 1000.0 * spend / count if count > 0 else None


def rename_simulated(result: dict[str, Any]) -> dict[str, Any]:
    """The simulate JSON with the simulator's ``cpm`` metric called ``cpm_views`` (series, totals,
    weekly and monthly roll-ups), order kept. Changes ``result`` in place and returns it."""

    def renamed(mapping: dict[str, Any]) -> dict[str, Any]:
        return {CPM_VIEWS if k == SIMULATED else k: v for k, v in mapping.items()}

    for key in ("series", "totals"):
        if isinstance(result.get(key), dict):
            result[key] = renamed(result[key])
    for key in ("weekly", "monthly"):
        if isinstance(result.get(key), list):
            result[key] = [renamed(row) if isinstance(row, dict) else row for row in result[key]]
    return result
