"""Pools built in memory (a notebook's text or data frame) that still obey the scenario's settings.

A pool's blank cells are filled from the scenario (``constraints.max_posts``, ``[model] view_rate``,
``engagement_by_tier``...). A pool read *before* the scenario was known (``parse_pool(text)``) was
filled with the reader's defaults, so building a scenario over it used to drop the scenario's
settings silently (``max_posts = 1`` still gave 3 posts). Here every pool remembers how it was read
(a weak map, so nothing is pickled into worker processes); ``scenario_from_dict`` re-reads it with
the scenario's settings when they differ, and refuses settings that cannot apply to a pool built
from arrays (``apply_settings``).
"""

from __future__ import annotations

import csv
import io
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PoolError, ScenarioError
from .pool import CreatorPool
from .pool_csv import PoolOptions, parse_pool as _parse_pool, read_pool
from .table import ReadOptions


@dataclass(frozen=True)
class PoolOrigin:
    """How a pool was read: its text (or file) and the settings used for blank cells."""

    options: PoolOptions
    read_options: ReadOptions | None = None
    text: str | bytes | None = None
    path: Path | None = None
    source: str = "<memory>"

    def reread(self, options: PoolOptions, read_options: ReadOptions | None) -> CreatorPool:
        """The same rows read again with other settings."""
        if self.text is not None:
            pool = _parse_pool(self.text, self.source, options, read_options)
        else:
            pool = read_pool(self.path, options, read_options)
        remember(pool, PoolOrigin(options, read_options, self.text, self.path, self.source))
        return pool


# Keyed by the pool object (CreatorPool compares by identity): the entry goes when the pool does.
_ORIGINS: "weakref.WeakKeyDictionary[CreatorPool, PoolOrigin]" = weakref.WeakKeyDictionary()


def remember(pool: CreatorPool, origin: PoolOrigin) -> CreatorPool:
    """Record how ``pool`` was read (returns it)."""
    _ORIGINS[pool] = origin
    return pool


def origin_of(pool: CreatorPool) -> PoolOrigin | None:
    """How ``pool`` was read, or ``None`` for a pool built from arrays (or received from another process)."""
    return _ORIGINS.get(pool)


def parse_pool(text: str | bytes, source: str, options: PoolOptions = PoolOptions(),
               read_options: ReadOptions | None = None) -> CreatorPool:
    """``scenarios.pool_csv.parse_pool`` that remembers the text, so that a scenario built over the
    pool can fill its blank cells with the scenario's own settings."""
    pool = _parse_pool(text, source, options, read_options)
    return remember(pool, PoolOrigin(options, read_options, text=text, source=source))


#: ``[pool]`` keys that only say how to read a file: meaningless for a pool built from arrays.
READING_KEYS = ("columns", "delimiter", "encoding", "decimal")


def apply_settings(pool: CreatorPool, options: PoolOptions, reading: ReadOptions, pool_table: Mapping[str, Any],
                   source: str) -> CreatorPool:
    """``pool`` with the scenario's settings for blank cells (``options``) and reading (``reading``).

    A pool that remembers its text or file is re-read when its settings differ; a pool built from
    arrays has no blank cell to fill, but ``[pool]`` reading keys or another engagement basis
    cannot apply to it and are refused rather than ignored.
    """
    origin = origin_of(pool)
    if origin is not None:
        # Settings given when the text was parsed win over the scenario's, as the CLI's do over a file's.
        merged = reading.merged(origin.read_options)
        if origin.options == options and (origin.read_options or ReadOptions()) == merged:
            return pool
        return origin.reread(options, merged)
    for key in READING_KEYS:
        if pool_table.get(key):
            raise ScenarioError(f"{source}: pool.{key} says how to read a pool file, but the pool {pool.source} "
                                f"was given as arrays; remove pool.{key} or give the pool's text "
                                "(scenarios.parse_pool) or data frame (Scenario.from_frame)")
    if options.engagement_basis != pool.engagement_basis:
        raise ScenarioError(f'{source}: pool.engagement_basis = "{options.engagement_basis}" cannot apply to the '
                            f'pool {pool.source} given as arrays (its rates are per view, written per '
                            f'{pool.engagement_basis}); remove it or give the pool\'s text or data frame')
    return pool


def frame_to_csv(frame: Any) -> str:
    """A pandas or polars data frame (or a mapping of column -> values) as CSV text.

    Duck-typed, so neither library is imported here. List-valued cells (tags) are joined with
    ``;``, the pool reader's tag separator; a named pandas index (``set_index("handle")``) becomes
    a column again.
    """
    if hasattr(frame, "write_csv") and hasattr(frame, "schema"):  # polars
        lists = [name for name, dtype in frame.schema.items() if str(dtype).startswith(("List", "Array"))]
        if lists:
            frame = frame.with_columns([frame[name].list.join(";") for name in lists])
        return frame.write_csv()
    if hasattr(frame, "to_csv") and hasattr(frame, "columns"):  # pandas
        if any(name is not None for name in getattr(frame.index, "names", [None])):
            frame = frame.reset_index()
        frame = frame.copy()
        for name in frame.columns:
            if frame[name].dtype == object:
                frame[name] = frame[name].map(_joined)
        return frame.to_csv(index=False)
    if isinstance(frame, Mapping):
        columns = {str(k): list(v) for k, v in frame.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise PoolError("pool columns have different lengths "
                            f"({', '.join(f'{k}: {len(v)}' for k, v in columns.items())}); give one value per creator")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*(map(_joined, v) for v in columns.values())))
        return out.getvalue()
    raise PoolError(f"a pool frame must be a pandas or polars DataFrame or a mapping of columns, "
                    f"not {type(frame).__name__}")


def _joined(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ";".join(str(v) for v in value)
    if value is None:
        return ""
    return value
