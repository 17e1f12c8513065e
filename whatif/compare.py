"""Compare scenarios and strategies side by side (``reachmix compare``).

One row per (scenario, strategy): the plan's money, tier mix, reach, impressions, engagements,
``cpm_views`` and ``cpm_target`` (whatif/cpm.py), cost per reached person and proven gap; with ``simulate`` also the Monte Carlo bands and
each KPI target's probability. Each row is exactly what ``optimize`` (and ``simulate``) give.

Strategies come configured (``MilpStrategy(gap=1e-2)``, or a name for its default settings), as
scikit-learn meta-estimators take an estimator; each task carries its strategy object to the worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from optimizer.base import Strategy, make_strategy
from scenarios import CreatorPool, InfeasibleError, Plan, Scenario, load_scenario
from scenarios.errors import ReachmixError
from scenarios.limits import check_memory
from scenarios.processes import Shared

from .formats import Table
from .parallel import run_tasks
from .plausibility import simulation_warnings, unique
from .results import plan_result

#: The numbers of a row (None when the point's rules conflict).
ROW_NUMBERS = ("spent", "target_reach", "target_impressions", "engagements", "creators", "cpm_views", "cpm_target",
               "cost_per_reached", "upper_bound", "gap", "seconds")
#: Columns of the comparison table and which way is better.
BEST = {"target_reach": "max", "target_impressions": "max", "engagements": "max", "cpm_views": "min",
        "cpm_target": "min", "cost_per_reached": "min", "gap %": "min"}
#: Columns in money: not comparable (no best mark) between rows of different currencies.
MONEY = ("budget", "spent", "cpm_views", "cpm_target", "cost_per_reached")


#: What compare and bench take: strategies (configured objects or names), or labels -> strategies.
Strategies = Strategy | str | Sequence[Strategy | str] | Mapping[str, Strategy | str]


def labelled(strategies: Strategies, *, distinct: bool = False) -> list[tuple[str, Strategy]]:
    """``(label, configured strategy)`` pairs: a name is labelled by itself (and made with its
    default settings), an object by its ``name``, a mapping's entries by their keys. Labels name a
    bench's rows and a comparison row without a plan; with ``distinct`` two alike are an error
    (label them with a mapping)."""
    if isinstance(strategies, (str, Strategy)):
        strategies = [strategies]
    items = (list(strategies.items()) if isinstance(strategies, Mapping)
             else [(s if isinstance(s, str) else getattr(s, "name", None), s) for s in strategies])
    pairs = [(str(label), make_strategy(s)) for label, s in items]
    labels = [label for label, _ in pairs]
    twice = next((label for label in labels if labels.count(label) > 1), None) if distinct else None
    if twice is not None:
        raise ReachmixError(f'two strategies are both named "{twice}"; label them with a mapping, e.g. '
                            '{"milp-fast": MilpStrategy(gap=0.05), "milp": MilpStrategy()}')
    return pairs


def configured(names: Sequence[str], **settings: Any) -> dict[str, Strategy]:
    """Strategy names (the command line's), each made once with the settings it takes from
    ``settings`` (``gap``, ``time_limit``, ``solver``, ``seed``: the others dropped, as greedy takes
    no gap), labelled by the name given (``package.module:ClassName`` as typed)."""
    return {name: make_strategy(name, **settings) for name in names}


def strategy_row(scenario: Scenario, strategy: Strategy, simulate: bool = False, label: str | None = None,
                 file: str | None = None) -> tuple[dict[str, Any], Plan | None]:
    """One comparison row of a loaded scenario, and its plan (``None`` where the rules conflict).

    The row's ``strategy`` is the plan's own name (``plan.strategy``); a row without a plan says
    ``label`` (default: ``strategy.name``). ``file``: the scenario file, when there is one."""
    where = {} if file is None else {"file": file}
    import optimizer

    try:
        plan = optimizer.optimize(scenario, strategy)
    except InfeasibleError as exc:
        # One point whose rules conflict (say, a budget below the quotas) must not sink the table.
        return {"scenario": scenario.name, "strategy": strategy.name if label is None else label,
                "status": "infeasible", "reason": str(exc), "currency": scenario.currency,
                "budget": float(scenario.budget), **where, **{key: None for key in ROW_NUMBERS}, "creators_by_tier": {},
                "spend_by_tier": {}, "warnings": []}, None
    result = plan_result(scenario, plan)
    row = {key: result[key] for key in ("scenario", "strategy", "status", "currency", "budget",
                                       "creators_by_tier", "spend_by_tier", *ROW_NUMBERS, "warnings")}
    row.update(where)
    row["warnings"] = unique(list(scenario.pool.warnings) + row["warnings"])  # the pool reader's first
    if simulate:
        import simulate as sim
        from optimizer.risk import quantile_of

        simulated = sim.simulate(scenario, plan.posts, post_days=plan.days)
        outcome = simulated.to_dict()
        for metric in ("views", "target_reach", "followers_gained"):
            for q in ("p5", "p50", "p95"):
                row[f"sim_{metric}_{q}"] = outcome["totals"][metric][q]
        # The mean and p10 of target reach side by side (risk-aware objectives, issue 11; p10 as
        # [objective] risk defines it: the value all but 10% of runs reach).
        row["sim_target_reach_mean"] = outcome["totals"]["target_reach"]["mean"]
        row["sim_target_reach_p10"] = quantile_of(simulated.finals["target_reach"], 0.1)
        row["kpi_targets"] = outcome["kpi_targets"]
        row["warnings"] = unique(row["warnings"] + simulation_warnings(scenario, outcome))
    return row, plan


def evaluate_scenario(scenario: Scenario, pool: CreatorPool, label: str, strategy: Strategy, simulate: bool,
                      file: str) -> dict[str, Any]:
    """``strategy_row`` of a scenario loaded by the caller and shipped without its pool (``pool``
    arrives once per worker, see ``scenario_rows``)."""
    return strategy_row(dataclasses.replace(scenario, pool=pool), strategy, simulate, label, file=file)[0]


#: Override keys (their first parts) that can change how the pool is read: a point that sets none
#: of them reuses the pool of an earlier point of its file. The loader still checks (``pool_memory``)
#: that the reused pool was read with this point's settings and reads it again if not, so this list
#: only saves reads; ``pool`` (its file) must be here, since a given pool is not checked against it.
POOL_KEYS = ("pool", "model", "tiers", "constraints.max_posts", "schedule.start_date")


def _pool_key(path: str, overrides: Mapping[str, Any] | None) -> tuple:
    def reads_pool(key: str) -> bool:
        return any(key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in POOL_KEYS)

    return path, repr(sorted((k, repr(v)) for k, v in (overrides or {}).items() if reads_pool(k)))


def scenario_rows(points: Sequence[tuple[str, Mapping[str, Any] | None, str, Strategy]], *, simulate: bool = False,
                  jobs: int = 1, dask: str | None = None, progress: Callable[[int, int], None] | None = None,
                  calibration: str | None = None, read_options=None) -> list[dict[str, Any]]:
    """The row of every ``(scenario file, overrides, label, strategy)`` point, in order.

    Every point's scenario is loaded here first (so a bad file or value fails before any work
    starts, and workers need not see the files), each distinct pool read once; the tasks carry the
    scenario without its pool and the pool goes to each worker once (scattered on Dask): a
    1,000,000-creator pool is not pickled, sent and unpickled for every point of a sweep."""
    pools: list[CreatorPool] = []
    by_key: dict[tuple, CreatorPool] = {}
    tasks = []
    for path, overrides, label, strategy in points:
        key = _pool_key(str(path), overrides)
        scenario = load_scenario(path, overrides, calibration=calibration, read_options=read_options,
                                 pool=by_key.get(key))
        by_key[key] = scenario.pool
        index = next((k for k, p in enumerate(pools) if p is scenario.pool), None)
        if index is None:
            index = len(pools)
            pools.append(scenario.pool)
            check_memory(sum(p.memory_bytes() for p in pools), f"the {len(pools)} different creator pools the points "
                         "read (their pool settings differ)", "vary fewer pool settings (pool, model, tiers, "
                         "constraints.max_posts) per run")
        tasks.append((dataclasses.replace(scenario, pool=None), Shared(index), label, strategy, simulate, str(path)))
    return run_tasks(evaluate_scenario, tasks, jobs=jobs, dask=dask, progress=progress, shared=pools)


def compare(paths: Sequence[str | Path], strategies: Strategies = ("milp",), *, simulate: bool = False,
            jobs: int = 1, dask: str | None = None, progress: Callable[[int, int], None] | None = None,
            calibration: str | Path | None = None, read_options=None) -> list[dict[str, Any]]:
    """Rows for every scenario x strategy, in that order. ``strategies``: configured objects
    (``[MilpStrategy(gap=1e-2), GreedyStrategy()]``), names (default settings), or a mapping of labels
    to them (see ``labelled``); ``calibration``: merged over each scenario; ``read_options``: a
    ``scenarios.table.ReadOptions`` for every pool."""
    cal = None if calibration is None else str(calibration)
    chosen = labelled(strategies)
    points = [(str(p), None, label, s) for p in paths for label, s in chosen]
    return scenario_rows(points, simulate=simulate, jobs=jobs, dask=dask, progress=progress, calibration=cal,
                         read_options=read_options)


def comparison_table(rows: Sequence[Mapping[str, Any]], title: str = "Comparison") -> Table:
    """The rows as a table. Money is in each scenario's currency: one currency is named in the
    title; when the scenarios' currencies differ, a ``currency`` column says it on every row and
    money columns get no best-value mark (amounts in different currencies do not compare)."""
    currencies = list(dict.fromkeys(str(row.get("currency") or "") for row in rows))
    mixed = len(currencies) > 1
    columns = ["scenario", "strategy", "status", *(["currency"] if mixed else []), "budget", "spent",
               "creators_by_tier", "target_reach", "target_impressions", "engagements", "cpm_views", "cpm_target",
               "cost_per_reached", "gap %", "seconds"]
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
    best = {k: v for k, v in BEST.items() if not (mixed and k in MONEY)}
    best.update({c: "max" for c in sim_cols + kpi_names})
    notes = tuple(f"{row['scenario']} / {row['strategy']}: infeasible: {row['reason']}"
                  for row in rows if row.get("reason"))
    notes += ("cpm_views: price per 1,000 views; cpm_target: cost per 1,000 target impressions.",)
    if mixed:
        title += " (money in each row's currency; currencies differ)"
    elif currencies and currencies[0]:
        title += f" (money in {currencies[0]})"
    return Table(columns=tuple(columns), rows=tuple(table_rows), title=title, best=best, notes=notes,
                 percent=tuple(kpi_names))
