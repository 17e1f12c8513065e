"""Plausibility warnings (whatif/plausibility.py): each fires on a crafted pool or plan with its
exact text, stays silent on the bundled Istanbul example, reaches the JSON (`warnings`), stderr
(`Warning: ...`) and the report's box; and the two CPMs are named everywhere.

The crafted pools are small and made by hand in this file: a pool of ordinary creators (views
per follower 0.25-0.47, price per 1,000 views 9-14.5 USD, as rate guides quote) plus the odd
rows each test needs. Figures that the warnings state are recomputed here independently from
the reach model's formula (contract section 4), not taken from the code under test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import ReachModel, load_scenario, plan_from_json
from whatif import jobs, plausibility
from whatif.plausibility import plan_curve, plan_warnings, pool_outliers, scale_warnings
from whatif.report import render_report
from whatif.results import plan_result

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"


def write_scenario(folder: Path, rows, *, size=10_000_000, budget=20_000, currency="USD", extra="",
                   name="crafted") -> Path:
    """A scenario without demographic targeting (one audience cell) over ``rows``:
    (handle, followers, avg_views, price[, max_posts])."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["handle,followers,avg_views,price,engagement_rate,max_posts"]
    for row in rows:
        handle, followers, views, price, *rest = row
        lines.append(f"{handle},{followers},{views},{price},0.05,{rest[0] if rest else ''}")
    (folder / "creators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = folder / "scenario.toml"
    path.write_text(f'name = "{name}"\ncurrency = "{currency}"\n[pool]\nfile = "creators.csv"\n'
                    f"[budget]\ntotal = {budget}\n[audience]\nsize = {size}\n{extra}", encoding="utf-8")
    return path


def ordinary(n=12):
    """Creators a real pool could hold: views per follower 0.25-0.47, 9-14.5 USD per 1,000 views."""
    rows = []
    for k in range(n):
        followers = 10_000 * (k + 1)
        views = int(followers * (0.25 + 0.02 * k))
        rows.append((f"@c{k:02d}", followers, views, round(views / 1000 * (9 + 0.5 * k), 2)))
    return rows


def plan_file(folder: Path, posts: dict) -> Path:
    path = folder / "plan.json"
    path.write_text(json.dumps({"selection": [{"handle": h, "posts": n} for h, n in posts.items()]}))
    return path


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------------------------
# Pool outliers

ODD = [("@viral.views", 20_000, 6_000_000, 600.0), ("@cheap.price", 50_000, 14_000, 0.5)]

VIEWS_WARNING = (
    "views per follower far outside the pool's range for 1 creator (pool median 0.3599, middle half "
    "0.2949-0.4249): @viral.views 300 (834x the pool median); check their avg_views and followers (views in "
    "another unit, cumulative views of every video instead of one post's, or another account's followers?)")
CPM_WARNING = (
    "cpm_views (price per 1,000 views) far outside the pool's range for 2 creators (pool median 11.25 USD, "
    "middle half 9.62-12.87 USD): @cheap.price 0.03571 USD (1/315 of the pool median); @viral.views 0.1 USD "
    "(1/112 of the pool median); check their price (per post, in the scenario's currency) and avg_views")


def test_outliers_are_named_with_their_figures(tmp_path):
    sc = load_scenario(write_scenario(tmp_path, ordinary() + ODD))
    assert pool_outliers(sc) == [VIEWS_WARNING, CPM_WARNING]
    # The figures, independently: 6,000,000 / 20,000 = 300 views per follower; the pool's median
    # of views per follower over its 14 creators; 1000 x 0.5 / 14,000 = 0.0357 per 1,000 views.
    per_follower = sorted([v / f for _, f, v, _ in ordinary() + ODD])
    assert (per_follower[6] * per_follower[7]) ** 0.5 == pytest.approx(0.3599, abs=5e-5)  # median of logs
    assert 300 / ((per_follower[6] * per_follower[7]) ** 0.5) == pytest.approx(834, abs=0.5)


def test_plans_name_only_hired_outliers_against_the_whole_pool(tmp_path):
    sc = load_scenario(write_scenario(tmp_path, ordinary() + ODD))
    hired = [sc.pool.handles.index("@cheap.price"), 0]
    warnings = pool_outliers(sc, hired)
    assert warnings == [CPM_WARNING.replace("for 2 creators", "for 1 hired creator")
                        .replace("; @viral.views 0.1 USD (1/112 of the pool median)", "")]


def test_at_most_five_handles_then_a_count(tmp_path):
    odd = [(f"@odd{k}", 10_000, 10_000_000 + k, 20_000.0 + 10 * k) for k in range(7)]
    sc = load_scenario(write_scenario(tmp_path, ordinary(24) + odd))
    views = pool_outliers(sc)[0]
    assert views.startswith("views per follower far outside the pool's range for 7 creators")
    assert views.count("@odd") == 5 and ", and 2 more; check their avg_views" in views
    assert "@odd6 1,000 (" in views  # the farthest first


def test_wide_real_pools_and_tight_rate_cards_are_quiet(tmp_path):
    # Views per follower spread over two orders of magnitude (nano to mega): no single far-out value.
    wide = [(f"@w{k}", 1000 * 2 ** k, int(1000 * 2 ** k * 3.0 * 0.7 ** k), 50.0 + 10 * k) for k in range(14)]
    assert pool_outliers(load_scenario(write_scenario(tmp_path / "wide", wide))) == []
    # A rate card: every CPM within a few per cent, one at twice the rest: far beyond 3 IQR, but not 10x.
    card = [(f"@r{k}", 10_000, 3000, 30.0 + 0.1 * k) for k in range(12)] + [("@dear", 10_000, 3000, 60.0)]
    assert pool_outliers(load_scenario(write_scenario(tmp_path / "card", card))) == []


def test_too_small_a_pool_is_not_judged(tmp_path):
    sc = load_scenario(write_scenario(tmp_path, ordinary(5) + ODD[:1]))
    assert sc.pool.size < plausibility.MIN_POOL and pool_outliers(sc) == []


# --------------------------------------------------------------------------------------------
# Saturation, diminishing returns, a flat curve, scale

def reach(impressions, population):
    return population * (1 - math.exp(-impressions / population))


def test_target_reach_above_ninety_percent_of_the_audience(tmp_path):
    rows = [(f"@s{k}", 60_000, 30_000, 1000.0, 1) for k in range(10)]
    path = write_scenario(tmp_path, rows, size=100_000, budget=10_000)
    sc = load_scenario(path)
    plan = plan_from_json(plan_file(tmp_path, {f"@s{k}": 1 for k in range(10)}), sc.pool)
    expected = reach(300_000, 100_000)  # one cell: N (1 - exp(-I / N))
    assert expected == pytest.approx(95_021.3, abs=0.1)
    assert plan_warnings(sc, plan.posts) == [
        "the plan's target reach 95,021 is 95% of the audience size 100,000: the reach model saturates there, so "
        "more posts add almost nothing; check [audience] size (people in the target on the platform) and the "
        "pool's avg_views"]


def repeat_pool(max_posts):
    """Ten identical creators whose repeat posts add little (rho = 0.1 or 0.05 below)."""
    return [(f"@p{k}", 50_000, 20_000, 100.0, max_posts) for k in range(10)]


def test_last_tenth_of_spend_buying_little_names_the_budget_for_99_percent(tmp_path):
    path = write_scenario(tmp_path, repeat_pool(3), budget=3000, extra="[model]\nrepeat_decay = 0.1\n")
    sc = load_scenario(path)
    plan = plan_from_json(plan_file(tmp_path, {f"@p{k}": 3 for k in range(10)}), sc.pool)
    # Independently: greedy buys the ten first posts, then the second ones (0.1 each), then the
    # third (0.01). 90% of 3,000 buys 27 posts; 99% of the reach needs the first 20 (2,000).
    n, v = 10_000_000, 20_000
    full = reach(v * (10 + 1 + 0.1), n)
    at_90 = reach(v * (10 + 1 + 0.07), n)
    assert reach(v * (10 + 0.9), n) < 0.99 * full <= reach(v * (10 + 1), n)
    gain = (full - at_90) / full
    assert f"{100 * gain:.3g}" == "0.267"
    assert plan_warnings(sc, plan.posts) == [
        "the last 10% of the plan's spend buys only 0.267% more target reach; 2,000 USD buys 99% of its reach "
        f"{full:,.0f} (of 3,000 USD spent); consider the smaller budget, or check [audience] size and the "
        "pool's avg_views"]


def test_whole_budget_spent_on_a_flat_curve(tmp_path):
    path = write_scenario(tmp_path, repeat_pool(5), budget=5000, extra="[model]\nrepeat_decay = 0.05\n")
    sc = load_scenario(path)
    plan = plan_from_json(plan_file(tmp_path, {f"@p{k}": 5 for k in range(10)}), sc.pool)
    n, v = 10_000_000, 20_000
    full = reach(v * 10 * sum(0.05 ** j for j in range(5)), n)
    # 99% needs the ten first posts and nine second ones: 19 posts, 1,900 of the 5,000 budget.
    assert reach(v * (10 + 0.4), n) < 0.99 * full <= reach(v * (10 + 0.45), n)
    assert plan_warnings(sc, plan.posts) == [
        "the plan spends 5,000 USD (100% of the budget) although its budget-reach curve is flat: 1,900 USD (38% "
        f"of the budget) buys 99% of its target reach {full:,.0f}; lower the budget, or check the pool's "
        "avg_views and [audience] size (a saturated audience makes more posts worthless)"]


def test_plan_curve_is_the_reach_model_along_greedy_prefixes(tmp_path):
    sc = load_scenario(write_scenario(tmp_path, ordinary() + ODD))
    model = ReachModel.build(sc)
    posts = np.array([2, 0, 1, 3, 0, 0, 1, 0, 0, 0, 0, 2, 1, 1])
    curve = plan_curve(model, posts)
    assert curve.spend.size == posts.sum() + 1 and curve.spend[0] == 0 and curve.reach[0] == 0
    assert curve.total_spend == pytest.approx(model.evaluate(posts).cost)
    assert curve.total_reach == pytest.approx(model.evaluate(posts).target_reach, rel=1e-12)
    assert np.all(np.diff(curve.spend) > 0) and np.all(np.diff(curve.reach) >= 0)
    # Greedy: marginal reach per unit cost never rises along the prefixes (reach is concave).
    ratios = np.diff(curve.reach) / np.diff(curve.spend)
    assert np.all(np.diff(ratios) <= 1e-9 * ratios.max())


def test_views_and_audiences_beyond_the_platform(tmp_path):
    rows = ordinary() + [("@mega.error", 3_000_000, 2_500_000_000, 50_000.0)]
    sc = load_scenario(write_scenario(tmp_path, rows, size=2_000_000_000, budget=60_000))
    assert scale_warnings(sc, views=2.5e9, target_reach=None) == [
        "the audience size 2,000,000,000 is larger than TikTok's whole user base (about 1.6 billion monthly "
        "users; DataReportal, Digital 2025); check [audience] size (people in the target, not impressions)",
        "the plan's expected views 2,500,000,000 exceed TikTok's whole user base (about 1.6 billion monthly "
        "users; DataReportal, Digital 2025); check the pool's avg_views (views of one post, not cumulative views of "
        "every video) and followers"]
    simulated = {"totals": {"views": {"p50": 1.7e9}, "target_reach": {"p50": 2.1e9}}}
    assert plausibility.simulation_warnings(sc, simulated)[1:] == [
        "the simulated median views 1,700,000,000 exceed TikTok's whole user base (about 1.6 billion monthly "
        "users; DataReportal, Digital 2025); check the pool's avg_views (views of one post, not cumulative views of "
        "every video) and followers",
        "the simulated median target reach 2,100,000,000 exceeds the audience size 2,000,000,000; "
        "check [audience] size"]


# --------------------------------------------------------------------------------------------
# Silent on the bundled example

def test_the_istanbul_example_raises_no_warning():
    """Nothing is odd there: views per follower have quartiles 0.29-0.46 and every creator is
    inside the fences; the plan reaches 6.6% of the 2.4 million target; its last 10% of spend
    buys 13% more reach and 99% of the reach needs 395,000 of the 400,000 TRY (the curve is
    still climbing); 404,200 views are far below the platform."""
    sc = load_scenario(EXAMPLE)
    model = ReachModel.build(sc)
    assert pool_outliers(sc) == [] and scale_warnings(sc) == []
    result = jobs.optimize(EXAMPLE).result
    assert result["warnings"] == []
    posts = plan_from_json(result, sc.pool).posts
    curve = plan_curve(model, posts)
    assert result["target_reach"] / sc.audience.size == pytest.approx(0.0665, abs=5e-4)
    last = (curve.total_reach - curve.reach_within(0.9 * curve.total_spend)) / curve.total_reach
    assert last == pytest.approx(0.133, abs=5e-3)
    assert curve.spend_for(0.99 * curve.total_reach) == pytest.approx(395_000)


def test_istanbul_json_carries_an_empty_warnings_list_in_every_command(tmp_path):
    plan = tmp_path / "plan.json"
    code, out, err = invoke("optimize", EXAMPLE, "--strategy", "greedy", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == [] and "Warning:" not in err
    plan.write_text(out)
    for args in (["evaluate", EXAMPLE, plan], ["simulate", EXAMPLE, "--plan", plan, "--runs", "50"],
                 ["compare", EXAMPLE, "--strategy", "greedy"],
                 ["sweep", EXAMPLE, "--strategy", "greedy", "--set", "budget.total=300000,400000"]):
        code, out, err = invoke(*args, "--format", "json")
        assert code == 0, err
        assert json.loads(out)["warnings"] == [], args
        assert "Warning:" not in err


# --------------------------------------------------------------------------------------------
# JSON, stderr, the report's box

def test_optimize_json_and_stderr_carry_the_warnings(tmp_path):
    path = write_scenario(tmp_path, ordinary() + ODD)
    code, out, err = invoke("optimize", path, "--format", "json")
    assert code == 0, err
    warnings = json.loads(out)["warnings"]
    assert warnings[:2] == [VIEWS_WARNING.replace("for 1 creator", "for 1 hired creator"),
                            CPM_WARNING.replace("for 2 creators", "for 2 hired creators")]
    lines = [line for line in err.splitlines() if line.startswith("Warning: ")]
    assert lines == [f"Warning: {w}" for w in warnings]


def test_evaluate_simulate_compare_and_sweep_warn_too(tmp_path):
    rows = [(f"@s{k}", 60_000, 30_000, 1000.0, 1) for k in range(10)]
    path = write_scenario(tmp_path, rows, size=100_000, budget=10_000)
    plan = plan_file(tmp_path, {f"@s{k}": 1 for k in range(10)})
    saturated = "target reach 95,021 is 95% of the audience size 100,000"
    code, out, err = invoke("evaluate", path, plan, "--format", "json")
    assert code == 0 and any(saturated in w for w in json.loads(out)["warnings"]), err
    assert f"Warning: the plan's {saturated}" in err
    code, out, err = invoke("simulate", path, "--plan", plan, "--runs", "50", "--format", "json")
    assert code == 0, err
    assert f"the plan's {saturated}" in json.loads(out)["warnings"][0]
    code, out, err = invoke("compare", path, "--strategy", "greedy", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["warnings"] == [f"crafted / greedy: {w}" for w in doc["rows"][0]["warnings"]]
    assert any(saturated in w for w in doc["warnings"])
    code, out, err = invoke("sweep", path, "--strategy", "greedy", "--set", "budget.total=10000", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["warnings"][0].startswith(f"budget.total=10000: the plan's {saturated}")
    assert "Warning: budget.total=10000: the plan's" in err


def test_validate_names_pool_outliers(tmp_path):
    code, out, err = invoke("validate", write_scenario(tmp_path, ordinary() + ODD), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == [VIEWS_WARNING, CPM_WARNING]
    assert f"Warning: {VIEWS_WARNING}" in err.splitlines()


def test_the_report_shows_the_warnings_in_a_box_escaped(tmp_path):
    odd = [("@<b>viral</b>", 20_000, 6_000_000, 600.0)]
    sc = load_scenario(write_scenario(tmp_path, ordinary() + odd))
    import optimizer

    plan = plan_result(sc, optimizer.optimize(sc, "greedy"))
    assert any("@<b>viral</b>" in w for w in plan["warnings"])
    html = render_report(sc, plan)
    assert '<aside class="warnings" id="warnings">' in html
    assert '<a href="#warnings">Warnings</a>' in html
    assert "@&lt;b&gt;viral&lt;/b&gt; 300 (" in html and "<b>viral</b>" not in html
    quiet = load_scenario(EXAMPLE)
    assert 'class="warnings"' not in render_report(quiet, plan_result(quiet, optimizer.optimize(quiet, "greedy")))


# --------------------------------------------------------------------------------------------
# The two CPMs and currencies

def test_cpm_has_two_named_kinds_and_no_bare_cpm(tmp_path):
    sc = load_scenario(EXAMPLE)
    import optimizer

    plan = optimizer.optimize(sc, "greedy")
    result = plan_result(sc, plan)
    assert "cpm" not in result
    assert result["cpm_views"] == pytest.approx(1000 * result["spent"] / result["views"])
    assert result["cpm_target"] == pytest.approx(1000 * result["spent"] / result["target_impressions"])
    assert result["cpm_target"] > result["cpm_views"]  # only part of each audience is in the target
    simulated = jobs.simulate(EXAMPLE, strategy="greedy", runs=50).result
    assert "cpm" not in simulated["totals"] and "cpm" not in simulated["series"]
    assert "cpm" not in simulated["weekly"][0]
    # The simulator's own spend per 1,000 views (simulate/metrics.py), under its one name.
    import simulate as sim

    library = sim.simulate(sc, plan.posts, runs=50).to_dict()
    assert simulated["totals"]["cpm_views"] == library["totals"]["cpm"]
    assert list(simulated["totals"]).index("cpm_views") == list(library["totals"]).index("cpm")
    header = jobs.validate(EXAMPLE).tables[0].columns
    assert "median cpm_views" in header and "median CPM" not in header


def test_compare_says_the_currency_of_each_row_when_they_differ(tmp_path):
    a = write_scenario(tmp_path / "a", ordinary(), currency="USD", name="in-dollars")
    b = write_scenario(tmp_path / "b", [(h, f, v, p * 35) for h, f, v, p in ordinary()], currency="TRY",
                       budget=700_000, name="in-lira")
    code, out, err = invoke("compare", a, b, "--strategy", "greedy")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Scenarios and strategies compared (money in each row's currency; currencies differ)"
    header = lines[1].split()
    assert header[:4] == ["scenario", "strategy", "status", "currency"]
    assert lines[3].split()[3] == "USD" and lines[4].split()[3] == "TRY"
    spent = header.index("spent")
    assert not lines[3].split()[spent + 1].startswith("*")  # no "best" between currencies
    code, out, err = invoke("compare", a, "--strategy", "greedy")
    assert out.splitlines()[0] == "Scenarios and strategies compared (money in USD)"
    assert "currency" not in out.splitlines()[1].split()
