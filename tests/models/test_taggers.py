"""The GRU and CNN taggers: shapes, gradients, learning a toy task, clamping, eval mode."""

from __future__ import annotations

import pytest
import torch
from sklearn.metrics import roc_auc_score

from vqvae_lib.models.taggers import (
    GRUTagger,
    PonsCNNTagger,
    PonsFrontEnd,
    build_tagger,
    latent_to_sequence,
)
from vqvae_lib.models.vqvae import count_parameters
from vqvae_lib.settings.models import CNNTaggerConfig, GRUTaggerConfig, TaggerConfig
from vqvae_lib.settings.steps import TagConfig
from vqvae_lib.utils.config import ConfigError, from_dict

SMALL = {
    "gru": GRUTaggerConfig(hidden=16),
    "cnn": CNNTaggerConfig(filters=2, backend_filters=16, dense=16),
}


pytestmark = pytest.mark.usefixtures("one_thread")


def test_latent_to_sequence_puts_code_dimension_slowest_and_row_fastest():
    b, d, h, t = 2, 3, 4, 5
    z = torch.randn(b, d, h, t)
    seq = latent_to_sequence(z)
    assert seq.shape == (b, t, d * h)
    for di in range(d):
        for hi in range(h):
            torch.testing.assert_close(seq[:, :, di * h + hi], z[:, di, hi, :])
    with pytest.raises(ValueError):
        latent_to_sequence(torch.randn(2, 3, 5))


@pytest.mark.parametrize("classifier", ["gru", "cnn"])
@pytest.mark.parametrize("rows", [4, 1], ids=["type1", "type2"])
@pytest.mark.parametrize("frames", [16, 64])
def test_logits_shape_for_type1_and_type2_latents(classifier, rows, frames):
    z_q = torch.randn(3, 16, rows, frames)
    seq = latent_to_sequence(z_q)
    model = build_tagger(SMALL[classifier], in_features=16 * rows, n_frames=frames, n_tags=5)
    logits = model(seq)
    assert logits.shape == (3, 5)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("classifier", ["gru", "cnn"])
def test_gradient_reaches_the_latent(classifier):
    z_q = torch.randn(2, 16, 4, 16, requires_grad=True)
    model = build_tagger(SMALL[classifier], in_features=64, n_frames=16, n_tags=3)
    model(latent_to_sequence(z_q)).sum().backward()
    assert z_q.grad is not None and torch.isfinite(z_q.grad).all()
    assert z_q.grad.abs().sum() > 0


def test_fft_and_direct_timbral_convolutions_agree_with_gradients():
    x = torch.randn(2, 40, 12, dtype=torch.float64)
    outputs = {}
    for method in ("conv2d", "fft"):
        torch.manual_seed(1)
        frontend = PonsFrontEnd(n_freq=40, n_frames=12, n=2, method=method).double()
        xi = x.clone().requires_grad_(True)
        y = frontend(xi)
        (y * torch.linspace(-1, 1, y.shape[1], dtype=torch.float64)[:, None]).sum().backward()
        weight_grad = frontend.timbral[0].conv.weight.grad.clone()
        outputs[method] = (y.detach(), xi.grad, weight_grad)
    for a, b in zip(outputs["conv2d"], outputs["fft"]):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)


def _block_task(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """16 frames of 64 features; tag j present <=> feature block j (16 features) is raised."""
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, 4, generator=g) < 0.5).float()
    seq = torch.randn(n, 16, 64, generator=g)
    seq = seq + 1.5 * y.repeat_interleave(16, dim=1)[:, None, :]
    return seq, y


