"""``vqvae-kit evaluate``: the MediaEval 2019 metrics of predictions given as files.

Command line, on files in the MediaEval layout (``.npy``, clips x tags, columns in
``tags.txt`` order)::

    vqvae-kit evaluate --groundtruth GT.npy --predictions P.npy [--decisions D.npy]
        [--tags TAGS.txt] [--validation-groundtruth VG.npy --validation-predictions VP.npy]
        [--json OUT.json|-] [--per-tag OUT.tsv]

Without ``--decisions`` each tag's threshold is tuned on the validation pair (the F-max
point of its PR curve) and applied to the test predictions. Shapes and dtypes are
checked before anything is computed; a mismatch names the file and exits with 2.
The work is ``evaluation.files``; a run folder is evaluated by
``steps.evaluate.evaluate_run`` (notebook 05) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("evaluate", help="MediaEval 2019 metrics of predictions (.npy files)",
                       description="ROC-AUC and PR-AUC (macro, micro) from predictions; "
                       "precision, recall and F-score (macro, micro) from decisions, given "
                       "or made with thresholds tuned on a validation pair.")
    p.add_argument("--groundtruth", required=True, help="bool [clips, tags] .npy (test split)")
    p.add_argument("--predictions", required=True, help="float [clips, tags] .npy scores")
    p.add_argument("--decisions", help="bool [clips, tags] .npy; else tuned on validation")
    p.add_argument("--tags", help="tag names, one a line, in column order (tags.txt)")
    p.add_argument("--validation-groundtruth", help="bool [clips, tags] .npy to tune on")
    p.add_argument("--validation-predictions", help="float [clips, tags] .npy to tune on")
    p.add_argument("--json", help="write the metrics as JSON to this file ('-': stdout)")
    p.add_argument("--per-tag", help="write per-tag metrics as TSV to this file")
    return p


def main(args: argparse.Namespace) -> int:
    from ..evaluation.files import evaluate_files, format_metrics
    from ..evaluation.inputs import InputError, json_ready

    try:
        result = evaluate_files(args.groundtruth, args.predictions, args.decisions, args.tags,
                                args.validation_groundtruth, args.validation_predictions)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    metrics = result["metrics"]
    source = (f"decisions from {args.decisions}" if args.decisions else
              f"thresholds tuned on {args.validation_predictions}")
    table = (f"MediaEval 2019 metrics of {args.predictions} against {args.groundtruth} "
             f"({result['n_clips']} clips, {len(result['tags'])} tags; {source})\n"
             + format_metrics(metrics))
    text = json.dumps(json_ready(metrics), indent=2)
    # JSON on stdout must stay parseable, so the table goes to stderr then.
    print(table, file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(text)
    elif args.json:
        Path(args.json).write_text(text + "\n")
    if args.per_tag:
        per_tag = result["per_tag"]
        if result["thresholds"] is not None:
            per_tag = per_tag.assign(threshold=result["thresholds"])
        per_tag.to_csv(args.per_tag, sep="\t", index=False)
    return 0
