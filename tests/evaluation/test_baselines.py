"""The plain baselines beside a run: ``mel_stats`` learns tags that band energies
decide and not shuffled ones, and ``evaluate_run`` stores both baselines and says in
words where the run stands."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from vqvae_lib.evaluation import baselines
from vqvae_lib.evaluation.metrics import METRIC_KEYS
from vqvae_lib.features.layout import STATUS_CODE
from vqvae_lib.features.store import FeatureStore
from vqvae_lib.steps import evaluate

TAGS = ["low", "low_mid", "high_mid", "high"]
SIZES = {"train": 160, "validation": 60, "test": 80}
N_MELS, FRAMES = 16, 24


def feature_folder(folder: Path, shuffled: bool = False, seed: int = 0) -> Path:
    """A finished feature folder as ``extract`` writes it: tag ``j`` raises the energy of
    mel bands ``4j..4j+3``. Each split's first row failed (zeros, status ``too_short``),
    so only ``rows`` line features up with labels. ``shuffled``: labels permuted across
    clips, so no feature predicts them."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    index = []
    for split, n in SIZES.items():
        y = rng.random((n, len(TAGS))) < 0.35
        x = rng.normal(0.0, 1.0, (n, N_MELS, FRAMES))
        for j in range(len(TAGS)):
            # Weak enough that the baseline stays below a perfect run (ROC-AUC about 0.95).
            x[y[:, j], 4 * j:4 * j + 4] += 0.3
        if shuffled:
            y = y[rng.permutation(n)]
        stored = np.zeros((n + 1, N_MELS, FRAMES), dtype=np.float16)
        stored[1:] = x
        np.save(folder / f"{split}.npy", stored)
        np.save(folder / f"{split}_status.npy",
                np.array([STATUS_CODE["too_short"]] + [STATUS_CODE["ok"]] * n, np.uint8))
        index.append({"split": split, "row": 0, "id": f"{split}-failed", "path": "", "tags": "",
                      "status": "too_short", "message": "shorter than the clip"})
        for i in range(n):
            index.append({"split": split, "row": i + 1, "id": f"{split}{i}", "path": "",
                          "tags": ";".join(t for t, on in zip(TAGS, y[i]) if on),
                          "status": "ok", "message": ""})
    pd.DataFrame(index).to_csv(folder / "index.csv", index=False)
    (folder / "tags.txt").write_text("\n".join(TAGS) + "\n")
    (folder / "extract_report.json").write_text(json.dumps(
        {"splits": {s: {"ok": n} for s, n in SIZES.items()}}))
    (folder / "DONE").write_text("")
    return folder


def run_folder(root: Path, store: FeatureStore, predict: str) -> SimpleNamespace:
    """A run folder as the tagging step writes it, over ``store``'s clips, whose
    predictions are ``random`` or the ``perfect`` labels themselves."""
    folder = root / "run"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for split in ("train", "validation", "test"):
        y = store.split(split).labels
        np.save(folder / f"groundtruth_{split}.npy", y)
        if split != "train":
            pred = rng.random(y.shape) if predict == "random" else y.astype(float)
            np.save(folder / f"predictions_{split}.npy", pred.astype(np.float32))
            (folder / f"clip_ids_{split}.txt").write_text("\n".join(store.split(split).ids))
    (folder / "tags.txt").write_text("\n".join(store.tags) + "\n")
    params = SimpleNamespace(name=predict, seed=0, data=SimpleNamespace(tag=None))
    return SimpleNamespace(dir=folder, params=params,
                           features_dir=lambda role: store.folder)


def test_mel_stats_learns_tags_that_band_energy_decides(tmp_path):
    result = baselines.mel_stats_baseline(FeatureStore(feature_folder(tmp_path / "f")))
    assert result["n_features"] == 2 * N_MELS and result["n_train"] == SIZES["train"]
    assert sorted(result["test"]) == sorted(METRIC_KEYS)
    assert result["test"]["roc_auc_macro"] > 0.9
    assert result["validation"]["roc_auc_macro"] > 0.9
    assert result["predictions"]["test"].shape == (SIZES["test"], len(TAGS))
    assert result["constant_tags"] == []


def test_mel_stats_is_near_chance_on_shuffled_labels(tmp_path):
    result = baselines.mel_stats_baseline(FeatureStore(feature_folder(tmp_path / "f",
                                                                      shuffled=True)))
    assert result["test"]["roc_auc_macro"] < 0.7


def test_mel_stats_reads_in_chunks_what_it_would_read_whole(tmp_path):
    split = FeatureStore(feature_folder(tmp_path / "f")).split("validation")
    x = np.asarray(split.features[split.rows], dtype=np.float32)
    whole = np.concatenate([x.mean(axis=2), x.std(axis=2)], axis=1)
    # A few bytes per chunk: one clip at a time.
    np.testing.assert_allclose(baselines.mel_stats(split, chunk_bytes=1), whole, rtol=1e-5)


