"""Input features of the paper: scaled log-mel spectrograms of the first seconds of a clip.

The paper's preprocessing: librosa, 22,050 Hz mono, n_fft 2048, hop 512, power 2, 128 mel
bands; the first 29 s are read and the first 1,024 frames kept; then
``log(1 + 10000 * mel) * a + b`` with ``a = 0.9 * 2 / 19.0114`` and ``b = -0.9``.
Where today's librosa differs from the 2019 one the authors used (zero rather than
reflect padding at the clip edges, the resampler): ``docs/method.md``.

``reference_log_mel`` is that recipe written the naive way (the ground truth).
``clip_features`` computes the same matrix faster: it decodes only the samples the kept
frames need (plus a margin for the resampler's filter), resamples with the resampler
``librosa.load`` uses (soxr "HQ"), and reuses one mel filterbank per setting.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import librosa
import numpy as np
import scipy.fft
import scipy.sparse
import soundfile as sf
import soxr

from ..settings.features import FeatureConfig

# The authors' fixed affine map of log(1 + 10000 * mel) onto about [-0.9, 0.9].
LOG_OFFSET_GAIN = 10000.0
SCALE_A = 0.9 * 2 / 19.0114
SCALE_B = -0.9

# Extra input seconds decoded past the last needed sample, so that the resampler's
# filter sees the same neighbourhood as when the whole file is read (soxr HQ needs a
# few milliseconds; 50 ms is generous and cheap).
RESAMPLE_MARGIN_SECONDS = 0.05

FAILURE_REASONS = ("missing", "empty", "not_audio", "corrupt", "too_short", "error")

# First bytes of the containers libsndfile reads: a file starting with one of these that
# still fails to decode is a damaged audio file ("corrupt"), anything else is "not_audio".
_AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b".snd",
                b"caff", b"wvpk", b"MAC ", b"BW64")


class AudioError(Exception):
    """A clip cannot give features.

    Args:
        path: the audio file.
        reason: one of ``missing``, ``empty``, ``not_audio``, ``corrupt``, ``too_short``.
        message: what went wrong, for people.
    """

    def __init__(self, path: str | Path, reason: str, message: str = ""):
        self.path, self.reason, self.message = str(path), reason, message
        super().__init__(f"{path}: {reason}" + (f" ({message})" if message else ""))


# -- scaling ---------------------------------------------------------------------------
def scale(log_power_mel: np.ndarray) -> np.ndarray:
    """``log(1 + 10000 mel)`` -> the network's range (about [-0.9, 0.9]); same shape."""
    return (log_power_mel * np.float32(SCALE_A) + np.float32(SCALE_B)).astype(np.float32)


def unscale(x: np.ndarray) -> np.ndarray:
    """Inverse of ``scale``: network values -> ``log(1 + 10000 mel)``; same shape."""
    return ((np.asarray(x, dtype=np.float32) - np.float32(SCALE_B))
            / np.float32(SCALE_A)).astype(np.float32)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> scipy.sparse.csr_matrix:
    """librosa's default (Slaney) mel filterbank, float32 ``[n_mels, n_fft // 2 + 1]``.

    Cached, and sparse: each band covers a few bins, so the sparse product is ~20x
    cheaper than the dense one and building the bank costs more than applying it.
    """
    return scipy.sparse.csr_matrix(librosa.filters.mel(sr=sample_rate, n_fft=n_fft,
                                                       n_mels=n_mels))


@lru_cache(maxsize=8)
def _hann(n_fft: int) -> np.ndarray:
    return librosa.filters.get_window("hann", n_fft, fftbins=True).astype(np.float32)


