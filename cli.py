"""The ``reachmix`` command line: parse, call one library function, format.

Errors are translated in exactly one place, ``ReachmixGroup.main``: a domain error becomes one
``Error: ...`` line on stderr and its exit code; a usage error exit 2; nothing prints a traceback
(set ``REACHMIX_DEBUG=1`` to see one for an internal error).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scenarios.errors import ReachmixError, one_line
from whatif import jobs
from whatif.formats import FORMATS, render

FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                      help="How to print the result.")
OUTPUT = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="Write the result to FILE instead of standard output.")
PLOT = click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None,
                    help="Also draw a chart into FILE (.png or .svg).")
SIMULATE = click.option("--simulate", "with_simulation", is_flag=True,
                        help="Add Monte Carlo bands and KPI probabilities.")
SCENARIO = click.argument("scenario", type=click.Path(path_type=Path))
STRATEGY_HELP = ("milp (default), greedy, greedy-enum, top-followers, top-engagement, lowest-cpm, random, "
                 "or package.module:ClassName")


class OutputError(ReachmixError):
    """The result could not be written."""


class ReachmixGroup(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ReachmixError as exc:
            _fail(str(exc), exc.exit_code)
        except click.UsageError as exc:
            where = f" (see 'reachmix {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else \
                " (see 'reachmix --help')"
            _fail(exc.format_message() + where, 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("interrupted", 130)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:  # a bug of ours: say so plainly, without a traceback
            if os.environ.get("REACHMIX_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); please report it with the command you ran "
                  "(REACHMIX_DEBUG=1 shows the traceback)", 1)
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


def emit(output: jobs.Output, fmt: str, path: Path | None) -> None:
    text = render(output.result, output.tables, fmt)
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the output ({exc.strerror}); check the folder exists") from None
    click.echo(f"Wrote {path}", err=True)


def progress_printer(label: str):
    """A ``progress(done, total)`` callback drawing a one-line bar on stderr, if it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def progress(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done >= total else ""
        click.echo(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}{end}", err=True, nl=False)

    return progress


def _solver_options(f):
    for option in reversed([
        click.option("--gap", type=click.FloatRange(0, 1), default=1e-3, show_default=True,
                     help="Relative optimality gap to prove (milp)."),
        click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=None, help="Seconds (milp)."),
        click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for randomised strategies."),
    ]):
        f = option(f)
    return f


def _parallel_options(f):
    f = click.option("--dask", default=None, metavar="ADDRESS",
                     help="Run on a Dask scheduler (tcp://host:8786) or local:N (a local cluster).")(f)
    f = click.option("--jobs", "n_jobs", type=click.IntRange(1), default=1, show_default=True,
                     help="Local processes.")(f)
    return f


