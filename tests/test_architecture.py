"""The package's shape (docs/architecture.md): no import cycle at module level, no cycle of
more than three modules counting every import, no module over 400 lines. The import rules
themselves (layers, the SDK behind engine/) are import-linter's contracts in pyproject.toml.

``python -m tests.test_architecture`` prints the cycles and the largest modules.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "django_hatchet"
MAX_CYCLE = 3
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Every module of the package but its migrations: dotted name -> file."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(node: ast.AST, module_level: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements under ``node``: all of them, or only those run when the module
    is imported (not in functions, not under ``if TYPE_CHECKING``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif (
            module_level and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        ) or (module_level and isinstance(child, ast.If) and _is_type_checking(child)):
            continue
        else:
            yield from _imports(child, module_level)


def import_graph(module_level: bool) -> dict[str, set[str]]:
    """Module -> the package's modules it imports. A package's ``__init__`` stands for the
    package: ``from .. import encoding`` is an edge to the package and to ``encoding``."""
    found = modules()
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, path in found.items():
        is_package = path.name == "__init__.py"
        base = name.split(".") if is_package else name.split(".")[:-1]
        for node in _imports(ast.parse(path.read_text()), module_level):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                prefix = base[: len(base) - node.level + 1] if node.level else []
                origin = ".".join([*prefix, *([node.module] if node.module else [])])
                # ``from X import name`` imports X (a package's __init__ too), and the
                # submodule ``X.name`` when there is one.
                targets = [origin, *(f"{origin}.{alias.name}" for alias in node.names)]
            for target in targets:
                while target and target not in found:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, largest first (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=len, reverse=True)


def test_no_import_cycle_at_module_level():
    assert cycles(import_graph(module_level=True)) == []


def test_no_import_cycle_of_more_than_three_modules_counting_every_import():
    found = cycles(import_graph(module_level=False))
    assert [c for c in found if len(c) > MAX_CYCLE] == []


def test_no_module_over_400_lines():
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_graph_sees_imports_inside_functions_and_under_type_checking():
    # The measure itself: a lazy import and a TYPE_CHECKING import are edges.
    everything = import_graph(module_level=False)
    at_import = import_graph(module_level=True)
    assert "django_hatchet.jobs.query" in everything["django_hatchet.jobs.job"]
    assert "django_hatchet.jobs.query" not in at_import["django_hatchet.jobs.job"]
    assert "django_hatchet.jobs.job" in everything["django_hatchet.jobs.registry"]  # Typing.
    assert "django_hatchet.backends.base" in everything["django_hatchet.runs.handle"]
    assert "django_hatchet.backends.base" not in at_import["django_hatchet.runs.handle"]


if __name__ == "__main__":
    for label, module_level in (("module level", True), ("every import", False)):
        found = cycles(import_graph(module_level))
        largest = len(found[0]) if found else 0
        print(f"{label}: {len(found)} cycle(s), the largest of {largest} module(s)")
        for component in found:
            print(f"  {len(component)}: {', '.join(component)}")
    sizes = sorted(
        ((len(p.read_text().splitlines()), n) for n, p in modules().items()), reverse=True
    )
    print("largest modules:", ", ".join(f"{n} {lines}" for lines, n in sizes[:5]))
    sys.exit(0)
