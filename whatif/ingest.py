"""``reachmix ingest``: video-level exports -> a canonical history, a creator pool and a calibration.

Inputs are read by ``simulate.history.load_history`` (one reader of real exports: ``--map``,
``--timezone``, ``--date-order``, Research API names; observations linked to videos by id).
Outputs, in ``--out DIR``:

* ``history.csv``: the usable observations in the canonical columns (``handle, followers,
  video_id, posted_at, observed_at, views, likes, comments, shares, tags``), times ISO 8601 UTC;
  ``reachmix calibrate`` and ``backtest`` read it as is.
* ``creators.csv``: a pool, one row per creator (see ``creator_table``):
  ``followers`` = the latest observation's; ``videos`` = the creator's videos;
  ``avg_views`` = expected views of one new post: each video's *eventual* views are estimated from
  its observations corrected for age with the fitted accumulation curve (geometric mean over the
  video's observations of ``views / A(age)``); the creator's mean ``m`` of their logs over its
  ``videos`` = n is shrunk toward what the calibration's follower model predicts for its followers
  (``shrunk_mean``: posterior mean ``mu_post``, variance ``v_post``; a 1-video creator is mostly
  its follower curve, not its one lucky or unlucky post); with ``s`` = the creator's own standard
  deviation of log eventual views shrunk toward its tier's within-creator sigma (``shrunk_sigma``),
  a new post's log views have predictive variance ``s_pred^2 = s^2 + v_post`` and
  ``avg_views = exp(mu_post + s_pred^2 / 2)`` (its mean). ``views_sigma`` is written as
  ``sqrt(s_pred^2 / (1 + 1/videos))`` so that the simulator's ``views_sigma x sqrt(1 + 1/videos)``
  is exactly ``s_pred`` (mean-preserving draw ``exp(s_pred Z - s_pred^2 / 2)``: median
  ``exp(mu_post)``, mean ``avg_views``); ``videos`` is the real count. Without a follower model
  (fewer than ``MIN_SHRINK_CREATORS`` creators) ``v_post = s^2 / n`` and ``views_sigma = s``;
  ``likes/comments/shares_rate`` = ratio of sums over
  each video's latest observation; ``tags`` = the creator's most used hashtags;
  ``last_posted_at``; ``price`` from ``--rate-card`` or blank (the user fills it before optimizing).
* ``calibration.toml``: the calibrate fit of the same observations, for ``--calibration``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scenarios import Tiers, files
from scenarios.errors import ReachmixError, option
from scenarios.table import ReadOptions
from simulate import assumptions
from simulate.curve import share_by_age
from simulate.history import HistoryFrame, HistoryReport, iso_utc, load_history

from .formats import Table

#: Prior weight of the tier's sigma, in degrees of freedom, when shrinking a creator's own sigma:
#: ``s^2 = (K0 s_tier^2 + (n - 1) s_own^2) / (K0 + n - 1)``, the posterior mean of a variance under a
#: scaled inverse-chi-square prior centred on the tier's pooled within-creator variance with K0
#: degrees of freedom (Gelman et al., Bayesian Data Analysis, 3rd ed., section 3.3). Stated
#: assumption, not fitted: K0 = 10, i.e. a creator's own spread counts as much as the tier's after
#: 11 videos. Reasoning: a sigma from n videos has a chi-square with n - 1 degrees of freedom (its
#: relative standard error is about 1 / sqrt(2 (n - 1)): 50% at 3 videos, 22% at 11), too noisy to
#: use alone, and a noisy plug-in sigma makes bands too narrow on average (Jensen: the band's
#: coverage is concave in sigma); the tier's pooled sigma is estimated from hundreds of degrees of
#: freedom, so a creator should need about a dozen videos to move its own sigma halfway. Override
#: it to weigh creators' own spreads more or less; check it on your own exports with backtest.
SIGMA_PRIOR_DOF = 10.0
#: Videos the calibration of a large export is fitted on (a seeded sample of whole creators): enough
#: for standard errors far below the spread between creators (the curve's two parameters, the
#: follower curve's two, one dispersion per tier), and it keeps a million-row ingest within 30 s.
CALIBRATION_MAX_VIDEOS = 5_000
#: Fewest creators in the calibration's follower model for shrinking a creator's mean toward it
#: (``shrunk_mean``): below it the between-creator spread tau is too poorly known (it is often
#: estimated as 0 from a handful of creators, which would replace every creator by the curve).
#: The same floor as the model's cross-validation (views_fit.MIN_CV_CREATORS).
MIN_SHRINK_CREATORS = 10
#: Hashtags kept per creator (most used first).
TAGS_PER_CREATOR = 10
OUTPUT_NAMES = ("history.csv", "creators.csv", "calibration.toml")
HISTORY_COLUMNS = ("handle", "followers", "video_id", "posted_at", "observed_at", "views", "likes", "comments",
                   "shares", "tags")
POOL_COLUMNS = ("handle", "followers", "price", "avg_views", "views_sigma", "videos", "likes_rate", "comments_rate",
                "shares_rate", "tags", "last_posted_at")
PRICE_MESSAGE = ("creators.csv has no price for {n} creator(s): fill the price column (the price of one post) before "
                 "optimizing, or rerun with --rate-card FILE (a CSV of price by tier or by handle)")


class IngestError(ReachmixError):
    """Bad ingest arguments (--map, --timezone, --rate-card, --out)."""


# ------------------------------------------------------------------------------------------------
# Command-line arguments -> reader options

def read_options(maps: Sequence[str] = (), timezones: Sequence[str] = (), date_order: str | None = None,
                 delimiter: str | None = None, encoding: str | None = None, decimal: str | None = None) -> ReadOptions:
    """``--map TARGET=SOURCE``, ``--timezone ZONE`` / ``COLUMN=ZONE`` as the reader's options."""
    mapping: dict[str, str] = {}
    for item in maps:
        target, sep, source = str(item).partition("=")
        if not sep or not target.strip() or not source.strip():
            raise IngestError(f"--map {item}: write TARGET=SOURCE, e.g. --map views=vid_nview "
                              "(TARGET is a canonical column such as handle, followers, video_id, posted_at, views)")
        mapping[target.strip().lower()] = source.strip()
    zones: dict[str, str] = {}
    for item in timezones:
        column, sep, zone = str(item).rpartition("=")
        key = column.strip() if sep else "*"
        if not zone.strip() or (sep and not key):
            raise IngestError(f"--timezone {item}: write an IANA zone (Europe/Istanbul) or COLUMN=ZONE "
                              "(observed_at=Europe/Istanbul)")
        if key in zones:
            raise IngestError(f"--timezone {item}: {'every column' if key == '*' else key} already has a zone "
                              f"({zones[key]}); give it once")
        zones[key] = zone.strip()
    if date_order is not None and date_order not in ("dmy", "mdy"):
        raise IngestError(f"--date-order {date_order}: use dmy (21.05.2025) or mdy (5/21/2025)")
    return ReadOptions(mapping=mapping, timezones=zones, date_order=date_order, delimiter=delimiter,
                       encoding=encoding, decimal=decimal)


