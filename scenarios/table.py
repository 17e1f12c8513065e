"""The one reader for real exports: a file becomes string columns with a line number per row.

CSV (``,`` ``;`` or tab, sniffed from the header line outside quotes), JSON lists of records,
JSON Lines, and API responses that wrap the list (``{"data": {"videos": [...]}}``). Every column
is read as text; the column parsers (``scenarios/cells.py``) turn them into numbers and times.

Headers compare after stripping and case folding; a column is found under its canonical name,
an explicit mapping (``ReadOptions(mapping=...)``, the command line's ``--map TARGET=SOURCE``,
``[pool.columns]``) or a built-in alias (the TikTok Research API's field names and common
platform-export names, below). A column that looks like one we read but is not used gets a
warning with the mapping that would use it (named for the caller: ``scenarios.errors.said``).

Messages say "row N": the file's line number (header = 1; blank lines are skipped but counted;
a quoted cell spanning lines counts all of its lines) or, for JSON, the record number (first = 1;
JSON Lines: the line). CSV is scanned with NumPy first (record boundaries, quotes, ragged rows,
oversized cells) so that every structural problem is a located error, then parsed by pyarrow.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from .cells import CellProblem, fold_name
from .errors import ReachmixError, did_you_mean, read_option
from .files import open_input
from .table_formats import DELIMITERS, MAX_CELL, csv_columns, json_columns

#: Problems listed in one message before "and N more".
MAX_LISTED = 20

#: TikTok Research API video fields (https://developers.tiktok.com/doc/research-api-specs-query-videos).
RESEARCH_API_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "handle": ("username",),
    "followers": ("follower_count",),
    "video_id": ("id",),
    "posted_at": ("create_time",),
    "views": ("view_count",),
    "likes": ("like_count",),
    "comments": ("comment_count",),
    "shares": ("share_count",),
    "tags": ("hashtag_names",),
})
#: Research API fields we know and do not use: no "looks like" warning for them.
RESEARCH_API_IGNORED = ("region_code", "video_description", "music_id", "effect_ids", "playlist_id",
                        "voice_to_text", "is_stem_verified", "favorites_count", "video_duration")
#: Common names in influencer-platform and spreadsheet exports (compared loosely: case, spaces,
#: dots, dashes and underscores do not matter, so "Avg. views" is "avg_views").
EXPORT_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "handle": ("username", "user", "creator", "account", "tiktok_handle", "tiktok_username", "unique_id",
               "author"),
    "followers": ("follower_count", "followers_count", "fans", "fan_count", "subscribers"),
    "price": ("price_per_post", "cost_per_post", "post_price", "rate_per_post", "fee_per_post"),
    "avg_views": ("average_views", "avg_views_per_post", "average_views_per_post", "avg_video_views",
                  "average_video_views", "views_per_post"),
    "engagement_rate": ("er", "eng_rate", "average_engagement_rate", "avg_engagement_rate"),
    "likes_rate": ("like_rate",),
    "comments_rate": ("comment_rate",),
    "shares_rate": ("share_rate",),
    "max_posts": ("posts_available", "max_posts_per_campaign"),
    "tags": ("hashtags", "hashtag_names", "categories", "niches"),
    "video_id": ("id", "video", "aweme_id", "item_id"),
    "posted_at": ("create_time", "created_at", "posted", "published_at", "upload_date", "date_posted",
                  "post_date", "publish_time"),
    "observed_at": ("scraped_at", "crawled_at", "collected_at", "crawl_time", "scrape_time", "observed"),
    "views": ("view_count", "play_count", "plays", "video_views"),
    "likes": ("like_count", "digg_count", "hearts", "heart_count"),
    "comments": ("comment_count",),
    "shares": ("share_count",),
})
#: Every built-in alias, Research API first; pass this as ``aliases`` (targets a caller does not
#: read are ignored).
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    k: tuple(dict.fromkeys(RESEARCH_API_ALIASES.get(k, ()) + EXPORT_ALIASES.get(k, ())))
    for k in dict.fromkeys([*RESEARCH_API_ALIASES, *EXPORT_ALIASES])
})
#: Word stems that make an unused header "look like" a target (for the mapping warning).
_STEMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "handle": ("user", "handle", "creator", "account", "author", "nick"),
    "followers": ("follow", "fans", "subscri"),
    "price": ("price", "cost", "rate_card", "ratecard"),
    "avg_views": ("view", "play", "impression"),
    "views": ("view", "play", "impression"),
    "engagement_rate": ("engag",),
    "likes_rate": ("like_rate", "likes_rate"),
    "comments_rate": ("comment_rate", "comments_rate"),
    "shares_rate": ("share_rate", "shares_rate"),
    "likes": ("like", "digg", "heart"),
    "comments": ("comment",),
    "shares": ("share",),
    "tags": ("tag", "hashtag", "categor", "niche"),
    "video_id": ("video_id", "vid_id", "videoid", "aweme", "item_id"),
    "posted_at": ("posted", "create", "publish", "upload"),
    "views_sigma": ("sigma", "dispersion"),
    "videos": ("video_count", "videos", "posts_count", "n_videos"),
})
#: What a look-alike warning adds for targets whose meaning is easy to get wrong.
_NOTES = MappingProxyType({
    "avg_views": " (the expected views of ONE post; not a total over all videos, which would overstate reach)",
})


def _encoding_hint() -> str:
    return (f'{read_option("--encoding cp1254", encoding="cp1254")} (Turkish Windows) or '
            f'{read_option("--encoding latin-1", encoding="latin-1")}')


def map_setting(target: str, source: str) -> str:
    """Reading column ``source`` as ``target``, named for the caller (``scenarios.errors.said``):
    ``ReadOptions(mapping={"target": "source"})`` or ``--map target=source``."""
    return read_option(f"--map {target}={_quote(source)}", mapping={target: source})


def timezone_setting(column: str, zone: str) -> str:
    """Reading the naive times of ``column`` ("*": every column) in ``zone``, named for the caller:
    ``ReadOptions(timezones={"column": "zone"})`` or ``--timezone column=zone``."""
    return read_option(f"--timezone {zone}" if column == "*" else f"--timezone {column}={zone}",
                       timezones={column: zone})


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file; every field is optional (the default reads UTF-8 CSV or JSON as is)."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    date_order: str | None = None
    timezones: Mapping[str, str] = field(default_factory=dict)
    decimal: str | None = None

    def __post_init__(self) -> None:
        # Plain dicts keep the options picklable (worker processes, Dask).
        object.__setattr__(self, "mapping", {str(k).strip().lower(): str(v) for k, v in dict(self.mapping).items()})
        object.__setattr__(self, "timezones", dict(self.timezones))
        if self.delimiter is not None:
            named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
            delimiter = named.get(self.delimiter.lower(), self.delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise ReachmixError(f'delimiter "{self.delimiter}" must be one character such as , ; or tab')
            object.__setattr__(self, "delimiter", delimiter)
        if self.decimal is not None:
            mark = {"dot": ".", "comma": ",", ".": ".", ",": ","}.get(self.decimal.strip().lower())
            if mark is None:
                raise ReachmixError(f'decimal mark "{self.decimal}" must be "." (dot) or "," (comma)')
            object.__setattr__(self, "decimal", mark)
        if self.date_order is not None and self.date_order not in ("dmy", "mdy"):
            raise ReachmixError(f'date order "{self.date_order}" must be dmy or mdy')
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ReachmixError(f'encoding "{self.encoding}" is not known; use utf-8, cp1254 or latin-1') from None

    def merged(self, other: "ReadOptions | None") -> "ReadOptions":
        """These options with every field ``other`` sets taking precedence (CLI over scenario)."""
        if other is None:
            return self
        return ReadOptions(
            mapping={**self.mapping, **other.mapping},
            delimiter=other.delimiter or self.delimiter,
            encoding=other.encoding or self.encoding,
            date_order=other.date_order or self.date_order,
            timezones={**self.timezones, **other.timezones},
            decimal=other.decimal or self.decimal,
        )


@dataclass(frozen=True)
class Table:
    """Canonical name -> string column (``''`` = blank; cells stripped), plus where each row came from."""

    source: str
    columns: Mapping[str, pa.ChunkedArray]
    headers: Mapping[str, str]
    lines: np.ndarray
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(len(self.lines))

    def label(self, column: str) -> str:
        """A column as messages name it: the canonical name, plus the file's header when it differs."""
        header = self.headers.get(column, column)
        return column if fold_name(header) == column else f'{column} ("{header}")'

    def where(self, row: int, column: str) -> str:
        return f"{self.source}, row {int(self.lines[row])}, column {self.label(column)}"


