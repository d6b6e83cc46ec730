"""How sure a difference between two runs is: a paired bootstrap over test clips.

Two runs scored on the same test clips differ by some ROC-AUC; would they still, on
another draw of clips? ``paired_bootstrap`` resamples the clips with replacement many
times, scores both runs on each resample (the same clips for both: paired), and gives
each ranking metric's difference on the full test set with a percentile interval.

A resample with replacement is a weight per clip: how often it was drawn (multinomial
counts, ``[n_resamples, N]``, ``resample_weights``). The four ranking metrics (ROC-AUC
and PR-AUC, macro and micro) are scored under all resamples at once by
``weighted_ranking.weighted_ranking_metrics``, equal to scikit-learn on the resampled
clips, ties included. A tag left with one class in a resample is left out of that
resample's macro average, as ``metrics`` leaves out such a tag of a split. Plain numpy
and scipy: a comparison needs neither scikit-learn nor torch.
"""

from __future__ import annotations

import numpy as np

# ``weighted_ranking_metrics`` and ``KEYS`` are part of this module's interface too.
from .ranking import CHUNK, KEYS, check_scores, weighted_ranking_metrics

__all__ = ["KEYS", "RESULT_KEYS", "VERDICTS", "bootstrap_values", "paired_bootstrap",
           "paired_interval", "resample_weights", "verdict", "weighted_ranking_metrics"]

RESULT_KEYS = ("a", "b", "delta", "ci_low", "ci_high", "p_le_0")
VERDICTS = ("holds", "not significant", "reversed")


def resample_weights(n_clips: int, n_resamples: int, seed: int = 0) -> np.ndarray:
    """int32 ``[n_resamples, n_clips]``: how often each clip is drawn in each resample
    of ``n_clips`` clips with replacement (each row sums to ``n_clips``)."""
    if n_clips < 1 or n_resamples < 1:
        raise ValueError(f"need at least one clip and one resample, got {n_clips} clips, "
                         f"{n_resamples} resamples")
    rng = np.random.default_rng(seed)
    out = np.empty((n_resamples, n_clips), dtype=np.int32)
    # A band of resamples at a time bounds the memory of the draws; the stream of draws,
    # hence the result, is the same as in one go.
    for start in range(0, n_resamples, CHUNK):
        rows = min(CHUNK, n_resamples - start)
        drawn = rng.integers(0, n_clips, size=(rows, n_clips))
        drawn += np.arange(rows)[:, None] * n_clips  # one bincount for all rows
        out[start:start + rows] = np.bincount(drawn.ravel(), minlength=rows * n_clips
                                              ).reshape(rows, n_clips)
    return out


def verdict(ci_low: float, ci_high: float) -> str:
    """A claim that the first run is better, in words: ``holds`` (the interval is above
    0), ``reversed`` (below 0) or ``not significant`` (it includes 0, or is undefined)."""
    if ci_low > 0:
        return "holds"
    if ci_high < 0:
        return "reversed"
    return "not significant"


def bootstrap_values(y_true: np.ndarray, y_score: np.ndarray, n_resamples: int = 1000,
                     seed: int = 0, keys: tuple[str, ...] = KEYS) -> dict[str, np.ndarray]:
    """One run's ranking metrics on the full test set and on each resample of its clips.

    The same ``seed`` and number of clips draw the same resamples, so two runs' values
    from here, rows paired, give a paired bootstrap (``paired_interval``): this is how a
    run compared with several others is scored once.

    Args:
        y_true: bool ``[N, n_tags]``; y_score: float ``[N, n_tags]``.
        n_resamples: resamples of the N clips (with replacement).
        seed: of the resampling.
        keys: which of ``KEYS`` to compute.

    Returns:
        ``{key: float [1 + n_resamples]}``: first the full test set, then each resample.
    """
    # Row 0 weighs every clip once: the full test set, by the same code as the resamples.
    weights = np.vstack([np.ones((1, len(y_true)), dtype=np.int32),
                         resample_weights(len(y_true), n_resamples, seed)])
    return weighted_ranking_metrics(y_true, y_score, weights, keys)


def paired_interval(values_a: dict[str, np.ndarray], values_b: dict[str, np.ndarray],
                    confidence: float = 0.95) -> dict[str, dict[str, float]]:
    """Run A minus run B, from ``bootstrap_values`` of both on the same resamples.

    Returns:
        ``{key: {"a", "b", "delta", "ci_low", "ci_high", "p_le_0"}}`` for the keys of
        both: each run's value on the full test set, ``delta = a - b``, the percentile
        interval of the resampled differences at ``confidence``, and ``p_le_0`` the
        share of resamples whose difference is 0 or below. A resample where a metric is
        undefined for either run (every tag left with one class) is left out of that
        metric's interval and share.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence}: expected a share between 0 and 1")
    tail = 100 * (1 - confidence) / 2
    out = {}
    for key in (k for k in KEYS if k in values_a and k in values_b):
        a, b = values_a[key], values_b[key]
        if a.shape != b.shape:
            raise ValueError(f"{key}: {len(a) - 1} resamples of run A, {len(b) - 1} of run B")
        diff = a[1:] - b[1:]
        diff = diff[np.isfinite(diff)]
        low, high = (np.percentile(diff, [tail, 100 - tail]) if len(diff)
                     else (np.nan, np.nan))
        out[key] = {"a": float(a[0]), "b": float(b[0]), "delta": float(a[0] - b[0]),
                    "ci_low": float(low), "ci_high": float(high),
                    "p_le_0": float(np.mean(diff <= 0)) if len(diff) else float("nan")}
    return out


def paired_bootstrap(y_true: np.ndarray, score_a: np.ndarray, score_b: np.ndarray,
                     n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95,
                     keys: tuple[str, ...] = KEYS) -> dict[str, dict[str, float]]:
    """Run A minus run B on each ranking metric, with a paired bootstrap interval.

    Both runs are scored on the same resampled clips; the interval is the percentile
    interval of the resampled differences.

    Args:
        y_true: bool ``[N, n_tags]``, the test ground truth both runs were scored on.
        score_a, score_b: float ``[N, n_tags]``, the runs' predictions, rows paired.
        n_resamples: resamples of the N clips (with replacement).
        seed: of the resampling; the same seed draws the same clips for any pair of runs
            on N clips.
        confidence: of the interval (0.95: the 2.5th to the 97.5th percentile).
        keys: which of ``KEYS`` to compare.

    Returns:
        ``{key: {"a", "b", "delta", "ci_low", "ci_high", "p_le_0"}}``, as
        ``paired_interval``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence}: expected a share between 0 and 1")
    y_true, score_a = check_scores(y_true, score_a)
    _, score_b = check_scores(y_true, score_b)
    return paired_interval(bootstrap_values(y_true, score_a, n_resamples, seed, keys),
                           bootstrap_values(y_true, score_b, n_resamples, seed, keys),
                           confidence)
