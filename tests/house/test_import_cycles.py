"""No import cycles in issdash: a module never imports, directly or through others, a module
that imports it (imports made inside functions and under TYPE_CHECKING count too: a cycle
hidden there is still two modules that cannot be understood one without the other).

The layers contract (pyproject.toml, `lint-imports`) keeps packages in one direction; this
checks single modules, which the contract does not: two modules of one folder, or a module
and one below it that imports it back lazily.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from scripts.link_tree import lay_link_tree

ROOT = Path(__file__).resolve().parent.parent.parent


def _import_graph(tmp_path: Path) -> dict[str, list[str]]:
    """Every issdash module and the issdash modules it imports, read by grimp (the library
    under import-linter) from a tree with the installed layout."""
    links = lay_link_tree(tmp_path / "links")
    code = """
        import json, grimp
        graph = grimp.build_graph("issdash")
        print(json.dumps({
            m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules
        }))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={"PYTHONPATH": str(links), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    graph: dict[str, list[str]] = json.loads(done.stdout)
    return graph


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, or of one module that
    imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, []):
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
            if len(component) > 1 or node in graph.get(node, []):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_finds_a_cycle() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": ["e"]}
    assert strongly_connected(graph) == [["a", "b", "c"], ["e"]]
    assert strongly_connected({"a": ["b"], "b": []}) == []


def test_no_module_of_issdash_is_in_an_import_cycle(tmp_path: Path) -> None:
    graph = _import_graph(tmp_path)
    # The graph is the whole package (a tree laid wrongly would find nothing to check).
    assert {"issdash.commands.cli", "issdash.widgets.ground_track", "issdash.feeds.poller"} <= set(
        graph
    )
    assert strongly_connected(graph) == []


def test_every_module_is_in_a_layer_of_the_contract(tmp_path: Path) -> None:
    """The layers contract names folders: every module but the package's own __init__ and
    __main__ is inside one of them, so none escapes the check."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    assert layers["containers"] == ["issdash"]
    assert len(layers["layers"]) <= 8
    folders = {f"issdash.{name}" for layer in layers["layers"] for name in layer.split(" | ")}
    outside = [
        m
        for m in _import_graph(tmp_path)
        if m not in ("issdash", "issdash.__main__")
        and not any(m == f or m.startswith(f + ".") for f in folders)
    ]
    assert outside == []
