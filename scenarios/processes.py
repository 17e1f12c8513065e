"""Running independent tasks in local worker processes: the one runner behind ``simulate`` (chunks of
Monte Carlo runs) and ``whatif`` (rows of compare, sweep and bench). Generic: nothing here knows
what a task computes, so it sits in the foundation package that every layer may import.

A task is a picklable tuple of arguments for a top-level function ``fn``; ``fn(*task)`` must derive
all its randomness from its arguments, so a result never depends on which worker ran it.

- **Worker count.** ``jobs`` is the caller's setting (``--jobs``, ``jobs=``). With ``jobs <= 1`` or a
  single task everything runs in this process, in task order, without workers; otherwise in
  ``min(jobs, len(tasks))`` worker processes of the given start method (None: the platform's
  default; the simulator asks for ``"spawn"``).
- **Results.** ``for_each_result`` hands each result to ``receive(index, result)`` as it arrives and
  keeps none (the simulator places a chunk and drops it, so memory holds one task and one result
  per worker, not all of them); ``run_tasks`` collects them in task order and calls
  ``progress(done, total)`` after each. A task's exception is raised here with its own type and
  message (the worker's traceback as its ``__cause__``); a worker that dies (killed, out of memory)
  raises ``BrokenProcessPool``.
- **Shared values.** ``shared`` (e.g. a creator pool that every task of a sweep reads) reaches each
  worker once, not once per task: a task refers to one with ``Shared(k)`` (an argument of its own,
  at the top level of the tuple), which the worker replaces with ``shared[k]``. A forked worker
  inherits them without pickling; a spawned one receives them once, as it starts.
- **Ctrl-C and SIGTERM.** Workers start with SIGINT ignored (a terminal's Ctrl-C goes to the whole
  process group; a worker that took it would print its own traceback) and SIGTERM at its default.
  Only this process sees Ctrl-C. Whatever ends the run early (``KeyboardInterrupt``, a SIGTERM the
  command line turns into one, a task's error, an error in ``receive``) kills the workers at once
  instead of waiting for their current tasks, then propagates unchanged. A worker whose parent
  dies sees its pipe close and exits.

Why not ``concurrent.futures.ProcessPoolExecutor``: before Python 3.14 it cannot stop its workers
(shutting down waits for every queued task), and killing one while it sends a result leaves the
executor's thread blocked forever on the half-written message. Here the main thread drives one pipe
per worker, so a signal is handled at once and a killed worker cannot block anything.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import connection
from typing import Any

from .errors import in_this_voice

Progress = Callable[[int, int], None]
#: Seconds between wake-ups while waiting for results, so that a signal delivered to another thread
#: of this process (an embedding application's) is still handled promptly.
WAKE_SECONDS = 0.5
#: Seconds idle workers get to exit after the last task before they are killed.
EXIT_SECONDS = 5.0


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one), at least 1."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process for the block, so that processes started inside it ignore it
    too: an ignored signal stays ignored across fork and exec, and Python then installs no
    KeyboardInterrupt handler. A Ctrl-C inside the block is lost, so keep it to starting processes.
    Outside the main thread (an embedding application) this does nothing."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


class RemoteTraceback(Exception):
    """The ``__cause__`` of an exception raised in a worker: the worker's traceback, as text."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Shared:
    """Stands in a task for ``shared[index]`` (``run_tasks(..., shared=...)``): the value is
    shipped to each worker once and put in its place there."""

    index: int


def resolve(task: tuple, shared: Sequence[Any]) -> tuple:
    """``task`` with each ``Shared(k)`` replaced by ``shared[k]``."""
    return tuple(shared[a.index] if isinstance(a, Shared) else a for a in task)


def _failure(exc: BaseException) -> tuple[bool, BaseException, str]:
    """A worker's reply for an exception: the exception itself if it survives pickling, else a
    RuntimeError with its type and message; and the traceback text."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception that cannot travel is described instead
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return False, exc, text


def _serve(conn, inherited, shared=()) -> None:
    """A worker: run each ``(fn, task)`` received and reply ``(True, result, "")`` or a failure,
    until ``None`` comes or the parent is gone (its end of the pipe closes: the worker exits quietly)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not run the parent's handler
    for other in inherited:  # the parent's ends of the pipes (copies a fork made): so that EOF arrives
        other.close()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        except BaseException as exc:  # noqa: BLE001 - a task that cannot be unpickled here
            reply = _failure(exc)
        else:
            if job is None:
                return
            try:
                reply = (True, job[0](*resolve(job[1], shared)), "")
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                reply = _failure(exc)
            del job  # the task's arguments are not kept while waiting for the next one
        if not _send(conn, reply):
            return
        del reply


