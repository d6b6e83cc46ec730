"""``vqvae-kit run PARAMS``: execute the step notebooks of a params file with papermill,
in order, skipping the steps that are up to date (``--seeds N``: once per seed).
"""

from __future__ import annotations

import argparse
import json

from ..settings.registry import STEP_NAMES
from ..utils.config import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="execute the step notebooks of a params file with papermill")
    p.add_argument("params", help="run-parameter YAML file (e.g. params/demo.yaml)")
    p.add_argument("--from", dest="start", choices=STEP_NAMES, help="first step to run")
    p.add_argument("--to", dest="stop", choices=STEP_NAMES, help="last step to run")
    p.add_argument("--force", action="store_true", help="re-run steps even when up to date")
    p.add_argument("--seeds", type=int, metavar="N",
                   help="run the file once per seed 0..N-1, as runs <name>-s<seed> sharing "
                        "the steps not in seed_steps (default: the file's 'seeds', if any)")
    p.add_argument("--outputs", help="folder holding all runs (default: outputs/ beside params/)")
    return p


def main(args: argparse.Namespace) -> int:
    from ..runs.run import Run
    from ..runs.runner import run_pipeline, summary
    from ..settings.params import load_params

    if args.seeds is not None and args.seeds < 1:
        raise ConfigError(f"--seeds {args.seeds}: expected 1 or more (runs seeds 0 to N-1)")
    seeds = list(range(args.seeds)) if args.seeds else load_params(args.params).seeds
    if seeds:
        return _run_seeds(args, seeds)
    code = run_pipeline(args.params, outputs_root=args.outputs, start=args.start,
                        stop=args.stop, force=args.force)
    if code == 0:
        run = Run(args.params, args.outputs)
        print("results:", json.dumps(summary(run), indent=2))
        if run.paths.checkpoint("tag").exists():
            outputs = f" --outputs {args.outputs}" if args.outputs else ""
            print(f"next, tag your own audio with this run:\n"
                  f"  vqvae-kit predict {args.params}{outputs} FILES_OR_FOLDERS... --top 5")
    return code


def _run_seeds(args: argparse.Namespace, seeds: list[int]) -> int:
    from ..runs.runner import summary
    from ..runs.seeds import run_seeds

    code, runs = run_seeds(args.params, seeds, outputs_root=args.outputs, start=args.start,
                           stop=args.stop, force=args.force)
    if code == 0:
        print("results:", json.dumps([summary(run) for run in runs], indent=2))
        folders = " ".join(str(run.dir) for run in runs)
        print(f"next, the seeds side by side (mean and standard deviation):\n"
              f"  vqvae-kit report {folders}")
    return code
