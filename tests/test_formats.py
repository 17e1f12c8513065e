"""Output formats: aligned tables, best-value marks, Markdown, JSON, and CSV formula neutralising."""

import csv
import io
import json

import numpy as np
import pytest

from whatif.formats import Table, format_cell, neutralise, render, to_csv, to_markdown, to_text

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_cells_are_neutralised_without_losing_the_value(text):
    out = neutralise(text)
    assert out == "'" + text
    assert out[1:] == text


@pytest.mark.parametrize("value", ["plain", "a=b", "", 5, -3.5, None])
def test_harmless_cells_and_numbers_are_untouched(value):
    assert neutralise(value) == value


def test_csv_export_neutralises_hostile_handles_and_keeps_numbers():
    table = Table(columns=("handle", "reach"), rows=tuple((h, -1.5) for h in HOSTILE))
    text = to_csv([table])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["handle", "reach"]
    for (handle, reach), original in zip(rows[1:], HOSTILE):
        assert handle == "'" + original
        assert float(reach) == -1.5


def test_best_value_is_marked_per_column():
    table = Table(columns=("strategy", "reach", "cpm"), rows=(("a", 10.0, 5.0), ("b", 30.0, 7.0), ("c", 20.0, 4.0)),
                  best={"reach": "max", "cpm": "min"})
    lines = to_text([table]).splitlines()
    row = {line.split()[0]: line for line in lines[2:5]}
    assert "30.00 *" in row["b"] and "10.00 *" not in row["a"]
    assert "4.00 *" in row["c"] and "7.00 *" not in row["b"]
    assert "* best in column" in lines
    md = to_markdown([table])
    assert "| b | 30.00 * | 7.00 |" in md


def test_ties_mark_every_best_row():
    table = Table(columns=("s", "v"), rows=(("a", 1.0), ("b", 1.0), ("c", 0.5)), best={"v": "max"})
    text = to_text([table])
    assert text.count(" *") == 2


def test_markdown_escapes_pipes():
    table = Table(columns=("h",), rows=(("a|b",),))
    assert "a\\|b" in to_markdown([table])


def test_json_handles_numpy_values_and_rejects_nan():
    assert json.loads(render({"a": np.int64(3), "b": np.arange(2)}, [], "json")) == {"a": 3, "b": [0, 1]}
    with pytest.raises(ValueError):
        render({"a": float("nan")}, [], "json")


@pytest.mark.parametrize("value,text", [(1234567, "1,234,567"), (1234.5, "1,234"), (12.345, "12.35"),
                                        (0.012345, "0.01235"), (None, "-"), (0, "0"), (True, "yes")])
def test_format_cell(value, text):
    assert format_cell(value) == text
