"""Metric definitions: what the engine stores per run, and how every reported KPI derives from it.

The engine stores eight cumulative series per run (``STORED``). Every reported metric over any
window of days (the whole campaign so far, a week, a month, a KPI's window) is a function of those
series at the window's two ends, so daily series, roll-ups and KPI probabilities all come from one
definition here.
"""

from __future__ import annotations

import numpy as np

#: Cumulative per-run series the engine records each day. ``follower_exposure`` is the summed
#: follower counts of the creators whose posts are live (the denominator of engagement per follower).
STORED: tuple[str, ...] = (
    "views", "target_reach", "likes", "comments", "shares", "followers_gained", "spend", "follower_exposure",
)
#: Additive metrics: a window's value is the difference of the cumulative series at its ends.
ADDITIVE: dict[str, tuple[str, ...]] = {
    "views": ("views",),
    "target_reach": ("target_reach",),
    "likes": ("likes",),
    "comments": ("comments",),
    "shares": ("shares",),
    "engagements": ("likes", "comments", "shares"),
    "followers_gained": ("followers_gained",),
    "spend": ("spend",),
}
#: Ratio metrics: (numerator, denominator, scale), both additive; undefined when the denominator <= 0.
RATIOS: dict[str, tuple[str, str, float]] = {
    "engagement_rate": ("engagements", "views", 1.0),
    "engagement_rate_followers": ("engagements", "follower_exposure", 1.0),
    "cpm": ("spend", "views", 1000.0),
    "cost_per_engagement": ("spend", "engagements", 1.0),
    "cost_per_follower": ("spend", "followers_gained", 1.0),
}
#: Every reported metric, in display order.
REPORTED: tuple[str, ...] = (
    "views", "target_reach", "likes", "comments", "shares", "engagements", "engagement_rate",
    "engagement_rate_followers", "followers_gained", "spend", "cpm", "cost_per_engagement", "cost_per_follower",
)
_INDEX = {name: m for m, name in enumerate(STORED)}


def _additive(series: np.ndarray, name: str, hi, lo) -> np.ndarray:
    """Sum of the stored parts of ``name`` at day(s) ``hi`` minus at ``lo`` (``lo`` < 0: from zero)."""
    parts = ADDITIVE.get(name, (name,))
    out = None
    for part in parts:
        col = series[_INDEX[part]]
        value = col[hi].astype(float)
        if np.ndim(lo):
            # Per-row window starts (roll-ups): rows whose window starts at day 0 subtract nothing.
            value = value - np.where((lo >= 0)[:, None], col[np.maximum(lo, 0)], 0.0)
        elif lo >= 0:
            value = value - col[lo].astype(float)
        out = value if out is None else out + value
    return out


def window_values(series: np.ndarray, metric: str, hi, lo=-1) -> np.ndarray:
    """Per-run ``metric`` over days (lo, hi]: ``series`` is (len(STORED), days, runs).

    ``hi`` may be an index (one value per run) or an index array (then rows = days). Ratios of a
    run whose denominator is <= 0 (nothing viewed yet, no follower gained) are NaN.
    """
    if metric in RATIOS:
        num, den, scale = RATIOS[metric]
        n = _additive(series, num, hi, lo)
        d = _additive(series, den, hi, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d > 0, scale * n / np.where(d > 0, d, 1.0), np.nan)
    return _additive(series, metric, hi, lo)


def stats(values: np.ndarray, percentiles, axis: int = -1, mean: np.ndarray | None = None) -> dict:
    """{"mean", "p5", "p50", "p95"} over runs (``axis``), NaN-aware; ``mean`` overrides the mean (exact sums).

    Values are lists when ``values`` has a day axis, else floats; undefined statistics are None.
    """
    values = np.asarray(values, dtype=float)
    finite = ~np.isnan(values)
    anynan = not finite.all()
    with np.errstate(invalid="ignore", divide="ignore"):
        if mean is None:
            count = finite.sum(axis=axis)
            mean = np.where(count > 0, np.where(finite, values, 0.0).sum(axis=axis) / np.maximum(count, 1), np.nan)
        if anynan:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN days -> NaN, reported as None
                q = np.nanpercentile(values, percentiles, axis=axis)
        else:
            q = np.percentile(values, percentiles, axis=axis)
    out = {"mean": _clean(mean)}
    for p, row in zip(percentiles, q):
        out[f"p{p:g}"] = _clean(row)
    return out


def _clean(x):
    """NaN -> None (JSON null), arrays -> lists of floats."""
    if np.ndim(x):
        return [None if np.isnan(v) else float(v) for v in np.asarray(x, dtype=float)]
    x = float(x)
    return None if np.isnan(x) else x
