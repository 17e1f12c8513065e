"""Synthetic post histories with known parameters: for calibration tests and the bundled example.

Each creator has a views-per-follower level (log-normal around its tier's rate, ``between``
sigma); each of its videos has eventual views log-normal around that level (``within`` sigma, the
simulator's per-post dispersion); each video is observed at a few ages along the accumulation
curve, with small multiplicative measurement noise; interactions are Poisson at per-view rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np

from .curve import share_by_age

TIER_RATES = MappingProxyType({"nano": 0.45, "micro": 0.30, "mid": 0.22, "macro": 0.16, "mega": 0.12})
#: log10 follower range of each tier used to draw creators.
TIER_LOG10 = MappingProxyType({"nano": (3.0, 4.0), "micro": (4.0, 5.0), "mid": (5.0, 5.7),
                               "macro": (5.7, 6.0), "mega": (6.0, 6.8)})


@dataclass(frozen=True)
class HistorySpec:
    creators_per_tier: int = 12
    videos_per_creator: int = 6
    ages: tuple[float, ...] = (0.5, 1.0, 2.0, 7.0, 30.0)
    within: float = 1.1
    between: float = 0.5
    day1_share: float = 0.32
    shape: float = 1.295
    horizon: float = 90.0
    noise: float = 0.03
    rates: dict = field(default_factory=lambda: {"likes": 0.060, "comments": 0.004, "shares": 0.005})
    tier_rates: dict = field(default_factory=lambda: dict(TIER_RATES))


def synthetic_history(spec: HistorySpec, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, 9, 0)
    rows = []
    for tier, rate in spec.tier_rates.items():
        lo, hi = TIER_LOG10[tier]
        for c in range(spec.creators_per_tier):
            handle = f"@{tier}{c:02d}"
            followers = int(10 ** rng.uniform(lo, hi))
            level = rate * np.exp(spec.between * rng.standard_normal() - spec.between**2 / 2)
            for v in range(spec.videos_per_creator):
                posted = start + timedelta(days=int(rng.integers(0, 300)), hours=float(rng.uniform(0, 12)))
                eventual = followers * level * np.exp(spec.within * rng.standard_normal() - spec.within**2 / 2)
                for age in spec.ages:
                    share = float(share_by_age(age, spec.day1_share, spec.shape, spec.horizon))
                    views = eventual * share * np.exp(spec.noise * rng.standard_normal())
                    row = {"handle": handle, "followers": followers,
                           "posted_at": posted.isoformat(sep=" ", timespec="minutes"),
                           "observed_at": (posted + timedelta(days=age)).isoformat(sep=" ", timespec="minutes"),
                           "views": int(round(views))}
                    for k, r in spec.rates.items():
                        row[k] = int(rng.poisson(views * r))
                    rows.append(row)
    return rows
