"""The ``reachmix`` command line: parse, call one library function, format.

Errors are translated in exactly one place, ``ReachmixGroup.main``: a domain error becomes one
``Error: ...`` line on stderr and its exit code; a usage error exit 2; nothing prints a traceback
(set ``REACHMIX_DEBUG=1`` to see one for an internal error). There too every command runs in
``command_line_voice()``: library messages name settings as this command line's flags (``--map``),
where a Python caller reads keyword arguments (``ReadOptions(mapping=...)``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from pathlib import Path

import click

from cli_options import (  # first of our imports: it also guards Ctrl-C while the others load
    FRACTION, POSITIVE, SEED, SHARE, STRATEGIES, STRATEGY, FiniteFloat, WholeNumber, end_startup_interrupt_guard,
    flatten,
)
from cli_options import parallel_options as _parallel_options
from scenarios.errors import ReachmixError, command_line_voice, one_line
from scenarios.files import atomic_write_text, check_output
from whatif import jobs
from whatif.formats import FORMATS, render
from whatif.progress import Progress
from whatif.progress import install as install_progress

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


CALIBRATION = click.option("--calibration", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           metavar="FILE", help="Merge a fitted TOML (reachmix calibrate --toml FILE) over the "
                                                "scenario; the output lists what it changed.")
FORCE = click.option("--force", is_flag=True,
                     help="Replace existing output files that reachmix did not write (or that were edited "
                          "since). Without it, only files reachmix wrote itself are replaced; an input is never.")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup (temporary files, pools, clusters) runs."""


def _on_sigterm(signum, frame):
    raise Terminated()


