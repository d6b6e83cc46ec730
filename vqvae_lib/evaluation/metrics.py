"""The MediaEval 2019 Emotion and Theme Recognition metrics, with scikit-learn.

From per-tag scores ("predictions", float ``[N, n_tags]``): ROC-AUC and PR-AUC (average
precision), macro (mean over tags) and micro (all clip-tag pairs pooled). From booleans
("decisions", ``[N, n_tags]``): precision, recall and F-score, macro and micro, with 0
where a ratio is undefined (a tag never decided positive), as scikit-learn's default
did in the organisers' evaluation. These reproduce the 2019 leaderboard to 1e-6.

Decisions: one threshold per tag at the point of its precision-recall curve that
maximises F-score, tuned on validation and applied to test.

A tag with no positive (or no negative) clip in a split has no ROC-AUC there; it is
named in a warning and left out of every macro average (micro averages keep it). On
the official files no tag is left out, so nothing changes there.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)

RANKING_KEYS = ("roc_auc_macro", "pr_auc_macro", "roc_auc_micro", "pr_auc_micro")
DECISION_KEYS = ("precision_macro", "recall_macro", "f1_macro",
                 "precision_micro", "recall_micro", "f1_micro")
METRIC_KEYS = RANKING_KEYS + DECISION_KEYS


def _check_pair(y_true: np.ndarray, other: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    y_true, other = np.asarray(y_true), np.asarray(other)
    if y_true.ndim != 2 or y_true.shape != other.shape:
        raise ValueError(f"{what}: shape {other.shape} does not match the ground truth's "
                         f"{y_true.shape} (expected 2-D [clips, tags], the same for both)")
    return y_true.astype(bool), other


def evaluable_tags(y_true: np.ndarray) -> np.ndarray:
    """bool ``[n_tags]``: tags with both positive and negative clips in ``y_true [N, n_tags]``."""
    positives = np.asarray(y_true, dtype=bool).sum(axis=0)
    return (positives > 0) & (positives < len(y_true))


def _tag_names(n_tags: int, tags: Sequence[str] | None) -> list[str]:
    return list(tags) if tags is not None else [f"tag{j}" for j in range(n_tags)]


def excluded_tags(y_true: np.ndarray, tags: Sequence[str] | None = None,
                  warn: bool = True) -> list[str]:
    """Names of the tags left out of macro averages (all clips negative or all positive)."""
    y_true = np.asarray(y_true, dtype=bool)
    names = _tag_names(y_true.shape[1], tags)
    out = [names[j] for j in np.flatnonzero(~evaluable_tags(y_true))]
    if out and warn:
        warnings.warn(f"{len(out)} of {len(names)} tags have no positive (or no negative) clip "
                      f"in this split and are left out of the macro averages: {', '.join(out)}",
                      stacklevel=3)
    return out


def ranking_metrics(y_true: np.ndarray, y_score: np.ndarray,
                    tags: Sequence[str] | None = None) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision), macro and micro.

    Args:
        y_true: bool ``[N, n_tags]``.
        y_score: float ``[N, n_tags]`` (any monotone score; only the order counts).
        tags: names for the warning about tags left out; default ``tag0, tag1, ...``.

    Returns:
        ``{"roc_auc_macro", "pr_auc_macro", "roc_auc_micro", "pr_auc_micro"}``.
    """
    y_true, y_score = _check_pair(y_true, y_score, "predictions")
    ok = evaluable_tags(y_true)
    excluded_tags(y_true, tags)
    # Per tag, then an unweighted mean: equal to scikit-learn's average="macro" when every
    # tag is evaluable, and still defined when one is not.
    roc, ap = _per_tag_ranking(y_true, y_score, ok)
    flat_true, flat_score = y_true.ravel(), y_score.ravel()
    pooled_ok = 0 < flat_true.sum() < flat_true.size
    return {
        "roc_auc_macro": float(np.mean(roc[ok])) if ok.any() else float("nan"),
        "pr_auc_macro": float(np.mean(ap[ok])) if ok.any() else float("nan"),
        "roc_auc_micro": float(roc_auc_score(flat_true, flat_score)) if pooled_ok else float("nan"),
        "pr_auc_micro": (float(average_precision_score(flat_true, flat_score))
                         if pooled_ok else float("nan")),
    }


