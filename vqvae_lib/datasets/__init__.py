"""Datasets as their users have them, read into one ``ClipTable``.

Each dataset kind has a frozen settings dataclass (``data.tag`` / ``data.pretrain`` in a
params file, chosen by ``kind``) and an adapter that reads the dataset's own metadata,
one module per kind:

- ``jamendo``: MTG-Jamendo split TSVs (the paper's tagging data; split 0 is MediaEval 2019).
- ``mtat``: MagnaTagATune ``annotations_final.csv``, top-k tags, folder or published splits.
- ``msd``: a list (or glob) of Million Song Dataset previews; no tags, pretraining only.
- ``manifest``: a CSV of your own music (``path,tags,split``).
- ``demo``: the kit's synthetic set, generated from a seed on first use.

``load_clip_table`` reads metadata only; a missing audio file is not an error there.
``check_audio`` then says which files are missing or have an unreadable header.

Adding a dataset: a module beside these with its config and loader, and one entry in
``LOADERS``; ``DatasetConfig`` (what params files may name) follows from that table.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from .cliptable import ClipTable

# Every public name of the single module this package replaced stays importable from here.
from .demo import DemoConfig, demo_dir, load_demo
from .jamendo import JamendoConfig, jamendo_audio_path, load_jamendo
from .manifest import ManifestConfig, load_manifest, read_manifest
from .msd import MSDConfig, load_msd
from .mtat import MTATConfig, load_mtat

# Config type -> loader(cfg, base_dir, cache_dir): ``base_dir`` resolves the config's
# relative paths, ``cache_dir`` holds data the kit makes itself. The order is the order in
# which a bad ``kind`` lists the kinds.
LOADERS: dict[type, Callable[[Any, Path, Path], ClipTable]] = {
    JamendoConfig: lambda cfg, base_dir, cache_dir: load_jamendo(cfg, base_dir),
    MTATConfig: lambda cfg, base_dir, cache_dir: load_mtat(cfg, base_dir),
    MSDConfig: lambda cfg, base_dir, cache_dir: load_msd(cfg, base_dir),
    ManifestConfig: lambda cfg, base_dir, cache_dir: load_manifest(cfg, base_dir),
    DemoConfig: lambda cfg, base_dir, cache_dir: load_demo(cfg, cache_dir),
}

# Built from the table so that a new entry is at once a ``kind`` params files may name
# (``config.from_dict`` picks the member by its ``kind`` literal).
DatasetConfig = Union[tuple(LOADERS)]  # type: ignore[valid-type]  # noqa: UP007


def load_clip_table(cfg: DatasetConfig, base_dir: Path, cache_dir: Path) -> ClipTable:
    """Read the dataset ``cfg`` (metadata only; the audio may be missing).

    Args:
        cfg: one of the dataset settings dataclasses.
        base_dir: folder that relative paths in ``cfg`` are relative to (the params
            file's folder).
        cache_dir: folder for data the kit makes itself (the demo audio).

    Raises:
        FileNotFoundError: a metadata file is missing; the message names it and the key.
    """
    # isinstance, not a lookup by type(cfg): a subclass of a config loads as its base.
    for config_type, loader in LOADERS.items():
        if isinstance(cfg, config_type):
            return loader(cfg, Path(base_dir), Path(cache_dir))
    raise TypeError(f"not a dataset config: {cfg!r}")


# -- audio check -----------------------------------------------------------------------
@dataclass
class AudioCheck:
    """Which audio files of a clip table cannot be used.

    Args:
        missing: paths that do not exist.
        unreadable: paths that exist but whose header libsndfile cannot read.
        n_checked: number of paths looked at.
    """

    missing: list[str]
    unreadable: list[str]
    n_checked: int


def check_audio(table: ClipTable, progress: bool = True) -> AudioCheck:
    """Check that every clip's file exists and has a readable header (nothing is decoded)."""
    import soundfile as sf

    from ..utils.progress import progress_bar

    missing, unreadable = [], []
    paths = list(table.clips["path"])
    for p in progress_bar(paths, desc=f"checking audio of {table.name}", unit="file",
                          disable=not progress):
        # A stat first: a dataset whose audio is not there yet is checked in a blink.
        if not os.path.exists(p):
            missing.append(p)
            continue
        try:
            sf.info(p)
        except Exception:  # libsndfile raises several types for a bad header
            unreadable.append(p)
    return AudioCheck(missing=missing, unreadable=unreadable, n_checked=len(paths))


__all__ = [
    "AudioCheck", "DatasetConfig", "DemoConfig", "JamendoConfig", "MSDConfig", "MTATConfig",
    "ManifestConfig", "check_audio", "demo_dir", "jamendo_audio_path", "load_clip_table",
    "read_manifest",
]
