"""Expected views of one post for a creator whose pool row leaves ``avg_views`` blank.

Extension point of the model: the pool reader calls ``default_views`` for every blank cell, so a
better estimate (a follower curve, per-tier rates, a calibration) changes every command at once.
"""

from __future__ import annotations

import numpy as np


def default_views(followers: np.ndarray, tier: np.ndarray, options) -> np.ndarray:
    """Expected views of one post from followers alone (``options`` is a ``PoolOptions``).

    ``tier`` holds each creator's tier index (``Tiers.classify``).
    """
    return np.asarray(followers, dtype=float) * options.view_rate
