"""The HTML report: content, self-containment and safety with hostile data (issue items 4, 5)."""

from __future__ import annotations

import base64
import csv
import html
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from scenarios import Plan, PlanError, ReachModel, load_scenario
from whatif.report import render_report
from whatif.results import plan_result

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
AGES = ("age_13_17", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_plus")

# (handle, followers, price, tags, age shares, Istanbul, Ankara, hostile-city share)
CREATORS = [
    ("@ayse.makeup", 80_000, 9_000, "beauty;#SkinCare", (0.1, 0.6, 0.2, 0.05, 0.03, 0.02), 0.7, 0.2, 0.0),
    (SCRIPT, 300_000, 25_000, f"beauty;{IMG}", (0.05, 0.2, 0.5, 0.15, 0.05, 0.05), 0.3, 0.5, 0.1),
    ("@mehmet.cooks", 40_000, 4_000, "food;family", (0.0, 0.1, 0.2, 0.5, 0.1, 0.1), 0.1, 0.1, 0.7),
    ("@zeynep.fit", 15_000, 2_000, "fitness;skincare", (0.1, 0.5, 0.3, 0.1, 0.0, 0.0), 0.5, 0.4, 0.0),
    ("@idle", 5_000, 50_000, "gaming", (0.5, 0.5, 0.0, 0.0, 0.0, 0.0), 0.0, 0.0, 0.0),
]


def write_hostile_scenario(folder: Path, *, hostile: bool = True) -> Path:
    """A tiny scenario; with ``hostile`` its name, currency and tags carry HTML/JS payloads."""
    city = IMG if hostile else "Izmir"
    with open(folder / "creators.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["handle", "followers", "price", "tags", *AGES, "female", "male",
                    "loc_Istanbul", "loc_Ankara", f"loc_{city}"])
        for handle, fol, price, tags, ages, ist, ank, other in CREATORS:
            if not hostile:
                handle, tags = handle.replace(SCRIPT, "@safe"), tags.replace(IMG, "safe")
            w.writerow([handle, fol, price, tags, *ages, 0.6, 0.4, ist, ank, other])
    name = f"launch {IMG}" if hostile else "launch"
    interests = ["beauty", "skincare", IMG] if hostile else ["beauty", "skincare"]
    (folder / "scenario.toml").write_text(
        f"name = {json.dumps(name)}\ncurrency = {json.dumps('TRY' + SCRIPT if hostile else 'TRY')}\n"
        '[pool]\nfile = "creators.csv"\n[budget]\ntotal = 60000\n'
        f'[audience]\nsize = 2000000\nage = ["18-24", "25-34"]\nlocations = ["Istanbul", "Ankara"]\n'
        f"interests = {json.dumps(interests)}\n"
        '[[kpi]]\nmetric = "views"\ntarget = 400000\nby_day = 28\n'
        '[[kpi]]\nmetric = "followers_gained"\ntarget = 900\nby_day = 40\npriority = 2\n',
        encoding="utf-8")
    return folder / "scenario.toml"


def fake_simulation(scenario, days: int = 56) -> dict:
    """A simulate JSON (contract section 6) with plausible cumulative series."""
    t = np.arange(days, dtype=float)
    grow = 1 - np.exp(-t / 12)
    series, totals = {}, {}
    for metric, scale in (("views", 600_000), ("target_reach", 250_000), ("likes", 40_000), ("comments", 2_000),
                          ("shares", 3_000), ("engagements", 45_000), ("followers_gained", 800), ("spend", 31_000)):
        mean = scale * grow
        series[metric] = {"mean": mean.tolist(), "p5": (0.6 * mean).tolist(), "p50": (0.95 * mean).tolist(),
                          "p95": (1.5 * mean).tolist()}
        totals[metric] = {"mean": mean[-1], "p5": 0.6 * mean[-1], "p50": 0.95 * mean[-1], "p95": 1.5 * mean[-1]}
    return {"scenario": scenario.name, "runs": 500, "days": days, "seed": 7, "series": series, "totals": totals,
            "kpi_targets": [{"metric": "views", "target": 400_000, "by_day": 28, "priority": 1, "probability": 0.42},
                            {"metric": "followers_gained", "target": 900, "by_day": 40, "priority": 2,
                             "probability": 0.875}]}


def build(folder: Path, *, hostile: bool = True):
    """(scenario, plan JSON, simulation JSON, curve rows, compare rows) for a hostile scenario."""
    scenario = load_scenario(write_hostile_scenario(folder, hostile=hostile))
    posts = np.array([2, 1, 1, 3, 0])
    plan = plan_result(scenario, Plan(posts=posts, strategy="milp", status="optimal"), ReachModel.build(scenario))
    curve = [{"budget": b, "target_reach": 300_000 * (1 - np.exp(-b / 40_000)), "spent": 0.97 * b}
             for b in (20_000, 40_000, 60_000, 80_000)]
    strategies = [{"scenario": scenario.name, "strategy": s, "target_reach": r, "spent": 59_000, "engagements": r / 9,
                   "creators_by_tier": {"micro": 2}} for s, r in (("milp", 260_000), ("greedy", 240_000), (IMG, 1e5))]
    return scenario, plan, fake_simulation(scenario), curve, strategies


