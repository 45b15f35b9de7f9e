"""No import circles among pmpilot's modules, function-level (lazy) imports included.

A lazy import hides a circle from Python but not from the design: the two modules still need each
other. Every ``import``/``from … import`` anywhere in a module counts (except under
``if TYPE_CHECKING:``); a strongly connected component of that graph with two or more modules is
a circle. The circles known when this test was written are listed in ``ALLOWED``; the list may
only shrink: a new circle fails, and so does an entry whose circle is gone (delete it).

``importlib.import_module("x")`` / ``__import__("x")`` with a literal name counts like ``import x``.
An import by a computed name is invisible to this graph, so only the modules in :data:`COMPUTED`
may make one, each with the function that gives its edges: ``agents.deliverables`` imports the
module of every kind in ``kernel.kinds`` by name (:func:`registry_edges`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
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


def _import_call(node: ast.AST) -> ast.Call | None:
    """``node`` when it is a call of ``importlib.import_module``, ``import_module`` or ``__import__``."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return node if called in ("import_module", "__import__") else None


def _literal_name(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def computed_imports(path: Path) -> list[int]:
    """Lines where the module imports by a name that is not a literal (the graph cannot see the target)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(call.lineno for node in ast.walk(tree)
                  if (call := _import_call(node)) is not None and _literal_name(call) is None)


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
                call = _import_call(child)
                literal = _literal_name(call) if call is not None else None
                if literal is not None and (target := _nearest(literal, known)):
                    found.add(target)
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


#: Modules allowed to import by a computed name, each with what gives the edges of those imports.
COMPUTED: dict[str, Callable[[dict[str, Path]], set[str]]] = {"agents.deliverables": registry_edges}


def project_circles() -> list[frozenset[str]]:
    known = project_modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    for name, edges in COMPUTED.items():
        graph[name] |= edges(known)
    return circles(graph)


def test_the_checker_finds_lazy_and_relative_circles(tmp_path: Path) -> None:
    pkg = tmp_path / "tools"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from tools import c\n    return c\n")
    (pkg / "c.py").write_text("import tools.a\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tools import a\n")
    (pkg / "e.py").write_text("import importlib\ndef load():\n    return importlib.import_module('tools.f')\n")
    (pkg / "f.py").write_text("def load(kind):\n    return __import__('tools.e') or __import__(f'tools.{kind}')\n")
    known = {name: path for name, path in project_modules(tmp_path).items()}
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["tools.b"] == {"tools.c"} and graph["tools.d"] == set() and graph["tools.e"] == {"tools.f"}
    assert sorted(circles(graph), key=len) == [frozenset({"tools.e", "tools.f"}),
                                               frozenset({"tools.a", "tools.b", "tools.c"})]
    assert computed_imports(known["tools.f"]) == [2] and computed_imports(known["tools.e"]) == []


def test_only_the_listed_modules_import_by_a_computed_name() -> None:
    found = {name for name, path in project_modules().items() if computed_imports(path)}
    assert found <= set(COMPUTED), f"imports the cycle check cannot see (add them to COMPUTED): {sorted(found)}"


def test_no_new_import_circles() -> None:
    new = [sorted(c) for c in project_circles() if not any(c <= allowed for allowed in ALLOWED)]
    assert not new, f"new import circle(s), lazy imports included: {new}"


def test_the_allow_list_only_shrinks() -> None:
    found = project_circles()
    gone = [sorted(allowed) for allowed in ALLOWED if not any(c <= allowed for c in found)]
    assert not gone, f"these circles are gone: delete them from ALLOWED in {Path(__file__).name}: {gone}"