# ------------------------------------------------------------------------------------------------
# Per-video and per-creator estimates (NumPy over the whole history)

def curve_of(calibration) -> tuple[float, float, float]:
    """(day-1 share, shape, horizon) of a calibration's accumulation curve (defaults when unfitted)."""
    curve = getattr(calibration, "curve", None) or {}
    return (float(curve.get("day1_share", assumptions.ACCRUAL_DAY1_SHARE)),
            float(curve.get("shape", assumptions.ACCRUAL_SHAPE)),
            float(curve.get("days", assumptions.ACCRUAL_DAYS)))


def video_log_finals(frame: HistoryFrame, curve: tuple[float, float, float]) -> np.ndarray:
    """log eventual views of each video: mean over its observations of ``log(views / A(age))``.

    Observations with 0 views carry no log information and are left out, as in calibrate; a video
    seen only with 0 views counts as 1 view at its latest age (it exists, and it flopped).
    """
    videos = frame.videos
    share = np.maximum(share_by_age(frame.age_days, *curve), 1e-12)
    ok = frame.views > 0
    logs = np.log(np.where(ok, frame.views, 1.0) / share)
    total = np.bincount(frame.video, weights=np.where(ok, logs, 0.0), minlength=videos)
    count = np.bincount(frame.video, weights=ok.astype(float), minlength=videos)
    last = latest_rows(frame)
    fallback = np.log(1.0 / share[last])
    return np.where(count > 0, total / np.maximum(count, 1), fallback)


