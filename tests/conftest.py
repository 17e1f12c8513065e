"""Shared fixtures: write a scenario TOML and its creator-pool CSV into a temporary directory."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # so that ``import cli`` works however pytest is started
    sys.path.insert(0, str(ROOT))

#: A small valid pool: every optional column, a K/M number, a quoted thousands separator, a blank
#: avg_views, mixed-case header and location columns.
BASE_CSV = """\
Handle,Followers,Price,avg_views,engagement_rate,max_posts,fee,tags,age_13_17,age_18_24,age_25_34,age_35_44,age_45_54,age_55_plus,female,male,LOC_Istanbul,loc_Ankara
@ayse.makeup,120000,"5,000",40000,0.06,2,300,beauty;#SkinCare,0.1,0.4,0.3,0.1,0.05,0.05,0.8,0.2,0.6,0.2
@mert.tech,45.5K,1500,,0.05,,,tech,0.2,0.3,0.3,0.1,0.05,0.05,0.3,0.7,0.3,0.5
@deniz.vlogs,1.4M,"25,000",300000,0.04,4,"1,000",#Lifestyle;BEAUTY,0.05,0.35,0.35,0.15,0.05,0.05,0.5,0.4,0.4,0.3
"""

#: A progress line of a long command on stderr (whatif/progress.py), e.g. "simulating: 1,000/4,000 (25%), 5.0s elapsed".
PROGRESS_LINE = re.compile(r"^[a-z][\w .-]*: [\d,]+/[\d,]+ \(\d+%\), [\d.]+s elapsed$")


def long_simulation(tmp_path: Path, *executor: str):
    """``reachmix simulate`` of a generated 200-creator scenario with 400,000 runs on ``executor``
    (``--jobs 2``, ``--dask local:1``), started in its own session (so that a test can send the
    whole group a terminal's Ctrl-C), stdout and stderr piped as text."""
    import subprocess

    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 200, 4)
    return subprocess.Popen([sys.executable, "-m", "cli", "simulate", str(path), "--strategy", "greedy",
                             "--runs", "400000", *executor], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


BASE_TOML = """\
[pool]
file = "creators.csv"

[budget]
total = 100000
"""


@pytest.fixture(autouse=True, scope="session")
def _reachmix_state_dir(tmp_path_factory):
    """Keep the registry of files reachmix wrote (scenarios/files.py) out of the user's home."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REACHMIX_STATE_DIR", str(tmp_path_factory.mktemp("reachmix-state")))
        yield


@pytest.fixture
def write_scenario(tmp_path):
    """``write_scenario(toml=..., csv=..., csv_name=..., toml_name=...) -> Path`` of the TOML.

    ``csv=None`` writes no pool file; ``csv`` may be ``str`` (written as UTF-8) or ``bytes``.
    """

    def write(toml: str | bytes = BASE_TOML, csv: str | bytes | None = BASE_CSV,
              csv_name: str = "creators.csv", toml_name: str = "scenario.toml") -> Path:
        if csv is not None:
            target = tmp_path / csv_name
            if isinstance(csv, bytes):
                target.write_bytes(csv)
            else:
                target.write_bytes(csv.encode("utf-8"))
        path = tmp_path / toml_name
        path.write_bytes(toml if isinstance(toml, bytes) else toml.encode("utf-8"))
        return path

    return write


def toml_with(*extra: str, base: str = BASE_TOML) -> str:
    """The base TOML followed by extra tables/keys."""
    return base + "\n" + "\n".join(extra) + "\n"


def pytest_addoption(parser):
    parser.addoption("--all", action="store_true", dest="run_all",
                     help="also run the tests marked slow (CI and the README's test command do)")


def pytest_configure(config):
    # Under --all (CI), command-line suites that can run in-process run as real subprocesses too.
    if config.getoption("run_all", default=False):
        os.environ["REACHMIX_TEST_SUBPROCESS"] = "1"


def pytest_collection_modifyitems(config, items):
    """The default run leaves out ``slow`` tests (seconds to minutes each: subprocess suites, Dask
    clusters, fuzzing, the browser) so that a contributor can run it often; ``pytest --all`` (the
    README's command, which CI runs) and any ``-m`` expression run what they select."""
    if config.getoption("run_all") or config.getoption("markexpr"):
        return
    kept, slow = [], []
    for item in items:
        (slow if item.get_closest_marker("slow") else kept).append(item)
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = kept
