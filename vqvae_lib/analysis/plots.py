"""Every figure of the notebooks: one function per figure, each returning a Figure.

The notebooks only call these and ``save_figure``; nothing here reads files or runs
models, so each figure can be redrawn from the arrays and logs a run wrote. Figures that
list tags grow with the number of tags (about 0.22 inch per tag) so that all 56
MTG-Jamendo mood/theme names stay readable.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .codebook import perplexity

INCH_PER_TAG = 0.22
MEL_CMAP = "magma"


@contextmanager
def _style() -> Iterator[None]:
    """Seaborn's "whitegrid" look for one figure only (no global ``set_theme``).

    Matplotlib ships it as a style, so drawing a figure does not import seaborn (and
    scipy.stats): 2 s of every notebook's start. Seaborn is imported by the figures that
    use its functions (``plot_recon_error_hist``, ``plot_code_tag_heatmap``).
    """
    with plt.style.context("seaborn-v0_8-whitegrid"):
        yield


def _tag_height(n_tags: int, base: float = 1.6) -> float:
    return max(3.0, base + INCH_PER_TAG * n_tags)


def _no_data(ax: plt.Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


def save_figure(fig: Figure, folder: str | Path, name: str, dpi: int = 120) -> Path:
    """Write ``fig`` as ``<folder>/<name>.png`` (the folder is created); returns the path.

    In a notebook with the inline backend the figure is then shown as that PNG, at the
    size the backend would draw it, and closed: otherwise the backend draws the same
    figure again at the end of the cell, which is half of a figure cell's time.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    if _inline_kernel():
        from IPython.display import Image, display

        png = path.read_bytes()
        width = int.from_bytes(png[16:20], "big")  # the PNG header's IHDR width
        plt.close(fig)
        display(Image(data=png, format="png", width=round(width * fig.dpi / dpi)))
    return path


def _inline_kernel() -> bool:
    """Whether figures are shown by a Jupyter kernel's inline backend."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return (type(shell).__name__ == "ZMQInteractiveShell"
            and "inline" in matplotlib.get_backend())


# -- 01 extract ----------------------------------------------------------------------
def extraction_table(reports: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Usable and listed clips per role and split, and failures per reason.

    Args:
        reports: role -> extraction report ``{"splits": {split: {"ok", "total"}},
            "counts": {reason: n}, "failures": {reason: [{"path", "message", ...}]}}``.

    Returns one row per (role, split) and one ``all`` row per role. Failure counts per
    split come from failure entries that name their ``split``; reasons whose entries do
    not are counted on the ``all`` row only (``<NA>`` on the split rows).
    """
    rows = []
    for role, report in reports.items():
        counts = report.get("counts", {}) or {}
        failures = report.get("failures", {}) or {}
        reasons = sorted(set(counts) | set(failures))
        per_split: dict[str, dict[str, int]] = {}
        split_known = {r: bool(failures.get(r)) and all("split" in f for f in failures[r])
                       for r in reasons}
        for reason in reasons:
            for f in failures.get(reason, []) if split_known[reason] else []:
                per_split.setdefault(f["split"], {}).setdefault(reason, 0)
                per_split[f["split"]][reason] += 1
        total_ok = total = 0
        for split, c in report.get("splits", {}).items():
            row = {"role": role, "split": split, "ok": int(c.get("ok", 0)),
                   "total": int(c.get("total", 0))}
            row["failed"] = row["total"] - row["ok"]
            for reason in reasons:
                row[reason] = (per_split.get(split, {}).get(reason, 0) if split_known[reason]
                               else pd.NA)
            total_ok, total = total_ok + row["ok"], total + row["total"]
            rows.append(row)
        all_row = {"role": role, "split": "all", "ok": total_ok, "total": total,
                   "failed": total - total_ok}
        for reason in reasons:
            all_row[reason] = int(counts.get(reason, len(failures.get(reason, []))))
        rows.append(all_row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["role", "split", "ok", "total", "failed"])
    for col in table.columns[5:]:
        table[col] = table[col].astype("Int64")
    return table


