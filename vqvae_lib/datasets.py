"""Datasets as their users have them, read into one ``ClipTable``.

Each dataset kind has a frozen settings dataclass (``data.tag`` / ``data.pretrain`` in a
params file, chosen by ``kind``) and an adapter that reads the dataset's own metadata:

- ``jamendo``: MTG-Jamendo split TSVs (the paper's tagging data; split 0 is MediaEval 2019).
- ``mtat``: MagnaTagATune ``annotations_final.csv``, top-k tags, folder or published splits.
- ``msd``: a list (or glob) of Million Song Dataset previews; no tags, pretraining only.
- ``manifest``: a CSV of your own music (``path,tags,split``).
- ``demo``: the kit's synthetic set, generated from a seed on first use.

``load_clip_table`` reads metadata only; a missing audio file is not an error there.
``check_audio`` then says which files are missing or have an unreadable header.
"""

from __future__ import annotations

import csv
import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Union

import numpy as np
import pandas as pd

from .cliptable import SPLITS, ClipTable
from .config import ConfigError

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
# Empty or corrupt in the MagnaTagATune distribution (found by every user of the set).
MTAT_BROKEN = (
    "6/norine_braun-now_and_zen-08-gently-117-146.mp3",
    "8/jacob_heringman-josquin_des_prez_lute_settings-19-gintzler__pater_noster-204-233.mp3",
    "9/american_baroque-dances_and_suites_of_rameau_and_couperin-25-le_petit_rien_xiveme_"
    "ordre_couperin-88-117.mp3",
)
GLOB_CHARS = "*?["


# -- settings ----------------------------------------------------------------------
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


@dataclass(frozen=True)
class ManifestConfig:
    """Your own music: a CSV with the header ``path,tags,split`` and an optional ``id``.

    Args:
        kind: ``"manifest"``.
        path: the CSV file. Its ``path`` column is relative to the CSV's folder, or
            absolute; ``tags`` are joined by ``;``; ``split`` is ``train``,
            ``validation``, ``test`` or empty.
        split_fraction: rows with an empty split go to train, unless this asks for a
            seeded share of them: ``{validation: 0.1, test: 0.1}`` or ``[0.1, 0.1]``
            (validation, test).
        seed: seed of that draw.
    """

    kind: Literal["manifest"]
    path: Path
    split_fraction: dict[str, float] | tuple[float, float] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        f = self.split_fraction
        if f is None:
            return
        if isinstance(f, dict):
            bad = sorted(set(f) - {"validation", "test"})
            if bad:
                raise ValueError(f"split_fraction: unknown key {bad[0]!r} (keys: validation, "
                                 "test)")
            f = (f.get("validation", 0.0), f.get("test", 0.0))
        if len(f) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                  for v in f):
            raise ValueError(f"split_fraction: expected two numbers (validation, test), got {f!r}")
        f = (float(f[0]), float(f[1]))
        if min(f) < 0 or sum(f) >= 1:
            raise ValueError(f"split_fraction: shares must be >= 0 and sum below 1, got {f}")
        # One canonical form, so two configs meaning the same split compare equal.
        object.__setattr__(self, "split_fraction", f)


@dataclass(frozen=True)
class DemoConfig:
    """The kit's synthetic multi-label set, written once under the run's ``data/`` folder.

    Args:
        kind: ``"demo"``.
        n_clips: number of clips over all splits.
        clip_seconds: length of each clip.
        seed: the generator's seed (the same seed gives the same audio).
        sample_rate: sample rate of the written files.
    """

    kind: Literal["demo"]
    n_clips: int = 400
    clip_seconds: float = 3.5
    seed: int = 0
    sample_rate: int = 22050

    def __post_init__(self) -> None:
        if self.n_clips < 1 or self.clip_seconds <= 0 or self.sample_rate < 1:
            raise ValueError("n_clips, clip_seconds and sample_rate must be positive")


DatasetConfig = Union[JamendoConfig, MTATConfig, MSDConfig, ManifestConfig, DemoConfig]


# -- helpers -------------------------------------------------------------------------
def _abs(base_dir: Path, p: str | os.PathLike) -> Path:
    """``p`` against ``base_dir`` when relative; normalised but symlinks kept, so the
    paths shown to the user are the ones they wrote."""
    return Path(os.path.abspath(Path(base_dir) / Path(p).expanduser()))


def _need_file(path: Path, key: str, what: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} (set '{key}' in the params file; "
                                "relative paths are relative to the params file's folder)")


def _read_lines(path: Path) -> list[str]:
    """Non-empty lines, whatever the line endings (the official files use CRLF)."""
    text = path.read_text(encoding="utf-8-sig")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _table(rows: list[dict], tags: list[str], name: str, notes: list[str]) -> ClipTable:
    clips = pd.DataFrame(rows, columns=["id", "path", "split", "tags"])
    return ClipTable(clips=clips, tags=tags, name=name, notes=notes)


