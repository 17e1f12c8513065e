"""Reading post histories (video-level exports) for calibrate, ingest and backtest.

One row per *observation* of a video: who posted it (``handle``, ``followers``), which video
(``video_id``), when it was posted and seen (``posted_at``, ``observed_at``), and its counts then
(``views``, ``likes``, ``comments``, ``shares``) and hashtags (``tags``). Files are read by the one
reader of real exports (``scenarios.table.read_table``: CSV with ``,`` ``;`` or tab, JSON, JSON
Lines, TikTok Research API field names, ``ReadOptions.mapping``) and their cells by ``scenarios.cells``
(``13,9K``, ``1 234``, ``6/10/2025 22:44``, ``21.05.2025``, Unix seconds, ids). Several files are
concatenated.

Linking observations to videos (why: re-crawls of one video must count as one video):

* by ``video_id`` when the row has one; a TikTok id also carries the video's creation time in its
  top 32 bits, used when ``posted_at`` is blank (and a warning when the two disagree by > 1 day);
* otherwise by handle + ``posted_at`` (a warning says so: two videos one creator posted in the same
  second would merge);
* exact duplicate rows (every parsed value equal) are dropped and counted.

Times without a zone are read in ``ReadOptions.timezones`` (one zone, or one per column); without
it they are read as UTC and a warning names the column. A row whose required cell cannot be used is
skipped with a warning naming file, row and column (the first ``MAX_ROW_WARNINGS``, then a count by
reason); a bad optional cell only blanks that cell. An unusable file (missing, not UTF-8, no header,
missing required columns, damaged ids, an ambiguous date column) is a ``CalibrationError``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scenarios import cells
from scenarios import table as tables
from scenarios.errors import one_line, said
from scenarios.table import ReadOptions

from .errors import CalibrationError

COLUMNS = ("handle", "followers", "video_id", "posted_at", "observed_at", "views", "likes", "comments", "shares",
           "tags")
REQUIRED = ("handle", "followers", "posted_at", "observed_at", "views")
OPTIONAL = ("likes", "comments", "shares")
TIME_COLUMNS = ("posted_at", "observed_at")
SECONDS_PER_DAY = 86_400.0
#: A posted_at further than this from its TikTok id's time is reported (time zone or id mix-up).
ID_TIME_TOLERANCE = SECONDS_PER_DAY
#: Rows of one video whose posted_at differ by more than this are reported (the earliest is used).
POSTED_TOLERANCE = 3600.0
#: Row-level warnings listed one by one; the rest are counted by reason (a 1M-row export with a bad
#: column must not print a million lines).
MAX_ROW_WARNINGS = 20
#: Blank follower cells filled from the creator's other rows that are listed one by one.
FILLED_LISTED = 3

#: Names accepted besides the reader's built-in aliases (``scenarios/table.py``: Research API, exports).
EXTRA_ALIASES: Mapping[str, tuple[str, ...]] = {"observed_at": ("fetched_at", "retrieved_at", "snapshot_at"),
                                                 "posted_at": ("upload_time",)}


@dataclass(frozen=True)
class Observation:
    line: int
    handle: str
    followers: float
    posted_at: datetime
    observed_at: datetime
    views: float
    likes: float = math.nan      # NaN = not given or unreadable
    comments: float = math.nan
    shares: float = math.nan
    video_id: str = ""           # '' when the export has no id for this video
    tags: tuple[str, ...] = ()   # normalised hashtags (no '#', case-folded)
    #: The reader's video number (``HistoryFrame.video``): the linking above, done once; -1 = not read.
    video_index: int = -1

    @property
    def age_days(self) -> float:
        return (self.observed_at - self.posted_at).total_seconds() / SECONDS_PER_DAY

    @property
    def video(self) -> tuple[str, object]:
        """The key linking observations of one video: the reader's linking (by id, else by folded
        handle + posted_at), or for an Observation made by hand its id, else handle + posted_at."""
        if self.video_index >= 0:
            return ("video", self.video_index)
        return ("id", self.video_id) if self.video_id else (cells.fold_name(self.handle), self.posted_at)


@dataclass(frozen=True, eq=False)
class HistoryFrame:
    """Usable observations as columns (NumPy), sorted by video then observation time.

    Times are Unix seconds (UTC). ``video`` numbers the linked videos 0..V-1 and ``creator`` the
    creators (handles compared after Unicode and case folding) 0..C-1.
    """

    sources: tuple[str, ...]
    file: np.ndarray          # int index into sources
    line: np.ndarray          # the row's line (CSV, header = 1) or record number (JSON)
    handle: np.ndarray        # object: the handle as written
    creator: np.ndarray       # int
    followers: np.ndarray
    video_id: np.ndarray      # object: '' when absent
    video: np.ndarray         # int
    posted_at: np.ndarray
    observed_at: np.ndarray
    views: np.ndarray
    likes: np.ndarray
    comments: np.ndarray
    shares: np.ndarray
    tags: np.ndarray          # object: tuple of normalised tags

    def __len__(self) -> int:
        return int(self.views.size)

    @property
    def age_days(self) -> np.ndarray:
        return (self.observed_at - self.posted_at) / SECONDS_PER_DAY

    @property
    def videos(self) -> int:
        return int(self.video.max()) + 1 if self.video.size else 0

    @property
    def creators(self) -> int:
        return int(self.creator.max()) + 1 if self.creator.size else 0

    def take(self, rows: np.ndarray) -> "HistoryFrame":
        """The given rows (indexes or mask), videos and creators renumbered densely."""
        parts = {name: getattr(self, name)[rows] for name in _ARRAYS}
        parts["video"] = np.unique(parts["video"], return_inverse=True)[1].reshape(-1)
        parts["creator"] = np.unique(parts["creator"], return_inverse=True)[1].reshape(-1)
        return HistoryFrame(sources=self.sources, **parts)

    def observations(self) -> list[Observation]:
        """The rows as ``Observation``s (for the calibrate fit, which works on lists)."""
        posted = _datetimes(self.posted_at)
        observed = _datetimes(self.observed_at)
        return [Observation(line=int(ln), handle=h, followers=float(f), posted_at=p, observed_at=o, views=float(v),
                            likes=float(lk), comments=float(c), shares=float(s), video_id=vid, tags=t, video_index=k)
                for ln, h, f, p, o, v, lk, c, s, vid, t, k in zip(
                    self.line.tolist(), self.handle.tolist(), self.followers.tolist(), posted, observed,
                    self.views.tolist(), self.likes.tolist(), self.comments.tolist(), self.shares.tolist(),
                    self.video_id.tolist(), self.tags.tolist(), self.video.tolist())]


_ARRAYS = ("file", "line", "handle", "creator", "followers", "video_id", "video", "posted_at", "observed_at",
           "views", "likes", "comments", "shares", "tags")


@dataclass
class HistoryReport:
    """What reading did: counts for the ingest summary, and the warnings (one line each)."""

    rows_read: int = 0
    duplicates: int = 0
    skipped: Counter = field(default_factory=Counter)   # reason -> rows
    linked_by: str = "video_id"                         # 'video_id', 'handle + posted_at' or 'mixed'
    posted_from_id: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_skipped(self) -> int:
        return int(sum(self.skipped.values()))


def _datetimes(seconds: np.ndarray) -> list[datetime]:
    """Naive UTC datetimes (what ``calibrate`` compares) from Unix seconds, vectorised."""
    return (np.round(seconds * 1e6).astype("int64").astype("datetime64[us]")).astype(object).tolist()


def iso_utc(seconds: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC text (``2024-03-01T14:30:00Z``) of Unix seconds; '' for NaN. Vectorised."""
    seconds = np.asarray(seconds, dtype=float)
    ok = np.isfinite(seconds)
    out = np.full(seconds.shape, "", dtype=object)
    if ok.any():
        text = np.datetime_as_string(np.round(seconds[ok]).astype("int64").astype("datetime64[s]"), unit="s")
        out[ok] = np.char.add(text.astype(str), "Z").astype(object)
    return out


