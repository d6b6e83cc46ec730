"""The explorer's data functions: where a code occurs, when in the audio, the decoder's
picture of a code, and a code swapped in one clip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vqvae_lib.analysis.explorer import (
    cell_frames,
    clips_by_use,
    code_occurrences,
    decode_edited,
    mean_patch,
    render_code,
    snippet_times,
)
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.settings.models import QuantizerConfig, VQVAEConfig


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = VQVAEConfig(channels=8, quantizer=QuantizerConfig(codebook_size=16))
    return VQVAE(cfg).eval()


def test_occurrences_list_every_cell_of_the_code_in_reading_order():
    indices = np.zeros((3, 4, 6), np.int16)
    indices[0, 1, 2] = indices[2, 0, 5] = indices[2, 3, 0] = 7
    assert code_occurrences(indices, 7).tolist() == [[0, 1, 2], [2, 0, 5], [2, 3, 0]]
    assert code_occurrences(indices, 9).shape == (0, 3)
    assert clips_by_use(indices, 7).tolist() == [2, 0]


def test_snippet_times_follow_the_features_hop():
    # latent column 10 sits over frames 20 and 21: 20 * 512 / 22050 s onwards
    assert cell_frames(10) == (20, 22)
    start, end = snippet_times(10, hop_length=512, sample_rate=22050, context=0.0)
    assert start == pytest.approx(20 * 512 / 22050) and end == pytest.approx(21 * 512 / 22050)
    start, end = snippet_times(0, hop_length=512, sample_rate=22050, context=0.5)
    assert start == 0.0 and end == pytest.approx(512 / 22050 + 0.5)


def test_mean_patch_averages_the_bands_and_frames_under_the_code():
    features = np.zeros((2, 128, 40), np.float32)
    features[0, 32:64, 10:14] = 1.0  # under cell (h=1, t=6): frames 12, 13
    features[1, 32:64, 10:14] = 3.0
    occ = np.array([[0, 1, 6], [1, 1, 6]])
    patch = mean_patch(features, occ, n_rows=4, width=4)
    assert patch.shape == (32, 8)
    # 4 frames either side of the cell's centre (frame 13): frames 9..16
    assert np.allclose(patch[:, 1:5], 2.0) and np.allclose(patch[:, [0, 5, 6, 7]], 0.0)
    assert np.isnan(mean_patch(features, occ[:0], n_rows=4)).all()


def test_the_decoders_rendering_of_a_code_has_the_mel_shape(model):
    mel = render_code(model, 3, (4, 16))
    assert mel.shape == (128, 32) and mel.dtype == np.float32
    assert not np.allclose(mel, render_code(model, 4, (4, 16)))


@pytest.mark.parametrize("replacement", [5, None])
def test_a_code_swap_changes_the_decoded_mel_only_where_the_code_occurs(model, replacement):
    indices = np.random.default_rng(0).integers(0, 3, size=(4, 48))
    indices[1, 3] = 9  # code 9 occurs once, in latent column 3
    x_hat, edited = decode_edited(model, indices, 9, replacement)
    assert x_hat.shape == edited.shape == (128, 96)
    changed = np.flatnonzero(np.abs(edited - x_hat).max(axis=0) > 1e-6)
    assert len(changed) > 0
    # only frames within the decoder's reach of column 3 (frames 6, 7) change
    assert changed.min() >= 0 and changed.max() < 40, changed
    # a code that does not occur changes nothing
    same, unchanged = decode_edited(model, indices, 12, replacement)
    np.testing.assert_array_equal(same, unchanged)