def raise_problems(table: Table, problems: Mapping[str, list[CellProblem]], error: type[ReachmixError]) -> None:
    """One error listing every bad cell (up to ``MAX_LISTED``, then a count), ordered by row.

    A key holding ``..`` names a group of columns (``age_13_17..age_55_plus``) and is written
    "columns ..."; a key ``""`` means the whole row.
    """
    items = [(int(table.lines[p.row]), n, key, p.why) for n, (key, found) in enumerate(problems.items())
             for p in found]
    if not items:
        return
    items.sort(key=lambda t: (t[0], t[1]))

    def place(line: int, key: str) -> str:
        if not key:
            return f"row {line}"
        if ".." in key:
            return f"row {line}, columns {key}"
        return f"row {line}, column {table.label(key)}"

    if len(items) == 1:
        line, _, key, why = items[0]
        raise error(f"{table.source}, {place(line, key)}: {why}")
    shown = "; ".join(f"{place(line, key)}: {why}" for line, _, key, why in items[:MAX_LISTED])
    more = f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    raise error(f"{table.source}: {len(items)} bad cells: {shown}{more}")


def read_table(path: str | Path, *, required: Sequence[str], known: Sequence[str],
               aliases: Mapping[str, Sequence[str]] = ALIASES, options: ReadOptions = ReadOptions(),
               error: type[ReachmixError], what: str, fix_path: str = "check the path",
               directory: str = "give a file, not a folder", row_name: str = "record",
               prefixes: Sequence[str] = (), ignored: Sequence[str] = RESEARCH_API_IGNORED,
               bad_rows: str = "error") -> Table:
    """Read ``path`` (CSV, JSON or JSON Lines) into a ``Table``; see the module docstring.

    ``required`` columns must be present, ``known`` ones are read when present (others are kept
    under their folded header, e.g. ``loc_istanbul``); ``prefixes`` mark families of columns the
    caller reads (``loc_``), ``ignored`` names known to be unused. ``what`` names the file in
    messages ("pool"), ``row_name`` one row ("creator"). ``bad_rows="skip"`` drops CSV rows with
    the wrong number of cells with a warning instead of raising (a history: rows are evidence).
    """
    with open_input(path, error, what=f"{what} file", fix_path=fix_path, directory=directory) as fh:
        try:
            data = fh.read()
        except OSError as exc:
            raise error(f"{path}: cannot read the {what} file ({exc.strerror})") from None
    return parse_table(data, str(path), required=required, known=known, aliases=aliases, options=options,
                       error=error, what=what, row_name=row_name, prefixes=prefixes, ignored=ignored,
                       bad_rows=bad_rows)


