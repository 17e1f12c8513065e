"""The optimisation problem as flat NumPy arrays, shared by every strategy.

``Problem.build(scenario)`` turns a scenario (through ``scenarios.ReachModel`` and
``scenarios.rules``) into what a solver needs:

* ``cap[i]``: most posts creator ``i`` may get once every *per-creator* rule is applied
  (exclude, min rates, ``max_count = 0``, ``max_posts``, and money: one creator may not cost more
  than the budget or ``max_creator_share`` of it). 0 = cannot be hired.
* the objective split into a concave part (target reach, by cell) and a linear part per post;
* the *coupling rules* (budget, per-tier budget shares and counts) as rows ``sum_i a_ir(n_i) <= rhs_r``
  where each creator's contribution is either its cost or its "hired" indicator.

Cells are kept in "x units": ``x_s = I_s / N_s``, so that reach is ``N_s (1 - exp(-x_s))`` and the
coefficients stay near 1 whatever the audience size (solvers like well-scaled numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import ReachModel, Scenario, post_caps
from scenarios.rules import MONEY_TOL


@dataclass(frozen=True)
class CouplingRow:
    """``sign * sum_{i in tier} (cost_i or hired_i) <= rhs`` (tier ``None`` = every creator)."""

    kind: str  # "cost" or "hire"
    tier: int | None
    sign: float
    rhs: float
    #: The rule's name as the user wrote it, e.g. "budget" or "min_count micro".
    label: str


@dataclass(frozen=True, eq=False)
class Problem:
    scenario: Scenario
    model: ReachModel
    budget: float
    cap: np.ndarray
    must: np.ndarray
    price: np.ndarray
    fee: np.ndarray
    tier: np.ndarray
    rho: float
    #: Weights of the objective's three metrics.
    w_reach: float
    w_impr: float
    w_eng: float
    #: Cells with a positive population (others add nothing to reach) and their N_s.
    cells: np.ndarray
    population: np.ndarray
    #: e_i(s) / N_s on those cells, shape (n, C).
    load: np.ndarray
    #: Target impressions of one post, sum over all cells: the linear "impressions" metric.
    impressions: np.ndarray
    #: Expected engagements of one post (no decay: contract section 4).
    engagements: np.ndarray
    rows: tuple[CouplingRow, ...]

    @classmethod
    def build(cls, scenario: Scenario, model: ReachModel | None = None) -> "Problem":
        model = model or ReachModel.build(scenario)
        pool, c, budget = scenario.pool, scenario.constraints, scenario.budget
        price, fee = pool.price.astype(float), pool.fee.astype(float)
        cap = post_caps(model).copy()
        # Money rules that bind one creator alone become a cap on that creator's posts: it is
        # the tightest exact way to state them, and it shrinks the solver model.
        per_creator = budget if c.max_creator_share is None else min(budget, c.max_creator_share * budget)
        allowed = per_creator * (1 + MONEY_TOL)
        with np.errstate(divide="ignore", invalid="ignore"):
            money_cap = np.floor((allowed - fee) / price + 1e-12)
        money_cap = np.where(price > 0, money_cap, cap)
        cap = np.minimum(cap, np.maximum(money_cap, 0)).astype(np.int64)
        must = np.zeros(pool.size, dtype=bool)
        if c.must_include:
            index = pool.index_of()
            must[[index[h] for h in c.must_include]] = True
        weights = scenario.objective.weights
        population = np.asarray(model.population, dtype=float)
        cells = np.flatnonzero(population > 0)
        w_reach = float(weights.get("target_reach", 0.0))
        if w_reach:
            load = model.per_post[:, cells] / population[cells]
        else:
            load = np.zeros((pool.size, 0))
            cells = cells[:0]
        rows = _coupling_rows(scenario)
        return cls(
            scenario=scenario, model=model, budget=float(budget), cap=cap, must=must,
            price=price, fee=fee, tier=np.asarray(model.tier), rho=float(scenario.model.repeat_decay),
            w_reach=w_reach, w_impr=float(weights.get("target_impressions", 0.0)),
            w_eng=float(weights.get("engagements", 0.0)),
            cells=cells, population=population[cells], load=np.ascontiguousarray(load),
            impressions=np.asarray(model.per_post.sum(axis=1), dtype=float),
            engagements=pool.avg_views * pool.engagement_rate, rows=rows,
        )

    # --- sizes -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.cap)

    @property
    def max_level(self) -> int:
        return int(self.cap.max(initial=0))

    @property
    def is_linear(self) -> bool:
        return self.w_reach == 0.0

    # --- the objective -----------------------------------------------------------------------
    def weight(self, posts) -> np.ndarray:
        """Exposure weight w(n) of contract section 4."""
        posts = np.asarray(posts, dtype=float)
        if self.rho >= 1.0:
            return posts
        return (1.0 - self.rho**posts) / (1.0 - self.rho)

    def post_value(self, k) -> np.ndarray:
        """Linear value of each creator's k-th post (k >= 1), shape (n,) or broadcast."""
        decay = self.rho ** (np.asarray(k, dtype=float) - 1.0)
        return self.w_impr * decay * self.impressions + self.w_eng * self.engagements

    def linear_value(self, posts) -> np.ndarray:
        posts = np.asarray(posts)
        return self.w_impr * self.weight(posts) * self.impressions + self.w_eng * posts * self.engagements

    def cell_load(self, posts) -> np.ndarray:
        w = self.weight(posts)
        hired = np.flatnonzero(w)
        return w[hired] @ self.load[hired]

    def reach_of(self, x) -> float:
        return float(self.population @ -np.expm1(-np.asarray(x)))

    def value(self, posts) -> float:
        """The true objective (contract section 4) of a plan."""
        total = float(self.linear_value(posts).sum())
        if self.w_reach:
            total += self.w_reach * self.reach_of(self.cell_load(posts))
        return total

    def cost(self, posts) -> np.ndarray:
        posts = np.asarray(posts)
        return posts * self.price + np.where(posts > 0, self.fee, 0.0)

    def with_caps(self, cap: np.ndarray) -> "Problem":
        import dataclasses

        return dataclasses.replace(self, cap=np.asarray(cap, dtype=np.int64))


def _coupling_rows(scenario: Scenario) -> tuple[CouplingRow, ...]:
    c, budget, names = scenario.constraints, float(scenario.budget), scenario.tiers.names
    rows = [CouplingRow("cost", None, 1.0, budget, "budget")]
    for tier, share in c.max_budget_share.items():
        if share < 1.0:
            rows.append(CouplingRow("cost", names.index(tier), 1.0, share * budget, f"max_budget_share {tier}"))
    for tier, share in c.min_budget_share.items():
        if share > 0.0:
            rows.append(CouplingRow("cost", names.index(tier), -1.0, -share * budget, f"min_budget_share {tier}"))
    for tier, count in c.max_count.items():
        if count > 0:  # max_count = 0 is an eligibility rule (scenarios.rules.eligible)
            rows.append(CouplingRow("hire", names.index(tier), 1.0, float(count), f"max_count {tier}"))
    for tier, count in c.min_count.items():
        if count > 0:
            rows.append(CouplingRow("hire", names.index(tier), -1.0, -float(count), f"min_count {tier}"))
    return tuple(rows)


def row_members(problem: Problem, row: CouplingRow) -> np.ndarray:
    """Boolean mask of the creators a coupling row counts."""
    if row.tier is None:
        return np.ones(problem.n, dtype=bool)
    return problem.tier == row.tier
