"""Report import cycles between the modules of packages (module-level imports only).

Usage: ``python scripts/import_cycles.py allocations rules service``. Each argument is a package
directory; its modules are named from the directory's name (``rules/funds.py`` is
``rules.funds``). An edge ``a -> b`` is an ``import`` or ``from ... import`` in the body of
module ``a`` (also inside a module-level ``if``/``try``, but not under ``if TYPE_CHECKING:``,
and not inside functions or classes) naming a module ``b`` of the given packages. Exits 1 and
prints each cycle when there is one, else prints nothing and exits 0.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def module_names(package: Path) -> dict[str, Path]:
    """Return ``{dotted module name: file}`` for every ``.py`` file under ``package``."""
    names = {}
    for file in sorted(package.rglob("*.py")):
        parts = [package.name, *file.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = file
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from _module_level(block)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
              files: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, base] if base else anchor)
    # ``from pkg import mod`` depends on the module ``pkg.mod`` when there is one, else on ``pkg``.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
            for alias in node.names]


def import_graph(packages: list[Path]) -> dict[str, set[str]]:
    """Return ``{module: modules it imports at module level}`` within ``packages``.

    The parent packages a dotted import runs first are not edges: they are being imported
    already when one of their modules runs.
    """
    files: dict[str, Path] = {}
    for package in packages:
        files.update(module_names(package))
    graph: dict[str, set[str]] = {}
    for module, file in files.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        is_package = file.name == "__init__.py"
        targets = {name for node in _module_level(tree.body)
                   for name in _imported(node, module, is_package, files)}
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected component that has one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
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
                found.append(_cycle_in(graph, set(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A path ``a -> ... -> a`` through ``component`` (a strongly connected set)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError("a strongly connected component has a cycle")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python scripts/import_cycles.py PACKAGE_DIR...", file=sys.stderr)
        return 2
    found = cycles(import_graph([Path(arg).resolve() for arg in argv]))
    for cycle in found:
        print("import cycle: " + " -> ".join(cycle))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
