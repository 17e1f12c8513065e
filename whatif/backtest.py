"""``reachmix backtest``: are the forecast bands honest on videos the fit has not seen?

1. Split the creators (not the videos: a creator's videos are alike, so a video split would leak)
   into a train and a test side, ``train_share`` of them for training, with a seeded permutation.
2. Calibrate on the train side's observations (``simulate.calibrate``: accumulation curve, views
   from followers, within-creator dispersion by tier).
3. For each test video, forecast its views AT ITS OBSERVED AGE (its latest observation) twice,
   as a log-normal ``N(mu, s)`` of log-views:

   * **history**: from the creator's *other* videos (the video itself left out). ``mu`` = mean of
     their log eventual views (each corrected for age with the train curve, ``whatif.ingest``) +
     ``log A(age)``; ``s = sigma x sqrt(1 + 1/n)`` with ``n`` the other videos and ``sigma`` their
     spread shrunk toward the tier's (``whatif.ingest.shrunk_sigma``): the ``1/n`` term is the
     uncertainty of the creator's own mean. A creator with no other video is skipped (counted).
   * **followers**: from the follower count only, with the train fit's curve of views on followers
     and its residual spread (``follower_prediction``).
4. Score: ``coverage_90`` = share of real views inside p5-p95 (ideal 0.90), ``coverage_50`` inside
   p25-p75 (ideal 0.50), ``median_ratio`` = median over videos of predicted median / real (ideal 1),
   overall and by tier (the creator's tier by its latest follower count); the PIT of each real
   value (its predicted quantile) for the calibration chart: a flat histogram is ideal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from scenarios import Tiers
from scenarios.errors import ReachmixError, option
from simulate.curve import share_by_age
from simulate.history import HistoryFrame, load_history

from .formats import Percent, Table
from .ingest import (curve_of, fit_calibration, latest_rows, require_rows, shrunk_sigma, tier_sigmas,
                     video_log_finals)

Z90 = 1.6448536269514722   # standard normal p95
Z50 = 0.6744897501960817   # standard normal p75
METHODS = ("history", "followers")
#: Fewest test videos and test creators a method's scores are trusted on: with 30 videos the
#: standard error of a 90% coverage is already about 5 points (sqrt(0.9 x 0.1 / 30)), and a
#: creator's videos are alike, so fewer than 10 creators make even that optimistic.
MIN_SCORED_VIDEOS = 30
MIN_SCORED_CREATORS = 10


class BacktestError(ReachmixError):
    """Bad backtest arguments or too little data to split."""


def _phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * special.erfc(-np.asarray(z, dtype=float) / math.sqrt(2.0))


# ------------------------------------------------------------------------------------------------
# Forecasts

def follower_prediction(calibration, followers: np.ndarray, tiers: Tiers) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of log eventual views from followers alone, from a calibration.

    ``calibration.predict_from_followers`` when the fit chose a follower model (the power curve or
    per-tier rates, with creator random effects: their total spread), else the per-tier log-normal
    of views per follower (``views_per_follower[tier]``: mu, sigma of ``log(V / F)``; the pooled fit
    where a tier has none; log(0.25) and 1.5 when nothing was fitted).
    """
    followers = np.asarray(followers, dtype=float)
    if calibration.view_model:
        mu, sigma = calibration.predict_from_followers(followers)
        return np.asarray(mu, dtype=float), np.broadcast_to(np.asarray(sigma, dtype=float), followers.shape).copy()
    vpf = calibration.views_per_follower
    tier = tiers.classify(followers)
    overall = vpf.get("all") or {"mu": math.log(0.25), "sigma": 1.5}
    mus = np.array([vpf.get(n, overall)["mu"] for n in tiers.names] + [overall["mu"]])
    sigmas = np.array([vpf.get(n, overall)["sigma"] for n in tiers.names] + [overall["sigma"]])
    return np.log(np.maximum(followers, 1.0)) + mus[tier], sigmas[tier]


