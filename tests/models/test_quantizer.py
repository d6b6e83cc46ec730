"""The vector quantizer: settings, straight-through gradient, codebook usage on toy
clusters, fp32 codes under bf16 autocast, dead-code restart and saved state."""

from __future__ import annotations

import pytest
import torch

from vqvae_lib.models.quantizer import VectorQuantizer
from vqvae_lib.settings.models import QuantizerConfig
from vqvae_lib.utils.config import ConfigError, from_dict

pytestmark = pytest.mark.usefixtures("one_thread")


def as_latent(points: torch.Tensor) -> torch.Tensor:
    """Tensor[N x D] -> Tensor[1 x D x 1 x N], the quantizer's [B, D, H, T] layout."""
    return points.t().reshape(1, points.shape[1], 1, points.shape[0]).contiguous()


def test_config_reads_from_params_and_rejects_bad_values():
    cfg = from_dict(QuantizerConfig, {"preset": "improved", "codebook_size": 64,
                                      "kmeans_init": None, "projection_dim": 8}, "vqvae.quantizer")
    assert cfg.use_kmeans and cfg.projection_dim == 8 and cfg.beta == 0.25
    assert not QuantizerConfig().use_kmeans and QuantizerConfig().beta == 1.0  # the paper's
    assert QuantizerConfig(preset="improved", commitment_weight=0.5).beta == 0.5
    with pytest.raises(ConfigError, match="vqvae.quantizer.preset"):
        from_dict(QuantizerConfig, {"preset": "ema"}, "vqvae.quantizer")
    for bad in ({"codebook_size": 1}, {"ema_decay": 1.0}, {"commitment_weight": -1.0},
                {"kmeans_iters": 0}, {"dead_code_threshold": -0.5}, {"projection_dim": 0},
                {"preset": "paper", "kmeans_init": True}, {"preset": "paper", "projection_dim": 8}):
        with pytest.raises(ValueError):
            QuantizerConfig(**bad)


@pytest.mark.parametrize("preset", ["paper", "improved"])
def test_straight_through_gradient_reaches_encoder_output_unchanged(preset):
    vq = VectorQuantizer(6, QuantizerConfig(preset=preset, codebook_size=16))
    vq(torch.randn(2, 6, 3, 5))  # the improved preset's k-means init happens here
    codebook = vq.codebook.detach().clone()  # the EMA update will move it after the search
    z_e = torch.randn(2, 6, 3, 5, requires_grad=True)
    out = vq(z_e)
    out.z_q.retain_grad()
    assert torch.equal(out.z_q, codebook[out.indices].permute(0, 3, 1, 2))  # value: the code
    weights = torch.randn_like(z_e)
    (out.z_q * weights).sum().backward()
    assert torch.equal(z_e.grad, out.z_q.grad)


def test_paper_codebook_learns_only_from_the_codebook_loss():
    vq = VectorQuantizer(6, QuantizerConfig(preset="paper", codebook_size=16))
    z_e = torch.randn(2, 6, 3, 5, requires_grad=True)
    out = vq(z_e)
    (out.z_q.square().sum() + out.commitment_loss).backward()
    assert vq.embedding.weight.grad is None or not vq.embedding.weight.grad.any()
    assert z_e.grad.abs().sum() > 0

    vq.zero_grad()
    z_e.grad = None
    vq(z_e).codebook_loss.backward()
    assert vq.embedding.weight.grad.abs().sum() > 0
    assert z_e.grad is None  # the codebook loss stops the gradient to the encoder


def test_projection_gives_codes_in_latent_space_and_trains_both_maps():
    vq = VectorQuantizer(12, QuantizerConfig(preset="improved", codebook_size=8, projection_dim=3))
    z_e = torch.randn(2, 12, 2, 16, requires_grad=True)
    out = vq(z_e)
    assert vq.codebook.shape == (8, 12)
    with torch.no_grad():
        eval_out = vq.eval()(z_e)
    assert torch.allclose(eval_out.z_q, vq.embed(eval_out.indices), atol=1e-6)
    (out.z_q.square().mean() + out.commitment_loss).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in vq.parameters())
    assert z_e.grad.abs().sum() > 0


def gaussian_clusters(n_clusters: int, dim: int, seed: int) -> torch.Tensor:
    return torch.randn(n_clusters, dim, generator=torch.Generator().manual_seed(seed)) * 4


