"""Column parsers for real exports: numbers, times, video ids and names (no file I/O).

Every parser takes one whole column (a pyarrow string Array/ChunkedArray, nulls and '' = blank, or a
plain sequence of str) and returns NumPy values plus a list of ``CellProblem`` (row = 0-based index).
Decisions that a single cell cannot make are taken per COLUMN from the cells that are unambiguous:
the decimal mark (``2,500`` alone could be 2500 or 2.5) and the day/month order (``6/10/2025``).
A column that contradicts itself, or leaves a date order open, raises ``ColumnError`` with a
one-line message that says how to resolve it; the caller adds the file, column and option name.

Speed: clean columns (plain numbers, ISO times, Unix seconds) go through one pyarrow cast; the other
common shapes through one vectorised regex; only cells that need it are parsed in Python.
The accepted formats and rules are documented in docs/assumptions.md ("Reading real exports").
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scenarios.cells_common import (ID_DAMAGED, NUMBER_HINT, CellProblem, ColumnError, floats, mask, quote,
                                    strings, texts, trimmed)
from scenarios.cells_time import parse_times

__all__ = ["CellProblem", "ColumnError", "parse_numbers", "parse_times", "parse_video_ids", "tiktok_id_time",
           "fold_name", "fold_names"]


# ----------------------------------------------------------------------------------------------
# Numbers
# ----------------------------------------------------------------------------------------------

_SIMPLE = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"       # Python/Arrow float syntax
_AMBIGUOUS_DOT = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"                   # 1.234 = 1.234 or 1234
_CURRENCY = r"[$€£₺]|USD|EUR|GBP|TRY|TL"
_CELL = re.compile(
    rf"""^(?:(?P<cur1>{_CURRENCY})\s*)?(?P<sign>[+\-\u2212])?\s*(?:(?P<cur2>[$€£₺])\s*)?(?P<pct1>%)?\s*
    (?P<num>\d[\d.,'\s]*|[.,]\d[\d.,'\s]*)
    (?P<exp>[eE][+-]?\d+)?\s*(?P<suffix>[kKmMbB])?\s*(?P<pct2>%)?\s*(?:(?P<cur3>{_CURRENCY}))?$""",
    re.VERBOSE | re.IGNORECASE,
)
_GROUP = "[ \u00a0\u202f\u2009']"          # spaces, NBSP, thin spaces, apostrophe: always thousands
_CORE = {
    mark: re.compile(
        rf"^(?:(?P<grouped>[1-9]\d{{0,2}}(?P<g>[{thousands}]|{_GROUP})\d{{3}}(?:(?P=g)\d{{3}})*)|(?P<plain>\d+))?"
        rf"(?:{re.escape(mark)}(?P<frac>\d*))?$"
    )
    for mark, thousands in ((".", ","), (",", "."))
}
_SCALE = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9}
_MARKS = {"dot": ".", ".": ".", "comma": ",", ",": ","}


def _core(num: str, mark: str) -> Decimal | None:
    match = _CORE[mark].match(num.strip())
    if not match:
        return None
    whole = re.sub(r"\D", "", match["grouped"] or match["plain"] or "")
    frac = match["frac"] or ""
    if not whole and not frac:
        return None
    return Decimal(f"{whole or '0'}.{frac or '0'}")


def _readings(text: str) -> tuple[float | None, float | None] | str:
    """The cell's value with a decimal dot and with a decimal comma (None = impossible), or a problem."""
    match = _CELL.match(text)
    if not match:
        try:  # "inf", "nan", "1e999": a float, but not a finite number
            value = float(text)
        except ValueError:
            return f"{quote(text)} is not a number; {NUMBER_HINT}"
        return f"{quote(text)} is not a finite number" if not math.isfinite(value) else (value, value)
    scale = Decimal(_SCALE[(match["suffix"] or "").lower()])
    if match["exp"]:
        # Clamped: Decimal's context overflows at 10**1000000 ("0e1000000" is a real cell in fuzzed
        # exports), and beyond 10**+-4000 every float is already 0 or infinite.
        scale *= Decimal(10) ** max(-4000, min(4000, int(match["exp"][1:])))
    if match["pct1"] or match["pct2"]:
        scale /= 100
    sign = -1 if match["sign"] in ("-", "\u2212") else 1
    out: list[float | None] = []
    for mark in (".", ","):
        core = _core(match["num"], mark)
        try:
            value = None if core is None else float(sign * core * scale)
        except (InvalidOperation, OverflowError):
            value = math.inf
        if value is not None and not math.isfinite(value):
            return f"{quote(text)} is not a finite number"
        out.append(value)
    if out == [None, None]:
        return f"{quote(text)} is not a number; {NUMBER_HINT}"
    return out[0], out[1]