def latest_rows(frame: HistoryFrame) -> np.ndarray:
    """Row index of each video's latest observation (rows are sorted by video, then time)."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    end = np.r_[frame.video[1:] != frame.video[:-1], True]
    return np.flatnonzero(end)


def tier_sigmas(calibration, tiers: Tiers) -> np.ndarray:
    """Within-creator sigma of log-views by tier index (+ one slot for 'no tier' at the end):
    the calibration's tier value, else its pooled value, else the simulator default."""
    disp = getattr(calibration, "view_dispersion", None) or {}
    by_tier = disp.get("by_tier") or {}
    overall = disp.get("all")
    overall = float(overall) if overall is not None and math.isfinite(overall) and overall > 0 else \
        assumptions.VIEW_DISPERSION
    values = [float(by_tier[n]) if by_tier.get(n) else overall for n in tiers.names]
    return np.array(values + [overall])


def shrunk_sigma(own_var: np.ndarray, n: np.ndarray, tier_sigma: np.ndarray) -> np.ndarray:
    """A creator's sigma of log-views shrunk toward its tier's (see ``SIGMA_PRIOR_DOF``).

    ``own_var`` is the sample variance (ddof 1) of the creator's log views, ignored when n < 2.
    """
    dof = np.maximum(np.asarray(n, dtype=float) - 1.0, 0.0)
    own = np.where(dof > 0, np.nan_to_num(own_var), 0.0)
    return np.sqrt((SIGMA_PRIOR_DOF * tier_sigma**2 + dof * own) / (SIGMA_PRIOR_DOF + dof))


def shrunk_mean(mean: np.ndarray, n: np.ndarray, followers: np.ndarray, calibration) -> tuple[np.ndarray, np.ndarray]:
    """Posterior (mean, variance) of each creator's level of log views (empirical Bayes).

    The calibration's chosen follower model with creator random effects (simulate/views_fit.py)
    says a creator's level is ``N(x beta, tau^2)`` given its followers and its videos scatter around
    it with the within-creator ``sigma``. With ``n`` videos of mean ``m`` the posterior is normal
    with weight ``w = n / (n + sigma^2 / tau_p^2)`` on ``m``: mean ``w m + (1 - w) x beta``, variance
    ``w sigma^2 / n``; ``tau_p^2 = tau^2 + x'Cx`` (the prior also carries the uncertainty of beta).
    A lucky single post is pulled toward what its follower count predicts, instead of being taken as
    the creator's level. Without a follower model, or without repeat creators (``sigma`` and ``tau``
    not told apart), the flat prior: mean ``m``, variance ``s^2 / n`` with the tier's sigma.
    """
    n = np.maximum(np.asarray(n, dtype=float), 1.0)
    tiers = calibration.tiers
    flat = mean, tier_sigmas(calibration, tiers)[tiers.classify(followers)] ** 2 / n
    chosen = calibration.view_model
    fitted = calibration.fits.get(chosen) if chosen else None
    if (fitted is None or fitted.sigma is None or fitted.tau is None or fitted.creators < MIN_SHRINK_CREATORS
            or len(mean) == 0):
        return flat
    mu0, sd = calibration.predict_from_followers(followers)
    sigma2 = fitted.sigma**2
    prior_var = np.maximum(sd**2 - sigma2, 1e-12)  # tau^2 + x'Cx
    w = n / (n + sigma2 / prior_var)
    shrunk = w * mean + (1.0 - w) * mu0, w * sigma2 / n
    if chosen == "rate" and "curve" not in calibration.fits:
        # A tier the per-tier rates were not fitted on has no prior (predict_from_followers has no
        # rate for it): those creators keep the flat prior.
        known = np.array([name in fitted.names for name in tiers.names] + [False])[tiers.classify(followers)]
        return np.where(known, shrunk[0], flat[0]), np.where(known, shrunk[1], flat[1])
    return shrunk


