"""Creator tiers by follower count.

Default thresholds are the industry's usual ones (Influencer Marketing Hub, "The State of
Influencer Marketing 2024"; HypeAuditor tier definitions): nano < 10k, micro 10k-100k,
mid 100k-500k, macro 500k-1M, mega >= 1M. A scenario's ``[tiers]`` table overrides any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIER_NAMES: tuple[str, ...] = ("nano", "micro", "mid", "macro", "mega")
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "nano": (0.0, 10_000.0),
    "micro": (10_000.0, 100_000.0),
    "mid": (100_000.0, 500_000.0),
    "macro": (500_000.0, 1_000_000.0),
    "mega": (1_000_000.0, float("inf")),
}


@dataclass(frozen=True)
class Tiers:
    """Half-open follower ranges ``[low, high)``, one per tier name, in ``TIER_NAMES`` order."""

    bounds: tuple[tuple[float, float], ...] = tuple(DEFAULT_BOUNDS[n] for n in TIER_NAMES)
    names: tuple[str, ...] = TIER_NAMES

    def classify(self, followers: np.ndarray) -> np.ndarray:
        """Tier index of each creator; ``-1`` where no range holds the follower count."""
        followers = np.asarray(followers, dtype=float)
        out = np.full(followers.shape, -1, dtype=np.int64)
        # Later tiers win on overlap, so that an overridden range takes precedence over a default
        # neighbour only where they overlap; users who override one tier expect exactly that.
        for k, (low, high) in enumerate(self.bounds):
            out[(followers >= low) & (followers < high)] = k
        return out

    def index(self, name: str) -> int:
        return self.names.index(name)
