"""0/1 knapsack instances (Pisinger's format) as reachmix scenarios.

With a linear objective (target impressions) and one post per creator the influencer-selection
problem *is* a 0/1 knapsack: item = creator, profit = target impressions of its one post,
weight = price, capacity = budget. That makes the published optima exact tests of an optimizer.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ScenarioError
from .loader import scenario_from_dict
from .pool import CreatorPool
from .scenario import Scenario


#: The 21 Pisinger instances with proven optima shipped with reachmix (see its README.md).
BUNDLED = Path(__file__).resolve().parent / "data" / "knapsack-pisinger"


@dataclass(frozen=True, eq=False)
class KnapsackInstance:
    name: str
    profits: np.ndarray
    weights: np.ndarray
    capacity: float
    optimum: float | None = None


def read_instance(path: str | Path, optimum: float | None = None) -> KnapsackInstance:
    """Read ``n``, then ``profit weight`` per line, then the capacity."""
    path = Path(path)
    try:
        tokens = path.read_text(encoding="utf-8").split()
        n = int(tokens[0])
        numbers = np.array(tokens[1:1 + 2 * n], dtype=float).reshape(n, 2)
        capacity = float(tokens[1 + 2 * n])
    except FileNotFoundError:
        raise ScenarioError(f"{path}: knapsack instance not found") from None
    except (ValueError, IndexError):
        raise ScenarioError(f"{path}: not a knapsack instance (n, then n lines 'profit weight', then capacity)") from None
    return KnapsackInstance(path.stem, numbers[:, 0], numbers[:, 1], capacity, optimum)


def read_folder(folder: str | Path) -> list[KnapsackInstance]:
    """Every instance listed in ``folder/optima.csv`` with its proven optimum, smallest first."""
    folder = Path(folder)
    try:
        with open(folder / "optima.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise ScenarioError(f"{folder}: no optima.csv; expected Pisinger instances with their optima") from None
    instances = [read_instance(folder / f"{r['instance']}.txt", float(r["optimum"])) for r in rows]
    return sorted(instances, key=lambda k: (len(k.profits), k.name))


def as_scenario(instance: KnapsackInstance) -> Scenario:
    """The instance as a scenario: open audience, no interests, so per-post impressions = profit."""
    n = len(instance.profits)
    zeros = np.zeros(n)
    pool = CreatorPool(
        handles=tuple(f"@item{i}" for i in range(n)),
        followers=np.zeros(n),
        price=instance.weights.astype(float),
        avg_views=instance.profits.astype(float),
        engagement_rate=zeros, likes_rate=zeros, comments_rate=zeros, shares_rate=zeros,
        max_posts=np.ones(n, dtype=np.int64),
        fee=zeros,
        tags=tuple(frozenset() for _ in range(n)),
        source=instance.name,
    )
    doc = {
        "name": instance.name,
        "budget": {"total": float(instance.capacity)},
        # Audience size only matters for reach; any positive number keeps the model valid.
        "audience": {"size": float(max(instance.profits.sum(), 1.0))},
        "constraints": {"max_posts": 1},
        "objective": {"maximize": "target_impressions"},
    }
    return scenario_from_dict(doc, base_dir=Path("."), source=instance.name, pool=pool)
