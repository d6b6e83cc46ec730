"""The paper's claims tested on runs: a paired bootstrap over the test clips per pair.

A claim (``paper.PAPER_CLAIMS``: a fixed encoder beats a finetuned one, the CNN beats
the GRU, Type-1 beats Type-2) is tested by test ROC-AUC macro on every pair of runs that
differ only in the claimed factor, with a 95% paired bootstrap interval over the test
clips (``stats``): it ``holds`` (interval above 0), is ``not significant`` (the interval
includes 0) or is ``reversed`` (below 0). A run of several seeds scores, on each
resample of the test clips, each seed's score averaged over the seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..evaluation.compare import TestScores, pair_runs
from ..evaluation.inputs import InputError
from ..evaluation.paper import PAPER_CLAIMS
from ..evaluation.stats import bootstrap_values, paired_interval, verdict

CONFIDENCE = 0.95
# The design settings in words, for the claims' qualifiers ("fixed beats finetuned (GRU)").
SETTING_WORDS = {"gru": "GRU", "cnn": "CNN", "fixed": "fixed", "finetune": "finetuned",
                 "type1": "Type-1", "type2": "Type-2"}


def claim_pairs(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Each paper claim on each pair of runs that differ only in the claimed factor.

    Returns:
        One dict per claim and pair, in ``PAPER_CLAIMS`` order: ``claim`` (the paper's
        claim, qualified by the setting the pair shares when the claim has pairs in
        several settings, e.g. "fixed encoder beats finetuned (GRU)"), ``paper_claim``,
        ``better`` and ``worse`` (run names), ``better_index`` and ``worse_index``
        (their ``runs`` index labels); a claim without a pair once, with
        ``better`` None.
    """
    out = []
    for claim in PAPER_CLAIMS:
        pairs = [(i, j) for i, a in runs[runs[claim.factor] == claim.better].iterrows()
                 for j, b in runs[runs[claim.factor] == claim.worse].iterrows()
                 if all(a[k] == b[k] for k in claim.same)]
        varying = [k for k in claim.same if len({runs.at[i, k] for i, _ in pairs}) > 1]
        for i, j in pairs:
            words = [SETTING_WORDS.get(runs.at[i, k], str(runs.at[i, k])) for k in varying]
            out.append({"claim": claim.text + (f" ({', '.join(words)})" if words else ""),
                        "paper_claim": claim.text, "better": runs.at[i, "run"],
                        "worse": runs.at[j, "run"], "better_index": i, "worse_index": j})
        if not pairs:
            out.append({"claim": claim.text, "paper_claim": claim.text, "better": None,
                        "worse": None, "better_index": None, "worse_index": None})
    return out


def check_claims(runs: pd.DataFrame, scores: Callable[[Any], TestScores],
                 n_resamples: int = 1000, seed: int = 0,
                 metric: str = "roc_auc_macro") -> list[dict[str, Any]]:
    """Test each claim on each pair of runs that differ only in the claimed factor.

    Args:
        runs: one row per run (``load_run``): its name and design.
        scores: a run's test scores, given its ``runs`` index label (from its folder's
            ``predictions_test.npy`` and ``groundtruth_test.npy``, say); may raise
            ``InputError`` when it has none. Scores with ``seed_predictions`` (a run of
            several seeds) are scored by the mean over the seeds of each seed's metric,
            on every resample.
        n_resamples, seed: of the paired bootstrap over test clips.
        metric: the score compared, one of ``stats.KEYS``.

    Returns:
        ``claim_pairs`` entries with ``metric``, ``verdict`` (``holds``, ``not
        significant``, ``reversed``; ``untested`` without a pair or its scores, and then
        ``why``) and, when tested, ``better_score``, ``worse_score``, ``difference``
        (better minus worse), ``ci_low``, ``ci_high``, ``p_le_0`` and ``paired`` (how
        the rows were paired, in words).
    """
    loaded: dict[Any, TestScores | InputError] = {}
    values: dict[tuple, dict[str, np.ndarray]] = {}

    def load(i: Any) -> TestScores:
        if i not in loaded:
            try:
                loaded[i] = scores(i)
            except InputError as exc:
                loaded[i] = exc
        if isinstance(loaded[i], InputError):
            raise loaded[i]
        return loaded[i]

    def resampled(i: Any, order: tuple[str, ...] | None, y: np.ndarray,
                  seeds: list[np.ndarray]) -> dict[str, np.ndarray]:
        # A run compared with several others, rows in the same order, is resampled once.
        # A run of several seeds scores the mean of its seeds' metrics on each resample
        # (the same clips for every seed), so that its full-set score is the mean the
        # table shows. A resample undefined for one seed is for all: it hangs on labels.
        if (i, order) not in values:
            each = [bootstrap_values(y, p, n_resamples, seed, (metric,)) for p in seeds]
            values[i, order] = {k: np.mean([e[k] for e in each], axis=0) for k in each[0]}
        return values[i, order]

    def paired_seeds(a: TestScores, b: TestScores
                     ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], str]:
        # Each run's predictions per seed (one when it has no seeds), rows in A's order.
        y, pa, pb, paired = pair_runs(a, b)
        seeds_a = list(a.seed_predictions) or [pa]
        seeds_b = [pair_runs(a, replace(b, predictions=p))[2]
                   for p in b.seed_predictions] or [pb]
        if len(seeds_a) > 1 or len(seeds_b) > 1:
            paired += (f"; each score the mean over its run's seeds ({len(seeds_a)} and "
                       f"{len(seeds_b)})")
        return y, seeds_a, seeds_b, paired

    results = []
    for c in claim_pairs(runs):
        i, j = c.pop("better_index"), c.pop("worse_index")
        c["metric"] = metric
        if i is None:
            results.append({**c, "verdict": "untested",
                            "why": "no pair of runs differs only there"})
            continue
        try:
            a, b = load(i), load(j)
            y, pa, pb, paired = paired_seeds(a, b)
        except InputError as exc:
            results.append({**c, "verdict": "untested", "why": str(exc)})
            continue
        r = paired_interval(resampled(i, a.clip_ids, y, pa), resampled(j, a.clip_ids, y, pb),
                            CONFIDENCE)[metric]
        results.append({**c, "verdict": verdict(r["ci_low"], r["ci_high"]),
                        "better_score": r["a"], "worse_score": r["b"],
                        "difference": r["delta"], "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"], "p_le_0": r["p_le_0"], "paired": paired})
    return results


def claim_line(c: dict[str, Any], emphasis: str = "") -> str:
    """One claim in words: its verdict (between ``emphasis`` marks, ``**`` in
    Markdown), the pair, the difference and its interval."""
    said = f"{emphasis}{c['verdict']}{emphasis}"
    if c["verdict"] == "untested":
        return f"{c['claim']}: {said} ({c['why']})"
    return (f"{c['claim']}: {said} ({c['better']} vs {c['worse']}: "
            f"{c['difference']:+.4f}, {CONFIDENCE:.0%} interval [{c['ci_low']:+.4f}, "
            f"{c['ci_high']:+.4f}])")