# -- MTG-Jamendo -----------------------------------------------------------------------
def jamendo_audio_path(path: str, low_bitrate: bool) -> str:
    """The file name of ``PATH`` in the wanted variant: ``24/3524.mp3`` or ``24/3524.low.mp3``."""
    if low_bitrate and path.endswith(".mp3") and not path.endswith(".low.mp3"):
        return path[: -len(".mp3")] + ".low.mp3"
    return path


def _read_jamendo_tsv(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """(TRACK_ID, PATH, tags) per row, in file order."""
    lines = _read_lines(path)
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
    meta = _abs(base_dir, cfg.metadata_dir)
    audio = _abs(base_dir, cfg.audio_dir)
    rows, seen, notes = [], set(), []
    for split in SPLITS:
        f = meta / JAMENDO_SPLIT_FILE.format(split=cfg.split, subset=cfg.subset, part=split)
        _need_file(f, "metadata_dir", f"MTG-Jamendo split file {f.name}")
        for track, path, tags in _read_jamendo_tsv(f):
            seen.update(tags)
            rows.append({"id": track, "split": split, "tags": tags,
                         "path": str(audio / jamendo_audio_path(path, cfg.low_bitrate))})
    tag_file = next((meta / t for t in JAMENDO_TAG_FILES[cfg.subset] if (meta / t).is_file()),
                    None)
    if tag_file is not None:
        tags = _read_lines(tag_file)
        unknown = sorted(seen - set(tags))
        if unknown:
            notes.append(f"{len(unknown)} tags of the split files are not in {tag_file.name} "
                         f"and are ignored: {', '.join(unknown[:5])}")
    else:
        tags = sorted(seen)
        notes.append(f"no official tag list for {cfg.subset!r} under {meta / 'tags'}; "
                     f"using the {len(tags)} tags of the split files, sorted")
    name = f"jamendo {cfg.subset} split-{cfg.split}"
    return _table(rows, tags, name, notes)


# -- MagnaTagATune ---------------------------------------------------------------------
def _read_mtat_split_file(path: Path) -> list[str]:
    """mp3 paths of an ``index<TAB>mp3_path`` file, in file order."""
    out = []
    for line in _read_lines(path):
        fields = line.split("\t")
        out.append(fields[-1].strip())
    return out


def load_mtat(cfg: MTATConfig, base_dir: Path) -> ClipTable:
    """MagnaTagATune with the ``top_k`` most frequent tags and ``split_scheme`` splits."""
    ann = _abs(base_dir, cfg.annotations)
    _need_file(ann, "annotations", "MagnaTagATune annotations_final.csv")
    audio = _abs(base_dir, cfg.audio_dir)
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
            f = _abs(base_dir, cfg.split_files[split])
            _need_file(f, f"split_files.{split}", f"MagnaTagATune {split} split file")
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
    return _table(rows, tags, name, notes)


# -- Million Song Dataset --------------------------------------------------------------
def _msd_paths(spec: str, key: str, base_dir: Path, root: Path | None) -> list[Path]:
    """Audio paths of a list file or a glob pattern, in list (or sorted glob) order."""
    if any(c in spec for c in GLOB_CHARS):
        pattern = str(_abs(root or base_dir, spec))
        found = sorted(glob.glob(pattern, recursive=True))
        if not found:
            raise FileNotFoundError(f"no files match {pattern} (set '{key}' in the params file)")
        return [Path(p) for p in found]
    path = _abs(base_dir, spec)
    _need_file(path, key, "audio list")
    rel_to = root if root is not None else path.parent
    return [_abs(rel_to, line) for line in _read_lines(path) if not line.startswith("#")]


def _ids(paths: list[Path]) -> list[str]:
    """File names without extension (MSD track ids), or whole paths when two names clash."""
    stems = [p.name.split(".")[0] for p in paths]
    return stems if len(set(stems)) == len(stems) else [str(p) for p in paths]


def load_msd(cfg: MSDConfig, base_dir: Path) -> ClipTable:
    """MSD previews: train and validation, no tags, no test split."""
    root = _abs(base_dir, cfg.audio_root) if cfg.audio_root is not None else None
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
    return _table(rows, [], "msd", notes)


# -- your own CSV ----------------------------------------------------------------------
def read_manifest(path: Path, split_fraction: tuple[float, float] | None = None, seed: int = 0,
                  tags: list[str] | None = None, name: str | None = None) -> ClipTable:
    """A ``path,tags,split[,id][,group]`` CSV as a clip table.

    Args:
        path: the CSV; its relative audio paths are relative to its folder.
        split_fraction: (validation, test) shares drawn, with ``seed``, from rows whose
            split is empty; None puts those rows in train. Rows that share a ``group``
            (a track cut into segments, an album) are drawn together, so that one
            recording never sits in two splits.
        tags: the vocabulary in column order; default: the tags seen, sorted.
        name: the table's name; default: the CSV's file name.

    Raises:
        ConfigError: a bad header or row, naming the CSV, the line and the field.
    """
    path = Path(path)
    rows, line_of = [], {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        if "path" not in header:
            raise ConfigError(f"{path}:1: the header lacks 'path' (expected path,tags,split "
                              f"and optionally id; got {','.join(header)})")
        for rec in reader:
            line = reader.line_num
            if all(not (v or "").strip() for k, v in rec.items() if k is not None):
                continue
            audio = (rec.get("path") or "").strip()
            if not audio:
                raise ConfigError(f"{path}:{line}: field 'path' is empty")
            split = (rec.get("split") or "").strip()
            if split not in SPLITS and split != "":
                raise ConfigError(f"{path}:{line}: field 'split': got {split!r}, expected "
                                  "train, validation, test or empty")
            clip_id = (rec.get("id") or "").strip() or audio
            if clip_id in line_of:
                raise ConfigError(f"{path}:{line}: field 'id': {clip_id!r} was already used "
                                  f"on line {line_of[clip_id]}")
            line_of[clip_id] = line
            clip_tags = tuple(t.strip() for t in (rec.get("tags") or "").split(";") if t.strip())
            group = (rec.get("group") or "").strip() or clip_id
            rows.append({"id": clip_id, "path": str(_abs(path.parent, audio)),
                         "split": split, "tags": clip_tags, "group": group, "line": line})
    _check_groups(path, rows)
    _draw_splits(rows, split_fraction, seed)
    notes = []
    if tags is None:
        tags = sorted({t for r in rows for t in r["tags"]})
    else:
        unknown = sorted({t for r in rows for t in r["tags"]} - set(tags))
        if unknown:
            notes.append(f"{len(unknown)} tags are not in the vocabulary and are ignored: "
                         f"{', '.join(unknown[:5])}")
    for r in rows:
        del r["group"], r["line"]
    return _table(rows, list(tags), name or path.name, notes)


def _check_groups(path: Path, rows: list[dict]) -> None:
    """A group whose rows name two different splits leaks one recording across them."""
    seen: dict[str, dict] = {}
    for r in rows:
        if not r["split"]:
            continue
        first = seen.setdefault(r["group"], r)
        if first["split"] != r["split"]:
            raise ConfigError(
                f"{path}:{r['line']}: group {r['group']!r} is in split {r['split']!r} here "
                f"but in {first['split']!r} on line {first['line']}; rows of one group "
                "(one recording) must share a split, or leave the split empty")


def _draw_splits(rows: list[dict], split_fraction: tuple[float, float] | None,
                 seed: int) -> None:
    """Give rows without a split one, whole groups at a time (see ``read_manifest``)."""
    fixed = {r["group"]: r["split"] for r in rows if r["split"]}
    free = [r for r in rows if not r["split"]]
    groups: dict[str, list[dict]] = {}
    for r in free:
        groups.setdefault(r["group"], []).append(r)
    names = list(groups)
    split_of = {g: fixed.get(g, "train") for g in names}
    if split_fraction is not None and free:
        targets = (("validation", round(split_fraction[0] * len(free))),
                   ("test", round(split_fraction[1] * len(free))))
        todo = [names[k] for k in np.random.default_rng(seed).permutation(len(names))
                if names[k] not in fixed]
        for split, want in targets:
            got = 0
            while todo and got < want:
                g = todo.pop(0)
                split_of[g] = split
                got += len(groups[g])
    for g, members in groups.items():
        for r in members:
            r["split"] = split_of[g]


def load_manifest(cfg: ManifestConfig, base_dir: Path) -> ClipTable:
    csv_path = _abs(base_dir, cfg.path)
    _need_file(csv_path, "path", "manifest CSV")
    return read_manifest(csv_path, cfg.split_fraction, cfg.seed)  # type: ignore[arg-type]


# -- demo ------------------------------------------------------------------------------
def demo_dir(cfg: DemoConfig, cache_dir: Path) -> Path:
    """Where the demo set of ``cfg`` is written: one folder per distinct setting."""
    name = f"demo-{cfg.n_clips}x{cfg.clip_seconds}s-seed{cfg.seed}"
    if cfg.sample_rate != DemoConfig.sample_rate:
        name += f"-{cfg.sample_rate}Hz"
    return Path(cache_dir) / name


def load_demo(cfg: DemoConfig, cache_dir: Path) -> ClipTable:
    """Write the demo set under ``cache_dir`` (once) and read its manifest."""
    from .demo_data import DEMO_TAGS, write_demo_dataset

    manifest = write_demo_dataset(demo_dir(cfg, cache_dir), n_clips=cfg.n_clips,
                                  clip_seconds=cfg.clip_seconds, sample_rate=cfg.sample_rate,
                                  seed=cfg.seed)
    return read_manifest(Path(manifest), tags=list(DEMO_TAGS),
                         name=f"demo {cfg.n_clips} x {cfg.clip_seconds} s")


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
    base_dir = Path(base_dir)
    if isinstance(cfg, JamendoConfig):
        return load_jamendo(cfg, base_dir)
    if isinstance(cfg, MTATConfig):
        return load_mtat(cfg, base_dir)
    if isinstance(cfg, MSDConfig):
        return load_msd(cfg, base_dir)
    if isinstance(cfg, ManifestConfig):
        return load_manifest(cfg, base_dir)
    if isinstance(cfg, DemoConfig):
        return load_demo(cfg, Path(cache_dir))
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
    from .progress import progress_bar

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