def train_on_clusters(preset: str, centres: torch.Tensor, steps: int) -> int:
    """Train a K = n_clusters quantizer on samples of the clusters; codes used afterwards."""
    k, dim = centres.shape
    vq = VectorQuantizer(dim, QuantizerConfig(preset=preset, codebook_size=k))
    opt = torch.optim.Adam(vq.parameters(), lr=1e-2) if preset == "paper" else None
    for _ in range(steps):
        points = centres[torch.randint(0, k, (1024,))] + 0.1 * torch.randn(1024, dim)
        out = vq(as_latent(points))
        if opt is not None:
            opt.zero_grad()
            out.codebook_loss.backward()
            opt.step()
    vq.eval()
    points = centres.repeat(16, 1) + 0.1 * torch.randn(16 * k, dim)
    return int(vq(as_latent(points)).stats["used_codes"])


def test_improved_preset_uses_the_codebook_on_toy_clusters():
    centres = gaussian_clusters(64, 8, seed=1)
    improved = train_on_clusters("improved", centres, steps=30)
    paper = train_on_clusters("paper", centres, steps=30)
    assert improved >= 0.95 * 64
    assert improved > paper


@pytest.mark.parametrize("preset", ["paper", "improved"])
def test_bf16_autocast_picks_the_same_codes_as_fp32(preset):
    k, dim = 512, 64
    vq = VectorQuantizer(dim, QuantizerConfig(preset=preset, codebook_size=k, kmeans_init=None))
    codes = torch.randn(k, dim)
    with torch.no_grad():
        (vq.embedding.weight if preset == "paper" else vq.ema.embed).copy_(codes)
    vq.eval()
    z = torch.randn(2, dim, 4, 64)
    expected = vq(z).indices
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = vq(z)
        out_bf16_input = vq(z.bfloat16())
    assert torch.equal(out.indices, expected)
    assert out.z_q.dtype == torch.float32
    # A bf16 encoder output is searched as it is, in fp32.
    assert torch.equal(out_bf16_input.indices, vq(z.bfloat16().float()).indices)
    assert out_bf16_input.z_q.dtype == torch.bfloat16


def test_dead_code_restart_resets_ema_statistics():
    k, dim = 8, 4
    vq = VectorQuantizer(dim, QuantizerConfig(preset="improved", codebook_size=k,
                                              kmeans_init=False, dead_code_threshold=1.0))
    before = vq.codebook.clone()
    data = 10.0 + torch.randn(64, dim)  # far from the initial codes, which sit near 0
    out = vq(as_latent(data))
    restarted = vq.ema.cluster_size == 1.0
    restarted &= (vq.codebook - before).abs().amax(1) > 1.0
    assert int(out.stats["restarts"]) == int(restarted.sum()) > 0
    # Each restarted code is a current encoder output, and its EMA statistics say so.
    new = vq.codebook[restarted]
    assert ((new[:, None] - data[None]).abs().amax(-1) < 1e-6).any(1).all()
    assert torch.allclose(vq.ema.embed_sum[restarted], new * 1.0)

    vq(as_latent(10.0 + torch.randn(64, dim)))
    # The next EMA update keeps the restarted codes among the data instead of pulling
    # them back towards their old place (the stale-statistics bug).
    centre = data.mean(0)
    moved = (vq.codebook[restarted] - centre).norm(dim=1)
    assert moved.max() < 0.5 * (before[restarted] - centre).norm(dim=1).min()


def test_eval_mode_changes_nothing():
    vq = VectorQuantizer(4, QuantizerConfig(preset="improved", codebook_size=8)).eval()
    state = {k: v.clone() for k, v in vq.state_dict().items()}
    out = vq(torch.randn(2, 4, 3, 5))
    assert all(torch.equal(v, vq.state_dict()[k]) for k, v in state.items())
    assert int(out.stats["restarts"]) == 0
    assert not bool(vq.ema.initialized)  # k-means waits for the first training batch


def test_state_dict_round_trip_resumes_exactly():
    cfg = QuantizerConfig(preset="improved", codebook_size=16, projection_dim=3)
    vq = VectorQuantizer(6, cfg)
    for _ in range(3):
        vq(torch.randn(2, 6, 2, 16))
    clone = VectorQuantizer(6, cfg)
    clone.load_state_dict(vq.state_dict())
    assert set(vq.state_dict()) >= {"ema.embed", "ema.embed_sum", "ema.cluster_size",
                                    "ema.initialized"}
    assert bool(clone.ema.initialized)
    z = torch.randn(2, 6, 2, 16)
    torch.manual_seed(5)
    a = vq(z)
    torch.manual_seed(5)
    b = clone(z)  # no second k-means: the initialised flag came with the state
    assert torch.equal(a.indices, b.indices) and torch.equal(a.z_q, b.z_q)
    for key, value in vq.state_dict().items():
        assert torch.equal(value, clone.state_dict()[key]), key
