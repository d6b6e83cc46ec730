"""Million Song Dataset previews: a list (or glob) of audio files, read into a ``ClipTable``.

``kind: msd`` in a params file. No tags and no test split: it serves VQ-VAE pretraining
only, beside a tagging dataset (as in the paper).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ._files import abs_path, make_table, need_file, read_lines
from .cliptable import ClipTable

# A spec holding any of these is a glob pattern, not a list file.
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class MSDConfig:
    """Million Song Dataset previews: no tags, for VQ-VAE pretraining only.

    Args:
        kind: ``"msd"``.
        audio_list: a text file of audio paths, one per line (relative to ``audio_root``,
            else to the list's folder, or absolute), or a glob pattern such as
            ``previews/**/*.mp3`` (relative to the params file's folder).
        validation_list: a second list (or glob) of validation clips; clips of both lists
            count once, as validation.
        validation_fraction: without ``validation_list``, this seeded fraction of
            ``audio_list`` becomes validation.
        seed: seed of that draw.
        audio_root: folder that relative list entries are relative to.
    """

    kind: Literal["msd"]
    audio_list: str
    validation_list: str | None = None
    validation_fraction: float = 0.05
    seed: int = 0
    audio_root: Path | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got "
                             f"{self.validation_fraction}")


def _msd_paths(spec: str, key: str, base_dir: Path, root: Path | None) -> list[Path]:
    """Audio paths of a list file or a glob pattern, in list (or sorted glob) order."""
    if any(c in spec for c in GLOB_CHARS):
        pattern = str(abs_path(root or base_dir, spec))
        found = sorted(glob.glob(pattern, recursive=True))
        if not found:
            raise FileNotFoundError(f"no files match {pattern} (set '{key}' in the params file)")
        return [Path(p) for p in found]
    path = abs_path(base_dir, spec)
    need_file(path, key, "audio list")
    rel_to = root if root is not None else path.parent
    return [abs_path(rel_to, line) for line in read_lines(path) if not line.startswith("#")]


def _ids(paths: list[Path]) -> list[str]:
    """File names without extension (MSD track ids), or whole paths when two names clash."""
    stems = [p.name.split(".")[0] for p in paths]
    return stems if len(set(stems)) == len(stems) else [str(p) for p in paths]


def load_msd(cfg: MSDConfig, base_dir: Path) -> ClipTable:
    """MSD previews: train and validation, no tags, no test split."""
    root = abs_path(base_dir, cfg.audio_root) if cfg.audio_root is not None else None
    train = list(dict.fromkeys(_msd_paths(cfg.audio_list, "audio_list", base_dir, root)))
    notes = []
    if cfg.validation_list is not None:
        validation = _msd_paths(cfg.validation_list, "validation_list", base_dir, root)
        val_set = set(validation)
        overlap = sum(p in val_set for p in train)
        if overlap:
            notes.append(f"{overlap} clips are in both lists; they count as validation")
        paths = [p for p in train if p not in val_set] + validation
        splits = ["train"] * (len(paths) - len(validation)) + ["validation"] * len(validation)
    else:
        paths = train
        n_val = int(round(cfg.validation_fraction * len(paths)))
        if cfg.validation_fraction > 0 and len(paths) > 1:
            n_val = min(max(n_val, 1), len(paths) - 1)
        pick = set(np.random.default_rng(cfg.seed).permutation(len(paths))[:n_val].tolist())
        splits = ["validation" if i in pick else "train" for i in range(len(paths))]
    rows = [{"id": i, "path": str(p), "split": s, "tags": ()}
            for i, p, s in zip(_ids(paths), paths, splits)]
    return make_table(rows, [], "msd", notes)


__all__ = ["GLOB_CHARS", "MSDConfig", "load_msd"]
