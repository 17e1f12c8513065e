"""Reading a brand's post history CSV for calibration, tolerating messy real exports.

Columns (case-insensitive): ``handle, followers, posted_at, observed_at, views`` (required) and
``likes, comments, shares`` (optional). Numbers may be written as exports write them (``13.9K``,
``1.4M``, ``2,500``); timestamps are ISO 8601 (``2024-03-01``, ``2024-03-01 14:30``,
``2024-03-01T14:30:00Z``) or ``2024/03/01``. Several rows may observe the same video (same handle
and posted_at) at different times.

A row that cannot be used (blank or non-numeric views, bad dates, ...) is skipped with a warning
naming file, row (line number, header = 1) and column; a bad optional cell only blanks that cell.
Only an unusable file (missing, not UTF-8, no header, missing required columns) is an error.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scenarios.errors import one_line
from scenarios.files import read_text
from scenarios.numbers import parse_number

from .errors import CalibrationError

REQUIRED = ("handle", "followers", "posted_at", "observed_at", "views")
OPTIONAL = ("likes", "comments", "shares")
SECONDS_PER_DAY = 86_400.0


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

    @property
    def age_days(self) -> float:
        return (self.observed_at - self.posted_at).total_seconds() / SECONDS_PER_DAY

    @property
    def video(self) -> tuple[str, datetime]:
        return (self.handle, self.posted_at)


def parse_time(text: str) -> datetime:
    """ISO 8601 or YYYY/MM/DD; aware times become naive UTC so that all compare."""
    text = text.strip()
    if not text:
        raise ValueError("is blank")
    candidate = text.replace("/", "-") if text[:4].isdigit() else text
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(f'"{text[:40]}" is not a date; write it as 2024-03-01 or 2024-03-01 14:30') from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _number(text: str) -> float:
    text = text.strip()
    if not text:
        raise ValueError("is blank")
    value = parse_number(text)
    if value < 0:
        raise ValueError(f"{text} is negative")
    return value


def read_history(path: str | Path) -> tuple[list[Observation], list[str]]:
    """(usable observations, warnings). Raises ``CalibrationError`` only for an unusable file."""
    text = read_text(path, CalibrationError, what="history file", directory="give the history .csv file",
                     save_as="the CSV")
    return parse_history(text, str(path))


def parse_history(text: str, source: str = "<history>") -> tuple[list[Observation], list[str]]:
    if "\x00" in text:
        raise CalibrationError(f"{source}: contains NUL bytes; this is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CalibrationError(f"{source}: row 1 is not valid CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise CalibrationError(f"{source}: the file is empty; it needs a header row with {', '.join(REQUIRED)}")
    columns = {h.strip().lower(): j for j, h in enumerate(header) if h.strip()}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise CalibrationError(f"{source}: row 1 (header) lacks column(s) {', '.join(missing)}; "
                               f"the history needs {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})")
    warnings: list[str] = []
    absent = [c for c in OPTIONAL if c not in columns]
    if absent:
        warnings.append(f"{source}: no {', '.join(absent)} column(s); those interaction rates are not fitted")
    out: list[Observation] = []
    while True:
        line = reader.line_num + 1  # where this record starts (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            warnings.append(f"{source}, row {line}: not valid CSV ({exc}); row skipped")
            continue
        if not any(c.strip() for c in cells):
            continue  # blank lines are common at the end of exports
        obs = _row(cells, columns, line, source, warnings)
        if obs is not None:
            out.append(obs)
    # Messages quote user cells, which may hold newlines: keep every warning on one line.
    return out, [one_line(w) for w in warnings]


def _row(cells, columns, line, source, warnings) -> Observation | None:
    def cell(name: str) -> str:
        j = columns[name]
        return cells[j] if j < len(cells) else ""

    def skip(column: str, why: str) -> None:
        warnings.append(f"{source}, row {line}, column {column}: {why}; row skipped")

    if len(cells) < len(columns):
        warnings.append(f"{source}, row {line}: has {len(cells)} cells, the header has {len(columns)}; "
                        "missing cells are read as blank")
    handle = cell("handle").strip()
    if not handle:
        skip("handle", "is blank")
        return None
    values = {}
    for name in ("followers", "views"):
        try:
            values[name] = _number(cell(name))
        except ValueError as exc:
            skip(name, f"{exc}; write a number such as 13900 or 13.9K")
            return None
    times = {}
    for name in ("posted_at", "observed_at"):
        try:
            times[name] = parse_time(cell(name))
        except ValueError as exc:
            skip(name, str(exc))
            return None
    if times["observed_at"] <= times["posted_at"]:
        skip("observed_at", "is not after posted_at; check the two dates")
        return None
    rates = {}
    for name in OPTIONAL:
        if name not in columns or not cell(name).strip():
            rates[name] = math.nan
            continue
        try:
            rates[name] = _number(cell(name))
        except ValueError as exc:
            warnings.append(f"{source}, row {line}, column {name}: {exc}; cell ignored")
            rates[name] = math.nan
    return Observation(line=line, handle=handle, followers=values["followers"], posted_at=times["posted_at"],
                       observed_at=times["observed_at"], views=values["views"], **rates)