# ------------------------------------------------------------------------------------------------
# Public entry points

def read_history(path, options: ReadOptions | None = None) -> tuple[list[Observation], list[str]]:
    """(usable observations, warnings) of one file or a list of files."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    frame, report = load_history(paths, options)
    return frame.observations(), report.warnings


def parse_history(text: str, source: str = "<history>", options: ReadOptions | None = None
                  ) -> tuple[list[Observation], list[str]]:
    """``read_history`` of text already in memory (tests, callers holding text); messages name ``source``."""
    frame, report = load_history([source], options, texts={source: text})
    return frame.observations(), report.warnings


def load_history(paths: Sequence[str | Path], options: ReadOptions | None = None, *,
                 texts: Mapping[str, str | bytes] | None = None) -> tuple[HistoryFrame, HistoryReport]:
    """Read, parse, link and de-duplicate every file; raise only for an unusable file.

    ``texts`` gives the content of some of ``paths`` (already in memory) instead of reading them.
    """
    options = options or ReadOptions()
    if not paths:
        raise CalibrationError("no history file given; name one or more video exports")
    report = HistoryReport()
    shown = [0]
    parts = []
    for k, path in enumerate(paths):
        if texts is not None and path in texts:
            table = tables.parse_table(texts[path], str(path), required=(), known=COLUMNS, aliases=_aliases(),
                                       options=options, error=CalibrationError, what="history",
                                       row_name="observation", bad_rows="skip")
        else:
            table = tables.read_table(path, required=(), known=COLUMNS, aliases=_aliases(), options=options,
                                      error=CalibrationError, what="history", row_name="observation",
                                      directory="give the history file (CSV, JSON or JSON Lines)", bad_rows="skip")
        parts.append(_read_one(table, k, options, report, shown))
    merged = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    sources = tuple(str(p) for p in paths)
    frame = _link(merged, sources, report, shown)
    hidden = report.rows_skipped - shown[0]
    if hidden > 0:
        reasons = ", ".join(f"{why}: {n:,}" for why, n in report.skipped.most_common())
        report.warnings.append(f"{', '.join(sources)}: {report.rows_skipped:,} rows skipped in all ({reasons}); "
                               f"only the first {MAX_ROW_WARNINGS} are listed above")
    report.warnings[:] = [one_line(w) for w in report.warnings]
    return frame, report


# ------------------------------------------------------------------------------------------------
# One file -> parsed columns

def _aliases() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for target, names in tables.ALIASES.items():
        if target in COLUMNS:
            out.setdefault(target, []).extend(n for n in names if n not in out.get(target, []))
    for target, names in EXTRA_ALIASES.items():
        out.setdefault(target, []).extend(n for n in names if n not in out[target])
    return {k: tuple(v) for k, v in out.items()}


def _zone(name: str, option: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise CalibrationError(f"{option}: {name} is not a time zone; use an IANA name such as "
                               "Europe/Istanbul, America/New_York or UTC") from None


def _zones(table, options: ReadOptions) -> dict[str, ZoneInfo | None]:
    """Time zone of each time column: its own ``timezones[COLUMN]``, else ``timezones["*"]``, else None."""
    given = {str(k).strip().lower(): v for k, v in (options.timezones or {}).items()}
    by_header = {str(table.headers.get(c, c)).strip().lower(): c for c in TIME_COLUMNS}
    out: dict[str, ZoneInfo | None] = {c: None for c in TIME_COLUMNS}
    for key, zone in given.items():
        if key == "*":
            continue
        column = key if key in TIME_COLUMNS else by_header.get(key)
        if column is None:
            present = ", ".join(table.headers.get(c, c) for c in TIME_COLUMNS if c in table.columns)
            raise CalibrationError(f"{tables.timezone_setting(key, zone)}: {table.source} has no time column "
                                   f"{key}; its time columns are {present}")
        out[column] = _zone(zone, tables.timezone_setting(key, zone))
    if "*" in given:
        default = _zone(given["*"], tables.timezone_setting("*", given["*"]))
        out = {c: z or default for c, z in out.items()}
    return out


def _strings(column) -> np.ndarray:
    """Object array of stripped strings ('' for null) from a pyarrow column."""
    column = pc.fill_null(pc.utf8_trim_whitespace(column.cast(pa.string())), "")
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


def _tags(column) -> np.ndarray:
    """Hashtags of each row as a tuple of normalised tags (from 'a;b', '#a #b', '["a","b"]', ...).

    Each distinct cell is parsed once (exports repeat the same few tag sets)."""
    encoded = pc.dictionary_encode(pc.fill_null(column.cast(pa.string()), "")).combine_chunks() \
        if isinstance(column, pa.ChunkedArray) else pc.dictionary_encode(pc.fill_null(column, ""))
    parsed = np.empty(len(encoded.dictionary), dtype=object)
    for k, text in enumerate(encoded.dictionary.to_pylist()):
        cleaned = text or ""
        for ch in "[]\"'#;,|\t\n":
            cleaned = cleaned.replace(ch, " ")
        # fold_name, not str.casefold: casefold turns '#İstanbul' into 'i̇stanbul' (i + U+0307), a tag
        # that matches neither 'istanbul' nor a brief's tag.
        parsed[k] = tuple(dict.fromkeys(cells.fold_name(t) for t in cleaned.split() if t))
    return parsed[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]


def _read_one(table, index: int, options: ReadOptions, report: HistoryReport, shown: list[int]) -> dict:
    source = table.source
    report.warnings.extend(table.warnings)
    missing = [c for c in REQUIRED if c not in table.columns and not (c == "posted_at" and "video_id" in table.columns)]
    if missing:
        raise CalibrationError(f"{source}: row 1 (header) lacks column(s) {', '.join(missing)}; "
                               f"the history needs {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)}, "
                               f"video_id, tags); name other headers with {tables.map_setting('TARGET', 'SOURCE')}")
    absent = [c for c in OPTIONAL if c not in table.columns]
    if absent:
        report.warnings.append(f"{source}: no {', '.join(absent)} column(s); those interaction rates are not fitted")
    n = len(table)
    report.rows_read += n
    bad = np.zeros(n, dtype=bool)

    def header(column: str) -> str:
        return table.label(column)  # the canonical name, and the file's header when it differs

    def skip(rows, column: str, why, reason: str) -> None:
        """Mark rows skipped; list the first few (``why`` is a text or a per-row callable)."""
        for row in np.asarray(rows, dtype=np.int64).tolist():
            if bad[row]:
                continue
            bad[row] = True
            report.skipped[reason] += 1
            if shown[0] < MAX_ROW_WARNINGS:
                shown[0] += 1
                text = why(row) if callable(why) else why
                report.warnings.append(f"{table.where(row, column)}: {text}; row skipped")

    def problems_of(column: str, problems, required: bool) -> None:
        if required:
            for p in problems:
                skip([p.row], column, p.why, f"unreadable {column}")
        else:
            for p in problems[:MAX_ROW_WARNINGS]:
                report.warnings.append(f"{table.where(p.row, column)}: {p.why}; cell ignored")
            if len(problems) > MAX_ROW_WARNINGS:
                report.warnings.append(f"{source}, column {header(column)}: {len(problems) - MAX_ROW_WARNINGS:,} "
                                       "more unreadable cells ignored")

    def column_error(column: str, exc: Exception) -> CalibrationError:
        return CalibrationError(f"{source}, column {header(column)}: {exc}")

    handle = _strings(table.columns["handle"])
    skip(np.flatnonzero(handle == ""), "handle", "is blank", "blank handle")

    values: dict[str, np.ndarray] = {}
    for name in ("followers", "views", *OPTIONAL):
        if name not in table.columns:
            values[name] = np.full(n, np.nan)
            continue
        try:
            numbers, problems = cells.parse_numbers(table.columns[name], decimal=options.decimal)
        except cells.ColumnError as exc:
            raise column_error(name, exc) from None
        numbers = np.array(numbers, dtype=float)  # writable (the parser may return a read-only view)
        required = name in REQUIRED
        problems_of(name, problems, required)
        negative = np.flatnonzero(numbers < 0)
        if name == "views":
            skip(np.flatnonzero(np.isnan(numbers) & ~_rows(problems, n)), name, "is blank", f"blank {name}")
        if required:
            skip(negative, name, lambda r, v=numbers: f"{v[r]:g} is negative", f"negative {name}")
        else:
            for r in negative[:MAX_ROW_WARNINGS].tolist():
                report.warnings.append(f"{table.where(r, name)}: {numbers[r]:g} is negative; cell ignored")
            numbers[negative] = np.nan
        values[name] = numbers

    zones = _zones(table, options)
    times: dict[str, np.ndarray] = {}
    for name in TIME_COLUMNS:
        if name not in table.columns:
            times[name] = np.full(n, np.nan)
            continue
        try:
            seconds, problems, naive = cells.parse_times(table.columns[name], date_order=options.date_order,
                                                         timezone=zones[name])
        except cells.ColumnError as exc:
            raise column_error(name, exc) from None
        problems_of(name, problems, True)
        if naive and zones[name] is None:
            report.warnings.append(f"{source}, column {header(name)}: times without a time zone were read as UTC; "
                                   f"if they are local times, pass {tables.timezone_setting('*', 'ZONE')} (every column) "
                                   f"or {tables.timezone_setting(name, 'ZONE')} (this column)")
        times[name] = np.array(seconds, dtype=float)
    blank_observed = np.flatnonzero(np.isnan(times["observed_at"]) & ~bad)
    skip(blank_observed, "observed_at", "is blank", "blank observed_at")

    if "video_id" in table.columns:
        ids, problems = cells.parse_video_ids(table.columns["video_id"])
        if problems:
            tables.raise_problems(table, {"video_id": problems}, CalibrationError)
        ids = np.asarray(ids, dtype=object)
    else:
        ids = np.full(n, "", dtype=object)
    if "tags" in table.columns:
        tags = _tags(table.columns["tags"])
    else:
        tags = np.empty(n, dtype=object)
        tags.fill(())

    keep = ~bad
    return {"file": np.full(int(keep.sum()), index, dtype=np.int64),
            "line": np.asarray(table.lines, dtype=np.int64)[keep], "handle": handle[keep],
            "followers": values["followers"][keep], "video_id": ids[keep],
            "posted_at": times["posted_at"][keep], "observed_at": times["observed_at"][keep],
            "views": values["views"][keep], "likes": values["likes"][keep], "comments": values["comments"][keep],
            "shares": values["shares"][keep], "tags": tags[keep]}


def _rows(problems, n: int) -> np.ndarray:
    return np.isin(np.arange(n), [p.row for p in problems])


# ------------------------------------------------------------------------------------------------
# Linking rows to videos, de-duplicating

def _codes(values: np.ndarray) -> np.ndarray:
    """Dense integer codes of an object (string) array, fast (pyarrow's hash table)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(pa.array(values, type=pa.string()))
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _id_codes(ids: np.ndarray) -> np.ndarray:
    """Dense codes of video ids: numeric ids (TikTok's) as uint64 through a sort, others hashed."""
    text = pa.array(ids, type=pa.string())
    if pc.any(pc.match_substring_regex(text, r"^0.")).as_py():
        return _codes(ids)  # "007" and "7" are different ids; as numbers they would merge
    try:
        numbers = pc.cast(text, pa.uint64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _codes(ids)
    return np.unique(numbers, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _groups(*keys: np.ndarray) -> np.ndarray:
    """Dense group number of each row for the combination of the given numeric keys."""
    n = keys[0].size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys[::-1])
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        k = key[order]
        change[1:] |= ~((k[1:] == k[:-1]) | (np.isnan(k[1:]) & np.isnan(k[:-1])) if k.dtype.kind == "f"
                        else (k[1:] == k[:-1]))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.cumsum(change) - 1
    return out


def _link(rows: dict, sources: tuple[str, ...], report: HistoryReport, shown: list[int]) -> HistoryFrame:
    n = rows["views"].size
    where = lambda r: f"{sources[rows['file'][r]]}, row {rows['line'][r]}"  # noqa: E731
    creator = _codes(cells.fold_names(rows["handle"]) if n else rows["handle"])
    has_id = rows["video_id"].astype(bool)  # '' is False (truthiness: a C loop, unlike != "")
    posted = rows["posted_at"].copy()

    # A blank follower count (a failed profile lookup) is the creator's median over its other rows.
    followers = rows["followers"]
    blank = np.isnan(followers)
    if blank.any():
        given = np.flatnonzero(~blank)
        given = given[np.lexsort((followers[given], creator[given]))]
        creators = int(creator.max()) + 1
        count = np.bincount(creator[given], minlength=creators)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        median = np.full(creators, np.nan)
        has = count > 0
        # The lower median (an observed value): exact for odd counts, the smaller middle one otherwise.
        median[has] = followers[given[start[has] + (count[has] - 1) // 2]]
        followers[blank] = median[creator[blank]]
        rows_filled = np.flatnonzero(blank & np.isfinite(followers))
        filled = int(rows_filled.size)
        for r in rows_filled[:FILLED_LISTED].tolist():
            report.warnings.append(f"{where(r)}, column followers: is blank; read as the creator's median follower "
                                   f"count from its other rows ({followers[r]:,.0f})")
        if filled:
            report.warnings.append(f"{', '.join(sources)}: {filled:,} row(s) with a blank follower count were "
                                   "given the creator's median follower count from its other rows")

    # The creation time a TikTok id carries: fills a blank posted_at, checks a given one.
    id_time = np.full(n, np.nan)
    if has_id.any():
        id_time[has_id] = np.asarray(cells.tiktok_id_time(rows["video_id"][has_id]), dtype=float)
    fill = np.isnan(posted) & np.isfinite(id_time)
    posted[fill] = id_time[fill]
    report.posted_from_id = int(fill.sum())
    off = np.flatnonzero(np.abs(posted - id_time) > ID_TIME_TOLERANCE)
    if off.size:
        r = int(off[0])
        report.warnings.append(
            f"{off.size:,} row(s) have a posted_at more than a day away from the creation time in their TikTok "
            f"video id (first: {where(r)}: posted_at {iso_utc(posted[r:r + 1])[0]}, id time "
            f"{iso_utc(id_time[r:r + 1])[0]}); check posted_at's time zone "
            f"({said('--timezone', 'ReadOptions(timezones=...)')}) and the id column")

    # Videos with ids: one posted_at per video (the earliest given; differences are reported).
    video = np.full(n, -1, dtype=np.int64)
    if has_id.any():
        id_rows = np.flatnonzero(has_id)
        code = _id_codes(rows["video_id"][id_rows])
        count = int(code.max()) + 1
        first = np.full(count, np.inf)
        last = np.full(count, -np.inf)
        p = posted[id_rows]
        given = np.isfinite(p)
        np.minimum.at(first, code[given], p[given])
        np.maximum.at(last, code[given], p[given])
        spread = np.flatnonzero(last - first > POSTED_TOLERANCE)
        if spread.size:
            report.warnings.append(f"{spread.size:,} video id(s) have observations whose posted_at differ by more "
                                   "than an hour; the earliest was used (check the time zones of the files)")
        first[~np.isfinite(first)] = np.nan
        posted[id_rows] = first[code]
        video[id_rows] = code
    next_video = int(video.max()) + 1 if n else 0

    bad = np.zeros(n, dtype=bool)

    def skip(rows_, column: str, why: str, reason: str) -> None:
        for r in np.asarray(rows_, dtype=np.int64).tolist():
            if not bad[r]:
                bad[r] = True
                report.skipped[reason] += 1
                if shown[0] < MAX_ROW_WARNINGS:
                    shown[0] += 1
                    report.warnings.append(f"{where(r)}, column {column}: {why}; row skipped")

    skip(np.flatnonzero(np.isnan(followers)), "followers", "is blank and the creator has no other row with a "
         "follower count", "blank followers")
    skip(np.flatnonzero(np.isnan(posted) & has_id), "posted_at",
         "is blank and the video id carries no creation time", "blank posted_at")
    skip(np.flatnonzero(np.isnan(posted) & ~has_id), "posted_at", "is blank", "blank posted_at")

    # Videos without ids: linked by creator + posted_at (joined to an id'd video of the same key).
    loose = np.flatnonzero(~has_id & ~bad)
    if loose.size:
        keyed = {}
        if has_id.any():
            for r in np.flatnonzero(has_id & ~bad).tolist():
                keyed.setdefault((int(creator[r]), float(posted[r])), int(video[r]))
        group = _groups(creator[loose].astype(float), posted[loose])
        known = np.array([keyed.get((int(c), float(t)), -1) for c, t in zip(creator[loose], posted[loose])]) \
            if keyed else np.full(loose.size, -1)
        video[loose] = np.where(known >= 0, known, next_video + group)
        report.linked_by = "mixed" if has_id.any() else "handle + posted_at"
        report.warnings.append(
            f"{', '.join(sources)}: {loose.size:,} observation(s) have no video_id; they were linked to videos by "
            "handle + posted_at, so two videos one creator posted in the same second would merge "
            f"(map the id column with {tables.map_setting('video_id', 'COLUMN')} if the export has one)")

    skip(np.flatnonzero((rows["observed_at"] <= posted) & ~bad), "observed_at",
         "is not after posted_at; check the two dates", "observed_at not after posted_at")

    keep = np.flatnonzero(~bad)
    # Exact duplicates: the same video seen at the same time with the same counts, followers and handle.
    # Only rows sharing (video, observed_at) can be duplicates; the full comparison runs on those few.
    order = keep[np.lexsort((rows["observed_at"][keep], video[keep]))]
    same = (video[order][1:] == video[order][:-1]) & (rows["observed_at"][order][1:] == rows["observed_at"][order][:-1])
    candidates = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
    if candidates.size:
        tags_code = _codes(np.array(["\x1f".join(t) for t in rows["tags"][candidates].tolist()], dtype=object))
        group = _groups(video[candidates].astype(float), rows["observed_at"][candidates],
                        creator[candidates].astype(float), _codes(rows["handle"][candidates]).astype(float),
                        *(rows[k][candidates] for k in ("followers", "views", "likes", "comments", "shares")),
                        tags_code.astype(float))
        _, first = np.unique(group, return_index=True)
        dropped = np.setdiff1d(candidates, candidates[first])
        report.duplicates = int(dropped.size)
        keep = np.setdiff1d(keep, dropped)
    if report.duplicates:
        report.warnings.append(f"{', '.join(sources)}: {report.duplicates:,} exact duplicate row(s) dropped")

    order = keep[np.lexsort((rows["observed_at"][keep], video[keep]))]
    parts = {name: rows[name][order] for name in ("file", "line", "handle", "followers", "video_id", "observed_at",
                                                   "views", "likes", "comments", "shares", "tags")}
    parts["posted_at"] = posted[order]
    parts["video"] = np.unique(video[order], return_inverse=True)[1].reshape(-1).astype(np.int64)
    parts["creator"] = np.unique(creator[order], return_inverse=True)[1].reshape(-1).astype(np.int64)
    # A video linked by handle + posted_at carries no id; one linked to an id'd video gets its id.
    if report.linked_by == "mixed" and parts["video"].size:
        ids = np.full(int(parts["video"].max()) + 1, "", dtype=object)
        with_id = parts["video_id"].astype(bool)
        ids[parts["video"][with_id]] = parts["video_id"][with_id]
        parts["video_id"] = ids[parts["video"]]
    return HistoryFrame(sources=sources, **parts)
