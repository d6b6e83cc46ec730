"""A feature folder that checks itself before a step reads it.

Extraction writes ``checksums.json`` last but one (before ``DONE``): each file's size,
modification time and sha256. ``verify_folder`` runs when a ``FeatureStore`` opens the
folder. It hashes only files whose modification time moved, so an untouched folder costs
a few ``stat`` calls; it then checks what the readers rely on: the index's rows against
the arrays' shapes, the dtype, the feature shape of the settings, and each row's status.
A folder written before checksums existed has its values checked instead (finite, on
every usable row). Every failure names the file and says how to make the folder again.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets.cliptable import SPLITS
from ..utils.errors import KitError
from ..utils.provenance import file_changed, file_state
from .layout import (
    CHECKSUMS_FILE,
    INDEX_DTYPES,
    INDEX_FILE,
    SETTINGS_FILE,
    STATUS_CODE,
    TAGS_FILE,
    features_file,
    read_json,
    status_file,
    write_atomic,
)

INDEX_NEEDS = ("split", "row", "id", "path", "tags", "status")
# Rows checked for finite values at a time: bounded memory on a memory-mapped split.
_CHUNK = 256


class FeatureFolderError(KitError, ValueError):
    """A finished feature folder whose files no longer agree with their extraction."""

    def __init__(self, path: Path, problem: str):
        self.path = Path(path)
        super().__init__(f"{path}: {problem}. {remedy(self.path.parent)}")


def remedy(folder: Path) -> str:
    """What to run to make ``folder`` again: the params file of the run that owns it
    (``<run>/features/<role>/``, the run's ``params.json`` names it) when known."""
    params = read_json(folder.parent.parent / "params.json") or {}
    name = params.get("params_file", "PARAMS") if isinstance(params, dict) else "PARAMS"
    return (f"The features no longer match their extraction; extract again: "
            f"vqvae-kit run {name} --force --from extract")


def folder_files(folder: Path) -> list[str]:
    """The files of a feature folder that its readers use, in a fixed order."""
    names = [TAGS_FILE, INDEX_FILE]
    for split in SPLITS:
        names += [features_file(split), status_file(split)]
    return [n for n in names if (folder / n).exists()]


def write_checksums(folder: str | Path) -> Path:
    """Check ``folder`` in full (values included), then record ``checksums.json``."""
    folder = Path(folder)
    check_layout(folder, values=True)
    sums = {name: file_state(folder / name) for name in folder_files(folder)}
    path = folder / CHECKSUMS_FILE
    write_atomic(path, json.dumps(sums, indent=2))
    return path


def read_tags(folder: Path) -> list[str]:
    path = folder / TAGS_FILE
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FeatureFolderError(path, f"unreadable ({exc.__class__.__name__})") from None


def read_checked_index(folder: Path) -> pd.DataFrame:
    path = folder / INDEX_FILE
    try:
        index = pd.read_csv(path, dtype=INDEX_DTYPES, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise FeatureFolderError(path, f"not the CSV extraction wrote "
                                       f"({exc.__class__.__name__})") from None
    missing = [c for c in INDEX_NEEDS if c not in index.columns]
    if missing:
        raise FeatureFolderError(path, f"columns {missing} missing (has {list(index.columns)})")
    return index


def _array(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FeatureFolderError(path, "missing")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as exc:  # a damaged header fails in numpy's parser in many ways
        # numpy's own text suggests allow_pickle=True, which is never the fix here.
        raise FeatureFolderError(path, f"not a readable .npy array ({exc.__class__.__name__}: "
                                       "its header is damaged)") from None


def check_layout(folder: Path, values: bool = False) -> tuple[list[str], pd.DataFrame]:
    """``(tags, index)`` of ``folder`` once its files agree with each other: per split,
    the index lists rows ``0..N-1``, ``<split>.npy`` is float16 ``[N, n_mels, frames]``
    (the settings' shape), ``<split>_status.npy`` is ``[N]`` and says ``ok`` exactly where
    the index does. With ``values``, every usable row is also finite."""
    tags, index = read_tags(folder), read_checked_index(folder)
    features = (read_json(folder / SETTINGS_FILE) or {}).get("features") or {}
    want = (features.get("n_mels"), features.get("frames"))
    for split in SPLITS:
        rows = index[index["split"] == split]
        n = len(rows)
        try:
            listed = sorted(int(r) for r in rows["row"])
        except ValueError:
            listed = None
        if listed != list(range(n)):
            raise FeatureFolderError(folder / INDEX_FILE,
                                     f"the {split} rows are not 0..{n - 1}")
        fpath, spath = folder / features_file(split), folder / status_file(split)
        feats, status = _array(fpath), _array(spath)
        if feats.ndim != 3 or feats.dtype != np.float16:
            raise FeatureFolderError(fpath, f"{feats.dtype} {list(feats.shape)}, expected "
                                            "float16 [clips, n_mels, frames]")
        if feats.shape[0] != n or status.shape != (n,):
            raise FeatureFolderError(fpath, f"{feats.shape[0]} rows ({spath.name}: "
                                            f"{status.shape[0] if status.ndim else 0}), but "
                                            f"{INDEX_FILE} lists {n} {split} clips")
        if None not in want and tuple(feats.shape[1:]) != want:
            raise FeatureFolderError(fpath, f"clips of shape {list(feats.shape[1:])}, the "
                                            f"settings say [{want[0]}, {want[1]}]")
        ok = (rows["status"] == "ok").to_numpy()
        order = rows["row"].astype(int).to_numpy()
        if not np.array_equal(np.asarray(status)[order] == STATUS_CODE["ok"], ok):
            raise FeatureFolderError(spath, f"the usable rows disagree with {INDEX_FILE}")
        if values:
            usable = np.sort(order[ok])
            for i in range(0, len(usable), _CHUNK):
                finite = np.isfinite(np.asarray(feats[usable[i:i + _CHUNK]])).all(axis=(1, 2))
                if not finite.all():
                    bad = usable[i + int(np.flatnonzero(~finite)[0])]
                    raise FeatureFolderError(fpath, f"row {bad} holds values that are not "
                                                    "finite")
    return tags, index


def verify_folder(folder: str | Path) -> tuple[list[str], pd.DataFrame]:
    """``(tags, index)`` of a finished feature folder, checked against ``checksums.json``
    and for agreement between its files (``check_layout``); ``FeatureFolderError``
    naming the file and the command to run otherwise."""
    folder = Path(folder)
    sums = read_json(folder / CHECKSUMS_FILE)
    if isinstance(sums, dict):
        for name, state in sums.items():
            why = file_changed(folder / name, state)
            if why is not None:
                said = "missing" if why == "missing" else f"its {why} changed since extraction"
                raise FeatureFolderError(folder / name, said)
    return check_layout(folder, values=not isinstance(sums, dict))


__all__ = ["CHECKSUMS_FILE", "FeatureFolderError", "check_layout", "folder_files",
           "remedy", "verify_folder", "write_checksums"]
