"""The settings of the training loop shared by pretraining and tagging, and the progress
counters every checkpoint keeps (``trainer``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainState:
    """Progress counters, saved in every checkpoint."""

    epoch: int = 0
    step: int = 0
    batch_in_epoch: int = 0
    best: float | None = None
    best_epoch: int = -1
    bad_epochs: int = 0
    finished: bool = False
    stop_reason: str = ""
    seconds: float = 0.0
    # Wall time outside the optimisation steps, for the profile (benchmarks/cpu_profile.py).
    validate_seconds: float = 0.0
    checkpoint_seconds: float = 0.0
    data_seconds: float = 0.0
    # Sums of the step figures since the epoch began, so that a resumed epoch's log row
    # averages the whole epoch, not only the batches after the resume.
    epoch_sums: dict[str, float] = field(default_factory=dict)
    epoch_batches: int = 0
