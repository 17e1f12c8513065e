"""Realistic, messy TikTok video exports with KNOWN generating parameters (test data for issue 9).

``generate_videos`` draws a world of creators and videos from an ``ExportTruth`` and observes each
video as a scraper does: once at a first crawl and, for ``recrawl_share`` of the videos, again 2-6
weeks later. Every record is one OBSERVATION; its hidden ``truth`` dict keeps what no export shows
(creator index and random effect, true eventual views, exact age), so tests of ingest, calibrate and
backtest can compare what they recover with what generated the data. The writers then produce the
shapes real tools write, with the mess real files have. Nothing here describes a real person.

The model (all parameters are fields of ``ExportTruth``)::

    ln E_v = ln(view_scale) + view_exponent * ln F_c + u_c + e_v      eventual (90-day) views
    u_c ~ N(0, creator_sigma^2),   e_v ~ N(0, within_sigma^2)
    views at age a = E_v * A_v(a)  (simulate/curve.py, day-1 share p, shape b_v = b * exp(s Z_v))
    interactions = Poisson(views x r_v),  r_v = engagement_rate x creator and video log-normal
    factors (mean 1), split likes/comments/shares = 1 - c - s / c / s

so ``view_scale x F^view_exponent`` is the MEDIAN eventual views of a post of a typical creator
(u = 0). The mean of one creator's posts is that times exp(within_sigma^2 / 2) (``mean_post_scale``)
and the mean over creators of a follower count times exp((creator_sigma^2 + within_sigma^2) / 2).

The mess, each with its real-world origin (tests/test_exports.py checks each one is present):

Research API shape (``write_api_jsonl``, ``write_api_page``)
- Field names as the TikTok Research API returns them (``id``, ``username``, ``create_time`` in
  Unix seconds, ``view_count``, ``like_count``, ``comment_count``, ``share_count``,
  ``hashtag_names``, ``region_code``, ``video_description``), written compactly as the API does.
- ``id`` is a JSON integer above 2^53 (the API sends it as a number; a float64 reader corrupts it)
  whose top 32 bits are ``create_time``, as in real TikTok ids; two videos of one creator posted
  in the same second (scheduled bulk uploads) differ only in the low bits.
- ``hashtag_names`` is absent when a video has no hashtag (the API omits empty fields).
- ``collected_at`` (Unix seconds) and ``follower_count`` are not API fields: scrapers
  add the crawl time and the creator's follower count from a profile lookup; the lookup sometimes
  fails (``null``). One response page keeps the envelope ``{"data": {"videos", "cursor",
  "has_more", "search_id"}, "error": {...}}``.
- Descriptions carry Turkish text and emoji (4-byte UTF-8), written unescaped; ``username`` is
  ASCII (TikTok's unique ids are); the follower count grows a little between a video's crawls.

Scraper CSV (``write_scraper_csv``), as browser-extension and Apify-style scrapers write them
- Foreign headers ``user_name, vid_id, vid_time, vid_nview, vid_nlike, vid_ncomment, vid_nshare,
  user_nfollower, crawl_time, hashtags``; ``;`` delimiter, UTF-8 with BOM and CRLF line ends
  (Excel in a comma-decimal locale: Turkish, German, French Excel all save "CSV" like that).
- Counts as the TikTok page DISPLAYS them, with the locale's decimal comma: ``845``, ``13,9K``,
  ``1,2M`` (truncated to one decimal like the app; scrapers read the page, not the API).
- ``user_nfollower`` with NBSP thousands (``1 234 567``): the exact count formatted by a
  spreadsheet in a locale that groups with a no-break space (fr-FR, ru-RU, sv-SE, pl-PL).
- Handles are display-style with Turkish letters (İ, ı, ş, ğ, ç, ö, ü) in NFC, but a few rows hold
  the same handle or hashtags in NFD (text that passed through macOS file names or copy-paste).
- ``vid_time`` is the post time as NAIVE local time in Europe/Istanbul (the scraper ran on a
  Turkish laptop and formatted the page's time locally) while ``crawl_time`` is UTC (server clock).
  Styles differ between files but each column is consistent: ``6/10/2025 22:44`` (en-US Excel),
  ``21.05.2025 22:44`` (Turkish/German short dates), ISO with offset, naive ISO, Unix seconds.
- Blank cells: comments turned off (blank comment count), a failed profile lookup (blank
  followers), a video that went private before the crawl (blank views: the row is unusable).
- Exact duplicate rows (a scraper re-reading an overlapping result page).
- Ids typed as numbers by a spreadsheet (``7.50E+18``), unrecoverable: only in a small separate
  file (``write_damaged_ids_csv``) because such a file cannot be ingested at all.
- A few fresh observations with more shares than views (engagement rate > 1: the view counter
  lags the interaction counters on a new post; issue 9 saw a rate of 1.16), small case file only.
- A cp1254 (Turkish Windows "ANSI") copy without BOM, small case file only.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from .curve import share_by_age

DAY = 86_400


@dataclass(frozen=True)
class ExportTruth:
    """The generating parameters. Defaults follow the real-data figures of issue 9 where it gives
    them ("issue 9"); the rest are stated assumptions ("assumption")."""

    #: Median eventual views = view_scale x followers^view_exponent. Issue 9: views per follower
    #: fall with size, log-log slope about 0.74; the scale 20 puts the median views/follower of a
    #: tier at its median follower count at 2.46 for nano and 0.354 for mega (issue 9: 2.5, 0.36).
    view_scale: float = 20.0
    view_exponent: float = 0.74
    #: Creator random effect on log-views (assumption: 0.8, creators of one size differ ~2.2x).
    creator_sigma: float = 0.8
    #: Sigma of log eventual views within a creator (issue 9: 1.15-1.50 on the timelines).
    within_sigma: float = 1.3
    #: Accumulation curve of simulate/curve.py; issue 9 fitted a day-1 share of 0.30 (shape and
    #: horizon: simulate/assumptions.py defaults). Each video's shape varies (assumption: 0.15).
    day1_share: float = 0.30
    accrual_shape: float = 1.295
    accrual_days: float = 90.0
    curve_shape_sigma: float = 0.15
    #: Interactions per view, flat across tiers (issue 9: 6-9%); comments ~1% of interactions
    #: (issue 9); shares 8% (assumption); creator and video log-normal factors (assumption: 0.3).
    engagement_rate: float = 0.07
    comments_share: float = 0.01
    shares_share: float = 0.08
    engagement_creator_sigma: float = 0.3
    engagement_video_sigma: float = 0.3
    #: Creators per tier and log10 follower range (log-uniform within a tier; default tier bounds of
    #: scenarios/tiers.py). Assumption: bigger tiers over-sampled relative to the platform (where
    #: nearly all accounts are nano) so that every tier can be backtested, as a campaign's
    #: shortlist is; the density still falls steeply above 1M followers.
    tier_shares: tuple[tuple[str, float], ...] = (("nano", 0.30), ("micro", 0.30), ("mid", 0.25),
                                                  ("macro", 0.08), ("mega", 0.07))
    tier_log10: tuple[tuple[str, float, float], ...] = (("nano", 3.0, 4.0), ("micro", 4.0, 5.0),
                                                        ("mid", 5.0, math.log10(5e5)),
                                                        ("macro", math.log10(5e5), 6.0), ("mega", 6.0, math.log10(3e7)))
    #: Follower growth per 30 days after ``posting_start`` (assumption: 0.5%); views use the count
    #: at posting_start, observations report the count at their crawl time.
    follower_growth: float = 0.005
    #: Posts over ~4 months, local time of ``local_zone``, evening-heavy (assumption, hour weights below).
    posting_start: str = "2025-03-01"
    posting_days: int = 122
    local_zone: str = "Europe/Istanbul"
    #: First crawl at a log-uniform age (days); re-crawl 2-6 weeks later (issue 9's re-crawls).
    first_crawl_age: tuple[float, float] = (0.25, 60.0)
    recrawl_delay: tuple[float, float] = (14.0, 42.0)

    @property
    def mean_post_scale(self) -> float:
        """Scale of the MEAN eventual views of a typical creator's post (what avg_views means)."""
        return self.view_scale * math.exp(self.within_sigma**2 / 2)

    @property
    def mean_creator_scale(self) -> float:
        """Scale of the mean eventual views over creators of one follower count."""
        return self.view_scale * math.exp((self.creator_sigma**2 + self.within_sigma**2) / 2)

    def median_views_per_follower(self, tier: str) -> float:
        """At the tier's median follower count (log-uniform: the geometric middle of its range)."""
        lo, hi = next((lo, hi) for name, lo, hi in self.tier_log10 if name == tier)
        return self.view_scale * (10 ** ((lo + hi) / 2)) ** (self.view_exponent - 1)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["derived"] = {
            "meaning_of_view_scale": "median eventual views of a post of a typical creator = view_scale * followers^view_exponent",
            "mean_post_scale": round(self.mean_post_scale, 6),
            "mean_creator_scale": round(self.mean_creator_scale, 6),
            "likes_share": round(1 - self.comments_share - self.shares_share, 6),
            "median_views_per_follower": {t: round(self.median_views_per_follower(t), 4) for t, _ in self.tier_shares},
        }
        return out


