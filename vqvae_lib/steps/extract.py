"""Step 01: every clip of a clip table -> one float16 log-mel matrix, resumably.

A feature folder's files are in ``features.layout``, the planning in ``features.plan``,
the decoding pool in ``features.pool``; this module runs the step and merges shards.

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

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets.cliptable import SPLITS, ClipTable
from ..features.checksums import write_checksums
from ..features.layout import (
    DONE_FILE,
    FAILURES_FILE,
    INCOMING_DIR,
    INDEX_COLUMNS,
    INDEX_FILE,
    PLAN_COLUMNS,
    REPORT_FILE,
    SETTINGS_FILE,
    STATUS_CODE,
    STATUS_NAMES,
    TAGS_FILE,
    ExtractReport,
    Failure,
    SplitCount,
    clear_folder,
    features_file,
    read_failures,
    read_index,
    read_json,
    read_report,
    shard_folder,
    status_file,
    write_atomic,
)
from ..features.logmel import FAILURE_REASONS
from ..features.plan import (
    archive_folder,
    carry_over,
    config_record,
    identity,
    open_arrays,
    plan_rows,
    settings_record,
)
from ..features.pool import run_jobs
from ..settings.features import FeatureConfig
from ..utils.progress import progress_bar

# The status codes are spelled out in features.layout (they are a file format): a reason
# added to features must get a code there before a failure of that kind can be stored.
if set(FAILURE_REASONS) - set(STATUS_CODE):
    raise ImportError(f"features.layout.STATUS_NAMES lacks the failure reasons "
                      f"{sorted(set(FAILURE_REASONS) - set(STATUS_CODE))}")

FLUSH_SECONDS = 2.0


def _finish(folder: Path, plan: dict[str, pd.DataFrame], statuses: dict[str, np.ndarray],
            failures: dict[tuple[str, int], dict], config: dict, seconds: float,
            kept: int | None = None, extracted: int | None = None,
            shard: tuple[int, int] | None = None) -> ExtractReport:
    """Write index.csv, extract_report.json, checksums.json and DONE; return the report.
    ``statuses``: split -> uint8 ``[N_split]`` status codes, none of them pending."""
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
    index.to_csv(folder / INDEX_FILE, index=False)
    bad = index[index["status"] != "ok"]
    report = ExtractReport(
        splits={s: SplitCount(ok=int((index["split"].eq(s) & index["status"].eq("ok")).sum()),
                              total=int(index["split"].eq(s).sum())) for s in SPLITS},
        failures={reason: tuple(Failure(split=r.split, row=int(r.row), id=r.id, path=r.path,
                                        message=r.message) for r in grp.itertuples())
                  for reason, grp in bad.groupby("status", sort=True)},
        counts={reason: int(n)
                for reason, n in bad["status"].value_counts().sort_index().items()},
        config=config, seconds=round(seconds, 3), kept=kept, extracted=extracted,
        shard=shard)
    write_atomic(folder / REPORT_FILE, json.dumps(report.to_json(), indent=2))
    write_checksums(folder)
    (folder / DONE_FILE).write_text(time.strftime("%Y-%m-%dT%H:%M:%S") + "\n")
    return report


def extract_features(table: ClipTable, cfg: FeatureConfig, out_dir: str | Path,
                     workers: int | None = None, shard: tuple[int, int] | None = None,
                     progress: bool = True, force: bool = False,
                     archive_dir: str | Path | None = None) -> ExtractReport:
    """Extract the log-mels of every clip of ``table`` into ``out_dir`` (float16
    ``[N_split, n_mels, frames]`` per split, see ``feature_layout``): resuming a killed
    run, skipping a finished one, and extracting only what changed in an edited table.

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
        The report (also written as ``extract_report.json``), with ``kept`` and
        ``extracted`` set. Files that are missing, empty, not audio, corrupt or too short
        are reported there (``failures``, ``counts``), never raised.
    """
    out_dir = Path(out_dir)
    if shard is not None:
        i, n = shard
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f"shard {i}/{n}: expected 0 <= I < N")
        folder = shard_folder(out_dir, i)
    else:
        folder = out_dir
    settings = settings_record(table, cfg, shard)
    old = read_json(folder / SETTINGS_FILE)
    if old is not None and (force or identity(old) != identity(settings)):
        why = "force" if force else "other feature settings"
        moved = archive_folder(folder, Path(archive_dir) if archive_dir else None)
        print(f"{folder}: {why}: extracting again from scratch; the old features are kept "
              f"in {moved}", file=sys.stderr)
        old = None
    plan = plan_rows(table, shard)
    old_index = read_index(folder) if old is not None else None
    if old_index is None and old is not None and old.get("clips") == settings["clips"]:
        # A first extraction that was killed: its arrays follow this very plan.
        old_index = pd.concat(plan.values(), ignore_index=True)
    whole_plan = pd.concat(plan.values(), ignore_index=True)
    if (old == settings and (folder / DONE_FILE).exists() and old_index is not None
            and old_index[PLAN_COLUMNS].astype(str).equals(
                whole_plan[PLAN_COLUMNS].astype(str))):
        report = read_json(folder / REPORT_FILE)
        if report is not None:
            return ExtractReport.from_json(report)
    (folder / DONE_FILE).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    arrays, swapped, kept = {}, [], 0
    for split in SPLITS:
        feats, status, k, files = carry_over(folder, split, plan[split], old_index, cfg)
        arrays[split], kept = (feats, status), kept + k
        if files:
            swapped.append(split)
    if swapped:
        # Crash-safe order: once a split's old status file is gone none of its rows counts
        # as done, so a kill between these lines costs time, never wrong features. Only
        # the splits whose rows move: the others' status arrays are open, and stay valid.
        for split in swapped:
            (folder / status_file(split)).unlink(missing_ok=True)
    write_atomic(folder / SETTINGS_FILE, json.dumps(settings, indent=2))
    (folder / TAGS_FILE).write_text("".join(f"{t}\n" for t in table.tags))
    whole_plan.assign(status="pending", message="")[INDEX_COLUMNS].to_csv(
        folder / (INDEX_FILE + ".tmp"), index=False)
    (folder / (INDEX_FILE + ".tmp")).replace(folder / INDEX_FILE)
    # Every features file before any status file: a status row marked done always has
    # its features in place.
    for name in [features_file(s) for s in swapped] + [status_file(s) for s in swapped]:
        (folder / INCOMING_DIR / name).replace(folder / name)
    if swapped:
        shutil.rmtree(folder / INCOMING_DIR, ignore_errors=True)
        arrays = {s: open_arrays(folder, s, len(plan[s]), cfg) if s in swapped else arrays[s]
                  for s in SPLITS}
    jobs = [(s, int(r), p) for s in SPLITS
            for r, p in zip(plan[s]["row"], plan[s]["path"]) if arrays[s][1][r] == 0]
    total = sum(len(p) for p in plan.values())
    if old_index is not None and kept:
        print(f"{folder}: keeping {kept} clips whose files did not change; extracting "
              f"{len(jobs)}", file=sys.stderr)
    if swapped:
        # Rows moved, so the old failure lines (keyed by row) no longer apply; the failed
        # rows are extracted again and log anew.
        (folder / FAILURES_FILE).write_text("")
    failures_log = (folder / FAILURES_FILE).open("a")
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
                                           "path": plan[split].at[row, "path"],
                                           "message": message}) + "\n")
            failures_log.flush()
        st[row] = STATUS_CODE[status]
        bar.update(1)
        if time.monotonic() - last_flush[0] > FLUSH_SECONDS:
            flush()

    try:
        run_jobs(jobs, cfg, workers if workers is not None else cfg.workers, on_result)
    finally:
        flush()
        bar.close()
        failures_log.close()
    statuses = {s: np.asarray(arrays[s][1]) for s in SPLITS}
    report = _finish(folder, plan, statuses, read_failures(folder), config_record(cfg),
                     time.perf_counter() - start, kept=kept, extracted=len(jobs),
                     shard=tuple(shard) if shard is not None else None)
    arrays.clear()  # the memmaps close once nothing holds them
    return report


# -- shards ------------------------------------------------------------------------------
def merge_shards(out_dir: str | Path, n: int) -> ExtractReport:
    """Combine ``out_dir/shards/0..n-1`` (each finished) into ``out_dir``; returns the
    report of the whole. The result is identical to an unsharded extraction, so a later
    ``extract_features`` with the same table and config finds it done."""
    out_dir = Path(out_dir)
    folders = [shard_folder(out_dir, i) for i in range(n)]
    unfinished = [str(f) for f in folders if not (f / DONE_FILE).exists()]
    if unfinished:
        raise FileNotFoundError(
            f"cannot merge {n} shards: not finished: {', '.join(unfinished)} (run "
            "`vqvae-kit extract PARAMS --shard I/N` for each, and copy their folders here)")
    settings = [read_json(f / SETTINGS_FILE) for f in folders]
    base = {**settings[0], "shard": None}
    for i, s in enumerate(settings):
        if s is None or {**s, "shard": None} != base or s["shard"] != [i, n]:
            raise ValueError(f"{folders[i]}: not shard {i}/{n} of the same extraction as "
                             f"{folders[0]} (other settings, clip list or shard count)")
    if read_json(out_dir / SETTINGS_FILE) == base and (out_dir / DONE_FILE).exists():
        report = read_json(out_dir / REPORT_FILE)
        if report is not None:
            return ExtractReport.from_json(report)
    cfg = FeatureConfig(**base["features"])
    clear_folder(out_dir)
    write_atomic(out_dir / SETTINGS_FILE, json.dumps(base, indent=2))
    shutil.copyfile(folders[0] / TAGS_FILE, out_dir / TAGS_FILE)
    indexes = [pd.read_csv(f / INDEX_FILE, dtype=str, keep_default_na=False) for f in folders]
    plan, statuses, failures = {}, {}, {}
    for split in SPLITS:
        total = base["split_sizes"][split]
        parts = []
        feats, status = open_arrays(out_dir, split, total, cfg)
        for i, (folder, index) in enumerate(zip(folders, indexes)):
            rows = index[index["split"] == split].copy()
            full = i + n * rows["row"].astype(int).to_numpy()
            if len(rows) != len(range(i, total, n)):
                raise ValueError(f"{folder}: {len(rows)} {split} rows, expected "
                                 f"{len(range(i, total, n))}")
            if len(rows):
                feats[full] = np.load(folder / features_file(split), mmap_mode="r")
                status[full] = np.load(folder / status_file(split))
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
    seconds = sum(float((read_json(f / REPORT_FILE) or {}).get("seconds", 0))
                  for f in folders)
    return _finish(out_dir, plan, statuses, failures, base["features"], seconds)


# -- the pipeline step ---------------------------------------------------------------------
def extract_run(run, progress: bool = True) -> dict[str, ExtractReport]:
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


__all__ = ["ExtractReport", "extract_features", "extract_run", "merge_shards"]
