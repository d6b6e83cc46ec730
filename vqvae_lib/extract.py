"""Step 01: every clip of a clip table -> one float16 log-mel matrix, resumably.

Layout of a feature folder (what ``FeatureStore`` reads)::

    tags.txt                one tag per line, label-matrix column order
    index.csv               split, row, id, path, tags (';'-joined), size, mtime (of the
                            audio file when it was planned), status, message
    <split>.npy             float16 [N_split, n_mels, frames], rows in clip-table order;
                            a failed row stays zero (its status says so)
    <split>_status.npy      uint8 [N_split], per-row status code (0 = not done yet)
    extract_report.json     {"splits", "failures", "counts", "config", "seconds"}
    extract_settings.json   what decides the result (features, clip list, shard)
    failures.jsonl          one line per failed clip, appended as they happen
    DONE                    written last

Resuming: the status arrays are memory-mapped, so a row marked done is on disk even when
the process is killed; a new call skips those rows.

Re-running on a changed clip table is incremental: a clip keeps its features when its id,
path, file size and modification time are unchanged and it was extracted; clips that are
new, whose file changed, or that were missing or failed are extracted. A change of tags
or splits only rewrites the index. Other feature settings (or ``force``) move the whole
folder to an archive and start over: features are never deleted here.

Sharding: ``shard=(i, n)`` takes rows ``i, i + n, i + 2n ...`` of each split into
``out_dir/shards/i/`` (the same layout over those rows); ``merge_shards(out_dir, n)``
puts them back in order, giving the files of an unsharded run.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cliptable import SPLITS, ClipTable, file_stat
from .features import FAILURE_REASONS, AudioError, FeatureConfig, clip_features, log_mel
from .progress import progress_bar

FORMAT_VERSION = 1
STATUS_NAMES = ("pending", "ok") + FAILURE_REASONS  # index = code in <split>_status.npy
STATUS_CODE = {name: code for code, name in enumerate(STATUS_NAMES)}
FLUSH_SECONDS = 2.0
PLAN_COLUMNS = ["split", "row", "id", "path", "tags", "size", "mtime"]
INDEX_COLUMNS = [*PLAN_COLUMNS, "status", "message"]
_LAYOUT = ("tags.txt", "index.csv", "extract_report.json", "extract_settings.json",
           "failures.jsonl", "DONE")


# -- one clip (runs in the worker processes) ---------------------------------------------
def _features_or_failure(path: str, cfg: FeatureConfig) -> tuple[str, np.ndarray | None, str]:
    """``(status, float16 [n_mels, frames] or None, message)``; never raises an Exception,
    so one bad file cannot stop an extraction."""
    try:
        return "ok", clip_features(path, cfg).astype(np.float16), ""
    except AudioError as exc:
        return exc.reason, None, exc.message
    except Exception as exc:  # a decoder bug on one file must not end the run
        return "error", None, f"{type(exc).__name__}: {exc}"


def _work(job: tuple[str, int, str], cfg: FeatureConfig):
    split, row, path = job
    return (split, row, *_features_or_failure(path, cfg))


# -- settings and plan -------------------------------------------------------------------
def _clip_hash(table: ClipTable) -> str:
    h = hashlib.sha256()
    for s, i, p, t in zip(table.clips["split"], table.clips["id"], table.clips["path"],
                          table.clips["tags"]):
        h.update(json.dumps([s, str(i), str(p), list(t)]).encode())
    h.update(json.dumps(list(table.tags)).encode())
    return h.hexdigest()[:20]


def _config_record(cfg: FeatureConfig) -> dict[str, Any]:
    # workers changes the speed, not the result: it is not part of a folder's identity.
    return {k: v for k, v in asdict(cfg).items() if k != "workers"}


def _settings(table: ClipTable, cfg: FeatureConfig, shard: tuple[int, int] | None) -> dict:
    return {"format": FORMAT_VERSION, "features": _config_record(cfg),
            "clips": _clip_hash(table), "split_sizes": table.split_sizes(),
            "tags": list(table.tags), "shard": list(shard) if shard else None}


def _identity(settings: dict | None) -> dict | None:
    """What makes stored features incomparable: the format, the feature settings and
    the shard. The clip list is not part of it: a changed list is extracted incrementally."""
    if settings is None:
        return None
    return {k: settings.get(k) for k in ("format", "features", "shard")}


def _plan(table: ClipTable, shard: tuple[int, int] | None) -> dict[str, pd.DataFrame]:
    """Split -> the rows this folder holds (``row`` = position in its arrays), with each
    audio file's size and mtime as they are now."""
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


