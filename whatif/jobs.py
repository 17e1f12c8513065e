"""One library function per command. ``cli.py`` parses arguments, calls one of these and
formats the ``Output``; everything else (loading, checking, computing) happens here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios import ReachModel, Scenario, eligible, load_scenario, plan_from_json
from scenarios.errors import ScenarioError

from .formats import Table
from .results import plan_result


@dataclass(frozen=True)
class Output:
    """A command's result: the JSON document and the tables for the human formats."""

    result: Any
    tables: tuple[Table, ...]


def _with_budget(scenario: Scenario, budget: float | None) -> Scenario:
    if budget is None:
        return scenario
    if not budget > 0:
        raise ScenarioError(f"--budget {budget:g} must be > 0")
    return dataclasses.replace(scenario, budget=float(budget))


def validate(path: str | Path) -> Output:
    scenario = load_scenario(path)
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
    }
    table = Table(
        columns=("tier", "creators", "eligible", "median followers", "median views", "median price",
                 "median CPM", "median ER", "median match"),
        rows=tuple(rows),
        title=f"{scenario.name}: {pool.size:,} creators from {pool.source}, {int(ok.sum()):,} eligible; "
              f"budget {scenario.budget:,.0f} {scenario.currency}",
        notes=(f"Target: {scenario.audience.describe()}; {model.n_cells} target cells.",
               f"Objective: {scenario.objective.name}. Demographic columns: {', '.join(demographics) or 'none'}."),
    )
    return Output(result, (table,))


def plan_tables(result: dict) -> tuple[Table, ...]:
    """The selection table (main, for CSV) and a one-row summary of a plan result."""
    cur = result.get("currency", "")
    selection = Table(
        columns=("handle", "tier", "posts", "cost", "target_impressions", "followers", "target_match"),
        rows=tuple((s["handle"], s["tier"], s["posts"], s["cost"], s["target_impressions"],
                    s.get("followers"), s.get("target_match")) for s in result["selection"]),
        title=f"{result['scenario']}: {result['strategy']} plan, {result['status']}",
    )
    gap = result.get("gap")
    summary = Table(
        columns=("budget", "spent", "creators", "posts", "target_reach", "target_impressions", "engagements",
                 "upper_bound", "gap %", "seconds"),
        rows=((result["budget"], result["spent"], result["creators"], result["posts"], result["target_reach"],
               result["target_impressions"], result["engagements"], result["upper_bound"],
               None if gap is None else 100.0 * gap, result["seconds"]),),
        title=f"Summary ({cur}); objective {result['objective']}",
        notes=tuple(f"Rule broken: {v}" for v in result.get("violations", ())),
    )
    return selection, summary


def evaluate(path: str | Path, plan_path: str | Path) -> Output:
    scenario = load_scenario(path)
    plan = plan_from_json(plan_path, scenario.pool)
    result = plan_result(scenario, plan)
    return Output(result, plan_tables(result))