def _per_tag_ranking(y_true: np.ndarray, y_score: np.ndarray,
                     ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and PR-AUC per tag, float ``[n_tags]`` each, NaN where ``ok`` is False.
    ``average=None`` scores each column as one call per tag would, to the bit, with the
    inputs checked once instead of once per tag."""
    roc, ap = np.full(len(ok), np.nan), np.full(len(ok), np.nan)
    if ok.any():
        roc[ok] = roc_auc_score(y_true[:, ok], y_score[:, ok], average=None)
        ap[ok] = average_precision_score(y_true[:, ok], y_score[:, ok], average=None)
    return roc, ap


def _per_tag_prf(y_true: np.ndarray, decisions: np.ndarray) -> tuple[np.ndarray, ...]:
    p, r, f, _ = precision_recall_fscore_support(
        y_true, decisions.astype(bool), average=None, labels=np.arange(y_true.shape[1]),
        zero_division=0)
    return p, r, f


def decision_metrics(y_true: np.ndarray, decisions: np.ndarray,
                     tags: Sequence[str] | None = None) -> dict[str, float]:
    """Precision, recall and F-score from boolean decisions, macro and micro.

    Macro is the mean of the per-tag values (not the F-score of mean precision and
    recall), each 0 where undefined, over the evaluable tags.

    Args:
        y_true: bool ``[N, n_tags]``.
        decisions: bool ``[N, n_tags]``.

    Returns:
        ``{"precision_macro", "recall_macro", "f1_macro", "precision_micro",
        "recall_micro", "f1_micro"}``.
    """
    y_true, decisions = _check_pair(y_true, decisions, "decisions")
    ok = evaluable_tags(y_true)
    excluded_tags(y_true, tags)
    p, r, f = _per_tag_prf(y_true, decisions)
    pm, rm, fm, _ = precision_recall_fscore_support(
        y_true.ravel(), decisions.astype(bool).ravel(), average="binary", zero_division=0)
    mean = (lambda v: float(np.mean(v[ok]))) if ok.any() else (lambda v: float("nan"))
    return {"precision_macro": mean(p), "recall_macro": mean(r), "f1_macro": mean(f),
            "precision_micro": float(pm), "recall_micro": float(rm), "f1_micro": float(fm)}


def all_metrics(y_true: np.ndarray, y_score: np.ndarray, decisions: np.ndarray,
                tags: Sequence[str] | None = None) -> dict:
    """The ten MediaEval metrics (``METRIC_KEYS``), plus ``excluded_tags`` (their names)
    when some tag was left out of the macro averages.

    Args:
        y_true: bool ``[N, n_tags]``; y_score: float ``[N, n_tags]``; decisions: bool
        ``[N, n_tags]``; tags: ``n_tags`` names for the report of excluded tags.
    """
    left_out = excluded_tags(y_true, tags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # already said once above
        out: dict = {**ranking_metrics(y_true, y_score), **decision_metrics(y_true, decisions)}
    out = {k: out[k] for k in METRIC_KEYS}
    if left_out:
        out["excluded_tags"] = left_out
    return out


def tune_thresholds(y_true_val: np.ndarray, y_score_val: np.ndarray) -> np.ndarray:
    """Per tag, the score threshold at the F-maximising point of its PR curve.

    Args:
        y_true_val: bool ``[N, n_tags]`` (validation labels).
        y_score_val: float ``[N, n_tags]`` (validation predictions).

    Returns:
        float ``[n_tags]``. Deciding ``score >= threshold`` gives that point; ties go to
        the lower threshold (higher recall). A tag with no positive clip gets ``inf``
        (never decided positive): no threshold can earn it any F-score.
    """
    y_true, y_score = _check_pair(y_true_val, y_score_val, "validation predictions")
    thresholds = np.full(y_true.shape[1], np.inf)
    for j in range(y_true.shape[1]):
        if not y_true[:, j].any():
            continue
        precision, recall, cut = precision_recall_curve(y_true[:, j], y_score[:, j])
        # The curve's last point (precision 1, recall 0) has no threshold; drop it.
        precision, recall = precision[:-1], recall[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.nan_to_num(2 * precision * recall / (precision + recall))
        best = np.flatnonzero(f == f.max())
        thresholds[j] = cut[best].min()
    return thresholds


def decide(y_score: np.ndarray, thresholds: np.ndarray, strict: bool = False) -> np.ndarray:
    """bool ``[N, n_tags]``: ``y_score [N, n_tags] >= thresholds [n_tags]``.

    ``strict=True`` decides ``>`` instead, as the organisers' decision script did for the
    VGG-ish baseline (it then leaves out the one clip scored exactly at each threshold).
    """
    y_score, thresholds = np.asarray(y_score), np.asarray(thresholds, dtype=float)
    if y_score.ndim != 2 or thresholds.shape != (y_score.shape[1],):
        raise ValueError(f"thresholds: shape {thresholds.shape}, expected ({y_score.shape[-1]},) "
                         f"for scores of shape {y_score.shape}")
    return y_score > thresholds if strict else y_score >= thresholds


def tuned_metrics(validation: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                  tags: Sequence[str] | None = None) -> dict:
    """Thresholds tuned on validation, applied to both splits, both splits scored: how a
    run and each baseline beside it are evaluated.

    Args:
        validation, test: ``(y_true bool [N, n_tags], y_score float [N, n_tags])`` each.
        tags: ``n_tags`` names for the report of excluded tags.

    Returns:
        dict(thresholds float ``[n_tags]``, decisions ``{split: bool [N, n_tags]}``,
        metrics ``{split: METRIC_KEYS}``, excluded_tags ``{split: [names]}``), splits
        ``validation`` and ``test``. The validation F-scores are optimistic (tuned there);
        the test ones are not.
    """
    thresholds = tune_thresholds(*validation)
    out: dict = {"thresholds": thresholds, "decisions": {}, "metrics": {}, "excluded_tags": {}}
    for split, (y_true, y_score) in (("validation", validation), ("test", test)):
        decisions = decide(y_score, thresholds)
        m = all_metrics(y_true, y_score, decisions, tags)
        out["excluded_tags"][split] = m.pop("excluded_tags", [])
        out["metrics"][split] = m
        out["decisions"][split] = decisions
    return out


def per_tag_metrics(y_true: np.ndarray, y_score: np.ndarray, decisions: np.ndarray,
                    tags: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per tag: tag, positives, roc_auc, pr_auc, precision, recall, f1.

    ROC-AUC and PR-AUC are NaN for a tag with no positive (or no negative) clip.

    Args:
        y_true: bool ``[N, n_tags]``; y_score: float ``[N, n_tags]``; decisions: bool
        ``[N, n_tags]``; tags: ``n_tags`` names (default ``tag0, tag1, ...``).
    """
    y_true, y_score = _check_pair(y_true, y_score, "predictions")
    _, decisions = _check_pair(y_true, decisions, "decisions")
    names = _tag_names(y_true.shape[1], tags)
    if len(names) != y_true.shape[1]:
        raise ValueError(f"{len(names)} tag names for {y_true.shape[1]} tag columns")
    ok = evaluable_tags(y_true)
    roc, ap = _per_tag_ranking(y_true, y_score, ok)
    p, r, f = _per_tag_prf(y_true, decisions)
    return pd.DataFrame({"tag": names, "positives": y_true.sum(axis=0).astype(int),
                         "roc_auc": roc, "pr_auc": ap, "precision": p, "recall": r, "f1": f})
