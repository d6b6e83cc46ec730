"""``vqvae-kit runs``: the runs in an outputs folder, their steps, test scores and dates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("runs", help="the runs in an outputs folder: steps done, test scores, when")
    p.add_argument("--outputs", help="folder holding all runs (default, as 'run' writes: "
                                     "$VQVAE_KIT_OUTPUTS, else ./outputs, else the outputs/ "
                                     "beside params/)")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    return p


def main(args: argparse.Namespace) -> int:
    from ..runs.runner import list_runs
    from ..settings.params import default_runs_root

    root = Path(args.outputs).expanduser() if args.outputs else default_runs_root()
    if not root.is_dir():
        print(f"error: {root}: no such outputs folder (pass --outputs DIR)", file=sys.stderr)
        return 2
    table = list_runs(root)
    if args.json:
        print(table.to_json(orient="records", indent=2))
    elif table.empty:
        print(f"no runs in {root}")
    else:
        print(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4f}"))
    return 0
