"""The command line's shared option types: one definition of what a number, a seed, a strategy or
a list of strategies is, so every command accepts and rejects the same things with the same words.

Click's own ``FloatRange`` lets ``nan`` through (every comparison with nan is false) and ``inf``
through any open upper end, and ``IntRange`` calls ``1e9`` "not a valid integer"; these types
close both gaps. Ranges are stated in ``--help`` by click (``[0<=x<=1]``). A rejected value is a
usage error (exit 2) naming the option.
"""

from __future__ import annotations

import functools
import math
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation

import click
from click.core import ParameterSource


def _interrupted_while_loading(signum, frame):
    sys.stderr.write("\nError: interrupted\n")
    raise SystemExit(130)


# Ctrl-C in the second or two the libraries take to import (pyarrow, numpy, ...) would print a
# traceback from deep inside an import, before cli's error handling exists. cli imports this module
# before the heavy ones; until it calls end_startup_interrupt_guard(), Ctrl-C is the promised one
# line and exit 130. Only when Python's own handler is in place (not under a test runner's).
_GUARDED = threading.current_thread() is threading.main_thread() and \
    signal.getsignal(signal.SIGINT) is signal.default_int_handler
if _GUARDED:
    signal.signal(signal.SIGINT, _interrupted_while_loading)


def end_startup_interrupt_guard() -> None:
    """Ctrl-C raises KeyboardInterrupt again (handled by ``ReachmixGroup.main``)."""
    if _GUARDED and signal.getsignal(signal.SIGINT) is _interrupted_while_loading:
        signal.signal(signal.SIGINT, signal.default_int_handler)

#: Seeds are non-negative and fit 32 bits, the range every random generator we use takes as is.
SEED_MAX = 2**32 - 1


class FiniteFloat(click.FloatRange):
    """A float in a range; ``nan`` and ``inf`` are refused whatever the range."""

    name = "number"

    def convert(self, value, param, ctx):
        given = value
        if isinstance(value, str):
            given = value.strip()
            try:
                value = float(given)
            except ValueError:
                self.fail(f"{given!r} is not a number.", param, ctx)
        if isinstance(value, float) and not math.isfinite(value):
            # "1e400" overflows to inf: quote what was typed, not what it became
            self.fail(f"{given} is not a finite number.", param, ctx)
        return super().convert(value, param, ctx)


class WholeNumber(click.IntRange):
    """An integer in a range; also written as ``1e6`` or ``1_000_000`` when the value is whole."""

    name = "integer"

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            text = value.strip().replace("_", "")
            try:
                number = Decimal(text)
            except InvalidOperation:
                self.fail(f"{value!r} is not a whole number.", param, ctx)
            if not number.is_finite() or number != number.to_integral_value():
                self.fail(f"{value} is not a whole number.", param, ctx)
            # Checked before int(): int(Decimal("1e999999999")) would build a billion-digit integer.
            if number.adjusted() > 30:
                self.fail(f"{value} is far too large{self._range_hint()}.", param, ctx)
            value = int(number)
        return super().convert(value, param, ctx)

    def _range_hint(self) -> str:
        described = self._describe_range()
        return f" (the range is {described})" if described else ""


def seed_type() -> WholeNumber:
    return WholeNumber(0, SEED_MAX)


class StrategyName(click.ParamType):
    """A strategy name or ``package.module:ClassName``, resolved (and a user's class checked) at
    parse time so a bad one is reported against the option before any work starts."""

    name = "strategy"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        _check_strategy(value, self, param, ctx)
        return value


class StrategyList(click.ParamType):
    """One or more strategies, comma-separated; used with ``multiple=True`` so repeating the option
    also works (``--strategy milp,greedy`` == ``--strategy milp --strategy greedy``)."""

    name = "strategy[,strategy...]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        names = tuple(s.strip() for s in str(value).split(","))
        if not any(names):
            self.fail("give at least one strategy name.", param, ctx)
        if "" in names:
            self.fail(f"{value!r} has an empty name between commas.", param, ctx)
        for name in names:
            _check_strategy(name, self, param, ctx)
        return names


