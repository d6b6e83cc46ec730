"""How sure a difference between two runs is: a paired bootstrap over test clips.

Two runs scored on the same test clips differ by some ROC-AUC; would they still, on
another draw of clips? ``paired_bootstrap`` resamples the clips with replacement many
times, scores both runs on each resample (the same clips for both: paired), and gives
each ranking metric's difference on the full test set with a percentile interval.

A resample with replacement is a weight per clip: how often it was drawn (multinomial
counts, ``[n_resamples, N]``). The four ranking metrics of ``metrics`` (ROC-AUC and
PR-AUC, macro and micro) are computed under such weights for all resamples at once
(``weighted_ranking_metrics``), equal to scikit-learn's ``roc_auc_score`` and
``average_precision_score`` on the resampled clips, ties included:

* Per tag the scores are sorted once, and each clip falls in a block: the positives at
  each distinct score that has a positive (a "level"), the negatives at or below each
  level and above the one before, those above the top level; a negative tied with a
  level also in a block of its own. One sparse product of the weights with this
  clip-to-block map gives every block's weighted count in every resample, and
  cumulative sums over the levels give the rest.
* ROC-AUC is the Mann-Whitney statistic: per level, its positives times the negatives
  below it plus half the negatives tied with it, over positives x negatives.
* PR-AUC is scikit-learn's average precision: the sum over levels of the recall gained
  there times the precision at that threshold (positives and negatives scored at or
  above it). A threshold without positives gains no recall, so levels suffice.

A tag left with one class in a resample is left out of that resample's macro average,
as ``metrics`` leaves out such a tag of a split. Plain numpy and scipy: a comparison
needs neither scikit-learn nor torch.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# The ranking metrics of ``metrics.RANKING_KEYS``, in the same order (not imported from
# there: that module loads scikit-learn, which this one does without).
KEYS = ("roc_auc_macro", "pr_auc_macro", "roc_auc_micro", "pr_auc_micro")
RESULT_KEYS = ("a", "b", "delta", "ci_low", "ci_high", "p_le_0")
VERDICTS = ("holds", "not significant", "reversed")
# Resamples scored together: bounds the block counts held in memory ([blocks, chunk];
# some tens of MB for the 56 MediaEval tags and the pooled micro ranking).
_CHUNK = 128


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
    for start in range(0, n_resamples, _CHUNK):
        rows = min(_CHUNK, n_resamples - start)
        drawn = rng.integers(0, n_clips, size=(rows, n_clips))
        drawn += np.arange(rows)[:, None] * n_clips  # one bincount for all rows
        out[start:start + rows] = np.bincount(drawn.ravel(), minlength=rows * n_clips
                                              ).reshape(rows, n_clips)
    return out


def _levels(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Where each item of one ranking (a tag, or all clip-tag pairs for micro) falls.

    Levels ``0..m-1`` are the distinct scores that have a positive, ascending.

    Args:
        y: bool ``[M]``; s: float ``[M]``.

    Returns:
        (level int ``[M]``: a positive's level; a negative's next level at or above its
        score, ``m`` above the top level; tied bool ``[M]``: a negative scored exactly
        at a level; ``m``).
    """
    order = np.argsort(s, kind="stable")
    ss, yy = s[order], y[order]
    distinct = np.concatenate(([0], np.cumsum(ss[1:] != ss[:-1])))
    has_pos = np.bincount(distinct, weights=yy, minlength=distinct[-1] + 1) > 0
    at_or_below = np.cumsum(has_pos)  # levels at or below each distinct score
    level, tied = np.empty(len(s), dtype=np.intp), np.empty(len(s), dtype=bool)
    level[order] = at_or_below[distinct] - has_pos[distinct]
    tied[order] = ~yy & has_pos[distinct]
    return level, tied, int(at_or_below[-1])


