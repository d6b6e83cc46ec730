"""What a VQ-VAE's code indices say: codebook use, codes and tags, codebook geometry.

Pure array analyses (numpy and scikit-learn, no model, no run folder), so that ``plots``
and any notebook can use them on indices read back from disk. Step 03
(``reconstruct_visualize``) encodes the clips and calls these on the result:

- codebook usage, perplexity and dead codes;
- per-split figures and the clips reconstructed best and worst;
- which codes are over-represented in clips of each tag (lift), and how much tag
  information a bag of codes carries (a linear probe scored by ROC-AUC);
- a 2-D projection of the codebook vectors (PCA; t-SNE for small codebooks).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

# t-SNE over the codebook costs O(K^2) memory and about a second per 1,000 codes on a
# CPU; above this size (the paper's K = 1024 fits) only PCA is drawn.
TSNE_MAX_CODES = 2048


# -- codebook usage ----------------------------------------------------------------
def codebook_usage(indices: np.ndarray, K: int) -> np.ndarray:
    """Uses of each code over all clips and positions: int64 ``[K]``.

    Args:
        indices: int ``[N, H', T']`` (or any shape) code indices in ``[0, K)``.
    """
    return np.bincount(np.asarray(indices, dtype=np.int64).ravel(), minlength=K).astype(np.int64)


def perplexity(counts: np.ndarray) -> float:
    """exp(entropy) of the code distribution ``counts [K]``: K when all codes are used
    equally, 1 when one is (``quantizer.codebook_perplexity`` in float64 numpy)."""
    counts = np.asarray(counts, dtype=np.float64)
    probs = counts / max(float(counts.sum()), 1.0)
    # The clamp makes 0 * log(0) count as 0, as in the training log's figure.
    return float(np.exp(-(probs * np.log(np.maximum(probs, 1e-10))).sum()))


def dead_codes(counts: np.ndarray) -> int:
    """How many codes of ``counts [K]`` are never chosen (the same figure as
    ``dead_codes`` in the training log)."""
    return int((np.asarray(counts) == 0).sum())


@dataclass(frozen=True)
class EncodedClips:
    """One split as encoded: clip ``ids``, code ``indices [N, H', T']`` and per-clip
    reconstruction MSE ``recon_error [N]``."""

    ids: list[str]
    indices: np.ndarray
    recon_error: np.ndarray


@dataclass(frozen=True)
class RecErrors:
    """Per-clip MSE ``errors [N]`` over several splits, with each clip's id and split."""

    errors: np.ndarray
    ids: list[str]
    groups: list[str]

    @classmethod
    def pooled(cls, splits: dict[str, EncodedClips]) -> RecErrors:
        """The splits' clips one after the other, in the dict's order."""
        return cls(np.concatenate([e.recon_error for e in splits.values()]),
                   [cid for e in splits.values() for cid in e.ids],
                   [s for s, e in splits.items() for _ in e.ids])


@dataclass(frozen=True)
class SplitStats:
    """One split's figures in ``inspect.json`` (``splits``)."""

    clips: int
    recon_mse_mean: float
    perplexity: float
    used_codes: int

    @classmethod
    def of(cls, recon_error: np.ndarray, indices: np.ndarray, K: int) -> SplitStats:
        """From per-clip MSE ``[N]`` and code indices ``[N, H', T']``."""
        counts = codebook_usage(indices, K)
        return cls(len(recon_error), float(np.mean(recon_error)), perplexity(counts),
                   int((counts > 0).sum()))

    def to_json(self) -> dict[str, Any]:
        return {"clips": self.clips, "recon_mse_mean": self.recon_mse_mean,
                "perplexity": self.perplexity, "used_codes": self.used_codes}


@dataclass(frozen=True)
class ClipError:
    """One clip's reconstruction MSE (``best_clips``/``worst_clips`` in ``inspect.json``)."""

    id: str
    mse: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "mse": self.mse}


def best_and_worst(errors: np.ndarray, ids: Sequence[str],
                   n: int = 3) -> tuple[list[ClipError], list[ClipError]]:
    """The ``n`` clips reconstructed best (lowest MSE first) and worst (highest first).

    Args:
        errors: float ``[N]`` per-clip reconstruction MSE.
        ids: ``N`` clip ids.
    """
    order = np.argsort(errors, kind="stable")  # stable: ties keep the clips' order
    n = min(n, len(order))
    best = [ClipError(ids[i], float(errors[i])) for i in order[:n]]
    worst = [ClipError(ids[i], float(errors[i])) for i in order[::-1][:n]]
    return best, worst


