"""The training loop's cosine learning rate and weight average: what is validated and kept
as ``best.pt`` is the average, the rate ends near zero, and both survive a resume."""

from __future__ import annotations

import pytest
import torch

from vqvae_lib.models.checkpoint import load_checkpoint
from vqvae_lib.settings.training import TrainingConfig
from vqvae_lib.training.averaging import WeightAverage, cosine_factor, set_learning_rate
from vqvae_lib.training.trainer import Trainer


def _toy_trainer(make, folder, cfg: TrainingConfig, seen: dict) -> Trainer:
    """The toy regression; validation records the weights it judged and each step's
    learning rate is recorded."""
    return make(folder, cfg,
                on_step=lambda opt: seen.setdefault("lr", []).append(opt.param_groups[0]["lr"]),
                on_validate=lambda model, _: seen.setdefault("judged", []).append(
                    model.weight.detach().clone()))


def test_cosine_factor_runs_from_one_to_zero():
    total = 40
    f = [cosine_factor(s, total) for s in range(total + 1)]
    assert f[0] == 1.0 and f[-1] == pytest.approx(0.0, abs=1e-12)
    assert f[total // 2] == pytest.approx(0.5)
    assert all(a >= b for a, b in zip(f, f[1:]))


def test_the_initial_rate_survives_the_optimizer_state():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([w], lr=0.1)
    set_learning_rate(opt, 0.5)
    again = torch.optim.Adam([w], lr=0.1)
    again.load_state_dict(opt.state_dict())
    set_learning_rate(again, 0.25)
    assert again.param_groups[0]["lr"] == pytest.approx(0.025)


def test_the_average_lags_the_weights_and_swaps_back():
    model = torch.nn.Linear(3, 1)
    avg = WeightAverage(model, decay=0.5)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    avg.update(model)  # the first update copies
    with torch.no_grad():
        model.weight.add_(1.0)
    avg.update(model)  # 0.5 * (start + 1) + 0.5 * (start + 2)
    with avg.swapped_in(model):
        torch.testing.assert_close(model.weight.detach(), start + 1.5)
    torch.testing.assert_close(model.weight.detach(), start + 2.0)


def test_best_checkpoint_holds_the_averaged_weights(tmp_path, toy_trainer):
    cfg = TrainingConfig(batch_size=8, lr=0.05, epochs=6, patience=6, checkpoint_every=0,
                         lr_schedule="cosine", weight_ema=0.9)
    seen: dict = {}
    trainer = _toy_trainer(toy_trainer, tmp_path, cfg, seen)
    state = trainer.fit(progress=False)
    steps = cfg.epochs * trainer.batches_per_epoch
    assert len(seen["lr"]) == steps and seen["lr"][0] == pytest.approx(cfg.lr)
    assert seen["lr"][-1] < 0.01 * cfg.lr, "the cosine schedule should end near zero"
    last = load_checkpoint(trainer.last_path)
    averaged = trainer.average.averaged.module.weight.detach()
    raw = trainer.model.weight.detach()
    assert not torch.allclose(averaged, raw), "the average should lag the trained weights"
    torch.testing.assert_close(seen["judged"][-1], averaged)  # validation saw the average
    torch.testing.assert_close(last["model"]["weight"], raw)  # resume needs the raw weights
    best = load_checkpoint(trainer.best_path)["model"]["weight"]
    torch.testing.assert_close(best, seen["judged"][state.best_epoch])


def test_an_averaged_cosine_run_resumes_to_the_same_weights(tmp_path, killed_after, toy_trainer):
    cfg = TrainingConfig(batch_size=8, lr=0.05, epochs=3, patience=3, checkpoint_every=1,
                         lr_schedule="cosine", weight_ema=0.8)
    whole = _toy_trainer(toy_trainer, tmp_path / "whole", cfg, {})
    whole.fit(progress=False)
    killed_after(_toy_trainer(toy_trainer, tmp_path / "broken", cfg, {}), 11)  # mid-epoch 2
    resumed = _toy_trainer(toy_trainer, tmp_path / "broken", cfg, {})
    resumed.fit(progress=False)
    for name in ("last.pt", "best.pt"):
        a = load_checkpoint(tmp_path / "whole" / name)
        b = load_checkpoint(tmp_path / "broken" / name)
        for part in ("model", "averaged"):
            for key in a[part]:
                torch.testing.assert_close(a[part][key], b[part][key], rtol=0, atol=0)


def test_a_bad_weight_ema_is_named():
    with pytest.raises(ValueError, match="weight_ema"):
        TrainingConfig(weight_ema=1.0)