class _Blocks:
    """The block layout of several rankings of the same clips, and the sparse map that
    sums clip weights into blocks.

    With ``m_s`` levels in ranking ``s`` and ``L`` levels in all, rows of the block
    counts are: ``[0, L)`` the positives of each level; ``[L, 2L)`` the negatives at or
    below each level and above the one before; ``2L + s`` the negatives above ranking
    ``s``'s top level; then one row per level with negatives tied to it in the full set
    (rare with real-valued scores), those negatives again.

    Args:
        rankings: per ranking, (y bool ``[K]``, s float ``[K]``, clip int ``[K]``: the
            clip of each item, ``0..n_clips-1``).
        n_clips: N, the columns of the weights.
        dtype: of the block sums.
    """

    def __init__(self, rankings: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                 n_clips: int, dtype: type = np.float64):
        found = [_levels(y, s) for y, s, _ in rankings]
        self.n = len(rankings)
        m = np.array([f[2] for f in found], dtype=np.intp)
        first = np.concatenate(([0], np.cumsum(m)[:-1]))  # each ranking's first level row
        self.levels = n_levels = int(m.sum())
        ranked = m > 0
        # Where a ranking's levels start, and the ranking with levels before it: cumulative
        # sums run over all rankings at once, restarting there.
        self.restarts = first[ranked][1:]
        self.before_restart = np.flatnonzero(ranked)[:-1]
        self.ranking_of_level = np.repeat(np.arange(self.n), m)
        # Sums over each ranking's levels, as a product: [rankings, levels].
        self.sum_levels = sparse.csr_matrix(
            (np.ones(n_levels), (self.ranking_of_level, np.arange(n_levels))),
            shape=(self.n, n_levels))
        rows, cols, tied_levels, n_tied = [], [], [], 0
        for s, ((y, _, clip), (level, tied, m_s)) in enumerate(zip(rankings, found)):
            rows.append(np.where(y, first[s] + level,
                                 np.where(level < m_s, n_levels + first[s] + level,
                                          2 * n_levels + s)))
            cols.append(clip)
            tied_at = np.unique(level[tied])
            rows.append(2 * n_levels + self.n + n_tied + np.searchsorted(tied_at, level[tied]))
            cols.append(clip[tied])
            tied_levels.append(first[s] + tied_at)
            n_tied += len(tied_at)
        self.tied_levels = np.concatenate(tied_levels).astype(np.intp)
        rows_, cols_ = np.concatenate(rows), np.concatenate(cols)
        self.to_blocks = sparse.csr_matrix(
            (np.ones(len(rows_), dtype=dtype), (rows_, cols_)),
            shape=(2 * n_levels + self.n + n_tied, n_clips))  # duplicates add up

    def metrics(self, weights_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ROC-AUC and average precision of every ranking under R weightings.

        Args:
            weights_t: ``[N, R]``, one weighting per column, of the map's dtype.

        Returns:
            (roc float ``[n_rankings, R]``, ap float ``[n_rankings, R]``), NaN where a
            weighting leaves a ranking with one class.
        """
        z = self.to_blocks @ weights_t  # [blocks, R]
        n_lv, of_level, tied_lv = self.levels, self.ranking_of_level, self.tied_levels
        pos = z[:n_lv].astype(np.float64)
        neg = z[n_lv:2 * n_lv].astype(np.float64)
        tied = z[2 * n_lv + self.n:].astype(np.float64)
        n_pos = self.sum_levels @ pos
        n_neg_levels = self.sum_levels @ neg
        n_neg = n_neg_levels + z[2 * n_lv:2 * n_lv + self.n]  # and those above the top
        # Cumulative sums within each ranking, in one pass over all of them: each
        # ranking's first row takes away the total of the ranking before it.
        neg[self.restarts] -= n_neg_levels[self.before_restart]
        neg_upto = _cumsum_rows(neg)  # negatives at or below each level
        # Mann-Whitney: a tied negative counts half, so (negatives below + tied / 2)
        # = negatives at or below - tied / 2.
        u = self.sum_levels @ (pos * neg_upto)
        np.add.at(u, of_level[tied_lv], -0.5 * pos[tied_lv] * tied)
        # At each level's threshold: the positives and negatives scored at or above it.
        pos_below = pos.copy()
        pos_below[self.restarts] -= n_pos[self.before_restart]
        pos_below = _cumsum_rows(pos_below)
        pos_below -= pos
        tp = n_pos[of_level] - pos_below
        neg_upto[tied_lv] -= tied  # now the negatives strictly below
        scored = n_neg[of_level] - neg_upto
        scored += tp
        # Nothing scored at or above a level only where it has no positive weight,
        # which then adds nothing: any positive floor avoids 0 / 0.
        np.maximum(scored, np.finfo(np.float64).tiny, out=scored)
        tp /= scored  # the precision at each level's threshold
        tp *= pos     # times the recall gained there (over n_pos, below)
        ap = self.sum_levels @ tp
        ok = (n_pos > 0) & (n_neg > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(ok, u / (n_pos * n_neg), np.nan),
                    np.where(ok, ap / n_pos, np.nan))


def _cumsum_rows(x: np.ndarray) -> np.ndarray:
    """``np.cumsum(x, axis=0)``, in place, a band of rows at a time: down a column of a
    tall array it would reach a new cache line per element."""
    band = 256
    for i in range(0, len(x), band):
        rows = x[i:i + band]
        np.cumsum(rows, axis=0, out=rows)
        if i:
            rows += x[i - 1]
    return x


def _check_scores(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    if y_true.ndim != 2 or y_score.shape != y_true.shape or not y_true.size:
        raise ValueError(f"scores of shape {y_score.shape} for ground truth of shape "
                         f"{y_true.shape}: expected the same 2-D [clips, tags] shape, "
                         "with clips and tags")
    y_score = y_score.astype(np.float64) if y_score.dtype.kind in "biu" else y_score
    if not np.isfinite(y_score).all():
        raise ValueError(f"{int((~np.isfinite(y_score)).sum())} scores are NaN or infinite")
    return y_true.astype(bool), y_score


def weighted_ranking_metrics(y_true: np.ndarray, y_score: np.ndarray, weights: np.ndarray,
                             keys: tuple[str, ...] = KEYS) -> dict[str, np.ndarray]:
    """The ranking metrics under many weightings of the clips at once.

    Each row of ``weights`` is a resample: the result equals scikit-learn's
    ``roc_auc_score`` / ``average_precision_score`` on the clips repeated that often.
    Macro averages leave out the tags with one class under that row's weights.

    Args:
        y_true: bool ``[N, n_tags]``.
        y_score: float ``[N, n_tags]``.
        weights: non-negative ``[R, N]``, how often each clip counts in each of R
            resamples (``resample_weights``).
        keys: which of ``KEYS`` to compute (micro ones cost as much as all macro ones).

    Returns:
        ``{key: float [R]}``, NaN where undefined (no evaluable tag; one class pooled).
    """
    y_true, y_score = _check_scores(y_true, y_score)
    unknown = [k for k in keys if k not in KEYS]
    if unknown or not keys:
        raise ValueError(f"metrics {list(keys)}: expected some of {KEYS}")
    n_clips, n_tags = y_true.shape
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[1] != n_clips:
        raise ValueError(f"weights of shape {weights.shape}, expected [resamples, {n_clips}]")
    if weights.dtype.kind not in "biuf" or (weights < 0).any():
        raise ValueError("weights must be non-negative numbers (how often each clip counts)")
    macro = any(k.endswith("_macro") for k in keys)
    micro = any(k.endswith("_micro") for k in keys)
    clips = np.arange(n_clips)
    # The tags (macro), then all clip-tag pairs pooled (micro): a clip's weight counts
    # once per tag it is paired with.
    rankings = [(y_true[:, j], y_score[:, j], clips) for j in range(n_tags)] if macro else []
    if micro:
        rankings.append((y_true.ravel(), y_score.ravel(), np.repeat(clips, n_tags)))
    # Block sums of integer counts are exact in float32 below 2**24 (a block holds at
    # most a resample's total weight, times the tags for micro): half the time of the
    # largest product. Otherwise float64.
    largest = weights.sum(axis=1).max() * (n_tags if micro else 1)
    exact32 = weights.dtype.kind in "biu" and largest < 2 ** 24
    dtype = np.float32 if exact32 else np.float64
    blocks = _Blocks(rankings, n_clips, dtype)

    n = len(weights)
    out = {k: np.full(n, np.nan) for k in keys}
    for start in range(0, n, _CHUNK):
        chunk = slice(start, min(start + _CHUNK, n))
        roc, ap = blocks.metrics(np.ascontiguousarray(weights[chunk].T, dtype=dtype))
        for key, values in (("roc_auc", roc), ("pr_auc", ap)):
            if macro and f"{key}_macro" in keys:
                tags = values[:n_tags]  # [n_tags, chunk]
                counted = np.isfinite(tags).sum(axis=0)
                total = np.where(np.isfinite(tags), tags, 0.0).sum(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[f"{key}_macro"][chunk] = np.where(counted > 0, total / counted, np.nan)
            if micro and f"{key}_micro" in keys:
                out[f"{key}_micro"][chunk] = values[-1]
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
    y_true, score_a = _check_scores(y_true, score_a)
    _, score_b = _check_scores(y_true, score_b)
    return paired_interval(bootstrap_values(y_true, score_a, n_resamples, seed, keys),
                           bootstrap_values(y_true, score_b, n_resamples, seed, keys),
                           confidence)
