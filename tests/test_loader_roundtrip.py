"""Loader round trips (issue item 8): every field of a scenario and its pool, defaults included.

Expected values are written out from the contract (sections 2 and 3), not read back from the code.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from conftest import BASE_CSV, BASE_TOML, toml_with
from scenarios import (
    Constraints,
    ModelParams,
    ScenarioError,
    SimulationSettings,
    Tiers,
    apply_overrides,
    load_scenario,
)

HANDLES = ("@ayse.makeup", "@mert.tech", "@deniz.vlogs")


def test_pool_fields_and_defaults_for_blank_cells(write_scenario):
    sc = load_scenario(write_scenario())
    pool = sc.pool
    assert pool.handles == HANDLES
    # "45.5K" and "1.4M" are numbers; "5,000" is quoted with a thousands separator.
    np.testing.assert_array_equal(pool.followers, [120_000, 45_500, 1_400_000])
    np.testing.assert_array_equal(pool.price, [5_000, 1_500, 25_000])
    # Blank avg_views without a view_rate: the sourced follower curve 68 x followers^0.74 (issue 9; the
    # contract's followers * view_rate still holds whenever view_rate is given, see below).
    np.testing.assert_allclose(pool.avg_views, [40_000, 68.0 * 45_500 ** 0.74, 300_000], rtol=1e-12)
    np.testing.assert_allclose(pool.engagement_rate, [0.06, 0.05, 0.04])
    # Blank max_posts = constraints.max_posts (default 3); blank fee = 0; "1,000" quoted.
    np.testing.assert_array_equal(pool.max_posts, [2, 3, 4])
    np.testing.assert_array_equal(pool.fee, [300, 0, 1_000])
    # Tags: ;-separated, "#" and case ignored.
    assert pool.tags == (frozenset({"beauty", "skincare"}), frozenset({"tech"}),
                         frozenset({"lifestyle", "beauty"}))
    np.testing.assert_allclose(pool.age[0], [0.1, 0.4, 0.3, 0.1, 0.05, 0.05])
    np.testing.assert_allclose(pool.gender, [[0.8, 0.2], [0.3, 0.7], [0.5, 0.4]])
    # loc_ columns are case-insensitive; the name keeps the header's spelling.
    assert pool.location_names == ("Istanbul", "Ankara")
    np.testing.assert_allclose(pool.locations, [[0.6, 0.2], [0.3, 0.5], [0.4, 0.3]])
    # Rates: per view; likes/comments/shares split the engagement rate when not given.
    np.testing.assert_allclose(pool.likes_rate + pool.comments_rate + pool.shares_rate, pool.engagement_rate)
    assert len(pool) == 3


def test_scenario_defaults_for_omitted_keys(write_scenario):
    path = write_scenario()
    sc = load_scenario(path)
    assert sc.name == "scenario"  # the file's stem
    assert sc.budget == 100_000.0
    assert sc.path == path
    assert sc.constraints == Constraints()
    assert sc.constraints.max_posts == 3
    assert sc.model == ModelParams(repeat_decay=0.7, interest_floor=0.25, view_rate=None, view_curve=None)
    assert sc.model.views_from == "curve"
    assert sc.simulation == SimulationSettings()
    assert sc.tiers == Tiers()
    assert sc.objective.name == "target_reach"
    assert dict(sc.objective.weights) == {"target_reach": 1.0}
    assert sc.kpis == ()
    target = sc.audience
    assert (target.age, target.gender, target.locations) == (None, None, None)
    assert target.restricted == ()
    assert target.interests == frozenset()
    # Documented default (docs/assumptions.md): without audience.size, the pool's total followers.
    assert target.size == 120_000 + 45_500 + 1_400_000


FULL_TOML = """\
name = "istanbul-beauty-launch"
currency = "TRY"

[pool]
file = "creators.csv"
engagement_basis = "followers"

[budget]
total = "400K"

