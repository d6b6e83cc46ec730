"""Every Markdown file that the kit's code, params, tests and notebooks name exists.

A docstring or a params comment that points at ``docs/method.md`` is only useful if a
clone of the repository has that file. The scan looks for tokens ending in ``.md`` in
every text file under ``vqvae_lib/``, ``params/``, ``tests/`` and ``notebooks/`` and
accepts a name that resolves relative to the repository root, relative to the folder
of the file that names it, or as a file name found anywhere in the repository (outside
``.venv``, ``outputs``, ``.git``, ``.gpu`` and caches).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCAN_DIRS = ("vqvae_lib", "params", "tests", "notebooks")
SKIP_DIRS = frozenset({".venv", "outputs", ".git", ".gpu", "__pycache__", ".pytest_cache",
                       ".ipynb_checkpoints"})

# Files the kit writes at run time, named in its code but never part of the repository:
# name -> the module that writes it (checked below, so the list cannot go stale).
GENERATED = {"report.md": "vqvae_lib/analysis/report.py"}

# A path-like token ending in ".md": letters, digits, "_", ".", "/", "-", not followed by
# more name characters (so ".mdx" or "x.md-old" do not count).
MD_TOKEN = re.compile(r"(?<![\w./-])([\w.][\w./-]*\.md)(?![\w-])")
URL = re.compile(r"[A-Za-z][\w+.-]*://\S+")


@dataclass(frozen=True)
class Reference:
    """One ``.md`` name found in a file (``path`` relative to the scanned root)."""

    name: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.name}  ({self.path}:{self.line})"


def _walk(folder: Path):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            yield Path(dirpath) / f


def md_references(root: Path, scan_dirs=SCAN_DIRS, exclude=()) -> list[Reference]:
    """Every ``.md`` name in the text files under ``root / d`` for each of ``scan_dirs``.

    Binary files (any NUL byte) are skipped, and so are URLs; ``exclude`` lists files
    not to scan.
    """
    root = Path(root).resolve()
    skip = {Path(p).resolve() for p in exclude}
    found = []
    for d in scan_dirs:
        if not (root / d).is_dir():
            continue
        for path in _walk(root / d):
            if path.resolve() in skip or not path.is_file():
                continue
            data = path.read_bytes()
            if b"\0" in data:
                continue
            text = data.decode("utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                for m in MD_TOKEN.finditer(URL.sub(" ", line)):
                    found.append(Reference(m.group(1), path.relative_to(root).as_posix(), number))
    return found


def missing_references(root: Path, scan_dirs=SCAN_DIRS, exclude=()) -> list[Reference]:
    """The references of ``md_references`` that name no file of the repository at ``root``."""
    root = Path(root).resolve()
    basenames = {p.name for p in _walk(root) if p.suffix == ".md"}
    missing = []
    for ref in md_references(root, scan_dirs, exclude):
        name = Path(ref.name)
        here = (root / ref.path).parent
        if (root / name).is_file() or (here / name).is_file() or name.name in basenames:
            continue
        missing.append(ref)
    return missing


def test_every_named_md_file_exists():
    missing = [r for r in missing_references(REPO, exclude=[REPO / "tests" / Path(__file__).name])
               if r.name not in GENERATED]
    assert not missing, ("Markdown files named but not in the repository (point the "
                         "reference at an existing file, e.g. docs/method.md or "
                         "docs/quantizer.md, or add the file):\n  "
                         + "\n  ".join(str(r) for r in missing))


def test_generated_names_are_still_written_by_the_kit():
    for name, module in GENERATED.items():
        assert f'"{name}"' in (REPO / module).read_text(encoding="utf-8"), (
            f"{module} no longer writes {name}: drop it from GENERATED")


def test_scanner_reports_a_missing_file(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# here\n")
    pkg = tmp_path / "pkg" / "sub"
    pkg.mkdir(parents=True)
    (pkg / "near.md").write_text("# near\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "far.md").write_text("# far\n")
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "ghost.md").write_text("# not part of the repository\n")
    (pkg / "mod.py").write_text(
        '"""See docs/here.md (root), near.md and ../../docs/here.md (this folder),\n'
        "lib/far.md (found by name) and https://example.org/nowhere.md (a URL).\n"
        'Missing: docs/nothere.md; ghost.md exists only under outputs/."""\n')
    (pkg / "blob.bin").write_bytes(b"\0binary nothere.md")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "run.yaml").write_text("# see docs/here.md\nname: r  # x.mdx\n")

    missing = missing_references(tmp_path, scan_dirs=("pkg", "params"))

    assert [(r.name, r.path, r.line) for r in missing] == [
        ("docs/nothere.md", "pkg/sub/mod.py", 3),
        ("ghost.md", "pkg/sub/mod.py", 3),
    ]
    assert "docs/nothere.md  (pkg/sub/mod.py:3)" in [str(r) for r in missing]
    names = {r.name for r in md_references(tmp_path, scan_dirs=("pkg", "params"))}
    assert names == {"docs/here.md", "near.md", "../../docs/here.md", "lib/far.md",
                     "docs/nothere.md", "ghost.md"}
