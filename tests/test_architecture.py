"""The architecture's rules (issue item 8), enforced by parsing every module with ``ast``.

- ``scenarios/`` is the foundation: no solver, no simulator, no higher layer.
- ``optimizer/`` and ``simulate/`` build on ``scenarios`` and never on each other's callers.
- ``whatif/`` never imports the command line.
- ``reachmix/`` (the Python API) sits above ``whatif/``, like ``cli.py``, and never imports it.
- No module uses global random state (stdlib ``random`` or ``np.random.<function>``): every
  random draw goes through an explicit, seeded ``np.random.Generator``.
- Every module stays under 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scenarios", "optimizer", "simulate", "whatif", "reachmix")
FORBIDDEN = {
    "scenarios": {"pulp", "highspy", "simpy", "optimizer", "simulate", "whatif", "cli", "reachmix"},
    "optimizer": {"simulate", "whatif", "cli", "reachmix"},
    "simulate": {"optimizer", "whatif", "cli", "pulp", "highspy", "reachmix"},
    "whatif": {"cli", "reachmix"},
    # The Python API sits above whatif, beside the command line: it may use every layer but the CLI.
    "reachmix": {"cli", "cli_options"},
}
#: numpy.random names that do not touch the global state.
NUMPY_RANDOM_OK = {"default_rng", "Generator", "SeedSequence", "BitGenerator", "PCG64", "PCG64DXSM", "Philox",
                   "SFC64", "MT19937"}
MAX_LINES = 600


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, name: str, is_package: bool) -> set[str]:
    """Absolute names of every module ``source`` imports (relative imports resolved)."""
    tree = ast.parse(source)
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                mod = f"{prefix}.{node.module}" if node.module else prefix
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                out.add(node.args[0].value)
    return {m for m in out if m}


def global_random_uses(source: str) -> list[str]:
    """Every use of global random state in ``source``: stdlib random, or np.random.<function>."""
    tree = ast.parse(source)
    found: list[str] = []
    numpy_names: set[str] = set()
    np_random_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "random" or alias.name.startswith("random."):
                    found.append(f"line {node.lineno}: import {alias.name}")
                elif alias.name == "numpy":
                    numpy_names.add(alias.asname or "numpy")
                elif alias.name == "numpy.random":
                    if alias.asname:
                        np_random_names.add(alias.asname)
                    else:
                        numpy_names.add("numpy")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module == "random" or (node.module or "").startswith("random."):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            elif node.module == "numpy":
                for alias in node.names:
                    if alias.name == "random":
                        np_random_names.add(alias.asname or "random")
            elif node.module == "numpy.random":
                for alias in node.names:
                    if alias.name not in NUMPY_RANDOM_OK:
                        found.append(f"line {node.lineno}: from numpy.random import {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        value = node.value
        is_np_random = (
            isinstance(value, ast.Attribute) and value.attr == "random"
            and isinstance(value.value, ast.Name) and value.value.id in numpy_names
        ) or (isinstance(value, ast.Name) and value.id in np_random_names)
        if is_np_random and node.attr not in NUMPY_RANDOM_OK:
            found.append(f"line {node.lineno}: numpy.random.{node.attr}")
    return found


# --- the rules -------------------------------------------------------------------------------


def test_packages_exist_and_have_modules():
    assert len(modules("scenarios")) >= 8
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package


@pytest.mark.parametrize("package", PACKAGES)
def test_import_rules(package):
    broken = []
    for path in modules(package):
        name = module_name(path)
        imports = imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        for mod in sorted(imports):
            if mod.split(".")[0] in FORBIDDEN[package]:
                broken.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not broken, "; ".join(broken)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_global_random_state(package):
    broken = [f"{path.relative_to(ROOT)} {use}" for path in modules(package)
              for use in global_random_uses(path.read_text(encoding="utf-8"))]
    assert not broken, "; ".join(broken)


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_under_600_lines(package):
    long = []
    for path in modules(package):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_LINES:
            long.append(f"{path.relative_to(ROOT)} has {lines} lines")
    assert not long, "; ".join(long)


# --- the checkers themselves catch what they should ------------------------------------------


def test_import_checker_resolves_every_form():
    src = "\n".join([
        "import pulp",
        "import simulate.engine as eng",
        "from optimizer import milp",
        "from .. import whatif",
        "from ..cli import main",
        "from . import reach",
        "import importlib",
        "m = importlib.import_module('highspy')",
        "def f():\n    import simpy",
    ])
    found = imported_modules(src, "scenarios.sub.mod", is_package=False)
    assert {"pulp", "simulate.engine", "optimizer", "optimizer.milp", "scenarios.whatif",
            "scenarios.cli.main", "scenarios.sub.reach", "highspy", "simpy"} <= found
    # Relative imports from a top-level package module resolve inside it.
    assert "scenarios.reach" in imported_modules("from .reach import x", "scenarios.loader", is_package=False)
    assert "scenarios.reach" in imported_modules("from .reach import x", "scenarios", is_package=True)


@pytest.mark.parametrize("src", [
    "import random\nrandom.random()",
    "from random import shuffle",
    "import numpy as np\nnp.random.seed(1)",
    "import numpy as np\nx = np.random.rand(3)",
    "import numpy\nnumpy.random.normal()",
    "import numpy.random as npr\nnpr.choice([1])",
    "from numpy import random as r\nr.shuffle(x)",
    "from numpy.random import seed",
])
def test_random_checker_flags_global_state(src):
    assert global_random_uses(src)


@pytest.mark.parametrize("src", [
    "import numpy as np\nrng = np.random.default_rng(7)\nrng.random(3)",
    "import numpy as np\ndef f(rng: np.random.Generator):\n    return rng.normal()",
    "from numpy.random import default_rng, SeedSequence",
    "import numpy as np\nss = np.random.SeedSequence(1).spawn(3)",
])
def test_random_checker_allows_generators(src):
    assert global_random_uses(src) == []
