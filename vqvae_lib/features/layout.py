"""The on-disk layout of a feature folder, shared by its writer (``extract``) and its
readers (``feature_store``, ``steps``).

Layout of a feature folder::

    tags.txt                one tag per line, label-matrix column order
    index.csv               split, row, id, path, tags (';'-joined), size, mtime (of the
                            audio file when it was planned), status, message
    <split>.npy             float16 [N_split, n_mels, frames], rows in clip-table order;
                            a failed row stays zero (its status says so)
    <split>_status.npy      uint8 [N_split], per-row status code (0 = not done yet)
    extract_report.json     {"splits", "failures", "counts", "config", "seconds", ...}
                            (``ExtractReport``)
    extract_settings.json   what decides the result (features, clip list, shard)
    failures.jsonl          one line per failed clip, appended as they happen
    checksums.json          size, mtime and sha256 of tags, index and arrays, checked
                            whenever a step opens the folder (``checksums``)
    DONE                    written last
    shards/<i>/             shard ``i`` of a sharded run: this same layout over its rows
    incoming/               arrays being rebuilt while rows move (a re-run on an edited
                            clip table); moved into place, then removed

This module imports nothing heavy (no torch, no librosa): readers of a folder need only
these names and small helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..datasets.cliptable import SPLITS, file_stat

FORMAT_VERSION = 1  # in extract_settings.json: another value means incomparable arrays

TAGS_FILE = "tags.txt"
INDEX_FILE = "index.csv"
REPORT_FILE = "extract_report.json"
SETTINGS_FILE = "extract_settings.json"
FAILURES_FILE = "failures.jsonl"
CHECKSUMS_FILE = "checksums.json"
DONE_FILE = "DONE"
SHARDS_DIR = "shards"
INCOMING_DIR = "incoming"
# The single files of a folder (the per-split arrays are named by the functions below).
LAYOUT_FILES = (TAGS_FILE, INDEX_FILE, REPORT_FILE, SETTINGS_FILE, FAILURES_FILE,
                CHECKSUMS_FILE, DONE_FILE)

# Status code = position here, as stored in <split>_status.npy. Spelled out rather than
# built from ``features.FAILURE_REASONS``: the codes are part of the file format, so
# reordering the reasons there must not silently relabel the rows of existing folders
# (``extract`` checks at import that every reason has a code).
STATUS_NAMES = ("pending", "ok", "missing", "empty", "not_audio", "corrupt", "too_short",
                "error")
STATUS_CODE = {name: code for code, name in enumerate(STATUS_NAMES)}

PLAN_COLUMNS = ["split", "row", "id", "path", "tags", "size", "mtime"]
INDEX_COLUMNS = [*PLAN_COLUMNS, "status", "message"]
# Read as text: ids such as "007" or paths that look like numbers must stay as written,
# and an empty message or tag list must read as "" rather than NaN (keep_default_na=False).
INDEX_DTYPES = {"split": str, "id": str, "path": str, "tags": str, "status": str,
                "message": str}


def features_file(split: str) -> str:
    """Name of a split's float16 ``[N_split, n_mels, frames]`` feature array."""
    return f"{split}.npy"


def status_file(split: str) -> str:
    """Name of a split's uint8 ``[N_split]`` status-code array."""
    return f"{split}_status.npy"


def shard_folder(out_dir: str | Path, i: int) -> Path:
    """Where shard ``i`` of a sharded extraction into ``out_dir`` lives."""
    return Path(out_dir) / SHARDS_DIR / str(i)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is absent or unreadable (cut short by a kill)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def read_index(folder: str | Path) -> pd.DataFrame | None:
    """A feature folder's ``index.csv`` (the plan its arrays follow, ``INDEX_COLUMNS``),
    or None when the folder has none."""
    path = Path(folder) / INDEX_FILE
    if not path.exists():
        return None
    index = pd.read_csv(path, dtype=INDEX_DTYPES, keep_default_na=False)
    if "size" not in index.columns:
        # Written before sizes were recorded: trust the files as they are now.
        stats = [file_stat(p) for p in index["path"]]
        index["size"] = [st[0] for st in stats]
        index["mtime"] = [st[1] for st in stats]
    return index


def read_failures(folder: str | Path) -> dict[tuple[str, int], dict]:
    """``(split, row) -> {"split", "row", "status", "path", "message"}`` from a folder's
    ``failures.jsonl`` (empty when absent)."""
    out = {}
    path = Path(folder) / FAILURES_FILE
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
                out[(rec["split"], int(rec["row"]))] = rec
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a line cut short by a kill
    return out


def require_done(folder: str | Path) -> Path:
    """``folder`` as a Path if it holds a finished extraction, else FileNotFoundError."""
    folder = Path(folder)
    if not (folder / DONE_FILE).exists():
        state = "does not exist" if not folder.exists() else "holds no finished extraction"
        raise FileNotFoundError(
            f"feature folder {folder} {state}; run the extract step first "
            "(`vqvae-kit run PARAMS --to extract`)")
    return folder


