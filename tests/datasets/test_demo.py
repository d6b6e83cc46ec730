"""The embedded demo set: deterministic, real audio files, tags like a real tag set."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from vqvae_lib.datasets.demo.synthesis import DEMO_TAGS, PITCHED
from vqvae_lib.datasets.demo.writing import plan_demo_dataset, write_demo_dataset

SPLITS = ("train", "validation", "test")


def label_matrix(tags) -> np.ndarray:
    return np.array([[t in clip for t in DEMO_TAGS] for clip in tags], dtype=bool)


def digest(path: Path) -> str:
    if path.suffix == ".ogg":  # Ogg streams carry a random serial number: compare samples
        return hashlib.sha256(sf.read(path, dtype="int16")[0].tobytes()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_plan_has_every_tag_in_every_split_and_imbalanced_co_occurring_tags():
    plan = plan_demo_dataset()  # the default size: 400 clips
    y = label_matrix(plan["tags"])
    shares = plan["split"].value_counts(normalize=True)
    assert abs(shares["train"] - 0.70) < 0.03 and abs(shares["test"] - 0.15) < 0.03
    for split in SPLITS:
        rows = (plan["split"] == split).to_numpy()
        assert y[rows].any(axis=0).all(), f"a tag has no positive in {split}"
        assert (~y[rows]).any(axis=0).all(), f"a tag has no negative in {split}"
    freq = y.mean(axis=0)
    assert 0.08 < freq.min() and freq.max() < 0.65 and freq.max() / freq.min() > 2.5
    assert y.sum(axis=1).mean() > 3  # multi-label: several tags per clip
    t = {tag: y[:, i] for i, tag in enumerate(DEMO_TAGS)}
    assert t["bass"][t["drums"]].mean() > 2 * t["bass"][~t["drums"]].mean()
    assert t["fast"][t["drums"]].mean() > t["fast"][~t["drums"]].mean()
    # No tag is a copy or the complement of another.
    for i in range(len(DEMO_TAGS)):
        for j in range(i + 1, len(DEMO_TAGS)):
            assert 0.02 < (y[:, i] != y[:, j]).mean() < 0.98, (DEMO_TAGS[i], DEMO_TAGS[j])
    # Harmony tags exactly where something plays notes; one mode at most.
    pitched = y[:, [DEMO_TAGS.index(p) for p in PITCHED]].any(axis=1)
    np.testing.assert_array_equal(t["major"] | t["minor"], pitched)
    assert not (t["major"] & t["minor"]).any()


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    kw = dict(n_clips=16, clip_seconds=1.0, progress=False)
    a = write_demo_dataset(tmp_path / "a", seed=3, **kw)
    b = write_demo_dataset(tmp_path / "b", seed=3, **kw)
    c = write_demo_dataset(tmp_path / "c", seed=4, **kw)
    assert a.read_text() == b.read_text()
    manifest = pd.read_csv(a)
    assert list(manifest.columns) == ["id", "path", "tags", "split"]
    for rel in manifest["path"]:
        assert digest(a.parent / rel) == digest(b.parent / rel), rel
    other = pd.read_csv(c)
    assert any(digest(a.parent / p) != digest(c.parent / q)
               for p, q in zip(manifest["path"], other["path"]))


def test_files_are_real_audio_of_the_asked_length_and_written_once(tmp_path):
    m = write_demo_dataset(tmp_path, n_clips=40, clip_seconds=1.5, sample_rate=16000,
                           seed=0, progress=False)
    manifest = pd.read_csv(m, keep_default_na=False)
    formats = {Path(p).suffix for p in manifest["path"]}
    assert {".wav", ".flac"} <= formats
    for rel in manifest["path"]:
        y, sr = sf.read(m.parent / rel, dtype="float32")
        assert sr == 16000 and y.ndim == 1 and len(y) == 24000
        assert 0.001 < np.sqrt(np.mean(y ** 2)) and np.abs(y).max() < 1.0
    assert set(manifest["split"]) == set(SPLITS)
    assert all(set(t.split(";")) <= set(DEMO_TAGS) for t in manifest["tags"] if t)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert write_demo_dataset(tmp_path, n_clips=40, clip_seconds=1.5, sample_rate=16000,
                              seed=0, progress=False) == m
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == before


def test_tags_are_learnable_from_log_mels_of_the_default_set(tmp_path):
    """A linear probe on time-pooled log-mels already separates the tags: a VQ-VAE and a
    CNN tagger have something to learn. (The kit's demo run targets ROC-AUC >= 0.90.)"""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    from vqvae_lib.datasets.manifest import read_manifest
    from vqvae_lib.features.store import FeatureStore
    from vqvae_lib.settings.features import FeatureConfig
    from vqvae_lib.steps.extract import extract_features

    table = read_manifest(write_demo_dataset(tmp_path / "demo", progress=False),
                          tags=list(DEMO_TAGS))
    cfg = FeatureConfig(frames=128, max_seconds=4.0)  # as params/demo/base.yaml
    report = extract_features(table, cfg, tmp_path / "features", workers=2, progress=False)
    assert report.counts == {}
    store = FeatureStore(tmp_path / "features")

    def pooled(split):
        x = np.asarray(split.features[split.rows], dtype=np.float32)
        return np.concatenate([x.mean(2), x.std(2), np.abs(np.diff(x, axis=2)).mean(2)], 1)

    train, test = store.split("train"), store.split("test")
    scaler = StandardScaler().fit(pooled(train))
    x_train, x_test = scaler.transform(pooled(train)), scaler.transform(pooled(test))
    auc = []
    for j, tag in enumerate(store.tags):
        probe = LogisticRegression(C=0.1, max_iter=1000).fit(x_train, train.labels[:, j])
        auc.append(roc_auc_score(test.labels[:, j], probe.predict_proba(x_test)[:, 1]))
    assert np.mean(auc) >= 0.9, dict(zip(store.tags, np.round(auc, 3)))
    assert min(auc) >= 0.7, dict(zip(store.tags, np.round(auc, 3)))


@pytest.mark.parametrize("bad", [dict(n_clips=0), dict(clip_seconds=0.0)])
def test_bad_settings_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        write_demo_dataset(tmp_path, progress=False, **bad)
