"""Charts of plans, simulations and what-if results (matplotlib; PNG or SVG).

Every function draws on its own ``matplotlib.figure.Figure`` (no pyplot, so no global figure
registry, no backend switch and nothing to close: a figure is freed with its last reference) and
returns the rendered chart: PNG ``bytes`` or SVG ``str``. Given a ``path`` it also writes the file,
in the format its suffix names (``.png`` or ``.svg``); without one, ``fmt`` chooses.

Text that came from user data (strategy names, tiers, currency) is drawn literally: ``$`` would
otherwise start matplotlib's math mode, so ``_plain`` escapes it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from scenarios.errors import ReachmixError, one_line
from scenarios.files import OutputError, atomic_write_bytes
from scenarios.tiers import TIER_NAMES

FORMATS = ("png", "svg")
#: Colours that read on white and in grey print; one per tier so every chart agrees.
TIER_COLOURS = {"nano": "#8fbc8f", "micro": "#3a923a", "mid": "#1f77b4", "macro": "#9467bd", "mega": "#d62728"}
ACCENT, BAND, MUTED = "#1f4e79", "#9ecae1", "#6b7280"
PNG_DPI = 150


class ChartError(ReachmixError):
    """A chart cannot be drawn or written (bad file suffix, missing data)."""


# --------------------------------------------------------------------------------------------
# Shared plumbing


def _plain(text: Any) -> str:
    """User text drawn as-is: escape ``$`` (math mode) and keep it on one line."""
    return one_line(str(text)).replace("$", r"\$")


def _short(value: float, _pos=None) -> str:
    """Axis numbers a planner reads at a glance: 1.2M, 350K, 900."""
    a = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _format_for(path: str | Path | None, fmt: str | None) -> str:
    if path is None:
        fmt = (fmt or "svg").lower().lstrip(".")
        if fmt not in FORMATS:
            raise ChartError(f'chart format "{fmt}" is not supported; use png or svg')
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        shown = f'"{Path(path).suffix}"' if suffix else "no suffix"
        raise ChartError(f"{path}: cannot write a chart with {shown}; name the file .png or .svg")
    return suffix


def _new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.set_facecolor("white")
    return fig


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _output(fig: Figure, path: str | Path | None, fmt: str | None) -> bytes | str:
    """Render ``fig`` once; write it to ``path`` when given; return PNG bytes or SVG text."""
    kind = _format_for(path, fmt)
    buf = io.BytesIO()
    # A fixed hash salt and no date make SVG output reproducible (diffable, cacheable); the
    # rc_context restores the global setting afterwards.
    with matplotlib.rc_context({"svg.hashsalt": "reachmix", "svg.fonttype": "path"}):
        if kind == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    data = buf.getvalue()
    if path is not None:
        try:  # atomically: a reader sees the old chart or the new one, never a part
            atomic_write_bytes(path, data, what="the chart")
        except OutputError as exc:
            raise ChartError(str(exc)) from None
    return data.decode("utf-8") if kind == "svg" else data


def _number(row: Mapping, key: str, where: str) -> float:
    value = row.get(key) if isinstance(row, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ChartError(f'{where}: needs a number under "{key}"')
    return float(value)


# --------------------------------------------------------------------------------------------
# Budget-reach curve


def budget_curve(rows: Sequence[Mapping], path: str | Path | None = None, *, currency: str = "",
                 fmt: str | None = None, budget: float | None = None) -> bytes | str:
    """Target reach against budget, one point per row ``{"budget", "target_reach", "spent"}``.

    ``budget`` (optional) marks the scenario's own budget with a vertical line.
    """
    if not rows:
        raise ChartError("budget curve: no rows to draw; run a sweep or frontier first")
    pts = sorted((_number(r, "budget", f"budget curve row {k}"), _number(r, "target_reach", f"budget curve row {k}"),
                  float(r.get("spent") or 0.0)) for k, r in enumerate(rows))
    x, y, spent = (np.array(c) for c in zip(*pts))
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.plot(x, y, color=ACCENT, marker="o", linewidth=2, label="target reach")
    # The shaded area makes flattening (diminishing returns on extra budget) easy to see.
    if len(x) > 1:
        ax.fill_between(x, 0, y, color=BAND, alpha=0.25, linewidth=0)
    if budget is not None:
        ax.axvline(budget, color=MUTED, linestyle="--", linewidth=1)
        ax.annotate("scenario budget", (budget, ax.get_ylim()[1]), xytext=(4, -12), textcoords="offset points",
                    color=MUTED, fontsize=9)
    if np.any(spent > 0):
        ax.scatter(spent, y, color="#f59e0b", marker="x", zorder=3, label="actually spent")
        ax.legend(frameon=False, loc="lower right")
    cur = f" ({_plain(currency)})" if currency else ""
    ax.set_xlabel("budget" + cur)
    ax.set_ylabel("target reach (people)")
    ax.set_title("Budget-reach curve", loc="left", fontweight="bold")
    ax.xaxis.set_major_formatter(FuncFormatter(_short))
    ax.yaxis.set_major_formatter(FuncFormatter(_short))
    ax.set_ylim(bottom=0)
    _style(ax)
    return _output(fig, path, fmt)


# --------------------------------------------------------------------------------------------
# KPI bands over time


def _days(simulation: Mapping, n: int) -> np.ndarray:
    # The simulator may say which day each value is; otherwise value k is day k of the campaign.
    given = simulation.get("day")
    if isinstance(given, list) and len(given) == n:
        return np.asarray(given, dtype=float)
    return np.arange(n, dtype=float)


def kpi_bands(simulation: Mapping, metric: str, kpi_targets: Sequence[Mapping] | None = None,
              path: str | Path | None = None, *, fmt: str | None = None) -> bytes | str:
    """A metric's cumulative p5-p95 ribbon, median and mean by day, with its KPI targets marked.

    ``kpi_targets`` defaults to the simulation's own ``kpi_targets``; only those of ``metric``
    are drawn, each as a marker at (by_day, target) labelled with its probability when known.
    """
    series = (simulation.get("series") or {}) if isinstance(simulation, Mapping) else {}
    if metric not in series:
        raise ChartError(f'simulation has no series for "{metric}"; use one of {", ".join(series) or "(none)"}')
    s = series[metric]
    try:
        p5, p50, p95 = (np.asarray(s[k], dtype=float) for k in ("p5", "p50", "p95"))
        mean = np.asarray(s.get("mean", p50), dtype=float)
    except (KeyError, TypeError, ValueError):
        raise ChartError(f'simulation series "{metric}" needs p5, p50 and p95 lists of numbers') from None
    days = _days(simulation, len(p50))
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.fill_between(days, p5, p95, color=BAND, alpha=0.55, linewidth=0, label="p5-p95 (90% of runs)")
    ax.plot(days, p50, color=ACCENT, linewidth=2, label="median")
    ax.plot(days, mean, color=ACCENT, linewidth=1, linestyle=":", label="mean")
    if kpi_targets is None:
        kpi_targets = simulation.get("kpi_targets") or []
    for t in kpi_targets:
        if not isinstance(t, Mapping) or t.get("metric") != metric:
            continue
        target, by_day = _number(t, "target", f"KPI {metric}"), _number(t, "by_day", f"KPI {metric}")
        prob = t.get("probability")
        label = f"target {_short(target)} by day {by_day:g}"
        if isinstance(prob, (int, float)) and not isinstance(prob, bool):
            label += f": P = {prob:.0%}"
        hit = isinstance(prob, (int, float)) and prob >= 0.8
        colour = "#15803d" if hit else "#b91c1c"
        ax.hlines(target, days[0], by_day, colors=colour, linestyles="--", linewidth=1)
        ax.plot([by_day], [target], marker="D", markersize=8, color=colour, linestyle="none", label=_plain(label))
    ax.set_xlabel("campaign day")
    ax.set_ylabel(_plain(metric.replace("_", " ")) + " (cumulative)")
    ax.set_title(f"{_plain(metric.replace('_', ' ')).capitalize()} over time", loc="left", fontweight="bold")
    ax.yaxis.set_major_formatter(FuncFormatter(_short))
    ax.set_xlim(days[0], max(days[-1], days[0] + 1))
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left", fontsize=9)
    _style(ax)
    return _output(fig, path, fmt)


# --------------------------------------------------------------------------------------------
# Spend by tier


def tier_spend(plan: Mapping) -> tuple[dict[str, float], dict[str, int]]:
    """(spend, creators) by tier from an optimize JSON, or spend from a bare tier -> spend dict."""
    if "selection" not in plan and "spend_by_tier" not in plan:
        return {str(k): float(v) for k, v in plan.items()}, {}
    if isinstance(plan.get("spend_by_tier"), Mapping):
        spend = {str(k): float(v) for k, v in plan["spend_by_tier"].items()}
    else:
        spend = {}
        for row in plan.get("selection") or []:
            spend[str(row.get("tier"))] = spend.get(str(row.get("tier")), 0.0) + float(row.get("cost") or 0.0)
    counts = plan.get("creators_by_tier")
    if not isinstance(counts, Mapping):
        counts = {}
        for row in plan.get("selection") or []:
            counts[str(row.get("tier"))] = counts.get(str(row.get("tier")), 0) + 1
    return spend, {str(k): int(v) for k, v in counts.items()}


def spend_by_tier(plan: Mapping, path: str | Path | None = None, *, currency: str = "", budget: float | None = None,
                  fmt: str | None = None) -> bytes | str:
    """Horizontal bars of spend per tier (optimize JSON, or a ``{tier: spend}`` dict).

    Labels give each tier's share of ``budget`` (default: the plan's ``budget``) and, from a
    plan, its number of creators.
    """
    spend, counts = tier_spend(plan)
    if budget is None and isinstance(plan.get("budget"), (int, float)):
        budget = float(plan["budget"])
    currency = currency or str(plan.get("currency") or "")
    # Known tiers in size order (nano at the top), then any custom names as given.
    names = [t for t in TIER_NAMES if t in spend] + [t for t in spend if t not in TIER_NAMES]
    values = np.array([spend[t] for t in names], dtype=float)
    fig = _new_figure(8.0, max(2.6, 0.6 * len(names) + 1.4))
    ax = fig.add_subplot()
    if not names:
        ax.text(0.5, 0.5, "nothing spent", ha="center", va="center", transform=ax.transAxes, color=MUTED)
    else:
        ypos = np.arange(len(names))[::-1]
        ax.barh(ypos, values, color=[TIER_COLOURS.get(t, MUTED) for t in names], height=0.6)
        ax.set_yticks(ypos, [_plain(t) for t in names])
        top = values.max() if values.max() > 0 else 1.0
        for y, t, v in zip(ypos, names, values):
            bits = [_short(v)]
            if budget:
                share = v / budget
                bits.append("<1% of budget" if 0 < share < 0.005 else f"{share:.0%} of budget")
            if t in counts:
                bits.append(f"{counts[t]} creator{'s' if counts[t] != 1 else ''}")
            ax.text(v + top * 0.01, y, _plain(" | ".join(bits)), va="center", fontsize=9)
        ax.set_xlim(0, top * 1.45)
    ax.xaxis.set_major_formatter(FuncFormatter(_short))
    ax.set_xlabel("spend" + (f" ({_plain(currency)})" if currency else ""))
    ax.set_title("Spend by tier", loc="left", fontweight="bold")
    _style(ax)
    ax.grid(False, axis="y")
    ax.grid(True, axis="x", color="#e5e7eb", linewidth=0.8)
    return _output(fig, path, fmt)


# --------------------------------------------------------------------------------------------
# Strategy comparison


def strategy_comparison(rows: Sequence[Mapping], path: str | Path | None = None, *, currency: str = "",
                        fmt: str | None = None) -> bytes | str:
    """Compare strategies: target reach (bars, spend noted) and engagements, side by side.

    Rows are compare rows ``{"strategy", "target_reach", "spent", "engagements", ...}``; when
    rows come from several scenarios the bar label is "scenario / strategy".
    """
    if not rows:
        raise ChartError("strategy comparison: no rows to draw; run compare first")
    several = len({r.get("scenario") for r in rows}) > 1
    labels, reach, spent, eng = [], [], [], []
    for k, r in enumerate(rows):
        where = f"strategy comparison row {k}"
        name = str(r.get("strategy", f"#{k + 1}"))
        labels.append(_plain(f"{r.get('scenario')} / {name}" if several else name))
        reach.append(_number(r, "target_reach", where))
        spent.append(float(r.get("spent") or 0.0))
        eng.append(float(r.get("engagements") or 0.0))
    reach_a = np.array(reach)
    best = int(np.argmax(reach_a))
    fig = _new_figure(10.0, max(3.0, 0.5 * len(rows) + 1.6))
    ax1, ax2 = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    ypos = np.arange(len(rows))[::-1]
    colours = [ACCENT if k == best else BAND for k in range(len(rows))]
    ax1.barh(ypos, reach_a, color=colours, height=0.6)
    ax1.set_yticks(ypos, labels)
    top = reach_a.max() if reach_a.max() > 0 else 1.0
    cur = f" {_plain(currency)}" if currency else ""
    for y, v, s in zip(ypos, reach_a, spent):
        ax1.text(v + top * 0.01, y, f"{_short(v)} (spent {_short(s)}{cur})", va="center", fontsize=9)
    ax1.set_xlim(0, top * 1.5)
    ax1.set_title("Target reach", loc="left", fontweight="bold")
    ax2.barh(ypos, eng, color="#f59e0b", height=0.6)
    ax2.set_title("Engagements", loc="left", fontweight="bold")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_formatter(FuncFormatter(_short))
        _style(ax)
        ax.grid(False, axis="y")
        ax.grid(True, axis="x", color="#e5e7eb", linewidth=0.8)
    return _output(fig, path, fmt)


# --------------------------------------------------------------------------------------------
# Strategy benchmark


def quality_ratios(rows: Sequence[Mapping], path: str | Path | None = None, *, fmt: str | None = None) -> bytes | str:
    """Benchmark summary: mean and worst objective ratio per strategy (1 = optimal).

    Rows are ``reachmix bench`` summary rows ``{"strategy", "ratio_mean", "ratio_worst"}``.
    """
    if not rows:
        raise ChartError("benchmark chart: no rows to draw; run bench first")
    labels = [_plain(r.get("strategy", f"#{k + 1}")) for k, r in enumerate(rows)]
    mean = np.array([_number(r, "ratio_mean", f"benchmark row {k}") for k, r in enumerate(rows)])
    worst = np.array([_number(r, "ratio_worst", f"benchmark row {k}") for k, r in enumerate(rows)])
    fig = _new_figure(8.0, max(3.0, 0.45 * len(rows) + 1.4))
    ax = fig.add_subplot()
    ypos = np.arange(len(rows))[::-1]
    ax.barh(ypos, mean, color=BAND, height=0.6, label="mean ratio")
    ax.scatter(worst, ypos, color=ACCENT, marker="|", s=200, zorder=3, label="worst instance")
    ax.axvline(1.0, color=MUTED, linestyle="--", linewidth=1)
    ax.set_yticks(ypos, labels)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("objective / known optimum or best proven bound")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower right")
    return _output(fig, path, fmt)
