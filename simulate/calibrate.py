"""``calibrate(history_csv)``: fit the simulator's parameters to a brand's past posts.

1. Accumulation curve (when some video is observed more than once): least squares on log-views,
   ``log obs = log V_video + log A(age; p, b)``, with each video's ``log V`` profiled out (closed form
   for given p, b) and T fixed at the scenario default (90 days); standard errors from the Jacobian.
2. Eventual views of each video: mean over its observations of ``obs / A(age)``, in log space.
3. Views per follower by tier: log-normal (mean and sigma of ``log(V / followers)``), with a KS test
   of the standardised logs as fit quality. ``view_dispersion`` is the *within-creator* sigma of
   log-views (pooled over creators with 2+ videos), which is what the simulator draws per post;
   without repeat creators the across-video sigma is used instead (an upper bound; warned).
4. Interaction rates per view: ratio of sums over each video's latest observation, by tier and
   overall, with delta-method standard errors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from scenarios import SimulationSettings, Tiers
from scenarios.errors import one_line

from . import assumptions
from .curve import share_by_age
from .errors import CalibrationError
from .history import Observation, read_history

MIN_TIER_VIDEOS = 3
INTERACTIONS = ("likes", "comments", "shares")


@dataclass(frozen=True)
class Calibration:
    source: str
    observations: int
    videos: int
    creators: int
    curve: dict[str, Any]
    views_per_follower: dict[str, dict[str, float]]
    view_dispersion: dict[str, Any]
    interactions: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "observations": self.observations, "videos": self.videos,
                "creators": self.creators, "curve": self.curve, "views_per_follower": self.views_per_follower,
                "view_dispersion": self.view_dispersion, "interactions": self.interactions,
                "warnings": list(self.warnings), "toml": self.to_toml()}

    def to_toml(self) -> str:
        """A fragment to paste into a scenario (keys are merged into its [model] and [simulation])."""
        lines = [f"# Fitted by reachmix calibrate from {Path(self.source).name}: {self.observations} observations "
                 f"of {self.videos} videos by {self.creators} creators."]
        overall = self.views_per_follower.get("all")
        lines.append("[model]")
        if overall:
            lines.append(f"view_rate = {overall['mean']:.4g}  # mean views per follower (log-normal fit)")
        for tier, fit in self.views_per_follower.items():
            if tier != "all":
                lines.append(f"# {tier}: views per follower {fit['mean']:.4g} (n = {fit['n']}, sigma {fit['sigma']:.3f})")
        by_tier = self.interactions.get("engagement_by_tier") or {}
        split = self.interactions.get("split")
        if by_tier:
            lines += ["", "[model.engagement_by_tier]  # used where the pool leaves engagement_rate blank"]
            lines += [f"{tier} = {v['rate']:.4g}" for tier, v in by_tier.items()]
        if split:
            lines += ["", "[model.interaction_split]  # used where the pool leaves likes/comments/shares_rate blank"]
            lines += [f"{k} = {v}" for k, v in split.items()]
        lines += ["", "[simulation]"]
        disp = self.view_dispersion
        if disp.get("all") is not None:
            lines.append(f"view_dispersion = {disp['all']:.3f}")
        for tier, sigma in disp.get("by_tier", {}).items():
            lines.append(f"view_dispersion_{tier} = {sigma:.3f}")
        if self.curve.get("fitted"):
            lines.append(f"accrual_day1_share = {self.curve['day1_share']:.4f}")
            lines.append(f"accrual_shape = {self.curve['shape']:.4f}")
        else:
            lines.append("# accrual_* left at the published defaults (no video was observed twice)")
        return "\n".join(lines) + "\n"


def calibrate(path: str | Path, *, tiers: Tiers = Tiers(), horizon: float | None = None) -> Calibration:
    observations, warnings = read_history(path)
    return fit(observations, warnings, source=str(path), tiers=tiers, horizon=horizon)


def fit(observations: list[Observation], warnings: list[str], *, source: str = "<history>",
        tiers: Tiers = Tiers(), horizon: float | None = None) -> Calibration:
    if not observations:
        raise CalibrationError(f"{source}: no usable rows ({len(warnings)} problem(s), first: "
                               f"{warnings[0] if warnings else 'the file has a header only'})")
    horizon = float(SimulationSettings.accrual_days if horizon is None else horizon)
    videos: dict[tuple, list[Observation]] = defaultdict(list)
    for obs in observations:
        videos[obs.video].append(obs)
    curve = _fit_curve(list(videos.values()), horizon, warnings)
    p, b = curve["day1_share"], curve["shape"]
    handles, followers, eventual, latest = [], [], [], []
    for obs_list in videos.values():
        usable = [o for o in obs_list if o.views > 0]
        if not usable:
            warnings.append(f"{source}, row {obs_list[0].line}: video of {obs_list[0].handle} has 0 views in every "
                            "observation; left out of the views fit")
            continue
        a = share_by_age([o.age_days for o in usable], p, b, horizon)
        eventual.append(float(np.exp(np.mean(np.log([o.views for o in usable]) - np.log(a)))))
        followers.append(float(np.median([o.followers for o in usable])))
        handles.append(obs_list[0].handle)
        latest.append(max(obs_list, key=lambda o: o.observed_at))
    eventual_arr, followers_arr = np.array(eventual), np.array(followers)
    tier_idx = tiers.classify(followers_arr)
    vpf = _views_per_follower(eventual_arr, followers_arr, handles, tier_idx, tiers, source, warnings)
    disp = _dispersion(eventual_arr, handles, tier_idx, tiers, vpf, warnings, source)
    inter = _interactions(latest, tiers, warnings, source)
    warnings[:] = [one_line(w) for w in warnings]
    return Calibration(source=source, observations=len(observations), videos=len(videos),
                       creators=len(set(o.handle for o in observations)), curve=curve,
                       views_per_follower=vpf, view_dispersion=disp, interactions=inter, warnings=warnings)


def _fit_curve(videos: list[list[Observation]], horizon: float, warnings: list[str]) -> dict[str, Any]:
    default = {"fitted": False, "day1_share": assumptions.ACCRUAL_DAY1_SHARE, "shape": assumptions.ACCRUAL_SHAPE,
               "days": horizon}
    groups = []
    for obs_list in videos:
        pts = sorted({(o.age_days, o.views) for o in obs_list if o.views > 0 and o.age_days > 0})
        if len({a for a, _ in pts}) >= 2 and any(a < horizon for a, _ in pts):
            groups.append((np.array([a for a, _ in pts]), np.log([v for _, v in pts])))
    if not groups:
        return default
    ages = np.concatenate([g[0] for g in groups])
    logs = np.concatenate([g[1] for g in groups])
    sizes = np.array([g[0].size for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    video = np.repeat(np.arange(len(groups)), sizes)

    def residuals(theta):
        p, b = _unpack(theta)
        r = logs - np.log(np.maximum(share_by_age(ages, p, b, horizon), 1e-300))
        return r - (np.add.reduceat(r, starts) / sizes)[video]  # each video's log V profiled out

    x0 = _pack(assumptions.ACCRUAL_DAY1_SHARE, assumptions.ACCRUAL_SHAPE)
    sol = optimize.least_squares(residuals, x0, method="lm" if ages.size > 3 else "trf")
    p, b = _unpack(sol.x)
    dof = ages.size - len(groups) - 2
    out = dict(default, fitted=True, day1_share=p, shape=b, videos=len(groups), observations=int(ages.size),
               rmse_log=float(np.sqrt(np.mean(sol.fun**2))))
    out["checkpoints"] = {f"{a:g}d": float(share_by_age(a, p, b, horizon)) for a in assumptions.PUBLISHED_ACCUMULATION}
    if dof > 0:
        s2 = float(sol.fun @ sol.fun) / dof
        try:
            cov = s2 * np.linalg.inv(sol.jac.T @ sol.jac)
            grad = np.array([p * (1 - p), b])  # d(p, b) / d(logit p, log b): delta method
            out["day1_share_se"], out["shape_se"] = (float(g * math.sqrt(max(c, 0.0))) for g, c in zip(grad, np.diag(cov)))
        except np.linalg.LinAlgError:
            warnings.append("accumulation curve: the observations' ages do not identify both parameters; "
                            "standard errors are not available")
    return out


def _pack(p, b):
    return np.array([math.log(p / (1 - p)), math.log(b)])


def _unpack(theta):
    return 1.0 / (1.0 + math.exp(-theta[0])), math.exp(theta[1])


def _lognormal(x: np.ndarray, cluster: np.ndarray) -> dict[str, float]:
    """Log-normal fit of ``exp(x)``; ``mu_se`` is cluster-robust (a creator's videos are correlated)."""
    mu, sigma = float(x.mean()), float(x.std(ddof=1))
    ks = stats.kstest((x - mu) / sigma, "norm").pvalue if sigma > 0 and x.size >= 3 else math.nan
    _, inv = np.unique(cluster, return_inverse=True)
    per_cluster = np.bincount(inv.reshape(-1), weights=x - mu)
    g = per_cluster.size
    se = math.sqrt(float(per_cluster @ per_cluster) * g / max(g - 1, 1)) / x.size
    return {"n": int(x.size), "creators": int(g), "mu": mu, "sigma": sigma, "mean": math.exp(mu + sigma**2 / 2),
            "median": math.exp(mu), "mu_se": se, "ks_pvalue": float(ks)}


def _views_per_follower(views, followers, handles, tier_idx, tiers, source, warnings) -> dict[str, dict[str, float]]:
    ok = followers > 0
    if (~ok).any():
        warnings.append(f"{source}: {int((~ok).sum())} video(s) of creators with 0 followers left out of the "
                        "views-per-follower fit")
    x = np.log(views[ok] / followers[ok])
    who = np.asarray(handles, dtype=object)[ok].astype(str)
    out = {}
    for k, name in enumerate(tiers.names):
        sel = tier_idx[ok] == k
        if sel.sum() >= MIN_TIER_VIDEOS:
            out[name] = _lognormal(x[sel], who[sel])
        elif sel.any():
            warnings.append(f"{source}: only {int(sel.sum())} {name} video(s); need {MIN_TIER_VIDEOS} to fit that tier")
    if x.size >= 2:
        out["all"] = _lognormal(x, who)
    return out


def _dispersion(views, handles, tier_idx, tiers, vpf, warnings, source) -> dict[str, Any]:
    """Pooled within-creator sigma of log-views (what the simulator draws per post), by tier."""
    logs = np.log(views)
    by_creator: dict[str, list[int]] = defaultdict(list)
    for j, h in enumerate(handles):
        by_creator[h].append(j)
    ss, df = defaultdict(float), defaultdict(int)
    for rows in by_creator.values():
        if len(rows) >= 2:
            r = logs[rows] - logs[rows].mean()
            tier = int(tier_idx[rows[0]])
            ss[tier] += float(r @ r)
            df[tier] += len(rows) - 1
    out: dict[str, Any] = {"method": "within-creator", "by_tier": {}, "se": {}, "df": {}}
    for k, name in enumerate(tiers.names):
        if df[k] >= MIN_TIER_VIDEOS - 1:
            sigma = math.sqrt(ss[k] / df[k])
            out["by_tier"][name], out["se"][name], out["df"][name] = sigma, sigma / math.sqrt(2 * df[k]), df[k]
    total_df = sum(df.values())
    if total_df >= 2:
        sigma = math.sqrt(sum(ss.values()) / total_df)
        out["all"], out["se"]["all"], out["df"]["all"] = sigma, sigma / math.sqrt(2 * total_df), total_df
    elif "all" in vpf:
        out = {"method": "across-videos (upper bound)", "all": vpf["all"]["sigma"], "by_tier": {}, "se": {}, "df": {}}
        warnings.append(f"{source}: no creator has 2+ videos, so view_dispersion is the spread across creators "
                        "(an upper bound of the per-post dispersion)")
    else:
        out["all"] = None
    return out


def _ratio(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Ratio of sums and its delta-method standard error over videos."""
    r = float(y.sum() / x.sum())
    n = y.size
    se = math.sqrt(float(((y - r * x) ** 2).sum()) * n / max(n - 1, 1)) / float(x.sum()) if n > 1 else math.nan
    return r, se


def _interactions(latest: list[Observation], tiers: Tiers, warnings, source) -> dict[str, Any]:
    views = np.array([o.views for o in latest])
    counts = {k: np.array([getattr(o, k) for o in latest]) for k in INTERACTIONS}
    tier_idx = tiers.classify(np.array([o.followers for o in latest]))
    out: dict[str, Any] = {"rates": {}, "engagement_by_tier": {}, "split": None}
    for k in INTERACTIONS:
        ok = ~np.isnan(counts[k]) & (views > 0)
        if ok.sum() >= 2:
            r, se = _ratio(counts[k][ok], views[ok])
            out["rates"][k] = {"rate": r, "se": se, "n": int(ok.sum())}
    every = (views > 0) & ~np.isnan(counts["likes"]) & ~np.isnan(counts["comments"]) & ~np.isnan(counts["shares"])
    if every.sum() < 2:
        warnings.append(f"{source}: fewer than 2 videos with likes, comments and shares all given; "
                        "engagement rates are not fitted")
        return out
    eng = counts["likes"] + counts["comments"] + counts["shares"]
    for t, name in enumerate(tiers.names):
        sel = every & (tier_idx == t)
        if sel.sum() >= MIN_TIER_VIDEOS:
            r, se = _ratio(eng[sel], views[sel])
            out["engagement_by_tier"][name] = {"rate": r, "se": se, "n": int(sel.sum())}
    total = eng[every].sum()
    if total > 0:
        c = round(float(counts["comments"][every].sum() / total), 4)
        s = round(float(counts["shares"][every].sum() / total), 4)
        out["split"] = {"likes": round(1.0 - c - s, 4), "comments": c, "shares": s}
    return out
