"""One library function per command. ``cli.py`` parses arguments, calls one of these and
formats the ``Output``; everything else (loading, checking, computing) happens here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios import ReachModel, Scenario, eligible, load_scenario, plan_from_json
from scenarios.errors import ReachmixError, ScenarioError
from scenarios.files import OutputError, atomic_write_text, check_output
from scenarios.table import ReadOptions

from .cpm import rename_simulated
from .calendar_view import check_calendar, plan_calendar
from .formats import Percent, Table
from .kpi_budget import budget_tables, search_budget
from .progress import current as current_progress
from .plausibility import (collect_rows, plan_warnings, pool_outliers, report_warnings, scale_warnings,
                           simulation_warnings, unique)
from .results import plan_result, plan_tables


@dataclass(frozen=True)
class Output:
    """A command's result: the JSON document and the tables for the human formats."""

    result: Any
    tables: tuple[Table, ...]
    #: The files the command read: an ``--output`` may not be one of them (checked again on writing).
    inputs: tuple[Path, ...] = ()


def _reader_warnings(result: dict, scenario: Scenario) -> dict:
    """The pool reader's warnings (unused look-alike columns, rates above 1) ahead of the plan's."""
    result["warnings"] = unique(list(scenario.pool.warnings) + list(result.get("warnings") or []))
    return result


def _with_budget(scenario: Scenario, budget: float | None) -> Scenario:
    if budget is None:
        return scenario
    if not budget > 0:
        raise ScenarioError(f"--budget {budget:g} must be > 0")
    return dataclasses.replace(scenario, budget=float(budget))


def _calibrated(output: Output, changes: Mapping[str, Any], calibration: str | Path | None) -> Output:
    """With ``--calibration``: a ``calibration`` entry (dotted key -> [old, new]) and a note line."""
    if calibration is None or not isinstance(output.result, dict):
        return output
    from scenarios.calibration_file import describe

    result = dict(output.result, calibration={k: list(v) for k, v in changes.items()})
    tables = output.tables
    if tables:
        first = tables[0]
        tables = (dataclasses.replace(first, notes=tuple(first.notes) + (describe(changes, calibration),)),
                  *tables[1:])
    return dataclasses.replace(output, result=result, tables=tables)


def _changes_of(paths, calibration: str | Path | None) -> dict[str, list]:
    """What the calibration changes in each scenario (prefixed by the file when there are several)."""
    if calibration is None:
        return {}
    from scenarios.loader import apply_calibration, read_scenario_document

    out: dict[str, list] = {}
    for p in paths:
        doc = read_scenario_document(p)
        changes = apply_calibration(doc, calibration)[1]
        out.update(changes if len(paths) == 1 else {f"{p}:{k}": v for k, v in changes.items()})
    return out


#: A pool file at least this large (about a second or more of reading) is read under a progress step.
LARGE_POOL_BYTES = 20 * 2**20


def _load_scenario(path: str | Path, **kwargs) -> Scenario:
    """``load_scenario``, with a progress step on stderr while a large pool file is read."""
    pools = [p for p in scenario_inputs(path)[1:] if p.is_file()]
    size = sum(p.stat().st_size for p in pools)
    if size < LARGE_POOL_BYTES:
        return load_scenario(path, **kwargs)
    with current_progress().step(f"reading {pools[0].name} ({size / 2**20:,.0f} MB)"):
        return load_scenario(path, **kwargs)


def scenario_inputs(path: str | Path, sets: Sequence[str] = ()) -> list[Path]:
    """A scenario file and its pool file, found from the TOML without reading the pool (so that the
    outputs are checked before any work); a ``--set pool.file=...`` adds its files. A TOML that
    cannot be read yields only its own path: loading it reports the problem."""
    from scenarios.loader import read_scenario_document

    path = Path(path)
    found = [path]
    try:
        pool = read_scenario_document(path).get("pool", {})
        files = [pool.get("file")] + [v for s in sets if s.partition("=")[0].strip() == "pool.file"
                                      for v in s.partition("=")[2].split(",")]
        found += [path.parent / f.strip() for f in files if isinstance(f, str) and f.strip()]
    except (ReachmixError, ValueError, AttributeError):
        pass
    return found


