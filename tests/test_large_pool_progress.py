"""Reading a large pool reports progress on stderr (issue 10): start and end lines on a terminal,
nothing with --quiet, and stdout stays the result."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import whatif.jobs
import whatif.progress
from cli import main


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(whatif.progress.Progress, "tty", property(lambda self: True))
    monkeypatch.setattr(whatif.jobs, "LARGE_POOL_BYTES", 1)  # every pool counts as large here


def test_a_large_pool_is_read_under_a_progress_step(write_scenario, terminal):
    result = CliRunner().invoke(main, ["validate", str(write_scenario()), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "reading creators.csv (0 MB)..."
    assert lines[1].startswith("reading creators.csv (0 MB): done after ")
    assert result.stdout.lstrip().startswith("{")


def test_quiet_silences_it(write_scenario, terminal):
    result = CliRunner().invoke(main, ["--quiet", "validate", str(write_scenario()), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "reading" not in result.stderr


def test_a_small_pool_prints_nothing(write_scenario, monkeypatch):
    monkeypatch.setattr(whatif.progress.Progress, "tty", property(lambda self: True))
    result = CliRunner().invoke(main, ["validate", str(write_scenario()), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "reading" not in result.stderr


def test_library_callers_get_a_quiet_reporter_unless_they_install_one():
    import contextvars

    fresh = contextvars.Context()
    assert fresh.run(whatif.progress.current).quiet
