"""The progress reporter: a bar on a terminal, a line every few seconds when piped, nothing when
quiet; and the CLI keeps stdout clean and honours --quiet."""

from __future__ import annotations

import io
import json
import time

from click.testing import CliRunner

from cli import main
from whatif.progress import Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_piped_prints_a_line_per_interval_and_a_final_line_only_if_it_spoke():
    out, clock = io.StringIO(), Clock()
    bar = Progress(stream=out, tty=False, interval=5, clock=clock).bar("simulating")
    for done, t in ((1000, 1), (2000, 4.9), (3000, 5.0), (4000, 7), (5000, 10.5)):
        clock.now = 100 + t
        bar(done, 10_000)
    clock.now = 112
    bar(10_000, 10_000)
    assert out.getvalue().splitlines() == [
        "simulating: 3,000/10,000 (30%), 5.0s elapsed",
        "simulating: 5,000/10,000 (50%), 10.5s elapsed",
        "simulating: done, 10,000 in 12.0s",
    ]
    quick, clock = io.StringIO(), Clock()
    bar = Progress(stream=quick, tty=False, interval=5, clock=clock).bar("simulating")
    bar(5, 10)
    clock.now += 1
    bar(10, 10)
    assert quick.getvalue() == ""  # a quick step stays silent in scripts


def test_terminal_bar_redraws_in_place_and_ends_the_line():
    out, clock = io.StringIO(), Clock()
    bar = Progress(stream=out, tty=True, clock=clock).bar("sweeping")
    bar(1, 4)
    clock.now += 0.01
    bar(2, 4)  # within the redraw interval: skipped
    clock.now += 1
    bar(4, 4)
    assert out.getvalue() == ("\rsweeping [#######.......................] 1/4 25% 0.0s"
                              "\rsweeping [##############################] 4/4 100% 1.0s\n")


def test_quiet_gives_no_callback_and_silent_steps():
    out = io.StringIO()
    progress = Progress(quiet=True, stream=out, tty=True)
    assert progress.bar("x") is None
    with progress.step("optimizing"):
        pass
    assert out.getvalue() == ""


def test_steps_on_a_terminal_and_piped():
    out, clock = io.StringIO(), Clock()
    with Progress(stream=out, tty=True, clock=clock).step("optimizing (milp)"):
        clock.now += 2.25
    assert out.getvalue() == "optimizing (milp)...\noptimizing (milp): done after 2.2s\n"
    piped = io.StringIO()
    with Progress(stream=piped, tty=False, interval=0.05).step("generating"):
        time.sleep(0.18)
    lines = piped.getvalue().splitlines()
    assert len(lines) >= 3 and lines[0].startswith("generating: still running, ")
    assert lines[-1].startswith("generating: done after ")
    silent = io.StringIO()
    with Progress(stream=silent, tty=False, interval=5).step("generating"):
        pass
    assert silent.getvalue() == ""


def test_quiet_flag_and_environment_reach_the_commands(tmp_path, monkeypatch):
    from scenarios.generate import write_example

    path, _ = write_example(tmp_path, 40, 2)
    seen = []
    real = Progress.bar

    def spy(self, label):
        seen.append((label, self.quiet))
        return real(self, label)

    monkeypatch.setattr(Progress, "bar", spy)
    for args, env in ((["--quiet"], {}), ([], {"REACHMIX_QUIET": "1"}), ([], {})):
        result = CliRunner(env=env).invoke(main, [*args, "simulate", str(path), "--strategy", "greedy", "--runs",
                                                  "200", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["runs"] == 200  # stdout holds only the result
    assert seen == [("simulating", True), ("simulating", True), ("simulating", False)]