#: Local posting hour weights (assumption: TikTok posting peaks in the evening, 18:00-22:00).
HOUR_WEIGHTS = np.array([3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5], float)
FIRST = ("ayşe", "elif", "zeynep", "irem", "şule", "ılgın", "işıl", "büşra", "gökçe", "özge", "çağla", "merve",
         "mert", "emre", "oğuz", "barış", "serkan", "doğan", "ümit", "kıvanç", "deniz", "ece", "selin", "tuğba")
LAST = ("yılmaz", "kaya", "şahin", "çelik", "öztürk", "aydın", "arslan", "doğan", "kılıç", "aslan", "güneş",
        "ışık", "yıldız", "koç", "özdemir", "şimşek", "erdoğan", "aktaş", "polat", "kurt")
TOPICS = (("makyaj", "güzellik", "ciltbakımı", "ruj", "grwm", "skincare"),
          ("yemek", "tarif", "kahvaltı", "tatlı", "lezzet"),
          ("kombin", "moda", "stil", "alışveriş", "ootd"),
          ("komedi", "skeç", "şaka", "mizah"),
          ("dans", "müzik", "trend", "challenge"),
          ("İstanbul", "gezi", "seyahat", "vlog", "kafe"))
GENERIC = ("keşfet", "fyp", "foryou", "viral", "keşfetbeniöneçıkar", "tiktoktürkiye")
PHRASES = ("Yeni ruj denedim 💄", "Sabah rutinim ☀️", "Bu trendi denedik 😂", "Tarif yorumlarda 👇",
           "Kombin önerisi ✨", "Bugün İstanbul'da 🌉", "Sonuna kadar izleyin!", "Şaka değil 😅", "")