@click.group(cls=ReachmixGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reachmix")
def main() -> None:
    """reachmix: plan TikTok influencer campaigns.

    Pick creators and posts that maximise unique reach into a target audience (optimize),
    project the campaign day by day (simulate), and compare scenarios (compare, sweep, report).
    """


@main.command()
@SCENARIO
@FORMAT
@OUTPUT
def validate(scenario, fmt, output):
    """Load and check a scenario and its pool; print a summary of the pool."""
    emit(jobs.validate(scenario), fmt, output)


@main.command()
@click.option("--creators", "-n", type=int, default=1000, show_default=True, help="Pool size.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder to write into.")
@FORMAT
@OUTPUT
def generate(creators, seed, out_dir, fmt, output):
    """Write a synthetic but realistic pool (creators.csv) and scenario (scenario.toml)."""
    emit(jobs.generate(creators, seed, out_dir), fmt, output)


@main.command()
@SCENARIO
@click.option("--strategy", default="milp", show_default=True, help=STRATEGY_HELP)
@click.option("--budget", type=click.FloatRange(0, min_open=True), default=None, help="Override budget.total.")
@_solver_options
@click.option("--target-reach", type=click.FloatRange(0, min_open=True), default=None,
              help="Instead: find the smallest budget that reaches this many target people.")
@PLOT
@FORMAT
@OUTPUT
def optimize(scenario, strategy, budget, gap, time_limit, solver, seed, target_reach, plot, fmt, output):
    """Choose creators and posts that maximise the objective under the budget and rules."""
    emit(jobs.optimize(scenario, strategy=strategy, budget=budget, gap=gap, time_limit=time_limit, solver=solver,
                       seed=seed, target_reach=target_reach, plot=plot), fmt, output)


@main.command()
@SCENARIO
@click.argument("plan", type=click.Path(path_type=Path))
@FORMAT
@OUTPUT
def evaluate(scenario, plan, fmt, output):
    """Score a given plan (JSON with a selection of handle/posts) with the reach model."""
    emit(jobs.evaluate(scenario, plan), fmt, output)


@main.command()
@SCENARIO
@click.option("--points", type=click.IntRange(2, 200), default=10, show_default=True)
@click.option("--gap", type=click.FloatRange(0, 1), default=1e-3, show_default=True)
@click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=None)
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True)
@click.option("--engagements", is_flag=True, help="Trace reach against engagements at the scenario's budget.")
@PLOT
@FORMAT
@OUTPUT
def frontier(scenario, points, gap, time_limit, solver, engagements, plot, fmt, output):
    """Trace the budget-reach Pareto frontier (or reach vs engagements with --engagements)."""
    emit(jobs.frontier(scenario, points=points, gap=gap, time_limit=time_limit, solver=solver,
                       engagements=engagements, plot=plot), fmt, output)


@main.command()
@SCENARIO
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None, help="A plan JSON to simulate.")
@click.option("--strategy", default="milp", show_default=True, help="Without --plan: " + STRATEGY_HELP)
@click.option("--runs", type=click.IntRange(1), default=None, help="Monte Carlo runs (default: scenario).")
@click.option("--days", type=click.IntRange(1), default=None, help="Days to project (default: scenario).")
@click.option("--seed", type=int, default=None, help="Random seed (default: scenario).")
@_parallel_options
@PLOT
@click.option("--plot-metric", default=None, help="Metric of the --plot chart (default: the first KPI's).")
@FORMAT
@OUTPUT
def simulate(scenario, plan_path, strategy, runs, days, seed, n_jobs, dask, plot, plot_metric, fmt, output):
    """Project the campaign day by day with Monte Carlo uncertainty bands and KPI probabilities."""
    emit(jobs.simulate(scenario, plan_path=plan_path, strategy=strategy, runs=runs, days=days, seed=seed,
                       jobs=n_jobs, dask=dask, progress=progress_printer("simulating"), plot=plot,
                       plot_metric=plot_metric), fmt, output)


@main.command()
@click.argument("history", type=click.Path(path_type=Path))
@click.option("--toml", "toml_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the fitted TOML fragment to FILE.")
@FORMAT
@OUTPUT
def calibrate(history, toml_path, fmt, output):
    """Fit the simulator's parameters from past posts (CSV); prints fit quality and a TOML fragment."""
    emit(jobs.calibrate(history, toml_path=toml_path), fmt, output)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strategy", "strategies", default="milp", show_default=True,
              help="Comma-separated strategies, e.g. milp,greedy,top-followers.")
@SIMULATE
@_solver_options
@_parallel_options
@PLOT
@FORMAT
@OUTPUT
def compare(scenarios, strategies, with_simulation, gap, time_limit, solver, seed, n_jobs, dask, plot, fmt, output):
    """Compare scenarios and strategies side by side (best value of each column marked *)."""
    names = [s.strip() for s in strategies.split(",") if s.strip()]
    emit(jobs.compare(scenarios, strategies=names, simulate=with_simulation, gap=gap, time_limit=time_limit,
                      solver=solver, seed=seed, jobs=n_jobs, dask=dask, progress=progress_printer("comparing"),
                      plot=plot),
         fmt, output)


@main.command()
@SCENARIO
@click.option("--set", "sets", multiple=True, required=True, metavar="KEY=V1,V2|KEY=START:STOP:STEP",
              help="A dotted scenario key and its values; several --set make a grid.")