@pytest.mark.parametrize("classifier", ["gru", "cnn"])
def test_tagger_learns_a_separable_toy_task(classifier):
    seq, y = _block_task(n=64, seed=3)
    unseen, unseen_y = _block_task(n=64, seed=4)
    model = build_tagger(SMALL[classifier], in_features=64, n_frames=16, n_tags=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for step in range(80):
        idx = torch.arange(step * 16, step * 16 + 16) % len(seq)
        optimizer.zero_grad()
        loss_fn(model(seq[idx]), y[idx]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        train_auc = roc_auc_score(y.numpy(), torch.sigmoid(model(seq)).numpy())
        unseen_auc = roc_auc_score(unseen_y.numpy(), torch.sigmoid(model(unseen)).numpy())
    assert train_auc >= 0.95, train_auc
    # Learned the rule, not the clips: memorised labels would score about 0.5 here.
    assert unseen_auc >= 0.9, unseen_auc


def test_temporal_filters_are_clamped_to_short_sequences():
    cnn = PonsCNNTagger(in_features=32, n_frames=40, n_tags=3, config=SMALL["cnn"])
    assert cnn.frontend.temporal_lengths == (40, 40, 40, 32)
    assert [b.conv.kernel_size[0] for b in cnn.frontend.temporal] == [40, 40, 40, 32]
    assert cnn.frontend(torch.randn(2, 32, 40)).shape == (2, cnn.frontend.out_channels, 40)
    long = PonsFrontEnd(n_freq=32, n_frames=512, n=2)
    assert long.temporal_lengths == PonsFrontEnd.TEMPORAL_LENGTHS
    # Shorter than the back-end's "valid" conv + pooling: padded, still tagged.
    assert cnn(torch.randn(2, 5, 32)).shape == (2, 3)


@pytest.mark.parametrize("classifier", ["gru", "cnn"])
def test_eval_mode_is_deterministic_and_per_clip(classifier):
    model = build_tagger(SMALL[classifier], in_features=64, n_frames=16, n_tags=4)
    seq = torch.randn(4, 16, 64)
    model.train()
    model(seq)  # moves the BatchNorm running statistics away from their initial values
    assert not torch.equal(model(seq), model(seq))  # dropout is active in training
    model.eval()
    with torch.no_grad():
        first, second = model(seq), model(seq)
        alone = model(seq[1:2])
    assert torch.equal(first, second)
    torch.testing.assert_close(alone, first[1:2])


@pytest.mark.parametrize("classifier", ["gru", "cnn"])
def test_logits_and_predictions_stay_fp32_under_bf16_autocast(classifier):
    model = build_tagger(SMALL[classifier], in_features=64, n_frames=16, n_tags=8).eval()
    seq = torch.randn(16, 16, 64)
    with torch.no_grad():
        reference = model(seq)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(seq)
    assert logits.dtype == torch.float32
    p = torch.sigmoid(logits)
    # A bf16 head would give only scores that survive the round trip through bf16.
    assert (p.to(torch.bfloat16).float() != p).float().mean() > 0.5
    # Only the layers before the head ran in bf16 (8 mantissa bits).
    torch.testing.assert_close(logits, reference, atol=0.05, rtol=0.05)


def test_paper_sizes_and_parameter_count():
    config = CNNTaggerConfig()
    assert (config.classifier, config.filters, config.backend_filters, config.dense) == (
        "cnn", 8, 256, 250)
    gru = GRUTagger(in_features=1024, n_tags=56, config=GRUTaggerConfig())

    def bigru(inp: int, hid: int) -> int:
        return 2 * 3 * (hid * inp + hid * hid + 2 * hid)

    expected = (
        bigru(1024, 256) + bigru(512, 256)  # first BiGRU, two layers
        + 2 * 512  # LayerNorm over the 512 features
        + 2 * bigru(512, 256)  # second BiGRU
        + 2 * 1024  # LayerNorm over the final hidden states
        + (1024 * 512 + 512) + (512 * 256 + 256) + (256 * 56 + 56)
    )
    assert count_parameters(gru) == expected
    for p in gru.gru1.parameters():
        p.requires_grad_(False)
    assert count_parameters(gru, trainable_only=True) == expected - count_parameters(gru.gru1)
    frontend = PonsFrontEnd(n_freq=1024, n_frames=512, n=8)
    assert frontend.out_channels == 29 * 8
    assert [b.k_freq for b in frontend.timbral] == [921] * 3 + [409] * 3


def test_config_from_yaml_mapping():
    config = from_dict(TaggerConfig, {"classifier": "gru", "hidden": 32}, "tag.tagger")
    assert config == GRUTaggerConfig(hidden=32)
    assert isinstance(build_tagger(config, 64, 16, 4), GRUTagger)
    with pytest.raises(ConfigError, match=r"tag\.tagger\.classifier: got 'lstm'"):
        from_dict(TaggerConfig, {"classifier": "lstm"}, "tag.tagger")
    with pytest.raises(ConfigError, match="tag.tagger.classifier: required value is missing"):
        from_dict(TaggerConfig, {"hidden": 32}, "tag.tagger")
    with pytest.raises(ConfigError, match="dropout must be in"):
        from_dict(TaggerConfig, {"classifier": "cnn", "dropout": 1.5}, "tag.tagger")
    # A GRU's size means nothing to the CNN: named, with the keys the CNN knows.
    with pytest.raises(ConfigError, match="unknown key 'hidden'.*backend_filters"):
        from_dict(TaggerConfig, {"classifier": "cnn", "hidden": 32}, "tag.tagger")


def test_old_flat_spelling_is_read_with_a_note():
    old = {"tagger": {"classifier": "gru", "gru_hidden": 32, "cnn_filters": 4, "cnn_dense": 8}}
    with pytest.warns(FutureWarning, match=r"old spelling; write \{classifier: gru, hidden: 32\}"):
        tag = from_dict(TagConfig, old, "tag")
    assert tag.tagger == GRUTaggerConfig(hidden=32)
    with pytest.warns(FutureWarning):
        tag = from_dict(TagConfig, {"tagger": {"cnn_filters": 2, "cnn_dropout": 0.2}}, "tag")
    assert tag.tagger == CNNTaggerConfig(filters=2, dropout=0.2)
