"""Reading a creator pool (contract section 2) from CSV, JSON, JSON Lines or Parquet.

The file is read by ``scenarios.table`` (delimiter sniffing, encodings, column mapping and
aliases) and parsed column by column, vectorised (``scenarios.cells``). Every bad cell is
reported at once in one ``PoolError`` (up to 20, then a count), each with the file's row (its line
number, header = 1) and the column, and how to fix it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .audience import AGE_COLUMNS, GENDERS, normalise_tag
from .availability import COLUMNS as AVAILABILITY, as_window, parse_days
from .cells import NUMBER_HINT, CellProblem, ColumnError, fold_name, parse_numbers
from .defaults import DEFAULT_ENGAGEMENT_BY_TIER, DEFAULT_INTERACTION_SPLIT
from .errors import PoolError, read_option
from .pool import CreatorPool
from .table import ALIASES, MAX_LISTED, ReadOptions, Table, parse_table, raise_problems, read_table
from .table_parquet import is_parquet, is_parquet_bytes, parse_parquet_table, read_parquet_table
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
    # Written by ``reachmix ingest``: the creator's own log-views sigma, how many videos it was
    # estimated from, and the latest post (read for completeness; not used by the model).
    "views_sigma",
    "videos",
    "last_posted_at",
    # When the creator can post (campaign days or dates; scenarios/availability.py).
    *AVAILABILITY,
)
KNOWN = REQUIRED + OPTIONAL
#: Columns ``loc_<Name>`` hold the audience share in location <Name>.
LOCATION_PREFIX = "loc_"
#: Shares are fractions; a group summing within this range was written in percent.
PERCENT_SUM_RANGE = (50.0, 150.0)
SHARE_TOLERANCE = 0.02
#: Most posts one creator may sell; larger values are typos (and would overflow the int64 column).
MAX_POSTS_LIMIT = 10_000
#: A rate column "looks like percents" when more than this share of its filled cells lies in (1, 100].
PERCENT_COLUMN_SHARE = 0.5
#: A rate per view above this is impossible even for a viral post (and is not a percent either).
MAX_RATE = 100.0


@dataclass(frozen=True)
class PoolOptions:
    """What the scenario tells the reader (defaults for blank cells and the rate basis)."""

    view_rate: float | Mapping[str, float] | None = 0.25
    #: ``{"scale", "exponent"}`` of the follower curve (None = the sourced default) and the model in
    #: force ("curve"/"rate"; None = "rate" when view_rate is given); see scenarios/view_model.py.
    view_curve: Mapping[str, float] | None = None
    view_model: str | None = None
    engagement_basis: str = "views"
    default_max_posts: int = 3
    tiers: Tiers = Tiers()
    engagement_by_tier: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ENGAGEMENT_BY_TIER)
    interaction_split: Mapping[str, float] = field(default_factory=lambda: DEFAULT_INTERACTION_SPLIT)
    #: ``[schedule] start_date``: turns dates in ``available_from`` / ``available_to`` into campaign days.
    start_date: datetime.date | None = None


def _read_options(read_options: ReadOptions | None) -> ReadOptions:
    return read_options if read_options is not None else ReadOptions()


_TABLE_ARGS = dict(required=REQUIRED, known=KNOWN, aliases=ALIASES, error=PoolError, what="pool",
                   row_name="creator", prefixes=(LOCATION_PREFIX,))


def read_pool(path: str | Path, options: PoolOptions = PoolOptions(),
              read_options: ReadOptions | None = None) -> CreatorPool:
    """Read and validate a creator pool (CSV, JSON, JSON Lines or Parquet: by suffix or PAR1 magic)."""
    read_options = _read_options(read_options)
    reader = read_parquet_table if is_parquet(path) else read_table
    table = reader(path, options=read_options, fix_path="check [pool] file in the scenario",
                   directory="point [pool] file at the CSV", **_TABLE_ARGS)
    return _build(table, options, read_options, consume=True)


def parse_pool(text: str | bytes, source: str, options: PoolOptions = PoolOptions(),
               read_options: ReadOptions | None = None) -> CreatorPool:
    """``read_pool`` of a file's content already in memory (``source`` names it in messages)."""
    read_options = _read_options(read_options)
    parse = parse_parquet_table if is_parquet_bytes(text) else parse_table
    table = parse(text, source, options=read_options, **_TABLE_ARGS)
    return _build(table, options, read_options, consume=True)


