"""The library's shape: short modules, imports that point one way.

Read from the source with ``ast``, so an import inside a function counts as much as one
at the top of a file. Two kinds of block are not imports at run time and are skipped:
``if TYPE_CHECKING:`` (read by type checkers only) and ``if __name__ == "__main__":``
(runs only when the file is the program, as a module object of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vqvae_lib"
MAX_LINES = 330
# One function per figure, and the two model files that read as the paper's tables.
EXEMPT = {"plots.py", "quantizer.py", "taggers.py"}
# Pure analysis and drawing sit below the machinery that runs steps.
PURE = ("vqvae_lib.plots", "vqvae_lib.codebook_analysis")
RUNNING = ("vqvae_lib.steps", "vqvae_lib.runner", "vqvae_lib.pretrain", "vqvae_lib.tagging")


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def _skipped(node: ast.If) -> bool:
    test = node.test
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


def _imports(tree: ast.AST):
    """Import nodes of ``tree``, at any depth, outside the skipped blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _skipped(node):
            yield from (i for n in node.orelse for i in _imports_of(n))
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    yield from _imports(node)


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that module ``name`` (file ``path``) imports."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = here.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from X import y``: the module y when it is one, else (a name in) X.
            subs = [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in known]
            targets = subs or [stem]
        out.update(t for t in targets if t in known and t != name)
    return out


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    known = modules(package)
    return {name: imported(name, path, known) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_module_is_short():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if p.name not in EXEMPT and (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("pure", PURE)
def test_analysis_and_figures_do_not_load_the_run_machinery(pure):
    graph = import_graph()
    assert pure in graph, f"{pure} is missing"
    loaded = reachable(graph, pure) & set(RUNNING)
    assert not loaded, f"{pure} imports {sorted(loaded)} (directly or through others)"


def test_the_registry_imports_nothing_from_the_package():
    assert import_graph()["vqvae_lib.registry"] == set()


def test_the_checks_see_cycles_and_function_level_imports(tmp_path):
    pkg = tmp_path / "vqvae_lib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import thing\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .a import x\nfrom .sub import d\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "d.py").write_text("if __name__ == '__main__':\n    from .. import a\n"
                                      "def g():\n    from ..a import y\n")
    graph = import_graph(pkg)
    assert graph["vqvae_lib.b"] == {"vqvae_lib.c"}
    assert graph["vqvae_lib.c"] == {"vqvae_lib.sub.d"}
    assert find_cycle(graph) == ["vqvae_lib.a", "vqvae_lib.b", "vqvae_lib.c",
                                 "vqvae_lib.sub.d", "vqvae_lib.a"]
    (pkg / "sub" / "d.py").write_text("")
    assert find_cycle(import_graph(pkg)) is None
