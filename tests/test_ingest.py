"""reachmix ingest: exports -> history.csv, creators.csv (a pool), calibration.toml, and a summary."""

from __future__ import annotations

import csv
import json
import math
import tomllib
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from scenarios import load_scenario
from scenarios.errors import PoolError
from simulate.history import load_history
from whatif.ingest import PRICE_MESSAGE, SIGMA_PRIOR_DOF

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "tiktok-export"
DATA = ROOT / "tests" / "data" / "exports"
SCRAPER_MAP = ["--map", "handle=user_name", "--map", "video_id=vid_id", "--map", "posted_at=vid_time",
               "--map", "views=vid_nview", "--map", "likes=vid_nlike", "--map", "comments=vid_ncomment",
               "--map", "shares=vid_nshare", "--map", "followers=user_nfollower",
               "--timezone", "posted_at=Europe/Istanbul"]
RATES = "tier,handle,price\nnano,,150\nmicro,,600\nmid,,2500\nmacro,,6000\nmega,,15000\n"
SCENARIO = 'name = "ingested"\ncurrency = "TRY"\n[pool]\nfile = "creators.csv"\n[budget]\ntotal = 100000\n' \
           '[audience]\nsize = 5000000\n'


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("REACHMIX_STATE_DIR", str(tmp_path / "state"))


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_bundled_research_api_example(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    out = tmp_path / "out"
    code, stdout, stderr = run("ingest", EXAMPLE / "videos.jsonl", "--rate-card", rates, "--out", out,
                               "--format", "json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    # Counted independently from the file (json parse, not the reader).
    records = [json.loads(line) for line in (EXAMPLE / "videos.jsonl").read_text(encoding="utf-8").splitlines()]
    n, videos, creators = len(records), len({r["id"] for r in records}), len({r["username"] for r in records})
    assert (summary["rows_read"], summary["observations"], summary["videos"], summary["creators"]) == \
        (n, n, videos, creators)
    assert summary["observations_merged"] == n - videos and summary["duplicates_dropped"] == 0
    assert summary["rows_skipped"] == 0 and summary["linked_by"] == "video_id"
    assert summary["priced"] == creators and summary["unpriced"] == 0
    assert sum(summary["creators_by_tier"].values()) == creators
    assert not any("fill the price column" in w for w in summary["warnings"])

    # history.csv is canonical and reads back to the same videos.
    history = rows(out / "history.csv")
    assert list(history[0]) == ["handle", "followers", "video_id", "posted_at", "observed_at", "views", "likes",
                                "comments", "shares", "tags"]
    assert len(history) == n and all(r["posted_at"].endswith("Z") and r["video_id"] for r in history)
    frame, report = load_history([out / "history.csv"])
    assert (len(frame), frame.videos, frame.creators) == (n, videos, creators)
    assert not any("read as UTC" in w for w in report.warnings)

    # creators.csv is a pool the scenario loader accepts; prices come from the rate card by tier.
    (out / "scenario.toml").write_text(SCENARIO)
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.pool.size == creators
    pool = rows(out / "creators.csv")
    tier_price = {"nano": 150, "micro": 600, "mid": 2500, "macro": 6000, "mega": 15000}
    for r in pool:
        f = float(r["followers"])
        tier = "nano" if f < 1e4 else "micro" if f < 1e5 else "mid" if f < 5e5 else "macro" if f < 1e6 else "mega"
        assert float(r["price"]) == tier_price[tier]
    assert sum(int(r["videos"]) for r in pool) == videos
    assert all(r["last_posted_at"].endswith("Z") and float(r["views_sigma"]) > 0 for r in pool)

    # calibration.toml is a calibration file: [model] and [simulation] only.
    calibration = tomllib.loads((out / "calibration.toml").read_text())
    assert set(calibration) <= {"model", "simulation"} and "view_dispersion" in calibration["simulation"]


def test_scraper_export_with_map_counts_duplicates_and_skipped_rows(tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run("ingest", EXAMPLE / "scraper.csv", *SCRAPER_MAP, "--out", out, "--format", "json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    # Counted independently with the csv module: rows, repeated rows, blank view counts, creators.
    with open(EXAMPLE / "scraper.csv", newline="", encoding="utf-8-sig") as fh:
        raw = [tuple(r) for r in csv.reader(fh, delimiter=";")][1:]
    kept = [r for r in raw if r[3].strip()]
    duplicates = len(kept) - len(set(kept))
    creators = len({unicodedata.normalize("NFC", r[0]).casefold() for r in kept})
    assert summary["rows_read"] == len(raw) and summary["duplicates_dropped"] == duplicates > 0
    blank = len(raw) - len(kept)
    assert summary["skipped"] == {"blank views": blank} and summary["rows_skipped"] == blank
    assert summary["observations"] == len(set(kept))
    assert summary["creators"] == creators
    # No rate card: every price is blank and the summary says what to do.
    assert summary["unpriced"] == creators and PRICE_MESSAGE.format(n=creators) in summary["warnings"]
    assert "Warning: " + PRICE_MESSAGE.format(n=creators) in stderr
    assert all(r["price"] == "" for r in rows(out / "creators.csv"))
    (out / "scenario.toml").write_text(SCENARIO)
    with pytest.raises(PoolError, match="column price: is blank"):
        load_scenario(out / "scenario.toml")


def test_table_summary_names_every_count(tmp_path):
    code, stdout, stderr = run("ingest", DATA / "scraper_mdy.csv", *SCRAPER_MAP, "--out", tmp_path / "o")
    assert code == 0, stderr
    lines = {line.rsplit("  ", 1)[0].strip(): line.rsplit(" ", 1)[1] for line in stdout.splitlines()
             if "  " in line and not line.startswith("-")}
    assert lines["rows read"] == "322" and lines["exact duplicates dropped"] == "3"
    assert lines["skipped: blank views"] == "3" and lines["creators"] == "30"
    assert f"Wrote {tmp_path / 'o' / 'creators.csv'}" in stdout


def test_avg_views_and_views_sigma_by_hand(tmp_path):
    """Videos older than 90 days (A = 1): avg_views = geometric mean x exp(s^2 (1 + 1/n) / 2), with s the
    creator's log-sd shrunk toward the (here: pooled) within-creator sigma."""
    text = ("handle,followers,video_id,posted_at,observed_at,views,likes,comments,shares,tags\n"
            "@a,5000,,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,100,10,1,1,#Skin #care\n"
            "@a,5000,,2024-01-02T00:00:00Z,2024-06-01T00:00:00Z,1000,20,2,2,#skin\n"
            "@a,5000,,2024-01-03T00:00:00Z,2024-06-01T00:00:00Z,10000,70,7,7,\n"
            "@b,50000,,2024-01-03T00:00:00Z,2024-06-01T00:00:00Z,3000,,,,\n")
    src = tmp_path / "h.csv"
    src.write_text(text)
    code, stdout, stderr = run("ingest", src, "--out", tmp_path / "o", "--format", "json")
    assert code == 0, stderr
    pool = {r["handle"]: r for r in rows(tmp_path / "o" / "creators.csv")}
    own = float(np.std(np.log([100, 1000, 10000]), ddof=1))  # ln 10: also the pooled within-creator sigma
    s_a = math.sqrt((SIGMA_PRIOR_DOF * own**2 + 2 * own**2) / (SIGMA_PRIOR_DOF + 2))
    assert float(pool["@a"]["views_sigma"]) == pytest.approx(s_a, abs=1e-4)
    assert float(pool["@a"]["avg_views"]) == pytest.approx(1000 * math.exp(s_a**2 * (1 + 1 / 3) / 2), rel=1e-5)
    # One video: the tier has no within-creator fit, so the pooled sigma; the 1/n term doubles the variance.
    assert float(pool["@b"]["views_sigma"]) == pytest.approx(own, abs=1e-4)
    assert float(pool["@b"]["avg_views"]) == pytest.approx(3000 * math.exp(own**2 * 2 / 2), rel=1e-5)
    assert float(pool["@a"]["likes_rate"]) == pytest.approx(100 / 11100)
    assert pool["@a"]["tags"] == "skin;care" and pool["@b"]["likes_rate"] == ""
    assert pool["@a"]["videos"] == "3" and pool["@a"]["last_posted_at"] == "2024-01-03T00:00:00Z"


def test_rate_card_by_handle_wins_over_tier(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("tier,handle,price\nnano,,150\n,DENİZ.Y,999\n")
    src = tmp_path / "h.csv"
    src.write_text("handle,followers,posted_at,observed_at,views\n"
                   "deniz.y,5000,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,100\n"
                   "@c,5000,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,100\n"
                   "@d,50000,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,100\n")
    code, stdout, stderr = run("ingest", src, "--rate-card", rates, "--out", tmp_path / "o", "--format", "json")
    assert code == 0, stderr
    prices = {r["handle"]: r["price"] for r in rows(tmp_path / "o" / "creators.csv")}
    assert prices == {"deniz.y": "999", "@c": "150", "@d": ""}
    assert PRICE_MESSAGE.format(n=1) in json.loads(stdout)["warnings"]


@pytest.mark.parametrize("card, message", [
    ("price\n100\n", "rate card needs a tier or a handle column beside price"),
    ("tier,price\ngiga,100\n", 'row 2, column tier: "giga" is not a tier; use one of nano, micro, mid, macro, mega'),
    ("tier,price\nnano,0\n", "row 2, column price: needs a price above 0"),
])
def test_bad_rate_cards_are_located_errors(tmp_path, card, message):
    rates = tmp_path / "rates.csv"
    rates.write_text(card)
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--rate-card", rates, "--out", tmp_path / "o")
    assert code == 2 and stderr.startswith("Error: ") and message in stderr


def test_argument_errors(tmp_path):
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--map", "views", "--out", tmp_path / "o")
    assert code == 2 and stderr == ("Error: Invalid value for '--map': 'views': write TARGET=SOURCE, e.g. --map "
                                    "views=vid_nview or --map handle=user_name (see 'reachmix ingest --help')\n")
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--timezone", "Mars/Base", "--out", tmp_path / "o")
    assert code == 2 and "--timezone Mars/Base: Mars/Base is not a time zone" in stderr
    code, _, stderr = run("ingest", DATA / "damaged_ids.csv", "--out", tmp_path / "o", *SCRAPER_MAP)
    assert code == 2 and "re-export the id column as text" in stderr
    assert not (tmp_path / "o").exists()  # nothing written on an error


def test_out_folder_guard(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "creators.csv").write_text("my own pool\n")
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--out", out)
    assert code == 2 and "already holds creators.csv, which reachmix did not write" in stderr
    assert (out / "creators.csv").read_text() == "my own pool\n"
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--out", out, "--force")
    assert code == 0, stderr
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--out", out)  # our own files: replaced
    assert code == 0, stderr


def test_no_usable_rows_is_an_error_naming_a_skipped_row(tmp_path):
    src = tmp_path / "h.csv"
    src.write_text("handle,followers,posted_at,observed_at,views\n@a,100,2024-01-01,2024-01-05,n/a\n")
    code, _, stderr = run("ingest", src, "--out", tmp_path / "o")
    assert code == 2 and stderr == (f'Error: {src}: no usable rows (1 skipped; first: {src}, row 2, column views: '
                                    '"n/a" is not a number; write a number such as 2500, 13.9K or 1.4M; row skipped)\n')
    assert run("backtest", src)[2] == stderr


def test_inputs_inside_the_out_folder_are_never_overwritten(tmp_path):
    """ingest OUT/history.csv --out OUT (and --rate-card OUT/creators.csv) would replace what it reads: refused
    with exit 2 even with --force, naming both paths; the input is left as it was."""
    out = tmp_path / "o"
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--out", out)
    assert code == 0, stderr
    history = out / "history.csv"
    before = history.read_bytes()
    for force in ((), ("--force",)):
        code, _, stderr = run("ingest", history, DATA / "research_api.jsonl", "--out", out, *force)
        assert code == 2 and stderr == (f"Error: --out {out}: its history.csv ({history}) is the input file {history}; "
                                        "ingest would overwrite it; give --out another folder\n")
        assert history.read_bytes() == before
    card = out / "creators.csv"
    card.write_text("tier,price\nnano,150\n")
    code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--rate-card", card, "--out", out, "--force")
    assert code == 2 and stderr == (f"Error: --out {out}: its creators.csv ({card}) is the input file {card}; "
                                    "ingest would overwrite it; give --out another folder\n")
    assert card.read_text() == "tier,price\nnano,150\n"


def test_summary_output_may_not_be_a_file_ingest_writes(tmp_path):
    out = tmp_path / "o"
    for name in ("history.csv", "creators.csv", "calibration.toml"):
        code, _, stderr = run("ingest", DATA / "research_api.jsonl", "--out", out, "--output", out / name)
        assert code == 2 and stderr == (f"Error: --output {out / name} is the {name} that ingest writes; give "
                                        "--output another file name\n")
    assert not out.exists()


def test_followers_and_avg_views_are_written_without_rounding(tmp_path):
    """followers = the latest observed count exactly (2274689, not 2.27469e+06); avg_views reads back to the
    computed float."""
    from whatif.ingest import creator_table, fit_calibration

    text = ("handle,followers,posted_at,observed_at,views\n"
            "@big,2274671,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,1234567\n"
            "@big,2274689,2024-01-02T00:00:00Z,2024-06-02T00:00:00Z,2345678\n"
            "@small,1234,2024-01-02T00:00:00Z,2024-06-02T00:00:00Z,321\n")
    src = tmp_path / "h.csv"
    src.write_text(text)
    code, _, stderr = run("ingest", src, "--out", tmp_path / "o")
    assert code == 0, stderr
    pool = {r["handle"]: r for r in rows(tmp_path / "o" / "creators.csv")}
    assert pool["@big"]["followers"] == "2274689" and pool["@small"]["followers"] == "1234"
    frame, report = load_history([src])
    expected = creator_table(frame, fit_calibration(frame, report))
    for k, handle in enumerate(expected["handle"]):
        assert float(pool[handle]["avg_views"]) == float(expected["avg_views"][k])
        assert int(pool[handle]["videos"]) == int(expected["videos"][k])


def test_few_video_creators_are_shrunk_toward_the_follower_curve(tmp_path):
    """Known parameters (simulate/exports.py, 800 creators with 1-6 videos): a 1-video creator's avg_views is
    its mean log views shrunk toward the calibration's follower curve (empirical Bayes), not its single post
    x exp(s^2) (the flat prior inflated it ~6.5x on average here, measured below as `before`)."""
    from scenarios.cells import fold_name
    from simulate.exports import ExportTruth, generate_videos, write_api_jsonl
    from whatif.ingest import creator_table, fit_calibration

    truth = ExportTruth()
    records = generate_videos(truth, creators=800, videos_per_creator=(1, 6), recrawl_share=0.35, seed=1)
    path = tmp_path / "videos.jsonl"
    write_api_jsonl(path, records, seed=1)
    frame, report = load_history([path])
    cal = fit_calibration(frame, report)
    table = creator_table(frame, cal)
    expected = {fold_name(r["username"]): truth.view_scale * r["truth"]["followers"] ** truth.view_exponent
                * math.exp(r["truth"]["level"] + truth.within_sigma**2 / 2) for r in records}
    true = np.array([expected[fold_name(h)] for h in table["handle"]])
    n = table["videos"]
    one = n == 1
    before = np.exp(table["own_mean"] + table["own_sigma"] ** 2 * (1 + 1 / n) / 2)  # the flat prior, by hand
    assert np.mean(before[one] / true[one]) > 4.0  # the inflation this guards against
    ratio = table["avg_views"][one] / true[one]
    assert np.mean(ratio) < 2.0 and 0.75 < table["avg_views"][one].sum() / true[one].sum() < 1.25
    # By hand for one 1-video creator: w = 1 / (1 + sigma^2 / (sd^2 - sigma^2)) of the chosen model.
    k = int(np.flatnonzero(one)[0])
    fitted = cal.fits[cal.view_model]
    mu0, sd = cal.predict_from_followers(table["followers"][k:k + 1])
    w = 1.0 / (1.0 + fitted.sigma**2 / (sd[0] ** 2 - fitted.sigma**2))
    assert table["log_mean"][k] == pytest.approx(w * table["own_mean"][k] + (1 - w) * mu0[0])
    assert table["post_var"][k] == pytest.approx(w * fitted.sigma**2)
    # What the simulator draws (views_sigma^2 (1 + 1/videos)) is the predictive variance; avg_views its mean.
    predictive = table["own_sigma"] ** 2 + table["post_var"]
    assert table["views_sigma"] ** 2 * (1 + 1 / n) == pytest.approx(predictive)
    assert table["avg_views"] == pytest.approx(np.exp(table["log_mean"] + predictive / 2))