REGIONS = (("TR", 0.85), ("DE", 0.06), ("AZ", 0.04), ("NL", 0.03), ("GB", 0.02))
_ASCII = str.maketrans("şŞıİğĞçÇöÖüÜ", "sSiIgGcCoOuU")


def fold_key(text: str) -> str:
    """NFC + case folding that knows Turkish (İ, I, ı and i alike): two handles that fold alike
    would be ONE creator to the reader, so generated handles are kept unique under it."""
    return unicodedata.normalize("NFC", text).replace("İ", "i").replace("I", "i").replace("ı", "i").casefold()


def _draw_creators(truth: ExportTruth, n: int, rng: np.random.Generator) -> list[dict]:
    names = [t for t, _ in truth.tier_shares]
    shares = np.array([s for _, s in truth.tier_shares])
    ranges = {t: (lo, hi) for t, lo, hi in truth.tier_log10}
    tiers = rng.choice(len(names), size=n, p=shares / shares.sum())
    u = rng.uniform(size=n)
    log10f = np.array([ranges[names[k]][0] + u[i] * (ranges[names[k]][1] - ranges[names[k]][0])
                       for i, k in enumerate(tiers)])
    level = truth.creator_sigma * rng.standard_normal(n)
    sig = truth.engagement_creator_sigma
    eng = truth.engagement_rate * np.exp(sig * rng.standard_normal(n) - sig**2 / 2)
    first, last = rng.integers(0, len(FIRST), n), rng.integers(0, len(LAST), n)
    style, suffix = rng.integers(0, 4, n), rng.integers(1, 100, n)
    topic = rng.integers(0, len(TOPICS), n)
    region = rng.choice(len(REGIONS), size=n, p=[p for _, p in REGIONS])
    creators, seen = [], set()
    for i in range(n):
        f, s = FIRST[first[i]], LAST[last[i]]
        if style[i] == 1:  # Turkish-aware capitalisation of the initial: i -> İ, ı -> I
            f = {"i": "İ", "ı": "I"}.get(f[0], f[0].upper()) + f[1:]
        display = (f"{f}.{s}", f"{f}_{s}{suffix[i]}", f"{f}{s}", f"{s}.{f}{suffix[i]}")[style[i]]
        k = 2
        while fold_key(display) in seen or fold_key(display.translate(_ASCII)) in seen:
            display = f"{display}{k}"
            k += 1
        seen.update((fold_key(display), fold_key(display.translate(_ASCII))))
        creators.append({"creator": i, "tier": names[tiers[i]], "followers": float(10 ** log10f[i]),
                         "level": float(level[i]), "engagement": float(eng[i]), "display": display,
                         "username": display.translate(_ASCII).lower(), "topic": int(topic[i]),
                         "region": REGIONS[region[i]][0]})
    return creators