def guard_outputs(inputs: Iterable[str | Path | None], outputs: Mapping[str, str | Path | None],
                  force: bool = False) -> tuple[Path, ...]:
    """Before any work: refuse an output (``{"--output": path, "--plot": path}``) that is one of the
    inputs, another of the outputs, or an existing file reachmix did not write (unless ``force``).
    Returns the inputs, for ``Output.inputs``."""
    inputs = tuple(Path(p) for p in inputs if p is not None)
    given = [(option, Path(p)) for option, p in outputs.items() if p is not None]
    for k, (option, target) in enumerate(given):
        check_output(target, inputs=inputs, force=force, option=option)
        for other, earlier in given[:k]:
            if Path(earlier).resolve() == target.resolve():
                raise OutputError(f"{option} {target} is also the {other} file; give them different names")
    return inputs


def validate(path: str | Path, *, output: str | Path | None = None, force: bool = False,
             read_options: ReadOptions | None = None) -> Output:
    inputs = guard_outputs(scenario_inputs(path), {"--output": output}, force)
    scenario = _load_scenario(path, read_options=read_options)
    model = ReachModel.build(scenario)
    pool = scenario.pool
    ok = eligible(model)
    names = scenario.tiers.names
    rows = []
    tiers = {}
    for k, tier in enumerate(names):
        rows_k = model.tier == k
        n = int(rows_k.sum())
        tiers[tier] = n
        if not n:
            continue
        cpm = pool.price[rows_k] / np.maximum(pool.avg_views[rows_k], 1e-9) * 1000
        rows.append((tier, n, int((ok & rows_k).sum()), float(np.median(pool.followers[rows_k])),
                     float(np.median(pool.avg_views[rows_k])), float(np.median(pool.price[rows_k])),
                     float(np.median(cpm)), float(np.median(pool.engagement_rate[rows_k])),
                     float(np.median(model.match[rows_k]))))
    demographics = [d for d in ("age", "gender", "locations") if pool.dimension_shares(d) is not None]
    result = {
        "scenario": scenario.name,
        "valid": True,
        "pool": pool.source,
        "creators": pool.size,
        "eligible": int(ok.sum()),
        "currency": scenario.currency,
        "budget": scenario.budget,
        "audience": scenario.audience.describe(),
        "target_cells": model.n_cells,
        "population_split": {d: dict(s) for d, s in model.splits.items()},
        "demographic_columns": demographics,
        "locations": list(pool.location_names),
        "creators_by_tier": tiers,
        "kpis": [dataclasses.asdict(k) for k in scenario.kpis],
        "objective": scenario.objective.name,
        "warnings": list(pool.warnings) + pool_outliers(scenario) + scale_warnings(scenario),
    }
    table = Table(
        columns=("tier", "creators", "eligible", "median followers", "median views", "median price",
                 "median cpm_views", "median ER", "median match"),
        percent=("median ER", "median match"),
        rows=tuple(rows),
        title=f"{scenario.name}: {pool.size:,} creators from {pool.source}, {int(ok.sum()):,} eligible; "
              f"budget {scenario.budget:,.0f} {scenario.currency}",
        notes=(f"Target: {scenario.audience.describe()}; {model.n_cells} target cells.",
               f"Objective: {scenario.objective.name}. Demographic columns: {', '.join(demographics) or 'none'}.",
               f"cpm_views: price per 1,000 views ({scenario.currency})."),
    )
    return Output(result, (table,), inputs)


def evaluate(path: str | Path, plan_path: str | Path, *, output: str | Path | None = None,
             force: bool = False, calibration: str | Path | None = None,
             read_options: ReadOptions | None = None) -> Output:
    inputs = guard_outputs([*scenario_inputs(path), plan_path, calibration], {"--output": output}, force)
    scenario = _load_scenario(path, calibration=calibration, read_options=read_options)
    plan = plan_from_json(plan_path, scenario.pool)
    result = _reader_warnings(plan_result(scenario, plan), scenario)
    return _calibrated(Output(result, plan_tables(result), inputs), scenario.calibration, calibration)


