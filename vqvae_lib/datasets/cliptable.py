"""The clip table: what every dataset adapter returns and every later step reads.

One row per clip: ``id`` (str, unique), ``path`` (absolute audio path, str), ``split``
(``train``, ``validation`` or ``test``) and ``tags`` (tuple of tag names). The tag
vocabulary is kept separately, in the order that defines the label-matrix columns (for
MTG-Jamendo, the official order of ``tags.txt``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")


def file_stat(path: str | os.PathLike) -> tuple[int, int]:
    """``(size in bytes, modification time in ns)`` of a file; ``(-1, -1)`` when absent.

    What identifies an audio file's content cheaply: hashing every file of a dataset
    would take longer than extracting it.
    """
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1
    return int(st.st_size), int(st.st_mtime_ns)


def _digest(items) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, default=str).encode())
    return h.hexdigest()[:20]


@dataclass
class ClipTable:
    """Clips of one dataset and its tag vocabulary.

    Args:
        clips: DataFrame with columns ``id``, ``path``, ``split``, ``tags``; rows of one
            split keep the dataset's file order (the MediaEval row order).
        tags: tag names in column order of every label matrix.
        name: a short dataset label used in messages (e.g. ``"jamendo split-0"``).
        notes: human-readable remarks from the adapter (skipped rows, known broken files).
    """

    clips: pd.DataFrame
    tags: list[str]
    name: str = "dataset"
    notes: list[str] = field(default_factory=list)
    _stats: list[tuple[int, int]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        missing = {"id", "path", "split", "tags"} - set(self.clips.columns)
        if missing:
            raise ValueError(f"clip table {self.name!r} lacks columns {sorted(missing)}")
        bad = set(self.clips["split"]) - set(SPLITS)
        if bad:
            raise ValueError(f"clip table {self.name!r}: unknown split(s) {sorted(bad)}")
        dup = self.clips["id"][self.clips["id"].duplicated()]
        if len(dup):
            raise ValueError(f"clip table {self.name!r}: duplicate clip id {dup.iloc[0]!r}")
        self.clips = self.clips.reset_index(drop=True)

    def split(self, name: str) -> pd.DataFrame:
        """Rows of one split in dataset order."""
        return self.clips[self.clips["split"] == name].reset_index(drop=True)

    def split_sizes(self) -> dict[str, int]:
        """Clip count per split, all three splits present (0 where empty)."""
        counts = self.clips["split"].value_counts()
        return {s: int(counts.get(s, 0)) for s in SPLITS}

    def label_matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """Boolean ``[len(rows), n_tags]`` matrix of ``rows['tags']`` in vocabulary order."""
        col = {t: i for i, t in enumerate(self.tags)}
        y = np.zeros((len(rows), len(self.tags)), dtype=bool)
        for r, tags in enumerate(rows["tags"]):
            for t in tags:
                if t in col:
                    y[r, col[t]] = True
        return y

    def file_stats(self) -> list[tuple[int, int]]:
        """``(size, mtime_ns)`` per clip, in table order (stat'ed once, then cached)."""
        if self._stats is None:
            self._stats = [file_stat(p) for p in self.clips["path"]]
        return self._stats

    def data_fingerprint(self) -> dict[str, object]:
        """What the table says about its data, hashed in three parts, so that a change
        can be told apart: ``clips`` (split, id and path of each clip), ``labels`` (each
        clip's tags and the vocabulary) and ``audio`` (each file's size and mtime)."""
        c = self.clips
        return {
            "clips": _digest(zip(c["split"], c["id"].astype(str), c["path"].astype(str))),
            "labels": _digest([list(self.tags), *(list(t) for t in c["tags"])]),
            "audio": _digest(self.file_stats()),
            "n_clips": len(c),
        }
