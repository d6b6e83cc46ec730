"""``vqvae-kit pretrain PARAMS``: step 02 without the notebook, on one or many processes.

More than one GPU or machine::

    torchrun --nproc_per_node=4 -m vqvae_lib pretrain params/msd/pretrain_type1.yaml

runs DDP: each process reads its shard
of every epoch (``DistributedSampler``), the quantizer all-reduces its statistics, and
rank 0 writes checkpoints and the log. The result is the run's ``pretrain/best.pt``;
``vqvae-kit run`` then finds the step done and goes on from there.
"""

from __future__ import annotations

import argparse
import os


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("pretrain", help="pretrain the VQ-VAE of a params file (torchrun: DDP)")
    p.add_argument("params", help="run-parameter YAML file")
    p.add_argument("--outputs", help="folder holding all runs")
    return p


def main(args: argparse.Namespace) -> int:
    import torch
    import torch.distributed as dist

    from ..runs.run import Run
    from ..steps.pretrain import pretrain
    from ..training.hardware import world

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    try:
        run = Run(args.params, args.outputs)
        state = pretrain(run)
        if world()[0] == 0:
            print(f"pretraining finished: {state.stop_reason}; best epoch "
                  f"{state.best_epoch + 1}, val_recon {state.best}; checkpoints in "
                  f"{run.paths.step_dir('pretrain')}")
    finally:
        if distributed:
            dist.destroy_process_group()
    return 0
