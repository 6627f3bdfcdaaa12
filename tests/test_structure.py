"""The shape of the code: no import cycle between the top-level packages of pluralspace, no router importing a router.

The graph is read from the source with `ast` (nothing is imported), counting every import, including those inside
functions and under TYPE_CHECKING: a lazy import hides a cycle from Python, not from the reader.
`python -m tests.test_structure` prints the package graph, one package and what it imports per line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "pluralspace"
SOURCE = Path(__file__).resolve().parent.parent / "src" / PACKAGE
# The one cycle allowed, with why; any other cycle, or a package joining this one, fails.
ALLOWED_CYCLES: dict[frozenset[str], str] = {
    frozenset({"members", "groups", "relationships"}):
        "one aggregate split by resource: a member's ?include=groups,relationships reads the group and relationship "
        "tables for a whole page at once (members/service.py load_extras, MemberOut.relationships), while groups "
        "list their members and relationships resolve the members they link. Breaking it means assembling includes "
        "above the three packages, a change of the include mechanism rather than a move.",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[str]:
    """The pluralspace modules `path` imports, as absolute dotted names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            yield target
            # `from . import service` imports the module pluralspace.<pkg>.service.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def top_level(module: str) -> str | None:
    """The top-level package (or module) of pluralspace that `module` belongs to; None for pluralspace itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def module_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in SOURCE.rglob("*.py") if "migrations" not in path.parts}
    return {name: {target for target in imported_modules(path) if target in modules and target != name}
            for name, path in modules.items()}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in module_graph().items():
        source = top_level(module)
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        edges.update(package for target in targets if (package := top_level(target)) not in (None, source))
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of nodes that reach one another (a group of more than one is a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [group for group in groups if len(group) > 1]


def router_modules() -> set[str]:
    """The modules that declare routes (an `APIRouter`), whatever their name (`router.py`, `sign_in_pages.py`)."""
    return {module_name(path) for path in SOURCE.rglob("*.py") if "APIRouter(" in path.read_text()}


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(graph) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_relative_and_lazy_imports():
    graph = module_graph()
    assert "pluralspace.kit.db" in graph["pluralspace.app"]  # `from .kit.db import ...`
    assert "pluralspace.ops.preflight" in graph["pluralspace.cli"]  # imported inside a function


def test_no_cycle_between_top_level_packages():
    cycles = [group for group in strongly_connected(package_graph()) if frozenset(group) not in ALLOWED_CYCLES]
    assert cycles == [], f"import cycles between packages of {PACKAGE} (see `python -m tests.test_structure`)"


def test_no_router_imports_another_router():
    # A router is HTTP only: what two routers share (request types, policies) lives in a non-router module.
    routers = router_modules()
    assert {"pluralspace.members.router", "pluralspace.accounts.sign_in_pages"} <= routers
    found = {module: sorted(targets & routers) for module, targets in module_graph().items() if module in routers}
    assert {module: targets for module, targets in found.items() if targets} == {}


if __name__ == "__main__":
    graph = package_graph()
    for package in sorted(graph):
        print(f"{package} -> {', '.join(sorted(graph[package])) or '(nothing)'}")
    for group in strongly_connected(graph):
        print(f"CYCLE: {', '.join(sorted(group))}")