def test_a_tag_with_one_class_in_train_scores_its_prevalence():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = np.stack([x[:, 0] > 0, np.zeros(40, bool), np.ones(40, bool)], axis=1)
    scores, constant = baselines.logistic_scores(x, y, {"test": rng.normal(size=(10, 3))})
    assert constant == [1, 2]
    assert (scores["test"][:, 1] == 0).all() and (scores["test"][:, 2] == 1).all()


def test_evaluate_run_stores_both_baselines_and_says_a_random_run_is_below(tmp_path):
    store = FeatureStore(feature_folder(tmp_path / "features"))
    result = evaluate.evaluate_run(run_folder(tmp_path, store, "random"))

    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "popularity_baseline" not in saved
    mel = saved["baselines"]["mel_stats"]
    assert mel["test"]["roc_auc_macro"] > 0.9
    assert sorted(mel["validation"]) == sorted(METRIC_KEYS)
    popularity = saved["baselines"]["popularity"]
    assert popularity["labels_from"] == "train"
    assert popularity["test"]["roc_auc_macro"] == 0.5
    assert saved["verdict"] == result.verdict
    assert result.verdict.startswith("below the mel_stats baseline on test ROC-AUC macro")
    assert f"{mel['test']['roc_auc_macro']:.3f}" in result.verdict
    comparison = result.comparison.set_index("run")
    assert len(comparison) == 3 and comparison.index[0] == "random"
    assert comparison.index[1].startswith("mel_stats baseline")
    assert comparison.index[2] == "popularity baseline (from train labels)"
    assert comparison.iloc[1]["roc_auc_macro"] == pytest.approx(mel["test"]["roc_auc_macro"])


def test_evaluate_run_says_a_perfect_run_is_above(tmp_path):
    store = FeatureStore(feature_folder(tmp_path / "features"))
    result = evaluate.evaluate_run(run_folder(tmp_path, store, "perfect"))
    assert result.verdict.startswith("above the mel_stats baseline")


def test_evaluate_run_skips_mel_stats_on_features_of_other_clips(tmp_path):
    store = FeatureStore(feature_folder(tmp_path / "features"))
    run = run_folder(tmp_path, store, "random")
    y = np.load(run.dir / "groundtruth_test.npy")
    np.save(run.dir / "groundtruth_test.npy", ~y)  # relabelled since the features were made
    with pytest.warns(UserWarning, match="no mel_stats baseline.*test clips or labels differ"):
        result = evaluate.evaluate_run(run)
    assert "differ" in result.baselines["mel_stats"]["skipped"]
    assert result.verdict.startswith("no mel_stats baseline to compare with")
    assert len(result.comparison) == 2


def _labels(rng, n: int = 40, tags: int = 4) -> np.ndarray:
    y = rng.random((n, tags)) < 0.4
    y[0], y[1] = True, False  # both classes in every tag
    return y


def test_the_verdict_says_within_noise_when_the_interval_holds_zero():
    rng = np.random.default_rng(0)
    y = _labels(rng)
    mel = y + rng.normal(0, 0.8, y.shape)
    run = mel + rng.normal(0, 0.05, y.shape)  # a hair's breadth from the baseline
    diff = baselines.versus_mel_stats(y, run, mel)
    assert diff["ci_low"] < 0 < diff["ci_high"]
    said = baselines.verdict({"roc_auc_macro": 0.892}, {"roc_auc_macro": 0.888}, "", diff)
    assert said.startswith("within noise of the mel_stats baseline") and "beats" not in said
    assert f"[{diff['ci_low']:+.3f}, {diff['ci_high']:+.3f}]" in said


def test_the_verdict_says_above_only_when_the_whole_interval_is():
    rng = np.random.default_rng(1)
    y = _labels(rng)
    diff = baselines.versus_mel_stats(y, y + rng.normal(0, 0.1, y.shape),
                                      y + rng.normal(0, 1.5, y.shape))
    assert diff["ci_low"] > 0
    above = baselines.verdict({"roc_auc_macro": 0.95}, {"roc_auc_macro": 0.70}, "", diff)
    assert above.startswith("above the mel_stats baseline") and "beats" in above
    straddling = {**diff, "ci_low": -0.01}
    said = baselines.verdict({"roc_auc_macro": 0.95}, {"roc_auc_macro": 0.70}, "", straddling)
    assert said.startswith("within noise") and "beats" not in said


def test_metrics_json_keeps_the_difference_and_its_interval(tmp_path):
    store = FeatureStore(feature_folder(tmp_path / "features"))
    evaluate.evaluate_run(run_folder(tmp_path, store, "perfect"))
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    diff = saved["baselines"]["mel_stats"]["run_minus_mel_stats"]
    assert diff["metric"] == "roc_auc_macro" and diff["resamples"] == 1000
    mel = saved["baselines"]["mel_stats"]["test"]["roc_auc_macro"]
    assert diff["delta"] == pytest.approx(saved["test"]["roc_auc_macro"] - mel)
    assert 0 < diff["ci_low"] <= diff["delta"] <= diff["ci_high"]
