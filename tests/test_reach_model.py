"""The reach model (contract section 4) against an independent, loop-based computation.

``reference`` below is a plain-Python transcription of section 4 that reads the *raw* creator rows
we wrote to the CSV (not the loaded arrays), so it also checks the loader's conversions (blank
avg_views, per-follower engagement, tag normalisation, case-insensitive locations).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from scenarios import ReachModel, exposure_weight, load_scenario, rules

AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
AGE_COLS = ("age_13_17", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_plus")
LOCS = ("Istanbul", "Ankara", "Izmir")
TIERS = ("nano", "micro", "mid", "macro", "mega")
TAG_WORDS = ("beauty", "skincare", "tech", "food", "travel", "gaming")


# --- the independent reference ---------------------------------------------------------------


def _norm(tag: str) -> str:
    return tag.strip().replace("#", "").lower()


def reference(rows, target, model, posts, basis="views"):
    """Section 4, one loop at a time. ``rows``: dicts as written to the CSV (numbers, not text)."""
    rho, floor, view_rate = model["repeat_decay"], model["interest_floor"], model["view_rate"]
    views = [r["avg_views"] if r["avg_views"] is not None else r["followers"] * view_rate for r in rows]

    def marginal(r, dim, value):
        if dim == "age":
            return r["age"][AGES.index(value)]
        if dim == "gender":
            return r["gender"][value]
        return r["loc"][value]

    dims = [d for d in ("age", "gender", "locations") if target.get(d) is not None]
    cells = list(itertools.product(*[target[d] for d in dims]))  # [()] when every dimension is open

    def share(r, cell):
        out = 1.0
        for d, v in zip(dims, cell):
            out *= marginal(r, d, v)
        return out

    interests = {_norm(t) for t in target.get("interests", [])}
    fit = []
    for r in rows:
        tags = {_norm(t) for t in r["tags"].split(";") if _norm(t)}
        fit.append(1.0 if not interests or tags & interests else floor)

    def w(n):  # the k-th post counts rho**(k-1)
        return sum(rho ** (k - 1) for k in range(1, n + 1))

    split = {}
    for d in dims:
        given = target.get("population", {}).get(d)
        if given is not None:
            raw = {v: given[v] for v in target[d]}
        else:
            raw = {v: sum(views[i] * marginal(r, d, v) for i, r in enumerate(rows)) / sum(views)
                   for v in target[d]}
        total = sum(raw.values())
        split[d] = {v: x / total for v, x in raw.items()}

    reach = impressions = 0.0
    per_cell = {}
    for cell in cells:
        i_s = sum(w(posts[i]) * views[i] * fit[i] * share(r, cell) for i, r in enumerate(rows))
        pi = 1.0
        for d, v in zip(dims, cell):
            pi *= split[d][v]
        n_s = target["size"] * pi
        per_cell[cell] = (i_s, n_s)
        impressions += i_s
        reach += n_s * (1.0 - math.exp(-i_s / n_s))
    cost = sum(r["price"] * n + (r["fee"] if n > 0 else 0.0) for r, n in zip(rows, posts))
    engagements = 0.0
    for r, v, n in zip(rows, views, posts):
        er = r["er"] if basis == "views" else r["er"] * r["followers"] / v
        engagements += n * v * er
    match = [fit[i] * sum(share(r, cell) for cell in cells) for i, r in enumerate(rows)]
    # Tiers by followers, the contract's default thresholds: [0, 10k), [10k, 100k), [100k, 500k), [500k, 1M), [1M, inf).
    by_tier = {t: 0 for t in TIERS}
    spend = {t: 0.0 for t in TIERS}
    for r, n in zip(rows, posts):
        tier = TIERS[sum(r["followers"] >= edge for edge in (10_000, 100_000, 500_000, 1_000_000))]
        by_tier[tier] += n > 0
        spend[tier] += r["price"] * n + (r["fee"] if n > 0 else 0.0)
    return {"creators_by_tier": by_tier, "spend_by_tier": spend,"target_reach": reach, "target_impressions": impressions, "cost": cost, "engagements": engagements,
            "views": sum(n * v for n, v in zip(posts, views)), "match": match, "cells": per_cell}


# --- writing random scenarios ----------------------------------------------------------------


def _fractions(rng, k, total=1.0):
    x = rng.dirichlet(np.ones(k)) * total
    return [round(float(v), 6) for v in x]


def random_rows(rng, n):
    rows = []
    for i in range(n):
        age = _fractions(rng, 6)
        age[-1] = round(1.0 - sum(age[:-1]), 6)  # sums to 1 up to rounding, within +-0.02
        female = round(float(rng.uniform(0, 1)), 6)
        male = round(float(rng.uniform(0, 1 - female)), 6)
        locs = _fractions(rng, len(LOCS) + 1)[: len(LOCS)]  # the rest is "other"
        tags = [str(rng.choice(TAG_WORDS)) for _ in range(int(rng.integers(0, 3)))]
        tags = [("#" + t if rng.random() < 0.3 else t).upper() if rng.random() < 0.3 else t for t in tags]
        rows.append({
            "handle": f"@c{i}",
            "followers": int(rng.integers(1_000, 3_000_000)),
            "price": round(float(rng.uniform(50, 20_000)), 2),
            "avg_views": None if rng.random() < 0.3 else round(float(rng.uniform(100, 500_000)), 1),
            "er": round(float(rng.uniform(0.0, 0.2)), 5),
            "max_posts": int(rng.integers(0, 5)),
            "fee": 0.0 if rng.random() < 0.5 else round(float(rng.uniform(0, 2_000)), 2),
            "tags": ";".join(tags),
            "age": age,
            "gender": {"female": female, "male": male},
            "loc": dict(zip(LOCS, locs)),
        })
    return rows


def write_csv(rows) -> str:
    head = ["handle", "followers", "price", "avg_views", "engagement_rate", "max_posts", "fee", "tags",
            *AGE_COLS, "female", "male", *("loc_" + name.lower() if k % 2 else "LOC_" + name
                                            for k, name in enumerate(LOCS))]
    lines = [",".join(head)]
    for r in rows:
        lines.append(",".join([
            r["handle"], str(r["followers"]), repr(r["price"]),
            "" if r["avg_views"] is None else repr(r["avg_views"]), repr(r["er"]), str(r["max_posts"]),
            repr(r["fee"]), r["tags"], *(repr(a) for a in r["age"]), repr(r["gender"]["female"]),
            repr(r["gender"]["male"]), *(repr(r["loc"][name]) for name in LOCS),
        ]))
    return "\n".join(lines) + "\n"


def _toml_list(values):
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def write_toml(target, model, basis):
    out = ['[pool]', 'file = "creators.csv"', f'engagement_basis = "{basis}"', "[budget]", "total = 1e9",
           "[model]", *(f"{k} = {v!r}" for k, v in model.items()), "[audience]", f"size = {target['size']!r}"]
    for dim in ("age", "gender", "locations", "interests"):
        if target.get(dim) is not None:
            out.append(f"{dim} = {_toml_list(target[dim])}")
    if target.get("population"):
        out.append("[audience.population]")
        for dim, split in target["population"].items():
            out.append(f"{dim} = {{ " + ", ".join(f'"{k}" = {v!r}' for k, v in split.items()) + " }")
    return "\n".join(out) + "\n"


def random_case(seed):
    rng = np.random.default_rng(seed)
    rows = random_rows(rng, int(rng.integers(1, 9)))
    target = {"size": float(rng.choice([1e3, 5e4, 2e6, 1e8]))}
    if rng.random() < 0.6:
        target["age"] = sorted(rng.choice(AGES, size=int(rng.integers(1, 4)), replace=False), key=AGES.index)
    if rng.random() < 0.5:
        target["gender"] = ["female"] if rng.random() < 0.5 else ["female", "male"]
    if rng.random() < 0.6:
        target["locations"] = list(rng.choice(LOCS, size=int(rng.integers(1, 3)), replace=False))
    if rng.random() < 0.6:
        target["interests"] = [str(t).title() for t in rng.choice(TAG_WORDS, size=2, replace=False)]
    restricted = [d for d in ("age", "gender", "locations") if d in target]
    if restricted and rng.random() < 0.5:
        d = restricted[int(rng.integers(len(restricted)))]
        target["population"] = {d: {v: round(float(rng.uniform(0.1, 5)), 3) for v in target[d]}}
    model = {"repeat_decay": float(rng.choice([0.3, 0.7, 1.0])), "interest_floor": float(rng.choice([0.0, 0.25, 1.0])),
             "view_rate": float(rng.choice([0.1, 0.25, 0.6]))}
    basis = "followers" if rng.random() < 0.4 else "views"
    return rows, target, model, basis, rng


def _check(model_obj, rows, target, model, basis, posts):
    got = model_obj.evaluate(np.array(posts))
    want = reference(rows, target, model, posts, basis)
    for key in ("target_reach", "target_impressions", "cost", "engagements", "views"):
        assert getattr(got, key) == pytest.approx(want[key], rel=1e-9, abs=1e-9), key
    np.testing.assert_allclose(model_obj.match, want["match"], rtol=1e-9, atol=1e-12)
    assert dict(got.creators_by_tier) == want["creators_by_tier"]
    assert dict(got.spend_by_tier) == pytest.approx(want["spend_by_tier"], rel=1e-12)
    assert got.posts == sum(posts)
    assert got.creators == sum(1 for n in posts if n > 0)


@pytest.mark.parametrize("seed", range(40))
def test_model_matches_the_loop_reference_on_random_pools(write_scenario, seed):
    rows, target, model, basis, rng = random_case(seed)
    sc = load_scenario(write_scenario(toml=write_toml(target, model, basis), csv=write_csv(rows)))
    reach_model = ReachModel.build(sc)
    for _ in range(4):
        posts = [int(rng.integers(0, 6)) for _ in rows]
        _check(reach_model, rows, target, model, basis, posts)
    _check(reach_model, rows, target, model, basis, [0] * len(rows))


@pytest.mark.parametrize("rho", [0.7, 1.0])
@pytest.mark.parametrize("basis", ["views", "followers"])
def test_reference_with_everything_open(write_scenario, rho, basis):
    # No restricted dimension: one cell, every creator's share is 1, N = audience.size.
    rng = np.random.default_rng(99)
    rows = random_rows(rng, 5)
    target = {"size": 250_000.0}
    model = {"repeat_decay": rho, "interest_floor": 0.25, "view_rate": 0.25}
    sc = load_scenario(write_scenario(toml=write_toml(target, model, basis), csv=write_csv(rows)))
    m = ReachModel.build(sc)
    assert m.n_cells == 1
    _check(m, rows, target, model, basis, [1, 2, 3, 4, 5])


def test_exposure_weight_closed_form():
    for rho in (0.2, 0.5, 0.7, 0.99, 1.0):
        for n in range(8):
            assert exposure_weight(np.array([n]), rho)[0] == pytest.approx(sum(rho**k for k in range(n)), rel=1e-12)


# --- a hand-computed case --------------------------------------------------------------------

HAND_CSV = """\
handle,followers,price,avg_views,engagement_rate,fee,tags,female,male,loc_Istanbul,loc_Ankara
@a,100000,1000,20000,0.05,300,beauty,0.8,0.2,0.5,0.2
@b,40000,500,,0.1,,#Gaming,0.4,0.6,0.25,0.5
"""

HAND_TOML = """\
[pool]
file = "creators.csv"
[budget]
total = 10000
[audience]
size = 100000
gender = ["female"]
locations = ["Istanbul", "Ankara"]
interests = ["Beauty"]
[model]
repeat_decay = 0.5
interest_floor = 0.25
view_rate = 0.25
"""


def test_hand_computed_two_creators_with_population(write_scenario):
    # Cells: (female, Istanbul), (female, Ankara).  V_a = 20000; V_b = 40000 * 0.25 = 10000.
    # a_a = 0.8*0.5 = 0.40 and 0.8*0.2 = 0.16;  a_b = 0.4*0.25 = 0.10 and 0.4*0.5 = 0.20.
    # f_a = 1 ("beauty" ~ "Beauty"); f_b = 0.25 (#Gaming misses).
    # e_a = 20000*0.40 = 8000, 20000*0.16 = 3200;  e_b = 10000*0.25*0.10 = 250, 10000*0.25*0.20 = 500.
    # Plan n_a = 2, n_b = 3, rho = 0.5: w(2) = 1 + 0.5 = 1.5, w(3) = 1 + 0.5 + 0.25 = 1.75.
    # I_Ist = 1.5*8000 + 1.75*250 = 12437.5;  I_Ank = 1.5*3200 + 1.75*500 = 5675.
    # Population split Istanbul:Ankara = 3:1 -> N_Ist = 75000, N_Ank = 25000 (female split = 1).
    # R = 75000*(1 - exp(-0.165833)) + 25000*(1 - exp(-0.227))
    #   = 75000*(1 - 0.847187) + 25000*(1 - 0.796921) = 11460.94 + 5076.98 = 16537.92
    toml = HAND_TOML + "[audience.population]\nlocations = { Istanbul = 3, Ankara = 1 }\n"
    m = ReachModel.build(load_scenario(write_scenario(toml=toml, csv=HAND_CSV)))
    ev = m.evaluate(np.array([2, 3]))
    expected_reach = 75000 * (1 - math.exp(-12437.5 / 75000)) + 25000 * (1 - math.exp(-5675 / 25000))
    assert expected_reach == pytest.approx(16537.92, abs=0.01)  # the written-out arithmetic
    assert ev.target_reach == pytest.approx(expected_reach, rel=1e-12)
    assert ev.target_impressions == pytest.approx(12437.5 + 5675, rel=1e-12)
    assert ev.cost == 2 * 1000 + 300 + 3 * 500  # b has no fee
    assert ev.engagements == pytest.approx(2 * 20000 * 0.05 + 3 * 10000 * 0.1)  # 2000 + 3000
    assert ev.views == 2 * 20000 + 3 * 10000
    np.testing.assert_allclose(m.match, [0.40 + 0.16, 0.25 * (0.10 + 0.20)])  # 0.56, 0.075
    np.testing.assert_allclose(m.population, [75000, 25000])
    np.testing.assert_allclose(ev.creator_target_impressions, [1.5 * (8000 + 3200), 1.75 * (250 + 500)])
    assert m.cell_labels == (("female", "Istanbul"), ("female", "Ankara"))


def test_hand_computed_split_from_the_pool(write_scenario):
    # Without [audience.population] the location split is the views-weighted mean of the shares,
    # restricted to the target's values and normalised:
    #   Istanbul: (20000*0.5 + 10000*0.25) / 30000 = 12500/30000;  Ankara: (20000*0.2 + 10000*0.5) / 30000 = 9000/30000
    #   normalised: Istanbul = 12500/21500, Ankara = 9000/21500.  Gender: only "female" -> 1.
    # One post each (w = 1): I_Ist = 8000 + 250 = 8250, I_Ank = 3200 + 500 = 3700.
    m = ReachModel.build(load_scenario(write_scenario(toml=HAND_TOML, csv=HAND_CSV)))
    n_ist, n_ank = 100000 * 12500 / 21500, 100000 * 9000 / 21500
    np.testing.assert_allclose(m.population, [n_ist, n_ank], rtol=1e-12)
    ev = m.evaluate(np.array([1, 1]))
    expected = n_ist * (1 - math.exp(-8250 / n_ist)) + n_ank * (1 - math.exp(-3700 / n_ank))
    assert ev.target_reach == pytest.approx(expected, rel=1e-12)
    assert ev.target_impressions == pytest.approx(8250 + 3700)


def test_rules_report_the_broken_constraints(write_scenario):
    toml = HAND_TOML.replace("total = 10000", "total = 3000") + (
        "[constraints]\nmust_include = [\"@b\"]\nmax_creator_share = 0.5\n")
    m = ReachModel.build(load_scenario(write_scenario(toml=toml, csv=HAND_CSV)))
    assert rules.violations(m, np.array([0, 2])) == []  # 1000 <= 1500 per creator, 1000 <= 3000
    broken = rules.violations(m, np.array([2, 0]))
    # a: 2*1000 + 300 = 2300 > 0.5 * 3000; @b is not hired.
    assert "does not hire @b (must_include)" in broken
    assert any("@a" in line and "max_creator_share" in line for line in broken)
    assert any("budget" in line for line in rules.violations(m, np.array([3, 1])))  # 3300 + 500 > 3000
