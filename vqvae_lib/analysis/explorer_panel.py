"""What ``explore(run)`` (in ``explorer_views``) shows, and the data and pictures behind it.

An ipywidgets panel over a finished pretraining (any run after 02, or a copy of its
folder), with two views:

- **Codes**: a code picked from a list sorted by use, or by lift for a tag. Its uses per
  split, the tags it is typical of, the mean log-mel under its occurrences beside the
  decoder's picture of a latent filled with it, and what both sound like: that picture
  (Griffin-Lim) and the original audio around its most frequent occurrences, in a row.
- **Clips**: a clip picked by id, or among a tag's clips. Its code map over the mel,
  input and reconstruction with players, a stretch played alone, and "what if": one of
  its codes replaced by another, or masked, heard and seen through the decoder.

What every view needs of every clip is encoded once and kept in the run folder
(``RunPaths.EXPLORER``); a click then decodes one latent and inverts one short mel.
Where no widget front-end can show it (``vqvae-kit run``, nbval, plain Python) the call
prints one line saying how to open it, and returns None.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..settings.registry import RunPaths
from ..utils.progress import HEADLESS_ENV, RUNNER_ENV, in_kernel
from ..utils.provenance import file_sha256
from .explorer import (
    FRAMES_PER_CELL,
    ExplorerCache,
    build_cache,
    snippet_times,
)

GRIFFIN_LIM_ITERS = 16  # enough to hear a texture; each click inverts a short mel
SNIPPETS = 4
RENDER_SECONDS = 3.0  # the decoder's picture of one code: a few seconds show its texture
TOP_TAGS = 5


def headless() -> bool:
    """True where a widget cannot be shown (see the module docstring)."""
    return bool(os.environ.get(RUNNER_ENV) or os.environ.get(HEADLESS_ENV)) or not in_kernel()


@dataclass
class ExplorerData:
    """A run's VQ-VAE, its pretraining features and the cache, ready for the views."""

    model: Any
    features: dict[str, np.ndarray]  # split -> memory-mapped [N_listed, n_mels, T]
    cache: ExplorerCache
    feature_config: Any
    folder: Path

    @classmethod
    def open(cls, run: Any) -> ExplorerData:
        """Load what ``run`` (a ``runs.Run``) needs; build or reuse its cache."""
        from ..features.store import FeatureStore
        from ..models.vqvae import VQVAE

        checkpoint = RunPaths(run.step_dir("pretrain")).checkpoint("pretrain")
        model = VQVAE.from_checkpoint(checkpoint, "cpu")
        store = FeatureStore(run.features_dir("pretrain"))
        sha = file_sha256(checkpoint)
        path = run.paths.explorer
        cache = ExplorerCache.load(path) if path.exists() else None
        if cache is None or cache.checkpoint_sha != sha:
            cache = build_cache(model, store, sha)
            cache.save(path)
        features = {s: store.split(s).features for s in ExplorerCache.SPLITS}
        return cls(model, features, cache, run.params.features, run.dir)

    def render_width(self) -> int:
        """Latent columns of the decoder's picture of a code: ``RENDER_SECONDS`` of
        frames, or the whole latent when it is shorter."""
        cfg = self.feature_config
        cells = int(np.ceil(RENDER_SECONDS * cfg.sample_rate / cfg.hop_length
                            / FRAMES_PER_CELL))
        return min(int(self.cache.indices.shape[2]), cells)

    def mel(self, clip: int) -> np.ndarray:
        """Clip ``clip``'s scaled log-mel float32 ``[n_mels, T]``."""
        c = self.cache
        return np.asarray(self.features[str(c.splits[clip])][int(c.rows[clip])], np.float32)

    def audio(self, mel: np.ndarray) -> np.ndarray:
        from ..features.logmel import mel_to_audio

        return mel_to_audio(mel, self.feature_config, GRIFFIN_LIM_ITERS, exact=False)

    def original(self, clip: int, start: float, end: float) -> np.ndarray:
        """Seconds ``[start, end)`` of ``clip``'s audio file, as the features heard it
        (Griffin-Lim of the mel there when the file cannot be read any more)."""
        from ..features.logmel import AudioError, load_audio

        cfg = self.feature_config
        try:
            y = load_audio(self.cache.paths[clip], cfg.sample_rate, end)
            return y[int(start * cfg.sample_rate):]
        except AudioError:
            lo, hi = (int(round(s * cfg.sample_rate / cfg.hop_length)) for s in (start, end))
            return self.audio(self.mel(clip)[:, lo:max(hi, lo + 2)])

    def snippet(self, clip: int, t: int) -> np.ndarray:
        """The original audio around latent column ``t`` of ``clip``."""
        cfg = self.feature_config
        return self.original(clip, *snippet_times(t, cfg.hop_length, cfg.sample_rate))


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(y, np.float32), -1, 1), int(sr), format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


def png_bytes(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def code_figure(patch: np.ndarray, rendering: np.ndarray, code: int) -> bytes:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 2.6), width_ratios=[1, 3])
    axes[0].imshow(patch, origin="lower", aspect="auto", cmap="magma")
    axes[0].set_title(f"mean log-mel under code {code}")
    axes[1].imshow(rendering, origin="lower", aspect="auto", cmap="magma")
    axes[1].set_title(f"decoder's picture of a latent filled with code {code}")
    for ax in axes:
        ax.set_xlabel("frame")
    axes[0].set_ylabel("mel band (in its latent row)")
    return png_bytes(fig)


def clip_figure(mel: np.ndarray, codes: np.ndarray, other: np.ndarray | None,
                title: str) -> bytes:
    import matplotlib.pyplot as plt

    rows = 2 if other is None else 3
    fig, axes = plt.subplots(rows, 1, figsize=(8, 1.9 * rows), sharex=True)
    axes[0].imshow(mel, origin="lower", aspect="auto", cmap="magma")
    axes[0].set_title(title)
    h, t = codes.shape
    axes[1].imshow(codes, origin="lower", aspect="auto", cmap="tab20", interpolation="nearest",
                   extent=(0, t * FRAMES_PER_CELL, 0, h))
    axes[1].set_ylabel("latent row")
    axes[1].set_title("code map")
    if other is not None:
        axes[2].imshow(other, origin="lower", aspect="auto", cmap="magma")
        axes[2].set_title("decoded after the edit")
    axes[-1].set_xlabel("frame")
    return png_bytes(fig)


__all__ = ["ExplorerData", "clip_figure", "code_figure", "headless", "wav_bytes"]
