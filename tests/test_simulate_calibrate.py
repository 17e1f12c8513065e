"""calibrate(): recovers known parameters from synthetic history; survives messy exports."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import scenario_from_dict
from simulate import CalibrationError, calibrate
from simulate.history import parse_history
from simulate.calibrate import fit
from scenarios.generate import pool_csv as to_csv
from simulate.synthetic import HistorySpec, synthetic_history
from simulate_helpers import make_pool

EXAMPLE = Path(__file__).resolve().parents[1] / "simulate" / "examples" / "history.csv"
SPEC = HistorySpec(creators_per_tier=25, videos_per_creator=6, within=1.2, between=0.4, noise=0.03)
Z = 4.0  # tolerance in standard errors


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("hist") / "history.csv"
    path.write_text(to_csv(synthetic_history(SPEC, seed=12345)))
    return calibrate(path)


def test_recovers_the_accumulation_curve(synthetic):
    c = synthetic.curve
    assert c["fitted"]
    assert abs(c["day1_share"] - SPEC.day1_share) <= Z * c["day1_share_se"]
    assert abs(c["shape"] - SPEC.shape) <= Z * c["shape_se"]
    assert c["rmse_log"] == pytest.approx(SPEC.noise, rel=0.15)  # the measurement noise we put in


def test_recovers_per_post_dispersion(synthetic):
    d = synthetic.view_dispersion
    assert d["method"] == "within-creator"
    assert abs(d["all"] - SPEC.within) <= Z * d["se"]["all"]
    for tier, sigma in d["by_tier"].items():
        assert abs(sigma - SPEC.within) <= Z * d["se"][tier], tier


def test_recovers_views_per_follower_by_tier(synthetic):
    total_var = SPEC.within**2 + SPEC.between**2
    for tier, rate in SPEC.tier_rates.items():
        fit_ = synthetic.views_per_follower[tier]
        mu_true = math.log(rate) - total_var / 2  # mean-preserving log-normals at both levels
        assert abs(fit_["mu"] - mu_true) <= Z * fit_["mu_se"], tier
        assert fit_["ks_pvalue"] > 1e-4  # log-views are normal by construction


def test_recovers_interaction_rates(synthetic):
    for kind, rate in SPEC.rates.items():
        r = synthetic.interactions["rates"][kind]
        assert abs(r["rate"] - rate) <= Z * r["se"], kind
    split = synthetic.interactions["split"]
    assert sum(split.values()) == pytest.approx(1.0, abs=1e-6)
    assert split["likes"] > 5 * max(split["comments"], split["shares"])


def test_toml_fragment_loads_into_a_scenario(synthetic):
    frag = tomllib.loads(synthetic.to_toml())
    doc = {"budget": {"total": 1000}, **frag}
    sc = scenario_from_dict(doc, base_dir=Path("."), source="<calibrated>", pool=make_pool(5))
    assert sc.simulation.accrual_day1_share == pytest.approx(synthetic.curve["day1_share"], abs=1e-4)
    assert sc.simulation.view_dispersion == pytest.approx(synthetic.view_dispersion["all"], abs=1e-3)
    models = synthetic.view_models
    assert sc.model.view_model == models["chosen"] == synthetic.view_model
    assert dict(sc.model.view_rate) == pytest.approx(models["rate"]["rates"], rel=1e-3)
    assert sc.model.view_curve["scale"] == pytest.approx(models["curve"]["scale"], rel=1e-5)
    assert sc.model.view_curve["exponent"] == pytest.approx(models["curve"]["exponent"], abs=1e-4)
    assert sc.simulation.view_dispersion_followers == pytest.approx(models[models["chosen"]]["total_sigma"], abs=1e-3)
    assert frag["model"]["interaction_split"] == synthetic.interactions["split"]
    assert set(frag) == {"model", "simulation"} and "[model." not in synthetic.to_toml()  # mergeable: no sub-tables


def test_bundled_example_warns_with_row_numbers():
    cal = calibrate(EXAMPLE)
    text = "\n".join(cal.warnings)
    for row, column in ((11, "views"), (16, "shares"), (22, "posted_at"), (28, "observed_at"), (35, "followers")):
        assert f"row {row}, column {column}" in text
    assert cal.curve["fitted"] and cal.observations > 150
    tomllib.loads(cal.to_toml())


def test_numbers_as_exports_write_them():
    text = ("Handle,Followers,Posted_At,Observed_At,Views,Likes\n"
            '@a,13.9K,2024-03-01,2024-03-02,"2,500",1.2K\n'
            "@a,13.9K,2024-03-01T00:00:00Z,2024-03-10,4.1K,300\n")
    obs, warnings = parse_history(text)
    assert [o.views for o in obs] == [2500.0, 4100.0] and obs[0].followers == 13900.0 and obs[0].likes == 1200.0
    assert obs[1].age_days == 9.0
    assert any("comments, shares" in w for w in warnings)


def test_single_observations_keep_the_default_curve():
    text = "handle,followers,posted_at,observed_at,views\n" + "".join(
        f"@c{i},{1000 * (i + 1)},2024-01-01,2024-02-20,{300 * (i + 1)}\n" for i in range(6))
    obs, warnings = parse_history(text)
    cal = fit(obs, warnings)
    assert not cal.curve["fitted"] and "# accrual_*" in cal.to_toml()
    assert cal.view_dispersion["method"].startswith("across-videos")


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("handle,views\n@a,10\n", "lacks column(s) followers, posted_at, observed_at"),
    ("handle,followers,posted_at,observed_at,views\n@a,x,2024-01-01,2024-01-02,5\n", "no usable rows"),
])
def test_unusable_files_are_errors(tmp_path, text, message):
    path = tmp_path / "h.csv"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calibrate(path)


def test_binary_file_is_an_error(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"handle,followers\n\x00\x01")
    with pytest.raises(CalibrationError, match="NUL"):
        calibrate(path)
    path.write_bytes(b"handle\n\xff\xfe")
    with pytest.raises(CalibrationError, match="UTF-8"):
        calibrate(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CalibrationError, match="not found"):
        calibrate(tmp_path / "nope.csv")


CELL = st.one_of(st.text(st.characters(blacklist_characters="\x00"), max_size=12), st.sampled_from(["", "n/a", "13.9K", "-5", "2024-01-01", "1e400", "0"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=0, max_size=9), min_size=0, max_size=8))
def test_garbage_never_crashes(rows):
    good = ["@x,5000,2024-01-01,2024-01-03,900,40,2,3", "@x,5000,2024-01-01,2024-01-09,1500,60,3,4",
            "@y,9000,2024-02-01,2024-02-02,700,30,1,1"]
    body = ["handle,followers,posted_at,observed_at,views,likes,comments,shares", *good]
    body += [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    obs, warnings = parse_history("\n".join(body) + "\n")
    assert len(obs) >= 3
    cal = fit(obs, warnings)
    tomllib.loads(cal.to_toml())
    assert all(isinstance(w, str) and "\n" not in w for w in cal.warnings)
