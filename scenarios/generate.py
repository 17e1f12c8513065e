"""Synthetic but realistic creator pools and scenarios (``reachmix generate``).

Seeded and deterministic: everything random comes from one ``numpy.random.default_rng(seed)``,
drawn in a fixed order, and every number is written with a fixed format, so the same arguments
give byte-identical files. Every distributional assumption is a named constant below with its
public source; ``docs/generator.md`` lists them all. Where a figure is our approximation (most
are: public reports disagree and change yearly) the comment says so.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .audience import AGE_BUCKETS, AGE_COLUMNS
from .csv_text import TEXT, columns_csv, fixed, fixed_units, join, text
from .errors import ScenarioError, option
from .files import atomic_write_bytes, check_out_dir
from .limits import check_memory
from .tiers import DEFAULT_BOUNDS, TIER_NAMES

# --- Creators ---------------------------------------------------------------------------------

#: Share of creators per tier. Approximation rounded from the tier breakdowns of TikTok
#: creator accounts in HypeAuditor's "State of Influencer Marketing" reports (2023-2024) and
#: Influencer Marketing Hub's benchmark reports: nano accounts are about half of all creators
#: and each tier up is rarer. The exact split differs between reports and years.
TIER_MIX = {"nano": 0.50, "micro": 0.35, "mid": 0.11, "macro": 0.025, "mega": 0.015}
#: Smallest account listed as a creator (HypeAuditor and most platforms start nano at 1k).
NANO_MIN_FOLLOWERS = 1_000
#: Within the mega tier followers follow a Pareto tail with this exponent, cut at the cap below.
#: Assumption: follower counts are heavy-tailed (power law); 1.2 puts ~6% of megas above 10M.
MEGA_TAIL_ALPHA = 1.2
MEGA_MAX_FOLLOWERS = 20_000_000
#: Median views per post as a share of followers, by tier; log-normal around it with sigma
#: VIEW_RATIO_SIGMA. Approximation: public TikTok benchmarks put average views at roughly
#: 15-50% of followers, higher for small accounts (Socialinsider TikTok benchmarks 2024,
#: HypeAuditor TikTok reports; creator rate guides quote "typical view rate 15-40%").
VIEW_RATIO_MEDIAN = {"nano": 0.40, "micro": 0.30, "mid": 0.22, "macro": 0.18, "mega": 0.15}
VIEW_RATIO_SIGMA = 0.55
VIEW_RATIO_RANGE = (0.03, 3.0)  # a viral outlier may exceed its followers; nobody gets ~0
#: Engagement per view: log-normal around HypeAuditor / Influencer Marketing Hub TikTok engagement by
#: follower count, 2023-2024 (the project's defaults before issue 9). Kept as they were so that the
#: bundled examples regenerate byte for byte; the scenario defaults (scenarios/defaults.py) are now
#: flat 7.5% per view with comments 1% of interactions (issue 9's field test).
ENGAGEMENT_MEDIAN = {"nano": 0.090, "micro": 0.075, "mid": 0.062, "macro": 0.053, "mega": 0.045}
ENGAGEMENT_SIGMA = 0.40  # assumption: creators within a tier differ by about +-50%
ENGAGEMENT_RANGE = (0.005, 0.30)
#: Likes/comments/shares split: Dirichlet around the project default split with this
#: concentration (assumption; gives likes 0.84-0.92 for most creators).
INTERACTION_SPLIT = {"likes": 0.88, "comments": 0.05, "shares": 0.07}  # pre-issue-9 default; see above
INTERACTION_CONCENTRATION = 150.0
#: Share of rows whose export has no shares count (shares_rate left blank). Assumption:
#: several export tools report likes and comments only.
SHARES_BLANK_SHARE = 0.15
#: Cost per thousand views in USD, median by tier; log-normal (CPM_SIGMA) and clipped to
#: CPM_RANGE. Approximation chosen so that price per post lands in Influencer Marketing Hub's
#: TikTok rate bands (nano USD 5-25, micro 25-125, mid 125-1,000, macro about 1,000-4,000, mega
#: 2,000+ per post; "TikTok Influencer Pricing", 2023-2024) given the view ratios above, and
#: CPM inside the USD 3-35 range rate guides quote. Newer guides (2025-2026) quote higher nano
#: rates (USD 50-500); pass your own market's figures if that matters to you.
CPM_MEDIAN_USD = {"nano": 10.0, "micro": 9.0, "mid": 11.0, "macro": 16.0, "mega": 20.0}
CPM_SIGMA = 0.45
CPM_RANGE_USD = (3.0, 35.0)
#: Nobody posts for less (IMH's nano floor). It lifts the CPM of the few tiny-view nano
#: creators above CPM_RANGE_USD, as happens in real pools.
MIN_PRICE_USD = 5.0
#: Peak memory per generated creator as row dicts (``generate_pool``, ``pool_csv``; whatif.bench):
#: measured 4.5 KB (100,000 creators: 476 MB peak, 441 MB since issue 12); checked before generating.
BYTES_PER_CREATOR = 5 * 1024
#: The same for ``write_example`` (``reachmix generate``), which keeps columns and writes them by
#: Arrow: measured 1.4 KB (1,000,000 creators: 1.40 GB peak, 1.45 GB with the read-back summary).
WRITE_BYTES_PER_CREATOR = 2 * 1024
#: Chance a creator charges a one-off agency/management fee, by tier, and its size as a share
#: of one post's price. Assumption: talent managers commonly take 10-20% commission and larger
#: creators are more often represented.
FEE_CHANCE = {"nano": 0.02, "micro": 0.08, "mid": 0.25, "macro": 0.50, "mega": 0.60}
FEE_SHARE_RANGE = (0.10, 0.20)
#: Most posts a creator sells in one campaign, and how often (assumption).
MAX_POSTS_CHOICES = {1: 0.10, 2: 0.15, 3: 0.45, 4: 0.10, 5: 0.20}

# --- Audiences --------------------------------------------------------------------------------

#: TikTok audience by age bucket (AGE_BUCKETS order). Approximation of DataReportal "Digital
#: 2024" / TikTok ads-manager audience figures: 18-24 ~35%, 25-34 ~33%, 35-44 ~15%, 45-54 ~8%,
#: 55+ ~6%; 13-17 is small in ad audiences (teens are not targetable in many markets).
PLATFORM_AGE = (0.03, 0.35, 0.33, 0.15, 0.08, 0.06)
#: Female share of the TikTok ad audience (DataReportal 2024: roughly 45% female, 55% male).
PLATFORM_FEMALE = 0.45
#: Share of a creator's audience whose gender is unknown: uniform on this range (assumption).
UNKNOWN_GENDER_RANGE = (0.0, 0.03)
#: Niches: (share of creators, female share of the audience before calibration, age tilt per
#: bucket, hashtags). Shares are an assumption loosely following category rankings of TikTok
#: creators (HypeAuditor, Influencer Marketing Hub); skews follow the usual industry picture
#: (beauty skews female 18-34, gaming male and young, parenting 25-44, finance 25-44 male).
#: Tilts and female shares are *relative*: they are calibrated below so that the mean creator
#: audience equals PLATFORM_AGE and PLATFORM_FEMALE.
NICHES = {
    "lifestyle": (0.14, 0.60, (1.0, 1.0, 1.1, 1.1, 1.0, 0.9), ("vlog", "dayinmylife", "aesthetic")),
    "comedy": (0.12, 0.45, (1.6, 1.2, 1.0, 0.8, 0.7, 0.6), ("funny", "skit", "fyp")),
    "beauty": (0.10, 0.80, (1.2, 1.3, 1.15, 0.8, 0.55, 0.45), ("makeup", "skincare", "grwm")),
    "fashion": (0.08, 0.72, (1.1, 1.3, 1.1, 0.8, 0.6, 0.5), ("ootd", "style", "haul")),
    "food": (0.08, 0.55, (0.7, 0.9, 1.05, 1.2, 1.3, 1.3), ("recipe", "foodtok", "cooking")),
    "gaming": (0.07, 0.22, (2.2, 1.3, 0.95, 0.6, 0.4, 0.3), ("gamer", "twitch", "gameplay")),
    "fitness": (0.06, 0.45, (0.7, 1.1, 1.2, 1.0, 0.7, 0.5), ("gym", "workout", "fittok")),
    "music": (0.06, 0.50, (1.5, 1.25, 0.95, 0.8, 0.7, 0.6), ("cover", "newmusic", "singer")),
    "dance": (0.04, 0.58, (2.0, 1.3, 0.9, 0.7, 0.55, 0.5), ("dancechallenge", "choreo", "trend")),
    "tech": (0.04, 0.28, (0.9, 1.15, 1.2, 0.95, 0.7, 0.6), ("techtok", "gadgets", "unboxing")),
    "travel": (0.04, 0.55, (0.5, 0.95, 1.15, 1.15, 1.1, 1.0), ("traveltok", "wanderlust", "hotel")),
    "pets": (0.04, 0.60, (1.0, 1.0, 1.0, 1.0, 1.05, 1.05), ("dogsoftiktok", "catsoftiktok", "pets")),
    "sports": (0.04, 0.25, (1.3, 1.2, 1.0, 0.9, 0.8, 0.7), ("football", "highlights", "sportstok")),
    "parenting": (0.03, 0.80, (0.3, 0.6, 1.45, 1.5, 0.9, 0.7), ("momlife", "parenting", "toddler")),
    "finance": (0.03, 0.32, (0.3, 1.0, 1.35, 1.2, 0.9, 0.7), ("moneytok", "investing", "budget")),
    "education": (0.03, 0.50, (1.3, 1.2, 1.05, 0.85, 0.75, 0.7), ("learnontiktok", "facts", "study")),
}
#: Chance a creator also carries a second niche tag (assumption).
SECOND_NICHE_CHANCE = 0.30
#: How concentrated a creator's audience is around their niche profile (Dirichlet
#: concentration), log-uniform on this range: low = broad, generalist audiences; high = tightly
#: niched ones. This is what makes audience overlap between creators vary: under the reach model
#: two creators overlap through the audience cells they share. Assumption.
AUDIENCE_FOCUS_RANGE = (8.0, 80.0)
#: TikTok ad reach (users 18+) per location, rounded from DataReportal "Digital 2024" country
#: reports (approximate; these move every quarter). Keys are usable as ``locations``.
AD_REACH = {
    "US": 148_000_000, "Indonesia": 127_000_000, "Brazil": 99_000_000, "Mexico": 74_000_000,
    "Turkey": 31_000_000, "UK": 23_000_000, "Germany": 20_000_000, "France": 21_000_000,
    "Canada": 11_000_000, "Australia": 9_000_000,
}
DEFAULT_LOCATIONS = ("US", "UK", "Canada", "Australia")
#: Mean share of a creator's audience in their home location (Beta around it, concentration
#: HOME_CONCENTRATION), and the share of the rest that is in the pool's other listed locations
#: (the remainder is "other"). Assumption: TikTok's feed is largely country-local.
HOME_SHARE_MEAN = 0.60
HOME_CONCENTRATION = 12.0
ABROAD_LISTED_SHARE = 0.35

#: First names for handles (a mix of common names in the default markets).
NAMES = ("alex", "amy", "ben", "chloe", "dan", "ella", "emma", "ethan", "grace", "hana", "isla", "jack",
         "jade", "jay", "kai", "kate", "leo", "lily", "liam", "lucy", "maya", "mia", "max", "nina", "noah",
         "olivia", "omar", "priya", "rosa", "ruby", "sam", "sara", "sofia", "tom", "zoe", "zara", "ava",
         "finn", "ivy", "luca")

# --- Scenario ---------------------------------------------------------------------------------

#: Budget as a share of the cost of one post from every creator: enough for a meaningful plan,
#: a small fraction of the pool (assumption; 3% of a 5,000-creator pool buys a few hundred posts).
BUDGET_POOL_SHARE = 0.03
#: At least enough for one post from this many of the cheapest creators (tiny pools).
BUDGET_MIN_CREATORS = 5
TARGET_AGES = ("18-24", "25-34")
SCENARIO_MAX_POSTS = 3
SCENARIO_MIN_MICRO = 5
SCENARIO_MAX_CREATOR_SHARE = 0.25  # only for pools of at least 50 creators
SCENARIO_MIN_ENGAGEMENT = 0.02
#: Simulation defaults written into the scenario (the contract's values; seed = the pool seed).
SIMULATION = {"days": 56, "runs": 2000, "start_day": 0, "post_spacing_days": 7, "view_dispersion": 1.2,
              "post_failure_rate": 0.05, "views_per_share": 3.0, "follow_rate": 0.002, "churn_rate": 0.001}

COLUMNS = ("handle", "followers", "price", "avg_views", "engagement_rate", "likes_rate", "comments_rate",
           "shares_rate", "max_posts", "fee", "tags", *AGE_COLUMNS, "female", "male")
_SHARE_UNITS = 10_000  # shares are written with 4 decimals: integer units of 1/10,000


def _calibrated_profiles() -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Niche age profiles and female shares rescaled so their creator-weighted mean is the platform's.

    Iterative proportional fitting on the age buckets (a few rounds converge to 1e-12), and one
    common logit shift for gender found by bisection.
    """
    weights = np.array([v[0] for v in NICHES.values()])
    weights = weights / weights.sum()
    raw = np.array([np.array(PLATFORM_AGE) * np.array(v[2]) for v in NICHES.values()])
    profiles = raw / raw.sum(axis=1, keepdims=True)
    for _ in range(200):
        profiles = profiles * (np.array(PLATFORM_AGE) / (weights @ profiles))
        profiles = profiles / profiles.sum(axis=1, keepdims=True)
    logits = np.array([math.log(v[1] / (1 - v[1])) for v in NICHES.values()])
    low, high = -5.0, 5.0
    for _ in range(100):
        mid = (low + high) / 2
        mean = weights @ (1 / (1 + np.exp(-(logits + mid))))
        low, high = (mid, high) if mean < PLATFORM_FEMALE else (low, mid)
    female = 1 / (1 + np.exp(-(logits + (low + high) / 2)))
    names = list(NICHES)
    return dict(zip(names, profiles)), dict(zip(names, female.tolist()))


