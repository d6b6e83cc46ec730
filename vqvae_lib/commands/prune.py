"""``vqvae-kit prune PARAMS``: delete all but the newest archives in ``<run>/previous/``.
"""

from __future__ import annotations

import argparse

from ..utils.config import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("prune", help="delete all but the newest archives in <run>/previous/")
    p.add_argument("params")
    p.add_argument("--keep", type=int, default=1, help="archives to keep (default: 1)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be freed")
    p.add_argument("--outputs", help="folder holding all runs")
    return p


def main(args: argparse.Namespace) -> int:
    import shutil

    from ..runs.run import Run

    if args.keep < 0:
        raise ConfigError(f"--keep {args.keep}: expected 0 or more")
    run = Run(args.params, args.outputs)
    archives = run.archives()
    doomed = archives[:max(0, len(archives) - args.keep)]
    if not doomed:
        print(f"{run.paths.previous}: {len(archives)} archive(s), nothing to remove")
        return 0
    sizes = {a: sum(f.stat().st_size for f in a.rglob("*") if f.is_file()) for a in doomed}
    for a in doomed:
        print(f"  remove {a} ({sizes[a] / 1e6:.1f} MB)")
    total = sum(sizes.values()) / 1e6
    if args.dry_run:
        print(f"would free {total:.1f} MB; keeping the newest {len(archives) - len(doomed)}")
        return 0
    for a in doomed:
        shutil.rmtree(a)
    print(f"freed {total:.1f} MB; kept the newest {len(archives) - len(doomed)}")
    return 0
