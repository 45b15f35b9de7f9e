"""Every project module imports on its own, first, in a fresh interpreter: no import-order failure.

A module that only imports when some other module was imported before it ("cannot import name …
(most likely due to a circular import)", a registry still empty) works in the test suite and fails
for the one surface that imports it first. The check runs in one child interpreter: before each
module it forgets every project module (third-party ones stay loaded, they cannot depend on
ours), so each import starts from nothing, as in ``python -c "import <module>"``, at a fraction
of the cost of one interpreter per module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "memory", "tools", "agents", "ui")

_CHILD = """
import importlib, json, sys
packages, modules = json.loads(sys.argv[1])
failures = {}
for module in modules:
    for name in [n for n in sys.modules if n.partition(".")[0] in packages]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except Exception as exc:
        failures[module] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failures))
"""


def project_modules() -> list[str]:
    """Dotted names of every importable module of the project's packages (``__main__`` excluded)."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] != "__main__":
                names.append(".".join(parts))
    return names


def import_failures(root: Path, packages: tuple[str, ...], modules: list[str]) -> dict[str, str]:
    """Module -> error, importing each module of ``root`` first, in one child interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([packages, modules])], cwd=root,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    failures: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return failures


def test_the_check_finds_a_failure_that_depends_on_import_order(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("")
    (tmp_path / "tools" / "a.py").write_text("from tools.b import x\ny = 1\n")
    (tmp_path / "tools" / "b.py").write_text("x = 1\nfrom tools.a import y\n")
    # b first works (and would hide a's failure in one shared interpreter); a first fails
    failures = import_failures(tmp_path, ("tools",), ["tools.b", "tools.a"])
    assert list(failures) == ["tools.a"] and "circular import" in failures["tools.a"]


@pytest.mark.slow
def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = project_modules()
    failures = import_failures(ROOT, PACKAGES, modules)
    assert len(modules) > 50 and not failures, failures
