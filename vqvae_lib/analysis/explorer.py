"""What one code means, and what one clip is made of: the data behind ``explore(run)``.

Every function here is plain arrays in, arrays out (the panel in ``explorer_panel``
draws them). The layout they share: a clip's scaled log-mel is ``[n_mels, T]``; its code
map is ``[H', T']`` with ``T' = T / 2`` (conv5 halves time), so latent cell ``(h, t)``
sits over mel bands ``[h * n_mels / H', (h + 1) * n_mels / H')`` and frames
``[2 t, 2 t + 2)``. A frame ``i`` is centred at ``i * hop / sr`` seconds (librosa's
centred frames), which is how ``snippet_times`` finds a code in the audio file.

``ExplorerCache`` is what a view needs of every clip, computed once per run (every clip
encoded once) and kept as ``explorer.npz`` in the run folder (``RunPaths.EXPLORER``);
it is rebuilt when the VQ-VAE checkpoint changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from .codebook import code_tag_lift

FRAMES_PER_CELL = 2  # conv5's stride in time


@dataclass(frozen=True)
class ExplorerCache:
    """Every clip of a run's pretraining features, encoded once.

    Attributes:
        ids, splits, paths: per clip, str ``[N]``.
        rows: int64 ``[N]``, the clip's row in its split's features array.
        indices: int16 ``[N, H', T']`` code maps.
        labels: bool ``[N, n_tags]``.
        tags: str ``[n_tags]``.
        lift: float64 ``[n_tags, K]`` (``codebook.code_tag_lift`` over all clips).
        counts: int64 ``[3, K]`` uses of each code in train, validation, test.
        checkpoint_sha: the VQ-VAE checkpoint the codes come from.
    """

    ids: np.ndarray
    splits: np.ndarray
    paths: np.ndarray
    rows: np.ndarray
    indices: np.ndarray
    labels: np.ndarray
    tags: np.ndarray
    lift: np.ndarray
    counts: np.ndarray
    checkpoint_sha: str

    SPLITS = ("train", "validation", "test")

    @property
    def K(self) -> int:
        return int(self.counts.shape[1])

    def save(self, path: Path) -> Path:
        np.savez(path, **{f.name: getattr(self, f.name) for f in fields(self)})
        return path

    @classmethod
    def load(cls, path: Path) -> ExplorerCache:
        with np.load(path, allow_pickle=False) as data:
            values = {f.name: data[f.name] for f in fields(cls)}
        values["checkpoint_sha"] = str(values["checkpoint_sha"])
        return cls(**values)


@torch.no_grad()
def encode_clips(model: torch.nn.Module, features: np.ndarray, batch_size: int = 16
                 ) -> np.ndarray:
    """Code maps of ``features`` float ``[N, n_mels, T]``: int16 ``[N, H', T']`` (fp32)."""
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(features), batch_size):
        x = torch.as_tensor(np.asarray(features[i:i + batch_size], dtype=np.float32))
        out.append(model.encode(x[:, None].to(device)).cpu().numpy().astype(np.int16))
    return np.concatenate(out) if out else np.zeros((0, 0, 0), np.int16)


def build_cache(model: torch.nn.Module, store, checkpoint_sha: str,
                batch_size: int = 16) -> ExplorerCache:
    """Encode every usable clip of a ``FeatureStore`` (all splits) once."""
    K = int(model.config.quantizer.codebook_size)
    parts = {k: [] for k in ("ids", "splits", "paths", "rows", "indices", "labels")}
    counts = np.zeros((3, K), np.int64)
    paths = store.index.set_index(["split", "id"])["path"]
    for s, split in enumerate(ExplorerCache.SPLITS):
        fs = store.split(split)
        if len(fs) == 0:
            continue
        idx = encode_clips(model, fs.features[fs.rows], batch_size)
        counts[s] = np.bincount(idx.ravel(), minlength=K)[:K]
        parts["ids"] += list(fs.ids)
        parts["splits"] += [split] * len(fs)
        parts["paths"] += [str(paths[(split, i)]) for i in fs.ids]
        parts["rows"].append(fs.rows)
        parts["indices"].append(idx)
        parts["labels"].append(np.asarray(fs.labels, bool).reshape(len(fs), -1))
    indices = np.concatenate(parts["indices"])
    labels = np.concatenate(parts["labels"])
    lift = code_tag_lift(indices.astype(np.int64), labels, K) if labels.shape[1] else \
        np.zeros((0, K))
    return ExplorerCache(np.array(parts["ids"], dtype=str), np.array(parts["splits"], dtype=str),
                         np.array(parts["paths"], dtype=str), np.concatenate(parts["rows"]),
                         indices, labels, np.array(store.tags, dtype=str), lift, counts,
                         checkpoint_sha)


def code_occurrences(indices: np.ndarray, code: int) -> np.ndarray:
    """Where ``code`` occurs in code maps ``[N, H', T']``: int64 ``[M, 3]`` rows of
    ``(clip, h, t)``, clip by clip, in reading order."""
    return np.argwhere(np.asarray(indices) == code).astype(np.int64)


def clips_by_use(indices: np.ndarray, code: int) -> np.ndarray:
    """Clips ordered by how often they use ``code`` (most first; unused clips left out):
    int64 ``[n]``."""
    per_clip = (np.asarray(indices) == code).reshape(len(indices), -1).sum(axis=1)
    order = np.argsort(-per_clip, kind="stable")
    return order[per_clip[order] > 0]


def cell_frames(t: int) -> tuple[int, int]:
    """The mel frames ``[start, stop)`` under latent column ``t``."""
    return t * FRAMES_PER_CELL, (t + 1) * FRAMES_PER_CELL


def snippet_times(t: int, hop_length: int, sample_rate: int, context: float = 0.5
                  ) -> tuple[float, float]:
    """Seconds ``(start, end)`` of the audio around latent column ``t``: its frames'
    centres (``i * hop / sr``), widened by ``context`` seconds on each side, from 0."""
    start, stop = cell_frames(t)
    seconds = hop_length / sample_rate
    return max(0.0, start * seconds - context), (stop - 1) * seconds + context


def mean_patch(features: np.ndarray, occurrences: np.ndarray, n_rows: int,
               width: int = 8, limit: int = 500) -> np.ndarray:
    """The mean scaled log-mel under the first ``limit`` occurrences of a code.

    Args:
        features: ``[N, n_mels, T]`` the clips the occurrences index (memory-mapped is fine).
        occurrences: ``[M, 3]`` from ``code_occurrences``.
        n_rows: the latent's ``H'``.
        width: frames shown either side of the cell's centre.

    Returns float32 ``[n_mels / H', 2 * width]``, NaN when there are no occurrences.
    """
    n_mels, frames = features.shape[1], features.shape[2]
    band = n_mels // n_rows
    out = np.zeros((band, 2 * width), np.float64)
    seen = 0
    for clip, h, t in occurrences[:limit]:
        centre = t * FRAMES_PER_CELL + FRAMES_PER_CELL // 2
        lo, hi = centre - width, centre + width
        if lo < 0 or hi > frames:
            continue
        out += features[clip, h * band:(h + 1) * band, lo:hi]
        seen += 1
    return (out / seen).astype(np.float32) if seen else np.full_like(out, np.nan, np.float32)


@torch.no_grad()
def render_code(model: torch.nn.Module, code: int, latent_shape: tuple[int, int]
                ) -> np.ndarray:
    """The decoder's picture of one code: a latent ``[H', T']`` filled with it, decoded.
    Returns float32 ``[n_mels, 2 T']``."""
    device = next(model.parameters()).device
    idx = torch.full((1, *latent_shape), int(code), dtype=torch.long, device=device)
    return model.decode_indices(idx)[0, 0].float().cpu().numpy()


@torch.no_grad()
def decode_edited(model: torch.nn.Module, indices: np.ndarray, code: int,
                  replacement: int | None) -> tuple[np.ndarray, np.ndarray]:
    """One clip's code map ``[H', T']`` decoded as it is and with ``code`` replaced by
    ``replacement`` (None: masked, its latent vectors set to zero) wherever it occurs.

    Returns ``(x_hat, x_hat_edited)``, float32 ``[n_mels, 2 T']`` each; the decoder is
    convolutional, so they differ only within its reach of the cells that changed.
    """
    device = next(model.parameters()).device
    idx = torch.as_tensor(np.asarray(indices, dtype=np.int64), device=device)[None]
    z_q = model.embed(idx)
    where = idx[0] == int(code)  # [H', T']
    edited = z_q.clone()
    if replacement is None:
        edited[0][:, where] = 0.0
    else:
        vector = model.embed(torch.tensor([[[int(replacement)]]], device=device))[0, :, 0, 0]
        edited[0][:, where] = vector[:, None]
    both = model.decode(torch.cat([z_q, edited]))[:, 0].float().cpu().numpy()
    return both[0], both[1]


__all__ = ["ExplorerCache", "FRAMES_PER_CELL", "build_cache", "cell_frames", "clips_by_use",
           "code_occurrences", "decode_edited", "encode_clips", "mean_patch", "render_code",
           "snippet_times"]