def _send(conn, reply) -> bool:
    """Send a worker's reply; False when the parent is gone."""
    try:
        conn.send(reply)
    except OSError:
        return False
    except Exception as exc:  # noqa: BLE001 - the reply does not pickle (nothing was written)
        return _send(conn, _failure(exc))
    return True


def for_each_result(fn: Callable[..., Any], tasks: Sequence[tuple], receive: Callable[[int, Any], None], *,
                    jobs: int = 1, start_method: str | None = None, shared: Sequence[Any] = ()) -> None:
    """Call ``receive(k, fn(*tasks[k]))`` for every task (``Shared(j)`` in a task standing for
    ``shared[j]``): in task order in this process when ``jobs <= 1`` or there is one task, else as
    each finishes in ``min(jobs, len(tasks))`` worker processes. A task's exception is raised here;
    any exception kills the workers first."""
    if jobs <= 1 or len(tasks) <= 1:
        for k, task in enumerate(tasks):
            receive(k, fn(*resolve(task, shared)))
        return
    ctx = multiprocessing.get_context(start_method)
    fn = in_this_voice(fn)  # a spawned worker would otherwise word its messages for Python, not the CLI
    workers: list[tuple[Any, Any]] = []  # (process, this process's end of its pipe)
    finished = False
    try:
        with sigint_ignored():
            for _ in range(min(jobs, len(tasks))):
                here, there = ctx.Pipe()
                process = ctx.Process(target=_serve, args=(there, [here, *(c for _, c in workers)], tuple(shared)),
                                      name=f"reachmix-worker-{len(workers) + 1}")
                process.start()
                there.close()
                workers.append((process, here))
        _drive(fn, tasks, receive, workers)
        finished = True
    finally:
        _stop(workers, finished)


def _drive(fn, tasks, receive, workers) -> None:
    pending = iter(enumerate(tasks))
    running: dict[Any, tuple[int, Any]] = {}  # connection -> (task index, process)

    def give(conn, process) -> None:
        for k, task in pending:
            try:
                conn.send((fn, task))
            except (BrokenPipeError, ConnectionResetError):
                _died(process)
            running[conn] = (k, process)
            return

    for process, conn in workers:
        give(conn, process)
    while running:
        for conn in connection.wait(list(running), timeout=WAKE_SECONDS):
            k, process = running.pop(conn)
            try:
                reply = conn.recv_bytes()
            except (EOFError, OSError):
                _died(process)
            give(conn, process)  # the worker's next task first, so that it computes while we unpickle
            ok, value, text = pickle.loads(reply)
            del reply
            if not ok:
                value.__cause__ = RemoteTraceback(f"\n'''\n{text}'''")
                raise value
            receive(k, value)
            del value


def _died(process) -> None:
    process.join(1.0)
    code = process.exitcode
    if code is None:
        how = "stopped answering"
    elif code == -getattr(signal, "SIGKILL", 9):
        how = "was killed (SIGKILL: perhaps the system ran out of memory)"
    elif code < 0:
        how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}"
    raise BrokenProcessPool(f"worker process {process.name} {how} while running a task; run with fewer jobs "
                            "or in this process (jobs = 1)")


def _stop(workers, finished: bool) -> None:
    """After the last result, ask idle workers to exit; otherwise kill them (SIGKILL: a worker holds
    nothing that needs cleaning up, and it cannot be ignored). Then reap them all."""
    for process, conn in workers:
        if finished:
            try:
                conn.send(None)
            except OSError:
                pass
        else:
            process.kill()
    for process, conn in workers:
        process.join(EXIT_SECONDS if finished else None)
        if process.exitcode is None:
            process.kill()
            process.join()
        conn.close()


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], *, jobs: int = 1, progress: Progress | None = None,
              start_method: str | None = None, shared: Sequence[Any] = ()) -> list[Any]:
    """``[fn(*task) for task in tasks]``, in task order, possibly in ``jobs`` worker processes;
    ``progress(done, total)`` after each task (in the order they finish). ``Shared(j)`` in a task
    stands for ``shared[j]``, shipped to each worker once."""
    total = len(tasks)
    results: list[Any] = [None] * total
    done = 0

    def receive(k: int, result: Any) -> None:
        nonlocal done
        results[k] = result
        done += 1
        if progress:
            progress(done, total)

    for_each_result(fn, tasks, receive, jobs=jobs, start_method=start_method, shared=shared)
    return results