class ReachmixGroup(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        previous = None
        try:  # only the main thread may set handlers (CliRunner in a thread, embedding)
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:
            pass
        try:
            with command_line_voice():  # messages name settings as flags (--map), not keyword arguments
                self._guarded_main(args, prog_name, complete_var, **extra)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _guarded_main(self, args, prog_name, complete_var, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Terminated:
            _fail("terminated", 143)
        except ReachmixError as exc:
            _fail(str(exc), exc.exit_code)
        except click.UsageError as exc:
            where = f" (see 'reachmix {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else \
                " (see 'reachmix --help')"
            _fail(exc.format_message() + where, 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort as exc:  # click turns KeyboardInterrupt (and so SIGTERM) into Abort
            if isinstance(exc.__cause__, Terminated):
                _fail("terminated", 143)
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


def emit(output: jobs.Output, fmt: str, path: Path | None, force: bool = False) -> None:
    text = render(output.result, output.tables, fmt)
    if path is None:
        click.echo(text, nl=False)
    else:
        check_output(path, inputs=output.inputs, force=force)  # checked before the work too; again before writing
        atomic_write_text(path, text)
        click.echo(f"Wrote {path}", err=True)
    print_warnings(output.result.get("warnings") if isinstance(output.result, dict) else None)


def print_warnings(warnings) -> None:
    """A result's ``warnings`` (data, see whatif/plausibility.py) as ``Warning: ...`` lines on stderr."""
    for warning in warnings or ():
        click.echo(f"Warning: {one_line(str(warning))}", err=True)


def _progress() -> Progress:
    """The invocation's progress reporter (quiet with ``reachmix --quiet``)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Progress) if ctx is not None else None
    return found if found is not None else Progress()


def progress_printer(label: str):
    """A ``progress(done, total)`` callback on stderr: a bar on a terminal, a line every few
    seconds when piped, None with --quiet (see whatif/progress.py)."""
    return _progress().bar(label)


def progress_step(label: str):
    """A block with start/end lines and the elapsed time on stderr, for steps without a count."""
    return _progress().step(label)


# Solver options, declared once for every command that solves.
GAP = click.option("--gap", type=FRACTION, default=1e-3, show_default=True,
                   help="Relative optimality gap the MILP must prove, as a fraction (0.001 = 0.1%).")
TIME_LIMIT = click.option("--time-limit", type=POSITIVE, default=None, metavar="SECONDS",
                          help="Stop the MILP after this many seconds and keep the best plan found.")
SOLVER = click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True,
                      help="MILP solver.")
STRATEGY_SEED = click.option("--seed", type=SEED, default=0, show_default=True,
                             help="Seed for randomised strategies (random).")


def _solver_options(f):
    return GAP(TIME_LIMIT(SOLVER(STRATEGY_SEED(f))))


def _pool_reading(f):
    """How the scenario's pool file is read: --map (repeatable), --delimiter, --encoding, --decimal.
    The command receives one ``read_options`` (``scenarios.table.ReadOptions``); the scenario's
    ``[pool.columns]`` and ``[pool] delimiter/encoding/decimal`` apply where these are not given."""

    def check_map(ctx, param, values):
        for item in values:
            target, sep, source = str(item).partition("=")
            if not sep or not target.strip() or not source.strip():
                raise click.BadParameter(f"{item!r}: write TARGET=SOURCE, e.g. --map avg_views=views or "
                                         "--map handle=user_name", ctx, param)
        return values

    @functools.wraps(f)
    def command(*args, pool_maps, pool_delimiter, pool_encoding, pool_decimal, **kwargs):
        from scenarios.table import ReadOptions

        mapping = {t.strip().lower(): s.strip() for t, _, s in (m.partition("=") for m in pool_maps)}
        options = ReadOptions(mapping=mapping, delimiter=pool_delimiter, encoding=pool_encoding, decimal=pool_decimal)
        return f(*args, read_options=options, **kwargs)

    command = click.option("--decimal", "pool_decimal", type=click.Choice(["dot", "comma", ".", ","]), default=None,
                           help="Decimal mark of the pool's numbers (default: decided per column).")(command)
    command = click.option("--encoding", "pool_encoding", default=None, metavar="NAME",
                           help="The pool file's text encoding (default UTF-8, with or without BOM), "
                                "e.g. cp1254 or latin-1.")(command)
    command = click.option("--delimiter", "pool_delimiter", default=None, metavar="CHAR",
                           help="The pool CSV's delimiter (default: sniffed among , ; and tab).")(command)
    command = click.option("--map", "pool_maps", multiple=True, metavar="TARGET=SOURCE", callback=check_map,
                           help="Read the pool's column SOURCE as TARGET (e.g. --map handle=user_name, "
                                "--map avg_views=views); repeatable; overrides [pool.columns].")(command)
    return command


@click.group(cls=ReachmixGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Examples:\n\n\b\n  reachmix generate --creators 500 --out demo\n"
                    "  reachmix optimize demo/scenario.toml --format json --output plan.json")
@click.version_option(package_name="reachmix")
@click.option("--quiet", "-q", is_flag=True, envvar="REACHMIX_QUIET", show_envvar=True,
              help="No progress bars or lines on stderr (results, warnings and errors still print).")
@click.pass_context
def main(ctx, quiet) -> None:
    """reachmix: plan TikTok influencer campaigns.

    Pick creators and posts that maximise unique reach into a target audience (optimize),
    project the campaign day by day (simulate), and compare scenarios (compare, sweep, report).
    Progress goes to stderr: a bar on a terminal, a line every few seconds when piped.
    """
    ctx.obj = Progress(quiet=quiet)
    install_progress(ctx.obj)


def _examples(*lines: str) -> str:
    """A command's epilog: its examples, kept on their own lines by click's \\b marker."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


@main.command(short_help="Load and check a scenario and its pool; print a summary of the pool.",
              epilog=_examples("reachmix validate campaign/scenario.toml",
                               "reachmix validate campaign/scenario.toml --format json"))
@SCENARIO
@FORMAT
@OUTPUT
@FORCE
@_pool_reading
def validate(scenario, fmt, output, force, read_options):
    """Load and check a scenario and its pool; print a summary of the pool."""
    emit(jobs.validate(scenario, output=output, force=force, read_options=read_options), fmt, output, force)


@main.command(short_help="Write a synthetic but realistic pool and scenario into a folder.",
              epilog=_examples("reachmix generate --creators 500 --seed 7 --out demo",
                               "reachmix optimize demo/scenario.toml"))
@click.option("--creators", "-n", type=WholeNumber(1), default=1000, show_default=True,
              help="Pool size (number of creators).")
@click.option("--seed", "-s", type=SEED, default=0, show_default=True, help="Random seed of the synthetic pool.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder to write scenario.toml and creators.csv into (--out names a folder; --output a file).")
@FORMAT
@OUTPUT
@click.option("--force", is_flag=True,
              help="Replace scenario.toml and creators.csv in --out (and an --output file) even when reachmix "
                   "did not write them or they were edited since. Without it, only files reachmix wrote are replaced.")
def generate(creators, seed, out_dir, fmt, output, force):
    """Write a synthetic but realistic pool (creators.csv) and scenario (scenario.toml)."""
    with progress_step(f"generating {creators:,} creators"):
        result = jobs.generate(creators, seed, out_dir, output=output, force=force)
    emit(result, fmt, output, force)


@main.command(short_help="Choose creators and posts that maximise the objective under the budget and rules.",
              epilog=_examples("reachmix optimize campaign/scenario.toml --budget 250000",
                               "reachmix optimize campaign/scenario.toml --strategy greedy --format json -o plan.json"))
@SCENARIO
@click.option("--strategy", type=STRATEGY, default="milp", show_default=True, help=STRATEGY_HELP)
@click.option("--budget", type=POSITIVE, default=None, help="Override budget.total (in the scenario's currency).")
@_solver_options
@click.option("--target-reach", type=POSITIVE, default=None,
              help="Instead: find the smallest budget that reaches this many target people.")
@click.option("--for-kpis", is_flag=True,
              help="Instead: maximise the probability of meeting the [[kpi]] targets by their days, in priority "
                   "order (sample-average MILP; probabilities checked out-of-sample with another seed).")
@click.option("--target-probability", type=FiniteFloat(0, 1, min_open=True, max_open=True), default=None,
              metavar="P", help="Instead: find the smallest budget whose KPI plan meets the priority-1 [[kpi]] with "
                                "out-of-sample probability >= P (e.g. 0.9); a statistical estimate with its 95% "
                                "interval; --time-limit applies to each budget tried (default 10 s per KPI).")
@click.option("--kpi-draws", type=WholeNumber(1), default=None,
              help="With --for-kpis, --target-probability or [objective] risk: seeded draws of the in-sample problem "
                   "(default 100; 200 for risk).")
@click.option("--kpi-tolerance", type=FRACTION, default=0.0, show_default=True,
              help="With --for-kpis: share of draws a higher-priority KPI may give up for a lower one.")
@PLOT
@click.option("--calendar", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE.ics",
              help="Also write the posting schedule as an iCalendar file (needs [schedule] start_date).")
@click.option("--calendar-csv", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also write the calendar table (one row per post) as CSV.")
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def optimize(scenario, strategy, budget, gap, time_limit, solver, seed, target_reach, for_kpis, target_probability,
             kpi_draws, kpi_tolerance, plot, calendar, calendar_csv, fmt, output, force, calibration, read_options):
    """Choose creators and posts that maximise the objective under the budget and rules."""
    if for_kpis and target_reach is not None:
        raise click.UsageError("--for-kpis and --target-reach ask different questions; give one of them")
    if target_probability is not None and target_reach is not None:
        raise click.UsageError("--target-probability and --target-reach ask different questions; give one of them")
    # The KPI settings go along whenever given: [objective] maximize = "kpi" chooses for the KPIs too.
    kpi = {"draws": kpi_draws, "tolerance": kpi_tolerance, "requested": for_kpis}
    # A --target-probability search reports each budget it tries (whatif/kpi_budget.py) instead.
    with progress_step("optimizing (KPI probabilities)" if for_kpis else f"optimizing ({strategy})") \
            if target_probability is None else contextlib.nullcontext():
        result = jobs.optimize(scenario, strategy=strategy, budget=budget, gap=gap, time_limit=time_limit,
                               solver=solver, seed=seed, target_reach=target_reach, plot=plot, output=output,
                               force=force, calibration=calibration, read_options=read_options, kpi=kpi,
                               calendar=calendar, calendar_csv=calendar_csv, target_probability=target_probability)
    emit(result, fmt, output, force)


@main.command(short_help="Score a given plan (JSON with a selection of handle/posts) with the reach model.",
              epilog=_examples("reachmix evaluate campaign/scenario.toml plan.json",
                               "reachmix evaluate campaign/scenario.toml plan.json --format csv -o scored.csv"))
@SCENARIO
@click.argument("plan", type=click.Path(path_type=Path))
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def evaluate(scenario, plan, fmt, output, force, calibration, read_options):
    """Score a given plan (JSON with a selection of handle/posts) with the reach model."""
    emit(jobs.evaluate(scenario, plan, output=output, force=force, calibration=calibration,
                       read_options=read_options), fmt, output, force)


@main.command(short_help="Trace the budget-reach Pareto frontier (or reach vs engagements).",
              epilog=_examples("reachmix frontier campaign/scenario.toml --points 8 --plot frontier.png",
                               "reachmix frontier campaign/scenario.toml --engagements --format csv"))
@SCENARIO
@click.option("--points", type=WholeNumber(2, 200), default=10, show_default=True, help="Points on the frontier.")
@GAP
@TIME_LIMIT
@SOLVER
@click.option("--engagements", is_flag=True, help="Trace reach against engagements at the scenario's budget.")
@PLOT
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def frontier(scenario, points, gap, time_limit, solver, engagements, plot, fmt, output, force, calibration,
             read_options):
    """Trace the budget-reach Pareto frontier (or reach vs engagements with --engagements)."""
    with progress_step(f"tracing {points} frontier points"):
        result = jobs.frontier(scenario, points=points, gap=gap, time_limit=time_limit, solver=solver,
                               engagements=engagements, plot=plot, output=output, force=force,
                               calibration=calibration, read_options=read_options)
    emit(result, fmt, output, force)


@main.command(short_help="Project the campaign day by day with Monte Carlo bands and KPI probabilities.",
              epilog=_examples("reachmix simulate campaign/scenario.toml --plan plan.json --runs 2000",
                               "reachmix simulate campaign/scenario.toml --strategy greedy --dask local:2 "
                               "--plot kpi.png"))
@SCENARIO
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None, help="A plan JSON to simulate.")
@click.option("--strategy", type=STRATEGY, default="milp", show_default=True, help="Without --plan: " + STRATEGY_HELP)
@click.option("--runs", type=WholeNumber(1), default=None, help="Monte Carlo runs (default: the scenario's).")
@click.option("--days", type=WholeNumber(1), default=None, help="Days to project (default: the scenario's).")
@click.option("--seed", type=SEED, default=None, help="Random seed (default: the scenario's).")
@_parallel_options
@PLOT
@click.option("--plot-metric", default=None, help="Metric of the --plot chart (default: the first KPI's).")
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def simulate(scenario, plan_path, strategy, runs, days, seed, n_jobs, dask, plot, plot_metric, fmt, output, force,
             calibration, read_options):
    """Project the campaign day by day with Monte Carlo uncertainty bands and KPI probabilities."""
    emit(jobs.simulate(scenario, plan_path=plan_path, strategy=strategy, runs=runs, days=days, seed=seed,
                       jobs=n_jobs, dask=dask, progress=progress_printer("simulating"), plot=plot,
                       plot_metric=plot_metric, output=output, force=force, calibration=calibration,
                       read_options=read_options),
         fmt, output, force)


def _check_video_map(ctx, param, values):
    for item in values:
        target, sep, source = str(item).partition("=")
        if not sep or not target.strip() or not source.strip():
            raise click.BadParameter(f"{item!r}: write TARGET=SOURCE, e.g. --map views=vid_nview or "
                                     "--map handle=user_name", ctx, param)
    return values


def _reader_options(f):
    """How video exports are read (ingest, backtest): --map, --timezone, --date-order, --delimiter,
    --encoding, --decimal."""
    for option in reversed([
        click.option("--map", "maps", multiple=True, metavar="TARGET=SOURCE", callback=_check_video_map,
                     help="Read column SOURCE as TARGET (handle, followers, video_id, posted_at, observed_at, views, "
                          "likes, comments, shares, tags); repeatable."),
        click.option("--timezone", "timezones", multiple=True, metavar="ZONE|COLUMN=ZONE",
                     help="IANA zone of times written without one (every column, or one column); default UTC."),
        click.option("--date-order", type=click.Choice(["dmy", "mdy"]), default=None,
                     help="Day/month order of dates such as 03/04/2025 when a column does not show it."),
        click.option("--delimiter", default=None, help="Force the CSV delimiter (default: sniffed , ; or tab)."),
        click.option("--encoding", default=None, help="Text encoding (default UTF-8), e.g. cp1254 or latin-1."),
        click.option("--decimal", type=click.Choice(["dot", "comma", ".", ","]), default=None,
                     help="Decimal mark of the numbers (default: decided per column)."),
    ]):
        f = option(f)
    return f


@main.command(short_help="Fit the simulator's parameters from past posts; print fit quality and TOML.",
              epilog=_examples("reachmix calibrate history.csv",
                               "reachmix calibrate history.csv --toml calibration.toml --format json -o fit.json"))
@click.argument("history", type=click.Path(path_type=Path))
@click.option("--toml", "toml_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the fitted TOML fragment to FILE.")
@FORMAT
@OUTPUT
@FORCE
@_reader_options
def calibrate(history, toml_path, fmt, output, force, **reading):
    """Fit the simulator's parameters from past posts (CSV, JSON or JSON Lines, read like ingest's
    exports); prints fit quality and a TOML fragment."""
    emit(jobs.calibrate(history, toml_path=toml_path, output=output, force=force, **reading), fmt, output, force)


@main.command(short_help="Turn video exports into a history, a creator pool and a calibration (--out DIR).",
              epilog=_examples("reachmix ingest videos.jsonl --timezone posted_at=Europe/Istanbul --out data",
                               "reachmix ingest export.csv --map views=vid_nview --rate-card rates.csv --out data"))
@click.argument("videos", nargs=-1, required=True, type=click.Path(path_type=Path))
@_reader_options
@click.option("--rate-card", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="CSV of the price of one post by tier (tier,price) or by creator (handle,price).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for history.csv, creators.csv and calibration.toml.")
@FORMAT
@OUTPUT
@FORCE
def ingest(videos, maps, timezones, date_order, delimiter, encoding, decimal, rate_card, out_dir, fmt, output, force):
    """Read video-level exports (one row per observation of a video; CSV, JSON or JSON Lines) and write
    OUT/history.csv, OUT/creators.csv (a pool) and OUT/calibration.toml; print what was read."""
    emit(jobs.ingest(videos, out_dir, maps=maps, timezones=timezones, date_order=date_order, delimiter=delimiter,
                     encoding=encoding, decimal=decimal, rate_card=rate_card, force=force, output=output),
         fmt, output, force)


@main.command(short_help="Score the forecast bands on held-out creators' real videos.",
              epilog=_examples("reachmix backtest data/history.csv --train-share 0.7 --seed 1",
                               "reachmix backtest videos.jsonl --format json --plot calibration.png"))
@click.argument("videos", nargs=-1, required=True, type=click.Path(path_type=Path))
@_reader_options
@click.option("--train-share", type=SHARE, default=0.7, show_default=True,
              help="Share of the creators the fit is made on; the rest are the test side.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the creator split.")
@PLOT
@FORMAT
@OUTPUT
@FORCE
def backtest(videos, maps, timezones, date_order, delimiter, encoding, decimal, train_share, seed, plot, fmt, output,
             force):
    """Split creators into train and test, calibrate on train, and report how often real views fall
    inside the predicted bands (from the creator's other videos, and from followers only)."""
    emit(jobs.backtest(videos, maps=maps, timezones=timezones, date_order=date_order, delimiter=delimiter,
                       encoding=encoding, decimal=decimal, train_share=train_share, seed=seed, plot=plot,
                       output=output, force=force),
         fmt, output, force)


@main.command(short_help="Compare scenarios and strategies side by side (best value of each column marked *).",
              epilog=_examples("reachmix compare campaign/scenario.toml --strategy milp,greedy,top-followers",
                               "reachmix compare a.toml b.toml --strategy milp --strategy random --simulate"))
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strategy", "strategies", type=STRATEGIES, multiple=True, default=["milp"], show_default=True,
              callback=flatten, help="Strategies to compare: comma-separated and/or repeated, e.g. milp,greedy.")
@SIMULATE
@_solver_options
@_parallel_options
@PLOT
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def compare(scenarios, strategies, with_simulation, gap, time_limit, solver, seed, n_jobs, dask, plot, fmt, output,
            force, calibration, read_options):
    """Compare scenarios and strategies side by side (best value of each column marked *)."""
    emit(jobs.compare(scenarios, strategies=list(strategies), simulate=with_simulation, gap=gap, time_limit=time_limit,
                      solver=solver, seed=seed, jobs=n_jobs, dask=dask, progress=progress_printer("comparing"),
                      plot=plot, output=output, force=force, calibration=calibration, read_options=read_options),
         fmt, output, force)


@main.command(short_help="Sweep scenario keys over values and optimise each point (a grid with several --set).",
              epilog=_examples("reachmix sweep campaign/scenario.toml --set budget.total=100000:500000:100000",
                               "reachmix sweep campaign/scenario.toml --set budget.total=2e5,4e5 "
                               "--set constraints.max_posts=1,3"))
@SCENARIO
@click.option("--set", "sets", multiple=True, required=True, metavar="KEY=V1,V2|KEY=START:STOP:STEP",
              help="A dotted scenario key and its values; several --set make a grid.")
@click.option("--strategy", type=STRATEGY, default="milp", show_default=True, help=STRATEGY_HELP)
@SIMULATE
@_solver_options
@_parallel_options
@PLOT
@FORMAT
@OUTPUT
@FORCE
@CALIBRATION
@_pool_reading
def sweep(scenario, sets, strategy, with_simulation, gap, time_limit, solver, seed, n_jobs, dask, plot, fmt, output,
          force, calibration, read_options):
    """Sweep scenario keys (e.g. --set budget.total=100000:500000:100000) and optimise each point."""
    emit(jobs.sweep(scenario, sets, strategy=strategy, simulate=with_simulation, gap=gap, time_limit=time_limit,
                    solver=solver, seed=seed, jobs=n_jobs, dask=dask, progress=progress_printer("sweeping"), plot=plot,
                    output=output, force=force, calibration=calibration, read_options=read_options),
         fmt, output, force)


@main.command(short_help="Benchmark selection strategies on synthetic families and Pisinger's knapsack instances.",
              epilog=_examples("reachmix bench --strategy greedy,lowest-cpm --instances 3 --creators 200",
                               "reachmix bench --pisinger --budget-share 0.01 --budget-share 0.05 --plot quality.png"))
@click.option("--strategy", "strategies", type=STRATEGIES, multiple=True, callback=flatten,
              help="Strategies to run: comma-separated and/or repeated; default: all built-in.")
@click.option("--creators", type=WholeNumber(1), default=1000, show_default=True, help="Creators per instance.")
@click.option("--instances", type=WholeNumber(0), default=10, show_default=True,
              help="Seeds per instance family.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="First seed.")
@click.option("--tier-mix", "tier_mixes", multiple=True, type=click.Choice(["default", "micro-heavy", "macro-heavy"]),
              help="Instance family tier mix (repeat for several).")
@click.option("--budget-share", "budget_shares", multiple=True, type=SHARE,
              help="Budget as a share of one post from every creator (repeat).")
@click.option("--overlap", "overlaps", multiple=True, type=click.Choice(["low", "medium", "high"]),
              help="Audience overlap (repeat).")
@click.option("--rules", "rules", multiple=True, type=click.Choice(["on", "off"]), help="Constraints on or off.")
@click.option("--pisinger", is_flag=True, help="Also run the Pisinger knapsack instances (known optima).")
@click.option("--pisinger-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the Pisinger instances and optima.csv (default: the bundled ones).")
@click.option("--kpi-runs", type=WholeNumber(0), default=400, show_default=True,
              help="Simulated runs per plan for the probability of meeting each synthetic instance's "
                   "priority-1 KPI (0 = off).")
@GAP
@TIME_LIMIT
@PLOT
@_parallel_options
@FORMAT
@OUTPUT
@FORCE
def bench(strategies, creators, instances, seed, tier_mixes, budget_shares, overlaps, rules, pisinger, pisinger_dir,
          kpi_runs, gap, time_limit, plot, n_jobs, dask, fmt, output, force):
    """Benchmark selection strategies on synthetic families and Pisinger's knapsack instances."""
    from whatif.bench import DEFAULT_STRATEGIES

    emit(jobs.bench(strategies or DEFAULT_STRATEGIES, creators=creators, instances=instances, seed=seed,
                    tier_mixes=tier_mixes or ("default",), budget_shares=budget_shares or (0.03,),
                    overlaps=overlaps or ("medium",), rules=rules or ("on",), pisinger=pisinger,
                    pisinger_dir=pisinger_dir, gap=gap, time_limit=time_limit, jobs=n_jobs, dask=dask, plot=plot,
                    progress=progress_printer("benchmarking"), output=output, force=force, kpi_runs=kpi_runs),
         fmt, output, force)


@main.command(short_help="Write one self-contained HTML report: plan, tier mix, KPI projections, briefs.",
              epilog=_examples("reachmix report campaign/scenario.toml --output report.html",
                               "reachmix report campaign/scenario.toml -o report.html --compare-with greedy,random"))
@SCENARIO
@click.option("--output", "-o", "report_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")
@click.option("--strategy", type=STRATEGY, default="milp", show_default=True, help=STRATEGY_HELP)
@click.option("--compare-with", type=STRATEGIES, multiple=True, default=["greedy,top-followers"], show_default=True,
              callback=flatten, help="Strategies shown beside the plan: comma-separated and/or repeated.")
@click.option("--runs", type=WholeNumber(1), default=None, help="Monte Carlo runs (default: the scenario's).")
@click.option("--seed", type=SEED, default=None, help="Simulation seed (default: the scenario's).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="How to print the summary.")
@FORCE
@CALIBRATION
@_pool_reading
def report(scenario, report_path, strategy, compare_with, runs, seed, fmt, force, calibration, read_options):
    """Write one self-contained HTML report: plan, tier mix, KPI projections, assumptions, briefs."""
    with progress_step("writing the report"):
        result = jobs.report(scenario, report_path, strategy=strategy, compare_with=compare_with, runs=runs,
                             seed=seed, progress=progress_printer("simulating"), force=force,
                             calibration=calibration, read_options=read_options)
    emit(result, fmt, None)


end_startup_interrupt_guard()  # everything is loaded: Ctrl-C is a KeyboardInterrupt again (see cli_options)

if __name__ == "__main__":  # pragma: no cover
    main()
