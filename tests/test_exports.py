"""The messy TikTok export test data (simulate/exports.py): reproducible, shaped as claimed (read
with the json/csv modules, never with reachmix's own reader), generated with the stated truth, and
carrying every documented mess."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tomllib
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from simulate.curve import share_by_age
from simulate.exports import (BUNDLE, SCRAPER_HEADER, ExportTruth, bundle_worlds, display_count, fold_key,
                              format_time, generate_videos, nbsp_thousands, write_bundle, write_cases)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "tiktok-export"
CASES = ROOT / "tests" / "data" / "exports"
BUNDLE_FILES = ("videos.jsonl", "scraper.csv")
CASE_FILES = ("research_api.jsonl", "research_api_page.json", "scraper_mdy.csv", "scraper_dmy.csv",
              "damaged_ids.csv", "scraper_cp1254.csv", "truth.json")
#: Europe/Istanbul has been UTC+3 all year since 2016-09-07: an independent check of the zone math.
ISTANBUL = timezone(timedelta(hours=3))
API_KEYS = {"id", "create_time", "username", "region_code", "video_description", "view_count", "like_count",
            "comment_count", "share_count", "follower_count", "collected_at"}


def undisplay(text: str) -> float:
    """'13,9K' -> 13900, '1,2M' -> 1.2e6, '845' -> 845 (the test's own parser)."""
    scale = {"K": 1e3, "M": 1e6}.get(text[-1:], 1.0)
    return round(float((text[:-1] if scale != 1.0 else text).replace(",", ".")) * scale)


def read_scraper(path: Path, delimiter=";", encoding="utf-8-sig") -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


@pytest.fixture(scope="module")
def worlds():
    return bundle_worlds(1)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    summary = write_bundle(out / "bundle", 1)
    truth = write_cases(out / "cases", 1)
    return out, summary, truth


# --- reproducible and small ------------------------------------------------------------------


def test_committed_files_equal_a_fresh_generation_byte_for_byte(fresh):
    out, _, _ = fresh
    for name in BUNDLE_FILES:
        assert (out / "bundle" / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
    for name in CASE_FILES:
        assert (out / "cases" / name).read_bytes() == (CASES / name).read_bytes(), name


def test_another_seed_gives_other_data(tmp_path):
    a = generate_videos(creators=5, seed=1)
    b = generate_videos(creators=5, seed=2)
    assert a == generate_videos(creators=5, seed=1)
    assert [r["views"] for r in a] != [r["views"] for r in b]


def test_files_are_small():
    sizes = {p.name: p.stat().st_size for p in [*EXAMPLE.iterdir(), *CASES.iterdir()]}
    assert all(size < 1_000_000 for size in sizes.values()), sizes
    assert sum(sizes.values()) < 3_000_000


def test_bundle_is_large_enough_for_a_per_tier_backtest(worlds):
    # With a 0.3 test share a tier needs >= 334 videos for 100 test videos on average; ask for 500
    # so that a split by creator still has >= 100 in nano, micro and mid in each file.
    for name, records in worlds.items():
        videos = {r["video_id"]: r["truth"]["tier"] for r in records}
        per_tier = {t: sum(1 for v in videos.values() if v == t) for t in ("nano", "micro", "mid")}
        assert min(per_tier.values()) >= 500, (name, per_tier)
    assert BUNDLE["scraper.csv"]["creators"] >= 400


# --- Research API shape --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE / "videos.jsonl", CASES / "research_api.jsonl"])
def test_json_lines_have_the_research_api_fields(path):
    raw = path.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert len(rows) > 300
    for r in rows:
        assert API_KEYS <= set(r) <= API_KEYS | {"hashtag_names"}
        assert isinstance(r["id"], int) and r["id"] > 2**53  # a float64 reader would corrupt it
        assert r["id"] >> 32 == r["create_time"]
        assert all(isinstance(r[k], int) and r[k] >= 0 for k in ("view_count", "like_count", "comment_count",
                                                                   "share_count"))
        assert isinstance(r["collected_at"], int) and r["collected_at"] > r["create_time"]
        assert "hashtag_names" not in r or (r["hashtag_names"] and all(isinstance(t, str) for t in r["hashtag_names"]))
    assert any("hashtag_names" not in r for r in rows)          # the API omits empty fields
    assert any(r["follower_count"] is None for r in rows)       # a failed profile lookup
    assert b'","' in raw and b'", "' not in raw                 # compact, as the API writes
    assert "ş".encode() in raw and "✨".encode() in raw         # UTF-8 written unescaped
    # 4 months of posts, re-crawls of the same id later with more views
    assert 110 <= (max(r["create_time"] for r in rows) - min(r["create_time"] for r in rows)) / 86400 <= 122
    by_id = defaultdict(list)
    for r in rows:
        by_id[r["id"]].append(r)
    twice = [sorted(v, key=lambda r: r["collected_at"]) for v in by_id.values() if len(v) == 2]
    assert len(twice) / len(by_id) == pytest.approx(0.35, abs=0.01)
    for first, second in twice:
        assert second["view_count"] >= first["view_count"] and second["like_count"] >= first["like_count"]
        assert 14 * 86400 <= second["collected_at"] - first["collected_at"] <= 42 * 86400


def test_json_lines_match_the_hidden_records(worlds):
    records = worlds["videos.jsonl"]
    rows = [json.loads(line) for line in (EXAMPLE / "videos.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["view_count"], r["share_count"]) for r in rows] == \
        [(r["video_id"], r["views"], r["shares"]) for r in records]


def test_api_response_page_keeps_the_envelope():
    page = json.loads((CASES / "research_api_page.json").read_text(encoding="utf-8"))
    assert set(page) == {"data", "error"} and page["error"]["code"] == "ok"
    data = page["data"]
    assert set(data) == {"videos", "cursor", "has_more", "search_id"}
    assert data["has_more"] is True and data["cursor"] == len(data["videos"]) == 20
    assert all(v["id"] >> 32 == v["create_time"] for v in data["videos"])


def test_two_videos_posted_in_the_same_second_have_different_ids():
    records = generate_videos(creators=20, seed=3, same_second_pairs=2)
    first = {r["video_id"]: r for r in records if r["truth"]["crawl"] == 0}
    by_time = defaultdict(set)
    for r in first.values():
        by_time[(r["username"], r["create_time"])].add(r["video_id"])
    pairs = [ids for ids in by_time.values() if len(ids) == 2]
    assert len(pairs) == 2 and len(first) == len({r["truth"]["video"] for r in records})


# --- the scraper CSV ----------------------------------------------------------------------------


def test_scraper_csv_is_bom_semicolon_crlf_with_foreign_headers():
    raw = (EXAMPLE / "scraper.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfuser_name;vid_id;")
    assert raw.count(b"\r\n") == raw.count(b"\n") > 6000
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == SCRAPER_HEADER
    assert all(len(r) == 10 for r in rows)


def test_scraper_counts_are_displayed_counts_and_nbsp_thousands():
    rows = read_scraper(EXAMPLE / "scraper.csv")
    display = re.compile(r"^(\d{1,3}|\d{1,3}(,\d)?[KM]|\d{4,}(,\d)?M)$")
    for col in ("vid_nview", "vid_nlike", "vid_ncomment", "vid_nshare"):
        assert all(display.match(r[col]) for r in rows if r[col]), col
    views = [r["vid_nview"] for r in rows]
    assert any(re.match(r"^\d+,\dK$", v) for v in views) and any(v.endswith("M") for v in views)
    followers = [r["user_nfollower"] for r in rows if r["user_nfollower"]]
    assert all(re.match("^\\d{1,3}(\u00a0\\d{3})*$", f) for f in followers)
    assert sum("\u00a0" in f for f in followers) > 0.9 * len(followers)


def test_scraper_rows_match_the_hidden_records_within_display_rounding(worlds):
    records = worlds["scraper.csv"]
    rows = read_scraper(EXAMPLE / "scraper.csv")
    # Drop the duplicated rows (each repeats an earlier row exactly) to align with the records.
    seen, unique = set(), []
    for r in rows:
        key = tuple(r.values())
        if key not in seen:
            seen.add(key)
            unique.append(r)
    assert len(rows) - len(unique) == 32 and len(unique) == len(records)
    for r, rec in zip(unique, records):
        assert int(r["vid_id"]) == rec["video_id"]
        assert fold_key(r["user_name"]) == fold_key(rec["display"])
        if r["vid_nview"]:
            shown = undisplay(r["vid_nview"])
            unit = 1e5 if r["vid_nview"].endswith("M") else 100 if r["vid_nview"].endswith("K") else 1
            assert shown <= rec["views"] < shown + unit  # truncated like the app
        if r["user_nfollower"]:
            assert int(r["user_nfollower"].replace("\u00a0", "")) == rec["followers"]


def test_scraper_post_time_is_naive_istanbul_and_crawl_time_utc():
    rows = read_scraper(EXAMPLE / "scraper.csv")
    days = set()
    for r in rows:
        m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})$", r["vid_time"])
        assert m, r["vid_time"]
        month, day, year, hour, minute = map(int, m.groups())
        days.add(day)
        local = datetime(year, month, day, hour, minute, tzinfo=ISTANBUL)
        created = int(r["vid_id"]) >> 32
        assert 0 <= created - local.timestamp() < 60  # minutes shown, seconds dropped
        crawl = datetime.fromisoformat(r["crawl_time"])
        assert crawl.utcoffset() == timedelta(0) and crawl.timestamp() > created
    assert max(days) > 12  # the column's day/month order is decidable


def test_scraper_mess_blanks_duplicates_and_turkish_text():
    rows = read_scraper(EXAMPLE / "scraper.csv")
    for col in ("vid_ncomment", "vid_nshare", "user_nfollower", "vid_nview"):
        assert any(r[col] == "" for r in rows), col
    assert all(r["vid_id"] and r["vid_time"] and r["crawl_time"] for r in rows)
    keys = [tuple(r.values()) for r in rows]
    assert len(keys) - len(set(keys)) == 32
    text = "".join(r["user_name"] + r["hashtags"] for r in rows)
    assert all(ch in text for ch in "İıŞş")
    nfd = [r for r in rows if unicodedata.normalize("NFC", r["user_name"]) != r["user_name"]]
    assert 0 < len(nfd) < 0.05 * len(rows)
    # An NFD handle is the same creator as its NFC spelling elsewhere in the file.
    handles = {r["user_name"] for r in rows}
    assert all(unicodedata.normalize("NFC", r["user_name"]) in handles for r in nfd)


def test_generated_handles_never_fold_together(worlds):
    records = worlds["scraper.csv"]
    creators = {}
    for r in records:
        creators.setdefault(fold_key(r["display"]), set()).add(r["truth"]["creator"])
    assert all(len(v) == 1 for v in creators.values())
    assert len({r["username"] for r in records}) == len({r["truth"]["creator"] for r in records})


def test_dmy_case_has_naive_times_in_two_zones():
    rows = read_scraper(CASES / "scraper_dmy.csv")
    days = set()
    for r in rows:
        m = re.match(r"^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2})$", r["vid_time"])
        assert m, r["vid_time"]
        day, month, year, hour, minute = map(int, m.groups())
        days.add(day)
        created = int(r["vid_id"]) >> 32
        assert 0 <= created - datetime(year, month, day, hour, minute, tzinfo=ISTANBUL).timestamp() < 60
        assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", r["crawl_time"])  # naive ...
        crawl = datetime.fromisoformat(r["crawl_time"]).replace(tzinfo=timezone.utc)  # ... and UTC
        assert crawl.timestamp() > created
    assert max(days) > 12


def test_mdy_case_has_rates_above_one_where_truth_says():
    truth = json.loads((CASES / "truth.json").read_text(encoding="utf-8"))
    lagging = set(truth["files"]["scraper_mdy.csv"]["shares_above_views"])
    rows = read_scraper(CASES / "scraper_mdy.csv")
    above = {r["vid_id"] for r in rows if r["vid_nview"] and r["vid_nshare"]
             and undisplay(r["vid_nshare"]) > undisplay(r["vid_nview"])}
    assert above == lagging and len(lagging) == 3
    assert {r["vid_id"] for r in rows if not r["vid_nview"]} == set(truth["files"]["scraper_mdy.csv"]["blank_views"])


def test_damaged_ids_file_has_spreadsheet_ids_only():
    rows = read_scraper(CASES / "damaged_ids.csv", delimiter=",", encoding="utf-8")
    assert len(rows) == 20
    assert all(re.match(r"^7\.\d\dE\+18$", r["vid_id"]) for r in rows)
    assert all(re.match(r"^\d{10}$", r["crawl_time"]) for r in rows)  # Unix seconds


def test_cp1254_case_is_not_utf8():
    raw = (CASES / "scraper_cp1254.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1254")
    assert text.startswith("user_name;") and any(ch in text for ch in "ışğ")


# --- the hidden truth matches the parameters -----------------------------------------------------


@pytest.fixture(scope="module")
def big():
    return generate_videos(ExportTruth(), creators=3000, videos_per_creator=(2, 6), recrawl_share=0.35, seed=11)


def test_log_log_slope_and_variance_components(big):
    truth = ExportTruth()
    first = [r for r in big if r["truth"]["crawl"] == 0]
    logf = np.log([r["truth"]["followers"] for r in first])
    loge = np.log([r["truth"]["eventual_views"] for r in first])
    slope, intercept = np.polyfit(logf, loge, 1)
    assert slope == pytest.approx(0.74, abs=0.05)
    # Residuals split into creator and within-creator parts (one-way ANOVA, independent of the generator).
    resid = loge - (math.log(truth.view_scale) + truth.view_exponent * logf)
    groups = defaultdict(list)
    for r, e in zip(first, resid):
        groups[r["truth"]["creator"]].append(e)
    within = np.concatenate([np.asarray(g) - np.mean(g) for g in groups.values()])
    dof = len(within) - len(groups)
    sigma_w = math.sqrt(float(within @ within) / dof)
    assert sigma_w == pytest.approx(1.3, abs=0.05)
    means = np.array([np.mean(g) for g in groups.values()])
    sizes = np.array([len(g) for g in groups.values()])
    sigma_c = math.sqrt(float(np.var(means) - np.mean(sigma_w**2 / sizes)))
    assert sigma_c == pytest.approx(0.8, abs=0.08)


def test_median_views_per_follower_by_tier(big):
    truth = ExportTruth()
    ratios = defaultdict(list)
    for r in big:
        if r["truth"]["crawl"] == 0:
            ratios[r["truth"]["tier"]].append(r["truth"]["eventual_views"] / r["truth"]["followers"])
    assert truth.median_views_per_follower("nano") == pytest.approx(2.46, abs=0.01)
    assert truth.median_views_per_follower("mega") == pytest.approx(0.354, abs=0.01)
    for tier in ("nano", "micro", "mid", "mega"):
        assert np.median(ratios[tier]) == pytest.approx(truth.median_views_per_follower(tier), rel=0.2), tier


def test_views_follow_the_accumulation_curve_and_only_grow(big):
    truth = ExportTruth()
    by_video = defaultdict(list)
    for r in big:
        by_video[r["truth"]["video"]].append(r)
        t = r["truth"]
        assert t["age_days"] == (r["collected_at"] - r["create_time"]) / 86400
        assert 0 <= r["views"] <= t["eventual_views"] + 0.5  # rounded to whole views
        if t["age_days"] >= truth.accrual_days:
            assert r["views"] == round(t["eventual_views"])
    ages = [r["truth"]["age_days"] for r in big if r["truth"]["crawl"] == 0]
    assert 0.25 <= min(ages) and max(ages) <= 60.0001
    twice = [sorted(v, key=lambda r: r["collected_at"]) for v in by_video.values() if len(v) == 2]
    assert len(twice) == round(0.35 * len(by_video))
    for a, b in twice:
        assert all(b[k] >= a[k] for k in ("views", "likes", "comments", "shares", "followers"))
    # Day-1 share: views at ~1 day over eventual, median over videos, near the curve's value.
    day1 = [r["views"] / r["truth"]["eventual_views"] for r in big
            if 0.9 <= r["truth"]["age_days"] <= 1.1 and r["truth"]["eventual_views"] > 1000]
    expected = float(np.median(share_by_age(np.array([0.9, 1.1]), 0.30, 1.295, 90)))
    assert len(day1) > 100 and np.median(day1) == pytest.approx(expected, abs=0.03)


def test_engagement_is_flat_with_the_stated_split(big):
    last = {r["truth"]["video"]: r for r in big}.values()
    rates = defaultdict(lambda: [0, 0])
    comments = shares = total = 0
    for r in last:
        interactions = r["likes"] + r["comments"] + r["shares"]
        rates[r["truth"]["tier"]][0] += interactions
        rates[r["truth"]["tier"]][1] += r["views"]
        comments, shares, total = comments + r["comments"], shares + r["shares"], total + interactions
    per_view = {t: a / b for t, (a, b) in rates.items()}
    # Per-view rates are ratios of sums, dominated by each tier's biggest videos: loose bounds.
    assert all(0.055 <= v <= 0.09 for v in per_view.values()), per_view
    assert comments / total == pytest.approx(0.01, abs=0.002)
    assert shares / total == pytest.approx(0.08, abs=0.005)


def test_truth_json_states_the_parameters_and_the_files():
    truth = json.loads((CASES / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 1
    assert truth["truth"] == json.loads(json.dumps(ExportTruth().to_dict()))
    assert truth["truth"]["view_exponent"] == 0.74 and truth["truth"]["day1_share"] == 0.30
    assert truth["truth"]["derived"]["mean_post_scale"] == pytest.approx(20 * math.exp(1.3**2 / 2), rel=1e-6)
    api_rows = (CASES / "research_api.jsonl").read_text(encoding="utf-8").splitlines()
    assert truth["files"]["research_api.jsonl"]["rows"] == len(api_rows)
    assert truth["files"]["scraper_mdy.csv"]["rows"] == len(read_scraper(CASES / "scraper_mdy.csv"))
    # In-sample values: near the parameters, and what the README's table quotes.
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    for name in BUNDLE_FILES:
        got = truth["bundle"][name]["realized"]
        assert got["ols_exponent"] == pytest.approx(0.74, abs=0.06)
        assert got["within_sigma"] == pytest.approx(1.3, abs=0.05)
        assert f"{got['ols_exponent']:.3f}" in readme and f"{got['within_sigma']:.3f}" in readme


# --- formatting helpers and the hand-written files -----------------------------------------------


@pytest.mark.parametrize("n, text", [(0, "0"), (845, "845"), (999, "999"), (1000, "1K"), (13_900, "13,9K"),
                                     (13_999, "13,9K"), (999_999, "999,9K"), (1_234_567, "1,2M"), (42_000_000, "42M")])
def test_display_count(n, text):
    assert display_count(n) == text
    assert display_count(n, ".") == text.replace(",", ".")


def test_format_time_styles():
    ts = int(datetime(2025, 6, 10, 19, 44, 5, tzinfo=timezone.utc).timestamp())
    assert format_time(ts, "mdy", "Europe/Istanbul") == "6/10/2025 22:44"
    assert format_time(ts, "dmy", "Europe/Istanbul") == "10.06.2025 22:44"
    assert format_time(ts, "iso_offset") == "2025-06-10T19:44:05+00:00"
    assert format_time(ts, "iso_naive") == "2025-06-10 19:44:05"
    assert format_time(ts, "unix") == str(ts)
    assert nbsp_thousands(1234567) == "1\u00a0234\u00a0567"


def test_example_readme_and_scenario_skeleton():
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "python scripts/make_exports.py --out scenarios/examples/tiktok-export" in readme and "--seed 1" in readme
    for value in ("20", "0.74", "0.8", "1.3", "0.30", "1.295", "0.07", "0.01", "0.08", "0.35"):
        assert f"| {value}" in readme, value
    assert "--timezone posted_at=Europe/Istanbul" in readme and "--map views=vid_nview" in readme
    scenario = tomllib.loads((EXAMPLE / "scenario.toml").read_text(encoding="utf-8"))
    assert scenario["pool"]["file"] == "ingested/creators.csv"
    assert (ROOT / "tests" / "data" / "README.md").read_text(encoding="utf-8").count("exports/") >= len(CASE_FILES)
