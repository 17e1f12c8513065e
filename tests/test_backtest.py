"""reachmix backtest: the bands' coverage on held-out creators, by method and tier (contract: backtest)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from simulate.exports import ExportTruth, generate_videos, write_api_jsonl
from simulate.history import load_history
from whatif.backtest import Z50, Z90, forecasts, score, split_creators
from whatif.ingest import SIGMA_PRIOR_DOF

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "exports"
METRICS = {"videos", "coverage_90", "coverage_50", "median_ratio", "by_tier"}
TIER_METRICS = {"videos", "coverage_90", "coverage_50", "median_ratio"}


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("REACHMIX_STATE_DIR", str(tmp_path / "state"))


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def in_targets(m: dict) -> list[str]:
    """Issue 9's targets, overall and for every tier with >= 100 test videos; the misses, named."""
    misses = []
    for name, s in [("all", m), *m["by_tier"].items()]:
        if name != "all" and s["videos"] < 100:
            continue
        for key, lo, hi in (("coverage_90", 0.85, 0.95), ("coverage_50", 0.40, 0.60), ("median_ratio", 0.8, 1.25)):
            if not lo <= s[key] <= hi:
                misses.append(f"{name} {key} {s[key]:.3f}")
    return misses


@pytest.mark.slow
def test_known_parameters_land_in_the_target_ranges(tmp_path):
    """8,000 creators with 2-3 videos each (the issue's real-data parameters, simulate/exports.py):
    enough creators per tier that the test side's own creator effects do not decide the median ratio."""
    records = generate_videos(ExportTruth(), creators=8000, videos_per_creator=(2, 3), recrawl_share=0.35, seed=1)
    path = tmp_path / "videos.jsonl"
    write_api_jsonl(path, records, seed=1)
    code, stdout, stderr = run("backtest", path, "--train-share", "0.7", "--seed", "1", "--format", "json")
    assert code == 0, stderr
    result = json.loads(stdout)
    for method in ("history", "followers"):
        assert in_targets(result[method]) == [], method
        assert sum(1 for s in result[method]["by_tier"].values() if s["videos"] >= 100) == 5  # every tier is checked


def test_contract_keys_and_counts(tmp_path):
    plot = tmp_path / "pit.png"
    code, stdout, stderr = run("backtest", DATA / "research_api.jsonl", "--seed", "3", "--format", "json",
                               "--plot", plot)
    assert code == 0, stderr
    result = json.loads(stdout)
    frame, _ = load_history([DATA / "research_api.jsonl"])
    train = split_creators(frame.creators, 0.7, 3)
    test = frame.take(~train[frame.creator])
    # Independent count: test videos, and those whose creator has no other video (history skips them).
    per_creator = {}
    for c, v in set(zip(test.creator.tolist(), test.video.tolist())):
        per_creator[c] = per_creator.get(c, 0) + 1
    alone = sum(1 for n in per_creator.values() if n == 1)
    for method in ("history", "followers"):
        m = result[method]
        assert METRICS <= set(m) and all(TIER_METRICS <= set(s) for s in m["by_tier"].values())
        assert sum(s["videos"] for s in m["by_tier"].values()) == m["videos"]
        assert 0 <= m["coverage_50"] <= m["coverage_90"] <= 1 and m["median_ratio"] > 0
    assert result["followers"]["videos"] == test.videos
    assert result["history"]["videos"] == test.videos - alone and result["history"]["skipped"] == alone
    assert result["test"]["creators"] == test.creators and result["train"]["creators"] == int(train.sum())
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = json.loads(run("backtest", DATA / "research_api.jsonl", "--seed", "3", "--format", "json")[1])
    other = json.loads(run("backtest", DATA / "research_api.jsonl", "--seed", "4", "--format", "json")[1])
    assert again["history"] == result["history"] and other["test"] != result["test"]


def test_table_output_and_foreign_headers(tmp_path):
    code, stdout, stderr = run("backtest", DATA / "scraper_dmy.csv", "--map", "handle=user_name",
                               "--map", "video_id=vid_id", "--map", "posted_at=vid_time", "--map", "views=vid_nview",
                               "--map", "followers=user_nfollower", "--timezone", "posted_at=Europe/Istanbul")
    assert code == 0, stderr
    assert stdout.splitlines()[1].split() == ["method", "tier", "videos", "creators", "coverage_90", "coverage_50",
                                              "median_ratio"]
    assert "Ideal: coverage_90 90%, coverage_50 50%, median_ratio 1." in stdout


