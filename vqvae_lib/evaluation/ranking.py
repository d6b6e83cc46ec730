"""The four ranking metrics of ``metrics`` under many weightings of the clips at once.

A resample with replacement is a weight per clip: how often it was drawn (multinomial
counts, ``[n_resamples, N]``). ROC-AUC and PR-AUC, macro and micro, are computed under
such weights for all resamples at once (``weighted_ranking_metrics``), equal to
scikit-learn's ``roc_auc_score`` and ``average_precision_score`` on the resampled
clips, ties included:

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

A tag left with one class under a weighting is left out of that weighting's macro
average, as ``metrics`` leaves out such a tag of a split. Plain numpy and scipy: the
bootstrap of ``stats`` needs neither scikit-learn nor torch.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

# The ranking metrics of ``metrics.RANKING_KEYS``, in the same order (not imported from
# there: that module loads scikit-learn, which this one does without).
KEYS = ("roc_auc_macro", "pr_auc_macro", "roc_auc_micro", "pr_auc_micro")
# Resamples scored together: bounds the block counts held in memory ([blocks, chunk];
# some tens of MB for the 56 MediaEval tags and the pooled micro ranking).
CHUNK = 128


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


def check_scores(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bool ``[N, n_tags]``, float ``[N, n_tags]``) from labels and finite scores of
    that one 2-D shape; raises ``ValueError`` otherwise."""
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
    y_true, y_score = check_scores(y_true, y_score)
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
    for start in range(0, n, CHUNK):
        chunk = slice(start, min(start + CHUNK, n))
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