# -- extract_report.json -----------------------------------------------------------------
@dataclass(frozen=True)
class SplitCount:
    """Clips of one split: ``ok`` usable of ``total`` listed."""

    ok: int
    total: int

    @property
    def failed(self) -> int:
        return self.total - self.ok


@dataclass(frozen=True)
class Failure:
    """One clip that could not be used: its ``row`` in ``<split>.npy`` stays zero."""

    split: str
    row: int
    id: str
    path: str
    message: str


@dataclass(frozen=True)
class ExtractReport:
    """What an extraction produced (``extract_report.json``, see ``to_json``).

    Frozen: a report describes files already written; the mappings it holds are meant to
    be read, not edited.

    Attributes:
        splits: split -> usable and listed clips, in split order.
        failures: reason -> the clips that failed for it (reasons sorted).
        counts: reason -> number of such clips (reasons sorted; none when all worked).
        config: the feature settings (``FeatureConfig`` fields but ``workers``).
        seconds: time spent extracting (for merged shards: their sum).
        kept: clips whose features were carried over from an earlier extraction
            (None in a report of merged shards).
        extracted: clips decoded by this extraction (None for merged shards).
        shard: ``(i, n)`` for shard ``i`` of ``n``, else None.
    """

    splits: dict[str, SplitCount]
    failures: dict[str, tuple[Failure, ...]]
    counts: dict[str, int]
    config: dict[str, Any]
    seconds: float
    kept: int | None = None
    extracted: int | None = None
    shard: tuple[int, int] | None = None

    @property
    def n_ok(self) -> int:
        """Usable clips over all splits."""
        return sum(c.ok for c in self.splits.values())

    @property
    def n_total(self) -> int:
        """Listed clips over all splits."""
        return sum(c.total for c in self.splits.values())

    @property
    def n_failed(self) -> int:
        """Clips that could not be used, whatever the reason."""
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``extract_report.json``: ``{"splits": {split: {"ok",
        "total"}}, "failures": {reason: [{"split", "row", "id", "path", "message"}]},
        "counts": {reason: n}, "config", "seconds"}``, then ``"kept"`` and ``"extracted"``
        and ``"shard": [i, n]`` when set (keys in this order, as earlier versions wrote)."""
        out: dict[str, Any] = {
            "splits": {s: {"ok": c.ok, "total": c.total} for s, c in self.splits.items()},
            "failures": {reason: [{"split": f.split, "row": f.row, "id": f.id,
                                   "path": f.path, "message": f.message} for f in fs]
                         for reason, fs in self.failures.items()},
            "counts": dict(self.counts),
            "config": dict(self.config),
            "seconds": self.seconds,
        }
        if self.kept is not None:
            out["kept"] = self.kept
        if self.extracted is not None:
            out["extracted"] = self.extracted
        if self.shard is not None:
            out["shard"] = list(self.shard)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExtractReport:
        """The report that ``to_json`` wrote (``kept``, ``extracted`` and ``shard`` may be
        absent, as in reports of merged shards)."""
        shard = data.get("shard")
        return cls(
            splits={s: SplitCount(int(c["ok"]), int(c["total"]))
                    for s, c in data["splits"].items()},
            failures={reason: tuple(Failure(**f) for f in fs)
                      for reason, fs in data["failures"].items()},
            counts={reason: int(n) for reason, n in data["counts"].items()},
            config=dict(data["config"]),
            seconds=data["seconds"],
            kept=data.get("kept"),
            extracted=data.get("extracted"),
            shard=tuple(shard) if shard is not None else None,
        )


def read_report(folder: str | Path) -> ExtractReport:
    """The report of a finished feature folder (FileNotFoundError naming what to run)."""
    folder = require_done(folder)
    return ExtractReport.from_json(json.loads((folder / REPORT_FILE).read_text()))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that a reader sees the old file or the new one, never half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def clear_folder(folder: Path) -> None:
    """Remove a feature folder's own files (only those; ``shards/`` stays)."""
    for name in LAYOUT_FILES:
        (folder / name).unlink(missing_ok=True)
    for split in SPLITS:
        for name in (features_file(split), status_file(split)):
            (folder / name).unlink(missing_ok=True)


__all__ = ["CHECKSUMS_FILE", "DONE_FILE", "ExtractReport", "FAILURES_FILE", "FORMAT_VERSION",
           "Failure",
           "INDEX_COLUMNS", "INDEX_DTYPES", "INDEX_FILE", "LAYOUT_FILES", "PLAN_COLUMNS",
           "REPORT_FILE", "SETTINGS_FILE", "SHARDS_DIR", "STATUS_CODE", "STATUS_NAMES",
           "SplitCount", "TAGS_FILE", "features_file", "read_failures", "read_index",
           "read_json", "read_report", "require_done", "shard_folder", "status_file",
           "write_atomic", "clear_folder"]
