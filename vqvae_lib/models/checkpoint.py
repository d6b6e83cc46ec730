"""Checkpoints that survive a kill (written to a temporary file, then renamed), and
whether one may be resumed under the current settings.

A checkpoint is a plain dict of tensors and plain data, loadable with
``torch.load(weights_only=True)``: model and optimizer state, RNG states, progress
counters, and the configuration needed to rebuild the model from the file alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..utils.errors import KitError
from ..utils.provenance import describe_changes


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` atomically (a reader never sees a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class CheckpointError(KitError, RuntimeError):
    """A checkpoint file that cannot be read (cut short, overwritten, not a checkpoint)."""


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by ``save_checkpoint`` (tensors and plain data only)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {path} could not be read ({exc}); delete it to start "
                           "over, or restore it from a copy") from exc


def rng_state() -> dict[str, Any]:
    """Torch RNG states (CPU and every CUDA device) for exact resume."""
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_fingerprint(ckpt: dict[str, Any] | None) -> str | None:
    """The settings' fingerprint a checkpoint was written with (None: unknown)."""
    fp = (ckpt or {}).get("fingerprint")
    return fp.get("fingerprint") if isinstance(fp, dict) else None


def stale_reason(ckpt: dict[str, Any] | None, fingerprint: dict[str, Any] | None
                 ) -> str | None:
    """Why checkpoint ``ckpt`` must not be resumed under ``fingerprint``, or None."""
    if ckpt is None or fingerprint is None:
        return None
    theirs = ckpt.get("fingerprint")
    if checkpoint_fingerprint(ckpt) == fingerprint["fingerprint"]:
        return None
    if isinstance(theirs, dict) and "parts" in theirs:
        return "; ".join(describe_changes(theirs["parts"], fingerprint["parts"]))
    return "it has no fingerprint (written by an older version of the kit)"


def set_aside_if_stale(ckpt: dict[str, Any] | None, fingerprint: dict[str, Any] | None,
                       set_aside: Callable[[str], Path | None], desc: str, path: Path) -> bool:
    """When checkpoint ``ckpt`` (read from ``path``) was written with other settings,
    call ``set_aside(reason)`` and say so in one line. Returns True when it did."""
    why = stale_reason(ckpt, fingerprint)
    if why is None:
        return False
    moved = set_aside(why)
    print(f"{desc}: not resuming {path}, it was written with other settings ({why}); "
          "starting over" + (f"; the old outputs are kept in {moved}" if moved else ""))
    return True
