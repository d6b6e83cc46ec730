"""Every notebook figure: drawn from small synthetic inputs, titled, labelled, saved."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vqvae_lib.analysis import plots

RNG = np.random.default_rng(0)
TAGS = [f"mood/theme---tag-with-a-long-name-{i}" for i in range(56)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def check_figure(fig: Figure) -> None:
    """A title somewhere, and both axes of every drawn (non-colorbar) plot labelled, on the
    plot itself or on a plot it shares that axis with."""
    assert isinstance(fig, Figure)
    titles = [fig._suptitle.get_text() if fig._suptitle else ""] + [a.get_title() for a in fig.axes]
    assert any(t.strip() for t in titles)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.axison:
            continue
        xs = ax.get_shared_x_axes().get_siblings(ax)
        ys = ax.get_shared_y_axes().get_siblings(ax)
        assert any(a.get_xlabel() for a in xs), f"no x label: {ax.get_title()!r}"
        assert any(a.get_ylabel() for a in ys), f"no y label: {ax.get_title()!r}"


def check_tags_inside(fig: Figure, tags: list[str]) -> None:
    """Every tag is a tick label and lies wholly inside the figure (nothing clipped)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    shown = set()
    for ax in fig.axes:
        for label in ax.get_yticklabels():
            if label.get_text() in tags:
                shown.add(label.get_text())
                box = label.get_window_extent(renderer)
                assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height
    assert shown == set(tags)


