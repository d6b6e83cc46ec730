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
    baseline (when ``table`` has it) and the paper's value beside it."""
    from matplotlib.figure import Figure  # here: the other commands need no plotting

    fig = Figure(figsize=(11, 3.8))
    axes = fig.subplots(1, 2)
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
