"""Parameter sweeps (``reachmix sweep``): any dotted scenario key over a list or a range.

Several ``--set`` make a grid. Along a budget sweep each row also carries the marginal reach per
extra unit of currency, so the planner sees where more money stops paying.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from optimizer.base import Strategy, make_strategy
from scenarios.errors import ScenarioError, py_literal, said
from scenarios.limits import check_memory
from scenarios.numbers import parse_number

from .compare import scenario_rows
from .formats import Table

#: A range may not expand to more points than this (a typo like 0:1e9:1 must not hang the machine).
MAX_POINTS = 10_000
#: Memory per grid point, held until the sweep ends: its task, its result row (about 25 values) and
#: its share of the rendered output; checked against the memory limit before the sweep starts.
BYTES_PER_POINT = 8 * 1024


def parse_set(spec: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2,...`` or ``KEY=START:STOP:STEP`` (STOP included when on the grid)."""
    given = said(f'--set "{spec}"', f"values={py_literal(spec)}")  # the command line's flag, reachmix.sweep's argument
    if "=" not in spec:
        raise ScenarioError(f"{given}: write KEY=V1,V2,... or KEY=START:STOP:STEP")
    key, _, values = spec.partition("=")
    key = key.strip()
    if not key or not all(key.split(".")):
        raise ScenarioError(f'{given}: "{key}" is not a dotted key such as budget.total')
    values = values.strip()
    if not values:
        raise ScenarioError(f'{given}: no values after "="')
    if ":" in values and "," not in values:
        parts = values.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"{given}: a range is START:STOP:STEP")
        try:
            start, stop, step = (parse_number(p) for p in parts)
        except ValueError as exc:
            raise ScenarioError(f"{given}: {exc}") from None
        if step <= 0 or stop < start:
            raise ScenarioError(f"{given}: need STEP > 0 and STOP >= START")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            raise ScenarioError(f"{given}: {count:,} points is too many (at most {MAX_POINTS:,})")
        return key, [_tidy(start + k * step) for k in range(count)]
    return key, [_value(v.strip()) for v in values.split(",") if v.strip()]


def _tidy(x: float) -> float | int:
    """Range points without float dust (0.1 * 3 = 0.30000000000000004 becomes 0.3)."""
    x = round(x, 10)
    return int(x) if x == int(x) and abs(x) < 2**53 else x


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return _tidy(parse_number(text))
    except ValueError:
        return text


def sweep(path: str | Path, sets: Sequence[str], *, strategy: Strategy | str = "milp", label: str | None = None,
          simulate: bool = False, jobs: int = 1, dask: str | None = None,
          progress: Callable[[int, int], None] | None = None,
          calibration: str | Path | None = None, read_options=None) -> list[dict[str, Any]]:
    """One row per grid point (the product of every ``--set``), in grid order, each optimised by
    ``strategy``: a configured object (``MilpStrategy(gap=1e-2)``) or a name for its default
    settings. ``label`` names it in rows without a plan (default: the name given, or the object's ``name``)."""
    if not sets:
        raise ScenarioError("sweep needs at least one --set KEY=VALUES")
    axes = [parse_set(s) for s in sets]
    keys = [k for k, _ in axes]
    if len(set(keys)) != len(keys):
        raise ScenarioError("the same key is given to --set twice; give each key once")
    points = math.prod(len(values) for _, values in axes)
    check_memory(points * BYTES_PER_POINT, f"the sweep grid of {' x '.join(f'{len(v):,}' for _, v in axes)} = "
                 f"{points:,} points", "use fewer or coarser --set values (a larger STEP) or split the sweep "
                 "into several runs")
    grid = list(itertools.product(*(values for _, values in axes)))
    cal = None if calibration is None else str(calibration)
    if label is None:
        label = strategy if isinstance(strategy, str) else strategy.name
    strategy = make_strategy(strategy)
    points = [(str(path), dict(zip(keys, point)), label, strategy) for point in grid]
    rows = scenario_rows(points, simulate=simulate, jobs=jobs, dask=dask, progress=progress, calibration=cal,
                         read_options=read_options)
    for row, point in zip(rows, grid):
        row["parameters"] = dict(zip(keys, point))
        row["parameter"] = keys[0] if len(keys) == 1 else ",".join(keys)
        row["value"] = point[0] if len(keys) == 1 else list(point)
    _marginal_reach(rows)
    return rows


def _marginal_reach(rows: list[dict[str, Any]]) -> None:
    """Reach gained per extra unit of budget, between neighbours that differ only in budget."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        others = tuple(sorted((k, str(v)) for k, v in row["parameters"].items() if k != "budget.total"))
        groups.setdefault(others, []).append(row)
    for group in groups.values():
        group.sort(key=lambda r: r["budget"])
        previous = None
        for row in group:
            row["marginal_reach_per_unit"] = None
            if row["target_reach"] is None:  # rules conflict at this point: no reach to compare
                continue
            if previous is not None and row["budget"] > previous["budget"]:
                row["marginal_reach_per_unit"] = (
                    (row["target_reach"] - previous["target_reach"]) / (row["budget"] - previous["budget"]))
            previous = row


def sweep_table(rows: Sequence[Mapping[str, Any]], title: str) -> Table:
    keys = list(rows[0]["parameters"]) if rows else []
    columns = tuple(keys) + ("strategy", "status", "budget", "spent", "creators_by_tier", "target_reach",
                             "engagements", "marginal_reach_per_unit", "cost_per_reached", "gap %")
    out = []
    for row in rows:
        values = dict(row, **row["parameters"])
        values["gap %"] = None if row.get("gap") is None else 100.0 * row["gap"]
        out.append(tuple(values.get(c) for c in columns))
    notes = tuple(f"{row['parameters']}: infeasible: {row['reason']}" for row in rows if row.get("reason"))
    return Table(columns=columns, rows=tuple(out), title=title, best={"target_reach": "max", "cost_per_reached": "min"},
                 notes=notes)
