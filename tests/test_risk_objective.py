"""Risk-aware objectives (issue 11): ``[objective] risk = { measure = "quantile" | "cvar", level }``.

The sample-average MILP (optimizer/risk.py) against brute force over every plan on the same draws,
its zero-noise reduction (mean, quantile and CVaR agree), the loader's located errors, and the
command end to end."""

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
from conftest import toml_with
from optimizer.kpi import Columns, KpiSample
from optimizer.risk import cvar_of, quantile_of, risk_value, solve_risk
from scenarios import ReachmixError, ScenarioError, load_scenario
from simulate.kpi_draws import metric_draws
from simulate_helpers import make_pool, make_scenario, quiet

DRAWS = 30
LEVEL = 0.1  # LEVEL x DRAWS = 3 worst draws: a whole number, so CVaR is a plain mean


def _small(simulation=None, spread=True):
    """6 creators of comparable size and cost, caps 2, a third of the pool's cost as the budget;
    with ``spread``: every other creator is a gamble (own log-views sigma 1.5, the others 0.3),
    so the mean-best plan is not the risk-best one."""
    rng = np.random.default_rng(4)
    views = np.round(rng.uniform(50_000, 150_000, 6))
    pool = dataclasses.replace(make_pool(6, seed=4), max_posts=np.full(6, 2), followers=views * 4, avg_views=views,
                               price=np.round(views * rng.uniform(0.008, 0.012, 6)))
    if spread:
        pool = dataclasses.replace(pool, views_sigma=np.array([1.5, 0.3] * 3), videos=np.full(6, 30))
    sc = make_scenario(pool, simulation=simulation or {"days": 30})
    return dataclasses.replace(sc, budget=float((pool.price * 2).sum()) / 3)


def _setup(sc, metric, day, seed=3):
    problem = optimizer.Problem.build(sc)
    rows = np.flatnonzero(problem.cap > 0)
    caps = problem.cap[rows]
    full = np.zeros(problem.n, dtype=np.int64)
    full[rows] = caps
    d = metric_draws(sc, full, metric, day, draws=DRAWS, seed=seed)
    return problem, Columns(rows, caps), KpiSample(metric, 1.0, gains=d.gains, loads=d.loads, population=d.population)


def _plans(problem, cols):
    """Every plan within the caps and the budget, as column vectors."""
    for counts in itertools.product(*[range(int(c) + 1) for c in cols.caps]):
        posts = np.zeros(problem.n, dtype=np.int64)
        posts[cols.rows] = counts
        if problem.cost(posts).sum() <= problem.budget * (1 + 1e-9):
            yield cols.of_posts(posts)


def _exact_cvar(values, level):
    """The mean of the worst ceil(level M) values (level M whole in these tests)."""
    v = np.sort(values)
    return float(v[: int(np.ceil(level * v.size - 1e-9))].mean())


def test_cvar_and_quantile_of_draws():
    v = np.arange(1.0, 31.0)  # 1..30
    assert quantile_of(v, 0.1) == 4.0  # all but floor(3) draws reach 4
    assert cvar_of(v, 0.1) == pytest.approx(2.0)  # mean of 1, 2, 3
    # Fractional alpha M: 2.5 worst draws = 1 + 2 at full weight, 3 at half.
    assert cvar_of(v, 2.5 / 30) == pytest.approx((1 + 2 + 0.5 * 3) / 2.5)


@pytest.mark.parametrize("measure", ["cvar", "quantile"])
@pytest.mark.parametrize("metric,day", [("engagements", 20), ("target_impressions", 15),
                                        pytest.param("target_reach", 25, marks=pytest.mark.slow)])
