"""Every numeric option refuses nonsense the same way (exit 2, one `Error:` line naming the
option), strategy specs are checked before anything is called, and every command's help is
complete: help text on every option, examples at the end, whole one-line summaries."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main
from cli_options import SEED_MAX, FiniteFloat, StrategyList, WholeNumber

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "istanbul-beauty" / "scenario.toml"
EX = str(EXAMPLE)


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr  # exactly one line: the error
    assert "Traceback" not in result.output
    return lines[0]


def invalid(option: str, command: str, reason: str, env: str | None = None) -> str:
    """Click's wording; an option with an environment variable is named with it."""
    label = f"'{option}'" + (f" (env var: '{env}')" if env else "")
    return f"Error: Invalid value for {label}: {reason} (see 'reachmix {command} --help')"


# (arguments, the exact error line); every case must exit 2 before any work starts.
REJECTED = [
    (["optimize", EX, "--gap", "nan"], invalid("--gap", "optimize", "nan is not a finite number.")),
    (["optimize", EX, "--gap", "inf"], invalid("--gap", "optimize", "inf is not a finite number.")),
    (["optimize", EX, "--gap", "1.5"], invalid("--gap", "optimize", "1.5 is not in the range 0<=x<=1.")),
    (["optimize", EX, "--gap", "-0.1"], invalid("--gap", "optimize", "-0.1 is not in the range 0<=x<=1.")),
    (["optimize", EX, "--time-limit", "nan"], invalid("--time-limit", "optimize", "nan is not a finite number.")),
    (["optimize", EX, "--time-limit", "0"], invalid("--time-limit", "optimize", "0.0 is not in the range x>0.")),
    (["optimize", EX, "--budget", "inf"], invalid("--budget", "optimize", "inf is not a finite number.")),
    (["optimize", EX, "--budget", "-inf"], invalid("--budget", "optimize", "-inf is not a finite number.")),
    (["optimize", EX, "--budget", "1e400"], invalid("--budget", "optimize", "1e400 is not a finite number.")),
    (["optimize", EX, "--budget", "NaN"], invalid("--budget", "optimize", "NaN is not a finite number.")),
    (["optimize", EX, "--budget", "-5"], invalid("--budget", "optimize", "-5.0 is not in the range x>0.")),
    (["optimize", EX, "--budget", "lots"], invalid("--budget", "optimize", "'lots' is not a number.")),
    (["optimize", EX, "--target-reach", "nan"], invalid("--target-reach", "optimize", "nan is not a finite number.")),
    (["optimize", EX, "--seed", "-1"], invalid("--seed", "optimize", f"-1 is not in the range 0<=x<={SEED_MAX}.")),
    (["optimize", EX, "--seed", "1.5"], invalid("--seed", "optimize", "1.5 is not a whole number.")),
    (["optimize", EX, "--seed", "1e99999999"],
     invalid("--seed", "optimize", f"1e99999999 is far too large (the range is 0<=x<={SEED_MAX}).")),
    (["optimize", EX, "--seed", str(2**32)],
     invalid("--seed", "optimize", f"{2**32} is not in the range 0<=x<={SEED_MAX}.")),
    (["simulate", EX, "--runs", "0"], invalid("--runs", "simulate", "0 is not in the range x>=1.")),
    (["simulate", EX, "--runs", "2.5"], invalid("--runs", "simulate", "2.5 is not a whole number.")),
    (["simulate", EX, "--runs", "nan"], invalid("--runs", "simulate", "nan is not a whole number.")),
    (["simulate", EX, "--runs", "1e9x"], invalid("--runs", "simulate", "'1e9x' is not a whole number.")),
    (["simulate", EX, "--days", "-3"], invalid("--days", "simulate", "-3 is not in the range x>=1.")),
    (["simulate", EX, "--seed", "-1"], invalid("--seed", "simulate", f"-1 is not in the range 0<=x<={SEED_MAX}.")),
    (["simulate", EX, "--jobs", "0"], invalid("--jobs", "simulate", "0 is not in the range x>=1.")),
    (["generate", "--creators", "0", "--out", "x"],
     invalid("--creators' / '-n", "generate", "0 is not in the range x>=1.")),
    (["generate", "--creators", "1e40", "--out", "x"],
     invalid("--creators' / '-n", "generate", "1e40 is far too large (the range is x>=1).")),
    (["generate", "--seed", "-1", "--out", "x"],
     invalid("--seed' / '-s", "generate", f"-1 is not in the range 0<=x<={SEED_MAX}.")),
    (["frontier", EX, "--points", "1"], invalid("--points", "frontier", "1 is not in the range 2<=x<=200.")),
    (["frontier", EX, "--gap", "nan"], invalid("--gap", "frontier", "nan is not a finite number.")),
    (["bench", "--budget-share", "0"], invalid("--budget-share", "bench", "0.0 is not in the range 0<x<=1.")),
    (["bench", "--budget-share", "nan"], invalid("--budget-share", "bench", "nan is not a finite number.")),
    (["bench", "--instances", "-1"], invalid("--instances", "bench", "-1 is not in the range x>=0.")),
    (["bench", "--time-limit", "inf"], invalid("--time-limit", "bench", "inf is not a finite number.")),
    (["compare", EX, "--strategy", "milp,,greedy"],
     invalid("--strategy", "compare", "'milp,,greedy' has an empty name between commas.")),
    (["compare", EX, "--strategy", " , "], invalid("--strategy", "compare", "give at least one strategy name.")),
    (["compare", EX, "--jobs", "2", "--dask", "local:1"],
     "Error: --jobs (local processes) and --dask (a cluster) exclude each other; give one "
     "(see 'reachmix compare --help')"),
    (["sweep", EX, "--set", "budget.total=1,2", "--dask-timeout", "5"],
     "Error: --dask-timeout applies only with --dask (see 'reachmix sweep --help')"),
    (["bench", "--dask", "tcp://nohost"],
     invalid("--dask", "bench", "tcp://nohost: write tcp://HOST:PORT (a scheduler, usually port 8786) or local:N "
             "(a local cluster of N workers)")),
    (["simulate", EX, "--dask", "local:x"],
     invalid("--dask", "simulate", "local:x: write local:N with N the number of workers, e.g. local:2")),
    (["simulate", EX, "--dask", "local:1", "--dask-timeout", "nan"],
     invalid("--dask-timeout", "simulate", "nan is not a finite number.", env="REACHMIX_DASK_TIMEOUT")),
    (["report", EX, "-o", "r.html", "--runs", "0"], invalid("--runs", "report", "0 is not in the range x>=1.")),
    (["report", EX, "-o", "r.html", "--compare-with", "greedy,:X"],
     'Error: strategy ":X": the module before ":" is missing; write package.module:ClassName'),
]