def read_index(folder: Path) -> pd.DataFrame | None:
    """A feature folder's ``index.csv`` (the plan its arrays follow), or None."""
    path = Path(folder) / "index.csv"
    if not path.exists():
        return None
    index = pd.read_csv(path, dtype={"id": str, "path": str, "tags": str, "status": str,
                                     "message": str, "split": str}, keep_default_na=False)
    if "size" not in index.columns:
        # Written before sizes were recorded: trust the files as they are now.
        stats = [file_stat(p) for p in index["path"]]
        index["size"] = [st[0] for st in stats]
        index["mtime"] = [st[1] for st in stats]
    return index


def _keep_map(new: pd.DataFrame, old: pd.DataFrame | None, old_status: np.ndarray | None,
              keep_failed: bool) -> np.ndarray:
    """For each new row, the old row whose result it keeps, or -1 (extract it): same id,
    path, file size and mtime, and extracted before (with ``keep_failed``, a failure on
    an unchanged file is kept too: decoding it again would fail the same way)."""
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
    """How ``table`` differs from the clips a feature folder was made from: clips
    ``added``, ``removed``, ``changed`` (other path, or the file's size or mtime
    changed), ``relabelled`` and ``moved`` (to another split)."""
    if old is None:
        return {"added": len(table.clips), "removed": 0, "changed": 0, "relabelled": 0,
                "moved": 0}
    new = pd.concat(_plan(table, None).values(), ignore_index=True).set_index("id")
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


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _clear(folder: Path) -> None:
    """Remove this module's files (only those; ``shards/`` stays) from ``folder``."""
    for name in _LAYOUT:
        (folder / name).unlink(missing_ok=True)
    for split in SPLITS:
        for name in (f"{split}.npy", f"{split}_status.npy"):
            (folder / name).unlink(missing_ok=True)


