"""Tagging quality on your own music: ``params/own/cpu.yaml`` beside the plain baseline.

Runs every step of a params file (default ``params/own/cpu.yaml``) on one or more manifest
CSVs (``id,path,tags,split,group``; see the README's "Bring your own data"), then prints
the kit's test ROC-AUC and PR-AUC macro beside the ``mel_stats`` baseline (a logistic
regression on per-band log-mel mean and standard deviation, scored on the same clips by
the same code), the difference (kit minus baseline) with the paired-bootstrap 95%
interval of the ROC-AUC difference over the test clips (the one ``evaluate`` writes in
``metrics.json``), the wall time of each step, and the time per 500 clips::

    python benchmarks/tagging_quality.py my_music.csv
    python benchmarks/tagging_quality.py my_music.csv --seeds 0 1 2
    python benchmarks/tagging_quality.py my_music.csv --params params/own/gpu.yaml --json out.json
    python benchmarks/tagging_quality.py set_b/manifest.csv set_a/manifest.csv --seeds 0 1 2

With a few hundred clips the test split holds a few dozen tracks, and one split decides
little: ``--seeds`` repeats the whole run once per seed, each with its own seed and its
own draw of the validation and test groups (``data.tag.seed``, for the rows the manifest
leaves without a split), and prints the mean and spread (standard deviation, minimum,
maximum) over the seeds beside the baseline's. Settings tuned on one collection can
hold there and fail on another, so several manifests may be given: each is run with
every seed, summarised on its own, and the difference is then pooled over all runs.

Each run is named ``own-<label>``, ``-seed<k>`` added with more than one seed, its own
folder under ``--outputs``; the label is the manifest's file name without ``.csv``, or,
when two manifests share that name (``set_a/manifest.csv``, ``set_b/manifest.csv``),
the name of its folder. ``--json`` is rewritten after every run, so an interrupted
series keeps the runs that finished. A run that fails is reported and the next one run;
the exit code is then 1.

``benchmarks/real_music_manifest.py`` builds such manifests from freely licensed music.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqvae_lib.runs.run import Run
from vqvae_lib.runs.runner import run_pipeline

METRICS = ("roc_auc_macro", "pr_auc_macro")


def _num(value: float | None, spec: str = ".4f") -> str:
    return "-" if value is None or np.isnan(value) else format(value, spec)


def run_once(manifest: Path, params_file: Path, outputs: Path, name: str, seed: int
             ) -> dict | None:
    """Every step of ``params_file`` on ``manifest`` with ``seed`` (run and split draw);
    returns the figures, or None when the run failed."""
    params = outputs / f"{name}.yaml"
    params.write_text(f"# written by benchmarks/tagging_quality.py\n"
                      f"extends: {params_file.resolve()}\nname: {name}\nseed: {seed}\n"
                      f"data: {{tag: {{path: {json.dumps(str(manifest))}, seed: {seed}}}}}\n")
    start = time.perf_counter()
    try:
        code = run_pipeline(params, outputs_root=outputs)
    except Exception:  # one broken run should not cost the others of a long series
        traceback.print_exc()
        code = "an exception"
    wall = time.perf_counter() - start
    if code != 0:
        print(f"{name}: the run failed (exit {code}) after {wall / 60:.1f} min; "
              "see the lines above", file=sys.stderr)
        return None
    run = Run(params, outputs)
    metrics = json.loads((run.dir / "metrics.json").read_text())
    n_clips = sum(s["total"] for s in json.loads(
        (run.features_dir("tag") / "extract_report.json").read_text())["splits"].values())
    steps = {s: json.loads(run.done_file(s).read_text())["seconds"]
             for s in run.params.steps if run.done_file(s).exists()}
    mel_entry = metrics["baselines"]["mel_stats"]
    mel = mel_entry.get("test", {})
    kit = {k: metrics["test"][k] for k in METRICS}
    mel_figs = {k: mel.get(k) for k in METRICS}
    # Kit minus mel_stats; the interval (ROC-AUC macro only) is evaluate's paired
    # bootstrap over the test clips, read as written rather than resampled again here.
    paired = mel_entry.get("run_minus_mel_stats") or {}
    difference = {k: (None if kit[k] is None or mel_figs[k] is None else kit[k] - mel_figs[k])
                  for k in METRICS}
    figures = {
        "run": name, "seed": seed, "params": str(params_file), "manifest": str(manifest),
        "clips": n_clips, "kit": kit, "mel_stats": mel_figs,
        "kit_minus_mel_stats": {
            **difference,
            "paired_bootstrap": ({k: paired.get(k) for k in
                                  ("metric", "delta", "ci_low", "ci_high", "confidence",
                                   "resamples", "seed")} if paired else None),
        },
        "mel_stats_skipped": mel_entry.get("skipped"),
        "seconds": round(wall, 1), "seconds_per_step": steps,
        "minutes_per_500_clips": round(wall / 60 * 500 / max(n_clips, 1), 2),
        "verdict": metrics.get("verdict", ""),
    }
    print(f"\n{name}: {n_clips} clips, {wall / 60:.1f} min in all "
          f"({figures['minutes_per_500_clips']:.1f} min per 500 clips)")
    print("  " + ", ".join(f"{s} {v:.0f} s" for s, v in steps.items()))
    print(f"  {'':<22}{'ROC-AUC macro':>14}{'PR-AUC macro':>14}")
    for label, fig in (("kit (" + params_file.name + ")", kit),
                       ("mel_stats baseline", mel_figs),
                       ("kit - mel_stats", difference)):
        spec = "+.4f" if label.startswith("kit -") else ".4f"
        print(f"  {label:<22}{_num(fig['roc_auc_macro'], spec):>14}"
              f"{_num(fig['pr_auc_macro'], spec):>14}")
    if paired:
        print(f"  ROC-AUC difference {paired['delta']:+.4f}, paired-bootstrap "
              f"{paired['confidence']:.0%} interval [{paired['ci_low']:+.4f}, "
              f"{paired['ci_high']:+.4f}] over the test clips")
    print(f"  {figures['verdict']}")
    return figures


def _spread(values: list[float | None]) -> dict | None:
    """Mean, standard deviation (over the runs, ddof 0), minimum and maximum; None when
    no value is defined."""
    arr = np.array([v for v in values if v is not None], dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return None
    return {"mean": float(arr.mean()), "std": float(arr.std()), "min": float(arr.min()),
            "max": float(arr.max()), "n": int(arr.size)}


def summarise(runs: list[dict]) -> dict:
    """Mean, standard deviation and range of the kit, the baseline and their difference
    over the runs; in how many runs the kit is at or above the baseline on test ROC-AUC
    macro, and in how many the difference's interval lies wholly above or below 0."""
    out: dict = {"runs": len(runs)}
    for who in ("kit", "mel_stats", "kit_minus_mel_stats"):
        for metric in METRICS:
            out[f"{who}_{metric}"] = _spread([r[who][metric] for r in runs])
    out["kit_at_or_above"] = sum(
        r["kit"]["roc_auc_macro"] is not None and r["mel_stats"]["roc_auc_macro"] is not None
        and r["kit"]["roc_auc_macro"] >= r["mel_stats"]["roc_auc_macro"] for r in runs)
    boots = [r["kit_minus_mel_stats"]["paired_bootstrap"] for r in runs]
    out["interval_above_0"] = sum(b is not None and b["ci_low"] > 0 for b in boots)
    out["interval_below_0"] = sum(b is not None and b["ci_high"] < 0 for b in boots)
    out["minutes_per_500_clips_max"] = max(r["minutes_per_500_clips"] for r in runs)
    return out


