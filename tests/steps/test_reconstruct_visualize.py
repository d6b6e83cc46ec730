"""Step 03: encoding a split, Griffin-Lim audio, and ``inspect_run``'s result and files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vqvae_lib.analysis.codebook import codebook_usage, dead_codes
from vqvae_lib.features.logmel import write_wav
from vqvae_lib.models.checkpoint import save_checkpoint
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.runs.run import Run
from vqvae_lib.settings.models import QuantizerConfig, VQVAEConfig
from vqvae_lib.steps.extract import extract_run
from vqvae_lib.steps.reconstruct_visualize import encode_split, inspect_run, reconstruction_audio
from vqvae_lib.utils.config import to_dict


class ListSplit(torch.utils.data.Dataset):
    def __init__(self, x: torch.Tensor, labels: np.ndarray):
        self.x, self.labels = x, labels
        self.ids = [f"clip{i}" for i in range(len(x))]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], torch.from_numpy(self.labels[i].astype(np.float32))


@pytest.fixture
def toy():
    torch.manual_seed(0)
    # The smallest real VQ-VAE: 80 mels (Type-1's minimum), 8 channels, 16 codes.
    model = VQVAE(VQVAEConfig(kind="type1", n_mels=80, channels=8,
                              quantizer=QuantizerConfig(codebook_size=16))).eval()
    x = torch.rand(10, 1, 80, 16) * 1.8 - 0.9
    with torch.no_grad():  # codes drawn from the latents (a data init), so several are chosen
        z = model.encode_latent(x).permute(0, 2, 3, 1).reshape(-1, 8)
        model.quantizer.codebook.copy_(z[torch.randperm(len(z))[:16]])
    return model, ListSplit(x, np.zeros((10, 2), bool))


def test_encode_split_matches_the_model_clip_by_clip(toy):
    model, split = toy
    enc = encode_split(model, split, batch_size=3, keep=4)
    assert enc.indices.shape == (10, 1, 8) and enc.recon_error.shape == (10,)
    with torch.no_grad():
        out = model(split.x)
    np.testing.assert_array_equal(enc.indices, out.indices.numpy())
    assert len(np.unique(enc.indices)) > 1
    mse = ((out.x_hat - split.x) ** 2).mean(dim=(1, 2, 3)).numpy()
    np.testing.assert_allclose(enc.recon_error, mse, rtol=1e-5)
    assert enc.x.shape == enc.x_hat.shape == (4, 80, 16)
    np.testing.assert_allclose(enc.x_hat, out.x_hat[:4, 0].numpy(), atol=1e-6)


def test_usage_counts_equal_a_direct_bincount_of_the_encoded_indices(toy):
    model, split = toy
    K = model.config.quantizer.codebook_size
    counts = codebook_usage(encode_split(model, split, batch_size=4).indices, K)
    with torch.no_grad():
        direct = torch.bincount(model.encode(split.x).flatten(), minlength=K).numpy()
    np.testing.assert_array_equal(counts, direct)
    assert counts.shape == (K,) and counts.sum() == 10 * 1 * 8
    assert dead_codes(counts) == int((direct == 0).sum())


def test_write_wav_round_trips(tmp_path):
    sf = pytest.importorskip("soundfile")
    audio = 0.5 * np.sin(np.linspace(0, 200, 4000)).astype(np.float32)
    path = write_wav(tmp_path / "sub" / "a.wav", audio, 8000)
    back, sr = sf.read(path, dtype="float32")
    assert sr == 8000 and len(back) == 4000
    np.testing.assert_allclose(back, audio, atol=1e-3)


def test_inverting_an_unmodified_mel_gives_audio_of_the_right_length_rate_and_pitch(tmp_path):
    features = pytest.importorskip("vqvae_lib.features.logmel")
    sf = pytest.importorskip("soundfile")
    cfg = features.FeatureConfig(frames=32)
    sr, hop = cfg.sample_rate, cfg.hop_length
    t = np.arange(int(sr * 0.8)) / sr
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    x = features.log_mel(tone, cfg)[:, :cfg.frames]  # the kit's own features, unmodified
    audio_in, audio_out = reconstruction_audio(x, x, cfg, n_iter=8)
    for audio in (audio_in, audio_out):
        assert audio.dtype == np.float32
        assert abs(len(audio) - cfg.frames * hop) <= hop
    spectrum = np.abs(np.fft.rfft(audio_in))
    peak_hz = np.fft.rfftfreq(len(audio_in), 1 / sr)[spectrum.argmax()]
    assert abs(peak_hz - 1000) < 100  # one mel band near 1 kHz is ~ 60 Hz wide
    path = write_wav(tmp_path / "out.wav", audio_out, sr)
    info = sf.info(path)
    assert info.samplerate == sr and info.frames == len(audio_out)


# inspect.json's keys, in the order written: what readers of the file rely on.
SUMMARY_KEYS = ["K", "latent_shape", "usage_split", "perplexity", "used_codes", "dead_codes",
                "recon_mse_mean", "splits", "best_clips", "worst_clips", "probe_roc_auc_macro",
                "probe", "audio"]


def _extracted_run(tmp_path, n_clips: int, extra: str = "") -> Run:
    """A tiny demo run, extracted, with an untrained VQ-VAE standing in for step 02
    (inspection reads only its checkpoint)."""
    tiny = Path(__file__).resolve().parents[2] / "params" / "tiny.yaml"
    params = tmp_path / "inspect.yaml"
    params.write_text(f"extends: {tiny}\nname: inspect-test\ndata:\n"
                      f"  tag: {{kind: demo, n_clips: {n_clips}, clip_seconds: 1.6, seed: 0}}\n"
                      + extra)
    run = Run(params, tmp_path / "outputs")
    extract_run(run, progress=False)
    torch.manual_seed(0)
    model = VQVAE(run.params.vqvae)
    save_checkpoint({"vqvae_config": to_dict(run.params.vqvae), "model": model.state_dict()},
                    run.dir / "pretrain" / "best.pt")
    return run


def test_inspect_run_writes_its_summary_and_sounds(tmp_path):
    import soundfile as sf

    run = _extracted_run(tmp_path, 30)
    result = inspect_run(run, progress=False)
    summary = json.loads((run.dir / "inspect.json").read_text())
    assert list(summary) == SUMMARY_KEYS
    assert summary == json.loads(json.dumps(result.to_json()))
    assert result.files[0] == run.dir / "inspect.json" and len(result.files) == 1 + 2 * len(
        result.audio)
    K = run.params.vqvae.quantizer.codebook_size
    held_out = summary["usage_split"]
    assert summary["K"] == K == len(result.counts) == result.K
    assert summary["used_codes"] + summary["dead_codes"] == K
    held_idx = result.splits[held_out].indices
    np.testing.assert_array_equal(result.counts, np.bincount(held_idx.ravel(), minlength=K))
    for split, figures in summary["splits"].items():
        assert figures["clips"] == len(result.splits[split].ids)
        assert figures["recon_mse_mean"] == pytest.approx(result.splits[split].recon_error.mean())
    assert summary["best_clips"][0]["mse"] <= summary["worst_clips"][0]["mse"]
    auc = summary["probe_roc_auc_macro"]
    assert auc is None or 0.0 <= auc <= 1.0
    if result.probe is not None:
        assert (summary["probe"]["train_split"], summary["probe"]["eval_split"]) == (
            "train", held_out)
    assert result.lift.shape == (len(result.tags), K)
    errors = result.errors
    assert len(errors.errors) == len(errors.ids) == len(errors.groups) == sum(
        len(s.ids) for s in result.splits.values())

    n = run.params.inspect.n_clips
    frames, n_mels = run.params.features.frames, run.params.features.n_mels
    assert result.reconstructions.x.shape == (2 * n, n_mels, frames)
    assert len(result.reconstructions.titles) == 2 * n
    assert result.code_map.mel.shape == (n_mels, frames)
    assert len(summary["audio"]) == run.params.inspect.n_audio
    hop = run.params.features.hop_length
    for entry in summary["audio"]:
        for key in ("input", "reconstruction"):
            info = sf.info(run.dir / entry[key])
            assert info.samplerate == run.params.features.sample_rate
            assert abs(info.frames - frames * hop) <= hop


def test_audio_seconds_inverts_only_the_start_of_each_clip(tmp_path):
    import soundfile as sf

    run = _extracted_run(tmp_path, 20, "inspect: {audio_seconds: 0.5, tsne: false}\n")
    result = inspect_run(run, progress=False)
    assert result.audio
    sr, hop = run.params.features.sample_rate, run.params.features.hop_length
    # The summaries still cover whole clips; only the sounds are cut.
    assert result.code_map.mel.shape[-1] == run.params.features.frames
    for pair in result.audio:
        for path in (pair.input, pair.reconstruction):
            info = sf.info(path)
            assert abs(info.frames - 0.5 * sr) <= hop


def test_audio_seconds_must_be_positive():
    from vqvae_lib.settings.steps import InspectConfig

    with pytest.raises(ValueError, match="inspect.audio_seconds"):
        InspectConfig(audio_seconds=0)
