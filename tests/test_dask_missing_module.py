"""A cluster that lacks a module the tasks need (a user's ``package.module:ClassName`` strategy):
one line naming the cause, exit 2, within seconds; before, an internal error or a hang.

A real scheduler and worker run as subprocesses started from ``/`` on 127.0.0.1, so they cannot
import the strategy module that this process finds in its working folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

pytest.importorskip("dask.distributed")

from cli import main  # noqa: E402
from scenarios.generate import write_example  # noqa: E402

pytestmark = pytest.mark.slow  # starts a scheduler and a worker: seconds

STRATEGY = """\
from dataclasses import dataclass

from optimizer import GreedyStrategy


@dataclass(frozen=True)
class Mine:
    name: str = "mine"

    def select(self, scenario, *, problem=None):
        return GreedyStrategy().select(scenario, problem=problem)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]], cwd="/",
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for(port: int, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the scheduler did not start")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "mystrat.py").write_text(STRATEGY)
    write_example(tmp_path, 60, 4)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("scheduler_has_it", [False, True], ids=["scheduler-lacks-it", "only-workers-lack-it"])
def test_a_cluster_without_the_strategy_module_is_a_one_line_error(folder, scheduler_has_it):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    scheduler_env = dict(env, PYTHONPATH=str(folder)) if scheduler_has_it else env
    procs = [_dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", env=scheduler_env)]
    try:
        _wait_for(port)
        procs.append(_dask("worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1", "--nthreads", "1",
                           "--no-dashboard", env=env))
        time.sleep(3)  # the worker registers
        start = time.monotonic()
        result = CliRunner().invoke(main, ["compare", "scenario.toml", "--strategy", "mystrat:Mine",
                                           "--dask", f"tcp://127.0.0.1:{port}", "--dask-timeout", "60"])
        assert time.monotonic() - start < 30
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: --dask tcp://127.0.0.1:{port}: ")
    assert "package.module:ClassName strategy" in lines[0]
    assert "internal error" not in lines[0]


def test_the_same_comparison_runs_where_the_module_is_found(folder):
    # The control: this process imports mystrat from its working folder.
    result = CliRunner().invoke(main, ["compare", "scenario.toml", "--strategy", "mystrat:Mine", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"strategy": "greedy"' in result.output  # the plan of Mine, which hands over to greedy
