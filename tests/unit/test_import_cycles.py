"""No import circles among pmpilot's modules, function-level (lazy) imports included.

A lazy import hides a circle from Python but not from the design: the two modules still need each
other. Every ``import``/``from … import`` anywhere in a module counts (except under
``if TYPE_CHECKING:``); a strongly connected component of that graph with two or more modules is
a circle. The circles known when this test was written are listed in ``ALLOWED``; the list may
only shrink: a new circle fails, and so does an entry whose circle is gone (delete it).

``agents.deliverables`` imports the module of every kind in ``kernel.kinds`` by name (importlib);
those imports count as edges too (:func:`registry_edges`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "memory", "tools", "agents", "ui")

#: Circles still to remove (issue #18). A found circle may be a part of one of these, never new.
ALLOWED: tuple[frozenset[str], ...] = ()


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _nearest(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules that ``name`` imports anywhere in its body (not under ``if TYPE_CHECKING:``)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                pending.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                found.update(t for a in child.names if (t := _nearest(a.name, known)))
            elif isinstance(child, ast.ImportFrom):
                base = package[: len(package) - child.level + 1] if child.level else []
                module = ".".join([*base, *([child.module] if child.module else [])])
                for alias in child.names:
                    target = f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else _nearest(module, known)
                    if target:
                        found.add(target)
            else:
                pending.append(child)
    found.discard(name)
    return found


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def registry_edges(known: dict[str, Path]) -> set[str]:
    """The kind modules ``agents.deliverables`` imports by name, one per kind of ``kernel.kinds``."""
    from kernel.kinds import DELIVERABLE_KINDS

    edges = {f"agents.deliverables.{kind}" for kind in DELIVERABLE_KINDS}
    assert edges <= set(known), f"a kind without its module: {sorted(edges - set(known))}"
    return edges


def project_circles() -> list[frozenset[str]]:
    known = project_modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    graph["agents.deliverables"] |= registry_edges(known)
    return circles(graph)


def test_the_checker_finds_lazy_and_relative_circles(tmp_path: Path) -> None:
    pkg = tmp_path / "tools"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from tools import c\n    return c\n")
    (pkg / "c.py").write_text("import tools.a\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tools import a\n")
    known = {name: path for name, path in project_modules(tmp_path).items()}
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["tools.b"] == {"tools.c"} and graph["tools.d"] == set()
    assert circles(graph) == [frozenset({"tools.a", "tools.b", "tools.c"})]


def test_no_new_import_circles() -> None:
    new = [sorted(c) for c in project_circles() if not any(c <= allowed for allowed in ALLOWED)]
    assert not new, f"new import circle(s), lazy imports included: {new}"


def test_the_allow_list_only_shrinks() -> None:
    found = project_circles()
    gone = [sorted(allowed) for allowed in ALLOWED if not any(c <= allowed for c in found)]
    assert not gone, f"these circles are gone: delete them from ALLOWED in {Path(__file__).name}: {gone}"
