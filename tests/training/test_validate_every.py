"""Validation only as often as the settings need, the trainer's own time split, and the
hardware rules that choose fp32 kernels by CPU class."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
import torch

from vqvae_lib.settings.training import TrainingConfig
from vqvae_lib.training.trainer import Trainer


def _trainer(make, folder, cfg: TrainingConfig, judged: list) -> Trainer:
    """The toy regression; validation records the epoch it was asked at."""
    return make(folder, cfg, on_validate=lambda _, trainer: judged.append(trainer.state.epoch))


def test_validation_runs_every_nth_epoch_and_after_the_last(tmp_path, toy_trainer):
    judged: list = []
    cfg = TrainingConfig(batch_size=8, lr=0.01, epochs=7, patience=7, checkpoint_every=0,
                         validate_every=3)
    state = _trainer(toy_trainer, tmp_path, cfg, judged).fit(progress=False)
    assert judged == [2, 5, 6]  # 0-based epochs: the 3rd, the 6th and the last
    assert state.epoch == 7 and state.stop_reason == "epochs done"
    with open(tmp_path / "log.csv") as fh:
        epochs = [r for r in csv.DictReader(fh) if r["scope"] == "epoch"]
    assert len(epochs) == 7  # every epoch keeps its training row
    assert [bool(r["val_loss"]) for r in epochs] == [False, False, True, False, False, True,
                                                     True]
    assert state.best_epoch in judged


def test_validating_less_often_trains_the_same_weights(tmp_path, toy_trainer):
    """Validation changes nothing in training: the last weights of a run validated every
    epoch and of one validated every third epoch are the same, bit for bit."""
    runs = []
    for sub, every in (("a", 1), ("b", 3)):
        folder = tmp_path / sub
        cfg = TrainingConfig(batch_size=8, lr=0.01, epochs=6, patience=6, checkpoint_every=0,
                             validate_every=every)
        trainer = _trainer(toy_trainer, folder, cfg, [])
        trainer.fit(progress=False)
        runs.append(trainer.model.weight.detach().clone())
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)


def test_patience_still_counts_epochs(tmp_path, toy_trainer):
    """A rising validation loss stops training after ``patience`` epochs, counted in
    epochs, not in validations."""
    judged: list = []
    cfg = TrainingConfig(batch_size=8, lr=5.0, epochs=40, patience=4, checkpoint_every=0,
                         validate_every=2)  # lr 5 diverges: no validation improves on the first
    state = _trainer(toy_trainer, tmp_path, cfg, judged).fit(progress=False)
    assert state.stop_reason == "early stopping"
    assert judged == [1, 3, 5]  # first (best), then two without improvement = 4 epochs
    assert state.best_epoch == 1


def test_the_trainer_records_where_its_time_went(tmp_path, toy_trainer):
    cfg = TrainingConfig(batch_size=8, lr=0.01, epochs=2, patience=2, checkpoint_every=0)
    state = _trainer(toy_trainer, tmp_path, cfg, []).fit(progress=False)
    assert state.seconds > 0 and state.validate_seconds > 0
    assert state.checkpoint_seconds > 0 and state.data_seconds > 0


def test_a_bad_validate_every_is_named():
    with pytest.raises(ValueError, match="validate_every"):
        TrainingConfig(validate_every=0)


def test_validate_every_one_leaves_finished_runs_unchanged():
    """The new key at its neutral value is not part of the fingerprint, so a run made
    before the key existed is not redone; any other value is."""
    from vqvae_lib.utils.provenance import without_neutral_settings

    assert without_neutral_settings({"lr": 1.0, "validate_every": 1}) == {"lr": 1.0}
    assert without_neutral_settings({"validate_every": 2}) == {"validate_every": 2}


def _in_subprocess(env: dict, code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_an_avx2_cap_makes_the_kit_choose_as_on_an_avx2_laptop():
    """With oneDNN capped to AVX2 (how an ordinary laptop is emulated on a newer CPU) the
    kit reports the fp32 class, trains in fp32 and takes the FFT front-end."""
    code = ("from vqvae_lib.training.hardware import cpu_class, select_hardware; "
            "hw = select_hardware('cpu'); "
            "print(cpu_class(), hw.amp_dtype, hw.fft_frontend)")
    capped = _in_subprocess({"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}, code)
    assert capped == "AVX2 CPU, no native bf16 (oneDNN capped at AVX2) None True"


def test_the_fft_front_end_trains_to_the_same_weights(monkeypatch):
    """The two ways of training the timbral filters give the same gradients, so choosing
    by CPU class keeps results equal (to float rounding)."""
    from vqvae_lib.models.taggers import PonsCNNTagger, TimbralBlock
    from vqvae_lib.settings.models import CNNTaggerConfig

    calls = []
    original = TimbralBlock.feature_map_fft
    monkeypatch.setattr(TimbralBlock, "feature_map_fft",
                        lambda self, x_hat: calls.append(1) or original(self, x_hat))
    torch.manual_seed(0)
    seq = torch.randn(4, 24, 48)
    grads = {}
    for fft in (False, True):
        torch.manual_seed(1)
        model = PonsCNNTagger(48, 24, 3, CNNTaggerConfig(filters=2, backend_filters=8, dense=8,
                                                         dropout=0.0)).train()
        model.frontend.fft_for_weights = fft
        model(seq).sum().backward()
        grads[fft] = torch.cat([p.grad.flatten() for p in model.parameters()])
        assert len(calls) == (6 if fft else 0)  # the six timbral filters took the FFT path
        with torch.no_grad():
            model.eval()(seq)  # scoring keeps the direct convolution
        assert len(calls) == (6 if fft else 0)
    torch.testing.assert_close(grads[True], grads[False], rtol=1e-4, atol=1e-5)


def test_keep_last_holds_the_final_weights(tmp_path, toy_trainer):
    """keep: last writes the final epoch's weights to best.pt whatever validation said;
    keep: best (the default) the best validated epoch's."""
    from vqvae_lib.models.checkpoint import load_checkpoint

    kept = {}
    for keep in ("best", "last"):
        folder = tmp_path / keep
        cfg = TrainingConfig(batch_size=8, lr=5.0, epochs=4, patience=4, checkpoint_every=0,
                             keep=keep)  # lr 5 diverges: the first epoch validates best
        trainer = _trainer(toy_trainer, folder, cfg, [])
        state = trainer.fit(progress=False)
        kept[keep] = load_checkpoint(folder / "best.pt")["trainer"]["epoch"]
        final = trainer.model.weight.detach()
        best = load_checkpoint(folder / "best.pt")["model"]["weight"]
        assert torch.equal(best, final) == (keep == "last")
        assert state.best_epoch == 0
    assert kept == {"best": 1, "last": 4}  # epochs done when each was written
    with pytest.raises(ValueError, match="keep"):
        TrainingConfig(keep="first")
