"""Reading and checking the MediaEval-layout input files of ``evaluate`` and ``compare``,
and their results written as plain JSON (``json_ready``).

A ground truth, predictions or decisions file is a ``.npy`` matrix of clips x tags,
columns in ``tags.txt`` order. Every check names the file and what is wrong with it, so
that a command can print it as it is and exit.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


class InputError(ValueError):
    """An input file is missing, unreadable, or of the wrong shape or dtype; the message
    names the file."""


def load_matrix(path: str | Path, kind: str) -> np.ndarray:
    """A clips x tags matrix from ``path``.

    Args:
        kind: ``labels`` (ground truth, decisions): bool, or integers that are all 0/1,
            returned as bool. ``scores`` (predictions): real numbers (bool and integers
            accepted, as in the official popularity baseline), all finite.

    Returns:
        ``[N, n_tags]`` array.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({exc})") from None
    if arr.ndim != 2:
        raise InputError(f"{path}: shape {arr.shape}, expected 2-D [clips, tags]")
    if kind == "labels":
        if arr.dtype == bool:
            return arr
        if np.issubdtype(arr.dtype, np.integer) and np.isin(arr, (0, 1)).all():
            return arr.astype(bool)
        raise InputError(f"{path}: dtype {arr.dtype}, expected bool (or integers 0/1): "
                         "ground truth and decisions are booleans, predictions are scores")
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.integer)
            or np.issubdtype(arr.dtype, np.floating)):
        raise InputError(f"{path}: dtype {arr.dtype}, expected float scores")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise InputError(f"{path}: {int((~np.isfinite(arr)).sum())} scores are NaN or infinite")
    return arr


def expect_shape(arr: np.ndarray, path: str | Path, expected: tuple[int, ...], why: str) -> None:
    """Raise ``InputError`` naming ``path`` unless ``arr.shape == expected``."""
    if arr.shape != tuple(expected):
        raise InputError(f"{path}: shape {arr.shape}, expected {tuple(expected)} ({why})")


def load_tags(path: str | Path) -> list[str]:
    """Tag names, one a line (blank lines and CRLF endings ignored)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def json_ready(obj: Any) -> Any:
    """Plain JSON: numpy scalars to Python, NaN and infinities to null."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
