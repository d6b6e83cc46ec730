"""The training-loop settings shared by pretraining and tagging (``pretrain:`` and ``tag:``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation and hardware settings shared by pretraining and tagging.

    Args:
        batch_size: clips per step (global batch under DDP).
        lr: Adam learning rate (the paper: 2e-4).
        epochs: upper bound on epochs (the paper: 100, with early stopping).
        patience: epochs without validation improvement before stopping.
        max_steps: stop after this many optimiser steps in total (quick runs); None = no cap.
        amp: ``auto`` = bf16 autocast where the hardware has fast bf16 (GPUs, CPUs with
            AVX512-BF16 or AMX), ``bf16`` = always, ``off`` = fp32.
        channels_last: None = NHWC on CPUs and with bf16 autocast, else a fixed choice.
        compile: wrap the model in ``torch.compile``.
        checkpoint_every: also write ``last`` every N steps (0 = at epoch ends only).
        log_every: write a per-step log row every N steps.
        num_workers: DataLoader worker processes.
        crop_frames: train on one random crop of this many frames of each clip per
            epoch (even); None = the whole stored clip, as the paper does.
        lr_schedule: ``constant`` (the paper) or ``cosine``: the rate decays to 0 over
            ``epochs`` (``weight_averaging``).
        weight_ema: decay of a moving average of the weights, updated every step (e.g.
            0.98); validation, ``best.pt`` and predictions use it. None = no average.
        validate_every: validate after every N-th epoch and after the last one (1 = every
            epoch, as the paper). ``patience`` still counts epochs: a validation without
            improvement adds N to the count. Early stopping and ``best`` only need the
            validations, and on small data a validation pass can cost as much as the
            epoch's training.
        keep: which weights ``best.pt`` holds: ``best`` (the best validation, as the
            paper) or ``last`` (the final epoch's; with ``lr_schedule: cosine`` and
            ``weight_ema`` the end is where the weights have settled, and picking the
            best of a few noisy validations on a small set picks luck).
    """

    batch_size: int = 12
    lr: float = 2e-4
    epochs: int = 100
    patience: int = 10
    max_steps: int | None = None
    amp: Literal["auto", "bf16", "off"] | bool = "auto"
    channels_last: bool | None = None
    compile: bool = False
    checkpoint_every: int = 500
    log_every: int = 10
    num_workers: int = 0
    crop_frames: int | None = None
    lr_schedule: Literal["constant", "cosine"] = "constant"
    weight_ema: float | None = None
    validate_every: int = 1
    keep: Literal["best", "last"] = "best"

    def __post_init__(self) -> None:
        # YAML reads a bare ``off`` as False: accept it (and True) as the word it meant.
        if isinstance(self.amp, bool):
            object.__setattr__(self, "amp", "bf16" if self.amp else "off")
        for name in ("batch_size", "epochs", "patience", "log_every", "validate_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.crop_frames is not None and (self.crop_frames < 2 or self.crop_frames % 2):
            raise ValueError(f"crop_frames must be an even number of frames (the encoder "
                             f"halves time), got {self.crop_frames}")
        if self.weight_ema is not None and not 0.0 < self.weight_ema < 1.0:
            raise ValueError(f"weight_ema must be in (0, 1), e.g. 0.98, or null; got "
                             f"{self.weight_ema}")
        if self.keep not in ("best", "last"):
            raise ValueError(f"keep must be 'best' or 'last', got {self.keep!r}")