def test_the_saa_optimum_equals_brute_force_on_the_same_draws(metric, day, measure):
    problem, cols, sample = _setup(_small(), metric, day)
    exact = _exact_cvar if measure == "cvar" else quantile_of
    values = {tuple(y): exact(sample.values(y), LEVEL) for y in _plans(problem, cols)}
    best = max(values.values())
    solution = solve_risk(problem, cols, sample, measure, LEVEL)
    assert solution.status == "Optimal"
    assert solution.value == pytest.approx(best, rel=1e-6)
    assert solution.value == pytest.approx(risk_value(sample.values(solution.y), measure, LEVEL))
    assert solution.bound >= best * (1 - 1e-6)
    # A real trade-off: the mean-best plan is not the risk-best plan on these draws.
    mean_best = max(values, key=lambda y: sample.values(np.array(y)).mean())
    assert values[mean_best] < best * (1 - 1e-3)


def test_with_zero_noise_mean_quantile_and_cvar_agree():
    sc = _small(simulation=quiet({"days": 30, "view_dispersion_followers": 0.0}), spread=False)
    problem, cols, sample = _setup(sc, "target_reach", 25)
    assert np.ptp(sample.loads, axis=0).max() == 0  # identical draws
    mean_best = max(float(sample.values(y).mean()) for y in _plans(problem, cols))
    for measure in ("cvar", "quantile"):
        solution = solve_risk(problem, cols, sample, measure, LEVEL)
        assert solution.value == pytest.approx(mean_best, rel=1e-6)
        assert float(sample.values(solution.y).mean()) == pytest.approx(mean_best, rel=1e-6)


def test_the_warm_start_is_never_lost():
    """A plan given to start from is kept when the solver (here: no time to cut) finds nothing better."""
    problem, cols, sample = _setup(_small(), "engagements", 20)
    best = max(_plans(problem, cols), key=lambda y: cvar_of(sample.values(y), LEVEL))
    posts = cols.posts(best, problem.n)
    solution = solve_risk(problem, cols, sample, "cvar", LEVEL, warm=posts)
    assert solution.value == pytest.approx(cvar_of(sample.values(best), LEVEL), rel=1e-6)


# --- the scenario key ---------------------------------------------------------------------------


def _raises(write_scenario, extra: str, expected: str):
    path = write_scenario(toml=toml_with(extra))
    with pytest.raises(ScenarioError, match="^" + re.escape(f"{path}: {expected}") + "$") as info:
        load_scenario(path)
    assert isinstance(info.value, ReachmixError) and info.value.exit_code == 2


def test_risk_is_read_with_defaults(write_scenario):
    sc = load_scenario(write_scenario(toml=toml_with('[objective]\nrisk = { measure = "cvar" }')))
    assert (sc.objective.risk_measure, sc.objective.risk_level, sc.objective.risk_day) == ("cvar", 0.1, None)
    assert sc.objective.name == "target_reach"
    plain = load_scenario(write_scenario(toml=toml_with("")))
    assert (plain.objective.risk_measure, plain.objective.risk_level, plain.objective.risk_day) == (None, 0.1, None)
    full = load_scenario(write_scenario(toml=toml_with(
        '[simulation]\ndays = 30\n[objective]\nmaximize = "engagements"\nrisk = { measure = "quantile", level = 0.2, '
        'day = 20 }')))
    assert (full.objective.risk_measure, full.objective.risk_level, full.objective.risk_day) == ("quantile", 0.2, 20)


@pytest.mark.parametrize("extra,expected", [
    ('[objective]\nrisk = { measure = "cvar", level = 1.5 }',
     "objective.risk.level = 1.5 must be in (0, 1); 0.1 means the worst 10% of runs"),
    ('[objective]\nrisk = { measure = "cvar", level = 0 }',
     "objective.risk.level = 0 must be in (0, 1); 0.1 means the worst 10% of runs"),
    ('[objective]\nrisk = { measure = "var" }',
     'objective.risk.measure "var" is not one of quantile, cvar (did you mean "cvar"?)'),
    ('[objective]\nrisk = { level = 0.1 }', "objective.risk.measure is required"),
    ('[objective]\nrisk = { measure = "cvar", alpha = 0.1 }',
     "objective.risk.alpha is not a known key; remove or correct it"),
    ('[objective]\nrisk = "cvar"', "objective.risk must be a table, e.g. [objective.risk]"),
    ('[simulation]\ndays = 30\n[objective]\nrisk = { measure = "cvar", day = 30 }',
     "objective.risk.day = 30 is after the last simulated day 29; lower it or raise [simulation] days"),
    ('[objective]\nrisk = { measure = "cvar", day = 2.5 }', "objective.risk.day must be a whole number, not 2.5"),
    ('[objective]\nmaximize = "kpi"\nrisk = { measure = "cvar" }\n[[kpi]]\nmetric = "views"\ntarget = 1\nby_day = 5',
     'objective.risk does not apply to maximize = "kpi" (that objective already plans for the probability of '
     "meeting the [[kpi]] targets); remove one of them"),
    ('[objective]\nweights = { target_reach = 1, engagements = 0.5 }\nrisk = { measure = "cvar" }',
     'objective.risk needs one objective metric (maximize = "target_reach", "target_impressions" or "engagements"); '
     "a weighted objective is not supported with risk"),
])
def test_risk_errors_are_located(write_scenario, extra, expected):
    _raises(write_scenario, extra, expected)


