"""Never lose a user's file (scenarios/files.py): atomic writes, outputs that are inputs, foreign
files and --force, --out folders, faults and signals in the middle of a write, and inputs that are
not regular files."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASE_CSV, BASE_TOML
from scenarios import files
from scenarios.errors import PlanError, ReachmixError
from scenarios.files import OutputError, atomic_write_bytes, atomic_write_text, check_out_dir, check_output

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    from cli import main

    result = CliRunner().invoke(main, ["--quiet", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an atomic write that were not cleaned up."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".reachmix-tmp"))


@pytest.fixture
def campaign(tmp_path, write_scenario):
    """A user's campaign: scenario, pool, plan and history, none written by reachmix."""
    scenario = write_scenario()
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"selection": [{"handle": "@ayse.makeup", "posts": 1}]}), encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text("handle,followers,views\n@a,1000,300\n", encoding="utf-8")
    paths = {"scenario": scenario, "pool": tmp_path / "creators.csv", "plan": plan, "history": history}
    return paths, {k: p.read_bytes() for k, p in paths.items()}


# --------------------------------------------------------------------------------------------
# Atomic writes

def test_atomic_write_creates_replaces_and_records(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_text(target, "first ü\n")
    assert target.read_bytes() == "first ü\n".encode("utf-8")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # like open(): not mkstemp's 0600
    assert files.written_by_reachmix(target)
    target.chmod(0o640)
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode
    assert files.written_by_reachmix(target) and leftovers(tmp_path) == []


def test_an_edited_file_no_longer_counts_as_written_by_reachmix(tmp_path):
    target = tmp_path / "out.csv"
    atomic_write_text(target, "a,b\n1,2\n")
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("3,4\n")
    assert not files.written_by_reachmix(target)
    atomic_write_text(target, "a,b\n1,2\n")
    assert files.written_by_reachmix(target)
    target.write_text("a,b\n9,9\n", encoding="utf-8")  # same size: the hash tells
    os.utime(target, ns=(target.stat().st_atime_ns, json.loads((Path(os.environ["REACHMIX_STATE_DIR"]) /
                                                                files.REGISTRY_NAME).read_text())
                         [os.path.realpath(target)][1]))
    assert not files.written_by_reachmix(target)


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize("fault", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_in_the_middle_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, fault):
    target = tmp_path / "out.json"
    target.write_bytes(b'{"old": true}')

    def broken_fsync(fd):
        raise fault

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OutputError if isinstance(fault, OSError) else KeyboardInterrupt) as info:
        atomic_write_text(target, '{"new": true}' * 1000)
    if isinstance(fault, OSError):
        assert str(info.value) == (f"{target}: cannot write the output (the disk is full); the previous file, if any, "
                                   "is unchanged; check the folder exists and is writable")
    assert target.read_bytes() == b'{"old": true}'
    assert leftovers(tmp_path) == []


def test_devices_are_written_as_streams(tmp_path):
    atomic_write_text("/dev/null", "nothing")  # no temporary file beside /dev/null, no error
    with pytest.raises(OutputError, match="is a directory"):
        atomic_write_text(tmp_path, "x")


# --------------------------------------------------------------------------------------------
# Guards

