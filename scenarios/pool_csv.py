"""Reading a creator pool from CSV (contract section 2).

Every bad cell raises ``PoolError`` naming the file, the row (the file's line number, header = 1)
and the column, and saying how to fix it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .audience import AGE_COLUMNS, GENDERS, normalise_tag
from .defaults import DEFAULT_ENGAGEMENT_BY_TIER, DEFAULT_INTERACTION_SPLIT
from .errors import PoolError, did_you_mean
from .files import read_text
from .numbers import parse_number
from .pool import CreatorPool
from .tiers import Tiers
from .view_model import default_views

REQUIRED = ("handle", "followers", "price")
OPTIONAL = (
    "avg_views",
    "engagement_rate",
    "likes_rate",
    "comments_rate",
    "shares_rate",
    "max_posts",
    "fee",
    "tags",
    *AGE_COLUMNS,
    *GENDERS,
)
#: Shares are fractions; a group summing within this range was written in percent.
PERCENT_SUM_RANGE = (50.0, 150.0)
SHARE_TOLERANCE = 0.02
#: Most posts one creator may sell; larger values are typos (and would overflow the int64 column).
MAX_POSTS_LIMIT = 10_000


@dataclass(frozen=True)
class PoolOptions:
    """What the scenario tells the reader (defaults for blank cells and the rate basis)."""

    view_rate: float = 0.25
    engagement_basis: str = "views"
    default_max_posts: int = 3
    tiers: Tiers = Tiers()
    engagement_by_tier: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ENGAGEMENT_BY_TIER)
    interaction_split: Mapping[str, float] = field(default_factory=lambda: DEFAULT_INTERACTION_SPLIT)


class _Cells:
    """Parses one column's cells, naming file, row and column in every error."""

    def __init__(self, source: str, rows: Sequence[tuple[int, list[str]]], columns: dict[str, int]):
        self.source, self.rows, self.columns = source, rows, columns

    def err(self, line: int, column: str, why: str) -> PoolError:
        return PoolError(f"{self.source}, row {line}, column {column}: {why}")

    def raw(self, column: str) -> list[str]:
        j = self.columns[column]
        return [cells[j].strip() for _, cells in self.rows]

    def numbers(self, column: str, *, blank: float = np.nan, minimum: float | None = 0.0,
                strict: bool = False, integer: bool = False, fix: str = "",
                maximum: float | None = None) -> np.ndarray:
        """Parse a numeric column; blanks become ``blank`` (NaN = 'use the default')."""
        if column not in self.columns:
            return np.full(len(self.rows), blank)
        out = np.empty(len(self.rows))
        j = self.columns[column]
        for k, (line, cells) in enumerate(self.rows):
            text = cells[j].strip()
            if not text:
                if column in REQUIRED:
                    raise self.err(line, column, f"is blank; {fix or 'write a number'}")
                out[k] = blank
                continue
            try:
                value = float(text)
            except ValueError:
                try:
                    value = parse_number(text)
                except ValueError as exc:
                    raise self.err(line, column, f"{exc}; {fix or 'write a number such as 2500, 13.9K or 1.4M'}") from None
            if not np.isfinite(value):
                raise self.err(line, column, f'"{text}" is not a finite number')
            if minimum is not None and (value < minimum or (strict and value == minimum)):
                op = ">" if strict else ">="
                raise self.err(line, column, f"{text} is not allowed; it must be {op} {minimum:g}")
            if maximum is not None and value > maximum:
                raise self.err(line, column, f"{text} is too large; it must be <= {maximum:g}")
            if integer and value != int(value):
                raise self.err(line, column, f"{text} is not a whole number")
            out[k] = value
        return out


def read_pool(path: str | Path, options: PoolOptions = PoolOptions()) -> CreatorPool:
    """Read and validate a creator-pool CSV."""
    path = Path(path)
    text = read_text(path, PoolError, what="pool file", fix_path="check [pool] file in the scenario",
                     directory="point [pool] file at the CSV", save_as="the CSV")
    return parse_pool(text, str(path), options)


