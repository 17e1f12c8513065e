"""Property tests of the reach model (issue item 8), with hypothesis.

For any pool, target and plan: 0 <= reach <= min(audience size, target impressions); reach never
falls when a post is added; reach is concave per cell (in that cell's impressions) and each extra
post of a creator adds no more than the one before (diminishing returns).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import (
    AGE_BUCKETS,
    CreatorPool,
    ModelParams,
    ReachModel,
    Scenario,
    TargetAudience,
    reach_of_impressions,
)

LOCS = ("Istanbul", "Ankara", "Izmir")
TAGS = ("beauty", "tech", "food")
SETTINGS = settings(max_examples=80, deadline=None)


def _shares(draw, n, k, total_max=1.0):
    raw = np.array(draw(st.lists(st.lists(st.floats(0.0, 1.0), min_size=k + 1, max_size=k + 1),
                                 min_size=n, max_size=n)))
    raw[:, 0] += 1e-3  # never an all-zero row
    return raw[:, :k] / raw.sum(axis=1, keepdims=True) * total_max


@st.composite
def models(draw) -> ReachModel:
    n = draw(st.integers(1, 6))
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=n, max_size=n)  # noqa: E731
    followers = np.array(draw(floats(0, 5e6))).round()
    views = np.array(draw(floats(0, 2e6)))
    age_raw = _shares(draw, n, 6)
    age = age_raw / age_raw.sum(axis=1, keepdims=True)
    pool = CreatorPool(
        handles=tuple(f"@c{i}" for i in range(n)),
        followers=followers,
        price=np.array(draw(floats(1, 1e5))),
        avg_views=views,
        engagement_rate=np.array(draw(floats(0, 0.3))),
        likes_rate=np.zeros(n), comments_rate=np.zeros(n), shares_rate=np.zeros(n),
        max_posts=np.full(n, 5),
        fee=np.array(draw(floats(0, 1e3))),
        tags=tuple(frozenset(draw(st.lists(st.sampled_from(TAGS), max_size=2))) for _ in range(n)),
        age=age,
        gender=_shares(draw, n, 2),
        location_names=LOCS,
        locations=_shares(draw, n, 3),
    )
    pick = lambda values: draw(st.none() | st.lists(st.sampled_from(values), min_size=1,  # noqa: E731
                                                     max_size=len(values), unique=True).map(tuple))
    target = TargetAudience(
        size=draw(st.floats(1.0, 1e8)),
        age=pick(AGE_BUCKETS), gender=pick(("female", "male")), locations=pick(LOCS),
        interests=frozenset(draw(st.lists(st.sampled_from(TAGS), max_size=2))),
    )
    model = ModelParams(repeat_decay=draw(st.floats(0.05, 1.0)), interest_floor=draw(st.floats(0.0, 1.0)))
    scenario = Scenario(name="prop", currency="USD", budget=1e6, pool=pool, audience=target, model=model)
    return ReachModel.build(scenario)


def plans(n):
    return st.lists(st.integers(0, 5), min_size=n, max_size=n).map(np.array)


@SETTINGS
@given(data=st.data())
def test_reach_is_bounded_by_size_and_impressions(data):
    m = data.draw(models())
    posts = data.draw(plans(m.scenario.pool.size))
    ev = m.evaluate(posts)
    size = m.scenario.audience.size
    tol = 1e-9 * max(size, 1.0)
    assert ev.target_reach >= 0.0
    assert ev.target_reach <= min(size, ev.target_impressions) + tol
    assert np.isclose(m.population.sum(), size, rtol=1e-9)
    assert np.isfinite(ev.target_reach)


@SETTINGS
@given(data=st.data())
def test_reach_never_falls_when_a_post_is_added(data):
    m = data.draw(models())
    n = m.scenario.pool.size
    posts = data.draw(plans(n))
    i = data.draw(st.integers(0, n - 1))
    more = posts.copy()
    more[i] += 1
    before, after = m.evaluate(posts), m.evaluate(more)
    tol = 1e-9 * max(m.scenario.audience.size, 1.0)
    assert after.target_reach >= before.target_reach - tol
    assert after.target_impressions >= before.target_impressions - 1e-9 * max(before.target_impressions, 1.0)
    assert after.cost > before.cost  # price > 0
    assert after.engagements >= before.engagements


@SETTINGS
@given(data=st.data())
def test_each_extra_post_adds_no_more_than_the_one_before(data):
    m = data.draw(models())
    n = m.scenario.pool.size
    posts = data.draw(plans(n))
    i = data.draw(st.integers(0, n - 1))
    reach = []
    for k in range(6):
        posts[i] = k
        reach.append(m.evaluate(posts).target_reach)
    gains = np.diff(reach)
    tol = 1e-9 * max(m.scenario.audience.size, 1.0)
    assert (gains >= -tol).all()
    assert (np.diff(gains) <= tol).all(), gains


@settings(max_examples=200, deadline=None)
@given(population=st.floats(1.0, 1e9), a=st.floats(0.0, 1e10), b=st.floats(0.0, 1e10),
       t=st.floats(0.0, 1.0))
def test_reach_per_cell_is_concave_and_bounded(population, a, b, t):
    f = lambda x: float(reach_of_impressions(np.array([x]), np.array([population]))[0])  # noqa: E731
    mid = t * a + (1 - t) * b
    tol = 1e-9 * population
    assert f(mid) >= t * f(a) + (1 - t) * f(b) - tol  # concave
    lo, hi = min(a, b), max(a, b)
    assert f(lo) <= f(hi) + tol  # non-decreasing
    assert 0.0 <= f(hi) <= min(population, hi) + tol


def test_empty_cell_contributes_nothing():
    assert reach_of_impressions(np.array([5.0, 0.0]), np.array([0.0, 10.0])).tolist() == [0.0, 0.0]
