"""The vector quantizer of the VQ-VAE bottleneck (van den Oord et al. 2017).

Two presets (their knobs, and how to read codebook usage: ``docs/quantizer.md``):

``paper``
    What the authors' code does: a learned codebook initialised
    U(-1/K, 1/K), nearest code by squared L2, straight-through gradient, and a codebook
    loss ``mse(z_q, sg(z_e))`` that moves the codes.
``improved``
    The usual fixes for codebook collapse (as in EnCodec and DAC): the codebook is an
    exponential moving average of the vectors assigned to each code (buffers, no
    gradient), k-means initialisation on the first training batch, restart of dead
    codes from current encoder outputs (resetting their EMA statistics too, so the
    next update cannot undo the restart), and an optional low-dimensional search space.

Both keep the nearest-code search and the EMA arithmetic in fp32 under autocast:
bf16 distances pick the wrong code for a few percent of vectors.

Layout of the file: the settings, pure helpers (distances, sampling, k-means, the
collectives), the EMA codebook (buffers only), then ``VectorQuantizer``.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from ..settings.models import QuantizerConfig


class QuantizerOutput(NamedTuple):
    """What ``VectorQuantizer.forward`` returns.

    Attributes:
        z_q: Tensor[B x D x H x T], the quantized latent; its value is the code vector,
            its gradient goes to ``z_e`` unchanged (straight-through).
        indices: LongTensor[B x H x T], the chosen codes.
        codebook_loss: scalar ``mse(z_q, sg(z_e))`` (paper preset; zero for EMA).
        commitment_loss: scalar ``mse(z_e, sg(z_q))``, unweighted (measured in the
            search space when ``projection_dim`` is set).
        stats: scalars of this batch (no gradient): ``perplexity``, ``used_codes``,
            ``dead_codes``, ``restarts``.
    """

    z_q: Tensor
    indices: Tensor
    codebook_loss: Tensor
    commitment_loss: Tensor
    stats: dict[str, Tensor]


# --------------------------------------------------------------------------- helpers


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def all_reduce_sum(t: Tensor) -> Tensor:
    """Sum ``t`` in place over all processes (a no-op outside torch.distributed)."""
    if _distributed():
        dist.all_reduce(t)
    return t


def broadcast_from_first(t: Tensor) -> Tensor:
    """Overwrite ``t`` in place with rank 0's copy (a no-op outside torch.distributed)."""
    if _distributed():
        dist.broadcast(t, src=0)
    return t


