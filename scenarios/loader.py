"""Reading and validating a scenario TOML (contract section 3).

Every problem raises ``ScenarioError`` (or ``PoolError`` for the CSV) naming the file and the
dotted key, with a fix. Unknown keys are errors with a "did you mean" suggestion, because a typo
silently ignored would change a plan without anyone noticing.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .audience import AGE_ALIASES, DIMENSIONS, GENDERS, TargetAudience, normalise_tag
from .calibration_file import merge as merge_calibration, read_calibration
from .defaults import DEFAULT_ENGAGEMENT_BY_TIER, DEFAULT_INTERACTION_SPLIT
from .cells import fold_name
from .errors import ReachmixError, ScenarioError, did_you_mean, toml_problem
from . import pool_memory
from .files import read_text
from .numbers import parse_number
from .objective_risk import with_risk
from .pool import CreatorPool
from .pool_csv import KNOWN as POOL_COLUMNS, MAX_POSTS_LIMIT, PoolOptions, read_pool
from .scenario import (
    KPI_METRICS,
    KPI_WINDOWS,
    OBJECTIVES,
    Constraints,
    KpiTarget,
    ModelParams,
    Objective,
    Scenario,
    ScheduleRules,
    SimulationSettings,
    SpendCap,
)
from .table import ReadOptions
from .tiers import DEFAULT_BOUNDS, TIER_NAMES, Tiers
from .view_model import VIEW_MODELS

TOP_KEYS = ("name", "currency", "pool", "budget", "audience", "tiers", "constraints", "objective", "model",
            "simulation", "kpi", "schedule")
GENDER_ALIASES = {"female": "female", "f": "female", "women": "female", "woman": "female",
                  "male": "male", "m": "male", "men": "male", "man": "male"}


class _Doc:
    """Typed access to one TOML table, with errors that name file and dotted key."""

    def __init__(self, source: str, table: Mapping[str, Any], prefix: str = ""):
        self.source, self.table, self.prefix = source, table, prefix

    def err(self, key: str, why: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {self.prefix}{key} {why}")

    def check_keys(self, allowed) -> None:
        for key in self.table:
            if key not in allowed:
                raise self.err(key, f"is not a known key{did_you_mean(key, allowed)}; remove or correct it")

    def sub(self, key: str) -> "_Doc":
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.err(key, "must be a table, e.g. [" + self.prefix + key + "]")
        return _Doc(self.source, value, f"{self.prefix}{key}.")

    def number(self, key: str, default=None, *, low=None, high=None, low_open=False, integer=False):
        if key not in self.table:
            if default is ...:
                raise self.err(key, "is required")
            return default
        value = self.table[key]
        if isinstance(value, bool):
            raise self.err(key, f"must be a number, not {str(value).lower()}")
        if isinstance(value, str):
            try:
                value = parse_number(value)
            except ValueError as exc:
                raise self.err(key, f"{exc}; write a number") from None
        if not isinstance(value, (int, float)):
            raise self.err(key, f"must be a number, not {type(value).__name__}")
        try:
            float(value)
        except OverflowError:  # a TOML integer with hundreds of digits
            raise self.err(key, "is too large; write a smaller number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise self.err(key, "must be a finite number")
        if integer and value != int(value):
            raise self.err(key, f"must be a whole number, not {value}")
        if low is not None and (value < low or (low_open and value == low)):
            raise self.err(key, f"= {value:g} is too small; it must be {'>' if low_open else '>='} {low:g}")
        if high is not None and value > high:
            raise self.err(key, f"= {value:g} is too large; it must be <= {high:g}")
        return int(value) if integer else float(value)

    def string(self, key: str, default=None, choices=None) -> str | None:
        if key not in self.table:
            if default is ...:
                raise self.err(key, "is required")
            return default
        value = self.table[key]
        if not isinstance(value, str):
            raise self.err(key, f"must be a string, not {type(value).__name__}")
        if choices is not None and value not in choices:
            raise self.err(key, f'"{value}" is not one of {", ".join(choices)}{did_you_mean(value, choices)}')
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        if key not in self.table:
            return None
        value = self.table[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.err(key, 'must be a list of strings, e.g. ["a", "b"]')
        return tuple(value)

    def mapping(self, key: str, keys, convert: Callable[["_Doc", str], Any], what: str) -> Mapping[str, Any]:
        sub = self.sub(key)
        for k in sub.table:
            if k not in keys:
                raise sub.err(k, f"is not a known {what}{did_you_mean(k, keys)}; use one of {', '.join(keys)}")
        return MappingProxyType({k: convert(sub, k) for k in sub.table})


def read_scenario_document(path: str | Path) -> dict[str, Any]:
    """The scenario TOML as a dict (not yet validated), with the loader's one-line errors."""
    source = str(path)
    text = read_text(path, ScenarioError, what="scenario file", directory="give the scenario .toml file",
                     save_as="the scenario")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: malformed TOML: {toml_problem(text, exc)}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: malformed TOML: arrays or tables nested too deeply") from None


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None,
                  calibration: str | Path | None = None, read_options: ReadOptions | None = None,
                  pool: CreatorPool | None = None) -> Scenario:
    """Read a scenario TOML and its pool (unless ``pool`` is given, e.g. by an earlier point of a
    sweep: see ``scenario_from_dict``); ``overrides`` maps dotted keys to values (for sweeps).

    ``read_options`` (``--map``, ``--delimiter``, ``--encoding``, ``--decimal``) take precedence over
    the scenario's ``[pool] delimiter/encoding/decimal`` and ``[pool.columns]``.

    ``calibration`` is a fitted TOML (``reachmix calibrate --toml``) merged over the document
    before the overrides and before validation; ``Scenario.calibration`` lists what it changed.
    """
    path = Path(path)
    source = str(path)
    doc = read_scenario_document(path)
    try:
        changes = None
        if calibration is not None:
            doc, changes = apply_calibration(doc, calibration)
        if overrides:
            doc = apply_overrides(doc, overrides, source)
        scenario = scenario_from_dict(doc, base_dir=path.parent, source=source, path=path,
                                      read_options=read_options, pool=pool)
        if changes is not None:
            scenario = dataclasses.replace(scenario, calibration=MappingProxyType(changes))
        return scenario
    except RecursionError:
        raise ScenarioError(f"{source}: arrays or tables nested too deeply; flatten them") from None


