"""Budgets of work checked before work starts (scenarios/limits.py): the limit, its override, and the
refusals of simulations, sweep grids, generated pools and benchmarks that would exhaust the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scenarios import limits
from scenarios.limits import ResourceLimitError, check_memory, format_bytes, memory_limit, parse_size

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml")
LIMIT_NOTE = "more than the limit of 8.0 GiB (REACHMIX_MEMORY_LIMIT=8G)"


def run(*args, env=None):
    from cli import main

    result = CliRunner().invoke(main, ["--quiet", *map(str, args)], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("text,expected", [("1", 1), ("4096", 4096), ("512K", 512 * 2**10), ("1.5G", 3 * 2**29),
                                          ("8g", 8 * 2**30), ("2T", 2 * 2**40), ("1e9", 10**9),
                                          (" 64 MiB ", 64 * 2**20), ("3GB", 3 * 2**30)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-1G", "0", "0.5", "1X", "G", "nan", "inf", "1e999"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536, 3 * 2**30, 2.5 * 2**40)] == \
        ["0 bytes", "1,023 bytes", "1.0 KiB", "1.5 KiB", "3.0 GiB", "2.5 TiB"]


def test_default_limit_is_half_of_the_usable_memory(monkeypatch):
    monkeypatch.delenv(limits.ENV, raising=False)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit, source = memory_limit()
    assert 0 < limit <= physical // 2
    assert source.startswith("50% of ") and source.endswith("; set REACHMIX_MEMORY_LIMIT to change it")
    usable, _ = limits._usable_memory()
    assert limit == int(usable * 0.5)


def test_a_process_memory_cap_lowers_the_default(monkeypatch):
    monkeypatch.delenv(limits.ENV, raising=False)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cap = physical // 4
    monkeypatch.setattr(resource, "getrlimit", lambda which: (cap, resource.RLIM_INFINITY)
                        if which == resource.RLIMIT_AS else (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert memory_limit() == (cap // 2, f"50% of the process limit RLIMIT_AS, {format_bytes(cap)}; "
                                         "set REACHMIX_MEMORY_LIMIT to change it")


def test_environment_overrides_and_bad_values_are_one_line_errors(monkeypatch):
    monkeypatch.setenv(limits.ENV, "8G")
    assert memory_limit() == (8 * 2**30, "REACHMIX_MEMORY_LIMIT=8G")
    monkeypatch.setenv(limits.ENV, "lots")
    with pytest.raises(ResourceLimitError) as info:
        memory_limit()
    assert str(info.value) == ("REACHMIX_MEMORY_LIMIT='lots' is not a memory size; give bytes or a number with "
                               "K, M or G (e.g. 8G)")
    assert info.value.exit_code == 2


def test_check_memory_states_estimate_limit_and_fix(monkeypatch):
    monkeypatch.setenv(limits.ENV, "1G")
    check_memory(2**30, "a job", "do less")  # exactly the limit is allowed
    with pytest.raises(ResourceLimitError) as info:
        check_memory(3 * 2**30 + 1, "a job", "do less")
    assert str(info.value) == ("a job needs about 3.0 GiB of memory, more than the limit of 1.0 GiB "
                               "(REACHMIX_MEMORY_LIMIT=1G); do less")
    with pytest.raises(ResourceLimitError, match="^a job needs more memory than any machine has, more than the limit"):
        check_memory(float("inf"), "a job", "do less")
    with pytest.raises(ResourceLimitError):
        check_memory(float("nan"), "a job", "do less")


# --------------------------------------------------------------------------------------------
# The simulator's estimate

def test_simulation_estimate_counts_the_stored_series():
    from simulate.metrics import STORED
    from simulate.runner import memory_estimate

    small, big = memory_estimate(2000, 56), memory_estimate(200_000, 56)
    # Independent count: the float32 series alone are 4 bytes x len(STORED) metrics per run-day.
    assert big - small >= 4 * len(STORED) * 198_000 * 56
    assert memory_estimate(100_000, 90) < 2**30  # the README's 100,000-run case fits a small machine
    assert memory_estimate(2, 3, jobs=2) > memory_estimate(2, 3, jobs=1)


def test_runs_from_the_command_line_are_refused_before_work(monkeypatch):
    monkeypatch.setenv(limits.ENV, "8G")
    rc, out, err = run("simulate", EXAMPLE, "--runs", "1000000000")
    assert rc == 2 and out == ""
    assert err.strip() == (
        f"Error: simulating 1,000,000,000 runs x 56 days ([simulation] days in {EXAMPLE}) needs about 1.9 TiB of "
        f"memory, {LIMIT_NOTE}; lower the runs (--runs) or the days; the percentiles need every run's daily values "
        "(37 bytes per run-day), so chunking does not reduce this")


def test_runs_and_days_from_the_scenario_are_located(tmp_path, monkeypatch, write_scenario):
    from conftest import toml_with

    monkeypatch.setenv(limits.ENV, "8G")
    path = write_scenario(toml=toml_with("[simulation]", "days = 1e8", "runs = 1e9"))
    rc, out, err = run("simulate", path, "--strategy", "greedy")
    assert rc == 2
    assert err.startswith(f"Error: simulating 1,000,000,000 runs x 100,000,000 days ([simulation] runs and days in "
                          f"{path}) needs more memory than any machine has, {LIMIT_NOTE}; lower the runs")
    rc, out, err = run("simulate", path, "--runs", "100")
    assert rc == 2
    assert err.startswith(f"Error: simulating 100 runs x 100,000,000 days ([simulation] days in {path}) needs about "
                          "1.9 TiB of memory")


def test_library_simulate_refuses_too(monkeypatch, write_scenario):
    import numpy as np

    import simulate as sim
    from scenarios import load_scenario

    monkeypatch.setenv(limits.ENV, "64M")
    scenario = load_scenario(write_scenario())
    with pytest.raises(ResourceLimitError, match=r"^simulating 100,000 runs x 90 days needs about"):
        sim.simulate(scenario, np.array([1, 0, 1]), runs=100_000, days=90)


def test_sweep_grid_of_two_large_axes_is_refused(monkeypatch):
    monkeypatch.setenv(limits.ENV, "8G")
    rc, out, err = run("sweep", EXAMPLE, "--set", "budget.total=1:10000:1", "--set", "constraints.max_posts=1:10000:1")
    assert rc == 2
    assert err.strip() == (
        "Error: the sweep grid of 10,000 x 10,000 = 100,000,000 points needs about 762.9 GiB of memory, "
        f"{LIMIT_NOTE}; use fewer or coarser --set values (a larger STEP) or split the sweep into several runs")


def test_generate_too_many_creators_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(limits.ENV, "8G")
    rc, out, err = run("generate", "--creators", "2000000000", "--out", tmp_path / "pool")
    assert rc == 2
    assert err.strip() == (
        f"Error: generating 2,000,000,000 creators needs about 3.7 TiB of memory, {LIMIT_NOTE}; generate fewer "
        "creators (--creators); several smaller pools with different seeds can be concatenated")
    assert not (tmp_path / "pool").exists()


def test_bench_size_is_refused(monkeypatch):
    monkeypatch.setenv(limits.ENV, "8G")
    rc, out, err = run("bench", "--instances", "100000000", "--creators", "100", "--strategy", "greedy")
    assert rc == 2
    assert err.strip() == (f"Error: the benchmark of 100,000,000 instances x 1 strategies on 100 creators needs about "
                           f"762.9 GiB of memory, {LIMIT_NOTE}; use fewer --instances, strategies or --creators")


@pytest.mark.slow
def test_refusal_under_a_memory_cap_in_a_fresh_process():
    """The installed command under a 3 GiB address-space cap: a located error, not a MemoryError."""
    cap = 3 * 2**30

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {k: v for k, v in os.environ.items() if k != limits.ENV}
    proc = subprocess.run([sys.executable, "-m", "cli", "--quiet", "simulate", EXAMPLE, "--runs", "1000000000"],
                          cwd=ROOT, env=env, preexec_fn=limit, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: simulating 1,000,000,000 runs x 56 days ([simulation] days in {EXAMPLE}) "
                                  "needs about 1.9 TiB of memory, more than the limit of 1.5 GiB (50% of the process "
                                  "limit RLIMIT_AS, 3.0 GiB;")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
