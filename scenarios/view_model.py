"""Expected views of one post for a creator whose pool row leaves ``avg_views`` blank.

Extension point of the model: the pool reader calls ``default_views`` for every blank cell, so a
better estimate (a follower curve, per-tier rates, a calibration) changes every command at once.

Two models, chosen by ``[model] view_model`` (``"curve"`` or ``"rate"``):

* **curve** (the default when the scenario gives no ``view_rate``):
  ``avg_views = scale * followers ** exponent`` (``[model] view_curve = { scale, exponent }``).
  Views per follower fall with size: on real TikTok data the log-log slope of views on followers
  is about 0.74, not 1 (sources below), so one rate cannot fit nano and mega creators at once.
* **rate** (the contract's original default; chosen whenever ``view_rate`` is given and
  ``view_model`` is not): ``avg_views = followers * view_rate``. ``view_rate`` is one number
  (``view_rate = 0.25``, every tier) or one per tier (``view_rate = { nano = 1.2, micro = 0.8 }``);
  a tier the table leaves out uses the curve.

``avg_views`` is the *expected* (mean) views of one post, as everywhere in the model; the
simulator draws a post's views mean-preservingly around it, with the follower curve's residual
spread ``FOLLOWER_VIEW_SIGMA`` for a creator known only by its followers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

VIEW_MODELS = ("curve", "rate")

#: Slope of log(average views) on log(followers). Source: reachmix field test on a public scrape of
#: ~10,000 TikTok videos by 6,900 creators plus 720 creators' timelines, 2025 (issue 9): ~0.74.
#: Consistent with the public observation that TikTok views per follower fall with audience size
#: (HypeAuditor's and Influencer Marketing Hub's TikTok benchmarks by follower count report views
#: and engagement per follower several times higher for nano than for mega accounts).
VIEW_CURVE_EXPONENT = 0.74

#: Median views per follower of one video at a tier's typical size (same field test, issue 9):
#: 2.5 for nano creators, 0.36 for mega creators. We read them at the geometric middle of each tier
#: (nano 10^3.5 = 3,162 followers, mega 10^6.5 = 3.16M followers).
MEDIAN_VIEWS_PER_FOLLOWER = MappingProxyType({3162.0: 2.5, 3162278.0: 0.36})

#: Sigma of log-views of one post around the follower curve, for a creator known only by its
#: followers: the within-creator spread (1.15-1.50 on the field test's timelines, middle 1.3) plus
#: the spread of creators' own levels at equal followers (stated assumption: ~1.0 in log, i.e.
#: comparable creators differ by a factor of e either way). sqrt(1.3^2 + 1.0^2) = 1.64 -> 1.6.
#: ``reachmix calibrate`` fits both parts from your data; ``[simulation] view_dispersion_followers``.
FOLLOWER_VIEW_SIGMA = 1.6


def _median_scale() -> float:
    """Least squares (in log) of the median curve exp(a) * F^(b - 1) through the published medians."""
    b = VIEW_CURVE_EXPONENT
    logs = [math.log(v) - (b - 1.0) * math.log(f) for f, v in MEDIAN_VIEWS_PER_FOLLOWER.items()]
    return math.exp(sum(logs) / len(logs))


#: Median views of one post = MEDIAN_SCALE * followers^0.74 (~18.9 x F^0.74). The *expected* views
#: are higher by exp(sigma^2 / 2) (the mean of a log-normal), which is what ``avg_views`` means:
#: scale = 18.9 * exp(1.6^2 / 2) = 68 (rounded). A 3,000-follower creator then expects ~25,000
#: views a post (median ~7,000); a 3M-follower creator ~4.3M (median 1.2M).
MEDIAN_SCALE = _median_scale()
VIEW_CURVE_SCALE = float(round(MEDIAN_SCALE * math.exp(FOLLOWER_VIEW_SIGMA**2 / 2)))
DEFAULT_VIEW_CURVE = MappingProxyType({"scale": VIEW_CURVE_SCALE, "exponent": VIEW_CURVE_EXPONENT})


def resolve_model(view_model: str | None, view_rate) -> str:
    """The model in force: the explicit choice, else "rate" when a view_rate is given, else "curve"."""
    if view_model:
        return view_model
    return "rate" if view_rate is not None else "curve"


def curve_views(followers, curve: Mapping[str, float] | None = None) -> np.ndarray:
    """``scale * followers ** exponent`` (0 followers -> 0 views)."""
    curve = DEFAULT_VIEW_CURVE if curve is None else curve
    f = np.maximum(np.asarray(followers, dtype=float), 0.0)
    return float(curve["scale"]) * f ** float(curve["exponent"])


def default_views(followers: np.ndarray, tier: np.ndarray, options) -> np.ndarray:
    """Expected views of one post from followers alone (``options`` is a ``PoolOptions``).

    ``tier`` holds each creator's tier index (``Tiers.classify``; -1 = outside every tier).
    """
    followers = np.asarray(followers, dtype=float)
    rate = getattr(options, "view_rate", None)
    curve = curve_views(followers, getattr(options, "view_curve", None))
    if resolve_model(getattr(options, "view_model", None), rate) == "curve" or rate is None:
        return curve
    if not isinstance(rate, Mapping):
        return followers * float(rate)
    names = options.tiers.names
    by_tier = np.array([float(rate.get(name, np.nan)) for name in names] + [np.nan])
    per = by_tier[np.asarray(tier, dtype=np.int64)]
    # A tier the table leaves out falls back to the curve rather than to an arbitrary number.
    return np.where(np.isnan(per), curve, followers * per)


def post_sigma(pool, rows: np.ndarray, base: np.ndarray, follower_sigma: float) -> np.ndarray:
    """Sigma of log-views of one post of each creator in ``rows`` (pool row indices).

    * the pool gives the creator's own ``views_sigma`` and ``videos`` (n >= 1): ``views_sigma *
      sqrt(1 + 1/n)``: the spread of a new post plus the uncertainty of a mean estimated from n
      posts (this matched the real forecast error in the field test, issue 9);
    * ``views_sigma`` without ``videos``: ``views_sigma``;
    * a creator known only by followers (``videos`` = 0, or ``avg_views`` filled from followers when
      the pool marks it in ``views_from_followers``): ``follower_sigma``;
    * otherwise ``base`` (the tier's ``view_dispersion``).
    """
    rows = np.asarray(rows, dtype=np.int64)
    sigma = np.array(base, dtype=float, copy=True)
    own = getattr(pool, "views_sigma", None)
    videos = getattr(pool, "videos", None)
    n = np.asarray(videos, dtype=float)[rows] if videos is not None else np.full(rows.size, np.nan)
    if own is not None:
        s = np.asarray(own, dtype=float)[rows]
        known = np.isfinite(s) & (s >= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(np.isfinite(n) & (n >= 1), np.sqrt(1.0 + 1.0 / np.maximum(n, 1.0)), 1.0)
        sigma = np.where(known, s * factor, sigma)
    else:
        known = np.zeros(rows.size, dtype=bool)
    followers_only = ~known & np.isfinite(n) & (n == 0)
    marked = getattr(pool, "views_from_followers", None)
    if marked is not None:
        followers_only |= ~known & np.asarray(marked, dtype=bool)[rows]
    return np.where(followers_only, float(follower_sigma), sigma)
