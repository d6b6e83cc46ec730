"""``<run>/previous/``: what a step wrote before it ran again from scratch, kept.

``run`` never deletes results: a step that starts over moves its files here first, to
``previous/<step>-<UTC time>/`` with the same relative paths and an ``ARCHIVED.txt`` that
says why. ``vqvae-kit prune`` is the only command that removes archives.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .registry import RunPaths, get_step


def utc_stamp() -> str:
    """``YYYYmmddTHHMMSSZ``: the suffix of an archive folder."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def new_archive(paths: RunPaths, step: str) -> Path:
    """A fresh ``previous/<step>-<UTC time>/`` path (not created)."""
    base = paths.previous / f"{step}-{utc_stamp()}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def list_archives(paths: RunPaths) -> list[Path]:
    """The folders in ``previous/``, oldest first (by the UTC time in their names)."""
    if not paths.previous.is_dir():
        return []
    found = [p for p in paths.previous.iterdir() if p.is_dir()]
    return sorted(found, key=lambda p: (p.name.split("-", 1)[-1], p.name))


def archive_step(paths: RunPaths, run_name: str, step: str, reason: str,
                 notebook: bool = True) -> Path | None:
    """Move everything ``step`` wrote (its record, and with ``notebook`` its executed
    notebook) to ``previous/<step>-<UTC time>/``, keeping relative paths, and note
    ``reason`` there. Returns the archive, or None when there was nothing to move."""
    s = get_step(step)
    record = paths.record(step).relative_to(paths.root).as_posix()
    patterns = [*s.files, record] + ([s.notebook] if notebook else [])
    found = sorted({p for pat in patterns for p in paths.root.glob(pat)
                    if paths.previous not in p.parents})
    if not found:
        return None
    dest = new_archive(paths, step)
    for src in found:
        target = dest / src.relative_to(paths.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(target))
    (dest / "ARCHIVED.txt").write_text(
        f"step {step} of run {run_name}, moved here at {utc_stamp()}: {reason}\n")
    return dest


def set_aside_files(folder: Path, files: tuple[Path, ...], reason: str) -> Path:
    """Outside a run folder (a ``Trainer`` used on its own): move ``files`` that exist to
    ``folder/previous/<UTC time>/`` and note ``reason`` there."""
    dest = Path(folder) / RunPaths.PREVIOUS / utc_stamp()
    dest.mkdir(parents=True, exist_ok=True)
    for path in files:
        if path.exists():
            path.replace(dest / path.name)
    (dest / "REASON.txt").write_text(reason + "\n")
    return dest
