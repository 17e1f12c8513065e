"""Small in-memory scenarios for the simulator's tests (no files needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenarios import AGE_BUCKETS, CreatorPool, scenario_from_dict


def make_pool(n: int, seed: int = 1, *, fee: float = 0.0) -> CreatorPool:
    rng = np.random.default_rng(seed)
    followers = np.round(10 ** rng.uniform(3.5, 6.5, n))
    avg_views = np.round(followers * rng.uniform(0.1, 0.5, n))
    er = rng.uniform(0.03, 0.1, n)
    age = rng.dirichlet(np.ones(len(AGE_BUCKETS)) * 2, n)
    female = rng.uniform(0.2, 0.8, n)
    loc = rng.dirichlet(np.ones(3), n)
    return CreatorPool(
        handles=tuple(f"@c{i}" for i in range(n)),
        followers=followers,
        price=np.round(avg_views * rng.uniform(0.005, 0.02, n)) + 10,
        avg_views=avg_views,
        engagement_rate=er,
        likes_rate=er * 0.88, comments_rate=er * 0.05, shares_rate=er * 0.07,
        max_posts=np.full(n, 3),
        fee=np.full(n, fee),
        tags=tuple(frozenset({"beauty"} if i % 2 else {"food"}) for i in range(n)),
        age=age,
        gender=np.column_stack([female, 1 - female]),
        location_names=("Istanbul", "Ankara", "Izmir"),
        locations=loc,
    )


def make_scenario(pool: CreatorPool | None = None, *, simulation: dict | None = None, kpis: list | None = None,
                  audience: dict | None = None, model: dict | None = None, n: int = 40):
    pool = pool if pool is not None else make_pool(n)
    doc = {
        "name": "sim-test",
        "budget": {"total": 1e6},
        "audience": audience if audience is not None else {
            "size": 2_000_000, "age": ["18-24", "25-34"], "gender": ["female"],
            "locations": ["Istanbul", "Ankara"], "interests": ["beauty"]},
        "simulation": simulation or {},
        "kpi": kpis or [],
    }
    if model:
        doc["model"] = model
    return scenario_from_dict(doc, base_dir=Path("."), source="<test>", pool=pool)


def quiet(scenario_kw: dict | None = None) -> dict:
    """[simulation] settings that switch all noise off (the consistency case)."""
    out = {"view_dispersion": 0.0, "post_failure_rate": 0.0, "views_per_share": 0.0}
    out.update(scenario_kw or {})
    return out


def plan(n: int, seed: int = 2, hired: int = 15, max_posts: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    posts = np.zeros(n, dtype=np.int64)
    rows = rng.choice(n, size=hired, replace=False)
    posts[rows] = rng.integers(1, max_posts + 1, size=hired)
    return posts
