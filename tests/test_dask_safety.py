"""Dask addresses that are not schedulers, timeouts, local:N capping and Ctrl-C: a clear one-line
error within the timeout, never a hang, a MemoryError or a page of logs.

Every server here listens on 127.0.0.1 in a thread of this process."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import PROGRESS_LINE, long_simulation
from click.testing import CliRunner

pytest.importorskip("dask.distributed")

from cli import main  # noqa: E402
from whatif.parallel import (  # noqa: E402
    DaskTarget,
    ParallelError,
    _target,
    check_address,
    machine_cores,
    probe_scheduler,
    run_tasks,
)

pytestmark = pytest.mark.slow  # seconds to minutes: run by CI and `pytest --all`
ROOT = Path(__file__).resolve().parents[1]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except OSError:  # the probe hangs up as soon as it has read the status line
            pass


@pytest.fixture
def http_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _raw_server(reply: bytes | None, close: bool = False):
    """A listening socket that, per connection, sends ``reply`` (None: nothing, ever) and maybe closes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held = []
    stop = threading.Event()

    def serve():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            if reply:
                conn.sendall(reply)
            if close:
                conn.close()
            else:
                held.append(conn)  # accepted and kept open, never answered

    threading.Thread(target=serve, daemon=True).start()

    def shutdown():
        stop.set()
        for c in held:
            c.close()
        sock.close()

    return sock.getsockname()[1], shutdown


@pytest.fixture
def raw_server():
    stops = []

    def make(reply, close=False):
        port, stop = _raw_server(reply, close)
        stops.append(stop)
        return port

    yield make
    for stop in stops:
        stop()


def _probe_error(address, timeout=1.0):
    start = time.monotonic()
    with pytest.raises(ParallelError) as info:
        probe_scheduler(address, timeout)
    return str(info.value), time.monotonic() - start


def test_a_web_server_is_named_as_one_within_the_timeout(http_port):
    message, seconds = _probe_error(f"tcp://127.0.0.1:{http_port}", timeout=3)
    assert message == (f"--dask tcp://127.0.0.1:{http_port}: this is a web server, not a Dask scheduler "
                       "(the dashboard is usually port 8787, the scheduler 8786)")
    assert seconds < 3


def test_a_server_that_speaks_http_first_is_not_read_as_a_frame_length(raw_server):
    """What made distributed ask for 3.07 EiB: 'HTTP/1.0' read as an 8-byte length."""
    port = raw_server(b"HTTP/1.0 400 Bad request\r\n\r\n", close=True)
    message, _ = _probe_error(f"127.0.0.1:{port}")
    assert message == (f"--dask 127.0.0.1:{port}: this is a web server, not a Dask scheduler "
                       "(the dashboard is usually port 8787, the scheduler 8786)")


def test_a_port_that_accepts_but_never_answers_times_out(raw_server):
    port = raw_server(None)
    message, seconds = _probe_error(f"tcp://127.0.0.1:{port}", timeout=1.5)
    assert message == (f"--dask tcp://127.0.0.1:{port}: the port accepts connections but sent no Dask handshake "
                       "within 1.5 s; it is not a Dask scheduler (check the port, usually 8786)")
    assert 1.4 <= seconds < 3


def test_garbage_and_hangups_are_not_schedulers(raw_server):
    port = raw_server(b"\xff" * 16, close=True)
    assert _probe_error(f"tcp://127.0.0.1:{port}")[0] == (
        f"--dask tcp://127.0.0.1:{port}: the server does not speak Dask's protocol; it is not a Dask scheduler")
    port = raw_server(b"", close=True)
    assert _probe_error(f"tcp://127.0.0.1:{port}")[0] == (
        f"--dask tcp://127.0.0.1:{port}: the server closed the connection without a Dask handshake; "
        "it is not a Dask scheduler")


def test_a_real_scheduler_passes_the_probe():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None, protocol="tcp://",
                      host="127.0.0.1") as cluster:
        probe_scheduler(cluster.scheduler_address, 5)  # no error


