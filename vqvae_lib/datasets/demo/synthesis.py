"""Synthesis of the demo set: the tag vocabulary and the audio of one planned clip.

A clip is rendered from a row of ``plan_demo_dataset`` (its instruments, mode, tempo and
level) with wavetable tones under attack/decay envelopes, chords from a progression in a
random key, drums from noise bursts, and a mix scaled to the planned loudness.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

DEMO_TAGS = ("piano", "plucked", "bowed", "organ", "flute", "drums", "bass",
             "major", "minor", "slow", "fast", "soft", "loud")
INSTRUMENTS = DEMO_TAGS[:7]
PITCHED = ("piano", "plucked", "bowed", "organ", "flute")
DEMO_VERSION = 1  # bump when the synthesis changes, so cached sets are rewritten

# Keys: C, D, F and G, each in both modes, so that the mode is not given away by the key.
KEY_ROOTS = (0, 2, 5, 7)
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Chord progressions as scale degrees (0 = tonic), one chord per two beats.
PROGRESSIONS = {"major": ((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4)),
                "minor": ((0, 3, 4, 0), (0, 5, 2, 6), (0, 3, 6, 4))}
TEMPI = {"slow": (60, 80), "moderate": (95, 120), "fast": (140, 175)}
LEVELS = {"soft": 0.025, "moderate": 0.075, "loud": 0.22}  # mix RMS
TABLE_SIZE = 4096

# Partial amplitudes (index k = harmonic k + 1) of each pitched timbre.
_PARTIALS = {
    "piano_bright": [1.0, 0.7, 0.5, 0.45, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06],
    "piano_mellow": [1.0, 0.35, 0.12, 0.05],
    "plucked": [abs(np.sin(np.pi * (k + 1) * 0.22)) / (k + 1) ** 1.1 for k in range(16)],
    "bowed": [1.0 / (k + 1) for k in range(20)],
    "organ": [1.0, 0.8, 0.6, 0.5, 0.0, 0.3, 0.0, 0.25],
    "flute": [1.0, 0.25, 0.12, 0.05],
    "bass": [1.0, 0.6, 0.35, 0.2, 0.12, 0.08],
}


# -- tones and envelopes -------------------------------------------------------------------
@lru_cache(maxsize=64)
def _wavetable(timbre: str, n_partials: int) -> np.ndarray:
    """One period of ``timbre`` with its first ``n_partials`` partials, float32
    ``[TABLE_SIZE]``, peak 1."""
    phase = np.arange(TABLE_SIZE) / TABLE_SIZE
    amps = _PARTIALS[timbre][:max(1, n_partials)]
    wave = sum(a * np.sin(2 * np.pi * (k + 1) * phase) for k, a in enumerate(amps) if a)
    return (wave / np.abs(wave).max()).astype(np.float32)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


@lru_cache(maxsize=16)
def _ramp(n: int) -> np.ndarray:
    """``0, 1, ..., n - 1`` as float64 ``[n]`` (read-only, shared by every tone of length n)."""
    r = np.arange(n, dtype=np.float64)
    r.setflags(write=False)
    return r


def _tone(timbre: str, f0: float, n: int, sr: int, vibrato: float = 0.0,
          rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` samples of a wavetable tone at ``f0`` Hz, float32 ``[n]``; ``vibrato`` is the
    relative depth of a ~5.5 Hz pitch modulation. Partials above 0.45 sr are left out
    (no aliasing)."""
    # Phase in table entries; one table lookup per sample whatever the partial count.
    phase = _ramp(n) * (f0 * TABLE_SIZE / sr)
    if vibrato:
        rate = 5.0 + (rng.random() if rng is not None else 0.5)
        w = 2 * np.pi * rate / sr
        phase = phase - (vibrato * f0 * TABLE_SIZE / (2 * np.pi * rate)) * np.cos(w * _ramp(n))
    n_partials = max(1, int(0.45 * sr / f0))
    table = _wavetable(timbre, min(n_partials, len(_PARTIALS[timbre])))
    return table[phase.astype(np.int64) & (TABLE_SIZE - 1)]  # TABLE_SIZE is a power of 2


