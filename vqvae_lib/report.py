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
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .compare import TestScores, load_run_scores, pair_runs
from .inputs import InputError
from .paper import MOODTHEME_TAGS, PAPER_CLAIMS, moodtheme_test_ids, paper_table
from .seeds import average_scores, seed_groups
from .stats import bootstrap_values, paired_interval, verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS = ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")
# Each metric's standard deviation over a row's seeds (NaN for a run of one seed).
STD_COLUMNS = tuple(f"{m}_std" for m in METRICS)
# Baseline columns of the table, test split: column -> (baseline, metric).
BASELINE_COLUMNS = {f"{b}_{m}": (b, m) for b in ("mel_stats", "popularity")
                    for m in ("roc_auc_macro", "pr_auc_macro")}
CONFIDENCE = 0.95
# The design settings in words, for the claims' qualifiers ("fixed beats finetuned (GRU)").
SETTING_WORDS = {"gru": "GRU", "cnn": "CNN", "fixed": "fixed", "finetune": "finetuned",
                 "type1": "Type-1", "type2": "Type-2"}


def load_run(folder: Path) -> dict[str, Any]:
    """One row: the run's design (VQ-VAE type, classifier, encoder), its test metrics, its
    baselines' (``BASELINE_COLUMNS``, NaN when ``metrics.json`` has none: evaluated before
    baselines were, or without features) and ``vs_mel_stats`` (run minus mel_stats, test
    ROC-AUC macro)."""
    folder = Path(folder)
    metrics_file, params_file = folder / "metrics.json", folder / "params.json"
    for f in (metrics_file, params_file):
        if not f.exists():
            raise FileNotFoundError(f"{f} not found: is {folder} a finished run folder "
                                    "(run it through 05_evaluate first)?")
    metrics = json.loads(metrics_file.read_text())
    params = json.loads(params_file.read_text())
    row = {"run": params["name"], "vqvae": params["vqvae"]["kind"],
           "classifier": params["tag"]["tagger"]["classifier"], "encoder": params["tag"]["encoder"]}
    row.update({m: metrics["test"][m] for m in METRICS})
    row["val_roc_auc_macro"] = metrics["validation"]["roc_auc_macro"]
    found = metrics.get("baselines", {})
    for col, (name, metric) in BASELINE_COLUMNS.items():
        value = found.get(name, {}).get("test", {}).get(metric)
        row[col] = float("nan") if value is None else value
    # null in metrics.json (an undefined score) reads as NaN, which no run is below.
    row["vs_mel_stats"] = (pd.to_numeric(row["roc_auc_macro"], errors="coerce")
                           - row["mel_stats_roc_auc_macro"])
    return row


def seed_row(rows: list[dict[str, Any]], name: str | None = None) -> dict[str, Any]:
    """One table row from the ``load_run`` rows of one run, or of the seed runs of one
    params file (then ``name``, the file's run name, names the row).

    Returns:
        The first row's design, ``seeds`` (how many runs the row holds), every score
        the mean over them, ``STD_COLUMNS`` (the sample standard deviation over them,
        NaN for one run) and ``vs_mel_stats`` from the means. An undefined score of one
        seed (NaN) makes the mean undefined, rather than the mean of the others.
    """
    first = rows[0]
    out: dict[str, Any] = {k: first[k] for k in ("run", "vqvae", "classifier", "encoder")}
    if name is not None:
        out["run"] = name
    out["seeds"] = len(rows)

    def values(col: str) -> pd.Series:
        return pd.to_numeric(pd.Series([r[col] for r in rows], dtype=object), errors="coerce")

    for col in (*METRICS, *STD_COLUMNS, "val_roc_auc_macro", *BASELINE_COLUMNS):
        if col in STD_COLUMNS:
            v = values(col.removesuffix("_std"))
            out[col] = float(v.std(ddof=1, skipna=False)) if len(v) > 1 else float("nan")
        else:
            out[col] = float(values(col).mean(skipna=False))
    out["vs_mel_stats"] = out["roc_auc_macro"] - out["mel_stats_roc_auc_macro"]
    return out