def fp32_region(device: torch.device) -> contextlib.AbstractContextManager:
    """Autocast switched off on ``device`` (nothing to switch off on e.g. ``meta``)."""
    if torch.amp.is_autocast_available(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


def squared_distances(x: Tensor, codes: Tensor) -> Tensor:
    """Squared L2 distances in the expanded form ``|x|^2 - 2 x.e + |e|^2``.

    One matrix product instead of an [N x K x D] difference tensor.

    Parameters
    ----------
    x : Tensor[N x D]
    codes : Tensor[K x D]

    Returns
    -------
    Tensor[N x K]
    """
    x_sq = x.pow(2).sum(1, keepdim=True)
    e_sq = codes.pow(2).sum(1)
    return torch.addmm(x_sq + e_sq, x, codes.t(), alpha=-2.0)


def nearest_code(x: Tensor, codes: Tensor) -> Tensor:
    """Index of the nearest code of each row: Tensor[N x D], Tensor[K x D] -> LongTensor[N]."""
    return squared_distances(x, codes).argmin(1)


def code_counts(indices: Tensor, k: int) -> Tensor:
    """Hits per code: LongTensor[N] -> Tensor[K] (fp32)."""
    counts = torch.zeros(k, device=indices.device, dtype=torch.float32)
    return counts.index_add_(0, indices, torch.ones_like(indices, dtype=torch.float32))


def code_sums(x: Tensor, indices: Tensor, k: int) -> Tensor:
    """Sum of the rows assigned to each code: Tensor[N x D], LongTensor[N] -> Tensor[K x D]."""
    return x.new_zeros(k, x.shape[1]).index_add_(0, indices, x)


def sample_vectors(x: Tensor, n: int) -> Tensor:
    """``n`` random rows of ``x`` (without replacement when there are enough).

    Tensor[N x D] -> Tensor[n x D]
    """
    if x.shape[0] >= n:
        pick = torch.randperm(x.shape[0], device=x.device)[:n]
    else:
        pick = torch.randint(0, x.shape[0], (n,), device=x.device)
    return x[pick]


def kmeans(x: Tensor, k: int, iters: int) -> tuple[Tensor, Tensor]:
    """Lloyd's k-means over the rows of ``x`` on all processes together.

    The starting centroids are rank 0's samples; each iteration sums the assignments
    of every process, so all ranks end with the same centroids.

    Parameters
    ----------
    x : Tensor[N x D] (fp32)

    Returns
    -------
    centroids : Tensor[K x D]
    counts : Tensor[K], rows assigned to each centroid by the last assignment
    """
    centroids = broadcast_from_first(sample_vectors(x, k).contiguous())
    counts = x.new_zeros(k)
    for _ in range(iters):
        indices = nearest_code(x, centroids)
        counts = all_reduce_sum(code_counts(indices, k))
        sums = all_reduce_sum(code_sums(x, indices, k))
        # An empty cluster keeps its centroid; the dead-code restart deals with it.
        centroids = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None],
                                centroids)
    return centroids, counts


def ema_(average: Tensor, new: Tensor, decay: float) -> None:
    """``average <- decay * average + (1 - decay) * new``, in place."""
    average.mul_(decay).add_(new, alpha=1.0 - decay)


def laplace_smoothed(counts: Tensor, eps: float) -> Tensor:
    """Cluster sizes with additive smoothing, so no code divides by zero; same total."""
    total = counts.sum()
    return (counts + eps) / (total + counts.numel() * eps) * total


def codebook_perplexity(counts: Tensor) -> Tensor:
    """exp(entropy) of the code histogram: K when all codes are equally used, 1 at collapse."""
    probs = counts / counts.sum().clamp(min=1)
    return torch.exp(-(probs * torch.log(probs.clamp(min=1e-10))).sum())


# --------------------------------------------------------------------------- EMA codebook


