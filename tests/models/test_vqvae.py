"""The VQ-VAE: the paper's shapes and parameter counts, encode/decode agreeing with
forward, channels_last, saved state, and two-process DDP training."""

from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from vqvae_lib.models.vqvae import VQVAE, count_parameters
from vqvae_lib.settings.models import QuantizerConfig, VQVAEConfig

# A few channels, the paper's 128 mels (Type-2 needs all of them), short clips.
SMALL = {"n_mels": 128, "channels": 8}


pytestmark = pytest.mark.usefixtures("one_thread")


def small(kind: str = "type1", **quantizer) -> VQVAE:
    q = QuantizerConfig(**{"codebook_size": 16, **quantizer})
    return VQVAE(VQVAEConfig(kind=kind, quantizer=q, **SMALL))


def mels(batch: int = 2, frames: int = 16) -> torch.Tensor:
    return torch.rand(batch, 1, 128, frames) * 1.8 - 0.9


def train_steps(model: VQVAE, steps: int, batch: int = 2, frames: int = 16) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(steps):
        x = mels(batch, frames)
        out = model(x)
        loss = (F.mse_loss(out.x_hat, x) + out.codebook_loss
                + model.config.quantizer.beta * out.commitment_loss)
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("codes, expected", [(512, 9_849_089), (1024, 9_980_161)])
def test_paper_parameter_counts(codes, expected):
    with torch.device("meta"):  # shapes only: no memory, no init cost
        model = VQVAE(VQVAEConfig(quantizer=QuantizerConfig(codebook_size=codes)))
    assert count_parameters(model) == expected


@pytest.mark.parametrize("kind, rows", [("type1", 4), ("type2", 1)])
def test_paper_latent_shape_at_128_by_1024(kind, rows):
    with torch.device("meta"):
        model = VQVAE(VQVAEConfig(kind=kind)).eval()
        out = model(torch.empty(2, 1, 128, 1024))
    assert model.latent_shape(1024) == (256, rows, 512)
    assert out.z_e.shape == out.z_q.shape == (2, 256, rows, 512)
    assert out.indices.shape == (2, rows, 512)
    assert out.x_hat.shape == (2, 1, 128, 1024)


@pytest.mark.parametrize("kind", ["type1", "type2"])
@pytest.mark.parametrize("frames", [16, 40])
def test_shapes_follow_the_number_of_frames(kind, frames):
    model = small(kind)
    out = model(mels(2, frames))
    d, h, t = model.latent_shape(frames)
    assert (d, t) == (8, frames // 2) and h == (4 if kind == "type1" else 1)
    assert out.z_e.shape == out.z_q.shape == (2, d, h, t)
    assert out.indices.shape == (2, h, t) and out.indices.dtype == torch.long
    assert out.x_hat.shape == (2, 1, 128, frames)
    assert out.x_hat.abs().max() <= 1.0  # tanh output
    assert set(out.stats) == {"perplexity", "used_codes", "dead_codes", "restarts"}


def test_bad_sizes_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="multiple of 16"):
        VQVAEConfig(n_mels=100)
    with pytest.raises(ValueError, match="at least 128"):
        VQVAEConfig(kind="type2", n_mels=96)
    VQVAEConfig(kind="type1", n_mels=96)  # 6 rows after conv4 still fit conv5's 5
    with pytest.raises(ValueError, match="even"):
        small()(mels(1, 15))


@pytest.mark.parametrize("preset", ["paper", "improved"])
def test_decoding_the_codes_reproduces_forward_in_eval_mode(preset):
    model = small(preset=preset)
    train_steps(model, 2)  # moves BatchNorm statistics and, for improved, the EMA codebook
    model.eval()
    x = mels(3)
    with torch.no_grad():
        out = model(x)
        codes = model.encode(x)
        assert torch.equal(codes, out.indices)
        assert torch.equal(model.encode(x), codes)
        assert torch.equal(model.embed(codes), out.z_q)
        assert torch.equal(model.decode(model.embed(codes)), out.x_hat)
        assert torch.equal(model.decode_indices(codes), out.x_hat)


def test_channels_last_gives_the_same_model():
    model = small(preset="improved", projection_dim=4)
    train_steps(model, 1)
    model.eval()
    x = mels(2)
    with torch.no_grad():
        expected = model(x)
        model = model.to(memory_format=torch.channels_last)
        out = model(x.contiguous(memory_format=torch.channels_last))
        assert torch.equal(out.indices, expected.indices)
        assert torch.allclose(out.x_hat, expected.x_hat, atol=1e-5)
        assert torch.allclose(model.decode_indices(out.indices), out.x_hat, atol=1e-6)
    # and it trains under bf16 autocast, the default CPU path
    model.train()
    xl = x.contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(xl)
    loss = F.mse_loss(out.x_hat.float(), x) + out.commitment_loss
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_state_dict_round_trip_gives_identical_outputs():
    model = small(preset="improved", projection_dim=4)
    train_steps(model, 2)
    clone = small(preset="improved", projection_dim=4)
    clone.load_state_dict(model.state_dict())
    assert bool(clone.quantizer.ema.initialized)
    x = mels(2)
    model.eval(), clone.eval()
    with torch.no_grad():
        a, b = model(x), clone(x)
    assert torch.equal(a.x_hat, b.x_hat) and torch.equal(a.indices, b.indices)
    model.train(), clone.train()
    torch.manual_seed(3)
    a = model(x)
    torch.manual_seed(3)
    b = clone(x)  # a training step: EMA update and restarts continue identically
    assert torch.equal(a.x_hat, b.x_hat)
    assert torch.equal(model.quantizer.codebook, clone.quantizer.codebook)


# --------------------------------------------------------------------------- DDP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    try:
        torch.manual_seed(0)
        model = small(preset="improved", projection_dim=4)
        # Buffers are not broadcast, so equal codebooks can only come from the
        # quantizer's own all-reduce and broadcasts.
        ddp = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
        opt = torch.optim.Adam(ddp.parameters(), lr=1e-3)
        torch.manual_seed(100 + rank)  # different data (and restart draws) on each rank
        for _ in range(3):
            x = mels(2)
            out = ddp(x)
            loss = F.mse_loss(out.x_hat, x) + out.commitment_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.save({k: v for k, v in model.state_dict().items() if "running_" not in k},
                   f"{out_dir}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_process_ddp_keeps_identical_codebooks(tmp_path):
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    first, second = (torch.load(tmp_path / f"rank{r}.pt") for r in range(2))
    assert bool(first["quantizer.ema.initialized"])
    assert not torch.equal(first["quantizer.ema.cluster_size"], torch.ones(16))  # it trained
    for key in first:
        assert torch.equal(first[key], second[key]), key