def _open_arrays(folder: Path, split: str, n: int, cfg: FeatureConfig
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(features float16 [n, n_mels, frames], status uint8 [n])``, created if absent."""
    fpath, spath = folder / f"{split}.npy", folder / f"{split}_status.npy"
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


# -- the loop ----------------------------------------------------------------------------
def _pool(workers: int) -> cf.ProcessPoolExecutor:
    # fork (where it exists and is safe) starts workers in milliseconds with librosa
    # already imported; spawn elsewhere (macOS, Windows).
    ctx = None
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("fork")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _run_jobs(jobs: list[tuple[str, int, str]], cfg: FeatureConfig, workers: int,
              on_result) -> None:
    """Compute every job, calling ``on_result(split, row, status, feats, message)`` in the
    calling process as results arrive (in any order)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            on_result(*_work(job, cfg))
        return
    # Build the cached filterbank and window (and librosa's lazy imports, ~1 s) once
    # here, so that forked workers start warm.
    log_mel(np.zeros(cfg.n_fft, np.float32), cfg)
    pending = list(reversed(jobs))
    window = 4 * workers  # bounded: results are written as they come, memory stays flat
    while pending:
        suspects: list[tuple[str, int, str]] = []
        with _pool(workers) as pool:
            running: dict[cf.Future, tuple[str, int, str]] = {}
            try:
                while pending or running:
                    while pending and len(running) < window:
                        job = pending.pop()
                        running[pool.submit(_work, job, cfg)] = job
                    done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                    for fut in done:
                        result = fut.result()  # a dead worker raises here: job stays in running
                        del running[fut]
                        on_result(*result)
            except cf.process.BrokenProcessPool:
                # A worker died (a decoder crash on some file): find the file by running
                # each job that was in flight on its own.
                suspects = list(running.values())
        for job in suspects:
            with _pool(1) as solo:
                try:
                    on_result(*solo.submit(_work, job, cfg).result())
                except cf.process.BrokenProcessPool:
                    on_result(job[0], job[1], "corrupt", None,
                              "the audio decoder crashed on this file")


def _load_failures(folder: Path) -> dict[tuple[str, int], dict]:
    out = {}
    path = folder / "failures.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
                out[(rec["split"], int(rec["row"]))] = rec
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a line cut short by a kill
    return out


def _finish(folder: Path, plan: dict[str, pd.DataFrame], statuses: dict[str, np.ndarray],
            failures: dict[tuple[str, int], dict], config: dict, seconds: float,
            extra: dict | None = None) -> dict:
    """Write index.csv, extract_report.json and DONE; return the report."""
    frames = []
    for split in SPLITS:
        df = plan[split].copy()
        df["status"] = [STATUS_NAMES[c] for c in statuses[split]]
        df["message"] = [failures.get((split, r), {}).get("message", "") if s != "ok" else ""
                         for r, s in zip(df["row"], df["status"])]
        frames.append(df)
    index = pd.concat(frames, ignore_index=True)[INDEX_COLUMNS]
    if (index["status"] == "pending").any():
        raise RuntimeError(f"{folder}: {int((index['status'] == 'pending').sum())} clips "
                           "were not extracted")
    index.to_csv(folder / "index.csv", index=False)
    bad = index[index["status"] != "ok"]
    report = {
        "splits": {s: {"ok": int((index["split"].eq(s) & index["status"].eq("ok")).sum()),
                       "total": int(index["split"].eq(s).sum())} for s in SPLITS},
        "failures": {reason: [{"split": r.split, "row": int(r.row), "id": r.id,
                               "path": r.path, "message": r.message}
                              for r in grp.itertuples()]
                     for reason, grp in bad.groupby("status", sort=True)},
        "counts": {reason: int(n)
                   for reason, n in bad["status"].value_counts().sort_index().items()},
        "config": config,
        "seconds": round(seconds, 3),
        **(extra or {}),
    }
    _write_atomic(folder / "extract_report.json", json.dumps(report, indent=2))
    (folder / "DONE").write_text(time.strftime("%Y-%m-%dT%H:%M:%S") + "\n")
    return report


def archive_folder(folder: Path, archive_dir: Path | None = None) -> Path:
    """Move ``folder`` whole to ``archive_dir`` (default: ``<folder>.previous-<UTC time>``
    beside it) and return where it went."""
    if archive_dir is None:
        archive_dir = folder.with_name(f"{folder.name}.previous-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    archive_dir = Path(archive_dir)
    archive_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder), str(archive_dir))
    return archive_dir