class EMACodebook(nn.Module):
    """A codebook kept as the EMA of the vectors assigned to each code (buffers only).

    ``embed = embed_sum / laplace_smoothed(cluster_size)``, updated once per training
    step after the batch was quantised with the previous codebook.

    Args:
        k: number of codes.
        dim: dimension of the codes (the search space).
        decay: EMA decay.
        eps: Laplace smoothing.
        kmeans_iters: 0 for no k-means init, else its Lloyd iterations.
        dead_code_threshold: EMA cluster size below which a code is restarted.
    """

    def __init__(self, k: int, dim: int, decay: float, eps: float, kmeans_iters: int,
                 dead_code_threshold: float):
        super().__init__()
        self.k, self.decay, self.eps = k, decay, eps
        self.kmeans_iters, self.threshold = kmeans_iters, dead_code_threshold
        embed = torch.empty(k, dim).uniform_(-1.0 / k, 1.0 / k)
        self.register_buffer("initialized", torch.tensor(kmeans_iters == 0))
        # Sizes start at one, never zero: zero counts make the first update blow up
        # the codes that got no hits.
        self.register_buffer("cluster_size", torch.ones(k))
        self.register_buffer("embed_sum", embed.clone())
        self.register_buffer("embed", embed)

    @torch.no_grad()
    def init_from(self, x: Tensor) -> None:
        """k-means on ``x`` (Tensor[N x dim], fp32) of all ranks; sets all buffers."""
        centroids, counts = kmeans(x, self.k, self.kmeans_iters)
        self.embed.copy_(centroids)
        self.cluster_size.copy_(counts)
        self.embed_sum.copy_(centroids * counts[:, None])
        self.initialized.fill_(True)

    @torch.no_grad()
    def update(self, x: Tensor, indices: Tensor) -> tuple[Tensor, Tensor]:
        """One EMA step from a batch already quantised, then restart dead codes.

        Parameters
        ----------
        x : Tensor[N x dim] (fp32), this rank's search-space vectors
        indices : LongTensor[N], their codes under the codebook before this update

        Returns
        -------
        dead : Tensor[], codes below the threshold after the update (all restarted)
        counts : Tensor[K], hits per code summed over all ranks
        """
        counts = all_reduce_sum(code_counts(indices, self.k))
        sums = all_reduce_sum(code_sums(x, indices, self.k))
        ema_(self.cluster_size, counts, self.decay)
        ema_(self.embed_sum, sums, self.decay)
        self.embed.copy_(self.embed_sum / laplace_smoothed(self.cluster_size, self.eps)[:, None])

        # Restart: every rank draws, rank 0's draw wins, and the broadcast runs every
        # step whether or not a code died, so no rank can skip a collective.
        dead = self.cluster_size < self.threshold
        fresh = broadcast_from_first(sample_vectors(x, self.k).contiguous())
        self.embed.copy_(torch.where(dead[:, None], fresh, self.embed))
        # Reset the statistics too: with the old sum kept, the next update would pull
        # the code straight back to where it died.
        self.embed_sum.copy_(torch.where(dead[:, None], fresh * self.threshold, self.embed_sum))
        self.cluster_size.masked_fill_(dead, self.threshold)
        return dead.sum(), counts


# --------------------------------------------------------------------------- quantizer


