"""Plans for the KPIs: the creators and posts that maximise the probability of meeting the
scenario's dated ``[[kpi]]`` targets in priority order (issue 11; docs/optimizer.md, "KPI objective").

Three steps, each in its own layer:

1. candidates (here): the creators worth considering, so the sample-average MILP stays small on a
   large pool (the best per cost and the largest for every KPI, the reach-optimal plan's creators,
   must_include, the cheapest of every tier with a minimum);
2. in-sample: ``simulate.kpi_draws`` draws M seeded outcomes of every candidate post from the
   simulator's own model and ``optimizer.kpi.solve_kpis`` maximises the number of draws meeting
   each KPI, lexicographically;
3. out-of-sample: the chosen plan (and the reach-optimal plan, for comparison) is simulated with an
   independent seed; those probabilities, with Wilson 95% intervals, are the ones reported.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios import KpiTarget, Plan, Scenario, ScenarioError
from scenarios.calendar import earliest_schedule, window_capacity

#: Draws of the in-sample problem (M). Measured on the Istanbul example with 20 s per KPI
#: (docs/optimizer.md): M = 50 over-fits (in-sample 82%, out-of-sample 64%); M = 100 gives the best
#: out-of-sample probability (69%); M = 200 and 400 stop at the time limit with worse plans (67%, 64%).
DEFAULT_DRAWS = 100
#: Candidate creators kept for the MILP (before adding the reach plan's and must_include).
DEFAULT_CANDIDATES = 120
#: Runs of the out-of-sample check: a probability p is estimated within about
#: 1.96 sqrt(p (1 - p) / runs), +-2.2 points at p = 0.5 with 2,000 runs.
DEFAULT_CHECK_RUNS = 2000
#: Solver time per optimised KPI when no --time-limit is given: the chance-constrained MILP's bound
#: is weak (measured: the Istanbul example with M = 200 proves optimality at M = 50 in 5 s but not
#: at M = 200 in 60 s); a stop at the limit keeps the best plan and reports the proven bound.
DEFAULT_STAGE_SECONDS = 20.0
#: Offset between the in-sample seed and the out-of-sample simulation's seed.
CHECK_SEED_OFFSET = 1


@dataclass(frozen=True)
class KpiPlanResult:
    plan: Plan
    reach_plan: Plan
    #: Per KPI in priority order: metric, target, by_day, priority, probability (out-of-sample) and
    #: its 95% interval, in_sample (None for KPIs the objective cannot optimise), reach_plan_probability.
    kpis: tuple[dict[str, Any], ...]
    draws: int
    candidates: int
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        probs = ", ".join(f"P{k['priority']} {k['metric']} {100 * k['probability']:.1f}% "
                          f"(reach plan {100 * k['reach_plan_probability']:.1f}%)" for k in self.kpis)
        return f"KpiPlanResult({self.plan!r}; {probs})"

    def to_frame(self):
        """The KPI rows as a pandas DataFrame (``pip install 'reachmix[frame]'``)."""
        from scenarios.frames import data_frame

        return data_frame(self.kpis)


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def optimisable(kpi: KpiTarget) -> str | None:
    """None when the KPI objective can optimise ``kpi``, else why not."""
    from simulate.kpi_draws import LINEAR

    if kpi.metric in LINEAR:
        return None
    if kpi.metric == "target_reach":
        return None if kpi.window == "campaign" else "target reach within a window is not a sum over posts"
    return f"{kpi.metric} is not a sum over posts"


def kpi_plan(scenario: Scenario, *, draws: int = DEFAULT_DRAWS, seed: int | None = None,
             check_runs: int = DEFAULT_CHECK_RUNS, candidates: int = DEFAULT_CANDIDATES,
             tolerance: float = 0.0, gap: float = 1e-3, time_limit: float | None = None,
             solver: str = "highs") -> KpiPlanResult:
    """The plan that maximises the probability of meeting ``scenario.kpis`` in priority order."""
    from optimizer.kpi import KpiSample, solve_kpis
    from simulate import simulate
    from simulate.kpi_draws import kpi_draws

    kpis = list(scenario.kpis)
    chosen = [k for k in kpis if optimisable(k) is None]
    if not chosen:
        raise ScenarioError(f"{scenario.path or scenario.name}: the KPI objective needs a [[kpi]] target on views, "
                            "likes, comments, shares, engagements or target_reach (campaign window); "
                            f"this scenario has {len(kpis)} KPI(s) and none of them qualifies")
    for name, value, low in (("draws", draws, 1), ("check_runs", check_runs, 1), ("candidates", candidates, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ScenarioError(f"{name} = {value!r} must be a whole number >= {low}")
    if not 0.0 <= tolerance < 1.0:
        raise ScenarioError(f"tolerance = {tolerance!r} must be a share of draws in [0, 1)")
    seed = int(scenario.simulation.seed if seed is None else seed)
    start = time.perf_counter()
    pool = candidate_pool(scenario, chosen, limit=candidates, gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    problem, reach_plan, rows, full = pool.problem, pool.reach_plan, pool.rows, pool.full
    draws_of = kpi_draws(scenario, full, chosen, draws=draws, seed=seed, post_days=pool.post_days,
                         variants=pool.variants)
    samples = [KpiSample(f"{d.kpi.metric} >= {d.kpi.target:g} by day {d.kpi.by_day}", float(d.kpi.target),
                         gains=d.gains, loads=d.loads, population=d.population) for d in draws_of]
    cols = pool.columns()
    budget_seconds = DEFAULT_STAGE_SECONDS * len(samples) if time_limit is None else \
        max(1.0, time_limit - (time.perf_counter() - start))
    solution = solve_kpis(problem, cols, samples, tolerance=tolerance, time_limit=budget_seconds,
                          warm_columns=pool.warm(scenario, cols, reach_plan.posts) if pool.later else None,
                          warm=reach_plan.posts)
    statuses = {s.status for s in solution.stages}
    plan = Plan(posts=solution.posts, strategy="kpi", days=pool.schedule(scenario, cols, solution.y),
                status="optimal" if statuses == {"Optimal"} else ("time_limit" if "Time limit reached" in statuses
                                                                  else "feasible"),
                # The plan's objective and bound are probabilities, not the scenario objective's units:
                # they live in the KPI rows (in_sample, in_sample_bound), not in objective/upper_bound.
                seconds=time.perf_counter() - start,
                stats={"draws": draws, "candidates": int(len(rows)), "later_starts": [s for s, _, _ in pool.later],
                       "stages": [dataclasses.asdict(s) for s in solution.stages],
                       "in_sample_seconds": solution.seconds})
    check_seed = seed + CHECK_SEED_OFFSET
    ours = simulate(scenario, plan.posts, runs=check_runs, seed=check_seed, post_days=plan.days).kpi_rows()
    theirs = simulate(scenario, reach_plan.posts, runs=check_runs, seed=check_seed,
                      post_days=reach_plan.days).kpi_rows()
    in_sample = {id(d.kpi): s.met / draws for d, s in zip(draws_of, solution.stages)}
    bounds = {id(d.kpi): min(1.0, s.bound / draws) for d, s in zip(draws_of, solution.stages)}
    rows_out, notes = [], []
    for d, stage in zip(draws_of, solution.stages):
        if stage.met == 0 and stage.bound < 1:
            # Explained like other infeasibility: what is asked, and that no plan can do it.
            notes.append(f"KPI {d.kpi.metric} >= {d.kpi.target:,.0f} by day {d.kpi.by_day} (priority {d.kpi.priority}) "
                         f"is met in none of the {draws} draws by any plan within the budget and rules (proven on "
                         f"{len(rows)} candidate creators); raise the budget, move the day later or lower the target")
    for kpi, mine, base in zip(kpis, ours, theirs):
        hits = round(mine["probability"] * check_runs)
        low, high = wilson(hits, check_runs)
        why = optimisable(kpi)
        if why is not None:
            notes.append(f"KPI {kpi.metric} (priority {kpi.priority}) is reported, not optimised: {why}")
        rows_out.append({"metric": kpi.metric, "target": kpi.target, "by_day": kpi.by_day, "priority": kpi.priority,
                         "window": kpi.window, "probability": mine["probability"], "probability_low": low,
                         "probability_high": high, "in_sample": in_sample.get(id(kpi)),
                         "in_sample_bound": bounds.get(id(kpi)),
                         "reach_plan_probability": base["probability"]})
    return KpiPlanResult(plan, reach_plan, tuple(rows_out), draws, int(len(rows)), tuple(notes))


def kpi_table(result: dict[str, Any]):
    """The KPI rows of an ``optimize --for-kpis`` result as a table (probabilities in percent)."""
    from .formats import Table

    rows = tuple((k["priority"], k["metric"], k["target"], k["by_day"], k["window"], k["probability"],
                  k["probability_low"], k["probability_high"], k["in_sample"], k["reach_plan_probability"])
                 for k in result["kpis"])
    return Table(columns=("priority", "metric", "target", "by_day", "window", "probability", "low 95%", "high 95%",
                          "in_sample", "reach_plan"), rows=rows,
                 title=f"KPI probabilities (out-of-sample; {result['kpi_draws']} in-sample draws, "
                       f"{result['kpi_candidates']} candidate creators)",
                 percent=("probability", "low 95%", "high 95%", "in_sample", "reach_plan"),
                 notes=("probability: share of an independent simulation's runs meeting the KPI (another seed); "
                        "reach_plan: the same for the reach-optimal plan.",))


@dataclass(frozen=True, eq=False)
class CandidatePool:
    """What every sample-average objective starts from: the rules, the reach-optimal plan (compared
    with and used as the warm start), the candidate rows with their caps, the pool-size posts array
    buying every candidate at its cap, and those posts' days.

    With spend caps (``[budget] by_week`` / ``by_month``) a candidate also gets later starts
    (``later``, see ``later_starts``): groups of columns ``(rows_v, caps_v)`` whose posts begin on a
    cap period's first day, ``variants`` for ``kpi_draws``, and ``limits`` (spend per period, one
    start per creator) for the MILP."""

    problem: Any
    reach_plan: Plan
    rows: np.ndarray
    caps: np.ndarray
    full: np.ndarray
    post_days: np.ndarray
    later: tuple[tuple[int, np.ndarray, np.ndarray], ...] = ()
    variants: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    limits: tuple[np.ndarray, np.ndarray] | None = None

    def columns(self):
        """The MILP's columns: every candidate from its earliest day, then each later start's group."""
        from optimizer.kpi import Columns

        rows = np.concatenate([self.rows, *(r for _, r, _ in self.later)]).astype(np.int64)
        caps = np.concatenate([self.caps, *(c for _, _, c in self.later)]).astype(np.int64)
        return Columns(rows, caps, self.limits)

    def group_starts(self) -> np.ndarray:
        """Per owner of ``columns()``: the day its group starts (-1: the creator's earliest day)."""
        return np.concatenate([np.full(self.rows.size, -1), *(np.full(r.size, s) for s, r, _ in self.later)])

    def warm(self, scenario: Scenario, cols, posts: np.ndarray) -> np.ndarray:
        """The column vector of the plan ``posts`` as the caps would schedule it: each creator in the
        latest group starting no later than its first post's day on the earliest schedule."""
        rows = np.asarray(cols.rows)
        starts = self.group_starts()
        first = first_days(posts, earliest_schedule(scenario, posts))
        group = np.full(scenario.pool.size, -1, dtype=np.int64)  # owner index chosen per creator
        for owner in range(rows.size):  # groups are in start order, so the last fitting one wins
            if posts[rows[owner]] and starts[owner] <= first[rows[owner]]:
                group[rows[owner]] = owner
        return ((cols.level <= posts[rows][cols.owner]) & (group[rows][cols.owner] == cols.owner)).astype(float)

    def schedule(self, scenario: Scenario, cols, y: np.ndarray) -> np.ndarray | None:
        """The days of the plan ``y``: each creator from the start of the group it was chosen in
        (None without later starts: the scenario's earliest schedule)."""
        if not self.later:
            return None
        starts = self.group_starts()
        chosen = np.flatnonzero((cols.level == 1) & (np.rint(y) > 0))
        not_before = np.full(scenario.pool.size, -1, dtype=np.int64)
        not_before[np.asarray(cols.rows)[cols.owner[chosen]]] = starts[cols.owner[chosen]]
        return earliest_schedule(scenario, cols.posts(y, scenario.pool.size), not_before=not_before)


def candidate_pool(scenario: Scenario, kpis: list[KpiTarget], *, limit: int, gap: float, time_limit: float | None,
                   solver: str, seed: int) -> CandidatePool:
    """The candidates for ``kpis`` (metrics and days), after the scenario's rules are checked."""
    import optimizer
    from optimizer import infeasibility

    problem = optimizer.Problem.build(scenario)
    infeasibility.check(problem)
    reach_plan = optimizer.optimize(scenario, "milp", gap=gap, time_limit=time_limit, solver=solver, seed=seed)
    rows = candidates_for(scenario, problem, kpis, reach_plan.posts, limit)
    caps = problem.cap[rows]
    full = np.zeros(problem.n, dtype=np.int64)
    full[rows] = caps
    # Each creator's posts on its own earliest days: the per-day cap and the spend caps couple
    # creators, so they apply to the chosen plan (the out-of-sample check simulates its schedule);
    # the spend caps also enter the MILP as limits on these days and the later starts'.
    solo = dataclasses.replace(scenario, schedule=dataclasses.replace(scenario.schedule, max_posts_per_day=None,
                                                                        spend_caps=()))
    days = earliest_schedule(solo, full)
    later, variants = [], []
    first_day = first_days(full, days)
    for start in later_starts(scenario, kpis):
        # Creators whose earliest day is before ``start`` (and not must_include: those keep their
        # earliest start, so that the MILP's lower bound on their first post stays one column).
        movable = rows[(first_day[rows] < start) & ~problem.must[rows]]
        not_before = np.zeros(problem.n, dtype=np.int64)
        not_before[movable] = start
        capacity = window_capacity(solo, not_before)
        posts_v = np.zeros(problem.n, dtype=np.int64)
        posts_v[movable] = np.minimum(full[movable], capacity[movable])
        group = np.flatnonzero(posts_v)
        if group.size:
            later.append((int(start), group, posts_v[group]))
            variants.append((posts_v, earliest_schedule(solo, posts_v, not_before=not_before)))
    pool = CandidatePool(problem, reach_plan, rows, caps, full, days, tuple(later), tuple(variants))
    return dataclasses.replace(pool, limits=_limits(scenario, problem, pool)) if scenario.schedule.spend_caps else pool


def first_days(posts: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Pool-size: the day of each creator's first post in ``days`` (aligned with ``posts``), -1 if unhired."""
    out = np.full(posts.size, -1, dtype=np.int64)
    hired = np.flatnonzero(posts)
    out[hired] = days[np.cumsum(posts[hired]) - posts[hired]]
    return out


#: Later starts a candidate may get under spend caps (each adds a group of columns to the MILP).
MAX_LATER_STARTS = 6


def later_starts(scenario: Scenario, kpis: list[KpiTarget]) -> list[int]:
    """The first days of the spend caps' periods after ``start_day`` and up to the last KPI's day
    (at most ``MAX_LATER_STARTS``, the earliest): where a post deferred by a cap would go."""
    from simulate.kpi_draws import kpi_day

    caps = scenario.schedule.spend_caps
    if not caps or not kpis:
        return []
    last, start = max(kpi_day(scenario, k) for k in kpis), int(scenario.simulation.start_day)
    days = sorted({c.length * p for c in caps for p in range(1, last // c.length + 1)})
    return [d for d in days if start < d <= last][:MAX_LATER_STARTS]


def _limits(scenario: Scenario, problem, pool: CandidatePool) -> tuple[np.ndarray, np.ndarray]:
    """``A y <= b``: at most one start per creator, and every spend cap's period on the columns'
    days (a post books its price, a creator's first post also its fee: scenarios/calendar.py)."""
    cols = pool.columns()
    rows = np.asarray(cols.rows)
    day = np.concatenate([pool.post_days, *(d for _, d in pool.variants)])  # aligned with the columns
    cost = problem.price[rows][cols.owner] + np.where(cols.level == 1, problem.fee[rows][cols.owner], 0.0)
    a_rows, b = [], []
    first = cols.level == 1
    for r in np.unique(rows):
        mine = first & (rows[cols.owner] == r)
        if mine.sum() > 1:
            a_rows.append(mine.astype(float))
            b.append(1.0)
    for cap in scenario.schedule.spend_caps:
        period = day // cap.length
        for p in np.unique(period).tolist():
            limit = cap.cap(int(p) + 1)
            coef = np.where(period == p, cost, 0.0)
            if limit != float("inf") and coef.sum() > limit * (1 + 1e-9):  # rows that can bind
                a_rows.append(coef)
                b.append(float(limit))
    a = np.vstack(a_rows) if a_rows else np.zeros((0, cols.n))
    return a, np.asarray(b, dtype=float)



def candidates_for(scenario: Scenario, problem, kpis: list[KpiTarget], reach_posts: np.ndarray,
                   limit: int) -> np.ndarray:
    """Pool rows worth a column in the MILP (sorted). Scores use each creator's expected metric at
    its cap (no timing); the MILP then judges timing and luck exactly on these."""
    cap = problem.cap
    eligible = np.flatnonzero(cap > 0)
    if eligible.size <= limit:
        return eligible
    pool = scenario.pool
    cost = problem.price * cap + problem.fee
    views = pool.avg_views.astype(float) * cap
    value = {
        "views": views, "likes": views * pool.likes_rate, "comments": views * pool.comments_rate,
        "shares": views * pool.shares_rate, "engagements": views * pool.engagement_rate,
        "target_reach": problem.model.per_post.sum(axis=1) * cap,
    }
    keep: set[int] = set(np.flatnonzero(reach_posts).tolist()) | set(np.flatnonzero(problem.must).tolist())
    share = max(1, limit // (2 * len(kpis)))
    for kpi in kpis:
        v = np.asarray(value[kpi.metric], dtype=float)[eligible]
        per_cost = v / np.maximum(cost[eligible], 1e-12)
        keep |= set(eligible[np.argsort(-per_cost, kind="stable")[:share]].tolist())
        keep |= set(eligible[np.argsort(-v, kind="stable")[:share]].tolist())
    # Tiers with a minimum need enough cheap members for any plan to be feasible.
    names = scenario.tiers.names
    for tier, count in scenario.constraints.min_count.items():
        members = eligible[problem.tier[eligible] == names.index(tier)]
        keep |= set(members[np.argsort(cost[members], kind="stable")[: 3 * int(count) + 5]].tolist())
    for tier in scenario.constraints.min_budget_share:
        members = eligible[problem.tier[eligible] == names.index(tier)]
        keep |= set(members[np.argsort(-value["views"][members] / np.maximum(cost[members], 1e-12),
                                       kind="stable")[:share]].tolist())
    return np.array(sorted(keep), dtype=np.int64)