def parse_pool(text: str, source: str, options: PoolOptions = PoolOptions()) -> CreatorPool:
    if "\x00" in text:
        raise PoolError(f"{source}: contains NUL bytes; this is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise PoolError(f"{source}: the file is empty; it needs a header row with handle,followers,price")
        columns: dict[str, int] = {}
        original: dict[str, str] = {}
        for j, name in enumerate(header):
            key = name.strip().lower()
            if not key:
                continue
            if key in columns:
                raise PoolError(f'{source}, row 1: column "{name.strip()}" appears twice; keep one')
            columns[key] = j
            original[key] = name.strip()
        for col in REQUIRED:
            if col not in columns:
                raise PoolError(
                    f'{source}, row 1: required column "{col}" is missing'
                    f"{did_you_mean(col, columns)}; the header needs handle,followers,price"
                )
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            if len(cells) != len(header):
                raise PoolError(
                    f"{source}, row {line}: has {len(cells)} cells but the header has {len(header)}; "
                    "quote cells that contain commas"
                )
            rows.append((line, cells))
    except csv.Error as exc:
        raise PoolError(f"{source}, row {reader.line_num}: malformed CSV ({exc}); check the quotes") from None
    if not rows:
        raise PoolError(f"{source}: the pool is empty; add one row per creator below the header")
    return _build(source, rows, columns, original, options)


def _build(source, rows, columns, original, options: PoolOptions) -> CreatorPool:
    cells = _Cells(source, rows, columns)
    lines = [line for line, _ in rows]

    handles = cells.raw("handle")
    seen: dict[str, int] = {}
    for line, h in zip(lines, handles):
        if not h:
            raise cells.err(line, "handle", "is blank; every creator needs a unique handle")
        if h in seen:
            raise cells.err(line, "handle", f'"{h}" already appears in row {seen[h]}; handles must be unique')
        seen[h] = line

    followers = cells.numbers("followers", integer=True, fix="write the follower count, e.g. 13.9K")
    price = cells.numbers("price", minimum=0.0, strict=True, fix="write the price of one post")
    tier = options.tiers.classify(followers)
    avg_views = cells.numbers("avg_views")
    avg_views = np.where(np.isnan(avg_views), default_views(followers, tier, options), avg_views)
    max_posts = cells.numbers("max_posts", integer=True, maximum=MAX_POSTS_LIMIT)
    max_posts = np.where(np.isnan(max_posts), options.default_max_posts, max_posts).astype(np.int64)
    fee = np.nan_to_num(cells.numbers("fee"), nan=0.0)

    given_er = _rate(cells, "engagement_rate", lines)
    engagement = given_er
    if options.engagement_basis == "followers":
        # Per follower -> per view, so that every later formula uses one basis.
        with np.errstate(divide="ignore", invalid="ignore"):
            engagement = np.where(avg_views > 0, engagement * followers / avg_views, 0.0)
    tier_default = np.array([options.engagement_by_tier.get(n, np.nan) for n in options.tiers.names])
    engagement = np.where(np.isnan(engagement), tier_default[tier], engagement)
    given = {kind: _rate(cells, f"{kind}_rate", lines) for kind in ("likes", "comments", "shares")}
    split = {
        kind: np.where(np.isnan(rate), engagement * options.interaction_split[kind], rate)
        for kind, rate in given.items()
    }
    # A row with the three rates but no engagement_rate: the rates define it.
    all_given = ~np.isnan(given["likes"]) & ~np.isnan(given["comments"]) & ~np.isnan(given["shares"])
    engagement = np.where(all_given & np.isnan(given_er), split["likes"] + split["comments"] + split["shares"], engagement)

    tags = tuple(
        frozenset(t for t in (normalise_tag(x) for x in raw.split(";")) if t)
        for raw in (cells.raw("tags") if "tags" in columns else [""] * len(rows))
    )
    age = _share_group(cells, [c for c in AGE_COLUMNS], columns, lines, must_sum_to_one=True)
    gender = _share_group(cells, list(GENDERS), columns, lines, must_sum_to_one=False)
    loc_cols = [c for c in columns if c.startswith("loc_") and len(c) > 4]
    location_names = tuple(original[c][4:] for c in loc_cols)
    locations = _share_group(cells, loc_cols, columns, lines, must_sum_to_one=False) if loc_cols else None

    return CreatorPool(
        handles=tuple(handles),
        followers=followers,
        price=price,
        avg_views=avg_views,
        engagement_rate=engagement,
        likes_rate=split["likes"],
        comments_rate=split["comments"],
        shares_rate=split["shares"],
        max_posts=max_posts,
        fee=fee,
        tags=tags,
        age=age,
        gender=gender,
        location_names=location_names,
        locations=locations,
        source=source,
        engagement_basis=options.engagement_basis,
    )


def _rate(cells: _Cells, column: str, lines: list[int]) -> np.ndarray:
    values = cells.numbers(column)
    bad = np.flatnonzero(values > 1.0)
    if bad.size:
        k = int(bad[0])
        raise cells.err(lines[k], column, f"{values[k]:g} looks like a percent; write it as a fraction "
                        f"({values[k] / 100:g})")
    return values


def _share_group(cells: _Cells, group: list[str], columns, lines, *, must_sum_to_one: bool) -> np.ndarray | None:
    present = [c for c in group if c in columns]
    if not present:
        return None
    missing = [c for c in group if c not in columns]
    if missing and must_sum_to_one:
        raise PoolError(f"{cells.source}, row 1: has {present[0]} but not {', '.join(missing)}; "
                        "give all six age columns or none")
    shares = np.column_stack([cells.numbers(c) if c in columns else np.zeros(len(lines)) for c in group])
    blank = np.isnan(shares)
    all_blank = blank.all(axis=1)
    partly = blank.any(axis=1) & ~all_blank
    if partly.any():
        k = int(np.flatnonzero(partly)[0])
        col = group[int(np.flatnonzero(blank[k])[0])]
        raise cells.err(lines[k], col, f"is blank while other {_group_name(group)} columns are filled; "
                        "fill it (0 is fine) or leave the whole group blank")
    sums = np.where(all_blank, np.nan, np.nansum(shares, axis=1))
    label = _group_name(group)
    for k in np.flatnonzero(~all_blank):
        s = sums[k]
        if PERCENT_SUM_RANGE[0] <= s <= PERCENT_SUM_RANGE[1] or (shares[k] > 1.0).any():
            raise PoolError(f"{cells.source}, row {lines[k]}, columns {group[0]}..{group[-1]}: the {label} shares "
                            f"sum to {s:g}, which looks like percents; write fractions (divide by 100)")
        if must_sum_to_one and abs(s - 1.0) > SHARE_TOLERANCE:
            raise PoolError(f"{cells.source}, row {lines[k]}, columns {group[0]}..{group[-1]}: the {label} shares "
                            f"sum to {s:.4g}; they must sum to 1 (+-{SHARE_TOLERANCE})")
        if not must_sum_to_one and s > 1.0 + SHARE_TOLERANCE:
            raise PoolError(f"{cells.source}, row {lines[k]}, columns {group[0]}..{group[-1]}: the {label} shares "
                            f"sum to {s:.4g}; they may not exceed 1 (the rest is other)")
    if all_blank.any():
        # A creator without demographics is given the pool's mean profile (documented assumption):
        # neither zero (which would hide them) nor a guess towards the target.
        filled = ~all_blank
        mean = shares[filled].mean(axis=0) if filled.any() else np.full(len(group), 1.0 / len(group))
        shares[all_blank] = mean
    if must_sum_to_one:
        shares = shares / shares.sum(axis=1, keepdims=True)
    return shares


def _group_name(group: list[str]) -> str:
    if group[0].startswith("age_"):
        return "age"
    if group[0] in GENDERS:
        return "gender"
    return "location"
