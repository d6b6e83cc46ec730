"""``vqvae-kit status PARAMS``: where each step of a run stands (done, stale, never,
broken, reused) and why.
"""

from __future__ import annotations

import argparse
import json

from ..settings.registry import STEP_NAMES


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("status", help="where each step of a run stands: done, stale, never, "
                                      "broken, reused, and why")
    p.add_argument("params")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--outputs", help="folder holding all runs")
    return p


def main(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..runs.run import Run

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
        if st.state in ("done", "stale", "broken") and st.finished:
            line += f" ran {st.finished}, {st.seconds:.0f} s, fingerprint {st.fingerprint}"
        if st.why:
            line += f" | {'; '.join(st.why)}"
        print(line)
        if st.library_changed:
            print(f"  {'':<29} vqvae_lib changed since: {', '.join(st.library_changed)} "
                  f"(redo: vqvae-kit run {run.params_path} --force --from {st.step})")
    return 0