[audience]
size = 3500000
age = ["18-24", "25_34"]
gender = ["female"]
locations = ["istanbul", "Ankara"]
interests = ["Beauty", "#skincare"]

[audience.population]
locations = { Istanbul = 7, ankara = 3 }

[tiers]
micro = [10000, 100000]

[constraints]
max_posts = 5
min_count = { micro = 1 }
max_count = { mega = 0 }
min_budget_share = { micro = 0.4 }
max_budget_share = { macro = 0.5 }
max_creator_share = 0.25
must_include = ["@ayse.makeup"]
exclude = ["@deniz.vlogs"]
min_engagement_rate = 0.02
min_target_match = 0.15

[objective]
weights = { target_reach = 1.0, engagements = 4.0 }

[model]
repeat_decay = 0.6
interest_floor = 0.3
view_rate = 0.2

[simulation]
days = 28
runs = 100
seed = 11
start_day = 2
post_spacing_days = 3
view_dispersion = 0
post_failure_rate = 0.1
views_per_share = 0
follow_rate = 0.01
churn_rate = 0.002

[[kpi]]
metric = "views"
target = 5000000
by_day = 28
priority = 2

[[kpi]]
metric = "target_reach"
target = "1.2M"
by_day = 14
"""


def test_every_key_round_trips(write_scenario):
    sc = load_scenario(write_scenario(toml=FULL_TOML))
    assert (sc.name, sc.currency, sc.budget) == ("istanbul-beauty-launch", "TRY", 400_000.0)
    t = sc.audience
    assert t.size == 3_500_000
    assert t.age == ("18-24", "25-34")
    assert t.gender == ("female",)
    assert t.locations == ("Istanbul", "Ankara")  # matched case-insensitively, pool spelling kept
    assert t.interests == frozenset({"beauty", "skincare"})
    assert dict(t.population["locations"]) == pytest.approx({"Istanbul": 0.7, "Ankara": 0.3})
    assert set(t.population) == {"locations"}
    c = sc.constraints
    assert c.max_posts == 5
    assert dict(c.min_count) == {"micro": 1} and dict(c.max_count) == {"mega": 0}
    assert dict(c.min_budget_share) == {"micro": 0.4} and dict(c.max_budget_share) == {"macro": 0.5}
    assert c.max_creator_share == 0.25
    assert c.must_include == ("@ayse.makeup",) and c.exclude == ("@deniz.vlogs",)
    assert (c.min_engagement_rate, c.min_target_match) == (0.02, 0.15)
    assert dict(sc.objective.weights) == {"target_reach": 1.0, "engagements": 4.0}
    assert sc.model == ModelParams(repeat_decay=0.6, interest_floor=0.3, view_rate=0.2)
    assert sc.simulation == SimulationSettings(days=28, runs=100, seed=11, start_day=2, post_spacing_days=3,
                                               view_dispersion=0.0, post_failure_rate=0.1, views_per_share=0.0,
                                               follow_rate=0.01, churn_rate=0.002)
    assert [(k.metric, k.target, k.by_day, k.priority) for k in sc.kpis] == [
        ("target_reach", 1_200_000.0, 14, 1), ("views", 5_000_000.0, 28, 2)]  # priority order
    pool = sc.pool
    # max_posts default now 5; avg_views default uses view_rate 0.2.
    np.testing.assert_array_equal(pool.max_posts, [2, 5, 4])
    np.testing.assert_array_equal(pool.avg_views, [40_000, 45_500 * 0.2, 300_000])
    # engagement_basis = "followers": per follower -> per view = er * followers / avg_views.
    np.testing.assert_allclose(pool.engagement_rate,
                               [0.06 * 120_000 / 40_000, 0.05 / 0.2, 0.04 * 1_400_000 / 300_000], rtol=1e-12)


def test_explicit_interaction_rates_override_the_split(write_scenario):
    csv = ("handle,followers,price,engagement_rate,likes_rate,comments_rate,shares_rate\n"
           "@a,1000,10,0.1,0.05,,\n"
           "@b,1000,10,,0.03,0.01,0.02\n")
    pool = load_scenario(write_scenario(csv=csv)).pool
    assert pool.likes_rate[0] == 0.05
    assert pool.likes_rate[1] == 0.03 and pool.comments_rate[1] == 0.01 and pool.shares_rate[1] == 0.02
    # Without engagement_rate the three given rates define it.
    assert pool.engagement_rate[1] == pytest.approx(0.06)


@pytest.mark.parametrize("cell, value", [
    ("13.9K", 13_900), ("1.4M", 1_400_000), ('"2,500"', 2_500), ("4.1M", 4_100_000), ("2.01K", 2_010),
    ("16.4M", 16_400_000), ('"1,234,567"', 1_234_567), ("7", 7), (" 12 ", 12),
])
def test_export_style_numbers(write_scenario, cell, value):
    # Bug found: "4.1M" and "2.01K" were 4099999.9999999995 and 2009.9999999999998 (float
    # multiplication), so a follower count written that way was rejected as "not a whole number".
    pool = load_scenario(write_scenario(csv=f"handle,followers,price\n@a,{cell},{cell}\n")).pool
    assert pool.followers[0] == value
    assert pool.price[0] == value


def test_percent_and_currency_cells(write_scenario):
    csv = 'handle,followers,price,engagement_rate\n@a,1000,"$1,200",5%\n'
    pool = load_scenario(write_scenario(csv=csv)).pool
    assert pool.price[0] == 1_200
    assert pool.engagement_rate[0] == pytest.approx(0.05)


def test_bom_and_crlf_are_accepted(write_scenario):
    reference = load_scenario(write_scenario()).pool
    crlf = ("\ufeff" + BASE_CSV.replace("\n", "\r\n")).encode("utf-8")
    toml = ("\ufeff" + BASE_TOML.replace("\n", "\r\n")).encode("utf-8")  # bug found: a TOML BOM was rejected
    pool = load_scenario(write_scenario(toml=toml, csv=crlf)).pool
    assert pool.handles == reference.handles
    np.testing.assert_array_equal(pool.followers, reference.followers)
    assert pool.location_names == reference.location_names


def test_blank_demographics_take_the_pool_mean(write_scenario):
    # Documented assumption: a creator with a blank demographic group gets the mean of the others.
    csv = "handle,followers,price,female,male\n@a,10,5,0.8,0.2\n@b,10,5,0.4,0.4\n@c,10,5,,\n"
    pool = load_scenario(write_scenario(csv=csv)).pool
    np.testing.assert_allclose(pool.gender[2], [0.6, 0.3])


def test_audience_value_spellings(write_scenario):
    path = write_scenario(toml=toml_with("[audience]", 'age = ["18_24", "55-plus", "18-24"]', 'gender = ["Women"]',
                                         'locations = ["ANKARA"]'))
    t = load_scenario(path).audience
    assert t.age == ("18-24", "55+")  # duplicates dropped, order kept
    assert t.gender == ("female",)
    assert t.locations == ("Ankara",)
    assert t.restricted == ("age", "gender", "locations")


def _write_pool(pool) -> str:
    """Serialise a loaded pool back to the contract's CSV columns (explicit, per-view values)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    ages = ["age_13_17", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_plus"]
    w.writerow(["handle", "followers", "price", "avg_views", "engagement_rate", "likes_rate", "comments_rate",
                "shares_rate", "max_posts", "fee", "tags", *ages, "female", "male",
                *("loc_" + n for n in pool.location_names)])
    for i, h in enumerate(pool.handles):
        w.writerow([h, repr(float(pool.followers[i])), repr(float(pool.price[i])), repr(float(pool.avg_views[i])),
                    repr(float(pool.engagement_rate[i])), repr(float(pool.likes_rate[i])),
                    repr(float(pool.comments_rate[i])), repr(float(pool.shares_rate[i])),
                    int(pool.max_posts[i]), repr(float(pool.fee[i])), ";".join(sorted(pool.tags[i])),
                    *(repr(float(x)) for x in pool.age[i]), *(repr(float(x)) for x in pool.gender[i]),
                    *(repr(float(x)) for x in pool.locations[i])])
    return out.getvalue()


