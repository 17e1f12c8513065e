"""Risk-aware plans: ``[objective] risk = { measure = "quantile" | "cvar", level = 0.1, day = D }``
maximises the ``level`` quantile of the objective metric by day D over runs, or the mean of its
worst ``level`` share (CVaR), instead of its mean (issue 11; docs/optimizer.md, "Risk-aware objectives").

As for the KPI objective (whatif/kpi_plan.py), three steps in their own layers:

1. candidates: ``kpi_plan.candidate_pool`` for the metric (target impressions are scored like target
   reach: the reach model's expected impressions per post);
2. in-sample: ``simulate.kpi_draws.metric_draws`` draws M seeded outcomes of every candidate post
   and ``optimizer.risk.solve_risk`` maximises the risk measure over them (warm-started from the
   reach-optimal plan, never worse than it in-sample);
3. out-of-sample: the chosen plan and the reach-optimal plan are simulated with seed + 1 (2,000 runs,
   ``[simulation] days`` cut at D + 1 so a run's final value is the metric by day D); their mean,
   quantile and CVaR are what the tables show. Target impressions are not a simulated metric: their
   check is ``metric_draws`` at seed + 1 (the same model, an independent stream).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios import KpiTarget, Plan, Scenario, ScenarioError

from .kpi_plan import CHECK_SEED_OFFSET, DEFAULT_CANDIDATES, DEFAULT_CHECK_RUNS, candidate_pool

#: Draws of the in-sample problem (M). Measured on the Istanbul example (CVaR of target reach, level
#: 0.1, docs/optimizer.md): M = 50 and 100 over-fit the worst 5 or 10 draws (out-of-sample mean 5-10%
#: below the reach plan's); M = 200 keeps the same tail gain (p10 +13%) for 2.4% of the mean.
DEFAULT_DRAWS = 200
#: Solver time when no --time-limit is given (the reach-optimal plan's solve comes first).
DEFAULT_SECONDS = 30.0


@dataclass(frozen=True)
class RiskPlanResult:
    plan: Plan
    reach_plan: Plan
    measure: str
    level: float
    day: int
    metric: str
    #: The risk measure over the M in-sample draws (true metric), the solver's bound on it, and the
    #: reach-optimal plan's value on the same draws.
    in_sample: float
    in_sample_bound: float
    reach_in_sample: float
    #: ``{"mean", "quantile", "cvar"}`` of the metric in an independent simulation (seed + 1).
    out_of_sample: dict[str, float]
    reach_out_of_sample: dict[str, float]
    draws: int
    candidates: int
    runs: int

    def to_dict(self) -> dict[str, Any]:
        """The ``risk`` entry of the optimize JSON (docs/contract.md section 8)."""
        return {"measure": self.measure, "level": self.level, "day": self.day, "metric": self.metric,
                "draws": self.draws, "candidates": self.candidates, "runs": self.runs,
                "in_sample": self.in_sample, "in_sample_bound": self.in_sample_bound,
                "reach_plan_in_sample": self.reach_in_sample,
                "out_of_sample": dict(self.out_of_sample), "reach_plan": dict(self.reach_out_of_sample)}


def risk_settings(scenario: Scenario) -> tuple[str, float, int, str]:
    """(measure, level, day, metric) of the scenario's risk objective, or a ScenarioError."""
    obj = scenario.objective
    where = scenario.path or scenario.name
    if obj.risk_measure is None:
        raise ScenarioError(f"{where}: objective.risk is not set; add risk = {{ measure = \"cvar\", level = 0.1 }} "
                            "to [objective]")
    if obj.for_kpis or len(obj.weights) != 1:
        raise ScenarioError(f"{where}: objective.risk needs one objective metric (maximize = \"target_reach\", "
                            "\"target_impressions\" or \"engagements\"); a weighted objective is not supported with risk")
    last = int(scenario.simulation.days) - 1
    day = last if obj.risk_day is None else int(obj.risk_day)
    if not 0 <= day <= last:
        raise ScenarioError(f"{where}: objective.risk.day = {day} is after the last simulated day {last}; lower it "
                            "or raise [simulation] days")
    return obj.risk_measure, float(obj.risk_level), day, next(iter(obj.weights))


def outcome_values(scenario: Scenario, plan: Plan, metric: str, day: int, *, runs: int, seed: int) -> np.ndarray:
    """The metric by the end of ``day`` in each of ``runs`` independent runs of ``plan``."""
    if metric == "target_impressions":
        from simulate.kpi_draws import metric_draws

        return metric_draws(scenario, plan.posts, metric, day, draws=runs, seed=seed, post_days=plan.days).gains.sum(1)
    from simulate import simulate

    result = simulate(scenario, plan.posts, runs=runs, days=day + 1, seed=seed, post_days=plan.days)
    return np.asarray(result.finals[metric], dtype=float)


def summary(values: np.ndarray, level: float) -> dict[str, float]:
    from optimizer.risk import cvar_of, quantile_of

    return {"mean": float(np.mean(values)), "quantile": quantile_of(values, level), "cvar": cvar_of(values, level)}