def creator_table(frame: HistoryFrame, calibration, tiers: Tiers = Tiers()) -> dict[str, np.ndarray]:
    """One entry per creator (index = ``frame.creator``): the pool columns as arrays."""
    creators = frame.creators
    log_final = video_log_finals(frame, curve_of(calibration))
    last = latest_rows(frame)
    who = frame.creator[last]
    n = np.bincount(who, minlength=creators).astype(float)
    s1 = np.bincount(who, weights=log_final, minlength=creators)
    mean = s1 / np.maximum(n, 1)
    ss = np.bincount(who, weights=(log_final - mean[who]) ** 2, minlength=creators)
    own_var = np.where(n >= 2, ss / np.maximum(n - 1, 1), np.nan)

    # The creator's latest row overall gives its current followers and handle spelling.
    order = np.lexsort((frame.observed_at, frame.creator))
    newest = order[np.r_[frame.creator[order][1:] != frame.creator[order][:-1], True]]
    followers = frame.followers[newest]
    tier = tiers.classify(followers)
    own_sigma = shrunk_sigma(own_var, n, tier_sigmas(calibration, tiers)[tier])
    post_mean, post_var = shrunk_mean(mean, n, followers, calibration)
    # Predictive variance of a new post's log views: the creator's own spread plus the uncertainty
    # of its (shrunk) level. The simulator draws with views_sigma^2 (1 + 1/videos); views_sigma is
    # written so that this equals the predictive variance with videos = the real count.
    predictive = own_sigma**2 + post_var
    sigma = np.sqrt(predictive / (1.0 + 1.0 / np.maximum(n, 1)))
    avg_views = np.exp(post_mean + predictive / 2.0)

    rates = {}
    views = frame.views[last]
    for kind in ("likes", "comments", "shares"):
        counts = getattr(frame, kind)[last]
        ok = np.isfinite(counts) & (views > 0)
        num = np.bincount(who[ok], weights=counts[ok], minlength=creators)
        den = np.bincount(who[ok], weights=views[ok], minlength=creators)
        rates[kind] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    last_posted = np.full(creators, -np.inf)
    np.maximum.at(last_posted, who, frame.posted_at[last])
    tags = _top_tags(frame, last, who, creators)
    return {"handle": frame.handle[newest], "followers": followers, "tier": tier, "videos": n.astype(np.int64),
            "avg_views": avg_views, "views_sigma": sigma, "log_mean": post_mean, "own_mean": mean,
            "own_sigma": own_sigma, "own_var": own_var, "post_var": post_var,
            "likes_rate": rates["likes"], "comments_rate": rates["comments"], "shares_rate": rates["shares"],
            "tags": tags, "last_posted_at": last_posted}


def _top_tags(frame: HistoryFrame, last: np.ndarray, who: np.ndarray, creators: int) -> list[str]:
    """Each creator's most used hashtags over its videos, most used first (ties: first seen)."""
    pair_creator: list[int] = []
    pair_tag: list[str] = []
    for c, tags in zip(who.tolist(), frame.tags[last].tolist()):
        if tags:
            pair_creator.extend([c] * len(tags))
            pair_tag.extend(tags)
    out = [""] * creators
    if not pair_tag:
        return out
    names, code = np.unique(np.array(pair_tag, dtype=object), return_inverse=True)
    key = np.asarray(pair_creator, dtype=np.int64) * len(names) + code.reshape(-1)
    keys, first, counts = np.unique(key, return_index=True, return_counts=True)
    owner = keys // len(names)
    order = np.lexsort((first, -counts, owner))
    chosen: list[list[str]] = [[] for _ in range(creators)]
    for k in order.tolist():
        bucket = chosen[int(owner[k])]
        if len(bucket) < TAGS_PER_CREATOR:
            bucket.append(names[int(keys[k] % len(names))])
    return [";".join(b) for b in chosen]


