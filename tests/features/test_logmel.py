"""The paper's log-mel features: the kit's fast path equals the naive librosa recipe."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from vqvae_lib.features.logmel import (
    AudioError,
    audio_seconds,
    clip_features,
    load_audio,
    log_mel,
    mel_to_audio,
    reference_log_mel,
    scale,
    unscale,
)
from vqvae_lib.settings.features import FeatureConfig
from vqvae_lib.utils.config import ConfigError, from_dict


def music_like(seconds: float, sr: int, channels: int, seed: int = 0) -> np.ndarray:
    """float32 ``[n, channels]``: gliding harmonic tones, on/off notes and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    chans = []
    for c in range(channels):
        f0 = 220 * (1 + c) * (1 + 0.05 * np.sin(2 * np.pi * 0.3 * t))
        tone = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / sr) / k for k in (1, 2, 3, 5))
        gate = (np.sin(2 * np.pi * (2 + c) * t) > 0).astype(float)
        chans.append(0.2 * tone * (0.3 + gate) + 0.02 * rng.standard_normal(len(t)))
    return np.stack(chans, 1).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_clip_features_equal_the_naive_recipe_on_44k_stereo(tmp_path, fmt):
    path = tmp_path / f"clip.{fmt}"
    sf.write(path, music_like(6.0, 44100, 2), 44100)
    # 200 frames need 4.6 s of the 6 s clip: the kit decodes only those, the naive
    # recipe the whole clip (up to max_seconds).
    cfg = FeatureConfig(frames=200)
    fast, naive = clip_features(path, cfg), reference_log_mel(path, cfg)
    assert fast.shape == naive.shape == (128, 200)
    assert fast.dtype == np.float32
    assert np.abs(fast - naive).max() <= 1e-3
    # The paper's scaling puts real audio inside about [-0.9, 0.9].
    assert -0.91 < fast.min() and fast.max() < 1.0


def test_max_seconds_cuts_the_audio_as_librosa_load_does(tmp_path):
    path = tmp_path / "clip.flac"
    sf.write(path, music_like(4.0, 48000, 2, seed=1), 48000)
    cfg = FeatureConfig(frames=120, max_seconds=2.8)  # the last frames see the cut
    assert np.abs(clip_features(path, cfg) - reference_log_mel(path, cfg)).max() <= 1e-3


def test_log_mel_frame_count_and_scaling_of_silence():
    cfg = FeatureConfig(frames=16)
    x = log_mel(np.zeros(5000, np.float32), cfg)
    assert x.shape == (128, 1 + 5000 // 512)
    np.testing.assert_allclose(x, -0.9, atol=1e-6)  # log(1 + 0) * a + b


def test_scale_and_unscale_are_inverse():
    v = np.linspace(0, 19.0114, 7, dtype=np.float32)
    np.testing.assert_allclose(scale(v)[[0, -1]], [-0.9, 0.9], atol=1e-6)
    np.testing.assert_allclose(unscale(scale(v)), v, atol=1e-5)


def test_short_clips_are_dropped_or_padded_with_silence(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, music_like(2.0, 22050, 1), 22050)
    drop = FeatureConfig(frames=128, max_seconds=4.0)  # 128 frames need 2.95 s
    with pytest.raises(AudioError) as err:
        clip_features(path, drop)
    assert err.value.reason == "too_short" and err.value.path == str(path)

    pad = FeatureConfig(frames=128, max_seconds=4.0, short_policy="pad")
    x = clip_features(path, pad)
    naive = reference_log_mel(path, pad)  # what the clip has: 1 + 44100 // 512 = 87 frames
    assert x.shape == (128, 128) and naive.shape == (128, 87)
    assert np.abs(x[:, :87] - naive).max() <= 1e-3
    np.testing.assert_allclose(x[:, 90:], -0.9, atol=1e-6)  # silence after the clip


def test_load_audio_any_rate_and_channels(tmp_path):
    path = tmp_path / "stereo48k.ogg"
    sf.write(path, music_like(1.0, 48000, 2), 48000)
    y = load_audio(path, sample_rate=22050, max_seconds=0.5)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 0.5 * 22050) <= 1


@pytest.mark.parametrize("name, content, reason", [
    ("missing.wav", None, "missing"),
    ("empty.flac", b"", "empty"),
    ("text.mp3", b"not audio at all, just text\n" * 20, "not_audio"),
    ("broken.flac", "garble", "corrupt"),
])
def test_unusable_files_raise_audio_error_with_a_reason(tmp_path, capfd, name, content,
                                                        reason):
    path = tmp_path / name
    if content == "garble":
        sf.write(path, music_like(1.0, 22050, 1), 22050)
        data = bytearray(path.read_bytes())
        data[100:] = np.random.default_rng(0).integers(0, 256, len(data) - 100,
                                                         dtype=np.uint8).tobytes()
        path.write_bytes(bytes(data))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert err.value.reason == reason
    if reason != "corrupt":
        assert audio_seconds(path) is None
    # The decoder's own notes (libmpg123's "Note: Illegal Audio-MPEG-Header ...") stay
    # off the terminal; the kit's one-line error is what the user sees.
    assert "Note:" not in capfd.readouterr().err


@pytest.mark.parametrize("exact", [True, False])  # False: the explorer's fast inverse
def test_mel_to_audio_gives_audio_of_the_right_length_rate_and_pitch(exact):
    cfg = FeatureConfig(n_mels=64, n_fft=512, hop_length=128, frames=48, max_seconds=1.0)
    t = np.arange(cfg.needed_samples) / cfg.sample_rate
    x = log_mel((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), cfg)[:, :cfg.frames]
    y = mel_to_audio(x, cfg, n_iter=8, exact=exact)
    assert y.dtype == np.float32 and y.shape == ((cfg.frames - 1) * cfg.hop_length,)
    peak = np.fft.rfftfreq(len(y), 1 / cfg.sample_rate)[np.abs(np.fft.rfft(y)).argmax()]
    assert abs(peak - 1000) < 60  # read at cfg.sample_rate, the tone is where it was


@pytest.mark.parametrize("data, message", [
    ({"short_policy": "trim"}, "short_policy"),
    ({"frames": 1024, "max_seconds": 10.0}, "max_seconds"),
    ({"hop_length": 0}, "hop_length"),
    ({"n_mels": 2000}, "n_mels"),
])
def test_feature_config_is_validated(data, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(FeatureConfig, data, "params.yaml: features")
