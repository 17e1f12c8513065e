"""The target audience: who the campaign wants to reach.

Three demographic dimensions (age bucket, gender, location) plus interests. A dimension the
target leaves open (``None``) is not split: everyone matches it (contract section 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .cells import fold_name

#: Age buckets in the order of the pool's ``age_*`` columns (TikTok's own ad-audience buckets).
AGE_BUCKETS: tuple[str, ...] = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
#: Pool column of each age bucket.
AGE_COLUMNS: tuple[str, ...] = ("age_13_17", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_plus")
#: Genders with a pool column; the rest of a creator's audience is unknown or other.
GENDERS: tuple[str, ...] = ("female", "male")
#: Spellings accepted for an age bucket in a scenario, mapped to the canonical name.
AGE_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{b: b for b in AGE_BUCKETS},
        **{c[4:]: b for b, c in zip(AGE_BUCKETS, AGE_COLUMNS)},  # "18_24", "55_plus"
        "55-plus": "55+",
        "55plus": "55+",
    }
)
#: The three dimensions, in cell order.
DIMENSIONS: tuple[str, ...] = ("age", "gender", "locations")


def normalise_tag(tag: str) -> str:
    """Tags compare without ``#``, case and Unicode form: ``#SkinCare`` == ``skincare``, and
    Turkish capitals fold like their small letters (``#İstanbul`` == ``istanbul``; see ``fold_name``)."""
    return fold_name(tag.strip().lstrip("#").strip())


@dataclass(frozen=True)
class TargetAudience:
    """Who counts as reached.

    ``age``, ``gender`` and ``locations`` are tuples of values, or ``None`` for an open
    dimension. ``population`` optionally fixes a dimension's split of ``size`` across its values
    (already normalised to sum to 1 over the target's values).
    """

    size: float
    age: tuple[str, ...] | None = None
    gender: tuple[str, ...] | None = None
    locations: tuple[str, ...] | None = None
    interests: frozenset[str] = frozenset()
    population: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))

    def values(self, dimension: str) -> tuple[str, ...] | None:
        """The target's values in ``dimension`` (``None`` when open)."""
        return getattr(self, dimension)

    @property
    def restricted(self) -> tuple[str, ...]:
        """The dimensions this target restricts, in cell order."""
        return tuple(d for d in DIMENSIONS if self.values(d) is not None)

    def describe(self) -> str:
        parts = [f"{self.size:,.0f} people"]
        for dim in DIMENSIONS:
            vals = self.values(dim)
            if vals is not None:
                parts.append(f"{dim} {'/'.join(vals)}")
        if self.interests:
            parts.append("interests " + "/".join(sorted(self.interests)))
        return ", ".join(parts)