def plot_tag_frequency(labels: np.ndarray, tags: Sequence[str]) -> Figure:
    """Clips per tag, most frequent first.

    Args:
        labels: bool ``[N, n_tags]``.
        tags: the ``n_tags`` names.
    """
    labels = np.asarray(labels, dtype=bool)
    counts = labels.sum(axis=0)
    order = np.argsort(-counts, kind="stable")
    with _style():
        fig, ax = plt.subplots(figsize=(7, _tag_height(len(tags))), layout="constrained")
        ax.barh(np.arange(len(order)), counts[order], color="C0")
        ax.set_yticks(np.arange(len(order)), [tags[i] for i in order])
        ax.invert_yaxis()
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set(xlabel="clips with the tag", ylabel="tag",
               title=f"Tag frequency ({len(labels)} clips, "
                     f"{labels.sum(1).mean():.2f} tags per clip)")
    return fig


def plot_mels(mels: Sequence[np.ndarray], titles: Sequence[str],
              suptitle: str = "Log-mel spectrograms", ncols: int = 2) -> Figure:
    """A grid of scaled log-mel spectrograms on one colour scale.

    Args:
        mels: ``n`` arrays ``[n_mels, T]`` (the kit's scaled log-mel, about +-0.9).
        titles: one title per mel (wrapped to fit).
    """
    n = max(1, len(mels))
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    with _style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.6 * nrows + 0.6),
                                 squeeze=False, layout="constrained")
        image = None
        for i, ax in enumerate(axes.flat):
            ax.grid(False)
            if i >= len(mels):
                ax.axis("off")
                continue
            image = ax.imshow(np.asarray(mels[i], dtype=np.float32), origin="lower", aspect="auto",
                              cmap=MEL_CMAP, vmin=-0.9, vmax=0.9, interpolation="nearest")
            ax.set_title("\n".join(textwrap.wrap(titles[i], 48)) or " ", fontsize=8)
            ax.set(xlabel="frame", ylabel="mel band")
        if image is not None:
            fig.colorbar(image, ax=axes, shrink=0.8, label="scaled log-mel")
        else:
            _no_data(axes.flat[0], "no clips")
        fig.suptitle(suptitle)
    return fig


def plot_clip_mels(split: Any, tags: Sequence[str], n: int = 4) -> Figure:
    """The first ``n`` clips of a ``FeatureSplit`` with their ids and tags as titles
    (read as numpy: ``split.mel(i)``, ``split.labels``, ``split.ids``)."""
    n = min(n, len(split))
    mels, titles = [], []
    for i in range(n):
        mels.append(split.mel(i))
        names = [t for t, on in zip(tags, np.asarray(split.labels[i]) > 0.5) if on]
        titles.append(f"{split.ids[i]}: {', '.join(names) if names else '(no tags)'}")
    return plot_mels(mels, titles, suptitle="Log-mel spectrograms with their tags")


# -- 02 pretrain ---------------------------------------------------------------------
def _scope(log: pd.DataFrame, scope: str) -> pd.DataFrame:
    if "scope" not in log.columns:
        return log.iloc[0:0]
    return log[log["scope"] == scope]


def _has(df: pd.DataFrame, col: str) -> bool:
    return col in df.columns and bool(pd.to_numeric(df[col], errors="coerce").notna().any())


