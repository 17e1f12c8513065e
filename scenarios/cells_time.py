"""Times in real exports, one column at a time: ``parse_times`` (re-exported by scenarios/cells.py).

Steps, each vectorised and each taking only the cells the previous ones left: strict ISO 8601 by
pyarrow casts; Unix seconds or milliseconds; year-first dates with any separator, time and offset;
day- or month-first dates (order decided per column); then, one cell at a time, the rare shapes.
Naive results are wall-clock times in the given zone, converted to UTC at the end.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as _tz, tzinfo
from email.utils import parsedate_to_datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scenarios.cells_common import DATE_HINT, CellProblem, ColumnError, floats, mask, quote, trimmed
from scenarios.errors import said

_TIME = (r"(?:(?:[T ]|,\s*|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
         r"\s*(?P<ap>[AaPp]\.?[Mm]\.?)?)?"
         r"\s*(?:(?P<z>[Zz]|UTC|GMT)|(?:UTC|GMT)?(?P<os>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?$")
_YMD = r"^(?P<y>\d{4})(?P<s1>[-/.])(?P<m>\d{1,2})(?P<s2>[-/.])(?P<d>\d{1,2})" + _TIME
_XYY = r"^(?P<a>\d{1,2})(?P<s1>[-/.])(?P<b>\d{1,2})(?P<s2>[-/.])(?P<y>\d{4})" + _TIME
_EPOCH = r"^\d{1,16}(?:\.\d+)?$"
_ORDERS = {"dmy": "day/month", "mdy": "month/day"}
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_WORDY = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")
# Unix seconds in [1e8, 1e10) and milliseconds in [1e11, 1e13) both span 1973-03-03 .. 2286-11-20; a
# number outside both (a spreadsheet serial date such as 45812, a year, microseconds) is no time.
_SECONDS = (1e8, 1e10)
_MILLIS = (1e11, 1e13)


def _ints(g: pa.StructArray, name: str, missing: int = -1) -> np.ndarray:
    """An optional numeric group as int64 (``missing`` where the group did not match)."""
    field = g.field(name)
    if not pc.max(pc.utf8_length(field)).as_py():
        return np.full(len(g), missing, dtype=np.int64)
    # "0" + digits always casts (an unmatched group is "", so "0"): one pass instead of a null dance.
    values = pc.cast(pc.binary_join_element_wise("0", field, ""), pa.int64()).to_numpy(zero_copy_only=False)
    return np.where(mask(pc.equal(field, "")), missing, values)


def _is(g: pa.StructArray, name: str, value: str) -> np.ndarray:
    return mask(pc.equal(g.field(name), value))


def _given(g: pa.StructArray, name: str) -> np.ndarray:
    field = g.field(name)
    if not pc.max(pc.utf8_length(field)).as_py():
        return np.zeros(len(g), bool)
    return mask(pc.not_equal(field, ""))


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _valid_date(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    dim = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)] + (leap & (m == 2))
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim) & (y >= 1)


def _clock(g: pa.StructArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds of the day minus the written UTC offset, validity, and awareness (an offset or Z)."""
    hour, minute, second = _ints(g, "H", 0), _ints(g, "M", 0), _ints(g, "S", 0)
    secs = (hour * 3600 + minute * 60 + second).astype(np.float64)
    if _given(g, "f").any():
        frac = g.field("f")
        secs += floats(pc.binary_join_element_wise("0.", frac, ""))     # "0." + "" casts to 0.0
    twelve = _given(g, "ap")
    ok = (hour <= 23) & (minute <= 59) & (second <= 59)
    if twelve.any():
        pm = mask(pc.starts_with(pc.utf8_lower(g.field("ap")), "p"))
        ok &= ~twelve | ((hour >= 1) & (hour <= 12))
        secs += np.where(twelve, (hour % 12 + 12 * pm - hour) * 3600, 0)
    aware = _given(g, "z")
    signed = _given(g, "os")
    if signed.any():
        aware |= signed
        oh, om = _ints(g, "oh", 0), _ints(g, "om", 0)
        ok &= (oh <= 23) & (om <= 59)
        secs -= np.where(_is(g, "os", "-"), -1, 1) * (oh * 3600 + om * 60)
    return secs, ok, aware


