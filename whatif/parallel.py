"""Running independent tasks in this process, in local processes, or on a Dask cluster.

Every task is a top-level function and picklable arguments, and each task derives its own
randomness from its arguments (never from worker state), so the results are identical however
they are run. Results come back in task order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from scenarios.errors import ReachmixError


#: How long to wait for a remote scheduler before saying it cannot be reached.
DASK_CONNECT_TIMEOUT = "10s"


class ParallelError(ReachmixError):
    """The requested executor cannot be used (bad --dask address, dask not installed...)."""


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], *, jobs: int = 1, dask: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """``[fn(*task) for task in tasks]``, possibly in parallel; ``progress(done, total)`` after each."""
    total = len(tasks)
    if dask:
        return _run_dask(fn, tasks, dask, progress)
    if jobs <= 1 or total <= 1:
        out = []
        for k, task in enumerate(tasks):
            out.append(fn(*task))
            if progress:
                progress(k + 1, total)
        return out
    results: list[Any] = [None] * total
    with ProcessPoolExecutor(max_workers=min(jobs, total)) as pool:
        futures = {pool.submit(fn, *task): k for k, task in enumerate(tasks)}
        done = 0
        for future in as_completed(futures):
            results[futures[future]] = future.result()  # re-raises a task's ReachmixError here
            done += 1
            if progress:
                progress(done, total)
    return results


def dask_client(address: str):
    """A ``distributed.Client`` for ``ADDRESS`` (``tcp://host:8786``) or ``local:N`` (a local cluster)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParallelError("--dask needs Dask: pip install 'reachmix[dask]'") from None
    if address.startswith("local:"):
        try:
            workers = int(address.split(":", 1)[1])
        except ValueError:
            raise ParallelError(f'--dask {address}: write local:N with N the number of workers, e.g. local:2') from None
        if workers < 1:
            raise ParallelError(f"--dask {address}: N must be at least 1")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        return Client(cluster)
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # ValueError: e.g. no port
        raise ParallelError(f"--dask {address}: cannot reach the scheduler ({exc}); check the address") from None


@contextmanager
def dask_session(address: str):
    """A connected client for the block; a ``local:N`` cluster is shut down afterwards."""
    client = dask_client(address)
    try:
        yield client
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None and address.startswith("local:"):
            cluster.close()


def _run_dask(fn, tasks, address, progress):
    from dask.distributed import as_completed as dask_completed

    with dask_session(address) as client:
        futures = [client.submit(fn, *task, pure=False) for task in tasks]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        for done, future in enumerate(dask_completed(futures), start=1):
            results[index[future.key]] = future.result()
            if progress:
                progress(done, len(tasks))
        return results
