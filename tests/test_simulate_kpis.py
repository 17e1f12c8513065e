"""KPI probabilities, roll-ups and the contract's JSON shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulate import simulate
from simulate.metrics import REPORTED
from simulate_helpers import make_scenario, plan

CONTRACT_METRICS = ("views", "target_reach", "likes", "comments", "shares", "engagements", "followers_gained", "spend")


def _run(kpis, days=40, runs=500, **sim):
    sc = make_scenario(simulation={"days": days, **sim}, kpis=kpis)
    return simulate(sc, plan(40), runs=runs, seed=1)


def test_probabilities_at_the_extremes_and_priority_order():
    finals = _run([]).finals["views"]
    res = _run([
        {"metric": "views", "target": float(finals.max()) * 10, "by_day": 39, "priority": 3},
        {"metric": "views", "target": 1.0, "by_day": 39, "priority": 1},
        {"metric": "engagement_rate", "target": 0.9, "by_day": 39, "priority": 2},
        {"metric": "views", "target": float(np.median(finals)), "by_day": 39, "priority": 4},
    ])
    probs = [(k["priority"], k["probability"]) for k in res.kpi_targets]
    assert [p for p, _ in probs] == [1, 2, 3, 4]
    assert probs[0][1] == 1.0  # below any possible outcome
    assert probs[1][1] == 0.0  # an engagement rate no creator has
    assert probs[2][1] == 0.0  # above any possible outcome
    assert probs[3][1] == pytest.approx(0.5, abs=0.01)  # the median is met half the time


def test_probability_matches_the_per_run_values():
    probe = _run([])
    target = float(np.quantile(probe.finals["target_reach"], 0.3))
    res = _run([{"metric": "target_reach", "target": target, "by_day": 39}])
    expected = float((probe.finals["target_reach"] >= np.float32(target)).mean())
    assert res.kpi_targets[0]["probability"] == pytest.approx(expected, abs=1.5 / 500)


def test_window_and_day_matter():
    # Posts on days 0, 7, 14: the week ending day 27 sees far fewer new views than the campaign so far.
    kpi = {"metric": "views", "by_day": 27}
    probe = _run([])
    target = float(np.median(probe.series["views"]["p50"][27:28])) * 0.5
    res = _run([dict(kpi, target=target, window="campaign"), dict(kpi, target=target, window="weekly", priority=2),
                dict(kpi, target=target, by_day=0, priority=3)])
    campaign, weekly, day0 = (k["probability"] for k in res.kpi_targets)
    assert campaign > 0.9 and weekly < campaign and day0 < campaign


def test_by_day_after_the_horizon_is_noted():
    res = _run([{"metric": "views", "target": 1.0, "by_day": 400}], days=20)
    assert "note" in res.kpi_targets[0] and any("by_day 400" in n for n in res.notes)


def test_contract_json_shape():
    res = _run([{"metric": "followers_gained", "target": 10, "by_day": 30}], days=45)
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert {"scenario", "runs", "days", "seed", "series", "totals", "kpi_targets"} <= set(doc)
    assert set(CONTRACT_METRICS) <= set(doc["series"]) and set(REPORTED) == set(doc["totals"])
    for metric in REPORTED:
        s = doc["series"][metric]
        assert set(s) == {"mean", "p5", "p50", "p95"} and all(len(v) == 45 for v in s.values())
        t = doc["totals"][metric]
        assert t == {k: v[-1] for k, v in s.items()}
        if t["p5"] is not None:
            assert t["p5"] <= t["p50"] <= t["p95"]
    for metric in CONTRACT_METRICS:  # cumulative series never decrease (followers can, with churn)
        if metric != "followers_gained":
            assert np.all(np.diff(doc["series"][metric]["mean"]) >= -1e-9 * max(doc["series"][metric]["mean"]))
    k = doc["kpi_targets"][0]
    assert {"metric", "target", "by_day", "priority", "probability"} <= set(k)
    assert [r["metric"] for r in res.summary_rows()] == list(REPORTED)


def test_rollups_add_up():
    res = _run([], days=45)
    weekly, monthly = res.rollups["weekly"], res.rollups["monthly"]
    assert [(w["start_day"], w["end_day"]) for w in weekly][-1] == (42, 44) and len(weekly) == 7
    assert [(m["start_day"], m["end_day"]) for m in monthly] == [(0, 29), (30, 44)]
    for metric in ("views", "spend", "engagements", "target_reach"):
        total = res.totals[metric]["mean"]
        assert sum(w[metric]["mean"] for w in weekly) == pytest.approx(total, rel=1e-6)
        assert sum(m[metric]["mean"] for m in monthly) == pytest.approx(total, rel=1e-6)
