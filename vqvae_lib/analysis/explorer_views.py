"""The widgets of ``explore(run)``: the Codes view and the Clips view (see
``explorer_panel`` for what each shows). Each view redraws in one callback; the data
come from ``ExplorerData``."""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from .explorer import (
    FRAMES_PER_CELL,
    clips_by_use,
    code_occurrences,
    decode_edited,
    mean_patch,
    render_code,
)
from .explorer_panel import (
    SNIPPETS,
    TOP_TAGS,
    ExplorerData,
    clip_figure,
    code_figure,
    headless,
    wav_bytes,
)

BY_USE = "most used"


def _player(y: np.ndarray, sr: int, label: str) -> w.Widget:
    return w.VBox([w.Label(label), w.Audio(value=wav_bytes(y, sr), format="wav",
                                           autoplay=False, loop=False)])


def codes_view(data: ExplorerData) -> w.Widget:
    c, sr = data.cache, data.feature_config.sample_rate
    total = c.counts.sum(axis=0)
    order = w.Dropdown(options=[BY_USE, *[f"lift for {t}" for t in c.tags]], value=BY_USE,
                       description="sort by")
    codes = w.Select(rows=10, description="code")
    info, image = w.HTML(), w.Image(format="png")
    players = w.HBox()
    latent = tuple(c.indices.shape[1:])

    def fill(_: object = None) -> None:
        if order.value == BY_USE:
            ranked = np.argsort(-total, kind="stable")
            labels = [f"{k}: {total[k]} uses" for k in ranked]
        else:
            t = list(c.tags).index(order.value.removeprefix("lift for "))
            ranked = np.argsort(-c.lift[t], kind="stable")
            labels = [f"{k}: lift {c.lift[t, k]:.2f}" for k in ranked]
        codes.options = list(zip(labels, [int(k) for k in ranked]))
        codes.value = int(ranked[0])

    def show(_: object = None) -> None:
        k = codes.value
        if k is None:
            return
        uses = ", ".join(f"{s} {n}" for s, n in zip(c.SPLITS, c.counts[:, k]))
        typical = ""
        if len(c.tags):
            best = np.argsort(-c.lift[:, k])[:TOP_TAGS]
            typical = "; typical of " + ", ".join(f"{c.tags[t]} ({c.lift[t, k]:.2f})"
                                                  for t in best)
        info.value = f"<b>code {k}</b>: used {total[k]} times ({uses}){typical}"
        occ = code_occurrences(c.indices, k)
        patches = []
        for split, feats in data.features.items():
            mine = occ[c.splits[occ[:, 0]] == split] if len(occ) else occ
            if len(mine):
                rows = c.rows[mine[:, 0]]
                patches.append((mean_patch(feats, np.column_stack([rows, mine[:, 1:]]),
                                           latent[0]), len(mine)))
        patch = (sum(p * n for p, n in patches) / sum(n for _, n in patches) if patches
                 else np.full((1, 1), np.nan, np.float32))
        rendering = render_code(data.model, k, (latent[0], data.render_width()))
        image.value = code_figure(patch, rendering, k)
        row = [_player(data.audio(rendering), sr, "decoder's picture")]
        for clip in clips_by_use(c.indices, k)[:SNIPPETS]:
            t = int(np.argwhere(c.indices[clip] == k)[0][1])
            row.append(_player(data.snippet(clip, t), sr, f"{c.ids[clip]} @ frame "
                                                          f"{t * FRAMES_PER_CELL}"))
        players.children = row

    fill()
    show()
    # observed only now: building the view draws it once, not once per widget it fills
    order.observe(fill, "value")
    codes.observe(show, "value")
    return w.VBox([w.HBox([order, codes]), info, image, players])


def clips_view(data: ExplorerData) -> w.Widget:
    c, cfg = data.cache, data.feature_config
    sr = cfg.sample_rate
    tag = w.Dropdown(options=["any tag", *c.tags], description="tag")
    clip = w.Dropdown(description="clip")
    seconds = len(data.mel(0)[0]) * cfg.hop_length / sr
    stretch = w.FloatRangeSlider(value=(0.0, min(seconds, 3.0)), min=0.0, max=seconds,
                                 step=0.1, description="stretch (s)")
    code = w.Dropdown(description="what if code")
    becomes = w.Dropdown(description="becomes")
    image, players = w.Image(format="png"), w.HBox()

    def fill(_: object = None) -> None:
        pick = (np.arange(len(c.ids)) if tag.value == "any tag"
                else np.flatnonzero(c.labels[:, list(c.tags).index(tag.value)]))
        clip.options = [(f"{c.ids[i]} ({c.splits[i]})", int(i)) for i in pick]
        clip.value = int(pick[0]) if len(pick) else None

    refilling = [False]  # a new clip resets the edit: draw it once, not per widget

    def codes_of(_: object = None) -> None:
        if clip.value is None:
            return
        refilling[0] = True
        present = sorted(set(int(k) for k in np.unique(c.indices[clip.value])))
        code.options = [("none", -1)] + [(str(k), k) for k in present]
        code.value = -1
        if not becomes.options:
            becomes.options = [("mask", -1)] + [(str(k), k) for k in range(c.K)]
            becomes.value = -1
        refilling[0] = False
        show()

    def show(_: object = None) -> None:
        i = clip.value
        if i is None or refilling[0]:
            return
        mel, codes = data.mel(i), c.indices[i].astype(np.int64)
        x_hat, edited = decode_edited(data.model, codes, max(code.value or 0, 0),
                                      None if becomes.value in (-1, None) else becomes.value)
        changed = code.value not in (-1, None)
        image.value = clip_figure(mel, codes, edited if changed else None,
                                  f"{c.ids[i]} ({c.splits[i]}): input log-mel")
        # Griffin-Lim only over the stretch: a click inverts seconds of audio, not a clip.
        start, end = stretch.value
        lo, hi = (int(round(s * sr / cfg.hop_length)) for s in (start, end))
        hi = max(hi, lo + 2)
        row = [_player(data.original(i, 0.0, len(mel[0]) * cfg.hop_length / sr), sr,
                       "input (the file)"),
               _player(data.audio(x_hat[:, lo:hi]), sr, "reconstruction (stretch)"),
               _player(data.original(i, start, end), sr, "the stretch alone")]
        if changed:
            row.append(_player(data.audio(edited[:, lo:hi]), sr, "after the edit (stretch)"))
        players.children = row

    fill()
    codes_of()
    tag.observe(fill, "value")
    clip.observe(codes_of, "value")
    for widget in (stretch, code, becomes):
        widget.observe(show, "value")
    return w.VBox([w.HBox([tag, clip]), w.HBox([stretch, code, becomes]), image, players])


def build_panel(data: ExplorerData) -> w.Widget:
    """The two views in tabs."""
    tabs = w.Tab(children=[codes_view(data), clips_view(data)])
    tabs.set_title(0, "Codes")
    tabs.set_title(1, "Clips")
    return tabs


def explore(run: object) -> w.Widget | None:
    """The explorer panel of ``run`` (a ``runs.Run``), or None where it cannot show."""
    if headless():
        print("explore(run): an interactive panel; open this notebook in JupyterLab "
              "(make lab) and run this cell there to pick codes and clips")
        return None
    return build_panel(ExplorerData.open(run))


__all__ = ["build_panel", "clips_view", "codes_view", "explore"]
