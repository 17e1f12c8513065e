"""The strategy benchmark harness (``reachmix bench``).

Instances come from families of the synthetic generator (pool size, tier mix, budget tightness,
audience overlap, constraints on or off; several seeds each) and from Pisinger's knapsack
instances with proven optima. Each instance is built inside its task from small picklable
parameters, so the same run gives the same numbers in-process, in local processes or on Dask.

Score of a strategy on an instance = its objective value / the instance's reference, where the
reference is the known optimum (Pisinger) or else the smallest *proven* upper bound any strategy
reported (so the ratio is a certified lower bound on the strategy's true quality). Only when no
strategy proves a bound is the best value found used, and the row says so.

Strategies come configured (``MilpStrategy(gap=1e-2, time_limit=30)``, or names for their default
settings; a mapping labels them): each task carries the objects, each given the instance's seed
when it takes one (common random numbers), and a gap of 0 on Pisinger's instances when it takes a gap.
"""

from __future__ import annotations

import dataclasses
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.base import Strategy, with_settings
from scenarios import ReachModel, Scenario, parse_pool, scenario_from_dict
from scenarios.errors import ScenarioError
from scenarios.tiers import TIER_NAMES, Tiers

from .compare import Strategies, labelled
from .formats import Table
from .parallel import run_tasks

DEFAULT_STRATEGIES = ("milp", "greedy", "greedy-enum", "top-followers", "top-engagement", "lowest-cpm", "random")
#: Tier weights used to resample a generated pool: "default" keeps the generator's mix.
TIER_MIXES: Mapping[str, Mapping[str, float] | None] = {
    "default": None,
    "micro-heavy": {"nano": 0.25, "micro": 0.55, "mid": 0.15, "macro": 0.03, "mega": 0.02},
    "macro-heavy": {"nano": 0.2, "micro": 0.3, "mid": 0.25, "macro": 0.15, "mega": 0.1},
}
#: Audience size relative to the generated scenario's: a small audience means heavy overlap
#: (creators reach the same people), a large one almost none.
OVERLAP_FACTORS: Mapping[str, float] = {"low": 4.0, "medium": 1.0, "high": 0.1}


@dataclass(frozen=True)
class Family:
    """One instance family: generator parameters; ``seeds`` instances are drawn from it."""

    creators: int = 1000
    tier_mix: str = "default"
    budget_share: float = 0.03  # budget = this share of the cost of one post from every creator
    overlap: str = "medium"
    constraints: bool = True

    def label(self) -> str:
        return (f"n={self.creators},mix={self.tier_mix},budget={self.budget_share:g},overlap={self.overlap},"
                f"rules={'on' if self.constraints else 'off'}")


def synthetic_instance(family: Family, seed: int) -> Scenario:
    """A scenario of ``family`` drawn with ``seed`` (deterministic)."""
    from scenarios.generate import generate_pool, pool_csv, scenario_toml

    if family.tier_mix not in TIER_MIXES:
        raise ScenarioError(f'bench: tier mix "{family.tier_mix}" is unknown; use {", ".join(TIER_MIXES)}')
    if family.overlap not in OVERLAP_FACTORS:
        raise ScenarioError(f'bench: overlap "{family.overlap}" is unknown; use {", ".join(OVERLAP_FACTORS)}')
    mix = TIER_MIXES[family.tier_mix]
    rows = generate_pool(family.creators * (1 if mix is None else 4), seed)
    if mix is not None:
        rows = _resample(rows, family.creators, mix, seed)
    name = f"{family.label()},seed={seed}"
    doc = tomllib.loads(scenario_toml(rows, seed, name=name))
    pool = parse_pool(pool_csv(rows), source=name)
    one_post = pool.price + pool.fee
    doc["budget"]["total"] = max(float(family.budget_share * one_post.sum()), float(one_post.min()))
    doc["audience"]["size"] = doc["audience"]["size"] * OVERLAP_FACTORS[family.overlap]
    if family.constraints:
        c = doc.setdefault("constraints", {})
        c.pop("min_count", None)  # the generator sized it to its own budget; ours differs
        c["max_budget_share"] = {"mega": 0.5}
        c["min_target_match"] = 0.05
    else:
        doc["constraints"] = {"max_posts": doc.get("constraints", {}).get("max_posts", 3)}
    return scenario_from_dict(doc, base_dir=Path("."), source=name, pool=pool)


