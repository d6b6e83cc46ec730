"""Where a training step's time goes on this CPU, at the sizes of one params file.

For the pretraining step (VQ-VAE forward, loss, backward, Adam) and the tagging step
(the tagger on cached codes, or on mels with a finetuned encoder), at the batch size,
crop, channels and tagger of ``PARAMS``, on synthetic inputs of the right shape:

- the FLOPs of one step (``torch.utils.flop_counter.FlopCounterMode``, forward and
  backward; the quantizer's searches and the optimizer are not counted);
- the step time in each memory format and precision the kit could choose, and the
  achieved GFLOP/s beside the fp32 (and bf16) matrix-multiply peak measured in the same
  run (2048-square, best of 5);
- the top operators of the kit's choice (``torch.profiler``, self CPU time);
- with ``--run``: the split of a finished run's pretrain and tag steps into training
  steps, validation, checkpointing and data loading, as its trainer recorded them.

Usage::

    python benchmarks/cpu_profile.py params/demo.yaml
    python benchmarks/cpu_profile.py params/own/cpu.yaml --run outputs/own-cpu
    # an ordinary AVX2 laptop, emulated on a CPU with AVX512-BF16 or AMX:
    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python benchmarks/cpu_profile.py ...

Nothing else should run on the machine meanwhile: a second busy process slows a step
several times over.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.settings.params import load_params
from vqvae_lib.steps.tag import TaggingModel
from vqvae_lib.training.hardware import Hardware, cpu_class, select_hardware, set_threads


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of the best of ``repeats`` n x n matrix products."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def step_flops(step: Callable[[], None]) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return int(counter.get_total_flops())


def time_steps(step: Callable[[], None], steps: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def top_operators(step: Callable[[], None], n: int = 8) -> list[tuple[str, float, float]]:
    """(operator, self CPU ms per step, share of the step) of the ``n`` costliest."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    rows = [(e.key, e.self_cpu_time_total / 1e3) for e in prof.key_averages()]
    total = sum(ms for _, ms in rows) or 1.0
    rows.sort(key=lambda r: -r[1])
    return [(k, ms, ms / total) for k, ms in rows[:n]]


# --------------------------------------------------------------------------- the two steps


def pretrain_step(params, hw: Hardware, compiled: bool = False) -> Callable[[], None]:
    """One pretraining step at the params' sizes (random mels in the tanh range)."""
    torch.manual_seed(0)
    p, cfg = params, params.pretrain
    frames = cfg.crop_frames or p.features.frames
    model = VQVAE(p.vqvae).train()
    if hw.channels_last:
        model = model.to(memory_format=torch.channels_last)
    x = (torch.rand(cfg.batch_size, 1, p.vqvae.n_mels, frames) * 1.8 - 0.9)
    if hw.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    beta = p.vqvae.quantizer.beta
    forward = torch.compile(model) if compiled else model

    def step() -> None:
        with hw.autocast():
            out = forward(x)
        loss = (F.mse_loss(out.x_hat.float(), x.float()) + out.codebook_loss.float()
                 + beta * out.commitment_loss.float())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def tag_step(params, hw: Hardware, compiled: bool = False) -> Callable[[], None]:
    """One tagging step at the params' sizes (random codes, or mels when finetuning)."""
    torch.manual_seed(0)
    p, cfg = params, params.tag
    frames = cfg.crop_frames or p.features.frames
    vqvae = VQVAE(p.vqvae).eval()
    model = TaggingModel(vqvae, cfg.tagger, 16, frames, cfg.encoder)
    _, rows, steps = vqvae.latent_shape(frames)
    if cfg.encoder == "fixed":
        inputs = torch.randint(0, p.vqvae.quantizer.codebook_size, (cfg.batch_size, rows, steps))
    else:
        inputs = torch.rand(cfg.batch_size, 1, p.vqvae.n_mels, frames) * 1.8 - 0.9
    y = (torch.rand(cfg.batch_size, 16) < 0.2).float()
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=cfg.lr)
    model.train()
    if hasattr(model.tagger, "frontend"):
        model.tagger.frontend.fft_for_weights = hw.fft_frontend
    forward = torch.compile(model) if compiled else model

    def step() -> None:
        with hw.autocast():
            logits, cb, commit = forward(inputs)
        loss = F.binary_cross_entropy_with_logits(logits.float(), y) + cb.float() + commit.float()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def variants(kit: Hardware, amp_possible: bool, fft_axis: bool, compile_too: bool
             ) -> list[tuple[str, Hardware, bool]]:
    """Every memory format and precision the kit could choose (and, for the CNN tagger,
    both ways of training its timbral filters), plus the kit's own choice compiled."""
    out = []
    for bf16 in ([False, True] if amp_possible else [False]):
        for cl in (False, True):
            for fft in ([False, True] if fft_axis and not bf16 else [False]):
                hw = Hardware(kit.device, torch.bfloat16 if bf16 else None, cl, fft)
                name = (f"{'bf16' if bf16 else 'fp32'} {'channels_last' if cl else 'NCHW'}"
                        + (f", {'fft' if fft else 'conv2d'} front-end" if fft_axis else ""))
                out.append((name, hw, False))
    if compile_too:
        out.append(("the kit's choice + torch.compile", kit, True))
    return out


