"""simulate.history: linking observations to videos, id times, duplicates, zones, date orders, exports."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scenarios.table import ReadOptions
from simulate import CalibrationError
from simulate.history import load_history, parse_history

DATA = Path(__file__).resolve().parent / "data" / "exports"
TRUTH = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
SCRAPER_MAP = {"handle": "user_name", "video_id": "vid_id", "posted_at": "vid_time", "views": "vid_nview",
               "likes": "vid_nlike", "comments": "vid_ncomment", "shares": "vid_nshare", "followers": "user_nfollower"}
HEADER = "handle,followers,video_id,posted_at,observed_at,views,likes,comments,shares"
# A TikTok id whose top 32 bits are 2025-03-01T12:00:00Z (1740830400).
T0 = 1740830400
ID1 = str((T0 << 32) | 12345)
ID2 = str((T0 << 32) | 67890)  # same creator, same second (a scheduled bulk upload), another video


def frame_of(text: str, options: ReadOptions | None = None, source: str = "h.csv"):
    return load_history([source], options, texts={source: text})


def test_observations_of_one_video_are_merged_by_id():
    text = (HEADER + "\n"
            f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,5,1,1\n"
            f"@a,1000,{ID2},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,900,5,1,1\n"
            f"@a,1010,{ID1},2025-03-01T12:00:00Z,2025-03-20T12:00:00Z,250,9,1,2\n")
    frame, report = frame_of(text)
    assert frame.videos == 2 and frame.creators == 1 and len(frame) == 3  # same second, two ids: two videos
    assert report.linked_by == "video_id"
    obs, _ = parse_history(text)
    by_video = {}
    for o in obs:
        by_video.setdefault(o.video, []).append(o.views)
    assert sorted(map(sorted, by_video.values())) == [[100.0, 250.0], [900.0]]
    assert {o.video_id for o in obs} == {ID1, ID2}


def test_without_ids_videos_are_linked_by_handle_and_posted_at_with_a_warning():
    text = ("handle,followers,posted_at,observed_at,views\n"
            "@a,1000,2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100\n"
            "@a,1000,2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,900\n"   # same second: merged (the cost)
            "@a,1000,2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,300\n"
            "@b,500,2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,40\n")
    frame, report = frame_of(text)
    assert frame.videos == 2 and report.linked_by == "handle + posted_at"
    assert any("4 observation(s) have no video_id; they were linked to videos by handle + posted_at" in w
               for w in report.warnings)


def test_posted_at_comes_from_the_tiktok_id_when_missing_and_a_disagreement_is_warned():
    text = (HEADER + "\n"
            f"@a,1000,{ID1},,2025-03-02T12:00:00Z,100,,,\n"
            f"@a,1000,{ID2},2025-03-05T12:00:00Z,2025-03-08T12:00:00Z,100,,,\n")
    frame, report = frame_of(text)
    assert report.posted_from_id == 1
    assert sorted(frame.posted_at.tolist()) == [T0, T0 + 4 * 86400]  # the given posted_at is kept
    warning = next(w for w in report.warnings if "more than a day away" in w)
    assert "1 row(s)" in warning and "h.csv, row 3" in warning and "2025-03-05T12:00:00Z" in warning
    assert "2025-03-01T12:00:00Z" in warning


def test_posted_at_column_may_be_absent_when_ids_carry_the_time():
    text = f"handle,followers,video_id,observed_at,views\n@a,1000,{ID1},2025-03-03T12:00:00Z,100\n"
    frame, _ = frame_of(text)
    assert frame.posted_at.tolist() == [T0] and frame.age_days.tolist() == [2.0]


def test_exact_duplicate_rows_are_dropped_and_counted():
    row = f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,5,1,1\n"
    text = HEADER + "\n" + row + row + row.replace(",100,", ",120,") + row
    frame, report = frame_of(text)
    assert report.duplicates == 2 and len(frame) == 2 and report.rows_read == 4
    assert "2 exact duplicate row(s) dropped" in " ".join(report.warnings)


def test_naive_times_warn_that_they_were_read_as_utc_naming_the_column():
    text = ("handle,followers,posted_at,observed_at,views\n"
            "@a,1000,2025-03-01 15:00,2025-03-02T12:00:00+00:00,100\n")
    frame, report = frame_of(text)
    assert frame.posted_at.tolist() == [utc(2025, 3, 1, 15)]
    assert any("column posted_at: times without a time zone were read as UTC; if they are local times, pass "
               'ReadOptions(timezones={"*": "ZONE"}) (every column) or ReadOptions(timezones={"posted_at": "ZONE"}) '
               "(this column)" in w for w in report.warnings)
    assert not any("column observed_at: times without" in w for w in report.warnings)


def utc(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("zones, posted_hour_utc, observed_hour_utc", [
    ({"*": "Europe/Istanbul"}, 12, 9),              # both naive columns in Istanbul (UTC+3)
    ({"posted_at": "Europe/Istanbul"}, 12, 12),     # only the post time is local; the crawl time stays UTC
    ({"vid_time": "Europe/Istanbul"}, 12, 12),      # the column may be named as the file writes it
])
def test_timezone_for_every_column_or_one(zones, posted_hour_utc, observed_hour_utc):
    text = "user,followers,vid_time,observed_at,views\n@a,1000,2025-03-01 15:00,2025-03-03 12:00,100\n"
    options = ReadOptions(mapping={"handle": "user", "posted_at": "vid_time"}, timezones=zones)
    frame, report = frame_of(text, options)
    assert (frame.posted_at[0] - T0) / 3600 == posted_hour_utc - 12
    assert (frame.observed_at[0] - (T0 + 2 * 86400)) / 3600 == observed_hour_utc - 12
    warned = " ".join(w for w in report.warnings if "read as UTC" in w)
    assert ("posted_at" in warned) is False
    assert ("observed_at" in warned) is (observed_hour_utc == 12)


def test_unknown_timezone_and_unknown_column_are_errors():
    text = "handle,followers,posted_at,observed_at,views\n@a,1000,2025-03-01 15:00,2025-03-03 12:00,100\n"
    with pytest.raises(CalibrationError, match=r'^ReadOptions\(timezones={"\*": "Mars/Olympus"}\): Mars/Olympus is '
                                               r"not a time zone; use an IANA name such as Europe/Istanbul"):
        frame_of(text, ReadOptions(timezones={"*": "Mars/Olympus"}))
    with pytest.raises(CalibrationError, match=r'^ReadOptions\(timezones={"crawl": "UTC"}\): h.csv has no time '
                                               r"column crawl; its time columns are posted_at, observed_at"):
        frame_of(text, ReadOptions(timezones={"crawl": "UTC"}))


def test_day_month_order():
    unambiguous = ("handle,followers,posted_at,observed_at,views\n"
                   "@a,1000,21.05.2025 10:00,2025-05-22T10:00:00Z,100\n"
                   "@a,1000,03.04.2025 10:00,2025-05-22T10:00:00Z,100\n")
    frame, _ = frame_of(unambiguous)
    assert sorted(frame.posted_at.tolist()) == [utc(2025, 4, 3, 10),
                                                utc(2025, 5, 21, 10)]
    ambiguous = ("handle,followers,posted_at,observed_at,views\n"
                 "@a,1000,03/04/2025,2025-05-22T10:00:00Z,100\n@a,1000,05/04/2025,2025-05-22T10:00:00Z,100\n")
    with pytest.raises(CalibrationError, match=r'^h.csv, column posted_at: .*ReadOptions\(date_order="dmy"\)'):
        frame_of(ambiguous)
    dmy, _ = frame_of(ambiguous, ReadOptions(date_order="dmy"))
    mdy, _ = frame_of(ambiguous, ReadOptions(date_order="mdy"))
    assert dmy.posted_at.min() == utc(2025, 4, 3)
    assert mdy.posted_at.min() == utc(2025, 3, 4)


def test_blank_followers_come_from_the_creators_other_rows_and_blank_views_skip_the_row():
    text = (HEADER + "\n"
            f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,,,\n"
            f"@a,,{ID1},2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,300,,,\n"
            f"@a,1000,{ID2},2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,,,,\n"
            f"@b,,{ID2[:-1]}1,2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,50,,,\n")
    frame, report = frame_of(text)
    assert frame.followers.tolist() == [1000.0, 1000.0]
    assert dict(report.skipped) == {"blank views": 1, "blank followers": 1}
    text_w = " ".join(report.warnings)
    assert "h.csv, row 4, column views: is blank; row skipped" in text_w
    assert "h.csv, row 5, column followers: is blank and the creator has no other row with a follower count" in text_w


def test_handles_fold_case_and_turkish_letters_into_one_creator():
    text = ("handle,followers,posted_at,observed_at,views\n"
            "İrem.Kaya,1000,2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100\n"
            "irem.kaya,1000,2025-03-02T12:00:00Z,2025-03-03T12:00:00Z,100\n"
            "IREM.KAYA,1000,2025-03-03T12:00:00Z,2025-03-04T12:00:00Z,100\n")
    frame, _ = frame_of(text)
    assert frame.creators == 1 and frame.videos == 3


def test_research_api_jsonl_reads_with_the_built_in_aliases():
    frame, report = load_history([DATA / "research_api.jsonl"])
    expected = TRUTH["files"]["research_api.jsonl"]
    assert report.rows_read == expected["rows"] == len(frame)
    assert frame.videos == expected["videos"] and frame.creators == expected["creators"]
    assert report.linked_by == "video_id" and report.rows_skipped == 0
    # The follower_count nulls are filled from the creator's other rows.
    assert np.isfinite(frame.followers).all()
    assert any(f"{expected['follower_count_null']} row(s) with a blank follower count" in w for w in report.warnings)
    # Every id's top 32 bits are its create_time.
    ids = np.array([int(i) >> 32 for i in frame.video_id.tolist()], dtype=float)
    assert np.array_equal(ids, frame.posted_at)
    assert sum(1 for t in frame.tags.tolist() if t) == expected["observations"] - expected["hashtag_names_absent"]


def test_research_api_page_is_unwrapped():
    frame, report = load_history([DATA / "research_api_page.json"])
    assert len(frame) == TRUTH["files"]["research_api_page.json"]["rows"] == 20


def test_foreign_headers_with_map_and_local_post_times():
    options = ReadOptions(mapping=SCRAPER_MAP, timezones={"posted_at": "Europe/Istanbul"})
    frame, report = load_history([DATA / "scraper_mdy.csv"], options)
    expected = TRUTH["files"]["scraper_mdy.csv"]
    assert report.rows_read == expected["rows"]
    assert report.duplicates == expected["duplicate_rows"]
    assert dict(report.skipped) == {"blank views": len(expected["blank_views"])}
    assert len(frame) == expected["observations"] - len(expected["blank_views"])
    assert frame.creators == expected["creators"]  # NFD spellings fold into their creator
    # With the post time read in Istanbul, it agrees with the id's time: no disagreement warning.
    assert not any("more than a day away" in w for w in report.warnings)
    ids = np.array([int(i) >> 32 for i in frame.video_id.tolist()], dtype=float)
    # Minutes only in the file (6/10/2025 22:44): within a minute of the id's creation second.
    assert np.all((ids - frame.posted_at >= 0) & (ids - frame.posted_at < 60))


def test_foreign_headers_without_map_are_an_error_that_says_so():
    with pytest.raises(CalibrationError, match=r'lacks column\(s\) handle, followers.*'
                                               r'ReadOptions\(mapping={"TARGET": "SOURCE"}\)$'):
        load_history([DATA / "scraper_mdy.csv"])


def test_damaged_ids_are_an_error_naming_the_rows():
    with pytest.raises(CalibrationError) as info:
        load_history([DATA / "damaged_ids.csv"], ReadOptions(mapping=SCRAPER_MAP))
    message = str(info.value)
    assert message.startswith(f"{DATA / 'damaged_ids.csv'}: 20 bad cells: row 2, column video_id")
    assert "was changed by a spreadsheet; re-export the id column as text" in message


def test_several_files_are_concatenated_and_linked_across_files():
    a = HEADER + "\n" + f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,5,1,1\n"
    b = ("username;follower_count;id;create_time;collected_at;view_count\n"
         f"@a;1000;{ID1};{T0};2025-03-20T12:00:00Z;250\n")
    frame, report = load_history(["a.csv", "b.csv"], texts={"a.csv": a, "b.csv": b})
    assert frame.videos == 1 and len(frame) == 2 and frame.sources == ("a.csv", "b.csv")
    assert frame.views.tolist() == [100.0, 250.0] and report.rows_read == 2


def test_read_history_keeps_working_for_calibrate(tmp_path):
    from simulate.history import read_history

    path = tmp_path / "h.csv"
    path.write_text(HEADER + "\n" + f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,5,1,1\n")
    obs, warnings = read_history(path)
    assert len(obs) == 1 and obs[0].age_days == 1.0 and obs[0].video_id == ID1 and obs[0].likes == 5.0


def test_rows_without_an_id_join_the_id_video_of_the_same_creator_and_second():
    text = (HEADER + "\n"
            f"@a,1000,{ID1},2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,,,\n"
            "@A,1000,,2025-03-01T12:00:00Z,2025-03-09T12:00:00Z,300,,,\n"
            "@a,1000,,2025-03-04T12:00:00Z,2025-03-09T12:00:00Z,50,,,\n")
    frame, report = frame_of(text)
    assert report.linked_by == "mixed" and frame.videos == 2
    assert sorted(frame.video_id.tolist()) == ["", ID1, ID1]
    assert any("2 observation(s) have no video_id" in w for w in report.warnings)


def test_tags_fold_turkish_capitals_without_a_combining_dot():
    """'#İstanbul' folds to 'istanbul' (scenarios.cells.fold_name), not str.casefold's 'i' + U+0307."""
    text = ("handle,followers,posted_at,observed_at,views,tags\n"
            "@a,1000,2025-03-01T12:00:00Z,2025-03-02T12:00:00Z,100,#İstanbul #ISTANBUL #Kahve\n"
            "@a,1000,2025-03-02T12:00:00Z,2025-03-03T12:00:00Z,100,#istanbul;#KAHVE\n")
    frame, _ = frame_of(text)
    assert frame.tags.tolist() == [("istanbul", "kahve"), ("istanbul", "kahve")]
    assert all("\u0307" not in t for tags in frame.tags.tolist() for t in tags)
