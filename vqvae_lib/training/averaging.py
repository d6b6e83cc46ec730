"""Two ways the training loop steadies a small, noisy training set: a cosine decay of
the learning rate (Loshchilov & Hutter 2017, without restarts) and an exponential moving
average of the weights (Polyak & Juditsky 1992), which is what validation, ``best.pt``
and the predictions then use.

Why: with a few hundred clips, a tagger's validation ROC-AUC moves by 0.1 from one epoch
to the next at a constant learning rate, so keeping the best epoch keeps a lucky draw.
The averaged weights change slowly, and the decayed learning rate lets them settle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def cosine_factor(step: int, total: int) -> float:
    """The learning rate's multiplier at ``step`` of ``total``: 1 at the start, 0 at the end.

    >>> cosine_factor(0, 100), cosine_factor(50, 100), cosine_factor(100, 100)
    (1.0, 0.5, 0.0)
    """
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def set_learning_rate(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Scale every parameter group's learning rate from its initial value. The initial
    value is kept in the group (``initial_lr``, as torch's schedulers keep it), so it is
    saved and restored with the optimizer's state."""
    for group in optimizer.param_groups:
        group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor


class WeightAverage:
    """An exponential moving average of a model's parameters and floating buffers
    (BatchNorm statistics), updated after every optimiser step.

    Args:
        model: the trained module (unwrapped, not DDP).
        decay: weight of the old average per step; the average spans about
            ``1 / (1 - decay)`` steps.
    """

    def __init__(self, model: torch.nn.Module, decay: float):
        self.averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay),
                                      use_buffers=True)

    def update(self, model: torch.nn.Module) -> None:
        self.averaged.update_parameters(model)

    def state_dict(self) -> dict[str, Any]:
        return self.averaged.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.averaged.load_state_dict(state)

    @contextmanager
    def swapped_in(self, model: torch.nn.Module) -> Iterator[None]:
        """Inside the block ``model`` holds the averaged weights; afterwards its own again."""
        own = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.averaged.module.state_dict())
        try:
            yield
        finally:
            model.load_state_dict(own)
