"""A sweep's or comparison's creator pool is read once and reaches each worker once (issue 12:
Dask for big pools), not once per point; and reusing it never changes a row."""

from __future__ import annotations

import pickle
import shutil

import pytest

import scenarios.loader
from scenarios import load_scenario
from scenarios.generate import write_example
from scenarios.pool import CreatorPool
from scenarios.processes import Shared, run_tasks
from whatif.compare import compare, scenario_rows, strategy_row
from whatif.sweep import sweep

from optimizer import make_strategy

KEYS = ("strategy", "budget", "spent", "target_reach", "target_impressions", "engagements", "creators_by_tier")


# Tasks: top-level, so that spawned workers can import them from this module.
def size_plus(shared: list, k: int) -> tuple[int, int]:
    return len(shared) + k, id(shared)


class Counted:
    """Counts how often it is pickled (in the process that pickles it)."""

    pickled = 0

    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def __reduce__(self):
        type(self).pickled += 1
        return (Counted, (self.items,))


@pytest.mark.parametrize("jobs,method", [(1, None), (2, "fork"), (2, "spawn")])
def test_a_shared_value_reaches_each_worker_once(jobs, method):
    Counted.pickled = 0
    value = Counted(range(5))
    tasks = [(Shared(0), k) for k in range(8)]
    results = run_tasks(size_plus, tasks, jobs=jobs, start_method=method, shared=[value])
    assert [r[0] for r in results] == [5 + k for k in range(8)]
    # In this process and in forked workers nothing is pickled; spawned workers get one copy each.
    assert Counted.pickled == (2 if method == "spawn" else 0)
    if jobs == 1:
        assert {r[1] for r in results} == {id(value)}
    else:  # every task of a worker saw the same object: at most one copy per worker
        assert len({r[1] for r in results}) <= 2


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory):
    """A generated scenario whose pool leaves max_posts and avg_views blank on every third row, as
    exports do: the scenario's constraints.max_posts and [model] view_rate fill them."""
    path, pool_path = write_example(tmp_path_factory.mktemp("shared"), 150, 5)
    lines = pool_path.read_text().splitlines()
    header = lines[0].split(",")
    blank = [header.index("max_posts"), header.index("avg_views")]
    for k in range(1, len(lines), 3):
        cells = lines[k].split(",")
        for j in blank:
            cells[j] = ""
        lines[k] = ",".join(cells)
    pool_path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def reads(monkeypatch):
    """The pool files read from disk during the test."""
    seen: list[str] = []
    real = scenarios.loader.read_pool

    def counting(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(scenarios.loader, "read_pool", counting)
    return seen


def _alone(path, overrides, strategy):
    """The row of one point, loaded on its own as before pools were shared."""
    return strategy_row(load_scenario(path, overrides), make_strategy(strategy), file=str(path))[0]


def test_a_budget_sweep_reads_the_pool_once_and_gives_each_points_own_row(scenario_path, reads):
    rows = sweep(scenario_path, ["budget.total=300,600,900"], strategy="greedy")
    assert len(reads) == 1
    for row, budget in zip(rows, (300, 600, 900)):
        alone = _alone(scenario_path, {"budget.total": budget}, "greedy")
        assert {k: row[k] for k in KEYS} == {k: alone[k] for k in KEYS}


def test_points_that_change_how_the_pool_is_read_get_their_own_pool(scenario_path, reads):
    # constraints.max_posts fills the blank max_posts cells; model.view_rate the blank avg_views:
    # a point that changes them must not reuse another point's pool.
    sets = ["constraints.max_posts=1,3", "model.view_rate=0.1,0.3", "budget.total=400,800"]
    rows = sweep(scenario_path, sets, strategy="greedy")
    assert len(rows) == 8
    assert len(reads) == 4  # one per (max_posts, view_rate), whatever the budget
    for row in rows:
        overrides = dict(zip(("constraints.max_posts", "model.view_rate", "budget.total"), row["value"]))
        alone = _alone(scenario_path, overrides, "greedy")
        assert {k: row[k] for k in KEYS} == {k: alone[k] for k in KEYS}
    by_posts = {row["value"][0]: row["target_reach"] for row in rows if row["value"][1:] == [0.3, 800]}
    assert by_posts[1] != by_posts[3]  # the setting reached the pool


def test_a_point_with_another_pool_file_reads_that_file(scenario_path, tmp_path, reads):
    other, _ = write_example(tmp_path, 90, 8)
    shutil.copy(other.parent / "creators.csv", scenario_path.parent / "other.csv")
    rows = sweep(scenario_path, ["pool.file=creators.csv,other.csv"], strategy="greedy")
    assert [r.split("/")[-1] for r in reads] == ["creators.csv", "other.csv"]
    assert rows[0]["target_reach"] != rows[1]["target_reach"]
    assert rows[1]["target_reach"] == _alone(scenario_path, {"pool.file": "other.csv"}, "greedy")["target_reach"]


def test_comparing_strategies_reads_each_file_once_and_ships_scenarios_without_pools(scenario_path, reads,
                                                                                      monkeypatch):
    shipped = []
    import whatif.compare as module

    real = module.run_tasks

    def spy(fn, tasks, **kwargs):
        shipped.extend(tasks)
        return real(fn, tasks, **kwargs)

    monkeypatch.setattr(module, "run_tasks", spy)
    rows = compare([scenario_path, scenario_path], ["greedy", "lowest-cpm", "random"])
    assert len(rows) == 6 and len(reads) == 1  # the same file twice: read once, not per row
    pool = load_scenario(scenario_path).pool
    for task in shipped:
        assert task[0].pool is None and isinstance(task[1], Shared)
        # What travels per task is the scenario's settings, a small fraction of the pool.
        assert len(pickle.dumps(task[0])) < len(pickle.dumps(pool)) / 4


def test_a_bad_point_fails_before_any_work_with_the_loaders_message(scenario_path):
    with pytest.raises(Exception) as err:
        sweep(scenario_path, ["budget.total=500,-1"], strategy="greedy")
    assert "budget.total" in str(err.value) and "-1" in str(err.value)


def test_pools_that_would_not_fit_in_memory_together_are_refused(scenario_path, monkeypatch):
    from scenarios.limits import ResourceLimitError

    monkeypatch.setenv("REACHMIX_MEMORY_LIMIT", "1G")
    monkeypatch.setattr(CreatorPool, "memory_bytes", lambda self: 600 * 1024**2)
    with pytest.raises(ResourceLimitError, match="different creator pools the points read"):
        scenario_rows([(str(scenario_path), {"constraints.max_posts": k}, "greedy", make_strategy("greedy"))
                       for k in (1, 2)])
