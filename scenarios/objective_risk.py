"""``[objective] risk = { measure, level, day }``: the risk-aware objective's settings (issue 11).

Parsed apart from ``loader.py`` (kept under the module size limit); ``d`` is the loader's ``_Doc``
of the ``[objective]`` table, so errors name the file and the dotted key like every other one.
"""

from __future__ import annotations

import dataclasses

from .scenario import Objective, SimulationSettings

#: Risk measures: the ``level`` quantile of the metric over runs, or the mean of its worst ``level`` share.
RISK_MEASURES: tuple[str, ...] = ("quantile", "cvar")


def with_risk(d, objective: Objective, simulation: SimulationSettings) -> Objective:
    """``objective`` with the ``risk`` table of ``d`` (the ``[objective]`` table) applied."""
    if "risk" not in d.table:
        return objective
    risk = d.sub("risk")
    risk.check_keys(("measure", "level", "day"))
    measure = risk.string("measure", ..., choices=RISK_MEASURES)
    level = risk.number("level", 0.1)
    if not 0.0 < level < 1.0:
        raise risk.err("level", f"= {level:g} must be in (0, 1); 0.1 means the worst 10% of runs")
    last = int(simulation.days) - 1
    day = risk.number("day", None, low=0, integer=True)
    if day is not None and day > last:
        raise risk.err("day", f"= {day} is after the last simulated day {last}; lower it or raise [simulation] days")
    if objective.for_kpis:
        raise d.err("risk", 'does not apply to maximize = "kpi" (that objective already plans for the probability '
                            "of meeting the [[kpi]] targets); remove one of them")
    if len(objective.weights) != 1:
        raise d.err("risk", "needs one objective metric (maximize = \"target_reach\", \"target_impressions\" or "
                            "\"engagements\"); a weighted objective is not supported with risk")
    return dataclasses.replace(objective, risk_measure=measure, risk_level=float(level), risk_day=day)