def parse_table(data: bytes | str, source: str, *, required: Sequence[str], known: Sequence[str],
                aliases: Mapping[str, Sequence[str]] = ALIASES, options: ReadOptions = ReadOptions(),
                error: type[ReachmixError], what: str, row_name: str = "record", prefixes: Sequence[str] = (),
                ignored: Sequence[str] = RESEARCH_API_IGNORED, bad_rows: str = "error") -> Table:
    """``read_table`` of bytes or text already in memory (``source`` names it in messages)."""
    data = _utf8(data, source, options.encoding, error)
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise error(f"{source}, row {row}: contains a NUL byte; this is not a text file "
                    "(save it as CSV or JSON)")
    start = len(data) - len(data.lstrip())
    if start == len(data):
        raise error(f"{source}: the file is empty; it needs a header row with {','.join(required)}")
    skipped: list[str] = []  # rows a tolerant reader (bad_rows="skip") dropped, as warnings
    if data[start:start + 1] in (b"[", b"{"):
        headers, columns, lines = json_columns(data, source, error)
        forced = None
    else:
        headers, columns, lines, forced = csv_columns(data, source, options.delimiter, error, bad_rows, skipped)
    names, shown, warnings = resolve_headers(headers, source, required, known, aliases, options.mapping, error,
                                      prefixes, ignored, forced)
    cols = {name: columns[j] for name, j in names.items()}
    if not len(lines):
        raise error(f"{source}: the {what} is empty; add one row per {row_name} below the header")
    # A plain dict: a reader that is done with a column may drop it to free its memory early.
    return Table(source=source, columns=cols, headers=MappingProxyType(shown),
                 lines=lines, warnings=tuple(skipped + list(warnings)))


