"""``vqvae-kit check PARAMS``: validate a params file and its datasets without heavy work
(headers are read, nothing is decoded).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="validate a params file and its datasets (no heavy work)")
    p.add_argument("params")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--outputs", help="folder holding all runs")
    return p


def main(args: argparse.Namespace) -> int:
    from ..runs.check import check_run, describe
    from ..runs.run import Run

    result = check_run(Run(args.params, args.outputs), progress=not args.json)
    print(json.dumps(result, indent=2) if args.json else describe(result))
    roles = [(r, result[r]) for r in ("tag", "pretrain") if r in result] or [("", result)]
    missing = [(r, fig) for r, fig in roles if fig["missing"]]
    for role, fig in missing:
        shown = "\n  ".join(fig["missing_examples"])
        label = f"[{role}] " if role else ""
        print(f"error: {label}{fig['missing']} audio files of {fig['dataset']} are missing. "
              f"Looked for them at the paths the dataset settings of {result['params']} give; "
              f"the first ones:\n  {shown}\n"
              f"Point the dataset's audio folder at your copy of the audio.", file=sys.stderr)
    if missing:
        return 2
    if not result["usable"]:
        print("error: no readable audio in the dataset", file=sys.stderr)
        return 2
    return 0