def _carry_over(folder: Path, split: str, new: pd.DataFrame, old: pd.DataFrame | None,
                cfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray, int, list[Path]]:
    """Open ``split``'s arrays for the rows of ``new``, keeping the features of rows that
    did not change. Returns ``(features, status, rows kept, files to swap in)``: when the
    row layout changed, the kept rows are copied into new arrays at temporary paths that
    the caller moves into place once the new index is written."""
    old_rows = None if old is None else old[old["split"] == split].reset_index(drop=True)
    spath = folder / f"{split}_status.npy"
    try:
        old_status = np.load(spath) if old_rows is not None and spath.exists() else None
    except (OSError, ValueError):
        old_status = None
    same_layout = (old_rows is not None and old_status is not None
                   and len(old_status) == len(old_rows) == len(new)
                   and list(old_rows["id"]) == list(new["id"]))
    src = _keep_map(new, old_rows, old_status, keep_failed=same_layout)
    if same_layout:
        feats, status = _open_arrays(folder, split, len(new), cfg)
        if len(new):
            # Same rows: only those whose file changed are redone, in place.
            status[src < 0] = STATUS_CODE["pending"]
        return feats, status, int((src >= 0).sum()), []
    tmp = folder / "incoming"
    tmp.mkdir(exist_ok=True)
    for name in (f"{split}.npy", f"{split}_status.npy"):
        (tmp / name).unlink(missing_ok=True)  # left by a killed call: start clean
    feats, status = _open_arrays(tmp, split, len(new), cfg)  # all rows pending
    keep = np.flatnonzero(src >= 0)
    if len(keep):
        old_feats = np.load(folder / f"{split}.npy", mmap_mode="r")
        feats[keep] = old_feats[src[keep]]
        status[keep] = STATUS_CODE["ok"]
        del old_feats
    if isinstance(feats, np.memmap):
        feats.flush()
        status.flush()
    return feats, status, len(keep), [tmp / f"{split}.npy", tmp / f"{split}_status.npy"]


