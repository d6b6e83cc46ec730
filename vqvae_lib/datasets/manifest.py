"""Your own music: a CSV of ``path,tags,split`` rows, read into a ``ClipTable``.

``kind: manifest`` in a params file; ``read_manifest`` also reads the demo set's CSV.
Rows without a split are drawn into splits a whole ``group`` (one recording) at a time.
"""

from __future__ import annotations

import csv
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..utils.config import ConfigError
from ._files import abs_path, make_table, need_file
from .cliptable import SPLITS, ClipTable

REQUIRED = ("path", "tags")
OPTIONAL = ("split", "id", "group")
COLUMNS = REQUIRED + OPTIONAL


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
        allow_outside: read audio paths that lie outside the CSV's folder (``../``, or
            absolute paths elsewhere); refused otherwise, naming the line.
    """

    kind: Literal["manifest"]
    path: Path
    split_fraction: dict[str, float] | tuple[float, float] | None = None
    seed: int = 0
    allow_outside: bool = False

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


def read_manifest(path: Path, split_fraction: tuple[float, float] | None = None, seed: int = 0,
                  tags: list[str] | None = None, name: str | None = None,
                  allow_outside: bool = False) -> ClipTable:
    """A ``path,tags,split[,id][,group]`` CSV as a clip table.

    Args:
        path: the CSV; its relative audio paths are relative to its folder.
        split_fraction: (validation, test) shares drawn, with ``seed``, from rows whose
            split is empty; None puts those rows in train. Rows that share a ``group``
            (a track cut into segments, an album) are drawn together, so that one
            recording never sits in two splits.
        tags: the vocabulary in column order; default: the tags seen, sorted.
        name: the table's name; default: the CSV's file name.
        allow_outside: accept audio paths outside the CSV's folder.

    Raises:
        ConfigError: a bad header, encoding or row, naming the CSV, the line and the
            field. Tags that differ only in case, or that hold a ``,``, are kept and
            named in the table's notes.
    """
    path = Path(path)
    try:
        rows = _read_rows(path, allow_outside)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
                          f"offset {exc.start}); save the CSV as UTF-8") from None
    _check_groups(path, rows)
    _draw_splits(rows, split_fraction, seed)
    notes = _tag_notes(rows)
    if tags is None:
        tags = sorted({t for r in rows for t in r["tags"]})
    else:
        unknown = sorted({t for r in rows for t in r["tags"]} - set(tags))
        if unknown:
            notes.append(f"{len(unknown)} tags are not in the vocabulary and are ignored: "
                         f"{', '.join(unknown[:5])}")
    for r in rows:
        del r["group"], r["line"]
    return make_table(rows, list(tags), name or path.name, notes)


def _check_header(path: Path, header: list[str]) -> None:
    """``path`` and ``tags`` present, and no column that looks like a known one but is
    spelled otherwise (``Split``, ``tag``): such a column would be read as nothing."""
    said = f"expected {','.join(REQUIRED)} and optionally {','.join(OPTIONAL)}; got " \
           f"{','.join(header)}"
    for col in header:
        if col in COLUMNS:
            continue
        near = [c for c in COLUMNS if c == col.lower()] or difflib.get_close_matches(
            col.lower(), COLUMNS, n=1, cutoff=0.75)
        if near and near[0] not in header:
            raise ConfigError(f"{path}:1: column {col!r} is not one the kit reads; did you "
                              f"mean {near[0]!r}? ({said})")
    for col in REQUIRED:
        if col not in header:
            raise ConfigError(f"{path}:1: the header lacks {col!r} ({said})")


def _read_rows(path: Path, allow_outside: bool) -> list[dict]:
    rows: list[dict] = []
    line_of: dict[str, int] = {}
    folder = Path(os.path.abspath(path.parent))  # symlinks kept, as abs_path keeps them
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        _check_header(path, header)
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
            full = abs_path(path.parent, audio)
            if not allow_outside and not full.is_relative_to(folder):
                raise ConfigError(f"{path}:{line}: field 'path': {audio!r} lies outside the "
                                  f"CSV's folder {folder}; move the audio under it, or set "
                                  "allow_outside: true beside this manifest's path in the "
                                  "params")
            rows.append({"id": clip_id, "path": str(full), "split": split, "tags": clip_tags,
                         "group": group, "line": line})
    return rows


def _tag_notes(rows: list[dict]) -> list[str]:
    """Tags that are probably one tag spelled twice, or several joined with ``,``."""
    seen = sorted({t for r in rows for t in r["tags"]})
    by_case: dict[str, list[str]] = {}
    for t in seen:
        by_case.setdefault(t.casefold(), []).append(t)
    notes = [f"tags that differ only in case are counted as different tags: "
             f"{', '.join(repr(t) for t in group)}; spell each one way"
             for group in by_case.values() if len(group) > 1]
    joined = [t for t in seen if "," in t]
    if joined:
        notes.append(f"tags holding ',' are read as one tag each (tags are joined by ';'): "
                     f"{', '.join(repr(t) for t in joined[:5])}")
    return notes


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
    """The CSV of ``cfg.path`` (relative to ``base_dir``), splits drawn as ``cfg`` asks."""
    csv_path = abs_path(base_dir, cfg.path)
    need_file(csv_path, "path", "manifest CSV")
    return read_manifest(csv_path, cfg.split_fraction, cfg.seed,  # type: ignore[arg-type]
                         allow_outside=cfg.allow_outside)


__all__ = ["ManifestConfig", "load_manifest", "read_manifest"]
