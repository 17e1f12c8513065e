"""The creator pool: one NumPy column per attribute, one row per creator.

Arrays are made read-only so that a strategy or simulation cannot change a scenario under
another's feet. Rates are all *per view* here, whatever basis the CSV used.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np

from .audience import AGE_BUCKETS, GENDERS
from .cells import fold_name, fold_names


class HandleIndex(dict):
    """``handle -> row`` that falls back to ``cells.fold_name`` for a handle not spelt as in the pool."""

    def __init__(self, handles) -> None:
        super().__init__(zip(handles, range(len(handles))))
        self._handles = handles
        self._folded_index: dict[str, int] | None = None

    @property
    def _folded(self) -> dict[str, int]:
        # Built on the first handle not spelt as in the pool (folding 1,000,000 handles one by one
        # took 3.6 s; most lookups hit the exact spelling).
        if self._folded_index is None:
            folded = fold_names(list(self._handles)) if len(self._handles) else []
            self._folded_index = {f: i for i, f in enumerate(folded)}
        return self._folded_index

    def __missing__(self, key):
        row = self._folded.get(fold_name(key)) if isinstance(key, str) else None
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or (isinstance(key, str) and fold_name(key) in self._folded)

    def get(self, key, default=None):
        return self[key] if key in self else default


def _readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CreatorPool:
    """The candidate creators: one read-only NumPy array per attribute, one row per creator.

    Read one with ``scenarios.read_pool`` / ``parse_pool`` (or a scenario), or build it from arrays.
    """

    handles: tuple[str, ...]
    followers: np.ndarray
    price: np.ndarray
    #: Expected views of one post.
    avg_views: np.ndarray
    #: (likes + comments + shares) per view.
    engagement_rate: np.ndarray
    likes_rate: np.ndarray
    comments_rate: np.ndarray
    shares_rate: np.ndarray
    #: Most posts each creator sells (already filled from ``constraints.max_posts``).
    max_posts: np.ndarray
    #: One-off fee when hired at all.
    fee: np.ndarray
    #: Normalised tags (no ``#``, case-folded) per creator.
    tags: tuple[frozenset[str], ...]
    #: Audience shares, shape (n, 6) in ``AGE_BUCKETS`` order, or ``None`` without age columns.
    age: np.ndarray | None = None
    #: Shape (n, 2): female, male; or ``None``.
    gender: np.ndarray | None = None
    #: Location names of the ``loc_*`` columns, and shares of shape (n, len(location_names)).
    location_names: tuple[str, ...] = ()
    locations: np.ndarray | None = None
    #: Where the pool was read from, for messages.
    source: str = "<memory>"
    #: The basis the CSV's engagement rates were written in ("views" or "followers"); the
    #: arrays above are per view either way, but thresholds such as ``min_engagement_rate``
    #: are read in the planner's basis.
    engagement_basis: str = "views"
    #: The creator's own sigma of log-views per post (pool column ``views_sigma``), NaN where
    #: unknown; with ``videos`` it sets the per-creator predictive spread of the simulator.
    views_sigma: np.ndarray | None = None
    #: How many past videos ``avg_views`` and ``views_sigma`` were estimated from (column ``videos``).
    videos: np.ndarray | None = None
    #: True where ``avg_views`` was blank and filled from followers (``view_model.default_views``):
    #: such a creator's posts get the follower curve's wider spread in the simulator.
    views_from_followers: np.ndarray | None = None
    #: First and last campaign day each creator may post (pool columns ``available_from`` /
    #: ``available_to``, both ends included; ``availability.NO_END`` = open), or ``None`` without them.
    available_from: np.ndarray | None = None
    available_to: np.ndarray | None = None
    #: What the reader noticed but accepted (unused columns that look like known ones, with the
    #: ``--map`` that would use them; rates above 1), one line each, for the CLI to print.
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                object.__setattr__(self, f.name, _readonly(value))

    def __repr__(self) -> str:
        # Short on purpose: the generated repr printed every column (322,862 characters for 5,000 creators).
        return f"CreatorPool({self.size:,} creators from {self.source})"

    def __len__(self) -> int:
        return len(self.handles)

    @property
    def size(self) -> int:
        return len(self.handles)

    def memory_bytes(self) -> int:
        """About how much memory the pool holds: its arrays, plus ~60 bytes per handle string."""
        arrays = sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))
        return arrays + sum(60 + len(h) for h in self.handles)

    def engagement_rate_as_written(self) -> np.ndarray:
        """Engagement rate in the basis of the CSV (per view, or per follower)."""
        if self.engagement_basis != "followers":
            return self.engagement_rate
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.followers > 0, self.engagement_rate * self.avg_views / self.followers, 0.0)

    def index_of(self) -> "HandleIndex":
        """Map handle -> row (handles are unique after folding; the reader checks).

        A handle written in another case or Unicode form (``@AYSE.MAKEUP``, NFD ``@ayşe``) finds
        its creator too: plans and rules are typed by people, pools exported by machines.
        """
        return self._handle_index

    @functools.cached_property
    def _handle_index(self) -> "HandleIndex":
        # Built once per pool (folding 100,000 handles takes a while); rules, plans and reports
        # look creators up many times. Not pickled: a worker rebuilds it if it needs it.
        return HandleIndex(self.handles)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_handle_index", None)
        return state

    def dimension_shares(self, dimension: str) -> tuple[tuple[str, ...], np.ndarray] | None:
        """(value names, shares of shape (n, k)) of one dimension, or ``None`` without columns."""
        if dimension == "age":
            return None if self.age is None else (AGE_BUCKETS, self.age)
        if dimension == "gender":
            return None if self.gender is None else (GENDERS, self.gender)
        if dimension == "locations":
            return None if self.locations is None else (self.location_names, self.locations)
        raise KeyError(dimension)

    def subset(self, rows: np.ndarray) -> "CreatorPool":
        """A pool of the given rows (in that order); used by sweeps and benchmarks."""
        rows = np.asarray(rows)
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                kw[f.name] = v[rows]
            elif f.name in ("handles", "tags"):
                kw[f.name] = tuple(v[i] for i in rows)
            else:
                kw[f.name] = v
        return CreatorPool(**kw)
