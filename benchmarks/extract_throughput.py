"""Feature extraction: the kit's ``extract_features`` vs the paper's naive recipe.

Writes ``--clips`` clips of 30 s, 44.1 kHz stereo (MP3 by default, as MTG-Jamendo and
MagnaTagATune ship) into a temporary folder, then times

- naive: one process, ``reference_log_mel`` per clip (``librosa.load`` of 29 s,
  ``librosa.feature.melspectrogram``, scaling, first 1,024 frames);
- kit: ``extract_features`` with ``--workers`` processes (pool start, writing the float16
  memmaps and the index included).

Both run once untimed on one clip first, so neither pays librosa's lazy imports in the
timing. Prints clips/s of each, the ratio, and the largest absolute difference between
the kit's stored features and the naive ones.

    python benchmarks/extract_throughput.py
    python benchmarks/extract_throughput.py --clips 16 --workers 4 --format flac
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from vqvae_lib.datasets.cliptable import ClipTable
from vqvae_lib.features.logmel import clip_features, reference_log_mel
from vqvae_lib.settings.features import FeatureConfig
from vqvae_lib.steps.extract import extract_features


def write_clips(folder: Path, n: int, seconds: float, fmt: str, seed: int = 0) -> list[Path]:
    """``n`` stereo 44.1 kHz clips: chords of harmonic tones over noise, different per clip."""
    rng = np.random.default_rng(seed)
    sr = 44100
    t = np.arange(int(seconds * sr)) / sr
    paths = []
    for i in range(n):
        left = sum(np.sin(2 * np.pi * f * k * t) / k for f in rng.uniform(110, 880, 3)
                   for k in (1, 2, 3))
        right = np.roll(left, int(rng.integers(1, 200))) * (0.5 + 0.5 * np.sin(2 * np.pi * t))
        y = np.stack([left, right], 1) * 0.1 + 0.02 * rng.standard_normal((len(t), 2))
        path = folder / f"clip{i:03d}.{fmt}"
        sf.write(path, np.clip(y, -1, 1).astype(np.float32), sr)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each clip")
    parser.add_argument("--format", choices=["mp3", "flac", "wav", "ogg"], default="mp3")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    cfg = FeatureConfig(workers=args.workers)
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as tmp:
        tmp = Path(tmp)
        paths = write_clips(tmp, args.clips, args.seconds, args.format)
        table = ClipTable(pd.DataFrame({"id": [p.stem for p in paths],
                                        "path": [str(p) for p in paths],
                                        "split": "train", "tags": [()] * len(paths)}), [])
        reference_log_mel(paths[0], cfg)  # warm-up, untimed
        clip_features(paths[0], cfg)

        t0 = time.perf_counter()
        naive = np.stack([reference_log_mel(p, cfg) for p in paths])
        naive_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = extract_features(table, cfg, tmp / "features", workers=args.workers,
                                  progress=False)
        kit_s = time.perf_counter() - t0
        kit = np.load(tmp / "features" / "train.npy").astype(np.float32)

    if report.splits["train"].ok != args.clips:
        raise SystemExit(f"the kit extracted {report.splits['train']} clips: {report}")
    figures = {
        "clips": args.clips, "seconds_per_clip": args.seconds, "format": args.format,
        "workers": args.workers,
        "naive_clips_per_s": round(args.clips / naive_s, 2),
        "kit_clips_per_s": round(args.clips / kit_s, 2),
        "ratio": round(naive_s / kit_s, 2),
        "max_abs_diff": float(np.abs(kit - naive).max()),
    }
    print(f"{'naive recipe (1 process):':<31}{figures['naive_clips_per_s']:7.2f} clips/s")
    label = f"kit ({args.workers} process{'es' if args.workers != 1 else ''}, float16 out):"
    print(f"{label:<31}{figures['kit_clips_per_s']:7.2f} clips/s")
    print(f"ratio {figures['ratio']:.2f}x; max |kit - naive| = {figures['max_abs_diff']:.2e} "
          f"({args.clips} clips of {args.seconds:g} s, 44.1 kHz stereo {args.format})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
