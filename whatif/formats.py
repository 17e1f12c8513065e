"""Turning results into text: aligned tables, JSON, CSV and Markdown.

Every command's result is a JSON-able dict (the contract's shape) plus one or more ``Table``s
for the human formats. CSV output neutralises cells a spreadsheet would run as formulas.

Numbers are honest in every format: a small value keeps its significant digits (0.13 never
prints as 0, 2e-5 as ``0.00002``), large ones get thousands separators, and a column that holds
a rate (``Table.percent``, or a ``Percent`` cell) prints as a percent with its digits. CSV keeps
the raw value (full precision, fractions for rates) for spreadsheets.
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
    #: Columns that hold rates or shares (fractions): shown as percents in text and Markdown.
    percent: tuple[str, ...] = ()


class Percent(float):
    """A fraction that a table shows as a percent (``Percent(0.0213)`` -> ``2.13%``); CSV and JSON
    see the plain float. For rate cells in a column that also holds other kinds of numbers."""


#: Significant digits kept below 1 (and for percents).
SIGNIFICANT = 4
PERCENT_SIGNIFICANT = 3
#: Below this magnitude a number switches to scientific notation (``3.1e-09``).
SCIENTIFIC_BELOW = 1e-6


def format_number(value: float, significant: int = SIGNIFICANT) -> str:
    """One number as people read it; never a bare 0 for a value that is not zero.

    0 -> ``0``; |x| >= 100 -> thousands separators, no decimals (``1,234,568``); 1 <= |x| < 100
    -> two decimals (``12.35``); |x| < 1 -> ``significant`` digits, written out (``0.13``,
    ``0.01235``, ``0.00002``) down to 1e-6, scientific below (``3.1e-09``).
    """
    value = float(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if round(magnitude, 2) >= 100:  # 99.999 is "100", not "100.00"
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}"
    return _significant(value, significant)


def _significant(value: float, significant: int) -> str:
    """``value`` (0 < |value| < 1000) with ``significant`` digits, trailing zeros dropped."""
    magnitude = abs(value)
    if magnitude < SCIENTIFIC_BELOW:
        mantissa, exponent = f"{value:.{significant - 1}e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    decimals = max(0, significant - 1 - math.floor(math.log10(magnitude)))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_percent(value: float, significant: int = PERCENT_SIGNIFICANT) -> str:
    """A fraction as a percent with its significant digits: 0.0213 -> ``2.13%``, 0.3 -> ``30%``,
    0.0013 -> ``0.13%``, 1.16 -> ``116%``, 0 -> ``0%``."""
    value = 100.0 * float(value)
    if value == 0:
        return "0%"
    if not math.isfinite(value):
        return f"{value}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}%"
    return _significant(value, significant) + "%"


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
    if isinstance(value, Percent):
        return format_percent(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return format_number(value)
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
    rates = {j for j, c in enumerate(table.columns) if c in table.percent}
    out = []
    for r, row in enumerate(table.rows):
        cells = []
        for j, value in enumerate(row):
            if j in rates and isinstance(value, (float, int, np.number)) and not isinstance(value, bool):
                value = Percent(value)
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
