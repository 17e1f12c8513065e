"""Creator content briefs from the editable content-angles table (issue item 4)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scenarios import AGE_BUCKETS, PlanError, ReachModel, ReachmixError, load_scenario
from scenarios.briefs import (
    DEFAULT_ANGLES_PATH,
    Brief,
    ContentAnglesError,
    brief_for,
    briefs_for_plan,
    load_content_angles,
)

HEADER = ("handle,followers,price,tags,age_13_17,age_18_24,age_25_34,age_35_44,age_45_54,age_55_plus,"
          "loc_Istanbul,loc_Ankara,loc_İzmir,loc_Rize\n")
# Hand-made creators whose dominant age and top location are known by construction.
ROWS = [
    "@young.ist,50000,1000,Beauty;#SkinCare;travel,0.1,0.5,0.2,0.1,0.05,0.05,0.6,0.2,0.1,0.1",
    "@mom.ank,20000,800,family;cooking,0,0.1,0.3,0.45,0.1,0.05,0.1,0.7,0.1,0.1",
    "@pro.izmir,30000,900,skincare,0,0.2,0.5,0.2,0.1,0,0.1,0.1,0.6,0.2",
    "@tea.rize,8000,300,tea,0,0.1,0.1,0.1,0.2,0.5,0,0.1,0.1,0.8",
    "@nowhere,9000,300,,0.4,0.4,0.1,0.1,0,0,0,0,0,0",
]


@pytest.fixture()
def scenario(tmp_path):
    (tmp_path / "creators.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text('[pool]\nfile = "creators.csv"\n[budget]\ntotal = 10000\n'
                                     '[audience]\ninterests = ["beauty", "#SKINCARE", "fitness"]\n', encoding="utf-8")
    return load_scenario(tmp_path / "s.toml")


@pytest.fixture()
def briefs(scenario):
    return {b.handle: b for b in briefs_for_plan(scenario, np.ones(scenario.pool.size, dtype=int))}


def test_bundled_table_covers_every_age_and_the_named_cities():
    angles = load_content_angles()
    assert angles.source == str(DEFAULT_ANGLES_PATH)
    assert set(AGE_BUCKETS) <= set(angles.by_age)
    assert angles.by_age["18-24"] == ("music", "dance", "challenges", "fashion and beauty trends")
    assert angles.by_age["25-34"] == ("career", "healthy living", "social topics", "comedy")
    assert angles.by_age["35-44"] == ("family and children", "travel", "education", "motivation")
    assert angles.by_location["Istanbul"] == ("landmarks", "popular places", "local food")
    assert angles.by_location["Ankara"] == ("events", "museums", "history", "national days")
    assert "default" in angles.by_location and len(angles.by_location) >= 5


def test_dominant_age_and_top_location(briefs):
    b = briefs["@young.ist"]
    assert isinstance(b, Brief) and (b.dominant_age, b.top_location) == ("18-24", "Istanbul")
    assert b.age_share == pytest.approx(0.5) and b.location_share == pytest.approx(0.6)
    assert b.angles[:4] == ("music", "dance", "challenges", "fashion and beauty trends")
    assert b.angles[4:] == ("landmarks", "popular places", "local food")
    m = briefs["@mom.ank"]
    assert (m.dominant_age, m.top_location) == ("35-44", "Ankara")
    assert "family and children" in m.angles and "museums" in m.angles


def test_city_names_match_without_case_or_turkish_dots(briefs):
    b = briefs["@pro.izmir"]
    assert (b.dominant_age, b.top_location) == ("25-34", "İzmir")
    assert "career" in b.angles and any("Kordon" in a for a in b.angles)  # the table's "Izmir" entry


def test_unlisted_city_and_no_location_use_the_default(briefs):
    rize = briefs["@tea.rize"]
    assert (rize.dominant_age, rize.top_location) == ("55+", "Rize")
    assert "local favourites in Rize" in rize.angles
    nowhere = briefs["@nowhere"]
    assert nowhere.dominant_age == "13-17"  # a tie goes to the first (younger) bucket
    assert nowhere.top_location is None and "local favourites in your city" in nowhere.angles


def test_hashtags_are_the_tags_shared_with_the_interests(briefs):
    assert briefs["@young.ist"].hashtags == ("#beauty", "#skincare")  # not #travel
    assert briefs["@pro.izmir"].hashtags == ("#skincare",)
    assert briefs["@mom.ank"].hashtags == () and briefs["@nowhere"].hashtags == ()


def test_brief_for_one_row_and_plan_filters(scenario):
    model = ReachModel.build(scenario)
    b = brief_for(scenario, model, 1, load_content_angles(), posts=2)
    assert (b.handle, b.posts, b.tier) == ("@mom.ank", 2, "micro")
    assert b.target_match == pytest.approx(float(model.match[1]))
    hired = briefs_for_plan(scenario, np.array([0, 2, 0, 1, 0]))
    assert [(x.handle, x.posts) for x in hired] == [("@mom.ank", 2), ("@tea.rize", 1)]
    by_handle = briefs_for_plan(scenario, {"@nowhere": 3})
    assert [(x.handle, x.posts) for x in by_handle] == [("@nowhere", 3)]
    with pytest.raises(PlanError, match="@ghost"):
        briefs_for_plan(scenario, {"@ghost": 1})


def test_own_table_with_age_default(tmp_path, scenario):
    path = tmp_path / "angles.toml"
    path.write_text('[age]\n"18_24" = ["unboxing"]\ndefault = ["everyday tips"]\n'
                    '[location]\nistanbul = ["Bosphorus"]\ndefault = ["around {city}"]\n', encoding="utf-8")
    angles = load_content_angles(path)
    briefs = {b.handle: b for b in briefs_for_plan(scenario, np.ones(5, dtype=int), angles)}
    assert briefs["@young.ist"].angles == ("unboxing", "Bosphorus")
    assert briefs["@mom.ank"].angles == ("everyday tips", "around Ankara")


@pytest.mark.parametrize("text, key", [
    ('[age]\n"18-25" = ["x"]\n[location]\ndefault = ["y"]\n', 'age."18-25"'),
    ('[age]\n"18-24" = ["x"]\n[location]\ndefault = ["y"]\n', "13-17"),
    ('[age]\ndefault = ["x"]\n[location]\nIstanbul = ["y"]\n', "location.default"),
    ('[age]\ndefault = ["x"]\n[location]\ndefault = "y"\n', "location.default"),
    ('[age]\ndefault = []\n[location]\ndefault = ["y"]\n', "age.default"),
    ('[age]\ndefault = ["x"]\n[location]\ndefault = ["y"]\n[ages]\n', "ages"),
    ('[age]\ndefault = ["x"]\n', "[location]"),
    ("[age\n", "malformed TOML"),
])
def test_bad_tables_name_file_and_key(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentAnglesError) as info:
        load_content_angles(path)
    assert isinstance(info.value, ReachmixError)
    message = str(info.value)
    assert str(path) in message and key in message and "\n" not in message


def test_missing_table_file(tmp_path):
    with pytest.raises(ContentAnglesError, match="not found"):
        load_content_angles(tmp_path / "nope.toml")


def test_briefs_need_no_plotting_or_solver():
    code = "import sys, scenarios.briefs; print(sorted(m for m in ('matplotlib', 'pulp', 'simpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