def generate_videos(truth: ExportTruth = ExportTruth(), *, creators: int = 100,
                    videos_per_creator: tuple[int, int] = (2, 20), recrawl_share: float = 0.35,
                    seed: int | np.random.SeedSequence = 0, same_second_pairs: int = 2) -> list[dict]:
    """One record per observation (first crawls and re-crawls), sorted by crawl time.

    Public fields: ``video_id`` (int), ``username`` (ASCII, as the API spells it), ``display``
    (Turkish spelling, as scrapers show it), ``create_time``/``collected_at`` (Unix seconds),
    ``followers`` (at crawl time), ``views``, ``likes``, ``comments``, ``shares``, ``hashtags``,
    ``region``, ``description``. Hidden ``truth``: creator, tier, followers (as used by the view
    model), level (u_c), eventual_views, age_days, crawl (0 first, 1 re-crawl), engagement_rate.
    ``videos_per_creator`` is an inclusive integer range; exactly round(recrawl_share x videos)
    videos are re-crawled; ``same_second_pairs`` creators post two videos in the same second.
    """
    rng = np.random.default_rng(seed)
    people = _draw_creators(truth, creators, rng)
    lo, hi = videos_per_creator
    counts = rng.integers(lo, hi + 1, creators)
    owner = np.repeat(np.arange(creators), counts)
    n = len(owner)
    followers = np.array([c["followers"] for c in people])[owner]
    level = np.array([c["level"] for c in people])[owner]
    eventual = np.exp(math.log(truth.view_scale) + truth.view_exponent * np.log(followers) + level
                      + truth.within_sigma * rng.standard_normal(n))
    shape = truth.accrual_shape * np.exp(truth.curve_shape_sigma * rng.standard_normal(n))
    sig = truth.engagement_video_sigma
    rate = np.array([c["engagement"] for c in people])[owner] * np.exp(sig * rng.standard_normal(n) - sig**2 / 2)

    # Post times: a local calendar day, an evening-heavy local hour, then to UTC through the zone.
    zone = ZoneInfo(truth.local_zone)
    start = datetime.fromisoformat(truth.posting_start)
    day = rng.integers(0, truth.posting_days, n)
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    second = rng.integers(0, 3600, n)
    created = np.array([int((start + timedelta(days=int(d), hours=int(h), seconds=int(s))).replace(tzinfo=zone)
                             .timestamp()) for d, h, s in zip(day, hour, second)], dtype=np.int64)
    first_of = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pairs = [c for c in rng.permutation(creators) if counts[c] >= 2][:same_second_pairs]
    for c in pairs:  # a scheduled bulk upload: two videos of one creator in the same second
        created[first_of[c] + 1] = created[first_of[c]]
    low = rng.integers(0, 2**32, n, dtype=np.int64)
    ids = (created << 32) | low
    while len(set(ids.tolist())) < n:  # practically never: redraw colliding low bits
        low = rng.integers(0, 2**32, n, dtype=np.int64)
        ids = (created << 32) | low

    a_lo, a_hi = truth.first_crawl_age
    age1 = np.exp(rng.uniform(math.log(a_lo), math.log(a_hi), n))
    crawl1 = created + np.round(age1 * DAY).astype(np.int64)
    again = np.zeros(n, bool)
    again[rng.choice(n, size=int(round(recrawl_share * n)), replace=False)] = True
    delay = rng.uniform(*truth.recrawl_delay, n)
    crawl2 = crawl1 + np.round(delay * DAY).astype(np.int64)

    tags_of = []
    for v in range(n):
        topic = TOPICS[people[owner[v]]["topic"]]
        k = int(rng.integers(0, 4))
        chosen = [topic[j] for j in sorted(rng.choice(len(topic), size=min(k, len(topic)), replace=False))]
        if k and rng.uniform() < 0.5:
            chosen.append(GENERIC[int(rng.integers(0, len(GENERIC)))])
        tags_of.append(chosen)
    phrase = rng.integers(0, len(PHRASES), n)

    t0 = start.replace(tzinfo=zone).timestamp()
    split = {"likes": 1 - truth.comments_share - truth.shares_share, "comments": truth.comments_share,
             "shares": truth.shares_share}
    ages = [(c - created) / DAY for c in (crawl1, crawl2)]
    views = [np.round(eventual * share_by_age(a, truth.day1_share, shape, truth.accrual_days)).astype(np.int64)
             for a in ages]
    inter = {}
    for k, s in split.items():
        lam1, lam2 = views[0] * rate * s, views[1] * rate * s
        c1 = rng.poisson(lam1)
        inter[k] = (c1, c1 + rng.poisson(np.maximum(lam2 - lam1, 0.0)))  # counters only grow
    records = []
    for v in range(n):
        c = people[owner[v]]
        text = " ".join([PHRASES[phrase[v]]] + [f"#{t}" for t in tags_of[v]]).strip()
        for crawl, when in enumerate((crawl1[v], crawl2[v]) if again[v] else (crawl1[v],)):
            grown = c["followers"] * (1 + truth.follower_growth * max(int(when) - t0, 0) / (30 * DAY))
            records.append({
                "video_id": int(ids[v]), "username": c["username"], "display": c["display"],
                "create_time": int(created[v]), "collected_at": int(when), "followers": int(round(grown)),
                "views": int(views[crawl][v]), **{k: int(inter[k][crawl][v]) for k in split},
                "hashtags": list(tags_of[v]), "region": c["region"], "description": text,
                "truth": {"creator": c["creator"], "tier": c["tier"], "followers": c["followers"],
                          "level": c["level"], "eventual_views": float(eventual[v]), "age_days": float(ages[crawl][v]),
                          "crawl": crawl, "engagement_rate": float(rate[v]), "video": v},
            })
    records.sort(key=lambda r: (r["collected_at"], r["video_id"]))
    return records