def parse_numbers(values, *, decimal: str | None = None) -> tuple[np.ndarray, list[CellProblem]]:
    """Float64 values (NaN where blank or unreadable) and the problems of the unreadable cells.

    The decimal mark is one per column: forced by ``decimal`` ('comma' or 'dot'), else decided by the
    cells that can only be read one way (``3,5``, ``13,9K``, ``1.234,5`` -> comma; ``2,500,000``,
    ``1,234.5``, ``12.5`` -> dot). A column with both kinds raises ColumnError; a column with neither
    reads ``2,500`` as 2500, the way most platform exports write it.
    """
    if decimal is not None and decimal not in _MARKS:
        raise ValueError(f'decimal must be "comma" or "dot", not "{decimal}"')
    forced = _MARKS.get(decimal) if decimal else None
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        values = pa.array(values)
    elif not isinstance(values, (pa.Array, pa.ChunkedArray, np.ndarray)):
        values = list(values)
        typed = [i for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if typed:  # JSON numbers: already numbers, and no say in the decimal mark of the text cells
            typed_set = set(typed)
            out, problems = parse_numbers([None if i in typed_set else v for i, v in enumerate(values)],
                                          decimal=decimal)
            typed_values, typed_problems = parse_numbers(np.array([float(values[i]) for i in typed]))
            out[typed] = typed_values
            problems += [CellProblem(typed[p.row], p.why) for p in typed_problems]
            return out, sorted(problems, key=lambda p: p.row)
    if isinstance(values, (pa.Array, pa.ChunkedArray)) and (pa.types.is_integer(values.type) or
                                                           pa.types.is_floating(values.type)):
        out = np.array(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        bad = np.flatnonzero(np.isinf(out) | (np.isnan(out) & mask(pc.is_valid(values))))
        out[bad] = np.nan
        return out, [CellProblem(int(r), f'"{values[int(r)].as_py()}" is not a finite number') for r in bad]
    raw = strings(values)
    n = len(raw)
    if n and pc.min(pc.binary_length(raw)).as_py() == 0:      # '' cells: blanks, as nulls
        raw = pc.if_else(pc.equal(raw, ""), pa.scalar(None, raw.type), raw)
    # A failing cast costs microseconds per bad cell, so try it only when the first and last cells
    # are plain numbers.
    probe = raw if n <= 32 else pa.concat_arrays([raw.slice(0, 16), raw.slice(n - 16)])
    if forced != "," and pc.all(pc.match_substring_regex(probe, _SIMPLE)).as_py() is not False:
        try:  # fast path: every cell a plain number (no commas anywhere, so nothing to decide)
            out = np.array(pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False))
            return out, _nonfinite(raw, out)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    text = trimmed(raw)
    # Each cell's value read with a decimal point and with a decimal comma (NaN = impossible that way).
    as_dot, as_comma = np.full(n, np.nan), np.full(n, np.nan)
    pending = np.flatnonzero(mask(pc.is_valid(text)))
    sub = text if len(pending) == n else text.take(pa.array(pending, type=pa.int64()))
    for family in (_plain, _suffixed, _comma_grouped, _comma_decimal):
        if not len(pending):
            break
        hit, dot, comma = family(sub)
        if hit.any():
            as_dot[pending[hit]], as_comma[pending[hit]] = dot[hit], comma[hit]
            pending, sub = pending[~hit], sub.filter(pa.array(~hit))
    problems: dict[int, str] = {}
    seen: dict[str, tuple[float | None, float | None] | str] = {}   # exports repeat cells
    for row, cell in zip(pending.tolist(), sub.to_pylist()):
        got = seen.get(cell)
        if got is None:
            got = seen[cell] = _readings(cell)
        if isinstance(got, str):
            problems[row] = got
        else:
            as_dot[row], as_comma[row] = (np.nan if v is None else v for v in got)
    dot_ok, comma_ok = ~np.isnan(as_dot), ~np.isnan(as_comma)
    mark = forced
    if mark is None:
        comma_only, dot_only = np.flatnonzero(comma_ok & ~dot_ok), np.flatnonzero(dot_ok & ~comma_ok)
        if len(comma_only) and len(dot_only):
            raise ColumnError(
                f"mixes decimal commas (e.g. {quote(text[int(comma_only[0])].as_py())}) and decimal points "
                f"(e.g. {quote(text[int(dot_only[0])].as_py())}); set the decimal mark (comma or dot)")
        mark = "," if len(comma_only) else "."
    out, fits, other = (as_comma, comma_ok, dot_ok) if mark == "," else (as_dot, dot_ok, comma_ok)
    for row in np.flatnonzero(other & ~fits).tolist():
        problems[row] = _wrong_mark(text[row].as_py(), mark)
    for row in np.flatnonzero(np.isinf(out)).tolist():
        problems[row] = f"{quote(text[row].as_py())} is not a finite number"
        out[row] = np.nan
    return out, [CellProblem(row, problems[row]) for row in sorted(problems)]


# The common shapes, vectorised: (hit, value with a decimal point, value with a decimal comma).
_SUFFIXED = r"^[+-]?\d+(?:[.,]\d{1,2})?\s?[KkMmBb]$"                  # 13.9K 13,9K 1.4M 850K 2B
_COMMA_GROUPED = r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$"          # 2,500 2,500,000 1,234.5
_ONE_COMMA_GROUP = r"^[+-]?[1-9]\d{0,2},\d{3}$"                        # 2,500: 2500 or 2.5
_COMMA_DECIMAL = r"^[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?$"   # 3,5 1.234,5 1.234.567 0,500


def _only(sub: pa.Array, hit: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(hit), sub, pa.scalar(None, sub.type))


def _plain(sub: pa.Array):
    hit = mask(pc.match_substring_regex(sub, _SIMPLE))
    if not hit.any():
        return hit, None, None
    text = _only(sub, hit)
    dot = floats(text)
    ambiguous = mask(pc.match_substring_regex(text, _AMBIGUOUS_DOT))
    dotted = mask(pc.match_substring(text, "."))
    comma = np.where(~dotted | np.isinf(dot), dot, np.nan)
    if ambiguous.any():   # with a decimal comma, 1.234 is 1234
        comma[ambiguous] = floats(pc.replace_substring(text.filter(pa.array(ambiguous)), ".", ""))
    return hit, dot, comma


def _suffixed(sub: pa.Array):
    hit = mask(pc.match_substring_regex(sub, _SUFFIXED))
    if not hit.any():
        return hit, None, None
    text = _only(sub, hit)
    number = pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(text, 0, -1))
    letter = pc.utf8_upper(pc.utf8_slice_codeunits(text, -1))
    scale = np.where(mask(pc.equal(letter, "K")), 1e3, np.where(mask(pc.equal(letter, "M")), 1e6, 1e9))
    # At most two decimals times at least 1000 is a whole number: rounding makes 4.1M exactly 4100000.
    value = np.round(floats(pc.replace_substring(number, ",", ".")) * scale)
    comma_mark, dot_mark = mask(pc.match_substring(text, ",")), mask(pc.match_substring(text, "."))
    return hit, np.where(comma_mark, np.nan, value), np.where(dot_mark, np.nan, value)


