"""``simulate()``: chunking, seeding, optional worker processes, progress, and assembly.

Memory: the only arrays that grow with the number of runs are the per-run cumulative series of
``metrics.STORED`` (float32: 8 metrics x 4 bytes = 32 bytes per run-day; 100,000 runs x 90 days =
288 MB) plus exact float64 sums per block of runs. Percentiles need every run's value, so they
are computed exactly from those stored series (float32 rounding, ~1e-7 relative, is far below
Monte Carlo error); means come from the float64 block sums, so they are exact (the consistency
rule is checked to 1e-9). Everything else lives one chunk at a time, sized to
``assumptions.CHUNK_BYTES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scenarios import Scenario
from scenarios.errors import option
from scenarios.limits import check_memory
from scenarios.processes import for_each_result

from . import assumptions
from .engine import ChunkResult, run_chunk
from .errors import SimulationError
from .metrics import REPORTED, STORED
from .result import BATCH_ELEMENTS, SimulationResult, summarise
from .schedule import Prepared, prepare

Progress = Callable[[int, int], None]


def _positive_int(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) and not (
            isinstance(value, float) and value.is_integer()):
        raise SimulationError(f"{name} must be a whole number, not {value!r}")
    if int(value) < low:
        raise SimulationError(f"{name} = {value} is too small; it must be >= {low}")
    return int(value)


def chunk_runs(prep: Prepared, chunk_size: int | None) -> int:
    """Runs per chunk: ``chunk_size`` rounded up to whole blocks, or what fits ``CHUNK_BYTES``."""
    block = assumptions.BLOCK_RUNS
    if chunk_size is None:
        u, c = prep.slot_days.size, prep.n_cells
        per_run = 8 * (12 * prep.n_posts + u * (c + 4) + 3 * c + 16) + 4 * len(STORED) * prep.days
        chunk_size = max(block, assumptions.CHUNK_BYTES // per_run)
        return (chunk_size // block) * block
    return math.ceil(chunk_size / block) * block


#: Bytes per run-day that live until the end: the stored float32 series (4 x len(STORED)) plus the
#: weekly roll-up's float64 temporaries (about days / 7 values per run, ~4 copies while sorting).
BYTES_PER_RUN_DAY = 4 * len(STORED) + 5
#: Bytes per reported value of the result (a Python float in a list, then its JSON text).
BYTES_PER_RESULT_VALUE = 100


def memory_estimate(runs: int, days: int, jobs: int = 1) -> int:
    """Bytes a simulation of ``runs`` x ``days`` needs at its peak, counted before any work starts:
    the stored per-run series and block sums, the chunks in flight (one per worker, at least one
    block of runs each, held twice while placed), the statistics' temporaries and the result."""
    block = assumptions.BLOCK_RUNS
    stored = BYTES_PER_RUN_DAY * runs * days + math.ceil(runs / block) * len(STORED) * days * 8
    chunk = max(assumptions.CHUNK_BYTES, min(runs, block) * 4 * len(STORED) * days) * 2 * max(1, jobs)
    stats = 8 * 4 * BATCH_ELEMENTS + 4 * len(REPORTED) * runs
    result = BYTES_PER_RESULT_VALUE * days * len(REPORTED) * (len(assumptions.PERCENTILES) + 1) * 2
    return int(stored + chunk + stats + result + 8 * days)


def check_budget(scenario: Scenario, *, runs: int | None = None, days: int | None = None, jobs: int = 1) -> None:
    """Refuse (``ResourceLimitError``) a simulation whose ``memory_estimate`` exceeds the memory limit,
    naming where runs and days come from; callers run it before any work (``simulate`` does too)."""
    settings = scenario.simulation
    n_runs = _positive_int("runs", settings.runs if runs is None else runs)
    n_days = _positive_int("days", settings.days if days is None else days)
    from_file = [name for name, given in (("runs", runs), ("days", days)) if given is None]
    where = f" in {scenario.path}" if scenario.path else ""
    size = f"{n_runs:,} runs x {n_days:,} days" + (f" ([simulation] {' and '.join(from_file)}{where})"
                                                    if from_file else "")
    check_memory(memory_estimate(n_runs, n_days, jobs), f"simulating {size}",
                 f"lower the runs ({option('runs')}) or the days; the percentiles need every run's daily values "
                 f"({BYTES_PER_RUN_DAY} bytes per run-day), so chunking does not reduce this")


def _work(args) -> ChunkResult:
    return run_chunk(*args)


def simulate(scenario: Scenario, posts, *, runs: int | None = None, days: int | None = None,
             seed: int | None = None, jobs: int = 1, chunk_size: int | None = None,
             progress: Progress | None = None, executor=None, post_days=None) -> SimulationResult:
    """Monte Carlo projection of a plan (``posts[i]`` posts of pool row ``i``).

    ``runs``, ``days`` and ``seed`` default to the scenario's ``[simulation]``. Runs are simulated
    in chunks (``chunk_size`` runs, rounded up to whole blocks of ``BLOCK_RUNS``; default: what
    fits ``CHUNK_BYTES``), in ``jobs`` worker processes (``scenarios.processes``, which also stops
    them at once on Ctrl-C). Results depend only on the scenario, the plan, runs, days and seed:
    not on ``jobs`` or ``chunk_size``. ``progress(done, total)`` is called after each chunk. ``executor`` (anything with ``submit(fn, arg)`` returning a future,
    e.g. a Dask ``Client``) runs the chunks instead of local processes, with the same results.
    ``post_days`` (``Plan.days``) puts every bought post on its own day instead of the default
    schedule (``schedule.prepare``).
    """
    settings = scenario.simulation
    given_runs, given_days = runs, days
    runs = _positive_int("runs", settings.runs if runs is None else runs)
    days = _positive_int("days", settings.days if days is None else days)
    seed = _positive_int("seed", settings.seed if seed is None else seed, low=0)
    jobs = _positive_int("jobs", jobs)
    if chunk_size is not None:
        chunk_size = _positive_int("chunk_size", chunk_size)
    check_budget(scenario, runs=given_runs, days=given_days, jobs=1 if executor is not None else jobs)
    prep = prepare(scenario, posts, days, post_days)

    block = assumptions.BLOCK_RUNS
    blocks = [(b, min(block, runs - b * block)) for b in range(math.ceil(runs / block))]
    per_chunk = chunk_runs(prep, chunk_size) // block
    tasks, first = [], 0
    for k in range(0, len(blocks), per_chunk):
        part = blocks[k:k + per_chunk]
        tasks.append((prep, seed, part, first))
        first += sum(n for _, n in part)

    series = np.empty((len(STORED), days, runs), dtype=np.float32)
    sums = np.empty((len(blocks), len(STORED), days))
    done = 0

    def place(_: int, res: ChunkResult) -> None:
        nonlocal done
        n = res.series.shape[2]
        series[:, :, res.first_run:res.first_run + n] = res.series
        b0 = res.first_run // block
        sums[b0:b0 + res.block_sums.shape[0]] = res.block_sums
        done += n
        if progress is not None:
            progress(done, runs)

    if executor is not None:
        for k, future in enumerate([executor.submit(_work, t) for t in tasks]):
            place(k, future.result())
    else:  # in this process, or in worker processes ("spawn": safe with threaded BLAS, and portable;
        # workers import only numpy/simpy/scenarios); each chunk is placed as it arrives, then dropped
        for_each_result(run_chunk, tasks, place, jobs=jobs, start_method="spawn")
    return summarise(scenario, prep, runs=runs, days=days, seed=seed, series=series, block_sums=sums)
