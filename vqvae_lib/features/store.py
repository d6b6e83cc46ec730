"""Reading a finished feature folder (written by ``extract``) as PyTorch datasets.

The float16 arrays are memory-mapped lazily, in the process that reads them, so
DataLoader workers (forked or spawned) each map the file themselves and memory stays
flat however large the split is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..datasets.cliptable import SPLITS
from .checksums import FeatureFolderError, verify_folder
from .layout import REPORT_FILE, SETTINGS_FILE, features_file, require_done

if TYPE_CHECKING:
    import torch


class FeatureSplit:
    """The usable clips (status ``ok``) of one split: a map-style dataset for torch's
    ``DataLoader``.

    Items: ``(x: Tensor float32 [1, n_mels, T], y: Tensor float32 [n_tags])``. torch is
    imported by the first item, not by this module: 01_extract reads a store without it
    (2-3 s of its kernel's start); ``mel(i)`` gives one clip as numpy.

    Args:
        path: the split's ``<split>.npy`` (float16 ``[N_listed, n_mels, T]``).
        rows: positions of the usable clips in that array, int ``[N]``.
        ids: their clip ids.
        labels: bool ``[N, n_tags]``.
    """

    def __init__(self, path: Path, rows: np.ndarray, ids: list[str], labels: np.ndarray):
        self.path, self.rows, self.ids, self.labels = Path(path), rows, ids, labels
        self._features: np.ndarray | None = None

    @property
    def features(self) -> np.ndarray:
        """The whole split's float16 ``[N_listed, n_mels, T]`` array, memory-mapped
        read-only (failed rows included: index it with ``rows``)."""
        if self._features is None:
            self._features = np.load(self.path, mmap_mode="r")
        return self._features

    def subset(self, n: int, seed: int = 0) -> FeatureSplit:
        """At most ``n`` clips, drawn with ``seed`` and kept in split order (for summaries
        of splits too large to encode whole, such as the Million Song Dataset)."""
        if n >= len(self):
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False))
        return FeatureSplit(self.path, self.rows[keep], [self.ids[i] for i in keep],
                            self.labels[keep])

    def __getstate__(self) -> dict:
        # Each process maps the file itself rather than receiving a copy of it.
        return {**self.__dict__, "_features": None}

    def __len__(self) -> int:
        return len(self.rows)

    def mel(self, i: int) -> np.ndarray:
        """Clip ``i``'s scaled log-mel, float32 ``[n_mels, T]``."""
        return np.asarray(self.features[self.rows[i]], dtype=np.float32)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        return (torch.from_numpy(self.mel(i))[None],
                torch.from_numpy(self.labels[i].astype(np.float32)))


class FeatureStore:
    """A finished feature folder.

    Args:
        folder: the folder ``extract_features`` wrote (``run.features_dir(role)``).

    Attributes:
        tags: tag names, label-matrix column order.
        index: one row per listed clip: ``split, row, id, path, tags, status, message``.
        report: the extraction report (``extract_report.json``) as its raw JSON object;
            ``feature_layout.read_report`` gives it typed.
        settings: what decided the features (``extract_settings.json``: ``features``,
            the feature settings, among them).

    Raises:
        FileNotFoundError: the folder is missing or its extraction has not finished.
        FeatureFolderError: its files changed since extraction or disagree with each
            other (``checksums.verify_folder``); the message names the file and the fix.
    """

    def __init__(self, folder: str | Path):
        self.folder = require_done(folder)
        self.tags: list[str]
        self.index: pd.DataFrame
        self.tags, self.index = verify_folder(self.folder)
        # Kept raw: hand-made folders (tests, older kits) may hold a partial report.
        self.report: dict = json.loads((self.folder / REPORT_FILE).read_text())
        settings = self.folder / SETTINGS_FILE
        self.settings: dict = json.loads(settings.read_text()) if settings.exists() else {}

    def __repr__(self) -> str:
        counts = ", ".join(f"{s} {c['ok']}" for s, c in self.report["splits"].items())
        return f"FeatureStore({str(self.folder)!r}: {counts}; {len(self.tags)} tags)"

    def split(self, name: str) -> FeatureSplit:
        """The usable clips of split ``name`` (``train``, ``validation`` or ``test``)."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r} (splits are: {', '.join(SPLITS)})")
        rows = self.index[(self.index["split"] == name) & (self.index["status"] == "ok")]
        col = {t: i for i, t in enumerate(self.tags)}
        labels = np.zeros((len(rows), len(self.tags)), dtype=bool)
        for r, tags in enumerate(rows["tags"]):
            for t in tags.split(";") if tags else ():
                if t in col:
                    labels[r, col[t]] = True
        return FeatureSplit(self.folder / features_file(name), rows["row"].to_numpy(dtype=np.int64),
                            rows["id"].tolist(), labels)


__all__ = ["FeatureFolderError", "FeatureSplit", "FeatureStore", "require_done"]