# ------------------------------------------------------------------------------------------------
# Rate card

def read_rate_card(path, options: ReadOptions | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """(price by tier name, price by folded handle) from a CSV with ``price`` and ``tier`` or ``handle``.

    Each row prices one tier (``tier`` filled) or one creator (``handle`` filled); a creator's own
    row wins over its tier's. Example::

        tier,handle,price
        nano,,150
        micro,,600
        ,@ayse.makeup,900
    """
    from scenarios import cells, table as tables

    table = tables.read_table(path, required=("price",), known=("tier", "handle", "price"), aliases={},
                              options=ReadOptions(encoding=(options.encoding if options else None)),
                              error=IngestError, what="rate card")
    if "tier" not in table.columns and "handle" not in table.columns:
        raise IngestError(f"{table.source}, row 1: the rate card needs a tier or a handle column beside price "
                          "(tier,price rows like nano,150; or handle,price rows like @ayse,900)")
    prices, problems = cells.parse_numbers(table.columns["price"])
    tables.raise_problems(table, {"price": problems} if problems else {}, IngestError)
    names = Tiers().names
    by_tier: dict[str, float] = {}
    by_handle: dict[str, float] = {}
    tier_col = _column(table, "tier")
    handle_col = _column(table, "handle")
    for row in range(len(table)):
        price = float(prices[row])
        tier, handle = tier_col[row], handle_col[row]
        if not tier and not handle:
            continue
        if not math.isfinite(price) or price <= 0:
            raise IngestError(f"{table.where(row, 'price')}: needs a price above 0 (the price of one post)")
        if handle:
            by_handle[cells.fold_name(handle)] = price
        else:
            if tier.lower() not in names:
                raise IngestError(f"{table.where(row, 'tier')}: \"{tier}\" is not a tier; use one of "
                                  f"{', '.join(names)}")
            by_tier[tier.lower()] = price
    return by_tier, by_handle


def _column(table, name: str) -> list[str]:
    if name not in table.columns:
        return [""] * len(table)
    return [("" if v is None else str(v).strip()) for v in table.columns[name].to_pylist()]


def prices_for(creators: Mapping[str, Any], rate_card: tuple[dict, dict] | None, tiers: Tiers) -> np.ndarray:
    from scenarios import cells

    n = len(creators["handle"])
    if rate_card is None:
        return np.full(n, np.nan)
    by_tier, by_handle = rate_card
    tier_price = np.array([by_tier.get(name, np.nan) for name in tiers.names] + [np.nan])
    price = tier_price[creators["tier"]]
    folded = cells.fold_names(np.asarray(creators["handle"], dtype=object))
    own = np.array([by_handle.get(h, np.nan) for h in folded.tolist()])
    return np.where(np.isfinite(own), own, price)


# ------------------------------------------------------------------------------------------------
# Writing

def _counts(values: np.ndarray) -> pa.Array:
    """Whole numbers as int64 (blank for NaN), others as float: exports hold counts."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    if np.all(values[ok] == np.round(values[ok])) and np.all(np.abs(values[ok]) < 2**62):
        return pa.array(np.where(ok, values, 0).astype(np.int64), mask=~ok)
    return pa.array(values, mask=~ok)


def _times(seconds: np.ndarray) -> pa.Array:
    """ISO 8601 UTC text of Unix seconds, formatted by Arrow (a million in well under a second)."""
    seconds = np.asarray(seconds, dtype=float)
    ok = np.isfinite(seconds)
    stamps = pa.array(np.where(ok, np.round(seconds), 0).astype(np.int64), type=pa.timestamp("s"), mask=~ok)
    return pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")


def history_csv(frame: HistoryFrame) -> bytes:
    """The canonical history as CSV bytes (pyarrow's writer: a million rows in about a second)."""
    tags = [";".join(t) for t in frame.tags.tolist()]
    table = pa.table({
        "handle": pa.array(frame.handle, type=pa.string()),
        "followers": _counts(frame.followers),
        "video_id": pa.array(frame.video_id, type=pa.string()),
        "posted_at": _times(frame.posted_at), "observed_at": _times(frame.observed_at),
        "views": _counts(frame.views), "likes": _counts(frame.likes), "comments": _counts(frame.comments),
        "shares": _counts(frame.shares), "tags": pa.array(tags, type=pa.string()),
    })
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().replace(b'"handle","followers","video_id","posted_at","observed_at","views","likes",'
                                   b'"comments","shares","tags"', ",".join(HISTORY_COLUMNS).encode())


def _cell(value) -> str:
    """A rate as text: 6 significant digits (far below its standard error), blank for NaN."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.6g}"


def _exact(value) -> str:
    """A count or amount as text without rounding: whole numbers as integers (followers 2274671,
    never 2.27467e+06), others as the shortest text that reads back to the same float; blank for NaN."""
    value = float(value)
    if not math.isfinite(value):
        return ""
    if value == round(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def pool_csv(creators: Mapping[str, Any], price: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POOL_COLUMNS)
    last = iso_utc(creators["last_posted_at"])
    for k in range(len(creators["handle"])):
        writer.writerow([creators["handle"][k], _exact(creators["followers"][k]), _exact(price[k]),
                         _exact(creators["avg_views"][k]), f"{creators['views_sigma'][k]:.4f}",
                         str(int(creators["videos"][k])), _cell(float(creators["likes_rate"][k])),
                         _cell(float(creators["comments_rate"][k])), _cell(float(creators["shares_rate"][k])),
                         creators["tags"][k], last[k]])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# The command

def ingest(paths: Sequence[str | Path], out: str | Path, *, options: ReadOptions | None = None,
           rate_card: str | Path | None = None, force: bool = False, tiers: Tiers = Tiers()) -> dict[str, Any]:
    """Read the exports, write the three files into ``out`` and return the summary (JSON-able)."""
    out = Path(out)
    check_inputs(out, [*paths, rate_card])
    files.check_out_dir(out, OUTPUT_NAMES, force=force)
    card = read_rate_card(rate_card, options) if rate_card is not None else None  # fail fast, before the work
    frame, report = load_history(list(paths), options)
    require_rows(frame, report, IngestError)
    calibration = fit_calibration(frame, report, max_videos=CALIBRATION_MAX_VIDEOS)
    creators = creator_table(frame, calibration, tiers)
    price = prices_for(creators, card, tiers)
    warnings = list(report.warnings) + [w for w in calibration.warnings if w not in report.warnings]
    unpriced = int(np.isnan(price).sum())
    if unpriced:
        warnings.append(PRICE_MESSAGE.format(n=unpriced))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IngestError(f"{option('out', out)}: cannot create the folder ({exc.strerror})") from None
    _write(out / "history.csv", history_csv(frame), "the history")
    _write(out / "creators.csv", pool_csv(creators, price).encode("utf-8"), "the creator pool")
    _write(out / "calibration.toml", calibration.to_toml().encode("utf-8"), "the calibration")
    tier_counts = {name: int((creators["tier"] == k).sum()) for k, name in enumerate(tiers.names)}
    if (creators["tier"] < 0).any():
        tier_counts["none"] = int((creators["tier"] < 0).sum())
    return {
        "inputs": [str(p) for p in paths], "out": str(out),
        "files": {name.split(".")[0]: str(out / name) for name in OUTPUT_NAMES},
        "rows_read": report.rows_read, "rows_skipped": report.rows_skipped, "skipped": dict(report.skipped),
        "duplicates_dropped": report.duplicates, "observations": len(frame),
        "observations_merged": len(frame) - frame.videos, "videos": frame.videos, "creators": frame.creators,
        "linked_by": report.linked_by, "posted_at_from_id": report.posted_from_id,
        "creators_by_tier": dict(tier_counts), "priced": len(price) - unpriced, "unpriced": unpriced,
        "sigma_prior_dof": SIGMA_PRIOR_DOF, "warnings": warnings,
    }


def require_rows(frame: HistoryFrame, report: HistoryReport, error: type[ReachmixError]) -> None:
    """An error naming the first skipped row when no row of the exports is usable."""
    if len(frame):
        return
    skipped = [w for w in report.warnings if w.endswith("row skipped")]
    first = (skipped or report.warnings or ["the files have a header only"])[0]
    raise error(f"{', '.join(frame.sources)}: no usable rows ({report.rows_skipped:,} skipped; first: {first})")


def calibration_sample(frame: HistoryFrame, max_videos: int, seed: int = 0) -> HistoryFrame:
    """All videos of a seeded random subset of creators, about ``max_videos`` videos in all."""
    if frame.videos <= max_videos:
        return frame
    per_creator = np.bincount(frame.creator[latest_rows(frame)], minlength=frame.creators)
    order = np.random.default_rng(seed).permutation(frame.creators)
    take = int(np.searchsorted(np.cumsum(per_creator[order]), max_videos)) + 1
    chosen = np.zeros(frame.creators, dtype=bool)
    chosen[order[:take]] = True
    return frame.take(chosen[frame.creator])


def fit_calibration(frame: HistoryFrame, report: HistoryReport, source: str | None = None,
                    max_videos: int | None = None):
    """The calibrate fit of a history frame (helper E's ``fit``; the frame form when it has one).

    With ``max_videos``, a larger history is fitted on ``calibration_sample`` (the fit loops over
    videos in Python: about 1 ms a video, minutes for a million rows); a warning says so.
    """
    import importlib

    cal = importlib.import_module("simulate.calibrate")  # the module (``simulate.calibrate`` is also a function)
    source = source or ", ".join(frame.sources)
    if max_videos is not None and frame.videos > max_videos and getattr(cal, "fit_frame", None) is None:
        sample = calibration_sample(frame, max_videos)
        report.warnings.append(f"{source}: calibration.toml was fitted on {sample.videos:,} of the {frame.videos:,} "
                               f"videos (all videos of {sample.creators:,} creators drawn at random, seed 0); "
                               "creators.csv uses every row")
        frame = sample
    fit_frame = getattr(cal, "fit_frame", None)
    if fit_frame is not None:
        return fit_frame(frame, list(report.warnings), source=source)
    return cal.fit(frame.observations(), list(report.warnings), source=source)


def check_inputs(out: Path, inputs: Sequence[str | Path | None]) -> None:
    """Refuse an ``--out`` folder whose history.csv, creators.csv or calibration.toml is one of the
    inputs (a video export or the rate card): ingest would overwrite what it reads. ``--force``
    does not lift this (it lifts only "reachmix did not write it")."""
    for name in OUTPUT_NAMES:
        for source in inputs:
            if source is None or (out / name).is_dir():
                continue  # a folder named like an output is reported when writing
            try:
                files.check_output(out / name, inputs=(source,), force=True, option="--out")
            except files.OutputError:
                raise IngestError(f"{option('out', out)}: its {name} ({out / name}) is the input file {source}; "
                                  f"ingest would overwrite it; give {option('out')} another folder") from None


def _write(path: Path, data: bytes, what: str) -> None:
    files.atomic_write_bytes(path, data, what=what)


def summary_tables(result: Mapping[str, Any]) -> tuple[Table, ...]:
    rows = [("rows read", result["rows_read"]), ("exact duplicates dropped", result["duplicates_dropped"]),
            ("rows skipped", result["rows_skipped"])]
    rows += [(f"  skipped: {why}", n) for why, n in result["skipped"].items()]
    rows += [("observations used", result["observations"]),
             ("observations merged into an earlier one's video", result["observations_merged"]),
             ("videos", result["videos"]), ("creators", result["creators"]),
             ("videos linked by", result["linked_by"]),
             ("posted_at taken from the video id", result["posted_at_from_id"]),
             ("creators with a price", result["priced"])]
    rows += [(f"  creators: {tier}", n) for tier, n in result["creators_by_tier"].items()]
    notes = tuple(f"Wrote {path}" for path in result["files"].values())
    return (Table(columns=("what", "count"), rows=tuple(rows), title=f"Ingested {', '.join(result['inputs'])}",
                  notes=notes),)