# --- formatting helpers ---------------------------------------------------------------------------


def display_count(n: int, decimal: str = ",") -> str:
    """A count as the TikTok app shows it: 845, 13,9K, 1,2M (truncated to one decimal)."""
    n = int(n)
    for div, suffix in ((10**6, "M"), (10**3, "K")):
        if n >= div:
            whole, tenth = divmod(n * 10 // div, 10)
            return f"{whole}{suffix}" if tenth == 0 else f"{whole}{decimal}{tenth}{suffix}"
    return str(n)


def nbsp_thousands(n: int) -> str:
    return f"{int(n):,}".replace(",", "\u00a0")


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc)


def format_time(ts: int, style: str, zone: str = "UTC") -> str:
    """Unix seconds written in one of the styles exports use; naive styles show local ``zone`` time."""
    if style == "unix":
        return str(int(ts))
    t = _utc(ts)
    if style == "iso_offset":
        return t.isoformat()
    local = t.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if style == "mdy":
        return f"{local.month}/{local.day}/{local.year} {local.hour}:{local.minute:02d}"
    if style == "dmy":
        return f"{local.day:02d}.{local.month:02d}.{local.year} {local.hour:02d}:{local.minute:02d}"
    if style == "iso_naive":
        return local.isoformat(sep=" ")
    raise ValueError(f"unknown time style {style!r}")


def _nfd_some(text: str, pick: bool) -> str:
    return unicodedata.normalize("NFD", text) if pick else text


# --- writers --------------------------------------------------------------------------------------


