"""The inverse KPI question: the smallest budget whose KPI plan meets the priority-1 KPI with an
out-of-sample probability of at least P (issue 11, ``optimize --target-probability P``;
docs/optimizer.md, "Smallest budget for a KPI probability").

The answer is statistical, not a proof. At each budget tried, ``whatif.kpi_plan.kpi_plan`` chooses
the plan (sample-average MILP over M draws, under a time limit) and an independent simulation
estimates its probability of meeting the KPI; the budget "meets" when that point estimate is at
least P, and the Wilson 95% interval is reported beside it. Bisection assumes the probability grows
with the budget; nothing guarantees it (the in-sample problem is solved on M draws under a time
limit, the candidates change with the budget, and rules stated as budget shares make larger budgets
harder), so the bracket is the one the search saw, not a monotone certificate. Every budget uses the
same seed (the same random streams), which keeps comparisons between budgets from being dominated
by noise where plans share posts.

Search: the scenario's budget first; then halving (while it meets) or doubling (while it misses) up
to the pool's ceiling (every eligible creator at its post cap) until a miss and a meet bracket the
answer; then bisection until the bracket is within ``tolerance`` (relative) of its top.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from scenarios import InfeasibleError, Scenario, ScenarioError

from .kpi_plan import DEFAULT_CANDIDATES, DEFAULT_CHECK_RUNS, DEFAULT_DRAWS, KpiPlanResult, kpi_plan, optimisable
from .progress import current as current_progress

#: Solver seconds per optimised KPI at each budget tried, when no time limit is given (half the
#: single-plan default: the search solves one KPI plan per budget, about 8 to 10 of them).
SEARCH_STAGE_SECONDS = 10.0
#: Relative budget tolerance of the bisection.
DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True)
class KpiBudgetResult:
    #: The smallest budget found that meets (the top of the bracket) and its KPI plan.
    budget: float
    found: KpiPlanResult
    target_probability: float
    #: Index into ``found.kpis`` of the KPI judged (the highest-priority one the objective optimises).
    kpi_index: int
    #: (largest budget tried that missed, or None when the cheapest possible budget meets; ``budget``).
    bracket: tuple[float | None, float]
    #: Every budget tried, in order: budget, probability, probability_low, probability_high, in_sample,
    #: spent, status, meets, seconds (and reason when no plan obeyed the rules there).
    evaluations: tuple[dict[str, Any], ...]
    #: "confident": the found budget's 95% interval lies at or above P and the missed one's below P;
    #: "estimate": the point estimates decide but an interval includes P.
    verdict: str
    note: str
    #: The smallest budget tried whose whole 95% interval lies at or above P (None if none did).
    confident_budget: float | None
    seconds: float

    @property
    def kpi(self) -> dict[str, Any]:
        return self.found.kpis[self.kpi_index]

    def __repr__(self) -> str:
        low = "none" if self.bracket[0] is None else f"{self.bracket[0]:,.0f}"
        return (f"KpiBudgetResult(budget {self.budget:,.0f}, P1 {100 * self.kpi['probability']:.1f}% >= "
                f"{100 * self.target_probability:g}%, missed at {low}, {len(self.evaluations)} budgets tried, "
                f"{self.verdict})")

    def to_json(self) -> dict[str, Any]:
        """The keys ``optimize --target-probability`` adds to the KPI plan's JSON."""
        return {"target_probability": self.target_probability, "min_budget": self.budget,
                "budget_bracket": list(self.bracket), "evaluations": [dict(e) for e in self.evaluations],
                "min_budget_verdict": self.verdict, "min_budget_note": self.note,
                "confident_budget": self.confident_budget}


