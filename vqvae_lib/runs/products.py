"""What a finished step handed on, and whether its folder still agrees with it.

A step's record (``.steps/<step>.json``) keeps the size, time and sha256 of its products,
the files later steps read (``Step.products``). Their hashes enter the fingerprints of
the steps that read them, so a redone step makes everything downstream stale even when
its settings did not change. ``problems`` is what ``status`` checks before it says
``done``: the products are still those files, and the files of one step agree with each
other (as many predictions, ground-truth rows and clip ids per split; as many decisions
as test predictions).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..settings.registry import EVAL_SPLITS, RunPaths, get_step
from ..utils.provenance import file_changed, file_state


def product_names(root: Path, step: str) -> list[str]:
    """The product files of ``step`` in the run folder ``root``, relative, sorted."""
    names = set()
    for pattern in get_step(step).products:
        names.update(str(p.relative_to(root)) for p in root.glob(pattern) if p.is_file())
    return sorted(names)


def record_products(root: Path, step: str) -> dict[str, dict]:
    """``{name: {"size", "mtime_ns", "sha256"}}`` of ``step``'s products, for its record."""
    return {name: file_state(root / name) for name in product_names(root, step)}


def products_digest(products: dict[str, dict]) -> str:
    """One hash of the products' contents (names and sha256, not times)."""
    blob = json.dumps({n: s.get("sha256") for n, s in sorted(products.items())})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def features_digest(folder: Path) -> str | None:
    """The hash of a feature folder's contents, from the sha256s of its
    ``checksums.json`` (None for a folder written before checksums)."""
    try:
        sums = json.loads((folder / "checksums.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return products_digest(sums) if isinstance(sums, dict) else None


def _rows(path: Path) -> int | None:
    """Rows of a ``.npy`` (header only) or lines of a text file; None when unreadable."""
    try:
        if path.suffix == ".npy":
            import numpy as np

            return int(np.load(path, mmap_mode="r", allow_pickle=False).shape[0])
        return len(path.read_text().splitlines())
    except Exception:  # any damage reads as "no count": reported as a disagreement
        return None


def disagreements(root: Path, step: str) -> list[str]:
    """Files of one step whose row counts disagree, as phrases for ``status``."""
    paths = RunPaths(root)
    out = []
    if step == "tag":
        for split in EVAL_SPLITS:
            files = [paths.predictions(split), paths.groundtruth(split), paths.clip_ids(split)]
            counts = {f.name: _rows(f) for f in files if f.exists()}
            if len(set(counts.values())) > 1:
                out.append(f"{split} files disagree: " + ", ".join(
                    f"{name} {'unreadable' if n is None else f'{n} rows'}"
                    for name, n in counts.items()))
    if step == "evaluate":
        counts = {f.name: _rows(f) for f in (paths.decisions, paths.predictions("test"))
                  if f.exists()}
        if len(set(counts.values())) > 1:
            out.append("test files disagree: " + ", ".join(
                f"{name} {'unreadable' if n is None else f'{n} rows'}"
                for name, n in counts.items()))
    return out


def checkpoint_problem(path: Path) -> str | None:
    """Why a checkpoint cannot be loaded, found without loading it (None: it looks whole).
    ``torch.save`` writes a zip archive whose directory sits at its end, so a file cut
    short, or one overwritten by something else, has none to read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            if not any(n.endswith("data.pkl") for n in archive.namelist()):
                return "not a PyTorch checkpoint"
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        return f"cut short or damaged: {exc}"
    return None


def unreadable(root: Path, step: str) -> list[str]:
    """The checkpoints among ``step``'s outputs that exist and cannot be read, as phrases."""
    return [f"{name} cannot be read ({why})" for name in get_step(step).outputs
            if name.endswith(".pt") and (root / name).exists()
            and (why := checkpoint_problem(root / name)) is not None]


def problems(root: Path, step: str, record: dict) -> list[str]:
    """Why a step recorded as finished in ``root`` cannot count as done: products changed
    or gone since the record, or files that disagree. Empty when all holds."""
    out = []
    for name, state in (record.get("products") or {}).items():
        why = file_changed(root / name, state)
        if why is not None:
            out.append(f"{name} {'missing' if why == 'missing' else f'{why} changed'} "
                       "since the step ran")
    return out + disagreements(root, step)


__all__ = ["checkpoint_problem", "disagreements", "features_digest", "problems", "product_names",
           "products_digest", "record_products", "unreadable"]
