"""The strategy interface, the registry and name resolution.

A strategy is any object with a ``name`` and ``select(scenario) -> Plan`` (``typing.Protocol``:
no base class needed). Constructors only store parameters (scikit-learn style); all work happens
in ``select``. Built-in names map to classes here; ``package.module:ClassName`` loads a user's own.
"""

from __future__ import annotations

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
    name: str

    def select(self, scenario: Scenario) -> Plan:
        """Choose posts per creator; must obey the scenario's rules (or report which it cannot)."""
        ...


_REGISTRY: dict[str, Callable[..., Strategy]] = {}


def register(name: str, factory: Callable[..., Strategy]) -> None:
    """Register a strategy class (or factory) under ``name``."""
    _REGISTRY[name] = factory


def strategy_names() -> tuple[str, ...]:
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


def get_strategy(name: str, **params: Any) -> Strategy:
    """Instantiate a registered strategy, or ``package.module:ClassName``.

    ``params`` not accepted by the strategy's constructor are ignored, so that one call site can
    pass ``gap``, ``seed`` and ``time_limit`` to whichever strategy the user picked.
    """
    if name in _REGISTRY:
        factory = _REGISTRY[name]
    elif ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = _import_user_module(module_name)
        except ImportError as exc:
            raise StrategyError(f'strategy "{name}": cannot import module {module_name} ({exc}); '
                                "check the name and that the package is installed") from None
        factory = getattr(module, attr, None)
        if factory is None:
            raise StrategyError(f'strategy "{name}": module {module_name} has no {attr}'
                                f"{did_you_mean(attr, dir(module))}")
    else:
        raise StrategyError(f'unknown strategy "{name}"{did_you_mean(name, _REGISTRY)}; use one of '
                            f'{", ".join(_REGISTRY)} or package.module:ClassName')
    try:
        accepted = inspect.signature(factory).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            params = {k: v for k, v in params.items() if k in accepted and k != "name"}
    except (TypeError, ValueError):
        params = {}
    strategy = factory(**params)
    if not isinstance(strategy, Strategy):
        raise StrategyError(f'strategy "{name}" has no name attribute and select(scenario) method')
    return strategy
