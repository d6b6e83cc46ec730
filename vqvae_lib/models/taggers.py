"""The two classifiers of the paper (section 2.3.2): a GRU tagger and Pons' CNN tagger.

Both read the quantized embedding of the VQ-VAE encoder as a sequence of frames,
``z_q : Tensor[B x D x H x T']`` -> ``latent_to_sequence`` -> ``Tensor[B x T' x D*H]``
(Type-1 at T = 1024: 512 frames of 1024 features), and return one logit per tag.
The sigmoid is left to the caller: train with ``nn.BCEWithLogitsLoss`` and take
``torch.sigmoid(logits)`` as the per-tag probabilities ("predictions"). The layer
tables and the ``tag.tagger`` keys: ``docs/method.md``.

Layout of the file: the settings, pure helpers, then the building blocks of the CNN (front-end and
back-end, after the split of musicnn-training), then one class per published model,
then the factory ``build_tagger``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..settings.models import CNNTaggerConfig, GRUTaggerConfig, TaggerConfig

# --------------------------------------------------------------------------- helpers


def latent_to_sequence(z_q: Tensor) -> Tensor:
    """The paper's reshape of the quantized embedding into a sequence of frames.

    Feature ``d * H + h`` of frame ``t`` is ``z_q[:, d, h, t]``: the code-vector
    dimension ``d`` varies slowest and the latent row ``h`` fastest, which is what
    ``z_q.reshape(B, D * H, T')`` gives. For Type-2 (H = 1) the features are exactly the
    code vector.

    Parameters
    ----------
    z_q : Tensor[B x D x H x T']

    Returns
    -------
    Tensor[B x T' x D*H]
    """
    if z_q.dim() != 4:
        raise ValueError(f"expected z_q of shape [B, D, H, T'], got {tuple(z_q.shape)}")
    b, d, h, t = z_q.shape
    return z_q.reshape(b, d * h, t).transpose(1, 2)


def _at_least_fp32(t: Tensor) -> Tensor:
    """``t`` in fp32 if it is in a lower precision (FFTs are not offered in bf16)."""
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


class FP32Linear(nn.Linear):
    """``nn.Linear`` that computes in fp32 (fp64 for fp64 weights) even under autocast.

    The taggers' logits come from it: rounded to bf16, scores keep only a few hundred
    distinct values per tag, and the ties move the ranking metrics (PR-AUC macro of the
    official Run-4 scores: 0.1077 as published, 0.1074 rounded to bf16). Same
    parameters and state_dict keys as ``nn.Linear``, so checkpoints load either way.
    """

    def forward(self, x: Tensor) -> Tensor:
        """x : Tensor[... x in_features], any float dtype -> Tensor[... x out_features], fp32"""
        dtype = torch.promote_types(self.weight.dtype, torch.float32)
        bias = None if self.bias is None else self.bias.to(dtype)
        with torch.autocast(device_type=x.device.type, enabled=False):
            return F.linear(x.to(dtype), self.weight.to(dtype), bias)


# ------------------------------------------------------------------- CNN front-end


class TimbralBlock(nn.Module):
    """One timbral filter shape of Pons' front-end: conv -> ReLU -> BN -> max over frequency.

    The filter covers ``k_time`` frames ("same" padding) and ``k_freq`` rows ("valid"), so
    ``n_freq - k_freq + 1`` frequency positions remain, of which the maximum is kept.
    A "7 x 0.9F" filter (Pons' time x frequency) is a Conv2d kernel ``(k_freq, 7)`` on
    ``[B, 1, F, T']``.

    Args:
        n_freq: rows F of the input "spectrogram".
        k_freq: filter height in rows (Pons: ``int(0.9 F)`` or ``int(0.4 F)``).
        k_time: filter width in frames (odd: 7, 3 or 1).
        channels: number of filters.
    """

    def __init__(self, n_freq: int, k_freq: int, k_time: int, channels: int) -> None:
        super().__init__()
        if k_time % 2 != 1:
            raise ValueError(f"timbral filters need an odd width for symmetric 'same' "
                             f"padding, got {k_time}")
        if not 1 <= k_freq <= n_freq:
            raise ValueError(f"filter height {k_freq} does not fit {n_freq} rows")
        self.n_freq, self.k_freq, self.k_time = n_freq, k_freq, k_time
        self.conv = nn.Conv2d(1, channels, (k_freq, k_time), padding=(0, k_time // 2))
        self.norm = nn.BatchNorm2d(channels)

    def feature_map_fft(self, x_hat: Tensor) -> Tensor:
        """The same map as ``self.conv``, computed from the spectrum along frequency.

        Cross-correlation along frequency is a product with the conjugate spectrum of
        the filter. With an FFT of length F the circular wrap-around only reaches
        positions past F - k_freq, which a "valid" convolution drops anyway, so the
        result equals the direct convolution up to float rounding. Runs in fp32 or fp64.

        Parameters
        ----------
        x_hat : Tensor[B x F//2+1 x T'], complex
            ``torch.fft.rfft(x, n=F, dim=1)`` of the input ``x : Tensor[B x F x T']``.

        Returns
        -------
        Tensor[B x C x F-k_freq+1 x T']
        """
        with torch.autocast(device_type=x_hat.device.type, enabled=False):
            weight = _at_least_fp32(self.conv.weight).squeeze(1)
            w_hat = torch.fft.rfft(weight, n=self.n_freq, dim=1).conj()
            pad = self.k_time // 2
            frames = F.pad(x_hat, (pad, pad)).unfold(2, self.k_time, 1)  # [B, K, T', k_time]
            y_hat = torch.einsum("bktu,cku->bckt", frames, w_hat)
            y = torch.fft.irfft(y_hat, n=self.n_freq, dim=2)[:, :, : self.n_freq - self.k_freq + 1]
            return y + _at_least_fp32(self.conv.bias).view(1, -1, 1, 1)

    def forward(self, x: Tensor, x_hat: Tensor | None = None) -> Tensor:
        """x : Tensor[B x F x T'] (and its spectrum, to use the FFT path) -> Tensor[B x C x T']"""
        y = self.conv(x.unsqueeze(1)) if x_hat is None else self.feature_map_fft(x_hat)
        return self.norm(F.relu(y)).amax(dim=2)


class TemporalBlock(nn.Module):
    """One temporal filter length of Pons' front-end, on the frequency-mean envelope.

    conv1d ("same": even lengths pad one frame more on the right) -> ReLU -> BN.
    The frequency axis was already averaged away, so the max over it is the identity.

    Args:
        length: filter length in frames.
        channels: number of filters.
    """

    def __init__(self, length: int, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, channels, length)
        self.norm = nn.BatchNorm1d(channels)
        self.pad = ((length - 1) // 2, length // 2)

    def forward(self, envelope: Tensor) -> Tensor:
        """envelope : Tensor[B x 1 x T'] -> Tensor[B x C x T']"""
        return self.norm(F.relu(self.conv(F.pad(envelope, self.pad))))


class PonsFrontEnd(nn.Module):
    """Musically motivated front-end of Pons et al. (2018): timbral + temporal filters.

    Timbral filters (time x frequency) 7 x 0.9F, 3 x 0.9F, 1 x 0.9F, 7 x 0.4F, 3 x 0.4F,
    1 x 0.4F with n, 2n, 4n, n, 2n, 4n filters; temporal filters of 165, 128, 64 and 32
    frames with n, 2n, 4n, 8n filters, each length clamped to ``n_frames`` when the
    sequence is shorter (a filter longer than the input would see only padding).
    Output channels: 29n (232 at n = 8).

    Args:
        n_freq: rows F of the input (``D * H`` features of the latent sequence).
        n_frames: frames T' the clamping is computed for; other lengths still run.
        n: Pons' base filter count.
        method: ``auto``, ``conv2d`` or ``fft`` for the timbral filters, see
            ``CNNTaggerConfig.frontend``.
    """

    TIMBRAL_HEIGHTS = (0.9, 0.4)
    TIMBRAL_WIDTHS = (7, 3, 1)
    TEMPORAL_LENGTHS = (165, 128, 64, 32)

    def __init__(self, n_freq: int, n_frames: int, n: int, method: str = "auto") -> None:
        super().__init__()
        if method not in ("auto", "conv2d", "fft"):
            raise ValueError(f"unknown front-end method {method!r}")
        self.n_freq, self.method = n_freq, method
        # ``auto`` also trains through the FFT when only the weights need gradients
        # (set where that is faster: CPUs without AVX-512, ``Hardware.fft_frontend``).
        self.fft_for_weights = False
        self.timbral = nn.ModuleList(
            TimbralBlock(n_freq, max(1, int(ratio * n_freq)), width, n * 2**i)
            for ratio in self.TIMBRAL_HEIGHTS
            for i, width in enumerate(self.TIMBRAL_WIDTHS)
        )
        self.temporal_lengths = tuple(min(length, n_frames) for length in self.TEMPORAL_LENGTHS)
        self.temporal = nn.ModuleList(
            TemporalBlock(length, n * 2**i) for i, length in enumerate(self.temporal_lengths)
        )
        self.out_channels = sum(b.conv.out_channels for b in self.timbral) + sum(
            b.conv.out_channels for b in self.temporal
        )

    def forward(self, x: Tensor) -> Tensor:
        """x : Tensor[B x F x T'] -> Tensor[B x 29n x T']"""
        # Direct convolution is faster when only the weights need gradients; the FFT
        # path is faster when the gradient also flows back into the encoder.
        use_fft = self.method == "fft" or (
            self.method == "auto" and torch.is_grad_enabled()
            and (x.requires_grad or (self.fft_for_weights and self.training))
        )
        x_hat = None
        if use_fft:
            with torch.autocast(device_type=x.device.type, enabled=False):
                x_hat = torch.fft.rfft(_at_least_fp32(x), n=self.n_freq, dim=1)
        timbral = [block(x, x_hat) for block in self.timbral]
        envelope = x.mean(dim=1, keepdim=True)
        temporal = [block(envelope) for block in self.temporal]
        return torch.cat(timbral + temporal, dim=1)


# -------------------------------------------------------------------- CNN back-end


class PonsBackEnd(nn.Module):
    """Dense back-end of Pons et al. (2018): three conv1d layers, two residual, pooled.

    conv1d 7 "valid" -> ReLU -> BN; conv1d 7 "same" -> ReLU -> BN, + input; max-pool 2;
    conv1d 7 "same" -> ReLU -> BN, + input; global max and mean over time, concatenated;
    dropout -> dense -> ReLU -> BN -> dropout -> dense (logits, fp32 under autocast too).

    The "valid" conv and the pooling need at least 8 frames; shorter inputs are
    zero-padded in time (half each side) to 8 frames first, which changes nothing for
    the paper's 512 frames.

    Args:
        in_channels: front-end channels.
        n_tags: output logits.
        filters: conv1d channels (256 halved from 512).
        dense: penultimate dense units (250 halved from 500).
        dropout: dropout rate before each dense layer.
    """

    KERNEL = 7

    def __init__(self, in_channels: int, n_tags: int, filters: int, dense: int,
                 dropout: float) -> None:
        super().__init__()
        k = self.KERNEL
        self.conv1 = nn.Conv1d(in_channels, filters, k)
        self.norm1 = nn.BatchNorm1d(filters)
        self.conv2 = nn.Conv1d(filters, filters, k, padding=k // 2)
        self.norm2 = nn.BatchNorm1d(filters)
        self.conv3 = nn.Conv1d(filters, filters, k, padding=k // 2)
        self.norm3 = nn.BatchNorm1d(filters)
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(2 * filters, dense),
            nn.ReLU(),
            nn.BatchNorm1d(dense),
            nn.Dropout(dropout),
            FP32Linear(dense, n_tags),
        )

    def forward(self, h: Tensor) -> Tensor:
        """h : Tensor[B x C x T'] -> logits Tensor[B x n_tags]"""
        short = self.KERNEL + 1 - h.shape[-1]
        if short > 0:
            h = F.pad(h, (short // 2, short - short // 2))
        h = self.norm1(F.relu(self.conv1(h)))
        h = h + self.norm2(F.relu(self.conv2(h)))
        h = F.max_pool1d(h, 2)
        h = h + self.norm3(F.relu(self.conv3(h)))
        pooled = torch.cat([h.amax(dim=-1), h.mean(dim=-1)], dim=1)
        return self.head(pooled)


# ------------------------------------------------------------------------- models


class PonsCNNTagger(nn.Module):
    """CNN classifier of the paper: Pons et al. with every channel count halved.

    J. Pons, O. Nieto, M. Prockup, E. M. Schmidt, A. F. Ehmann, X. Serra, "End-to-end
    learning for music audio tagging at scale", ISMIR 2018. The latent sequence is read
    as a spectrogram of F = D * H rows and T' frames (``PonsFrontEnd``), then tagged by
    ``PonsBackEnd``.

    Args:
        in_features: F, features per frame (1024 for Type-1 at D = 256).
        n_frames: T', frames per clip; fixes the clamping of the temporal filters.
        n_tags: number of tags (56 for MTG-Jamendo mood/theme).
        config: sizes (default: the paper's).
    """

    def __init__(self, in_features: int, n_frames: int, n_tags: int,
                 config: CNNTaggerConfig | None = None) -> None:
        super().__init__()
        config = config or CNNTaggerConfig()
        self.frontend = PonsFrontEnd(in_features, n_frames, config.filters, config.frontend)
        self.backend = PonsBackEnd(self.frontend.out_channels, n_tags, config.backend_filters,
                                   config.dense, config.dropout)

    def forward(self, seq: Tensor) -> Tensor:
        """seq : Tensor[B x T' x F] -> logits Tensor[B x n_tags] (sigmoid: probabilities)"""
        return self.backend(self.frontend(seq.transpose(1, 2)))


class GRUTagger(nn.Module):
    """GRU classifier of the paper (Hung et al., MediaEval 2019, section 2.3.2).

    BiGRU (2 layers, dropout 0.3) -> LayerNorm -> BiGRU (2 layers) -> its final hidden
    states -> LayerNorm -> Linear 512 -> ReLU -> Linear 256 -> ReLU -> Linear n_tags,
    with dropout 0.05 after the two hidden Linears; the last Linear computes in fp32
    under autocast too (``FP32Linear``). The authors normalise the first
    GRU's output over time and features jointly, which ties the model to one T'; here
    the first LayerNorm is over the 2 * hidden features of each frame, so any sequence
    length runs. The final hidden states are ordered layer by layer, forward direction
    before backward (PyTorch's ``h_n`` order), and normalised jointly.

    Args:
        in_features: F, features per frame (1024 for Type-1 at D = 256).
        n_tags: number of tags.
        config: sizes (default: the paper's).
    """

    def __init__(self, in_features: int, n_tags: int,
                 config: GRUTaggerConfig | None = None) -> None:
        super().__init__()
        config = config or GRUTaggerConfig()
        hidden, layers = config.hidden, config.layers
        self.gru1 = nn.GRU(
            in_features,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            # PyTorch only applies dropout between layers (and warns with one layer).
            dropout=config.dropout if layers > 1 else 0.0,
        )
        self.norm1 = nn.LayerNorm(2 * hidden)
        self.gru2 = nn.GRU(2 * hidden, hidden, num_layers=layers, batch_first=True,
                           bidirectional=True)
        self.norm2 = nn.LayerNorm(2 * layers * hidden)
        self.head = nn.Sequential(
            nn.Linear(2 * layers * hidden, 512),
            nn.ReLU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(512, 256),
            nn.ReLU(),
            nn.Dropout(config.head_dropout),
            FP32Linear(256, n_tags),
        )

    def forward(self, seq: Tensor) -> Tensor:
        """seq : Tensor[B x T' x F] -> logits Tensor[B x n_tags] (sigmoid: probabilities)"""
        out, _ = self.gru1(seq)
        _, h_n = self.gru2(self.norm1(out))  # h_n: [2 * layers, B, hidden]
        return self.head(self.norm2(h_n.transpose(0, 1).flatten(1)))


def build_tagger(config: TaggerConfig, in_features: int, n_frames: int, n_tags: int) -> nn.Module:
    """The classifier ``config`` describes, for sequences ``[B x n_frames x in_features]``."""
    if isinstance(config, GRUTaggerConfig):
        return GRUTagger(in_features, n_tags, config)
    if isinstance(config, CNNTaggerConfig):
        return PonsCNNTagger(in_features, n_frames, n_tags, config)
    raise TypeError(f"expected a GRUTaggerConfig or CNNTaggerConfig, got {config!r}")


__all__ = [
    "FP32Linear",
    "GRUTagger",
    "PonsBackEnd",
    "PonsCNNTagger",
    "PonsFrontEnd",
    "build_tagger",
    "latent_to_sequence",
]
