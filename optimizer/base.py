"""The strategy interface, the registry and name resolution.

A strategy is any object with a ``name`` and ``select(scenario) -> Plan`` (``typing.Protocol``:
no base class needed). Constructors only store parameters (scikit-learn style); all work happens
in ``select``. Built-in names map to classes here; ``package.module:ClassName`` loads a user's own.
``make_strategy`` turns a name and settings into a configured object once (the command line, a
notebook); everything downstream (frontier, compare, sweep, bench, worker processes) takes that
object, and ``with_settings`` copies it with a setting changed (bench's per-instance seed).
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from scenarios import Plan, Scenario
from scenarios.errors import ReachmixError, did_you_mean


class StrategyError(ReachmixError):
    """An unknown strategy name or a user strategy that cannot be loaded."""


@runtime_checkable
class Strategy(Protocol):
    """Anything with a ``name`` and ``select(scenario) -> Plan``; constructors only store settings."""

    name: str

    def select(self, scenario: Scenario) -> Plan:
        """Choose posts per creator; must obey the scenario's rules (or report which it cannot)."""
        ...


_REGISTRY: dict[str, Callable[..., Strategy]] = {}


def register(name: str, factory: Callable[..., Strategy]) -> None:
    """Register a strategy class (or factory) under ``name``."""
    _REGISTRY[name] = factory


def strategy_names() -> tuple[str, ...]:
    """The registered strategy names, in registration order (``milp`` first)."""
    return tuple(_REGISTRY)


def _import_user_module(module_name: str):
    """Import a user's module, also from the current folder (as ``python -m`` would): the
    ``reachmix`` console script does not put the working directory on ``sys.path``."""
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.append(cwd)  # appended, so an installed package of the same name still wins
    try:
        return importlib.import_module(module_name)
    finally:
        if added:
            sys.path.remove(cwd)


def _check_spec(name: str) -> tuple[str, str]:
    """Split ``package.module:ClassName``, refusing what cannot be one before importing anything."""
    module_name, _, attr = name.partition(":")
    where = f'strategy "{name}"'
    if name != name.strip() or any(c.isspace() for c in name):
        raise StrategyError(f"{where}: a strategy name has no spaces; write package.module:ClassName")
    if not module_name:
        raise StrategyError(f"{where}: the module before \":\" is missing; write package.module:ClassName")
    if not attr:
        raise StrategyError(f"{where}: the class name after \":\" is missing; write package.module:ClassName")
    if ":" in attr:
        raise StrategyError(f'{where}: more than one ":"; write package.module:ClassName')
    if module_name.startswith("."):
        raise StrategyError(f"{where}: relative module names are not allowed; write the full dotted name, "
                            "package.module:ClassName")
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise StrategyError(f"{where}: {module_name} is not a dotted module name; write package.module:ClassName")
    if not attr.isidentifier():
        raise StrategyError(f"{where}: {attr} is not a class name; write package.module:ClassName")
    return module_name, attr


def _has_name(cls: type) -> bool:
    """``name`` as a class attribute or a declared field (a dataclass field with or without default)."""
    return hasattr(cls, "name") or any("name" in getattr(k, "__annotations__", {}) for k in cls.__mro__)


def resolve_strategy(name: str) -> Callable[..., Strategy]:
    """The class (or registered factory) for a strategy name, without constructing anything.

    For ``package.module:ClassName`` the module is imported (also from the working folder) and
    the attribute must be a class with a ``name`` and a callable ``select``: nothing else is
    ever called, so ``os:abort`` is refused, not run.
    """
    if not isinstance(name, str):
        raise StrategyError(f"strategy {name!r} must be a name such as milp or package.module:ClassName")
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" not in name:
        raise StrategyError(f'unknown strategy "{name}"{did_you_mean(name, _REGISTRY)}; use one of '
                            f'{", ".join(_REGISTRY)} or package.module:ClassName')
    module_name, attr = _check_spec(name)
    try:
        module = _import_user_module(module_name)
    except ImportError as exc:
        raise StrategyError(f'strategy "{name}": cannot import module {module_name} ({exc}); '
                            "check the name and that the package is installed") from None
    except (Exception, SystemExit) as exc:  # the user's module failed while importing: say so, no traceback
        raise StrategyError(f'strategy "{name}": importing module {module_name} failed '
                            f"({type(exc).__name__}: {exc}); fix the module") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise StrategyError(f'strategy "{name}": module {module_name} has no {attr}'
                            f"{did_you_mean(attr, dir(module))}")
    if not inspect.isclass(factory):
        kind = type(factory).__name__.replace("_", " ")
        raise StrategyError(f'strategy "{name}": {module_name}.{attr} is not a strategy class (it is a {kind}); '
                            "give a class with a name attribute and a select(scenario) method")
    missing = [what for what, ok in (("a name attribute", _has_name(factory)),
                                     ("a select(scenario) method", callable(getattr(factory, "select", None))))
               if not ok]
    if missing:
        raise StrategyError(f'strategy "{name}": {module_name}.{attr} is not a strategy class (it lacks '
                            f'{" and ".join(missing)})')
    # Its objects travel to worker processes (compare, sweep, bench) as this name and their settings,
    # so that a worker imports the module as it was found here (also from the working folder).
    copyreg.pickle(factory, functools.partial(_reduce_loaded, name))
    return factory


