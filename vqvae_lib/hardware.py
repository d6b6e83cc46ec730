"""Device, precision and memory-format choices, made once per run from the params."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX, where oneDNN runs bf16 convolutions natively."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


@dataclass(frozen=True)
class Hardware:
    """Where and how a model runs.

    Args:
        device: ``cpu`` or ``cuda[:i]``.
        amp_dtype: autocast dtype (``torch.bfloat16``) or None for fp32.
        channels_last: NHWC memory format for the 2-D convolutions.
    """

    device: torch.device
    amp_dtype: torch.dtype | None
    channels_last: bool

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        amp = "bf16 autocast" if self.amp_dtype is not None else "fp32"
        fmt = ", channels_last" if self.channels_last else ""
        return f"{self.device} ({amp}{fmt}, {torch.get_num_threads()} threads)"


def select_hardware(device: str = "auto", amp: str = "auto", channels_last: bool | None = None,
                    local_rank: int | None = None) -> Hardware:
    """Pick the device and precision.

    Args:
        device: ``auto`` (CUDA if present), ``cpu`` or ``cuda``.
        amp: ``auto`` (bf16 where the hardware has it), ``bf16`` or ``off``.
        channels_last: None = on for CPUs and for bf16, else off.
        local_rank: the process's GPU under torchrun.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for but no CUDA GPU is visible; "
                               "set device: cpu or auto in the params file")
        dev = torch.device("cuda", local_rank if local_rank is not None else 0)
        fast_bf16 = torch.cuda.is_bf16_supported()
    else:
        dev = torch.device("cpu")
        fast_bf16 = cpu_has_fast_bf16()
    use_bf16 = amp == "bf16" or (amp == "auto" and fast_bf16)
    # oneDNN's NHWC convolutions beat NCHW on CPUs in fp32 too (1.13x on a paper-size
    # pretraining step, BENCHMARKS.md); on GPUs it pays off with bf16 tensor cores.
    auto_cl = use_bf16 or dev.type == "cpu"
    cl = auto_cl if channels_last is None else channels_last
    return Hardware(dev, torch.bfloat16 if use_bf16 else None, cl)


def set_threads(threads: int | None) -> None:
    """Fix the intra-op thread count (reproducible CPU results need a fixed count)."""
    n = threads or int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1
    torch.set_num_threads(max(1, n))


def world() -> tuple[int, int]:
    """(rank, world size); (0, 1) outside torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


def gather(value: Any) -> list[Any]:
    """``value`` of every DDP rank, in rank order (``[value]`` on one process)."""
    size = world()[1]
    if size == 1:
        return [value]
    seen: list[Any] = [None] * size
    dist.all_gather_object(seen, value)
    return seen