def test_pool_written_back_reads_identically(write_scenario):
    first = load_scenario(write_scenario()).pool
    second = load_scenario(write_scenario(csv=_write_pool(first))).pool
    assert second.handles == first.handles and second.tags == first.tags
    assert second.location_names == first.location_names
    for name in ("followers", "price", "avg_views", "engagement_rate", "likes_rate", "comments_rate",
                 "shares_rate", "max_posts", "fee", "gender", "locations"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name), err_msg=name)
    np.testing.assert_allclose(second.age, first.age, rtol=1e-15)


def test_overrides_with_dotted_keys(write_scenario):
    path = write_scenario(toml=toml_with("[model]", "repeat_decay = 0.5"))
    sc = load_scenario(path, overrides={"budget.total": 5000, "model.repeat_decay": 0.9,
                                        "audience.age": ["18-24"], "constraints.min_count.micro": 1,
                                        "name": "swept"})
    assert sc.budget == 5000.0
    assert sc.model.repeat_decay == 0.9
    assert sc.audience.age == ("18-24",)
    assert dict(sc.constraints.min_count) == {"micro": 1}
    assert sc.name == "swept"
    # The file itself is unchanged.
    again = load_scenario(path)
    assert again.budget == 100_000.0 and again.model.repeat_decay == 0.5


