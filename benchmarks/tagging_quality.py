"""Tagging quality on your own music: ``params/own/cpu.yaml`` beside the plain baseline.

Runs every step of a params file (default ``params/own/cpu.yaml``) on a manifest CSV
(``id,path,tags,split,group``; see the README's "Bring your own data"), then prints the
kit's test ROC-AUC and PR-AUC macro beside the ``mel_stats`` baseline (a logistic
regression on per-band log-mel mean and standard deviation, scored on the same clips by
the same code), the wall time of each step, and the time per 500 clips::

    python benchmarks/tagging_quality.py my_music.csv
    python benchmarks/tagging_quality.py my_music.csv --seeds 0 1 2
    python benchmarks/tagging_quality.py my_music.csv --params params/own/gpu.yaml --json out.json

With a few hundred clips the test split holds a few dozen tracks, and one split decides
little: ``--seeds`` repeats the whole run once per seed, each with its own seed and its
own draw of the validation and test groups (``data.tag.seed``, for the rows the manifest
leaves without a split), and prints the mean and spread beside the baseline's.

``benchmarks/real_music_manifest.py`` builds such a manifest from freely licensed music.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqvae_lib.runs.run import Run
from vqvae_lib.runs.runner import run_pipeline


def run_once(manifest: Path, params_file: Path, outputs: Path, name: str, seed: int
             ) -> dict | None:
    """Every step of ``params_file`` on ``manifest`` with ``seed`` (run and split draw);
    returns the figures, or None when the run failed."""
    params = outputs / f"{name}.yaml"
    params.write_text(f"# written by benchmarks/tagging_quality.py\n"
                      f"extends: {params_file.resolve()}\nname: {name}\nseed: {seed}\n"
                      f"data: {{tag: {{path: {json.dumps(str(manifest))}, seed: {seed}}}}}\n")
    start = time.perf_counter()
    code = run_pipeline(params, outputs_root=outputs)
    wall = time.perf_counter() - start
    if code != 0:
        print(f"{name}: the run failed (exit {code}); see the lines above", file=sys.stderr)
        return None
    run = Run(params, outputs)
    metrics = json.loads((run.dir / "metrics.json").read_text())
    n_clips = sum(s["total"] for s in json.loads(
        (run.features_dir("tag") / "extract_report.json").read_text())["splits"].values())
    steps = {s: json.loads(run.done_file(s).read_text())["seconds"]
             for s in run.params.steps if run.done_file(s).exists()}
    mel = metrics["baselines"]["mel_stats"].get("test", {})
    figures = {
        "run": name, "seed": seed, "params": str(params_file), "manifest": str(manifest),
        "clips": n_clips,
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
    for label, fig in (("kit (" + params_file.name + ")", figures["kit"]),
                       ("mel_stats baseline", figures["mel_stats"])):
        roc, pr = fig["roc_auc_macro"], fig["pr_auc_macro"]
        print(f"  {label:<22}{roc if roc is None else f'{roc:.4f}':>14}"
              f"{pr if pr is None else f'{pr:.4f}':>14}")
    print(f"  {figures['verdict']}")
    return figures


def summarise(runs: list[dict]) -> dict:
    """Mean, standard deviation and range of the kit and the baseline over the runs, and
    in how many runs the kit is at or above the baseline on test ROC-AUC macro."""
    out: dict = {"runs": len(runs)}
    for who in ("kit", "mel_stats"):
        for metric in ("roc_auc_macro", "pr_auc_macro"):
            values = np.array([r[who][metric] for r in runs], dtype=float)
            out[f"{who}_{metric}"] = {"mean": float(values.mean()), "std": float(values.std()),
                                      "min": float(values.min()), "max": float(values.max())}
    out["kit_at_or_above"] = sum(r["kit"]["roc_auc_macro"] >= r["mel_stats"]["roc_auc_macro"]
                                 for r in runs)
    out["minutes_per_500_clips_max"] = max(r["minutes_per_500_clips"] for r in runs)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", type=Path, help="manifest CSV of your music")
    parser.add_argument("--params", type=Path, default=REPO / "params" / "own" / "cpu.yaml",
                        help="params file to run (its data.tag.path is replaced)")
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs",
                        help="folder holding all runs")
    parser.add_argument("--name", default=None, help="run name (default: own-<manifest stem>)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one whole run per seed (run seed and split draw)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    manifest = args.manifest.expanduser().resolve()
    if not manifest.is_file():
        parser.error(f"{manifest}: no such manifest CSV")
    name = args.name or f"own-{manifest.stem}"
    args.outputs.mkdir(parents=True, exist_ok=True)
    runs = []
    for seed in args.seeds:
        run_name = name if len(args.seeds) == 1 else f"{name}-seed{seed}"
        figures = run_once(manifest, args.params, args.outputs, run_name, seed)
        if figures is None:
            return 1
        runs.append(figures)
    result: dict = {"runs": runs}
    if len(runs) > 1:
        result["summary"] = s = summarise(runs)
        print(f"\nover {len(runs)} runs (seeds {', '.join(map(str, args.seeds))}), test split:")
        for who, label in (("kit", "kit (" + args.params.name + ")"),
                           ("mel_stats", "mel_stats baseline")):
            roc, pr = s[f"{who}_roc_auc_macro"], s[f"{who}_pr_auc_macro"]
            print(f"  {label:<22} ROC-AUC {roc['mean']:.4f} +- {roc['std']:.4f} "
                  f"[{roc['min']:.4f}, {roc['max']:.4f}]   PR-AUC {pr['mean']:.4f} "
                  f"+- {pr['std']:.4f}")
        gap = s["kit_roc_auc_macro"]["mean"] - s["mel_stats_roc_auc_macro"]["mean"]
        side = "above" if gap >= 0 else "BELOW"
        print(f"  kit {side} the mel_stats baseline on mean test ROC-AUC macro by {gap:+.4f}; "
              f"at or above it in {s['kit_at_or_above']} of {len(runs)} runs")
    if args.json:
        args.json.write_text(json.dumps(result if len(runs) > 1 else runs[0], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
