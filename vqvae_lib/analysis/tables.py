"""The table of ``vqvae-kit report``: one row per run (or per seeds of one params file).

Each row holds a run's design (VQ-VAE type, classifier, encoder, as its ``params.json``
words them), its test scores from ``metrics.json`` (``METRICS``), its plain baselines'
(``BASELINE_COLUMNS``) and how far it is from ``mel_stats`` (``vs_mel_stats``); the
seed runs of one params file make one row of means, with their standard deviations
(``STD_COLUMNS``). ``match_paper`` adds the paper's run of the same design,
``official_runs`` makes the rows of the official MediaEval 2019 files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..evaluation.compare import TestScores
from ..evaluation.paper import MOODTHEME_TAGS, moodtheme_test_ids, paper_table
from ..settings.registry import RunPaths

METRICS = ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")
# Each metric's standard deviation over a row's seeds (NaN for a run of one seed).
STD_COLUMNS = tuple(f"{m}_std" for m in METRICS)
# Baseline columns of the table, test split: column -> (baseline, metric).
BASELINE_COLUMNS = {f"{b}_{m}": (b, m) for b in ("mel_stats", "popularity")
                    for m in ("roc_auc_macro", "pr_auc_macro")}


def load_run(folder: Path) -> dict[str, Any]:
    """One row: the run's design (VQ-VAE type, classifier, encoder), its test metrics, its
    baselines' (``BASELINE_COLUMNS``, NaN when ``metrics.json`` has none: evaluated before
    baselines were, or without features), ``vs_mel_stats`` (run minus mel_stats, test
    ROC-AUC macro) and its paired-bootstrap interval ``vs_mel_stats_low``/``_high``
    (NaN when ``metrics.json`` has none)."""
    folder = Path(folder)
    paths = RunPaths(folder)
    metrics_file, params_file = paths.metrics, paths.params
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
    row["paper_data"] = on_paper_data(params, paths)
    diff = found.get("mel_stats", {}).get("run_minus_mel_stats") or {}
    for end in ("low", "high"):
        value = diff.get(f"ci_{end}")
        row[f"vs_mel_stats_{end}"] = float("nan") if value is None else value
    return row


def on_paper_data(params: dict[str, Any], paths: RunPaths) -> bool:
    """True for a run on the paper's data, MTG-Jamendo split-0 mood/theme: by its tagging
    dataset in ``params.json``, or else by its ``tags.txt`` holding the 56 official tags.
    Only such a run is set against the paper's numbers."""
    tag = (params.get("data") or {}).get("tag") or {}
    if tag.get("kind") == "jamendo":
        return tag.get("split") == 0 and tag.get("subset") == "moodtheme"
    try:
        return tuple(paths.tags.read_text().splitlines()) == MOODTHEME_TAGS
    except OSError:
        return False


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
    out["paper_data"] = first["paper_data"]

    def values(col: str) -> pd.Series:
        return pd.to_numeric(pd.Series([r[col] for r in rows], dtype=object), errors="coerce")

    for col in (*METRICS, *STD_COLUMNS, "val_roc_auc_macro", *BASELINE_COLUMNS):
        if col in STD_COLUMNS:
            v = values(col.removesuffix("_std"))
            out[col] = float(v.std(ddof=1, skipna=False)) if len(v) > 1 else float("nan")
        else:
            out[col] = float(values(col).mean(skipna=False))
    out["vs_mel_stats"] = out["roc_auc_macro"] - out["mel_stats_roc_auc_macro"]
    # one run's interval says nothing of a mean over seeds
    out["vs_mel_stats_low"] = rows[0]["vs_mel_stats_low"] if len(rows) == 1 else float("nan")
    out["vs_mel_stats_high"] = rows[0]["vs_mel_stats_high"] if len(rows) == 1 else float("nan")
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
    ROC-AUC macro, ``within_noise`` (the difference's interval holds 0) and ``missing``:
    runs whose ``metrics.json`` has no mel_stats score."""
    gap = pd.to_numeric(runs["vs_mel_stats"], errors="coerce")
    low = pd.to_numeric(runs.get("vs_mel_stats_low", pd.Series(float("nan"), runs.index)))
    high = pd.to_numeric(runs.get("vs_mel_stats_high", pd.Series(float("nan"), runs.index)))
    within = (low <= 0) & (high >= 0)
    return {"below": runs.loc[(gap < 0) & ~within, "run"].tolist(),
            "above": runs.loc[(gap >= 0) & ~within, "run"].tolist(),
            "within_noise": runs.loc[within, "run"].tolist(),
            "missing": runs.loc[gap.isna(), "run"].tolist()}


def standing_lines(runs: pd.DataFrame) -> list[str]:
    """The mel_stats standing in words, one line per run, then a summary line."""
    lines = []
    for _, r in runs.iterrows():
        if pd.isna(r["vs_mel_stats"]):
            lines.append(f"{r['run']}: no mel_stats score in its {RunPaths.METRICS} (evaluated "
                         "before baselines were, or without its features: see its verdict)")
            continue
        gap = r["vs_mel_stats"]
        low, high = r.get("vs_mel_stats_low", float("nan")), r.get("vs_mel_stats_high",
                                                                    float("nan"))
        where = "below" if gap < 0 else "above" if gap > 0 else "level with"
        interval = ""
        if not (pd.isna(low) or pd.isna(high)):
            interval = f", 95% interval [{low:+.3f}, {high:+.3f}]"
            where = "within noise of" if low <= 0 <= high else where
        lines.append(f"{r['run']}: {where} the mel_stats baseline ({r['roc_auc_macro']:.3f} vs "
                     f"{r['mel_stats_roc_auc_macro']:.3f}, {r['vs_mel_stats']:+.3f}{interval})")
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
    """Each run with the paper's run of the same design and, for a run on the paper's
    data (``paper_data``), its published test scores (None for a run on other data)."""
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
                out.at[i, f"paper_{m}"] = p[m] if r.get("paper_data", True) else None
    return out


def official_runs() -> pd.DataFrame:
    """The paper's runs and the two baselines scored on the official MediaEval 2019
    files (decisions as submitted), each beside its own published row of Table 2.

    Returns:
        One row per run of ``paper_table()``: run, vqvae, classifier, encoder (NaN for
        the baselines), ``METRICS``, ``paper_run`` and ``paper_<metric>``, and
        ``runs_file`` (the prefix of its official files).
    """
    from ..evaluation.metrics import all_metrics
    from ..evaluation.official import official_decisions, official_groundtruth, official_predictions

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
    from ..evaluation.official import official_groundtruth, official_predictions

    return TestScores(name, official_groundtruth(), official_predictions(runs_file),
                      moodtheme_test_ids(), MOODTHEME_TAGS, "")
