"""``calibration=FILE`` (``--calibration FILE``): merge a fitted TOML (``Calibration.to_toml()``,
``reachmix calibrate --toml``) over a scenario.

A calibration file is a scenario fragment restricted to the tables a fit can speak to
(``CALIBRATION_TABLES``: ``[model]`` and ``[simulation]``). It is merged over the scenario's raw
document *before* validation, so the merged scenario is checked exactly like a hand-written one.

Merge rule: a table merges key by key (recursively, inline tables included: a calibration's
``view_curve = { scale = 12 }`` would change only the scale); any other value replaces the
scenario's (a calibration's ``view_rate = { nano = 1.2 }`` replaces a scenario's ``view_rate =
0.25``). ``changes`` lists every leaf that differs afterwards, dotted key -> ``[old, new]``
(``old`` is ``None`` when the scenario did not set it), for the command's output.

The calibration's own keys are validated alone first (``scenarios.loader``), so a typo or an
out-of-range value is an error naming the calibration file and the dotted key, not the scenario.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ScenarioError, did_you_mean, said
from .files import read_text

CALIBRATION_TABLES = ("model", "simulation")


def read_calibration(path: str | Path) -> dict[str, Any]:
    """The calibration TOML as a dict; errors name the file (and the key for a foreign table)."""
    path = Path(path)
    made_by = said("reachmix calibrate --toml FILE", "a saved reachmix.calibrate(history).to_toml()")
    text = read_text(path, ScenarioError, what="calibration file",
                     fix_path=said("check --calibration", "check the path given as calibration"),
                     directory=f"give the calibration .toml file ({made_by})", save_as="the calibration")
    source = str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: malformed TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: malformed TOML: arrays or tables nested too deeply") from None
    for key, value in doc.items():
        if key not in CALIBRATION_TABLES:
            raise ScenarioError(f"{source}: {key} is not a calibration table{did_you_mean(key, CALIBRATION_TABLES)}; "
                                "a calibration file sets [model] and [simulation] only")
        if not isinstance(value, dict):
            raise ScenarioError(f"{source}: {key} must be a table, e.g. [{key}]")
    return doc


def merge(doc: Mapping[str, Any], calibration: Mapping[str, Any]) -> tuple[dict, dict[str, list]]:
    """(a deep copy of ``doc`` with ``calibration`` merged in, the changes: dotted key -> [old, new])."""
    merged = copy.deepcopy(dict(doc))
    changes: dict[str, list] = {}
    _merge_into(merged, calibration, "", changes)
    return merged, changes


def _merge_into(node: dict, update: Mapping[str, Any], prefix: str, changes: dict[str, list]) -> None:
    for key, new in update.items():
        dotted = f"{prefix}{key}"
        old = node.get(key)
        if isinstance(new, Mapping) and isinstance(old, dict):
            _merge_into(old, new, dotted + ".", changes)
            continue
        if isinstance(new, Mapping) and old is None:
            node[key] = {}
            _merge_into(node[key], new, dotted + ".", changes)
            continue
        if old != new:
            changes[dotted] = [copy.deepcopy(old), copy.deepcopy(new)]
        node[key] = copy.deepcopy(new)


def describe(changes: Mapping[str, Any], source: str | Path | None = None, limit: int = 12) -> str:
    """One note line for tables: what the calibration changed."""
    if not changes:
        return f"Calibration {source or ''}: changed nothing (the scenario already has these values).".replace("  ", " ")
    parts = [f"{k} {_short(v[0])} -> {_short(v[1])}" for k, v in list(changes.items())[:limit]]
    more = f" and {len(changes) - limit} more" if len(changes) > limit else ""
    where = f" {source}" if source else ""
    return f"Calibration{where} changed: " + "; ".join(parts) + more + "."


def _short(value: Any) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_short(v)}" for k, v in value.items()) + "}"
    return str(value)