def full_report(folder: Path, *, hostile: bool = True) -> str:
    scenario, plan, sim, curve, strategies = build(folder, hostile=hostile)
    extra = {"accumulation_days": {"value": 90, "source": f"simulate docs {IMG}", "doc": "views accrue over"},
             "share_cascade": {"depth": 2}}
    return render_report(scenario, plan, sim, curve=curve, strategies=strategies, assumptions=extra)


class _Tags(HTMLParser):
    """Collects start tags with attributes, and checks open/close balance of non-void elements."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.starts, self.stack, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def parse(doc: str) -> _Tags:
    p = _Tags()
    p.feed(doc)
    p.close()
    return p


@pytest.fixture()
def report(tmp_path) -> str:
    return full_report(tmp_path)


def test_every_hired_handle_is_shown_escaped(tmp_path, report):
    scenario, plan, *_ = build(tmp_path)
    hired = [row["handle"] for row in plan["selection"]]
    assert SCRIPT in hired and "@idle" not in hired
    for handle in hired:
        assert html.escape(handle) in report
    assert "@idle" not in report.split('id="briefs"')[1].split('id="assumptions"')[0]


def test_no_markup_from_data_survives(report):
    assert "<script" not in report.lower()  # the report has no JS at all, and data cannot add any
    assert "<img src=x" not in report
    assert html.escape(IMG) in report  # the name, tags and city are shown, as text
    tree = parse(report)
    assert not tree.errors and not tree.stack, tree.errors or tree.stack
    for tag, attrs in tree.starts:
        assert tag != "script"
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("data:image/"), attrs["src"][:40]


def test_self_contained(report):
    assert "http://" not in report and "https://" not in report
    for tag, attrs in parse(report).starts:
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith(("data:", "#")), (tag, key, attrs[key][:60])
        assert tag not in ("link", "iframe", "object", "embed")
    # The page forbids scripts and external loads itself, should anything ever slip through.
    csp = [a["content"] for t, a in parse(report).starts if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0]


def test_charts_are_embedded_valid_svg(report):
    srcs = [a["src"] for t, a in parse(report).starts if t == "img"]
    # spend by tier + views, target_reach and followers_gained bands + budget curve + strategies
    assert len(srcs) == 6
    for src in srcs:
        head, data = src.split(",", 1)
        assert head == "data:image/svg+xml;base64"
        root = ET.fromstring(base64.b64decode(data))
        assert root.tag.endswith("svg")


def test_plan_tiers_kpis_briefs_and_assumptions(tmp_path, report):
    for heading in ("Plan", "Tier mix", "KPI projections", "What-if", "Content briefs", "Assumptions"):
        assert f"<h2>{heading}</h2>" in report
    assert "42% unlikely" in report and "88% likely" in report  # KPI target probabilities
    assert "Campaign totals" in report and "followers gained" in report
    # Briefs: angles from the bundled table, and shared hashtags with '#'.
    assert "fashion and beauty trends" in report and "landmarks" in report
    assert "#beauty #skincare" in report
    # Assumptions: model, simulation, tiers, engagement defaults and the caller's simulator notes.
    for word in ("repeat_decay", "interest_floor", "view_rate", "view_dispersion", "post_failure_rate",
                 "churn_rate", "engagement rate, nano", "likes share", "accumulation_days",
                 "share_cascade.depth", "HypeAuditor", "views-weighted mean of the pool"):
        assert word in report, word


def test_report_without_simulation_or_whatif(tmp_path):
    scenario, plan, *_ = build(tmp_path, hostile=False)
    doc = render_report(scenario, plan)
    assert "No simulation was run" in doc and "not simulated" in doc
    assert 'id="whatif"' not in doc
    assert len([t for t, _ in parse(doc).starts if t == "img"]) == 1  # the tier chart only
    assert "@ayse.makeup" in doc and "Content briefs" in doc


def test_plan_with_unknown_handle_is_an_error(tmp_path):
    scenario, plan, *_ = build(tmp_path, hostile=False)
    plan = {**plan, "selection": [*plan["selection"], {"handle": "@ghost", "posts": 1}]}
    with pytest.raises(PlanError, match="@ghost"):
        render_report(scenario, plan)


def test_malformed_series_does_not_sink_the_report(tmp_path):
    scenario, plan, sim, *_ = build(tmp_path, hostile=False)
    sim["series"]["views"] = {"mean": [1, 2]}  # no percentiles
    doc = render_report(scenario, plan, sim)
    assert "No chart for views" in doc


@pytest.mark.slow
def test_report_skips_budget_curve_points_too_small_for_the_rules(tmp_path):
    """A 30-creator pool with a tier minimum: the curve's smallest budget has no plan (found by a
    helper's review: the report stopped with 'budget curve row 0: needs a number')."""
    from click.testing import CliRunner

    import cli
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path / "small", 30, 1)
    assert "min_count" in path.read_text()
    out = tmp_path / "report.html"
    run = CliRunner().invoke(cli.main, ["report", str(path), "--runs", "200", "--output", str(out)])
    assert run.exit_code == 0, run.output
    assert "Budget-reach curve" in out.read_text(encoding="utf-8")
