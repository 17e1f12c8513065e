"""Content briefs for hired creators, drawn from an editable data table.

A brief says what a creator could post about: content angles chosen by the creator's dominant
audience age group and top audience location (from ``scenarios/data/content_angles.toml`` or a
user's own table of the same shape), plus the creator's tags that the campaign's interests share,
written as hashtags. Plain data only: rendering (HTML, escaping) is the report's job.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from .audience import AGE_ALIASES, AGE_BUCKETS
from .errors import PlanError, ScenarioError, did_you_mean, toml_problem
from .reach import ReachModel
from .scenario import Scenario

#: The bundled table; a scenario may point to its own one later (same shape).
DEFAULT_ANGLES_PATH = Path(__file__).with_name("data") / "content_angles.toml"
#: The key of the fallback entry in each table.
DEFAULT_KEY = "default"
#: Placeholder replaced by the creator's top location in the default location angles.
CITY_PLACEHOLDER = "{city}"


class ContentAnglesError(ScenarioError):
    """The content-angles table is unreadable or malformed (message names file and key)."""


@dataclass(frozen=True)
class ContentAngles:
    """Angles by age bucket and by location. Location keys are kept as written in the file."""

    by_age: Mapping[str, tuple[str, ...]]
    by_location: Mapping[str, tuple[str, ...]]
    source: str = "<memory>"
    #: Folded location name -> angles, built once (a plan's briefs look up thousands of cities).
    _folded: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = {_fold(k): v for k, v in self.by_location.items() if k != DEFAULT_KEY}
        object.__setattr__(self, "_folded", MappingProxyType(folded))

    def for_age(self, bucket: str | None) -> tuple[str, ...]:
        if bucket is not None and bucket in self.by_age:
            return self.by_age[bucket]
        return self.by_age.get(DEFAULT_KEY, ())

    def for_location(self, name: str | None) -> tuple[str, ...]:
        if name is not None:
            found = self._folded.get(_fold(name))
            if found is not None:
                return found
        city = name if name else "your city"
        return tuple(a.replace(CITY_PLACEHOLDER, city) for a in self.by_location[DEFAULT_KEY])


@dataclass(frozen=True)
class Brief:
    """What one hired creator could post about.

    ``angles`` and ``hashtags`` are tuples (immutable); ``hashtags`` carry their ``#``.
    ``dominant_age`` / ``top_location`` are ``None`` when the pool has no such columns.
    """

    handle: str
    dominant_age: str | None
    top_location: str | None
    angles: tuple[str, ...]
    hashtags: tuple[str, ...]
    #: Share of the creator's audience in the dominant age bucket / top location.
    age_share: float | None = None
    location_share: float | None = None
    tier: str | None = None
    posts: int = 0
    #: Target match m_i of the reach model (how much of the audience is the campaign's target).
    target_match: float | None = None


def _fold(name: str) -> str:
    """Compare city names without case or accents; Turkish dotless i folds to i too."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().casefold()


def load_content_angles(path: str | Path | None = None) -> ContentAngles:
    """Read a content-angles table (default: the bundled one) and check its shape."""
    path = Path(path) if path is not None else DEFAULT_ANGLES_PATH
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
        doc = tomllib.loads(text)
    except FileNotFoundError:
        raise ContentAnglesError(f"{source}: content-angles file not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise ContentAnglesError(f"{source}: byte {exc.start} is not UTF-8; save the table as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentAnglesError(f"{source}: malformed TOML: {toml_problem(text, exc)}") from None
    except OSError as exc:
        raise ContentAnglesError(f"{source}: cannot read the content-angles table ({exc.strerror})") from None
    return angles_from_dict(doc, source)


def angles_from_dict(doc: Mapping, source: str = "<memory>") -> ContentAngles:
    """Validate a parsed table: ``{"age": {bucket: [..]}, "location": {name: [..]}}``."""
    for key in doc:
        if key not in ("age", "location"):
            raise ContentAnglesError(f"{source}: {key} is not a known table{did_you_mean(key, ['age', 'location'])}; "
                                     "use [age] and [location]")
    tables = {}
    for name in ("age", "location"):
        table = doc.get(name)
        if not isinstance(table, dict):
            raise ContentAnglesError(f"{source}: [{name}] table is missing; add it (see the bundled "
                                     "content_angles.toml)")
        tables[name] = {k: _angle_list(source, f"{name}.{k}", v) for k, v in table.items()}

    by_age: dict[str, tuple[str, ...]] = {}
    for key, value in tables["age"].items():
        bucket = DEFAULT_KEY if key == DEFAULT_KEY else AGE_ALIASES.get(key.strip().lower().replace(" ", ""))
        if bucket is None:
            raise ContentAnglesError(f'{source}: age."{key}" is not an age bucket; use one of '
                                     f'{", ".join(AGE_BUCKETS)} or default{did_you_mean(key, AGE_BUCKETS)}')
        by_age[bucket] = value
    if DEFAULT_KEY not in by_age:
        missing = [b for b in AGE_BUCKETS if b not in by_age]
        if missing:
            raise ContentAnglesError(f'{source}: age has no angles for {", ".join(missing)}; add "{missing[0]}" = '
                                     '[...] or a default = [...] entry')
    if DEFAULT_KEY not in tables["location"]:
        raise ContentAnglesError(f'{source}: location.default is missing; add default = ["..."] for creators '
                                 "whose city has no entry")
    return ContentAngles(by_age=MappingProxyType(by_age), by_location=MappingProxyType(tables["location"]),
                         source=source)


def _angle_list(source: str, key: str, value) -> tuple[str, ...]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v.strip() for v in value)):
        raise ContentAnglesError(f'{source}: {key} must be a non-empty list of non-empty strings, e.g. '
                                 '["local food", "landmarks"]')
    return tuple(v.strip() for v in value)


