"""Pretraining throughput of the Type-1 VQ-VAE at the paper's size, kit versus a plain reference.

One training step = forward, loss (reconstruction MSE + codebook + commitment),
backward and an Adam step, on clips of 128 x 1024 with D 256 and K 1024 (paper preset).
The reference is the same math written the plain way, in this file: ``nn.Sequential``
layers, explicit distances, autograd straight-through ``z_e + (z_q - z_e).detach()``,
fp32, default memory format. Measured in the same run, on the same data:

    reference fp32 | kit fp32 | kit fp32 + channels_last
    | kit bf16 autocast + channels_last (quantizer fp32; the kit's default where the
      hardware has bf16) | the same + torch.compile (with --compile)

Usage::

    python benchmarks/train_throughput.py                   # CPU: batch 2
    python benchmarks/train_throughput.py --device cuda     # batch 12
    python benchmarks/train_throughput.py --json figures.json

On Linux, glibc hands every activation above 32 MB back to the system after use, and
each step then pays for page faults again (about 2 s of system time per fp32 step at
batch 2). Keeping freed memory in the heap removes that for every variant alike::

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824 python benchmarks/train_throughput.py

Timed steps alternate between the variants, so a slow spell on a shared machine hits
all of them; the figure per variant is the median step time (the fastest is shown too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.settings.models import QuantizerConfig, VQVAEConfig
from vqvae_lib.training.hardware import cpu_has_fast_bf16

MSD_CLIPS = 557_315  # Million Song Dataset clips (one pretraining epoch)
N_MELS, FRAMES, CHANNELS, CODES = 128, 1024, 256, 1024


# --------------------------------------------------------------------------- reference


class _RefResidual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.block = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c),
                                   nn.ReLU(), nn.Conv2d(c, c, 1), nn.BatchNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


class ReferenceVQVAE(nn.Module):
    """The paper's Type-1 VQ-VAE as plain ``nn.Sequential`` code with a plain quantizer."""

    def __init__(self, c: int = CHANNELS, k: int = CODES):
        super().__init__()
        enc: list[nn.Module] = []
        c_in = 1
        for d in (2, 4, 8, 16):
            enc += [nn.Conv2d(c_in, c, (4, 3), (2, 1), (1, d), (1, d)), nn.BatchNorm2d(c),
                    nn.ReLU()]
            c_in = c
        enc += [nn.Conv2d(c, c, (5, 4), (1, 2), (0, 1)), _RefResidual(c), _RefResidual(c)]
        self.encoder = nn.Sequential(*enc)
        self.codebook = nn.Embedding(k, c)
        self.codebook.weight.data.uniform_(-1.0 / k, 1.0 / k)
        self.decoder = nn.Sequential(
            _RefResidual(c), _RefResidual(c), nn.ReLU(),
            nn.ConvTranspose2d(c, c, (4, 4), (1, 2), (0, 1)), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, c, (4, 3), (2, 1), (0, 1)), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, c, (4, 3), (2, 1), (1, 1)), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, c, (4, 3), (2, 1), (1, 1)), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, (4, 3), (2, 1), (1, 1)), nn.Tanh())
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                m.bias.data.fill_(0)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        z_e = self.encoder(x)
        b, c, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).contiguous().view(-1, c)
        e = self.codebook.weight
        dist = (flat ** 2).sum(1, keepdim=True) - 2 * flat @ e.t() + (e ** 2).sum(1)
        idx = dist.argmin(1)
        z_q = self.codebook(idx).view(b, h, w, c).permute(0, 3, 1, 2).contiguous()
        codebook_loss = F.mse_loss(z_q, z_e.detach())
        commitment_loss = F.mse_loss(z_e, z_q.detach())
        x_hat = self.decoder(z_e + (z_q - z_e).detach())
        return x_hat, codebook_loss, commitment_loss


# --------------------------------------------------------------------------- variants


def _kit(channels_last: bool) -> VQVAE:
    model = VQVAE(VQVAEConfig(kind="type1", n_mels=N_MELS, channels=CHANNELS,
                              quantizer=QuantizerConfig(preset="paper", codebook_size=CODES)))
    return model.to(memory_format=torch.channels_last) if channels_last else model


