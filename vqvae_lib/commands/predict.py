"""``vqvae-kit predict``: tag audio files with a trained run, from a terminal.

    vqvae-kit predict RUN AUDIO... [--top K] [--threshold tuned|F] [--json OUT | --csv OUT]
        [--embeddings OUT.npz] [--batch-size B] [--device auto|cpu|cuda]

RUN is a run folder or its params file; AUDIO files, folders or globs. The tagging is
``predict.predict_files``; what is printed or written, ``predict_output``. Exits with 2
on bad arguments or a run folder without a trained tagger, 1 when a file failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("predict", help="tag audio files with a trained run")
    p.add_argument("run", help="a run folder, or the run's params file")
    p.add_argument("audio", nargs="+", help="audio files, folders (searched recursively) or globs")
    p.add_argument("--outputs", help="folder holding all runs (when RUN is a params file)")
    p.add_argument("--top", type=int, default=5, help="tags listed per file (default 5)")
    p.add_argument("--threshold", default="tuned",
                   help="'tuned' (the run's per-tag thresholds from validation, the default) "
                        "or one score in [0, 1] for every tag")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", type=Path, help="write one object per file to this JSON file")
    out.add_argument("--csv", type=Path, help="write one row per file (every tag's score)")
    p.add_argument("--embeddings", type=Path,
                   help="write each file's mean encoder output and code histogram (.npz)")
    p.add_argument("--batch-size", type=int, default=16, help="clips scored together")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    return p


def main(args: argparse.Namespace) -> int:
    # torch and the models: loaded only when audio is tagged, not to parse the arguments
    from ..inference.output import format_table, to_csv_table, to_json_records, write_embeddings
    from ..inference.predict import RunFolderError, load_tagger, predict_files

    if args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    threshold: str | float = args.threshold
    if threshold != "tuned":
        try:
            threshold = float(threshold)
        except ValueError:
            threshold = float("nan")
        if not 0.0 <= threshold <= 1.0:  # NaN fails this too
            print(f"error: --threshold must be 'tuned' or a score from 0 to 1, got "
                  f"{args.threshold!r}", file=sys.stderr)
            return 2
    try:
        tagger = load_tagger(args.run, args.outputs, device=args.device,
                             need_thresholds=threshold == "tuned")
    except RunFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = predict_files(tagger, args.audio, top=args.top, threshold=threshold,
                          batch_size=args.batch_size, embeddings=args.embeddings is not None,
                          progress=sys.stderr.isatty())
    if len(table) == 0:
        print("error: no audio files found in " + " ".join(args.audio), file=sys.stderr)
        return 2
    failed = table["error"].notna()
    if args.json:
        args.json.write_text(json.dumps(to_json_records(table), indent=2) + "\n")
    elif args.csv:
        to_csv_table(table).to_csv(args.csv, index=False)
    else:
        print(format_table(table))
    if args.embeddings:
        write_embeddings(table, args.embeddings)
    written = args.json or args.csv
    ok = len(table) - int(failed.sum())
    print(f"tagged {ok} of {len(table)} files with {tagger.folder}"
          + (f"; wrote {written}" if written else "")
          + (f"; embeddings in {args.embeddings}" if args.embeddings else ""), file=sys.stderr)
    for row in table[table["note"].notna()].itertuples(index=False):
        print(f"! {row.path}: {row.note}", file=sys.stderr)
    for row in table[failed].itertuples(index=False):
        print(f"x {row.path}: {row.error}", file=sys.stderr)
    return 1 if failed.any() else 0
