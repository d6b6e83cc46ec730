"""A reproducibility kit fails loudly, never quietly: each test here is built from a probe
that once produced a wrong result without a word (a killed epoch, a corrupt file, two runs
at once, a mistyped manifest header, an out-of-range threshold)."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from vqvae_lib.cli import main
from vqvae_lib.settings.training import TrainingConfig


def _epoch_rows(folder) -> list[dict]:
    with open(folder / "log.csv") as fh:
        return [r for r in csv.DictReader(fh) if r["scope"] == "epoch"]


def test_a_resumed_epoch_logs_the_mean_of_the_whole_epoch(tmp_path, killed_after, toy_trainer):
    """Killed after 5 of an epoch's 8 batches and resumed: the epoch's log row is the
    mean over all 8 batches, as in the run that was never killed."""
    cfg = TrainingConfig(batch_size=8, lr=0.01, epochs=2, patience=2, checkpoint_every=1)
    toy_trainer(tmp_path / "whole", cfg).fit(progress=False)
    killed_after(toy_trainer(tmp_path / "killed", cfg), 5)
    toy_trainer(tmp_path / "killed", cfg).fit(progress=False)
    whole, resumed = _epoch_rows(tmp_path / "whole"), _epoch_rows(tmp_path / "killed")
    assert len(whole) == len(resumed) == 2
    for a, b in zip(whole, resumed):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]), rel=1e-12)
        assert a["val_loss"] == b["val_loss"]


@pytest.mark.parametrize("threshold", ["2", "nan", "-0.1", "loud"])
def test_predict_refuses_a_threshold_outside_0_to_1(tiny_tagged, threshold, capsys):
    _, run = tiny_tagged
    assert main(["predict", str(run.dir), "x.wav", "--threshold", threshold]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "from 0 to 1" in err and repr(threshold) in err


def test_predict_notes_a_file_longer_than_what_it_hears(tiny_tagged, tmp_path, capsys):
    _, run = tiny_tagged
    cfg = run.params.features
    seconds = cfg.frames_seconds * 3 + 2
    t = np.arange(int(seconds * cfg.sample_rate)) / cfg.sample_rate
    long_file = tmp_path / "long.wav"
    sf.write(long_file, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), cfg.sample_rate)
    out = tmp_path / "tags.json"
    assert main(["predict", str(run.dir), str(long_file), "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"! {long_file}: {seconds:.0f} s long; only its first" in err
    (record,) = json.loads(out.read_text())
    assert "only its first" in record["note"]


def test_predict_with_a_truncated_tagger_checkpoint_is_one_line(tiny_tagged, tmp_path, capsys):
    _, run = tiny_tagged
    folder = tmp_path / "run"
    shutil.copytree(run.dir, folder, ignore=shutil.ignore_patterns("features", "codes"))
    best = folder / "tag" / "best.pt"
    best.write_bytes(best.read_bytes()[:1000])
    assert main(["predict", str(folder), "x.wav"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable tagger checkpoint" in err
    assert "--force --from tag" in err
