"""Named defaults for the parts of a pool that exports often leave blank.

Each is documented with its source in ``docs/assumptions.md`` and can be overridden in a
scenario's ``[model]`` table (``engagement_by_tier``, ``interaction_split``).
"""

from __future__ import annotations

from types import MappingProxyType

#: Engagement (likes + comments + shares) per view, by tier, when a row has no engagement_rate.
#: Flat at 7.5%: per *view*, engagement does not fall with audience size. Source: reachmix field
#: test on a public scrape of ~10,000 TikTok videos by 6,900 creators plus 720 creators' timelines,
#: 2025 (issue 9): 6-9% of views in every tier, no trend; 7.5% is the middle. The public benchmarks
#: that show engagement falling from nano to mega (HypeAuditor, "TikTok Influencer Engagement Rate
#: by follower count", 2023-2024; Influencer Marketing Hub, "TikTok Engagement Rates by Follower
#: Count", 2024) divide by *followers*: they fall because views per follower fall with size
#: (scenarios/view_model.py), not because viewers of big creators engage less.
DEFAULT_ENGAGEMENT_BY_TIER = MappingProxyType(
    {"nano": 0.075, "micro": 0.075, "mid": 0.075, "macro": 0.075, "mega": 0.075}
)

#: Split of engagements into likes, comments and shares when the per-kind rates are blank.
#: Comments are about 1% of interactions (same field test, issue 9; the previous 5% was 5x too
#: many). Shares: 7%, a stated assumption (public TikTok datasets such as the Kaggle "TikTok
#: trending videos" scrape show shares an order of magnitude below likes); likes the rest, 92%.
DEFAULT_INTERACTION_SPLIT = MappingProxyType({"likes": 0.92, "comments": 0.01, "shares": 0.07})
