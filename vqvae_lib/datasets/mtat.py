"""MagnaTagATune: ``annotations_final.csv`` with its top-k tags, read into a ``ClipTable``.

``kind: mtat`` in a params file. Splits come from the audio folders or from published
split files; the three MP3s known to be broken in the distribution are reported as notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..utils.config import ConfigError
from ._files import abs_path, make_table, need_file, read_lines
from .cliptable import SPLITS, ClipTable

# Empty or corrupt in the MagnaTagATune distribution (found by every user of the set).
MTAT_BROKEN = (
    "6/norine_braun-now_and_zen-08-gently-117-146.mp3",
    "8/jacob_heringman-josquin_des_prez_lute_settings-19-gintzler__pater_noster-204-233.mp3",
    "9/american_baroque-dances_and_suites_of_rameau_and_couperin-25-le_petit_rien_xiveme_"
    "ordre_couperin-88-117.mp3",
)


@dataclass(frozen=True)
class MTATConfig:
    """MagnaTagATune, top-k tags.

    Args:
        kind: ``"mtat"``.
        annotations: ``annotations_final.csv`` (tab-separated, quoted: ``clip_id``, 188 tag
            columns, ``mp3_path``).
        audio_dir: folder holding ``0/ ... f/``.
        split_scheme: ``folder`` (first character of the folder: 0-b train, c validation,
            d-f test), ``clean`` (the same without clips that have none of the top-k tags)
            or ``files`` (published split files, see ``split_files``).
        top_k: keep the ``top_k`` most frequent tag columns (ties: file column order).
        split_files: for ``files``: ``{train, validation, test}`` -> a file of
            ``index<TAB>mp3_path`` lines; each split keeps its file's order.
    """

    kind: Literal["mtat"]
    annotations: Path
    audio_dir: Path
    split_scheme: Literal["folder", "clean", "files"] = "folder"
    top_k: int = 50
    split_files: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {self.top_k}")
        if self.split_scheme == "files":
            if not self.split_files:
                raise ValueError("split_scheme 'files' needs split_files: {train: ..., "
                                 "validation: ..., test: ...}")
        if self.split_files:
            bad = sorted(set(self.split_files) - set(SPLITS))
            if bad:
                raise ValueError(f"split_files: unknown split {bad[0]!r} (splits are: "
                                 f"{', '.join(SPLITS)})")


def _read_mtat_split_file(path: Path) -> list[str]:
    """mp3 paths of an ``index<TAB>mp3_path`` file, in file order."""
    out = []
    for line in read_lines(path):
        fields = line.split("\t")
        out.append(fields[-1].strip())
    return out


def load_mtat(cfg: MTATConfig, base_dir: Path) -> ClipTable:
    """MagnaTagATune with the ``top_k`` most frequent tags and ``split_scheme`` splits."""
    ann = abs_path(base_dir, cfg.annotations)
    need_file(ann, "annotations", "MagnaTagATune annotations_final.csv")
    audio = abs_path(base_dir, cfg.audio_dir)
    df = pd.read_csv(ann, sep="\t", quotechar='"', dtype=str, keep_default_na=False)
    if not {"clip_id", "mp3_path"} <= set(df.columns):
        raise ValueError(f"{ann}: expected columns clip_id, <tags>, mp3_path; got "
                         f"{list(df.columns)[:3]} ...")
    tag_cols = [c for c in df.columns if c not in ("clip_id", "mp3_path")]
    if cfg.top_k > len(tag_cols):
        raise ConfigError(f"top_k: {cfg.top_k} is more than the {len(tag_cols)} tag columns "
                          f"of {ann}")
    y = df[tag_cols].astype(int).to_numpy() > 0
    counts = y.sum(axis=0)
    # Stable sort: equal counts keep the file's column order, so the choice is reproducible.
    order = np.argsort(-counts, kind="stable")[: cfg.top_k]
    tags = [tag_cols[i] for i in order]
    clip_tags = [tuple(tags[j] for j in range(len(tags)) if row[order[j]]) for row in y]
    notes = []

    by_path = {}
    for clip_id, mp3, t in zip(df["clip_id"], df["mp3_path"], clip_tags):
        by_path[mp3] = {"id": str(clip_id), "path": str(audio / mp3), "tags": t}
    rows = []
    if cfg.split_scheme == "files":
        listed = set()
        for split in SPLITS:
            if split not in cfg.split_files:
                continue
            f = abs_path(base_dir, cfg.split_files[split])
            need_file(f, f"split_files.{split}", f"MagnaTagATune {split} split file")
            paths = _read_mtat_split_file(f)
            unknown = [p for p in paths if p not in by_path]
            if unknown:
                notes.append(f"{len(unknown)} paths of {f.name} are not in {ann.name}, "
                             f"skipped (first: {unknown[0]})")
            for p in paths:
                if p in by_path and p not in listed:
                    listed.add(p)
                    rows.append({**by_path[p], "split": split})
        if len(listed) < len(by_path):
            notes.append(f"{len(by_path) - len(listed)} clips are in no split file, left out")
    else:
        dropped = 0
        for mp3, row in by_path.items():
            first = mp3[:1].lower()
            split = ("train" if first in "0123456789ab" else "validation" if first == "c"
                     else "test" if first in "def" else None)
            if split is None:
                raise ValueError(f"{ann}: mp3_path {mp3!r} is not in a folder 0 ... f")
            if cfg.split_scheme == "clean" and not row["tags"]:
                dropped += 1
                continue
            rows.append({**row, "split": split})
        if dropped:
            notes.append(f"clean split: left out {dropped} clips with none of the top-"
                         f"{cfg.top_k} tags")
    broken = [r["path"] for r in rows if any(r["path"].endswith(b) for b in MTAT_BROKEN)]
    if broken:
        notes.append(f"{len(broken)} MP3s are known to be broken in the MagnaTagATune "
                     f"distribution and will not load: {', '.join(Path(b).name for b in broken)}")
    name = f"mtat top-{cfg.top_k} {cfg.split_scheme}"
    return make_table(rows, tags, name, notes)


__all__ = ["MTAT_BROKEN", "MTATConfig", "load_mtat"]
