"""``explore(run)`` on the tiny run: the cache is made once and reused, both views answer
a pick with a new picture and new audio, and with no widget front-end the call prints
one line."""

from __future__ import annotations

import time

import numpy as np

from vqvae_lib.analysis.explorer import ExplorerCache
from vqvae_lib.analysis.explorer_panel import ExplorerData
from vqvae_lib.analysis.explorer_views import build_panel, explore


def _audio(box):
    return [child.children[1].value for child in box.children]


def test_both_views_answer_a_pick(tiny_pretrained):
    run = tiny_pretrained.run(tiny_pretrained.tiny)
    data = ExplorerData.open(run)
    assert run.paths.explorer.exists()
    cache = ExplorerCache.load(run.paths.explorer)
    assert cache.indices.shape[0] == sum(cache.counts.sum(axis=1)) // int(
        np.prod(cache.indices.shape[1:]))
    mtime = run.paths.explorer.stat().st_mtime_ns
    ExplorerData.open(run)
    assert run.paths.explorer.stat().st_mtime_ns == mtime  # reused, not rebuilt

    panel = build_panel(data)
    codes, clips = panel.children
    order, select = codes.children[0].children
    image, players = codes.children[2], codes.children[3]
    first_image, first_audio = image.value, _audio(players)
    assert first_image[:4] == b"\x89PNG" and all(a[:4] == b"RIFF" for a in first_audio)
    assert len(first_audio) >= 2  # the decoder's picture and at least one snippet
    start = time.perf_counter()
    select.value = select.options[1][1]
    print(f"codes view: {time.perf_counter() - start:.2f} s per pick")
    assert image.value != first_image and _audio(players)[0] != first_audio[0]
    order.value = order.options[1]  # sorted by lift for the first tag
    assert "lift" in select.options[0][0]

    tag, clip = clips.children[0].children
    stretch, code, becomes = clips.children[1].children
    before = clips.children[2].value
    start = time.perf_counter()
    code.value = code.options[1][1]
    becomes.value = -1  # mask it
    print(f"clips view: {time.perf_counter() - start:.2f} s per edit")
    assert clips.children[2].value != before
    assert len(clips.children[3].children) == 4  # input, reconstruction, stretch, edit


def test_without_a_widget_front_end_explore_prints_one_line(tiny_pretrained, capsys):
    run = tiny_pretrained.run(tiny_pretrained.tiny)
    assert explore(run) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "JupyterLab" in out
