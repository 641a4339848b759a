"""The import graph among skmix's modules has no cycle.

Every module is parsed with ``ast`` and every import counts, also those inside
functions (which hide a cycle from Python's import machinery, not from a
reader): ``import skmix.x``, ``from skmix import x``, ``from . import x``,
``from .x import y`` and ``from skmix.x import y``.
"""

import ast
import pathlib

import pytest

import skmix

PACKAGE = pathlib.Path(skmix.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def skmix_imports(source, modules=MODULES):
    """The skmix modules that a module's source imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "skmix" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "skmix":
                    continue
                parts = parts[1:]
            elif node.level == 1:
                parts = node.module.split(".") if node.module else []
            else:  # no subpackages: nothing above skmix
                continue
            if parts:
                found.add(parts[0])
            else:  # from skmix import x / from . import x: x may be a module
                found.update(a.name for a in node.names if a.name in modules)
    return found & set(modules)


def import_graph():
    return {
        name: skmix_imports((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        - {name}
        for name in MODULES
    }


def find_cycle(graph):
    """A list of modules forming a cycle (first == last), or None."""
    state = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state[nxt] == 0:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state[node] == 0:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from ._summary import Summary", {"_summary"}),
        ("def f():\n    from . import _dask, _kernels\n", {"_dask", "_kernels"}),
        ("import skmix._layout as layout", {"_layout"}),
        ("from skmix._densities import sample_terms", {"_densities"}),
        ("from skmix import _summary, make_mixture", {"_summary"}),
        ("from . import make_mixture", set()),
        ("import numpy as np\nfrom sklearn.base import clone", set()),
    ],
)
def test_imports_are_found_anywhere(source, expected):
    assert (
        skmix_imports(
            source, ["_dask", "_densities", "_kernels", "_layout", "_summary"]
        )
        == expected
    )


def test_find_cycle_finds_a_hidden_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_among_skmix_modules():
    graph = import_graph()
    assert len(graph) > 10
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_layout_imports_nothing_from_skmix():
    assert import_graph()["_layout"] == set()


def test_the_summary_sees_only_the_layout_and_no_build_sees_the_dispatch():
    graph = import_graph()
    assert graph["_summary"] <= {"_layout"}
    builds = ("_build_numpy", "_array_api", "_kernels", "_dask")
    assert not any("_dispatch" in graph[name] for name in builds)
