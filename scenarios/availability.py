"""When each creator can post: the pool columns ``available_from`` / ``available_to`` (issue 11).

A cell is a campaign day (a whole number; 0 is the first day, ``[schedule] start_date`` when it is
set) or a date in any shape the history reader takes (``2025-03-14``, ``14.03.2025``, ``Mar 14,
2025``; day- or month-first decided per column, ``--date-order`` otherwise). A date needs
``[schedule] start_date`` to become a campaign day. Both ends are included: ``available_to = 20``
means a post on day 20 is allowed. A blank cell is an open end. Real briefs carry these because a
creator is travelling, has an exclusivity clause with a competitor until some date, or books the
slot only from a given week.

Consumers: ``scenarios.calendar`` (the earliest schedule starts each creator at its window,
``window_capacity`` limits its posts, ``schedule_violations`` names posts outside it) and
``scenarios.rules.post_caps`` (a creator never gets more posts than its window holds).
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cells_common import CellProblem, mask, quote, trimmed
from .cells_time import parse_times

#: The pool columns, in the order a row reads them.
COLUMNS = ("available_from", "available_to")
#: An open ``available_to`` (far beyond any campaign: about 2.7 billion years).
NO_END = 1 << 40
#: A campaign day written as a number: a whole number of at most 6 digits (longer numbers are
#: Unix times, which the date reader takes).
_DAY = r"^[+-]?\d{1,6}$"
_EPOCH_DAY = datetime.date(1970, 1, 1)


def parse_days(values, *, start_date: datetime.date | None, date_order: str | None = None
               ) -> tuple[np.ndarray, list[CellProblem]]:
    """Campaign days (float64, NaN where blank or bad) of one column, and its bad cells."""
    text = trimmed(values)
    n = len(text)
    out = np.full(n, np.nan)
    problems: list[CellProblem] = []
    given = mask(pc.is_valid(text))
    is_day = given & mask(pc.match_substring_regex(text, _DAY))
    if is_day.any():
        out[is_day] = np.asarray(pc.cast(text.filter(pa.array(is_day)), pa.int64()).to_numpy(zero_copy_only=False),
                                 dtype=float)
    dated = np.flatnonzero(given & ~is_day)
    if not dated.size:
        return out, problems
    sub = text.take(pa.array(dated, type=pa.int64()))
    seconds, bad, _ = parse_times(sub, date_order=date_order)
    bad_rows = {p.row for p in bad}
    problems += [CellProblem(int(dated[p.row]), f"{p.why}, or write a campaign day number (0 = the first day)")
                 for p in bad]
    ok = np.array([i not in bad_rows for i in range(dated.size)], dtype=bool) & ~np.isnan(seconds)
    if ok.any() and start_date is None:
        problems += [CellProblem(int(dated[i]), f"{quote(sub[int(i)].as_py())} is a date but [schedule] start_date is "
                                                "not set; set start_date in the scenario or write a campaign day "
                                                "number (0 = the first day)") for i in np.flatnonzero(ok)]
        return out, sorted(problems, key=lambda p: p.row)
    epoch_day = (start_date - _EPOCH_DAY).days if start_date is not None else 0
    out[dated[ok]] = np.floor(seconds[ok] / 86_400.0) - epoch_day
    return out, sorted(problems, key=lambda p: p.row)


def as_window(days_from: np.ndarray, days_to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Int64 arrays with blanks filled: an open start is day 0 (the start_day rule applies on top),
    an open end is ``NO_END``."""
    lo = np.where(np.isnan(days_from), 0, days_from).astype(np.int64)
    hi = np.where(np.isnan(days_to), NO_END, days_to).astype(np.int64)
    return lo, hi