def extract_features(table: ClipTable, cfg: FeatureConfig, out_dir: str | Path,
                     workers: int | None = None, shard: tuple[int, int] | None = None,
                     progress: bool = True, force: bool = False,
                     archive_dir: str | Path | None = None) -> dict:
    """Extract the log-mels of every clip of ``table`` into ``out_dir`` (see the module
    docstring for the layout): resuming a killed run, skipping a finished one, and
    extracting only what changed in an edited clip table.

    Args:
        table: the clips and their tag vocabulary.
        cfg: feature settings.
        out_dir: the feature folder.
        workers: processes; default ``cfg.workers``; 1 computes in this process.
        shard: ``(i, n)``: extract only shard ``i`` of ``n`` into ``out_dir/shards/i``.
        progress: show a tqdm bar.
        force: archive the folder and extract every clip again.
        archive_dir: where an archived folder goes (default: beside it, see
            ``archive_folder``).

    Returns:
        The report: ``{"splits": {split: {"ok", "total"}}, "failures": {reason: [{"split",
        "row", "id", "path", "message"}]}, "counts": {reason: n}, "config", "seconds",
        "kept", "extracted"}``. Files that are missing, empty, not audio, corrupt or too
        short are reported there, never raised.
    """
    out_dir = Path(out_dir)
    if shard is not None:
        i, n = shard
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f"shard {i}/{n}: expected 0 <= I < N")
        folder = out_dir / "shards" / str(i)
    else:
        folder = out_dir
    settings = _settings(table, cfg, shard)
    old = _read_json(folder / "extract_settings.json")
    if old is not None and (force or _identity(old) != _identity(settings)):
        why = "force" if force else "other feature settings"
        moved = archive_folder(folder, Path(archive_dir) if archive_dir else None)
        print(f"{folder}: {why}: extracting again from scratch; the old features are kept "
              f"in {moved}", file=sys.stderr)
        old = None
    plan = _plan(table, shard)
    old_index = read_index(folder) if old is not None else None
    if old_index is None and old is not None and old.get("clips") == settings["clips"]:
        # A first extraction that was killed: its arrays follow this very plan.
        old_index = pd.concat(plan.values(), ignore_index=True)
    whole_plan = pd.concat(plan.values(), ignore_index=True)
    if (old == settings and (folder / "DONE").exists() and old_index is not None
            and old_index[PLAN_COLUMNS].astype(str).equals(whole_plan[PLAN_COLUMNS].astype(str))):
        report = _read_json(folder / "extract_report.json")
        if report is not None:
            return report
    (folder / "DONE").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    arrays, swaps, kept = {}, [], 0
    for split in SPLITS:
        feats, status, k, files = _carry_over(folder, split, plan[split], old_index, cfg)
        arrays[split], kept, swaps = (feats, status), kept + k, swaps + files
    if swaps:
        # Crash-safe order: once a split's old status file is gone none of its rows counts
        # as done, so a kill between these lines costs time, never wrong features.
        for split in SPLITS:
            (folder / f"{split}_status.npy").unlink(missing_ok=True)
    _write_atomic(folder / "extract_settings.json", json.dumps(settings, indent=2))
    (folder / "tags.txt").write_text("".join(f"{t}\n" for t in table.tags))
    whole_plan.assign(status="pending", message="")[INDEX_COLUMNS].to_csv(
        folder / "index.csv.tmp", index=False)
    (folder / "index.csv.tmp").replace(folder / "index.csv")
    for path in swaps:
        if path.name.endswith("_status.npy"):
            continue
        path.replace(folder / path.name)
    for path in swaps:
        if path.name.endswith("_status.npy"):
            path.replace(folder / path.name)
    if swaps:
        shutil.rmtree(folder / "incoming", ignore_errors=True)
        swapped = {path.name.removesuffix(".npy") for path in swaps}
        arrays = {s: _open_arrays(folder, s, len(plan[s]), cfg) if s in swapped else arrays[s]
                  for s in SPLITS}
    jobs = [(s, int(r), p) for s in SPLITS
            for r, p in zip(plan[s]["row"], plan[s]["path"]) if arrays[s][1][r] == 0]
    total = sum(len(p) for p in plan.values())
    if old_index is not None and kept:
        print(f"{folder}: keeping {kept} clips whose files did not change; extracting "
              f"{len(jobs)}", file=sys.stderr)
    if swaps:
        # Rows moved, so the old failure lines (keyed by row) no longer apply; the failed
        # rows are extracted again and log anew.
        (folder / "failures.jsonl").write_text("")
    failures_log = (folder / "failures.jsonl").open("a")
    bar = progress_bar(total=total, initial=total - len(jobs), desc=f"extract {folder.name}",
                      unit="clip", disable=not progress, mininterval=1.0)
    last_flush = [time.monotonic()]

    def flush() -> None:
        # Features before status: a row marked done always has its features on disk.
        for feats, status in arrays.values():
            if isinstance(feats, np.memmap):
                feats.flush()
                status.flush()
        failures_log.flush()
        last_flush[0] = time.monotonic()

    def on_result(split: str, row: int, status: str, feats: np.ndarray | None,
                  message: str) -> None:
        f, st = arrays[split]
        if feats is not None:
            f[row] = feats
        else:
            failures_log.write(json.dumps({"split": split, "row": row, "status": status,
                                           "path": plan[split]["path"][row],
                                           "message": message}) + "\n")
            failures_log.flush()
        st[row] = STATUS_CODE[status]
        bar.update(1)
        if time.monotonic() - last_flush[0] > FLUSH_SECONDS:
            flush()

    try:
        _run_jobs(jobs, cfg, workers if workers is not None else cfg.workers, on_result)
    finally:
        flush()
        bar.close()
        failures_log.close()
    statuses = {s: np.asarray(arrays[s][1]) for s in SPLITS}
    extra = {"kept": kept, "extracted": len(jobs)}
    if shard is not None:
        extra["shard"] = list(shard)
    report = _finish(folder, plan, statuses, _load_failures(folder), _config_record(cfg),
                     time.perf_counter() - start, extra)
    del arrays
    return report