def api_record(r: dict, *, follower_missing: bool = False) -> dict:
    """A record in Research API shape plus the two fields scrapers add."""
    out = {"id": r["video_id"], "create_time": r["create_time"], "username": r["username"],
           "region_code": r["region"], "video_description": r["description"]}
    if r["hashtags"]:
        out["hashtag_names"] = list(r["hashtags"])
    out.update({"view_count": r["views"], "like_count": r["likes"], "comment_count": r["comments"],
                "share_count": r["shares"], "follower_count": None if follower_missing else r["followers"],
                "collected_at": r["collected_at"]})
    return out


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_api_jsonl(path, records: list[dict], *, seed=0, missing_followers: float = 0.01) -> dict:
    """JSON Lines, one API record per observation. Returns what was done (for truth files)."""
    rng = np.random.default_rng(seed)
    missing = rng.uniform(size=len(records)) < missing_followers
    lines = [_dumps(api_record(r, follower_missing=bool(m))) for r, m in zip(records, missing)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return {"rows": len(records), "follower_count_null": int(missing.sum()),
            "hashtag_names_absent": sum(1 for r in records if not r["hashtags"])}


def write_api_page(path, records: list[dict], *, cursor: int, has_more: bool, search_id: str) -> dict:
    """One Research API response page, envelope included, as a scraper saved it (pretty-printed)."""
    page = {"data": {"videos": [api_record(r) for r in records], "cursor": cursor, "has_more": has_more,
                     "search_id": search_id},
            "error": {"code": "ok", "message": "", "log_id": "20250716093112A1B2C3D4E5F6A7B8C9", "http_status_code": 200}}
    Path(path).write_text(json.dumps(page, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return {"rows": len(records)}


SCRAPER_HEADER = ("user_name", "vid_id", "vid_time", "vid_nview", "vid_nlike", "vid_ncomment", "vid_nshare",
                  "user_nfollower", "crawl_time", "hashtags")


def scraper_rows(records: list[dict], *, seed=0, post_style="mdy", crawl_style="iso_offset", zone="Europe/Istanbul",
                 blanks=(0.03, 0.01, 0.01, 0.005), nfd_share=0.03, duplicates=0.005, id_style="text",
                 shares_above_views=0) -> tuple[list[list[str]], dict]:
    """Rows (header first) of the scraper CSV and a report of the mess put in.

    ``blanks``: shares of rows with a blank comment count, share count, follower count, view count.
    ``nfd_share``: share of rows whose handle and hashtags are written in NFD. ``duplicates``: share of
    rows repeated (inserted later in the file). ``id_style``: "text" or "excel" (7.50E+18).
    ``shares_above_views``: that many of the youngest observations get more shares than views.
    """
    rng = np.random.default_rng(seed)
    n = len(records)
    draws = rng.uniform(size=(n, len(blanks)))
    nfd = rng.uniform(size=n) < nfd_share
    # Only videos seen once, so that no later crawl shows the counter going down.
    seen_twice = {r["video_id"] for r in records if r["truth"]["crawl"] == 1}
    ages = [r["truth"]["age_days"] if r["video_id"] not in seen_twice else math.inf for r in records]
    lagging = set(np.argsort(ages, kind="stable")[:shares_above_views].tolist())
    rows, report = [list(SCRAPER_HEADER)], {"blank_comments": 0, "blank_shares": 0, "blank_followers": 0,
                                            "blank_views": [], "nfd_rows": 0, "shares_above_views": []}
    for i, r in enumerate(records):
        shares = r["shares"]
        if i in lagging:
            shares = int(r["views"] * rng.uniform(1.1, 1.3)) + 1  # e.g. issue 9's rate of 1.16
            report["shares_above_views"].append(r["video_id"])
        tags = " ".join(f"#{t}" for t in r["hashtags"])
        vid = f"{r['video_id'] / 1e18:.2f}E+18" if id_style == "excel" else str(r["video_id"])
        has_nfd = nfd[i] and unicodedata.normalize("NFD", r["display"] + tags) != r["display"] + tags
        row = [_nfd_some(r["display"], has_nfd), vid, format_time(r["create_time"], post_style, zone),
               display_count(r["views"]), display_count(r["likes"]), display_count(r["comments"]),
               display_count(shares), nbsp_thousands(r["followers"]),
               format_time(r["collected_at"], crawl_style, "UTC"), _nfd_some(tags, has_nfd)]
        report["nfd_rows"] += int(has_nfd)
        for k, (col, key) in enumerate(((5, "blank_comments"), (6, "blank_shares"), (7, "blank_followers"),
                                        (3, "blank_views"))):
            if draws[i, k] < blanks[k]:
                row[col] = ""
                if key == "blank_views":
                    report[key].append(r["video_id"])
                else:
                    report[key] += 1
        rows.append(row)
    n_dup = int(round(duplicates * n))
    picks = sorted(rng.choice(np.arange(1, n + 1), size=n_dup, replace=False).tolist()) if n_dup else []
    for p in reversed(picks):  # a repeated page overlap: the row reappears a little later
        at = min(p + 1 + int(rng.integers(0, 20)), len(rows))
        rows.insert(at, list(rows[p]))
    report["duplicate_rows"] = n_dup
    return rows, report


def write_csv(path, rows: list[list[str]], *, delimiter=";", encoding="utf-8-sig") -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    Path(path).write_bytes(buf.getvalue().encode(encoding))


def write_scraper_csv(path, records: list[dict], *, delimiter=";", encoding="utf-8-sig", **kwargs) -> dict:
    rows, report = scraper_rows(records, **kwargs)
    write_csv(path, rows, delimiter=delimiter, encoding=encoding)
    report["rows"] = len(rows) - 1
    return report


def write_damaged_ids_csv(path, records: list[dict], *, seed=0) -> dict:
    """A comma-delimited en-US Excel save: ids shown as 7.50E+18, post time M/D/YYYY, crawl Unix."""
    return write_scraper_csv(path, records, delimiter=",", encoding="utf-8", seed=seed, id_style="excel",
                             crawl_style="unix", blanks=(0, 0, 0, 0), nfd_share=0.0, duplicates=0.0)


# --- bundles --------------------------------------------------------------------------------------

#: The example bundle: two independent worlds of the same truth, sized so that a backtest with a
#: 0.3 test share has >= 100 test videos in each of nano, micro and mid in each file while every
#: file stays < 1 MB (the JSON Lines rows are ~2.5x the CSV rows, so the JSONL world is smaller).
BUNDLE = {"videos.jsonl": {"creators": 340, "videos_per_creator": (2, 12)},
          "scraper.csv": {"creators": 700, "videos_per_creator": (2, 12)}}


def _streams(seed: int, key: int, n: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed, spawn_key=(key,)).spawn(n)


def bundle_worlds(seed: int = 1, truth: ExportTruth = ExportTruth()) -> dict[str, list[dict]]:
    """The observation records behind each bundle file (with their hidden truth), for tests."""
    s = _streams(seed, 0, 4)
    return {name: generate_videos(truth, recrawl_share=0.35, seed=s[2 * k], **BUNDLE[name])
            for k, name in enumerate(BUNDLE)}


def write_bundle(folder, seed: int = 1, truth: ExportTruth = ExportTruth()) -> dict:
    """The example export files (scenarios/examples/tiktok-export): data only; README.md and
    scenario.toml there are written by hand. Returns a summary per file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = _streams(seed, 0, 4)
    worlds = bundle_worlds(seed, truth)
    summary = {"videos.jsonl": write_api_jsonl(folder / "videos.jsonl", worlds["videos.jsonl"], seed=s[1]),
               "scraper.csv": write_scraper_csv(folder / "scraper.csv", worlds["scraper.csv"], seed=s[3])}
    for name, recs in worlds.items():
        summary[name].update(_world_summary(recs))
    return summary


def _world_summary(records: list[dict]) -> dict:
    videos = {r["truth"]["video"]: r["truth"]["tier"] for r in records}
    tiers = {}
    for t in videos.values():
        tiers[t] = tiers.get(t, 0) + 1
    return {"observations": len(records), "videos": len(videos),
            "creators": len({r["truth"]["creator"] for r in records}),
            "recrawled_videos": sum(1 for r in records if r["truth"]["crawl"] == 1), "videos_by_tier": tiers}


def realized(records: list[dict]) -> dict:
    """In-sample values of the parameters in one world (sampling noise: 200 creators give the
    log-log slope a standard error of ~0.03), to compare a fit of one file against."""
    first = {}
    for r in records:
        first.setdefault(r["truth"]["video"], r)
    rows = list(first.values())
    logf = np.log([r["truth"]["followers"] for r in rows])
    loge = np.log([r["truth"]["eventual_views"] for r in rows])
    slope, intercept = np.polyfit(logf, loge, 1)
    by_creator: dict[int, list[float]] = {}
    levels = {}
    for r, e in zip(rows, loge):
        by_creator.setdefault(r["truth"]["creator"], []).append(e)
        levels[r["truth"]["creator"]] = r["truth"]["level"]
    within = np.concatenate([np.asarray(v) - np.mean(v) for v in by_creator.values()])
    last = {r["truth"]["video"]: r for r in records}.values()
    inter = {k: sum(r[k] for r in last) for k in ("likes", "comments", "shares")}
    total, views = sum(inter.values()), sum(r["views"] for r in last)
    return {"ols_exponent": round(float(slope), 4), "ols_scale": round(math.exp(intercept), 4),
            "within_sigma": round(math.sqrt(float(within @ within) / (len(within) - len(by_creator))), 4),
            "creator_sigma": round(float(np.std(list(levels.values()), ddof=1)), 4),
            "creator_level_mean": round(float(np.mean(list(levels.values()))), 4),
            "engagement_per_view": round(total / views, 4), "comments_share": round(inter["comments"] / total, 4),
            "shares_share": round(inter["shares"] / total, 4)}


def write_cases(folder, seed: int = 1, truth: ExportTruth = ExportTruth()) -> dict:
    """The small test cases of tests/data/exports and their truth.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = _streams(seed, 1, 12)
    files = {}
    api = generate_videos(truth, creators=30, videos_per_creator=(3, 12), recrawl_share=0.35, seed=s[0])
    files["research_api.jsonl"] = write_api_jsonl(folder / "research_api.jsonl", api, seed=s[1], missing_followers=0.03)
    files["research_api.jsonl"].update(_world_summary(api))
    page = generate_videos(truth, creators=8, videos_per_creator=(2, 4), recrawl_share=0.0, seed=s[2])[:20]
    files["research_api_page.json"] = write_api_page(folder / "research_api_page.json", page, cursor=20,
                                                     has_more=True, search_id="7423981247321114626")
    mdy = generate_videos(truth, creators=30, videos_per_creator=(3, 12), recrawl_share=0.35, seed=s[3])
    files["scraper_mdy.csv"] = write_scraper_csv(folder / "scraper_mdy.csv", mdy, seed=s[4], nfd_share=0.08,
                                                 blanks=(0.05, 0.02, 0.02, 0.01), duplicates=0.01,
                                                 shares_above_views=3)
    files["scraper_mdy.csv"].update(_world_summary(mdy))
    dmy = generate_videos(truth, creators=20, videos_per_creator=(3, 10), recrawl_share=0.35, seed=s[5])
    files["scraper_dmy.csv"] = write_scraper_csv(folder / "scraper_dmy.csv", dmy, seed=s[6], post_style="dmy",
                                                 crawl_style="iso_naive")
    files["scraper_dmy.csv"].update(_world_summary(dmy))
    bad = generate_videos(truth, creators=5, videos_per_creator=(2, 4), recrawl_share=0.35, seed=s[7])
    files["damaged_ids.csv"] = write_damaged_ids_csv(folder / "damaged_ids.csv", bad, seed=s[8])
    ansi = generate_videos(truth, creators=6, videos_per_creator=(2, 4), recrawl_share=0.0, seed=s[9])
    files["scraper_cp1254.csv"] = write_scraper_csv(folder / "scraper_cp1254.csv", ansi, seed=s[10],
                                                    encoding="cp1254", nfd_share=0.0, blanks=(0, 0, 0, 0),
                                                    duplicates=0.0)
    for report in files.values():
        for key in ("blank_views", "shares_above_views"):
            if key in report:
                report[key] = [str(v) for v in report[key]]  # 64-bit ids as text: JSON readers may use doubles
    bundle = {name: {**_world_summary(recs), "realized": realized(recs)}
              for name, recs in bundle_worlds(seed, truth).items()}
    for name, recs in (("research_api.jsonl", api), ("scraper_mdy.csv", mdy), ("scraper_dmy.csv", dmy)):
        files[name]["realized"] = realized(recs)
    out = {"seed": seed, "generator": "simulate/exports.py (scripts/make_exports.py)", "truth": truth.to_dict(),
           "files": files, "bundle": bundle}
    (folder / "truth.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8",
                                       newline="\n")
    return out
