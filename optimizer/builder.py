"""Incremental, rule-aware plan construction shared by the greedy and the baseline strategies.

A ``PlanBuilder`` holds a partial plan and answers two questions fast: may creator ``i`` get
``k`` more posts without breaking an *upper* rule (budget, caps, tier max counts and max budget
shares), and how much would that add to the true objective. *Lower* rules (must_include,
min_count, min_budget_share) cannot be checked one step at a time; heuristics satisfy them in
dedicated phases first (``fill_minimums``) and report any they miss.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from scenarios import violations
from scenarios.rules import MONEY_TOL

from .problem import Problem

#: Entries moved from the lazy greedy's sorted reserve into its heap at a time.
RESERVE_CHUNK = 512
#: Stale heap entries re-evaluated together by the lazy greedy.
REFRESH_BATCH = 4


class PlanBuilder:
    def __init__(self, problem: Problem):
        p = self.p = problem
        sc = p.scenario
        self.posts = np.zeros(p.n, dtype=np.int64)
        self.spent = 0.0
        n_tiers = len(sc.tiers.names)
        self.tier_spend = np.zeros(n_tiers)
        self.tier_count = np.zeros(n_tiers, dtype=np.int64)
        slack = 1 + MONEY_TOL
        self.budget_cap = p.budget * slack
        self.spend_cap = np.full(n_tiers, np.inf)
        self.count_cap = np.full(n_tiers, np.iinfo(np.int64).max)
        for tier, share in sc.constraints.max_budget_share.items():
            self.spend_cap[sc.tiers.index(tier)] = share * p.budget * slack
        for tier, count in sc.constraints.max_count.items():
            self.count_cap[sc.tiers.index(tier)] = count
        # N_s * exp(-x_s): the marginal reach of one more unit of load in cell s.
        self.slope = p.population.copy()
        # w(n) for every level, looked up instead of recomputed at each step (the hot loop).
        self.wtab = np.asarray(p.weight(np.arange(p.max_level + 2)), dtype=float)

    # --- queries -----------------------------------------------------------------------------
    def step_cost(self, i: int, k: int = 1) -> float:
        return float(self.p.price[i] * k + (self.p.fee[i] if self.posts[i] == 0 else 0.0))

    def can_add(self, i: int, k: int = 1) -> bool:
        if k <= 0 or self.posts[i] + k > self.p.cap[i]:
            return False
        dc = self.step_cost(i, k)
        t = self.p.tier[i]
        if self.spent + dc > self.budget_cap:
            return False
        if t >= 0:
            if self.tier_spend[t] + dc > self.spend_cap[t]:
                return False
            if self.posts[i] == 0 and self.tier_count[t] + 1 > self.count_cap[t]:
                return False
        return True

    def gain(self, i: int, k: int = 1) -> float:
        """Increase of the true objective if creator ``i`` gets ``k`` more posts."""
        p, n = self.p, self.posts[i]
        dw = float(self.wtab[n + k] - self.wtab[n])
        lin = p.w_impr * dw * p.impressions[i] + p.w_eng * k * p.engagements[i]
        if p.w_reach:
            lin += p.w_reach * float(self.slope @ -np.expm1(-dw * p.load[i]))
        return lin

    def first_gains(self, rows: np.ndarray) -> np.ndarray:
        """``gain(i, 1)`` for many creators at once (vectorised for the initial heap)."""
        p = self.p
        dw = p.weight(self.posts[rows] + 1) - p.weight(self.posts[rows])
        out = p.w_impr * dw * p.impressions[rows] + p.w_eng * p.engagements[rows]
        if p.w_reach:
            for lo in range(0, len(rows), 4096):  # chunks keep the temporary (rows x C) small
                sl = slice(lo, lo + 4096)
                out[sl] += p.w_reach * (-np.expm1(-dw[sl, None] * p.load[rows[sl]])) @ self.slope
        return out

    def gains(self, rows: np.ndarray) -> np.ndarray:
        """``gain(i, 1)`` for a few creators at once, in the current state."""
        p, n = self.p, self.posts[rows]
        dw = self.wtab[n + 1] - self.wtab[n]
        out = p.w_impr * dw * p.impressions[rows] + p.w_eng * p.engagements[rows]
        if p.w_reach:
            out = out + p.w_reach * ((-np.expm1(-dw[:, None] * p.load[rows])) @ self.slope)
        return out

    def fits(self, rows: np.ndarray) -> np.ndarray:
        """``can_add(i, 1)`` for many creators at once (same tests, same arithmetic)."""
        p, posts = self.p, self.posts[rows]
        dc = p.price[rows] + np.where(posts == 0, p.fee[rows], 0.0)
        ok = (posts + 1 <= p.cap[rows]) & (self.spent + dc <= self.budget_cap)
        t = p.tier[rows]
        has = t >= 0
        tt = np.where(has, t, 0)
        if len(self.tier_spend):
            ok &= ~has | (self.tier_spend[tt] + dc <= self.spend_cap[tt])
            ok &= ~has | (posts > 0) | (self.tier_count[tt] + 1 <= self.count_cap[tt])
        return ok

    # --- updates -----------------------------------------------------------------------------
    def add(self, i: int, k: int = 1) -> None:
        p = self.p
        dc = self.step_cost(i, k)
        n = self.posts[i]
        t = p.tier[i]
        if t >= 0:
            self.tier_spend[t] += dc
            if n == 0:
                self.tier_count[t] += 1
        self.spent += dc
        if p.w_reach:
            dw = float(self.wtab[n + k] - self.wtab[n])
            self.slope *= np.exp(-dw * p.load[i])
        self.posts[i] = n + k

    # --- phases ------------------------------------------------------------------------------
    def lazy_greedy(self, candidates: np.ndarray, stop: Callable[[], bool] = lambda: False,
                    new_only: bool = False) -> int:
        """Add single posts by best marginal gain per cost until nothing fits or ``stop()``.

        Lazy evaluation (Minoux): a heap of possibly stale ratios; stale tops are re-evaluated
        (in small batches) and an exact top is taken: it beats every other entry's bound. Valid because target reach is
        submodular: another creator's posts can only lower this creator's marginal gain.
        """
        heap: list[tuple[float, int, int]] = []
        rows = np.asarray(candidates, dtype=np.int64)
        rows = rows[self.posts[rows] < self.p.cap[rows]]
        if new_only:
            rows = rows[self.posts[rows] == 0]
        if len(rows) == 0:
            return 0
        costs = self.p.price[rows] + np.where(self.posts[rows] == 0, self.p.fee[rows], 0.0)
        ratios = self.first_gains(rows) / costs
        # Only the best entries go into the heap; the rest wait in a reserve sorted by their
        # (stale, hence optimistic) ratio and join in chunks when the reserve's best could beat
        # the heap's. Chunks are filtered against the upper rules in one vectorised test: an entry
        # that does not fit now never will (spend and counts only grow), so it is dropped. Same
        # plan as one heap over every candidate; on 100,000 creators most of a run's heap
        # operations were pops of creators that no longer fit.
        order = np.lexsort((rows, -ratios))
        reserve_r, reserve_i = ratios[order], rows[order]
        nxt = 0
        added = 0
        # Heap entries are (-ratio, creator, its posts then, version): ``version == added`` means
        # the ratio was computed in the current state (exact); older ones are upper bounds.
        while not stop():
            if nxt < len(reserve_i) and (not heap or reserve_r[nxt] >= -heap[0][0]):
                chunk = reserve_i[nxt: nxt + RESERVE_CHUNK]
                chunk_r = reserve_r[nxt: nxt + RESERVE_CHUNK]
                nxt += len(chunk)
                ok = self.fits(chunk)
                # The reserve's ratios were computed before the first add (version 0).
                for r, i in zip(chunk_r[ok].tolist(), chunk[ok].tolist()):
                    heapq.heappush(heap, (-r, i, int(self.posts[i]), 0))
                continue
            if not heap:
                break
            neg, i, level, ver = heapq.heappop(heap)
            if self.posts[i] != level or not self.can_add(i):
                continue  # stale entry of a creator that moved on, or no longer fits
            if ver != added:
                # Stale: refresh it with the next stale entries in one vectorised evaluation
                # (most refreshed ratios drop below the next one: one at a time, each pop
                # re-evaluated a single creator and 3 of 4 evaluations were thrown back).
                batch = [i]
                while heap and len(batch) < REFRESH_BATCH and heap[0][3] != added:
                    _, j, lv, _ = heapq.heappop(heap)
                    if self.posts[j] == lv and self.can_add(j):
                        batch.append(j)
                rows_b = np.array(batch, dtype=np.int64)
                fresh = self.gains(rows_b) / (self.p.price[rows_b]
                                              + np.where(self.posts[rows_b] == 0, self.p.fee[rows_b], 0.0))
                for r, j in zip(fresh.tolist(), batch):
                    heapq.heappush(heap, (-r, j, int(self.posts[j]), added))
                continue
            # Exact, and at least every other entry's bound (the heap's order) and the reserve's
            # (checked at the top of the loop): the best step.
            ratio = -neg
            if ratio <= 0:
                break
            self.add(i)
            added += 1
            if not new_only and self.posts[i] < self.p.cap[i]:
                heapq.heappush(heap, (-self.gain(i) / self.step_cost(i), i, int(self.posts[i]), added))
        return added

    def fill_minimums(self, order: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        """must_include, then min_count and min_budget_share per tier.

        ``order`` ranks candidate rows (best first) for the static baselines; ``None`` uses
        the lazy greedy by marginal gain per cost.
        """
        p, sc = self.p, self.p.scenario
        for i in np.flatnonzero(p.must & (self.posts == 0)):
            if self.can_add(int(i)):
                self.add(int(i))
        for tier, need in sc.constraints.min_count.items():
            t = sc.tiers.index(tier)
            members = np.flatnonzero((p.tier == t) & (p.cap > 0))
            stop = lambda t=t, need=need: self.tier_count[t] >= need  # noqa: E731
            if order is None:
                self.lazy_greedy(members, stop, new_only=True)
            else:
                for i in order(members):
                    if stop():
                        break
                    if self.posts[i] == 0 and self.can_add(int(i)):
                        self.add(int(i))
        for tier, share in sc.constraints.min_budget_share.items():
            t = sc.tiers.index(tier)
            members = np.flatnonzero((p.tier == t) & (p.cap > 0))
            stop = lambda t=t, share=share: self.tier_spend[t] >= share * p.budget * (1 - MONEY_TOL)  # noqa: E731
            if order is None:
                self.lazy_greedy(members, stop)
            else:
                for i in order(members):
                    while not stop() and self.can_add(int(i)):
                        self.add(int(i))

    def broken_rules(self) -> list[str]:
        return violations(self.p.model, self.posts)


def rule_names(lines: list[str]) -> list[str]:
    """Names of the rules behind ``scenarios.violations`` lines (for stats["ignored_rules"])."""
    keys = ("must_include", "min_count", "max_count", "min_budget_share", "max_budget_share",
            "max_creator_share", "min_engagement_rate", "min_target_match", "exclude")
    out = []
    for line in lines:
        name = next((k for k in keys if k in line), "budget" if "budget is" in line else "max_posts")
        if name not in out:
            out.append(name)
    return out
