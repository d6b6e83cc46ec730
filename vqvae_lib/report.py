"""``vqvae-kit report``: several runs side by side, beside the paper's Table 2.

Reads each run folder's ``metrics.json`` and ``params.json``, writes ``runs.tsv``,
``report.json``, ``report.md`` and ``report.png`` and says whether the paper's three
claims hold on this data: a fixed encoder beats a finetuned one, the CNN beats the GRU,
Type-1 beats Type-2 (each by test ROC-AUC macro, on runs that differ only there). Each
run is also set beside its own plain baselines (``baselines``: ``mel_stats``, a logistic
regression on log-mel statistics, and ``popularity``), and the report says in words
which runs are below ``mel_stats``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .paper import PAPER_CLAIMS, paper_table  # noqa: E402

METRICS = ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")
# Baseline columns of the table, test split: column -> (baseline, metric).
BASELINE_COLUMNS = {f"{b}_{m}": (b, m) for b in ("mel_stats", "popularity")
                    for m in ("roc_auc_macro", "pr_auc_macro")}


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


def check_claims(runs: pd.DataFrame, metric: str = "roc_auc_macro") -> list[dict[str, Any]]:
    """For each claim, compare runs that differ only in the claimed factor.

    A claim holds when the favoured setting scores higher in every such pair; it is
    ``untested`` when no pair exists among the runs given.
    """
    results = []
    for claim in PAPER_CLAIMS:
        text, factor, better, worse, same = (claim.text, claim.factor, claim.better,
                                             claim.worse, claim.same)
        pairs = []
        for _, a in runs[runs[factor] == better].iterrows():
            for _, b in runs[runs[factor] == worse].iterrows():
                if all(a[k] == b[k] for k in same):
                    pairs.append({"better": a["run"], "worse": b["run"],
                                  "difference": float(a[metric] - b[metric])})
        verdict = ("untested" if not pairs else
                   "holds" if all(p["difference"] > 0 for p in pairs) else "does not hold")
        results.append({"claim": text, "verdict": verdict, "pairs": pairs, "metric": metric})
    return results


def plot_runs(table: pd.DataFrame) -> plt.Figure:
    """Test ROC-AUC and PR-AUC (macro) of each run, its mel_stats baseline and the paper's
    value beside it."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    x = np.arange(len(table))
    for ax, m, title in ((axes[0], "roc_auc_macro", "ROC-AUC macro (test)"),
                         (axes[1], "pr_auc_macro", "PR-AUC macro (test)")):
        ax.bar(x - 0.27, table[m], width=0.27, label="this kit")
        base = pd.to_numeric(table[f"mel_stats_{m}"], errors="coerce")
        ax.bar(x, base.fillna(0), width=0.27, label="mel_stats baseline")
        paper = pd.to_numeric(table[f"paper_{m}"], errors="coerce")
        ax.bar(x + 0.27, paper.fillna(0), width=0.27, label="paper (MTG-Jamendo)")
        ax.set_xticks(x, [f"{r}\n{v}·{c}·{e}" for r, v, c, e in
                          zip(table["run"], table["vqvae"], table["classifier"], table["encoder"])],
                      fontsize=7)
        ax.set(title=title, ylabel="score", ylim=(0, 1))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def build_report(folders: list[Path], out_dir: Path) -> dict[str, Any]:
    """Write the report files into ``out_dir``; returns the report as data."""
    runs = pd.DataFrame([load_run(f) for f in folders])
    table = match_paper(runs)
    claims = check_claims(runs)
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "runs.tsv", sep="\t", index=False)
    plot_runs(table).savefig(out_dir / "report.png", dpi=110, bbox_inches="tight")
    lines = ["# Runs beside the paper (test split; the paper's numbers are MTG-Jamendo mood/theme)",
             "", table.to_markdown(index=False, floatfmt=".4f") if _has_tabulate()
             else "```\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4f}") + "\n```",
             "", "## The paper's claims on this data (test ROC-AUC macro)", ""]
    for c in claims:
        pairs = "; ".join(f"{p['better']} vs {p['worse']}: {p['difference']:+.4f}" for p in c["pairs"])
        lines.append(f"- {c['claim']}: **{c['verdict']}** ({pairs or 'no pair of runs differs only there'})")
    lines += ["", "## Each run beside its plain baselines (test ROC-AUC macro)", ""]
    lines += [f"- {line}" for line in standing_lines(runs)]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
    report = {"runs": json.loads(table.to_json(orient="records")), "claims": claims,
              "mel_stats": mel_stats_standing(runs), "standing": standing_lines(runs),
              "files": [str(out_dir / n) for n in ("runs.tsv", "report.md", "report.png")]}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    return report


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="several runs side by side, beside the paper's Table 2")
    p.add_argument("runs", nargs="+", help="run folders (outputs/<name>)")
    p.add_argument("--out", default="outputs/report", help="folder for the report files")
    return p


def main(args: argparse.Namespace) -> int:
    report = build_report([Path(r) for r in args.runs], Path(args.out))
    table = pd.DataFrame(report["runs"])
    cols = ["run", "vqvae", "classifier", "encoder", *METRICS, "mel_stats_roc_auc_macro",
            "popularity_roc_auc_macro", "paper_run", "paper_roc_auc_macro"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for c in report["claims"]:
        print(f"{c['claim']}: {c['verdict']}")
    for line in report["standing"]:
        print(line)
    print("report:", ", ".join(report["files"]))
    return 0