# -- shards ------------------------------------------------------------------------------
def merge_shards(out_dir: str | Path, n: int) -> dict:
    """Combine ``out_dir/shards/0..n-1`` (each finished) into ``out_dir``; returns the
    report of the whole. The result is identical to an unsharded extraction, so a later
    ``extract_features`` with the same table and config finds it done."""
    out_dir = Path(out_dir)
    folders = [out_dir / "shards" / str(i) for i in range(n)]
    unfinished = [str(f) for f in folders if not (f / "DONE").exists()]
    if unfinished:
        raise FileNotFoundError(
            f"cannot merge {n} shards: not finished: {', '.join(unfinished)} (run "
            "`vqvae-kit extract PARAMS --shard I/N` for each, and copy their folders here)")
    settings = [_read_json(f / "extract_settings.json") for f in folders]
    base = {**settings[0], "shard": None}
    for i, s in enumerate(settings):
        if s is None or {**s, "shard": None} != base or s["shard"] != [i, n]:
            raise ValueError(f"{folders[i]}: not shard {i}/{n} of the same extraction as "
                             f"{folders[0]} (other settings, clip list or shard count)")
    if _read_json(out_dir / "extract_settings.json") == base and (out_dir / "DONE").exists():
        report = _read_json(out_dir / "extract_report.json")
        if report is not None:
            return report
    cfg = FeatureConfig(**base["features"])
    _clear(out_dir)
    _write_atomic(out_dir / "extract_settings.json", json.dumps(base, indent=2))
    shutil.copyfile(folders[0] / "tags.txt", out_dir / "tags.txt")
    indexes = [pd.read_csv(f / "index.csv", dtype=str, keep_default_na=False) for f in folders]
    plan, statuses, failures = {}, {}, {}
    for split in SPLITS:
        total = base["split_sizes"][split]
        parts = []
        feats, status = _open_arrays(out_dir, split, total, cfg)
        for i, (folder, index) in enumerate(zip(folders, indexes)):
            rows = index[index["split"] == split].copy()
            full = i + n * rows["row"].astype(int).to_numpy()
            if len(rows) != len(range(i, total, n)):
                raise ValueError(f"{folder}: {len(rows)} {split} rows, expected "
                                 f"{len(range(i, total, n))}")
            if len(rows):
                feats[full] = np.load(folder / f"{split}.npy", mmap_mode="r")
                status[full] = np.load(folder / f"{split}_status.npy")
            rows["row"] = full
            parts.append(rows)
        if isinstance(feats, np.memmap):
            feats.flush()
            status.flush()
        merged = pd.concat(parts).sort_values("row", key=lambda r: r.astype(int))
        merged = merged.reset_index(drop=True)
        plan[split] = merged[PLAN_COLUMNS]
        statuses[split] = np.asarray(status)
        for r in merged.itertuples():
            if r.status != "ok":
                failures[(split, int(r.row))] = {"message": r.message}
        del feats, status
    seconds = sum(float((_read_json(f / "extract_report.json") or {}).get("seconds", 0))
                  for f in folders)
    return _finish(out_dir, plan, statuses, failures, base["features"], seconds)


# -- the pipeline step ---------------------------------------------------------------------
def read_report(folder: str | Path) -> dict:
    """The report of a finished feature folder (FileNotFoundError naming what to run)."""
    from .feature_store import require_done

    folder = Path(folder)
    require_done(folder)
    return json.loads((folder / "extract_report.json").read_text())


def extract_run(run, progress: bool = True) -> dict[str, dict]:
    """Step ``extract`` of a run: role -> report for each of ``run.dataset_roles()``.

    The run that owns extraction extracts (resuming or skipping as needed); a run that
    reuses another's extraction only reads that run's reports.
    """
    owner = run.owner("extract")
    reports = {}
    for role in run.dataset_roles():
        out = run.features_dir(role)
        if owner is run:
            reports[role] = extract_features(
                run.clip_table(role), run.params.features, out,
                workers=run.params.features.workers, progress=progress,
                archive_dir=run.new_archive("extract") / "features" / role)
        else:
            reports[role] = read_report(out)
    return reports


__all__ = ["STATUS_NAMES", "extract_features", "extract_run", "merge_shards", "read_report"]
