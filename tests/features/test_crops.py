"""Whole-clip training and prediction: random crops to train, averaged tiles to predict."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from vqvae_lib.features.crops import RandomCrops, TiledCrops, average_by_clip, crop_offsets
from vqvae_lib.models.checkpoint import load_checkpoint
from vqvae_lib.settings.params import load_params
from vqvae_lib.steps.pretrain import pretrain
from vqvae_lib.steps.tag import TaggingModel, predict_scores, train_tagger
from vqvae_lib.utils.config import ConfigError


def test_tiles_cover_the_whole_clip():
    assert crop_offsets(10, 4, 4) == [0, 4, 6]
    assert crop_offsets(12, 4, 2) == [0, 2, 4, 6, 8]
    assert crop_offsets(4, 8, 2) == [0]


def _clips(n: int = 5, t: int = 20) -> TensorDataset:
    x = torch.arange(n * t, dtype=torch.float32).reshape(n, 1, 1, t)
    return TensorDataset(x, torch.zeros(n, 3))


def test_random_crops_are_redrawn_per_epoch_and_repeatable():
    crops = RandomCrops(_clips(), crop=6, seed=1)
    first = [crops[i][0] for i in range(5)]
    assert all(x.shape[-1] == 6 for x in first)
    again = RandomCrops(_clips(), crop=6, seed=1)  # a resumed run draws the same crops
    assert all(torch.equal(a, again[i][0]) for i, a in enumerate(first))
    crops.set_epoch(1)
    assert any(not torch.equal(a, crops[i][0]) for i, a in enumerate(first))
    # a crop is a window of its own clip
    x = crops[2][0].flatten()
    assert torch.equal(x, torch.arange(x[0], x[0] + 6, dtype=torch.float32))
    assert 40 <= x[0] <= 54


def test_tiles_average_back_to_one_score_per_clip():
    tiles = TiledCrops(_clips(n=3, t=10), crop=4, hop=4)
    assert len(tiles) == 9 and tiles.clip_index.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    scores = np.arange(18, dtype=np.float32).reshape(9, 2)
    mean = average_by_clip(scores, tiles.clip_index, tiles.n_clips)
    np.testing.assert_allclose(mean[1], scores[3:6].mean(0))


def test_a_crop_longer_than_the_clip_is_refused(tmp_path):
    p = tmp_path / "crop.yaml"
    p.write_text("name: c\ndata: {tag: {kind: demo}}\nfeatures: {frames: 32, max_seconds: 2}\n"
                 "tag: {crop_frames: 64}\n")
    with pytest.raises(ConfigError, match="crop_frames 64 is longer than the stored clips"):
        load_params(p)
    p.write_text("name: c\ndata: {tag: {kind: demo}}\npretrain: {crop_frames: 15}\n")
    with pytest.raises(ConfigError, match="even"):
        load_params(p)


@pytest.mark.parametrize("encoder", ["fixed", "finetune"])
def test_a_run_trained_on_crops_predicts_whole_clips(tiny_project, encoder):
    text = ("pretrain: {crop_frames: 16, epochs: 1, amp: off}\n"
            f"tag: {{crop_frames: 16, eval_hop_frames: 8, epochs: 1, encoder: {encoder}}}\n")
    path = tiny_project.params / f"crops-{encoder}.yaml"
    path.write_text(f"extends: tiny.yaml\nname: crops-{encoder}\nsteps: [pretrain, tag]\n"
                    f"reuse: {{extract: tiny.yaml}}\n{text}")
    run = tiny_project.run(path)
    pretrain(run, progress=False)
    run.mark_done("pretrain", 1.0)
    train_tagger(run, progress=False)
    test = np.load(run.dir / "predictions_test.npy")
    assert test.shape == np.load(run.dir / "groundtruth_test.npy").shape  # one row per clip
    ckpt = load_checkpoint(run.dir / "tag" / "best.pt")
    assert ckpt["n_frames"] == 16 and ckpt["clip_frames"] == 32
    # the saved model rebuilds on crops, and the averaged tiles give the written scores
    from vqvae_lib.features.crops import TiledCrops as Tiles
    from vqvae_lib.features.store import FeatureStore
    from vqvae_lib.training.hardware import select_hardware

    model = TaggingModel.from_checkpoint(run.paths.checkpoint("tag"))
    split = FeatureStore(run.features_dir("tag")).split("test")
    if encoder == "fixed":
        codes = np.load(run.dir / "tag" / "codes" / "test.npy")
        assert codes.shape[-1] == 16  # whole clips are encoded once: 32 frames -> 16 steps
        from vqvae_lib.training.codes import CodeSplit

        tiles = Tiles(CodeSplit(codes, split.labels), 8, 4)
    else:
        tiles = Tiles(split, 16, 8)
    again = predict_scores(model, tiles, select_hardware("cpu", "off", False), 8)
    np.testing.assert_allclose(again, test, atol=1e-6)
