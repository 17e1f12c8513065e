"""The one local process runner (scenarios/processes.py) behind simulate and whatif: results in task
order however run, progress, errors that keep their type and message, and Ctrl-C / SIGTERM that end
the run at once, with one line from the command line and no worker left behind."""

from __future__ import annotations

import multiprocessing
import operator
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from conftest import PROGRESS_LINE, long_simulation

from scenarios.errors import ScenarioError
from scenarios.processes import RemoteTraceback, for_each_result, machine_cores, run_tasks

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["fork", "spawn"]


# Tasks: top-level, so that spawned workers can import them from this module.
def fail_after(seconds: float) -> None:
    time.sleep(seconds)
    raise ScenarioError("budget.total = -5 in s.toml is negative; give a positive number")


def sleep_or_fail(seconds: float, fail: bool) -> None:
    return fail_after(seconds) if fail else time.sleep(seconds)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def local_function():
    return lambda: 1


def raise_unpicklable() -> None:
    raise ValueError("holds a lock", threading.Lock())


def no_children_left() -> bool:
    return multiprocessing.active_children() == []


@pytest.mark.parametrize("jobs,method", [(1, None), (2, "fork"), (3, "fork"), (2, "spawn")])
def test_results_come_in_task_order_with_progress(jobs, method):
    tasks = [(k, 3) for k in range(7)]
    calls = []
    out = run_tasks(operator.pow, tasks, jobs=jobs, start_method=method, progress=lambda d, t: calls.append((d, t)))
    assert out == [k ** 3 for k in range(7)]
    assert calls == [(d, 7) for d in range(1, 8)]
    assert no_children_left()


def test_in_this_process_results_arrive_in_task_order():
    seen = []
    for_each_result(operator.add, [(1, 1), (2, 2), (3, 3)], lambda k, r: seen.append((k, r)), jobs=1)
    assert seen == [(0, 2), (1, 4), (2, 6)]


@pytest.mark.parametrize("method", METHODS)
def test_workers_leave_ctrl_c_to_this_process_and_die_on_sigterm(method):
    got = run_tasks(signal.getsignal, [(signal.SIGINT,), (signal.SIGTERM,)] * 2, jobs=2, start_method=method)
    assert got == [signal.SIG_IGN, signal.SIG_DFL] * 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # this process's is restored


def test_a_task_error_keeps_its_text_and_does_not_wait_for_the_other_tasks():
    start = time.monotonic()
    with pytest.raises(ScenarioError) as info:
        run_tasks(sleep_or_fail, [(0.2, True), (30, False), (30, False)], jobs=3, start_method="fork")
    assert str(info.value) == "budget.total = -5 in s.toml is negative; give a positive number"
    assert isinstance(info.value.__cause__, RemoteTraceback) and "fail_after" in str(info.value.__cause__)
    assert time.monotonic() - start < 15  # the 30 s tasks were killed, not awaited
    assert no_children_left()


def test_an_error_while_receiving_kills_the_workers():
    start = time.monotonic()

    def receive(k, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        for_each_result(time.sleep, [(0.1,), (30,), (30,)], receive, jobs=2, start_method="fork")
    assert time.monotonic() - start < 15
    assert no_children_left()


def test_a_worker_that_dies_is_named():
    with pytest.raises(BrokenProcessPool, match=r"^worker process reachmix-worker-[12] was killed \(SIGKILL: perhaps "
                                                r"the system ran out of memory\) while running a task; run with fewer "
                                                r"jobs or in this process \(jobs = 1\)$"):
        run_tasks(die, [(), ()], jobs=2, start_method="fork")
    assert no_children_left()


def test_results_and_errors_that_cannot_travel_become_errors():
    with pytest.raises(Exception, match="pickle"):
        run_tasks(local_function, [(), ()], jobs=2, start_method="fork")
    with pytest.raises(RuntimeError, match=r"^ValueError: \('holds a lock', <unlocked _thread.lock object"):
        run_tasks(raise_unpicklable, [(), ()], jobs=2, start_method="fork")
    assert no_children_left()


def test_machine_cores():
    assert 1 <= machine_cores() <= (os.cpu_count() or 1)


# --- real signals, as a terminal (the whole process group) or `kill` (this process) sends them ---------

HEADER = """
import signal, sys, time
sys.path.insert(0, {root!r})
from scenarios.processes import run_tasks

def progress(done, total):
    print(done, flush=True)
"""
SCRIPT = HEADER + """
class Terminated(KeyboardInterrupt):
    pass

def on_sigterm(signum, frame):
    raise Terminated()

signal.signal(signal.SIGTERM, on_sigterm)
try:
    run_tasks(time.sleep, [(0.1,), (0.1,)] + [(30,)] * 4, jobs=2, start_method={method!r}, progress=progress)
except Terminated:
    print("terminated", file=sys.stderr)
    sys.exit(143)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


def _session(pid: int, wait: float = 5.0) -> list[str]:
    """The live processes left in the session ``pid`` led, after up to ``wait`` seconds (the spawn
    start method's resource tracker exits a moment after its parent)."""
    deadline = time.monotonic() + wait
    while True:
        ps = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-s", str(pid)], capture_output=True, text=True)
        left = [line for line in ps.stdout.splitlines() if line.split()[1:2] != ["Z"]]  # zombies: init reaps them
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("method,sig,group", [
    ("fork", signal.SIGINT, True), ("spawn", signal.SIGTERM, False),
    pytest.param("spawn", signal.SIGINT, True, marks=pytest.mark.slow),
    pytest.param("fork", signal.SIGTERM, True, marks=pytest.mark.slow),
])
def test_a_signal_ends_the_run_at_once_quietly_and_leaves_no_worker(method, sig, group):
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(root=str(ROOT), method=method)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline() == "1\n"  # the workers are running the 30 s tasks now
        start = time.monotonic()
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - start < 10
    assert (proc.returncode, err) == ((130, "interrupted\n") if sig == signal.SIGINT else (143, "terminated\n"))
    assert _session(proc.pid) == []


@pytest.mark.slow
def test_workers_of_a_killed_parent_exit_quietly_after_their_task():
    code = HEADER + 'run_tasks(time.sleep, [(0.1,)] * 2 + [(1,)] * 50, jobs=2, start_method="fork", progress=progress)'
    proc = subprocess.Popen([sys.executable, "-c", code.format(root=str(ROOT))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline() == "1\n"
        proc.kill()  # SIGKILL: no cleanup runs in the parent
        proc.wait()
        assert _session(proc.pid) == []  # each worker finished its 1 s task, found the pipe closed and left
        assert proc.stderr.read() == ""  # workers share the parent's stderr: no traceback from them
    finally:
        if _session(proc.pid, wait=0):
            os.killpg(proc.pid, signal.SIGKILL)



@pytest.mark.slow
def test_ctrl_c_during_simulate_with_jobs_is_one_line_and_exit_130(tmp_path):
    """As a terminal's Ctrl-C: SIGINT to the whole process group while two workers simulate."""
    proc = long_simulation(tmp_path, "--jobs", "2")
    try:
        first = proc.stderr.readline()  # a progress line comes 5 s after the start: the workers are busy
        assert PROGRESS_LINE.match(first.strip()), first
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - start < 10
    assert proc.returncode == 130, err
    lines = [line for line in err.strip().splitlines() if line and not PROGRESS_LINE.match(line)]
    assert lines == ["Error: interrupted"], err
    assert out == ""
    assert _session(proc.pid) == []