# -- codes and tags ----------------------------------------------------------------
def bag_of_codes(indices: np.ndarray, K: int) -> np.ndarray:
    """Each clip's code histogram, normalised to sum to one: float64 ``[N, K]``.

    Args:
        indices: int ``[N, H', T']`` (or any ``[N, ...]``) code indices.
    """
    flat = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    n, positions = flat.shape
    # One bincount over (clip, code) pairs instead of a Python loop over clips.
    counts = np.bincount((flat + K * np.arange(n)[:, None]).ravel(),
                         minlength=n * K).reshape(n, K)
    return counts / max(positions, 1)


def code_tag_lift(indices: np.ndarray, labels: np.ndarray, K: int,
                  alpha: float = 1.0) -> np.ndarray:
    """How over-represented each code is among the clips of each tag: float64 ``[n_tags, K]``.

    ``lift[t, c] = P(c | t) / P(c)``: the share of code ``c`` among the code positions of
    the clips tagged ``t``, over its share among all clips. 1 = as often as anywhere,
    > 1 = typical of the tag, < 1 = avoided by it. Smoothing, so that a code seen a few
    times in a rare tag does not get a huge ratio:

    - ``P(c) = (n_c + alpha) / (n + alpha K)`` (add-alpha over all positions);
    - ``P(c | t) = (n_tc + m P(c)) / (n_t + m)`` with ``m = alpha K`` pseudo-positions
      distributed like the whole data, which shrinks rare tags towards lift 1.

    Tags without clips and codes never used get lift exactly 1 (no evidence).

    Args:
        indices: int ``[N, H', T']`` code indices.
        labels: bool ``[N, n_tags]``.
        K: codebook size.
        alpha: smoothing strength (pseudo-uses per code).
    """
    labels = np.asarray(labels, dtype=np.float64)
    flat = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    counts = bag_of_codes(indices, K) * flat.shape[1]  # uses per clip and code
    per_tag = labels.T @ counts  # [n_tags, K]
    overall = counts.sum(axis=0)
    p_code = (overall + alpha) / (overall.sum() + alpha * K)
    m = alpha * K
    p_code_tag = (per_tag + m * p_code) / (per_tag.sum(axis=1, keepdims=True) + m)
    lift = p_code_tag / p_code
    lift[:, overall == 0] = 1.0
    return lift