def optimize(path: str | Path, *, strategy: str = "milp", budget: float | None = None, gap: float = 1e-3,
             time_limit: float | None = None, solver: str = "highs", seed: int = 0,
             target_reach: float | None = None, plot: str | Path | None = None) -> Output:
    import optimizer

    scenario = _with_budget(load_scenario(path), budget)
    if target_reach is not None:
        needed, plan = optimizer.min_budget_for_reach(scenario, target_reach, gap=gap, time_limit=time_limit,
                                                     solver=solver)
        scenario = dataclasses.replace(scenario, budget=float(needed))
    else:
        plan = optimizer.optimize(scenario, strategy, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    result = plan_result(scenario, plan)
    if target_reach is not None:
        result["target_reach_goal"] = float(target_reach)
        result["min_budget"] = float(scenario.budget)
    if plot is not None:
        from .charts import spend_by_tier

        spend_by_tier(result, plot, currency=scenario.currency, budget=scenario.budget)
    return Output(result, plan_tables(result))


def frontier(path: str | Path, *, points: int = 10, gap: float = 1e-3, time_limit: float | None = None,
             solver: str = "highs", engagements: bool = False, plot: str | Path | None = None) -> Output:
    import optimizer

    scenario = load_scenario(path)
    if engagements:
        rows = optimizer.engagement_frontier(scenario, points=points, gap=gap, time_limit=time_limit, solver=solver)
    else:
        rows = optimizer.frontier(scenario, points=points, gap=gap, time_limit=time_limit, solver=solver)
    result = {"scenario": scenario.name, "currency": scenario.currency,
              "frontier": "reach-engagements" if engagements else "budget-reach", "rows": rows}
    if plot is not None:
        from .charts import budget_curve, strategy_comparison

        if engagements:
            strategy_comparison([dict(r, strategy=f"point {k + 1}") for k, r in enumerate(rows)], plot,
                                currency=scenario.currency)
        else:
            budget_curve([r for r in rows if r.get("target_reach") is not None], plot, currency=scenario.currency,
                         budget=scenario.budget)
    columns = tuple(k for k in rows[0] if not isinstance(rows[0][k], (dict, list))) if rows else ("budget",)
    table = Table(columns=columns, rows=tuple(tuple(r.get(c) for c in columns) for r in rows),
                  title=f"{scenario.name}: {result['frontier']} frontier ({scenario.currency})")
    return Output(result, (table,))


def simulate(path: str | Path, *, plan_path: str | Path | None = None, strategy: str = "milp",
             runs: int | None = None, days: int | None = None, seed: int | None = None, jobs: int = 1,
             dask: str | None = None, progress: Callable[[int, int], None] | None = None,
             plot: str | Path | None = None, plot_metric: str | None = None) -> Output:
    import simulate as sim

    scenario = load_scenario(path)
    if plan_path is not None:
        plan = plan_from_json(plan_path, scenario.pool)
    else:
        import optimizer

        plan = optimizer.optimize(scenario, strategy)
    if dask:
        from .parallel import dask_session

        with dask_session(dask) as client:
            outcome = sim.simulate(scenario, plan.posts, runs=runs, days=days, seed=seed, progress=progress,
                                   executor=client)
    else:
        outcome = sim.simulate(scenario, plan.posts, runs=runs, days=days, seed=seed, jobs=jobs, progress=progress)
    result = outcome.to_dict()
    result["strategy"] = plan.strategy
    if plot is not None:
        from .charts import kpi_bands

        metric = plot_metric or (scenario.kpis[0].metric if scenario.kpis else "target_reach")
        if metric not in result["series"]:
            raise ScenarioError(f'--plot-metric {metric} is not a simulated metric; use one of '
                                f'{", ".join(result["series"])}')
        kpi_bands(result, metric, path=plot)
    return Output(result, simulation_tables(result))


def simulation_tables(result: dict) -> tuple[Table, ...]:
    totals = result["totals"]
    rows = tuple((metric, v.get("mean"), v.get("p5"), v.get("p50"), v.get("p95")) for metric, v in totals.items())
    table = Table(columns=("metric", "mean", "p5", "p50", "p95"), rows=rows,
                  title=f"{result['scenario']}: {result['runs']:,} runs over {result['days']} days "
                        f"(seed {result['seed']}), final values")
    kpis = Table(columns=("priority", "metric", "target", "by_day", "probability"),
                 rows=tuple((k["priority"], k["metric"], k["target"], k["by_day"], k["probability"])
                            for k in result.get("kpi_targets", ())),
                 title="KPI targets (probability of meeting each by its day)")
    return (table, kpis) if result.get("kpi_targets") else (table,)


def calibrate(history_path: str | Path, *, toml_path: str | Path | None = None) -> Output:
    """Fit the simulator to past posts: fit-quality tables, and the TOML fragment to paste."""
    import simulate as sim

    fit = sim.calibrate(history_path)
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
    )
    curve = result["curve"]
    checkpoints = curve.get("checkpoints", {})
    curve_table = Table(
        columns=("fitted", "day-1 share", "+-", "shape", "+-", "rmse (log)", *[f"by {k}" for k in checkpoints]),
        rows=((curve.get("fitted"), curve.get("day1_share"), curve.get("day1_share_se"), curve.get("shape"),
               curve.get("shape_se"), curve.get("rmse_log"), *checkpoints.values()),),
        title="Accumulation curve (share of eventual views by age)",
    )
    notes = tuple(f"Warning: {w}" for w in fit.warnings)
    fragment = Table(columns=("TOML fragment to paste into a scenario",),
                     rows=tuple((line,) for line in fit.to_toml().splitlines()), notes=notes)
    if toml_path is not None:
        try:
            Path(toml_path).write_text(fit.to_toml(), encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{toml_path}: cannot write the TOML fragment ({exc.strerror})") from None
    return Output(result, (tiers, curve_table, fragment))


def generate(creators: int, seed: int, out: str | Path) -> Output:
    from scenarios.generate import write_example

    if creators < 1:
        raise ScenarioError(f"--creators {creators} must be at least 1")
    scenario_path, pool_path = write_example(out, creators, seed)
    summary = validate(scenario_path)
    result = dict(summary.result, scenario_file=str(scenario_path), pool_file=str(pool_path))
    note = f"Wrote {scenario_path} and {pool_path}."
    table = dataclasses.replace(summary.tables[0], notes=summary.tables[0].notes + (note,))
    return Output(result, (table,))



def compare(paths, *, strategies=("milp",), simulate=False, gap=1e-3, time_limit=None, solver="highs",
            seed=0, jobs=1, dask=None, progress=None, plot=None) -> Output:
    from .compare import compare as run_compare, comparison_table

    options = {"gap": gap, "time_limit": time_limit, "solver": solver, "seed": seed}
    rows = run_compare(paths, strategies, simulate=simulate, options=options, jobs=jobs, dask=dask,
                       progress=progress)
    if plot is not None:
        from .charts import strategy_comparison

        strategy_comparison([r for r in rows if r["target_reach"] is not None], plot,
                            currency=rows[0]["currency"] if rows else "")
    return Output({"rows": rows}, (comparison_table(rows, "Scenarios and strategies compared"),))


def sweep(path, sets, *, strategy="milp", simulate=False, gap=1e-3, time_limit=None, solver="highs", seed=0,
          jobs=1, dask=None, progress=None, plot=None) -> Output:
    from .sweep import sweep as run_sweep, sweep_table

    options = {"gap": gap, "time_limit": time_limit, "solver": solver, "seed": seed}
    rows = run_sweep(path, sets, strategy=strategy, simulate=simulate, options=options, jobs=jobs, dask=dask,
                     progress=progress)
    if plot is not None:
        from .charts import budget_curve, strategy_comparison

        currency = rows[0]["currency"] if rows else ""
        drawn = [r for r in rows if r["target_reach"] is not None]  # points whose rules conflict have no reach
        if rows and list(rows[0]["parameters"]) == ["budget.total"]:
            budget_curve(drawn, plot, currency=currency)  # the budget-response curve
        else:
            labels = [", ".join(f"{k}={v}" for k, v in r["parameters"].items()) for r in drawn]
            strategy_comparison([dict(r, strategy=label) for r, label in zip(drawn, labels)], plot, currency=currency)
    return Output({"rows": rows}, (sweep_table(rows, f"Sweep of {path} ({strategy})"),))





def bench(strategies, *, creators=1000, instances=10, seed=0, tier_mixes=("default",), budget_shares=(0.03,),
          overlaps=("medium",), rules=("on",), pisinger=False, pisinger_dir=None, gap=1e-3, time_limit=None,
          jobs=1, dask=None, plot=None, progress=None) -> Output:
    import itertools

    from .bench import Family, bench as run_bench, bench_table

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
    result = run_bench(strategies, families=families if instances else (), instances=instances, seed=seed,
                       pisinger=folder, gap=gap, time_limit=time_limit, jobs=jobs, dask=dask, progress=progress)
    if plot is not None:
        from .charts import quality_ratios

        quality_ratios(result["summary"], plot)
    return Output(result, (bench_table(result),))


def report(path: str | Path, output: str | Path, *, strategy: str = "milp", compare_with=("greedy", "top-followers"),
           runs: int | None = None, seed: int | None = None, curve_points: int = 6, gap: float = 1e-3,
           progress: Callable[[int, int], None] | None = None) -> Output:
    """Optimise, simulate, trace the budget curve and write one self-contained HTML report."""
    import optimizer
    import simulate as sim
    from simulate.assumptions import defaults_table

    from .report import render_report

    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise ScenarioError(f"--output {output}: the report is HTML; give a file name ending in .html")
    scenario = load_scenario(path)
    model = ReachModel.build(scenario)
    plan = optimizer.optimize(scenario, strategy, gap=gap)
    plan_json = plan_result(scenario, plan, model)
    simulation = sim.simulate(scenario, plan.posts, runs=runs, seed=seed, progress=progress).to_dict()
    curve = optimizer.frontier(scenario, points=curve_points, gap=max(gap, 5e-3))
    strategies = [plan_json] + [plan_result(scenario, optimizer.optimize(scenario, s, gap=gap), model)
                                for s in compare_with if s != strategy]
    html = render_report(scenario, plan_json, simulation, curve=curve, strategies=strategies,
                         assumptions={"simulator": defaults_table()})
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{output}: cannot write the report ({exc.strerror}); check the folder exists") from None
    result = {"scenario": scenario.name, "report": str(output), "bytes": len(html.encode("utf-8")),
              "strategy": plan_json["strategy"], "target_reach": plan_json["target_reach"],
              "spent": plan_json["spent"], "kpi_targets": simulation.get("kpi_targets", [])}
    table = Table(columns=("report", "strategy", "spent", "target_reach", "size (KB)"),
                  rows=((str(output), result["strategy"], result["spent"], result["target_reach"],
                         result["bytes"] / 1024),), title=f"{scenario.name}: report written")
    return Output(result, (table,))