# --- the command --------------------------------------------------------------------------------


@pytest.mark.slow
def test_optimize_with_a_risk_objective_through_the_command(tmp_path):
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 5)
    text = path.read_text()
    assert 'maximize = "target_reach"' in text
    path.write_text(text.replace('maximize = "target_reach"',
                                 'maximize = "target_reach"\nrisk = { measure = "cvar", level = 0.1 }'))
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--time-limit", "20", "--format", "json",
                                        "-o", str(out)])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    risk = doc["risk"]
    assert doc["strategy"] == "risk-cvar" and doc["schedule"]
    assert (risk["measure"], risk["level"], risk["metric"]) == ("cvar", 0.1, "target_reach")
    sc = load_scenario(path)
    assert risk["day"] == sc.simulation.days - 1
    for side in ("out_of_sample", "reach_plan"):
        assert set(risk[side]) == {"mean", "quantile", "cvar"}
        assert risk[side]["cvar"] <= risk[side]["quantile"] <= risk[side]["mean"] * 1.5
    assert risk["in_sample"] >= risk["reach_plan_in_sample"] - 1e-6  # never worse in-sample than the start
    assert risk["in_sample"] <= risk["in_sample_bound"] * (1 + 1e-9)
    text_run = CliRunner().invoke(cli.main, ["optimize", str(path), "--time-limit", "20"])
    assert text_run.exit_code == 0, text_run.output
    assert "target_reach by day" in text_run.output and "CVaR 10%" in text_run.output


def test_compare_with_simulation_shows_mean_and_p10_of_target_reach(tmp_path):
    from scenarios.generate import write_example
    from whatif.compare import compare, comparison_table

    path, _ = write_example(tmp_path, 30, 5)
    rows = compare([path], ["milp", "greedy"], simulate=True)
    for row in rows:
        assert row["sim_target_reach_p5"] <= row["sim_target_reach_p10"] <= row["sim_target_reach_p50"]
        assert row["sim_target_reach_mean"] > 0
    assert {"sim_target_reach_mean", "sim_target_reach_p10"} <= set(comparison_table(rows).columns)


def test_kpi_draws_sets_the_risk_samples_size(tmp_path, monkeypatch):
    """``--kpi-draws`` is the sample size M of every sample-average objective, the risk one too."""
    from scenarios.generate import write_example
    from whatif import risk_plan as module

    seen = {}
    real = module.risk_plan

    def spy(scenario, **kwargs):
        seen["draws"] = kwargs.get("draws")
        return real(scenario, **{**kwargs, "check_runs": 100})

    monkeypatch.setattr(module, "risk_plan", spy)
    path, _ = write_example(tmp_path, 20, 5)
    path.write_text(path.read_text().replace('maximize = "target_reach"',
                                             'maximize = "target_reach"\nrisk = { measure = "cvar", level = 0.1 }'))
    run = CliRunner().invoke(cli.main, ["optimize", str(path), "--kpi-draws", "20", "--time-limit", "5",
                                        "--format", "json"])
    assert run.exit_code == 0, run.output
    assert seen["draws"] == 20 and json.loads(run.stdout)["risk"]["draws"] == 20