def _filled(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """The rows with a value in ``col`` (with ``validate_every`` > 1 some epochs have
    no validation figures; their gaps would break the line)."""
    return df[pd.to_numeric(df[col], errors="coerce").notna()]


def plot_pretrain_losses(log: pd.DataFrame) -> Figure:
    """Training losses per step and validation reconstruction per epoch.

    Args:
        log: ``pretrain_log.csv`` (columns ``scope`` step/epoch, ``epoch`` 0-based,
            ``step``, ``recon``, ``codebook``, ``commitment``, ``val_recon``, ...).
    """
    steps, epochs = _scope(log, "step"), _scope(log, "epoch")
    with _style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
        drawn, zero = False, []
        for col in ("recon", "codebook", "commitment"):
            if _has(steps, col):
                if (pd.to_numeric(steps[col], errors="coerce").fillna(0) == 0).all():
                    zero.append(col)  # a log axis cannot show it (the EMA codebook's loss)
                    continue
                ax1.plot(steps["step"], steps[col], label=col, lw=1.2)
                drawn = True
        if drawn:
            ax1.set_yscale("log")
            ax1.legend(title=f"{', '.join(zero)}: 0 throughout, not drawn" if zero else None,
                       title_fontsize=7)
        else:
            _no_data(ax1, "no training steps logged\n(checkpoint copied?)")
        ax1.set(xlabel="step", ylabel="loss (MSE)", title="Training losses per step")
        if _has(epochs, "val_recon"):
            val = _filled(epochs, "val_recon")
            ax2.plot(val["epoch"] + 1, val["val_recon"], "o-", label="validation recon")
            if _has(epochs, "recon"):
                ax2.plot(epochs["epoch"] + 1, epochs["recon"], "s--", label="train recon (mean)")
            best = val.loc[pd.to_numeric(val["val_recon"]).idxmin()]
            ax2.axvline(best["epoch"] + 1, color="0.3", ls=":",
                        label=f"best epoch {int(best['epoch']) + 1}")
            ax2.legend()
            ax2.xaxis.get_major_locator().set_params(integer=True)
        else:
            _no_data(ax2, "no validation logged")
        ax2.set(xlabel="epoch", ylabel="reconstruction MSE", title="Reconstruction per epoch")
        fig.suptitle("VQ-VAE pretraining")
    return fig


def plot_codebook_usage_over_training(log: pd.DataFrame, K: int) -> Figure:
    """Perplexity, used and dead codes, and dead-code restarts over training steps.

    Args:
        log: ``pretrain_log.csv`` (see ``plot_pretrain_losses``).
        K: codebook size (the ceiling of perplexity and used codes).
    """
    steps, epochs = _scope(log, "step"), _scope(log, "epoch")
    with _style():
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
        ax = axes[0]
        if _has(steps, "perplexity"):
            ax.plot(steps["step"], steps["perplexity"], label="batch")
        if _has(epochs, "val_perplexity"):
            ax.plot(epochs["step"], epochs["val_perplexity"], "o", label="validation (epoch end)")
        ax.axhline(K, color="0.5", ls="--", label=f"K = {K}")
        ax.legend()
        ax.set(xlabel="step", ylabel="perplexity", title="Codebook perplexity")
        ax = axes[1]
        for col, label in (("used_codes", "used (batch)"), ("dead_codes", "dead")):
            if _has(steps, col):
                ax.plot(steps["step"], steps[col], label=label)
        if _has(epochs, "val_used_codes"):
            ax.plot(epochs["step"], epochs["val_used_codes"], "o", label="used (validation)")
        ax.axhline(K, color="0.5", ls="--", label=f"K = {K}")
        ax.legend()
        ax.set(xlabel="step", ylabel="codes", title="Used and dead codes")
        ax = axes[2]
        if _has(steps, "restarts"):
            restarts = pd.to_numeric(steps["restarts"], errors="coerce").fillna(0)
            ax.plot(steps["step"], restarts.cumsum(), color="C3")
            ax.yaxis.get_major_locator().set_params(integer=True)  # a count of codes
        else:
            _no_data(ax, "no restarts logged")
        ax.set(xlabel="step", ylabel="codes restarted (cumulative)", title="Dead-code restarts")
        if steps.empty:
            for a in axes[:2]:
                _no_data(a, "no training steps logged")
        fig.suptitle(f"Codebook health during pretraining (K = {K})")
    return fig


# -- 03 reconstruct and visualise ----------------------------------------------------
def plot_reconstructions(x: np.ndarray, x_hat: np.ndarray, titles: Sequence[str]) -> Figure:
    """Inputs beside their reconstructions, one clip per row, one colour scale.

    Args:
        x: ``[n, n_mels, T]`` scaled log-mels.
        x_hat: ``[n, n_mels, T]`` the VQ-VAE's reconstructions.
        titles: one label per clip (e.g. ``"validation: clip-id"``).
    """
    x, x_hat = np.asarray(x, dtype=np.float32), np.asarray(x_hat, dtype=np.float32)
    n = max(1, len(x))
    with _style():
        fig, axes = plt.subplots(n, 2, figsize=(10, 2.3 * n + 0.7), squeeze=False,
                                 sharex=True, sharey=True, layout="constrained")
        image = None
        for i in range(len(x)):
            mse = float(np.mean((x_hat[i] - x[i]) ** 2))
            for j, (mel, what) in enumerate(((x[i], "input"), (x_hat[i], "reconstruction"))):
                ax = axes[i, j]
                ax.grid(False)
                image = ax.imshow(mel, origin="lower", aspect="auto", cmap=MEL_CMAP, vmin=-0.9,
                                  vmax=0.9, interpolation="nearest")
                extra = f" (MSE {mse:.4f})" if j else ""
                ax.set_title(textwrap.shorten(f"{titles[i]} · {what}{extra}", 70), fontsize=8)
                ax.set(xlabel="frame" if i == len(x) - 1 else "",
                       ylabel="mel band" if j == 0 else "")
        if image is not None:
            fig.colorbar(image, ax=axes, shrink=0.8, label="scaled log-mel")
        else:
            _no_data(axes[0, 0], "no clips")
        fig.suptitle("Input and reconstruction")
    return fig


def plot_recon_error_hist(errors: np.ndarray, ids: Sequence[str],
                          groups: Sequence[str] | None = None, n_named: int = 3) -> Figure:
    """Per-clip reconstruction MSE, with the best and worst clips named.

    Args:
        errors: float ``[N]`` per-clip MSE.
        ids: ``N`` clip ids.
        groups: optional ``N`` labels (e.g. the split) drawn as separate histograms.
        n_named: how many of the best and of the worst clips to name.
    """
    import seaborn as sns

    errors = np.asarray(errors, dtype=np.float64)
    order = np.argsort(errors, kind="stable")
    with _style():
        fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        if len(errors):
            frame = pd.DataFrame({"MSE": errors,
                                  "split": list(groups) if groups is not None else "all"})
            # Each split normalised on its own (train has several times the clips of the
            # others) and drawn as an outline, so no colours mix.
            sns.histplot(frame, x="MSE", hue="split" if groups is not None else None,
                         bins=min(40, max(5, len(errors) // 2)), element="step", fill=False,
                         stat="density", common_norm=False, ax=ax)
            k = min(n_named, len(errors))
            best = "\n".join(f"{ids[i]}  {errors[i]:.4f}" for i in order[:k])
            worst = "\n".join(f"{ids[i]}  {errors[i]:.4f}" for i in order[::-1][:k])
            ax.text(0.99, 0.97, f"best:\n{best}\n\nworst:\n{worst}", transform=ax.transAxes,
                    ha="right", va="top", fontsize=7, family="monospace",
                    bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.9})
            for i, name in ((order[0], "best"), (order[-1], "worst")):
                ax.axvline(errors[i], color="0.3", ls=":", lw=1)
                ax.text(errors[i], 0.02, f" {name}", transform=ax.get_xaxis_transform(),
                        rotation=90, va="bottom", ha="left", fontsize=7, color="0.3")
        else:
            _no_data(ax, "no clips")
        ax.set(xlabel="reconstruction MSE per clip", ylabel="density (each split on its own)",
               title=f"Reconstruction error ({len(errors)} clips, "
                     f"mean {errors.mean() if len(errors) else float('nan'):.4f})")
    return fig


def plot_codebook_usage(counts: np.ndarray) -> Figure:
    """How often each code is chosen, most used first.

    Args:
        counts: int ``[K]`` uses of each code over a split.
    """
    counts = np.asarray(counts)
    k = len(counts)
    used = int((counts > 0).sum())
    with _style():
        fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
        sorted_counts = np.sort(counts)[::-1]
        ax.bar(np.arange(k), sorted_counts, width=1.0, color="C0", lw=0)
        if sorted_counts.max(initial=0) > 0:
            ax.set_yscale("log")
            ax.set_ylim(bottom=0.5)  # so that codes used once still show a bar
        if used < k:
            dead = np.flatnonzero(counts == 0)
            named = ", ".join(str(c) for c in dead[:12]) + (", ..." if len(dead) > 12 else "")
            ax.axvspan(used - 0.5, k - 0.5, color="0.85", zorder=0,
                       label=f"{k - used} dead codes: {named}")
            ax.legend()
        ax.set_xlim(-0.5, k - 0.5)
        ax.set(xlabel="code rank (most used first)", ylabel="uses",
               title=f"Codebook usage: perplexity {perplexity(counts):.1f} of K = {k}, "
                     f"{used} used, {k - used} dead")
    return fig


def plot_codebook_projection(xy: np.ndarray, counts: np.ndarray, method: str = "PCA") -> Figure:
    """The codebook vectors in 2-D, coloured by how often each is used.

    Args:
        xy: ``[K, 2]`` projection of the codebook.
        counts: int ``[K]`` uses of each code; dead codes are drawn as crosses.
        method: name of the projection, for the title and axes.
    """
    xy, counts = np.asarray(xy, dtype=np.float64), np.asarray(counts)
    live = counts > 0
    with _style():
        fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
        points = ax.scatter(xy[live, 0], xy[live, 1], c=np.log10(counts[live]), cmap="viridis",
                            s=22, edgecolors="none")
        if (~live).any():
            ax.scatter(xy[~live, 0], xy[~live, 1], marker="x", color="0.4", s=22,
                       label=f"dead ({int((~live).sum())})")
            ax.legend(loc="best")
        if live.any():
            fig.colorbar(points, ax=ax, label="log10 uses")
        ax.set(xlabel=f"{method} 1", ylabel=f"{method} 2",
               title=f"Codebook ({len(xy)} codes), {method} projection")
    return fig


def plot_code_map(mel: np.ndarray, codes: np.ndarray, title: str = "") -> Figure:
    """One clip's mel above the code indices the encoder chose for it, on one time axis.

    Args:
        mel: ``[n_mels, T]`` scaled log-mel.
        codes: int ``[H', T']`` code indices (each column covers ``T / T'`` frames).
        title: e.g. the clip id.
    """
    mel, codes = np.asarray(mel, dtype=np.float32), np.asarray(codes)
    t = mel.shape[1]
    rows, cols = codes.shape
    with _style():
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True, layout="constrained",
                                       gridspec_kw={"height_ratios": [3, max(1, min(3, rows))]})
        for ax in (ax1, ax2):
            ax.grid(False)
        im1 = ax1.imshow(mel, origin="lower", aspect="auto", cmap=MEL_CMAP, vmin=-0.9, vmax=0.9,
                         extent=(0, t, 0, mel.shape[0]), interpolation="nearest")
        ax1.set(ylabel="mel band", title="log-mel input")
        fig.colorbar(im1, ax=ax1, label="scaled log-mel")
        im2 = ax2.imshow(codes, origin="lower", aspect="auto", cmap="tab20",
                         extent=(0, t, 0, rows), interpolation="nearest")
        if rows * cols <= 256:
            step = t / cols
            for r in range(rows):
                for c in range(cols):
                    ax2.text((c + 0.5) * step, r + 0.5, str(codes[r, c]), ha="center",
                             va="center", fontsize=6)
        ax2.set_yticks(np.arange(rows) + 0.5, [str(r) for r in range(rows)])
        ax2.set(xlabel="frame", ylabel="latent row (H')",
                title=f"code indices ({rows} x {cols}, {len(np.unique(codes))} distinct)")
        fig.colorbar(im2, ax=ax2, label="code index")
        fig.suptitle(f"Code map{': ' + title if title else ''}")
    return fig


def plot_code_tag_heatmap(lift: np.ndarray, tags: Sequence[str], top_k: int = 20) -> Figure:
    """log2 lift of the codes most tied to any tag, tags as rows.

    Args:
        lift: float ``[n_tags, K]`` from ``codebook_analysis.code_tag_lift``.
        tags: the ``n_tags`` names.
        top_k: columns shown: the used codes with the highest lift for any tag.
    """
    import seaborn as sns

    lift = np.asarray(lift, dtype=np.float64)
    with _style():
        if lift.size == 0 or np.all(lift == 1.0):
            fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
            _no_data(ax, "no tags" if lift.size == 0 else "no code is tied to any tag")
            ax.set(xlabel="code", ylabel="tag", title="Code-tag lift")
            return fig
        # Codes with lift 1 everywhere (never used) say nothing; rank the others.
        informative = np.flatnonzero(~np.all(lift == 1.0, axis=0))
        cols = informative[np.argsort(-lift[:, informative].max(axis=0), kind="stable")[:top_k]]
        values = np.log2(lift[:, cols])
        width = min(16.0, 3.0 + 0.35 * len(cols) + 0.07 * max(len(t) for t in tags))
        fig, ax = plt.subplots(figsize=(width, _tag_height(len(tags), base=2.0)),
                               layout="constrained")
        # The scale is set by the over-represented side (red), which ranks the codes; a code
        # rarely or never seen with a tag (log2 lift far below 0) saturates blue instead
        # of washing the red out.
        bound = max(1e-6, float(np.nanmax(values)))
        vlag = sns.color_palette("vlag", as_cmap=True)
        image = ax.imshow(np.clip(values, -bound, bound), cmap=vlag, vmin=-bound,
                          vmax=bound, aspect="auto", interpolation="nearest")
        ax.grid(False)
        ax.set_xticks(np.arange(len(cols)), [str(c) for c in cols], fontsize=7, rotation=90)
        ax.set_yticks(np.arange(len(tags)), list(tags), fontsize=7)
        fig.colorbar(image, ax=ax, shrink=0.6, extend="min",
                     label="log2 lift = log2 P(code | tag) / P(code)")
        ax.set(xlabel="code index", ylabel="tag",
               title=f"The {len(cols)} codes most over-represented with a tag: red over-, "
                     "blue under-represented")
    return fig


# -- 04 tag --------------------------------------------------------------------------
def plot_tagging_curves(log: pd.DataFrame, best_epoch: int) -> Figure:
    """Training loss per step and validation ROC-AUC / PR-AUC per epoch.

    Args:
        log: ``tag_log.csv`` (``scope``, ``epoch`` 0-based, ``step``, ``loss``, ``bce``,
            ``val_roc_auc_macro``, ``val_pr_auc_macro``, ...).
        best_epoch: 0-based epoch kept by early stopping (drawn dashed, 1-based).
    """
    steps, epochs = _scope(log, "step"), _scope(log, "epoch")
    with _style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
        same = (_has(steps, "loss") and _has(steps, "bce")
                and np.allclose(pd.to_numeric(steps["loss"]), pd.to_numeric(steps["bce"])))
        for col in ("bce",) if same else ("loss", "bce"):
            if _has(steps, col):
                # a fixed encoder adds no VQ loss: the loss is the bce, drawn once
                ax1.plot(steps["step"], steps[col], label="loss = bce" if same else col, lw=1.2)
        if _has(epochs, "val_loss"):
            ax1.plot(epochs["step"], epochs["val_loss"], "o", label="validation loss")
        if steps.empty:
            _no_data(ax1, "no training steps logged")
        else:
            ax1.legend()
        ax1.set(xlabel="step", ylabel="loss", title="Training loss per step")
        for col, label in (("val_roc_auc_macro", "ROC-AUC macro"),
                           ("val_pr_auc_macro", "PR-AUC macro")):
            if _has(epochs, col):
                val = _filled(epochs, col)
                ax2.plot(val["epoch"] + 1, val[col], "o-", label=label)
        ax2.axvline(best_epoch + 1, color="0.3", ls="--", label=f"best epoch {best_epoch + 1}")
        ax2.xaxis.get_major_locator().set_params(integer=True)
        ax2.legend()
        ax2.set(xlabel="epoch", ylabel="score (validation)", ylim=(0, 1),
                title="Validation scores per epoch")
        fig.suptitle("Tagger training")
    return fig


# -- 05 evaluate ---------------------------------------------------------------------
def plot_per_tag(per_tag: pd.DataFrame) -> Figure:
    """Per-tag ROC-AUC and PR-AUC, each panel sorted, every tag named.

    Args:
        per_tag: columns ``tag``, ``roc_auc``, ``pr_auc`` (one row per tag).
    """
    n = len(per_tag)
    longest = max((len(str(t)) for t in per_tag["tag"]), default=4)
    with _style():
        fig, axes = plt.subplots(1, 2, figsize=(8 + 0.12 * longest, _tag_height(n)),
                                 layout="constrained")
        # One order for both panels (by ROC-AUC), so that a row is one tag across them.
        d = per_tag.sort_values(["roc_auc", "pr_auc"], ascending=False, na_position="last")
        for ax, col, label, chance in ((axes[0], "roc_auc", "ROC-AUC", 0.5),
                                       (axes[1], "pr_auc", "PR-AUC", None)):
            ax.barh(np.arange(n), d[col].fillna(0), color="C0" if chance else "C1")
            ax.set_yticks(np.arange(n), [str(t) for t in d["tag"]], fontsize=7)
            ax.set_ylim(n - 0.5, -0.5)
            mean = float(d[col].mean())
            ax.axvline(mean, color="0.2", ls="--", lw=1)
            if chance is not None:
                ax.axvline(chance, color="0.6", ls=":", lw=1)
            said = f"dashed: macro {mean:.3f}" + ("; dotted: chance" if chance else "")
            ax.set(xlabel=label, ylabel="tag", xlim=(0, 1), title=f"{label} per tag ({said})")
        fig.suptitle(f"Per-tag scores ({n} tags, sorted by ROC-AUC)")
    return fig


def plot_pr_curves(y_true: np.ndarray, y_score: np.ndarray, tags: Sequence[str],
                   n: int = 3) -> Figure:
    """Precision-recall curves of the ``n`` best and ``n`` worst tags by PR-AUC.

    Args:
        y_true: bool ``[N, n_tags]``.
        y_score: float ``[N, n_tags]`` predicted probabilities.
        tags: the ``n_tags`` names. Tags without a positive clip are left out.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y_true, y_score = np.asarray(y_true, dtype=bool), np.asarray(y_score, dtype=np.float64)
    valid = [j for j in range(y_true.shape[1]) if y_true[:, j].any()]
    ap = {j: average_precision_score(y_true[:, j], y_score[:, j]) for j in valid}
    ranked = sorted(valid, key=lambda j: -ap[j])
    best, worst = ranked[:n], [j for j in ranked[::-1][:n] if j not in ranked[:n]]
    with _style():
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, layout="constrained")
        for ax, group, name in ((axes[0], best, "best"), (axes[1], worst, "worst")):
            # Curves that coincide (several tags at AP 1 run along precision 1) stay
            # visible: each is drawn thinner and in its own dash over the one before.
            for k, j in enumerate(group):
                precision, recall, _ = precision_recall_curve(y_true[:, j], y_score[:, j])
                ax.plot(recall, precision, lw=3.0 - 0.8 * k, ls=("-", "--", ":", "-.")[k % 4],
                        label=f"{tags[j]} (AP {ap[j]:.3f}, prior {y_true[:, j].mean():.3f})")
            if group:
                ax.legend(fontsize=7, loc="upper right")
            else:
                _no_data(ax, "no tags with positives")
            ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.05),
                   title=f"{name.capitalize()} {len(group)} tags by PR-AUC")
        fig.suptitle("Precision-recall curves (test)")
    return fig