def profile_step(name: str, make: Callable[[Hardware, bool], Callable[[], None]], kit: Hardware,
                 peaks: dict[str, float], args: argparse.Namespace, fft_axis: bool = False
                 ) -> dict:
    print(f"\n== {name} step ==")
    flops = step_flops(make(Hardware(kit.device, None, False), False))
    print(f"FLOPs per step: {flops / 1e9:.2f} GFLOP (forward + backward)")
    rows = {}
    amp_possible = "bf16" in peaks
    for label, hw, compiled in variants(kit, amp_possible, fft_axis, args.compile):
        times = time_steps(make(hw, compiled), args.steps, args.warmup)
        med = statistics.median(times)
        peak = peaks["bf16" if hw.amp_dtype is not None else "fp32"]
        chosen = hw == kit and not compiled
        rows[label] = {"seconds": med, "gflops": flops / med / 1e9, "peak": peak,
                       "kit_choice": chosen}
        print(f"  {label:34s} {med:7.3f} s/step  {flops / med / 1e9:6.1f} GFLOP/s  "
              f"{100 * flops / med / 1e9 / peak:5.1f}% of the {peak:.0f} GFLOP/s "
              f"{'bf16' if hw.amp_dtype is not None else 'fp32'} peak"
              f"{'   <- the kit' if chosen else ''}")
    step = make(kit, False)
    time_steps(step, 0, args.warmup)
    ops = top_operators(step)
    print("  top operators (the kit's choice, self CPU time of one step):")
    for key, ms, share in ops:
        print(f"    {key:44s} {ms:9.1f} ms  {100 * share:5.1f}%")
    return {"gflop": flops / 1e9, "variants": rows,
            "top_operators": [{"op": k, "ms": ms, "share": s} for k, ms, s in ops]}


def run_split(run_dir: Path) -> dict:
    """The trainer's own split of each training step of a finished run."""
    from vqvae_lib.models.checkpoint import load_checkpoint

    out = {}
    for step in ("pretrain", "tag"):
        last = run_dir / step / "last.pt"
        if not last.exists():
            continue
        state = load_checkpoint(last)["trainer"]
        parts = {k: state.get(k, 0.0) for k in
                 ("seconds", "validate_seconds", "checkpoint_seconds", "data_seconds")}
        total = sum(parts.values()) or 1.0
        out[step] = parts
        print(f"\n== {step} in {run_dir} ({state['epoch']} epochs, {state['step']} steps) ==")
        names = {"seconds": "training steps", "validate_seconds": "validation",
                 "checkpoint_seconds": "checkpoints", "data_seconds": "data loading"}
        for k, v in parts.items():
            print(f"  {names[k]:16s} {v:8.1f} s  {100 * v / total:5.1f}%")
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("params", help="params file whose sizes to profile")
    ap.add_argument("--steps", type=int, default=5, help="timed steps per variant (median)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    ap.add_argument("--only", choices=["pretrain", "tag"], help="profile one step only")
    ap.add_argument("--run", type=Path, help="a finished run folder: print its time split")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    params = load_params(args.params)
    set_threads(params.threads)
    print(f"CPU class: {cpu_class()}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    peaks = {"fp32": matmul_peak(torch.float32)}
    # the pretraining step has no CNN front-end to choose for
    kit_pre = replace(select_hardware("cpu", params.pretrain.amp, params.pretrain.channels_last),
                      fft_frontend=False)
    kit_tag = select_hardware("cpu", params.tag.amp, False)
    if kit_pre.amp_dtype is not None or kit_tag.amp_dtype is not None:
        peaks["bf16"] = matmul_peak(torch.bfloat16)
    print("matrix-multiply peak (2048-square, best of 5): "
          + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items()))
    figures: dict = {"cpu_class": cpu_class(), "peaks": peaks, "params": args.params}
    if args.only in (None, "pretrain"):
        figures["pretrain"] = profile_step(
            f"pretraining ({params.pretrain.batch_size} x {params.vqvae.n_mels} x "
            f"{params.pretrain.crop_frames or params.features.frames}, "
            f"{params.vqvae.channels} channels)",
            partial(pretrain_step, params), kit_pre, peaks, args)
    if args.only in (None, "tag") and params.data.tag is not None:
        figures["tag"] = profile_step(
            f"tagging ({params.tag.tagger.classifier}, {params.tag.encoder} encoder, "
            f"batch {params.tag.batch_size})", partial(tag_step, params), kit_tag,
            peaks, args, fft_axis=params.tag.tagger.classifier == "cnn")
    if args.run is not None:
        figures["run_split"] = run_split(args.run)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
