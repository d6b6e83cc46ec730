"""Step 2: fixed and finetuned encoders, cached codes, a learnable toy task, resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from vqvae_lib.features.store import FeatureStore
from vqvae_lib.models.checkpoint import load_checkpoint
from vqvae_lib.models.vqvae import VQVAE
from vqvae_lib.runs.run import Run
from vqvae_lib.settings.models import CNNTaggerConfig, GRUTaggerConfig, QuantizerConfig, VQVAEConfig
from vqvae_lib.settings.steps import TagConfig
from vqvae_lib.steps.tag import TaggingModel, build_tagging, train_tagger
from vqvae_lib.training.codes import CodeSplit, cache_codes
from vqvae_lib.training.hardware import select_hardware
from vqvae_lib.training.trainer import Trainer

SMALL_CNN = CNNTaggerConfig(filters=2, backend_filters=16, dense=16)
SMALL_GRU = GRUTaggerConfig(hidden=16)


def small_vqvae(kind: str = "type1", k: int = 16) -> VQVAE:
    torch.manual_seed(0)
    return VQVAE(VQVAEConfig(kind=kind, n_mels=128, channels=8,
                             quantizer=QuantizerConfig(preset="paper", codebook_size=k)))


def _vqvae_state(model: TaggingModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.vqvae.state_dict().items()}


@pytest.mark.parametrize("encoder", ["fixed", "finetune"])
def test_fixed_keeps_the_encoder_and_codebook_and_finetune_trains_them(encoder):
    vqvae = small_vqvae()
    model = TaggingModel(vqvae, SMALL_CNN, n_tags=3, n_frames=32, encoder=encoder)
    before = _vqvae_state(model)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    x = torch.randn(4, 1, 128, 32)
    y = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=torch.float32)
    model.train()
    for _ in range(3):
        inputs = vqvae.encode(x) if encoder == "fixed" else x
        logits, cb, commit = model(inputs)
        loss = F.binary_cross_entropy_with_logits(logits, y) + cb + commit
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = _vqvae_state(model)
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    if encoder == "fixed":
        assert changed == []
    else:
        assert any(k.startswith("encoder") or "conv" in k for k in changed)
        assert any("quantizer" in k for k in changed), "the codebook should train too"


def test_cached_codes_equal_a_fresh_encoding(tiny_pretrained, tmp_path):
    run = tiny_pretrained.run(tiny_pretrained.tiny)
    vqvae = VQVAE.from_checkpoint(run.paths.checkpoint("pretrain"))
    split = FeatureStore(run.features_dir("tag")).split("validation")
    codes = cache_codes(vqvae, split, tmp_path / "codes.npy", "enc-a", progress=False)
    assert codes.dtype == np.uint16 and codes.shape[0] == len(split)
    x = torch.stack([split[i][0] for i in range(len(split))])
    with torch.no_grad():
        fresh = vqvae.encode(x).numpy()
    np.testing.assert_array_equal(codes, fresh)
    stamp = (tmp_path / "codes.npy").stat().st_mtime_ns
    # the same encoder: the stored codes are reused, not encoded again
    again = cache_codes(vqvae, split, tmp_path / "codes.npy", "enc-a", progress=False)
    np.testing.assert_array_equal(again, codes)
    assert (tmp_path / "codes.npy").stat().st_mtime_ns == stamp
    # another encoder checkpoint: encoded again, and the sidecar names the new one
    cache_codes(vqvae, split, tmp_path / "codes.npy", "enc-b", progress=False)
    assert (tmp_path / "codes.npy").stat().st_mtime_ns != stamp
    assert "enc-b" in (tmp_path / "codes.json").read_text()


def test_cached_z_e_rounds_to_the_cached_codes(tiny_pretrained, tmp_path):
    run = tiny_pretrained.run(tiny_pretrained.tiny)
    vqvae = VQVAE.from_checkpoint(run.paths.checkpoint("pretrain"))
    split = FeatureStore(run.features_dir("tag")).split("validation")
    codes = cache_codes(vqvae, split, tmp_path / "codes.npy", "enc", progress=False)
    z_e = cache_codes(vqvae, split, tmp_path / "z_e.npy", "enc", progress=False, z_e=True)
    assert z_e.dtype == np.float32
    assert z_e.shape == (len(split), *vqvae.latent_shape(split[0][0].shape[-1]))
    with torch.no_grad():
        rounded = vqvae.quantizer.nearest(torch.from_numpy(np.array(z_e)))
    np.testing.assert_array_equal(rounded.numpy(), codes)


def test_a_tagger_reading_z_e_sees_what_the_codes_round_away():
    """The tag is a small shift of every latent vector, too small to change its code: a
    tagger on ``z_q`` alone cannot see it, one reading ``z_e`` beside it must."""
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    k, h, t = 16, 4, 16
    vqvae = small_vqvae(k=k)
    with torch.no_grad():
        vqvae.quantizer.embedding.weight.normal_()
    direction = torch.nn.functional.normalize(torch.randn(vqvae.config.channels), dim=0)

    def make(n):
        codes = torch.from_numpy(rng.integers(0, k, size=(n, h, t)))
        labels = rng.random((n, 1)) < 0.5
        with torch.no_grad():
            shift = torch.from_numpy(np.where(labels, 0.15, -0.15)).float()
            z_e = vqvae.embed(codes) + (shift[:, :, None] * direction)[:, :, :, None, None][:, 0]
            assert torch.equal(vqvae.quantizer.nearest(z_e), codes), "a shift moved a code"
        return codes, z_e, torch.from_numpy(labels).float()

    train, val = make(256), make(128)
    scores = {}
    for latent in ("z_q", "z_q+z_e"):
        torch.manual_seed(0)
        model = TaggingModel(vqvae, GRUTaggerConfig(hidden=16), n_tags=1, n_frames=2 * t,
                             encoder="fixed", latent=latent)
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
        inputs = 0 if latent == "z_q" else 1
        model.train()
        for _ in range(12):
            for i in range(0, 256, 32):
                logits, _, _ = model(train[inputs][i:i + 32])
                loss = F.binary_cross_entropy_with_logits(logits, train[2][i:i + 32])
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            scores[latent] = roc_auc_score(val[2].numpy(), model(val[inputs])[0].numpy())
    assert scores["z_q+z_e"] >= 0.95, scores
    assert scores["z_q"] <= 0.7, scores


@pytest.mark.parametrize("tagger, batch_size", [
    (CNNTaggerConfig(filters=8, backend_filters=32, dense=32), 32),
    (GRUTaggerConfig(hidden=32), 16)], ids=["cnn", "gru"])
def test_a_separable_toy_task_reaches_roc_auc_095(tmp_path, tagger, batch_size):
    """Tag j is on exactly when code j occurs in the clip: a tagger reading the frozen
    codebook lookups must learn it."""
    rng = np.random.default_rng(0)
    torch.manual_seed(0)  # the model's initial weights must not depend on earlier tests
    k, n_tags, h, t = 16, 4, 4, 16
    vqvae = small_vqvae(k=k)
    with torch.no_grad():  # well-separated code vectors, as a trained codebook has
        vqvae.quantizer.embedding.weight.normal_()

    def make(n):
        codes = rng.integers(n_tags, k, size=(n, h, t))
        labels = rng.random((n, n_tags)) < 0.35
        for i, j in zip(*np.nonzero(labels)):
            codes[i, rng.integers(h), rng.integers(t, size=8)] = j
        return CodeSplit(codes.astype(np.uint16), labels)

    train, val = make(384), make(64)
    model = TaggingModel(vqvae, tagger, n_tags=n_tags, n_frames=2 * t, encoder="fixed")
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)

    def step(batch):
        logits, _, _ = model(batch[0])
        loss = F.binary_cross_entropy_with_logits(logits, batch[1])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    def validate():
        model.eval()
        with torch.no_grad():
            p = torch.sigmoid(model(torch.stack([val[i][0] for i in range(len(val))]))[0])
        model.train()
        return {"val_roc_auc_macro": roc_auc_score(val.labels, p.numpy(), average="macro")}

    # 30 epochs: with some initial weights the CNN is still climbing at epoch 20 (0.94).
    # The CNN's steps are this small, so batch 32 halves their number for 1.4 times the
    # cost each; the GRU's cost grows with the batch, and at 32 it can stall below 0.95.
    cfg = TagConfig(batch_size=batch_size, lr=3e-3, epochs=30, patience=8, checkpoint_every=0)
    state = Trainer(model=model, optimizer=opt, train_set=train, config=cfg,
                    out_dir=tmp_path, log_path=tmp_path / "log.csv", step_fn=step,
                    validate_fn=validate, monitor="val_roc_auc_macro", mode="max").fit(False)
    assert state.best >= 0.95


@pytest.mark.parametrize("steadied", ["", ", lr_schedule: cosine, weight_ema: 0.9"],
                         ids=["plain", "cosine-averaged"])
def test_killed_tagging_resumes_to_the_same_weights(tiny_pretrained, killed_after, steadied):
    text = f"tag: {{epochs: 2, amp: off, checkpoint_every: 1, encoder: fixed{steadied}}}\n"
    name = "averaged" if steadied else "plain"
    whole = tiny_pretrained.run(tiny_pretrained.run_file(f"tag-whole-{name}", text,
                                                         pretrained=True))
    train_tagger(whole, progress=False)

    broken = tiny_pretrained.run(tiny_pretrained.run_file(f"tag-broken-{name}", text,
                                                          pretrained=True))
    trainer, *_ = build_tagging(broken, select_hardware("cpu", "off", False), progress=False)
    killed_after(trainer, 3)
    train_tagger(Run(broken.params_path, broken.outputs_root), progress=False)
    a = load_checkpoint(whole.dir / "tag" / "last.pt")["model"]
    b = load_checkpoint(broken.dir / "tag" / "last.pt")["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
    np.testing.assert_array_equal(np.load(whole.dir / "predictions_test.npy"),
                                  np.load(broken.dir / "predictions_test.npy"))


def test_tagging_writes_the_mediaeval_layout(tiny_pretrained):
    run = tiny_pretrained.run(tiny_pretrained.run_file("tag-gru-finetune",
                              "tag: {epochs: 1, amp: off, encoder: finetune, "
                              "tagger: {classifier: gru, hidden: 16}}\n", pretrained=True))
    train_tagger(run, progress=False)
    store = FeatureStore(run.features_dir("tag"))
    tags = (run.dir / "tags.txt").read_text().split()
    assert tags == list(store.tags)
    for split in ("validation", "test"):
        p = np.load(run.dir / f"predictions_{split}.npy")
        ids = (run.dir / f"clip_ids_{split}.txt").read_text().split()
        assert p.shape == (len(store.split(split)), len(tags)) and ids == store.split(split).ids
        assert ((p >= 0) & (p <= 1)).all()


def test_a_tagger_reading_z_e_runs_and_predicts_as_it_scored(tiny_pretrained):
    """``latent: z_q+z_e``: the run caches ``z_e``, and tagging any file through the run
    gives the scores the run wrote for its test clips."""
    from vqvae_lib.inference.predict import predict_files

    run = tiny_pretrained.run(tiny_pretrained.run_file(
        "tag-z-e", "tag: {epochs: 1, amp: off, encoder: fixed, latent: z_q+z_e, "
                   "tagger: {classifier: gru, hidden: 16}}\n", pretrained=True))
    train_tagger(run, progress=False)
    store = FeatureStore(run.features_dir("tag"))
    assert (run.dir / "tag" / "z_e" / "train.npy").exists()
    assert not (run.dir / "tag" / "codes").exists()
    split = store.split("test")
    paths = [str(p) for p in store.index.set_index("id").loc[split.ids]["path"]]
    table = predict_files(run.dir, paths)
    np.testing.assert_allclose(table[list(store.tags)].to_numpy(),
                               np.load(run.dir / "predictions_test.npy"), atol=1e-5)