class _Cells:
    """Parses whole columns of a ``Table``, collecting every bad cell (``problems``) instead of
    stopping at the first."""

    def __init__(self, table: Table, decimal: str | None = None, consume: bool = False):
        self.table, self.source, self.n, self.decimal = table, table.source, len(table), decimal
        self.columns = dict(table.columns)
        self.present = frozenset(table.columns)
        self.consume = consume and isinstance(table.columns, dict)
        self.problems: dict[str, list[CellProblem]] = {}
        self.warnings: list[str] = list(table.warnings)

    def add(self, column: str, rows, whys) -> None:
        found = self.problems.setdefault(column, [])
        found.extend(CellProblem(int(r), w) for r, w in zip(rows, whys))

    def raw(self, column: str) -> pa.ChunkedArray:
        return self.columns[column]

    def done(self, column: str) -> None:
        """With ``consume``, drop a column's text once every cell of it is checked (frees memory)."""
        if self.consume:
            self.columns.pop(column, None)
            self.table.columns.pop(column, None)

    def texts(self, column: str, rows: np.ndarray) -> list[str]:
        return self.columns[column].take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()

    def flag(self, column: str, mask: np.ndarray, why) -> None:
        """Report the cells of ``mask``; ``why(text, value_index)`` builds the message of the first
        ``MAX_LISTED`` (the others are only counted, so a column of a million bad cells stays cheap)."""
        rows = np.flatnonzero(mask)
        if not rows.size:
            return
        shown = rows[:MAX_LISTED]
        texts = self.texts(column, shown) if column in self.columns else [""] * shown.size
        whys = [why(text, int(r)) for text, r in zip(texts, shown)]
        whys += ["(not shown)"] * (rows.size - shown.size)
        self.add(column, rows, whys)

    def numbers(self, column: str, *, blank: float = np.nan, minimum: float | None = 0.0,
                strict: bool = False, integer: bool = False, fix: str = "",
                maximum: float | None = None) -> np.ndarray:
        """Parse a numeric column; blanks become ``blank`` (NaN = 'use the default'); bad cells are
        collected and read as NaN."""
        if column not in self.present:
            # Read-only and zero bytes: a 5M-row pool without the column must not pay 40 MB for NaNs.
            return np.broadcast_to(np.float64(blank), (self.n,))
        try:
            values, problems = parse_numbers(self.columns[column], decimal=self.decimal)
        except ColumnError as exc:
            raise PoolError(f"{self.source}, column {self.table.label(column)}: {exc} "
                            f"({read_option('--decimal comma', decimal='comma')} or "
                            f"{read_option('--decimal dot', decimal='dot')}, or [pool] decimal in the scenario)") from None
        values = np.array(values, dtype=float)
        bad = np.zeros(self.n, dtype=bool)
        if problems:
            rows = np.array([p.row for p in problems], dtype=np.int64)
            bad[rows] = True
            self.add(column, rows, [_with_fix(p.why, fix) for p in problems])
        blanks = np.isnan(values) & ~bad
        if column in REQUIRED:
            self.flag(column, blanks, lambda t, r: f"is blank; {fix or 'write a number'}")
        ok = ~np.isnan(values) & ~bad
        with np.errstate(invalid="ignore"):
            if minimum is not None:
                low = ok & ((values < minimum) | ((values == minimum) if strict else False))
                op = ">" if strict else ">="
                self.flag(column, low, lambda t, r: f"{t} is not allowed; it must be {op} {minimum:g}")
                ok &= ~low
            if maximum is not None:
                high = ok & (values > maximum)
                self.flag(column, high, lambda t, r: f"{t} is too large; it must be <= {maximum:g}")
                ok &= ~high
            if integer:
                frac = ok & (values != np.floor(values))
                self.flag(column, frac, lambda t, r: f"{t} is not a whole number")
                ok &= ~frac
        values[~ok] = np.nan
        self.done(column)
        return np.where(blanks, blank, values)


def _with_fix(why: str, fix: str) -> str:
    """The parser's reason with this column's own fix ("write the follower count, e.g. 13.9K")."""
    head = why.split("; ", 1)[0]
    if fix and head.endswith("is not a number"):
        return f"{head}; {fix}"
    if head.endswith("is not a number") and head == why:
        return f"{head}; {NUMBER_HINT}"
    return why