@pytest.mark.parametrize("args,message", REJECTED, ids=[" ".join(a[:1] + a[2:] if a[1] == EX else a)
                                                         for a, _ in REJECTED])
def test_rejected_values_are_usage_errors_naming_the_option(args, message):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert error_line(result) == message
    assert result.stdout == ""


def test_environment_values_are_checked_like_options(monkeypatch):
    monkeypatch.setenv("REACHMIX_DASK_TIMEOUT", "inf")
    result = invoke("simulate", EX, "--dask", "local:1")
    assert result.exit_code == 2
    assert error_line(result) == ("Error: Invalid value for '--dask-timeout' (env var: 'REACHMIX_DASK_TIMEOUT'): "
                                  "inf is not a finite number. (see 'reachmix simulate --help')")


@pytest.mark.parametrize("text,value", [("1e9", 10**9), ("1_000", 1000), (" 42 ", 42), ("2.0", 2), ("1E3", 1000),
                                        (7, 7)])
def test_whole_numbers_in_any_spelling(text, value):
    assert WholeNumber(1).convert(text, None, None) == value


def test_finite_float_keeps_the_range_check():
    assert FiniteFloat(0, 1).convert("0.25", None, None) == 0.25
    with pytest.raises(click.BadParameter, match="nan is not a finite number"):
        FiniteFloat().convert(float("nan"), None, None)


def test_strategy_lists_take_commas_and_repetition_alike():
    """compare --strategy a,b == --strategy a --strategy b; duplicates once, order kept."""
    from cli_options import flatten

    t = StrategyList()
    groups = (t.convert("milp, greedy", None, None), t.convert("random", None, None), t.convert("greedy", None, None))
    assert flatten(None, None, groups) == ("milp", "greedy", "random")


def test_whole_number_spelling_reaches_the_command(tmp_path):
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 3)
    result = invoke("simulate", path, "--strategy", "greedy", "--runs", "1.2e2", "--days", "1e1", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["runs"], out["days"]) == (120, 10)
    assert len(out["series"]["views"]["mean"]) == 10


def test_compare_strategy_repeated_and_comma_separated_give_the_same_rows(tmp_path):
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 5)
    a = invoke("compare", path, "--strategy", "greedy,lowest-cpm", "--format", "json")
    b = invoke("compare", path, "--strategy", "greedy", "--strategy", "lowest-cpm", "--format", "json")
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    rows_a, rows_b = json.loads(a.stdout)["rows"], json.loads(b.stdout)["rows"]
    assert [r["strategy"] for r in rows_a] == ["greedy", "lowest-cpm"]
    assert [(r["strategy"], r["target_reach"]) for r in rows_a] == [(r["strategy"], r["target_reach"]) for r in rows_b]


