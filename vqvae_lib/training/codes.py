"""The fixed encoder's codes, computed once per clip and kept on disk.

With ``tag.encoder: fixed`` the encoder and codebook never change while the tagger
trains, so every clip is encoded once and its code indices are stored
(``tag/codes/<split>.npy``, uint16 ``[N, H', T']``, a few KB per clip); an epoch then
only looks codes up in the frozen codebook and never runs the encoder. A tagger that
reads ``z_e`` beside ``z_q`` (``tag.latent: z_q+z_e``) gets the encoder's output itself
(``tag/z_e/<split>.npy``, float32 ``[N, D, H', T']``): its codes are the nearest ones to
those numbers, so nothing else needs storing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..features.store import FeatureSplit
from ..models.vqvae import VQVAE
from ..utils.progress import progress_bar


class CodeSplit(Dataset):
    """Cached code indices (or encoder outputs) of one split with their labels.

    Items: ``(codes: LongTensor[H', T'] or z_e: Tensor[D, H', T'], y: Tensor[n_tags])``.
    """

    def __init__(self, codes: np.ndarray, labels: np.ndarray):
        self.codes, self.labels = codes, labels
        self.dtype = np.int64 if codes.dtype == np.uint16 else np.float32

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.from_numpy(self.codes[i].astype(self.dtype)),
                torch.from_numpy(self.labels[i].astype(np.float32)))


@torch.no_grad()
def cache_codes(vqvae: VQVAE, split: FeatureSplit, path: Path, source: str,
                batch_size: int = 16, progress: bool = True, z_e: bool = False) -> np.ndarray:
    """Encode every clip of ``split`` once; returns (and stores) ``uint16 [N, H', T']``,
    or with ``z_e`` the encoder's output, ``float32 [N, D, H', T']``.

    ``source`` identifies the encoder (the sha256 of its checkpoint); it is written
    beside the codes (``<split>.json``), and cached codes are reused only when it and
    the shape match, so a re-pretrained VQ-VAE never feeds a tagger its old codes.
    """
    d, h, t = vqvae.latent_shape(split[0][0].shape[-1]) if len(split) else (0, 0, 0)
    shape, dtype = ((len(split), d, h, t), np.float32) if z_e else ((len(split), h, t), np.uint16)
    sidecar = path.with_suffix(".json")
    if path.exists() and sidecar.exists():
        try:
            made_by = json.loads(sidecar.read_text()).get("encoder_checkpoint_sha256")
        except json.JSONDecodeError:
            made_by = None
        codes = np.load(path, mmap_mode="r")
        if made_by == source and codes.shape == shape:
            return codes
        del codes
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar.unlink(missing_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
    vqvae.eval()
    device = next(vqvae.parameters()).device
    loader = DataLoader(split, batch_size=batch_size, shuffle=False)
    row = 0
    for x, _ in progress_bar(loader, desc=f"encode {path.stem}", disable=not progress, leave=False,
                             mininterval=1.0):
        latent = vqvae.encode_latent(x.to(device))
        rows = latent if z_e else vqvae.quantizer.nearest(latent)
        out[row:row + len(rows)] = rows.cpu().numpy()
        row += len(rows)
    out.flush()
    del out
    tmp.replace(path)
    sidecar.write_text(json.dumps({"encoder_checkpoint_sha256": source,
                                   "shape": list(shape)}) + "\n")
    return np.load(path, mmap_mode="r")
