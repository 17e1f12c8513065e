"""Hostile and broken inputs through the installed ``reachmix`` command, as a user or an attacker
would try them (issue 10).

Every case runs the real console script in a subprocess under a memory cap (``RLIMIT_AS``) and a
wall-clock timeout, then asserts:
- the exit status;
- for a failure, exactly one ``Error:`` line on stderr and no traceback;
- every input file of the campaign folder is byte-identical afterwards (nothing lost, nothing
  truncated), except the files a case is *expected* to write.

The cases run two at a time (this machine has two cores) in one module fixture; each case is then
its own test, so a failure names the case.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "istanbul-beauty"
HISTORY = ROOT / "simulate" / "examples" / "history.csv"
REACHMIX = Path(sys.executable).with_name("reachmix")

#: Address space allowed to one command: generous for NumPy/SciPy/HiGHS, far below what the
#: unbounded cases asked for (29.8 GiB, 1.63 TiB); a case that tries to take it fails the test.
MEMORY_CAP = 4 * 2**30
TIMEOUT = 90

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not REACHMIX.exists(), reason="the reachmix console script is not installed")]


@dataclass
class Case:
    name: str
    args: list[str]
    code: int = 2
    #: Files (relative to the campaign folder) the case writes or may change.
    writes: tuple[str, ...] = ()
    #: Prepares the campaign folder (``setup(folder, env)``) before the command runs.
    setup: Callable[[Path, dict], None] | None = None
    #: Text that must appear in the ``Error:`` line (case-insensitive), when the exact words matter.
    says: str | None = None
    env: dict = field(default_factory=dict)


# --- setups ----------------------------------------------------------------------------------


def _scenario_with(text: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        base = (folder / "scenario.toml").read_text(encoding="utf-8")
        (folder / "bad.toml").write_text(base + "\n" + text, encoding="utf-8")
    return setup


def _scenario_replacing(old: str, new: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        base = (folder / "scenario.toml").read_text(encoding="utf-8")
        assert old in base
        (folder / "bad.toml").write_text(base.replace(old, new), encoding="utf-8")
    return setup


def _pool(csv_bytes: bytes) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        (folder / "bad.csv").write_bytes(csv_bytes)
        base = (folder / "scenario.toml").read_text(encoding="utf-8")
        (folder / "bad.toml").write_text(base.replace('file = "creators.csv"', 'file = "bad.csv"'), encoding="utf-8")
    return setup


def _pool_at(target: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        base = (folder / "scenario.toml").read_text(encoding="utf-8")
        (folder / "bad.toml").write_text(base.replace('file = "creators.csv"', f'file = "{target}"'),
                                         encoding="utf-8")
    return setup


def _fifo(name: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        os.mkfifo(folder / name)
    return setup


def _fifo_pool(folder: Path, env: dict) -> None:
    os.mkfifo(folder / "pool.fifo")
    _pool_at("pool.fifo")(folder, env)


def _file(name: str, data: bytes) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        (folder / name).write_bytes(data)
    return setup


def _plan(selection) -> Callable[[Path, dict], None]:
    return _file("odd-plan.json", json.dumps({"selection": selection}).encode())


def _symlink(name: str, to: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        os.symlink(folder / to, folder / name)
    return setup


def _hardlink(name: str, to: str) -> Callable[[Path, dict], None]:
    def setup(folder: Path, env: dict) -> None:
        os.link(folder / to, folder / name)
    return setup


def _csv_rows(extra_rows: list[str], header: str | None = None) -> bytes:
    lines = (EXAMPLE / "creators.csv").read_text(encoding="utf-8").splitlines()
    if header is not None:
        lines[0] = header
    return ("\n".join(lines[:6] + extra_rows) + "\n").encode("utf-8")


def _with_handle(handle: str) -> str:
    import csv
    import io

    row = next(csv.reader(io.StringIO((EXAMPLE / "creators.csv").read_text(encoding="utf-8").splitlines()[1])))
    row[0] = handle
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _semicolon_csv() -> bytes:
    """The example pool as a European spreadsheet saves it: `;` between cells (cells holding `;`,
    such as tags, quoted by the csv writer)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO((EXAMPLE / "creators.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


_HANDLES = [line.split(",")[0] for line in (EXAMPLE / "creators.csv").read_text(encoding="utf-8").splitlines()[1:]]


def _serve_silent(env: dict) -> None:
    """A port that accepts connections and never says a word (a stuck proxy)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    env["_silent"] = srv  # kept open for the module's life

    def accept() -> None:
        conns = []
        while True:
            try:
                conns.append(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    env["SILENT_PORT"] = str(srv.getsockname()[1])


def _serve_http(env: dict) -> None:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: D401 - keep the test output clean
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env["_http"] = srv
    env["HTTP_PORT"] = str(srv.server_address[1])


# --- the table --------------------------------------------------------------------------------

S, P, PLAN = "scenario.toml", "creators.csv", "plan.json"
OPT = ["optimize", S]

CASES: list[Case] = [
    # Outputs must never destroy inputs.
    Case("output-is-the-scenario", [*OPT, "--output", S]),
    Case("output-is-the-pool", [*OPT, "--output", P]),
    Case("output-is-the-plan", ["evaluate", S, PLAN, "--output", PLAN]),
    Case("simulate-output-is-its-plan", ["simulate", S, "--plan", PLAN, "--runs", "50", "--output", PLAN]),
    Case("plot-is-the-pool", [*OPT, "--plot", P]),
    Case("report-over-the-scenario", ["report", S, "--output", S, "--runs", "50"]),
    Case("compare-output-is-the-scenario", ["compare", S, "--strategy", "greedy", "--output", S]),
    Case("sweep-output-is-the-pool", ["sweep", S, "--set", "budget.total=100000,200000", "--strategy", "greedy",
                                      "--output", P]),
    Case("frontier-plot-is-the-scenario", ["frontier", S, "--points", "2", "--plot", S]),
    Case("calibrate-output-is-the-history", ["calibrate", "history.csv", "--output", "history.csv"]),
    Case("calibrate-toml-is-the-history", ["calibrate", "history.csv", "--toml", "history.csv"]),
    Case("output-via-symlink-to-the-pool", [*OPT, "--output", "link.csv"], setup=_symlink("link.csv", P)),
    Case("output-via-hardlink-to-the-scenario", [*OPT, "--output", "hard.toml"], setup=_hardlink("hard.toml", S)),
    Case("output-over-a-foreign-file", [*OPT, "--output", "notes.txt"], setup=_file("notes.txt", b"my notes\n")),
    Case("output-over-a-foreign-file-with-force", [*OPT, "--strategy", "greedy", "--output", "notes.txt", "--force"],
         code=0, writes=("notes.txt",), setup=_file("notes.txt", b"my notes\n")),
    Case("generate-into-a-campaign", ["generate", "--creators", "20", "--seed", "1", "--out", "."]),
    Case("output-into-a-missing-folder", [*OPT, "--output", "no/such/dir/plan.json"]),
    # Work budgets are checked before work starts.
    Case("simulation-days-1e8", ["simulate", "bad.toml", "--plan", PLAN], setup=_scenario_replacing("days = 56", "days = 100000000")),
    Case("simulation-runs-1e9", ["simulate", "bad.toml", "--plan", PLAN], setup=_scenario_replacing("runs = 2000", "runs = 1000000000")),
    Case("simulate-runs-option-1e9", ["simulate", S, "--plan", PLAN, "--runs", "1000000000"]),
    Case("generate-two-billion", ["generate", "--creators", "2000000000", "--seed", "1", "--out", "big"]),
    Case("sweep-grid-10000-squared", ["sweep", S, "--set", "budget.total=1:10001:1",
                                      "--set", "model.repeat_decay=0.0001:1.0001:0.0001"]),
    Case("pool-is-dev-zero", ["validate", "bad.toml"], setup=_pool_at("/dev/zero")),
    Case("plan-is-dev-zero", ["evaluate", S, "/dev/zero"]),
    Case("history-is-dev-zero", ["calibrate", "/dev/zero"]),
    Case("scenario-is-dev-zero", ["validate", "/dev/zero"]),
    Case("scenario-is-a-fifo", ["validate", "scenario.fifo"], setup=_fifo("scenario.fifo")),
    Case("pool-is-a-fifo", ["validate", "bad.toml"], setup=_fifo_pool),
    Case("plan-is-a-fifo", ["evaluate", S, "plan.fifo"], setup=_fifo("plan.fifo")),
    Case("scenario-is-a-directory", ["validate", "."]),
    Case("pool-is-a-directory", ["validate", "bad.toml"], setup=_pool_at(".")),
    # Options accept only sense.
    Case("gap-nan", [*OPT, "--gap", "nan"]),
    Case("gap-negative", [*OPT, "--gap", "-0.5"]),
    Case("time-limit-nan", [*OPT, "--time-limit", "nan"]),
    Case("time-limit-inf", [*OPT, "--time-limit", "inf"]),
    Case("budget-inf", [*OPT, "--budget", "inf"]),
    Case("budget-nan", [*OPT, "--budget", "nan"]),
    Case("budget-zero", [*OPT, "--budget", "0"]),
    Case("target-reach-nan", [*OPT, "--target-reach", "nan"]),
    Case("seed-negative", [*OPT, "--strategy", "random", "--seed", "-1"]),
    Case("simulate-seed-negative", ["simulate", S, "--plan", PLAN, "--seed", "-1"]),
    Case("runs-zero", ["simulate", S, "--plan", PLAN, "--runs", "0"]),
    Case("days-negative", ["simulate", S, "--plan", PLAN, "--days", "-3"]),
    Case("frontier-one-point", ["frontier", S, "--points", "1"]),
    Case("strategy-empty-module", [*OPT, "--strategy", ":X"]),
    Case("strategy-relative-module", [*OPT, "--strategy", ".foo:Bar"]),
    Case("strategy-os-abort", [*OPT, "--strategy", "os:abort"], says="strategy"),
    Case("strategy-sys-exit", [*OPT, "--strategy", "sys:exit"], says="strategy"),
    Case("strategy-missing-module", [*OPT, "--strategy", "no_such_module_xyz:Thing"]),
    Case("strategy-unknown-name", [*OPT, "--strategy", "gredy"]),
    Case("format-unknown", [*OPT, "--format", "xml"]),
    # Dask.
    Case("dask-web-server", ["simulate", S, "--plan", PLAN, "--runs", "50", "--dask", "tcp://127.0.0.1:{HTTP_PORT}"]),
    Case("dask-silent-port", ["simulate", S, "--plan", PLAN, "--runs", "50", "--dask", "tcp://127.0.0.1:{SILENT_PORT}"]),
    Case("dask-with-jobs", ["simulate", S, "--plan", PLAN, "--runs", "50", "--dask", "local:1", "--jobs", "2"]),
    Case("dask-nonsense-address", ["simulate", S, "--plan", PLAN, "--runs", "50", "--dask", "::nonsense::"]),
    # Messages that must not leave the user stuck.
    Case("toml-non-ascii-key", ["validate", "bad.toml"], says="quoted",
         setup=_scenario_replacing("Istanbul = 0.73, Ankara = 0.27", "İstanbul = 0.73, Ankara = 0.27")),
    Case("cell-of-300000-characters", ["validate", "bad.toml"],
         setup=_pool(_csv_rows(['"@huge,' + "x" * 300_000]))),
    Case("handles-equal-after-case-folding", ["validate", "bad.toml"],
         setup=_pool(_csv_rows([_with_handle("@ZEYNEP.CILT")]))),
    Case("handles-equal-in-nfc-and-nfd", ["validate", "bad.toml"],
         setup=_pool(_csv_rows([_with_handle("@ayşe.nfc"), _with_handle("@ays\u0327e.nfc")]))),
    Case("pool-with-nul-bytes", ["validate", "bad.toml"], setup=_pool(b"handle,followers,price\n@a,1\x00,2\n")),
    Case("pool-in-cp1254", ["validate", "bad.toml"],
         setup=_pool("handle,followers,price\n@ayşe,1000,200\n".encode("cp1254")), says="encoding"),
    Case("pool-empty", ["validate", "bad.toml"], setup=_pool(b"")),
    Case("pool-header-only", ["validate", "bad.toml"], setup=_pool(b"handle,followers,price\n")),
    Case("pool-missing-required-column", ["validate", "bad.toml"], setup=_pool(b"handle,price\n@a,100\n")),
    Case("pool-huge-number", ["validate", "bad.toml"], setup=_pool(b"handle,followers,price\n@a,1" + b"0" * 400 + b",5\n")),
    Case("pool-binary-garbage", ["validate", "bad.toml"], setup=_pool(bytes(range(256)) * 40)),
    Case("scenario-empty", ["validate", "empty.toml"], setup=_file("empty.toml", b"")),
    Case("scenario-unknown-key", ["validate", "bad.toml"], setup=_scenario_replacing("[budget]", "[budget]\ntotl = 5")),
    Case("scenario-deeply-nested", ["validate", "deep.toml"], setup=_file("deep.toml", b"x = " + b"[" * 5000 + b"]" * 5000)),
    Case("scenario-not-utf8", ["validate", "latin.toml"], setup=_file("latin.toml", 'name = "ayşe"\n'.encode("cp1254"))),
    Case("plan-not-json", ["evaluate", S, "odd-plan.json"], setup=_file("odd-plan.json", b"{selection: [")),
    Case("plan-posts-1e308", ["evaluate", S, "odd-plan.json"], setup=_plan([{"handle": _HANDLES[0], "posts": 1e308}])),
    Case("plan-posts-negative", ["evaluate", S, "odd-plan.json"], setup=_plan([{"handle": _HANDLES[0], "posts": -2}])),
    Case("plan-unknown-handle", ["evaluate", S, "odd-plan.json"], setup=_plan([{"handle": "@nobody.here", "posts": 1}])),
    Case("plan-handle-in-other-case", ["evaluate", S, "odd-plan.json"], code=0,
         setup=_plan([{"handle": "@AYSE.MAKEUP", "posts": 1}])),
    Case("plan-deeply-nested", ["evaluate", S, "odd-plan.json"], setup=_file("odd-plan.json", b"[" * 100000)),
    Case("history-empty", ["calibrate", "empty.csv"], setup=_file("empty.csv", b"")),
    Case("history-missing", ["calibrate", "nope.csv"]),
    Case("scenario-missing", ["validate", "nope.toml"]),
    Case("set-unknown-key", ["sweep", S, "--set", "budget.totl=1,2"]),
    Case("set-malformed", ["sweep", S, "--set", "budget.total"]),
    # Real-data reading options.
    Case("map-without-equals", ["validate", S, "--map", "views"]),
    Case("map-to-a-missing-column", ["validate", S, "--map", "avg_views=vid_nview"]),
    Case("semicolon-pool-loads", ["validate", "bad.toml"], code=0, setup=_pool(_semicolon_csv())),
    Case("calibration-file-missing", [*OPT, "--calibration", "nope.toml"]),
    Case("ingest-into-a-folder-with-its-files", ["ingest", "history.csv", "--out", "."]),
    Case("ingest-bad-timezone", ["ingest", "history.csv", "--timezone", "Mars/Olympus", "--out", "ing"]),
    Case("backtest-empty-file", ["backtest", "empty.csv"], setup=_file("empty.csv", b"")),
]


def _hashes(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.is_fifo():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _run(case: Case, base: Path, servers: dict) -> dict:
    folder = base / case.name
    folder.mkdir()
    shutil.copy(EXAMPLE / "scenario.toml", folder / S)
    shutil.copy(EXAMPLE / "creators.csv", folder / P)
    shutil.copy(HISTORY, folder / "history.csv")
    (folder / PLAN).write_text(json.dumps({"selection": [{"handle": h, "posts": 1} for h in _HANDLES[:6]]}),
                               encoding="utf-8")
    if case.setup:
        case.setup(folder, servers)
    before = _hashes(folder)
    args = [a.format(**{k: v for k, v in servers.items() if isinstance(v, str)}) for a in case.args]
    env = {**os.environ, "REACHMIX_STATE_DIR": str(base / "state"), "COLUMNS": "200", **case.env}
    env.pop("REACHMIX_DEBUG", None)
    try:
        proc = subprocess.run([str(REACHMIX), *args], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT, preexec_fn=_limit_memory, stdin=subprocess.DEVNULL)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = "timeout", exc.stdout or "", exc.stderr or ""
    after = _hashes(folder)
    return {"code": code, "stdout": out, "stderr": err, "before": before, "after": after, "folder": folder}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    servers: dict = {}
    _serve_http(servers)
    _serve_silent(servers)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = dict(zip((c.name for c in CASES), pool.map(lambda c: _run(c, base, servers), CASES)))
    finally:
        servers["_http"].shutdown()
        servers["_silent"].close()
    return done


def test_the_table_is_large_enough():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input(case: Case, results):
    r = results[case.name]
    err = r["stderr"]
    assert "Traceback" not in err and "Traceback" not in r["stdout"], err[-2000:]
    assert r["code"] == case.code, f"exit {r['code']}, stderr: {err[-1500:]}"
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    if case.code != 0:
        assert len(errors) == 1, err[-1500:]
        assert "internal error" not in errors[0], errors[0]
        if case.says:
            assert case.says.lower() in errors[0].lower(), errors[0]
    else:
        assert not errors, err[-1500:]
    changed = {name for name in r["before"] if r["after"].get(name) != r["before"][name]}
    assert changed <= set(case.writes), f"inputs changed or lost: {sorted(changed - set(case.writes))}"
    leftovers = [name for name in r["after"] if name not in r["before"] and ".tmp" in name]
    assert not leftovers, f"temporary files left behind: {leftovers}"