def test_overrides_are_validated_like_the_file(write_scenario):
    path = write_scenario()
    with pytest.raises(ScenarioError, match=r'budget\.totl is not a known key \(did you mean "total"\?\)'):
        load_scenario(path, overrides={"budget.totl": 5})
    with pytest.raises(ScenarioError, match=r"budget\.total = 0 is too small"):
        load_scenario(path, overrides={"budget.total": 0})


def test_apply_overrides_copies_and_rejects_bad_paths():
    doc = {"budget": {"total": 1}, "name": "x"}
    out = apply_overrides(doc, {"budget.total": 2, "model.view_rate": 0.3}, "s.toml")
    assert out == {"budget": {"total": 2}, "name": "x", "model": {"view_rate": 0.3}}
    assert doc == {"budget": {"total": 1}, "name": "x"}
    with pytest.raises(ScenarioError, match=r'^s\.toml: cannot set "name\.x": name is not a table$'):
        apply_overrides(doc, {"name.x": 1}, "s.toml")
    with pytest.raises(ScenarioError, match=r'^s\.toml: "budget\.\.total" is not a dotted key such as budget\.total$'):
        apply_overrides(doc, {"budget..total": 1}, "s.toml")


def test_raw_document_is_kept(write_scenario):
    sc = load_scenario(write_scenario(), overrides={"budget.total": 7})
    assert sc.raw["budget"]["total"] == 7
    assert sc.raw["pool"]["file"] == "creators.csv"
    assert math.isclose(sc.budget, 7)


def test_min_engagement_rate_is_read_in_the_pools_basis(write_scenario):
    """With engagement_basis = "followers" a planner's threshold is per follower, like the CSV."""
    from scenarios import ReachModel, eligible

    csv_text = ("handle,followers,price,avg_views,engagement_rate\n"
                "@low,10000,100,2500,0.01\n"      # per follower 1%  -> per view 4%
                "@high,10000,100,2500,0.03\n")    # per follower 3%  -> per view 12%
    toml = ('[pool]\nfile = "creators.csv"\nengagement_basis = "followers"\n[budget]\ntotal = 1000\n'
            '[constraints]\nmin_engagement_rate = 0.02\n')
    scenario = load_scenario(write_scenario(toml=toml, csv=csv_text))
    assert scenario.pool.engagement_rate.tolist() == pytest.approx([0.04, 0.12])
    assert eligible(ReachModel.build(scenario)).tolist() == [False, True]
