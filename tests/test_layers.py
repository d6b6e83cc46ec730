"""The package's shape: layers in folders, imports that run one way, short modules.

Imports are read from the source with ``ast``, every one of them: at the top of a file,
inside a function, and under ``if TYPE_CHECKING:`` (a type is a dependency too). The
layer order is ``vqvae_lib.LAYERS``, written down once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vqvae_lib

PACKAGE = Path(vqvae_lib.__file__).resolve().parent
MAX_LINES = 330
# One function per figure, and the two model files that read as the paper's tables.
EXEMPT = {"plots.py", "quantizer.py", "taggers.py"}
MAX_MODULES_PER_FOLDER = 12
# Modules allowed directly under vqvae_lib/.
TOP_MODULES = {"__init__.py", "__main__.py", "cli.py"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that module ``name`` (file ``path``) imports, anywhere in it."""
    root = name.split(".")[0]
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from X import y``: the module y when it is one, else (a name in) X.
            subs = [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in known]
            targets = subs or [stem]
        else:
            continue
        for t in targets:
            # ``import vqvae_lib.a.b`` loads vqvae_lib.a.b; a name not a module: its module
            while t and t not in known and t != root:
                t = t.rpartition(".")[0]
            if t in known and t != name:
                out.add(t)
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


def layer_of(module: str, layers: tuple[str, ...]) -> int | None:
    """Index of the module's layer in ``layers``; None for the package itself (its face:
    ``__version__`` and ``LAYERS``) and ``__main__`` (the program, above every layer)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return None
    return layers.index(parts[1]) if parts[1] in layers else -1


def upward_imports(graph: dict[str, set[str]], layers: tuple[str, ...]) -> list[str]:
    """``a -> b`` for every import of a higher layer, or of a folder not in ``layers``."""
    bad = []
    for a, targets in sorted(graph.items()):
        la = layer_of(a, layers)
        if la == -1:
            bad.append(f"{a}: its folder is not a layer of LAYERS")
            continue
        for b in sorted(targets):
            lb = layer_of(b, layers)
            if la is not None and lb is not None and lb > la:
                bad.append(f"{a} ({layers[la]}) -> {b} ({layers[lb]})")
    return bad


def test_every_module_is_short():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if p.name not in EXEMPT and (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_run_down_the_layers():
    bad = upward_imports(import_graph(), vqvae_lib.LAYERS)
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(bad)


def test_the_package_face_imports_nothing_of_the_kit():
    assert import_graph()["vqvae_lib"] == set()


def test_each_layer_is_a_folder_with_its_docstring():
    folders = sorted(p for p in PACKAGE.iterdir()
                     if p.is_dir() and (p / "__init__.py").exists())
    assert {p.name for p in folders} == set(vqvae_lib.LAYERS) - {"cli"}
    for folder in [*folders, *(p.parent for p in PACKAGE.glob("*/*/__init__.py"))]:
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc and len(doc) > 80, f"{folder}/__init__.py: say what the layer is"


def test_the_top_holds_only_the_entry_points():
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top <= TOP_MODULES, f"modules directly under vqvae_lib/: {sorted(top - TOP_MODULES)}"


def test_folders_are_small_and_names_do_not_repeat_the_folder():
    for folder in {p.parent for p in PACKAGE.rglob("*.py")}:
        mods = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert len(mods) <= MAX_MODULES_PER_FOLDER, f"{folder}: {len(mods)} modules"
        stem = folder.name.rstrip("s")
        repeats = [p.name for p in mods if folder != PACKAGE and p.stem.startswith(stem + "_")]
        assert not repeats, f"{folder}: {repeats} repeat the folder's name"


def test_the_registry_imports_nothing_from_the_package():
    assert import_graph()["vqvae_lib.settings.registry"] == set()


def _plant(tmp_path: Path) -> Path:
    pkg = tmp_path / "vqvae_lib"
    for sub in ("low", "high"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text('"""a layer"""\n')
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from .b import thing\n")
    (pkg / "low" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from .c import x\n")
    (pkg / "low" / "c.py").write_text("import vqvae_lib.high.d\n")
    (pkg / "high" / "d.py").write_text("from ..low import a\nfrom ..low.b import y\n")
    return pkg


def test_the_checks_see_cycles_and_upward_imports_wherever_they_are(tmp_path):
    pkg = _plant(tmp_path)
    layers = ("low", "high")
    graph = import_graph(pkg)
    assert graph["vqvae_lib.low.a"] == {"vqvae_lib.low.b"}  # inside a function
    assert graph["vqvae_lib.low.b"] == {"vqvae_lib.low.c"}  # under TYPE_CHECKING
    assert graph["vqvae_lib.high.d"] == {"vqvae_lib.low.a", "vqvae_lib.low.b"}
    assert find_cycle(graph) == ["vqvae_lib.high.d", "vqvae_lib.low.a", "vqvae_lib.low.b",
                                 "vqvae_lib.low.c", "vqvae_lib.high.d"]
    assert upward_imports(graph, layers) == ["vqvae_lib.low.c (low) -> vqvae_lib.high.d (high)"]
    (pkg / "low" / "c.py").write_text("")
    graph = import_graph(pkg)
    assert find_cycle(graph) is None and upward_imports(graph, layers) == []


@pytest.mark.parametrize("layer", vqvae_lib.LAYERS[:-1])
def test_tests_mirror_the_package(layer):
    tests = Path(__file__).resolve().parent
    assert (tests / layer).is_dir() and list((tests / layer).glob("test_*.py")), \
        f"tests/{layer}/ should hold the tests of vqvae_lib/{layer}/"
