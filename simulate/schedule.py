"""Turning a scenario and a plan (posts per creator) into the per-post arrays the engine uses.

Everything that does not depend on the random draws is computed once here: each post's creator,
day, repeat weight ``rho**(k-1)``, dispersion, rates and its expected target impressions per cell.
``Prepared`` holds only NumPy arrays and numbers so that it pickles cheaply to worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import PlanError, ReachModel, Scenario, SimulationSettings
from scenarios.calendar import earliest_schedule
from scenarios.view_model import post_sigma

from .curve import AccumulationCurve


@dataclass(frozen=True, eq=False)
class Prepared:
    days: int
    # One entry per scheduled post inside the horizon, ordered by (creator, k).
    creator: np.ndarray        # pool row
    day: np.ndarray            # day it goes live
    slot: np.ndarray           # index into slot_days (posts of one day share a slot)
    views: np.ndarray          # V_i: the creator's average views
    sigma: np.ndarray          # dispersion of log-views (tier, or the creator's own; view_model.post_sigma)
    price: np.ndarray
    followers: np.ndarray
    likes_rate: np.ndarray
    comments_rate: np.ndarray
    shares_rate: np.ndarray
    cascade_q: np.ndarray      # amplification ratio, bounded by cascade_cap
    impressions: np.ndarray    # (P, C'): rho**(k-1) * e_i(s) over cells with people in them
    population: np.ndarray     # (C',) N_s > 0
    slot_days: np.ndarray      # (U,) distinct post days, ascending
    curve: np.ndarray          # (days,) A(k + 1): share of views by the end of the k-th day live
    hired: np.ndarray          # pool rows of hired creators
    hired_fees: np.ndarray     # their one-off fees, booked on hire (day 0)
    failure: float
    views_per_share: float
    follow_rate: float
    churn_rate: float
    #: Posts bought but scheduled after the horizon (not simulated; reported as a note).
    beyond_horizon: int

    @property
    def n_posts(self) -> int:
        return int(self.day.size)

    @property
    def n_cells(self) -> int:
        return int(self.population.size)


def tier_dispersion(settings: SimulationSettings, tier_names) -> np.ndarray:
    """Sigma per tier index (a last entry for creators outside every tier)."""
    base = float(settings.view_dispersion)
    out = [getattr(settings, f"view_dispersion_{name}", None) for name in tier_names]
    return np.array([base if v is None else float(v) for v in out] + [base])


def check_posts(scenario: Scenario, posts) -> np.ndarray:
    pool = scenario.pool
    arr = np.asarray(posts)
    if arr.shape != (pool.size,):
        raise PlanError(f"the plan has {arr.size} entries but the pool {pool.source} has {pool.size} creators; "
                        "give one post count per pool row")
    if arr.size and (not np.all(np.isfinite(arr.astype(float))) or np.any(arr < 0) or np.any(arr != np.round(arr))):
        raise PlanError("the plan's post counts must be whole numbers >= 0")
    return arr.astype(np.int64)


def prepare(scenario: Scenario, posts, days: int, post_days=None) -> Prepared:
    """The per-post arrays of ``posts`` over ``days`` days.

    ``post_days``: the day of every bought post, aligned with ``np.repeat(hired, posts[hired])``
    (``Plan.days``); ``None`` = ``start_day + k x post_spacing_days``, or the earliest schedule
    that obeys the scenario's ``[schedule]`` rules when it has any (``scenarios.calendar``).
    Posts on or after day ``days`` are dropped and counted in ``beyond_horizon``.
    """
    posts = check_posts(scenario, posts)
    settings, pool = scenario.simulation, scenario.pool
    model = ReachModel.build(scenario)
    rho = scenario.model.repeat_decay
    hired = np.flatnonzero(posts)
    creator = np.repeat(hired, posts[hired])
    # k = 0, 1, ... within each creator: position minus the creator's first position.
    starts = np.repeat(np.cumsum(posts[hired]) - posts[hired], posts[hired])
    k = np.arange(creator.size) - starts
    if post_days is None:
        # The scenario's default schedule (today's start_day + k x spacing unless [schedule] rules or
        # availability windows say otherwise).
        day = earliest_schedule(scenario, posts)
    else:
        day = np.asarray(post_days)
        if day.shape != creator.shape:
            raise PlanError(f"the plan's schedule has {day.size} days but it buys {creator.size} posts; "
                            "give one day per bought post")
        day = day.astype(np.int64)
    inside = day < days
    creator, k, day = creator[inside], k[inside], day[inside]
    slot_days, slot = np.unique(day, return_inverse=True)
    sigma_by_tier = tier_dispersion(settings, scenario.tiers.names)
    sigma = sigma_by_tier[model.tier[creator]]  # tier -1 picks the last entry (the base sigma)
    # Per-creator predictive spread: own views_sigma * sqrt(1 + 1/videos), or the follower curve's
    # residual spread for a creator known only by followers (scenarios/view_model.py).
    sigma = post_sigma(pool, creator, sigma, float(settings.view_dispersion_followers))
    views = pool.avg_views[creator].astype(float)
    shares_rate = pool.shares_rate[creator].astype(float)
    vps = float(settings.views_per_share)
    q = np.minimum(vps * shares_rate, float(settings.cascade_cap))
    cells = model.population > 0
    impressions = (rho ** k.astype(float))[:, None] * model.per_post[creator][:, cells]
    return Prepared(
        days=int(days),
        creator=creator, day=day, slot=slot.reshape(-1), views=views, sigma=sigma,
        price=pool.price[creator].astype(float), followers=pool.followers[creator].astype(float),
        likes_rate=pool.likes_rate[creator].astype(float), comments_rate=pool.comments_rate[creator].astype(float),
        shares_rate=shares_rate, cascade_q=q,
        impressions=np.ascontiguousarray(impressions), population=model.population[cells].astype(float),
        slot_days=slot_days, curve=AccumulationCurve.from_settings(settings).daily(days),
        hired=hired, hired_fees=pool.fee[hired].astype(float),
        failure=float(settings.post_failure_rate), views_per_share=vps,
        follow_rate=float(settings.follow_rate), churn_rate=float(settings.churn_rate),
        beyond_horizon=int((~inside).sum()),
    )
