"""The settings section of each step that has one: ``pretrain:`` (02), ``inspect:`` (03)
and ``tag:`` (04).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .models import CNNTaggerConfig, TaggerConfig, upgrade_tagger_keys
from .training import TrainingConfig


@dataclass(frozen=True)
class PretrainConfig(TrainingConfig):
    """Step 1: VQ-VAE pretraining by reconstruction (``TrainingConfig`` plus ``checkpoint``).

    Args:
        checkpoint: start from this existing pretraining checkpoint instead of training
            (path relative to the params file); None = train here.
    """

    checkpoint: str | None = None


@dataclass(frozen=True)
class InspectConfig:
    """03_reconstruct_visualize settings (the ``inspect:`` section of a params file).

    Args:
        n_clips: clips per split shown as input/reconstruction pairs.
        n_audio: clips inverted to audio with Griffin-Lim.
        griffin_lim_iters: Griffin-Lim iterations (librosa's default is 32).
        audio_seconds: invert only the first this many seconds of each clip (None = the
            whole clip). The mel-to-STFT inversion (non-negative least squares) grows
            faster than the clip: 15-17 s for a 30 s clip on a 2-core AVX2 CPU against
            4.5 s for its first 10 s, and 03 inverts two mels per clip.
        tsne: also draw a t-SNE of the codebook (skipped above 2048 codes).
        probe_max_iter: iterations of the bag-of-codes logistic-regression probe.
        max_clips: clips per split encoded for the summaries, drawn with the run's seed
            (None = every clip; a cap keeps the Million Song Dataset's 557k clips cheap).
    """

    n_clips: int = 4
    n_audio: int = 2
    griffin_lim_iters: int = 32
    audio_seconds: float | None = 10.0
    tsne: bool = True
    probe_max_iter: int = 500
    max_clips: int | None = 2000

    def __post_init__(self) -> None:
        if self.audio_seconds is not None and not self.audio_seconds > 0:
            raise ValueError(f"inspect.audio_seconds must be positive or null, "
                             f"got {self.audio_seconds}")


@dataclass(frozen=True)
class TagConfig(TrainingConfig):
    """Step 2: a tagger on the pretrained encoder (``TrainingConfig`` plus the tagger).

    Args:
        encoder: ``fixed`` freezes the encoder and trains on cached code indices;
            ``finetune`` trains the encoder too, adding both VQ loss terms.
        tagger: the classifier (``gru`` or ``cnn``) and its sizes.
        latent: what the tagger reads per latent frame: ``z_q`` (the code vectors, as
            the paper) or ``z_q+z_e`` (the encoder's output before quantisation beside
            them: what the code search rounds away, such as level and fine timbre,
            stays visible to the tagger; twice the input features). With ``fixed``, the
            cache then holds ``z_e`` (float32, ``D * H'`` values per latent frame, e.g.
            330 KB per 30 s clip at 32 channels) and the codes are looked up from it.
        eval_hop_frames: with ``crop_frames``, validation, test and prediction average
            the tagger's outputs over the crops that tile each clip at this hop (even);
            None = ``crop_frames`` (crops side by side).
    """

    encoder: Literal["fixed", "finetune"] = "fixed"
    tagger: TaggerConfig = field(default_factory=CNNTaggerConfig)
    eval_hop_frames: int | None = None
    latent: Literal["z_q", "z_q+z_e"] = "z_q"

    def __post_init__(self) -> None:
        super().__post_init__()
        hop = self.eval_hop_frames
        if hop is not None and (hop < 2 or hop % 2):
            raise ValueError(f"eval_hop_frames must be an even number of frames, got {hop}")
        if self.latent not in ("z_q", "z_q+z_e"):
            raise ValueError(f"latent must be 'z_q' or 'z_q+z_e', got {self.latent!r}")

    @classmethod
    def upgrade_keys(cls, data: dict, where: str) -> dict:
        """Tagger settings in the flat ``gru_*``/``cnn_*`` spelling of older versions."""
        if "tagger" in data:
            data["tagger"] = upgrade_tagger_keys(data["tagger"], f"{where}.tagger")
        return data

    @property
    def eval_hop(self) -> int | None:
        """The hop between evaluation crops (None: whole clips)."""
        return None if self.crop_frames is None else (self.eval_hop_frames or self.crop_frames)