def print_summary(s: dict, title: str, params_name: str) -> None:
    print(f"\n{title}, test split:")
    for who, label in (("kit", f"kit ({params_name})"), ("mel_stats", "mel_stats baseline"),
                       ("kit_minus_mel_stats", "kit - mel_stats")):
        roc, pr = s[f"{who}_roc_auc_macro"], s[f"{who}_pr_auc_macro"]
        spec = "+.4f" if who == "kit_minus_mel_stats" else ".4f"
        parts = []
        for metric, fig in (("ROC-AUC", roc), ("PR-AUC", pr)):
            parts.append(f"{metric} -" if fig is None else
                         f"{metric} {fig['mean']:{spec}} +- {fig['std']:.4f} "
                         f"[{fig['min']:{spec}}, {fig['max']:{spec}}]")
        print(f"  {label:<22} " + "   ".join(parts))
    gap = s["kit_minus_mel_stats_roc_auc_macro"]
    if gap is not None:
        side = "above" if gap["mean"] >= 0 else "BELOW"
        print(f"  kit {side} the mel_stats baseline on mean test ROC-AUC macro by "
              f"{gap['mean']:+.4f}; at or above it in {s['kit_at_or_above']} of {s['runs']} "
              f"runs; the 95% interval wholly above 0 in {s['interval_above_0']}, wholly "
              f"below in {s['interval_below_0']}")


