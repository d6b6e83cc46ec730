"""The embedded demo set: synthetic multi-label music, generated from a seed, no download.

``kind: demo`` in a params file: the set is written once under the run's ``data/`` folder
(``load_demo``) and read back through its manifest. ``synthesis`` renders the audio;
``writing`` plans the clips and writes the folder.

Each clip is a short piece: a key (major or minor), a chord progression at a tempo, one
to a few instruments playing it, and a loudness. Its tags name what was synthesised:

- instruments (timbre and envelope): ``piano`` (struck, bright attack then a mellow
  decay), ``plucked`` (fast decay, arpeggios), ``bowed`` (slow attack, vibrato, sawtooth
  spectrum), ``organ`` (flat sustain, drawbar partials), ``flute`` (nearly sinusoidal,
  breath noise, high register), ``drums`` (kick, snare and hi-hat noise bursts),
  ``bass`` (low register);
- harmony: ``major`` or ``minor`` (clips with a melodic or chordal instrument);
- tempo: ``slow`` (60-80 bpm) or ``fast`` (140-175 bpm); moderate tempi get neither;
- dynamics: ``soft`` or ``loud``; moderate levels get neither.

Tags co-occur as in real tag sets (drums go with bass, fast and loud; flute and bowed
with soft and slow) and are imbalanced (about 13 % to 50 % of clips).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..cliptable import ClipTable
from ..manifest import read_manifest
from .synthesis import DEMO_TAGS, INSTRUMENTS, PITCHED, render_clip
from .writing import plan_demo_dataset, write_demo_dataset


@dataclass(frozen=True)
class DemoConfig:
    """The kit's synthetic multi-label set, written once under the run's ``data/`` folder.

    Args:
        kind: ``"demo"``.
        n_clips: number of clips over all splits.
        clip_seconds: length of each clip.
        seed: the generator's seed (the same seed gives the same audio).
        sample_rate: sample rate of the written files.
    """

    kind: Literal["demo"]
    n_clips: int = 400
    clip_seconds: float = 3.5
    seed: int = 0
    sample_rate: int = 22050

    def __post_init__(self) -> None:
        if self.n_clips < 1 or self.clip_seconds <= 0 or self.sample_rate < 1:
            raise ValueError("n_clips, clip_seconds and sample_rate must be positive")


def demo_dir(cfg: DemoConfig, cache_dir: Path) -> Path:
    """Where the demo set of ``cfg`` is written: one folder per distinct setting."""
    name = f"demo-{cfg.n_clips}x{cfg.clip_seconds}s-seed{cfg.seed}"
    if cfg.sample_rate != DemoConfig.sample_rate:
        name += f"-{cfg.sample_rate}Hz"
    return Path(cache_dir) / name


def load_demo(cfg: DemoConfig, cache_dir: Path) -> ClipTable:
    """Write the demo set under ``cache_dir`` (once) and read its manifest."""
    manifest = write_demo_dataset(demo_dir(cfg, cache_dir), n_clips=cfg.n_clips,
                                  clip_seconds=cfg.clip_seconds, sample_rate=cfg.sample_rate,
                                  seed=cfg.seed)
    # The demo's own tag order, not the sorted tags a manifest gets by default.
    return read_manifest(Path(manifest), tags=list(DEMO_TAGS),
                         name=f"demo {cfg.n_clips} x {cfg.clip_seconds} s")


__all__ = [
    "DEMO_TAGS", "INSTRUMENTS", "PITCHED", "DemoConfig", "demo_dir", "load_demo",
    "plan_demo_dataset", "render_clip", "write_demo_dataset",
]
