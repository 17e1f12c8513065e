"""``import reachmix``: the quickstart runs, every public name is documented, results read well in a
notebook, and the library pitfalls of issue 13 stay fixed."""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import reachmix
from optimizer import get_strategy
from scenarios import CreatorPool, PoolError, ReachmixError, ScenarioError, scenario_from_dict
from scenarios.pool_memory import frame_to_csv
from whatif.results import plan_result

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
POOL_CSV = EXAMPLE.parent / "creators.csv"


@pytest.fixture(scope="module")
def sc():
    return reachmix.load_scenario(EXAMPLE)


@pytest.fixture(scope="module")
def plan(sc):
    return reachmix.optimize(sc)


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


# --- the documentation ------------------------------------------------------------------------


def test_python_api_doc_runs_top_to_bottom(monkeypatch, capsys):
    pytest.importorskip("pandas")
    blocks = python_blocks((ROOT / "docs" / "python-api.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    monkeypatch.chdir(ROOT)  # the doc's paths are relative to the repository
    namespace: dict = {"__name__": "python_api_doc"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"docs/python-api.md block {k + 1}", "exec"), namespace)
    # The quickstart's promises, checked from its namespace.
    assert namespace["summary"].status == "optimal"
    assert len(namespace["totals"]) >= 8 and list(namespace["budgets"].columns)[0] == "budget.total"
    assert "Plan(milp, optimal" in capsys.readouterr().out


def test_quickstart_blocks_are_under_ten_lines():
    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = python_blocks(quickstart)
    assert len(blocks) == 5  # optimise, simulate, compare, sweep, data frames
    for block in blocks:
        assert len([line for line in block.splitlines() if line.strip()]) < 10, block


def test_every_public_name_has_a_docstring():
    missing = []
    for name in reachmix.__all__:
        obj = getattr(reachmix, name)
        doc = (obj.__doc__ or "").strip()
        # A dataclass without a docstring gets its signature as __doc__: that is not documentation.
        if not doc or (inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(")):
            missing.append(name)
        if inspect.isclass(obj) and obj.__module__.startswith(("reachmix", "scenarios.plan_summary")):
            missing += [f"{name}.{attr}" for attr, member in vars(obj).items()
                        if not attr.startswith("_") and callable(member) and not (member.__doc__ or "").strip()]
    missing += [f"Scenario.{m}" for m in ("from_dict", "from_frame") if not getattr(reachmix.Scenario, m).__doc__]
    missing += [f"Plan.{m}" for m in ("summary", "to_frame") if not getattr(reachmix.Plan, m).__doc__]
    assert not missing, missing
    assert reachmix.__doc__ and "docs/python-api.md" in reachmix.__doc__


def test_importing_reachmix_does_not_import_pandas():
    import subprocess

    code = "import sys, reachmix; print(sorted(m for m in ('pandas', 'polars') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# --- short reprs, summaries and frames -------------------------------------------------------


def test_reprs_are_short_for_5000_creators():
    big = reachmix.load_scenario(ROOT / "scenarios" / "examples" / "synthetic-5000" / "scenario.toml")
    assert repr(big.pool) == "CreatorPool(5,000 creators from " + big.pool.source + ")"
    assert repr(big) == "Scenario('synthetic-5000-seed2026', budget 56,000 USD, 5,000 creators, objective target_reach)"


def test_reprs_are_one_short_line(sc, plan):
    from scenarios import ReachModel

    assert repr(sc) == "Scenario('istanbul-beauty-launch', budget 400,000 TRY, 40 creators, objective target_reach)"
    assert repr(sc.pool) == f"CreatorPool(40 creators from {sc.pool.source})"
    hired, posts = int(np.count_nonzero(plan.posts)), int(plan.posts.sum())
    assert repr(plan) == f"Plan(milp, optimal, {hired} creators, {posts} posts, gap {100 * plan.gap:.3g}%)"
    model = ReachModel.build(sc)
    assert repr(model) == "ReachModel('istanbul-beauty-launch', 40 creators, 4 target cells)"
    assert "creator_cost" not in repr(model.evaluate(plan.posts))
    for text in (repr(plan.summary(sc)), repr(reachmix.compare(sc, "greedy"))):
        assert "\n" not in text and len(text) < 400


def test_plan_summary_matches_the_contract_json(sc, plan):
    s = plan.summary(sc)
    full = plan_result(sc, plan)  # the orchestration layer's independent layout of the same plan
    assert (s.spend, s.reach, s.impressions, s.engagements, s.views) == pytest.approx(
        (full["spent"], full["target_reach"], full["target_impressions"], full["engagements"], full["views"]))
    assert (s.status, s.gap, s.creators, s.posts) == (full["status"], full["gap"], full["creators"], full["posts"])
    assert s.spend == pytest.approx(float((sc.pool.price * plan.posts + sc.pool.fee * (plan.posts > 0)).sum()))
    html = s._repr_html_()
    assert html.startswith("<table>") and "istanbul-beauty-launch / milp" in html and "optimal" in html


def test_plan_to_frame_lists_the_hired_creators(sc, plan):
    pytest.importorskip("pandas")
    frame = plan.to_frame(sc)
    hired = np.flatnonzero(plan.posts)
    assert list(frame["handle"]) == [sc.pool.handles[i] for i in hired]
    assert list(frame["posts"]) == plan.posts[hired].tolist()
    assert frame["cost"].sum() == pytest.approx(plan.summary(sc).spend)


def test_evaluate_takes_a_plan_json_or_posts(sc, plan):
    hired = np.flatnonzero(plan.posts)
    doc = {"selection": [{"handle": sc.pool.handles[i], "posts": int(plan.posts[i])} for i in hired]}
    assert reachmix.evaluate(sc, doc).reach == pytest.approx(plan.summary(sc).reach)
    too_many = np.asarray(sc.pool.max_posts) + 1
    broken = reachmix.evaluate(sc, too_many)
    assert broken.status == "infeasible" and any("sells at most" in v for v in broken.violations)
    with pytest.raises(ReachmixError, match=r"^posts must be 40 whole numbers >= 0 \(one per creator of the pool\)"):
        reachmix.evaluate(sc, [1, 2])


def test_simulation_frames_and_html(sc, plan):
    pytest.importorskip("pandas")
    sim = reachmix.simulate(sc, plan, runs=200, days=21, seed=3)
    assert repr(sim).startswith("Simulation('istanbul-beauty-launch', 200 runs x 21 days, target reach p50 ")
    totals = sim.to_frame()
    assert list(totals.columns[:2]) == ["metric", "mean"]
    row = totals.set_index("metric").loc["target_reach"]
    assert row["p50"] == sim.totals["target_reach"]["p50"]
    daily = sim.to_frame("daily")
    assert len(daily) == 21 * len(sim.result.series)
    assert sim.to_frame("kpis")["probability"].between(0, 1).all()
    assert "<caption>istanbul-beauty-launch: 200 runs x 21 days (seed 3)</caption>" in sim._repr_html_()
    with pytest.raises(ReachmixError, match='to_frame kind "dayly" is not one of .* \\(did you mean "daily"\\?\\)'):
        sim.to_frame("dayly")
    again = reachmix.simulate(sc, plan, runs=200, days=21, seed=3)
    assert again.totals == sim.totals  # the seed makes it reproducible


def test_to_frame_without_pandas_says_how_to_install(sc, plan, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ReachmixError) as err:
        plan.to_frame(sc)
    assert str(err.value) == "to_frame needs pandas; install it with pip install 'reachmix[frame]'"


def test_compare_and_sweep_rows_match_the_library(sc):
    pytest.importorskip("pandas")
    table = reachmix.compare(sc, ["greedy", reachmix.TopFollowersStrategy()])
    assert [r["strategy"] for r in table.rows] == ["greedy", "top-followers"]
    for row, p in zip(table.rows, table.plans):
        assert row["target_reach"] == pytest.approx(p.summary(sc).reach)
    assert "<th>target_reach</th>" in table._repr_html_()
    curve = reachmix.sweep(sc, "budget.total=100000:300000:100000", strategy="greedy")
    assert [r["budget"] for r in curve] == [100_000, 200_000, 300_000]
    first, second = curve.rows[:2]
    assert second["marginal_reach_per_unit"] == pytest.approx(
        (second["target_reach"] - first["target_reach"]) / 100_000)
    assert list(curve.to_frame().columns[:2]) == ["budget.total", "scenario"]


def test_sweeping_a_pool_setting_rereads_the_pool(sc):
    rows = reachmix.sweep(sc, {"constraints.max_posts": [1]}, strategy="greedy").rows
    direct = reachmix.load_scenario(EXAMPLE, {"constraints.max_posts": 1})
    expected = reachmix.optimize(direct, "greedy").summary(direct)
    assert rows[0]["target_reach"] == pytest.approx(expected.reach)
    assert rows[0]["creators"] == expected.creators


def test_frontier_takes_a_configured_strategy(sc):
    rows = reachmix.frontier(sc, [100_000, 200_000], strategy=reachmix.GreedyStrategy()).rows
    assert [r["budget"] for r in rows] == [100_000, 200_000]
    assert rows[0]["target_reach"] <= rows[1]["target_reach"]


# --- pitfalls named in issue 13 --------------------------------------------------------------


def test_in_memory_pool_gets_every_pool_setting():
    text = "handle,followers,price,max_posts\n@a,10000,100,\n@b,20000,150,2\n@c,5000,50,\n"
    pool = reachmix.parse_pool(text, "mem.csv")
    assert pool.max_posts.tolist() == [3, 2, 3]  # read before the scenario: the reader's default
    doc = {"budget": {"total": 1000}, "constraints": {"max_posts": 1}, "model": {"view_rate": 0.5}}
    sc = scenario_from_dict(doc, base_dir=Path("."), source="<doc>", pool=pool)
    assert sc.pool.max_posts.tolist() == [1, 2, 1]  # blank cells take constraints.max_posts
    assert sc.pool.avg_views.tolist() == [5000.0, 10000.0, 2500.0]  # blank avg_views: view_rate x followers
    assert reachmix.optimize(sc).posts.tolist() == [1, 2, 1]
    # The same as a file with those settings would give.
    again = scenario_from_dict(doc, base_dir=Path("."), source="<doc>", pool=sc.pool)
    assert again.pool is sc.pool  # settings unchanged: not read again


def test_frame_pool_reads_like_the_csv():
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(POOL_CSV, dtype=str, keep_default_na=False)
    from_file = reachmix.load_scenario(EXAMPLE)
    # The example's own settings ([model] view_rate fills its blank avg_views); [pool] file yields to the frame.
    from_frame = reachmix.Scenario.from_frame(frame, from_file.raw)
    for column in ("followers", "price", "avg_views", "max_posts", "engagement_rate", "age"):
        np.testing.assert_array_equal(getattr(from_frame.pool, column), getattr(from_file.pool, column))
    assert from_frame.pool.tags == from_file.pool.tags
    indexed = reachmix.scenario_from_frame(frame.set_index("handle"), from_file.raw)
    assert indexed.pool.handles == from_file.pool.handles


def test_frame_to_csv_joins_tag_lists_and_checks_lengths():
    text = frame_to_csv({"handle": ["@a", "@b"], "followers": [1000, 2000], "price": [10, 20],
                         "tags": [["beauty", "skincare"], None]})
    assert text == "handle,followers,price,tags\n@a,1000,10,beauty;skincare\n@b,2000,20,\n"
    sc = reachmix.Scenario.from_dict({"budget": {"total": 50}}, pool={"handle": ["@a"], "followers": [1000],
                                                                        "price": [10], "tags": [["Beauty"]]})
    assert sc.pool.tags == (frozenset({"beauty"}),)
    with pytest.raises(PoolError, match=r"^pool columns have different lengths \(handle: 2, price: 1\)"):
        frame_to_csv({"handle": ["@a", "@b"], "price": [1]})


def test_array_pool_refuses_file_reading_settings():
    n = 2
    pool = CreatorPool(handles=("@a", "@b"), followers=np.array([1e4, 2e4]), price=np.array([10.0, 20.0]),
                       avg_views=np.array([2e3, 4e3]), engagement_rate=np.zeros(n), likes_rate=np.zeros(n),
                       comments_rate=np.zeros(n), shares_rate=np.zeros(n), max_posts=np.array([1, 2]),
                       fee=np.zeros(n), tags=(frozenset(), frozenset()), source="<arrays>")
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"budget": {"total": 100}, "pool": {"delimiter": ";"}}, base_dir=Path("."),
                           source="<doc>", pool=pool)
    assert str(err.value) == ("<doc>: pool.delimiter says how to read a pool file, but the pool <arrays> was given "
                              "as arrays; remove pool.delimiter or give the pool's text (scenarios.parse_pool) or "
                              "data frame (Scenario.from_frame)")
    with pytest.raises(ScenarioError, match=r'^<doc>: pool.engagement_basis = "followers" cannot apply'):
        scenario_from_dict({"budget": {"total": 100}, "pool": {"engagement_basis": "followers"}},
                           base_dir=Path("."), source="<doc>", pool=pool)
    # Settings for blank cells have nothing to fill in a pool built from arrays: accepted as before.
    ok = scenario_from_dict({"budget": {"total": 100}, "constraints": {"max_posts": 3}}, base_dir=Path("."),
                            source="<doc>", pool=pool)
    assert ok.pool is pool


def test_unknown_strategy_setting_says_did_you_mean():
    with pytest.raises(ReachmixError) as err:
        get_strategy("milp", gapp=0.5)
    assert str(err.value) == ('strategy "milp": unknown setting gapp (did you mean "gap"?); '
                              "it takes gap, time_limit, solver, threads, target")
    with pytest.raises(ReachmixError, match=r'^strategy "greedy": unknown setting colour; it takes no settings$'):
        get_strategy("greedy", colour="red")
    # The settings one call site passes to any strategy are still dropped where they do not apply.
    assert get_strategy("greedy", gap=0.1, seed=3, time_limit=1, solver="highs").name == "greedy"
    assert get_strategy("milp", gap=0.25).gap == 0.25
    with pytest.raises(ReachmixError, match=r"^gap given with a configured strategy object; set them on the object"):
        reachmix.make_strategy(reachmix.MilpStrategy(), gap=0.1)


@pytest.mark.parametrize("budget, shown", [(-5, "-5"), (float("nan"), "nan"), (float("inf"), "inf")])
def test_bad_budget_names_the_budget_not_must_include(sc, budget, shown):
    with pytest.raises(ScenarioError) as err:
        reachmix.optimize(sc, budget=budget)
    assert str(err.value) == (f"{EXAMPLE}: budget.total = {shown} must be a finite number >= 0; "
                              "give the campaign's budget")
    import optimizer

    with pytest.raises(ScenarioError, match="budget.total = -5 must be"):
        optimizer.optimize(sc, "greedy", budget=-5)
    with pytest.raises(ScenarioError, match="budget.total = -5 must be"):
        dataclasses.replace(sc, budget=-5)


def test_ingest_writes_a_pool_a_scenario_can_use(tmp_path):
    export = ROOT / "scenarios" / "examples" / "tiktok-export"
    summary = reachmix.ingest(export / "videos.jsonl", tmp_path / "out", rate_card=export / "rates.csv")
    assert (summary["creators"], summary["videos"]) == (340, 2317)  # the export's README
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["calibration.toml", "creators.csv", "history.csv"]
    sc = reachmix.load_scenario(EXAMPLE, calibration=tmp_path / "out" / "calibration.toml")
    assert sc.calibration  # the fitted settings were merged
    pooled = reachmix.scenario_from_dict({"budget": {"total": 1e5}, "pool": {"file": "creators.csv"}},
                                         base_dir=tmp_path / "out")
    assert pooled.pool.size == summary["priced"]


def test_bench_takes_names_and_configured_objects():
    result = reachmix.bench(["greedy", reachmix.MilpStrategy(gap=0.01)], creators=60, instances=2)
    assert isinstance(result, reachmix.Benchmark) and repr(result) == "Benchmark(2 rows)"
    assert [r["strategy"] for r in result.rows] == ["greedy", "milp"] == result.result["strategies"]
    milp = result.rows[1]
    assert milp["proven_optimal_share"] == 1.0 and milp["ratio_worst"] >= 1 - 0.01 - 1e-9
    assert "<th>ratio_mean</th>" in result._repr_html_()
    labelled = reachmix.bench({"fast": reachmix.MilpStrategy(gap=0.5)}, creators=60, instances=1)
    assert [r["strategy"] for r in labelled] == ["fast"]
    with pytest.raises(ReachmixError, match='two strategies are both named "milp"'):
        reachmix.bench(["milp", reachmix.MilpStrategy(gap=0.5)], creators=60, instances=1)
