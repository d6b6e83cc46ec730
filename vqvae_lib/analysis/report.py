"""``vqvae-kit report``: several runs side by side, beside the paper's Table 2.

Reads each run folder's ``metrics.json`` and ``params.json``, writes ``runs.tsv``,
``report.json``, ``report.md`` and ``report.png`` and says whether the paper's three
claims hold on this data: a fixed encoder beats a finetuned one, the CNN beats the GRU,
Type-1 beats Type-2. Each claim is tested by test ROC-AUC macro on every pair of runs
that differ only there, with a 95% paired bootstrap interval over the test clips
(``stats``, on each run's ``predictions_test.npy`` and ``groundtruth_test.npy``, rows
paired by ``clip_ids_test.txt``): it ``holds`` (interval above 0), is ``not
significant`` (the interval includes 0) or is ``reversed`` (below 0). Each run is also
set beside its own plain baselines (``baselines``: ``mel_stats``, a logistic regression
on log-mel statistics, and ``popularity``), and the report says in words which runs are
below ``mel_stats``.

The seed runs of one params file (``run --seeds``: ``<name>-s<seed>``) are one row:
each score is the mean over the seeds, with its standard deviation beside it and the
number of seeds. Their claims compare that mean too: on each resample of the test clips
(the same clips for every seed), each seed's score, averaged over the seeds.

``--official`` makes the same report from the official MediaEval 2019 files shipped
with the kit (``official``): the paper's five runs, the VGG-ish and popularity
baselines, and the claims on the runs the paper made them with.

The rows come from ``report_tables``, the claims' tests from ``claims``, the figure from
``report_figure``; ``report_cli`` is the command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..evaluation.compare import TestScores, load_run_scores
from .claims import CONFIDENCE, check_claims, claim_line
from .figure import plot_runs
from .seed_runs import average_scores, seed_groups
from .tables import (
    load_run,
    match_paper,
    mel_stats_standing,
    official_runs,
    official_scores,
    seed_row,
    standing_lines,
    with_spread,
)


def _table_text(table: pd.DataFrame) -> str:
    if _has_tabulate():
        return table.to_markdown(index=False, floatfmt=".4f")
    text = table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4f}")
    return f"```\n{text}\n```"


def _write_report(runs: pd.DataFrame, table: pd.DataFrame, claims: list[dict[str, Any]],
                  out_dir: Path, title: str, bootstrap: dict[str, Any],
                  standing: bool, label: str = "this kit",
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report files (``runs.tsv``, ``report.png``, ``report.md``, ``report.json``)
    in ``out_dir``; returns the report as data (with the entries of ``extra``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "runs.tsv", sep="\t", index=False)
    plot_runs(table, label).savefig(out_dir / "report.png", dpi=110, bbox_inches="tight")
    seeded = "seeds" in table and bool((table["seeds"] > 1).any())
    lines = [f"# {title}", ""]
    if seeded:
        lines += ["A row of several seeds (`seeds`) shows each score as the mean over its "
                  "seed runs ± their standard deviation; its claims below compare that "
                  "mean, resampled: on each resample of the test clips, each seed's score "
                  "averaged over the seeds.", ""]
    lines += [_table_text(with_spread(table)), "",
              "## The paper's claims on this data", "",
              f"Test ROC-AUC macro, better run minus worse, with a {CONFIDENCE:.0%} paired "
              f"bootstrap interval over the test clips ({bootstrap['resamples']} resamples, "
              f"seed {bootstrap['seed']}): a claim holds when the interval is above 0, is "
              "not significant when it includes 0, is reversed when it is below 0.", ""]
    lines += [f"- {claim_line(c, '**')}" for c in claims]
    report: dict[str, Any] = {"runs": json.loads(table.to_json(orient="records")),
                              "claims": claims, "bootstrap": bootstrap, **(extra or {})}
    if standing:
        lines += ["", "## Each run beside its plain baselines (test ROC-AUC macro)", ""]
        lines += [f"- {line}" for line in standing_lines(runs)]
        report["mel_stats"] = mel_stats_standing(runs)
        report["standing"] = standing_lines(runs)
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
    report["files"] = [str(out_dir / n) for n in ("runs.tsv", "report.md", "report.png")]
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    return report


def build_report(folders: list[Path], out_dir: Path, n_resamples: int = 1000,
                 seed: int = 0) -> dict[str, Any]:
    """Write the report on run folders into ``out_dir``; returns the report as data.

    The seed runs of one params file make one row (``seed_row``; report.json's
    ``seed_runs`` lists them). The claims are tested on each row's
    ``predictions_test.npy`` and ``groundtruth_test.npy``, averaged over its seeds
    (``check_claims``), with ``n_resamples`` resamples.
    """
    groups = seed_groups([Path(f) for f in folders])
    runs = pd.DataFrame([seed_row([load_run(f) for f in members], name)
                         for name, members in groups])

    def scores(i: int) -> TestScores:
        name, members = groups[i]
        if name is None:
            return load_run_scores(members[0], runs.at[i, "run"])
        return average_scores([load_run_scores(f) for f in members], runs.at[i, "run"])

    claims = check_claims(runs, scores, n_resamples, seed)
    seed_runs = {name: [f.name for f in members] for name, members in groups if name}
    return _write_report(
        runs, match_paper(runs), claims, out_dir,
        "Runs beside the paper (test split; the paper's numbers are MTG-Jamendo mood/theme)",
        {"resamples": n_resamples, "seed": seed, "confidence": CONFIDENCE}, standing=True,
        extra={"seed_runs": seed_runs} if seed_runs else None)


def build_official_report(out_dir: Path, n_resamples: int = 1000,
                          seed: int = 0) -> dict[str, Any]:
    """The report on the official MediaEval 2019 files: the paper's five runs and the
    VGG-ish and popularity baselines beside the paper's Table 2, and the paper's claims
    tested on its own runs. Written into ``out_dir``; returns the report as data."""
    runs = official_runs()
    claims = check_claims(runs, lambda i: official_scores(runs.at[i, "runs_file"],
                                                          runs.at[i, "run"]),
                          n_resamples, seed)
    return _write_report(
        runs, runs.drop(columns="runs_file"), claims, out_dir,
        "The paper's runs on the official MediaEval 2019 files, beside its Table 2 "
        "(MTG-Jamendo split-0 mood/theme test)",
        {"resamples": n_resamples, "seed": seed, "confidence": CONFIDENCE}, standing=False,
        label="official files")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
