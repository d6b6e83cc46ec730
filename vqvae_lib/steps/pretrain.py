"""Step 1 of the paper: pretrain the VQ-VAE by reconstruction.

Loss = reconstruction MSE + codebook loss + beta * commitment loss (van den Oord et al.
2017, as the authors; the EMA preset has no codebook loss). The 02_pretrain notebook
calls ``pretrain(run)``; ``vqvae-kit pretrain PARAMS`` (``pretrain_command``) runs it
without the notebook, on several GPUs or machines under ``torchrun``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import DataLoader, DistributedSampler

from ..features.crops import RandomCrops, TiledCrops
from ..features.store import FeatureStore
from ..models.checkpoint import load_checkpoint, save_checkpoint, set_aside_if_stale
from ..models.vqvae import VQVAE
from ..training.hardware import Hardware, select_hardware, set_threads, world
from ..training.state import TrainState
from ..training.trainer import Trainer
from ..utils.config import to_dict

if TYPE_CHECKING:  # the run machinery reads this module's settings: no import at run time
    from ..runs.run import Run


LOG_FIELDS = ["loss", "recon", "codebook", "commitment", "perplexity", "used_codes",
              "dead_codes", "restarts", "val_recon", "val_perplexity", "val_used_codes"]


def _to_input(x: torch.Tensor, hw: Hardware) -> torch.Tensor:
    x = x.to(hw.device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if hw.channels_last else x


@torch.no_grad()
def reconstruction_figures(model: VQVAE, loader: DataLoader, hw: Hardware) -> dict[str, float]:
    """Mean reconstruction MSE and codebook usage over a whole split (all ranks)."""
    model.eval()
    total = torch.zeros(2, dtype=torch.float64)
    counts = torch.zeros(model.config.quantizer.codebook_size, dtype=torch.float64)
    for x, _ in loader:
        x = _to_input(x, hw)
        with hw.autocast():
            out = model(x)
        total[0] += F.mse_loss(out.x_hat.float(), x.float(), reduction="sum").item()
        total[1] += x.numel()
        counts += torch.bincount(out.indices.flatten().cpu(), minlength=counts.numel()).double()
    if world()[1] > 1:
        dist.all_reduce(total)
        dist.all_reduce(counts)
    probs = counts / counts.sum().clamp(min=1)
    entropy = -(probs[probs > 0] * probs[probs > 0].log()).sum()
    return {"val_recon": float(total[0] / total[1].clamp(min=1)),
            "val_perplexity": float(entropy.exp()),
            "val_used_codes": int((counts > 0).sum())}


def build_trainer(run: Run, hw: Hardware, progress: bool = True) -> tuple[Trainer, VQVAE]:
    """The pretraining ``Trainer`` for a run: model, data, optimizer and step."""
    p = run.params
    torch.manual_seed(p.seed)
    model = VQVAE(p.vqvae).to(hw.device)
    if hw.channels_last:
        model = model.to(memory_format=torch.channels_last)
    store = FeatureStore(run.features_dir("pretrain"))
    train_set, val_set = store.split("train"), store.split("validation")
    if len(val_set) == 0:
        raise ValueError(f"{run.features_dir('pretrain')}: the validation split is empty; "
                         "early stopping needs validation clips (set a validation split)")
    crop = p.pretrain.crop_frames
    if crop is not None:
        # Random crops to train; validation reconstructs every crop of each clip.
        train_set, val_set = RandomCrops(train_set, crop, p.seed), TiledCrops(val_set, crop, crop)
    rank, size = world()
    module: torch.nn.Module = model
    if size > 1:
        module = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[hw.device.index] if hw.device.type == "cuda" else None)
    forward = torch.compile(module) if p.pretrain.compile else module
    beta = p.vqvae.quantizer.beta
    optimizer = torch.optim.Adam(model.parameters(), lr=p.pretrain.lr)
    val_loader = DataLoader(
        val_set, batch_size=max(1, p.pretrain.batch_size // size),
        sampler=DistributedSampler(val_set, size, rank, shuffle=False) if size > 1 else None,
        num_workers=p.pretrain.num_workers, generator=torch.Generator())  # no global RNG draw

    def step(batch: Any) -> dict[str, float]:
        x = _to_input(batch[0], hw)
        with hw.autocast():
            out = forward(x)
        recon = F.mse_loss(out.x_hat.float(), x.float())
        loss = recon + out.codebook_loss.float() + beta * out.commitment_loss.float()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        figures = {"loss": loss.item(), "recon": recon.item(),
                   "codebook": out.codebook_loss.item(), "commitment": out.commitment_loss.item()}
        figures.update({k: float(v) for k, v in out.stats.items()})
        return figures

    trainer = Trainer(
        model=model, optimizer=optimizer, train_set=train_set, config=p.pretrain,
        out_dir=run.paths.step_dir("pretrain"), log_path=run.paths.log("pretrain"), step_fn=step,
        validate_fn=lambda: reconstruction_figures(model, val_loader, hw), monitor="val_recon",
        mode="min", seed=p.seed, log_fields=LOG_FIELDS, desc="pretrain",
        extra={"kind": "vqvae", "vqvae_config": to_dict(p.vqvae),
               "features": to_dict(p.features), "run": p.name},
        fingerprint=run_fingerprint(run, "pretrain"),
        set_aside=lambda why: run.archive("pretrain", why, notebook=False))
    return trainer, model


def run_fingerprint(run: Run, step: str) -> dict[str, Any]:
    """``{"fingerprint", "parts"}`` of a run's step, as checkpoints store it."""
    return {"fingerprint": run.fingerprint(step), "parts": run.fingerprint_parts(step)}


def pretrain(run: Run, progress: bool = True) -> TrainState:
    """Pretrain (or resume pretraining) the run's VQ-VAE; returns the final progress.

    With ``pretrain.checkpoint`` set, that checkpoint is copied in as ``best.pt`` instead.
    """
    p = run.params
    set_threads(p.threads)
    best = run.paths.checkpoint("pretrain")
    if p.pretrain.checkpoint:
        src = Path(p.pretrain.checkpoint)
        src = src if src.is_absolute() else run.base_dir / src
        VQVAE.from_checkpoint(src)  # fails early, naming the file, if it is no VQ-VAE checkpoint
        fingerprint = run_fingerprint(run, "pretrain")
        if best.exists():
            set_aside_if_stale(load_checkpoint(best), fingerprint,
                               lambda why: run.archive("pretrain", why, notebook=False),
                               "pretrain", best)
        ckpt = load_checkpoint(src)
        ckpt["fingerprint"] = fingerprint
        save_checkpoint(ckpt, best)
        run.paths.log("pretrain").write_text("scope,epoch,step,seconds\n")
        return TrainState(finished=True, stop_reason=f"copied from {src}")
    local_rank = int(os.environ["LOCAL_RANK"]) if "LOCAL_RANK" in os.environ else None
    hw = select_hardware(p.device, p.pretrain.amp, p.pretrain.channels_last, local_rank)
    trainer, _ = build_trainer(run, hw, progress)
    if trainer.rank == 0 and progress:
        print(f"pretraining {p.vqvae.kind} VQ-VAE on {hw.describe()}, "
              f"{len(trainer.train_set)} clips, {trainer.batches_per_epoch} steps/epoch")
    state = trainer.fit(progress=progress)
    if not trainer.best_path.exists() and trainer.rank == 0:
        save_checkpoint(load_checkpoint(trainer.last_path), trainer.best_path)
    return state
