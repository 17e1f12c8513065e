"""``SimulationResult``: statistics of the runs, KPI probabilities and roll-ups, as the contract's JSON.

Built once from the per-run series (``summarise``); the per-run arrays are then dropped except
each metric's final values (``finals``), which reports may histogram.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from scenarios import Scenario

from . import assumptions
from .curve import AccumulationCurve
from .metrics import ADDITIVE, REPORTED, STORED, stats, window_values
from .schedule import Prepared, tier_dispersion

#: Roll-up periods in days ("monthly" = 30-day periods: campaigns start on any weekday/date).
PERIODS = {"weekly": 7, "monthly": 30}
#: KPI windows ending at by_day (None = from the campaign's start).
KPI_WINDOW_DAYS = {"campaign": None, "weekly": 7, "monthly": 30}
#: Elements per batch when computing daily percentiles (bounds the temporary float64 arrays).
BATCH_ELEMENTS = 4_000_000


@dataclass(frozen=True, eq=False, repr=False)
class SimulationResult:
    """The statistics of ``runs`` Monte Carlo runs over ``days`` days: daily bands (``series``),
    campaign ``totals``, KPI probabilities, weekly/monthly roll-ups; ``to_dict()`` is the JSON."""

    scenario: str
    runs: int
    days: int
    seed: int
    series: dict[str, dict[str, list]] = field(repr=False)
    totals: dict[str, dict[str, float | None]] = field(repr=False)
    kpi_targets: list[dict[str, Any]] = field(repr=False)
    rollups: dict[str, list[dict[str, Any]]] = field(repr=False)
    assumptions: dict[str, Any] = field(repr=False)
    notes: list[str] = field(default_factory=list, repr=False)
    #: Final (last-day) value of every reported metric in every run, float32, for histograms.
    finals: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        """One short line (the daily series of a long simulation would be tens of thousands of characters)."""
        name = self.scenario if len(self.scenario) <= 60 else self.scenario[:57] + "..."
        kpis, notes = len(self.kpi_targets), len(self.notes)
        return (f"SimulationResult({name!r}: {self.runs:,} runs x {self.days} days, seed {self.seed}; "
                f"{len(self.totals)} metrics: {', '.join(self.totals)}; {kpis} KPI target{'' if kpis == 1 else 's'}"
                f"{f'; {notes} note' + ('' if notes == 1 else 's') if notes else ''})")

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``simulate`` JSON (section 6) plus roll-ups, assumptions and notes."""
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "days": self.days,
            "seed": self.seed,
            "series": self.series,
            "totals": self.totals,
            "kpi_targets": self.kpi_targets,
            "weekly": self.rollups["weekly"],
            "monthly": self.rollups["monthly"],
            "assumptions": self.assumptions,
            "notes": list(self.notes),
        }

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per metric with the totals: ``{"metric", "mean", "p5", "p50", "p95"}``."""
        return [{"metric": m, **self.totals[m]} for m in REPORTED]

    def kpi_rows(self) -> list[dict[str, Any]]:
        """The KPI targets in priority order with their probability of being met."""
        return [dict(k) for k in self.kpi_targets]


def _daily_stats(series: np.ndarray, metric: str, mean: np.ndarray | None) -> dict[str, list]:
    days, runs = series.shape[1], series.shape[2]
    step = max(1, BATCH_ELEMENTS // max(runs, 1))
    parts = []
    for lo in range(0, days, step):
        idx = np.arange(lo, min(days, lo + step))
        parts.append(stats(window_values(series, metric, idx), assumptions.PERCENTILES, axis=1,
                           mean=None if mean is None else mean[idx]))
    return {key: [v for p in parts for v in p[key]] for key in parts[0]}


def _rollups(series: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """Within-period values (weekly, 30-day "monthly") of every metric, all periods at once."""
    days = series.shape[1]
    out = {}
    for name, length in PERIODS.items():
        starts = np.arange(0, days, length)
        ends = np.minimum(days, starts + length) - 1
        rows = [{"period": k + 1, "start_day": int(a), "end_day": int(b)} for k, (a, b) in enumerate(zip(starts, ends))]
        for metric in REPORTED:
            st = stats(window_values(series, metric, ends, starts - 1), assumptions.PERCENTILES, axis=1)
            for k, row in enumerate(rows):
                row[metric] = {key: values[k] for key, values in st.items()}
        out[name] = rows
    return out


def _kpis(scenario: Scenario, series: np.ndarray, notes: list[str]) -> list[dict[str, Any]]:
    days = series.shape[1]
    out = []
    for kpi in scenario.kpis:  # already sorted by priority (ties keep file order)
        day = min(kpi.by_day, days - 1)
        length = KPI_WINDOW_DAYS.get(kpi.window)
        lo = -1 if length is None else max(-1, day - length)
        values = window_values(series, kpi.metric, day, lo)
        met = np.nan_to_num(values, nan=-np.inf) >= kpi.target  # undefined (e.g. no views yet) = not met
        row = {"metric": kpi.metric, "target": kpi.target, "by_day": kpi.by_day, "priority": kpi.priority,
               "window": kpi.window, "probability": float(met.mean()),
               "mean": stats(values, assumptions.PERCENTILES)["mean"]}
        if kpi.by_day > days - 1:
            row["note"] = f"by_day {kpi.by_day} is after the last simulated day {days - 1}; evaluated at day {days - 1}"
            notes.append(f"KPI {kpi.metric} (priority {kpi.priority}): {row['note']}; raise [simulation] days")
        out.append(row)
    return out


def _assumptions(scenario: Scenario, prep: Prepared) -> dict[str, Any]:
    s = scenario.simulation
    curve = AccumulationCurve.from_settings(s)
    used = {k: v for k, v in asdict(s).items() if v is not None}
    used["view_dispersion_by_tier"] = dict(zip(scenario.tiers.names, tier_dispersion(s, scenario.tiers.names)[:-1].tolist()))
    used["accumulation_curve"] = {f"{a:g}d": float(curve(a)) for a in assumptions.PUBLISHED_ACCUMULATION}
    used["published_accumulation"] = {f"{a:g}d": v for a, v in assumptions.PUBLISHED_ACCUMULATION.items()}
    used["repeat_decay"] = scenario.model.repeat_decay
    used["block_runs"] = assumptions.BLOCK_RUNS
    used["day_convention"] = "days are 0-based (day 0 = campaign start); series[d] = cumulative by the end of day d"
    return used


def summarise(scenario: Scenario, prep: Prepared, *, runs: int, days: int, seed: int,
              series: np.ndarray, block_sums: np.ndarray) -> SimulationResult:
    """Statistics of all runs. Means of additive metrics come from exact float64 block sums."""
    exact_mean = block_sums.sum(axis=0) / runs  # (STORED, days), summed in block order
    index = {name: m for m, name in enumerate(STORED)}
    notes: list[str] = []
    if prep.beyond_horizon:
        notes.append(f"{prep.beyond_horizon} bought post(s) are scheduled after day {days - 1} and are not simulated; "
                     "raise [simulation] days, lower post_spacing_days or schedule them earlier")
    daily, totals, finals = {}, {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for metric in REPORTED:
            mean = None
            if metric in ADDITIVE:
                mean = sum(exact_mean[index[p]] for p in ADDITIVE[metric])
            daily[metric] = _daily_stats(series, metric, mean)
            totals[metric] = {k: v[-1] for k, v in daily[metric].items()}
            finals[metric] = window_values(series, metric, days - 1).astype(np.float32)
    return SimulationResult(
        scenario=scenario.name, runs=runs, days=days, seed=seed, series=daily, totals=totals,
        kpi_targets=_kpis(scenario, series, notes), rollups=_rollups(series),
        assumptions=_assumptions(scenario, prep), notes=notes, finals=finals,
    )