def optimize(path: str | Path, *, strategy: str = "milp", budget: float | None = None, gap: float = 1e-3,
             time_limit: float | None = None, solver: str = "highs", seed: int = 0,
             target_reach: float | None = None, plot: str | Path | None = None, output: str | Path | None = None,
             force: bool = False, calibration: str | Path | None = None,
             read_options: ReadOptions | None = None, kpi: dict | None = None, calendar: Path | None = None,
             calendar_csv: Path | None = None, target_probability: float | None = None) -> Output:
    """``kpi``: the KPI objective's settings (``{"draws", "tolerance", "requested"}``, see
    whatif/kpi_plan.py); it is used when ``requested`` or the scenario says ``maximize = "kpi"``.
    ``target_probability``: the smallest budget whose KPI plan meets that (whatif/kpi_budget.py; ``search=``).
    ``calendar``, ``calendar_csv``: also write the schedule as an iCalendar file, as CSV (whatif/calendar_view.py)."""
    import optimizer

    inputs = guard_outputs([*scenario_inputs(path), calibration],
                           {"--output": output, "--plot": plot, "--calendar": calendar, "--calendar-csv": calendar_csv},
                           force)
    scenario = _with_budget(_load_scenario(path, calibration=calibration, read_options=read_options), budget)
    check_calendar(scenario, calendar)
    # ``kpi["requested"]`` (--for-kpis) or [objective] maximize = "kpi" (unless another question or
    # strategy is asked for explicitly) chooses for the KPIs.
    scenario, search = search_budget(scenario, target_probability, kpi, target_reach=target_reach, gap=gap,
                                     time_limit=time_limit, solver=solver, seed=seed)
    for_kpis = search is not None or kpi is not None and (kpi.get("requested", True) or (
        scenario.objective.for_kpis and target_reach is None and strategy == "milp"))
    if for_kpis:
        return _calibrated(_kpi_output(scenario, kpi or {}, gap=gap, time_limit=time_limit, solver=solver, seed=seed,
                                       plot=plot, inputs=inputs, calendar=(calendar, calendar_csv), search=search),
                           scenario.calibration, calibration)
    if scenario.objective.risk_measure and target_reach is None and strategy == "milp":  # [objective] risk
        from .risk_plan import risk_output
        return _calibrated(Output(*risk_output(scenario, gap=gap, time_limit=time_limit, solver=solver, seed=seed,
                                               plot=plot, calendar=(calendar, calendar_csv),
                                               draws=(kpi or {}).get("draws")), inputs),
                           scenario.calibration, calibration)
    if target_reach is not None:
        milp = optimizer.make_strategy("milp", gap=gap, time_limit=time_limit, solver=solver)
        needed, plan = optimizer.min_budget_for_reach(scenario, target_reach, strategy=milp)
        scenario = dataclasses.replace(scenario, budget=float(needed))
    else:
        plan = optimizer.optimize(scenario, strategy, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    result = _reader_warnings(plan_result(scenario, plan), scenario)
    if target_reach is not None:
        result["target_reach_goal"] = float(target_reach)
        result["min_budget"] = float(scenario.budget)
        result["min_budget_proven"] = bool(plan.stats.get("budget_proven", False))
        if plan.stats.get("budget_note"):
            result.setdefault("warnings", []).append(plan.stats["budget_note"])
    if plot is not None:
        from .charts import spend_by_tier

        spend_by_tier(result, plot, currency=scenario.currency, budget=scenario.budget)
    tables = (*plan_tables(result), *plan_calendar(result, scenario, calendar, calendar_csv))
    return _calibrated(Output(result, tables, inputs), scenario.calibration, calibration)


def _kpi_output(scenario: Scenario, kpi: dict, *, gap, time_limit, solver, seed, plot, inputs,
                calendar=(None, None), search=None) -> Output:
    from .kpi_plan import DEFAULT_DRAWS, kpi_plan, kpi_table

    found = search.found if search is not None else kpi_plan(
        scenario, draws=kpi.get("draws") or DEFAULT_DRAWS, tolerance=float(kpi.get("tolerance") or 0.0),
        gap=gap, time_limit=time_limit, solver=solver, seed=seed or None)
    result = _reader_warnings(plan_result(scenario, found.plan), scenario)
    result["kpis"] = [dict(row) for row in found.kpis]
    result["kpi_draws"] = found.draws
    result["kpi_candidates"] = found.candidates
    result["kpi_stages"] = list(found.plan.stats.get("stages", ()))
    result.update(search.to_json() if search is not None else {})
    if found.notes:
        result["warnings"] = unique(list(result.get("warnings") or []) + list(found.notes))
    if plot is not None:
        from .charts import spend_by_tier

        spend_by_tier(result, plot, currency=scenario.currency, budget=scenario.budget)
    return Output(result, (*plan_tables(result), kpi_table(result), *budget_tables(result),
                           *plan_calendar(result, scenario, *calendar)), inputs)


def frontier(path: str | Path, *, points: int = 10, gap: float = 1e-3, time_limit: float | None = None,
             solver: str = "highs", engagements: bool = False, plot: str | Path | None = None,
             output: str | Path | None = None, force: bool = False,
             calibration: str | Path | None = None, read_options: ReadOptions | None = None) -> Output:
    import optimizer

    inputs = guard_outputs([*scenario_inputs(path), calibration], {"--output": output, "--plot": plot}, force)
    scenario = _load_scenario(path, calibration=calibration, read_options=read_options)
    milp = optimizer.make_strategy("milp", gap=gap, time_limit=time_limit, solver=solver)
    trace = optimizer.engagement_frontier if engagements else optimizer.frontier
    rows = trace(scenario, points=points, strategy=milp)
    result = {"scenario": scenario.name, "currency": scenario.currency,
              "frontier": "reach-engagements" if engagements else "budget-reach", "rows": rows,
              "warnings": list(scenario.pool.warnings)}
    if plot is not None:
        from .charts import budget_curve, strategy_comparison

        if engagements:
            strategy_comparison([dict(r, strategy=f"point {k + 1}") for k, r in enumerate(rows)], plot,
                                currency=scenario.currency)
        else:
            budget_curve([r for r in rows if r.get("target_reach") is not None], plot, currency=scenario.currency,
                         budget=scenario.budget)
    # Every row's keys, in order: the first row may be an infeasible one with only budget/status/reason.
    columns = tuple(dict.fromkeys(k for r in rows for k in r if not isinstance(r[k], (dict, list)))) or ("budget",)

    def cell(row, column):  # the gap: a fraction in JSON, a percentage in every table
        if column != "gap":
            return row.get(column)
        return None if row.get("gap") is None else 100.0 * row["gap"]

    table = Table(columns=tuple("gap %" if c == "gap" else c for c in columns),
                  rows=tuple(tuple(cell(r, c) for c in columns) for r in rows),
                  title=f"{scenario.name}: {result['frontier']} frontier ({scenario.currency})")
    return _calibrated(Output(result, (table,), inputs), scenario.calibration, calibration)


def simulate(path: str | Path, *, plan_path: str | Path | None = None, strategy: str = "milp",
             runs: int | None = None, days: int | None = None, seed: int | None = None, jobs: int = 1,
             dask: str | None = None, progress: Callable[[int, int], None] | None = None,
             plot: str | Path | None = None, plot_metric: str | None = None, output: str | Path | None = None,
             force: bool = False, calibration: str | Path | None = None,
             read_options: ReadOptions | None = None) -> Output:
    import simulate as sim

    inputs = guard_outputs([*scenario_inputs(path), plan_path, calibration], {"--output": output, "--plot": plot},
                           force)
    scenario = _load_scenario(path, calibration=calibration, read_options=read_options)
    from simulate.runner import check_budget

    check_budget(scenario, runs=runs, days=days, jobs=1 if dask else jobs)  # before the plan is even made
    if plan_path is not None:
        plan = plan_from_json(plan_path, scenario.pool)
    else:
        import optimizer

        plan = optimizer.optimize(scenario, strategy)
    if dask:
        from .parallel import dask_session

        with dask_session(dask) as client:
            outcome = sim.simulate(scenario, plan.posts, runs=runs, days=days, seed=seed, progress=progress,
                                   executor=client, post_days=plan.days)
    else:
        outcome = sim.simulate(scenario, plan.posts, runs=runs, days=days, seed=seed, jobs=jobs, progress=progress,
                               post_days=plan.days)
    result = rename_simulated(outcome.to_dict())  # the simulator's "cpm" is cpm_views (whatif/cpm.py)
    result["strategy"] = plan.strategy
    result["warnings"] = unique(list(scenario.pool.warnings) + plan_warnings(scenario, plan.posts)
                                + simulation_warnings(scenario, result))
    if plot is not None:
        from .charts import kpi_bands

        metric = plot_metric or (scenario.kpis[0].metric if scenario.kpis else "target_reach")
        if metric not in result["series"]:
            raise ScenarioError(f'--plot-metric {metric} is not a simulated metric; use one of '
                                f'{", ".join(result["series"])}')
        kpi_bands(result, metric, path=plot)
    return _calibrated(Output(result, simulation_tables(result), inputs), scenario.calibration, calibration)


def simulation_tables(result: dict) -> tuple[Table, ...]:
    totals = result["totals"]
    rows = tuple((metric, *(_rate(metric, v.get(q)) for q in ("mean", "p5", "p50", "p95")))
                 for metric, v in totals.items())
    table = Table(columns=("metric", "mean", "p5", "p50", "p95"), rows=rows,
                  title=f"{result['scenario']}: {result['runs']:,} runs over {result['days']} days "
                        f"(seed {result['seed']}), final values")
    kpis = Table(columns=("priority", "metric", "target", "by_day", "probability"),
                 rows=tuple((k["priority"], k["metric"], _rate(k["metric"], k["target"]), k["by_day"], k["probability"])
                            for k in result.get("kpi_targets", ())),
                 title="KPI targets (probability of meeting each by its day)", percent=("probability",))
    return (table, kpis) if result.get("kpi_targets") else (table,)


#: Simulated metrics that are rates (fractions): shown as percents in tables.
RATE_METRICS = ("engagement_rate", "engagement_rate_followers")


def _rate(metric: str, value: Any) -> Any:
    return Percent(value) if metric in RATE_METRICS and isinstance(value, (int, float)) else value


def calibrate(history_path: str | Path, *, toml_path: str | Path | None = None, output: str | Path | None = None,
              force: bool = False, **reading) -> Output:
    """Fit the simulator to past posts: fit-quality tables, and the TOML fragment to paste.

    ``reading`` are the video reader's options (maps, timezones, date_order, delimiter, encoding,
    decimal), as for ``ingest``."""
    from simulate.calibrate import fit as fit_history
    from simulate.history import read_history

    from .ingest import read_options

    inputs = guard_outputs([history_path], {"--output": output, "--toml": toml_path}, force)
    observations, warnings = read_history(history_path, read_options(**reading))
    fit = fit_history(observations, warnings, source=str(history_path))
    result = fit.to_dict()
    views, dispersion = result["views_per_follower"], result["view_dispersion"]["by_tier"]
    engagement = result["interactions"].get("engagement_by_tier", {})
    tiers = Table(
        columns=("tier", "videos", "creators", "median views/follower", "mean views/follower", "sigma (log)",
                 "KS p-value", "dispersion within creator", "engagement/view"),
        rows=tuple((tier, v.get("n"), v.get("creators"), v.get("median"), v.get("mean"), v.get("sigma"),
                    v.get("ks_pvalue"), dispersion.get(tier), engagement.get(tier, {}).get("rate"))
                   for tier, v in views.items() if isinstance(v, dict)),
        title=f"Calibration from {history_path}: {result['observations']:,} observations of {result['videos']:,} "
              f"videos by {result['creators']:,} creators",
        percent=("engagement/view",),
    )
    chosen = result["view_models"].get("chosen")
    models = Table(columns=("model", "chosen", "parameters", "tau (between creators)", "sigma (within)", "AIC",
                            "CV RMSE (log)"), rows=tuple(fit.view_model_rows()),
                   title="Views from followers (expected views of a post)",
                   notes=(f"Chosen: {chosen} ({result['view_models'].get('reason')})." if chosen
                          else "No follower model could be fitted; the defaults are kept.",))
    curve = result["curve"]
    checkpoints = curve.get("checkpoints", {})
    curve_table = Table(
        columns=("fitted", "day-1 share", "+-", "shape", "+-", "rmse (log)", *[f"by {k}" for k in checkpoints]),
        rows=((curve.get("fitted"), curve.get("day1_share"), curve.get("day1_share_se"), curve.get("shape"),
               curve.get("shape_se"), curve.get("rmse_log"), *checkpoints.values()),),
        title="Accumulation curve (share of eventual views by age)",
    )
    notes = tuple(f"Warning: {w}" for w in fit.warnings)
    fragment = Table(columns=("TOML fragment to paste into a scenario (or save with --toml FILE for --calibration)",),
                     rows=tuple((line,) for line in fit.to_toml().splitlines()), notes=notes)
    if toml_path is not None:
        atomic_write_text(toml_path, fit.to_toml(), what="the TOML fragment")
    return Output(result, (tiers, models, curve_table, fragment), inputs)


def ingest(videos: Sequence[str | Path], out: str | Path, *, maps: Sequence[str] = (), timezones: Sequence[str] = (),
           date_order: str | None = None, delimiter: str | None = None, encoding: str | None = None,
           decimal: str | None = None, rate_card: str | Path | None = None, force: bool = False,
           output: str | Path | None = None) -> Output:
    """Video exports -> OUT/history.csv, OUT/creators.csv (a pool), OUT/calibration.toml; see whatif/ingest.py."""
    from .ingest import OUTPUT_NAMES, ingest as run_ingest, read_options, summary_tables

    for name in OUTPUT_NAMES:  # the summary must not replace a file this ingest writes
        if output is not None and Path(output).resolve() == (Path(out) / name).resolve():
            raise OutputError(f"--output {output} is the {name} that ingest writes; give --output another "
                              "file name")
    inputs = guard_outputs([*videos, rate_card], {"--output": output}, force)
    options = read_options(maps, timezones, date_order, delimiter, encoding, decimal)
    result = run_ingest(videos, out, options=options, rate_card=rate_card, force=force)
    return Output(result, summary_tables(result), inputs)


def backtest(videos: Sequence[str | Path], *, maps: Sequence[str] = (), timezones: Sequence[str] = (),
             date_order: str | None = None, delimiter: str | None = None, encoding: str | None = None,
             decimal: str | None = None, train_share: float = 0.7, seed: int = 0, plot: str | Path | None = None,
             output: str | Path | None = None, force: bool = False) -> Output:
    """Split creators, calibrate on the train side, score both forecasts' bands; see whatif/backtest.py."""
    from .backtest import backtest as run_backtest, backtest_tables
    from .ingest import read_options

    inputs = guard_outputs(videos, {"--output": output, "--plot": plot}, force)
    options = read_options(maps, timezones, date_order, delimiter, encoding, decimal)
    result = run_backtest(videos, options=options, train_share=train_share, seed=seed, plot=plot)
    return Output(result, backtest_tables(result), inputs)


def generate(creators: int, seed: int, out: str | Path, *, output: str | Path | None = None,
             force: bool = False) -> Output:
    from scenarios.generate import EXAMPLE_FILES, write_example

    if creators < 1:
        raise ScenarioError(f"--creators {creators} must be at least 1")
    for name in EXAMPLE_FILES:
        if output is not None and Path(output).resolve() == (Path(out) / name).resolve():
            raise OutputError(f"--output {output} is the {name} that generate writes; give --output another "
                              "file name")
    guard_outputs((), {"--output": output}, force)
    scenario_path, pool_path = write_example(out, creators, seed, force=force)
    summary = validate(scenario_path)
    result = dict(summary.result, scenario_file=str(scenario_path), pool_file=str(pool_path))
    note = f"Wrote {scenario_path} and {pool_path}."
    table = dataclasses.replace(summary.tables[0], notes=summary.tables[0].notes + (note,))
    return Output(result, (table,))


def compare(paths, *, strategies=("milp",), simulate=False, gap=1e-3, time_limit=None, solver="highs",
            seed=0, jobs=1, dask=None, progress=None, plot=None, output=None, force=False, calibration=None,
            read_options=None) -> Output:
    from .compare import compare as run_compare, comparison_table, configured as _configured

    inputs = guard_outputs([*(f for p in paths for f in scenario_inputs(p)), calibration],
                           {"--output": output, "--plot": plot}, force)
    configured = _configured(strategies, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    rows = run_compare(paths, configured, simulate=simulate, jobs=jobs, dask=dask, progress=progress,
                       calibration=calibration, read_options=read_options)
    if plot is not None:
        from .charts import strategy_comparison

        strategy_comparison([r for r in rows if r["target_reach"] is not None], plot,
                            currency=rows[0]["currency"] if rows else "")
    return _calibrated(Output({"rows": rows, "warnings": collect_rows(rows)},
                              (comparison_table(rows, "Scenarios and strategies compared"),), inputs),
                       _changes_of(paths, calibration), calibration)


def sweep(path, sets, *, strategy="milp", simulate=False, gap=1e-3, time_limit=None, solver="highs", seed=0,
          jobs=1, dask=None, progress=None, plot=None, output=None, force=False, calibration=None,
          read_options=None) -> Output:
    from .compare import configured as _configured
    from .sweep import sweep as run_sweep, sweep_table

    inputs = guard_outputs([*scenario_inputs(path, sets), calibration], {"--output": output, "--plot": plot}, force)
    configured = _configured([strategy], gap=gap, time_limit=time_limit, solver=solver, seed=seed)[strategy]
    rows = run_sweep(path, sets, strategy=configured, label=strategy, simulate=simulate, jobs=jobs, dask=dask,
                     progress=progress, calibration=calibration, read_options=read_options)
    if plot is not None:
        from .charts import budget_curve, strategy_comparison

        currency = rows[0]["currency"] if rows else ""
        drawn = [r for r in rows if r["target_reach"] is not None]  # points whose rules conflict have no reach
        if rows and list(rows[0]["parameters"]) == ["budget.total"]:
            budget_curve(drawn, plot, currency=currency)  # the budget-response curve
        else:
            labels = [", ".join(f"{k}={v}" for k, v in r["parameters"].items()) for r in drawn]
            strategy_comparison([dict(r, strategy=label) for r, label in zip(drawn, labels)], plot, currency=currency)
    return _calibrated(Output({"rows": rows, "warnings": collect_rows(rows)},
                              (sweep_table(rows, f"Sweep of {path} ({strategy})"),), inputs),
                       _changes_of([path], calibration), calibration)


def bench(strategies, *, creators=1000, instances=10, seed=0, tier_mixes=("default",), budget_shares=(0.03,),
          overlaps=("medium",), rules=("on",), pisinger=False, pisinger_dir=None, gap=1e-3, time_limit=None,
          jobs=1, dask=None, plot=None, progress=None, output=None, force=False, kpi_runs=0) -> Output:
    import itertools

    from .bench import Family, bench as run_bench, bench_table, check_bench_size
    from .compare import configured as _configured

    pisinger_files = sorted(Path(pisinger_dir).glob("*")) if pisinger_dir and Path(pisinger_dir).is_dir() else []
    inputs = guard_outputs(pisinger_files, {"--output": output, "--plot": plot}, force)
    folder = None
    if pisinger or pisinger_dir:
        from scenarios.knapsack import BUNDLED

        candidates = [pisinger_dir or BUNDLED]
        folder = next((Path(c) for c in candidates if (Path(c) / "optima.csv").is_file()), None)
        if folder is None:
            raise ScenarioError(f"--pisinger: no optima.csv in {' or '.join(map(str, candidates))}; "
                                "pass --pisinger-dir DIR")
    families = [Family(creators=creators, tier_mix=m, budget_share=b, overlap=o, constraints=(r == "on"))
                for m, b, o, r in itertools.product(tier_mixes, budget_shares, overlaps, rules)]
    check_bench_size(len(families) * instances, len(strategies), creators, 1 if dask else jobs)
    result = run_bench(_configured(strategies, gap=gap, time_limit=time_limit), families=families if instances else (),
                       instances=instances, seed=seed, pisinger=folder, jobs=jobs, dask=dask, progress=progress,
                       kpi_runs=kpi_runs)
    if plot is not None:
        from .charts import quality_ratios

        quality_ratios(result["summary"], plot)
    return Output(result, (bench_table(result),), inputs)


def report(path: str | Path, output: str | Path, *, strategy: str = "milp", compare_with=("greedy", "top-followers"),
           runs: int | None = None, seed: int | None = None, curve_points: int = 6, gap: float = 1e-3,
           progress: Callable[[int, int], None] | None = None, force: bool = False,
           calibration: str | Path | None = None, read_options: ReadOptions | None = None) -> Output:
    """Optimise, simulate, trace the budget curve and write one self-contained HTML report."""
    import optimizer
    import simulate as sim
    from simulate.assumptions import defaults_table

    from .report import render_report

    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise ScenarioError(f"--output {output}: the report is HTML; give a file name ending in .html")
    inputs = guard_outputs([*scenario_inputs(path), calibration], {"--output": output}, force)
    scenario = _load_scenario(path, calibration=calibration, read_options=read_options)
    from simulate.runner import check_budget

    check_budget(scenario, runs=runs)  # before any work
    model = ReachModel.build(scenario)
    plan = optimizer.optimize(scenario, strategy, gap=gap)
    plan_json = plan_result(scenario, plan, model)
    simulation = rename_simulated(sim.simulate(scenario, plan.posts, runs=runs, seed=seed, progress=progress,
                                               post_days=plan.days).to_dict())
    warnings = unique(list(scenario.pool.warnings) + report_warnings(scenario, plan_json, simulation))
    # Budgets too small for the rules (e.g. a tier minimum) have no plan and no reach: not drawn.
    coarse = optimizer.make_strategy("milp", gap=max(gap, 5e-3))
    curve = [r for r in optimizer.frontier(scenario, points=curve_points, strategy=coarse)
             if r.get("target_reach") is not None]
    strategies = [plan_json] + [plan_result(scenario, optimizer.optimize(scenario, s, gap=gap), model)
                                for s in compare_with if s != strategy]
    html = render_report(scenario, plan_json, simulation, curve=curve, strategies=strategies,
                         assumptions={"simulator": defaults_table()}, warnings=warnings)
    atomic_write_text(output, html, what="the report")
    result = {"scenario": scenario.name, "report": str(output), "bytes": len(html.encode("utf-8")),
              "strategy": plan_json["strategy"], "target_reach": plan_json["target_reach"],
              "spent": plan_json["spent"], "kpi_targets": simulation.get("kpi_targets", []), "warnings": warnings}
    table = Table(columns=("report", "strategy", "spent", "target_reach", "size (KB)"),
                  rows=((str(output), result["strategy"], result["spent"], result["target_reach"],
                         result["bytes"] / 1024),), title=f"{scenario.name}: report written")
    return _calibrated(Output(result, (table,), inputs), scenario.calibration, calibration)
