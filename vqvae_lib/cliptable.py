"""The clip table: what every dataset adapter returns and every later step reads.

One row per clip: ``id`` (str, unique), ``path`` (absolute audio path, str), ``split``
(``train``, ``validation`` or ``test``) and ``tags`` (tuple of tag names). The tag
vocabulary is kept separately, in the order that defines the label-matrix columns (for
MTG-Jamendo, the official order of ``tags.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")


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
