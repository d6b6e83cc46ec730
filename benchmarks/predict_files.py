"""``vqvae-kit predict`` on a run's own test clips: files per second and how often the top
tag is one of the clip's true tags.

Tags every test clip of a finished run from its audio file, as a user would with
``vqvae-kit predict RUN FILES``, twice: the first pass warms up (model load, allocator,
file cache), the second is timed. Prints files/s (audio decoding and log-mel included),
the share of clips whose highest-scoring tag is among their true tags, the same share
for the most popular training tag (what always answering it would give), and the
largest difference from the run's own ``predictions_test.npy``::

    python benchmarks/predict_files.py params/demo.yaml
    python benchmarks/predict_files.py outputs/demo --batch-size 32 --json figures.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqvae_lib.inference.predict import load_tagger, predict_files, run_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a finished run's folder or params file")
    parser.add_argument("--outputs", help="folder holding all runs (for a params file)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    folder = run_folder(args.run, args.outputs)
    ids = (folder / "clip_ids_test.txt").read_text().splitlines()
    truth = np.load(folder / "groundtruth_test.npy")
    tags = (folder / "tags.txt").read_text().splitlines()
    params = json.loads((folder / "params.json").read_text())
    # The clip table's paths, from the feature folder the run was tagged on.
    from vqvae_lib.runs.run import Run

    run = Run(params["params_file"], folder.parent)
    index = pd.read_csv(run.features_dir("tag") / "index.csv", dtype=str,
                        keep_default_na=False).set_index("id")
    paths = index.loc[ids, "path"].tolist()

    tagger = load_tagger(folder, device=args.device)
    predict_files(tagger, paths[: args.batch_size], batch_size=args.batch_size)  # warm-up
    start = time.perf_counter()
    table = predict_files(tagger, paths, batch_size=args.batch_size)
    seconds = time.perf_counter() - start

    top = [t[0][0] for t in table["top"]]
    hit = float(np.mean([truth[i, tags.index(t)] for i, t in enumerate(top)]))
    popular = int(np.load(folder / "groundtruth_train.npy").sum(axis=0).argmax())
    popular_hit = float(truth[:, popular].mean())
    diff = float(np.abs(table[tags].to_numpy() - np.load(folder / "predictions_test.npy")).max())
    figures = {"run": str(folder), "files": len(paths), "seconds": round(seconds, 2),
               "files_per_s": round(len(paths) / seconds, 1), "top_tag_hit": round(hit, 3),
               "popular_tag_hit": round(popular_hit, 3), "max_abs_diff_to_run": diff,
               "device": tagger.hw.describe(), "batch_size": args.batch_size}
    print(f"{folder.name}: {len(paths)} test files in {seconds:.1f} s = "
          f"{figures['files_per_s']} files/s on {figures['device']}")
    print(f"  top tag among the true tags: {hit:.1%} of clips (always the most popular "
          f"training tag, {tags[popular]!r}: {popular_hit:.1%})")
    print(f"  largest difference from the run's predictions_test.npy: {diff:.2e}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
