"""``calibrate(history_csv)``: fit the simulator's parameters to a brand's past posts.

1. Accumulation curve, only when at least ``MIN_CURVE_VIDEOS`` videos are observed at two or more
   ages (fewer cannot pin two shape parameters down: the defaults are kept and a warning says how
   many videos it has and needs): least squares on log-views, ``log obs = log V_video + log A(age;
   p, b)``, with each video's ``log V`` profiled out and T fixed at the scenario default (90 days);
   standard errors from the Jacobian.
2. Eventual views of each video: mean over its observations of ``obs / A(age)``, in log space.
3. Views from followers, two models with creator random effects (``simulate/views_fit.py``):
   the power curve ``log V = log scale + exponent log F + u_creator + e`` and per-tier rates
   ``log V = log F + log rate_tier + u + e``. Both are reported with AIC and the cross-validated
   (by creator) RMSE of log views; the better by cross-validation (AIC without enough creators) is
   chosen (``view_model``). Both are written, as *expected* views (``exp(mu + total_sigma^2 / 2)``,
   what ``avg_views`` means), and ``view_dispersion_followers`` is the chosen model's total spread.
   The per-tier log-normal summary of views per follower (mu, sigma, KS p-value) is kept for the table.
4. ``view_dispersion``: the *within-creator* sigma of log-views (pooled over creators with 2+
   videos), overall and by tier; without repeat creators the across-video sigma (an upper bound; warned).
5. Interaction rates per view: ratio of sums over each video's latest observation, by tier and
   overall, with delta-method standard errors; engagement per view by tier; the
   likes/comments/shares split.

Nothing degenerate is written: a value the scenario loader would refuse (an engagement rate above 1,
a dispersion above 5, an exponent outside (0, 2], ...) is clipped or left out, with a warning.

API (for ``whatif/ingest.py`` and ``whatif/backtest.py``)::

    cal = fit(observations, warnings, source=..., tiers=Tiers(), horizon=None)   # -> Calibration
    cal.to_toml()       # a calibration file for load_scenario(calibration=...) (tables [model], [simulation] only)
    cal.to_dict()       # every figure, warnings, the TOML
    cal.view_model      # "curve" or "rate": the chosen model
    cal.share_by_age(age)                         # the (fitted or default) accumulation curve A(age)
    cal.predict_from_followers(followers)         # (mu, sigma) arrays: log eventual views of a new video
    cal.predict_from_history(log_views, followers=None)
        # (mu, sigma): from a creator's n past videos' log eventual views: mu = their mean,
        # sigma = within-creator sigma (its tier's, else pooled) * sqrt(1 + 1/n); n = 0 -> followers only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from scenarios import SimulationSettings, Tiers, cells
from scenarios.errors import one_line

from . import assumptions, views_fit
from .curve import share_by_age
from .errors import CalibrationError
from .history import Observation, read_history

MIN_TIER_VIDEOS = 3
#: Fewest videos observed at two or more ages for fitting the accumulation curve's two parameters.
#: Below it the published curve is kept (the fit would mostly follow the noise of a few videos).
MIN_CURVE_VIDEOS = 20
#: Fewest creators (with distinct follower counts) for fitting the follower curve's two parameters.
MIN_CURVE_CREATORS = 5
INTERACTIONS = ("likes", "comments", "shares")
#: Bounds the scenario loader enforces, so that a calibration never writes a value it refuses.
MAX_DISPERSION = 5.0
MAX_EXPONENT = 2.0
MAX_SHAPE = 20.0


@dataclass(frozen=True, repr=False)
class Calibration:
    """What a history says about the simulator's parameters (the module docstring lists the fits);
    ``to_toml()`` is the calibration file, ``to_dict()`` every figure."""

    source: str
    observations: int
    videos: int
    creators: int
    curve: dict[str, Any]
    views_per_follower: dict[str, dict[str, float]]
    view_dispersion: dict[str, Any]
    interactions: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: The two follower models ("curve", "rate"), "chosen" and "comparison"; see views_fit.
    view_models: dict[str, Any] = field(default_factory=dict)
    tiers: Tiers = field(default=Tiers(), repr=False)
    fits: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        """One short line: what was fitted from how much (the fitted numbers are in ``to_dict()``)."""
        source = self.source if len(self.source) <= 60 else self.source[:57] + "..."
        warned = f"; {len(self.warnings)} warning{'' if len(self.warnings) == 1 else 's'}" if self.warnings else ""
        return (f"Calibration({source!r}: {self.observations:,} observations of {self.videos:,} videos by "
                f"{self.creators:,} creators; view model {self.view_model or 'none'}{warned})")

    @property
    def view_model(self) -> str | None:
        return self.view_models.get("chosen")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "observations": self.observations, "videos": self.videos,
                "creators": self.creators, "curve": self.curve, "views_per_follower": self.views_per_follower,
                "view_models": self.view_models, "view_dispersion": self.view_dispersion,
                "interactions": self.interactions, "warnings": list(self.warnings), "toml": self.to_toml()}

    def view_model_rows(self) -> list[tuple]:
        """(model, chosen, parameters, tau, sigma, AIC, CV RMSE) of each fitted follower model, for tables."""
        vm, rows = self.view_models, []
        for name in ("curve", "rate"):
            m = vm.get(name)
            if not m:
                continue
            if name == "curve":
                params = f"scale {m['scale']:.4g}, exponent {m['exponent']:.3f}"
            else:
                params = ", ".join(f"{t} {r:.3g}" for t, r in m["rates"].items())
            rows.append((name, name == vm.get("chosen"), params, m.get("tau"), m.get("sigma"), m.get("aic"),
                         m.get("cv_rmse")))
        return rows

    # --- predictive distributions (log eventual views of a new video) ---------------------------
    def share_by_age(self, age) -> np.ndarray:
        return share_by_age(age, self.curve["day1_share"], self.curve["shape"], self.curve["days"])

    def predict_from_followers(self, followers) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sigma) of log eventual views of a new video of a creator known only by followers."""
        f = np.maximum(np.atleast_1d(np.asarray(followers, dtype=float)), 1.0)
        chosen = self.view_model
        if chosen == "curve":
            return self.fits["curve"].predict(np.column_stack([np.ones_like(f), np.log(f)]))
        if chosen == "rate":
            fitted = self.fits["rate"]
            tier = self.tiers.classify(f)
            names = list(fitted.names)
            X = np.zeros((f.size, len(names)))
            col = np.array([names.index(n) if n in names else -1 for n in self.tiers.names] + [-1])[tier]
            X[np.arange(f.size)[col >= 0], col[col >= 0]] = 1.0
            mu, sd = fitted.predict(X, offset=np.log(f))
            if (col < 0).any() and "curve" in self.fits:  # a tier without data: the curve
                mu_c, sd_c = self.fits["curve"].predict(np.column_stack([np.ones_like(f), np.log(f)]))
                mu, sd = np.where(col < 0, mu_c, mu), np.where(col < 0, sd_c, sd)
            return mu, sd
        raise CalibrationError(f"{self.source}: no follower model could be fitted (too few videos or creators)")

    def predict_from_history(self, log_views, followers: float | None = None) -> tuple[float, float]:
        """(mu, sigma) of log eventual views of a creator's next video from its n past videos."""
        x = np.asarray(log_views, dtype=float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            if followers is None:
                raise CalibrationError("predict_from_history: no past videos and no followers to fall back on")
            mu, sd = self.predict_from_followers(followers)
            return float(mu[0]), float(sd[0])
        return float(x.mean()), self.within_sigma(followers) * math.sqrt(1.0 + 1.0 / x.size)

    def within_sigma(self, followers: float | None = None) -> float:
        """The within-creator sigma of log-views: the creator's tier's when fitted, else the pooled one."""
        disp = self.view_dispersion
        if followers is not None:
            tier = int(self.tiers.classify(np.array([float(followers)]))[0])
            name = self.tiers.names[tier] if 0 <= tier < len(self.tiers.names) else None
            if name in disp.get("by_tier", {}):
                return float(disp["by_tier"][name])
        return float(disp["all"]) if disp.get("all") is not None else assumptions.VIEW_DISPERSION

    # --- the calibration file -------------------------------------------------------------------
    def to_toml(self) -> str:
        """A calibration file for ``load_scenario(calibration=...)`` / ``--calibration`` (or to paste):
        tables [model] and [simulation], with every map inline, so that it merges over a scenario
        without declaring a table twice."""
        lines = [f"# Fitted by reachmix calibrate from {Path(self.source).name}: {self.observations} observations "
                 f"of {self.videos} videos by {self.creators} creators.", "[model]"]
        vm = self.view_models
        chosen = vm.get("chosen")
        if chosen:
            lines.append(f'view_model = "{chosen}"  # {vm.get("reason", "")}')
        if vm.get("curve", {}).get("write"):
            c = vm["curve"]
            lines.append(f"view_curve = {{ scale = {c['scale']:.6g}, exponent = {c['exponent']:.4f} }}  "
                         "# expected views of a post = scale x followers^exponent")
        rates = vm.get("rate", {}).get("rates") or {}
        if rates:
            lines.append("view_rate = { " + ", ".join(f"{t} = {r:.4g}" for t, r in rates.items())
                         + " }  # expected views per follower, by tier")
        if not chosen:
            lines.append("# views from followers left at the defaults (too few videos or creators to fit)")
        by_tier = self.interactions.get("engagement_by_tier") or {}
        if by_tier:
            lines.append("engagement_by_tier = { " + ", ".join(f"{t} = {min(v['rate'], 1.0):.4g}"
                                                               for t, v in by_tier.items()) + " }")
        split = self.interactions.get("split")
        if split:
            lines.append("interaction_split = { " + ", ".join(f"{k} = {v}" for k, v in split.items()) + " }")
        lines += ["", "[simulation]"]
        disp = self.view_dispersion
        if disp.get("all") is not None:
            lines.append(f"view_dispersion = {_clip_sigma(disp['all']):.3f}")
        for tier, sigma in disp.get("by_tier", {}).items():
            lines.append(f"view_dispersion_{tier} = {_clip_sigma(sigma):.3f}")
        if chosen and vm[chosen].get("total_sigma") is not None:
            lines.append(f"view_dispersion_followers = {_clip_sigma(vm[chosen]['total_sigma']):.3f}  "
                         "# a creator known only by followers")
        if self.curve.get("fitted"):
            lines.append(f"accrual_day1_share = {self.curve['day1_share']:.4f}")
            lines.append(f"accrual_shape = {min(self.curve['shape'], MAX_SHAPE):.4f}")
        else:
            lines.append(f"# accrual_* left at the published defaults ({self.curve.get('reason', '')})")
        return "\n".join(lines) + "\n"


def _clip_sigma(sigma: float) -> float:
    return float(min(max(sigma, 0.0), MAX_DISPERSION))


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
    curve = _fit_curve(list(videos.values()), horizon, warnings, source)
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
    # One creator per real creator: '@Ayse', 'ayse' and 'AYSE ' are one account (the history
    # reader's creator key), for the random effects, the within-creator sigma and the CV folds.
    handles = cells.fold_names(np.asarray(handles, dtype=object)).tolist() if handles else []
    tier_idx = tiers.classify(followers_arr)
    vpf = _views_per_follower(eventual_arr, followers_arr, handles, tier_idx, tiers, source, warnings)
    disp = _dispersion(eventual_arr, handles, tier_idx, tiers, vpf, warnings, source)
    models, fits = _view_models(eventual_arr, followers_arr, handles, tier_idx, tiers, warnings, source)
    inter = _interactions(latest, tiers, warnings, source)
    warnings[:] = [one_line(w) for w in warnings]
    return Calibration(source=source, observations=len(observations), videos=len(videos),
                       creators=len(set(cells.fold_names(np.asarray([o.handle for o in observations], dtype=object)).tolist())), curve=curve,
                       views_per_follower=vpf, view_dispersion=disp, interactions=inter, warnings=warnings,
                       view_models=models, tiers=tiers, fits=fits)


def _view_models(views, followers, handles, tier_idx, tiers, warnings, source) -> tuple[dict, dict]:
    """Both follower models (views_fit), which fits better, and the values to write."""
    ok = (followers > 0) & (views > 0)
    y, logf = np.log(views[ok]), np.log(followers[ok])
    who = np.asarray(handles, dtype=object)[ok].astype(str)
    tier = tier_idx[ok]
    models: dict[str, Any] = {}
    fits: dict[str, Any] = {}
    distinct = np.unique(np.round(logf, 6)).size
    creators = np.unique(who).size
    if creators >= MIN_CURVE_CREATORS and distinct >= 3:
        fc = views_fit.fit(y, np.column_stack([np.ones_like(logf), logf]), who, ("log_scale", "exponent"))
        fits["curve"] = fc
        scale = math.exp(fc.beta[0] + fc.total**2 / 2)  # expected (mean) views: what avg_views means
        exponent = float(fc.beta[1])
        entry = dict(fc.to_dict(), scale=scale, exponent=exponent, write=True)
        if not (0.0 < exponent <= MAX_EXPONENT and math.isfinite(scale) and scale > 0):
            entry["write"] = False
            warnings.append(f"{source}: the fitted follower curve has exponent {exponent:.3g} (allowed: 0 to "
                            f"{MAX_EXPONENT:g}); view_curve is not written")
        models["curve"] = entry
    else:
        warnings.append(f"{source}: {creators} creator(s) with {distinct} distinct follower count(s); need "
                        f"{MIN_CURVE_CREATORS} creators and 3 counts to fit the follower curve")
    present = [k for k, name in enumerate(tiers.names) if (tier == k).sum() >= MIN_TIER_VIDEOS]
    if present:
        X = np.column_stack([(tier == k).astype(float) for k in present])
        keep = X.sum(axis=1) > 0
        names = tuple(tiers.names[k] for k in present)
        fr = views_fit.fit(y[keep], X[keep], who[keep], names, offset=logf[keep])
        fits["rate"] = fr
        rates = {n: math.exp(b + fr.total**2 / 2) for n, b in zip(names, fr.beta)}
        rates = {n: r for n, r in rates.items() if math.isfinite(r) and r > 0}
        models["rate"] = dict(fr.to_dict(), rates=rates)
    usable = [m for m in ("curve", "rate") if m in models and (m != "curve" or models[m]["write"])]
    if not usable:
        return models, fits
    cv = {m: models[m].get("cv_rmse") for m in usable}
    # Compare like with like: AIC only when both models describe the same videos.
    same = len(usable) == 2 and models["curve"]["videos"] == models["rate"]["videos"]
    if len(usable) == 1:
        chosen, reason = usable[0], "the only model the data could fit"
    elif all(v is not None for v in cv.values()):
        chosen = min(usable, key=lambda m: cv[m])
        reason = (f"held-out creators' log-views RMSE {cv[chosen]:.3f} vs {cv[_other(chosen)]:.3f}; "
                  f"AIC {models['curve']['aic']:.1f} (curve) vs {models['rate']['aic']:.1f} (rate)")
    elif same:
        chosen = min(usable, key=lambda m: models[m]["aic"])
        reason = f"AIC {models['curve']['aic']:.1f} (curve) vs {models['rate']['aic']:.1f} (rate)"
    else:
        chosen, reason = "curve", "too few creators to compare; the curve covers every tier"
    if chosen == "rate" and len(models["rate"]["rates"]) < len(tiers.names) and "curve" in usable:
        reason += "; tiers without data use the curve"
    models.update(chosen=chosen, reason=reason)
    return models, fits


def _other(model: str) -> str:
    return "rate" if model == "curve" else "curve"


def _fit_curve(videos: list[list[Observation]], horizon: float, warnings: list[str], source: str) -> dict[str, Any]:
    default = {"fitted": False, "day1_share": assumptions.ACCRUAL_DAY1_SHARE, "shape": assumptions.ACCRUAL_SHAPE,
               "days": horizon}
    groups = []
    for obs_list in videos:
        pts = sorted({(o.age_days, o.views) for o in obs_list if o.views > 0 and o.age_days > 0})
        if len({a for a, _ in pts}) >= 2 and any(a < horizon for a, _ in pts):
            groups.append((np.array([a for a, _ in pts]), np.log([v for _, v in pts])))
    if len(groups) < MIN_CURVE_VIDEOS:
        reason = (f"{len(groups)} video(s) observed at two or more ages; the curve needs {MIN_CURVE_VIDEOS}")
        warnings.append(f"{source}: accumulation curve not fitted: {reason}; the published defaults are kept")
        return dict(default, reason=reason, videos=len(groups), needed=MIN_CURVE_VIDEOS)
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
    if not (math.isfinite(p) and math.isfinite(b) and 1e-4 <= p <= 1.0 and 0.0 < b):
        reason = f"the fit degenerated (day-1 share {p:.3g}, shape {b:.3g})"
        warnings.append(f"{source}: accumulation curve not used: {reason}; the published defaults are kept")
        return dict(default, reason=reason, videos=len(groups))
    if b > MAX_SHAPE:
        warnings.append(f"{source}: fitted accumulation shape {b:.3g} is above {MAX_SHAPE:g}; written as {MAX_SHAPE:g}")
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
            if r > 1.0:
                warnings.append(f"{source}: {name} engagement per view is {r:.3g} (more interactions than views); "
                                "written as 1, the most a scenario accepts")
    total = eng[every].sum()
    if total > 0:
        c = round(float(counts["comments"][every].sum() / total), 4)
        s = round(float(counts["shares"][every].sum() / total), 4)
        out["split"] = {"likes": round(1.0 - c - s, 4), "comments": c, "shares": s}
    return out
