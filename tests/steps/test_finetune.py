"""Finetuning trains the encoder's convolutions; a fixed encoder keeps them.

BatchNorm running statistics move in any forward pass in training mode, so a check on
the whole encoder state would pass with a frozen encoder too; this one looks only at
the convolution weights and biases, which only the optimizer changes.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.settings.models import CNNTaggerConfig, QuantizerConfig, VQVAEConfig
from vqvae_lib.steps.tag import TaggingModel

pytestmark = pytest.mark.usefixtures("one_thread")

N_MELS, FRAMES, N_TAGS = 80, 32, 3
TINY_CNN = CNNTaggerConfig(filters=2, backend_filters=8, dense=8)


def _conv_params(module: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of the weights and biases of every convolution in ``module``."""
    return {f"{name}.{p_name}": p.detach().clone()
            for name, m in module.named_modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))
            for p_name, p in m.named_parameters(recurse=False)}


def _train_steps(encoder: str, steps: int = 3) -> tuple[TaggingModel, dict, dict]:
    """A few tagging steps as the tagging step takes them (BCE on logits + codebook +
    beta * commitment); returns the model and its encoder and tagger convolutions before."""
    vqvae = VQVAE(VQVAEConfig(kind="type1", n_mels=N_MELS, channels=4,
                              quantizer=QuantizerConfig(preset="paper", codebook_size=8)))
    model = TaggingModel(vqvae, TINY_CNN, n_tags=N_TAGS, n_frames=FRAMES, encoder=encoder)
    encoder_before, tagger_before = _conv_params(vqvae.encoder), _conv_params(model.tagger)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    mels = torch.randn(4, 1, N_MELS, FRAMES)
    y = (torch.rand(4, N_TAGS) < 0.5).float()
    beta = vqvae.config.quantizer.beta
    model.train()
    for _ in range(steps):
        inputs = vqvae.encode(mels) if encoder == "fixed" else mels
        logits, codebook, commitment = model(inputs)
        loss = F.binary_cross_entropy_with_logits(logits, y) + codebook + beta * commitment
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model, encoder_before, tagger_before


def _changed(before: dict[str, torch.Tensor], module: nn.Module) -> list[str]:
    after = _conv_params(module)
    return [k for k in before if not torch.equal(before[k], after[k])]


def test_finetuning_changes_every_encoder_convolution():
    model, encoder_before, _ = _train_steps("finetune")
    assert len(encoder_before) == 2 * 9  # conv1-5 and two convs in each residual block
    assert _changed(encoder_before, model.vqvae.encoder) == list(encoder_before)


def test_a_fixed_encoder_keeps_its_convolutions_while_the_tagger_trains():
    model, encoder_before, tagger_before = _train_steps("fixed")
    assert _changed(encoder_before, model.vqvae.encoder) == []
    assert _changed(tagger_before, model.tagger) != []