NICHE_AGE, NICHE_FEMALE = _calibrated_profiles()


def _location_table(locations) -> dict[str, float]:
    """Location name -> platform users (18+): from a mapping, or names looked up in AD_REACH."""
    if isinstance(locations, Mapping):
        table = {str(k): float(v) for k, v in locations.items()}
    else:
        unknown = [name for name in locations if name not in AD_REACH]
        if unknown:
            raise ScenarioError(f'generate: location "{unknown[0]}" has no built-in audience size; give '
                                f"locations as a mapping name -> TikTok users, or one of {', '.join(AD_REACH)}")
        table = {name: float(AD_REACH[name]) for name in locations}
    if not table:
        raise ScenarioError("generate: locations is empty; give at least one location")
    for name, size in table.items():
        if not name or any(c in name for c in ',"\n;=') or name != name.strip():
            raise ScenarioError(f'generate: location name "{name}" cannot be a CSV column suffix; use letters')
        if not (size > 0 and math.isfinite(size)):
            raise ScenarioError(f'generate: location "{name}" needs a positive audience size, not {size}')
    return table


def _check_args(n, seed, per_creator: int = BYTES_PER_CREATOR) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ScenarioError(f"generate: the number of creators must be a whole number >= 1, not {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"generate: the seed must be a whole number >= 0, not {seed!r}")
    check_memory(int(n) * per_creator, f"generating {int(n):,} creators", f"generate fewer creators "
                 f"({option('creators')}); several smaller pools with different seeds can be concatenated")


def _followers(rng, tiers: np.ndarray) -> np.ndarray:
    """Piecewise power law: within each tier a truncated Pareto whose exponent joins up the
    tier mix (the share above each tier boundary), so the follower CCDF is continuous."""
    above = {name: sum(TIER_MIX[t] for t in TIER_NAMES[k:]) for k, name in enumerate(TIER_NAMES)}
    u = rng.random(len(tiers))
    out = np.empty(len(tiers))
    for k, name in enumerate(TIER_NAMES):
        low, high = DEFAULT_BOUNDS[name]
        low = max(low, NANO_MIN_FOLLOWERS)
        if name == TIER_NAMES[-1]:
            alpha, high = MEGA_TAIL_ALPHA, MEGA_MAX_FOLLOWERS
        else:
            alpha = math.log(above[name] / above[TIER_NAMES[k + 1]]) / math.log(high / low)
        # Inverse CDF of the Pareto(alpha) truncated to [low, high).
        tail = (low / high) ** alpha
        sel = tiers == k
        out[sel] = low * (1 - u[sel] * (1 - tail)) ** (-1 / alpha)
    return np.minimum(np.floor(out), np.array([DEFAULT_BOUNDS[t][1] - 1 for t in TIER_NAMES])[tiers])


def _lognormal(rng, median: np.ndarray, sigma: float, bounds) -> np.ndarray:
    return np.clip(median * np.exp(sigma * rng.standard_normal(len(median))), *bounds)


def _dirichlet(rng, means: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """Row i ~ Dirichlet(concentration[i] * means[i]), via gammas (one draw per cell, fixed order)."""
    g = rng.standard_gamma(np.maximum(concentration[:, None] * means, 1e-3))
    return g / g.sum(axis=1, keepdims=True)


def _units(shares: np.ndarray, total: int = _SHARE_UNITS) -> np.ndarray:
    """Round rows of shares (each summing to 1) to integer units summing to ``total`` exactly;
    the rounding error goes on each row's largest bucket."""
    units = np.rint(shares * total).astype(np.int64)
    largest = shares.argmax(axis=1)
    units[np.arange(len(units)), largest] += total - units.sum(axis=1)
    return units


def _nice(x: np.ndarray, low=0.0, high=math.inf) -> np.ndarray:
    """Round prices the way rate cards do (whole units below 100, then 5, 50, 100, 500), rounding
    inwards when the nearest step would leave [low, high] (keeps CPM inside its range).

    Element-wise, the same IEEE operations as the scalar rule it replaced (``round`` is half to
    even, like ``np.rint``; every product of a whole number and a step is exact), so prices are
    unchanged to the last digit."""
    x = np.asarray(x, dtype=float)
    step = np.select([x < 100, x < 1_000, x < 10_000, x < 100_000], [1.0, 5.0, 50.0, 100.0], 500.0)
    value = np.rint(x / step) * step
    with np.errstate(invalid="ignore"):  # high = inf: inf / step is fine, floor(inf) * step unused
        value = np.where(value > high, np.floor(high / step) * step, value)
    value = np.where(value < low, np.ceil(low / step) * step, value)
    return np.maximum(step, value)


def _tag_table(names: list[str]) -> list[str]:
    """Every tags cell: index (niche * 8 + hashtag mask) * (niches + 1) + second niche (or none)."""
    out = []
    for niche_name in names:
        for mask in range(8):
            tags = [niche_name] + ["#" + h for k, h in enumerate(NICHES[niche_name][3]) if mask >> k & 1]
            out += [";".join(tags + [other]) for other in names] + [";".join(tags)]
    return out


def _handle_bumps(key: np.ndarray) -> np.ndarray:
    """For each row, how many earlier rows share its key (0 for the first): a repeated handle
    takes the next free number, + 1000 for each earlier holder."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    position = np.arange(len(key))
    rank = position - np.maximum.accumulate(np.where(first, position, 0))
    bumps = np.empty(len(key), dtype=np.int64)
    bumps[order] = rank
    return bumps


def _pool_columns(n: int, seed: int, locations, currency: str, fx_rate: float | None,
                  per_creator: int = BYTES_PER_CREATOR) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """The pool as columns of cell text (COLUMNS order, then ``loc_<Name>``) and the numbers that
    text reads as (followers, price, fee, avg_views, engagement_rate) for ``scenario_toml``.

    All NumPy and Arrow, no per-creator Python (issue 12: 1,000,000 creators took 82 s), the same
    draws in the same order and the same text to the byte as the per-row code it replaced."""
    _check_args(n, seed, per_creator)
    table = _location_table(locations)
    if currency != "USD" and (fx_rate is None or not fx_rate > 0):
        raise ScenarioError(f"generate: currency {currency} needs fx_rate (units of {currency} per USD) > 0")
    rate = 1.0 if currency == "USD" and fx_rate is None else float(fx_rate)
    rng = np.random.default_rng(seed)

    tier = rng.choice(len(TIER_NAMES), size=n, p=[TIER_MIX[t] for t in TIER_NAMES])
    followers = _followers(rng, tier)
    tier_value = lambda table_: np.array([table_[t] for t in TIER_NAMES])[tier]  # noqa: E731
    views = np.maximum(1.0, np.rint(followers * _lognormal(rng, tier_value(VIEW_RATIO_MEDIAN),
                                                           VIEW_RATIO_SIGMA, VIEW_RATIO_RANGE)))
    er = _lognormal(rng, tier_value(ENGAGEMENT_MEDIAN), ENGAGEMENT_SIGMA, ENGAGEMENT_RANGE)
    split = _dirichlet(rng, np.tile([INTERACTION_SPLIT[k] for k in ("likes", "comments", "shares")], (n, 1)),
                       np.full(n, INTERACTION_CONCENTRATION))
    shares_blank = rng.random(n) < SHARES_BLANK_SHARE
    cpm = _lognormal(rng, tier_value(CPM_MEDIAN_USD), CPM_SIGMA, CPM_RANGE_USD)
    price_usd = np.maximum(MIN_PRICE_USD, views / 1000 * cpm)
    has_fee = rng.random(n) < tier_value(FEE_CHANCE)
    fee_share = rng.uniform(*FEE_SHARE_RANGE, size=n)
    posts_options = np.array(list(MAX_POSTS_CHOICES))
    max_posts = posts_options[rng.choice(len(posts_options), size=n, p=list(MAX_POSTS_CHOICES.values()))]

    names = list(NICHES)
    niche_p = np.array([NICHES[k][0] for k in names])
    niche = rng.choice(len(names), size=n, p=niche_p / niche_p.sum())
    second = rng.choice(len(names), size=n, p=niche_p / niche_p.sum())
    has_second = (rng.random(n) < SECOND_NICHE_CHANCE) & (second != niche)
    focus = np.exp(rng.uniform(*np.log(AUDIENCE_FOCUS_RANGE), size=n))
    age = _dirichlet(rng, np.array([NICHE_AGE[k] for k in names])[niche], focus)
    female_mean = np.array([NICHE_FEMALE[k] for k in names])[niche]
    female = rng.beta(female_mean * focus, (1 - female_mean) * focus)
    known = 1 - rng.uniform(*UNKNOWN_GENDER_RANGE, size=n)

    loc_names = list(table)
    loc_size = np.array([table[k] for k in loc_names])
    home = rng.choice(len(loc_names), size=n, p=loc_size / loc_size.sum())
    home_share = rng.beta(HOME_SHARE_MEAN * HOME_CONCENTRATION, (1 - HOME_SHARE_MEAN) * HOME_CONCENTRATION, size=n)
    abroad = (_dirichlet(rng, np.tile(loc_size / loc_size.sum(), (n, 1)), focus) if len(loc_names) > 1
              else np.ones((n, 1)))
    picks = rng.integers(0, len(NAMES), size=n)
    numbers = rng.integers(1, 1000, size=n)
    hashtag_draw = rng.random((n, 3))

    # Location shares: home + part of the rest spread over the other listed locations + "other".
    loc = np.zeros((n, len(loc_names) + 1))
    rows = np.arange(n)
    loc[rows, home] = home_share
    abroad[rows, home] = 0.0
    abroad = abroad / np.where(abroad.sum(axis=1, keepdims=True) > 0, abroad.sum(axis=1, keepdims=True), 1)
    loc[:, :-1] += (1 - home_share)[:, None] * ABROAD_LISTED_SHARE * abroad
    loc[:, -1] = 1 - loc[:, :-1].sum(axis=1)
    loc_units = _units(loc)
    age_units = _units(age)
    gender = np.column_stack([female * known, (1 - female) * known, 1 - known])
    gender_units = _units(gender)

    # Handles: "@<name>.<niche><number>", a repeat taking the next free number (+1000 per holder).
    prefix = pa.array([f"@{first}.{niche_name}" for first in NAMES for niche_name in names], type=TEXT)
    pair = picks * len(names) + niche
    handle = join(prefix.take(pa.array(pair)), text(numbers + 1000 * _handle_bumps(pair * 1000 + numbers)))
    mask = ((hashtag_draw < 0.6) * np.array([1, 2, 4])).sum(axis=1)
    tag_index = (niche * 8 + mask) * (len(names) + 1) + np.where(has_second, second, len(names))
    tags = pa.array(_tag_table(names), type=TEXT).take(pa.array(tag_index))
    # The CPM bounds only bind above the price floor (tiny-view creators still charge it).
    cpm_low, cpm_high = (c * views / 1000 * rate for c in CPM_RANGE_USD)
    price = _nice(price_usd * rate, cpm_low, np.maximum(cpm_high, MIN_PRICE_USD * rate))
    fee = np.where(has_fee, _nice(price * fee_share), 0.0)
    rates = er[:, None] * split
    er_text, er_value = fixed(er, 4)
    shares_text = fixed(rates[:, 2], 5)[0]
    columns = {
        "handle": handle, "followers": text(followers), "price": text(price), "avg_views": text(views),
        "engagement_rate": er_text, "likes_rate": fixed(rates[:, 0], 5)[0],
        "comments_rate": fixed(rates[:, 1], 5)[0],
        "shares_rate": pc.if_else(pa.array(shares_blank), pa.scalar("", TEXT), shares_text),
        "max_posts": text(max_posts), "fee": text(fee), "tags": tags,
    }
    columns.update({c: fixed_units(age_units[:, k], 4) for k, c in enumerate(AGE_COLUMNS)})
    columns["female"], columns["male"] = fixed_units(gender_units[:, 0], 4), fixed_units(gender_units[:, 1], 4)
    columns.update({f"loc_{name}": fixed_units(loc_units[:, k], 4) for k, name in enumerate(loc_names)})
    numbers_written = {"followers": np.floor(followers), "price": price, "fee": fee, "avg_views": views,
                       "engagement_rate": er_value}
    return columns, numbers_written


def generate_pool(n: int, seed: int, *, locations: Mapping[str, float] | Sequence[str] = DEFAULT_LOCATIONS,
                  currency: str = "USD", fx_rate: float | None = None) -> list[dict[str, str]]:
    """``n`` synthetic creators as row dicts (column -> cell text, ``""`` = blank) in COLUMNS order
    plus one ``loc_<Name>`` column per location.

    Prices are drawn in USD and multiplied by ``fx_rate`` (units of ``currency`` per USD), which is
    required for any other currency: exchange rates move too fast for a built-in table.
    """
    columns, _ = _pool_columns(n, seed, locations, currency, fx_rate)
    keys = list(columns)
    return [dict(zip(keys, row)) for row in zip(*(c.to_pylist() for c in columns.values()))]


def pool_csv(rows: Sequence[Mapping[str, str]]) -> str:
    """The rows as CSV text (header from the first row; ``\\n`` line ends, for byte-identical files)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _two_figures(x: float, up: bool = False) -> int:
    """Round to two significant figures (up for budgets), as people write budgets and targets."""
    step = 10 ** max(0, math.floor(math.log10(max(x, 1.0))) - 1)
    return int(max(1, math.ceil(x / step - 1e-9) if up else round(x / step)) * step)


def scenario_toml(rows: Sequence[Mapping[str, str]], seed: int, *, name: str, currency: str = "USD",
                  locations: Mapping[str, float] | Sequence[str] = DEFAULT_LOCATIONS, niche: str = "beauty",
                  pool_file: str = "creators.csv") -> str:
    """A scenario for ``rows`` that validates: a niche campaign at people 18-34 in the largest
    locations, a budget that affords a small share of the pool, and rules that are satisfiable."""
    col = lambda key: np.array([float(r[key] or 0) for r in rows])  # noqa: E731
    values = {k: col(k) for k in ("followers", "price", "fee", "avg_views", "engagement_rate")}
    return _scenariotext(values, seed, name=name, currency=currency, locations=locations, niche=niche,
                          pool_file=pool_file)


def _scenariotext(values: Mapping[str, np.ndarray], seed: int, *, name: str, currency: str, locations,
                   niche: str, pool_file: str) -> str:
    """``scenario_toml`` from the pool's numbers (followers, price, fee, avg_views, engagement_rate)."""
    if niche not in NICHES:
        raise ScenarioError(f'generate: niche "{niche}" is unknown; use one of {", ".join(NICHES)}')
    table = _location_table(locations)
    followers, price, fee, views, er = (values[k] for k in ("followers", "price", "fee", "avg_views",
                                                             "engagement_rate"))
    one_post = price + fee
    n = len(price)
    tier = np.searchsorted([DEFAULT_BOUNDS[t][1] for t in TIER_NAMES], followers, side="right")

    # Budget: a small share of the pool, but never less than a handful of the cheapest creators.
    cheapest = np.sort(one_post)[: min(n, BUDGET_MIN_CREATORS)].sum()
    budget = _two_figures(max(BUDGET_POOL_SHARE * one_post.sum(), cheapest), up=True)
    cap = SCENARIO_MAX_CREATOR_SHARE if n >= 50 else None
    ok = (er >= SCENARIO_MIN_ENGAGEMENT) & (one_post <= (cap or 1.0) * budget)
    # A min_count of micro creators only as large as half the budget can pay for (satisfiable).
    micro_costs = np.sort(one_post[ok & (tier == TIER_NAMES.index("micro"))])
    min_micro = min(SCENARIO_MIN_MICRO, len(micro_costs))
    while min_micro and micro_costs[:min_micro].sum() > 0.5 * budget:
        min_micro -= 1

    targets = sorted(table, key=lambda k: -table[k])[:2]
    female = NICHE_FEMALE[niche]
    gender = "female" if female > 0.6 else "male" if female < 0.4 else None
    ages = [AGE_BUCKETS.index(a) for a in TARGET_AGES]
    # People in the target: platform users 18+ in the locations x age share among 18+ x gender share.
    size = sum(table[k] for k in targets) * sum(PLATFORM_AGE[k] for k in ages) / sum(PLATFORM_AGE[1:])
    size *= {None: 1.0, "female": PLATFORM_FEMALE, "male": 1 - PLATFORM_FEMALE}[gender]
    size = _two_figures(size)
    # KPI targets a planner would set: the views the budget buys at the pool's median CPM (60%
    # of it, since not every post performs), a quarter of those as target reach, 5% engagements.
    cpm = np.median(price / np.maximum(views, 1) * 1000)
    kpi_views = _two_figures(0.6 * budget / cpm * 1000)
    interests = [niche, NICHES[niche][3][1 if niche == "beauty" else 0]]

    q = lambda values: "[" + ", ".join(f'"{v}"' for v in values) + "]"  # noqa: E731
    lines = [
        f"# Synthetic scenario written by reachmix generate (seed {seed}); see docs/generator.md.",
        f'name = "{name}"', f'currency = "{currency}"', "",
        "[pool]", f'file = "{pool_file}"', 'engagement_basis = "views"', "",
        "[budget]", f"total = {budget}", "",
        "[audience]",
        "# TikTok users 18+ in the target locations x share aged 18-34 x gender share (approximate).",
        f"size = {size}", f"age = {q(TARGET_AGES)}",
        *([f'gender = ["{gender}"]'] if gender else []),
        f"locations = {q(targets)}", f"interests = {q(interests)}", "",
        "[audience.population]",
        "locations = { " + ", ".join(f"{k} = {int(table[k])}" for k in targets) + " }", "",
        "[constraints]", f"max_posts = {SCENARIO_MAX_POSTS}",
        *([f"min_count = {{ micro = {min_micro} }}"] if min_micro else []),
        *([f"max_creator_share = {cap}"] if cap else []),
        f"min_engagement_rate = {SCENARIO_MIN_ENGAGEMENT}", "",
        "[objective]", 'maximize = "target_reach"', "",
        "[model]", "repeat_decay = 0.7", "interest_floor = 0.25", "view_rate = 0.25", "",
        "[simulation]", *(f"{k} = {v}" for k, v in {**SIMULATION, "seed": seed}.items()), "",
        "[[kpi]]", 'metric = "views"', f"target = {kpi_views}", "by_day = 28", "priority = 1", "",
        "[[kpi]]", 'metric = "target_reach"', f"target = {_two_figures(0.25 * kpi_views)}", "by_day = 56",
        "priority = 2", "",
        "[[kpi]]", 'metric = "engagements"', f"target = {_two_figures(0.05 * kpi_views)}", "by_day = 56",
        "priority = 3",
    ]
    return "\n".join(lines) + "\n"


#: The files ``write_example`` writes into its folder.
EXAMPLE_FILES = ("scenario.toml", "creators.csv")


def write_example(out_dir: str | Path, n: int, seed: int, *,
                  locations: Mapping[str, float] | Sequence[str] = DEFAULT_LOCATIONS, currency: str = "USD",
                  fx_rate: float | None = None, niche: str = "beauty", name: str | None = None,
                  force: bool = False) -> tuple[Path, Path]:
    """Generate a pool of ``n`` creators and a scenario; write ``creators.csv`` and ``scenario.toml``
    into ``out_dir`` (created if needed). Existing files there are replaced only when reachmix wrote
    them (unchanged since) or with ``force``; each is replaced atomically. Returns their paths."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"{out}: is a file, not a directory; give {option('out')} a directory")
    check_out_dir(out, EXAMPLE_FILES, force=force)  # before the work: a refusal costs nothing
    columns, values = _pool_columns(n, seed, locations, currency, fx_rate, WRITE_BYTES_PER_CREATOR)
    toml = _scenariotext(values, seed, name=name or f"synthetic-{n}-seed{seed}", currency=currency,
                          locations=locations, niche=niche, pool_file="creators.csv")
    header, body = columns_csv(columns)
    del columns
    scenario_path, pool_path = out / "scenario.toml", out / "creators.csv"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"{out}: cannot write the example there ({exc.strerror or exc}); "
                            "choose a writable directory") from None
    atomic_write_bytes(pool_path, b"".join((header, body)), what="the pool")
    atomic_write_bytes(scenario_path, toml.encode("utf-8"), what="the scenario")
    return scenario_path, pool_path
