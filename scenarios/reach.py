"""The reach model of contract section 4, vectorised with NumPy.

``ReachModel.build(scenario)`` precomputes everything that does not depend on the plan:
the target cells, each creator's audience share per cell ``a_i(s)``, interest fit ``f_i``,
target match ``m_i``, per-post impressions ``e_i(s) = V_i f_i a_i(s)`` and cell populations
``N_s``. Evaluating a plan is then one matrix-vector product and a sum of exponentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .audience import DIMENSIONS
from .scenario import Scenario


def exposure_weight(posts: np.ndarray, rho: float) -> np.ndarray:
    """``w(n) = (1 - rho**n) / (1 - rho)``: the k-th post of a creator counts ``rho**(k-1)``."""
    posts = np.asarray(posts, dtype=float)
    if rho >= 1.0:
        return posts
    return (1.0 - rho**posts) / (1.0 - rho)


def reach_of_impressions(impressions: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Unique people reached per cell, random duplication: ``N (1 - exp(-I / N))``.

    A cell of population 0 (nobody in the pool's audience there) contributes 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        reached = population * -np.expm1(-impressions / population)
    return np.where(population > 0, reached, 0.0)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A plan scored by the reach model. Money in the scenario's currency."""

    target_reach: float
    target_impressions: float
    cost: float
    engagements: float
    views: float
    creators: int
    posts: int
    creators_by_tier: Mapping[str, int]
    spend_by_tier: Mapping[str, float]
    #: Target impressions of each creator's posts, ``w(n_i) * sum_s e_i(s)`` (0 when not hired).
    creator_target_impressions: np.ndarray = field(repr=False)
    #: Cost of each creator (posts x price + fee when hired).
    creator_cost: np.ndarray = field(repr=False)

    def metrics(self) -> dict[str, float]:
        """The values an ``Objective`` can weigh."""
        return {
            "target_reach": self.target_reach,
            "target_impressions": self.target_impressions,
            "engagements": self.engagements,
        }


@dataclass(frozen=True, eq=False)
class ReachModel:
    scenario: Scenario
    #: One label per target cell, e.g. ("18-24", "female", "Istanbul"); open dimensions omitted.
    cell_labels: tuple[tuple[str, ...], ...]
    #: a_i(s), shape (n, C).
    shares: np.ndarray
    #: f_i, shape (n,).
    fit: np.ndarray
    #: m_i = f_i * sum_s a_i(s), shape (n,).
    match: np.ndarray
    #: e_i(s) = V_i f_i a_i(s): expected target impressions of one post, shape (n, C).
    per_post: np.ndarray
    #: N_s, shape (C,).
    population: np.ndarray
    #: Tier index of each creator, shape (n,).
    tier: np.ndarray
    #: The split used for each restricted dimension (value -> share), for reports.
    splits: Mapping[str, Mapping[str, float]]

    def __repr__(self) -> str:
        # Short: the generated repr printed the pool and every (n, C) array.
        return f"ReachModel({self.scenario.name!r}, {self.scenario.pool.size:,} creators, {self.n_cells} target cells)"

    @classmethod
    def build(cls, scenario: Scenario) -> "ReachModel":
        pool, target = scenario.pool, scenario.audience
        n = pool.size
        shares = np.ones((n, 1))
        labels: list[tuple[str, ...]] = [()]
        population = np.ones(1)
        splits = {}
        views = pool.avg_views
        for dim in DIMENSIONS:
            wanted = target.values(dim)
            if wanted is None:
                continue
            names, matrix = pool.dimension_shares(dim)  # the loader guarantees columns exist
            cols = [names.index(v) for v in wanted]
            part = matrix[:, cols]
            split = _split(target.population.get(dim), wanted, part, views)
            splits[dim] = MappingProxyType(dict(zip(wanted, split.tolist())))
            # Cells are the product of the dimensions, in DIMENSIONS order (row-major).
            shares = (shares[:, :, None] * part[:, None, :]).reshape(n, -1)
            population = (population[:, None] * split[None, :]).reshape(-1)
            labels = [old + (v,) for old in labels for v in wanted]
        fit = np.ones(n)
        if target.interests:
            hits = np.fromiter((bool(tags & target.interests) for tags in pool.tags), dtype=bool, count=n)
            fit = np.where(hits, 1.0, scenario.model.interest_floor)
        match = fit * shares.sum(axis=1)
        per_post = (views * fit)[:, None] * shares
        for a in (shares, fit, match, per_post):
            a.setflags(write=False)
        return cls(
            scenario=scenario,
            cell_labels=tuple(labels),
            shares=shares,
            fit=fit,
            match=match,
            per_post=per_post,
            population=target.size * population,
            tier=scenario.tiers.classify(pool.followers),
            splits=MappingProxyType(splits),
        )

    @property
    def n_cells(self) -> int:
        return len(self.cell_labels)

    def weight(self, posts: np.ndarray) -> np.ndarray:
        return exposure_weight(posts, self.scenario.model.repeat_decay)

    def impressions(self, posts: np.ndarray) -> np.ndarray:
        """Target impressions per cell ``I_s = sum_i w(n_i) e_i(s)``."""
        w = self.weight(posts)
        hired = np.flatnonzero(w)
        # Plans hire few creators out of many: multiply only their rows.
        return w[hired] @ self.per_post[hired]

    def reach(self, impressions: np.ndarray) -> float:
        return float(reach_of_impressions(impressions, self.population).sum())

    def cost(self, posts: np.ndarray) -> np.ndarray:
        pool = self.scenario.pool
        posts = np.asarray(posts)
        return posts * pool.price + np.where(posts > 0, pool.fee, 0.0)

    def evaluate(self, posts: np.ndarray) -> Evaluation:
        """Score a plan: ``posts[i]`` posts of creator ``i`` (pool order)."""
        pool, tiers = self.scenario.pool, self.scenario.tiers
        posts = np.asarray(posts, dtype=np.int64)
        if posts.shape != (pool.size,):
            raise ValueError(f"posts has shape {posts.shape}, expected ({pool.size},)")
        impressions = self.impressions(posts)
        creator_cost = self.cost(posts)
        hired = posts > 0
        counts = np.bincount(self.tier[hired], minlength=len(tiers.names))
        spend = np.bincount(self.tier, weights=creator_cost, minlength=len(tiers.names))
        creator_imp = self.weight(posts) * self.per_post.sum(axis=1)
        return Evaluation(
            target_reach=self.reach(impressions),
            target_impressions=float(impressions.sum()),
            cost=float(creator_cost.sum()),
            engagements=float((posts * pool.avg_views * pool.engagement_rate).sum()),
            views=float((posts * pool.avg_views).sum()),
            creators=int(hired.sum()),
            posts=int(posts.sum()),
            creators_by_tier=MappingProxyType(dict(zip(tiers.names, counts.tolist()))),
            spend_by_tier=MappingProxyType(dict(zip(tiers.names, spend.tolist()))),
            creator_target_impressions=creator_imp,
            creator_cost=creator_cost,
        )


def _split(given: Mapping[str, float] | None, wanted, part: np.ndarray, views: np.ndarray) -> np.ndarray:
    """A dimension's population split over the target's values (sums to 1)."""
    if given is not None:
        split = np.array([given[v] for v in wanted], dtype=float)
    else:
        # Views-weighted mean of the creators' shares, restricted to the target's values.
        weights = views if views.sum() > 0 else np.ones_like(views)
        split = weights @ part / weights.sum()
    total = split.sum()
    if total <= 0:
        return np.full(len(wanted), 1.0 / len(wanted))
    return split / total