# --------------------------------------------------------------------------------------------
# Bytes -> UTF-8

def _utf8(data: bytes | str, source: str, encoding: str | None, error) -> bytes:
    if isinstance(data, str):
        # A lone surrogate can only come from a Python string (no UTF-8 file holds one): it cannot
        # be a real handle or number, so it becomes U+FFFD and is reported like any odd character.
        return data.removeprefix("\ufeff").encode("utf-8", "replace")
    if encoding is None and data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"  # Excel's "Unicode text" export
    if encoding is not None and codecs.lookup(encoding).name != "utf-8":
        try:
            return data.decode(encoding).removeprefix("\ufeff").encode("utf-8")
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise error(f"{source}, row {row}: byte {exc.start} is not {encoding}; check the file's encoding "
                        "(utf-8, cp1254 or latin-1)") from None
    bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
    data = data[bom:] if bom else data
    if not data.isascii():
        decoder = codecs.getincrementaldecoder("utf-8")()
        step = 1 << 22
        for at in range(0, len(data), step):
            try:
                decoder.decode(data[at:at + step], final=at + step >= len(data))
            except UnicodeDecodeError as exc:
                offset = at + exc.start
                row = data.count(b"\n", 0, offset) + 1
                raise error(f"{source}, row {row}: byte {offset + bom} is not UTF-8; save the file as UTF-8, or "
                            f"read it with {_encoding_hint()}") from None
    return data


# --------------------------------------------------------------------------------------------
# Headers -> canonical names

def _loose(name: str) -> str:
    return re.sub(r"[\s._\-/()\[\]#:]+", "_", fold_name(name)).strip("_")


