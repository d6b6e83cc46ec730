"""``vqvae-kit report``: several runs side by side, beside the paper's Table 2, with the
paper's claims tested on them (``analysis.report``).

    vqvae-kit report RUN_FOLDERS... [--out DIR] [--resamples 1000] [--seed 0]
    vqvae-kit report --official [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="several runs side by side, beside the paper's Table 2")
    p.add_argument("runs", nargs="*", help="run folders (outputs/<name>)")
    p.add_argument("--official", action="store_true",
                   help="report on the official MediaEval 2019 files shipped with the kit "
                        "(the paper's runs and baselines) instead of run folders")
    p.add_argument("--out", help="folder for the report files (default: outputs/report, "
                                 "or outputs/report-official with --official)")
    p.add_argument("--resamples", type=int, default=1000,
                   help="bootstrap resamples of the test clips for the claims (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    return p


def main(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..analysis.claims import CONFIDENCE, claim_line
    from ..analysis.report import build_official_report, build_report
    from ..analysis.tables import METRICS, STD_COLUMNS, with_spread

    if bool(args.runs) == bool(args.official):
        print("error: give run folders, or --official for the official MediaEval 2019 files",
              file=sys.stderr)
        return 2
    if args.resamples < 1:
        print(f"error: --resamples {args.resamples}: expected 1 or more", file=sys.stderr)
        return 2
    if args.official:
        out = Path(args.out or "outputs/report-official")
        report = build_official_report(out, args.resamples, args.seed)
        cols = ["run", "vqvae", "classifier", "encoder", *METRICS,
                *(f"paper_{m}" for m in METRICS)]
    else:
        report = build_report([Path(r) for r in args.runs], Path(args.out or "outputs/report"),
                              args.resamples, args.seed)
        cols = ["run", "vqvae", "classifier", "encoder", "seeds", *METRICS, *STD_COLUMNS,
                "mel_stats_roc_auc_macro", "popularity_roc_auc_macro", "paper_run",
                "paper_roc_auc_macro"]
    table = with_spread(pd.DataFrame(report["runs"])[cols])
    print(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4f}"))
    print(f"\nThe paper's claims (test ROC-AUC macro; {CONFIDENCE:.0%} paired bootstrap "
          f"interval over the test clips, {args.resamples} resamples, seed {args.seed}):")
    for c in report["claims"]:
        print(f"  {claim_line(c)}")
    for line in report.get("standing", []):
        print(line)
    print("report:", ", ".join(report["files"]))
    return 0