def pretrain_log(with_steps: bool = True) -> pd.DataFrame:
    rows = []
    if with_steps:
        for step in range(1, 21):
            rows.append({"scope": "step", "epoch": (step - 1) // 10, "step": step, "seconds": step,
                         "loss": 1 / step, "recon": 0.5 / step, "codebook": 0.2 / step,
                         "commitment": 0.2 / step, "perplexity": 3 + step / 4,
                         "used_codes": 5 + step // 3,
                         "dead_codes": 27 - step // 3, "restarts": step % 3})
        for epoch in range(2):
            rows.append({"scope": "epoch", "epoch": epoch, "step": 10 * (epoch + 1),
                         "recon": 0.05, "val_recon": 0.06 - 0.01 * epoch,
                         "val_perplexity": 6.0 + epoch,
                         "val_used_codes": 9 + epoch})
    columns = ["scope", "epoch", "step", "seconds", "loss", "recon", "codebook", "commitment",
               "perplexity", "used_codes", "dead_codes", "restarts", "val_recon",
               "val_perplexity", "val_used_codes"]
    return pd.DataFrame(rows, columns=columns)


def test_save_figure_writes_a_png_into_a_new_folder(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    path = plots.save_figure(fig, tmp_path / "figures" / "deep", "line")
    assert path == tmp_path / "figures" / "deep" / "line.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_extraction_table_counts_clips_and_failures():
    reports = {"tag": {"splits": {"train": {"ok": 8, "total": 10}, "test": {"ok": 3, "total": 3}},
                       "counts": {"too_short": 1, "decode_error": 1},
                       "failures": {"too_short": [{"path": "a.mp3", "message": "1.2 s"}],
                                    "decode_error": [{"path": "b.mp3", "message": "bad"}]}}}
    table = plots.extraction_table(reports)
    assert list(table["split"]) == ["train", "test", "all"]
    assert list(table["ok"]) == [8, 3, 11] and list(table["total"]) == [10, 3, 13]
    assert list(table["failed"]) == [2, 0, 2]
    all_row = table[table["split"] == "all"].iloc[0]
    assert all_row["too_short"] == 1 and all_row["decode_error"] == 1


def test_tag_frequency_names_every_tag_inside_the_figure():
    labels = RNG.random((40, len(TAGS))) < np.linspace(0.05, 0.6, len(TAGS))
    fig = plots.plot_tag_frequency(labels, TAGS)
    check_figure(fig)
    check_tags_inside(fig, TAGS)
    # Sorted: the most frequent tag is on top.
    top = fig.axes[0].get_yticklabels()[0].get_text()
    assert top == TAGS[int(labels.sum(0).argmax())]


def test_clip_mels_titles_carry_the_tags():
    class Split:
        ids = ["c0", "c1", "c2"]
        labels = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], bool)

        def __len__(self):
            return 3

        def mel(self, i):
            return np.zeros((16, 20), np.float32)

    fig = plots.plot_clip_mels(Split(), ["happy", "sad", "epic"], n=4)
    check_figure(fig)
    titles = [a.get_title() for a in fig.axes]
    assert "c0: happy, epic" in titles and "c1: (no tags)" in titles


@pytest.mark.parametrize("with_steps", [True, False], ids=["trained", "copied-checkpoint"])
def test_pretrain_figures(with_steps):
    log = pretrain_log(with_steps)
    check_figure(plots.plot_pretrain_losses(log))
    check_figure(plots.plot_codebook_usage_over_training(log, K=32))


def test_reconstruction_figures():
    x = RNG.uniform(-0.9, 0.9, (3, 16, 32))
    fig = plots.plot_reconstructions(x, x * 0.5, ["train: a", "train: b", "validation: c"])
    check_figure(fig)
    assert len([a for a in fig.axes if a.get_label() != "<colorbar>"]) == 6
    errors = RNG.random(12)
    ids = [f"clip{i}" for i in range(12)]
    fig = plots.plot_recon_error_hist(errors, ids, groups=["train"] * 8 + ["validation"] * 4)
    check_figure(fig)
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert ids[int(errors.argmin())] in text and ids[int(errors.argmax())] in text


def test_codebook_figures():
    counts = np.array([50, 0, 3, 20, 0, 7, 1, 0])
    fig = plots.plot_codebook_usage(counts)
    check_figure(fig)
    assert "5 used" in fig.axes[0].get_title() and "3 dead" in fig.axes[0].get_title()
    check_figure(plots.plot_codebook_projection(RNG.normal(size=(8, 2)), counts, method="t-SNE"))
    codes = RNG.integers(0, 8, size=(4, 16))
    fig = plots.plot_code_map(RNG.uniform(-0.9, 0.9, (16, 32)), codes, title="validation: c")
    check_figure(fig)
    mel_ax, code_ax = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    assert mel_ax.get_xlim() == code_ax.get_xlim() == (0.0, 32.0)


def test_code_tag_heatmap_shows_all_tags_and_the_planted_code():
    lift = np.ones((len(TAGS), 64))
    lift[5, 40] = 8.0
    fig = plots.plot_code_tag_heatmap(lift, TAGS, top_k=10)
    check_figure(fig)
    check_tags_inside(fig, TAGS)
    assert fig.axes[0].get_xticklabels()[0].get_text() == "40"


def test_tagging_curves():
    rows = [{"scope": "step", "epoch": s // 5, "step": s, "loss": 1 / (s + 1), "bce": 1 / (s + 1)}
            for s in range(15)]
    rows += [{"scope": "epoch", "epoch": e, "step": 5 * (e + 1), "val_loss": 0.5,
              "val_roc_auc_macro": 0.6 + 0.05 * e, "val_pr_auc_macro": 0.1 + 0.02 * e}
             for e in range(3)]
    fig = plots.plot_tagging_curves(pd.DataFrame(rows), best_epoch=2)
    check_figure(fig)
    assert any(line.get_linestyle() == "--" and line.get_xdata()[0] == 3
               for line in fig.axes[1].lines)


def test_per_tag_stays_readable_for_56_tags():
    per_tag = pd.DataFrame({"tag": TAGS, "roc_auc": RNG.uniform(0.4, 0.9, 56),
                            "pr_auc": RNG.uniform(0.0, 0.4, 56)})
    fig = plots.plot_per_tag(per_tag)
    check_figure(fig)
    check_tags_inside(fig, TAGS)


def test_pr_curves_pick_the_best_and_worst_tags():
    y_true = RNG.random((60, 5)) < 0.3
    y_score = RNG.random((60, 5))
    y_score[:, 2] = y_true[:, 2] + 0.1 * RNG.random(60)  # tag 2 is predicted perfectly
    y_true[:, 4] = False  # no positives: left out
    tags = ["a", "b", "c", "d", "e"]
    fig = plots.plot_pr_curves(y_true, y_score, tags, n=2)
    check_figure(fig)
    best = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert best[0].startswith("c (AP 1.000")
    legend_text = " ".join(t.get_text() for ax in fig.axes if ax.get_legend()
                           for t in ax.get_legend().get_texts())
    assert "e (" not in legend_text


def test_dead_codes_are_named_by_index_and_per_tag_panels_share_their_order():
    counts = np.array([5, 0, 9, 0, 1])
    fig = plots.plot_codebook_usage(counts)
    (legend,) = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == "2 dead codes: 1, 3"
    per_tag = pd.DataFrame({"tag": ["a", "b", "c"], "roc_auc": [0.9, 0.6, 0.8],
                            "pr_auc": [0.3, 0.9, 0.5]})
    fig = plots.plot_per_tag(per_tag)
    rows = [[t.get_text() for t in ax.get_yticklabels()] for ax in fig.axes]
    assert rows[0] == rows[1] == ["a", "c", "b"]
    assert all(ax.get_legend() is None for ax in fig.axes)  # nothing drawn over the bars


def test_an_all_zero_loss_is_left_out_and_said():
    log = pd.DataFrame({"scope": "step", "epoch": 0, "step": [1, 2, 3],
                        "recon": [0.3, 0.2, 0.1], "codebook": 0.0, "commitment": [0.1, 0.05, 0.02]})
    fig = plots.plot_pretrain_losses(log)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["recon", "commitment"]
    assert legend.get_title().get_text() == "codebook: 0 throughout, not drawn"
