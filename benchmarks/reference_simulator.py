"""The per-run reference: the simulator's model written the straightforward way, one run at a time.

One SimPy environment per run, scalar Python arithmetic, a process per hired creator and a daily
process; the model is the same as ``simulate/`` (docs/simulator.md), read directly from the
scenario rather than from ``simulate.schedule`` so that it is an independent check. It exists to
measure the vectorised engine's speed-up and to cross-check its results (exactly without noise,
statistically with noise); it is not used by reachmix itself.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from scenarios import ReachModel, Scenario
from simulate.curve import AccumulationCurve

METRICS = ("views", "target_reach", "likes", "comments", "shares", "followers_gained", "spend")


def simulate_reference(scenario: Scenario, posts, *, runs: int, days: int, seed: int) -> dict[str, np.ndarray]:
    """Per-run daily cumulative series: {metric: array (runs, days)}."""
    s, pool = scenario.simulation, scenario.pool
    model = ReachModel.build(scenario)
    rho = scenario.model.repeat_decay
    curve = AccumulationCurve.from_settings(s)
    share = [float(curve(a)) for a in range(1, days + 1)]
    population = [float(n) for n in model.population]
    tier_sigma = {k: getattr(s, f"view_dispersion_{name}") for k, name in enumerate(scenario.tiers.names)}
    hired = [int(i) for i in np.flatnonzero(posts)]
    rng = np.random.default_rng(seed)
    out = {m: np.zeros((runs, days)) for m in METRICS}

    for r in range(runs):
        env = simpy.Environment()
        live_posts = []  # (day, views, likes, comments, shares, impressions per cell)
        money = {"spend": 0.0}

        def creator(i):
            money["spend"] += float(pool.fee[i])
            sigma = tier_sigma.get(int(model.tier[i]))
            sigma = s.view_dispersion if sigma is None else sigma
            v, sr = float(pool.avg_views[i]), float(pool.shares_rate[i])
            q = min(s.views_per_share * sr, s.cascade_cap)
            for k in range(int(posts[i])):
                day = s.start_day + k * s.post_spacing_days
                if day >= days:
                    return
                yield env.timeout(day - env.now)
                z, u = rng.standard_normal(), rng.random()
                if u < s.post_failure_rate:
                    continue
                base = v * math.exp(sigma * z - 0.5 * sigma * sigma)
                shares = rng.poisson(base * sr) / (1.0 - q)  # the cascade's later generations in expectation
                total = base + s.views_per_share * shares
                likes = rng.poisson(total * float(pool.likes_rate[i]))
                comments = rng.poisson(total * float(pool.comments_rate[i]))
                ratio = total / v if v > 0 else 0.0
                imp = [rho**k * float(e) * ratio for e in model.per_post[i]]
                live_posts.append((day, total, likes, comments, shares, imp))
                money["spend"] += float(pool.price[i])

        def daily():
            followers, reach_before = 0.0, 0.0
            for d in range(days):
                yield env.timeout(d + 0.5 - env.now)
                views = likes = comments = shares = 0.0
                imp = [0.0] * len(population)
                for day, total, lk, cm, sh, cells in live_posts:
                    a = share[d - day]
                    views += a * total
                    likes += a * lk
                    comments += a * cm
                    shares += a * sh
                    for c, e in enumerate(cells):
                        imp[c] += a * e
                reach = sum(n * -math.expm1(-i / n) for n, i in zip(population, imp) if n > 0)
                followers = followers * (1.0 - s.churn_rate) + s.follow_rate * (reach - reach_before)
                reach_before = reach
                for m, value in zip(METRICS, (views, reach, likes, comments, shares, followers, money["spend"])):
                    out[m][r, d] = value

        for i in hired:
            env.process(creator(i))
        env.process(daily())
        env.run(until=days)
    return out
