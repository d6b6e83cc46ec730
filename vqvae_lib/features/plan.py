"""Planning an extraction: which clips a feature folder holds, and which of them keep the
features already stored (see ``extract`` for the step itself).

A folder's identity is part of its settings record (``settings_record``): stored arrays
are reusable only under the same format, feature settings and shard, else the folder is
archived whole (``archive_folder``). Within one identity, a re-run on a changed clip
table is incremental: a clip keeps its features when its id, path, file size and
modification time are unchanged and it was extracted before (``carry_over``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..datasets.cliptable import SPLITS, ClipTable
from ..settings.features import FeatureConfig
from .layout import FORMAT_VERSION, INCOMING_DIR, STATUS_CODE, features_file, status_file


# -- settings ----------------------------------------------------------------------------
def _clip_hash(table: ClipTable) -> str:
    h = hashlib.sha256()
    for s, i, p, t in zip(table.clips["split"], table.clips["id"], table.clips["path"],
                          table.clips["tags"]):
        h.update(json.dumps([s, str(i), str(p), list(t)]).encode())
    h.update(json.dumps(list(table.tags)).encode())
    return h.hexdigest()[:20]


def config_record(cfg: FeatureConfig) -> dict[str, Any]:
    """The feature settings as stored in the settings and the report."""
    # workers changes the speed, not the result: it is not part of a folder's identity.
    return {k: v for k, v in asdict(cfg).items() if k != "workers"}


def settings_record(table: ClipTable, cfg: FeatureConfig,
                    shard: tuple[int, int] | None) -> dict:
    """What ``extract_settings.json`` holds for an extraction of ``table``."""
    return {"format": FORMAT_VERSION, "features": config_record(cfg),
            "clips": _clip_hash(table), "split_sizes": table.split_sizes(),
            "tags": list(table.tags), "shard": list(shard) if shard else None}


def identity(settings: dict | None) -> dict | None:
    """What makes stored features incomparable: the format, the feature settings and
    the shard. The clip list is not part of it: a changed list is extracted incrementally."""
    if settings is None:
        return None
    return {k: settings.get(k) for k in ("format", "features", "shard")}


def archive_folder(folder: Path, archive_dir: Path | None = None) -> Path:
    """Move ``folder`` whole to ``archive_dir`` (default: ``<folder>.previous-<UTC time>``
    beside it) and return where it went."""
    if archive_dir is None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        archive_dir = folder.with_name(f"{folder.name}.previous-{stamp}")
    archive_dir = Path(archive_dir)
    archive_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder), str(archive_dir))
    return archive_dir


# -- plan --------------------------------------------------------------------------------
def plan_rows(table: ClipTable, shard: tuple[int, int] | None) -> dict[str, pd.DataFrame]:
    """Split -> the rows this folder holds (``row`` = position in its arrays), with each
    audio file's size and mtime as they are now (``PLAN_COLUMNS``)."""
    stats = pd.DataFrame(table.file_stats(), columns=["size", "mtime"], dtype=np.int64)
    clips = pd.concat([table.clips, stats], axis=1)
    plan = {}
    for split in SPLITS:
        rows = clips[clips["split"] == split].reset_index(drop=True)
        if shard is not None:
            rows = rows.iloc[shard[0]::shard[1]].reset_index(drop=True)
        plan[split] = pd.DataFrame({
            "split": split, "row": np.arange(len(rows)), "id": rows["id"].astype(str),
            "path": rows["path"].astype(str),
            "tags": [";".join(t) for t in rows["tags"]],
            "size": rows["size"].to_numpy(np.int64), "mtime": rows["mtime"].to_numpy(np.int64)})
    return plan


def _keep_map(new: pd.DataFrame, old: pd.DataFrame | None, old_status: np.ndarray | None,
              keep_failed: bool) -> np.ndarray:
    """For each new row, the old row whose result it keeps, or -1 (extract it): int
    ``[len(new)]``. Kept: same id, path, file size and mtime, and extracted before (with
    ``keep_failed``, a failure on an unchanged file is kept too: decoding it again would
    fail the same way)."""
    src = np.full(len(new), -1, dtype=np.int64)
    if old is None or old_status is None or len(old_status) != len(old):
        return src
    by_id = {r.id: r for r in old.itertuples(index=False)}
    for i, r in enumerate(new.itertuples(index=False)):
        o = by_id.get(r.id)
        if o is None or o.path != r.path or int(o.size) != int(r.size) \
                or int(o.mtime) != int(r.mtime):
            continue
        code = old_status[int(o.row)]
        if code == STATUS_CODE["ok"] or (keep_failed and code != STATUS_CODE["pending"]):
            src[i] = int(o.row)
    return src


