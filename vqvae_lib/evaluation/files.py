"""The MediaEval 2019 metrics of predictions given as files in the MediaEval layout
(``.npy``, clips x tags, columns in ``tags.txt`` order): ``vqvae-kit evaluate``.

Without decisions each tag's threshold is tuned on the validation pair (the F-max point
of its PR curve) and applied to the test predictions. Shapes and dtypes are checked
before anything is computed; a mismatch raises ``InputError`` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .inputs import InputError, expect_shape, load_matrix, load_tags
from .metrics import METRIC_KEYS, all_metrics, decide, per_tag_metrics, tune_thresholds


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
