"""Extraction into a feature folder: bad files reported, resume, shards, FeatureStore."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from vqvae_lib.datasets.cliptable import ClipTable
from vqvae_lib.features import plan as extract_plan
from vqvae_lib.features import pool as extract_pool
from vqvae_lib.features.logmel import reference_log_mel
from vqvae_lib.features.store import FeatureStore
from vqvae_lib.settings.features import FeatureConfig
from vqvae_lib.steps.extract import extract_features, merge_shards

CFG = FeatureConfig(frames=96, max_seconds=4.0, workers=2)  # 96 frames need 2.2 s
TAGS = ["calm", "drums", "piano"]


def tone(seconds: float, sr: int, channels: int, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3)) * (0.5 + 0.5 * np.sin(3 * t))
    return np.repeat(0.2 * y[:, None], channels, 1).astype(np.float32)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> ClipTable:
    """Good clips in four formats and three rates, and one of each kind of bad file."""
    d = tmp_path_factory.mktemp("audio")
    rows = []

    def add(name, split, tags, y=None, sr=22050, data=None):
        path = d / name
        if y is not None:
            sf.write(path, y, sr)
        elif data is not None:
            path.write_bytes(data)
        rows.append({"id": Path(name).stem, "path": str(path), "split": split, "tags": tags})

    add("a.wav", "train", ("piano",), tone(2.5, 22050, 1, 220))
    add("b.flac", "train", ("drums", "piano"), tone(2.5, 44100, 2, 330), 44100)
    add("c.ogg", "train", ("calm",), tone(2.5, 44100, 1, 440), 44100)
    add("d.mp3", "validation", ("drums",), tone(2.5, 44100, 2, 550), 44100)
    add("e48k.wav", "test", ("calm", "piano"), tone(2.5, 48000, 2, 660), 48000)
    add("short.wav", "train", ("calm",), tone(2.0, 22050, 1, 770))  # a 2 s clip: too short
    add("empty.wav", "validation", ("piano",), data=b"")
    add("text.mp3", "train", ("calm",), data=b"this is a text file renamed .mp3\n" * 30)
    sf.write(d / "good.flac", tone(2.5, 22050, 1, 880), 22050)
    flac = bytearray((d / "good.flac").read_bytes())
    flac[100:] = np.random.default_rng(0).integers(0, 256, len(flac) - 100, np.uint8).tobytes()
    add("corrupt.flac", "test", ("drums",), data=bytes(flac))
    add("gone.wav", "test", ("calm",))  # listed, never written
    add("f.flac", "test", ("drums",), tone(2.5, 32000, 1, 990), 32000)
    return ClipTable(pd.DataFrame(rows), TAGS, name="test clips")


@pytest.fixture(scope="module")
def done(clips, tmp_path_factory) -> Path:
    """One uninterrupted extraction with two worker processes."""
    out = tmp_path_factory.mktemp("features") / "tag"
    extract_features(clips, CFG, out, workers=2, progress=False)
    return out


def arrays(folder: Path) -> dict[str, np.ndarray]:
    return {f"{s}{k}": np.load(folder / f"{s}{k}.npy")
            for s in ("train", "validation", "test") for k in ("", "_status")}


def test_bad_files_are_reported_not_raised(clips, done):
    report = json.loads((done / "extract_report.json").read_text())
    assert report["splits"] == {"train": {"ok": 3, "total": 5},
                                "validation": {"ok": 1, "total": 2},
                                "test": {"ok": 2, "total": 4}}
    assert report["counts"] == {"corrupt": 1, "empty": 1, "missing": 1, "not_audio": 1,
                                "too_short": 1}
    failed = {r: [Path(f["path"]).name for f in fs] for r, fs in report["failures"].items()}
    assert failed == {"corrupt": ["corrupt.flac"], "empty": ["empty.wav"],
                      "missing": ["gone.wav"], "not_audio": ["text.mp3"],
                      "too_short": ["short.wav"]}
    assert (done / "DONE").exists()
    assert (done / "tags.txt").read_text().splitlines() == TAGS
    index = pd.read_csv(done / "index.csv", keep_default_na=False)
    assert list(index.columns) == ["split", "row", "id", "path", "tags", "size", "mtime",
                                   "status", "message"]
    assert list(index["id"]) == list(clips.clips.sort_values(
        "split", key=lambda s: s.map({"train": 0, "validation": 1, "test": 2}),
        kind="stable")["id"])
    assert index.set_index("id").loc["b", "tags"] == "drums;piano"


def test_stored_features_equal_the_naive_recipe_in_clip_order(clips, done):
    index = pd.read_csv(done / "index.csv", keep_default_na=False)
    for split in ("train", "validation", "test"):
        x = np.load(done / f"{split}.npy", mmap_mode="r")
        assert x.dtype == np.float16 and x.shape[1:] == (128, 96)
        for r in index[index["split"] == split].itertuples():
            if r.status == "ok":
                naive = reference_log_mel(r.path, CFG)
                assert np.abs(x[r.row].astype(np.float32) - naive).max() <= 1e-3
            else:
                assert not x[r.row].any()  # failed rows stay zero


def test_pad_policy_keeps_the_short_clip(clips, tmp_path):
    pad = FeatureConfig(frames=96, max_seconds=4.0, short_policy="pad")
    report = extract_features(clips, pad, tmp_path / "f", workers=1, progress=False)
    assert "too_short" not in report.counts
    assert report.splits["train"].ok == 4


def test_a_finished_folder_is_returned_without_work(clips, done, monkeypatch):
    def no_work(*args):
        raise AssertionError("a finished extraction must not decode anything")

    monkeypatch.setattr(extract_pool, "_features_or_failure", no_work)
    before = (done / "DONE").stat().st_mtime_ns
    report = extract_features(clips, CFG, done, workers=1, progress=False)
    assert report.to_json() == json.loads((done / "extract_report.json").read_text())
    assert (done / "DONE").stat().st_mtime_ns == before


def test_other_settings_rebuild_the_folder(clips, tmp_path, capsys):
    out = tmp_path / "f"
    extract_features(clips, CFG, out, workers=1, progress=False)
    wider = FeatureConfig(frames=48, max_seconds=4.0)
    report = extract_features(clips, wider, out, workers=1, progress=False)
    assert "extracting again" in capsys.readouterr().err
    assert np.load(out / "train.npy").shape == (5, 128, 48)
    assert report.config["frames"] == 48


def test_a_killed_extraction_resumes_where_it_stopped(clips, done, tmp_path, monkeypatch):
    real = extract_pool._features_or_failure
    calls = []

    def killed_after_four(path, cfg):
        if len(calls) == 4:
            raise KeyboardInterrupt  # stands in for a kill: no Exception handler sees it
        calls.append(path)
        return real(path, cfg)

    out = tmp_path / "f"
    monkeypatch.setattr(extract_pool, "_features_or_failure", killed_after_four)
    with pytest.raises(KeyboardInterrupt):
        extract_features(clips, CFG, out, workers=1, progress=False)
    assert not (out / "DONE").exists()
    assert (np.load(out / "train_status.npy") > 0).sum() == 4

    calls.clear()
    monkeypatch.setattr(extract_pool, "_features_or_failure",
                        lambda path, cfg: calls.append(path) or real(path, cfg))
    extract_features(clips, CFG, out, workers=1, progress=False)
    assert len(calls) == len(clips.clips) - 4  # done rows are not redone
    for name, a in arrays(out).items():
        np.testing.assert_array_equal(a, arrays(done)[name], err_msg=name)
    assert (out / "index.csv").read_text() == (done / "index.csv").read_text()


def test_shards_merged_equal_an_unsharded_run(clips, done, tmp_path):
    out = tmp_path / "f"
    for i in range(3):
        report = extract_features(clips, CFG, out, workers=1, shard=(i, 3), progress=False)
        assert report.shard == (i, 3)
    with pytest.raises(FileNotFoundError, match="shards/3"):
        merge_shards(out, 4)
    merged = merge_shards(out, 3)
    for name, a in arrays(out).items():
        np.testing.assert_array_equal(a, arrays(done)[name], err_msg=name)
    assert (out / "index.csv").read_text() == (done / "index.csv").read_text()
    whole = json.loads((done / "extract_report.json").read_text())
    for key in ("splits", "failures", "counts", "config"):
        assert merged.to_json()[key] == whole[key]
    # The merged folder is a finished extraction of the same clips and settings.
    assert extract_features(clips, CFG, out, workers=1, progress=False) == merged


def test_feature_store_items_labels_and_ids(clips, done):
    store = FeatureStore(done)
    assert store.tags == TAGS and store.report["splits"]["train"]["ok"] == 3
    train = store.split("train")
    assert train.ids == ["a", "b", "c"] and len(train) == 3
    np.testing.assert_array_equal(train.labels, [[0, 0, 1], [0, 1, 1], [1, 0, 0]])
    assert train.labels.dtype == bool
    x, y = train[1]
    assert x.dtype == torch.float32 and x.shape == (1, 128, 96)
    assert y.tolist() == [0.0, 1.0, 1.0]
    np.testing.assert_allclose(x[0].numpy(), reference_log_mel(clips.clips.loc[1, "path"], CFG),
                               atol=1e-3)
    assert isinstance(train.features, np.memmap) and train.features.shape == (5, 128, 96)
    # A copy sent to a DataLoader worker maps the file itself.
    clone = pickle.loads(pickle.dumps(train))
    assert clone._features is None and torch.equal(clone[1][0], x)
    batch_x, batch_y = next(iter(torch.utils.data.DataLoader(train, batch_size=3)))
    assert batch_x.shape == (3, 1, 128, 96) and batch_y.shape == (3, 3)
    assert store.split("validation").ids == ["d"] and store.split("test").ids == ["e48k", "f"]


def test_feature_store_of_an_empty_split_and_a_missing_folder(tmp_path):
    rows = pd.DataFrame({"id": ["x"], "path": [str(tmp_path / "nope.wav")], "split": ["train"],
                         "tags": [("calm",)]})
    out = tmp_path / "f"
    extract_features(ClipTable(rows, TAGS), CFG, out, workers=1, progress=False)
    store = FeatureStore(out)
    assert len(store.split("train")) == 0 and len(store.split("test")) == 0
    assert store.split("train").labels.shape == (0, 3)
    with pytest.raises(FileNotFoundError, match=r"--to extract") as err:
        FeatureStore(tmp_path / "never")
    assert str(tmp_path / "never") in str(err.value)


def test_extract_run_extracts_for_the_owner_and_reads_for_reusers(tiny_project):
    from vqvae_lib.steps.extract import extract_run

    owner = tiny_project.run(tiny_project.tiny)
    reuser = tiny_project.run(tiny_project.run_file("reuses_extract"))
    reports = extract_run(reuser, progress=False)
    assert set(reports) == {"tag"}
    assert reports["tag"].to_json() == json.loads(
        (owner.features_dir("tag") / "extract_report.json").read_text())
    assert not (reuser.dir / "features").exists()
    store = FeatureStore(owner.features_dir("tag"))
    assert len(store.split("train")) == reports["tag"].splits["train"].ok > 0


def test_an_extraction_killed_by_sigkill_resumes(clips, done, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "f"
    clips.clips.to_pickle(tmp_path / "clips.pkl")
    # A child process that extracts slowly (0.3 s per clip), killed with SIGKILL once a
    # few rows are marked done: nothing of it gets a chance to clean up.
    script = f"""
import time, pandas as pd
from vqvae_lib import extract, extract_pool
from vqvae_lib.datasets.cliptable import ClipTable
from vqvae_lib.settings.features import FeatureConfig
real = extract_pool._features_or_failure
extract_pool._features_or_failure = lambda p, c: (time.sleep(0.3), real(p, c))[1]
table = ClipTable(pd.read_pickle({str(tmp_path / 'clips.pkl')!r}), {TAGS!r})
extract.extract_features(table, FeatureConfig(**{extract_plan.config_record(CFG)!r}),
                         {str(out)!r}, workers=1, progress=False)
"""
    child = subprocess.Popen([sys.executable, "-c", script])
    status = out / "train_status.npy"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if status.exists() and (np.load(status) > 0).sum() >= 3:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (out / "DONE").exists(), "the child finished before it could be killed"
    extract_features(clips, CFG, out, workers=1, progress=False)
    for name, a in arrays(out).items():
        np.testing.assert_array_equal(a, arrays(done)[name], err_msg=name)
    assert (out / "index.csv").read_text() == (done / "index.csv").read_text()