def top_codes_per_tag(lift: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` codes with the highest lift for each tag, highest first: int ``[n_tags, k]``."""
    return np.argsort(-np.asarray(lift), axis=1, kind="stable")[:, :k]


@dataclass(frozen=True)
class ProbeResult:
    """The bag-of-codes probe's scores (``probe`` in ``inspect.json``).

    Attributes:
        roc_auc_macro: mean of ``per_tag``; None when no tag could be scored.
        per_tag: tag -> validation ROC-AUC, for the scored tags.
        skipped: tags with one class only in the training or the validation clips.
        not_converged: scored tags whose logistic regression hit ``max_iter``.
        train_split, eval_split: the splits it was trained and scored on, when known.
    """

    roc_auc_macro: float | None
    per_tag: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    not_converged: list[str] = field(default_factory=list)
    train_split: str | None = None
    eval_split: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object; the split names only when set."""
        out: dict[str, Any] = {"roc_auc_macro": self.roc_auc_macro, "per_tag": self.per_tag,
                               "skipped": self.skipped, "not_converged": self.not_converged}
        if self.train_split is not None or self.eval_split is not None:
            out.update(train_split=self.train_split, eval_split=self.eval_split)
        return out


def linear_probe(train_hist: np.ndarray, train_labels: np.ndarray, val_hist: np.ndarray,
                 val_labels: np.ndarray, max_iter: int = 500,
                 tags: list[str] | None = None) -> ProbeResult:
    """How well a bag of codes predicts the tags: one logistic regression per tag.

    Features are standardised histograms (``bag_of_codes``); the classifier is
    scikit-learn's one-vs-rest ``LogisticRegression`` (lbfgs, L2, C = 1). A tag is
    scored only when both the training and the validation clips hold positives and
    negatives; the others are listed in ``skipped``.

    Args:
        train_hist, val_hist: float ``[N, K]``.
        train_labels, val_labels: bool ``[N, n_tags]``.
        max_iter: lbfgs iterations per tag.
        tags: tag names (default ``"0"``, ``"1"``, ...).
    """
    train_labels = np.asarray(train_labels, dtype=bool)
    val_labels = np.asarray(val_labels, dtype=bool)
    n_tags = train_labels.shape[1]
    names = list(tags) if tags is not None else [str(i) for i in range(n_tags)]

    def both(y: np.ndarray) -> np.ndarray:
        return y.any(axis=0) & (~y).any(axis=0)

    scored = np.flatnonzero(both(train_labels) & both(val_labels))
    skipped = [names[i] for i in range(n_tags) if i not in set(scored)]
    if len(scored) == 0:
        return ProbeResult(None, {}, skipped, [])
    # scikit-learn is imported where it is used: ``plots`` imports this module, and every
    # notebook's first cell would otherwise pay its 1-2 s of imports.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = OneVsRestClassifier(make_pipeline(StandardScaler(),
                                              LogisticRegression(max_iter=max_iter)))
    with warnings.catch_warnings():
        # Reported per tag in "not_converged" instead of one warning per tag.
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(train_hist, train_labels[:, scored].astype(int))
    scores = probe.predict_proba(val_hist)
    if scores.ndim == 1:
        scores = scores[:, None]
    per_tag = {names[t]: float(roc_auc_score(val_labels[:, t], scores[:, j]))
               for j, t in enumerate(scored)}
    not_converged = [names[t] for est, t in zip(probe.estimators_, scored)
                     if est[-1].n_iter_.max() >= max_iter]
    return ProbeResult(float(np.mean(list(per_tag.values()))), per_tag, skipped, not_converged)


# -- codebook geometry -------------------------------------------------------------
def codebook_projection(codebook: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """The codebook vectors in two dimensions: float ``[K, 2]``.

    Args:
        codebook: ``[K, D]``.
        method: ``pca`` or ``tsne`` (t-SNE only up to ``TSNE_MAX_CODES`` codes).
        seed: t-SNE's random state.
    """
    codebook = np.asarray(codebook, dtype=np.float64)
    k = len(codebook)
    if codebook.shape[1] < 2:
        codebook = np.pad(codebook, ((0, 0), (0, 2 - codebook.shape[1])))
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if method == "pca":
        return PCA(n_components=2).fit_transform(codebook)
    if method == "tsne":
        if k > TSNE_MAX_CODES:
            raise ValueError(f"t-SNE of {k} codes is too slow here "
                             f"(limit {TSNE_MAX_CODES}); use pca")
        # sklearn needs perplexity < K; 30 is its default for larger codebooks. One thread:
        # at K <= 2048 OpenMP threads mostly wait on each other (10-100x slower on 2 busy cores).
        with threadpool_limits(1):
            return TSNE(n_components=2, perplexity=min(30.0, max(1.0, (k - 1) / 3)),
                        init="pca", random_state=seed).fit_transform(codebook)
    raise ValueError(f"unknown projection {method!r} (pca or tsne)")


def codebook_projections(codebook: np.ndarray, tsne: bool = True,
                         seed: int = 0) -> dict[str, np.ndarray]:
    """``{"PCA": [K, 2]}``, plus ``"t-SNE"`` when asked and the codebook ``[K, D]`` is
    small enough (``TSNE_MAX_CODES``); the keys are the figures' titles."""
    projections = {"PCA": codebook_projection(codebook, "pca")}
    if tsne and len(codebook) <= TSNE_MAX_CODES:
        projections["t-SNE"] = codebook_projection(codebook, "tsne", seed=seed)
    return projections


__all__ = ["ClipError", "EncodedClips", "ProbeResult", "RecErrors", "SplitStats", "TSNE_MAX_CODES",
           "bag_of_codes", "best_and_worst", "code_tag_lift", "codebook_projection",
           "codebook_projections", "codebook_usage", "dead_codes", "linear_probe", "perplexity",
           "top_codes_per_tag"]