def _comma_grouped(sub: pa.Array):
    hit = mask(pc.match_substring_regex(sub, _COMMA_GROUPED))
    if not hit.any():
        return hit, None, None
    text = _only(sub, hit)
    dot = floats(pc.replace_substring(text, ",", ""))
    one_group = mask(pc.match_substring_regex(text, _ONE_COMMA_GROUP))
    comma = np.full(len(sub), np.nan)
    if one_group.any():
        comma[one_group] = floats(pc.replace_substring(text.filter(pa.array(one_group)), ",", "."))
    return hit, dot, comma


def _comma_decimal(sub: pa.Array):
    hit = mask(pc.match_substring_regex(sub, _COMMA_DECIMAL))
    if not hit.any():
        return hit, None, None
    comma = floats(pc.replace_substring(pc.replace_substring(_only(sub, hit), ".", ""), ",", "."))
    return hit, np.full(len(sub), np.nan), comma


def _wrong_mark(cell: str, mark: str) -> str:
    name, example = ("comma", "2500, 13,9K or 1,4M") if mark == "," else ("point", "2500, 13.9K or 1.4M")
    return f"{quote(cell)} is not a number with a decimal {name} (the mark of this column); write {example}"


def _nonfinite(text: pa.Array, out: np.ndarray) -> list[CellProblem]:
    """Cells the fast path read as inf or nan ("inf", "nan", "1e999"): problems, and NaN."""
    bad = np.isinf(out)
    nan = np.isnan(out)
    if nan.sum() > text.null_count:     # "nan" written in a cell, not a blank
        bad |= nan & mask(pc.is_valid(text))
    if not bad.any():
        return []
    rows = np.flatnonzero(bad)
    out[rows] = np.nan
    return [CellProblem(r, f"{quote(t)} is not a finite number") for r, t in zip(rows.tolist(), texts(text, rows))]


# ----------------------------------------------------------------------------------------------
# Video ids
# ----------------------------------------------------------------------------------------------

# Digits, a URL ending in /video/<digits>, or another platform's id (letters and digits, with a digit:
# so that "nan", "null" or "-" written for a missing id is reported, not taken as an id).
_ID = re.compile(r"^'?(?:https?://\S*?/video/)?([0-9]+|(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{4,})(?:[/?#]\S*)?$")
_DAMAGED = re.compile(r"^[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+$|^[0-9]+[.,][0-9]+$")


