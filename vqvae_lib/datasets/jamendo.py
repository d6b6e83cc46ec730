"""MTG-Jamendo: the auto-tagging split TSVs, read into a ``ClipTable``.

The paper's tagging data: ``kind: jamendo`` in a params file. Split 0 of the
``moodtheme`` subset is MediaEval 2019's. Columns come in the subset's official tag order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._files import abs_path, make_table, need_file, read_lines
from .cliptable import SPLITS, ClipTable

JAMENDO_SUBSETS = ("moodtheme", "genre", "instrument", "top50tags")
JAMENDO_SPLIT_FILE = "splits/split-{split}/autotagging_{subset}-{part}.tsv"
# Official tag lists, tried in order: the list of the split files first (moodtheme has 56
# of its 59 tags in the splits), then the subset's full list.
JAMENDO_TAG_FILES = {
    "moodtheme": ("tags/moodtheme_split.txt", "tags/moodtheme.txt"),
    "genre": ("tags/genre_split.txt", "tags/genre.txt"),
    "instrument": ("tags/instrument_split.txt", "tags/instrument.txt"),
    "top50tags": ("tags/top50tags_split.txt", "tags/top50.txt"),
}


@dataclass(frozen=True)
class JamendoConfig:
    """MTG-Jamendo auto-tagging splits (the paper's tagging data: ``moodtheme``, split 0).

    Args:
        kind: ``"jamendo"``.
        metadata_dir: the ``data/`` folder of the MTG-Jamendo dataset repository (holds
            ``splits/split-N/autotagging_<subset>-<part>.tsv`` and ``tags/``).
        audio_dir: folder holding the audio as ``<audio_dir>/<PATH>`` (e.g. ``24/3524.mp3``).
        split: which of the five official splits, 0 to 4 (MediaEval 2019 used 0).
        subset: ``moodtheme``, ``genre``, ``instrument`` or ``top50tags``.
        low_bitrate: read the low-bitrate variant (``x.mp3`` -> ``x.low.mp3``).
    """

    kind: Literal["jamendo"]
    metadata_dir: Path
    audio_dir: Path
    split: int = 0
    subset: Literal["moodtheme", "genre", "instrument", "top50tags"] = "moodtheme"
    low_bitrate: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.split <= 4:
            raise ValueError(f"split must be 0 to 4 (the official splits), got {self.split}")


def jamendo_audio_path(path: str, low_bitrate: bool) -> str:
    """The file name of ``PATH`` in the wanted variant: ``24/3524.mp3`` or ``24/3524.low.mp3``."""
    if low_bitrate and path.endswith(".mp3") and not path.endswith(".low.mp3"):
        return path[: -len(".mp3")] + ".low.mp3"
    return path


def _read_jamendo_tsv(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """(TRACK_ID, PATH, tags) per row, in file order."""
    lines = read_lines(path)
    header = lines[0].split("\t") if lines else []
    if header[:4] != ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH"]:
        raise ValueError(f"{path}: expected a header TRACK_ID, ARTIST_ID, ALBUM_ID, PATH, "
                         f"DURATION, TAGS; got {header[:6]}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 5:
            raise ValueError(f"{path}:{n}: expected at least 5 tab-separated fields, got "
                             f"{len(fields)}")
        rows.append((fields[0], fields[3], tuple(t for t in fields[5:] if t)))
    return rows


def load_jamendo(cfg: JamendoConfig, base_dir: Path) -> ClipTable:
    """MTG-Jamendo ``subset`` of split ``cfg.split``; columns in the official tag order."""
    meta = abs_path(base_dir, cfg.metadata_dir)
    audio = abs_path(base_dir, cfg.audio_dir)
    rows, seen, notes = [], set(), []
    for split in SPLITS:
        f = meta / JAMENDO_SPLIT_FILE.format(split=cfg.split, subset=cfg.subset, part=split)
        need_file(f, "metadata_dir", f"MTG-Jamendo split file {f.name}")
        for track, path, tags in _read_jamendo_tsv(f):
            seen.update(tags)
            rows.append({"id": track, "split": split, "tags": tags,
                         "path": str(audio / jamendo_audio_path(path, cfg.low_bitrate))})
    tag_file = next((meta / t for t in JAMENDO_TAG_FILES[cfg.subset] if (meta / t).is_file()),
                    None)
    if tag_file is not None:
        tags = read_lines(tag_file)
        unknown = sorted(seen - set(tags))
        if unknown:
            notes.append(f"{len(unknown)} tags of the split files are not in {tag_file.name} "
                         f"and are ignored: {', '.join(unknown[:5])}")
    else:
        tags = sorted(seen)
        notes.append(f"no official tag list for {cfg.subset!r} under {meta / 'tags'}; "
                     f"using the {len(tags)} tags of the split files, sorted")
    name = f"jamendo {cfg.subset} split-{cfg.split}"
    return make_table(rows, tags, name, notes)


__all__ = ["JAMENDO_SUBSETS", "JamendoConfig", "jamendo_audio_path", "load_jamendo"]