def power_spectrogram(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``|STFT|^2`` as ``librosa.stft`` computes it by default (periodic Hann window,
    centered frames, zero padding), in float32.

    Args:
        y: float32 ``[n]`` waveform.

    Returns:
        float32 ``[1 + n // hop_length, n_fft // 2 + 1]`` (frames first, bins second).
    """
    padded = np.pad(np.asarray(y, dtype=np.float32), n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    spec = scipy.fft.rfft(frames * _hann(n_fft), axis=1)
    return spec.real ** 2 + spec.imag ** 2  # np.abs() ** 2 would take a square root first


def log_mel(y: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Scaled log-mel spectrogram of mono audio at ``cfg.sample_rate``.

    Args:
        y: float32 ``[n]`` waveform.
        cfg: feature settings.

    Returns:
        float32 ``[n_mels, 1 + n // hop_length]`` (centered frames, zero padding as
        ``librosa.feature.melspectrogram``), scaled with ``scale``.
    """
    power = power_spectrogram(y, cfg.n_fft, cfg.hop_length)
    mel = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels) @ power.T
    return scale(np.log1p(np.float32(LOG_OFFSET_GAIN) * np.asarray(mel, dtype=np.float32)))


# -- audio -----------------------------------------------------------------------------
_STDERR_LOCK = threading.Lock()


@contextmanager
def _decoder_notes_muted():
    """Keep libsndfile's MPEG decoder (libmpg123) from printing its own ``Note: Illegal
    Audio-MPEG-Header ...`` lines: it writes them to file descriptor 2 directly, past
    Python. The kit reports such a file in one line of its own (``AudioError``)."""
    fd = 2  # C's stderr, whatever Python's sys.stderr is now
    with _STDERR_LOCK:
        sys.stderr.flush()
        try:
            saved = os.dup(fd)
        except OSError:  # no descriptor 2 at all (a detached process): nothing to mute
            yield
            return
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
                os.close(saved)


def _classify_open_error(path: Path, exc: Exception) -> AudioError:
    with open(path, "rb") as fh:
        head = fh.read(4)
    mpeg_sync = len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0
    if head.startswith(_AUDIO_MAGIC) or mpeg_sync:
        return AudioError(path, "corrupt", f"audio header but undecodable: {exc}")
    # libsndfile's own message here is often misleading ("not a regular file").
    return AudioError(path, "not_audio", f"libsndfile recognises no audio format (first "
                                         f"bytes {head!r})")


def _read(path: str | Path, sample_rate: int, max_seconds: float,
          need: int | None = None) -> np.ndarray:
    """Decode, downmix and resample; with ``need``, stop once ``need`` output samples
    (plus the resampler margin) are decoded. Returns float32 ``[n]``."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "missing", "no such file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty", "the file has 0 bytes")
    try:
        with _decoder_notes_muted():
            fh = sf.SoundFile(str(path))
    except Exception as exc:  # libsndfile raises several types for a bad header
        raise _classify_open_error(path, exc) from None
    with fh, _decoder_notes_muted():
        sr_native = fh.samplerate
        # The same sample count librosa.load(duration=max_seconds) reads.
        limit = int(max_seconds * sr_native)
        if need is not None:
            margin = 0 if sr_native == sample_rate else RESAMPLE_MARGIN_SECONDS
            want = math.ceil(need * sr_native / sample_rate) + math.ceil(margin * sr_native)
            limit = min(limit, want)
        try:
            x = fh.read(frames=limit, dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioError(path, "corrupt", f"decoding failed: {exc}") from None
    if x.shape[0] == 0:
        raise AudioError(path, "too_short", "no audio samples")
    if x.shape[1] == 1:
        y = x[:, 0]
    elif x.shape[1] == 2:
        # Bit-identical to np.mean here and ~15x faster on the strided [n, 2] buffer.
        y = (x[:, 0] + x[:, 1]) * np.float32(0.5)
    else:
        y = x.mean(axis=1, dtype=np.float32)
    if not np.isfinite(y).all():
        raise AudioError(path, "corrupt", "decoded samples are not finite")
    if sr_native != sample_rate:
        y = soxr.resample(y, sr_native, sample_rate, quality="soxr_hq")
        y = y.astype(np.float32, copy=False)
    return y


def load_audio(path: str | Path, sample_rate: int = 22050, max_seconds: float = 29.0
               ) -> np.ndarray:
    """The first ``max_seconds`` of a file as float32 mono ``[n]`` at ``sample_rate``.

    Any rate and channel count libsndfile reads (WAV, FLAC, OGG, MP3); channels are
    averaged and the rate converted with soxr HQ, as ``librosa.load`` does.

    Raises:
        AudioError: ``missing``, ``empty``, ``not_audio``, ``corrupt`` or ``too_short``
            (no samples at all).
    """
    return _read(path, sample_rate, max_seconds)


def audio_seconds(path: str | Path) -> float | None:
    """The length of an audio file in seconds from its header (no decoding), or None when
    the header does not say."""
    try:
        with _decoder_notes_muted():
            info = sf.info(str(path))
    except Exception:  # libsndfile raises several types; the decoder reports the file
        return None
    return info.frames / info.samplerate if info.samplerate and info.frames > 0 else None


def clip_features(path: str | Path, cfg: FeatureConfig) -> np.ndarray:
    """The paper's feature matrix of one clip, float32 ``[n_mels, cfg.frames]``.

    Equal (to ~1e-6; the tests allow 1e-3) to ``reference_log_mel``, but decodes only
    what the kept frames need. Clips with fewer than ``cfg.frames`` frames are dropped
    (``AudioError``, reason ``too_short``) or, with ``short_policy: pad``, padded with
    silence.
    """
    y = _read(path, cfg.sample_rate, cfg.max_seconds, need=cfg.needed_samples)
    if len(y) < cfg.min_samples:
        if cfg.short_policy == "drop":
            raise AudioError(path, "too_short",
                             f"{len(y) / cfg.sample_rate:.2f} s of audio, {cfg.frames} "
                             f"frames need {cfg.frames_seconds:.2f} s")
    # Exactly the samples the kept frames see: centered frame t covers
    # [t * hop - n_fft / 2, t * hop + n_fft / 2); zeros stand in beyond the clip's end.
    y = y[:cfg.needed_samples]
    if len(y) < cfg.needed_samples:
        y = np.pad(y, (0, cfg.needed_samples - len(y)))
    return np.ascontiguousarray(log_mel(y, cfg)[:, :cfg.frames])


def reference_log_mel(path: str | Path, cfg: FeatureConfig | None = None) -> np.ndarray:
    """The paper's naive recipe, the ground truth for ``clip_features``.

    ``librosa.load`` (mono, ``max_seconds``), ``librosa.feature.melspectrogram`` with its
    defaults, scaling, then the first ``frames`` frames: float32 ``[n_mels, T]`` with
    ``T <= frames`` (fewer when the clip is short).
    """
    cfg = cfg or FeatureConfig()
    y, sr = librosa.load(str(path), sr=cfg.sample_rate, mono=True, duration=cfg.max_seconds)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                         n_mels=cfg.n_mels)
    return scale(np.log(1 + LOG_OFFSET_GAIN * mel))[:, :cfg.frames]


@lru_cache(maxsize=8)
def _mel_pinv(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    return np.linalg.pinv(mel_filterbank(sample_rate, n_fft, n_mels).toarray()).astype(
        np.float32)


def mel_to_audio(x: np.ndarray, cfg: FeatureConfig, n_iter: int = 32,
                 exact: bool = True) -> np.ndarray:
    """Listenable audio from a scaled log-mel (Griffin-Lim through librosa).

    Args:
        x: float32 ``[n_mels, T]`` scaled log-mel (an input or a reconstruction).
        cfg: the settings the features were made with (rate, n_fft, hop).
        n_iter: Griffin-Lim iterations.
        exact: find the STFT magnitude under the mel by non-negative least squares
            (librosa's ``mel_to_stft``; its L-BFGS may take from a second to minutes on
            a 30 s mel). False: the filterbank's pseudo-inverse clipped at zero, a fixed
            cost of milliseconds for a slightly coarser sound; what answers a click.

    Returns:
        float32 ``[(T - 1) * hop_length]`` waveform at ``cfg.sample_rate``: librosa's
        inverse of ``T`` centered frames (the half windows at both ends are trimmed).
    """
    mel = np.maximum(np.expm1(unscale(x)) / np.float32(LOG_OFFSET_GAIN), np.float32(0))
    if exact:
        y = librosa.feature.inverse.mel_to_audio(
            mel, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
            n_iter=n_iter)
    else:
        power = np.maximum(_mel_pinv(cfg.sample_rate, cfg.n_fft, mel.shape[0]) @ mel, 0)
        y = librosa.griffinlim(np.sqrt(power), n_iter=n_iter, hop_length=cfg.hop_length,
                               n_fft=cfg.n_fft)
    return y.astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, sr: int) -> Path:
    """Write ``audio [samples]`` as 16-bit PCM (clipped to [-1, 1]); the folder is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0), int(sr),
             subtype="PCM_16")
    return path


__all__ = ["AudioError", "FAILURE_REASONS", "clip_features", "load_audio",
           "log_mel", "mel_filterbank", "mel_to_audio", "power_spectrogram", "reference_log_mel",
           "scale", "unscale", "write_wav"]
