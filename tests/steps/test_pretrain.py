"""Pretraining through the trainer: checkpoints, exact resume, and 2-process DDP (gloo)."""

from __future__ import annotations

import os
import socket

import pandas as pd
import pytest
import torch
import torch.multiprocessing as mp

from vqvae_lib.models.checkpoint import load_checkpoint
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.runs.run import Run
from vqvae_lib.steps.pretrain import build_trainer, pretrain
from vqvae_lib.training.hardware import select_hardware

FP32 = "pretrain: {epochs: 2, patience: 5, amp: off, checkpoint_every: 1, log_every: 1}\n"


def _weights(path):
    return load_checkpoint(path)["model"]


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs"


def test_checkpoint_rebuilds_the_model_alone(tiny_pretrained):
    run = tiny_pretrained.run(tiny_pretrained.tiny)
    ckpt = load_checkpoint(run.dir / "pretrain" / "best.pt")
    assert ckpt["kind"] == "vqvae" and ckpt["vqvae_config"]["channels"] == 16
    model = VQVAE.from_checkpoint(run.paths.checkpoint("pretrain"))
    x = torch.randn(2, 1, run.params.features.n_mels, run.params.features.frames)
    assert model(x).x_hat.shape == x.shape
    log = pd.read_csv(run.dir / "pretrain_log.csv")
    assert {"step", "epoch"} == set(log["scope"])
    assert log.loc[log.scope == "epoch", "val_recon"].notna().all()
    assert (log.loc[log.scope == "step", "used_codes"] > 0).all()


def test_killed_pretraining_resumes_to_the_same_weights(tiny_project, killed_after):
    whole = tiny_project.run(tiny_project.run_file("whole", FP32))
    state = pretrain(whole, progress=False)
    assert state.finished and state.epoch == 2

    broken = tiny_project.run(tiny_project.run_file("broken", FP32))
    p = broken.params  # the hardware choice pretrain() makes, so both halves match
    hw = select_hardware(p.device, p.pretrain.amp, p.pretrain.channels_last)
    trainer, _ = build_trainer(broken, hw)
    killed_after(trainer, 4)
    assert load_checkpoint(trainer.last_path)["trainer"]["step"] == 4

    resumed = pretrain(Run(broken.params_path, broken.outputs_root), progress=False)
    assert resumed.step == state.step
    _assert_same(_weights(whole.dir / "pretrain" / "last.pt"),
                 _weights(broken.dir / "pretrain" / "last.pt"))
    # the log of the resumed run has no duplicated rows
    log = pd.read_csv(broken.dir / "pretrain_log.csv")
    assert not log.duplicated(["scope", "step"]).any()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, params: str, outputs: str, out: str) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        torch.set_num_threads(1)
        run = Run(params, outputs)
        trainer, model = build_trainer(run, select_hardware("cpu", "off", False))
        losses = []
        step = trainer.step_fn
        trainer.step_fn = lambda batch: losses.append(step(batch)) or losses[-1]
        trainer.fit(progress=False)
        torch.save({"model": model.state_dict(), "losses": losses}, f"{out}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_process_gloo_ranks_agree_and_match_one_process(tiny_project, tmp_path):
    text = ("pretrain: {epochs: 1, max_steps: 3, amp: off, batch_size: 8, log_every: 1}\n")
    two = tiny_project.run(tiny_project.run_file("ddp2", text))
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(two.params_path), str(two.outputs_root),
                                str(tmp_path)), nprocs=2, join=True)
    r0, r1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    # Parameters and the quantizer's buffers agree exactly; BatchNorm running statistics
    # are each rank's own (DDP broadcasts them from rank 0 only at the next forward).
    shared = lambda sd: {k: v for k, v in sd.items()
                         if "running_" not in k and "num_batches" not in k}
    _assert_same(shared(r0["model"]), shared(r1["model"]))
    # The first step sees the same global batch as one process with batch 8; the loss
    # averaged over ranks matches within what per-rank BatchNorm statistics change.
    one = tiny_project.run(tiny_project.run_file("ddp1", text))
    trainer, _ = build_trainer(one, select_hardware("cpu", "off", False))
    first = trainer.step_fn(next(iter(torch.utils.data.DataLoader(
        trainer.train_set, batch_sampler=[list(trainer.sampler)[:8]]))))
    mean_two = (r0["losses"][0]["recon"] + r1["losses"][0]["recon"]) / 2
    assert mean_two == pytest.approx(first["recon"], rel=0.15)