@lru_cache(maxsize=256)
def _envelope(n: int, sr: int, attack: float, decay: float | None = None,
              release: float = 0.02) -> np.ndarray:
    """Attack ramp, then an exponential decay (``decay`` = time constant, s) or a flat
    sustain, with a short release at the end; float32 ``[n]`` (cached, read-only)."""
    t = np.arange(n, dtype=np.float32) / sr
    env = np.minimum(1.0, t / max(attack, 1e-4))
    if decay is not None:
        env = env * np.exp(-np.maximum(t - attack, 0) / decay)
    r = min(n, int(release * sr))
    if r:
        env[n - r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
    env = env.astype(np.float32)
    env.setflags(write=False)
    return env


def _add(out: np.ndarray, start: int, x: np.ndarray) -> None:
    end = min(len(out), start + len(x))
    if end > start >= 0:
        out[start:end] += x[:end - start]


def _chord_tones(root: int, scale: tuple[int, ...], degree: int, octave: int) -> list[int]:
    tones = []
    for k in (0, 2, 4):
        d = degree + k
        tones.append(12 * (octave + 1) + root + scale[d % 7] + 12 * (d // 7))
    return tones


# -- one clip ------------------------------------------------------------------------------
def render_clip(spec: dict, clip_seconds: float, sample_rate: int, seed: int) -> np.ndarray:
    """Synthesise one planned clip (a row of ``plan_demo_dataset``): float32 ``[n]``."""
    rng = np.random.default_rng(seed)
    sr, n = sample_rate, int(round(clip_seconds * sample_rate))
    lo, hi = TEMPI[spec["tempo"]]
    beat = 60.0 / rng.uniform(lo, hi)
    scale = SCALES[spec["mode"]]
    root = int(rng.choice(KEY_ROOTS))
    prog = PROGRESSIONS[spec["mode"]][rng.integers(len(PROGRESSIONS[spec["mode"]]))]
    offset = rng.uniform(0, 0.5 * beat)
    n_beats = int(np.ceil((clip_seconds - offset) / beat)) + 1
    onsets = [offset + b * beat for b in range(n_beats)]

    def chord_at(b: int) -> int:
        return prog[(b // 2) % len(prog)]

    stems: dict[str, np.ndarray] = {}
    for inst in spec["instruments"]:
        out = np.zeros(n, np.float32)
        if inst == "piano":
            # A bright partial set that dies in ~0.3 s over a mellow one that rings on.
            dur, short = int(min(1.5, 2 * beat) * sr), int(min(0.4, 2 * beat) * sr)
            for b, t0 in enumerate(onsets):
                tones = _chord_tones(root, scale, chord_at(b), 4)
                tones.append(12 * 4 + root + scale[chord_at(b)])
                mellow = sum(_tone("piano_mellow", _hz(m), dur, sr) for m in tones)
                bright = sum(_tone("piano_bright", _hz(m), short, sr) for m in tones)
                _add(out, int(t0 * sr), mellow * _envelope(dur, sr, 0.004, 0.7))
                _add(out, int(t0 * sr), 0.6 * bright * _envelope(short, sr, 0.004, 0.12))
        elif inst == "plucked":
            step = beat / 2
            k = 0
            t0 = offset
            while t0 < clip_seconds:
                tones = _chord_tones(root, scale, chord_at(int((t0 - offset) / beat)), 4)
                m = tones[k % 3] + (12 if (k // 3) % 2 else 0)
                dur = int(0.6 * sr)
                _add(out, int(t0 * sr), _tone("plucked", _hz(m), dur, sr)
                     * _envelope(dur, sr, 0.002, 0.16))
                k, t0 = k + 1, t0 + step
        elif inst in ("bowed", "organ"):
            for b in range(0, n_beats, 2):
                t0 = max(0.0, onsets[b] - (offset if b == 0 else 0))
                dur = int(2 * beat * sr) + int(0.05 * sr)
                tones = _chord_tones(root, scale, chord_at(b), 3 if inst == "organ" else 4)
                if inst == "bowed":
                    x = sum(_tone("bowed", _hz(m), dur, sr, vibrato=0.006, rng=rng) for m in tones)
                    x = x * _envelope(dur, sr, 0.12, release=0.08)
                else:
                    x = sum(_tone("organ", _hz(m), dur, sr) for m in tones)
                    x = x * _envelope(dur, sr, 0.01, release=0.03)
                _add(out, int(t0 * sr), x)
        elif inst == "flute":
            pos = int(rng.integers(0, 7))
            for b, t0 in enumerate(onsets):
                pos = int(np.clip(pos + rng.choice([-2, -1, 1, 2]), 0, 9))
                m = 12 * 6 + root + scale[pos % 7] + 12 * (pos // 7)
                dur = int(beat * sr)
                env = _envelope(dur, sr, 0.06, release=0.05)
                noise = np.diff(rng.standard_normal(dur + 1)).astype(np.float32)
                _add(out, int(t0 * sr), (_tone("flute", _hz(m), dur, sr, 0.008, rng)
                                         + 0.06 * noise) * env)
        elif inst == "bass":
            for b, t0 in enumerate(onsets):
                m = 12 * 2 + root + scale[chord_at(b)]
                dur = int(beat * sr)
                _add(out, int(t0 * sr), _tone("bass", _hz(m), dur, sr)
                     * _envelope(dur, sr, 0.005, 0.35, release=0.03))
        elif inst == "drums":
            for b, t0 in enumerate(onsets):
                d = int(0.3 * sr)
                t = np.arange(d) / sr
                if b % 2 == 0:  # kick: a falling sine
                    f = 50 + 90 * np.exp(-t / 0.03)
                    x = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.15)
                else:  # snare: noise and a short tone
                    x = (0.7 * rng.standard_normal(d) * np.exp(-t / 0.08)
                         + 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05))
                _add(out, int(t0 * sr), x.astype(np.float32))
                for h in (t0, t0 + beat / 2):  # hi-hat: high noise, very short
                    dh = int(0.06 * sr)
                    hat = np.diff(rng.standard_normal(dh + 2), 2) \
                        * np.exp(-np.arange(dh) / sr / 0.02)
                    _add(out, int(h * sr), 0.25 * hat.astype(np.float32))
        rms = float(np.sqrt(np.mean(out ** 2)))
        stems[inst] = out / max(rms, 1e-9) * rng.uniform(0.6, 1.0)
    mix = sum(stems.values())
    rms = float(np.sqrt(np.mean(mix ** 2)))
    gain = LEVELS[spec["level"]] * 10 ** (rng.uniform(-2, 2) / 20) / max(rms, 1e-9)
    mix = mix * gain + 1e-4 * rng.standard_normal(n)
    return np.clip(mix, -0.99, 0.99).astype(np.float32)


__all__ = ["DEMO_TAGS", "DEMO_VERSION", "INSTRUMENTS", "PITCHED", "render_clip"]
