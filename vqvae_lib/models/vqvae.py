"""The VQ-VAE of Hung et al. (MediaEval 2019), section 2.3.1 of the paper.

A 2-D convolutional encoder halves the mel axis four times with time-dilated
convolutions, a fifth convolution halves time and leaves 4 rows (Type-1) or 1 row
(Type-2), the latent is vector-quantised, and a transposed-convolution decoder
rebuilds the ``[-0.9, 0.9]``-scaled log-mel (tanh output), layer by layer as the
paper's tables give them (``Encoder``, ``Decoder``). Fully convolutional in time: any
even number of frames T gives T' = T / 2.

Shapes at the paper's size (``n_mels`` 128, T 1024, ``channels`` 256)::

    x    : Tensor[B x 1 x 128 x 1024]
    z_e  : Tensor[B x 256 x 4 x 512]     (Type-2: B x 256 x 1 x 512)
    codes: LongTensor[B x 4 x 512]       (Type-2: B x 1 x 512)
    x_hat: Tensor[B x 1 x 128 x 1024]

Type-2's first transposed convolution is not in the paper. This kit uses kernel
(7, 4), stride (1, 2), padding (0, 1): it takes the single latent row to the same
7-row grid that Type-1's deconv1 (kernel (4, 4)) produces from 4 rows, so deconv2
restores the 16 rows (twice the 8 rows the encoder's conv4 left) and the rest of the
decoder is shared. It mirrors the encoder as Type-1's does: conv5 spans 5 (Type-1) or
8 (Type-2) rows, deconv1 one row fewer. The layer tables: ``docs/method.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..settings.models import CONV5_ROWS, VQVAEConfig
from ..utils.config import from_dict
from .checkpoint import load_checkpoint
from .quantizer import VectorQuantizer


class VQVAEOutput(NamedTuple):
    """What ``VQVAE.forward`` returns.

    Attributes:
        x_hat: Tensor[B x 1 x n_mels x T], the reconstruction (tanh range).
        z_e: Tensor[B x D x H' x T'], the encoder output.
        z_q: Tensor[B x D x H' x T'], its quantisation (straight-through).
        indices: LongTensor[B x H' x T'].
        codebook_loss, commitment_loss: scalars (see ``QuantizerOutput``).
        stats: codebook figures of this batch (see ``QuantizerOutput``).
    """

    x_hat: Tensor
    z_e: Tensor
    z_q: Tensor
    indices: Tensor
    codebook_loss: Tensor
    commitment_loss: Tensor
    stats: dict[str, Tensor]


# --------------------------------------------------------------------------- blocks


class ResidualBlock(nn.Module):
    """``x + BN(Conv1x1(ReLU(BN(Conv3x3(ReLU(x))))))`` at constant shape.

    Tensor[B x C x H x W] -> Tensor[B x C x H x W]
    """

    def __init__(self, channels: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReLU(),  # not in place: x is still needed for the skip connection
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


def _conv_bn_relu(c_in: int, c_out: int, dilation: int) -> list[nn.Module]:
    """One of conv1-4: halves the mel axis, keeps time (dilated along it)."""
    return [nn.Conv2d(c_in, c_out, (4, 3), stride=(2, 1), padding=(1, dilation),
                      dilation=(1, dilation)),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Encoder(nn.Module):
    """conv1-4 (dilation 2, 4, 8, 16 in time), conv5, two residual blocks.

    Args:
        kind: ``type1`` or ``type2`` (conv5 spans 5 or 8 rows).
        channels: hidden channels C.

    Tensor[B x 1 x n_mels x T] -> Tensor[B x C x H' x T/2]
    """

    def __init__(self, kind: str, channels: int):
        super().__init__()
        c = channels
        self.layers = nn.Sequential(
            *_conv_bn_relu(1, c, 2), *_conv_bn_relu(c, c, 4),
            *_conv_bn_relu(c, c, 8), *_conv_bn_relu(c, c, 16),
            nn.Conv2d(c, c, (CONV5_ROWS[kind], 4), stride=(1, 2), padding=(0, 1)),
            ResidualBlock(c), ResidualBlock(c),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class Decoder(nn.Module):
    """Two residual blocks, ReLU, deconv1-5 (BN + ReLU between), tanh.

    Args:
        kind: ``type1`` or ``type2`` (deconv1 spans 4 or 7 rows, see the module notes).
        channels: hidden channels C.

    Tensor[B x C x H' x T'] -> Tensor[B x 1 x n_mels x 2T']
    """

    def __init__(self, kind: str, channels: int):
        super().__init__()
        c = channels
        deconv1_rows = CONV5_ROWS[kind] - 1
        self.layers = nn.Sequential(
            ResidualBlock(c), ResidualBlock(c), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c, c, (deconv1_rows, 4), stride=(1, 2), padding=(0, 1)),
            nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c, c, (4, 3), stride=(2, 1), padding=(0, 1)),
            nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c, c, (4, 3), stride=(2, 1), padding=(1, 1)),
            nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c, c, (4, 3), stride=(2, 1), padding=(1, 1)),
            nn.BatchNorm2d(c), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(c, 1, (4, 3), stride=(2, 1), padding=(1, 1)),
            nn.Tanh(),
        )

    def forward(self, z_q: Tensor) -> Tensor:
        return self.layers(z_q)


# --------------------------------------------------------------------------- the model


class VQVAE(nn.Module):
    """The VQ-VAE of Hung et al., "MediaEval 2019 Emotion and Theme Recognition task:
    A VQ-VAE Based Approach" (MediaEval 2019 working notes).

    Args:
        config: kind (Type-1 / Type-2), sizes and quantizer settings.

    Example::

        model = VQVAE(VQVAEConfig(kind="type1"))
        out = model(x)                          # x: Tensor[B, 1, 128, T]
        loss = mse(out.x_hat, x) + out.codebook_loss + beta * out.commitment_loss
        codes = model.eval().encode(x)          # LongTensor[B, 4, T/2]
    """

    def __init__(self, config: VQVAEConfig | None = None):
        super().__init__()
        self.config = config = config or VQVAEConfig()
        self.encoder = Encoder(config.kind, config.channels)
        self.quantizer = VectorQuantizer(config.channels, config.quantizer)
        self.decoder = Decoder(config.kind, config.channels)
        for m in self.modules():
            # The authors' init: Xavier-uniform weights, zero biases, for every conv.
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str | torch.device = "cpu") -> VQVAE:
        """Rebuild a pretrained VQ-VAE from its checkpoint alone (eval mode)."""
        ckpt = load_checkpoint(Path(path), map_location=device)
        if "vqvae_config" not in ckpt:
            raise ValueError(f"{path} is not a VQ-VAE pretraining checkpoint (no vqvae_config)")
        model = cls(from_dict(VQVAEConfig, ckpt["vqvae_config"], where=f"{path}: vqvae_config"))
        model.load_state_dict(ckpt["model"])
        return model.to(device).eval()

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != self.config.n_mels:
            raise ValueError(f"expected a mel batch [B, 1, {self.config.n_mels}, T], "
                             f"got {list(x.shape)}")
        if x.shape[3] < 2 or x.shape[3] % 2:
            raise ValueError(f"the number of frames must be even (conv5 halves time and the "
                             f"decoder doubles it), got {x.shape[3]}")

    def latent_shape(self, n_frames: int) -> tuple[int, int, int]:
        """(D, H', T') of the latent for inputs of ``n_frames`` frames."""
        return self.config.channels, self.config.latent_rows, n_frames // 2

    def encode_latent(self, x: Tensor) -> Tensor:
        """Tensor[B x 1 x n_mels x T] -> z_e : Tensor[B x D x H' x T/2]."""
        self._check_input(x)
        return self.encoder(x)

    def encode(self, x: Tensor) -> Tensor:
        """Code indices of a mel batch: Tensor[B x 1 x n_mels x T] -> LongTensor[B x H' x T/2].

        Deterministic in eval mode; never updates the codebook.
        """
        return self.quantizer.nearest(self.encode_latent(x))

    def embed(self, indices: Tensor) -> Tensor:
        """LongTensor[B x H' x T'] -> z_q : Tensor[B x D x H' x T'] (code vectors)."""
        z_q = self.quantizer.embed(indices)
        first_weight = next(self.decoder.parameters())  # the first 3x3 convolution's
        if first_weight.is_contiguous(memory_format=torch.channels_last):
            # Same layout as forward() on a channels_last model, so decode gives equal numbers.
            z_q = z_q.contiguous(memory_format=torch.channels_last)
        return z_q

    def decode(self, z_q: Tensor) -> Tensor:
        """z_q : Tensor[B x D x H' x T'] -> x_hat : Tensor[B x 1 x n_mels x 2T']."""
        return self.decoder(z_q)

    def decode_indices(self, indices: Tensor) -> Tensor:
        """LongTensor[B x H' x T'] -> x_hat : Tensor[B x 1 x n_mels x 2T']."""
        return self.decode(self.embed(indices))

    def forward(self, x: Tensor) -> VQVAEOutput:
        """Encode, quantise, decode: Tensor[B x 1 x n_mels x T] -> ``VQVAEOutput``."""
        z_e = self.encode_latent(x)
        q = self.quantizer(z_e)
        x_hat = self.decoder(q.z_q)
        return VQVAEOutput(x_hat, z_e, q.z_q, q.indices, q.codebook_loss, q.commitment_loss,
                           q.stats)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Parameter elements of ``model``, frozen ones included unless ``trainable_only``
    (buffers such as EMA codes are never counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


__all__ = ["VQVAE", "VQVAEOutput", "Encoder", "Decoder", "ResidualBlock",
           "count_parameters"]
