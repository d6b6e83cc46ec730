"""Tagging quality on your own music: ``params/own/cpu.yaml`` beside the plain baseline.

Runs every step of a params file (default ``params/own/cpu.yaml``) on a manifest CSV
(``id,path,tags,split,group``; see the README's "Bring your own data"), then prints the
kit's test ROC-AUC and PR-AUC macro beside the ``mel_stats`` baseline (a logistic
regression on per-band log-mel mean and standard deviation, scored on the same clips by
the same code), the wall time of each step, and the time per 500 clips::

    python benchmarks/tagging_quality.py my_music.csv
    python benchmarks/tagging_quality.py my_music.csv --params params/own/gpu.yaml --json out.json

``benchmarks/real_music_manifest.py`` builds such a manifest from freely licensed music.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqvae_lib.runner import run_pipeline  # noqa: E402
from vqvae_lib.steps import Run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", type=Path, help="manifest CSV of your music")
    parser.add_argument("--params", type=Path, default=REPO / "params" / "own" / "cpu.yaml",
                        help="params file to run (its data.tag.path is replaced)")
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs",
                        help="folder holding all runs")
    parser.add_argument("--name", default=None, help="run name (default: own-<manifest stem>)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    manifest = args.manifest.expanduser().resolve()
    if not manifest.is_file():
        parser.error(f"{manifest}: no such manifest CSV")
    name = args.name or f"own-{manifest.stem}"
    args.outputs.mkdir(parents=True, exist_ok=True)
    params = args.outputs / f"{name}.yaml"
    params.write_text(f"# written by benchmarks/tagging_quality.py\n"
                      f"extends: {args.params.resolve()}\nname: {name}\nseed: {args.seed}\n"
                      f"data: {{tag: {{path: {json.dumps(str(manifest))}}}}}\n")
    start = time.perf_counter()
    code = run_pipeline(params, outputs_root=args.outputs)
    wall = time.perf_counter() - start
    if code != 0:
        print(f"the run failed (exit {code}); see the lines above", file=sys.stderr)
        return code

    run = Run(params, args.outputs)
    metrics = json.loads((run.dir / "metrics.json").read_text())
    n_clips = sum(s["total"] for s in json.loads(
        (run.features_dir("tag") / "extract_report.json").read_text())["splits"].values())
    steps = {s: json.loads(run.done_file(s).read_text())["seconds"]
             for s in run.params.steps if run.done_file(s).exists()}
    mel = metrics["baselines"]["mel_stats"].get("test", {})
    figures = {
        "run": name, "params": str(args.params), "manifest": str(manifest), "clips": n_clips,
        "kit": {k: metrics["test"][k] for k in ("roc_auc_macro", "pr_auc_macro")},
        "mel_stats": {k: mel.get(k) for k in ("roc_auc_macro", "pr_auc_macro")},
        "seconds": round(wall, 1), "seconds_per_step": steps,
        "minutes_per_500_clips": round(wall / 60 * 500 / max(n_clips, 1), 2),
        "verdict": metrics.get("verdict", ""),
    }
    print(f"\n{name}: {n_clips} clips, {wall / 60:.1f} min in all "
          f"({figures['minutes_per_500_clips']:.1f} min per 500 clips)")
    print("  " + ", ".join(f"{s} {v:.0f} s" for s, v in steps.items()))
    print(f"  {'':<22}{'ROC-AUC macro':>14}{'PR-AUC macro':>14}")
    for label, fig in (("kit (" + args.params.name + ")", figures["kit"]),
                       ("mel_stats baseline", figures["mel_stats"])):
        roc, pr = fig["roc_auc_macro"], fig["pr_auc_macro"]
        print(f"  {label:<22}{roc if roc is None else f'{roc:.4f}':>14}"
              f"{pr if pr is None else f'{pr:.4f}':>14}")
    print(f"  {figures['verdict']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