def _resample(rows, n, mix, seed):
    followers = np.array([float(r["followers"]) for r in rows])
    tier = Tiers().classify(followers)
    weights = np.array([mix[TIER_NAMES[t]] for t in tier])
    counts = np.bincount(tier, minlength=len(TIER_NAMES))
    p = weights / counts[tier]
    rng = np.random.default_rng([seed, 1])  # a stream separate from the generator's
    picked = np.sort(rng.choice(len(rows), size=n, replace=False, p=p / p.sum()))
    return [rows[i] for i in picked]


def run_instance(kind: str, spec: Any, seed: int, strategies: Sequence[tuple[str, Strategy]], kpi_runs: int) -> dict:
    """Solve one instance with every ``(label, configured strategy)``; a top-level function for
    process pools and Dask."""
    import optimizer
    from scenarios.knapsack import as_scenario, read_instance

    if kind == "pisinger":
        path, optimum = spec
        scenario, known = as_scenario(read_instance(path)), optimum
        label = Path(path).stem
    else:
        scenario, known = synthetic_instance(Family(**spec), seed), None
        label = scenario.name
    model = ReachModel.build(scenario)
    results = []
    for name, strategy in strategies:
        start = time.perf_counter()
        plan = optimizer.optimize(scenario, strategy)
        seconds = time.perf_counter() - start
        ev = model.evaluate(plan.posts)
        value = scenario.objective.value(ev.metrics())
        results.append({"strategy": name, "status": plan.status, "value": value, "upper_bound": plan.upper_bound,
                        "seconds": seconds, "spent": ev.cost, "budget": scenario.budget,
                        "kpi_p1": _kpi_p1(scenario, plan, kpi_runs, seed)})
    bounds = [r["upper_bound"] for r in results if r["upper_bound"] is not None]
    if known is not None:
        reference, source = float(known), "known optimum"
    elif bounds:
        reference, source = float(min(bounds)), "best proven bound"
    else:
        reference, source = max(r["value"] for r in results), "best found (no bound proven)"
    for r in results:
        r["ratio"] = r["value"] / reference if reference > 0 else 1.0
    return {"instance": label, "kind": kind, "reference": reference, "reference_source": source,
            "results": results}


def _kpi_p1(scenario: Scenario, plan, runs: int, seed: int) -> float | None:
    """Probability that ``plan`` meets the scenario's priority-1 KPI (``runs`` simulated runs; None
    without KPIs or with ``runs = 0``): the instances' own [[kpi]] targets, the same seed for every
    strategy (common random numbers), so strategies differ by their plans, not by luck."""
    if not runs or not scenario.kpis:
        return None
    from simulate import simulate

    rows = simulate(scenario, plan.posts, runs=runs, seed=seed, post_days=plan.days).kpi_rows()
    return float(rows[0]["probability"])


def bench(strategies: Strategies = DEFAULT_STRATEGIES, *, families: Sequence[Family] = (Family(),),
          instances: int = 10, seed: int = 0, pisinger: str | Path | None = None, jobs: int = 1,
          dask: str | None = None, progress: Callable[[int, int], None] | None = None,
          kpi_runs: int = 0) -> dict[str, Any]:
    """Run every strategy on every instance; returns per-instance results and per-strategy summaries.

    ``strategies``: configured objects (``[MilpStrategy(gap=1e-2), GreedyStrategy()]``), names (default
    settings) or a mapping of labels to them; rows are labelled by the name given, the object's
    ``name`` or the mapping's key. A strategy that takes a ``seed`` gets each instance's; one that
    takes a ``gap`` gets 0 on Pisinger's instances (their optima are known). ``kpi_runs`` > 0: also
    simulate each plan that many runs and report the probability of meeting the instance's
    priority-1 KPI (synthetic families carry the generator's [[kpi]] targets)."""
    chosen = labelled(strategies, distinct=True)  # the summary has one row per label

    def seeded(instance_seed: int, **settings: Any) -> tuple[tuple[str, Strategy], ...]:
        return tuple((label, with_settings(s, seed=instance_seed, **settings)) for label, s in chosen)

    tasks = [("synthetic", dataclasses.asdict(f), seed + k, seeded(seed + k), int(kpi_runs))
             for f in families for k in range(instances)]
    if pisinger is not None:
        from scenarios.knapsack import read_folder

        tasks += [("pisinger", (str(Path(pisinger) / f"{k.name}.txt"), k.optimum), seed, seeded(seed, gap=0.0), 0)
                  for k in read_folder(pisinger)]
    started = time.perf_counter()
    outcomes = run_tasks(run_instance, tasks, jobs=jobs, dask=dask, progress=progress)
    wall = time.perf_counter() - started
    labels = [label for label, _ in chosen]
    # "Proven optimal" within the gap each strategy was asked for (exactly, for one without a gap).
    gaps = {label: float(getattr(s, "gap", 0.0) or 0.0) for label, s in chosen}
    return {"strategies": labels, "instances": outcomes, "summary": summarise(outcomes, labels, gaps),
            "wall_seconds": wall, "seed": seed, "families": [f.label() for f in families]}