def test_check_output_compares_paths_and_inodes(tmp_path):
    source = tmp_path / "creators.csv"
    source.write_text(BASE_CSV, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    hard = tmp_path / "hard.csv"
    os.link(source, hard)
    soft = tmp_path / "soft.csv"
    soft.symlink_to(source)
    for alias in (source, tmp_path / "sub" / ".." / "creators.csv", hard, soft):
        with pytest.raises(OutputError) as info:
            check_output(alias, inputs=[tmp_path / "scenario.toml", source], force=True)
        assert str(info.value) == (f'output="{alias}" is the input file {source}; writing there would destroy it; '
                                   "give output another file name")
    check_output(tmp_path / "new.csv", inputs=[source])  # a file that does not exist yet is always fine
    check_output(None, inputs=[source])


def test_check_output_refuses_foreign_files_unless_forced(tmp_path):
    mine, theirs = tmp_path / "mine.json", tmp_path / "theirs.json"
    atomic_write_text(mine, "{}")
    theirs.write_text("{}", encoding="utf-8")
    check_output(mine)
    with pytest.raises(OutputError) as info:
        check_output(theirs, option="--plot")
    assert str(info.value) == (f'plot="{theirs}" already exists and reachmix did not write it (or it was edited '
                               "since); add force=True to replace it, or choose another file name")
    check_output(theirs, force=True)
    with pytest.raises(OutputError, match="is a directory; give a file name"):
        check_output(tmp_path, force=True)


def test_check_out_dir(tmp_path):
    folder = tmp_path / "ingested"
    check_out_dir(folder, ["scenario.toml", "creators.csv"])  # does not exist yet
    folder.mkdir()
    atomic_write_text(folder / "creators.csv", "handle\n")
    check_out_dir(folder, ["scenario.toml", "creators.csv"])  # holds only a file reachmix wrote
    (folder / "scenario.toml").write_text(BASE_TOML, encoding="utf-8")
    with pytest.raises(OutputError) as info:
        check_out_dir(folder, ["scenario.toml", "creators.csv"])
    assert str(info.value) == (f'out="{folder}" already holds scenario.toml, which reachmix did not write (or which '
                               "was edited since); choose another out folder, or add force=True to replace it")
    check_out_dir(folder, ["scenario.toml", "creators.csv"], force=True)


# --------------------------------------------------------------------------------------------
# The commands

REFUSALS = [
    # (command, option, input kind)
    (["optimize", "{scenario}", "--strategy", "greedy", "--output", "{target}"], "--output", "scenario"),
    (["optimize", "{scenario}", "--strategy", "greedy", "--output", "{target}"], "--output", "pool"),
    (["evaluate", "{scenario}", "{plan}", "--output", "{target}"], "--output", "plan"),
    (["simulate", "{scenario}", "--plan", "{plan}", "--plot", "{target}"], "--plot", "plan"),
    (["optimize", "{scenario}", "--strategy", "greedy", "--plot", "{target}"], "--plot", "pool"),
    (["validate", "{scenario}", "--output", "{target}", "--force"], "--output", "scenario"),
    (["calibrate", "{history}", "--toml", "{target}"], "--toml", "history"),
    (["calibrate", "{history}", "--output", "{target}"], "--output", "history"),
    (["report", "{scenario}", "--output", "{target}"], "--output", "pool"),
    (["report", "{scenario}", "--output", "{target}"], "--output", "scenario"),
]


@pytest.mark.parametrize("args,option,kind", REFUSALS, ids=[f"{a[0]}-{o}-{k}" for a, o, k in REFUSALS])
def test_an_output_that_is_an_input_is_refused(campaign, args, option, kind):
    paths, before = campaign
    target = paths[kind]
    if args[0] == "report":  # the report must end in .html: a hard link is the same file by another name
        target = paths[kind].with_name(f"{kind}.html")
        os.link(paths[kind], target)
    rc, out, err = run(*(a.format(target=target, **paths) for a in args))
    assert rc == 2, err
    assert err.strip() == (f"Error: {option} {target} is the input file {paths[kind]}; writing there would destroy "
                           f"it; give {option} another file name")
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert leftovers(paths["scenario"].parent) == []


def test_replacing_our_own_output_works_a_foreign_file_needs_force(campaign, tmp_path):
    paths, _ = campaign
    out = tmp_path / "plan-out.json"
    assert run("optimize", paths["scenario"], "--strategy", "greedy", "--format", "json", "-o", out)[0] == 0
    first = out.read_bytes()
    rc, _, err = run("optimize", paths["scenario"], "--strategy", "greedy", "--budget", "6000", "--format", "json",
                     "-o", out)
    assert rc == 0, err
    assert out.read_bytes() != first and json.loads(out.read_bytes())["budget"] == 6000

    foreign = tmp_path / "notes.json"
    foreign.write_text("my notes", encoding="utf-8")
    rc, _, err = run("optimize", paths["scenario"], "--strategy", "greedy", "--format", "json", "-o", foreign)
    assert rc == 2
    assert err.strip() == (f"Error: --output {foreign} already exists and reachmix did not write it (or it was edited "
                           "since); add --force to replace it, or choose another file name")
    assert foreign.read_text(encoding="utf-8") == "my notes"
    rc, _, err = run("optimize", paths["scenario"], "--strategy", "greedy", "--format", "json", "-o", foreign,
                     "--force")
    assert rc == 0, err
    assert json.loads(foreign.read_bytes())["strategy"] == "greedy"


def test_two_outputs_to_one_file_are_refused(campaign, tmp_path):
    paths, _ = campaign
    rc, _, err = run("optimize", paths["scenario"], "--output", tmp_path / "a.svg", "--plot", tmp_path / "a.svg")
    assert rc == 2
    assert err.strip() == f"Error: --plot {tmp_path / 'a.svg'} is also the --output file; give them different names"


def test_generate_refuses_a_folder_with_a_campaign_without_force(tmp_path):
    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "scenario.toml").write_text(BASE_TOML, encoding="utf-8")
    (folder / "creators.csv").write_text(BASE_CSV, encoding="utf-8")
    rc, _, err = run("generate", "--creators", "50", "--out", folder)
    assert rc == 2
    assert err.strip() == (f"Error: --out {folder} already holds scenario.toml and creators.csv, which reachmix did "
                           "not write (or which were edited since); choose another --out folder, or add --force to "
                           "replace them")
    assert (folder / "scenario.toml").read_text(encoding="utf-8") == BASE_TOML
    assert (folder / "creators.csv").read_text(encoding="utf-8") == BASE_CSV
    rc, _, err = run("generate", "--creators", "50", "--out", folder, "--force")
    assert rc == 0, err
    assert (folder / "creators.csv").read_text(encoding="utf-8").count("\n") == 51
    # What generate wrote it may replace again without --force (a new seed, a new size).
    rc, _, err = run("generate", "--creators", "60", "--seed", "2", "--out", folder)
    assert rc == 0, err
    assert (folder / "creators.csv").read_text(encoding="utf-8").count("\n") == 61
    rc, _, err = run("generate", "--creators", "60", "--out", folder, "--output", folder / "creators.csv")
    assert rc == 2
    assert err.strip() == (f"Error: --output {folder / 'creators.csv'} is the creators.csv that generate writes; "
                           "give --output another file name")


