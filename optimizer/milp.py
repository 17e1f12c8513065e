"""The ``milp`` strategy: an exact, certified optimum of contract section 4's objective.

Pipeline (docs/optimizer.md explains each step and why it is exact):

1. cheap infeasibility pre-checks (``infeasibility.check``);
2. the greedy plan: the first incumbent, so the result is never worse than greedy;
3. the LP relaxation of the outer approximation, by column generation for large pools (creators
   priced with the Lagrangian of ``bounds``), whose duals give a Lagrangian bound that uses the
   true reach curve, and exact reduction of creators and post caps against the incumbent;
4. the outer-approximation MILP on the reduced pool (HiGHS through highspy, or CBC through PuLP),
   warm-started with the incumbent, refined with tangents at each new plan until the certified
   gap on the *true* objective is at most ``gap`` or time runs out. HiGHS's callbacks score
   every improving plan with the true objective and stop the search as soon as its bound
   certifies that gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from scenarios import Plan, Scenario, violations

from . import infeasibility
from .bounds import dual_multipliers, greedy_multipliers, lagrangian, reduce_caps
from .greedy import greedy_solution
from .highs_model import HighsModel
from .problem import Problem

#: Pools up to this many eligible creators go to the LP in one piece; larger ones by column generation.
DIRECT_LP_LIMIT = 2_500
#: Largest dense creator x cell block (candidates x cells) for which the LP runs; beyond it the
#: Lagrangian dual in NumPy gives the bound and a core problem the incumbent (docs/optimizer.md).
LP_BLOCK_LIMIT = 400_000
#: Largest dense block (creators x cells) of the core problem (``_Run._core``): 500 creators on
#: 240 cells. Measured on the 240-cell hard shapes: 1,666 creators (400,000 entries) stalled in
#: HiGHS's root cut loop (~5 s a round) and found nothing within 0.1% in 25 s; 500 did in 2-16 s.
CORE_BLOCK_LIMIT = 120_000
#: Seconds for a restricted MILP (over the LP's support) and for a core problem when the strategy
#: has no time limit (with one: a quarter of the time left).
RESTRICTED_SECONDS = 10.0
CORE_SECONDS = 25.0
#: Tangent points around a reference load, as factors.
AROUND = np.array([0.5, 0.8, 0.9, 0.95, 0.98, 1.0, 1.02, 1.05, 1.1, 1.25, 1.5, 2.0])
#: Share of the gap given to the reduction threshold (see ``_bound_and_reduce``).
REDUCE_SHARE = 0.9
#: A coarse geometric grid over loads (x = I/N) covering every practical campaign.
GRID = np.concatenate([[0.0], np.geomspace(1e-3, 30.0, 16)])


@dataclass(frozen=True)
class MilpStrategy:
    """Certified MILP (outer approximation + Lagrangian reduction).

    ``gap``: stop when ``(upper_bound - value) / upper_bound <= gap`` on the true objective.
    ``time_limit``: seconds (wall, model build included); the best plan so far is returned with
    status ``time_limit`` and its proven gap. ``solver``: "highs" (highspy) or "cbc" (PuLP).
    """

    gap: float = 1e-3
    time_limit: float | None = None
    solver: str = "highs"
    threads: int | None = None
    #: Decision mode (``min_budget_for_reach``): stop as soon as a plan reaches ``target`` or the
    #: certified bound proves that none can, whichever comes first (or at the gap, as usual).
    target: float | None = None
    name: str = "milp"

    def select(self, scenario: Scenario, *, problem: Problem | None = None) -> Plan:
        if self.solver not in ("highs", "cbc"):
            raise ValueError(f'solver must be "highs" or "cbc", not "{self.solver}"')
        return _Run(self, scenario, problem).run()


class _Run:
    def __init__(self, opts: MilpStrategy, scenario: Scenario, problem: Problem | None):
        self.o = opts
        self.start = time.perf_counter()
        self.deadline = None if opts.time_limit is None else self.start + float(opts.time_limit)
        self.p = problem or Problem.build(scenario)
        self.stats = {"objective": scenario.objective.name, "solver": opts.solver, "build_seconds": 0.0,
                      "lp_seconds": 0.0, "mip_seconds": 0.0, "iterations": 0, "cuts": 0, "nodes": 0}
        self.stats["build_seconds"] += time.perf_counter() - self.start

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - time.perf_counter(), 0.01)

    def timed_out(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def run(self) -> Plan:
        p = self.p
        infeasibility.check(p)
        t = time.perf_counter()
        g_posts, g_value, broken = greedy_solution(p)
        self.stats["greedy_seconds"] = time.perf_counter() - t
        self.best_posts, self.best = (g_posts, g_value) if not broken else (None, -np.inf)
        self.stats["greedy_value"] = g_value if not broken else None
        # Integral linear objectives (e.g. knapsack benchmarks) are left unscaled so that HiGHS
        # can exploit objective integrality; otherwise scale to keep the objective near 1.
        coef = np.concatenate([p.post_value(k)[p.cap >= k] for k in range(1, p.max_level + 1)] or [np.zeros(0)])
        integral = p.is_linear and bool(np.all(coef == np.round(coef))) and float(np.abs(coef).sum()) < 1e12
        self.scale = 1.0 if integral else max(abs(g_value), 1e-9)
        self.integral = integral
        self.ub = np.inf
        if self._decided():
            return self._plan(self.best_posts, "decided")  # greedy already reaches the target
        self.points = self._initial_points(g_posts)
        threshold, caps, must = self._bound_and_reduce()
        posts, status = self._milp(threshold, caps, must)
        return self._plan(posts, status)

    # --- step 3: LP relaxation, Lagrangian bound, reduction ----------------------------------
    def _initial_points(self, posts) -> list[np.ndarray]:
        if self.p.is_linear:
            return []
        x = self.p.cell_load(posts)
        return [np.concatenate([GRID, xs * AROUND]) for xs in x]

    def _add_points(self, model: HighsModel) -> None:
        cells = np.concatenate([np.full(len(pts), s) for s, pts in enumerate(self.points)]) if self.points else []
        if len(cells):
            model.add_tangents(np.asarray(cells, dtype=np.int64), np.concatenate(self.points))

    def _bound_and_reduce(self):
        p, gap = self.p, self.o.gap
        t = time.perf_counter()
        self.ub, lb, support, core = np.inf, None, None, None
        if self.best_posts is not None:
            # Multipliers from greedy's plan: often certify a large pool with no LP at all.
            pi, mu, lb = greedy_multipliers(p, self.best_posts)
            self.stats["greedy_multiplier_bound"] = lb.bound
            self.ub = lb.bound
            if not self._done(gap) and not p.is_linear and not self._lp_affordable():
                # The Lagrangian dual minimised in NumPy from there: as strong as the LP with the
                # true curve, without a simplex solve on the dense creator x cell block. Only
                # where that LP is skipped: elsewhere the LP's duals give the same bound (5,000 x
                # 60 cells: 4,896,231 against the dual's 4,896,025) and its support, for ~1 s less.
                td = time.perf_counter()
                enough = self.best / (1.0 - gap) if gap > 0 else self.best
                if self.o.target is not None:
                    enough = max(enough, float(self.o.target) * (1.0 - 1e-12))
                info: dict = {}
                dual = dual_multipliers(p, pi, mu, self.scale, enough=enough * (1.0 - 1e-9),
                                        deadline=self.deadline, stats=info)
                self.stats["dual_seconds"] = time.perf_counter() - td
                self.stats["dual_evaluations"] = info["evaluations"]
                self.stats["dual_bound"] = dual.bound
                if dual.bound < lb.bound:
                    lb, self.ub = dual, dual.bound
                # Where the core problem below looks for a better incumbent (the LP is skipped).
                core = dual
        if not self._done(gap) and (lb is None or self._lp_affordable()):
            lp_lb, support = self._lp()
            if lp_lb is not None and (lb is None or lp_lb.bound < lb.bound):
                lb = lp_lb
                self.ub = min(self.ub, lb.bound)
        self.stats["lp_seconds"] = time.perf_counter() - t
        if lb is None or not np.isfinite(lb.bound):
            return -np.inf, p.cap, p.must
        self.stats["lagrangian_bound"] = lb.bound
        if self.best_posts is None or self._done(gap):
            return -np.inf, p.cap, p.must
        if support is not None:
            # A quick MILP over the LP's support improves the incumbent, which makes the
            # reduction below far stronger (it removes what cannot beat the incumbent).
            tr = time.perf_counter()
            rows = np.union1d(np.union1d(support, np.flatnonzero(self.best_posts)), np.flatnonzero(p.must))
            self._solve(p, rows, p.must, threshold=None, restricted=True)
            self.stats["restricted_seconds"] = time.perf_counter() - tr
            self.stats["restricted_creators"] = int(len(rows))
            self.stats["restricted_value"] = self.best
            if self._done(gap):
                return -np.inf, p.cap, p.must
        if core is not None and self.o.solver == "highs":
            tr = time.perf_counter()
            self._core(core)
            self.stats["core_seconds"] = time.perf_counter() - tr
            self.stats["core_value"] = self.best
            if self._done(gap):
                return -np.inf, p.cap, p.must
        # Remove options that cannot beat the incumbent by more than REDUCE_SHARE of the gap:
        # the final bound is max(reduced bound, threshold), and the threshold alone is within
        # the gap. The reduced MIP's bound must come below best / (1 - gap) whatever the
        # threshold, so a threshold near that costs nothing there and removes more creators.
        threshold = self.best / (1.0 - gap * REDUCE_SHARE) if self.best > 0 and gap > 0 else self.best
        if self.o.target is not None:
            # Decision mode: only plans reaching the target matter, so everything provably below
            # it goes; the final bound max(reduced bound, threshold) is then below the target
            # exactly when no plan reaches it (a real "too small" proof).
            threshold = float(self.o.target) * (1.0 - 1e-9)
        caps, forced = reduce_caps(p, lb, threshold)
        # Never cut off the incumbent itself (possible only through rounding).
        caps = np.maximum(caps, self.best_posts)
        forced &= self.best_posts > 0
        self.stats["reduced_creators"] = int((caps > 0).sum())
        self.stats["forced_hires"] = int(forced.sum())
        return threshold, caps, p.must | forced

    def _core(self, lb) -> None:
        """Look for a better incumbent in a core problem: every creator keeps the level the relaxed
        problem gives it at the dual's multipliers, except the ``CORE_BLOCK_LIMIT / cells``
        creators whose choice is closest to a tie (best minus second-best relaxed value), which a
        MILP decides around the others' fixed loads and spend. The creators the relaxation is sure
        about are the ones an optimal plan almost always agrees with (the core idea of Pisinger's
        knapsack algorithms). Proves nothing: the bound stays the dual's."""
        p = self.p
        eligible = np.flatnonzero(p.cap > 0)
        values = lb.values[eligible]
        choice = np.argmax(values, axis=1)
        top = np.sort(values, axis=1)[:, -2:] if values.shape[1] > 1 else np.c_[values, values]
        with np.errstate(invalid="ignore"):
            margin = np.nan_to_num(top[:, 1] - top[:, 0], nan=np.inf)
        size = max(1, CORE_BLOCK_LIMIT // max(len(p.cells), 1))
        core = eligible[np.argsort(margin, kind="stable")[:size]]
        fixed = np.zeros(p.n, dtype=np.int64)
        fixed[eligible] = choice
        fixed[core] = 0
        self.stats["core_creators"] = int(len(core))
        self._solve(p, core, p.must, threshold=None, restricted=True, fixed=fixed)

    def _lp_affordable(self) -> bool:
        """Whether the OA's LP is worth solving after the dual bound: not on many cells, where its
        dense creator x cell block made one primal simplex run take minutes (issue 12: 169 s at
        3,000 candidates x 240 cells, unfinished); the dual's multipliers drive the reduction."""
        p = self.p
        eligible = int((p.cap > 0).sum())
        cand = eligible if eligible <= DIRECT_LP_LIMIT else max(3000, 6 * int((self.best_posts > 0).sum()))
        return min(cand, eligible) * len(p.cells) <= LP_BLOCK_LIMIT

    def _lp(self):
        """LP relaxation of the outer approximation (column generation on large pools).

        Returns the Lagrangian bound at the LP's duals and the creators the LP uses.
        """
        p = self.p
        eligible = np.flatnonzero(p.cap > 0)
        cand = eligible if len(eligible) <= DIRECT_LP_LIMIT else self._initial_candidates(eligible)
        lb, support, rounds = None, None, 0
        while rounds < 30:
            rounds += 1
            tb = time.perf_counter()
            model = HighsModel(p, cand, self.scale, integer=False, threads=self.o.threads)
            self._add_points(model)
            self.stats["build_seconds"] += time.perf_counter() - tb
            _, pi, mu, status, cols = model.solve_lp(self.remaining())
            if status != "Optimal":
                if len(cand) < len(eligible) and status == "Infeasible":
                    cand = eligible  # the candidates alone may not meet the minimum rules
                    continue
                if status == "Infeasible":
                    raise infeasibility.generic(p)
                break
            lay = model.layout
            used = np.asarray(cols[: lay.n_y]) > 1e-6
            owner = np.repeat(np.arange(len(lay.rows)), lay.caps)
            support = np.unique(lay.rows[owner[used]])
            if not p.is_linear:  # tangents at the LP's loads tighten the MILP where it will look
                x_lp = cols[lay.x0: lay.r0]
                self.points = [np.concatenate([pts, [xs * 0.99, xs, xs * 1.01]]) for pts, xs in zip(self.points, x_lp)]
            new = lagrangian(p, pi, mu)
            lb = new if lb is None or new.bound < lb.bound else lb
            if len(cand) == len(eligible) or self.timed_out():
                break
            # Column generation: creators outside the LP whose relaxed contribution is positive
            # would improve the LP; add the best of them and solve again.
            outside = np.setdiff1d(eligible, cand, assume_unique=True)
            tol = 1e-9 * max(abs(new.bound), 1.0)
            better = outside[new.best[outside] > tol]
            if len(better) == 0:
                break
            better = better[np.argsort(-new.best[better], kind="stable")][: max(1000, len(cand) // 4)]
            cand = np.union1d(cand, better)
        self.stats["lp_rounds"] = rounds
        self.stats["lp_creators"] = int(len(cand))
        return lb, support

    def _initial_candidates(self, eligible: np.ndarray) -> np.ndarray:
        """Greedy's creators plus the best first-post ratios at greedy's plan."""
        from .builder import PlanBuilder

        p = self.p
        b = PlanBuilder(p)
        if self.best_posts is not None:
            for i in np.flatnonzero(self.best_posts):
                b.add(int(i), int(self.best_posts[i]))
        ratio = b.first_gains(eligible) / (p.price[eligible] + np.where(b.posts[eligible] == 0, p.fee[eligible], 0))
        hired = int((b.posts > 0).sum())
        top = eligible[np.argsort(-ratio, kind="stable")][: max(3000, 6 * hired)]
        extra = np.flatnonzero(b.posts > 0)
        return np.union1d(np.union1d(top, extra), np.flatnonzero(p.must))

    # --- step 4: the MILP and its refinement -------------------------------------------------
    def _milp(self, threshold: float, caps: np.ndarray, must: np.ndarray):
        p = self.p
        if self._decided():
            return self.best_posts, "decided"
        if self.best_posts is not None and self._certified(self.o.gap):
            return self.best_posts, "optimal"  # the Lagrangian bound already certifies the incumbent
        rows = np.flatnonzero(caps > 0)
        if len(rows) == 0:
            if self.best_posts is None:
                raise infeasibility.generic(p)
            self.ub = min(self.ub, max(threshold, self.best))
            return self.best_posts, "decided" if self._decided() else "optimal"
        status = self._solve(p.with_caps(caps), rows, must, threshold, restricted=False)
        if self.best_posts is None and not self._decided():
            raise infeasibility.generic(p)
        return self.best_posts, status

    def _solve(self, problem: Problem, rows, must, threshold, restricted: bool, fixed: np.ndarray | None = None) -> str:
        """Outer-approximation loop on ``rows`` (the others at their ``fixed`` posts, if given); a
        restricted run only looks for better plans."""
        p = self.p
        t = time.perf_counter()
        if self.o.solver == "cbc":
            from .pulp_model import PulpModel

            model = PulpModel(problem, rows, self.scale, must)
        else:
            model = HighsModel(problem, rows, self.scale, must=must, threads=self.o.threads, fixed=fixed)
        self._add_points(model)
        self.stats["build_seconds"] += time.perf_counter() - t
        target = self.o.gap
        # HiGHS's callback stops as soon as the true gap is certified (``_stop_rule``); its own
        # gap, on the OA, ends a round that cannot certify (OA error at its plan), leaving room
        # for that error within the gap, and tangents are then added at its plan.
        mip_gap = 0.0 if target <= 0 else target / 4
        status = "feasible"
        tm = time.perf_counter()
        # A restricted run gets a quarter of the time left, or without a time limit its own seconds.
        alone = CORE_SECONDS if fixed is not None else RESTRICTED_SECONDS
        limit = None if not restricted else max(1.0, 0.25 * self.remaining()) if self.deadline else alone
        stop_at = None if limit is None else time.perf_counter() + limit
        stop = self._stop_rule(threshold, restricted)
        for it in range(1, 60):
            if not restricted:
                self.stats["iterations"] = it
            remaining = self.remaining()
            if stop_at is not None:
                left = max(stop_at - time.perf_counter(), 0.01)
                remaining = left if remaining is None else min(left, remaining)
            # The incumbent is no start for a core problem: it differs from the fixed levels.
            warm = self.best_posts if fixed is None else None
            res = model.solve_mip(mip_gap, remaining, warm=warm, on_plan=self._offer, stop=stop)
            self.stats["nodes"] += res["nodes"]
            if res["infeasible"]:
                break
            posts = res["posts"]
            if posts is not None:
                self._offer(posts)
            if restricted:
                # The restricted bound is not a bound for the pool; stop once this sub-pool is
                # solved to half the gap, else refine the OA at the solver's plan and go on.
                if posts is None or res["time_limit"] or (stop_at and time.perf_counter() >= stop_at):
                    break
                if stop(res["bound"]) or not self._refine(model, p.cell_load(posts)):
                    break
                continue
            if res["bound"] is not None and np.isfinite(res["bound"]):
                self.ub = min(self.ub, max(res["bound"], threshold))
            if self.best_posts is not None and self._certified(target):
                status = "optimal"
                break
            if self._decided():
                status = "decided"
                break
            if res["time_limit"] or self.timed_out():
                status = "time_limit"
                break
            if posts is None:
                break
            if p.is_linear or not self._refine(model, p.cell_load(posts)):
                mip_gap /= 4  # the cuts are exact at this plan: only the MIP gap is left to close
                if mip_gap < 1e-7:
                    mip_gap = 0.0
        self.stats["mip_seconds"] += time.perf_counter() - tm
        self.stats["cuts"] = max(self.stats["cuts"], model.n_cuts)
        return status

    def _offer(self, posts: np.ndarray) -> None:
        """Score a solver plan with the true objective; keep it if it obeys every rule and is better."""
        if not violations(self.p.model, posts):
            value = self.p.value(posts)
            if value > self.best:
                self.best_posts, self.best = posts, value

    def _stop_rule(self, threshold, restricted: bool):
        """When the MIP may stop, given its current OA bound (checked by HiGHS's callback).

        The full MIP stops as soon as ``max(bound, threshold)`` certifies the *true* incumbent
        within the gap: the OA's own gap (``mip_rel_gap``) is measured against its over-estimated
        incumbent and would keep HiGHS working long after the certificate holds. A restricted MIP
        only looks for plans, so it stops once its sub-pool is solved to half the gap.
        """
        target = self.o.gap

        def stop(bound: float) -> bool:
            if self._decided(None if restricted else min(self.ub, max(bound, threshold))):
                return True
            if self.best_posts is None or not np.isfinite(bound):
                return False
            if restricted:  # done when its sub-pool is solved, or the pool's bound certifies the plan
                return bound - self.best <= target / 2 * abs(bound) or self._certified(target)
            ub = min(self.ub, max(bound, threshold))
            if target > 0:
                # Strictly inside the gap (no rounding slack): the search stops right at the
                # boundary, and the plan's gap is recomputed from its evaluation in the report.
                return ub - self.best <= target * abs(ub) * (1 - 1e-6)
            return self._certified(target, ub)

        return stop

    def _decided(self, ub: float | None = None) -> bool:
        """Decision mode: a plan reaches the target, or the bound proves that none can."""
        goal = self.o.target
        if goal is None:
            return False
        ub = self.ub if ub is None else ub
        return bool(self.best >= goal or ub < goal)

    def _done(self, gap: float) -> bool:
        return self._decided() or (self.best_posts is not None and self._certified(gap))

    def _certified(self, target: float, ub: float | None = None) -> bool:
        ub = self.ub if ub is None else ub
        if not np.isfinite(ub):
            return False
        slack = 1e-9 * max(abs(ub), 1.0)
        if self.integral:
            slack = max(slack, 1e-6)  # integral objective: any bound below best + 1 proves optimality
            return ub - self.best < 1.0 - 1e-6 if target <= 0 else ub - self.best <= target * ub + slack
        return ub - self.best <= target * abs(ub) + slack

    def _refine(self, model, x: np.ndarray) -> bool:
        """Add tangents where the outer approximation over-estimates this plan's reach."""
        new = []
        for s, xs in enumerate(x):
            near = np.min(np.abs(self.points[s] - xs)) if len(self.points[s]) else np.inf
            if near > 1e-7 * max(xs, 1e-6):
                new.append((s, xs))
        if not new:
            return False
        cells = np.array([s for s, _ in new], dtype=np.int64)
        pts = np.array([xs for _, xs in new])
        for s, xs in new:
            self.points[s] = np.append(self.points[s], xs)
        model.add_tangents(cells, pts)
        return True

    def _plan(self, posts: np.ndarray | None, status: str) -> Plan:
        p = self.p
        if status == "decided":  # decision mode stopped early: say only what is certified
            status = "optimal" if posts is not None and self._certified(self.o.gap) else "feasible"
        if posts is None:  # decision mode proved that no plan reaches the target, and has none
            posts, status = np.zeros(p.n, dtype=np.int64), "infeasible"
        ev = p.model.evaluate(posts)
        value = p.scenario.objective.value(ev.metrics())
        ub = self.ub if np.isfinite(self.ub) else None
        if ub is not None and self.integral and status == "optimal" and ub - self.best < 1.0:
            ub = float(np.floor(ub + 1e-6))  # integral objective: the bound rounds down
        if ub is not None:
            ub = max(ub, value)  # rounding of the bound must never put it below a feasible plan
        self.stats["true_value"] = self.best
        return Plan(posts=posts, strategy=self.o.name, status=status, objective_value=value,
                    upper_bound=ub, seconds=time.perf_counter() - self.start, stats=dict(self.stats))
