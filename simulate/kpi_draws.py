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
from scenarios.calendar import earliest_schedule, post_positions

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


def kpi_draws(scenario: Scenario, posts, kpis, *, draws: int, seed: int, post_days=None,
              variants=()) -> list[KpiDraws]:
    """Draws for ``kpis`` (linear metrics or campaign-window target reach) of the posts ``posts``
    (a pool-size array, usually every candidate at its cap). ``post_days`` as in ``prepare``.

    ``variants``: further ``(posts_v, days_v)`` pairs, each ``posts_v <= posts`` (a creator's first
    ``posts_v[i]`` posts, on the days ``days_v`` aligned with them): their columns follow the base
    ones, variant by variant. A post has the same luck in every variant (common random numbers);
    only its day, and so what it has accrued by a deadline, differs.
    """
    kpis = list(kpis)
    horizon = max(kpi_day(scenario, k) for k in kpis) + 1
    posts = np.asarray(posts, dtype=np.int64)
    base_days = earliest_schedule(scenario, posts) if post_days is None else np.asarray(post_days, dtype=np.int64)
    layouts = [(posts, base_days)] + [(np.asarray(p, dtype=np.int64), np.asarray(d, dtype=np.int64))
                                      for p, d in variants]
    # Every post is prepared (none dropped past the horizon), so prepared post j is column j of the
    # base layout and its luck does not depend on any day.
    latest = max([int(d.max()) + 1 for _, d in layouts if d.size] + [horizon])
    prep = prepare(scenario, posts, latest, post_days=base_days)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(SAA_STREAM,)))
    luck = draw_block(prep, rng, int(draws))
    first = np.cumsum(posts) - posts
    picks = []  # per layout: the base posts it holds, and their days
    for p, d in layouts:
        creator, k = post_positions(p)
        picks.append((first[creator] + k, d))
    views = luck["views"].T  # (M, P)
    out = []
    for kpi in kpis:
        day = kpi_day(scenario, kpi)
        window = KPI_WINDOW_DAYS.get(kpi.window)
        shares = [_accrued(prep.curve, d, day, window) for _, d in picks]
        if kpi.metric == "target_reach":
            ratio = np.where(prep.views > 0, views / np.where(prep.views > 0, prep.views, 1.0), 0.0)
            per = ratio[:, :, None] * (prep.impressions / prep.population)[None, :, :]
            loads = np.concatenate([per[:, idx, :] * share[None, :, None] for (idx, _), share in zip(picks, shares)],
                                   axis=1)
            out.append(KpiDraws(kpi, day, loads=loads, population=prep.population.copy()))
            continue
        metric = _linear(kpi.metric, luck, views, prep)
        gains = np.concatenate([metric[:, idx] * share[None, :] for (idx, _), share in zip(picks, shares)], axis=1)
        out.append(KpiDraws(kpi, day, gains=gains))
    return out


def _linear(metric: str, luck, views: np.ndarray, prep) -> np.ndarray:
    """(M, P): a linear metric's total per post and draw, before accrual."""
    if metric == "views":
        return views
    if metric == "shares":
        return luck["shares"].T
    if metric == "target_impressions":  # the objective metric (not a KPI): expected, times drawn/expected views
        return views * (prep.impressions.sum(axis=1) / np.where(prep.views > 0, prep.views, 1.0))
    rate = {"likes": prep.likes_rate, "comments": prep.comments_rate,
            "engagements": prep.likes_rate + prep.comments_rate}[metric]
    out = views * rate
    return out + luck["shares"].T if metric == "engagements" else out


def _accrued(curve: np.ndarray, post_day: np.ndarray, day: int, window: int | None) -> np.ndarray:
    """Share of each post's views that arrives in the KPI's window (day - window, day]."""
    def by(d: int) -> np.ndarray:
        age = d - post_day
        return np.where(age >= 0, curve[np.clip(age, 0, curve.size - 1)], 0.0)
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
