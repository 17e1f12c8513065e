"""Notebook-friendly results: a short ``repr``, ``to_frame()`` (pandas, optional) and ``_repr_html_``.

Each wraps what the library returns (the rows ``reachmix compare`` and ``sweep`` print, a
``SimulationResult``, a backtest's dict) without changing it: ``.rows`` / ``.result`` are the
library's own objects, so the command line and a notebook show the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scenarios import Plan
from scenarios.frames import data_frame, html_table

#: Columns shown in the HTML table of a comparison, a sweep or a frontier (all stay in ``rows``).
SHOWN = ("strategy", "status", "budget", "spent", "target_reach", "target_impressions", "engagements",
         "cpm_target", "gap")


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return str(value)


def _rows_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], caption: str) -> str:
    columns = [c for c in columns if any(c in row for row in rows)]
    return html_table(columns, ([_fmt(row.get(c)) for c in columns] for row in rows), caption)


@dataclass(frozen=True, eq=False)
class Simulation:
    """A Monte Carlo projection (``reachmix.simulate``): ``result`` is the ``SimulationResult``."""

    result: Any = field(repr=False)
    plan: Plan | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        r = self.result
        reach = r.totals.get("target_reach", {})
        shown = f", target reach p50 {reach['p50']:,.0f}" if reach.get("p50") is not None else ""
        return f"Simulation({r.scenario!r}, {r.runs:,} runs x {r.days} days{shown})"

    @property
    def totals(self) -> dict[str, dict[str, float | None]]:
        """Campaign totals per metric: ``{"mean", "p5", "p50", "p95"}``."""
        return self.result.totals

    @property
    def kpi_targets(self) -> list[dict[str, Any]]:
        """Each KPI target with the probability of meeting it."""
        return self.result.kpi_targets

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``simulate`` JSON."""
        return self.result.to_dict()

    def to_frame(self, kind: str = "totals"):
        """A pandas DataFrame: ``"totals"`` (one row per metric: mean, p5, p50, p95), ``"daily"``
        (one row per day and metric, cumulative), ``"kpis"`` (one row per KPI target) or
        ``"weekly"`` / ``"monthly"`` (one row per period and metric, within the period)."""
        r = self.result
        if kind == "totals":
            return data_frame(r.summary_rows())
        if kind == "kpis":
            return data_frame(r.kpi_rows())
        if kind == "daily":
            rows = []
            for metric, stats in r.series.items():
                days = len(next(iter(stats.values()), []))
                rows += [{"day": d + 1, "metric": metric, **{k: v[d] for k, v in stats.items()}} for d in range(days)]
            return data_frame(rows)
        if kind in ("weekly", "monthly"):
            rows = [{**{k: v for k, v in period.items() if not isinstance(v, Mapping)}, "metric": metric, **values}
                    for period in r.rollups[kind] for metric, values in period.items() if isinstance(values, Mapping)]
            return data_frame(rows)
        from scenarios.errors import ReachmixError, did_you_mean

        kinds = ("totals", "daily", "kpis", "weekly", "monthly")
        raise ReachmixError(f'to_frame kind "{kind}" is not one of {", ".join(kinds)}{did_you_mean(kind, kinds)}')

    def _repr_html_(self) -> str:
        r = self.result
        rows = [[m, *(_fmt(row.get(k)) for k in ("mean", "p5", "p50", "p95"))] for m, row in
                ((row["metric"], row) for row in r.summary_rows())]
        rows += [[f"P({k['metric']} >= {k['target']:g} by day {k['by_day']})", _fmt(k.get("probability")), "", "", ""]
                 for k in r.kpi_targets]
        return html_table(("metric", "mean", "p5", "p50", "p95"), rows,
                          f"{r.scenario}: {r.runs:,} runs x {r.days} days (seed {r.seed})")