def labels_for(manifests: list[Path]) -> list[str]:
    """One run-name label per manifest: its file name without ``.csv``, or its folder's
    name when two manifests share a file name (``set_a/manifest.csv``, ...)."""
    stems = [m.stem for m in manifests]
    labels = [m.stem if stems.count(m.stem) == 1 else m.parent.name for m in manifests]
    if len(set(labels)) < len(labels):
        raise ValueError("two manifests would share a run name: "
                         + ", ".join(str(m) for m in manifests))
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifests", type=Path, nargs="+", metavar="manifest",
                        help="manifest CSV of your music; several are run one after another")
    parser.add_argument("--params", type=Path, default=REPO / "params" / "own" / "cpu.yaml",
                        help="params file to run (its data.tag.path is replaced)")
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs",
                        help="folder holding all runs")
    parser.add_argument("--name", default=None,
                        help="run name (default: own-<label>; with several manifests, "
                             "<name>-<label>)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one whole run per seed (run seed and split draw)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    manifests = [m.expanduser().resolve() for m in args.manifests]
    for manifest in manifests:
        if not manifest.is_file():
            parser.error(f"{manifest}: no such manifest CSV")
    if len(set(manifests)) < len(manifests):
        parser.error("a manifest is given twice")
    try:
        labels = labels_for(manifests)
    except ValueError as err:
        parser.error(str(err))
    args.outputs.mkdir(parents=True, exist_ok=True)
    several = len(manifests) > 1

    def name_of(label: str) -> str:
        if args.name is None:
            return f"own-{label}"
        return f"{args.name}-{label}" if several else args.name

    per_manifest: dict[str, dict] = {str(m): {"runs": [], "failed": []} for m in manifests}

    def result() -> dict:
        """The figures so far: as before for one manifest (one run's figures, or runs
        and summary), else per manifest and pooled."""
        for entry in per_manifest.values():
            if len(entry["runs"]) > 1:
                entry["summary"] = summarise(entry["runs"])
        if not several:
            entry = next(iter(per_manifest.values()))
            if len(args.seeds) == 1 and len(entry["runs"]) == 1:
                return entry["runs"][0]
            return {k: v for k, v in entry.items() if k != "failed" or v}
        every = [r for e in per_manifest.values() for r in e["runs"]]
        out = {"params": str(args.params), "seeds": args.seeds, "manifests": per_manifest}
        if every:
            out["pooled"] = summarise(every)
        return out

    for manifest, label in zip(manifests, labels):
        for seed in args.seeds:
            run_name = name_of(label) if len(args.seeds) == 1 else f"{name_of(label)}-seed{seed}"
            figures = run_once(manifest, args.params, args.outputs, run_name, seed)
            entry = per_manifest[str(manifest)]
            if figures is None:
                entry["failed"].append(run_name)
            else:
                entry["runs"].append(figures)
            if args.json:
                args.json.write_text(json.dumps(result(), indent=2))
        entry = per_manifest[str(manifest)]
        if len(entry["runs"]) > 1:  # printed now: a long series may be stopped later
            seeds = ", ".join(str(r["seed"]) for r in entry["runs"])
            print_summary(summarise(entry["runs"]), f"{manifest}: over "
                          f"{len(entry['runs'])} runs (seeds {seeds})", args.params.name)

    final = result()
    if several and final.get("pooled"):
        pooled = final["pooled"]
        print_summary(pooled, f"pooled over {pooled['runs']} runs of {len(manifests)} "
                      "manifests", args.params.name)
    failed = [n for e in per_manifest.values() for n in e["failed"]]
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
