"""The training loop shared by pretraining (step 1) and tagging (step 2).

What it guarantees: ``last.pt`` and ``best.pt`` written atomically; exact resume (model,
optimizer, RNG, epoch, step and the position inside the epoch's data order), and only
from a checkpoint of the same settings (its fingerprint); early stopping on a validation
figure; a CSV log with one row per ``log_every`` steps and one per epoch; a tqdm bar.
Epoch ``e``'s data order depends only on (seed, e), through a ``DistributedSampler``
that also shards it across DDP ranks. Optionally a cosine learning rate and a moving
average of the weights (``weight_averaging``), both resumed exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..models.checkpoint import (
    checkpoint_fingerprint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_aside_if_stale,
    set_rng_state,
    stale_reason,
)
from ..settings.archive import set_aside_files
from ..settings.registry import RunPaths
from ..settings.training import TrainingConfig
from ..utils.progress import progress_bar
from .averaging import WeightAverage, cosine_factor, set_learning_rate
from .hardware import barrier, gather, world
from .log import TrainingLog
from .state import TrainState

StepFn = Callable[[Any], dict[str, float]]
ValidateFn = Callable[[], dict[str, float]]


@dataclass
class Trainer:
    """Runs ``step_fn`` over the training set and ``validate_fn`` after each epoch.

    Args:
        model: the module whose ``state_dict`` is checkpointed (unwrapped, not DDP).
        optimizer: its optimizer.
        train_set: a map-style dataset; batches are built from its items by the DataLoader.
        config: batch size, epochs, patience, max_steps, logging and checkpoint cadence.
        out_dir: folder of ``last.pt`` (to resume from) and ``best.pt`` (the one kept).
        log_path: the CSV log.
        step_fn: one optimisation step on a collated batch; returns figures to log.
        validate_fn: figures on the validation set (must include ``monitor``).
        monitor: the validation figure for early stopping and ``best``.
        mode: ``min`` or ``max`` for ``monitor``.
        seed: data-order seed.
        extra: plain data stored in every checkpoint (the configuration to rebuild from).
        log_fields: every figure name that may appear in the log, in column order.
        fingerprint: what decides the result (``{"fingerprint": hash, "parts": {...}}``,
            see ``Run.fingerprint_parts``), stored in every checkpoint. A ``last.pt``
            with another fingerprint is not resumed.
        set_aside: called with the reason when such a ``last.pt`` is found; moves the old
            checkpoints and log away and returns where (default: ``<out_dir>/previous/``).
    """

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    train_set: Dataset
    config: TrainingConfig
    out_dir: Path
    log_path: Path
    step_fn: StepFn
    validate_fn: ValidateFn
    monitor: str
    mode: str = "min"
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    log_fields: list[str] = field(default_factory=list)
    desc: str = "train"
    fingerprint: dict[str, Any] | None = None
    set_aside: Callable[[str], Path | None] | None = None
    state: TrainState = field(default_factory=TrainState)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.log_path = Path(self.log_path)
        self.rank, self.world_size = world()
        self.log = TrainingLog(self.log_path, self.log_fields, writer=self.rank == 0)
        if self.config.batch_size % self.world_size:
            raise ValueError(f"batch_size {self.config.batch_size} is not divisible by the "
                             f"{self.world_size} processes")
        self.sampler = DistributedSampler(self.train_set, num_replicas=self.world_size,
                                          rank=self.rank, shuffle=True, seed=self.seed,
                                          drop_last=True)
        self.per_rank_batch = self.config.batch_size // self.world_size
        self.batches_per_epoch = len(self.sampler) // self.per_rank_batch
        if self.batches_per_epoch == 0:
            raise ValueError(f"the training set has {len(self.train_set)} clips, fewer than "
                             f"one batch of {self.config.batch_size}; lower batch_size")
        decay = self.config.weight_ema
        self.average = WeightAverage(self.model, decay) if decay is not None else None

    # -- checkpoints ---------------------------------------------------------------
    last_path = property(lambda self: self.out_dir / RunPaths.LAST)
    best_path = property(lambda self: self.out_dir / RunPaths.BEST)

    def _checkpoint(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "rng": rng_state(), "trainer": asdict(self.state),
                "fingerprint": self.fingerprint, **self.extra,
                **({"averaged": self.average.state_dict()} if self.average else {})}

    def _save(self, path: Path) -> None:
        t0 = time.perf_counter()
        if self.rank == 0:
            save_checkpoint(self._checkpoint(), path)
        barrier()
        self.state.checkpoint_seconds += time.perf_counter() - t0

    def resume(self) -> bool:
        """Continue from ``last.pt`` if it exists and was written with the same
        fingerprint. Returns True when resumed.

        Under DDP every rank must see the same ``last.pt``: the ranks compare what they
        see, and stop with an error if they differ (no shared filesystem).
        """
        ckpt = load_checkpoint(self.last_path) if self.last_path.exists() else None
        theirs = checkpoint_fingerprint(ckpt)
        self._agree(ckpt is not None, theirs)
        if ckpt is None:
            return False
        if stale_reason(ckpt, self.fingerprint) is not None:
            barrier()  # every rank has read it before rank 0 moves it
            if self.rank == 0:
                set_aside_if_stale(ckpt, self.fingerprint, self._set_aside, self.desc,
                                   self.last_path)
            barrier()
            return False
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.average is not None:
            self.average.load_state_dict(ckpt["averaged"])
        set_rng_state(ckpt["rng"])
        self.state = TrainState(**ckpt["trainer"])
        self.log.truncate(self.state.step, self.state.epoch)
        return True

    def _agree(self, exists: bool, fingerprint: str | None) -> None:
        seen = gather((exists, fingerprint))
        if len(set(seen)) > 1:
            raise RuntimeError(
                f"the {self.world_size} processes see different checkpoints at "
                f"{self.last_path} (rank: (exists, fingerprint) = {dict(enumerate(seen))}). "
                "Training on several machines needs the run folder on a filesystem that all "
                "of them share (for example NFS): point --outputs at one")

    def _set_aside(self, reason: str) -> Path | None:
        if self.set_aside is not None:
            return self.set_aside(reason)
        return set_aside_files(self.out_dir, (self.last_path, self.best_path, self.log_path),
                               reason)

    def _log(self, scope: str, figures: dict[str, float]) -> None:
        self.log.write(scope, self.state.epoch, self.state.step, self.state.seconds, figures)

    # -- loop ----------------------------------------------------------------------
    def _improved(self, value: float) -> bool:
        if self.state.best is None or math.isnan(self.state.best):
            return not math.isnan(value)
        return value < self.state.best if self.mode == "min" else value > self.state.best

    def _validates(self, epoch: int) -> bool:
        """Whether epoch ``epoch`` (0-based) ends with a validation: every
        ``validate_every``-th epoch, the last one, and any epoch ``max_steps`` cuts."""
        cfg = self.config
        at_cap = cfg.max_steps is not None and self.state.step >= cfg.max_steps
        return (epoch + 1) % cfg.validate_every == 0 or epoch + 1 >= cfg.epochs or at_cap

    def _end_epoch(self, train_means: dict[str, float]) -> None:
        state = self.state
        if not self._validates(state.epoch):
            self._log("epoch", train_means)
            state.epoch += 1
            state.batch_in_epoch = 0
            self._save(self.last_path)
            return
        # With a weight average, the average is what is judged and kept as ``best``.
        with self.average.swapped_in(self.model) if self.average else nullcontext():
            t0 = time.perf_counter()
            figures = self.validate_fn()
            state.validate_seconds += time.perf_counter() - t0
            value = float(figures[self.monitor])
            self._log("epoch", {**train_means, **figures})
            improved = self._improved(value)
            if improved:
                state.best, state.best_epoch, state.bad_epochs = value, state.epoch, 0
            else:
                state.bad_epochs += self.config.validate_every
            state.epoch += 1
            state.batch_in_epoch = 0
            if state.bad_epochs >= self.config.patience:
                state.finished, state.stop_reason = True, "early stopping"
            elif state.epoch >= self.config.epochs:
                state.finished, state.stop_reason = True, "epochs done"
            if state.finished and self.config.keep == "last":
                state.stop_reason += " (best.pt holds the last epoch: keep last)"
            if improved if self.config.keep == "best" else state.finished:
                self._save(self.best_path)
        self._save(self.last_path)

    def fit(self, progress: bool = True) -> TrainState:
        """Train until epochs, patience or max_steps end it; resumes from ``last.pt``."""
        self.resume()
        cfg = self.config
        while not self.state.finished:
            self.sampler.set_epoch(self.state.epoch)
            if hasattr(self.train_set, "set_epoch"):  # random crops are redrawn per epoch
                self.train_set.set_epoch(self.state.epoch)
            order = list(self.sampler)
            batches = [order[i:i + self.per_rank_batch]
                       for i in range(0, self.batches_per_epoch * self.per_rank_batch,
                                      self.per_rank_batch)]
            todo = batches[self.state.batch_in_epoch:]
            # A private generator keeps the DataLoader from drawing on the global RNG,
            # which would shift dropout and quantizer sampling after a resume.
            loader = DataLoader(self.train_set, batch_sampler=todo, num_workers=cfg.num_workers,
                                generator=torch.Generator().manual_seed(self.seed),
                                persistent_workers=False)
            sums = self.state.epoch_sums
            bar = progress_bar(loader, total=len(batches), initial=self.state.batch_in_epoch,
                               desc=f"{self.desc} epoch {self.state.epoch + 1}/{cfg.epochs}",
                               disable=not progress or self.rank != 0, mininterval=1.0,
                               leave=False)
            self.model.train()
            t_fetch = time.perf_counter()
            for batch in bar:
                t0 = time.perf_counter()
                self.state.data_seconds += t0 - t_fetch
                if cfg.lr_schedule == "cosine":
                    set_learning_rate(self.optimizer, cosine_factor(
                        self.state.step, cfg.epochs * self.batches_per_epoch))
                figures = self.step_fn(batch)
                if self.average is not None:
                    self.average.update(self.model)
                self.state.seconds += time.perf_counter() - t0
                self.state.step += 1
                self.state.batch_in_epoch += 1
                for k, v in figures.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                self.state.epoch_batches += 1
                if self.state.step % cfg.log_every == 0:
                    self._log("step", figures)
                    bar.set_postfix({k: f"{v:.4g}" for k, v in list(figures.items())[:3]})
                at_cap = cfg.max_steps is not None and self.state.step >= cfg.max_steps
                if at_cap:
                    break
                if cfg.checkpoint_every and self.state.step % cfg.checkpoint_every == 0:
                    self._save(self.last_path)
                t_fetch = time.perf_counter()
            bar.close()
            means = {k: v / max(self.state.epoch_batches, 1) for k, v in sums.items()}
            self.state.epoch_sums, self.state.epoch_batches = {}, 0
            self._end_epoch(means)
            if (cfg.max_steps is not None and self.state.step >= cfg.max_steps
                    and not self.state.finished):
                self.state.finished, self.state.stop_reason = True, "max_steps reached"
                self._save(self.last_path)
        return self.state
