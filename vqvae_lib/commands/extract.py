"""``vqvae-kit extract PARAMS``: step 01 without the notebook, in shards (``--shard I/N``)
that ``--merge N`` joins.
"""

from __future__ import annotations

import argparse
import json

from ..utils.config import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("extract", help="01_extract without the notebook: shards and merging")
    p.add_argument("params")
    p.add_argument("--shard", help="I/N: extract shard I (0-based) of N, e.g. on machine I")
    p.add_argument("--merge", type=int, metavar="N", help="merge N finished shards")
    p.add_argument("--workers", type=int, help="processes (default: features.workers)")
    p.add_argument("--outputs", help="folder holding all runs")
    return p


def main(args: argparse.Namespace) -> int:
    from ..runs.run import Run
    from ..steps.extract import extract_features, merge_shards

    run = Run(args.params, args.outputs)
    shard = None
    if args.shard:
        try:
            i, n = (int(v) for v in args.shard.split("/"))
        except ValueError:
            raise ConfigError(f"--shard {args.shard!r}: expected I/N, e.g. 0/4") from None
        shard = (i, n)
    for role in run.dataset_roles():
        out = run.features_dir(role)
        if args.merge:
            report = merge_shards(out, args.merge)
        else:
            report = extract_features(run.clip_table(role), run.params.features, out,
                                      workers=args.workers, shard=shard)
        print(f"[{role}] {out}: {json.dumps(report.to_json()['splits'])}")
    return 0
