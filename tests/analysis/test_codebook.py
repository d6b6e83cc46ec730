"""Analyses of code indices: codebook usage, code-tag lift, probe, projections, clips."""

from __future__ import annotations

import numpy as np
import pytest

from vqvae_lib.analysis.codebook import (
    TSNE_MAX_CODES,
    ClipError,
    EncodedClips,
    ProbeResult,
    RecErrors,
    SplitStats,
    bag_of_codes,
    best_and_worst,
    code_tag_lift,
    codebook_projection,
    codebook_projections,
    codebook_usage,
    dead_codes,
    linear_probe,
    perplexity,
    top_codes_per_tag,
)


def test_perplexity_is_K_for_even_use_and_one_for_a_single_code():
    assert perplexity(np.full(16, 5)) == pytest.approx(16)
    assert perplexity(np.array([0, 9, 0, 0])) == pytest.approx(1)
    assert perplexity(np.zeros(4)) == 1.0  # no uses at all: no NaN
    assert dead_codes(np.array([0, 9, 0, 1])) == 2


def test_perplexity_matches_the_quantizers_torch_figure():
    torch = pytest.importorskip("torch")
    from vqvae_lib.models.quantizer import codebook_perplexity

    counts = np.random.default_rng(4).integers(0, 50, size=64) * (np.arange(64) % 3 > 0)
    expected = float(codebook_perplexity(torch.as_tensor(counts, dtype=torch.float64)))
    assert perplexity(counts) == pytest.approx(expected, rel=1e-12)


def test_usage_and_split_figures_from_indices():
    idx = np.array([[[0, 1, 1]], [[1, 3, 3]]])
    counts = codebook_usage(idx, 5)
    np.testing.assert_array_equal(counts, [1, 3, 0, 2, 0])
    assert counts.dtype == np.int64
    stats = SplitStats.of(np.array([0.5, 1.5]), idx, 5)
    assert stats == SplitStats(2, 1.0, perplexity(counts), 3)
    assert list(stats.to_json()) == ["clips", "recon_mse_mean", "perplexity", "used_codes"]


def test_best_and_worst_clips_and_pooled_errors():
    errors = np.array([0.3, 0.1, 0.3, 0.9])
    best, worst = best_and_worst(errors, ["a", "b", "c", "d"], n=2)
    assert [c.id for c in best] == ["b", "a"]  # ties keep the clips' order
    assert [c.id for c in worst] == ["d", "c"]
    assert best[0].to_json() == {"id": "b", "mse": 0.1}
    assert best_and_worst(errors[:1], ["a"]) == ([ClipError("a", 0.3)], [ClipError("a", 0.3)])
    splits = {"train": EncodedClips(["a", "b"], np.zeros((2, 1, 1)), errors[:2]),
              "test": EncodedClips(["c"], np.zeros((1, 1, 1)), errors[2:3])}
    pooled = RecErrors.pooled(splits)
    np.testing.assert_array_equal(pooled.errors, errors[:3])
    assert pooled.ids == ["a", "b", "c"] and pooled.groups == ["train", "train", "test"]


def test_bag_of_codes_rows_are_normalised_histograms():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 7, size=(5, 2, 6))
    hist = bag_of_codes(idx, 7)
    assert hist.shape == (5, 7)
    np.testing.assert_allclose(hist.sum(1), 1.0)
    np.testing.assert_allclose(hist[3], np.bincount(idx[3].ravel(), minlength=7) / 12)


def test_a_code_planted_in_one_tags_clips_has_its_highest_lift_there():
    rng = np.random.default_rng(1)
    K, planted = 12, 7
    labels = rng.random((60, 3)) < 0.4
    labels[:, 1] = np.arange(60) < 12  # a fifth of the clips
    idx = rng.choice([k for k in range(K) if k != planted], size=(60, 2, 8))
    tagged = np.flatnonzero(labels[:, 1])
    idx[tagged, 0, :3] = planted
    lift = code_tag_lift(idx, labels, K)
    assert lift.shape == (3, K)
    assert lift[:, planted].argmax() == 1
    assert lift[1, planted] > 2.0
    assert top_codes_per_tag(lift, 2)[1, 0] == planted
    # Codes never used, and tags without clips, carry no evidence either way.
    idx[idx == 11] = 10
    labels[:, 2] = False
    lift = code_tag_lift(idx, labels, K)
    assert np.all(lift[:, 11] == 1.0)
    np.testing.assert_allclose(lift[2], 1.0)


def test_probe_separates_a_separable_toy_case_and_skips_one_class_tags():
    rng = np.random.default_rng(2)
    K = 8

    def make(n):
        labels = rng.random((n, 3)) < 0.5
        idx = rng.integers(2, K, size=(n, 1, 20))
        idx[labels[:, 0], 0, :6] = 0  # tag 0 <=> code 0 is frequent
        labels[:, 2] = True  # only positives: cannot be scored
        return bag_of_codes(idx, K), labels

    (xtr, ytr), (xva, yva) = make(80), make(40)
    result = linear_probe(xtr, ytr, xva, yva, max_iter=200, tags=["a", "b", "c"])
    assert result.skipped == ["c"]
    assert set(result.per_tag) == {"a", "b"}
    assert result.per_tag["a"] > 0.95
    assert 0.2 < result.per_tag["b"] < 0.8  # random tag: near chance
    assert result.roc_auc_macro == pytest.approx(np.mean(list(result.per_tag.values())))
    # inspect.json's "probe": the split names follow the scores, and only when known.
    assert list(result.to_json()) == ["roc_auc_macro", "per_tag", "skipped", "not_converged"]
    named = ProbeResult(0.5, {"a": 0.5}, [], [], train_split="train", eval_split="validation")
    assert list(named.to_json())[-2:] == ["train_split", "eval_split"]
    nothing = linear_probe(xtr, ytr[:, 2:], xva, yva[:, 2:], tags=["c"])
    assert nothing.to_json() == {"roc_auc_macro": None, "per_tag": {}, "skipped": ["c"],
                                 "not_converged": []}


def test_codebook_projection_shapes_and_the_tsne_cutoff():
    rng = np.random.default_rng(3)
    book = rng.normal(size=(20, 5))
    for method in ("pca", "tsne"):
        xy = codebook_projection(book, method, seed=0)
        assert xy.shape == (20, 2) and np.isfinite(xy).all()
    with pytest.raises(ValueError):
        codebook_projection(np.zeros((TSNE_MAX_CODES + 1, 2)), "tsne")
    assert list(codebook_projections(book, tsne=False)) == ["PCA"]
    assert list(codebook_projections(book, tsne=True)) == ["PCA", "t-SNE"]


def test_the_module_imports_no_run_machinery():
    import subprocess
    import sys

    code = ("import sys, vqvae_lib.analysis.codebook, vqvae_lib.analysis.plots; "
            "bad = [m for m in ('steps', 'runner', 'pretrain', 'tagging', 'params', "
            "'reconstruct_visualize') if 'vqvae_lib.' + m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
