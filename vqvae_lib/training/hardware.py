"""Device, precision and memory-format choices, made once per run from the params."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

# ``ONEDNN_MAX_CPU_ISA`` values below AVX-512 and below native bf16 (oneDNN's names).
_BELOW_AVX512 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2"}
_BELOW_BF16 = _BELOW_AVX512 | {"AVX512_CORE", "AVX512_CORE_VNNI"}


def _onednn_cap() -> str:
    """The ISA cap the environment sets on oneDNN ('' for none); an ordinary AVX2
    laptop is emulated on a newer CPU with ``ONEDNN_MAX_CPU_ISA=AVX2``, and the kit then
    chooses as it would on that laptop."""
    return os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "")).strip()


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with AVX512-BF16 or AMX, where oneDNN runs bf16 convolutions natively
    (and the environment does not cap oneDNN below them)."""
    if _onednn_cap().upper() in _BELOW_BF16:
        return False
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def cpu_has_avx512() -> bool:
    """True when ATen and oneDNN run AVX-512 kernels here (not capped to AVX2 or lower)."""
    if _onednn_cap().upper() in _BELOW_AVX512:
        return False
    return torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def cpu_class() -> str:
    """The CPU as the kit's choices see it: ``AVX512 CPU, native bf16`` (AVX512-BF16 or
    AMX: bf16 autocast pays) or ``AVX2 CPU, no native bf16`` (an ordinary laptop: fp32),
    noting an ``ONEDNN_MAX_CPU_ISA`` cap (how such a laptop is emulated)."""
    isa = torch.backends.cpu.get_cpu_capability()
    bf16 = "native bf16" if cpu_has_fast_bf16() else "no native bf16"
    cap = _onednn_cap()
    return f"{isa} CPU, {bf16}" + (f" (oneDNN capped at {cap})" if cap else "")


@dataclass(frozen=True)
class Hardware:
    """Where and how a model runs.

    Args:
        device: ``cpu`` or ``cuda[:i]``.
        amp_dtype: autocast dtype (``torch.bfloat16``) or None for fp32.
        channels_last: NHWC memory format for the 2-D convolutions.
        fft_frontend: train the CNN tagger's tall one-channel timbral filters through
            their FFT path even when only their weights need gradients. On CPUs without
            AVX-512, oneDNN's direct weight gradient of those filters is the costliest
            part of a tagging step (``taggers.PonsFrontEnd``, BENCHMARKS.md).
    """

    device: torch.device
    amp_dtype: torch.dtype | None
    channels_last: bool
    fft_frontend: bool = False

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        amp = "bf16 autocast" if self.amp_dtype is not None else "fp32"
        fmt = ", channels_last" if self.channels_last else ""
        cpu = f"; {cpu_class()}" if self.device.type == "cpu" else ""
        return f"{self.device} ({amp}{fmt}, {torch.get_num_threads()} threads{cpu})"


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
    fft = dev.type == "cpu" and not use_bf16 and not cpu_has_avx512()
    return Hardware(dev, torch.bfloat16 if use_bf16 else None, cl, fft)


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
