"""Domain errors.

The library raises these; only ``cli.py`` turns them into ``Error: ...`` lines and exit codes.
Every message is one line that says *where* (file, row, column or key) and *how to fix it*.

A message that names a setting names it the way its reader gives it (``said``, ``option``,
``read_option``): a Python keyword argument (``ReadOptions(mapping={"followers": "Takipci"})``,
``force=True``) by default, the command line's flag (``--map followers=Takipci``, ``--force``)
inside ``command_line_voice()``, which ``cli.py`` enters once around every command. Warnings are
messages too, so the same words reach ``Error:`` lines, ``Warning:`` lines and JSON output.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePath
from typing import Any


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


# --------------------------------------------------------------------------------------------
# Settings in messages: keyword arguments for Python callers, flags on the command line

#: Who reads the messages made now: "python" (a notebook, a script) or "cli" (``cli.py``).
_VOICE: ContextVar[str] = ContextVar("reachmix_voice", default="python")


@contextmanager
def command_line_voice() -> Iterator[None]:
    """Messages made inside name settings as command-line flags (``--encoding cp1254``) instead of
    keyword arguments (``ReadOptions(encoding="cp1254")``). ``cli.py`` enters it around every command."""
    token = _VOICE.set("cli")
    try:
        yield
    finally:
        _VOICE.reset(token)


def said(cli: str, python: str) -> str:
    """How a message names a setting: ``cli`` inside ``command_line_voice()``, else ``python``.

    Call it when the message is made (not in a module constant): the voice is the caller's.
    """
    return cli if _VOICE.get() == "cli" else python


def py_literal(value: Any) -> str:
    """``value`` as Python source for a message: strings (and paths) in double quotes, mappings and
    sequences element by element (``{"followers": "Takipci"}``), anything else by ``repr``."""
    if isinstance(value, PurePath):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    return repr(value)


def read_option(cli: str, **fields: Any) -> str:
    """A way of reading a file (``scenarios.table.ReadOptions``): ``read_option("--encoding cp1254",
    encoding="cp1254")`` is ``ReadOptions(encoding="cp1254")`` for Python callers and the flags
    ``cli`` on the command line."""
    return said(cli, "ReadOptions(" + ", ".join(f"{k}={py_literal(v)}" for k, v in fields.items()) + ")")


def option(name: str, value: Any = None) -> str:
    """A keyword argument that is also a flag: ``option("force", True)`` is ``force=True`` or
    ``--force``; ``option("out", "demo")`` is ``out="demo"`` or ``--out demo``; ``option("out")``
    is ``out`` or ``--out`` (``name`` may be written either way)."""
    bare = name.lstrip("-")
    flag, keyword = "--" + bare.replace("_", "-"), bare.replace("-", "_")
    if value is None:
        return said(flag, keyword)
    if value is True:
        return said(flag, f"{keyword}=True")
    return said(f"{flag} {value}", f"{keyword}={py_literal(value)}")


def in_this_voice(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` bound to the caller's voice, for work sent to another process (a spawned or Dask
    worker starts in Python's voice; a forked one inherits the caller's)."""
    return functools.partial(_run_in_voice, _VOICE.get(), fn)


def _run_in_voice(voice: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    token = _VOICE.set(voice)
    try:
        return fn(*args, **kwargs)
    finally:
        _VOICE.reset(token)