def pool_from_table(table: Table, options: PoolOptions = PoolOptions(),
                    read_options: ReadOptions | None = None) -> CreatorPool:
    """Validate a pool ``Table`` and build the ``CreatorPool`` (every bad cell reported at once)."""
    return _build(table, options, _read_options(read_options))


def _handles(cells: _Cells) -> None:
    """Handles as written (stripped); blank ones and ones that fold alike (case, Unicode form,
    Turkish i) are bad cells naming both rows."""
    col = cells.raw("handle")
    blank = ~np.asarray(pc.not_equal(col, "").to_numpy(zero_copy_only=False), dtype=bool)
    cells.flag("handle", blank, lambda t, r: "is blank; every creator needs a unique handle")
    ascii_only = pc.all(pc.string_is_ascii(col)).as_py() in (True, None)
    if ascii_only:
        folded = pc.ascii_lower(col).combine_chunks()  # fold_name of ASCII text is lower-casing
    else:
        folded = pa.array([fold_name(h) for h in col.to_pylist()], type=pa.string())
    later = _repeats(folded, blank)
    if later:
        shown = later[:MAX_LISTED]
        texts = cells.texts("handle", [r for r, _ in shown] + [f for _, f in shown])
        whys = []
        for k, (r, f) in enumerate(shown):
            h, first = texts[k], texts[len(shown) + k]
            alike = "" if h == first else f' as "{first}"'
            whys.append(f'"{h}" already appears in row {cells.table.lines[f]}{alike}; handles must be unique')
        whys += ["(not shown)"] * (len(later) - len(shown))
        cells.add("handle", [r for r, _ in later], whys)