# --------------------------------------------------------------------------------------------
# Faults and signals in the middle of a write (subprocesses: each gets its own limits and signals)

def _reachmix(code: str, *, limit_fsize: int | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    def preexec():
        if limit_fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, preexec_fn=preexec, capture_output=True, text=True,
                          timeout=timeout)


def test_a_write_beyond_the_file_size_limit_leaves_the_previous_output(campaign, tmp_path):
    paths, _ = campaign
    out = tmp_path / "out.json"
    assert run("validate", paths["scenario"], "--format", "json", "-o", out)[0] == 0
    before = out.read_bytes()
    rc, new, _ = run("evaluate", paths["scenario"], paths["plan"], "--format", "json")
    assert len(before) < 1000 < len(new.encode("utf-8"))  # the old output fits the limit, the new one does not
    code = (f"from cli import main; main(['--quiet', 'evaluate', {str(paths['scenario'])!r}, {str(paths['plan'])!r}, "
            f"'--format', 'json', '-o', {str(out)!r}])")
    proc = _reachmix(code, limit_fsize=1000)  # the new output is larger than 1000 bytes
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (f"Error: {out}: cannot write the output (the file size limit was reached); the "
                                   "previous file, if any, is unchanged; check the folder exists and is writable")
    assert out.read_bytes() == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("sig,code,message", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_signal_in_the_middle_of_writing_leaves_the_previous_file(tmp_path, sig, code, message):
    """The signal arrives while the new pool is being written (right after its data is flushed to
    disk, before the rename): the previous pool must stay whole and the temporary file must go."""
    folder = tmp_path / "pool"
    assert run("generate", "--creators", "300", "--out", folder)[0] == 0
    before = (folder / "creators.csv").read_bytes()
    script = f"""
import os, signal
from scenarios import files
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    if os.fstat(fd).st_size > 100_000:  # the new creators.csv, not a registry or folder fsync
        os.kill(os.getpid(), {int(sig)})
files.os.fsync = fsync
from cli import main
main(['--quiet', 'generate', '--creators', '3000', '--out', {str(folder)!r}])
"""
    proc = _reachmix(script)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.strip() == f"Error: {message}"
    assert (folder / "creators.csv").read_bytes() == before
    assert leftovers(folder) == []


@pytest.mark.slow
def test_sigterm_at_any_moment_never_leaves_a_partial_file(tmp_path):
    """A real, untimed SIGTERM to the installed command while it makes a 40 MB CSV: whenever it lands,
    the output is the old file or the complete new one, and no temporary file stays. (200,000
    creators take a few seconds since generate is vectorised, so the signal at 1.5 s usually lands
    mid-run.)"""
    import time

    folder = tmp_path / "big"
    assert run("generate", "--creators", "200", "--out", folder)[0] == 0
    old = (folder / "creators.csv").read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--quiet", "generate", "--creators", "200000", "--out",
                             str(folder)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    now = (folder / "creators.csv").read_bytes()
    if proc.returncode == 0:  # finished before the signal
        assert now.count(b"\n") == 200001
    else:
        assert proc.returncode == 143 and err.strip().endswith("Error: terminated"), err
        assert now == old or now.count(b"\n") == 200001
    assert leftovers(folder) == []


# --------------------------------------------------------------------------------------------
# Inputs that are not regular files

@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    # A safety net: if reading ever blocked on the FIFO, a writer that opens and closes it after 20 s
    # ends the read (the test then fails on its message instead of hanging the suite).
    def unblock():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass

    timer = threading.Timer(20.0, unblock)
    timer.start()
    yield path
    timer.cancel()


def test_a_fifo_as_scenario_is_refused_without_hanging(fifo):
    rc, _, err = run("validate", fifo)
    assert rc == 2
    assert err.strip() == (f"Error: {fifo}: is a FIFO (named pipe), not a regular file; give the scenario file as a "
                           "file saved on disk")


def test_a_fifo_as_pool_is_refused_without_hanging(fifo, write_scenario):
    path = write_scenario(toml=BASE_TOML.replace("creators.csv", "pipe"), csv=None)
    rc, _, err = run("validate", path)
    assert rc == 2
    assert err.strip() == (f"Error: {fifo}: is a FIFO (named pipe), not a regular file; give the pool file as a file "
                           "saved on disk")


def test_dev_zero_and_a_directory_as_plan(campaign, tmp_path):
    paths, _ = campaign
    rc, _, err = run("evaluate", paths["scenario"], "/dev/zero")
    assert rc == 2
    assert err.strip() == ("Error: /dev/zero: is a device, not a regular file; give the plan file as a file saved "
                           "on disk")
    rc, _, err = run("evaluate", paths["scenario"], tmp_path)
    assert rc == 2
    assert err.strip() == f"Error: {tmp_path}: is a directory; give the plan .json file"


def test_dev_zero_as_pool(write_scenario):
    path = write_scenario(toml=BASE_TOML.replace('"creators.csv"', '"/dev/zero"'), csv=None)
    rc, _, err = run("validate", path)
    assert rc == 2
    assert err.strip() == ("Error: /dev/zero: is a device, not a regular file; give the pool file as a file saved on "
                           "disk")


def test_a_file_larger_than_the_memory_budget_is_refused_before_reading(campaign, monkeypatch):
    paths, _ = campaign
    monkeypatch.setenv("REACHMIX_MEMORY_LIMIT", "100")
    size = paths["plan"].stat().st_size
    assert 25 < size < 1024
    with pytest.raises(PlanError) as info:
        files.read_text(paths["plan"], PlanError, what="plan file", directory="", save_as="the plan")
    assert str(info.value) == (f"{paths['plan']}: the plan file is {size} bytes; reading it needs about 4x that, more "
                               "than the memory limit of 100 bytes (REACHMIX_MEMORY_LIMIT=100)")
    assert isinstance(info.value, ReachmixError)
