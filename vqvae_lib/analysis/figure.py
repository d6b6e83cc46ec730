"""The figure of ``vqvae-kit report``: each run's test scores beside the paper's.

Drawn on a ``matplotlib.figure.Figure`` of its own, without ``pyplot``: no backend is
selected and no global figure state is touched, so the report can be written from a
terminal, a notebook or a test alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_runs(table: pd.DataFrame, label: str = "this kit") -> Figure:
    """Test ROC-AUC and PR-AUC (macro) of each run (called ``label``), its mel_stats
    baseline (when ``table`` has it) and the paper's value beside it, for the runs that
    have one (only runs on the paper's data do: ``tables.match_paper``)."""
    from matplotlib.figure import Figure  # here: the other commands need no plotting

    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    x = np.arange(len(table))
    names = [f"{r}\n{v}·{c}·{e}" if pd.notna(v) else r for r, v, c, e in
             zip(table["run"], table["vqvae"], table["classifier"], table["encoder"])]
    for ax, m, title in ((axes[0], "roc_auc_macro", "ROC-AUC macro (test)"),
                         (axes[1], "pr_auc_macro", "PR-AUC macro (test)")):
        spread = None  # error bars: the spread over seeds, when a row has several
        if "seeds" in table and (table["seeds"] > 1).any():
            spread = pd.to_numeric(table[f"{m}_std"], errors="coerce").fillna(0)
        series = [(label, pd.to_numeric(table[m], errors="coerce"), spread)]
        if f"mel_stats_{m}" in table:
            series.append(("mel_stats baseline",
                           pd.to_numeric(table[f"mel_stats_{m}"], errors="coerce"), None))
        paper = pd.to_numeric(table[f"paper_{m}"], errors="coerce")
        if paper.notna().any():  # only runs on the paper's data have the paper's numbers
            series.append(("paper (MTG-Jamendo)", paper, None))
        w = 0.8 / len(series)  # the bars of one run side by side, centred on its tick
        for k, (name, values, err) in enumerate(series):
            ax.bar(x + (k - (len(series) - 1) / 2) * w, values.fillna(0), width=w, label=name,
                   yerr=err, capsize=3)
        ax.set_xticks(x, names, fontsize=7, rotation=30 if len(table) > 4 else 0,
                      ha="right" if len(table) > 4 else "center")
        # headroom above 1 for the legend, so that it covers no bar
        ax.set(title=title, ylabel="score", ylim=(0, 1.18), yticks=np.linspace(0, 1, 6))
        ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    fig.tight_layout()
    return fig
