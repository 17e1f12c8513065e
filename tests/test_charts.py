"""Charts (issue item 3): PNG and SVG by file suffix, bytes/text for embedding, clear errors."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from scenarios.errors import ReachmixError
from whatif import charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HOSTILE = '"><img src=x onerror=alert(1)> $\\frac{1}{0}$ --> <!--'


def curve_rows():
    return [{"budget": b, "target_reach": 1e6 * (1 - np.exp(-b / 2e5)), "spent": 0.98 * b}
            for b in (50_000, 100_000, 200_000, 400_000)]


def simulation(days: int = 30):
    mean = np.cumsum(np.full(days, 1e4))
    band = {"mean": mean.tolist(), "p5": (0.7 * mean).tolist(), "p50": (0.95 * mean).tolist(),
            "p95": (1.3 * mean).tolist()}
    return {"runs": 100, "days": days, "series": {"views": band},
            "kpi_targets": [{"metric": "views", "target": 2e5, "by_day": 20, "priority": 1, "probability": 0.6},
                            {"metric": "likes", "target": 5e3, "by_day": 10, "priority": 2, "probability": 0.1}]}


PLAN = {"budget": 400_000, "currency": "TRY",
        "selection": [{"handle": "@a", "tier": "micro", "posts": 2, "cost": 30_000.0, "target_impressions": 1.0},
                      {"handle": "@b", "tier": "mid", "posts": 1, "cost": 90_000.0, "target_impressions": 1.0},
                      {"handle": "@c", "tier": "micro", "posts": 1, "cost": 10_000.0, "target_impressions": 1.0}]}
STRATEGIES = [{"strategy": s, "target_reach": r, "spent": 390_000, "engagements": r / 10}
              for s, r in (("milp", 1.2e6), ("greedy", 1.1e6), (HOSTILE, 7e5))]

DRAWS = {
    "budget_curve": lambda path: charts.budget_curve(curve_rows(), path, currency="TRY", budget=200_000),
    "kpi_bands": lambda path: charts.kpi_bands(simulation(), "views", path=path),
    "spend_by_tier": lambda path: charts.spend_by_tier(PLAN, path),
    "strategy_comparison": lambda path: charts.strategy_comparison(STRATEGIES, path, currency="$"),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_png_file_and_bytes(tmp_path, name):
    path = tmp_path / f"{name}.png"
    data = DRAWS[name](path)
    assert isinstance(data, bytes) and data.startswith(PNG_MAGIC)
    assert path.read_bytes() == data and len(data) > 10_000


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_svg_file_and_text(tmp_path, name):
    path = tmp_path / f"{name}.SVG"  # suffix case does not matter
    text = DRAWS[name](path)
    assert isinstance(text, str)
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert ET.fromstring(text.encode()).tag == root.tag


def test_no_path_returns_svg_text_or_png_bytes():
    assert charts.budget_curve(curve_rows(), None).lstrip().startswith("<?xml")
    assert charts.budget_curve(curve_rows(), fmt="png").startswith(PNG_MAGIC)


def test_svg_is_reproducible():
    assert charts.spend_by_tier(PLAN) == charts.spend_by_tier(PLAN)


@pytest.mark.parametrize("name", ["chart.pdf", "chart.jpeg", "chart"])
def test_other_suffixes_are_one_line_errors(tmp_path, name):
    with pytest.raises(charts.ChartError) as info:
        charts.budget_curve(curve_rows(), tmp_path / name)
    assert isinstance(info.value, ReachmixError)
    message = str(info.value)
    assert "\n" not in message and name in message and ".png or .svg" in message
    assert not (tmp_path / name).exists()


def test_unwritable_folder_is_a_chart_error(tmp_path):
    with pytest.raises(charts.ChartError, match="cannot write"):
        charts.budget_curve(curve_rows(), tmp_path / "missing" / "c.png")


def test_missing_series_names_the_choices():
    with pytest.raises(charts.ChartError, match='no series for "likes".*views'):
        charts.kpi_bands(simulation(), "likes")


def test_empty_inputs_are_errors():
    with pytest.raises(charts.ChartError):
        charts.budget_curve([], None)
    with pytest.raises(charts.ChartError):
        charts.strategy_comparison([], None)
    with pytest.raises(charts.ChartError, match="target_reach"):
        charts.budget_curve([{"budget": 1}], None)


def test_hostile_text_is_drawn_literally():
    # "$...$" would be math mode and "-->" would end matplotlib's SVG comments; neither breaks.
    svg = charts.strategy_comparison(STRATEGIES, None, currency=HOSTILE)
    ET.fromstring(svg.encode())
    assert "<img" not in svg


def test_spend_by_tier_from_selection_or_plain_dict():
    assert charts.tier_spend(PLAN) == ({"micro": 40_000.0, "mid": 90_000.0}, {"micro": 2, "mid": 1})
    spend, counts = charts.tier_spend({"nano": 5, "custom": 7})
    assert spend == {"nano": 5.0, "custom": 7.0} and counts == {}
    assert charts.spend_by_tier({"nano": 5, "custom": 7}, fmt="png").startswith(PNG_MAGIC)
    assert charts.spend_by_tier({}, fmt="svg")  # nothing spent still draws


def test_charts_use_no_pyplot_state():
    # Importing and drawing must not load pyplot (global figure registry, backend switching).
    code = ("import sys; from whatif import charts; charts.budget_curve([{'budget': 1, 'target_reach': 2}]); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