def _repeats(values: pa.Array, skip: np.ndarray) -> list[tuple[int, int]]:
    """(row, first row with the same value) for every repeated value, rows in order.

    Vectorised for millions of rows: an FNV-1a hash of each value's bytes (first 64) and length,
    one sort of the hashes, and an exact comparison only among rows whose hashes collide.
    """
    n = len(values)
    if n < 2:
        return []
    offsets_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    bufs = values.buffers()
    offsets = np.frombuffer(bufs[1], dtype=offsets_type)[values.offset:values.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    if data.size == 0:
        data = np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    h = np.full(n, 0xCBF29CE484222325, dtype=np.uint64) ^ lengths.astype(np.uint64)
    prime = np.uint64(0x100000001B3)
    start = offsets[:-1]
    idx = np.empty(n, dtype=np.int64)
    with np.errstate(over="ignore"):
        for j in range(int(min(lengths.max(initial=0), 64))):
            np.add(start, j, out=idx)
            np.minimum(idx, data.size - 1, out=idx)
            byte = data[idx]
            byte[lengths <= j] = 0
            h ^= byte
            h *= prime
    h[skip] = np.arange(int(skip.sum()), dtype=np.uint64)  # blanks are reported on their own
    check = np.sort(h)
    if not (check[1:] == check[:-1]).any():
        return []  # the usual case: every hash differs, so every value does
    del check
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    same = np.flatnonzero(sorted_h[1:] == sorted_h[:-1])
    rows = np.unique(np.concatenate((order[same], order[same + 1])))
    rows = rows[~skip[rows]]
    first: dict[str, int] = {}
    out = []
    for r, text in zip(rows.tolist(), values.take(pa.array(rows)).to_pylist()):
        if text in first:
            out.append((r, first[text]))
        else:
            first[text] = r
    return out


def _tags(cells: _Cells) -> tuple[frozenset[str], ...]:
    empty: frozenset[str] = frozenset()
    if "tags" not in cells.present:
        return (empty,) * cells.n
    encoded = pc.dictionary_encode(cells.raw("tags")).combine_chunks()
    sets = [frozenset(t for t in (normalise_tag(x) for x in raw.split(";")) if t) or empty
            for raw in encoded.dictionary.to_pylist()]
    return tuple(sets[i] for i in encoded.indices.to_numpy(zero_copy_only=False))


def _build(table: Table, options: PoolOptions, read_options: ReadOptions, consume: bool = False) -> CreatorPool:
    """``consume``: the table is ours (read_pool, parse_pool) and its text columns are dropped as soon
    as every cell is checked, so that a large pool's text is not held while its model is computed."""
    cells = _Cells(table, read_options.decimal, consume)
    source, n = table.source, len(table)

    # Phase 1: every cell, every problem collected.
    _handles(cells)
    followers = cells.numbers("followers", integer=True, fix="write the follower count, e.g. 13.9K")
    price = cells.numbers("price", minimum=0.0, strict=True, fix="write the price of one post")
    given_views = cells.numbers("avg_views")
    max_posts = cells.numbers("max_posts", integer=True, maximum=MAX_POSTS_LIMIT)
    fee = np.nan_to_num(cells.numbers("fee"), nan=0.0) if "fee" in cells.present else np.zeros(n)
    views_sigma = cells.numbers("views_sigma") if "views_sigma" in cells.present else None
    videos = cells.numbers("videos", integer=True) if "videos" in cells.present else None
    window = _window(cells, options.start_date, read_options.date_order)
    given_er = _rate(cells, "engagement_rate")
    given = {kind: _rate(cells, f"{kind}_rate") for kind in ("likes", "comments", "shares")}
    loc_cols = [c for c in table.headers if c.startswith(LOCATION_PREFIX) and len(c) > len(LOCATION_PREFIX)]
    groups = {
        "age": [c for c in AGE_COLUMNS],
        "gender": list(GENDERS),
        "location": loc_cols,
    }
    present = {name: [c for c in group if c in cells.present] for name, group in groups.items()}
    if present["age"] and len(present["age"]) < len(AGE_COLUMNS):
        missing = [c for c in AGE_COLUMNS if c not in cells.present]
        raise PoolError(f"{source}, row 1: has {present['age'][0]} but not {', '.join(missing)}; "
                        "give all six age columns or none")
    shares = {name: np.column_stack([cells.numbers(c) if c in cells.present else np.zeros(n) for c in group])
              for name, group in groups.items() if present[name]}
    raise_problems(table, cells.problems, PoolError)

    # Phase 2: rows across columns (share groups), every row at once.
    group_problems: dict[str, list[CellProblem]] = {}
    age = _share_group(shares.get("age"), groups["age"], group_problems, must_sum_to_one=True)
    gender = _share_group(shares.get("gender"), groups["gender"], group_problems, must_sum_to_one=False)
    locations = _share_group(shares.get("location"), loc_cols, group_problems, must_sum_to_one=False)
    raise_problems(table, group_problems, PoolError)
    location_names = tuple(table.headers[c].strip()[len(LOCATION_PREFIX):] for c in loc_cols)
    tags = _tags(cells)
    if cells.consume:
        for column in list(cells.columns):
            if column != "handle":
                cells.done(column)
        pa.default_memory_pool().release_unused()  # hand the text's memory back before the handles' strings
    handles = tuple(cells.raw("handle").to_numpy(zero_copy_only=False))
    cells.done("handle")

    # The model: defaults for blank cells (scenarios/view_model.py, docs/assumptions.md).
    tier = options.tiers.classify(followers)
    avg_views = given_views
    avg_views = np.where(np.isnan(avg_views), default_views(followers, tier, options), avg_views)
    max_posts = np.where(np.isnan(max_posts), options.default_max_posts, max_posts).astype(np.int64)

    engagement = given_er
    if options.engagement_basis == "followers":
        # Per follower -> per view, so that every later formula uses one basis.
        with np.errstate(divide="ignore", invalid="ignore"):
            engagement = np.where(avg_views > 0, engagement * followers / avg_views, 0.0)
    tier_default = np.array([options.engagement_by_tier.get(n, np.nan) for n in options.tiers.names])
    engagement = np.where(np.isnan(engagement), tier_default[tier], engagement)
    split = {
        kind: np.where(np.isnan(rate), engagement * options.interaction_split[kind], rate)
        for kind, rate in given.items()
    }
    # A row with the three rates but no engagement_rate: the rates define it.
    all_given = ~np.isnan(given["likes"]) & ~np.isnan(given["comments"]) & ~np.isnan(given["shares"])
    engagement = np.where(all_given & np.isnan(given_er), split["likes"] + split["comments"] + split["shares"], engagement)

    return CreatorPool(
        handles=handles,
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
        views_sigma=views_sigma,
        videos=videos,
        views_from_followers=np.isnan(given_views),
        available_from=None if window is None else window[0],
        available_to=None if window is None else window[1],
        warnings=tuple(cells.warnings),
    )


def _window(cells: _Cells, start_date: datetime.date | None, date_order: str | None
            ) -> tuple[np.ndarray, np.ndarray] | None:
    """(first day, last day) each creator may post, from ``available_from`` / ``available_to``; None
    without either column."""
    if not any(c in cells.present for c in AVAILABILITY):
        return None
    days = {}
    for column in AVAILABILITY:
        days[column] = np.full(cells.n, np.nan)
        if column in cells.present:
            days[column], problems = parse_days(cells.raw(column), start_date=start_date, date_order=date_order)
            cells.add(column, [p.row for p in problems], [p.why for p in problems])
            cells.done(column)
    first, last = days["available_from"], days["available_to"]
    with np.errstate(invalid="ignore"):
        reversed_rows = np.flatnonzero(last < first)
    cells.add("available_to", reversed_rows,
              [f"ends on campaign day {last[r]:.0f}, before available_from (day {first[r]:.0f}); swap the two "
               "or correct the dates" for r in reversed_rows[:MAX_LISTED]]
              + ["(not shown)"] * max(0, reversed_rows.size - MAX_LISTED))
    return as_window(first, last)


def _rate(cells: _Cells, column: str) -> np.ndarray:
    """A rate column. Percents are recognised per COLUMN (most filled cells in (1, 100]), never per
    cell: a real rate above 1 (more shares than views) in a column of fractions is accepted, with a
    warning that names it."""
    values = cells.numbers(column)
    filled = ~np.isnan(values)
    if not filled.any():
        return values
    above = filled & (values > 1.0)
    looks_percent = (above & (values <= 100.0)).sum() > PERCENT_COLUMN_SHARE * filled.sum()
    if looks_percent:
        cells.flag(column, above, lambda t, r: f"{values[r]:g} looks like a percent; write it as a fraction "
                                               f"({values[r] / 100:g})")
        return np.where(above, np.nan, values)
    absurd = above & (values > MAX_RATE)
    cells.flag(column, absurd, lambda t, r: f"{values[r]:g} is not a rate (more than {MAX_RATE:g} per view); "
                                            "write a fraction such as 0.05")
    kept = np.flatnonzero(above & ~absurd)
    if kept.size:
        first = int(kept[0])
        cells.warnings.append(
            f"{cells.source}: column {cells.table.label(column)} is above 1 in {kept.size} row(s) (e.g. row "
            f"{cells.table.lines[first]}: {values[first]:g}); read as more interactions than views, since the "
            "rest of the column is fractions; check those rows")
    return np.where(absurd, np.nan, values)


def _share_group(shares: np.ndarray | None, group: list[str], problems: dict[str, list[CellProblem]], *,
                 must_sum_to_one: bool) -> np.ndarray | None:
    if shares is None:
        return None
    key = f"{group[0]}..{group[-1]}"
    label = _group_name(group)
    blank = np.isnan(shares)
    all_blank = blank.all(axis=1)
    partly = blank.any(axis=1) & ~all_blank
    found: list[CellProblem] = []
    for k in np.flatnonzero(partly)[:MAX_LISTED]:
        col = group[int(np.flatnonzero(blank[k])[0])]
        problems.setdefault(col, []).append(CellProblem(
            int(k), f"is blank while other {label} columns are filled; fill it (0 is fine) or leave the whole "
                    "group blank"))
    check = ~all_blank & ~partly
    sums = np.where(check, np.nansum(shares, axis=1), np.nan)
    with np.errstate(invalid="ignore"):
        percent = check & (((sums >= PERCENT_SUM_RANGE[0]) & (sums <= PERCENT_SUM_RANGE[1]))
                           | (np.nan_to_num(shares, nan=0.0) > 1.0).any(axis=1))
        if must_sum_to_one:
            off = check & ~percent & (np.abs(sums - 1.0) > SHARE_TOLERANCE)
            rule = f"they must sum to 1 (+-{SHARE_TOLERANCE})"
        else:
            off = check & ~percent & (sums > 1.0 + SHARE_TOLERANCE)
            rule = "they may not exceed 1 (the rest is other)"
    bad_rows = np.flatnonzero(percent | off)
    for k in bad_rows[:MAX_LISTED].tolist():
        if percent[k]:
            why = f"the {label} shares sum to {sums[k]:g}, which looks like percents; write fractions (divide by 100)"
        else:
            why = f"the {label} shares sum to {sums[k]:.4g}; {rule}"
        found.append(CellProblem(k, why))
    found += [CellProblem(k, "(not shown)") for k in bad_rows[MAX_LISTED:].tolist()]
    if found:
        problems.setdefault(key, []).extend(found)
    if problems:
        return None
    shares = shares.copy()
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
