"""The tiny run learns: the tagger ranks well above chance and the codebook is in use.

These thresholds are what the checked cells of 03 and 05 print; a run whose models stop
learning fails here and in nbval, whatever its exact digits.
"""

from __future__ import annotations

import numpy as np

from vqvae_lib.analysis.codebook import codebook_usage
from vqvae_lib.analysis.facts import (
    MIN_CODE_USAGE,
    MIN_VALIDATION_ROC_AUC,
    codebook_facts,
    failures,
    tagger_facts,
)
from vqvae_lib.features.store import FeatureStore
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.steps.evaluate import evaluate_run
from vqvae_lib.steps.reconstruct_visualize import encode_split


def test_the_check_fails_a_run_that_did_not_learn():
    flat = {"validation": {"roc_auc_macro": 0.47}, "test": {"roc_auc_macro": 0.51}}
    facts = tagger_facts(flat) + codebook_facts(5, 32)
    assert [f.holds for f in facts] == [False, False]
    assert len(failures(facts)) == 2
    assert str(facts[0]) == "tagger validation ROC-AUC macro at least 0.80: False"
    assert str(facts[1]) == "codes in use: at least 60% of K = 32: False"
    learned = tagger_facts({"validation": {"roc_auc_macro": 0.9}}) + codebook_facts(30, 32)
    assert not failures(learned)


def test_the_tiny_run_learns(tiny_tagged):
    """The shared tiny VQ-VAE keeps its codes in use on held-out clips, and a tagger on
    it ranks the validation clips well above chance."""
    project, run = tiny_tagged
    tiny = project.run(project.tiny)
    vqvae = VQVAE.from_checkpoint(tiny.paths.checkpoint("pretrain"))
    K = vqvae.config.quantizer.codebook_size
    held_out = FeatureStore(tiny.features_dir("pretrain")).split("validation")
    used = int((codebook_usage(encode_split(vqvae, held_out).indices, K) > 0).sum())
    assert used / K >= MIN_CODE_USAGE, f"{used} of {K} codes in use"

    result = evaluate_run(run)
    roc = result.metrics["validation"]["roc_auc_macro"]
    assert roc >= MIN_VALIDATION_ROC_AUC, f"validation ROC-AUC macro {roc:.3f}"
    assert not failures(tagger_facts(result.metrics) + codebook_facts(used, K))
    assert np.isfinite(result.metrics["test"]["roc_auc_macro"])