def forecasts(test: HistoryFrame, calibration, tiers: Tiers = Tiers()) -> dict[str, Any]:
    """Both methods' (mu, sigma) of log-views at each test video's latest observation."""
    curve = curve_of(calibration)
    last = latest_rows(test)
    who = test.creator[last]
    followers = test.followers[last]
    log_age_share = np.log(np.maximum(share_by_age(test.age_days[last], *curve), 1e-12))
    real = test.views[last]

    # history: leave-one-out mean and spread of the creator's other videos (sums, then subtract).
    x = video_log_finals(test, curve)
    creators = test.creators
    n_all = np.bincount(who, minlength=creators).astype(float)
    s1 = np.bincount(who, weights=x, minlength=creators)
    s2 = np.bincount(who, weights=x * x, minlength=creators)
    n = n_all[who] - 1.0
    other_sum = s1[who] - x
    mean = other_sum / np.maximum(n, 1.0)
    var = np.where(n >= 2, (s2[who] - x * x - other_sum * mean) / np.maximum(n - 1.0, 1.0), np.nan)
    var = np.maximum(var, 0.0)
    # The tier of a creator is fixed by its latest follower count (one tier per creator).
    newest = np.full(creators, -np.inf)
    np.maximum.at(newest, who, test.observed_at[last])
    creator_followers = np.zeros(creators)
    at_newest = test.observed_at[last] == newest[who]
    creator_followers[who[at_newest]] = followers[at_newest]
    tier = tiers.classify(creator_followers)[who]
    sigma = shrunk_sigma(var, n, tier_sigmas(calibration, tiers)[tier]) * np.sqrt(1.0 + 1.0 / np.maximum(n, 1))
    usable = n >= 1

    f_mu, f_sigma = follower_prediction(calibration, followers, tiers)
    return {"real": real, "tier": tier, "creator": who,
            "history": {"mu": np.where(usable, mean + log_age_share, np.nan), "sigma": np.where(usable, sigma, np.nan),
                        "usable": usable},
            "followers": {"mu": f_mu + log_age_share, "sigma": f_sigma, "usable": np.isfinite(f_mu)}}


# ------------------------------------------------------------------------------------------------
# Scores

def score(real: np.ndarray, mu: np.ndarray, sigma: np.ndarray, creator: np.ndarray | None = None) -> dict[str, Any]:
    """coverage_90, coverage_50, median_ratio and the PIT values of real views under N(mu, sigma);
    ``creators`` = distinct ``creator`` ids scored (the videos of one creator are not independent)."""
    real = np.asarray(real, dtype=float)
    creators = int(np.unique(creator).size) if creator is not None else None
    with np.errstate(divide="ignore"):
        z = (np.log(real) - mu) / sigma  # 0 real views: z = -inf, below every band
    if real.size == 0:
        return {"videos": 0, "creators": 0, "coverage_90": None, "coverage_50": None, "median_ratio": None,
                "pit": np.zeros(0)}
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.exp(mu) / real
    return {"videos": int(real.size), "creators": creators, "coverage_90": float(np.mean(np.abs(z) <= Z90)),
            "coverage_50": float(np.mean(np.abs(z) <= Z50)), "median_ratio": float(np.median(ratio)),
            "pit": _phi(z)}


def evaluate(test: HistoryFrame, calibration, tiers: Tiers = Tiers()) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The contract's ``{"history": M, "followers": M}`` for a test side, and the PIT values."""
    f = forecasts(test, calibration, tiers)
    out: dict[str, Any] = {}
    pits = {}
    for method in METHODS:
        m = f[method]
        ok = m["usable"]
        overall = score(f["real"][ok], m["mu"][ok], m["sigma"][ok], f["creator"][ok])
        pits[method] = overall.pop("pit")
        by_tier = {}
        for k, name in enumerate(tiers.names):
            sel = ok & (f["tier"] == k)
            if sel.any():
                s = score(f["real"][sel], m["mu"][sel], m["sigma"][sel], f["creator"][sel])
                s.pop("pit")
                by_tier[name] = s
        overall["by_tier"] = by_tier
        overall["skipped"] = int((~ok).sum())
        out[method] = overall
    return out, pits


def small_sample_warnings(result: Mapping[str, Any]) -> list[str]:
    """A warning for each method scored on fewer than ``MIN_SCORED_VIDEOS`` videos or
    ``MIN_SCORED_CREATORS`` creators: its coverage is then too noisy to judge the bands by."""
    out = []
    for method in METHODS:
        videos, creators = result[method]["videos"], result[method]["creators"] or 0
        if videos < MIN_SCORED_VIDEOS or creators < MIN_SCORED_CREATORS:
            out.append(f"backtest: the {method} forecast was scored on {videos:,} test video(s) of {creators:,} "
                       f"creator(s) (fewer than {MIN_SCORED_VIDEOS} videos or {MIN_SCORED_CREATORS} creators): its "
                       f"coverage is too noisy to judge; give more creators or a smaller {option('train-share')}")
    return out