def min_budget_for_probability(scenario: Scenario, target_probability: float, *, draws: int = DEFAULT_DRAWS,
                               tolerance: float = DEFAULT_TOLERANCE, check_runs: int = DEFAULT_CHECK_RUNS,
                               time_limit: float | None = None, seed: int | None = None,
                               kpi_tolerance: float = 0.0, candidates: int = DEFAULT_CANDIDATES,
                               gap: float = 1e-3, solver: str = "highs") -> KpiBudgetResult:
    """The smallest budget (within ``tolerance``, relative) whose KPI plan meets the priority-1 KPI
    with an out-of-sample probability >= ``target_probability`` (a point estimate; see the module).

    ``time_limit``: seconds for each budget's KPI plan (default 10 per optimised KPI). ``seed``: the
    same for every budget (default the scenario's). Raises ``InfeasibleError`` when no budget up to
    the pool's ceiling meets the probability, naming the best probability reached and where.
    """
    p = float(target_probability)
    if not 0.0 < p < 1.0:
        raise ScenarioError(f"target probability {target_probability!r} must lie strictly between 0 and 1 "
                            "(e.g. 0.9 for 90%)")
    if not 0.0 < tolerance < 1.0:
        raise ScenarioError(f"tolerance = {tolerance!r} must be a relative budget tolerance in (0, 1), e.g. 0.02")
    seed = int(scenario.simulation.seed if seed is None else seed)
    chosen = [k for k, kpi in enumerate(scenario.kpis) if optimisable(kpi) is None]
    limit = SEARCH_STAGE_SECONDS * max(1, len(chosen)) if time_limit is None else float(time_limit)
    floor, ceiling = budget_range(scenario)
    start_clock = time.perf_counter()
    evaluations: list[dict[str, Any]] = []
    results: dict[float, KpiPlanResult] = {}
    # The judged KPI: the highest-priority one the objective optimises (kpi_plan explains a scenario with none).
    index = min(chosen, key=lambda k: scenario.kpis[k].priority) if chosen else 0

    def meets(budget: float) -> bool:
        last = evaluations[-1] if evaluations else None
        label = (f"KPI budget search: budget {budget:,.0f} {scenario.currency} (try {len(evaluations) + 1}"
                 + (f"; {last['budget']:,.0f} gave {100 * last['probability']:.1f}%" if last else "") + ")")
        clock = time.perf_counter()
        with current_progress().step(label):
            try:
                found = kpi_plan(dataclasses.replace(scenario, budget=float(budget)), draws=draws, seed=seed,
                                 check_runs=check_runs, candidates=candidates, tolerance=kpi_tolerance, gap=gap,
                                 time_limit=limit, solver=solver)
            except InfeasibleError as exc:  # no plan obeys the rules at this budget: a miss
                evaluations.append({"budget": float(budget), "probability": 0.0, "probability_low": None,
                                    "probability_high": None, "in_sample": None, "spent": 0.0,
                                    "status": "infeasible", "meets": False,
                                    "seconds": time.perf_counter() - clock, "reason": str(exc)})
                return False
        row = found.kpis[index]
        ok = row["probability"] >= p
        results[float(budget)] = found
        evaluations.append({"budget": float(budget), "probability": row["probability"],
                            "probability_low": row["probability_low"], "probability_high": row["probability_high"],
                            "in_sample": row["in_sample"], "spent": _spent(scenario, found.plan.posts),
                            "status": found.plan.status, "meets": ok, "seconds": time.perf_counter() - clock})
        return ok

    # Bracket: from the scenario's budget, down by halving while it meets, up by doubling while it misses.
    probe = min(max(float(scenario.budget), floor), ceiling)
    lo: float | None
    if meets(probe):
        lo, hi = None, probe
        while lo is None and hi > floor:
            probe = max(0.5 * hi, floor)
            if meets(probe):
                hi = probe
            else:
                lo = probe
    else:
        lo, hi = probe, None
        while hi is None:
            if lo >= ceiling:
                raise InfeasibleError(_unreachable(scenario, p, index, evaluations, ceiling))
            probe = min(2.0 * lo, ceiling)
            if meets(probe):
                hi = probe
            else:
                lo = probe
    # Bisection to the relative tolerance (assumes the probability grows with the budget).
    while lo is not None and hi - lo > tolerance * hi:
        mid = 0.5 * (lo + hi)
        if meets(mid):
            hi = mid
        else:
            lo = mid
    found = results[hi]
    verdict, note, confident = _verdict(scenario, p, index, evaluations, lo, hi, floor, check_runs)
    return KpiBudgetResult(budget=hi, found=found, target_probability=p, kpi_index=index, bracket=(lo, hi),
                           evaluations=tuple(evaluations), verdict=verdict, note=note, confident_budget=confident,
                           seconds=time.perf_counter() - start_clock)


def budget_range(scenario: Scenario) -> tuple[float, float]:
    """(the cost of the cheapest single post, the cost of every eligible creator at its post cap):
    below the first no post can be bought; above the second more money buys nothing more (unless
    ``max_creator_share`` needs a larger budget for the dearest creator)."""
    import numpy as np

    import optimizer

    unlimited = optimizer.Problem.build(dataclasses.replace(scenario, budget=1e300))
    costs = unlimited.cost(unlimited.cap)
    one_post = (unlimited.price + unlimited.fee)[unlimited.cap > 0]
    if not one_post.size:
        raise InfeasibleError(f"{scenario.path or scenario.name}: no creator is eligible under the rules "
                              "(exclude, minimum rates, max_count, max_posts); no budget can buy a post")
    ceiling = float(costs.sum())
    share = scenario.constraints.max_creator_share
    if share is not None:
        ceiling = max(ceiling, float(np.max(costs)) / share)
    return float(one_post.min()), ceiling


def _spent(scenario: Scenario, posts) -> float:
    pool = scenario.pool
    return float((posts * pool.price).sum() + pool.fee[posts > 0].sum())


def _describe(scenario: Scenario, index: int) -> str:
    kpi = scenario.kpis[index]
    return f"KPI {kpi.metric} >= {kpi.target:,.0f} by day {kpi.by_day} (priority {kpi.priority})"