@click.option("--strategy", default="milp", show_default=True, help=STRATEGY_HELP)
@SIMULATE
@_solver_options
@_parallel_options
@PLOT
@FORMAT
@OUTPUT
def sweep(scenario, sets, strategy, with_simulation, gap, time_limit, solver, seed, n_jobs, dask, plot, fmt, output):
    """Sweep scenario keys (e.g. --set budget.total=100000:500000:100000) and optimise each point."""
    emit(jobs.sweep(scenario, sets, strategy=strategy, simulate=with_simulation, gap=gap, time_limit=time_limit,
                    solver=solver, seed=seed, jobs=n_jobs, dask=dask, progress=progress_printer("sweeping"), plot=plot),
         fmt, output)


@main.command()
@click.option("--strategy", "strategies", multiple=True, help="A strategy to run (repeat); default: all built-in.")
@click.option("--creators", type=click.IntRange(1), default=1000, show_default=True, help="Creators per instance.")
@click.option("--instances", type=click.IntRange(0), default=10, show_default=True,
              help="Seeds per instance family.")
@click.option("--seed", type=int, default=0, show_default=True, help="First seed.")
@click.option("--tier-mix", "tier_mixes", multiple=True, type=click.Choice(["default", "micro-heavy", "macro-heavy"]),
              help="Instance family tier mix (repeat for several).")
@click.option("--budget-share", "budget_shares", multiple=True, type=click.FloatRange(0, 1, min_open=True),
              help="Budget as a share of one post from every creator (repeat).")
@click.option("--overlap", "overlaps", multiple=True, type=click.Choice(["low", "medium", "high"]),
              help="Audience overlap (repeat).")
@click.option("--rules", "rules", multiple=True, type=click.Choice(["on", "off"]), help="Constraints on or off.")
@click.option("--pisinger", is_flag=True, help="Also run the Pisinger knapsack instances (known optima).")
@click.option("--pisinger-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--gap", type=click.FloatRange(0, 1), default=1e-3, show_default=True)
@click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=None)
@PLOT
@_parallel_options
@FORMAT
@OUTPUT
def bench(strategies, creators, instances, seed, tier_mixes, budget_shares, overlaps, rules, pisinger, pisinger_dir,
          gap, time_limit, plot, n_jobs, dask, fmt, output):
    """Benchmark selection strategies on synthetic families and Pisinger's knapsack instances."""
    from whatif.bench import DEFAULT_STRATEGIES

    emit(jobs.bench(strategies or DEFAULT_STRATEGIES, creators=creators, instances=instances, seed=seed,
                    tier_mixes=tier_mixes or ("default",), budget_shares=budget_shares or (0.03,),
                    overlaps=overlaps or ("medium",), rules=rules or ("on",), pisinger=pisinger,
                    pisinger_dir=pisinger_dir, gap=gap, time_limit=time_limit, jobs=n_jobs, dask=dask, plot=plot,
                    progress=progress_printer("benchmarking")), fmt, output)


@main.command()
@SCENARIO
@click.option("--output", "-o", "report_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")
@click.option("--strategy", default="milp", show_default=True, help=STRATEGY_HELP)
@click.option("--compare-with", default="greedy,top-followers", show_default=True,
              help="Comma-separated strategies shown beside the plan.")
@click.option("--runs", type=click.IntRange(1), default=None, help="Monte Carlo runs (default: scenario).")
@click.option("--seed", type=int, default=None, help="Simulation seed (default: scenario).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="How to print the summary.")
def report(scenario, report_path, strategy, compare_with, runs, seed, fmt):
    """Write one self-contained HTML report: plan, tier mix, KPI projections, assumptions, briefs."""
    others = tuple(s.strip() for s in compare_with.split(",") if s.strip())
    emit(jobs.report(scenario, report_path, strategy=strategy, compare_with=others, runs=runs, seed=seed,
                     progress=progress_printer("simulating")), fmt, None)


if __name__ == "__main__":  # pragma: no cover
    main()
