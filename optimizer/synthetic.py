"""Random but plausible scenarios built in memory, for tests and benchmarks.

Not a substitute for ``scenarios/generate.py`` (the user-facing generator): this one only needs
to be fast, seeded and to exercise every part of the optimizer (tiers, fees, post caps, many
target cells, interests).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenarios import AGE_BUCKETS, CreatorPool, Scenario, scenario_from_dict

TAGS = ("beauty", "skincare", "fashion", "food", "travel", "gaming", "fitness", "tech")


def random_pool(n: int, seed: int, *, locations: int = 10, max_posts=(1, 3), fee_share: float = 0.3) -> CreatorPool:
    rng = np.random.default_rng(seed)
    followers = np.clip(np.exp(rng.normal(np.log(40_000), 1.4, n)), 1_000, 30_000_000).round()
    views = followers * 0.25 * np.exp(rng.normal(0, 0.5, n))
    cpm = np.exp(rng.normal(np.log(12.0), 0.45, n))  # price per 1000 views
    price = np.maximum((views / 1000 * cpm).round(2), 5.0)
    fee = np.where(rng.random(n) < fee_share, (price * rng.uniform(0.1, 0.6, n)).round(2), 0.0)
    er = np.clip(0.09 * (followers / 1e4) ** -0.12 * np.exp(rng.normal(0, 0.35, n)), 0.002, 0.5)
    split = np.array([0.88, 0.05, 0.07])
    # Audience shares: each creator has a "home" age, gender lean and city.
    age = rng.dirichlet(np.full(len(AGE_BUCKETS), 0.8), n)
    female = rng.beta(2, 2, n)
    gender = np.column_stack([female * 0.97, (1 - female) * 0.97])
    loc = rng.dirichlet(np.full(locations + 1, 0.5), n)[:, :locations]  # the rest is "other"
    lo, hi = max_posts
    tags = tuple(frozenset(rng.choice(TAGS, size=rng.integers(1, 3), replace=False).tolist()) for _ in range(n))
    return CreatorPool(
        handles=tuple(f"@c{i:06d}" for i in range(n)), followers=followers, price=price, avg_views=views,
        engagement_rate=er, likes_rate=er * split[0], comments_rate=er * split[1], shares_rate=er * split[2],
        max_posts=rng.integers(lo, hi + 1, n), fee=fee, tags=tags, age=age, gender=gender,
        location_names=tuple(f"City{k}" for k in range(locations)), locations=loc, source=f"<synthetic seed {seed}>",
    )


def random_scenario(n: int, seed: int, *, budget_share: float = 0.03, locations: int = 10,
                    ages=("18-24", "25-34", "35-44"), interests=("beauty",), max_posts=(1, 3),
                    constraints: dict | None = None, objective: dict | None = None,
                    repeat_decay: float = 0.7, audience_size: float | None = None,
                    fee_share: float = 0.3) -> Scenario:
    """A scenario over ``random_pool``: ``len(ages) x 2 x locations`` target cells (60 by default).

    The budget is ``budget_share`` of the cost of one post from every creator.
    """
    pool = random_pool(n, seed, locations=locations, max_posts=max_posts, fee_share=fee_share)
    budget = float(budget_share * (pool.price + pool.fee).sum())
    doc = {
        "name": f"synthetic-{n}-{seed}",
        "budget": {"total": budget},
        "audience": {
            "size": audience_size or float(pool.followers.sum() * 0.2),
            "age": list(ages), "gender": ["female", "male"],
            "locations": [f"City{k}" for k in range(locations)], "interests": list(interests),
        },
        "constraints": dict(constraints or {}),
        "objective": dict(objective or {"maximize": "target_reach"}),
        "model": {"repeat_decay": repeat_decay},
    }
    return scenario_from_dict(doc, base_dir=Path("."), source=f"<synthetic {n} seed {seed}>", pool=pool)


#: Tier quotas that bind on ``hard_scenario`` pools (issue 12's "tight tier quotas"): at a 0.3%
#: budget greedy alone would hire 9 nano, 16 mid, 2 macro creators on 10,000 creators.
TIGHT_QUOTAS = {"min_count": {"nano": 20, "micro": 30}, "max_count": {"mid": 10, "macro": 2, "mega": 1},
                "max_budget_share": {"macro": 0.3, "mega": 0.2}, "min_budget_share": {"nano": 0.1}}


def hard_scenario(n: int, seed: int, *, cells: int = 240, budget_share: float = 0.003,
                  quotas: bool = True) -> Scenario:
    """Issue 12's hard shapes: up to 10 posts per creator, 240 target cells (4 ages x 2 genders x
    30 cities) or 60 (3 x 2 x 10), optionally with ``TIGHT_QUOTAS``."""
    if cells not in (60, 240):
        raise ValueError("cells must be 60 or 240")
    ages = ("18-24", "25-34", "35-44", "45-54") if cells == 240 else ("18-24", "25-34", "35-44")
    return random_scenario(n, seed, budget_share=budget_share, locations=30 if cells == 240 else 10, ages=ages,
                           max_posts=(1, 10), constraints=TIGHT_QUOTAS if quotas else None)
