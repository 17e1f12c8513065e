"""Turning results into text: aligned tables, JSON, CSV and Markdown.

Every command's result is a JSON-able dict (the contract's shape) plus one or more ``Table``s
for the human formats. CSV output neutralises cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMATS = ("table", "json", "csv", "markdown")
#: A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """Rows under named columns. ``best`` maps a column to "max" or "min": the best value gets a
    ``*`` in text and Markdown output so a reader spots it at once."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str = ""
    best: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def render(result: Any, tables: Sequence[Table], fmt: str) -> str:
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(tables)
    if fmt == "markdown":
        return to_markdown(tables)
    return to_text(tables)


def to_json(result: Any) -> str:
    return json.dumps(result, indent=2, default=_json_default, allow_nan=False) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def format_cell(value: Any) -> str:
    """Human formatting: thousands separators, few decimals for ratios, '-' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}"
        return f"{value:.4g}"
    if isinstance(value, dict):
        return " ".join(f"{k}:{format_cell(v)}" for k, v in value.items() if v)
    return " ".join(str(value).split())


def _best_rows(table: Table) -> dict[int, set[int]]:
    """Column index -> row indexes holding that column's best value."""
    marks: dict[int, set[int]] = {}
    for col, how in table.best.items():
        if col not in table.columns:
            continue
        j = table.columns.index(col)
        values = [(r, row[j]) for r, row in enumerate(table.rows)
                  if isinstance(row[j], (int, float, np.number)) and not isinstance(row[j], bool)
                  and not (isinstance(row[j], float) and math.isnan(row[j]))]
        if len(values) < 2:
            continue
        target = (max if how == "max" else min)(v for _, v in values)
        marks[j] = {r for r, v in values if math.isclose(v, target, rel_tol=1e-9, abs_tol=1e-12)}
    return marks


def _display_rows(table: Table) -> list[list[str]]:
    marks = _best_rows(table)
    out = []
    for r, row in enumerate(table.rows):
        cells = []
        for j, value in enumerate(row):
            text = format_cell(value)
            if r in marks.get(j, ()):
                text += " *"
            cells.append(text)
        out.append(cells)
    return out


def to_text(tables: Sequence[Table]) -> str:
    parts = []
    for table in tables:
        rows = _display_rows(table)
        widths = [max([len(c)] + [len(r[j]) for r in rows]) for j, c in enumerate(table.columns)]
        numeric = [all(_is_number(row[j]) for row in table.rows) if table.rows else False
                   for j in range(len(table.columns))]

        def line(cells):
            return "  ".join(c.rjust(w) if num else c.ljust(w)
                             for c, w, num in zip(cells, widths, numeric)).rstrip()

        block = [table.title] if table.title else []
        block.append(line(table.columns))
        block.append("  ".join("-" * w for w in widths))
        block.extend(line(r) for r in rows)
        if table.best and any(_best_rows(table).values()):
            block.append("* best in column")
        block.extend(table.notes)
        parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n"


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float, np.number)) and not isinstance(value, bool))


def to_markdown(tables: Sequence[Table]) -> str:
    parts = []
    for table in tables:
        rows = _display_rows(table)
        block = [f"### {_md(table.title)}", ""] if table.title else []
        block.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
        block.append("|" + "|".join("---:" if _is_num_col(table, j) else "---"
                                    for j in range(len(table.columns))) + "|")
        block.extend("| " + " | ".join(_md(c) for c in r) + " |" for r in rows)
        if table.best and any(_best_rows(table).values()):
            block.append("\n\\* best in column")
        block.extend(f"\n{_md(n)}" for n in table.notes)
        parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n"


def _is_num_col(table: Table, j: int) -> bool:
    return bool(table.rows) and all(_is_number(row[j]) for row in table.rows)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def neutralise(value: Any) -> Any:
    """Keep a spreadsheet from executing a text cell: prefix ``'`` to formula-like text.

    The original text stays intact after the quote, so nothing is lost; numbers are untouched
    (a negative number is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(tables: Sequence[Table]) -> str:
    """The first (main) table as CSV, raw values rather than display text.

    CSV holds one table; every command puts its row-per-item table first (the selection of a
    plan, the rows of a comparison) so that the CSV is what a spreadsheet user wants.
    """
    buf = io.StringIO()
    writer = csv.writer(buf)  # RFC 4180 line ends, so a cell holding \r is quoted too
    if tables:
        writer.writerow([neutralise(c) for c in tables[0].columns])
        for row in tables[0].rows:
            writer.writerow([_csv_value(neutralise(v)) for v in row])
    return buf.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return value
