"""The package's shape: no import cycles (imports inside functions count), small modules,
a pure projection layer, and a small public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import numguard

PACKAGE = Path(numguard.__file__).parent
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
#: Compiled modules (the backstop's C helper): imported, but with no Python imports.
EXTENSIONS = {module_name(p) for p in PACKAGE.rglob("*.c")}


def resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path) -> set[str]:
    """Every numguard module `module` imports, at any depth of its code."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node, path.name == "__init__.py")
            names = [f"{target}.{alias.name}"
                     if f"{target}.{alias.name}" in MODULES.keys() | EXTENSIONS else target
                     for alias in node.names]
        else:
            continue
        for name in names:
            if name in EXTENSIONS:
                continue
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: imports_of(module, path) for module, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_not_even_through_imports_inside_functions():
    # A submodule that imports its own package's __init__ would make a cycle with it.
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most about {MAX_LINES})"


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        for nxt in GRAPH.get(module, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_projection_layer_is_pure():
    """What a call would allocate depends on shapes and dtypes alone: no settings, no
    policy, no reports, no overrides, no budget."""
    impure = {"numguard", "numguard.settings", "numguard.scope", "numguard.policy",
              "numguard.report", "numguard.errors", "numguard.backstop", "numguard.memory"}
    projection = [m for m in MODULES if m.startswith("numguard.projection")]
    assert projection, "numguard.projection is missing"
    for module in projection:
        bad = {m for m in reachable(module) if m in impure or m.startswith(
            ("numguard.guarded", "numguard.backstop", "numguard.memory"))}
        assert not bad, f"{module} reaches {sorted(bad)}"


def test_the_public_api_is_small_and_every_name_exists():
    assert 12 <= len(numguard.__all__) <= 17, numguard.__all__
    for name in numguard.__all__:
        assert hasattr(numguard, name), name
    assert callable(numguard.estimate)  # a function, shadowing no subpackage
    assert not (PACKAGE / "estimate").exists() and not (PACKAGE / "estimate.py").exists()


#: Constructors of locks: a forked child inherits them held if a thread held them.
LOCK_TYPES = {"Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"}


def test_every_lock_is_made_by_forksafe_so_a_forked_child_gets_a_new_one():
    """#21.2: found by search, not by memory: a module that makes a lock of its own (a
    threading.Lock() at module level or in a class) must make it through
    numguard.forksafe.lock, which renews it in a forked child."""
    offenders = []
    for module, path in MODULES.items():
        if module == "numguard.forksafe":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in LOCK_TYPES:
                    offenders.append(f"{module}:{node.lineno}: {name}()")
    assert not offenders, offenders
