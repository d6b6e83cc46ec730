"""One training epoch of a ``fixed``-encoder tagger: cached codes vs re-running the encoder.

Both sides train the same tagger on the same clips in the same order. The cached side
reads code indices (what ``vqvae_lib.training.codes.cache_codes`` stores) and looks them up in
the frozen codebook; the other side runs the frozen encoder and quantizer on every
log-mel of every batch, as a kit without a code cache must. Prints seconds per epoch,
clips/s and the ratio, and what one epoch of MTG-Jamendo (9,949 training clips) takes.

    python benchmarks/tag_epoch.py                  # paper size: 128 x 1024, D 256, K 1024
    python benchmarks/tag_epoch.py --frames 256 --clips 48 --classifier gru
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from vqvae_lib.models.vqvae import VQVAE, count_parameters
from vqvae_lib.settings.models import CNNTaggerConfig, GRUTaggerConfig, QuantizerConfig, VQVAEConfig
from vqvae_lib.steps.tag import TaggingModel
from vqvae_lib.training.hardware import select_hardware, set_threads

JAMENDO_TRAIN = 9949


def epoch(model: TaggingModel, batches: list[tuple[torch.Tensor, torch.Tensor]],
          opt: torch.optim.Optimizer, hw, encode: bool) -> float:
    """Seconds for one pass over ``batches``; ``encode`` runs the frozen encoder first."""
    model.train()
    t0 = time.perf_counter()
    for x, y in batches:
        with hw.autocast():
            if encode:
                with torch.no_grad():
                    x = model.vqvae.encode(x)
            logits, _, _ = model(x)
        loss = F.binary_cross_entropy_with_logits(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if hw.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=1024)
    parser.add_argument("--clips", type=int, default=24, help="clips in the timed epoch")
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--classifier", choices=["cnn", "gru"], default="cnn")
    parser.add_argument("--amp", choices=["auto", "bf16", "off"], default="off")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    set_threads(args.threads)
    hw = select_hardware("auto", args.amp, False)
    torch.manual_seed(0)
    vqvae = VQVAE(VQVAEConfig(kind="type1", n_mels=128, channels=256,
                              quantizer=QuantizerConfig(preset="paper", codebook_size=1024)))
    vqvae = vqvae.to(hw.device).eval()
    tagger = GRUTaggerConfig() if args.classifier == "gru" else CNNTaggerConfig()
    model = TaggingModel(vqvae, tagger, n_tags=56, n_frames=args.frames, encoder="fixed")
    model = model.to(hw.device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-4)

    rng = np.random.default_rng(0)
    mels = torch.from_numpy(rng.uniform(-0.9, 0.9, (args.clips, 1, 128, args.frames))
                            .astype(np.float32)).to(hw.device)
    labels = (rng.random((args.clips, 56)) < 0.05).astype(np.float32)
    labels = torch.from_numpy(labels).to(hw.device)
    with torch.no_grad():
        codes = torch.cat([vqvae.encode(mels[i:i + args.batch])
                           for i in range(0, args.clips, args.batch)])
    n = args.clips // args.batch * args.batch
    raw = [(mels[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, n, args.batch)]
    cached = [(codes[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, n, args.batch)]

    epoch(model, cached[:1], opt, hw, encode=False)  # warm-up: allocator, oneDNN kernels
    epoch(model, raw[:1], opt, hw, encode=True)
    t_cached = epoch(model, cached, opt, hw, encode=False)
    t_encode = epoch(model, raw, opt, hw, encode=True)
    figures = {
        "device": hw.describe(), "frames": args.frames, "clips": n, "batch": args.batch,
        "classifier": args.classifier, "tagger_parameters": count_parameters(model.tagger),
        "cached_clips_per_s": n / t_cached, "encoder_clips_per_s": n / t_encode,
        "ratio": t_encode / t_cached,
        "jamendo_epoch_minutes_cached": JAMENDO_TRAIN / (n / t_cached) / 60,
        "jamendo_epoch_minutes_encoder": JAMENDO_TRAIN / (n / t_encode) / 60,
        "code_cache_bytes_per_clip": int(codes[0].numel() * 2),
        "mel_bytes_per_clip_float16": int(mels[0].numel() * 2),
    }
    print(f"one fixed-encoder tagging epoch, {args.classifier.upper()} tagger "
          f"({figures['tagger_parameters']:,} parameters), {n} clips of 128 x {args.frames}, "
          f"batch {args.batch}, on {hw.describe()}")
    print(f"  cached codes      {figures['cached_clips_per_s']:8.2f} clips/s   "
          f"(MTG-Jamendo epoch {figures['jamendo_epoch_minutes_cached']:.1f} min)")
    print(f"  re-run encoder    {figures['encoder_clips_per_s']:8.2f} clips/s   "
          f"(MTG-Jamendo epoch {figures['jamendo_epoch_minutes_encoder']:.1f} min)")
    print(f"  ratio             {figures['ratio']:8.2f}x")
    print(f"  storage per clip: codes {figures['code_cache_bytes_per_clip']:,} B, "
          f"float16 mel {figures['mel_bytes_per_clip_float16']:,} B")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