def _top(shares: np.ndarray | None, names: Sequence[str], row: int) -> tuple[str | None, float | None]:
    """The largest share of a row and its name; ties go to the first (e.g. the younger bucket)."""
    if shares is None or not len(names):
        return None, None
    values = shares[row]
    k = int(np.argmax(values))
    if not values[k] > 0:  # all zero or NaN: nothing to go on
        return None, None
    return names[k], float(values[k])


def hashtag(tag: str) -> str:
    """A normalised tag as a hashtag; inner whitespace is dropped (a hashtag has none)."""
    return "#" + "".join(tag.split())


def brief_for(scenario: Scenario, model: ReachModel | None, row_index: int, angles: ContentAngles,
              posts: int = 0) -> Brief:
    """The brief of the creator at pool row ``row_index``."""
    pool = scenario.pool
    age, age_share = _top(pool.age, AGE_BUCKETS, row_index)
    city, city_share = _top(pool.locations, pool.location_names, row_index)
    # Age angles first (they describe who watches), then place; drop repeats, keep order.
    chosen = tuple(dict.fromkeys(angles.for_age(age) + angles.for_location(city)))
    shared = sorted(pool.tags[row_index] & scenario.audience.interests)
    tier = match = None
    if model is not None:
        k = int(model.tier[row_index])
        tier = scenario.tiers.names[k] if k >= 0 else None
        match = float(model.match[row_index])
    return Brief(
        handle=pool.handles[row_index],
        dominant_age=age,
        top_location=city,
        angles=chosen,
        hashtags=tuple(dict.fromkeys(hashtag(t) for t in shared)),
        age_share=age_share,
        location_share=city_share,
        tier=tier,
        posts=int(posts),
        target_match=match,
    )


def briefs_for_plan(scenario: Scenario, posts: Sequence[int] | np.ndarray | Mapping[str, int],
                    angles: ContentAngles | None = None, model: ReachModel | None = None) -> list[Brief]:
    """Briefs of every hired creator (posts > 0), in pool order.

    ``posts`` is posts per creator in pool order (a ``Plan.posts`` array), or a mapping
    handle -> posts. ``angles`` defaults to the bundled table, ``model`` to the scenario's.
    """
    pool = scenario.pool
    if isinstance(posts, Mapping):
        index = pool.index_of()
        counts = np.zeros(pool.size, dtype=np.int64)
        for handle, n in posts.items():
            if handle not in index:
                raise PlanError(f'brief: handle "{handle}" is not in the pool {pool.source}'
                                    f"{did_you_mean(str(handle), pool.handles)}")
            counts[index[handle]] = int(n)
    else:
        counts = np.asarray(posts, dtype=np.int64)
        if counts.shape != (pool.size,):
            raise ValueError(f"posts has shape {counts.shape}, expected ({pool.size},)")
    angles = angles if angles is not None else load_content_angles()
    model = model if model is not None else ReachModel.build(scenario)
    return [brief_for(scenario, model, int(i), angles, posts=int(counts[i])) for i in np.flatnonzero(counts > 0)]
