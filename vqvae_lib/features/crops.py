"""Whole-clip training and prediction with crops (Won et al. 2020, short-chunk CNN).

Training reads one random crop of each clip per epoch; prediction averages the model's
outputs over the crops that tile the whole clip. Both wrap a dataset whose items are
``(x [..., T], y)`` with time on the last axis: stored log-mels ``[1, n_mels, T]`` or
cached code indices ``[H', T']``. Crop offsets depend only on (seed, epoch, clip), so a
resumed run, a run with DataLoader workers and a DDP rank all draw the same crops.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


def crop_offsets(total: int, crop: int, hop: int) -> list[int]:
    """Start positions of the crops that tile ``total`` steps at ``hop``; the last crop
    ends at the clip's end, so no part of the clip is left out.

    >>> crop_offsets(10, 4, 4)
    [0, 4, 6]
    """
    if crop >= total:
        return [0]
    starts = list(range(0, total - crop + 1, hop))
    if starts[-1] != total - crop:
        starts.append(total - crop)
    return starts


def _length(dataset: Dataset) -> int:
    """Time steps of the dataset's items (all items share one length)."""
    return int(dataset[0][0].shape[-1])


class RandomCrops(Dataset):
    """One random crop of ``crop`` time steps per clip, redrawn every epoch.

    Items: ``(x[..., crop], y)``. Call ``set_epoch(e)`` before epoch ``e`` (the trainer
    does).

    Args:
        base: the whole clips.
        crop: crop length in the items' time steps.
        seed: with the epoch and the clip's index, decides the offsets.
    """

    def __init__(self, base: Dataset, crop: int, seed: int = 0):
        self.base, self.crop, self.seed, self.epoch = base, int(crop), int(seed), 0
        self.labels = getattr(base, "labels", None)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.base[i]
        room = x.shape[-1] - self.crop
        start = 0 if room <= 0 else int(
            np.random.default_rng((self.seed, self.epoch, int(i))).integers(0, room + 1))
        return x[..., start:start + self.crop], y


class TiledCrops(Dataset):
    """Every crop that tiles each clip at ``hop`` (see ``crop_offsets``).

    Items: ``(x[..., crop], y)``, clip after clip. ``clip_index[k]`` is the clip of item
    ``k``; ``labels`` are the clips' labels (not repeated per crop), so metrics on the
    averaged scores (``average_by_clip``) line up with them.
    """

    def __init__(self, base: Dataset, crop: int, hop: int):
        self.base, self.crop = base, int(crop)
        self.labels = getattr(base, "labels", None)
        starts = crop_offsets(_length(base), self.crop, int(hop)) if len(base) else []
        self.items = [(c, s) for c in range(len(base)) for s in starts]
        self.clip_index = np.array([c for c, _ in self.items], dtype=np.int64)
        self.n_clips = len(base)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        clip, start = self.items[k]
        x, y = self.base[clip]
        return x[..., start:start + self.crop], y


def average_by_clip(scores: np.ndarray, clip_index: np.ndarray, n_clips: int) -> np.ndarray:
    """Mean of per-crop ``scores [M, n_tags]`` over each clip: ``[n_clips, n_tags]``."""
    sums = np.zeros((n_clips, scores.shape[1]), dtype=np.float64)
    np.add.at(sums, clip_index, scores)
    counts = np.bincount(clip_index, minlength=n_clips).clip(min=1)
    return (sums / counts[:, None]).astype(np.float32)


__all__ = ["RandomCrops", "TiledCrops", "average_by_clip", "crop_offsets"]
