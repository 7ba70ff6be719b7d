"""No import cycle in mlsalary/: the import graph, built from the sources with ast, is acyclic.

Imports inside functions count too: a lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mlsalary"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    # A C extension (built from its .c source) is a module too, one that imports none of ours.
    extensions = {module_name(p.with_suffix(".py")): p for p in PACKAGE.rglob("*.c")}
    graph: dict[str, set[str]] = {name: set() for name in [*paths, *extensions]}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from ..y import z
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # from pkg import submodule -> the submodule; from module import name -> the module
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in graph else base for alias in node.names]
            for target in targets:
                while target and target not in graph:  # a name inside a module: the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_and_package_imports():
    graph = import_graph()
    assert "mlsalary.runtime.compiled_model" in graph["mlsalary.runtime.load"]  # imported inside load()
    assert "mlsalary.train.export" in graph["mlsalary.train.store"]  # from mlsalary.train import export
    assert "mlsalary.runtime.quantiles" in graph["mlsalary.train.salary_model"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_in_mlsalary():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    reached, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += graph[name]
    return reached


def test_runtime_never_imports_train():
    # The layers of docs/architecture.md: a model folder is read and evaluated without the
    # training code, directly or through anything runtime/ imports.
    graph = import_graph()
    for name in graph:
        if name.startswith("mlsalary.runtime"):
            trained = sorted(m for m in reachable(graph, name) if m.startswith("mlsalary.train"))
            assert not trained, f"{name} reaches {trained}"


def test_only_the_command_line_imports_the_command_line():
    graph = import_graph()
    for name, targets in graph.items():
        if not name.startswith("mlsalary.cli") and name != "mlsalary.__main__":
            assert not [t for t in targets if t.startswith("mlsalary.cli")], name


def test_the_layer_check_can_fail():
    graph = {"mlsalary.runtime.x": {"mlsalary.y"}, "mlsalary.y": {"mlsalary.train.z"}, "mlsalary.train.z": set()}
    assert reachable(graph, "mlsalary.runtime.x") == {"mlsalary.runtime.x", "mlsalary.y", "mlsalary.train.z"}


def private_imports(source: str) -> list[str]:
    """Modules imported from another package's private parts (`typer._click`, `sklearn.x._y`);
    the standard library's own C modules (`_csv`) are its public business."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found += [n for n in names if n.split(".")[0] not in ("mlsalary", *sys.stdlib_module_names) and any(p.startswith("_") and not p.startswith("__") for p in n.split("."))]
    return found


# scikit-learn's internals are read in one module by design (docs/architecture.md); anything
# else uses a library through its public names, so an upgrade cannot break it silently.
PRIVATE_ALLOWED = {"mlsalary.train.export"}


def test_third_party_packages_are_used_through_their_public_names():
    for path in PACKAGE.rglob("*.py"):
        if module_name(path) not in PRIVATE_ALLOWED:
            assert not private_imports(path.read_text()), f"{path}: {private_imports(path.read_text())}"


def test_the_private_import_check_can_fail():
    assert private_imports("from typer._click.globals import get_current_context\nimport os") == ["typer._click.globals"]
    assert private_imports("from mlsalary.runtime import _forest\nfrom . import _x\nimport _csv") == []