def flatten(ctx, param, value):
    """Callback for a ``multiple=True`` StrategyList option: the names in order, duplicates dropped."""
    out: list[str] = []
    for group in value or ():
        for name in (group if isinstance(group, tuple) else (group,)):
            if name not in out:
                out.append(name)
    return tuple(out)


def _check_strategy(name: str, type_: click.ParamType, param, ctx) -> None:
    # A bad name raises the library's StrategyError (exit 2), whose message already quotes the
    # spec and says what is wrong; the same words as when the library is called directly.
    from optimizer.base import resolve_strategy  # lazy: keeps `reachmix --help` fast

    resolve_strategy(name)


class DaskAddress(click.ParamType):
    """``local:N`` or a scheduler address (``tcp://host:8786``); the syntax is checked here, the
    scheduler itself when the work starts."""

    name = "address"

    def convert(self, value, param, ctx):
        from whatif.parallel import ParallelError, check_address

        try:
            check_address(value)
        except ParallelError as exc:  # the library names the option and the address; click the option
            self.fail(f"{value}: " + str(exc).removeprefix(f"--dask {value}: "), param, ctx)
        return value


# Shared instances: the types carry their ranges, so `--help` states them the same way everywhere.
FRACTION = FiniteFloat(0, 1)
POSITIVE = FiniteFloat(0, min_open=True)
SHARE = FiniteFloat(0, 1, min_open=True)
SEED = seed_type()
STRATEGY = StrategyName()
STRATEGIES = StrategyList()
DASK_ADDRESS = DaskAddress()


def parallel_options(f):
    """--jobs, --dask and the Dask timeouts; the command receives ``n_jobs`` and ``dask`` (None or
    a ``DaskTarget`` carrying the timeouts)."""
    from whatif.parallel import CONNECT_TIMEOUT_ENV, TIMEOUT_ENV

    @functools.wraps(f)
    def command(*args, n_jobs, dask, dask_connect_timeout, dask_timeout, **kwargs):
        from whatif.parallel import DaskTarget, check_address

        ctx = click.get_current_context()
        given = {name: ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
                 for name in ("n_jobs", "dask_connect_timeout", "dask_timeout")}
        if dask is None:
            for name, flag in (("dask_connect_timeout", "--dask-connect-timeout"), ("dask_timeout", "--dask-timeout")):
                if given[name]:
                    raise click.UsageError(f"{flag} applies only with --dask", ctx)
        else:
            if given["n_jobs"]:
                raise click.UsageError("--jobs (local processes) and --dask (a cluster) exclude each other; "
                                       "give one", ctx)
            for warning in check_address(dask):
                click.echo(f"Warning: {warning}", err=True)
            dask = DaskTarget(dask, dask_connect_timeout, dask_timeout)
        return f(*args, n_jobs=n_jobs, dask=dask, **kwargs)

    command = click.option("--dask-timeout", type=POSITIVE, default=None, envvar=TIMEOUT_ENV, show_envvar=True,
                           metavar="SECONDS",
                           help="With --dask: give up when the whole run takes longer than this many seconds "
                                "(default: no limit).")(command)
    command = click.option("--dask-connect-timeout", type=POSITIVE, default=None, envvar=CONNECT_TIMEOUT_ENV,
                           show_envvar=True, metavar="SECONDS",
                           help="With --dask: seconds to wait for the scheduler to accept and answer "
                                "Dask's handshake (default: 10).")(command)
    command = click.option("--dask", default=None, type=DASK_ADDRESS,
                           help="Run on a Dask scheduler (tcp://host:8786) or on local:N, a local cluster of N "
                                "workers (at most this machine's cores). Results travel pickled: use only "
                                "clusters you trust (docs/architecture.md).")(command)
    command = click.option("--jobs", "n_jobs", type=WholeNumber(1), default=1, show_default=True,
                           help="Local worker processes (not with --dask).")(command)
    return command
