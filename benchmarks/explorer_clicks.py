"""How long ``explore(run)`` takes to answer a click, on a finished pretraining.

Opens the run's explorer data (building ``explorer.npz`` the first time, timed apart),
builds the panel, then sets the widgets' values as a click in JupyterLab does: each
callback runs to its end before the value is set, so the time is what a person waits
for, less the browser's drawing. Prints the median and the worst of ``--clicks`` picks
for each kind of click.

    python benchmarks/explorer_clicks.py params/demo.yaml
    python benchmarks/explorer_clicks.py params/own/cpu.yaml --outputs outputs --clicks 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

# the panel is built outside a kernel here; explore() itself would print its one line
os.environ.pop("VQVAE_KIT_HEADLESS", None)

from vqvae_lib.analysis.explorer_panel import ExplorerData  # noqa: E402
from vqvae_lib.analysis.explorer_views import build_panel  # noqa: E402
from vqvae_lib.runs.run import Run  # noqa: E402


def _timed(set_value) -> float:
    start = time.perf_counter()
    set_value()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("params", help="a run-parameter file whose pretrain step is done")
    parser.add_argument("--outputs", default=None, help="folder holding the runs")
    parser.add_argument("--clicks", type=int, default=6, help="picks timed per kind")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    run = Run(args.params, args.outputs)
    had_cache = run.paths.explorer.exists()
    figures: dict[str, object] = {"run": run.params.name}
    start = time.perf_counter()
    data = ExplorerData.open(run)
    figures["open_s"] = time.perf_counter() - start
    figures["cache_built"] = not had_cache
    figures["clips"] = int(data.cache.indices.shape[0])
    figures["latent"] = list(data.cache.indices.shape[1:])
    figures["codes"] = int(data.cache.K)
    start = time.perf_counter()
    panel = build_panel(data)
    figures["panel_s"] = time.perf_counter() - start

    codes_box, clips_box = panel.children
    order, select = codes_box.children[0].children
    tag, clip = clips_box.children[0].children
    stretch, code, becomes = clips_box.children[1].children
    n = args.clicks
    times: dict[str, list[float]] = {"code pick": [], "sort by lift": [], "clip pick": [],
                                     "code masked": [], "code replaced": [],
                                     "stretch moved": []}
    for i in range(n):
        times["code pick"].append(_timed(lambda: setattr(
            select, "value", select.options[(i + 1) % len(select.options)][1])))
    if len(order.options) > 1:
        for i in range(min(n, len(order.options) - 1)):
            times["sort by lift"].append(_timed(lambda: setattr(
                order, "value", order.options[1 + i % (len(order.options) - 1)])))
    for i in range(n):
        times["clip pick"].append(_timed(lambda: setattr(
            clip, "value", clip.options[(i + 1) % len(clip.options)][1])))
        present = [v for _, v in code.options if v != -1]
        if not present:
            continue
        times["code masked"].append(_timed(lambda: (
            setattr(becomes, "value", -1), setattr(code, "value", present[0]))))
        times["code replaced"].append(_timed(lambda: setattr(
            becomes, "value", becomes.options[1 + (i * 7) % (len(becomes.options) - 1)][1])))
        lo, hi = stretch.value
        times["stretch moved"].append(_timed(lambda: setattr(
            stretch, "value", (lo + 1.0, min(hi + 1.0, stretch.max)))))
    figures["clicks_s"] = {k: {"median": statistics.median(v), "worst": max(v), "n": len(v)}
                           for k, v in times.items() if v}

    print(f"run {figures['run']}: {figures['clips']} clips, latent {figures['latent']}, "
          f"{figures['codes']} codes")
    print(f"open {figures['open_s']:.2f} s ({'cache built' if not had_cache else 'cache read'}),"
          f" panel {figures['panel_s']:.2f} s")
    for kind, t in figures["clicks_s"].items():
        print(f"  {kind:14s} median {t['median']:.2f} s, worst {t['worst']:.2f} s "
              f"({t['n']} clicks)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return figures


if __name__ == "__main__":
    main()