def _reduce_loaded(name: str, strategy: Any):
    """Pickle a strategy loaded by ``package.module:ClassName`` as that name and its settings."""
    settings = _constructor_settings(strategy)
    if any(v is _MISSING for v in settings.values()):
        return strategy.__reduce_ex__(4)  # not rebuildable from its settings: pickled as Python would
    return _rebuild, (name, settings)


def _rebuild(name: str, settings: dict[str, Any]) -> Strategy:
    return resolve_strategy(name)(**settings)


#: Settings one call site passes to whichever strategy the user picked (the CLI's --gap, --seed...):
#: dropped, not refused, when the chosen strategy has no such setting (greedy has no gap).
COMMON_SETTINGS = frozenset({"gap", "time_limit", "solver", "seed"})


def get_strategy(name: str, **params: Any) -> Strategy:
    """Instantiate a registered strategy, or ``package.module:ClassName``, with ``params``.

    The ``COMMON_SETTINGS`` (``gap``, ``time_limit``, ``solver``, ``seed``) are ignored by a
    strategy that does not take them, so that one call site can pass them to whichever strategy
    the user picked; any other setting the strategy does not take is a ``StrategyError`` with a
    "did you mean" (``gapp=0.5`` must not leave the gap at its default unnoticed).
    """
    factory = resolve_strategy(name)
    try:
        accepted = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        accepted = None
    if accepted is not None and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        known = [k for k, p in accepted.items()
                 if k != "name" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        for key in params:
            if key not in known and key not in COMMON_SETTINGS:
                takes = f"it takes {', '.join(known)}" if known else "it takes no settings"
                raise StrategyError(f'strategy "{name}": unknown setting {key}{did_you_mean(key, known)}; {takes}')
        params = {k: v for k, v in params.items() if k in known}
    elif accepted is None:
        params = {}
    strategy = factory(**params)
    if not isinstance(strategy, Strategy):
        raise StrategyError(f'strategy "{name}" has no name attribute and select(scenario) method')
    return strategy


def make_strategy(strategy: str | Strategy = "milp", **settings: Any) -> Strategy:
    """A configured strategy, made once where names and settings arrive (the command line, a notebook):
    ``make_strategy("milp", gap=1e-4)``, or an object passed through unchanged.

    ``settings`` left ``None`` are not passed. With a name, they go to ``get_strategy`` (the
    ``COMMON_SETTINGS`` a strategy does not take are dropped; any other unknown setting raises with
    a "did you mean"). With an object they are refused: configure the object instead.
    """
    given = {k: v for k, v in settings.items() if v is not None}
    if isinstance(strategy, str):
        return get_strategy(strategy, **given)
    if not isinstance(strategy, Strategy):
        raise StrategyError(f"strategy {strategy!r} is neither a name such as milp nor an object with a name "
                            "and a select(scenario) method")
    if given:
        raise StrategyError(f"{', '.join(given)} given with a configured strategy object; set them on the object, "
                            f"e.g. MilpStrategy({next(iter(given))}=...)")
    return strategy


def _constructor_settings(strategy: Strategy) -> dict[str, Any]:
    """The object's constructor arguments as stored on it (scikit-learn's ``get_params``): a
    dataclass's init fields, or each named constructor parameter read from the attribute of the same name."""
    if dataclasses.is_dataclass(strategy):
        return {f.name: getattr(strategy, f.name) for f in dataclasses.fields(strategy) if f.init}
    try:
        parameters = inspect.signature(type(strategy)).parameters
    except (TypeError, ValueError):
        return {}
    return {k: getattr(strategy, k, _MISSING) for k, p in parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


_MISSING = object()


def with_settings(strategy: Strategy, **settings: Any) -> Strategy:
    """A copy of ``strategy`` with those of ``settings`` its constructor takes (the others are not
    its business and are ignored): how ``bench`` gives each instance its seed and how
    ``min_budget_for_reach`` tightens the gap. The object itself is never changed.

    Works for dataclasses and for classes that store each constructor argument as an attribute of
    the same name (scikit-learn's rule); any other class is a ``StrategyError`` when a setting it
    takes must change.
    """
    current = _constructor_settings(strategy)
    changes = {k: v for k, v in settings.items() if k in current and k != "name"}
    if not changes or all(current[k] is not _MISSING and current[k] == v for k, v in changes.items()):
        return strategy
    if dataclasses.is_dataclass(strategy):
        return dataclasses.replace(strategy, **changes)
    missing = [k for k, v in current.items() if v is _MISSING and k not in changes]
    cls = type(strategy)
    if missing:
        raise StrategyError(f"strategy {getattr(strategy, 'name', cls.__name__)}: cannot make a copy with "
                            f"{', '.join(changes)} changed: {cls.__qualname__} does not store its constructor "
                            f"argument {', '.join(missing)} as an attribute of that name; store every argument "
                            "unchanged in __init__ (or make the class a dataclass)")
    return cls(**{**current, **changes})
