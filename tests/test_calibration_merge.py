"""--calibration FILE: merge semantics, the what-changed listing, errors naming the calibration file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import ScenarioError, load_scenario
from scenarios.calibration_file import describe, merge

POOL = ("handle,followers,price,avg_views,engagement_rate,tags\n"
        "@a,3000,100,,0.08,beauty\n@b,40000,900,,0.07,beauty\n@c,250000,4000,60000,0.05,beauty\n"
        "@d,1500000,20000,,0.04,beauty\n")
SCENARIO = ('name = "cal"\n[pool]\nfile = "pool.csv"\n[budget]\ntotal = 30000\n'
            '[audience]\nsize = 2000000\ninterests = ["beauty"]\n'
            "[model]\nview_rate = 0.25\nrepeat_decay = 0.7\n"
            "[simulation]\nruns = 200\nview_dispersion = 1.2\n")
CALIBRATION = ('# Fitted by reachmix calibrate\n[model]\nview_model = "curve"\n'
               "view_curve = { scale = 20.0, exponent = 0.8 }\n"
               "view_rate = { nano = 2.0, micro = 1.0 }\n"
               "engagement_by_tier = { nano = 0.07, micro = 0.07 }\n"
               "interaction_split = { likes = 0.95, comments = 0.01, shares = 0.04 }\n"
               "[simulation]\nview_dispersion = 1.35\nview_dispersion_followers = 1.7\n")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "pool.csv").write_text(POOL, encoding="utf-8")
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "cal.toml").write_text(CALIBRATION, encoding="utf-8")
    return tmp_path


def test_merge_is_deep_and_lists_leaf_changes():
    doc = {"model": {"view_rate": 0.25, "repeat_decay": 0.7, "engagement_by_tier": {"mid": 0.05, "nano": 0.09}},
           "budget": {"total": 5}}
    cal = {"model": {"view_rate": {"nano": 2.0}, "repeat_decay": 0.7, "engagement_by_tier": {"nano": 0.07},
                     "view_curve": {"scale": 20.0, "exponent": 0.8}},
           "simulation": {"view_dispersion": 1.35}}
    merged, changes = merge(doc, cal)
    assert merged == {"model": {"view_rate": {"nano": 2.0}, "repeat_decay": 0.7,
                                "engagement_by_tier": {"mid": 0.05, "nano": 0.07},
                                "view_curve": {"scale": 20.0, "exponent": 0.8}},
                      "budget": {"total": 5}, "simulation": {"view_dispersion": 1.35}}
    assert changes == {"model.view_rate": [0.25, {"nano": 2.0}],            # a number replaced by a table
                       "model.engagement_by_tier.nano": [0.09, 0.07],       # tables merge key by key
                       "model.view_curve.scale": [None, 20.0], "model.view_curve.exponent": [None, 0.8],
                       "simulation.view_dispersion": [None, 1.35]}          # repeat_decay unchanged: not listed
    assert doc["model"]["view_rate"] == 0.25  # the input is not modified
    assert describe(changes, "cal.toml") == (
        "Calibration cal.toml changed: model.view_rate 0.25 -> {nano = 2}; model.engagement_by_tier.nano 0.09 -> "
        "0.07; model.view_curve.scale (default) -> 20; model.view_curve.exponent (default) -> 0.8; "
        "simulation.view_dispersion (default) -> 1.35.")


def test_load_scenario_with_calibration(files):
    plain = load_scenario(files / "s.toml")
    sc = load_scenario(files / "s.toml", calibration=files / "cal.toml")
    np.testing.assert_allclose(plain.pool.avg_views, [750, 10000, 60000, 375000])
    # view_model = "curve": blank avg_views now follow 20 x F^0.8; the given one is kept.
    np.testing.assert_allclose(sc.pool.avg_views, [20 * 3000**0.8, 20 * 40000**0.8, 60000, 20 * 1.5e6**0.8])
    assert sc.simulation.view_dispersion == 1.35 and sc.simulation.view_dispersion_followers == 1.7
    assert sc.simulation.runs == 200  # the scenario's other keys stay
    np.testing.assert_allclose(sc.pool.comments_rate / sc.pool.engagement_rate, 0.01)
    assert sc.calibration["model.view_model"] == [None, "curve"]
    assert sc.calibration["simulation.view_dispersion"] == [1.2, 1.35]
    assert plain.calibration == {}


def test_overrides_apply_after_the_calibration(files):
    sc = load_scenario(files / "s.toml", {"simulation.view_dispersion": 0.9}, calibration=files / "cal.toml")
    assert sc.simulation.view_dispersion == 0.9


@pytest.mark.parametrize("text, message", [
    ("[budget]\ntotal = 5\n", "budget is not a calibration table; a calibration file sets [model] and [simulation] only"),
    ("[model]\nview_rat = 0.3\n", 'model.view_rat is not a known key (did you mean "view_rate"?); remove or correct it'),
    ("[simulation]\nview_dispersion = 9\n", "simulation.view_dispersion = 9 is too large; it must be <= 5"),
    ("[model]\nview_curve = { scale = 5 }\n",
     "model.view_curve needs both scale and exponent, e.g. { scale = 68, exponent = 0.74 }"),
    ("model = 3\n", "model must be a table, e.g. [model]"),
    ("[model\n", "malformed TOML: "),
])
def test_bad_calibration_names_its_file_and_key(files, text, message):
    bad = files / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(files / "s.toml", calibration=bad)
    assert str(err.value).startswith(f"{bad}: {message}")


def test_missing_calibration_file(files):
    with pytest.raises(ScenarioError, match="nope.toml"):
        load_scenario(files / "s.toml", calibration=files / "nope.toml")


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_evaluate_lists_the_changes(files):
    plan = files / "plan.json"
    plan.write_text(json.dumps({"selection": [{"handle": "@a", "posts": 1}, {"handle": "@d", "posts": 1}]}))
    code, out, err = run("evaluate", files / "s.toml", plan, "--calibration", files / "cal.toml", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["calibration"]["model.view_curve.exponent"] == [None, 0.8]
    assert result["calibration"]["simulation.view_dispersion"] == [1.2, 1.35]
    code, base, err = run("evaluate", files / "s.toml", plan, "--format", "json")
    assert "calibration" not in json.loads(base)
    # Calibrated views are larger for these creators (20 x F^0.8 > 0.25 F), so impressions grow.
    assert result["target_impressions"] > json.loads(base)["target_impressions"]
    code, table, err = run("evaluate", files / "s.toml", plan, "--calibration", files / "cal.toml")
    assert code == 0 and f"Calibration {files / 'cal.toml'} changed: model.view_model (default) -> curve;" in table


@pytest.mark.parametrize("command", [
    ["optimize", "{s}", "--strategy", "greedy"],
    ["simulate", "{s}", "--strategy", "greedy", "--runs", "50"],
    ["frontier", "{s}", "--points", "2"],
    ["compare", "{s}", "--strategy", "greedy"],
    ["sweep", "{s}", "--set", "budget.total=20000,30000", "--strategy", "greedy"],
])
def test_every_command_takes_calibration(files, command):
    args = [a.format(s=files / "s.toml") for a in command]
    code, out, err = run(*args, "--calibration", files / "cal.toml", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["calibration"]["model.view_model"] == [None, "curve"]


def test_cli_bad_calibration_is_exit_2(files):
    bad = files / "bad.toml"
    bad.write_text("[model]\nview_rat = 0.3\n", encoding="utf-8")
    code, out, err = run("optimize", files / "s.toml", "--calibration", bad)
    assert code == 2
    assert err == f'Error: {bad}: model.view_rat is not a known key (did you mean "view_rate"?); remove or correct it\n'


def test_report_takes_calibration(files):
    code, out, err = run("report", files / "s.toml", "-o", files / "r.html", "--runs", "50", "--strategy", "greedy",
                         "--compare-with", "greedy", "--calibration", files / "cal.toml")
    assert code == 0, err
    assert "Calibration" in out and "changed" in out
