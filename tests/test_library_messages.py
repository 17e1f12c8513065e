"""Library messages name settings the way their reader gives them (issue 13).

A notebook calling ``reachmix.load_scenario`` or ``read_table`` gets keyword arguments
(``ReadOptions(mapping={"followers": "Takipci"})``, ``force=True``); the command line, which runs
every command in ``command_line_voice()``, gets its flags (``--map followers=Takipci``) with the
text it always printed. Each case below pins both texts exactly; the CLI's are the messages as
they were before the change (other test files pin many of them end to end as well).
"""

from __future__ import annotations

import ast
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from click.testing import CliRunner

import reachmix
from conftest import BASE_CSV, BASE_TOML
from scenarios import PoolError, load_scenario
from scenarios.calibration_file import read_calibration
from scenarios.cells import ColumnError, parse_times
from scenarios.errors import (ReachmixError, command_line_voice, in_this_voice, option, py_literal, read_option,
                              said)
from scenarios.files import check_out_dir, check_output
from scenarios.table import ALIASES, ReadOptions, parse_table
from simulate.calibrate import Calibration
from simulate.history import load_history
from whatif.backtest import small_sample_warnings, split_creators
from whatif.ingest import check_inputs
from whatif.sweep import parse_set

ROOT = Path(__file__).resolve().parents[1]
#: A command-line flag: "--map", "--timezone" (not "a--b", not a lone "--").
FLAG = re.compile(r"(?<![\w-])--[a-z]")

POOL = dict(required=("handle", "followers", "price"),
            known=("handle", "followers", "price", "avg_views", "tags", "engagement_rate"),
            aliases=ALIASES, error=PoolError, what="pool", row_name="creator", prefixes=("loc_",))
HISTORY = "handle,followers,posted_at,observed_at,views\n"
NAIVE = HISTORY + "@a,1000,2025-03-01 15:00,2025-03-03 12:00,100\n"


def table(data, **options):
    return parse_table(data, "f.csv", options=ReadOptions(**options), **POOL)


def history(text: str, options: ReadOptions | None = None):
    return load_history(["h.csv"], options, texts={"h.csv": text})


def error_of(fn: Callable[[], object]) -> str:
    with pytest.raises((ReachmixError, ColumnError)) as info:
        fn()
    return str(info.value)


def warning_of(warnings, start: str) -> str:
    found = [w for w in warnings if w.startswith(start)]
    assert len(found) == 1, warnings
    return found[0]


def _files(tmp: Path) -> dict[str, Path]:
    paths = {"in": tmp / "in.csv", "theirs": tmp / "theirs.json", "afile": tmp / "afile", "o": tmp / "o",
             "caldir": tmp / "caldir"}
    if not paths["in"].exists():
        paths["in"].write_text("x\n")
        paths["theirs"].write_text("{}")
        paths["afile"].write_text("x")
        paths["o"].mkdir()
        (paths["o"] / "history.csv").write_text("x\n")
        paths["caldir"].mkdir()
    return paths


@dataclass(frozen=True)
class Case:
    name: str
    message: Callable[[Path], str]
    python: str  # "<tmp>" stands for the test's folder
    cli: str


