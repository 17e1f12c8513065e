"""The functions of ``import reachmix``: thin wrappers over the library (not over the command line).

Every function takes a ``Scenario`` (or a scenario file's path); settings default to the
scenario's own (``[simulation] runs``, its budget...). A strategy is a name (``"milp"``) or a
configured object (``MilpStrategy(gap=1e-3, time_limit=30)``), as scikit-learn meta-estimators
take an estimator; settings a strategy does not take are refused with a "did you mean".
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

import optimizer
from optimizer import Strategy, make_strategy
from scenarios import Plan, ReachmixError, Scenario, plan_from_json
from scenarios import load_scenario as _load_scenario
from scenarios.loader import apply_overrides, scenario_from_dict as _scenario_from_dict
from scenarios.plan_summary import PlanSummary
from scenarios.table import ReadOptions

from .results import Backtest, Benchmark, Comparison, Frontier, Simulation, Sweep

ScenarioLike = Scenario | str | Path
StrategyLike = Strategy | str


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None, *,
                  calibration: str | Path | None = None, read_options: ReadOptions | None = None) -> Scenario:
    """Read a scenario TOML and its pool (``overrides``: dotted keys, e.g. ``{"budget.total": 2e5}``;
    ``calibration``: a ``reachmix ingest``/``calibrate`` TOML merged over it; ``read_options``: how to
    read the pool file, e.g. ``ReadOptions(mapping={"followers": "Takipçi"}, delimiter=";")``)."""
    return _load_scenario(path, overrides, calibration=calibration, read_options=read_options)


def scenario_from_dict(doc: Mapping[str, Any], pool: Any = None, *, base_dir: str | Path = ".",
                       source: str = "<dict>") -> Scenario:
    """``Scenario.from_dict``: a scenario from a dict with the TOML's keys; ``pool`` is a
    ``CreatorPool``, a pandas/polars data frame, or ``None`` to read ``[pool] file``."""
    return Scenario.from_dict(doc, pool=pool, base_dir=base_dir, source=source)


def scenario_from_frame(frame: Any, doc: Mapping[str, Any] | None = None, *, source: str = "<frame>") -> Scenario:
    """``Scenario.from_frame``: the pool from a pandas or polars data frame (the pool CSV's columns),
    the rest of the scenario from ``doc`` (at least ``{"budget": {"total": ...}}``)."""
    return Scenario.from_frame(frame, doc, source=source)


def _scenario(scenario: ScenarioLike) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return _load_scenario(scenario)
    raise ReachmixError(f"expected a Scenario or a scenario file's path, not {type(scenario).__name__}; "
                        "use reachmix.load_scenario or Scenario.from_dict")


def optimize(scenario: ScenarioLike, strategy: StrategyLike = "milp", *, budget: float | None = None,
             gap: float | None = None, time_limit: float | None = None, seed: int | None = None) -> Plan:
    """The best plan found by ``strategy`` (default: the exact MILP, gap 0.1%).

    ``budget`` replaces the scenario's; ``gap``, ``time_limit`` and ``seed`` configure a strategy
    given by name. ``plan.summary(scenario)`` and ``plan.to_frame(scenario)`` show it.
    """
    sc = _scenario(scenario)
    if budget is not None:
        sc = dataclasses.replace(sc, budget=budget)  # Scenario checks it (finite, >= 0)
    return optimizer.optimize(sc, make_strategy(strategy, gap=gap, time_limit=time_limit, seed=seed))


def optimize_for_kpis(scenario: ScenarioLike, *, draws: int = 100, tolerance: float = 0.0,
                      time_limit: float | None = None, seed: int | None = None):
    """The plan that maximises the probability of meeting the scenario's ``[[kpi]]`` targets by their
    days, in priority order (docs/optimizer.md, "KPI objective"). Returns a ``KpiPlanResult``:
    ``.plan``, ``.reach_plan`` (the reach-optimal plan it is compared with), ``.kpis`` (out-of-sample
    probabilities with 95% intervals, in-sample counts) and ``.to_frame()``."""
    from whatif.kpi_plan import kpi_plan

    return kpi_plan(_scenario(scenario), draws=draws, tolerance=tolerance, time_limit=time_limit, seed=seed)


def evaluate(scenario: ScenarioLike, plan: Plan | Mapping[str, Any] | str | Path | Sequence[int]) -> PlanSummary:
    """Score a plan in ``scenario``: a ``Plan``, a plan JSON (path or parsed, with a ``selection``
    list of ``{"handle", "posts"}``) or posts per pool row. Status is ``infeasible`` when it breaks a
    rule (``summary.violations`` says which)."""
    sc = _scenario(scenario)
    return _plan(sc, plan).summary(sc)


def _plan(sc: Scenario, plan: Any) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if isinstance(plan, (str, Path, Mapping)):
        return plan_from_json(plan, sc.pool)
    posts = np.asarray(plan)
    if posts.shape != (sc.pool.size,) or not np.issubdtype(posts.dtype, np.integer) or (posts < 0).any():
        raise ReachmixError(f"posts must be {sc.pool.size} whole numbers >= 0 (one per creator of the pool), "
                            f"not an array of shape {posts.shape} and type {posts.dtype}")
    return Plan(posts=posts)


def simulate(scenario: ScenarioLike, plan: Any = None, *, runs: int | None = None, days: int | None = None,
             seed: int | None = None, jobs: int = 1) -> Simulation:
    """Monte Carlo projection of ``plan`` (default: ``optimize(scenario)``); ``runs``, ``days`` and
    ``seed`` default to the scenario's ``[simulation]``. ``.to_frame()`` gives the totals,
    ``.to_frame("daily")`` the daily bands, ``.to_frame("kpis")`` each KPI's probability."""
    import simulate as sim

    sc = _scenario(scenario)
    chosen = optimize(sc) if plan is None else _plan(sc, plan)
    return Simulation(sim.simulate(sc, chosen.posts, runs=runs, days=days, seed=seed, jobs=jobs,
                                   post_days=chosen.days), chosen)


def _strategies(strategies: StrategyLike | Sequence[StrategyLike]) -> list[Strategy]:
    if isinstance(strategies, str) or isinstance(strategies, Strategy):
        strategies = [strategies]
    return [make_strategy(s) for s in strategies]


def _row(sc: Scenario, strategy: Strategy, simulate: bool) -> tuple[dict[str, Any], Plan | None]:
    """One comparison row, as ``reachmix compare --format json`` (without ``file``), and its plan."""
    from whatif.compare import strategy_row

    return strategy_row(sc, strategy, simulate)


def compare(scenarios: ScenarioLike | Sequence[ScenarioLike], strategies: StrategyLike | Sequence[StrategyLike] =
            ("milp", "greedy"), *, simulate: bool = False) -> Comparison:
    """Every scenario with every strategy, side by side (rows as ``reachmix compare --format json``;
    ``simulate=True`` adds the Monte Carlo bands and KPI probabilities). A scenario whose rules
    conflict gives a row with status ``infeasible`` and the ``reason``."""
    if isinstance(scenarios, (Scenario, str, Path)):
        scenarios = [scenarios]
    chosen = _strategies(strategies)
    rows, plans = [], []
    for sc in map(_scenario, scenarios):
        for strategy in chosen:
            row, plan = _row(sc, strategy, simulate)
            rows.append(row)
            plans.append(plan)
    return Comparison(rows=rows, title="Comparison", plans=plans)


def _axes(values: Mapping[str, Sequence[Any]] | str | Sequence[str]) -> list[tuple[str, list[Any]]]:
    from whatif.sweep import parse_set

    if isinstance(values, str):
        values = [values]
    if isinstance(values, Mapping):
        axes = [(str(k), list(v) if isinstance(v, (list, tuple, range, np.ndarray)) else [v])
                for k, v in values.items()]
    else:
        axes = [parse_set(spec) for spec in values]
    if not axes or any(not v for _, v in axes):
        raise ReachmixError('sweep needs values for at least one key, e.g. {"budget.total": [1e5, 2e5]} '
                            'or "budget.total=100000:500000:100000"')
    return axes


def _at(sc: Scenario, point: Mapping[str, Any]) -> Scenario:
    """``sc`` with dotted keys set, validated as a file would be (the pool re-read only when a pool
    setting such as ``constraints.max_posts`` changes)."""
    if set(point) == {"budget.total"}:
        return dataclasses.replace(sc, budget=point["budget.total"])
    source = str(sc.path) if sc.path else f"<{sc.name}>"
    doc = apply_overrides(sc.raw, point, source)
    at = _scenario_from_dict(doc, base_dir=sc.path.parent if sc.path else Path("."), source=source, path=sc.path,
                             pool=sc.pool)
    return dataclasses.replace(at, calibration=MappingProxyType(dict(sc.calibration)))


def sweep(scenario: ScenarioLike, values: Mapping[str, Sequence[Any]] | str | Sequence[str], *,
          strategy: StrategyLike = "milp", simulate: bool = False) -> Sweep:
    """One optimised plan per grid point: ``values`` maps dotted keys to values
    (``{"budget.total": [1e5, 2e5, 3e5]}``) or is ``--set`` text (``"budget.total=100000:300000:100000"``);
    several keys make a grid. Budget sweeps carry ``marginal_reach_per_unit``."""
    from whatif.sweep import _marginal_reach

    sc = _scenario(scenario)
    axes = _axes(values)
    keys = [k for k, _ in axes]
    chosen = make_strategy(strategy)
    rows = []
    for point in itertools.product(*(v for _, v in axes)):
        parameters = dict(zip(keys, point))
        row, _ = _row(_at(sc, parameters), chosen, simulate)
        row.update(parameters=parameters, parameter=keys[0] if len(keys) == 1 else ",".join(keys),
                   value=point[0] if len(keys) == 1 else list(point))
        rows.append(row)
    _marginal_reach(rows)
    return Sweep(rows=rows, title=f"Sweep of {', '.join(keys)}")


def frontier(scenario: ScenarioLike, budgets: Sequence[float] | None = None, *, points: int = 10,
             strategy: StrategyLike = "milp", metric: str = "target_reach") -> Frontier:
    """The best ``metric`` per budget (default budgets: ``points`` from 20% to 200% of the scenario's)."""
    rows = optimizer.frontier(_scenario(scenario), budgets, points, strategy=make_strategy(strategy), metric=metric)
    return Frontier(rows=rows, title=f"Best {metric} per budget")


def bench(strategies: StrategyLike | Sequence[StrategyLike] | Mapping[str, StrategyLike] | None = None, *,
          creators: int = 1000, instances: int = 10, seed: int = 0, families: Sequence[Any] | None = None,
          pisinger: bool | str | Path = False, kpi_runs: int = 0, jobs: int = 1) -> Benchmark:
    """Score strategies against certified references, as ``reachmix bench``: every strategy on
    ``instances`` synthetic scenarios of ``creators`` creators (or of each ``whatif.bench.Family`` in
    ``families``) and, with ``pisinger=True`` (or a folder), on Pisinger's knapsack instances.

    ``strategies``: names or configured objects (default: every built-in strategy); a mapping labels
    them, e.g. ``{"milp-fast": MilpStrategy(gap=0.05), "milp": MilpStrategy()}``. A strategy that
    takes a ``seed`` gets each instance's. ``kpi_runs`` > 0 also simulates each plan that many runs
    for the probability of meeting the instance's priority-1 KPI. ``.rows``: one per strategy (ratio
    to the best proven bound or known optimum, time, budget use); ``.result``: the command's JSON.
    """
    from scenarios.knapsack import BUNDLED
    from whatif.bench import DEFAULT_STRATEGIES, Family, bench_table, bench as run_bench

    chosen = [Family(creators=int(creators))] if families is None else list(families)
    folder = None if pisinger is False else Path(BUNDLED if pisinger is True else pisinger)
    result = run_bench(DEFAULT_STRATEGIES if strategies is None else strategies, families=chosen if instances else (),
                       instances=int(instances), seed=int(seed), pisinger=folder, jobs=jobs, kpi_runs=int(kpi_runs))
    return Benchmark(rows=result["summary"], title=bench_table(result).title, result=result)


def calibrate(history: str | Path, *, horizon: float | None = None):
    """Fit the simulator to a history CSV of video observations (``simulate.Calibration``;
    ``.to_toml()`` is what ``load_scenario(..., calibration=...)`` reads)."""
    import simulate as sim

    return sim.calibrate(history, **({} if horizon is None else {"horizon": horizon}))


def ingest(videos: str | Path | Sequence[str | Path], out: str | Path, *, rate_card: str | Path | None = None,
           read_options: ReadOptions | None = None, force: bool = False) -> dict[str, Any]:
    """Read video exports, write ``history.csv``, ``creators.csv`` and ``calibration.toml`` into ``out``
    and return the summary (as ``reachmix ingest --format json``). ``read_options``: column names,
    time zones, date order (``ReadOptions(mapping={"views": "vid_nview"}, timezones={"*": "Europe/Istanbul"})``)."""
    from whatif.ingest import ingest as _ingest

    paths = [videos] if isinstance(videos, (str, Path)) else list(videos)
    return _ingest(paths, out, options=read_options, rate_card=rate_card, force=force)


def backtest(videos: str | Path | Sequence[str | Path], *, train_share: float = 0.7, seed: int = 0,
             read_options: ReadOptions | None = None, plot: str | Path | None = None) -> Backtest:
    """Fit on a share of the creators, forecast the others' videos, and score the forecasts
    (coverage of the 90% and 50% bands, median ratio) per method and tier; ``plot`` writes the
    calibration chart (PNG or SVG)."""
    from whatif.backtest import backtest as _backtest

    paths = [videos] if isinstance(videos, (str, Path)) else list(videos)
    return Backtest(_backtest(paths, options=read_options, train_share=train_share, seed=seed, plot=plot))
