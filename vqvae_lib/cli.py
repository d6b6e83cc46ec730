"""Command line: ``vqvae-kit`` (or ``python -m vqvae_lib``).

    vqvae-kit run PARAMS.yaml [--from STEP] [--to STEP] [--force] [--seeds N]
    vqvae-kit status PARAMS.yaml [--json]
    vqvae-kit prune PARAMS.yaml [--keep N] [--dry-run]
    vqvae-kit check PARAMS.yaml [--json]
    vqvae-kit extract PARAMS.yaml [--shard I/N | --merge N] [--workers W]
    vqvae-kit evaluate --groundtruth GT.npy --predictions P.npy ...
    vqvae-kit report OUTPUT_DIRS... [--out DIR]
    vqvae-kit predict RUN AUDIO... [--top K] [--threshold tuned|F] [--json OUT | --csv OUT]
    vqvae-kit runs [--outputs DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import ConfigError
from .registry import STEP_NAMES


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="execute the step notebooks of a params file with papermill")
    p.add_argument("params", help="run-parameter YAML file (e.g. params/demo.yaml)")
    p.add_argument("--from", dest="start", choices=STEP_NAMES, help="first step to run")
    p.add_argument("--to", dest="stop", choices=STEP_NAMES, help="last step to run")
    p.add_argument("--force", action="store_true", help="re-run steps even when up to date")
    p.add_argument("--seeds", type=int, metavar="N",
                   help="run the file once per seed 0..N-1, as runs <name>-s<seed> sharing "
                        "the steps not in seed_steps (default: the file's 'seeds', if any)")
    p.add_argument("--outputs", help="folder holding all runs (default: outputs/ beside params/)")


def _cmd_run(args: argparse.Namespace) -> int:
    from .params import load_params
    from .runner import run_pipeline, summary
    from .steps import Run

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
    from .runner import summary
    from .seeds import run_seeds

    code, runs = run_seeds(args.params, seeds, outputs_root=args.outputs, start=args.start,
                           stop=args.stop, force=args.force)
    if code == 0:
        print("results:", json.dumps([summary(run) for run in runs], indent=2))
        folders = " ".join(str(run.dir) for run in runs)
        print(f"next, the seeds side by side (mean and standard deviation):\n"
              f"  vqvae-kit report {folders}")
    return code


def _add_status(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="where each step of a run stands: done, stale, never, "
                                      "reused, and why")
    p.add_argument("params")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--outputs", help="folder holding all runs")


def _cmd_status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .steps import Run

    run = Run(args.params, args.outputs)
    steps = [s for s in STEP_NAMES if s in run.params.steps or s in run.reused]
    statuses = [run.status(s) for s in steps]
    if args.json:
        print(json.dumps({"run": run.params.name, "folder": str(run.dir),
                          "steps": [asdict(st) for st in statuses]}, indent=2))
        return 0
    print(f"run {run.params.name} ({run.dir})")
    for st in statuses:
        line = f"  {st.step:<22} {st.state:<6}"
        if st.state in ("done", "stale") and st.finished:
            line += f" ran {st.finished}, {st.seconds:.0f} s, fingerprint {st.fingerprint}"
        if st.why:
            line += f" | {'; '.join(st.why)}"
        print(line)
        if st.library_changed:
            print(f"  {'':<29} vqvae_lib changed since: {', '.join(st.library_changed)} "
                  f"(redo: vqvae-kit run {run.params_path} --force --from {st.step})")
    return 0


def _add_prune(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prune", help="delete all but the newest archives in <run>/previous/")
    p.add_argument("params")
    p.add_argument("--keep", type=int, default=1, help="archives to keep (default: 1)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be freed")
    p.add_argument("--outputs", help="folder holding all runs")


def _cmd_prune(args: argparse.Namespace) -> int:
    import shutil

    from .steps import Run

    if args.keep < 0:
        raise ConfigError(f"--keep {args.keep}: expected 0 or more")
    run = Run(args.params, args.outputs)
    archives = run.archives()
    doomed = archives[:max(0, len(archives) - args.keep)]
    if not doomed:
        print(f"{run.previous_dir}: {len(archives)} archive(s), nothing to remove")
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


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate a params file and its datasets (no heavy work)")
    p.add_argument("params")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--outputs", help="folder holding all runs")


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_run, describe
    from .steps import Run

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


def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="01_extract without the notebook: shards and merging")
    p.add_argument("params")
    p.add_argument("--shard", help="I/N: extract shard I (0-based) of N, e.g. on machine I")
    p.add_argument("--merge", type=int, metavar="N", help="merge N finished shards")
    p.add_argument("--workers", type=int, help="processes (default: features.workers)")
    p.add_argument("--outputs", help="folder holding all runs")


def _cmd_extract(args: argparse.Namespace) -> int:
    from .extract import extract_features, merge_shards
    from .steps import Run

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


def _add_runs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="the runs in an outputs folder: steps done, test scores, when")
    p.add_argument("--outputs", help="folder holding all runs (default: $VQVAE_KIT_OUTPUTS, "
                                     "else ./outputs)")
    p.add_argument("--json", action="store_true", help="print the table as JSON")


def _cmd_runs(args: argparse.Namespace) -> int:
    import os

    from .runner import list_runs

    root = Path(args.outputs or os.environ.get("VQVAE_KIT_OUTPUTS") or "outputs").expanduser()
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vqvae-kit", description="VQ-VAE music auto-tagging kit (Hung et al., MediaEval 2019)")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"vqvae-kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_status(sub)
    _add_prune(sub)
    _add_check(sub)
    _add_extract(sub)
    from . import compare, evaluate_cli, predict_cli, report_cli

    predict_cli.add_parser(sub).set_defaults(func=predict_cli.main)
    _add_runs(sub)
    evaluate_cli.add_parser(sub).set_defaults(func=evaluate_cli.main)
    compare.add_parser(sub).set_defaults(func=compare.main)
    report_cli.add_parser(sub).set_defaults(func=report_cli.main)
    from . import pretrain_command

    pretrain_command.add_parser(sub).set_defaults(func=pretrain_command.main)
    for name, func in (("run", _cmd_run), ("status", _cmd_status), ("prune", _cmd_prune),
                       ("check", _cmd_check), ("extract", _cmd_extract), ("runs", _cmd_runs)):
        sub.choices[name].set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