def _interval(row: dict[str, Any]) -> str:
    if row["probability_low"] is None:
        return f"no plan obeys the rules ({row.get('reason', '')})"
    return (f"{100 * row['probability']:.1f}% (95% interval {100 * row['probability_low']:.1f}%-"
            f"{100 * row['probability_high']:.1f}%)")


def _unreachable(scenario: Scenario, p: float, index: int, evaluations: list[dict], ceiling: float) -> str:
    best = max(evaluations, key=lambda e: (e["probability"], -e["budget"]))
    return (f"{scenario.path or scenario.name}: target probability {100 * p:g}% for {_describe(scenario, index)} "
            f"is not met with any budget tried up to {ceiling:,.0f} {scenario.currency} (every eligible creator at "
            f"its post cap): the best out-of-sample probability is {_interval(best)} at a budget of "
            f"{best['budget']:,.0f}; lower the target probability or the KPI target, or move its day later")


def _verdict(scenario: Scenario, p: float, index: int, evaluations: list[dict], lo: float | None, hi: float,
             floor: float, runs: int) -> tuple[str, str, float | None]:
    """(verdict, note, the smallest budget tried whose whole 95% interval lies at or above ``p``)."""
    at = {e["budget"]: e for e in evaluations}
    top = at[hi]
    sure = [e["budget"] for e in evaluations if e["probability_low"] is not None and e["probability_low"] >= p]
    confident = min(sure) if sure else None
    clear_top = top["probability_low"] >= p
    below = None if lo is None else at[lo]
    clear_below = below is None or below["probability_high"] is None or below["probability_high"] < p
    note = (f"Statistical, not a proof: at {hi:,.0f} {scenario.currency} the KPI plan meets "
            f"{_describe(scenario, index)} with an out-of-sample probability of {_interval(top)} >= {100 * p:g}%")
    if below is None:
        note += f"; {hi:,.0f} buys the cheapest single post ({floor:,.0f}), no smaller budget buys any"
    else:
        note += f"; at {lo:,.0f} it reached {_interval(below)}"
    note += (f". {len(evaluations)} budgets tried with the same seed; the bisection assumes the probability grows "
             "with the budget, which the M-draw problem under a time limit does not guarantee.")
    if clear_top and clear_below:
        return "confident", note, confident
    where = " and ".join(w for w, clear in (("at the budget found", clear_top), ("at the budget below", clear_below))
                         if not clear)
    note += (f" The 95% interval includes {100 * p:g}% {where}: the answer lies within the Monte Carlo error of the "
             f"{runs:,}-run check; " + (f"the smallest budget tried whose whole interval lies at or above "
                                       f"{100 * p:g}% is {confident:,.0f}." if confident is not None else
                                       f"no budget tried has its whole interval at or above {100 * p:g}%."))
    return "estimate", note, confident


def search_budget(scenario: Scenario, target_probability: float | None, kpi: dict | None, *,
                  target_reach: float | None = None, gap: float = 1e-3, time_limit: float | None = None,
                  solver: str = "highs", seed: int = 0) -> tuple[Scenario, KpiBudgetResult | None]:
    """``optimize --target-probability``: the search with the command's KPI settings (``kpi`` as in
    ``whatif.jobs.optimize``; ``seed`` 0 = the scenario's). Returns the scenario at the budget found
    and the search, or ``(scenario, None)`` when no target probability is given."""
    if target_probability is None:
        return scenario, None
    if target_reach is not None:
        raise ScenarioError("--target-probability and --target-reach ask different questions; give one of them")
    kpi = kpi or {}
    # Module constants read at call time (a test may lower them for speed).
    found = min_budget_for_probability(scenario, target_probability, draws=kpi.get("draws") or DEFAULT_DRAWS,
                                       tolerance=DEFAULT_TOLERANCE, kpi_tolerance=float(kpi.get("tolerance") or 0.0),
                                       check_runs=kpi.get("check_runs") or DEFAULT_CHECK_RUNS, time_limit=time_limit,
                                       seed=seed or None, gap=gap, solver=solver)
    return dataclasses.replace(scenario, budget=found.budget), found


def budget_tables(result: dict[str, Any]) -> tuple:
    """The budgets an ``optimize --target-probability`` search tried, as a table (none without a search)."""
    from .formats import Table

    if "evaluations" not in result:
        return ()
    rows = tuple((e["budget"], e["probability"], e["probability_low"], e["probability_high"], e["in_sample"],
                  e["status"], "yes" if e["meets"] else "no") for e in result["evaluations"])
    low, high = result["budget_bracket"]
    return (Table(columns=("budget", "probability", "low 95%", "high 95%", "in_sample", "status", "meets"), rows=rows,
                 title=f"Smallest budget with P(priority-1 KPI) >= {100 * result['target_probability']:g}%: "
                       f"{high:,.0f} (missed at {'-' if low is None else f'{low:,.0f}'}; "
                       f"{result['min_budget_verdict']})",
                 percent=("probability", "low 95%", "high 95%", "in_sample"), notes=(result["min_budget_note"],)),)
