"""Handles typed by people (plans, must_include) find creators exported by machines."""

from __future__ import annotations

import json

import pytest

from conftest import BASE_CSV, BASE_TOML
from scenarios import PlanError, load_scenario, plan_from_json


@pytest.mark.parametrize("typed", ["@AYSE.MAKEUP", "@Ayse.Makeup", " @ayse.makeup".strip()])
def test_a_plan_handle_in_another_case_finds_the_creator(write_scenario, tmp_path, typed):
    scenario = load_scenario(write_scenario())
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps({"selection": [{"handle": typed, "posts": 2}]}), encoding="utf-8")
    plan = plan_from_json(plan_path, scenario.pool)
    assert plan.posts.tolist() == [2, 0, 0]


def test_the_same_creator_twice_in_two_spellings_is_an_error(write_scenario, tmp_path):
    scenario = load_scenario(write_scenario())
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps({"selection": [{"handle": "@ayse.makeup", "posts": 1},
                                                   {"handle": "@AYSE.makeup", "posts": 1}]}), encoding="utf-8")
    with pytest.raises(PlanError, match=r'selection\[1\]: handle "@AYSE.makeup" appears twice'):
        plan_from_json(plan_path, scenario.pool)


def test_turkish_and_nfd_handles_fold_to_the_pools_spelling(write_scenario, tmp_path):
    csv = BASE_CSV.replace("@mert.tech", "@ayşe.İpek")
    scenario = load_scenario(write_scenario(csv=csv))
    index = scenario.pool.index_of()
    assert index["@AYŞE.İPEK"] == 1
    assert index["@ays\u0327e.ipek"] == 1          # NFD s + combining cedilla, dotted capital folded
    assert "@ayse.ipek" not in index                 # folding is not accent stripping
    with pytest.raises(KeyError):
        index["@nobody"]


def test_must_include_in_another_case_is_stored_in_the_pools_spelling(write_scenario):
    toml = BASE_TOML + '\n[constraints]\nmust_include = ["@AYSE.MAKEUP", "@ayse.makeup"]\n'
    scenario = load_scenario(write_scenario(toml=toml))
    assert scenario.constraints.must_include == ("@ayse.makeup",)