def _local_to_utc(local: np.ndarray, zone: tzinfo) -> np.ndarray:
    """UTC seconds of naive local seconds in ``zone``, DST-correct with zoneinfo's fold=0 rule.

    fold=0: a time skipped by a spring-forward change takes the offset in force before it, a time that
    occurs twice in autumn its first occurrence. The offset is a step function of local time: we ask
    zoneinfo for it at the start and end of each distinct day in the column, bisect (to the second) the
    days where it changes, and look every value up with searchsorted instead of a million calls.
    """
    fixed = zone.utcoffset(None)
    if fixed is not None:
        return local - fixed.total_seconds()
    finite = local[np.isfinite(local)]
    if not len(finite):
        return local.copy()
    epoch = datetime(1970, 1, 1)

    def offset(seconds: int) -> float:
        moment = epoch + timedelta(seconds=min(seconds, 253402300799))   # 9999-12-31 23:59:59
        return moment.replace(tzinfo=zone).utcoffset().total_seconds()

    starts, levels = [], []
    first, last = int(finite.min() // 86400), int(finite.max() // 86400)
    # Every day of a short span is cheaper than sorting a million values to find the distinct ones.
    days = range(first, last + 1) if last - first < 4000 else np.unique(finite // 86400).astype(np.int64).tolist()
    for day in days:
        lo, hi = day * 86400, day * 86400 + 86400
        before, after = offset(lo), offset(hi)
        starts.append(lo)
        levels.append(before)
        if after != before:              # the offset changes during this day: find the second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == before else (lo, mid)
            starts.append(hi)
            levels.append(after)
    index = np.searchsorted(np.asarray(starts, dtype=float), local, side="right") - 1
    return local - np.asarray(levels)[np.clip(index, 0, None)]


def _zone(timezone) -> tzinfo:
    if timezone is None:
        return _tz.utc
    if isinstance(timezone, str):
        from zoneinfo import ZoneInfo
        return ZoneInfo(timezone)
    return timezone


def parse_times(values, *, date_order: str | None = None, timezone: tzinfo | None = None
                ) -> tuple[np.ndarray, list[CellProblem], bool]:
    """Float64 Unix seconds (UTC; NaN where blank or unreadable), problems, and whether any naive
    time was read (interpreted in ``timezone``, default UTC; a str is taken as an IANA name)."""
    if date_order is not None and date_order.lower() not in _ORDERS:
        raise ValueError(f'date_order must be "dmy" or "mdy", not "{date_order}"')
    zone = _zone(timezone)
    text = trimmed(values)
    n = len(text)
    valid = mask(pc.is_valid(text))
    out = np.full(n, np.nan)
    local = np.zeros(n, bool)
    problems: dict[int, str] = {}
    rows = np.flatnonzero(valid)
    sub = text if len(rows) == n else text.take(pa.array(rows, type=pa.int64()))
    for prefix, step in _STEPS:
        if not len(rows):
            break
        # A cheap anchored test first, so that each step's heavier work sees only its candidates (every
        # step also tolerates other cells, so a column whose first and last cells pass skips the test).
        candidate = np.ones(len(rows), bool)
        if prefix and not _ends_match(sub, prefix):
            candidate = mask(pc.match_substring_regex(sub, prefix))
        if not candidate.any():
            continue
        part, where = (sub, rows) if candidate.all() else (sub.filter(pa.array(candidate)), rows[candidate])
        hit, values, ok, aware, why = step(part, date_order)
        good = hit & ok
        out[where[good]] = values[good]
        local[where[good & ~aware]] = True
        for i in np.flatnonzero(hit & ~ok).tolist():
            problems[int(where[i])] = why(i)
        left = np.ones(len(rows), bool)
        left[np.flatnonzero(candidate)[hit]] = False
        rows, sub = rows[left], (sub.filter(pa.array(left)) if not left.all() else sub)
    if local.any():
        out[local] = _local_to_utc(out[local], zone)
    return out, [CellProblem(row, problems[row]) for row in sorted(problems)], bool(local.any())


_ISO_NAIVE = r"^\d{4}-\d\d-\d\d(?:[T ]\d\d(?::\d\d(?::\d\d(?:\.\d{1,9})?)?)?)?$"
_CHUNK = 1 << 16
_ISO_AWARE = r"^\d{4}-\d\d-\d\d[T ]\d\d(?::\d\d(?::\d\d(?:\.\d{1,9})?)?)?(?:Z|[+-]\d\d(?::?\d\d)?)$"


def _ends_match(part: pa.Array, pattern: str) -> bool:
    size = len(part)
    ends = part if size <= 32 else pa.concat_arrays([part.slice(0, 16), part.slice(size - 16)])
    return bool(pc.all(pc.match_substring_regex(ends, pattern)).as_py())


def _iso(sub: pa.Array, date_order):
    """Strict ISO 8601, naive or with an offset, by pyarrow casts (the common columns).

    A failing timestamp cast costs microseconds per cell, so casts are tried chunk by chunk and only
    on chunks whose first and last cells look ISO; a chunk that still fails is sorted by regex. Cells
    that pass the regex but not the cast (2025-02-30) go to the next step, which names the problem.
    """
    n = len(sub)
    hit, values, aware = np.zeros(n, bool), np.full(n, np.nan), np.zeros(n, bool)
    for start in range(0, n, _CHUNK):
        part = sub.slice(start, _CHUNK)
        size = len(part)
        for pattern, tz in ((_ISO_NAIVE, None), (_ISO_AWARE, "UTC")):
            if _ends_match(part, pattern):
                got = _cast_times(part, tz)
                if got is not None:
                    values[start:start + size], hit[start:start + size] = got, True
                    aware[start:start + size] = tz is not None
                break
        else:
            got = None
        if got is None:
            naive = mask(pc.match_substring_regex(part, _ISO_NAIVE))
            with_offset = ~naive & mask(pc.match_substring_regex(part, _ISO_AWARE))
            for kind, tz in ((naive, None), (with_offset, "UTC")):
                got = _cast_times(part.filter(pa.array(kind)), tz) if kind.any() else None
                if got is not None:
                    rows = start + np.flatnonzero(kind)
                    values[rows], hit[rows], aware[rows] = got, True, tz is not None
    return hit, values, hit, aware, _problem(sub)


def _cast_times(part: pa.Array, tz: str | None) -> np.ndarray | None:
    try:
        stamps = pc.cast(part, pa.timestamp("ns", tz=tz))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    nanos = pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False)
    return (nanos // 10**9).astype(np.float64) + (nanos % 10**9) / 1e9    # exact whole seconds


def _order_setting() -> str:
    """The setting that decides a column's day/month order, as the caller gives it."""
    return said("--date-order dmy or mdy", 'ReadOptions(date_order="dmy") or ReadOptions(date_order="mdy")')


def _problem(sub: pa.Array, note: str = ""):
    return lambda i: f"{quote(sub[i].as_py())} is not a date{note}; {DATE_HINT}"


def _year_first(sub: pa.Array, date_order):
    """YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD with an optional time and UTC offset."""
    g = pc.extract_regex(sub, _YMD)
    hit = mask(g.is_valid())
    y, m, d = _ints(g, "y"), _ints(g, "m"), _ints(g, "d")
    secs, ok, aware = _clock(g)
    ok &= _valid_date(y, m, d) & mask(pc.equal(g.field("s1"), g.field("s2")))
    return hit, _days(y, m, d) * 86400.0 + secs, ok, aware, _problem(sub)


def _year_last(sub: pa.Array, date_order):
    """D.M.YYYY (always day first) and D/M/YYYY, M/D/YYYY, D-M-YYYY (order decided per column)."""
    quick = mask(pc.match_substring_regex(sub, _XYY_QUICK))
    n = len(sub)
    hit, ok, aware, dotted = (np.zeros(n, bool) for _ in range(4))
    a, b, y, secs = np.full(n, -1), np.full(n, -1), np.full(n, -1), np.zeros(n)
    for rows, fields in ((quick, _day_first_quick), (~quick, _day_first_regex)):
        if rows.any():
            part = sub if rows.all() else sub.filter(pa.array(rows))
            hit[rows], a[rows], b[rows], y[rows], secs[rows], ok[rows], aware[rows], dotted[rows] = fields(part)
    slashed = hit & ~dotted
    as_dmy, as_mdy = _valid_date(y, b, a), _valid_date(y, a, b)
    dmy_only, mdy_only = slashed & ok & as_dmy & ~as_mdy, slashed & ok & as_mdy & ~as_dmy
    order = date_order.lower() if date_order else None
    if order is None:
        if dmy_only.any() and mdy_only.any():
            raise ColumnError(
                f"the dates mix day/month (e.g. {quote(sub[int(np.flatnonzero(dmy_only)[0])].as_py())}) and "
                f"month/day (e.g. {quote(sub[int(np.flatnonzero(mdy_only)[0])].as_py())}) order; "
                f"fix the column or pass {_order_setting()}")
        open_ = slashed & ok & as_dmy & as_mdy & (a != b)
        if not dmy_only.any() and not mdy_only.any() and open_.any():
            raise ColumnError(f"the dates could be day/month or month/day "
                              f"(e.g. {quote(sub[int(np.flatnonzero(open_)[0])].as_py())}); "
                              f"pass {_order_setting()}")
        order = "mdy" if mdy_only.any() else "dmy"
    day_first = dotted | (order == "dmy")
    day, month = np.where(day_first, a, b), np.where(day_first, b, a)
    fits = _valid_date(y, month, day)
    other_fits = slashed & np.where(day_first, as_mdy, as_dmy)
    plain, noted = _problem(sub), _problem(sub, f" in {_ORDERS[order]} order (the order of this column)")
    return (hit, _days(y, month, day) * 86400.0 + secs, ok & fits, aware,
            lambda i: noted(i) if ok[i] and other_fits[i] else plain(i))


# The common shapes (one separator, 24-hour clock) split with plain string kernels: 3-4x faster than
# the capturing regex, which stays for the rest (AM/PM, offsets, fractions).
_XYY_QUICK = r"^\d{1,2}(?:/\d{1,2}/|\.\d{1,2}\.|-\d{1,2}-)\d{4}(?: \d{1,2}:\d\d(?::\d\d)?)?$"


def _day_first_quick(part: pa.Array):
    def number(strings) -> np.ndarray:   # "0" + digits: "" (no such part) reads as 0
        return pc.cast(pc.binary_join_element_wise("0", strings, ""), pa.int64()).to_numpy(zero_copy_only=False)

    dotted = mask(pc.match_substring(part, "."))
    parts = pc.split_pattern(pc.replace_substring(pc.replace_substring(part, ".", "/"), "-", "/"), "/",
                             max_splits=2)
    tail = pc.list_element(parts, 2)                  # "2025" or "2025 22:44[:10]"
    clock = pc.split_pattern(pc.binary_join_element_wise(pc.utf8_slice_codeunits(tail, 5), ":0:0", ""), ":")
    hour, minute, second = (number(pc.list_element(clock, k)) for k in range(3))
    n = len(part)
    ok = (hour <= 23) & (minute <= 59) & (second <= 59)
    return (np.ones(n, bool), number(pc.list_element(parts, 0)), number(pc.list_element(parts, 1)),
            number(pc.utf8_slice_codeunits(tail, 0, 4)), (hour * 3600 + minute * 60 + second).astype(float),
            ok, np.zeros(n, bool), dotted)


def _day_first_regex(part: pa.Array):
    g = pc.extract_regex(part, _XYY)
    hit = mask(g.is_valid())
    secs, ok, aware = _clock(g)
    ok &= mask(pc.equal(g.field("s1"), g.field("s2")))
    return hit, _ints(g, "a"), _ints(g, "b"), _ints(g, "y"), secs, ok, aware, hit & _is(g, "s1", ".")


def _epochs(sub: pa.Array, date_order):
    """Unix seconds or milliseconds: one unit per column, decided by magnitude (1e11 and up = ms)."""
    hit = mask(pc.match_substring_regex(sub, _EPOCH))
    values = np.where(hit, floats(pc.if_else(pa.array(hit), sub, pa.scalar(None, pa.string()))), np.nan)
    millis = hit & (values >= _MILLIS[0]) & (values < _MILLIS[1])
    seconds = hit & (values >= _SECONDS[0]) & (values < _SECONDS[1])
    if millis.any() and seconds.any():
        raise ColumnError(
            f"mixes Unix seconds (e.g. {quote(sub[int(np.flatnonzero(seconds)[0])].as_py())}) and milliseconds "
            f"(e.g. {quote(sub[int(np.flatnonzero(millis)[0])].as_py())}); write one unit")
    # Other numbers go on: 20250610 is a compact ISO date; what no step reads gets _EPOCH_WHY.
    hit, values = (millis, values / 1000.0) if millis.any() else (seconds, values)
    return hit, values, hit, np.ones(len(sub), bool), _problem(sub)


_EPOCH_WHY = ("is not a date (as Unix seconds or milliseconds it is not between 1973 and 2286); "
              "write it as 2024-03-01 14:30 or Unix seconds")


def _one_by_one(sub: pa.Array, date_order):
    """The rare shapes, one cell at a time: other ISO forms, RFC 2822, English month names."""
    n = len(sub)
    values, ok, aware = np.full(n, np.nan), np.zeros(n, bool), np.zeros(n, bool)
    for i, cell in enumerate(sub.to_pylist()):
        got = _wordy(cell)
        if got is not None:
            ok[i], aware[i] = True, got.tzinfo is not None
            values[i] = got.timestamp() if aware[i] else (got - datetime(1970, 1, 1)).total_seconds()
    numeric = mask(pc.match_substring_regex(sub, _EPOCH))
    plain = _problem(sub)
    return np.ones(n, bool), values, ok, aware, \
        lambda i: f"{quote(sub[i].as_py())} {_EPOCH_WHY}" if numeric[i] else plain(i)


def _wordy(cell: str) -> datetime | None:
    try:
        return datetime.fromisoformat(cell)
    except ValueError:
        pass
    if _FOUR_DIGIT_YEAR.search(cell):   # the e-mail date parser would guess the century of "25"
        try:
            return parsedate_to_datetime(cell)
        except (TypeError, ValueError, IndexError):
            pass
    for fmt in _WORDY:
        for clock in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p"):
            try:
                return datetime.strptime(cell, fmt + clock)
            except ValueError:
                continue
    return None


_STEPS = ((r"^\d{4}-\d", _iso), (_EPOCH, _epochs), (r"^\d{4}[-/.]\d", _year_first),
          (r"^\d{1,2}[-/.]\d", _year_last), (None, _one_by_one))
