"""Parsing --set KEY=V1,V2 and KEY=START:STOP:STEP, and dotted-key overrides."""

import pytest

from scenarios import apply_overrides
from scenarios.errors import ScenarioError
from whatif.sweep import MAX_POINTS, parse_set


def test_list_of_values_with_export_style_numbers():
    assert parse_set("budget.total=100K,250000,1.5M") == ("budget.total", [100000, 250000, 1500000])


def test_range_includes_stop_and_has_no_float_dust():
    key, values = parse_set("constraints.min_budget_share.micro=0:0.6:0.2")
    assert key == "constraints.min_budget_share.micro"
    assert values == [0, 0.2, 0.4, 0.6]


def test_strings_and_booleans():
    assert parse_set("objective.maximize=target_reach,engagements")[1] == ["target_reach", "engagements"]
    assert parse_set("x.y=true,False")[1] == [True, False]


@pytest.mark.parametrize("spec,message", [
    ("budget.total", 'write KEY=V1,V2,... or KEY=START:STOP:STEP'),
    ("=1,2", 'is not a dotted key'),
    ("budget..total=1", 'is not a dotted key'),
    ("budget.total=", 'no values after "="'),
    ("budget.total=1:2", "a range is START:STOP:STEP"),
    ("budget.total=5:1:1", "need STEP > 0 and STOP >= START"),
    ("budget.total=0:1:0", "need STEP > 0 and STOP >= START"),
    ("budget.total=a:b:c", "is not a number"),
])
def test_bad_specs_say_what_to_write(spec, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_set(spec)


def test_huge_range_is_refused():
    with pytest.raises(ScenarioError, match="too many"):
        parse_set(f"budget.total=0:{MAX_POINTS * 10}:1")


def test_overrides_set_nested_keys_and_leave_the_original_alone():
    doc = {"budget": {"total": 1}, "constraints": {"min_count": {"micro": 2}}}
    new = apply_overrides(doc, {"budget.total": 5, "constraints.min_count.nano": 1, "model.view_rate": 0.3}, "s")
    assert new["budget"]["total"] == 5
    assert new["constraints"]["min_count"] == {"micro": 2, "nano": 1}
    assert new["model"]["view_rate"] == 0.3
    assert doc == {"budget": {"total": 1}, "constraints": {"min_count": {"micro": 2}}}


def test_override_through_a_value_is_an_error():
    with pytest.raises(ScenarioError, match="budget is not a table"):
        apply_overrides({"budget": 5}, {"budget.total": 1}, "s.toml")