def apply_calibration(doc: Mapping[str, Any], path: str | Path) -> tuple[dict, dict[str, list]]:
    """Merge the calibration TOML at ``path`` over ``doc`` (see ``scenarios.calibration_file``).

    Its tables are validated on their own first, so an error names the calibration file and key.
    """
    cal = read_calibration(path)
    source = str(path)
    if "model" in cal:
        _model(_Doc(source, cal["model"], "model."))
    if "simulation" in cal:
        _dataclass_table(_Doc(source, cal["simulation"], "simulation."), SimulationSettings)
    return merge_calibration(doc, cal)


def apply_overrides(doc: Mapping[str, Any], overrides: Mapping[str, Any], source: str) -> dict:
    """A deep copy of ``doc`` with each dotted key set (``budget.total`` -> doc["budget"]["total"])."""
    doc = copy.deepcopy(dict(doc))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        if not all(parts):
            raise ScenarioError(f'{source}: "{dotted}" is not a dotted key such as budget.total')
        node = doc
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ScenarioError(f'{source}: cannot set "{dotted}": {part} is not a table')
            node = child
        node[parts[-1]] = value
    return doc


def scenario_from_dict(doc: Mapping[str, Any], base_dir: Path, source: str, path: Path | None = None,
                       pool: CreatorPool | None = None, read_options: ReadOptions | None = None) -> Scenario:
    """Validate a parsed TOML document and build the ``Scenario`` (reads the pool unless given).

    A given ``pool`` gets the document's pool settings too (``constraints.max_posts`` and the
    ``[model]`` defaults for blank cells): one read from text or a file is read again with them
    when they differ; one built from arrays refuses ``[pool]`` reading keys (``pool_memory``).
    ``[pool] file`` is not read when a pool is given.
    """
    top = _Doc(source, doc)
    top.check_keys(TOP_KEYS)
    name = top.string("name", default=(path.stem if path else "scenario"))
    currency = top.string("currency", default="USD")

    budget_doc = top.sub("budget")
    budget_doc.check_keys(("total", *SPEND_PERIODS))
    budget = budget_doc.number("total", ..., low=0.0, low_open=True)
    spend_caps = _spend_caps(budget_doc)

    model = _model(top.sub("model"))
    constraints_doc = top.sub("constraints")
    default_max_posts = constraints_doc.number("max_posts", 3, low=0, high=MAX_POSTS_LIMIT, integer=True)
    tiers = _tiers(top.sub("tiers"))
    # Before the pool: its availability dates are read as days from start_date.
    schedule = dataclasses.replace(_schedule(top.sub("schedule")), spend_caps=spend_caps)

    pool_doc = top.sub("pool")
    pool_doc.check_keys(("file", "engagement_basis", "columns", "delimiter", "encoding", "decimal"))
    basis = pool_doc.string("engagement_basis", "views", choices=("views", "followers"))
    pool_options = PoolOptions(
        view_rate=model[0].view_rate,
        view_curve=model[0].view_curve,
        view_model=model[0].view_model,
        engagement_basis=basis,
        default_max_posts=default_max_posts,
        tiers=tiers,
        engagement_by_tier=model[1],
        interaction_split=model[2],
        start_date=schedule.start_date,
    )
    reading = _pool_read_options(pool_doc).merged(read_options)
    if pool is None:
        pool_file = base_dir / pool_doc.string("file", ...)
        pool = read_pool(pool_file, pool_options, reading)
        pool_memory.remember(pool, pool_memory.PoolOrigin(pool_options, reading, path=pool_file, source=str(pool_file)))
    else:
        # A pool given in memory gets this scenario's settings too (re-read), or a clear refusal.
        pool = pool_memory.apply_settings(pool, pool_options, reading, pool_doc.table, source)
    audience = _audience(top.sub("audience"), pool, source)
    constraints = _constraints(constraints_doc, default_max_posts, pool)
    objective = _objective(top.sub("objective"))
    simulation = _dataclass_table(top.sub("simulation"), SimulationSettings)
    objective = with_risk(top.sub("objective"), objective, simulation)
    kpis = _kpis(top, doc.get("kpi", []))
    if objective.for_kpis and not kpis:
        raise top.err("objective.maximize", '= "kpi" needs at least one [[kpi]] target (metric, target, by_day)')
    return Scenario(
        name=name,
        currency=currency,
        budget=budget,
        pool=pool,
        audience=audience,
        tiers=tiers,
        constraints=constraints,
        objective=objective,
        model=model[0],
        simulation=simulation,
        kpis=kpis,
        schedule=schedule,
        path=path,
        raw=MappingProxyType(copy.deepcopy(dict(doc))),
    )


