"""Honest numbers: small values keep their significant digits in every format (text tables,
Markdown, CSV, JSON and the HTML report), large ones get thousands separators, rates print as
percents where the column is a rate, and zero is 0."""

from __future__ import annotations

import csv
import io
import json

import pytest

from whatif.formats import Percent, Table, format_cell, format_number, format_percent, render
from whatif.report_html import num, pct

VALUES = (0.13, 0.02, 2e-5, 0.0, 1234567.8, -0.13, -1234567.8)
#: What a person reads for each value, in tables, Markdown and the report.
SHOWN = ("0.13", "0.02", "0.00002", "0", "1,234,568", "-0.13", "-1,234,568")


@pytest.mark.parametrize("value,text", list(zip(VALUES, SHOWN)))
def test_format_number(value, text):
    assert format_number(value) == text
    assert format_cell(value) == text


@pytest.mark.parametrize("value,text", [
    (0.012345, "0.01235"), (0.99996, "1"), (99.999, "100"), (12.345, "12.35"), (3.1e-9, "3.1e-09"),
    (-2e-5, "-0.00002"), (1e-6, "0.000001"), (0.5, "0.5")])
def test_format_number_edges(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("value,text", [
    (0.0213, "2.13%"), (0.02, "2%"), (0.3, "30%"), (0.0013, "0.13%"), (2e-5, "0.002%"), (0, "0%"),
    (1.16, "116%"), (-0.05, "-5%"), (12345.678, "1,234,568%")])
def test_format_percent(value, text):
    assert format_percent(value) == text


def table():
    return Table(columns=("handle", "value", "engagement_rate"),
                 rows=tuple((f"@r{k}", v, 0.0213) for k, v in enumerate(VALUES)),
                 percent=("engagement_rate",))


def test_text_table_keeps_significant_digits_and_shows_rates_as_percents():
    lines = render({}, [table()], "table").splitlines()
    body = lines[2:2 + len(VALUES)]
    for line, text in zip(body, SHOWN):
        handle, value, rate = line.split()
        assert value == text
        assert rate == "2.13%"


def test_markdown_keeps_significant_digits():
    md = render({}, [table()], "markdown")
    for k, text in enumerate(SHOWN):
        assert f"| @r{k} | {text} | 2.13% |" in md


def test_csv_keeps_raw_values_and_rates_as_fractions():
    rows = list(csv.reader(io.StringIO(render({}, [table()], "csv"), newline="")))
    assert rows[0] == ["handle", "value", "engagement_rate"]
    assert [float(r[1]) for r in rows[1:]] == list(VALUES)
    assert {r[2] for r in rows[1:]} == {"0.0213"}


def test_json_keeps_full_values_and_percent_cells_stay_fractions():
    doc = json.loads(render({"values": list(VALUES), "rate": Percent(0.0213)}, [], "json"))
    assert doc == {"values": list(VALUES), "rate": 0.0213}


def test_percent_cells_in_a_mixed_column():
    t = Table(columns=("metric", "mean"), rows=(("views", 1234567.8), ("engagement_rate", Percent(0.078))))
    lines = render({}, [t], "table").splitlines()
    assert lines[2].split() == ["views", "1,234,568"] and lines[3].split() == ["engagement_rate", "7.8%"]
    assert "| engagement_rate | 7.8% |" in render({}, [t], "markdown")
    assert list(csv.reader(io.StringIO(render({}, [t], "csv"))))[2] == ["engagement_rate", "0.078"]


@pytest.mark.parametrize("value,text", list(zip(VALUES, SHOWN)))
def test_report_numbers(value, text):
    assert num(value) == text


def test_report_numbers_keep_counts_whole_and_percents_honest():
    assert num(3.0) == "3" and num(29) == "29" and num(None) == "–"
    assert num(0.5, 2) == "0.50"  # explicit decimals are kept as asked
    assert pct(0.02) == "2%" and pct(0.0213) == "2.1%" and pct(0.0013) == "0.13%" and pct(2e-5) == "0.002%"
    assert pct(0.42) == "42%" and pct(0) == "0%" and pct(0.078, 2) == "7.80%" and pct(0.0013, 1) == "0.13%"


def test_the_report_prints_small_simulated_values_with_their_digits():
    """The case that printed 0: engagement per follower 2% and cost per engagement 0.13."""
    from whatif.report import _kpi_section
    from scenarios import load_scenario
    from pathlib import Path

    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "istanbul-beauty"
                       / "scenario.toml")
    stats = lambda x: {"mean": x, "p5": x, "p50": x, "p95": x}  # noqa: E731
    simulation = {"runs": 10, "days": 3, "seed": 1, "series": {}, "kpi_targets": [],
                  "totals": {"engagement_rate_followers": stats(0.02), "cost_per_engagement": stats(0.13),
                             "cpm_views": stats(0.007), "views": stats(14.3e9)}}
    html = _kpi_section(sc, simulation)
    assert "<td>engagement rate followers</td><td class=\"num\">2.00%</td>" in html
    assert "<td>cost per engagement (TRY)</td><td class=\"num\">0.13</td>" in html
    assert "<td>cpm_views: price per 1,000 views (TRY)</td><td class=\"num\">0.007</td>" in html
    assert "14,300,000,000" in html
