"""How a tagger recipe fares on a finished run's frozen encoder: test ROC-AUC per epoch.

Reads the cached codes of a run whose tag step has run with ``encoder: fixed`` and crops
(for example a run of ``benchmarks/tagging_quality.py``), trains a fresh tagger with the
recipe given on the command line, and every ``--every`` epochs scores the weights (the
averaged ones with ``--weight-ema``) on validation and test, whole clips averaged over
their crops as the kit does. Where the kit keeps one epoch by validation, this shows the
whole curve, so a recipe whose test score jumps from epoch to epoch is seen as such::

    python benchmarks/tagger_recipes.py outputs/rm.yaml --classifier cnn --seeds 0 1
    python benchmarks/tagger_recipes.py outputs/rm.yaml --classifier gru --epochs 60 \\
        --lr-schedule cosine --weight-ema 0.98 --seeds 0 1 2 3

The last line per seed is the score the recipe ends with. The model, crops, metrics,
schedule and weight average are the kit's own; only the loop is written out here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqvae_lib.evaluation.metrics import ranking_metrics
from vqvae_lib.features.crops import RandomCrops, TiledCrops
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.runs.run import Run
from vqvae_lib.settings.models import CNNTaggerConfig, GRUTaggerConfig
from vqvae_lib.steps.tag import TaggingModel, encoder_checkpoint, predict_scores, tagging_data
from vqvae_lib.training.averaging import WeightAverage, cosine_factor, set_learning_rate
from vqvae_lib.training.hardware import select_hardware


def train_recipe(run: Run, args: argparse.Namespace, seed: int) -> list[dict]:
    """One tagger of the recipe in ``args``; returns a row per scored epoch."""
    hw = select_hardware("cpu" if args.device == "cpu" else args.device, "off", False)
    vqvae = VQVAE.from_checkpoint(encoder_checkpoint(run), hw.device)
    whole = tagging_data(run, vqvae, progress=False)
    crop, hop = args.crop_frames // 2, args.eval_hop_frames // 2  # the encoder halves time
    train = RandomCrops(whole["train"], crop, seed)
    evals = {s: TiledCrops(whole[s], crop, hop) for s in ("validation", "test")}
    tags = (run.dir / "tags.txt").read_text().split()
    torch.manual_seed(seed)
    tagger = (GRUTaggerConfig(hidden=args.hidden) if args.classifier == "gru"
              else CNNTaggerConfig(filters=args.filters, backend_filters=args.backend_filters,
                                   dense=args.dense, dropout=args.dropout))
    model = TaggingModel(vqvae, tagger, len(tags), args.crop_frames, "fixed").to(hw.device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], args.lr)
    average = WeightAverage(model, args.weight_ema) if args.weight_ema else None
    total = args.epochs * (len(train) // args.batch_size)
    order, step, rows, start = torch.Generator().manual_seed(seed), 0, [], time.perf_counter()
    for epoch in range(args.epochs):
        train.set_epoch(epoch)
        model.train()
        for x, y in DataLoader(train, batch_size=args.batch_size, shuffle=True, drop_last=True,
                               generator=order):
            if args.lr_schedule == "cosine":
                set_learning_rate(optimizer, cosine_factor(step, total))
            logits, _, _ = model(x.to(hw.device))
            loss = F.binary_cross_entropy_with_logits(logits.float(), y.to(hw.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if average is not None:
                average.update(model)
        if (epoch + 1) % args.every and epoch != args.epochs - 1:
            continue
        judged = average.averaged.module if average is not None else model
        row = {"seed": seed, "epoch": epoch + 1, "seconds": round(time.perf_counter() - start)}
        for split, data in evals.items():
            scores = predict_scores(judged, data, hw, 4 * args.batch_size)
            with warnings.catch_warnings():  # tags absent from a split are named by 05
                warnings.simplefilter("ignore", UserWarning)
                m = ranking_metrics(np.asarray(data.labels, bool), scores, tags=tags)
            row[split] = {k: round(m[k], 4) for k in ("roc_auc_macro", "pr_auc_macro")}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("params", type=Path, help="params file of a run whose tag step ran")
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs")
    parser.add_argument("--classifier", choices=["gru", "cnn"], default="gru")
    parser.add_argument("--hidden", type=int, default=64, help="GRU units per direction")
    parser.add_argument("--filters", type=int, default=8)
    parser.add_argument("--backend-filters", type=int, default=64)
    parser.add_argument("--dense", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1, help="CNN dropout")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant")
    parser.add_argument("--weight-ema", type=float, default=None)
    parser.add_argument("--crop-frames", type=int, default=128)
    parser.add_argument("--eval-hop-frames", type=int, default=128)
    parser.add_argument("--every", type=int, default=1, help="score every N epochs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args(argv)

    run = Run(args.params, args.outputs)
    if not run.is_done("tag") or run.params.tag.encoder != "fixed":
        parser.error(f"{args.params}: needs a run whose tag step has finished with "
                     "encoder: fixed (its cached codes are read); run it first")
    rows = [r for seed in args.seeds for r in train_recipe(run, args, seed)]
    final = [r["test"]["roc_auc_macro"] for r in rows if r["epoch"] == args.epochs]
    print(f"test ROC-AUC macro at the last epoch: {', '.join(f'{v:.4f}' for v in final)}; "
          f"mean {np.mean(final):.4f}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