def _pool_read_options(d: _Doc) -> ReadOptions:
    """``[pool] delimiter/encoding/decimal`` and ``[pool.columns] TARGET = "SOURCE"``."""
    columns = d.sub("columns")
    mapping = {}
    for target in columns.table:
        if target not in POOL_COLUMNS:
            raise columns.err(target, f"is not a pool column reachmix reads{did_you_mean(target, POOL_COLUMNS)}; "
                                      f"use one of {', '.join(POOL_COLUMNS[:11])}, ...")
        mapping[target] = columns.string(target)
    values = {"delimiter": d.string("delimiter"), "encoding": d.string("encoding"),
              "decimal": d.string("decimal", None, choices=("dot", "comma", ".", ","))}
    for key, value in values.items():  # each key alone, so that the message names it
        try:
            ReadOptions(**{key: value})
        except ReachmixError as exc:
            raise d.err(key, str(exc).split(" ", 1)[1]) from None  # 'encoding "x" is ...' -> 'pool.encoding "x" is ...'
    return ReadOptions(mapping=mapping, **values)


def _dataclass_table(d: _Doc, cls):
    """Read a table whose keys are the fields of a settings dataclass (numbers, bounded by metadata)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    d.check_keys(tuple(fields))
    values = {}
    for key, f in fields.items():
        if key in d.table:
            meta = f.metadata
            integer = f.type in (int, "int")
            values[key] = d.number(key, low=meta.get("low", 0.0), high=meta.get("high"),
                                   low_open=meta.get("low_open", False), integer=integer)
    return cls(**values)


def _model(d: _Doc) -> tuple[ModelParams, Mapping[str, float], Mapping[str, float]]:
    d.check_keys(tuple(f.name for f in dataclasses.fields(ModelParams)) + ("engagement_by_tier", "interaction_split"))
    params = ModelParams(
        repeat_decay=d.number("repeat_decay", ModelParams.repeat_decay, low=0.0, high=1.0, low_open=True),
        interest_floor=d.number("interest_floor", ModelParams.interest_floor, low=0.0, high=1.0),
        view_rate=_view_rate(d),
        view_curve=_view_curve(d),
        view_model=d.string("view_model", None, choices=VIEW_MODELS),
    )
    if params.view_model == "rate" and params.view_rate is None:
        raise d.err("view_model", '= "rate" needs a view_rate (e.g. view_rate = { nano = 1.2 }) or view_model = "curve"')
    by_tier = dict(DEFAULT_ENGAGEMENT_BY_TIER)
    by_tier.update(d.mapping("engagement_by_tier", TIER_NAMES, lambda s, k: s.number(k, low=0.0, high=1.0), "tier"))
    split = dict(DEFAULT_INTERACTION_SPLIT)
    if "interaction_split" in d.table:
        given = d.mapping("interaction_split", ("likes", "comments", "shares"),
                          lambda s, k: s.number(k, low=0.0, high=1.0), "interaction")
        if set(given) != {"likes", "comments", "shares"} or abs(sum(given.values()) - 1.0) > 1e-6:
            raise d.err("interaction_split", "needs likes, comments and shares summing to 1")
        split = dict(given)
    return params, MappingProxyType(by_tier), MappingProxyType(split)


def _view_rate(d: _Doc) -> float | Mapping[str, float] | None:
    """``view_rate = 0.25`` (every tier) or ``view_rate = { nano = 1.2, ... }`` (per tier)."""
    if isinstance(d.table.get("view_rate"), dict):
        rates = d.mapping("view_rate", TIER_NAMES, lambda s, k: s.number(k, low=0.0, low_open=True), "tier")
        if not rates:
            raise d.err("view_rate", "is an empty table; give a rate per tier, e.g. { nano = 1.2 }, or remove it")
        return rates
    return d.number("view_rate", None, low=0.0, low_open=True)


def _view_curve(d: _Doc) -> Mapping[str, float] | None:
    """``view_curve = { scale = 68, exponent = 0.74 }``: avg_views = scale * followers^exponent."""
    if "view_curve" not in d.table:
        return None
    curve = d.mapping("view_curve", ("scale", "exponent"),
                      lambda s, k: s.number(k, low=0.0, low_open=True, high=None if k == "scale" else 2.0), "key")
    if set(curve) != {"scale", "exponent"}:
        raise d.err("view_curve", "needs both scale and exponent, e.g. { scale = 68, exponent = 0.74 }")
    return curve


def _tiers(d: _Doc) -> Tiers:
    bounds = dict(DEFAULT_BOUNDS)
    d.check_keys(TIER_NAMES)
    for name in d.table:
        value = d.table[name]
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise d.err(name, "must be [low, high] follower counts, e.g. [10000, 100000]")
        try:
            low, high = float(value[0]), float(value[1])
        except OverflowError:
            raise d.err(name, "has a number too large; use inf for an open upper end") from None
        if not 0 <= low < high:
            raise d.err(name, f"= [{low:g}, {high:g}] needs 0 <= low < high")
        bounds[name] = (low, high)
    ordered = [bounds[n] for n in TIER_NAMES]
    edge = 0.0
    for name, (low, high) in zip(TIER_NAMES, ordered):
        if low != edge:
            raise d.err(name, f"starts at {low:g} but the tier below ends at {edge:g}; tiers must cover "
                              "every follower count without gaps or overlaps, so adjust the neighbouring tier")
        edge = high
    if edge != float("inf"):
        raise d.err("mega", f"ends at {edge:g}; the top tier must be open-ended (no upper bound)")
    return Tiers(bounds=tuple(ordered))


def _audience(d: _Doc, pool: CreatorPool, source: str) -> TargetAudience:
    d.check_keys(("size", "age", "gender", "locations", "interests", "population"))
    values: dict[str, tuple[str, ...] | None] = {}
    for dim in DIMENSIONS:
        raw = d.strings(dim)
        if raw is not None and not raw:
            raise d.err(dim, "is an empty list; omit it to mean everyone")
        values[dim] = None if raw is None else tuple(dict.fromkeys(_canonical(d, dim, v, pool) for v in raw))
        if raw is not None and pool.dimension_shares(dim) is None:
            col = {"age": "age_18_24, ...", "gender": "female, male", "locations": "loc_<Name>"}[dim]
            raise ScenarioError(f"{source}: audience.{dim} restricts the target but the pool {pool.source} has no "
                                f"{col} columns; add them or remove audience.{dim}")
    interests = frozenset(normalise_tag(t) for t in (d.strings("interests") or ()) if normalise_tag(t))
    population = {}
    pop = d.sub("population")
    pop.check_keys(DIMENSIONS)
    for dim in pop.table:
        if values[dim] is None:
            raise pop.err(dim, f"is given but audience.{dim} is open; restrict audience.{dim} or remove this")
        split = pop.sub(dim)
        shares = {}
        for k in split.table:
            value = _canonical(split, dim, k, pool, key=True)
            if value not in values[dim]:
                raise split.err(k, f"is not in audience.{dim} ({', '.join(values[dim])})")
            shares[value] = split.number(k, low=0.0)
        missing = [v for v in values[dim] if v not in shares]
        if missing:
            raise pop.err(dim, f"has no share for {', '.join(missing)}; give one for every target value")
        total = sum(shares.values())
        if total <= 0:
            raise pop.err(dim, "shares sum to 0; give positive shares")
        population[dim] = MappingProxyType({v: shares[v] / total for v in values[dim]})
    size = d.number("size", None, low=0.0, low_open=True)
    if size is None:
        size = _default_audience_size(pool)
    return TargetAudience(size=size, interests=interests, population=MappingProxyType(population), **values)


def _default_audience_size(pool: CreatorPool) -> float:
    # Without a platform estimate we take the pool's total followers: an upper estimate of the
    # people this pool can reach (documented in docs/assumptions.md; set audience.size instead).
    return float(max(pool.followers.sum(), 1.0))


def _canonical(d: _Doc, dim: str, value: str, pool: CreatorPool, key: bool = False) -> str:
    """Canonical spelling of an audience value, or an error naming the key and the choices."""
    if dim == "age":
        choices = AGE_ALIASES
        found = choices.get(value.strip().lower().replace(" ", ""))
    elif dim == "gender":
        choices = GENDER_ALIASES
        found = choices.get(value.strip().lower())
    else:
        names = pool.location_names
        by_fold = {fold_name(n): n for n in names}  # loc_İstanbul matches "Istanbul" and "ISTANBUL"
        found = by_fold.get(fold_name(value))
        choices = names
        if found is None and names:
            raise d.err(value if key else dim, f'"{value}" is not a location of the pool (columns loc_*: '
                        f'{", ".join(names[:8])}){did_you_mean(value, names)}')
        if found is None:
            return value  # reported as "no loc_ columns" by the caller
    if found is None:
        shown = {"age": "13-17, 18-24, 25-34, 35-44, 45-54, 55+", "gender": ", ".join(GENDERS)}[dim]
        raise d.err(value if key else dim, f'"{value}" is not a known {dim} value; use {shown}'
                    f'{did_you_mean(value, list(choices))}')
    return found


def _constraints(d: _Doc, max_posts: int, pool: CreatorPool) -> Constraints:
    d.check_keys(tuple(f.name for f in dataclasses.fields(Constraints)))
    index = pool.index_of()

    def handle_list(key: str) -> tuple[str, ...]:
        listed = d.strings(key) or ()
        for h in listed:
            if h not in index:
                raise d.err(key, f'names "{h}", which is not in the pool {pool.source}'
                                 f"{did_you_mean(h, pool.handles)}; correct or remove it")
        # The pool's own spelling, so that "@AYSE.MAKEUP" and "@ayse.makeup" are one creator.
        return tuple(dict.fromkeys(pool.handles[index[h]] for h in listed))

    must, exclude = handle_list("must_include"), handle_list("exclude")
    both = set(must) & set(exclude)
    if both:
        raise d.err("exclude", f'names "{sorted(both)[0]}", which must_include also names; keep it in one list')
    return Constraints(
        max_posts=max_posts,
        min_count=d.mapping("min_count", TIER_NAMES, lambda s, k: s.number(k, low=0, integer=True), "tier"),
        max_count=d.mapping("max_count", TIER_NAMES, lambda s, k: s.number(k, low=0, integer=True), "tier"),
        min_budget_share=d.mapping("min_budget_share", TIER_NAMES,
                                   lambda s, k: s.number(k, low=0.0, high=1.0), "tier"),
        max_budget_share=d.mapping("max_budget_share", TIER_NAMES,
                                   lambda s, k: s.number(k, low=0.0, high=1.0), "tier"),
        max_creator_share=d.number("max_creator_share", None, low=0.0, high=1.0, low_open=True),
        must_include=must,
        exclude=exclude,
        min_engagement_rate=d.number("min_engagement_rate", None, low=0.0, high=1.0),
        min_target_match=d.number("min_target_match", None, low=0.0, high=1.0),
    )


def _objective(d: _Doc) -> Objective:
    d.check_keys(("maximize", "weights", "risk"))
    if "weights" in d.table:
        weights = d.mapping("weights", OBJECTIVES, lambda s, k: s.number(k, low=0.0), "objective")
        if not weights or not any(weights.values()):
            raise d.err("weights", "needs at least one positive weight")
        return Objective(weights=MappingProxyType({k: v for k, v in weights.items() if v}))
    maximize = d.string("maximize", "target_reach", choices=OBJECTIVES + ("kpi",))
    if maximize == "kpi":
        return Objective(for_kpis=True)
    return Objective(weights=MappingProxyType({maximize: 1.0}))


def _kpis(top: _Doc, raw) -> tuple[KpiTarget, ...]:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise top.err("kpi", "must be an array of tables: [[kpi]]")
    out = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise top.err(f"kpi[{k}]", "must be a table with metric, target and by_day")
        d = _Doc(top.source, item, f"kpi[{k}].")
        d.check_keys(tuple(f.name for f in dataclasses.fields(KpiTarget)))
        out.append(KpiTarget(
            metric=d.string("metric", ..., choices=KPI_METRICS),
            target=d.number("target", ..., low=0.0, low_open=True),
            by_day=d.number("by_day", ..., low=0, integer=True),
            priority=d.number("priority", 1, low=1, integer=True),
            window=d.string("window", "campaign", choices=KPI_WINDOWS),
        ))
    # Highest priority (1) first; ties keep file order.
    return tuple(sorted(out, key=lambda t: t.priority))


#: Latest campaign day a schedule may name (about 100 years): keeps days in 64-bit integers.
MAX_CAMPAIGN_DAY = 36_500


def _date(d: _Doc, key: str, value) -> datetime.date:
    """A TOML date (``2025-03-01``) or an ISO date string (``"2025-03-01"``)."""
    if isinstance(value, datetime.datetime):
        raise d.err(key, f"= {value.isoformat()} has a time of day; give a date such as 2025-03-01")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = f'"{value}"' if isinstance(value, str) else type(value).__name__
    raise d.err(key, f"= {shown[:40]} is not a date; write an ISO date such as 2025-03-01")


#: ``[budget]`` spend caps per period and the period's length in days (the simulator's roll-ups).
SPEND_PERIODS = {"by_week": 7, "by_month": 30}


def _spend_caps(d: _Doc) -> tuple[SpendCap, ...]:
    """``[budget] by_week = 50000`` (every week) or ``[budget.by_week]`` with ``1 = 60000``, ``every = ...``."""
    out = []
    for name, length in SPEND_PERIODS.items():
        if name not in d.table:
            continue
        raw = d.table[name]
        if not isinstance(raw, dict):
            out.append(SpendCap(name, length, every=d.number(name, ..., low=0.0, low_open=True)))
            continue
        sub = d.sub(name)
        periods = {}
        for key in sub.table:
            if key == "every":
                continue
            if not (isinstance(key, str) and key.isdigit() and int(key) >= 1):
                unit = "week" if length == 7 else "month"
                raise sub.err(key, f"is not a {unit} number; use 1, 2, ... (campaign {unit}s from day 0) or every")
            periods[int(key)] = sub.number(key, ..., low=0.0, low_open=True)
        every = sub.number("every", None, low=0.0, low_open=True)
        if not periods and every is None:
            raise d.err(name, "is empty; give a cap for every period (by_week = 50000) or per period (1 = 60000)")
        out.append(SpendCap(name, length, every=every, periods=MappingProxyType(periods)))
    return tuple(out)


def _schedule(d: _Doc) -> ScheduleRules:
    """``[schedule]``: start_date, min_spacing_days, max_posts_per_day, blackout_days."""
    d.check_keys(tuple(f.name for f in dataclasses.fields(ScheduleRules) if f.name != "spend_caps"))
    start = _date(d, "start_date", d.table["start_date"]) if "start_date" in d.table else None
    raw = d.table.get("blackout_days", [])
    if not isinstance(raw, list):
        raw = [raw]
    blackout = set()
    for k, value in enumerate(raw):
        key = f"blackout_days[{k}]"
        if isinstance(value, (datetime.date, str)):
            if start is None:
                raise d.err(key, f"= {value} is a date but schedule.start_date is not set; set start_date "
                                 "or give campaign days (0 = start)")
            when = _date(d, key, value)
            day = (when - start).days
            if day < 0:
                raise d.err(key, f"= {when.isoformat()} is before schedule.start_date ({start.isoformat()}); "
                                 "remove it or correct the date")
        else:
            day = _Doc(d.source, {key: value}, d.prefix).number(key, low=0, high=MAX_CAMPAIGN_DAY, integer=True)
        blackout.add(int(day))
    return ScheduleRules(
        start_date=start,
        min_spacing_days=d.number("min_spacing_days", None, low=0, high=MAX_CAMPAIGN_DAY, integer=True),
        max_posts_per_day=d.number("max_posts_per_day", None, low=1, integer=True),
        blackout_days=tuple(sorted(blackout)),
    )
