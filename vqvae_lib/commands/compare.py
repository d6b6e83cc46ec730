"""``vqvae-kit compare``: is run A better than run B beyond the luck of the test clips?

    vqvae-kit compare --groundtruth GT.npy --a A.npy --b B.npy
        [--resamples 1000] [--seed 0] [--json OUT.json|-]
    vqvae-kit compare RUN_A RUN_B [--outputs DIR] [--resamples 1000] [--seed 0] [--json ...]

The comparison itself is ``evaluation.compare``; the bootstrap is ``evaluation.stats``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "compare", help="A minus B on the ranking metrics, with a paired bootstrap interval",
        description="Run A minus run B on ROC-AUC and PR-AUC (macro, micro) of the test "
        "split, with a 95% interval from resampling the test clips (the same clips for "
        "both runs). Give two run folders (or params files), or the ground truth and the "
        "two runs' predictions as .npy files.")
    p.add_argument("runs", nargs="*", metavar="RUN",
                   help="two run folders or params files: A, then B")
    p.add_argument("--outputs", help="folder holding all runs (when a RUN is a params file)")
    p.add_argument("--groundtruth", help="bool [clips, tags] .npy (test split)")
    p.add_argument("--a", help="float [clips, tags] .npy: run A's test predictions")
    p.add_argument("--b", help="float [clips, tags] .npy: run B's test predictions")
    p.add_argument("--resamples", type=int, default=1000,
                   help="bootstrap resamples of the test clips (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--json", help="write the comparison as JSON to this file ('-': stdout)")
    return p


def _inputs(args: argparse.Namespace) -> tuple:
    """Ground truth, A's and B's predictions, both names, and how rows were paired."""
    from ..evaluation.compare import load_files, load_run_scores, pair_runs, run_folder
    from ..evaluation.inputs import InputError

    files = (args.groundtruth, args.a, args.b)
    if args.runs and any(files):
        raise InputError("give either two runs or --groundtruth, --a and --b, not both")
    if args.runs:
        if len(args.runs) != 2:
            raise InputError(f"give two runs to compare (A, then B), got {len(args.runs)}")
        a, b = (load_run_scores(run_folder(r, args.outputs)) for r in args.runs)
        gt, pa, pb, paired = pair_runs(a, b)
        return gt, pa, pb, a.source, b.source, paired
    if not all(files):
        raise InputError("give two run folders, or all of --groundtruth, --a and --b")
    gt, pa, pb = load_files(*files)
    return gt, pa, pb, args.a, args.b, f"{len(gt)} clips paired by row"


def main(args: argparse.Namespace) -> int:
    from ..evaluation.compare import CONFIDENCE, format_comparison
    from ..evaluation.inputs import InputError, json_ready
    from ..evaluation.ranking import KEYS
    from ..evaluation.stats import paired_bootstrap

    if args.resamples < 1:
        print(f"error: --resamples {args.resamples}: expected 1 or more", file=sys.stderr)
        return 2
    try:
        gt, pa, pb, name_a, name_b, paired = _inputs(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = paired_bootstrap(gt, pa, pb, n_resamples=args.resamples, seed=args.seed,
                              confidence=CONFIDENCE, keys=KEYS)
    # JSON on stdout must stay parseable, so the table goes to stderr then.
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"{paired}, {gt.shape[1]} tags; {args.resamples} resamples of the clips "
          f"(seed {args.seed}), {CONFIDENCE:.0%} percentile intervals", file=out)
    print(format_comparison(result, name_a, name_b), file=out)
    text = json.dumps(json_ready(result), indent=2)
    if args.json == "-":
        print(text)
    elif args.json:
        Path(args.json).write_text(text + "\n")
    return 0
