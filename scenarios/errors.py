"""Domain errors.

The library raises these; only ``cli.py`` turns them into ``Error: ...`` lines and exit codes.
Every message is one line that says *where* (file, row, column or key) and *how to fix it*.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class ReachmixError(Exception):
    """Base class of every error a user can cause with their input."""

    exit_code = 2

    def __init__(self, *args: object) -> None:
        # Messages quote user data (handles, cells, TOML strings) that may hold line breaks; the
        # CLI prints ``Error: <message>`` as exactly one line, so collapse them here, once.
        if args and isinstance(args[0], str):
            args = (one_line(args[0]), *args[1:])
        super().__init__(*args)


class ScenarioError(ReachmixError):
    """The scenario file (TOML) is unreadable, malformed or inconsistent."""


class PoolError(ReachmixError):
    """The creator pool (CSV) is unreadable or has a bad cell."""


class PlanError(ReachmixError):
    """A plan JSON is unreadable or names creators that are not in the pool."""


class InfeasibleError(ReachmixError):
    """No plan satisfies the scenario's rules; the message names the rules in conflict."""

    exit_code = 3


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest choice, or ``''``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def one_line(text: str) -> str:
    """Collapse a message to a single line (messages may quote user data with newlines)."""
    return " ".join(str(text).split())


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_problem(text: str, exc: Exception) -> str:
    """``tomllib``'s message plus, where we can tell, what to change.

    TOML's bare keys allow only A-Z, a-z, 0-9, ``-`` and ``_``: planners write city names such as
    ``İstanbul = 0.73`` and get "Invalid initial character for a key part", which does not say that
    quoting the key is the fix.
    """
    message = str(exc)
    where = _TOML_AT.search(message)
    if where and "key" in message:
        line_no, col = int(where[1]), int(where[2])
        lines = text.splitlines()
        if 1 <= line_no <= len(lines):
            rest = lines[line_no - 1][col - 1:]
            word = re.match(r"[^\s=.\]\"']+", rest)
            if word and not word[0].isascii():
                return f'{message}; a key with letters outside A-Z must be quoted: write "{word[0]}" = ...'
    return message
