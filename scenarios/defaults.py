"""Named defaults for the parts of a pool that exports often leave blank.

Each is documented with its source in ``docs/assumptions.md`` and can be overridden in a
scenario's ``[model]`` table (``engagement_by_tier``, ``interaction_split``).
"""

from __future__ import annotations

from types import MappingProxyType

#: Engagement (likes + comments + shares) per view, by tier, when a row has no engagement_rate.
#: Rounded from public TikTok benchmarks that report engagement falling with audience size
#: (HypeAuditor, "TikTok Influencer Engagement Rate by follower count", 2023-2024; Influencer
#: Marketing Hub, "TikTok Engagement Rates by Follower Count", 2024): nano creators around 8-10%
#: of views, mega creators around 4-5%.
DEFAULT_ENGAGEMENT_BY_TIER = MappingProxyType(
    {"nano": 0.090, "micro": 0.075, "mid": 0.062, "macro": 0.053, "mega": 0.045}
)

#: Split of engagements into likes, comments and shares when the per-kind rates are blank.
#: Likes dominate on TikTok; comments and shares are each an order of magnitude rarer (public
#: TikTok datasets such as the Kaggle "TikTok trending videos" scrape show likes 10-30x shares
#: and comments). Stated assumption.
DEFAULT_INTERACTION_SPLIT = MappingProxyType({"likes": 0.88, "comments": 0.05, "shares": 0.07})