# ---------------------------------------------------------------- strategy specs


SPEC_ERRORS = [
    (":X", 'strategy ":X": the module before ":" is missing; write package.module:ClassName'),
    (".foo:Bar", 'strategy ".foo:Bar": relative module names are not allowed; write the full dotted name, '
                 "package.module:ClassName"),
    ("a:", 'strategy "a:": the class name after ":" is missing; write package.module:ClassName'),
    ("my mod:Cls", 'strategy "my mod:Cls": a strategy name has no spaces; write package.module:ClassName'),
    (" optimizer.greedy:GreedyStrategy", 'strategy " optimizer.greedy:GreedyStrategy": a strategy name has no '
                                         "spaces; write package.module:ClassName"),
    ("a:b:C", 'strategy "a:b:C": more than one ":"; write package.module:ClassName'),
    ("1up:Cls", 'strategy "1up:Cls": 1up is not a dotted module name; write package.module:ClassName'),
    ("pkg..mod:Cls", 'strategy "pkg..mod:Cls": pkg..mod is not a dotted module name; write package.module:ClassName'),
    ("os:abort", 'strategy "os:abort": os.abort is not a strategy class (it is a builtin function or method); '
                 "give a class with a name attribute and a select(scenario) method"),
    ("sys:exit", 'strategy "sys:exit": sys.exit is not a strategy class (it is a builtin function or method); '
                 "give a class with a name attribute and a select(scenario) method"),
    ("os:sep", 'strategy "os:sep": os.sep is not a strategy class (it is a str); '
               "give a class with a name attribute and a select(scenario) method"),
    ("scenarios:Plan", 'strategy "scenarios:Plan": scenarios.Plan is not a strategy class (it lacks a name attribute '
                       "and a select(scenario) method)"),
    ("optimizer.greedy:Nope", 'strategy "optimizer.greedy:Nope": module optimizer.greedy has no Nope'),
]


@pytest.mark.parametrize("spec,message", SPEC_ERRORS, ids=[s for s, _ in SPEC_ERRORS])
def test_bad_strategy_specs_exit_2_before_anything_is_called(spec, message):
    # In process on purpose: if os:abort were called, the test run itself would die.
    result = invoke("optimize", EX, "--strategy", spec)
    assert result.exit_code == 2, result.output
    assert error_line(result) == f"Error: {message}"


def test_library_refuses_the_same_specs():
    from optimizer import StrategyError, get_strategy

    for spec, message in SPEC_ERRORS:
        with pytest.raises(StrategyError) as info:
            get_strategy(spec, seed=1)
        assert str(info.value) == message