def parse_video_ids(values) -> tuple[np.ndarray, list[CellProblem]]:
    """Canonical id strings ('' where blank) and the cells that are not ids.

    A TikTok id has 19 digits and does not survive a float: ``7.50E+18`` and ``7250000000000000000.0``
    are reported, as is a column whose long ids all end in 0000 (a spreadsheet kept 15 digits).
    Ids may be URLs (``https://www.tiktok.com/@a/video/7250...``) or a quoted ``'7250...``.
    """
    text = trimmed(values)
    clean = mask(pc.match_substring_regex(text, r"^[0-9]{1,24}$"))
    out = np.asarray(pc.fill_null(text, "").to_numpy(zero_copy_only=False), dtype=object)
    problems: list[CellProblem] = []
    rows = np.flatnonzero(~clean & mask(pc.is_valid(text)))
    for row, cell in zip(rows.tolist(), texts(text, rows)):
        match = _ID.match(cell)
        out[row] = match[1] if match and not _DAMAGED.match(cell) else ""
        if _DAMAGED.match(cell):
            problems.append(CellProblem(row, f"{quote(cell)} {ID_DAMAGED}"))
        elif not match:
            problems.append(CellProblem(row, f"{quote(cell)} is not a video id; write the id as digits, "
                                             "e.g. 7250000000000000000"))
    ids = text if not len(rows) else pa.array(out, type=pa.string())
    long_ids = np.flatnonzero(mask(pc.match_substring_regex(ids, r"^[0-9]{16,}$")))
    if len(long_ids) >= 5 and pc.all(pc.ends_with(ids.take(pa.array(long_ids)), "0000")).as_py():
        problems += [CellProblem(i, f'"{out[i]}" {ID_DAMAGED} (it kept 15 digits)') for i in long_ids.tolist()]
        out[long_ids] = ""
        problems.sort(key=lambda p: p.row)
    return out, problems


_TIKTOK_FIRST = 1.4e9    # 2014-05: before any TikTok / musical.ly video id
_TIKTOK_LAST = 4.1e9     # 2099


def tiktok_id_time(ids) -> np.ndarray:
    """Unix seconds from the top 32 bits of each 64-bit TikTok video id; NaN where not such an id."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
        ids = pa.array(ids.astype(np.uint64))
    text = trimmed(ids)
    # Up to 19 digits fits uint64 (2^64 ~ 1.8e19); 20-digit ids (from 2043 on) go through Python ints.
    short = mask(pc.match_substring_regex(text, r"^[0-9]{1,19}$"))
    numbers = np.zeros(len(text), dtype=np.uint64)
    if short.any():
        numbers[short] = pc.cast(text.filter(pa.array(short)), pa.uint64()).to_numpy(zero_copy_only=False)
    seconds = (numbers >> np.uint64(32)).astype(np.float64)
    for row in np.flatnonzero(mask(pc.match_substring_regex(text, r"^[0-9]{20}$"))).tolist():
        number = int(text[row].as_py())
        short[row], seconds[row] = number < 2**64, float(number >> 32)
    return np.where(short & (seconds >= _TIKTOK_FIRST) & (seconds <= _TIKTOK_LAST), seconds, np.nan)


# ----------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------

_TURKISH_I = str.maketrans({"İ": "i", "I": "i", "ı": "i"})


def fold_name(text: str) -> str:
    """A comparison key: NFC, whitespace collapsed, Turkish-aware case folding.

    'İstanbul', 'Istanbul', 'ISTANBUL' and 'istanbul' (and 'ıstanbul') fold alike: the dotted and
    dotless capitals and the dotless small i all become 'i' before str.casefold, which would turn
    'İ' into 'i' + a combining dot. NFD input folds like NFC.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", " ".join(str(text).split()))
    # "i" + combining dot above is what Python's own "İ".lower() leaves in data that passed through it.
    folded = text.translate(_TURKISH_I).casefold().replace("i\u0307", "i")
    return unicodedata.normalize("NFC", folded)


def fold_names(values) -> np.ndarray:
    """fold_name over a column (object array; '' where blank), folding each distinct value once.

    ASCII values are folded by Arrow (whitespace runs to one space, trimmed, lower case: what
    fold_name does to ASCII); only the others go through fold_name one by one."""
    encoded = pc.dictionary_encode(strings(values))
    distinct = encoded.dictionary
    ascii_ = np.asarray(pc.fill_null(pc.string_is_ascii(distinct), False).to_numpy(zero_copy_only=False), dtype=bool)
    quick = pc.ascii_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(distinct, r"[\s\x0b\x1c-\x1f]+", " ")))
    folded = np.array(quick.to_pylist() + [""], dtype=object)
    for i in np.flatnonzero(~ascii_).tolist():
        folded[i] = fold_name(distinct[i].as_py())
    index = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    return folded[index]