def compare_clips(old: pd.DataFrame | None, table: ClipTable) -> dict[str, int]:
    """How ``table`` differs from the clips a feature folder was made from (``old``: its
    ``read_index``): clips ``added``, ``removed``, ``changed`` (other path, or the file's
    size or mtime changed), ``relabelled`` and ``moved`` (to another split)."""
    if old is None:
        return {"added": len(table.clips), "removed": 0, "changed": 0, "relabelled": 0,
                "moved": 0}
    new = pd.concat(plan_rows(table, None).values(), ignore_index=True).set_index("id")
    old = old.set_index("id")
    common = new.index.intersection(old.index)
    n, o = new.loc[common], old.loc[common]
    return {
        "added": int(len(new.index.difference(old.index))),
        "removed": int(len(old.index.difference(new.index))),
        "changed": int(((n["path"] != o["path"]) | (n["size"] != o["size"].astype(np.int64))
                        | (n["mtime"] != o["mtime"].astype(np.int64))).sum()),
        "relabelled": int((n["tags"] != o["tags"]).sum()),
        "moved": int((n["split"] != o["split"]).sum()),
    }


# -- arrays ------------------------------------------------------------------------------
def open_arrays(folder: Path, split: str, n: int, cfg: FeatureConfig
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(features float16 [n, n_mels, frames], status uint8 [n])``, created if absent."""
    fpath, spath = folder / features_file(split), folder / status_file(split)
    shape = (n, cfg.n_mels, cfg.frames)
    if n == 0:
        # mmap cannot map an empty file: plain arrays, saved at once.
        feats, status = np.zeros(shape, np.float16), np.zeros(0, np.uint8)
        np.save(fpath, feats)
        np.save(spath, status)
        return feats, status
    try:
        feats = np.load(fpath, mmap_mode="r+")
        status = np.load(spath, mmap_mode="r+")
        if feats.shape == shape and feats.dtype == np.float16 and status.shape == (n,):
            return feats, status
    except (OSError, ValueError):
        pass
    # Start this split over: without a status file no row counts as done.
    spath.unlink(missing_ok=True)
    feats = np.lib.format.open_memmap(fpath, mode="w+", dtype=np.float16, shape=shape)
    status = np.lib.format.open_memmap(spath, mode="w+", dtype=np.uint8, shape=(n,))
    return feats, status


def carry_over(folder: Path, split: str, new: pd.DataFrame, old: pd.DataFrame | None,
               cfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray, int, list[Path]]:
    """Open ``split``'s arrays for the rows of ``new``, keeping the features of rows that
    did not change. Returns ``(features float16 [N, n_mels, frames], status uint8 [N],
    rows kept, files to swap in)``: when the row layout changed, the kept rows are copied
    into new arrays at temporary paths that the caller moves into place once the new
    index is written."""
    old_rows = None if old is None else old[old["split"] == split].reset_index(drop=True)
    spath = folder / status_file(split)
    try:
        old_status = np.load(spath) if old_rows is not None and spath.exists() else None
    except (OSError, ValueError):
        old_status = None
    same_layout = (old_rows is not None and old_status is not None
                   and len(old_status) == len(old_rows) == len(new)
                   and list(old_rows["id"]) == list(new["id"]))
    src = _keep_map(new, old_rows, old_status, keep_failed=same_layout)
    if same_layout:
        feats, status = open_arrays(folder, split, len(new), cfg)
        if len(new):
            # Same rows: only those whose file changed are redone, in place.
            status[src < 0] = STATUS_CODE["pending"]
        return feats, status, int((src >= 0).sum()), []
    tmp = folder / INCOMING_DIR
    tmp.mkdir(exist_ok=True)
    for name in (features_file(split), status_file(split)):
        (tmp / name).unlink(missing_ok=True)  # left by a killed call: start clean
    feats, status = open_arrays(tmp, split, len(new), cfg)  # all rows pending
    keep = np.flatnonzero(src >= 0)
    if len(keep):
        old_feats = np.load(folder / features_file(split), mmap_mode="r")
        feats[keep] = old_feats[src[keep]]
        status[keep] = STATUS_CODE["ok"]
        del old_feats
    if isinstance(feats, np.memmap):
        feats.flush()
        status.flush()
    return feats, status, len(keep), [tmp / features_file(split), tmp / status_file(split)]


__all__ = ["archive_folder", "carry_over", "compare_clips", "config_record", "identity",
           "open_arrays", "plan_rows", "settings_record"]
