"""Runs you can trust: a changed setting or ``--force`` really recomputes, old outputs
are archived in ``previous/`` (never reused, never deleted), extraction re-runs only
what changed, and every step records what made it."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
import torch.multiprocessing as mp

from vqvae_lib.cli import main as cli
from vqvae_lib.features.store import FeatureStore
from vqvae_lib.models.checkpoint import load_checkpoint, save_checkpoint
from vqvae_lib.runs.run import Run
from vqvae_lib.runs.runner import run_pipeline
from vqvae_lib.settings.registry import STATES
from vqvae_lib.steps.extract import extract_run
from vqvae_lib.steps.pretrain import build_trainer, pretrain
from vqvae_lib.steps.tag import train_tagger
from vqvae_lib.training.hardware import select_hardware
from vqvae_lib.utils.provenance import file_sha256

QUICK = ("pretrain: {epochs: 1, patience: 1, amp: off, checkpoint_every: 0}\n"
         "tag: {epochs: 2, patience: 2, amp: off}\n")


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["model"]


def _differ(a: dict, b: dict) -> bool:
    return any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())


def _with(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- training steps -------------------------------------------------------------------------
def test_changed_params_retrain_archive_and_rebuild_codes(tiny_project, capsys):
    """pretrain and tag of one run: a changed lr retrains from scratch (not from the
    finished last.pt), the old outputs are in previous/, and re-pretraining re-encodes
    the cached codes."""
    path = tiny_project.params / "rerun.yaml"
    path.write_text("extends: tiny.yaml\nname: rerun\nsteps: [pretrain, tag]\n"
                    "reuse: {extract: tiny.yaml}\n" + QUICK.replace("}\n", ", lr: 0.002}\n"))
    run = tiny_project.run(path)
    pretrain(run, progress=False)
    run.mark_done("pretrain", 1.0)
    train_tagger(run, progress=False)
    run.mark_done("tag", 1.0)
    old_vq = _weights(run.dir / "pretrain" / "best.pt")
    old_tag = _weights(run.dir / "tag" / "best.pt")
    old_pred = np.load(run.dir / "predictions_test.npy")
    codes_made_by = json.loads((run.dir / "tag" / "codes" / "train.json").read_text())
    assert codes_made_by["encoder_checkpoint_sha256"] == file_sha256(
        run.dir / "pretrain" / "best.pt")
    capsys.readouterr()

    # A changed tagging lr: the tagger trains again from scratch.
    _with(path, "amp: off, lr: 0.002}", "amp: off, lr: 0.05}")
    run = tiny_project.run(path)
    assert run.status("tag").state == "stale"
    assert any("tag.lr" in w for w in run.status("tag").why)
    assert run.status("pretrain").state == "done"
    train_tagger(run, progress=False)
    run.mark_done("tag", 1.0)
    said = capsys.readouterr().out
    assert "not resuming" in said and "params tag.lr: 0.002 -> 0.05" in said
    assert _differ(old_tag, _weights(run.dir / "tag" / "best.pt"))
    assert not np.array_equal(old_pred, np.load(run.dir / "predictions_test.npy"))
    (archived,) = (run.dir / "previous").glob("tag-*")
    assert (archived / "ARCHIVED.txt").exists()
    torch.testing.assert_close(_weights(archived / "tag" / "best.pt"), old_tag)
    np.testing.assert_array_equal(np.load(archived / "predictions_test.npy"), old_pred)
    log = pd.read_csv(run.dir / "tag_log.csv")
    assert log["epoch"].min() == 0 and len(log) == len(pd.read_csv(archived / "tag_log.csv"))

    # A changed pretraining lr: the VQ-VAE trains again, the tag step goes stale, and the
    # tagger's cached codes are encoded by the new VQ-VAE.
    _with(path, "checkpoint_every: 0, lr: 0.002}", "checkpoint_every: 0, lr: 0.01}")
    run = tiny_project.run(path)
    assert run.status("pretrain").state == "stale"
    assert "upstream step 'pretrain' changed" in run.status("tag").why
    pretrain(run, progress=False)
    assert _differ(old_vq, _weights(run.dir / "pretrain" / "best.pt"))
    assert len(list((run.dir / "previous").glob("pretrain-*"))) == 1
    run.mark_done("pretrain", 1.0)
    train_tagger(run, progress=False)
    new_sha = file_sha256(run.dir / "pretrain" / "best.pt")
    assert new_sha != codes_made_by["encoder_checkpoint_sha256"]
    for split in ("train", "validation", "test"):
        made_by = json.loads((run.dir / "tag" / "codes" / f"{split}.json").read_text())
        assert made_by["encoder_checkpoint_sha256"] == new_sha
    assert len(list((run.dir / "previous").glob("tag-*"))) == 2
    # the checkpoints carry the fingerprint of the settings that made them
    assert load_checkpoint(run.dir / "tag" / "best.pt")["fingerprint"]["fingerprint"] == \
        run.fingerprint("tag")


def test_force_retrains_with_unchanged_params_and_prune_keeps_the_newest(tiny_pretrained,
                                                                         capsys):
    """Through the runner and the real notebook: --force archives the tag step and trains
    it again; unchanged, it is skipped; prune --keep 1 leaves the newest archive."""
    path = tiny_pretrained.run_file("forced", "tag: {epochs: 1, patience: 1}\n", pretrained=True)
    outputs = tiny_pretrained.outputs
    assert run_pipeline(path, outputs_root=outputs, stop="tag") == 0
    run = Run(path, outputs)
    first_log = (run.dir / "tag_log.csv").read_text()
    first_ckpt = (run.dir / "tag" / "last.pt").stat().st_mtime_ns
    capsys.readouterr()

    assert run_pipeline(path, outputs_root=outputs, stop="tag") == 0
    assert "= tag: up to date" in capsys.readouterr().out
    assert (run.dir / "tag" / "last.pt").stat().st_mtime_ns == first_ckpt

    assert run_pipeline(path, outputs_root=outputs, stop="tag", force=True) == 0
    said = capsys.readouterr().out
    assert "+ tag: done" in said and "previous outputs are kept in" in said
    (archived,) = (run.dir / "previous").glob("tag-*")
    assert (archived / "tag_log.csv").read_text() == first_log
    assert (archived / "04_tag.ipynb").exists() and (archived / ".steps" / "tag.json").exists()
    assert (run.dir / "tag" / "last.pt").stat().st_mtime_ns != first_ckpt
    assert len(pd.read_csv(run.dir / "tag_log.csv")) == len(pd.read_csv(archived / "tag_log.csv"))

    # A library file edited since the step ran: kept, and named.
    record = json.loads(run.done_file("tag").read_text())
    record["library"]["trainer.py"] = "0" * 16
    run.done_file("tag").write_text(json.dumps(record))
    assert run_pipeline(path, outputs_root=outputs, stop="tag") == 0
    said = capsys.readouterr().out
    assert "vqvae_lib changed since tag ran (trainer.py)" in said and "--force --from tag" in said
    assert Run(path, outputs).status("tag").library_changed == ["trainer.py"]

    # prune: of two archives, the newest one stays (the second one is set aside as
    # --force does above, without training the tagger a third time)
    time.sleep(1.1)  # archive names carry the time to the second
    assert Run(path, outputs).archive("tag", "forced again") is not None
    archives = Run(path, outputs).archives()
    assert len(archives) == 2
    assert cli(["prune", str(path), "--outputs", str(outputs), "--keep", "1", "--dry-run"]) == 0
    assert len(Run(path, outputs).archives()) == 2
    assert cli(["prune", str(path), "--outputs", str(outputs), "--keep", "1"]) == 0
    said = capsys.readouterr().out
    assert f"remove {archives[0]}" in said and "freed" in said
    assert Run(path, outputs).archives() == [archives[1]]


def test_status_json_names_a_state_and_the_reason_per_step(tiny_pretrained, capsys):
    path = tiny_pretrained.run_file("status", pretrained=True)
    outputs = str(tiny_pretrained.outputs)
    assert cli(["status", str(path), "--outputs", outputs, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run"] == "status"
    states = {s["step"]: s for s in report["steps"]}
    assert list(states) == ["extract", "pretrain", "tag", "evaluate"]
    assert all(s["state"] in STATES for s in states.values())
    assert states["extract"]["state"] == states["pretrain"]["state"] == "reused"
    assert states["extract"]["reused_from"] == "tiny"
    assert states["tag"]["state"] == states["evaluate"]["state"] == "never"

    # The shared tiny run: extract done; its library record names an edited file.
    tiny = tiny_pretrained.run(tiny_pretrained.tiny)
    record = json.loads(tiny.done_file("extract").read_text())
    assert {"parts", "library", "versions", "kit", "git"} <= set(record)
    assert {"torch", "librosa", "soundfile", "numpy", "scikit-learn"} <= set(record["versions"])
    assert cli(["status", str(tiny_pretrained.tiny), "--outputs", outputs]) == 0
    assert "extract                done" in capsys.readouterr().out


# -- extraction ---------------------------------------------------------------------------
def _tone(path: Path, f0: float, seconds: float = 2.0) -> None:
    t = np.arange(int(seconds * 22050)) / 22050
    sf.write(path, (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), 22050)


@pytest.fixture
def own_music(tmp_path):
    """A manifest of six real WAV files and one listed file that is not there yet."""
    audio = tmp_path / "audio"
    audio.mkdir()
    rows = []
    for i, split in enumerate(["train", "train", "train", "validation", "test", "test"]):
        _tone(audio / f"c{i}.wav", 220.0 * (i + 1))
        rows.append((f"song{i}", f"audio/c{i}.wav", "calm" if i % 2 else "drums", split))
    rows.append(("late", "audio/late.wav", "calm", "train"))
    manifest = tmp_path / "songs.csv"
    pd.DataFrame(rows, columns=["id", "path", "tags", "split"]).to_csv(manifest, index=False)
    params = tmp_path / "own.yaml"
    params.write_text(f"name: own\nsteps: [extract, pretrain, tag]\n"
                      f"data: {{tag: {{kind: manifest, path: {manifest}}}}}\n"
                      "features: {frames: 32, max_seconds: 2.0, workers: 1}\n")
    return params, manifest, tmp_path / "outputs"


def _extract(params: Path, outputs: Path) -> tuple[Run, dict]:
    run = Run(params, outputs)
    report = extract_run(run, progress=False)["tag"]
    run.mark_done("extract", 1.0)
    return Run(params, outputs), report


def test_extraction_reruns_only_what_changed(own_music, monkeypatch):
    params, manifest, outputs = own_music
    run, report = _extract(params, outputs)
    assert report.extracted == 7 and report.counts == {"missing": 1}
    before = np.load(run.features_dir("tag") / "train.npy")
    fp_pretrain, fp_tag = run.fingerprint("pretrain"), run.fingerprint("tag")

    # Only the tags of one clip change: nothing is decoded, the labels follow, and the
    # tag step (which reads labels) goes stale while pretraining (audio only) does not.
    from vqvae_lib.features import pool as extract_pool

    decoded = []
    real = extract_pool._features_or_failure
    monkeypatch.setattr(extract_pool, "_features_or_failure",
                        lambda p, c: decoded.append(Path(p).name) or real(p, c))
    table = pd.read_csv(manifest)
    table.loc[0, "tags"] = "calm;drums"
    table.to_csv(manifest, index=False)
    run = Run(params, outputs)
    status = run.status("extract")
    assert status.state == "stale" and "data [tag]: clips 1 relabelled" in status.why
    assert run.fingerprint("tag") != fp_tag and run.fingerprint("pretrain") == fp_pretrain
    run, report = _extract(params, outputs)
    assert decoded == [] and report.extracted == 0 and report.kept == 7
    store = FeatureStore(run.features_dir("tag"))
    assert store.split("train").labels[0].tolist() == [True, True]
    np.testing.assert_array_equal(np.load(run.features_dir("tag") / "train.npy"), before)

    # One row points at another file: that clip alone is extracted again.
    _tone(manifest.parent / "audio" / "other.wav", 1500.0)
    table.loc[1, "path"] = "audio/other.wav"
    table.to_csv(manifest, index=False)
    assert "data [tag]: clips 1 changed" in Run(params, outputs).status("extract").why
    run, report = _extract(params, outputs)
    assert decoded == ["other.wav"] and report.extracted == 1
    after = np.load(run.features_dir("tag") / "train.npy")
    np.testing.assert_array_equal(after[[0, 2]], before[[0, 2]])
    assert not np.array_equal(after[1], before[1])

    # The missing file is put in place: it is extracted on the next run.
    decoded.clear()
    _tone(manifest.parent / "audio" / "late.wav", 330.0)
    assert "data [tag]: clips 1 changed" in Run(params, outputs).status("extract").why
    run, report = _extract(params, outputs)
    assert decoded == ["late.wav"] and report.counts == {}
    assert report.splits["train"].ok == report.splits["train"].total == 4

    # A clip added in the middle of a split moves rows: kept clips keep their features.
    decoded.clear()
    _tone(manifest.parent / "audio" / "new.wav", 440.0)
    table = pd.read_csv(manifest)
    table = pd.concat([table.iloc[:1], pd.DataFrame([("new", "audio/new.wav", "calm", "train")],
                                                    columns=table.columns), table.iloc[1:]])
    table.to_csv(manifest, index=False)
    assert "data [tag]: clips 1 added" in Run(params, outputs).status("extract").why
    run, report = _extract(params, outputs)
    assert decoded == ["new.wav"] and report.kept == 7
    moved = np.load(run.features_dir("tag") / "train.npy")
    np.testing.assert_array_equal(moved[[0, 2, 3]], after[[0, 1, 2]])


def test_force_and_other_feature_settings_archive_the_features(own_music, capsys):
    params, manifest, outputs = own_music
    run, _ = _extract(params, outputs)
    old = np.load(run.features_dir("tag") / "train.npy")
    assert run_pipeline(params, outputs_root=outputs, stop="extract") == 0  # up to date
    _with(params, "frames: 32", "frames: 40")
    run, report = _extract(params, outputs)
    assert "extracting again from scratch" in capsys.readouterr().err
    (archived,) = (run.dir / "previous").glob("extract-*")
    np.testing.assert_array_equal(np.load(archived / "features" / "tag" / "train.npy"), old)
    assert np.load(run.features_dir("tag") / "train.npy").shape[-1] == 40


# -- DDP ----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_sees_its_own_folder(rank: int, port: int, params: str, outputs: str,
                              folders: str) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        torch.set_num_threads(1)
        trainer, _ = build_trainer(Run(params, outputs), select_hardware("cpu", "off", False))
        trainer.out_dir = Path(folders) / f"machine{rank}"  # no shared filesystem
        trainer.fit(progress=False)
    finally:
        dist.destroy_process_group()


def test_ddp_ranks_that_see_different_checkpoints_stop(tiny_project, tmp_path):
    path = tiny_project.run_file("ddp-split", "pretrain: {epochs: 1, max_steps: 1, amp: off}\n")
    run = tiny_project.run(path)
    trainer, _ = build_trainer(run, select_hardware("cpu", "off", False))
    save_checkpoint(trainer._checkpoint(), tmp_path / "machine0" / "last.pt")
    with pytest.raises(Exception, match="filesystem that all of them share"):
        mp.spawn(_rank_sees_its_own_folder,
                 args=(_free_port(), str(path), str(run.outputs_root), str(tmp_path)),
                 nprocs=2, join=True)
