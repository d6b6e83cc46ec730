"""Plain baselines set beside every run, scored with the run's own metric code.

- ``mel_stats``: each clip's stored log-mel (the features the run's tagger saw, the
  whole stored clip) summarised as the mean and standard deviation of every mel band
  over time, standardised on train, then one logistic regression per tag. If the
  VQ-VAE route cannot beat this, its codes add nothing a linear model on band energies
  does not already have.
- ``popularity``: the organisers' baseline, every clip gets the training split's most
  frequent tag.

Both are evaluated like a run (``metrics.tuned_metrics``): thresholds tuned on
validation, applied to test. ``verdict`` says in words where a run stands beside
``mel_stats``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from .metrics import all_metrics, tuned_metrics

if TYPE_CHECKING:  # the feature store brings in torch; evaluating files needs none
    from ..features.store import FeatureSplit, FeatureStore

MEL_STATS = "mel_stats"
POPULARITY = "popularity"
# The metric the verdict is taken on: the paper ranks its runs by it.
VERDICT_METRIC = "roc_auc_macro"
# float32 bytes read per chunk: a few chunks of a Million-Song-sized split never sit in
# memory together.
CHUNK_BYTES = 64 * 2**20


def mel_stats(split: FeatureSplit, chunk_bytes: int = CHUNK_BYTES) -> np.ndarray:
    """Per-band mean and standard deviation over time of each usable clip.

    Args:
        split: clips whose ``features`` are float16 ``[N_listed, n_mels, T]``.
        chunk_bytes: float32 bytes of log-mel read at a time.

    Returns:
        float32 ``[N, 2 * n_mels]``: the ``n_mels`` means, then the ``n_mels`` deviations,
        rows in ``split.rows`` order.
    """
    feats = split.features
    n_mels, frames = feats.shape[1], feats.shape[2]
    step = max(1, chunk_bytes // (4 * n_mels * frames))
    out = np.empty((len(split), 2 * n_mels), dtype=np.float32)
    for start in range(0, len(split), step):
        x = np.asarray(feats[split.rows[start:start + step]], dtype=np.float32)
        out[start:start + len(x), :n_mels] = x.mean(axis=2)
        out[start:start + len(x), n_mels:] = x.std(axis=2)
    return out


def logistic_scores(x_train: np.ndarray, y_train: np.ndarray, x_eval: dict[str, np.ndarray],
                    c: float = 1.0, max_iter: int = 1000, seed: int = 0
                    ) -> tuple[dict[str, np.ndarray], list[int]]:
    """One logistic regression per tag on standardised features.

    Args:
        x_train: float ``[N_train, D]``; y_train: bool ``[N_train, n_tags]``.
        x_eval: split name -> float ``[N, D]`` to score.
        c: inverse regularisation strength (scikit-learn's ``C``).

    Returns:
        ``({split: float32 [N, n_tags] positive-class probabilities}, constant)``:
        ``constant`` lists the tags with a single class in train, which get the train
        prevalence (0 or 1) as a constant score, since no classifier can be fitted.
    """
    y_train = np.asarray(y_train, dtype=bool)
    scaler = StandardScaler().fit(x_train)
    xs = scaler.transform(x_train)
    evals = {s: scaler.transform(x) for s, x in x_eval.items()}
    scores = {s: np.empty((len(x), y_train.shape[1]), dtype=np.float32) for s, x in evals.items()}
    constant = []
    for j in range(y_train.shape[1]):
        y = y_train[:, j]
        if y.all() or not y.any():
            constant.append(j)
            for s in scores:
                scores[s][:, j] = y.mean()
            continue
        model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(xs, y)
        for s, x in evals.items():
            scores[s][:, j] = model.predict_proba(x)[:, 1]
    return scores, constant


def mel_stats_baseline(store: FeatureStore, seed: int = 0, c: float = 1.0,
                       max_iter: int = 1000) -> dict:
    """The ``mel_stats`` baseline on a feature folder: trained on train, thresholds tuned
    on validation, scored on validation and test.

    Args:
        store: the run's tagging features (``FeatureStore(run.features_dir("tag"))``).
        seed: ``random_state`` of each regression.

    Returns:
        dict(validation, test: ``METRIC_KEYS`` dicts; predictions, groundtruth:
        ``{split: [N, n_tags]}``; thresholds float ``[n_tags]``; excluded_tags
        ``{split: [names]}``; constant_tags: names of tags scored by train prevalence;
        n_features: ``2 * n_mels``; n_train).
    """
    splits = {s: store.split(s) for s in ("train", "validation", "test")}
    x = {s: mel_stats(fs) for s, fs in splits.items()}
    y = {s: fs.labels for s, fs in splits.items()}
    scores, constant = logistic_scores(x["train"], y["train"],
                                       {s: x[s] for s in ("validation", "test")},
                                       c=c, max_iter=max_iter, seed=seed)
    scored = tuned_metrics((y["validation"], scores["validation"]),
                           (y["test"], scores["test"]), store.tags)
    return {**scored["metrics"], "predictions": scores,
            "groundtruth": {s: y[s] for s in ("validation", "test")},
            "thresholds": scored["thresholds"], "excluded_tags": scored["excluded_tags"],
            "constant_tags": [store.tags[j] for j in constant],
            "n_features": int(x["train"].shape[1]), "n_train": len(splits["train"])}


def popularity_baseline(y_train: np.ndarray, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """The organisers' popularity baseline: every clip gets the training split's most
    frequent tag, and only that one.

    The official ``popular_predictions.npy`` and ``popular_decisions.npy`` are both this
    one-hot row repeated; its scores are constant per tag, so every per-tag ROC-AUC is
    0.5 and every per-tag PR-AUC is the tag's test prevalence. The micro averages see
    the most frequent tag ranked above all others, as in the 2019 leaderboard.

    Args:
        y_train: bool ``[N_train, n_tags]`` training labels.
        n_test: clips to predict.

    Returns:
        ``(predictions float32 [n_test, n_tags], decisions bool [n_test, n_tags])``.
    """
    counts = np.asarray(y_train, dtype=bool).sum(axis=0)
    row = np.zeros(counts.shape[0], dtype=bool)
    row[np.argmax(counts)] = True  # ties: the first tag in tag order
    decisions = np.repeat(row[None, :], n_test, axis=0)
    return decisions.astype(np.float32), decisions


def popularity_metrics(y_train: np.ndarray, groundtruth: dict[str, np.ndarray],
                       tags: Sequence[str] | None = None) -> dict:
    """The popularity baseline scored on each split of ``groundtruth``.

    Its decisions are the one-hot rows themselves, as in the official files: no
    threshold is tuned.

    Args:
        y_train: bool ``[N_train, n_tags]``.
        groundtruth: split name -> bool ``[N, n_tags]``.

    Returns:
        ``{split: METRIC_KEYS dict}``.
    """
    out = {}
    for split, y in groundtruth.items():
        pred, dec = popularity_baseline(y_train, len(y))
        m = all_metrics(y, pred, dec, tags)
        m.pop("excluded_tags", None)
        out[split] = m
    return out


def versus_mel_stats(y_true: np.ndarray, run_scores: np.ndarray, mel_scores: np.ndarray,
                     n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
    """The run minus ``mel_stats`` on test ROC-AUC macro, with its paired-bootstrap interval
    over the test clips (both scored on the same resampled clips; ``stats``).

    Args:
        y_true: bool ``[N, n_tags]``; run_scores, mel_scores: float ``[N, n_tags]``, rows
            paired clip by clip.

    Returns:
        ``{metric, delta, ci_low, ci_high, confidence, resamples, seed}``.
    """
    from .stats import paired_bootstrap

    r = paired_bootstrap(y_true, run_scores, mel_scores, n_resamples=n_resamples, seed=seed,
                         confidence=confidence, keys=(VERDICT_METRIC,))[VERDICT_METRIC]
    return {"metric": VERDICT_METRIC, "delta": r["delta"], "ci_low": r["ci_low"],
            "ci_high": r["ci_high"], "confidence": confidence, "resamples": n_resamples,
            "seed": seed}


def verdict(run_test: dict, mel_stats_test: dict | None, why_missing: str = "",
            difference: dict | None = None) -> str:
    """Where a run stands beside ``mel_stats`` on test ROC-AUC macro, in words: above or
    below only when the whole interval of ``difference`` (``versus_mel_stats``) is, else
    "within noise".

    Args:
        run_test, mel_stats_test: test metrics (``METRIC_KEYS`` dicts); ``mel_stats_test``
            None when the baseline could not be computed, ``why_missing`` saying why.
    """
    if mel_stats_test is None:
        return f"no mel_stats baseline to compare with: {why_missing or 'not computed'}"
    mine, base = run_test[VERDICT_METRIC], mel_stats_test[VERDICT_METRIC]
    if mine is None or base is None or np.isnan(mine) or np.isnan(base):
        return "no verdict: test ROC-AUC macro is undefined (no tag has both classes in test)"
    where = f"on test ROC-AUC macro ({mine:.3f} vs {base:.3f})"
    if difference is None:
        return f"no verdict {where}: the difference was not resampled"
    low, high = difference["ci_low"], difference["ci_high"]
    gap = (f"{mine - base:+.3f}, {difference['confidence']:.0%} interval [{low:+.3f}, "
           f"{high:+.3f}] over the test clips")
    if low > 0:
        return (f"above the mel_stats baseline {where}, by {gap}: the VQ-VAE route beats a "
                "logistic regression on log-mel statistics here")
    if high < 0:
        return (f"below the mel_stats baseline {where}, by {gap}: the VQ-VAE route loses to "
                "a logistic regression on log-mel statistics here")
    return (f"within noise of the mel_stats baseline {where}, {gap}: neither is ahead beyond "
            "the luck of the test clips")


__all__ = ["MEL_STATS", "POPULARITY", "VERDICT_METRIC", "logistic_scores", "mel_stats",
           "mel_stats_baseline", "popularity_baseline", "popularity_metrics", "verdict",
           "versus_mel_stats"]
