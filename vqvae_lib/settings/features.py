"""The ``features:`` section of a params file: the paper's log-mel settings (``docs/method.md``).

Plain data, no audio library: the settings layer reads it without librosa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FeatureConfig:
    """Log-mel settings (the paper's) and how extraction treats short clips.

    Args:
        sample_rate: rate the audio is resampled to before the STFT.
        n_mels: mel bands (rows of the feature matrix).
        n_fft: STFT window length in samples.
        hop_length: STFT hop in samples.
        frames: STFT frames kept per clip (columns); 1024 frames = 23.8 s.
        max_seconds: only this much audio is read (the paper: 29 s).
        short_policy: ``drop`` skips clips with fewer than ``frames`` frames (as the
            authors did); ``pad`` pads their audio with silence.
        workers: extraction processes.
    """

    sample_rate: int = 22050
    n_mels: int = 128
    n_fft: int = 2048
    hop_length: int = 512
    frames: int = 1024
    max_seconds: float = 29.0
    short_policy: Literal["drop", "pad"] = "drop"
    workers: int = 4

    def __post_init__(self) -> None:
        for name in ("sample_rate", "n_mels", "n_fft", "hop_length", "frames", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.short_policy not in ("drop", "pad"):
            raise ValueError(f"short_policy must be 'drop' or 'pad', got {self.short_policy!r}")
        if self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {self.max_seconds}")
        if self.n_mels > self.n_fft // 2 + 1:
            raise ValueError(f"n_mels ({self.n_mels}) exceeds the {self.n_fft // 2 + 1} "
                             f"frequency bins of n_fft {self.n_fft}")
        if self.frames_seconds > self.max_seconds:
            raise ValueError(
                f"frames={self.frames} need {self.frames_seconds:.2f} s of audio but only "
                f"max_seconds={self.max_seconds} are read; raise max_seconds or lower frames")

    @property
    def min_samples(self) -> int:
        """Fewest samples at ``sample_rate`` that give ``frames`` centered frames."""
        return (self.frames - 1) * self.hop_length

    @property
    def needed_samples(self) -> int:
        """Samples at ``sample_rate`` that the ``frames`` kept frames look at."""
        return (self.frames - 1) * self.hop_length + self.n_fft // 2

    @property
    def frames_seconds(self) -> float:
        """Seconds of audio a full clip needs (``min_samples`` / ``sample_rate``)."""
        return self.min_samples / self.sample_rate
