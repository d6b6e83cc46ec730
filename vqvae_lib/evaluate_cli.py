"""``vqvae-kit evaluate``: the MediaEval 2019 metrics of predictions given as files.

Command line, on files in the MediaEval layout (``.npy``, clips x tags, columns in
``tags.txt`` order)::

    vqvae-kit evaluate --groundtruth GT.npy --predictions P.npy [--decisions D.npy]
        [--tags TAGS.txt] [--validation-groundtruth VG.npy --validation-predictions VP.npy]
        [--json OUT.json|-] [--per-tag OUT.tsv]

Without ``--decisions`` each tag's threshold is tuned on the validation pair (the F-max
point of its PR curve) and applied to the test predictions. Shapes and dtypes are
checked before anything is computed; a mismatch names the file and exits with 2.
A run folder is evaluated by ``evaluate.evaluate_run`` (notebook 05) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .evaluate import json_ready
from .inputs import InputError, expect_shape, load_matrix, load_tags
from .metrics import (
    METRIC_KEYS,
    all_metrics,
    decide,
    per_tag_metrics,
    tune_thresholds,
)


def evaluate_files(groundtruth: str | Path, predictions: str | Path,
                   decisions: str | Path | None = None, tags: str | Path | None = None,
                   validation_groundtruth: str | Path | None = None,
                   validation_predictions: str | Path | None = None) -> dict[str, Any]:
    """Check and evaluate MediaEval-layout files.

    Returns:
        dict(metrics (``all_metrics``), per_tag (DataFrame), thresholds (float
        ``[n_tags]`` or None when decisions were given), decisions (bool ``[N, n_tags]``),
        tags (list), n_clips).
    """
    gt = load_matrix(groundtruth, "labels")
    pred = load_matrix(predictions, "scores")
    expect_shape(pred, predictions, gt.shape, f"clips x tags of the ground truth {groundtruth}")
    names = None
    if tags is not None:
        names = load_tags(tags)
        if len(names) != gt.shape[1]:
            raise InputError(f"{tags}: {len(names)} tags, expected {gt.shape[1]} "
                             f"(the columns of {groundtruth})")
    validation = (validation_groundtruth, validation_predictions)
    if decisions is not None and any(v is not None for v in validation):
        raise InputError("give either --decisions or the validation pair to tune thresholds "
                         "on, not both")
    thresholds = None
    if decisions is not None:
        dec = load_matrix(decisions, "labels")
        expect_shape(dec, decisions, gt.shape, f"clips x tags of the ground truth {groundtruth}")
    else:
        if validation_groundtruth is None or validation_predictions is None:
            raise InputError("no --decisions: give --validation-groundtruth and "
                             "--validation-predictions to tune one threshold per tag on "
                             "validation (thresholds are never tuned on the test split)")
        vgt = load_matrix(validation_groundtruth, "labels")
        if vgt.shape[1] != gt.shape[1]:
            raise InputError(f"{validation_groundtruth}: shape {vgt.shape}, expected "
                             f"({vgt.shape[0]}, {gt.shape[1]}) (the tags of {groundtruth})")
        vpred = load_matrix(validation_predictions, "scores")
        expect_shape(vpred, validation_predictions, vgt.shape,
                     f"clips x tags of the validation ground truth {validation_groundtruth}")
        thresholds = tune_thresholds(vgt, vpred)
        dec = decide(pred, thresholds)
    return {"metrics": all_metrics(gt, pred, dec, names),
            "per_tag": per_tag_metrics(gt, pred, dec, names), "thresholds": thresholds,
            "decisions": dec, "tags": names or [f"tag{j}" for j in range(gt.shape[1])],
            "n_clips": gt.shape[0]}


def format_metrics(metrics: dict[str, Any]) -> str:
    """The ten metrics as a two-column table with 6 decimals (and the tags left out)."""
    lines = [f"{'metric':<16} value"]
    lines += [f"{k:<16} {metrics[k]:.6f}" for k in METRIC_KEYS]
    if metrics.get("excluded_tags"):
        lines.append(f"left out of macro averages: {', '.join(metrics['excluded_tags'])}")
    return "\n".join(lines)


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
