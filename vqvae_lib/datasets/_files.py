"""Path and file helpers shared by the dataset modules (not part of the public API)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .cliptable import ClipTable


def abs_path(base_dir: Path, p: str | os.PathLike) -> Path:
    """``p`` against ``base_dir`` when relative; normalised but symlinks kept, so the
    paths shown to the user are the ones they wrote."""
    return Path(os.path.abspath(Path(base_dir) / Path(p).expanduser()))


def need_file(path: Path, key: str, what: str) -> None:
    """Fail unless ``path`` is a file, naming the params key to fix (``key``)."""
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} (set '{key}' in the params file; "
                                "relative paths are relative to the params file's folder)")


def read_lines(path: Path) -> list[str]:
    """Non-empty lines, whatever the line endings (the official files use CRLF)."""
    text = path.read_text(encoding="utf-8-sig")
    return [line.strip() for line in text.splitlines() if line.strip()]


def make_table(rows: list[dict], tags: list[str], name: str, notes: list[str]) -> ClipTable:
    """A clip table whose ``clips`` frame has one row per entry of ``rows`` and the
    columns ``id, path, split, tags`` (``[len(rows), 4]``), whatever else the rows hold."""
    clips = pd.DataFrame(rows, columns=["id", "path", "split", "tags"])
    return ClipTable(clips=clips, tags=tags, name=name, notes=notes)