def resolve_headers(headers, source, required, known, aliases, mapping, error, prefixes, ignored, forced):
    """canonical -> column index, canonical -> header as written, warnings: the header matching
    (case, aliases, ``mapping``, "looks like" hints) every table reader shares (CSV and Parquet)."""
    keys = [fold_name(h.strip()) for h in headers]
    seen: dict[str, int] = {}
    for j, key in enumerate(keys):
        if not key:
            continue
        if key in seen:
            raise error(f'{source}, row 1: column "{headers[j].strip()}" appears twice; keep one')
        seen[key] = j
    known = list(dict.fromkeys(known))
    loose_index: dict[str, int] = {}
    for j, key in enumerate(keys):
        if key:
            loose_index.setdefault(_loose(key), j)
    names: dict[str, int] = {}
    why: dict[str, str] = {}
    used: set[int] = set()
    for target, src in mapping.items():
        if target not in known and not any(target.startswith(p) and len(target) > len(p) for p in prefixes):
            given = read_option(f"--map {target}={src}", mapping={target: src})
            raise error(f'{source}: {given}: "{target}" is not a column reachmix reads here'
                        f"{did_you_mean(target, known)}; use one of {', '.join(known)}")
        j = seen.get(fold_name(src.strip()), loose_index.get(_loose(src)))
        if j is None:
            shown = ", ".join(h.strip() for h in headers if h.strip())
            given = read_option(f"--map {target}={src}", mapping={target: src})
            raise error(f'{source}, row 1: no column "{src}" to read as {target} ({given})'
                        f"{did_you_mean(src, [h.strip() for h in headers])}; the columns are {shown}")
        if j in used:
            other = next(t for t, i in names.items() if i == j)
            raise error(f'{source}: column "{headers[j].strip()}" is mapped to both {other} and {target}; map it once')
        names[target], why[target] = j, "mapped"
        used.add(j)
    alias_of = {}
    for target in known:
        for alias in aliases.get(target, ()):
            alias_of.setdefault(_loose(alias), []).append(target)
    for j, key in enumerate(keys):
        if not key or j in used:
            continue
        loose = _loose(key)
        if key in known:
            target = key
        elif loose in known:
            target = loose
        elif alias_of.get(loose):
            target = alias_of[loose][0]
        else:
            continue
        if target in names:
            if why[target] == "mapped":
                continue  # the explicit mapping wins; this column is simply not used
            first = headers[names[target]].strip()
            raise error(f'{source}, row 1: columns "{first}" and "{headers[j].strip()}" would both be read as '
                        f"{target}; keep one, or choose with {map_setting(target, first)}")
        names[target], why[target] = j, "found"
        used.add(j)
    missing = [c for c in required if c not in names]
    if missing:
        col = missing[0]
        taken = next((t for t, j in names.items() if why.get(t) == "mapped" and keys[j] in (col, _loose(col))), None)
        if taken is not None:
            raise error(f'{source}, row 1: column "{headers[names[taken]].strip()}" is mapped to {taken}, so it '
                        f"cannot also be read as {col}; a column feeds one target: map {col} to another column")
        hint = did_you_mean(col, [k for k in keys if k])
        extra = ""
        looks_other = len(headers) == 1 and any(d in headers[0] for d in DELIMITERS if d != (forced or ","))
        if not hint and not looks_other:
            alike = _looks_like(headers, keys, used, [col], ignored, prefixes)
            if alike:
                extra = f"; to read column {_quote(alike[0][0])} as {col}, pass {map_setting(col, alike[0][0])}"
        if len(headers) == 1:
            other = [d for d in DELIMITERS if d in headers[0] and d != (forced or ",")]
            if other:
                shown = "tab" if other[0] == "\t" else other[0]
                given = read_option(f"--delimiter {forced!r}", delimiter=forced) if forced else ""
                extra += f"; the file looks {shown}-separated" + (f", but {given} was given" if forced else "")
        raise error(f'{source}, row 1: required column "{col}" is missing{hint}{extra}; the header needs '
                    f"{','.join(required)}")
    for j, key in enumerate(keys):
        if key and j not in used:
            names.setdefault(key, j)  # extra columns (loc_*) under their folded header
    warnings = []
    open_targets = [t for t in known if t not in names]
    for header, target in _looks_like(headers, keys, used, open_targets, ignored, prefixes):
        note = _NOTES.get(target, "")
        warnings.append(f'{source}: column "{header}" is not used; it looks like {target}{note}: to read it as '
                        f"{target}, pass {map_setting(target, header)}")
    shown = {name: headers[j].strip() for name, j in names.items()}
    return names, shown, warnings


def _looks_like(headers, keys, used, targets, ignored, prefixes) -> list[tuple[str, str]]:
    found = []
    ignored = {_loose(i) for i in ignored}
    taken: set[str] = set()
    for j, key in enumerate(keys):
        if not key or j in used:
            continue
        loose = _loose(key)
        if loose in ignored or any(key.startswith(p) for p in prefixes):
            continue
        best, score = None, 0.0
        for target in targets:
            if target in taken:
                continue
            words = (target, *ALIASES.get(target, ()))
            ratio = max(difflib.SequenceMatcher(None, loose, _loose(w)).ratio() for w in words)
            if any(stem in loose for stem in _STEMS.get(target, ())):
                ratio = max(ratio, 0.8)
            if ratio >= 0.75 and ratio > score:
                best, score = target, ratio
        if best is not None:
            taken.add(best)
            found.append((headers[j].strip(), best))
    return found


def _quote(header: str) -> str:
    return f'"{header}"' if re.search(r"[\s\"'$;&|<>]", header) else header


__all__ = ["ALIASES", "EXPORT_ALIASES", "MAX_CELL", "RESEARCH_API_ALIASES", "ReadOptions", "Table", "map_setting",
           "parse_table", "raise_problems", "read_table", "timezone_setting"]
