"""Compare scenarios and strategies side by side (``reachmix compare``).

One row per (scenario, strategy): the plan's money, tier mix, reach, impressions, engagements,
CPM, cost per reached person and proven gap; with ``simulate`` also the Monte Carlo bands and
each KPI target's probability. Each row is exactly what ``optimize`` (and ``simulate``) give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scenarios import InfeasibleError, load_scenario

from .formats import Table
from .parallel import run_tasks
from .results import plan_result

#: The numbers of a row (None when the point's rules conflict).
ROW_NUMBERS = ("spent", "target_reach", "target_impressions", "engagements", "creators", "cpm", "cost_per_reached",
               "upper_bound", "gap", "seconds")
#: Columns of the comparison table and which way is better.
BEST = {"target_reach": "max", "target_impressions": "max", "engagements": "max", "cpm": "min",
        "cost_per_reached": "min", "gap %": "min"}


def evaluate_row(path: str, overrides: Mapping[str, Any] | None, strategy: str, options: Mapping[str, Any],
                 simulate: bool) -> dict[str, Any]:
    """Optimise (and optionally simulate) one scenario with one strategy: one comparison row.

    A top-level function so that process pools and Dask workers can run it.
    """
    import optimizer

    scenario = load_scenario(path, overrides)
    try:
        plan = optimizer.optimize(scenario, strategy, **options)
    except InfeasibleError as exc:
        # One point whose rules conflict (say, a budget below the quotas) must not sink the table.
        return {"scenario": scenario.name, "strategy": strategy, "status": "infeasible", "reason": str(exc),
                "currency": scenario.currency, "budget": float(scenario.budget), "file": str(path),
                **{key: None for key in ROW_NUMBERS}, "creators_by_tier": {}, "spend_by_tier": {}}
    result = plan_result(scenario, plan)
    row = {key: result[key] for key in ("scenario", "strategy", "status", "currency", "budget",
                                       "creators_by_tier", "spend_by_tier", *ROW_NUMBERS)}
    row["file"] = str(path)
    if simulate:
        import simulate as sim

        outcome = sim.simulate(scenario, plan.posts).to_dict()
        for metric in ("views", "target_reach", "followers_gained"):
            for q in ("p5", "p50", "p95"):
                row[f"sim_{metric}_{q}"] = outcome["totals"][metric][q]
        row["kpi_targets"] = outcome["kpi_targets"]
    return row


def compare(paths: Sequence[str | Path], strategies: Sequence[str] = ("milp",), *, simulate: bool = False,
            options: Mapping[str, Any] | None = None, jobs: int = 1, dask: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Rows for every scenario x strategy, in that order."""
    tasks = [(str(p), None, s, dict(options or {}), simulate) for p in paths for s in strategies]
    return run_tasks(evaluate_row, tasks, jobs=jobs, dask=dask, progress=progress)


def comparison_table(rows: Sequence[Mapping[str, Any]], title: str = "Comparison") -> Table:
    columns = ["scenario", "strategy", "status", "budget", "spent", "creators_by_tier", "target_reach",
               "target_impressions", "engagements", "cpm", "cost_per_reached", "gap %", "seconds"]
    sim_cols = list(dict.fromkeys(k for row in rows for k in row if k.startswith("sim_")))
    columns += sim_cols
    kpi_names = []
    for row in rows:
        for k in row.get("kpi_targets", ()):
            name = f"P({k['metric']}>={k['target']:g} by day {k['by_day']})"
            if name not in kpi_names:
                kpi_names.append(name)
    columns += kpi_names
    table_rows = []
    for row in rows:
        values = dict(row)
        values["gap %"] = None if row.get("gap") is None else 100.0 * row["gap"]
        for k in row.get("kpi_targets", ()):
            values[f"P({k['metric']}>={k['target']:g} by day {k['by_day']})"] = k["probability"]
        table_rows.append(tuple(values.get(c) for c in columns))
    best = dict(BEST)
    best.update({c: "max" for c in sim_cols + kpi_names})
    notes = tuple(f"{row['scenario']} / {row['strategy']}: infeasible: {row['reason']}"
                  for row in rows if row.get("reason"))
    return Table(columns=tuple(columns), rows=tuple(table_rows), title=title, best=best, notes=notes)
