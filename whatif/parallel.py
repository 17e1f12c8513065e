"""Running independent tasks in this process, in local processes, or on a Dask cluster.

Every task is a top-level function and picklable arguments, and each task derives its own
randomness from its arguments (never from worker state), so the results are identical however
they are run. Results come back in task order. This process and local processes (``--jobs``) are
``scenarios.processes``, the runner the simulator uses too (Ctrl-C and SIGTERM handling included);
this module adds Dask.

Dask safety: before distributed sees a scheduler address we open a plain socket with a short
timeout and check that what answers speaks Dask's protocol (a web server or a silent port would
otherwise hang or make distributed read an HTTP status line as a 3 EiB frame length). Connecting
(socket and handshake) and the whole run each have a timeout: ``REACHMIX_DASK_CONNECT_TIMEOUT``
(default 10 s) and ``REACHMIX_DASK_TIMEOUT`` (default none), or a ``DaskTarget``'s fields.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scenarios import processes
from scenarios.errors import ReachmixError, in_this_voice
from scenarios.processes import machine_cores, sigint_ignored

#: How long to wait for a scheduler to accept the connection and answer Dask's handshake.
DASK_CONNECT_TIMEOUT = "10s"
CONNECT_TIMEOUT_ENV = "REACHMIX_DASK_CONNECT_TIMEOUT"
#: How long the whole run on a cluster may take (None: no limit); seconds.
TIMEOUT_ENV = "REACHMIX_DASK_TIMEOUT"
#: Dask's comm frames a message as an 8-byte little-endian length; a scheduler's first message
#: (its handshake) is a few dozen bytes. More than this is not a scheduler talking.
_MAX_HANDSHAKE = 1 << 20
_LOGGERS = ("distributed", "tornado", "asyncio")


class ParallelError(ReachmixError):
    """The requested executor cannot be used (bad --dask address, dask not installed...)."""


@dataclass(frozen=True)
class DaskTarget:
    """Where to run on Dask and how long to wait: ``address`` is ``local:N`` or a scheduler
    (``tcp://host:8786``); timeouts in seconds (None: the environment's setting or the default)."""

    address: str
    connect_timeout: float | None = None
    timeout: float | None = None

    def __str__(self) -> str:
        return self.address


def _seconds(value, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            from dask.utils import parse_timedelta

            seconds = float(parse_timedelta(value, default="seconds"))
        else:
            seconds = float(value)
    except (ValueError, TypeError, KeyError, ImportError):
        raise ParallelError(f"{what} = {value!r} is not a duration; give seconds, e.g. 30") from None
    if not (seconds > 0 and seconds < float("inf")):
        raise ParallelError(f"{what} = {value!r} must be a positive, finite number of seconds")
    return seconds


def _target(target: str | DaskTarget) -> DaskTarget:
    """The target with both timeouts resolved: explicit value, else environment, else default."""
    if isinstance(target, str):
        target = DaskTarget(target)
    connect = target.connect_timeout
    if connect is None:
        connect = _seconds(os.environ.get(CONNECT_TIMEOUT_ENV), CONNECT_TIMEOUT_ENV)
    if connect is None:
        connect = _seconds(DASK_CONNECT_TIMEOUT, "DASK_CONNECT_TIMEOUT")
    overall = target.timeout
    if overall is None:
        overall = _seconds(os.environ.get(TIMEOUT_ENV), TIMEOUT_ENV)
    return DaskTarget(target.address, float(connect), overall)


def _local_workers(address: str) -> tuple[int, str | None]:
    try:
        workers = int(address.split(":", 1)[1])
    except ValueError:
        raise ParallelError(f'--dask {address}: write local:N with N the number of workers, e.g. local:2') from None
    if workers < 1:
        raise ParallelError(f"--dask {address}: N must be at least 1")
    cores = machine_cores()
    if workers > cores:
        return cores, (f"--dask {address}: this machine has {cores} core{'s' * (cores != 1)}; "
                       f"starting {cores} worker{'s' * (cores != 1)}, not {workers}")
    return workers, None


def _host_port(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address, or a ParallelError saying how to write it."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")  # [::1]:8786
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c.isspace() for c in address):
        raise ParallelError(f"--dask {address}: write tcp://HOST:PORT (a scheduler, usually port 8786) "
                            "or local:N (a local cluster of N workers)")
    return scheme, host, int(port)


def check_address(address: str | DaskTarget) -> list[str]:
    """Check an address's syntax (nothing is contacted); returns warnings, e.g. a capped local:N."""
    address = str(address)
    if address.startswith("local:"):
        _, warning = _local_workers(address)
        return [warning] if warning else []
    _host_port(address)
    return []


def probe_scheduler(address: str, timeout: float) -> None:
    """Connect with a plain socket and check a Dask handshake arrives within ``timeout`` seconds.

    A Dask server speaks first: an 8-byte little-endian message length, then the frames of a
    small msgpack dict. Only plain TCP can be checked this way (TLS is left to distributed).
    """
    scheme, host, port = _host_port(address)
    if scheme != "tcp":
        return
    where = f"--dask {address}"
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ParallelError(f"{where}: no connection within {timeout:g} s; check the address and that the "
                            "scheduler is running") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ParallelError(f"{where}: cannot reach the scheduler ({reason}); check the address") from None
    with sock:
        data = b""
        # A scheduler speaks at once. A server that waits for the client to speak (HTTP) gets a
        # request after a moment, so that it identifies itself instead of timing out silently.
        nudge_at = time.monotonic() + min(1.0, timeout / 2)
        nudged = False
        try:
            while len(data) < 16:
                now = time.monotonic()
                if now >= deadline:
                    raise TimeoutError
                if not nudged and not data and now >= nudge_at:
                    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    nudged = True
                sock.settimeout(max((deadline if nudged or data else nudge_at) - now, 0.001))
                try:
                    chunk = sock.recv(16 - len(data))
                except TimeoutError:
                    continue
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            raise ParallelError(f"{where}: the port accepts connections but sent no Dask handshake within "
                                f"{timeout:g} s; it is not a Dask scheduler (check the port, usually 8786)") from None
        except OSError as exc:
            reason = exc.strerror or exc
            raise ParallelError(f"{where}: the connection failed during the handshake ({reason})") from None
    if data[:4].upper() in (b"HTTP", b"<!DO", b"<HTM"):
        raise ParallelError(f"{where}: this is a web server, not a Dask scheduler (the dashboard is usually "
                            "port 8787, the scheduler 8786)")
    if len(data) < 16:
        raise ParallelError(f"{where}: the server closed the connection without a Dask handshake; "
                            "it is not a Dask scheduler")
    size, frames = struct.unpack("<QQ", data)
    if not (16 <= size <= _MAX_HANDSHAKE and 1 <= frames <= 64):
        raise ParallelError(f"{where}: the server does not speak Dask's protocol; it is not a Dask scheduler")


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], *, jobs: int = 1, dask: str | DaskTarget | None = None,
              progress: Callable[[int, int], None] | None = None, shared: Sequence[Any] = ()) -> list[Any]:
    """``[fn(*task) for task in tasks]``, possibly in parallel; ``progress(done, total)`` after each.
    On Dask with ``dask``, else in this process or ``jobs`` local processes (``scenarios.processes``).
    ``processes.Shared(j)`` in a task stands for ``shared[j]``, which goes to each worker once: on
    Dask scattered to every worker (``broadcast``) before the first task, not sent with each."""
    if dask:
        return _run_dask(fn, tasks, dask, progress, shared)
    return processes.run_tasks(fn, tasks, jobs=jobs, progress=progress, shared=shared)


