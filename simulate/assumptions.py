"""The simulator's defaults, each with its source or labelled as a stated assumption.

Every number here is the default of a ``[simulation]`` key (``scenarios.SimulationSettings``) or a
fixed modelling choice; ``docs/simulator.md`` repeats them with the reasoning. A scenario
overrides any setting; nothing in ``simulate/`` reads a magic number from anywhere else.
"""

from __future__ import annotations

from types import MappingProxyType

from scenarios.view_model import FOLLOWER_VIEW_SIGMA

# --- Accumulation curve: share of a video's eventual views reached by a given age -------------
#: Published points the curve must reproduce (age in days -> share of eventual views).
#: Sources: Tubular Labs / Dash Hudson TikTok view-velocity analyses (2022-2023) report roughly a
#: third of a TikTok video's views in its first 24 hours, ~38% by 48 hours and ~55% within the first
#: week, with a long tail that is essentially complete by three months (TikTok's "For You" feed keeps
#: resurfacing older videos). We treat 90 days as "all" (contract section 4).
PUBLISHED_ACCUMULATION = MappingProxyType({1.0: 0.32, 2.0: 0.38, 7.0: 0.55, 90.0: 1.0})

#: ``A(a) = p + (1 - p) * (ln a / ln T) ** b`` for ``1 <= a <= T`` (linear ramp 0 -> p within the
#: first day, 1 after T). The three parameters reproduce the four published points to within 0.001:
#: p is the first-day share itself, T the horizon, and b = 1.295 is the least-squares shape through
#: the 48-hour and 7-day points. Heavy-tailed: views keep arriving at a rate ~ 1/a (log-time).
ACCRUAL_DAY1_SHARE = 0.32
ACCRUAL_SHAPE = 1.295
ACCRUAL_DAYS = 90

# --- Per-post view dispersion --------------------------------------------------------------------
#: Sigma of log-views of one creator's posts around their average. Public scrapes of creators'
#: recent videos (e.g. the Kaggle "TikTok trending videos" / Rapid API per-creator histories) show a
#: standard deviation of ln(views) between about 1.0 and 1.5 for a given creator: a typical post
#: gets a fraction of the average, while an occasional hit gets 10x. 1.2 is the middle; tiers may be
#: overridden with ``view_dispersion_<tier>``. The draw is mean-preserving: exp(sigma Z - sigma^2/2).
VIEW_DISPERSION = 1.2
#: Sigma of log-views of a post of a creator known only by its followers (``avg_views`` from the
#: follower curve, or ``videos`` = 0): the curve's residual spread, within-creator spread plus the
#: spread of comparable creators' levels. 1.6; sources in ``scenarios/view_model.py``
#: (``FOLLOWER_VIEW_SIGMA``). A creator with its own ``views_sigma`` and ``videos`` n in the pool
#: gets ``views_sigma * sqrt(1 + 1/n)`` instead (reachmix field test, issue 9).
VIEW_DISPERSION_FOLLOWERS = FOLLOWER_VIEW_SIGMA

# --- Failure, cascade, followers (stated assumptions) -------------------------------------------
#: A bought post that never goes live (creator drops out, video rejected by moderation). Stated
#: assumption: 5%. A failed post is not paid (agencies pay on publication).
POST_FAILURE_RATE = 0.05
#: Extra views each share brings (the sharer's contacts who watch), ON TOP of avg_views. Default 0:
#: a creator's views as exported (and so ``avg_views`` from ``reachmix ingest``) already include the
#: views that shares brought, so adding a cascade double-counts them (the field test of issue 9 found
#: +2% on average and up to 2x for creators with many shares). Set it (e.g. 3, a stated assumption)
#: only when a pool's avg_views count views from followers' feeds alone.
VIEWS_PER_SHARE = 0.0
#: Upper bound of the cascade's amplification ratio q = views_per_share * shares_rate: shared views
#: are shared again at the same rate, a geometric series summed as 1 / (1 - q). Bounding q keeps the
#: cascade finite whatever the inputs (a real share cascade saturates). Stated assumption: 0.5.
CASCADE_CAP = 0.5
#: Newly reached target people who follow the brand. Stated assumption: 0.2% (TikTok brand-account
#: follow rates from a creator post are reported in the 0.1%-0.5% range by agencies).
FOLLOW_RATE = 0.002
#: Daily share of gained followers who unfollow. Stated assumption: 0.1% a day (~3% a month).
CHURN_RATE = 0.001

# --- Interactions ---------------------------------------------------------------------------------
# Likes, comments and shares of a post are Poisson draws around views x the creator's per-view
# rates (pool columns, or the split in scenarios/defaults.py: likes 92%, comments 1%, shares 7% of
# engagements, i.e. likes far above shares and comments). They accrue along the views' curve.

# --- Engine constants -----------------------------------------------------------------------------
#: Runs per random stream: block b of runs draws from SeedSequence(seed, spawn_key=(b,)), so results
#: do not depend on how blocks are grouped into chunks or spread over processes.
BLOCK_RUNS = 250
#: Working memory one chunk may use (bytes); the chunk size is derived from it (simulate/runner.py).
CHUNK_BYTES = 160 * 2**20
#: Percentiles reported for every metric.
PERCENTILES = (5, 50, 95)
#: Events happen at integer times (posts go live at the start of their day); each day's state is
#: recorded at mid-day + 0.5, so a post of day d is counted in day d's record. 0.5 is exact in binary.
RECORD_OFFSET = 0.5


def defaults_table() -> dict[str, object]:
    """The defaults above, for ``SimulationResult.to_dict()["assumptions"]`` and the docs."""
    return {
        "accrual_day1_share": ACCRUAL_DAY1_SHARE,
        "accrual_shape": ACCRUAL_SHAPE,
        "accrual_days": ACCRUAL_DAYS,
        "view_dispersion": VIEW_DISPERSION,
        "view_dispersion_followers": VIEW_DISPERSION_FOLLOWERS,
        "post_failure_rate": POST_FAILURE_RATE,
        "views_per_share": VIEWS_PER_SHARE,
        "cascade_cap": CASCADE_CAP,
        "follow_rate": FOLLOW_RATE,
        "churn_rate": CHURN_RATE,
    }