CASES = [
    Case("encoding", lambda t: error_of(lambda: table(b"handle,followers,price\n@\xe7,1,2\n")),
         'f.csv, row 2: byte 24 is not UTF-8; save the file as UTF-8, or read it with ReadOptions(encoding="cp1254") '
         '(Turkish Windows) or ReadOptions(encoding="latin-1")',
         "f.csv, row 2: byte 24 is not UTF-8; save the file as UTF-8, or read it with --encoding cp1254 "
         "(Turkish Windows) or --encoding latin-1"),
    Case("map an unknown target", lambda t: error_of(lambda: table("handle,followers,price\n@a,1,2\n",
                                                                   mapping={"handel": "handle"})),
         'f.csv: ReadOptions(mapping={"handel": "handle"}): "handel" is not a column reachmix reads here (did you '
         'mean "handle"?); use one of handle, followers, price, avg_views, tags, engagement_rate',
         'f.csv: --map handel=handle: "handel" is not a column reachmix reads here (did you mean "handle"?); use one '
         "of handle, followers, price, avg_views, tags, engagement_rate"),
    Case("map a missing column", lambda t: error_of(lambda: table("user_name,followers,price\n@a,1,2\n",
                                                                  mapping={"handle": "user_nam"})),
         'f.csv, row 1: no column "user_nam" to read as handle (ReadOptions(mapping={"handle": "user_nam"})) (did you '
         'mean "user_name"?); the columns are user_name, followers, price',
         'f.csv, row 1: no column "user_nam" to read as handle (--map handle=user_nam) (did you mean "user_name"?); '
         "the columns are user_name, followers, price"),
    Case("two columns for one target", lambda t: error_of(lambda: table("Creator,Username,followers,price\nA,@a,1,2\n")),
         'f.csv, row 1: columns "Creator" and "Username" would both be read as handle; keep one, or choose with '
         'ReadOptions(mapping={"handle": "Creator"})',
         'f.csv, row 1: columns "Creator" and "Username" would both be read as handle; keep one, or choose with '
         "--map handle=Creator"),
    Case("a header with a space", lambda t: error_of(lambda: table("User Name,followers,price\n@a,1,2\n")),
         'f.csv, row 1: required column "handle" is missing; to read column "User Name" as handle, pass '
         'ReadOptions(mapping={"handle": "User Name"}); the header needs handle,followers,price',
         'f.csv, row 1: required column "handle" is missing; to read column "User Name" as handle, pass '
         '--map handle="User Name"; the header needs handle,followers,price'),
    Case("forced delimiter", lambda t: error_of(lambda: table("handle;followers;price\n@a;1;2\n", delimiter="\t")),
         'f.csv, row 1: required column "handle" is missing; the file looks ;-separated, but '
         'ReadOptions(delimiter="\\t") was given; the header needs handle,followers,price',
         'f.csv, row 1: required column "handle" is missing; the file looks ;-separated, but --delimiter \'\\t\' '
         "was given; the header needs handle,followers,price"),
    Case("look-alike warning", lambda t: table("handle,followers,price,Avg Plays\n@a,10,5,7\n").warnings[0],
         'f.csv: column "Avg Plays" is not used; it looks like avg_views (the expected views of ONE post; not a total '
         "over all videos, which would overstate reach): to read it as avg_views, pass "
         'ReadOptions(mapping={"avg_views": "Avg Plays"})',
         'f.csv: column "Avg Plays" is not used; it looks like avg_views (the expected views of ONE post; not a total '
         'over all videos, which would overstate reach): to read it as avg_views, pass --map avg_views="Avg Plays"'),
    Case("open day/month order", lambda t: error_of(lambda: parse_times(["6/10/2025 22:44", "7/11/2025"])),
         'the dates could be day/month or month/day (e.g. "6/10/2025 22:44"); pass ReadOptions(date_order="dmy") or '
         'ReadOptions(date_order="mdy")',
         'the dates could be day/month or month/day (e.g. "6/10/2025 22:44"); pass --date-order dmy or mdy'),
    Case("history date order", lambda t: error_of(lambda: history(
        HISTORY + "@a,1,03/04/2025,2025-05-22T10:00:00Z,100\n@a,1,05/04/2025,2025-05-22T10:00:00Z,100\n")),
         'h.csv, column posted_at: the dates could be day/month or month/day (e.g. "03/04/2025"); pass '
         'ReadOptions(date_order="dmy") or ReadOptions(date_order="mdy")',
         'h.csv, column posted_at: the dates could be day/month or month/day (e.g. "03/04/2025"); pass '
         "--date-order dmy or mdy"),
    Case("time zone", lambda t: error_of(lambda: history(NAIVE, ReadOptions(timezones={"*": "Mars/Olympus"}))),
         'ReadOptions(timezones={"*": "Mars/Olympus"}): Mars/Olympus is not a time zone; use an IANA name such as '
         "Europe/Istanbul, America/New_York or UTC",
         "--timezone Mars/Olympus: Mars/Olympus is not a time zone; use an IANA name such as Europe/Istanbul, "
         "America/New_York or UTC"),
    Case("time zone of a column", lambda t: error_of(lambda: history(NAIVE, ReadOptions(timezones={"crawl": "UTC"}))),
         'ReadOptions(timezones={"crawl": "UTC"}): h.csv has no time column crawl; its time columns are posted_at, '
         "observed_at",
         "--timezone crawl=UTC: h.csv has no time column crawl; its time columns are posted_at, observed_at"),
    Case("naive times warning", lambda t: warning_of(history(NAIVE)[1].warnings, "h.csv, column posted_at"),
         "h.csv, column posted_at: times without a time zone were read as UTC; if they are local times, pass "
         'ReadOptions(timezones={"*": "ZONE"}) (every column) or ReadOptions(timezones={"posted_at": "ZONE"}) '
         "(this column)",
         "h.csv, column posted_at: times without a time zone were read as UTC; if they are local times, pass "
         "--timezone ZONE (every column) or --timezone posted_at=ZONE (this column)"),
    Case("no video_id warning", lambda t: warning_of(history(NAIVE)[1].warnings, "h.csv: 1 observation"),
         "h.csv: 1 observation(s) have no video_id; they were linked to videos by handle + posted_at, so two videos "
         "one creator posted in the same second would merge (map the id column with "
         'ReadOptions(mapping={"video_id": "COLUMN"}) if the export has one)',
         "h.csv: 1 observation(s) have no video_id; they were linked to videos by handle + posted_at, so two videos "
         "one creator posted in the same second would merge (map the id column with --map video_id=COLUMN if the "
         "export has one)"),
    Case("history headers", lambda t: error_of(lambda: history("a,b,c\n1,2,3\n")),
         "h.csv: row 1 (header) lacks column(s) handle, followers, posted_at, observed_at, views; the history needs "
         "handle, followers, posted_at, observed_at, views (and optionally likes, comments, shares, video_id, tags); "
         'name other headers with ReadOptions(mapping={"TARGET": "SOURCE"})',
         "h.csv: row 1 (header) lacks column(s) handle, followers, posted_at, observed_at, views; the history needs "
         "handle, followers, posted_at, observed_at, views (and optionally likes, comments, shares, video_id, tags); "
         "name other headers with --map TARGET=SOURCE"),
    Case("output is an input", lambda t: error_of(lambda: check_output(_files(t)["in"], inputs=[_files(t)["in"]])),
         'output="<tmp>/in.csv" is the input file <tmp>/in.csv; writing there would destroy it; give output another '
         "file name",
         "--output <tmp>/in.csv is the input file <tmp>/in.csv; writing there would destroy it; give --output "
         "another file name"),
    Case("output of another option", lambda t: error_of(lambda: check_output(t, option="--calendar-csv")),
         'calendar_csv="<tmp>" is a directory; give a file name',
         "--calendar-csv <tmp> is a directory; give a file name"),
    Case("foreign output", lambda t: error_of(lambda: check_output(_files(t)["theirs"])),
         'output="<tmp>/theirs.json" already exists and reachmix did not write it (or it was edited since); add '
         "force=True to replace it, or choose another file name",
         "--output <tmp>/theirs.json already exists and reachmix did not write it (or it was edited since); add "
         "--force to replace it, or choose another file name"),
    Case("out folder is a file", lambda t: error_of(lambda: check_out_dir(_files(t)["afile"], ["a"])),
         "<tmp>/afile: is a file, not a directory; pass a directory as out",
         "<tmp>/afile: is a file, not a directory; give --out a directory"),
    Case("foreign file in the out folder", lambda t: error_of(lambda: check_out_dir(_files(t)["o"], ["history.csv"])),
         'out="<tmp>/o" already holds history.csv, which reachmix did not write (or which was edited since); choose '
         "another out folder, or add force=True to replace it",
         "--out <tmp>/o already holds history.csv, which reachmix did not write (or which was edited since); choose "
         "another --out folder, or add --force to replace it"),
    Case("calibration not found", lambda t: error_of(lambda: read_calibration(t / "nope.toml")),
         "<tmp>/nope.toml: calibration file not found; check the path given as calibration",
         "<tmp>/nope.toml: calibration file not found; check --calibration"),
    Case("calibration is a folder", lambda t: error_of(lambda: read_calibration(_files(t)["caldir"])),
         "<tmp>/caldir: is a directory; give the calibration .toml file (a saved "
         "reachmix.calibrate(history).to_toml())",
         "<tmp>/caldir: is a directory; give the calibration .toml file (reachmix calibrate --toml FILE)"),
    Case("train share", lambda t: error_of(lambda: split_creators(10, 1.5, 0)),
         "train_share=1.5: give a fraction between 0 and 1, e.g. 0.7",
         "--train-share 1.5: give a fraction between 0 and 1, e.g. 0.7"),
    Case("small backtest", lambda t: small_sample_warnings({m: {"videos": 1, "creators": 1}
                                                            for m in ("history", "followers")})[0],
         "backtest: the history forecast was scored on 1 test video(s) of 1 creator(s) (fewer than 30 videos or 10 "
         "creators): its coverage is too noisy to judge; give more creators or a smaller train_share",
         "backtest: the history forecast was scored on 1 test video(s) of 1 creator(s) (fewer than 30 videos or 10 "
         "creators): its coverage is too noisy to judge; give more creators or a smaller --train-share"),
    Case("sweep values", lambda t: error_of(lambda: parse_set("budget.total=1:2")),
         'values="budget.total=1:2": a range is START:STOP:STEP',
         '--set "budget.total=1:2": a range is START:STOP:STEP'),
    Case("ingest over its input", lambda t: error_of(lambda: check_inputs(_files(t)["o"],
                                                                           [_files(t)["o"] / "history.csv"])),
         'out="<tmp>/o": its history.csv (<tmp>/o/history.csv) is the input file <tmp>/o/history.csv; ingest would '
         "overwrite it; give out another folder",
         "--out <tmp>/o: its history.csv (<tmp>/o/history.csv) is the input file <tmp>/o/history.csv; ingest would "
         "overwrite it; give --out another folder"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_library_names_keyword_arguments_and_the_command_line_its_flags(case, tmp_path):
    text = case.message(tmp_path)
    assert text == case.python.replace("<tmp>", str(tmp_path))
    assert not FLAG.search(text)
    with command_line_voice():
        assert case.message(tmp_path) == case.cli.replace("<tmp>", str(tmp_path))
    assert case.message(tmp_path) == text  # the block ended: Python's voice again


def test_the_command_line_prints_flags_and_a_notebook_reads_keyword_arguments(write_scenario, tmp_path):
    from cli import main

    csv = "handle,followers,price,views,loc_İstanbul\n@a,1000,5,700,0.5\n@ç,10,5,7,0.4\n".encode("cp1254")
    path = write_scenario(csv=csv)
    offset = csv.index("İ".encode("cp1254"))
    pool = tmp_path / "creators.csv"
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {pool}, row 1: byte {offset} is not UTF-8; save the file as UTF-8, or read it "
                             "with --encoding cp1254 (Turkish Windows) or --encoding latin-1\n")
    with pytest.raises(PoolError) as info:
        reachmix.load_scenario(path)
    assert str(info.value) == (f"{pool}, row 1: byte {offset} is not UTF-8; save the file as UTF-8, or read it with "
                               'ReadOptions(encoding="cp1254") (Turkish Windows) or ReadOptions(encoding="latin-1")')
    # A warning: flags on stderr and in the command's JSON, keyword arguments in a notebook.
    result = CliRunner().invoke(main, ["validate", str(path), "--encoding", "cp1254", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert f'Warning: {pool}: column "views" is not used; it looks like avg_views' in result.stderr
    assert result.stderr.rstrip("\n").endswith("pass --map avg_views=views")
    assert '"warnings": [' in result.stdout and "pass --map avg_views=views" in result.stdout
    warnings = reachmix.load_scenario(path, read_options=ReadOptions(encoding="cp1254")).pool.warnings
    assert warnings[0].endswith('pass ReadOptions(mapping={"avg_views": "views"})')
    assert not any(FLAG.search(w) for w in warnings)


def test_python_api_messages_name_its_arguments(write_scenario):
    path = write_scenario(csv=BASE_CSV, toml=BASE_TOML)
    with pytest.raises(ReachmixError) as info:
        reachmix.sweep(path, "budget.total")
    assert str(info.value) == 'values="budget.total": write KEY=V1,V2,... or KEY=START:STOP:STEP'
    with pytest.raises(ReachmixError) as info:
        load_scenario(path, calibration=path.parent / "nope.toml")
    assert str(info.value) == f"{path.parent / 'nope.toml'}: calibration file not found; check the path given as calibration"


def test_voice_helpers():
    assert said("--force", "force=True") == "force=True"
    assert option("force", True) == "force=True" and option("--calendar-csv") == "calendar_csv"
    assert option("out", Path("a b")) == 'out="a b"'
    assert read_option("--map a=b c", mapping={"a": "b c"}) == 'ReadOptions(mapping={"a": "b c"})'
    assert py_literal({"k": ["x", 1, None, True]}) == '{"k": ["x", 1, None, True]}'
    assert py_literal('say "İ"\t') == '"say \\"İ\\"\\t"'
    with command_line_voice():
        assert said("--force", "force=True") == "--force"
        assert option("force", True) == "--force" and option("calendar_csv") == "--calendar-csv"
        assert option("out", Path("a b")) == "--out a b"
        assert read_option("--map a=b c", mapping={"a": "b c"}) == "--map a=b c"
        with command_line_voice():
            pass
        assert said("cli", "python") == "cli"  # nested blocks restore the outer voice
    assert said("cli", "python") == "python"


def _setting() -> str:
    return option("force", True)


def test_work_sent_to_another_process_keeps_the_callers_voice():
    with command_line_voice():
        bound = in_this_voice(_setting)
    assert _setting() == "force=True"
    assert bound() == "--force"
    assert pickle.loads(pickle.dumps(bound))() == "--force"  # a worker unpickles it with the voice
    assert in_this_voice(_setting)() == "force=True"


def test_a_voice_does_not_leak_out_of_a_failed_command(write_scenario):
    from cli import main

    result = CliRunner().invoke(main, ["validate", str(write_scenario(csv=None))])
    assert result.exit_code == 2
    assert said("cli", "python") == "python"


# --------------------------------------------------------------------------------------------
# No flag is written into library code outside said()/read_option()/option()

#: Library files allowed to name flags outside the helpers: none (docs/architecture.md, "Errors:
#: library vs CLI"); a file listed here would be skipped by the scan.
NOT_YET: set[str] = set()
VOICED = {"said", "read_option", "option", "named", "map_setting", "timezone_setting"}


def _flag_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    parent = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docstrings:
            continue
        if not FLAG.search(node.value):
            continue
        up = parent.get(id(node))
        while up is not None:
            if isinstance(up, ast.Call) and getattr(up.func, "id", getattr(up.func, "attr", None)) in VOICED:
                break
            up = parent.get(id(up))
        else:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_library_code_names_flags_only_through_the_voice_helpers():
    files = [f for package in ("scenarios", "simulate", "optimizer", "reachmix") for f in (ROOT / package).rglob("*.py")]
    found = [hit for f in sorted(files) if str(f.relative_to(ROOT)) not in NOT_YET for hit in _flag_literals(f)]
    assert not found, "; ".join(found)


# --------------------------------------------------------------------------------------------
# Short reprs


def test_simulation_result_repr_is_one_short_line():
    import simulate

    sc = load_scenario(ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml")
    posts = np.zeros(sc.pool.size, dtype=np.int64)
    posts[:3] = 1
    result = simulate.simulate(sc, posts, runs=40, days=20, seed=3)
    text = repr(result)
    assert len(result.notes) == 2  # the KPIs are due after day 19
    assert text == (f"SimulationResult('{sc.name}': 40 runs x 20 days, seed 3; {len(result.totals)} metrics: "
                    f"{', '.join(result.totals)}; {len(result.kpi_targets)} KPI targets; 2 notes)")
    assert len(text) < 400 and "\n" not in text and "[" not in text


def test_calibration_repr_is_one_short_line():
    cal = Calibration(source="h" * 200, observations=12_345, videos=678, creators=9, curve={}, views_per_follower={},
                      view_dispersion={}, interactions={}, warnings=["w"] * 500, view_models={"chosen": "rate"})
    assert repr(cal) == (f"Calibration('{'h' * 57}...': 12,345 observations of 678 videos by 9 creators; "
                         "view model rate; 500 warnings)")


def _worded(_: int) -> str:
    return option("force", True)


@pytest.mark.parametrize("method", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_worker_processes_word_messages_like_their_caller(method):
    """scenarios.processes binds the caller's voice: a spawned worker says --force on the command line."""
    from scenarios.processes import run_tasks

    with command_line_voice():
        assert run_tasks(_worded, [(0,), (1,)], jobs=2, start_method=method) == ["--force", "--force"]
    assert run_tasks(_worded, [(0,), (1,)], jobs=2, start_method=method) == ["force=True", "force=True"]
