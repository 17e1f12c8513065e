"""Budgets of work, checked before the work starts.

A typo (``runs = 1e9``, ``--creators 2e9``, a sweep of two 10,000-point axes, a pool at
``/dev/zero``) must end in a one-line error that states the estimate, the limit and how to make
the job smaller, not in a ``MemoryError`` after the machine has started swapping.

The limit is ``MEMORY_SHARE`` of the memory this process may use: the machine's physical memory
(``os.sysconf``), lowered by a cgroup ``memory.max`` (containers, CI) and by ``RLIMIT_AS`` /
``RLIMIT_DATA`` when they are set. The environment variable ``REACHMIX_MEMORY_LIMIT`` overrides it
(bytes, or a number with a K, M, G or T suffix, powers of 1024: ``REACHMIX_MEMORY_LIMIT=8G``).
"""

from __future__ import annotations

import math
import os
import re

from .errors import ReachmixError

#: Share of the usable memory one reachmix command may plan to take. Half leaves room for the
#: interpreter, NumPy temporaries our estimates do not count, and whatever else runs on the machine.
MEMORY_SHARE = 0.5
#: Environment variable that overrides the limit (bytes, or with a K/M/G/T suffix).
ENV = "REACHMIX_MEMORY_LIMIT"
#: Used when the machine's memory cannot be read (not Linux/macOS): a conservative 4 GiB machine.
FALLBACK_MEMORY = 4 * 2**30
#: Reading a text input costs about this many times its size (the bytes, the decoded text and the
#: parsed columns); a file larger than limit / READ_OVERHEAD is refused before it is read.
READ_OVERHEAD = 4

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class ResourceLimitError(ReachmixError):
    """The job would need more memory than reachmix may use; the message says how to make it smaller."""


def parse_size(text: str) -> int:
    """``"512M"`` -> 536870912. Raises ``ValueError`` for anything that is not a positive size."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*", str(text),
                         re.IGNORECASE)
    if not match:
        raise ValueError(text)
    value = float(match.group(1)) * _UNITS[match.group(2).upper()]
    if not math.isfinite(value) or value < 1:
        raise ValueError(text)
    return int(value)


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``; whole bytes below 1 KiB."""
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return FALLBACK_MEMORY


def _usable_memory() -> tuple[int, str]:
    """The memory this process may use and what bounds it (for the message)."""
    usable, why = _physical_memory(), "this machine's memory"
    try:  # cgroup v2: a container's or CI job's memory cap
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            text = fh.read().strip()
        if text.isdigit() and 0 < int(text) < usable:
            usable, why = int(text), "this container's memory (cgroup memory.max)"
    except OSError:
        pass
    try:
        import resource

        for name in ("RLIMIT_AS", "RLIMIT_DATA"):
            soft = resource.getrlimit(getattr(resource, name))[0]
            if soft != resource.RLIM_INFINITY and 0 < soft < usable:
                usable, why = int(soft), f"the process limit {name}"
    except (ImportError, OSError, ValueError, AttributeError):
        pass
    return usable, why


def memory_limit() -> tuple[int, str]:
    """``(limit in bytes, where it comes from)``; a bad ``REACHMIX_MEMORY_LIMIT`` is a one-line error."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return parse_size(raw), f"{ENV}={raw}"
        except ValueError:
            raise ResourceLimitError(f"{ENV}={raw!r} is not a memory size; give bytes or a number with K, M or G "
                                     "(e.g. 8G)") from None
    usable, why = _usable_memory()
    return int(usable * MEMORY_SHARE), (f"{MEMORY_SHARE:.0%} of {why}, {format_bytes(usable)}; "
                                        f"set {ENV} to change it")


def memory_limit_bytes() -> int:
    """The memory budget of one command in bytes (see the module's docstring)."""
    return memory_limit()[0]


def check_memory(estimate_bytes: float, what: str, how_to_reduce: str) -> None:
    """Raise ``ResourceLimitError`` when ``estimate_bytes`` exceeds the limit.

    ``what`` names the job and where its size comes from ("--runs 1,000,000,000 x 56 days"),
    ``how_to_reduce`` says how to make it fit ("lower --runs or run it in parts").
    """
    limit, source = memory_limit()
    if not estimate_bytes <= limit:  # also refuses NaN
        shown = "more memory than any machine has" if not math.isfinite(estimate_bytes) or estimate_bytes > 2**60 \
            else f"about {format_bytes(estimate_bytes)} of memory"
        raise ResourceLimitError(f"{what} needs {shown}, more than the limit of {format_bytes(limit)} "
                                 f"({source}); {how_to_reduce}")