def dask_client(address: str | DaskTarget):
    """A ``distributed.Client`` for ``ADDRESS`` (``tcp://host:8786``) or ``local:N`` (a local cluster)."""
    target = _target(address)
    address = target.address
    if address.startswith("local:"):
        workers, _ = _local_workers(address)  # the CLI has printed the warning, if any
    else:
        probe_scheduler(address, target.connect_timeout)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParallelError("--dask needs Dask: pip install 'reachmix[dask]'") from None
    if address.startswith("local:"):
        # silence_logs: a task's error comes back to us and is reported once, as one line; the
        # workers' own "Compute Failed" pages would repeat it with a traceback.
        # Workers start with SIGINT ignored (a terminal's Ctrl-C goes to the whole process group, and a
        # worker would print its own traceback): only this process sees Ctrl-C and closes the cluster.
        # A Ctrl-C during the few seconds of start-up is lost.
        with sigint_ignored():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
        return Client(cluster)
    try:
        return Client(address, timeout=target.connect_timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # ValueError: e.g. no port
        raise ParallelError(f"--dask {address}: cannot reach the scheduler ({exc}); check the address") from None


class DaskExecutor:
    """The session's client behind ``submit``: futures whose ``result()`` waits at most until
    the run's overall deadline, so a stalled cluster ends in an error instead of a hang."""

    def __init__(self, client, target: DaskTarget):
        self.client = client
        self.target = target
        self.deadline = None if target.timeout is None else time.monotonic() + target.timeout

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.timed_out()
        return left

    def timed_out(self):
        raise ParallelError(f"--dask {self.target.address}: the work did not finish within {self.target.timeout:g} s "
                            f"(the overall timeout; raise it with --dask-timeout or {TIMEOUT_ENV})")

    def submit(self, fn, *args, **kwargs):
        return _BoundedFuture(self.client.submit(fn, *args, pure=False, **kwargs), self)

    def __getattr__(self, name):  # everything else is the client's
        return getattr(self.client, name)


class _BoundedFuture:
    def __init__(self, future, executor: DaskExecutor):
        self.future = future
        self.executor = executor

    def result(self, timeout=None):
        try:
            return self.future.result(timeout=self.executor.remaining() if timeout is None else timeout)
        except TimeoutError:
            self.executor.timed_out()

    def __getattr__(self, name):
        return getattr(self.future, name)


def quiet_dask_logs() -> None:
    """Silence distributed's loggers: closing on Ctrl-C otherwise prints a page of
    'Stopping worker' lines and CancelledError tracebacks after our one-line message."""
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextmanager
def dask_session(address: str | DaskTarget):
    """A connected client (as a ``DaskExecutor``) for the block; a ``local:N`` cluster is shut
    down afterwards, quietly when the block ends with Ctrl-C or an error."""
    target = _target(address)
    client = dask_client(target)
    ok = False
    try:
        yield DaskExecutor(client, target)
        ok = True
    finally:
        if not ok:
            quiet_dask_logs()
        cluster = getattr(client, "cluster", None)
        try:
            client.close(timeout=5)
            if cluster is not None and target.address.startswith("local:"):
                cluster.close(timeout=5)
        except BaseException:  # noqa: BLE001 - a second Ctrl-C or a dead cluster while closing: nothing to save
            if ok:
                raise


def _run_dask(fn, tasks, address, progress, shared=()):
    from dask.distributed import as_completed as dask_completed

    with dask_session(address) as executor:
        voiced = in_this_voice(fn)  # a Dask worker starts in Python's voice; messages follow the caller's
        # One copy per worker, up front; a task's argument that is a future is replaced by its value there.
        scattered = executor.client.scatter(list(shared), broadcast=True, hash=False) if shared else []
        futures = [executor.client.submit(voiced, *processes.resolve(task, scattered), pure=False) for task in tasks]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        try:
            for done, future in enumerate(dask_completed(futures, timeout=executor.remaining()), start=1):
                results[index[future.key]] = future.result()
                if progress:
                    progress(done, len(tasks))
        except TimeoutError:
            executor.timed_out()
        except (RuntimeError, ImportError) as exc:
            # A scheduler or worker without a module the tasks need (a user's strategy class,
            # another reachmix version) cannot unpickle them; say so instead of an internal error.
            text = str(exc).split(". ", 1)[0].strip()
            if isinstance(exc, ImportError) or "deserializ" in text:
                raise ParallelError(f"--dask {executor.target.address}: the cluster could not load the tasks ({text}); "
                                    "its scheduler and workers need the packages this machine has, including the "
                                    "module of any package.module:ClassName strategy") from None
            raise
        except CancelledError as exc:  # distributed's FutureCancelledError: the task's worker died or left
            raise ParallelError(f"--dask {executor.target.address}: a worker failed or left the cluster before the "
                                f"tasks finished ({str(exc).split(': ', 1)[-1].strip() or 'cancelled'}); see the "
                                "workers' logs. A common cause: workers without the packages this machine has, "
                                "including the module of any package.module:ClassName strategy") from None
        return results