def split_creators(creators: int, train_share: float, seed: int) -> np.ndarray:
    """Boolean mask of train creators: a seeded permutation, ``round(share x C)`` of them (>= 1 each side)."""
    if not 0.0 < train_share < 1.0:
        raise BacktestError(f"{option('train-share', train_share)}: give a fraction between 0 and 1, e.g. 0.7")
    if creators < 2:
        raise BacktestError(f"the history has {creators} creator(s); a backtest needs at least 2 (one to fit, "
                            "one to test)")
    k = min(max(int(round(train_share * creators)), 1), creators - 1)
    order = np.random.default_rng(seed).permutation(creators)
    train = np.zeros(creators, dtype=bool)
    train[order[:k]] = True
    return train


def backtest(paths: Sequence[str | Path], *, options=None, train_share: float = 0.7, seed: int = 0,
             tiers: Tiers = Tiers(), plot: str | Path | None = None) -> dict[str, Any]:
    frame, report = load_history(list(paths), options)
    return backtest_frame(frame, report, train_share=train_share, seed=seed, tiers=tiers, plot=plot)


def backtest_frame(frame: HistoryFrame, report, *, train_share: float = 0.7, seed: int = 0, tiers: Tiers = Tiers(),
                   plot: str | Path | None = None) -> dict[str, Any]:
    require_rows(frame, report, BacktestError)
    train_mask = split_creators(frame.creators, train_share, seed)
    train = frame.take(train_mask[frame.creator])
    test = frame.take(~train_mask[frame.creator])
    calibration = fit_calibration(train, report, source=", ".join(frame.sources) + " (train side)")
    result, pits = evaluate(test, calibration, tiers)
    result.update({
        "train_share": float(train_share), "seed": int(seed),
        "train": {"creators": train.creators, "videos": train.videos, "observations": len(train)},
        "test": {"creators": test.creators, "videos": test.videos, "observations": len(test)},
        "warnings": list(dict.fromkeys(list(report.warnings) + list(calibration.warnings)
                                       + small_sample_warnings(result))),
    })
    if plot is not None:
        calibration_chart(pits, plot)
        result["plot"] = str(plot)
    return result


# ------------------------------------------------------------------------------------------------
# Output

def backtest_tables(result: Mapping[str, Any]) -> tuple[Table, ...]:
    rows = []
    for method in METHODS:
        m = result[method]
        rows.append((method, "all", m["videos"], m["creators"], _pct(m["coverage_90"]), _pct(m["coverage_50"]),
                     m["median_ratio"]))
        for tier, s in m["by_tier"].items():
            rows.append((method, tier, s["videos"], s["creators"], _pct(s["coverage_90"]), _pct(s["coverage_50"]),
                         s["median_ratio"]))
    notes = (f"Ideal: coverage_90 90%, coverage_50 50%, median_ratio 1. Train: {result['train']['creators']:,} "
             f"creators; test: {result['test']['creators']:,} creators, {result['test']['videos']:,} videos.",)
    if result["history"].get("skipped"):
        notes += (f"history: {result['history']['skipped']:,} test video(s) skipped (their creator has no "
                  "other video).",)
    return (Table(columns=("method", "tier", "videos", "creators", "coverage_90", "coverage_50", "median_ratio"),
                  rows=tuple(rows), title=f"Backtest (train share {result['train_share']:g}, seed {result['seed']})",
                  notes=notes),)


def _pct(value):
    return None if value is None else Percent(value)


def calibration_chart(pits: Mapping[str, np.ndarray], path: str | Path | None = None, *, fmt: str | None = None):
    """Histogram of each real value's predicted quantile (PIT), one panel per method; flat is ideal.

    Too many values at the edges = bands too narrow; a hump in the middle = too wide; a slope =
    forecasts biased (more mass near 1: real views above the forecast).
    """
    from .charts import ACCENT, MUTED, _new_figure, _output, _style

    fig = _new_figure(9.0, 3.8)
    axes = fig.subplots(1, len(pits), sharey=True)
    axes = np.atleast_1d(axes)
    bins = np.linspace(0.0, 1.0, 11)
    for ax, (method, pit) in zip(axes, pits.items()):
        _style(ax)
        pit = np.asarray(pit, dtype=float)
        if pit.size:
            ax.hist(pit, bins=bins, weights=np.full(pit.size, 10.0 / pit.size), color=ACCENT, alpha=0.85,
                    edgecolor="white")
        ax.axhline(1.0, color=MUTED, linestyle="--", linewidth=1, label="ideal (flat)")
        ax.set_title(f"{method} ({pit.size:,} videos)")
        ax.set_xlabel("predicted quantile of the real views")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("density")
    axes[0].legend(loc="upper center", frameon=False)
    fig.suptitle("Forecast calibration (PIT histogram)")
    return _output(fig, path, fmt)
