"""The accumulation curve: the share of a post's eventual views that has arrived by a given age.

``A(a) = p + (1 - p) * (ln a / ln T) ** b`` for ``1 <= a <= T``; ``A(a) = p * a`` for ``0 <= a < 1``
(the first day ramps up linearly); ``A(a) = 1`` for ``a >= T``; ``A(a) = 0`` before posting.

Why this form: the published TikTok points (32% at 24 h, 38% at 48 h, 55% at 7 days, ~100% by
90 days, see ``simulate/assumptions.py``) lie on a power of *log*-age after the first-day burst,
so three interpretable parameters reproduce all four points (a pure power law of age misses the
7-day point by 3 points). ``A`` reaches exactly 1 at the finite age T, which the consistency rule of
contract section 4 needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import assumptions


@dataclass(frozen=True)
class AccumulationCurve:
    day1_share: float = assumptions.ACCRUAL_DAY1_SHARE
    shape: float = assumptions.ACCRUAL_SHAPE
    days: float = assumptions.ACCRUAL_DAYS

    @classmethod
    def from_settings(cls, settings) -> "AccumulationCurve":
        return cls(float(settings.accrual_day1_share), float(settings.accrual_shape), float(settings.accrual_days))

    def __call__(self, age) -> np.ndarray:
        return share_by_age(age, self.day1_share, self.shape, self.days)

    def daily(self, days: int) -> np.ndarray:
        """``A`` at the end of the posting day and each day after: element k is ``A(k + 1)``."""
        return self(np.arange(1, days + 1, dtype=float))


def share_by_age(age, day1_share: float, shape: float, horizon: float) -> np.ndarray:
    """Vectorised ``A(age)`` (age in days, float); see the module docstring."""
    age = np.asarray(age, dtype=float)
    p = float(day1_share)
    if horizon <= 1.0:
        # Everything within the first day: a linear ramp to 1 at T.
        return np.clip(age / max(horizon, 1e-12), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.clip(np.log(np.maximum(age, 1.0)) / np.log(horizon), 0.0, 1.0)
        late = p + (1.0 - p) * x**shape
    out = np.where(age < 1.0, p * np.clip(age, 0.0, 1.0), late)
    # Exactly 1 from T on: the consistency rule compares final views to 1e-9.
    return np.where(age >= horizon, 1.0, out)