USER_MODULE = '''
from scenarios import Plan
import numpy as np

CALLED = []


def make_strategy():
    CALLED.append("function")


class NoSelect:
    name = "no-select"


class Cheapest:
    """The cheapest creator, one post: a real user strategy."""

    name = "cheapest-one"

    def __init__(self, seed=0):
        self.seed = seed

    def select(self, scenario):
        posts = np.zeros(scenario.pool.size, dtype=np.int64)
        posts[int(np.argmin(scenario.pool.price))] = 1
        return Plan(posts=posts, strategy=self.name, status="feasible")
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    name = "reachmix_user_strategies_test"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(USER_MODULE))
    (tmp_path / "broken_strategy_mod.py").write_text("raise SystemExit('no')\n")
    monkeypatch.chdir(tmp_path)
    yield name
    for mod in (name, "broken_strategy_mod"):
        sys.modules.pop(mod, None)


def test_a_users_class_from_the_working_folder_is_loaded_and_run(user_module):
    result = invoke("optimize", EX, "--strategy", f"{user_module}:Cheapest", "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["strategy"] == "cheapest-one" and plan["posts"] == 1


def test_a_users_strategy_keeps_its_spec_as_label_in_bench_and_rows_without_a_plan(user_module, tmp_path):
    """Issue 13: objects go to the workers (by the spec, so they import the module as it was found),
    and the output still names them as before: bench by the spec, compare by the plan's own name."""
    import re as _re

    from scenarios.generate import write_example

    spec = f"{user_module}:Cheapest"
    result = invoke("bench", "--strategy", f"{spec},random", "--creators", 40, "--instances", 2, "--kpi-runs", 0,
                    "--jobs", 2, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["strategies"] == [r["strategy"] for r in out["summary"]] == [spec, "random"]
    path, _ = write_example(tmp_path / "tiny", 40, 3)
    path.write_text(_re.sub(r"(?m)^total = .*$", "total = 1", path.read_text(), count=1))
    result = invoke("compare", EX, path, "--strategy", spec, "--jobs", 2, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [r["strategy"] for r in rows] == ["cheapest-one", spec]  # a plan, then rules that conflict
    assert "reason" not in rows[0] and rows[1]["status"] == "infeasible" and rows[1]["reason"]


def test_a_users_function_or_incomplete_class_is_refused_uncalled(user_module):
    result = invoke("optimize", EX, "--strategy", f"{user_module}:make_strategy")
    assert result.exit_code == 2
    assert error_line(result) == (f'Error: strategy "{user_module}:make_strategy": {user_module}.make_strategy is not '
                                  "a strategy class (it is a function); give a class with a name attribute and a "
                                  "select(scenario) method")
    assert sys.modules[user_module].CALLED == []
    result = invoke("optimize", EX, "--strategy", f"{user_module}:NoSelect")
    assert result.exit_code == 2
    assert error_line(result) == (f'Error: strategy "{user_module}:NoSelect": {user_module}.NoSelect is not a '
                                  "strategy class (it lacks a select(scenario) method)")


def test_a_module_that_fails_to_import_is_a_clean_error(user_module):
    result = invoke("optimize", EX, "--strategy", "broken_strategy_mod:Anything")
    assert result.exit_code == 2
    assert error_line(result) == ('Error: strategy "broken_strategy_mod:Anything": importing module '
                                  "broken_strategy_mod failed (SystemExit: no); fix the module")


# ---------------------------------------------------------------- help


def _commands():
    return sorted(main.commands.items())


@pytest.mark.parametrize("name,command", _commands(), ids=[n for n, _ in _commands()])
def test_every_option_has_help_and_every_command_ends_with_examples(name, command):
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), f"reachmix {name} {param.opts[0]} has no help text"
    result = invoke(name, "--help")
    assert result.exit_code == 0
    tail = result.stdout.rstrip().split("Examples:")
    assert len(tail) == 2, f"reachmix {name} --help has no Examples section"
    examples = [line.strip() for line in tail[1].strip().splitlines() if line.strip()]
    assert 1 <= len(examples) <= 3 and all(e.startswith(f"reachmix {name} ") or e.startswith("reachmix ")
                                           for e in examples), examples
    assert any(e.startswith(f"reachmix {name}") for e in examples)


def test_top_level_list_shows_whole_summaries():
    result = invoke("--help")
    assert result.exit_code == 0
    text = re.sub(r"\s+", " ", result.stdout)
    assert "..." not in result.stdout.split("Commands:")[1]
    for name, command in _commands():
        summary = command.get_short_help_str(limit=1000)
        assert len(summary) > 20 and not summary.endswith("...")
        assert f"{name} {summary}" in text, name


def test_ranges_are_stated_in_help():
    result = invoke("optimize", "--help")
    text = re.sub(r"\s+", " ", result.stdout)
    assert "0<=x<=1" in text and f"0<=x<={SEED_MAX}" in text and "x>0" in text


# ---------------------------------------------------------------- gap: a fraction in JSON, a percentage in tables


@pytest.mark.parametrize("command", [["optimize"], ["compare", "--strategy", "milp"], ["frontier", "--points", "2"]])
def test_gap_is_a_fraction_in_json_and_a_percentage_in_tables(tmp_path, command):
    import csv
    import io

    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 8)
    args = [command[0], path, *command[1:], "--gap", "0.05"]
    as_json = invoke(*args, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    rows = [doc] if command[0] == "optimize" else doc["rows"]
    rows = [r for r in rows if r.get("status") != "infeasible"]  # a frontier may start below the rules' minimum
    gaps = [r["gap"] for r in rows]
    assert all(g is not None and 0 <= g <= 0.05 for g in gaps)
    tables = invoke(*args, "--format", "markdown").stdout
    assert "gap %" in tables and "| gap |" not in tables
    if command[0] != "optimize":  # optimize's CSV is the selection; the summary table is checked above
        table = list(csv.DictReader(io.StringIO(invoke(*args, "--format", "csv").stdout)))
        assert [float(r["gap %"]) for r in table if r["gap %"]] == pytest.approx([100 * g for g in gaps], abs=1e-6)


def test_every_numeric_option_uses_the_shared_types():
    """A plain click int/float would let nan, inf or 1e9 through differently: one set of types."""
    for name, command in _commands():
        for param in command.params:
            if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
                assert isinstance(param.type, (FiniteFloat, WholeNumber)), f"reachmix {name} {param.opts[0]}"