def test_creators_per_tier_and_small_sample_warning():
    """Each score counts its distinct test creators; a method scored on < 30 videos or < 10 creators is warned."""
    code, stdout, stderr = run("backtest", DATA / "research_api.jsonl", "--seed", "3", "--format", "json")
    assert code == 0, stderr
    result = json.loads(stdout)
    frame, _ = load_history([DATA / "research_api.jsonl"])
    train = split_creators(frame.creators, 0.7, 3)
    test = frame.take(~train[frame.creator])
    f = forecasts(test, type("Cal", (), {"curve": {}, "view_dispersion": {}, "view_model": None,
                                         "views_per_follower": {}})())
    for method in ("history", "followers"):
        m = result[method]
        ok = f[method]["usable"]
        assert m["creators"] == np.unique(f["creator"][ok]).size  # independent: distinct creators scored
        for tier, s in m["by_tier"].items():
            sel = ok & (f["tier"] == ["nano", "micro", "mid", "macro", "mega"].index(tier))
            assert s["creators"] == np.unique(f["creator"][sel]).size
        small = m["videos"] < 30 or m["creators"] < 10
        warned = [w for w in result["warnings"] if w.startswith(f"backtest: the {method} forecast was scored on ")]
        assert len(warned) == small
        if small:
            assert warned[0] == (f"backtest: the {method} forecast was scored on {m['videos']:,} test video(s) of "
                                 f"{m['creators']:,} creator(s) (fewer than 30 videos or 10 creators): its coverage "
                                 "is too noisy to judge; give more creators or a smaller --train-share")
            assert warned[0] in stderr  # the CLI prints the result's warnings on stderr
    assert any(m["videos"] < 30 or m["creators"] < 10 for m in (result["history"], result["followers"]))


def test_score_of_a_calibrated_log_normal():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(8, 2, 200_000), rng.uniform(0.5, 2, 200_000)
    real = np.exp(mu + sigma * rng.standard_normal(mu.size))
    s = score(real, mu, sigma)
    assert s["coverage_90"] == pytest.approx(0.90, abs=0.003) and s["coverage_50"] == pytest.approx(0.50, abs=0.004)
    assert s["median_ratio"] == pytest.approx(1.0, abs=0.01)
    assert np.histogram(s["pit"], bins=10, range=(0, 1))[0] == pytest.approx(np.full(10, 20_000), rel=0.03)
    too_narrow = score(real, mu, sigma / 2)
    assert too_narrow["coverage_90"] < 0.65 and Z90 > Z50


def test_history_forecast_leaves_the_video_out_by_hand():
    """Three videos older than the 90-day horizon (A = 1): each is forecast from the other two."""
    text = ("handle,followers,posted_at,observed_at,views\n"
            "@a,5000,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,100\n"
            "@a,5000,2024-01-02T00:00:00Z,2024-06-01T00:00:00Z,1000\n"
            "@a,5000,2024-01-03T00:00:00Z,2024-06-01T00:00:00Z,10000\n")
    frame, _ = load_history(["h.csv"], texts={"h.csv": text})

    class Fit:  # a calibration with a known within-creator sigma and the default curve
        curve = {"day1_share": 0.3, "shape": 1.3, "days": 90.0}
        view_dispersion = {"all": 1.2, "by_tier": {"nano": 1.2}}
        views_per_follower = {"all": {"mu": math.log(0.5), "sigma": 1.5}}
        view_model = None  # no follower model fitted: the per-tier views-per-follower fallback

    f = forecasts(frame, Fit())
    logs = np.log([100.0, 1000.0, 10000.0])
    for k in range(3):
        others = np.delete(logs, k)
        s2 = (SIGMA_PRIOR_DOF * 1.2**2 + 1 * others.var(ddof=1)) / (SIGMA_PRIOR_DOF + 1)
        assert f["history"]["mu"][k] == pytest.approx(others.mean())
        assert f["history"]["sigma"][k] == pytest.approx(math.sqrt(s2) * math.sqrt(1 + 1 / 2))
    assert f["followers"]["mu"] == pytest.approx(np.full(3, math.log(5000 * 0.5)))


def test_errors(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("handle,followers,posted_at,observed_at,views\n@a,5000,2024-01-01,2024-02-01,100\n")
    code, _, stderr = run("backtest", one)
    assert code == 2 and stderr == ("Error: the history has 1 creator(s); a backtest needs at least 2 (one to fit, "
                                    "one to test)\n")
    code, _, stderr = run("backtest", DATA / "research_api.jsonl", "--train-share", "1")
    assert code == 2 and "--train-share" in stderr
