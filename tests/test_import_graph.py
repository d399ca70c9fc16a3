"""The package's import graph is top-down (issue 20): no cycle, no private name taken from another module.

Every ``import`` and ``from ... import`` of every module of ``sklearn_emotion`` counts, those inside
functions included (a lazy import still ties the two modules together).  Relative imports are resolved;
``from package import submodule`` is an edge to the submodule.  Importing ``a.b`` runs ``a/__init__.py``
first, but that implicit edge to a parent package is not counted: only an explicit import of a package
(``from .. import name``) is an edge to its ``__init__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "sklearn_emotion"
PACKAGE = PACKAGE_DIR.name


def _module_names() -> dict[str, Path]:
    """``{dotted module name: file}`` of every module of the package (packages by their ``__init__``)."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _imports(module: str, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """``(target module, imported name or "", line)`` for every import of ``module`` inside the package."""
    found = []
    base = module if _is_package(module, modules) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(modules[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names if alias.name in modules]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")[: len(base.split(".")) - node.level + 1]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:  # `from package import submodule`
                    found.append((submodule, "", node.lineno))
                elif source in modules:  # a name of a module (an import of a missing one fails on its own)
                    found.append((source, alias.name, node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _module_names()
    return {module: {target for target, _, _ in _imports(module, modules) if target != module} for module in modules}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_relative_imports_resolve_to_modules_of_the_package():
    modules = _module_names()
    edges = {target for target, _, _ in _imports(f"{PACKAGE}.media.union", modules)}
    assert f"{PACKAGE}.media._base" in edges and all(edge in modules for edge in edges)
    assert len(_graph()) == len(modules) > 50


def test_the_import_graph_has_no_cycle():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle inside the package (imports inside functions count): " + " -> ".join(cycle)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_imports_a_private_name_from_another():
    modules = _module_names()
    private = [
        f"{modules[module].relative_to(PACKAGE_DIR.parent)}:{line}: from {target} import {name}"
        for module in modules
        for target, name, line in _imports(module, modules)
        if target != module and _is_private(name)
    ]
    assert not private, "private names imported across modules (make them public):\n" + "\n".join(private)