def test_the_cli_reports_a_web_server_in_one_line(http_port):
    example = ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
    result = CliRunner().invoke(main, ["compare", str(example), "--strategy", "greedy",
                                       "--dask", f"tcp://127.0.0.1:{http_port}", "--dask-connect-timeout", "3"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: --dask tcp://127.0.0.1:{http_port}: this is a web server, not a Dask scheduler "
        "(the dashboard is usually port 8787, the scheduler 8786)"]


def test_timeouts_come_from_the_target_then_the_environment_then_the_default(monkeypatch):
    monkeypatch.delenv("REACHMIX_DASK_CONNECT_TIMEOUT", raising=False)
    monkeypatch.delenv("REACHMIX_DASK_TIMEOUT", raising=False)
    assert _target("local:1") == DaskTarget("local:1", 10.0, None)
    monkeypatch.setenv("REACHMIX_DASK_CONNECT_TIMEOUT", "2.5")
    monkeypatch.setenv("REACHMIX_DASK_TIMEOUT", "60")
    assert _target("local:1") == DaskTarget("local:1", 2.5, 60.0)
    assert _target(DaskTarget("local:1", 1.0, 5.0)) == DaskTarget("local:1", 1.0, 5.0)
    monkeypatch.setenv("REACHMIX_DASK_TIMEOUT", "soon")
    with pytest.raises(ParallelError) as info:
        _target("local:1")
    assert str(info.value) == "REACHMIX_DASK_TIMEOUT = 'soon' is not a duration; give seconds, e.g. 30"


def test_local_n_is_capped_at_the_cores_with_a_warning():
    cores = machine_cores()
    assert check_address(f"local:{cores}") == []
    plural = "s" * (cores != 1)
    assert check_address(f"local:{cores + 10}") == [
        f"--dask local:{cores + 10}: this machine has {cores} core{plural}; starting {cores} worker{plural}, "
        f"not {cores + 10}"]


def _sleep_then(seconds, value):
    time.sleep(seconds)
    return value


TIMED_OUT = ("--dask local:1: the work did not finish within 2 s (the overall timeout; raise it "
             "with --dask-timeout or REACHMIX_DASK_TIMEOUT)")


def test_futures_handed_to_the_simulator_wait_only_until_the_deadline():
    """The simulator calls ``executor.submit(...).result()``; on Dask that wait is bounded."""
    from whatif.parallel import DaskExecutor

    class StalledFuture:
        def result(self, timeout=None):
            self.waited = timeout
            raise TimeoutError

    class FakeClient:
        def submit(self, fn, *args, pure=True):
            self.pure = pure
            return StalledFuture()

    client = FakeClient()
    executor = DaskExecutor(client, DaskTarget("local:1", 10.0, 2.0))
    future = executor.submit(_sleep_then, 30, 1)
    with pytest.raises(ParallelError) as info:
        future.result()
    assert str(info.value) == TIMED_OUT
    assert 0 < future.future.waited <= 2 and client.pure is False


@pytest.mark.slow
def test_the_overall_timeout_ends_a_stalled_run():
    start = time.monotonic()
    with pytest.raises(ParallelError) as info:
        run_tasks(_sleep_then, [(30, 1)], dask=DaskTarget("local:1", timeout=2))
    assert str(info.value) == TIMED_OUT
    assert time.monotonic() - start < 25  # cluster start + 2 s + close, not the task's 30 s



@pytest.mark.slow
def test_ctrl_c_on_a_local_cluster_ends_quietly_with_exit_130(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: one line, exit 130."""
    proc = long_simulation(tmp_path, "--dask", "local:1")
    time.sleep(8)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # Progress lines ("simulating: 45,000/400,000 (11%), 5.1s elapsed") may come first when the
    # machine is slow; after them: one line, no logs, no traceback.
    lines = [line for line in err.strip().splitlines() if line and not PROGRESS_LINE.match(line)]
    assert lines == ["Error: interrupted"], err
    assert out == ""


def test_the_cli_warns_once_when_local_n_is_capped(monkeypatch):
    """The warning is printed by the CLI before any cluster starts (here none does)."""
    import whatif.parallel

    def no_cluster(target):
        raise ParallelError(f"--dask {target.address}: stopped by the test with {target.connect_timeout:g} s")

    monkeypatch.setattr(whatif.parallel, "dask_client", no_cluster)
    monkeypatch.setattr(whatif.parallel, "machine_cores", lambda: 2)
    example = ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
    result = CliRunner().invoke(main, ["compare", str(example), "--strategy", "greedy", "--dask", "local:12",
                                       "--dask-connect-timeout", "4"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Warning: --dask local:12: this machine has 2 cores; starting 2 workers, not 12",
        "Error: --dask local:12: stopped by the test with 4 s"]