def with_spread(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` to show: each of ``METRICS`` as ``mean ± std`` text in rows of several
    seeds, the ``STD_COLUMNS`` dropped (a table without seeds is left as it is)."""
    if "seeds" not in table:
        return table
    out = table.drop(columns=[c for c in STD_COLUMNS if c in table])
    if not (table["seeds"] > 1).any():
        return out
    for m in METRICS:
        out[m] = [("-" if pd.isna(v) else f"{v:.4f}") + (f" ± {sd:.4f}" if n > 1 else "")
                  for v, sd, n in zip(table[m], table[f"{m}_std"], table["seeds"])]
    return out


def mel_stats_standing(runs: pd.DataFrame) -> dict[str, list[str]]:
    """Run names ``below``, ``above`` (or level with) the mel_stats baseline on test
    ROC-AUC macro, and ``missing``: runs whose ``metrics.json`` has no mel_stats score."""
    gap = pd.to_numeric(runs["vs_mel_stats"], errors="coerce")
    return {"below": runs.loc[gap < 0, "run"].tolist(),
            "above": runs.loc[gap >= 0, "run"].tolist(),
            "missing": runs.loc[gap.isna(), "run"].tolist()}


def standing_lines(runs: pd.DataFrame) -> list[str]:
    """The mel_stats standing in words, one line per run, then a summary line."""
    lines = []
    for _, r in runs.iterrows():
        if pd.isna(r["vs_mel_stats"]):
            lines.append(f"{r['run']}: no mel_stats score in its metrics.json (evaluated "
                         "before baselines were, or without its features: see its verdict)")
            continue
        gap = r["vs_mel_stats"]
        where = "below" if gap < 0 else "above" if gap > 0 else "level with"
        lines.append(f"{r['run']}: {where} the mel_stats baseline ({r['roc_auc_macro']:.3f} vs "
                     f"{r['mel_stats_roc_auc_macro']:.3f}, {r['vs_mel_stats']:+.3f})")
    below = mel_stats_standing(runs)["below"]
    lines.append(f"below the mel_stats baseline on test ROC-AUC macro: {', '.join(below)}; "
                 "there the VQ-VAE route loses to a logistic regression on log-mel statistics"
                 if below else "no run is below the mel_stats baseline on test ROC-AUC macro")
    return lines


def _paper_rows() -> pd.DataFrame:
    t = paper_table()
    t = t[t["vqvae"].notna()].copy()
    return t


def match_paper(runs: pd.DataFrame) -> pd.DataFrame:
    """Each run with the paper's run of the same design and its published test scores."""
    paper = _paper_rows()
    out = runs.copy()
    for m in ("run", *METRICS):
        out[f"paper_{m}"] = None
    for i, r in out.iterrows():
        same = paper[(paper["vqvae"] == r["vqvae"]) & (paper["classifier"] == r["classifier"])
                     & (paper["encoder"] == r["encoder"])]
        if len(same):
            p = same.iloc[0]
            out.at[i, "paper_run"] = p["run"]
            for m in METRICS:
                out.at[i, f"paper_{m}"] = p[m]
    return out


def claim_pairs(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Each paper claim on each pair of runs that differ only in the claimed factor.

    Returns:
        One dict per claim and pair, in ``PAPER_CLAIMS`` order: ``claim`` (the paper's
        claim, qualified by the setting the pair shares when the claim has pairs in
        several settings, e.g. "fixed encoder beats finetuned (GRU)"), ``paper_claim``,
        ``better`` and ``worse`` (run names), ``better_index`` and ``worse_index``
        (their ``runs`` index labels); a claim without a pair once, with
        ``better`` None.
    """
    out = []
    for claim in PAPER_CLAIMS:
        pairs = [(i, j) for i, a in runs[runs[claim.factor] == claim.better].iterrows()
                 for j, b in runs[runs[claim.factor] == claim.worse].iterrows()
                 if all(a[k] == b[k] for k in claim.same)]
        varying = [k for k in claim.same if len({runs.at[i, k] for i, _ in pairs}) > 1]
        for i, j in pairs:
            words = [SETTING_WORDS.get(runs.at[i, k], str(runs.at[i, k])) for k in varying]
            out.append({"claim": claim.text + (f" ({', '.join(words)})" if words else ""),
                        "paper_claim": claim.text, "better": runs.at[i, "run"],
                        "worse": runs.at[j, "run"], "better_index": i, "worse_index": j})
        if not pairs:
            out.append({"claim": claim.text, "paper_claim": claim.text, "better": None,
                        "worse": None, "better_index": None, "worse_index": None})
    return out


def check_claims(runs: pd.DataFrame, scores: Callable[[Any], TestScores],
                 n_resamples: int = 1000, seed: int = 0,
                 metric: str = "roc_auc_macro") -> list[dict[str, Any]]:
    """Test each claim on each pair of runs that differ only in the claimed factor.

    Args:
        runs: one row per run (``load_run``): its name and design.
        scores: a run's test scores, given its ``runs`` index label (from its folder's
            ``predictions_test.npy`` and ``groundtruth_test.npy``, say); may raise
            ``InputError`` when it has none. Scores with ``seed_predictions`` (a run of
            several seeds) are scored by the mean over the seeds of each seed's metric,
            on every resample.
        n_resamples, seed: of the paired bootstrap over test clips.
        metric: the score compared, one of ``stats.KEYS``.

    Returns:
        ``claim_pairs`` entries with ``metric``, ``verdict`` (``holds``, ``not
        significant``, ``reversed``; ``untested`` without a pair or its scores, and then
        ``why``) and, when tested, ``better_score``, ``worse_score``, ``difference``
        (better minus worse), ``ci_low``, ``ci_high``, ``p_le_0`` and ``paired`` (how
        the rows were paired, in words).
    """
    loaded: dict[Any, TestScores | InputError] = {}
    values: dict[tuple, dict[str, np.ndarray]] = {}

    def load(i: Any) -> TestScores:
        if i not in loaded:
            try:
                loaded[i] = scores(i)
            except InputError as exc:
                loaded[i] = exc
        if isinstance(loaded[i], InputError):
            raise loaded[i]
        return loaded[i]

    def resampled(i: Any, order: tuple[str, ...] | None, y: np.ndarray,
                  seeds: list[np.ndarray]) -> dict[str, np.ndarray]:
        # A run compared with several others, rows in the same order, is resampled once.
        # A run of several seeds scores the mean of its seeds' metrics on each resample
        # (the same clips for every seed), so that its full-set score is the mean the
        # table shows. A resample undefined for one seed is for all: it hangs on labels.
        if (i, order) not in values:
            each = [bootstrap_values(y, p, n_resamples, seed, (metric,)) for p in seeds]
            values[i, order] = {k: np.mean([e[k] for e in each], axis=0) for k in each[0]}
        return values[i, order]

    def paired_seeds(a: TestScores, b: TestScores
                     ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], str]:
        # Each run's predictions per seed (one when it has no seeds), rows in A's order.
        y, pa, pb, paired = pair_runs(a, b)
        seeds_a = list(a.seed_predictions) or [pa]
        seeds_b = [pair_runs(a, replace(b, predictions=p))[2]
                   for p in b.seed_predictions] or [pb]
        if len(seeds_a) > 1 or len(seeds_b) > 1:
            paired += (f"; each score the mean over its run's seeds ({len(seeds_a)} and "
                       f"{len(seeds_b)})")
        return y, seeds_a, seeds_b, paired

    results = []
    for c in claim_pairs(runs):
        i, j = c.pop("better_index"), c.pop("worse_index")
        c["metric"] = metric
        if i is None:
            results.append({**c, "verdict": "untested",
                            "why": "no pair of runs differs only there"})
            continue
        try:
            a, b = load(i), load(j)
            y, pa, pb, paired = paired_seeds(a, b)
        except InputError as exc:
            results.append({**c, "verdict": "untested", "why": str(exc)})
            continue
        r = paired_interval(resampled(i, a.clip_ids, y, pa), resampled(j, a.clip_ids, y, pb),
                            CONFIDENCE)[metric]
        results.append({**c, "verdict": verdict(r["ci_low"], r["ci_high"]),
                        "better_score": r["a"], "worse_score": r["b"],
                        "difference": r["delta"], "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"], "p_le_0": r["p_le_0"], "paired": paired})
    return results


def claim_line(c: dict[str, Any], emphasis: str = "") -> str:
    """One claim in words: its verdict (between ``emphasis`` marks, ``**`` in
    Markdown), the pair, the difference and its interval."""
    said = f"{emphasis}{c['verdict']}{emphasis}"
    if c["verdict"] == "untested":
        return f"{c['claim']}: {said} ({c['why']})"
    return (f"{c['claim']}: {said} ({c['better']} vs {c['worse']}: "
            f"{c['difference']:+.4f}, {CONFIDENCE:.0%} interval [{c['ci_low']:+.4f}, "
            f"{c['ci_high']:+.4f}])")


def plot_runs(table: pd.DataFrame, label: str = "this kit") -> Figure:
    """Test ROC-AUC and PR-AUC (macro) of each run (called ``label``), its mel_stats
    baseline (when ``table`` has it) and the paper's value beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # here: the other commands need no plotting

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    x = np.arange(len(table))
    for ax, m, title in ((axes[0], "roc_auc_macro", "ROC-AUC macro (test)"),
                         (axes[1], "pr_auc_macro", "PR-AUC macro (test)")):
        spread = None  # error bars: the spread over seeds, when a row has several
        if "seeds" in table and (table["seeds"] > 1).any():
            spread = pd.to_numeric(table[f"{m}_std"], errors="coerce").fillna(0)
        ax.bar(x - 0.27, table[m], width=0.27, label=label, yerr=spread, capsize=3)
        if f"mel_stats_{m}" in table:
            base = pd.to_numeric(table[f"mel_stats_{m}"], errors="coerce")
            ax.bar(x, base.fillna(0), width=0.27, label="mel_stats baseline")
        paper = pd.to_numeric(table[f"paper_{m}"], errors="coerce")
        ax.bar(x + 0.27, paper.fillna(0), width=0.27, label="paper (MTG-Jamendo)")
        ax.set_xticks(x, [f"{r}\n{v}·{c}·{e}" if pd.notna(v) else r for r, v, c, e in
                          zip(table["run"], table["vqvae"], table["classifier"], table["encoder"])],
                      fontsize=7)
        ax.set(title=title, ylabel="score", ylim=(0, 1))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def official_runs() -> pd.DataFrame:
    """The paper's runs and the two baselines scored on the official MediaEval 2019
    files (decisions as submitted), each beside its own published row of Table 2.

    Returns:
        One row per run of ``paper_table()``: run, vqvae, classifier, encoder (NaN for
        the baselines), ``METRICS``, ``paper_run`` and ``paper_<metric>``, and
        ``runs_file`` (the prefix of its official files).
    """
    from .metrics import all_metrics  # scikit-learn, only for the official files
    from .official import official_decisions, official_groundtruth, official_predictions

    gt, rows = official_groundtruth(), []
    for _, p in paper_table().iterrows():
        scored = all_metrics(gt, official_predictions(p["runs_file"]),
                             official_decisions(p["runs_file"]))
        rows.append({"run": p["run"], "vqvae": p["vqvae"], "classifier": p["classifier"],
                     "encoder": p["encoder"], **{m: scored[m] for m in METRICS},
                     "paper_run": p["run"], **{f"paper_{m}": p[m] for m in METRICS},
                     "runs_file": p["runs_file"]})
    return pd.DataFrame(rows)


def official_scores(runs_file: str, name: str) -> TestScores:
    """One official run's test scores, with the official clip ids and tags."""
    from .official import official_groundtruth, official_predictions

    return TestScores(name, official_groundtruth(), official_predictions(runs_file),
                      moodtheme_test_ids(), MOODTHEME_TAGS, "")


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
