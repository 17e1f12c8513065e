"""Views from followers with creator random effects: the fits behind ``calibrate``'s view model.

Model (one row per video, ``y`` = log of its eventual views)::

    y = offset + X beta + u_creator + e_video,   u ~ N(0, tau^2),  e ~ N(0, sigma^2)

* **curve**: ``X = [1, log followers]``, offset 0: ``log V = log scale + exponent log F``;
* **rate by tier**: ``X`` = one indicator per tier, offset ``log followers``:
  ``log V = log F + log rate_tier``.

Estimation (method of moments + feasible GLS, documented so it can be checked by hand):

1. ``sigma^2`` = pooled within-creator variance of the residuals (creators with 2+ videos),
   ``SS_within / (N - G)``; it does not depend on ``tau``.
2. Creator means ``ybar_g`` have variance ``v_g = tau^2 + sigma^2 / n_g``: ``beta`` is weighted least
   squares on the creator means with weights ``1 / v_g``, and ``tau^2`` the moment estimate
   ``sum w_g (r_g^2 - sigma^2/n_g) / sum w_g`` (floored at 0), iterated to a fixed point (this is
   the Paule-Mandel / DerSimonian-Laird family used in meta-analysis). Without repeat creators
   ``sigma`` and ``tau`` cannot be told apart: only their total is reported.
3. Fit quality, both reported: the Gaussian log-likelihood of the creator means plus the within
   part, as AIC (``2k - 2 log L``, k = fixed effects + 2 variances), and the root mean square log
   error of held-out creators' videos in 5-fold cross-validation by creator (a fixed seed).

A new video of a creator known only by followers has ``log V ~ N(x beta, tau^2 + sigma^2 + x' C x)``
(``C`` the covariance of ``beta``): ``predict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Folds of the creator-level cross-validation, and the fewest creators for which it is run.
CV_FOLDS = 5
MIN_CV_CREATORS = 10
#: Fixed seed of the fold assignment: the comparison must not change from run to run.
CV_SEED = 20250


@dataclass(frozen=True)
class REFit:
    names: tuple[str, ...]
    beta: np.ndarray
    cov: np.ndarray
    tau: float | None           # between-creator sd (None when not identified)
    sigma: float | None         # within-creator sd (None when not identified)
    total: float                # sd of a new creator's video around x beta
    videos: int
    creators: int
    loglik: float
    aic: float
    cv_rmse: float | None = None

    def predict(self, X: np.ndarray, offset: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sd) of log views of a new video of a new creator with design rows ``X``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        mu = X @ self.beta + offset
        var = np.einsum("ij,jk,ik->i", X, self.cov, X) + self.total**2
        return mu, np.sqrt(var)

    def to_dict(self) -> dict:
        return {"coefficients": dict(zip(self.names, map(float, self.beta))),
                "se": dict(zip(self.names, map(float, np.sqrt(np.maximum(np.diag(self.cov), 0.0))))),
                "tau": self.tau, "sigma": self.sigma, "total_sigma": self.total, "videos": self.videos,
                "creators": self.creators, "loglik": self.loglik, "aic": self.aic, "cv_rmse": self.cv_rmse}


def fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, names: tuple[str, ...],
        offset: np.ndarray | None = None, cv: bool = True) -> REFit:
    y = np.asarray(y, dtype=float) - (0.0 if offset is None else np.asarray(offset, dtype=float))
    X = np.asarray(X, dtype=float)
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    g = g.reshape(-1)
    G, N, k = int(g.max()) + 1, y.size, X.shape[1]
    n = np.bincount(g, minlength=G).astype(float)
    ybar = np.bincount(g, weights=y, minlength=G) / n
    Xbar = np.column_stack([np.bincount(g, weights=X[:, j], minlength=G) for j in range(k)]) / n[:, None]
    df_within = N - G
    # Followers are (nearly) constant within a creator, so the within part of the residuals is the
    # within part of y up to the design's own within variation, removed with beta below.
    sigma2 = None
    tau2 = 0.0
    beta = np.linalg.lstsq(Xbar, ybar, rcond=None)[0]
    for _ in range(100):
        r = y - X @ beta
        rbar = np.bincount(g, weights=r, minlength=G) / n
        if df_within > 0:
            sigma2 = float(((r - rbar[g]) ** 2).sum()) / df_within
        s2 = sigma2 if sigma2 is not None else 0.0
        v = tau2 + s2 / n
        w = 1.0 / np.maximum(v, 1e-12)
        rbar_fit = ybar - Xbar @ beta
        if sigma2 is None:
            new_tau2 = float((rbar_fit**2).sum()) / max(G - k, 1)  # the total spread only
        else:
            new_tau2 = max(0.0, float((w * (rbar_fit**2 - s2 / n)).sum() / w.sum()) * G / max(G - k, 1))
        v = new_tau2 + s2 / n
        w = 1.0 / np.maximum(v, 1e-12)
        Xw = Xbar * w[:, None]
        new_beta = np.linalg.lstsq(Xw.T @ Xbar, Xw.T @ ybar, rcond=None)[0]
        done = abs(new_tau2 - tau2) < 1e-10 and np.allclose(new_beta, beta, atol=1e-10)
        beta, tau2 = new_beta, new_tau2
        if done:
            break
    s2 = sigma2 if sigma2 is not None else 0.0
    v = np.maximum(tau2 + s2 / n, 1e-12)
    Xw = Xbar / v[:, None]
    try:
        cov = np.linalg.inv(Xw.T @ Xbar)
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
    rbar_fit = ybar - Xbar @ beta
    loglik = -0.5 * float((np.log(2 * math.pi * v) + rbar_fit**2 / v).sum())
    if sigma2 is not None and sigma2 > 0:
        r = y - X @ beta
        ss_within = float(((r - (np.bincount(g, weights=r, minlength=G) / n)[g]) ** 2).sum())
        loglik += -0.5 * (df_within * math.log(2 * math.pi * sigma2) + ss_within / sigma2)
    params = k + (2 if sigma2 is not None else 1)
    total = math.sqrt(tau2 + s2)
    out = REFit(names=names, beta=beta, cov=cov, tau=math.sqrt(tau2) if sigma2 is not None else None,
                sigma=math.sqrt(sigma2) if sigma2 is not None else None, total=total, videos=N, creators=G,
                loglik=loglik, aic=2 * params - 2 * loglik)
    if cv and G >= MIN_CV_CREATORS:
        out = _with_cv(out, y, X, g, names)
    return out


def _with_cv(fitted: REFit, y, X, g, names) -> REFit:
    """Root mean square error of log views of held-out creators' videos (5 folds by creator)."""
    G = int(g.max()) + 1
    fold_of = np.random.default_rng(CV_SEED).permutation(G) % CV_FOLDS
    errors = []
    for f in range(CV_FOLDS):
        test = fold_of[g] == f
        train = ~test
        if not test.any() or np.unique(g[train]).size < X.shape[1] + 1:
            continue
        # A fold whose training side lacks a column (a tier seen only in the test creators) cannot
        # predict those videos; they are left out of that fold.
        present = np.abs(X[train]).sum(axis=0) > 0
        sub = fit(y[train], X[train][:, present], g[train], tuple(np.array(names)[present]), cv=False)
        ok = test & (np.abs(X[:, ~present]).sum(axis=1) == 0)
        errors.append(y[ok] - X[ok][:, present] @ sub.beta)
    if not errors:
        return fitted
    e = np.concatenate(errors)
    return REFit(**{**fitted.__dict__, "cv_rmse": float(np.sqrt(np.mean(e**2))) if e.size else None})
