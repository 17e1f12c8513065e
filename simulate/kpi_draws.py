"""Seeded draws of every candidate post's luck, turned into what each post adds to each KPI.

The KPI optimizer (``optimizer/kpi.py``) maximises the share of M draws in which a KPI is met; this
module supplies those draws from the simulator's own model, so the two halves agree by
construction: ``engine.draw_block`` draws each post's failure, log-normal views and shares exactly
as a simulation run does; a post live on day t has ``A(D - t + 1)`` of its views by the end of day
D (``curve``); likes and comments are the expected share of the drawn views (the simulator adds
Poisson noise on top, which the out-of-sample check includes); target impressions scale with the
post's realised views.

Metrics that are sums over posts (views, likes, comments, shares, engagements) are linear in the
posts bought; target reach is the contract's concave function of the cells' loads, which the
optimizer handles with tangent cuts. Ratios (engagement_rate) and followers_gained are not
optimised (``UNSUPPORTED``); the simulator still reports their probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios import KpiTarget, Scenario

from .engine import draw_block
from .result import KPI_WINDOW_DAYS
from .schedule import prepare

#: KPI metrics the KPI objective can optimise, and the per-post rate of each linear one.
LINEAR = ("views", "likes", "comments", "shares", "engagements")
UNSUPPORTED = ("engagement_rate", "followers_gained")
#: Spawn key of the optimizer's draws: simulation runs use keys (block,), small integers, so the
#: in-sample draws never coincide with a simulation's runs of the same seed.
SAA_STREAM = 1 << 30


@dataclass(frozen=True, eq=False)
class KpiDraws:
    """One KPI's draws, one column per bought post in the order ``np.repeat(rows, posts[rows])``.

    ``gains`` (M, P) for a linear metric, or ``loads`` (M, P, C) and ``population`` (C,) for
    target reach. Posts live after the KPI's day add nothing.
    """

    kpi: KpiTarget
    day: int
    gains: np.ndarray | None = None
    loads: np.ndarray | None = None
    population: np.ndarray | None = None


def kpi_day(scenario: Scenario, kpi: KpiTarget) -> int:
    """The day a KPI is judged on: its ``by_day``, or the last simulated day if that is earlier
    (the simulator does the same and says so in a note)."""
    return min(int(kpi.by_day), int(scenario.simulation.days) - 1)


def kpi_draws(scenario: Scenario, posts, kpis, *, draws: int, seed: int, post_days=None) -> list[KpiDraws]:
    """Draws for ``kpis`` (linear metrics or campaign-window target reach) of the posts ``posts``
    (a pool-size array, usually every candidate at its cap). ``post_days`` as in ``prepare``."""
    kpis = list(kpis)
    horizon = max(kpi_day(scenario, k) for k in kpis) + 1
    posts = np.asarray(posts, dtype=np.int64)
    prep = prepare(scenario, posts, horizon, post_days=post_days) if post_days is not None else \
        prepare(scenario, posts, horizon)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(SAA_STREAM,)))
    luck = draw_block(prep, rng, int(draws))
    # Columns: every bought post; prepare keeps each creator's first posts up to the horizon, in
    # (creator, k) order, so prepared post j of creator i is column first[i] + (its rank in i).
    hired = np.flatnonzero(posts)
    first = dict(zip(hired.tolist(), (np.cumsum(posts[hired]) - posts[hired]).tolist()))
    starts = np.concatenate([[0], np.flatnonzero(np.diff(prep.creator)) + 1]) if prep.n_posts else np.zeros(0, int)
    rank = np.arange(prep.n_posts) - np.repeat(starts, np.diff(np.r_[starts, prep.n_posts]))
    column = np.array([first[int(c)] for c in prep.creator], dtype=np.int64) + rank
    n_cols = int(posts.sum())
    views = luck["views"].T  # (M, P')
    out = []
    for kpi in kpis:
        day = kpi_day(scenario, kpi)
        share = _accrued(prep, day, KPI_WINDOW_DAYS.get(kpi.window))
        if kpi.metric == "target_reach":
            ratio = np.where(prep.views > 0, views / np.where(prep.views > 0, prep.views, 1.0), 0.0)
            per = (ratio * share)[:, :, None] * (prep.impressions / prep.population)[None, :, :]
            loads = np.zeros((int(draws), n_cols, prep.n_cells))
            loads[:, column, :] = per
            out.append(KpiDraws(kpi, day, loads=loads, population=prep.population.copy()))
            continue
        if kpi.metric == "views":
            metric = views
        elif kpi.metric == "shares":
            metric = luck["shares"].T
        elif kpi.metric == "target_impressions":  # the objective metric (not a KPI): expected, times drawn/expected views
            metric = views * (prep.impressions.sum(axis=1) / np.where(prep.views > 0, prep.views, 1.0))
        else:
            rate = {"likes": prep.likes_rate, "comments": prep.comments_rate,
                    "engagements": prep.likes_rate + prep.comments_rate}[kpi.metric]
            metric = views * rate
            if kpi.metric == "engagements":
                metric = metric + luck["shares"].T
        gains = np.zeros((int(draws), n_cols))
        gains[:, column] = metric * share
        out.append(KpiDraws(kpi, day, gains=gains))
    return out


def _accrued(prep, day: int, window: int | None) -> np.ndarray:
    """Share of each post's views that arrives in the KPI's window (day - window, day]."""
    def by(d: int) -> np.ndarray:
        age = d - prep.day
        return np.where(age >= 0, prep.curve[np.clip(age, 0, prep.curve.size - 1)], 0.0)
    share = by(day)
    if window is not None and day - window >= 0:
        share = share - by(day - window)
    return share


def metric_draws(scenario: Scenario, posts, metric: str, day: int, *, draws: int, seed: int,
                 post_days=None) -> KpiDraws:
    """Draws of an objective metric (target_reach, target_impressions, engagements) by the end of
    day ``day`` over the whole campaign, as ``kpi_draws`` gives them (the risk objective,
    whatif/risk_plan.py): a KPI on the metric with target 1."""
    return kpi_draws(scenario, posts, [KpiTarget(metric, 1.0, int(day))], draws=draws, seed=seed,
                     post_days=post_days)[0]