def make_step(name: str, device: torch.device, batch: int) -> Callable[[], None]:
    """A closure running one training step of variant ``name`` on a fixed batch."""
    torch.manual_seed(0)
    x = torch.rand(batch, 1, N_MELS, FRAMES, device=device) * 1.8 - 0.9
    bf16 = "bf16" in name
    channels_last = "channels_last" in name
    if name == "reference fp32":
        ref = ReferenceVQVAE().to(device)
        opt = torch.optim.Adam(ref.parameters(), lr=2e-4)

        def ref_step() -> None:
            x_hat, cb, commit = ref(x)
            loss = F.mse_loss(x_hat, x) + cb + commit
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return ref_step

    model = _kit(channels_last).to(device)
    forward = torch.compile(model) if "compile" in name else model
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)

    def kit_step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = forward(x)
        loss = (F.mse_loss(out.x_hat.float(), x) + out.codebook_loss
                + model.config.quantizer.beta * out.commitment_loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return kit_step


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(variants: list[str], device: torch.device, batch: int, warmup: int,
            steps: int) -> dict[str, list[float]]:
    """Seconds of each timed step per variant, after ``warmup`` untimed steps each.

    Timed steps go round-robin over the variants, so a slow spell on a shared machine
    falls on all of them alike.
    """
    step_fns = {}
    for name in variants:
        step_fns[name] = make_step(name, device, batch)
        for _ in range(warmup):
            step_fns[name]()
        _sync(device)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(steps):
        for name, fn in step_fns.items():
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--batch", type=int, help="clips per step (CPU 2, CUDA 12)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per variant")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: all)")
    parser.add_argument("--compile", action="store_true", help="also time kit + torch.compile")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else "cpu" if args.device == "auto" else args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    batch = args.batch or (12 if device.type == "cuda" else 2)
    fast = "bf16 autocast + channels_last"
    variants = ["reference fp32", "kit fp32", "kit fp32 + channels_last", f"kit {fast}"]
    if args.compile:
        variants.append(f"kit {fast} + compile")
    if device.type == "cpu" and not cpu_has_fast_bf16():
        print("note: this CPU has no native bf16 (AVX512-BF16/AMX); the bf16 rows will be slow")

    times = measure(variants, device, batch, args.warmup, args.steps)
    base = statistics.median(times["reference fp32"])
    rows = []
    for name in variants:
        sec = statistics.median(times[name])
        clips = batch / sec
        rows.append({"variant": name, "seconds_per_step": sec, "clips_per_s": clips,
                     "vs_reference": base / sec, "msd_epoch_hours": MSD_CLIPS / clips / 3600,
                     "best_seconds_per_step": min(times[name]),
                     "best_vs_reference": min(times["reference fp32"]) / min(times[name])})

    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else f"{platform.processor() or platform.machine()}, "
                  f"{torch.get_num_threads()} threads")
    print(f"Type-1 VQ-VAE, {N_MELS}x{FRAMES} input, D {CHANNELS}, K {CODES}, batch {batch}, "
          f"on {device.type} ({where}), torch {torch.__version__}")
    print(f"{'variant':<46}{'s/step':>9}{'clips/s':>10}{'x ref':>8}{'MSD epoch (h)':>15}"
          f"{'best s/step':>13}{'best x ref':>12}")
    for r in rows:
        print(f"{r['variant']:<46}{r['seconds_per_step']:>9.3f}{r['clips_per_s']:>10.3f}"
              f"{r['vs_reference']:>8.2f}{r['msd_epoch_hours']:>15.1f}"
              f"{r['best_seconds_per_step']:>13.3f}{r['best_vs_reference']:>12.2f}")
    print("(medians over the timed steps; 'best' = fastest step, the least disturbed by "
          "other load)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"device": device.type, "where": where, "torch": torch.__version__, "batch": batch,
             "steps": args.steps, "warmup": args.warmup,
             "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
             "msd_clips": MSD_CLIPS, "rows": rows, "step_seconds": times}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