def summarise(outcomes: Sequence[dict], strategies: Sequence[str], gaps: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per strategy label; ``gaps``: the relative gap within which each counts as proven optimal."""
    rows = []
    for name in strategies:
        gap = gaps.get(name, 0.0)
        mine = [r for o in outcomes for r in o["results"] if r["strategy"] == name]
        if not mine:
            continue
        ratio = np.array([r["ratio"] for r in mine])
        seconds = np.array([r["seconds"] for r in mine])
        proven = [r["upper_bound"] is not None and r["upper_bound"] > 0
                  and (r["upper_bound"] - r["value"]) / r["upper_bound"] <= gap + 1e-9 for r in mine]
        rows.append({
            "strategy": name,
            "instances": len(mine),
            "ratio_mean": float(ratio.mean()),
            "ratio_worst": float(ratio.min()),
            "proven_optimal_share": float(np.mean(proven)),
            "seconds_median": float(np.median(seconds)),
            "seconds_p90": float(np.percentile(seconds, 90)),
            "budget_use_mean": float(np.mean([r["spent"] / r["budget"] for r in mine])),
        })
        kpi = [r["kpi_p1"] for r in mine if r.get("kpi_p1") is not None]
        if kpi:
            rows[-1]["kpi_p1_mean"] = float(np.mean(kpi))
    return rows


def bench_table(result: Mapping[str, Any]) -> Table:
    columns = ("strategy", "instances", "ratio_mean", "ratio_worst", "proven_optimal_share", "seconds_median",
               "seconds_p90", "budget_use_mean")
    if any("kpi_p1_mean" in r for r in result["summary"]):
        columns += ("kpi_p1_mean",)
    return Table(columns=columns, rows=tuple(tuple(r.get(c) for c in columns) for r in result["summary"]),
                 title=f"Strategy benchmark: {sum(len(o['results']) for o in result['instances']):,} solves in "
                       f"{result['wall_seconds']:.1f} s",
                 best={"ratio_mean": "max", "ratio_worst": "max", "proven_optimal_share": "max",
                       "seconds_median": "min", "seconds_p90": "min"},
                 percent=("proven_optimal_share", "budget_use_mean", "kpi_p1_mean"),
                 notes=("ratio = objective / known optimum or best proven upper bound (a certified lower "
                        "bound on quality).",)
                 + (("kpi_p1_mean: mean probability of meeting each instance's priority-1 KPI (simulated).",)
                    if "kpi_p1_mean" in columns else ()))


def check_bench_size(instances: int, strategies: int, creators: int, workers: int) -> None:
    """Before a benchmark starts: its result rows, and one instance (pool and reach model) per worker."""
    from scenarios.generate import BYTES_PER_CREATOR
    from scenarios.limits import check_memory

    from .sweep import BYTES_PER_POINT

    check_memory(instances * strategies * BYTES_PER_POINT + workers * creators * BYTES_PER_CREATOR,
                 f"the benchmark of {instances:,} instances x {strategies} strategies on {creators:,} creators",
                 "use fewer --instances, strategies or --creators")