@dataclass(frozen=True, eq=False)
class Rows:
    """Result rows (one dict each, as the command's JSON) with ``to_frame`` and an HTML table."""

    rows: list[dict[str, Any]] = field(repr=False)
    title: str = "rows"

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, k: int) -> dict[str, Any]:
        return self.rows[k]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.rows)} row{'' if len(self.rows) == 1 else 's'})"

    def _columns(self) -> list[str]:
        return list(SHOWN)

    def to_frame(self):
        """The rows as a pandas DataFrame (nested values such as ``creators_by_tier`` stay dicts)."""
        return data_frame(self.rows)

    def _repr_html_(self) -> str:
        return _rows_html(self.rows, self._columns(), self.title)


@dataclass(frozen=True, eq=False, repr=False)
class Comparison(Rows):
    """Scenarios x strategies (``reachmix.compare``): ``rows`` as ``reachmix compare --format json``;
    ``plans`` the plans in the same order (``None`` where the rules conflict)."""

    plans: list[Plan | None] = field(default_factory=list, repr=False)

    def _columns(self) -> list[str]:
        return ["scenario", *SHOWN]


@dataclass(frozen=True, eq=False, repr=False)
class Sweep(Rows):
    """One row per grid point (``reachmix.sweep``); each row's ``parameters`` become columns in
    ``to_frame`` and the HTML table."""

    def to_frame(self):
        """The rows as a pandas DataFrame, one column per swept key first."""
        keys = list(dict.fromkeys(k for row in self.rows for k in row.get("parameters", {})))
        return data_frame([{**row.get("parameters", {}), **row} for row in self.rows],
                          keys + [c for c in dict.fromkeys(c for row in self.rows for c in row) if c not in keys])

    def _columns(self) -> list[str]:
        keys = list(dict.fromkeys(k for row in self.rows for k in row.get("parameters", {})))
        return [*keys, *SHOWN, "marginal_reach_per_unit"]

    def _repr_html_(self) -> str:
        return _rows_html([{**row.get("parameters", {}), **row} for row in self.rows], self._columns(), self.title)


@dataclass(frozen=True, eq=False, repr=False)
class Frontier(Rows):
    """Best reach (or another metric) per budget (``reachmix.frontier``)."""

    def _columns(self) -> list[str]:
        return ["budget", "status", "spent", "target_reach", "target_impressions", "engagements", "creators", "gap"]


@dataclass(frozen=True, eq=False, repr=False)
class Benchmark(Rows):
    """Strategies scored on benchmark instances (``reachmix.bench``): ``rows`` one per strategy,
    as the table of ``reachmix bench``; ``result`` the command's JSON (per-instance results too)."""

    result: dict[str, Any] = field(default_factory=dict, repr=False)

    def _columns(self) -> list[str]:
        return ["strategy", "instances", "ratio_mean", "ratio_worst", "proven_optimal_share", "seconds_median",
                "budget_use_mean", "kpi_p1_mean"]


@dataclass(frozen=True, eq=False)
class Backtest:
    """How good the forecasts of new videos are (``reachmix.backtest``): ``result`` is the
    contract's backtest JSON; ``to_frame`` has one row per method and tier."""

    result: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        h = self.result.get("history", {})
        cov = h.get("coverage_90")
        shown = "" if cov is None else f", history coverage_90 {100 * cov:.1f}%"
        return f"Backtest({self.result.get('test', {}).get('videos', 0):,} test videos{shown})"

    def rows(self) -> list[dict[str, Any]]:
        """One dict per method ("history", "followers") and tier ("all" first)."""
        out = []
        for method in ("history", "followers"):
            m = self.result.get(method)
            if not m:
                continue
            keys = ("videos", "coverage_90", "coverage_50", "median_ratio")
            out.append({"method": method, "tier": "all", **{k: m.get(k) for k in keys}})
            out += [{"method": method, "tier": tier, **{k: s.get(k) for k in keys}}
                    for tier, s in m.get("by_tier", {}).items()]
        return out

    def to_frame(self):
        """``rows()`` as a pandas DataFrame."""
        return data_frame(self.rows())

    def _repr_html_(self) -> str:
        return _rows_html(self.rows(), ("method", "tier", "videos", "coverage_90", "coverage_50", "median_ratio"),
                          "Backtest (ideal: coverage_90 0.9, coverage_50 0.5, median_ratio 1)")
