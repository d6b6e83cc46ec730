"""The ``vqvae:`` section and ``tag.tagger`` of a params file: the sizes of the models.

The vector quantizer (``docs/quantizer.md``), the VQ-VAE (Type-1 or Type-2) and the two
taggers of the paper; the modules in ``models/`` build from these. Defaults are the paper's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class QuantizerConfig:
    """Settings of the vector quantizer.

    Args:
        preset: ``paper`` (learned codebook, codebook loss) or ``improved`` (EMA
            codebook, k-means init, dead-code restart).
        codebook_size: number of codes K.
        commitment_weight: beta, the weight of the commitment loss. The quantizer
            returns the loss unweighted; the training step multiplies by ``beta``.
            None: 1.0 for ``paper`` (the authors' effective value), 0.25 for
            ``improved`` (the usual value with an EMA codebook).
        ema_decay: decay of the EMA cluster sizes and sums (improved only).
        ema_eps: Laplace smoothing of the EMA cluster sizes (improved only).
        kmeans_init: initialise the codebook by k-means on the first training batch.
            None: on for ``improved``, off for ``paper``; ``paper`` cannot use it.
        kmeans_iters: Lloyd iterations of that k-means.
        dead_code_threshold: a code whose EMA cluster size (hits per step) falls below
            this is restarted from a random current encoder output (improved only;
            0 turns restarts off).
        projection_dim: search the codes in this many dimensions, reached from the
            latent by a learned linear map and mapped back by another (improved only;
            None: search in the latent space itself).
    """

    preset: Literal["paper", "improved"] = "paper"
    codebook_size: int = 1024
    commitment_weight: float | None = None
    ema_decay: float = 0.99
    ema_eps: float = 1e-5
    kmeans_init: bool | None = None
    kmeans_iters: int = 10
    dead_code_threshold: float = 1.0
    projection_dim: int | None = None

    def __post_init__(self) -> None:
        if self.preset not in ("paper", "improved"):
            raise ValueError(f"preset must be 'paper' or 'improved', got {self.preset!r}")
        if self.codebook_size < 2:
            raise ValueError(f"codebook_size must be at least 2, got {self.codebook_size}")
        if self.commitment_weight is not None and self.commitment_weight < 0:
            raise ValueError(f"commitment_weight must be >= 0, got {self.commitment_weight}")
        if not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {self.ema_decay}")
        if self.ema_eps <= 0:
            raise ValueError(f"ema_eps must be > 0, got {self.ema_eps}")
        if self.kmeans_iters < 1:
            raise ValueError(f"kmeans_iters must be at least 1, got {self.kmeans_iters}")
        if self.dead_code_threshold < 0:
            raise ValueError(f"dead_code_threshold must be >= 0, got {self.dead_code_threshold}")
        if self.projection_dim is not None and self.projection_dim < 1:
            raise ValueError(f"projection_dim must be at least 1 or null, "
                             f"got {self.projection_dim}")
        if self.preset == "paper":
            if self.kmeans_init:
                raise ValueError("kmeans_init needs preset 'improved' (the paper preset "
                                 "initialises U(-1/K, 1/K))")
            if self.projection_dim is not None:
                raise ValueError("projection_dim needs preset 'improved'")

    @property
    def beta(self) -> float:
        """The commitment weight, by its name in the paper (``commitment_weight`` resolved)."""
        if self.commitment_weight is not None:
            return self.commitment_weight
        return 1.0 if self.preset == "paper" else 0.25

    @property
    def use_kmeans(self) -> bool:
        """Whether the codebook is k-means initialised (``kmeans_init`` resolved)."""
        return self.preset == "improved" if self.kmeans_init is None else self.kmeans_init


# Rows removed by conv5 from the 8 (at 128 mels) left by conv1-4, per kind.
CONV5_ROWS = {"type1": 5, "type2": 8}


@dataclass(frozen=True)
class VQVAEConfig:
    """Settings of the VQ-VAE. Defaults are the paper's.

    Args:
        kind: ``type1`` (latent 4 rows at 128 mels) or ``type2`` (1 row).
        n_mels: mel bands of the input; a multiple of 16 (the encoder halves it four
            times) with at least 5 (Type-1) or 8 (Type-2) rows left for conv5, so at
            least 80 or 128.
        channels: hidden channels of every layer, which is also the latent and code
            dimension D.
        quantizer: the vector quantizer's settings.
    """

    kind: Literal["type1", "type2"] = "type1"
    n_mels: int = 128
    channels: int = 256
    quantizer: QuantizerConfig = field(default_factory=QuantizerConfig)

    def __post_init__(self) -> None:
        if self.kind not in CONV5_ROWS:
            raise ValueError(f"kind must be 'type1' or 'type2', got {self.kind!r}")
        if self.channels < 1:
            raise ValueError(f"channels must be at least 1, got {self.channels}")
        rows = CONV5_ROWS[self.kind]
        if self.n_mels % 16 or self.n_mels // 16 < rows:
            raise ValueError(
                f"n_mels {self.n_mels} does not fit the {self.kind} VQ-VAE: the encoder halves "
                f"the mel axis four times and conv5 then spans {rows} rows, so n_mels must be "
                f"a multiple of 16 and at least {16 * rows} (the paper uses 128)")

    @property
    def latent_rows(self) -> int:
        """H', rows of the latent map."""
        return self.n_mels // 16 - CONV5_ROWS[self.kind] + 1


@dataclass(frozen=True)
class GRUTaggerConfig:
    """The authors' GRU tagger (``tag.tagger: {classifier: gru, ...}``). Defaults are the paper's.

    Args:
        hidden: hidden units per direction of both bidirectional GRUs.
        layers: stacked layers of each of the two GRUs.
        dropout: dropout between the layers of the first GRU.
        head_dropout: dropout after each hidden Linear of the head.
    """

    classifier: Literal["gru"] = "gru"
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.3
    head_dropout: float = 0.05

    def __post_init__(self) -> None:
        _check_sizes(self, ("hidden", "layers"), ("dropout", "head_dropout"))


@dataclass(frozen=True)
class CNNTaggerConfig:
    """Pons et al. (2018) with all channel counts halved, as the authors ran it
    (``tag.tagger: {classifier: cnn, ...}``). Defaults are the paper's.

    Args:
        filters: Pons' ``n``; the front-end has ``n, 2n, 4n`` timbral filters per
            height and ``n, 2n, 4n, 8n`` temporal filters (original 16, halved 8).
        backend_filters: channels of the three back-end conv1d layers (512 halved).
        dense: units of the penultimate dense layer (500 halved).
        dropout: dropout before each dense layer.
        frontend: how the timbral convolutions are computed; all give the same
            numbers (to float rounding) from the same weights. ``conv2d`` is the direct
            convolution (the reference; runs in bf16 under autocast). ``fft``
            correlates along frequency in the Fourier domain, in fp32: with filters
            spanning 0.9F and 0.4F of 1024 rows its backward pass into the input is
            several times cheaper than the direct one. ``auto`` trains with ``fft`` when
            the input needs a gradient (finetuned encoder), or on CPUs without AVX-512
            (where the direct weight gradient is slow; the step sets
            ``PonsFrontEnd.fft_for_weights``), and uses ``conv2d`` otherwise.
    """

    classifier: Literal["cnn"] = "cnn"
    filters: int = 8
    backend_filters: int = 256
    dense: int = 250
    dropout: float = 0.5
    frontend: Literal["auto", "conv2d", "fft"] = "auto"

    def __post_init__(self) -> None:
        _check_sizes(self, ("filters", "backend_filters", "dense"), ("dropout",))


# The classifier on the encoder, chosen by ``classifier`` in params files.
TaggerConfig = GRUTaggerConfig | CNNTaggerConfig


def _check_sizes(config: object, counts: tuple[str, ...], rates: tuple[str, ...]) -> None:
    for name in counts:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(config, name)}")
    for name in rates:
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {getattr(config, name)}")


def upgrade_tagger_keys(data: dict, where: str) -> dict:
    """Read the flat spelling of kit versions before the per-classifier settings
    (``{classifier: cnn, gru_hidden: 64, cnn_filters: 8}``): the chosen classifier's
    ``<classifier>_`` keys lose their prefix, the other classifier's keys are dropped, and
    a one-line note says what to write instead. Other mappings are returned unchanged."""
    if not isinstance(data, dict) or not any(k.startswith(("gru_", "cnn_")) for k in data):
        return data
    classifier = data.get("classifier", "cnn")
    prefix = f"{classifier}_"
    new = {"classifier": classifier}
    new.update({k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)})
    new.update({k: v for k, v in data.items() if not k.startswith(("gru_", "cnn_"))})
    warnings.warn(f"{where}: the gru_*/cnn_* keys are the old spelling; write "
                  f"{{{', '.join(f'{k}: {v}' for k, v in new.items())}}}", FutureWarning,
                  stacklevel=2)
    return new
