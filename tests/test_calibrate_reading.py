"""``reachmix calibrate`` reads exports the way ``ingest`` does (issue 9: --map wherever a history is read)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main

EXPORT = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiktok-export"
SCRAPER_MAP = ["--map", "handle=user_name", "--map", "followers=user_nfollower", "--map", "views=vid_nview",
               "--map", "posted_at=vid_time", "--map", "observed_at=crawl_time", "--map", "video_id=vid_id",
               "--timezone", "posted_at=Europe/Istanbul"]


def test_calibrate_reads_foreign_headers_with_map():
    result = CliRunner().invoke(main, ["calibrate", str(EXPORT / "scraper.csv"), *SCRAPER_MAP, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["creators"] == 700          # one per real creator: handles compare folded (NFC/NFD, case)
    assert doc["videos"] == 4749


def test_calibrate_without_the_map_names_what_is_missing():
    result = CliRunner().invoke(main, ["calibrate", str(EXPORT / "scraper.csv")])
    assert result.exit_code == 2
    assert "lacks column(s) handle, followers, posted_at, views" in result.stderr
    assert "--map TARGET=SOURCE" in result.stderr


def test_calibrate_reads_research_api_jsonl_without_a_map():
    result = CliRunner().invoke(main, ["calibrate", str(EXPORT / "videos.jsonl"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["creators"] == 340
