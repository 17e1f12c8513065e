"""The smallest budget for a KPI probability (issue 11, ``optimize --target-probability``): against
brute force when there is no noise (the probability is 0 or 1, so the answer is deterministic), the
bracket's invariants with noise, the error when no budget reaches the probability, and the command."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

import cli
import optimizer
from scenarios import InfeasibleError, ScenarioError
from simulate.kpi_draws import kpi_draws
from simulate_helpers import quiet
from test_kpi_optimizer import _small, _target
from whatif.kpi_budget import budget_range, min_budget_for_probability
from whatif.kpi_plan import kpi_plan

FAST = {"draws": 20, "check_runs": 300, "time_limit": 10}


def _every_plan(sc):
    """(cost, views by ``day``) of every plan within the posts caps, without noise (one draw)."""
    unlimited = optimizer.Problem.build(dataclasses.replace(sc, budget=1e12))
    full = unlimited.cap.copy()
    (d,) = kpi_draws(sc, full, list(sc.kpis), draws=1, seed=0)
    rows = np.flatnonzero(full)
    start = np.cumsum(full[rows]) - full[rows]
    out = []
    for counts in itertools.product(*[range(int(c) + 1) for c in full[rows]]):
        posts = np.zeros(unlimited.n, dtype=np.int64)
        posts[rows] = counts
        # A creator's first k posts are its first k columns (the earliest days).
        views = sum(float(d.gains[0, s:s + k].sum()) for s, k in zip(start, counts))
        out.append((float(unlimited.cost(posts).sum()), views))
    return out


def test_without_noise_the_minimum_budget_matches_brute_force():
    noise_off = quiet({"days": 30, "view_dispersion_followers": 0.0})
    sc = _small(kpis=[{"metric": "views", "target": 1.0, "by_day": 14}], simulation=noise_off)
    plans = _every_plan(sc)
    values = np.unique([v for _, v in plans])
    k = len(values) // 2
    target = 0.5 * (values[k - 1] + values[k])  # halfway between two plans' views: no float ties
    cheapest = min(c for c, v in plans if v >= target)
    sc = dataclasses.replace(sc, kpis=(dataclasses.replace(sc.kpis[0], target=float(target)),))
    found = min_budget_for_probability(sc, 0.5, **FAST)
    low, high = found.bracket
    assert low is not None and low < cheapest <= high and high - low <= 0.02 * high
    assert found.budget == high and found.kpi["probability"] == 1.0
    # Every budget tried is a clean yes/no, and it is yes exactly when the cheapest plan is affordable.
    for e in found.evaluations:
        assert e["probability"] in (0.0, 1.0)
        assert e["meets"] == (e["budget"] >= cheapest), e
    spent = {e["budget"]: e["spent"] for e in found.evaluations}[high]
    assert cheapest <= spent <= high * (1 + 1e-9)
    assert found.verdict == "confident"


def test_with_noise_the_bracket_separates_a_miss_from_a_meet():
    base = _small(n=8, kpis=[{"metric": "views", "target": 1.0, "by_day": 14}])
    sc = dataclasses.replace(base, kpis=(dataclasses.replace(base.kpis[0], target=_target(base, "views", 14, 0.5)),))
    found = min_budget_for_probability(sc, 0.7, **FAST)
    low, high = found.bracket
    at = {e["budget"]: e for e in found.evaluations}
    assert low is not None and low < high and high - low <= 0.02 * high
    assert at[high]["probability"] >= 0.7 and at[low]["probability"] < 0.7
    assert found.kpi["probability"] == at[high]["probability"]
    # Every budget that met lies at or above the answer, every miss at or below the budget that missed.
    assert all(e["budget"] >= high for e in found.evaluations if e["meets"])
    assert all(e["budget"] <= low for e in found.evaluations if not e["meets"])
    for e in found.evaluations:
        assert e["probability_low"] <= e["probability"] <= e["probability_high"]
    assert found.verdict in ("confident", "estimate")
    assert found.note.startswith(f"Statistical, not a proof: at {high:,.0f} USD the KPI plan meets KPI views >= ")
    # The same seed for every budget: the plan at the answer is the one kpi_plan gives there.
    again = kpi_plan(dataclasses.replace(sc, budget=high), draws=20, check_runs=300, time_limit=10)
    assert again.kpis[0]["probability"] == found.kpi["probability"]


def test_a_probability_no_budget_reaches_is_explained():
    base = _small(kpis=[{"metric": "views", "target": 1.0, "by_day": 14}])
    # A target that buying every post meets in about half of the draws: 95% is out of reach.
    problem = optimizer.Problem.build(dataclasses.replace(base, budget=1e12))
    (d,) = kpi_draws(base, problem.cap, list(base.kpis), draws=200, seed=1)
    target = float(np.quantile(d.gains.sum(axis=1), 0.5))
    sc = dataclasses.replace(base, kpis=(dataclasses.replace(base.kpis[0], target=target),))
    ceiling = budget_range(sc)[1]
    with pytest.raises(InfeasibleError) as info:
        min_budget_for_probability(sc, 0.95, **FAST)
    message = str(info.value)
    pattern = (rf"sim-test: target probability 95% for KPI views >= {target:,.0f} by day 14 \(priority 1\) is not met "
               rf"with any budget tried up to {ceiling:,.0f} USD \(every eligible creator at its post cap\): the best "
               r"out-of-sample probability is (\d+\.\d)% \(95% interval (\d+\.\d)%-(\d+\.\d)%\) at a budget of "
               r"([\d,]+); lower the target probability or the KPI target, or move its day later")
    match = re.fullmatch(pattern, message)
    assert match, message
    best = kpi_plan(dataclasses.replace(sc, budget=float(match[4].replace(",", ""))), draws=20, check_runs=300,
                    time_limit=10).kpis[0]
    assert match[1] == f"{100 * best['probability']:.1f}"


def test_the_target_probability_must_lie_strictly_between_0_and_1():
    sc = _small(kpis=[{"metric": "views", "target": 1000.0, "by_day": 14}])
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ScenarioError, match=rf"^target probability {bad!r} must lie strictly between 0 and 1 "
                                                r"\(e\.g\. 0\.9 for 90%\)$"):
            min_budget_for_probability(sc, bad)


def _example(tmp_path, kpis=1):
    """A generated 15-creator scenario with its first ``kpis`` KPI(s) only (one KPI keeps each solve short)."""
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 15, 5)
    head, *blocks = re.split(r"(?=^\[\[kpi\]\])", path.read_text(), flags=re.M)
    path.write_text(head + "".join(blocks[:kpis]))
    return path


@pytest.mark.slow
def test_optimize_target_probability_through_the_command(tmp_path, monkeypatch):
    import whatif.kpi_budget as kpi_budget
    from whatif.kpi_budget import budget_tables

    # Fewer check runs and a coarser bracket keep the command test to a few solves.
    monkeypatch.setattr(kpi_budget, "DEFAULT_CHECK_RUNS", 300)
    monkeypatch.setattr(kpi_budget, "DEFAULT_TOLERANCE", 0.1)
    path = _example(tmp_path)
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--target-probability", "0.6", "--kpi-draws", "20",
                                        "--time-limit", "5", "--for-kpis", "--format", "json", "-o", str(out)])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    assert doc["strategy"] == "kpi" and doc["target_probability"] == 0.6
    low, high = doc["budget_bracket"]
    assert doc["min_budget"] == high == doc["budget"] and low < high and high - low <= 0.1 * high
    at = {e["budget"]: e for e in doc["evaluations"]}
    assert doc["kpis"][0]["probability"] == at[high]["probability"] >= 0.6 > at[low]["probability"]
    assert doc["min_budget_verdict"] in ("confident", "estimate")
    assert set(at[high]) >= {"budget", "probability", "probability_low", "probability_high", "in_sample", "meets"}
    (table,) = budget_tables(doc)
    assert table.title.startswith(f"Smallest budget with P(priority-1 KPI) >= 60%: {high:,.0f} (missed at {low:,.0f}")


@pytest.mark.parametrize("args,message", [
    (["--target-probability", "0.9", "--target-reach", "1000"],
     "--target-probability and --target-reach ask different questions; give one of them"),
    (["--target-probability", "1"], "Invalid value for '--target-probability'"),
    (["--target-probability", "0"], "Invalid value for '--target-probability'"),
])
def test_target_probability_usage_errors(tmp_path, args, message):
    run = CliRunner().invoke(cli.main, ["optimize", str(_example(tmp_path)), *args])
    assert run.exit_code == 2
    assert message in run.output
