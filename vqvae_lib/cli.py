"""Command line: ``vqvae-kit`` (or ``python -m vqvae_lib``), one module per command in
``commands/``.

    vqvae-kit run PARAMS.yaml [--from STEP] [--to STEP] [--force] [--seeds N]
    vqvae-kit status PARAMS.yaml [--json]
    vqvae-kit prune PARAMS.yaml [--keep N] [--dry-run]
    vqvae-kit check PARAMS.yaml [--json]
    vqvae-kit extract PARAMS.yaml [--shard I/N | --merge N] [--workers W]
    vqvae-kit predict RUN AUDIO... [--top K] [--threshold tuned|F] [--json OUT | --csv OUT]
    vqvae-kit runs [--outputs DIR]
    vqvae-kit evaluate --groundtruth GT.npy --predictions P.npy ...
    vqvae-kit compare RUN_A RUN_B | --groundtruth GT.npy --a A.npy --b B.npy
    vqvae-kit report OUTPUT_DIRS... [--out DIR]
    vqvae-kit pretrain PARAMS.yaml        (torchrun: DDP)

Building the parser loads no torch, librosa or scikit-learn: each command imports what it
needs when it runs, so ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .commands import (
    check,
    compare,
    evaluate,
    extract,
    predict,
    pretrain,
    prune,
    report,
    run,
    runs,
    status,
)
from .utils.errors import KitError, describe_os_error

# In the order ``--help`` lists them.
COMMANDS = (run, status, prune, check, extract, predict, runs, evaluate, compare, report,
            pretrain)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vqvae-kit", description="VQ-VAE music auto-tagging kit (Hung et al., MediaEval 2019)")
    parser.add_argument("--version", action="version", version=f"vqvae-kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub).set_defaults(func=command.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (KitError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        said = describe_os_error(exc)
        if said is None:
            raise
        print(f"error: {said}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