def risk_plan(scenario: Scenario, *, draws: int = DEFAULT_DRAWS, seed: int | None = None,
              check_runs: int = DEFAULT_CHECK_RUNS, candidates: int = DEFAULT_CANDIDATES, gap: float = 1e-3,
              time_limit: float | None = None, solver: str = "highs") -> RiskPlanResult:
    """The plan maximising the scenario's risk measure of its objective metric (``objective.risk``)."""
    from optimizer.kpi import Columns, KpiSample
    from optimizer.risk import risk_value, solve_risk
    from simulate.kpi_draws import metric_draws

    measure, level, day, metric = risk_settings(scenario)
    for name, value in (("draws", draws), ("check_runs", check_runs), ("candidates", candidates)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ScenarioError(f"{name} = {value!r} must be a whole number >= 1")
    seed = int(scenario.simulation.seed if seed is None else seed)
    start = time.perf_counter()
    # Target impressions are scored like target reach when choosing candidates (same per-post load).
    scored = KpiTarget("target_reach" if metric == "target_impressions" else metric, 1.0, day)
    pool = candidate_pool(scenario, [scored], limit=candidates, gap=gap, time_limit=time_limit, solver=solver,
                          seed=seed)
    problem, reach_plan, rows, caps = pool.problem, pool.reach_plan, pool.rows, pool.caps
    d = metric_draws(scenario, pool.full, metric, day, draws=draws, seed=seed, post_days=pool.post_days)
    sample = KpiSample(f"{metric} by day {day}", 1.0, gains=d.gains, loads=d.loads, population=d.population)
    cols = Columns(rows, caps)
    seconds = DEFAULT_SECONDS if time_limit is None else max(1.0, time_limit - (time.perf_counter() - start))
    solution = solve_risk(problem, cols, sample, measure, level, time_limit=seconds, warm=reach_plan.posts, gap=gap)
    plan = Plan(posts=solution.posts, strategy=f"risk-{measure}",
                status={"Optimal": "optimal", "Time limit reached": "time_limit"}.get(solution.status, "feasible"),
                # The risk value and its bound are in the risk entry, not objective/upper_bound (whose
                # units are the reach model's expected objective).
                seconds=time.perf_counter() - start,
                stats={"draws": draws, "candidates": int(len(rows)), "risk_status": solution.status,
                       "cut_rounds": solution.cut_rounds, "in_sample_seconds": solution.seconds})
    check_seed = seed + CHECK_SEED_OFFSET
    ours = summary(outcome_values(scenario, plan, metric, day, runs=check_runs, seed=check_seed), level)
    theirs = summary(outcome_values(scenario, reach_plan, metric, day, runs=check_runs, seed=check_seed), level)
    reach_in = risk_value(sample.values(cols.of_posts(reach_plan.posts)), measure, level)
    return RiskPlanResult(plan, reach_plan, measure, level, day, metric, solution.value, solution.bound, reach_in,
                          ours, theirs, draws, int(len(rows)), check_runs)


def risk_table(risk: dict[str, Any]):
    """Mean, quantile and CVaR of the risk plan and the reach-optimal plan, out-of-sample."""
    from .formats import Table

    pct = f"{100 * risk['level']:g}"
    q_name, c_name = f"p{pct}", f"CVaR {pct}%"
    rows = tuple((name, v["mean"], v["quantile"], v["cvar"], ins)
                 for name, v, ins in ((f"risk-{risk['measure']}", risk["out_of_sample"], risk["in_sample"]),
                                      ("reach-optimal", risk["reach_plan"], risk["reach_plan_in_sample"])))
    return Table(columns=("plan", "mean", q_name, c_name, f"in-sample {risk['measure']}"), rows=rows,
                 best={"mean": "max", q_name: "max", c_name: "max"},
                 title=f"{risk['metric']} by day {risk['day']}: risk ({risk['measure']}, level {risk['level']:g}) "
                       f"out-of-sample ({risk['runs']:,} runs, seed + 1)",
                 notes=(f"{q_name}: the value all but {pct}% of runs reach; {c_name}: the mean of the worst {pct}% "
                        f"of runs. In-sample: {risk['draws']} draws on {risk['candidates']} candidate creators "
                        f"(solver bound {risk['in_sample_bound']:,.0f}).",))


def risk_output(scenario: Scenario, *, gap, time_limit, solver, seed, plot=None, calendar=(None, None),
                draws: int | None = None):
    """``optimize`` with ``objective.risk``: (result, tables) for ``jobs.Output``; ``draws`` is
    ``--kpi-draws`` (the sample's size M; default ``DEFAULT_DRAWS``)."""
    from .calendar_view import plan_calendar
    from .plausibility import unique
    from .results import plan_result, plan_tables

    found = risk_plan(scenario, draws=draws or DEFAULT_DRAWS, gap=gap, time_limit=time_limit, solver=solver,
                      seed=seed or None)
    result = plan_result(scenario, found.plan)
    result["warnings"] = unique(list(scenario.pool.warnings) + list(result.get("warnings") or []))
    result["risk"] = found.to_dict()
    if plot is not None:
        from .charts import spend_by_tier

        spend_by_tier(result, plot, currency=scenario.currency, budget=scenario.budget)
    return result, (*plan_tables(result), risk_table(result["risk"]), *plan_calendar(result, scenario, *calendar))
