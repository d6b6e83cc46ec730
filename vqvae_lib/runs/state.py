"""Where a step of a run stands, in the words ``status`` and ``run`` print."""

from __future__ import annotations

from dataclasses import dataclass, field


class StepNotDone(RuntimeError):
    """A step's inputs are not there yet; the message says which command makes them."""


@dataclass
class StepStatus:
    """Where one step of a run stands (``vqvae-kit status``).

    Args:
        step: the step's name.
        state: ``done`` (up to date), ``stale`` (``run`` will redo it), ``never`` (not
            run yet, or interrupted), ``broken`` (a checkpoint cannot be read: ``run``
            sets the step's files aside and redoes it) or ``reused`` (another run's
            outputs are read).
        why: what changed since it ran (stale), what is left of an interrupted run
            (never), or which run it reuses.
        fingerprint: the current fingerprint.
        finished, seconds: when the recorded run ended (UTC) and how long it took.
        library_changed: ``vqvae_lib`` files edited since the step ran.
        reused_from: the run whose outputs are read.
    """

    step: str
    state: str
    why: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    finished: str | None = None
    seconds: float | None = None
    library_changed: list[str] = field(default_factory=list)
    reused_from: str | None = None


__all__ = ["StepNotDone", "StepStatus"]