class VectorQuantizer(nn.Module):
    """Nearest-code quantisation of a latent map, with straight-through gradient.

    Args:
        dim: latent dimension D (channels of ``z_e``).
        config: preset and sizes.

    Example::

        vq = VectorQuantizer(256, QuantizerConfig(preset="improved"))
        out = vq(z_e)                      # z_e: Tensor[B, 256, H, T]
        loss = recon + out.codebook_loss + vq.config.beta * out.commitment_loss
    """

    def __init__(self, dim: int, config: QuantizerConfig):
        super().__init__()
        self.dim, self.config = dim, config
        k = config.codebook_size
        self.search_dim = config.projection_dim or dim
        if config.projection_dim is not None:
            self.project_in: nn.Module = nn.Linear(dim, config.projection_dim)
            self.project_out: nn.Module = nn.Linear(config.projection_dim, dim)
        else:
            self.project_in = self.project_out = nn.Identity()
        if config.preset == "paper":
            self.embedding = nn.Embedding(k, dim)
            nn.init.uniform_(self.embedding.weight, -1.0 / k, 1.0 / k)
            self.ema: EMACodebook | None = None
        else:
            self.embedding = None
            self.ema = EMACodebook(
                k, self.search_dim, config.ema_decay, config.ema_eps,
                config.kmeans_iters if config.use_kmeans else 0, config.dead_code_threshold)

    # -- codebook views ----------------------------------------------------------------
    def _codes(self) -> Tensor:
        """Tensor[K x search_dim] in fp32: the vectors the search compares against."""
        return (self.embedding.weight if self.ema is None else self.ema.embed).float()

    @property
    def codebook(self) -> Tensor:
        """Tensor[K x D]: the code vectors in the latent space (mapped back if projected)."""
        codes = self._codes()
        with fp32_region(codes.device):
            return self.project_out(codes)

    def _flatten(self, z_e: Tensor) -> Tensor:
        """Tensor[B x D x H x T] -> Tensor[B*H*T x search_dim] in fp32 (autocast off)."""
        flat = z_e.float().permute(0, 2, 3, 1).reshape(-1, self.dim)
        return self.project_in(flat)

    def _unflatten(self, flat: Tensor, like: Tensor) -> Tensor:
        """Tensor[B*H*T x D] -> Tensor[B x D x H x T] in the memory format of ``like``."""
        b, _, h, t = like.shape
        z = flat.reshape(b, h, t, self.dim).permute(0, 3, 1, 2)
        channels_last = not like.is_contiguous() and like.is_contiguous(
            memory_format=torch.channels_last)
        return z.contiguous(memory_format=torch.channels_last if channels_last
                            else torch.contiguous_format)

    @torch.no_grad()
    def nearest(self, z_e: Tensor) -> Tensor:
        """Codes of a latent map, without updating anything.

        Tensor[B x D x H x T] -> LongTensor[B x H x T]
        """
        b, _, h, t = z_e.shape
        with fp32_region(z_e.device):
            return nearest_code(self._flatten(z_e), self._codes()).reshape(b, h, t)

    def embed(self, indices: Tensor) -> Tensor:
        """Code vectors of given indices: LongTensor[B x H x T] -> Tensor[B x D x H x T]."""
        with fp32_region(indices.device):
            flat = self.project_out(F.embedding(indices.reshape(-1), self._codes()))
        b, h, t = indices.shape
        return flat.reshape(b, h, t, self.dim).permute(0, 3, 1, 2).contiguous()

    # -- forward -----------------------------------------------------------------------
    def forward(self, z_e: Tensor) -> QuantizerOutput:
        """Quantise ``z_e`` : Tensor[B x D x H x T]; see ``QuantizerOutput``.

        In training mode the improved preset first k-means-initialises the codebook
        (once), quantises with the codebook as it was, then updates it by EMA and
        restarts dead codes. Eval mode changes nothing.
        """
        b, _, h, t = z_e.shape
        k = self.config.codebook_size
        with fp32_region(z_e.device):
            z = self._flatten(z_e)
            ema = self.ema
            if ema is not None and self.training and not bool(ema.initialized):
                ema.init_from(z.detach())
            codes = self._codes()
            with torch.no_grad():
                indices = nearest_code(z.detach(), codes)
            q = F.embedding(indices, codes)
            commitment_loss = F.mse_loss(z, q.detach())
            if ema is None:
                codebook_loss = F.mse_loss(q, z.detach())
            else:
                codebook_loss = z.new_zeros(())
            # Straight-through written so that the value is exactly q (z - sg(z) is
            # exactly zero) and the gradient of z_q reaches z unchanged.
            z_st = q.detach() + (z - z.detach())
            z_q = self._unflatten(self.project_out(z_st), z_e).to(z_e.dtype)

            with torch.no_grad():
                restarts = z.new_zeros((), dtype=torch.long)
                if ema is not None and self.training:
                    restarts, _ = ema.update(z.detach(), indices)
                counts = code_counts(indices, k)
                if ema is None:
                    dead = (counts == 0).sum()
                elif self.training:
                    dead = restarts  # every code that died this step was restarted
                else:
                    dead = (ema.cluster_size < ema.threshold).sum()
                stats = {"perplexity": codebook_perplexity(counts),
                         "used_codes": (counts > 0).sum(),
                         "dead_codes": dead,
                         "restarts": restarts}
        return QuantizerOutput(z_q, indices.reshape(b, h, t), codebook_loss, commitment_loss,
                               stats)

    def extra_repr(self) -> str:
        c = self.config
        proj = f", projection_dim={c.projection_dim}" if c.projection_dim else ""
        return f"dim={self.dim}, preset={c.preset!r}, codebook_size={c.codebook_size}{proj}"


__all__ = [ "QuantizerOutput", "VectorQuantizer", "EMACodebook",
           "codebook_perplexity", "kmeans", "squared_distances"]
