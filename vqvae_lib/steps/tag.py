"""Step 2 of the paper: a GRU or CNN tagger on the pretrained VQ-VAE encoder.

``fixed``: the encoder and codebook are frozen. Every clip is encoded once and its code
indices are cached (``code_cache``); training then only looks codes up in the frozen
codebook, so an epoch never runs the encoder. ``finetune``: the encoder and codebook
train with the tagger, and the loss adds the codebook and commitment terms, as the
authors did.

Loss: binary cross-entropy on logits; predictions are ``sigmoid(logits)``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..evaluation.metrics import ranking_metrics
from ..features.crops import RandomCrops, TiledCrops, average_by_clip
from ..features.store import FeatureStore
from ..models.checkpoint import load_checkpoint, set_aside_if_stale
from ..models.taggers import build_tagger, latent_to_sequence
from ..models.vqvae import VQVAE, count_parameters
from ..settings.models import TaggerConfig, VQVAEConfig
from ..settings.registry import EVAL_SPLITS, SPLITS
from ..settings.steps import TagConfig
from ..training.codes import CodeSplit, cache_codes
from ..training.hardware import Hardware, select_hardware, set_threads
from ..training.state import TrainState
from ..training.trainer import Trainer
from ..utils.config import from_dict, to_dict
from ..utils.provenance import file_sha256
from .pretrain import run_fingerprint

if TYPE_CHECKING:  # the run machinery reads this module's settings: no import at run time
    from ..runs.run import Run


LOG_FIELDS = ["loss", "bce", "codebook", "commitment", "val_loss", "val_roc_auc_macro",
              "val_pr_auc_macro"]


class TaggingModel(nn.Module):
    """Encoder (or frozen codebook lookup) cascaded with a tagger.

    Args:
        vqvae: the pretrained VQ-VAE (its decoder is unused).
        tagger_config: GRU or CNN settings.
        n_tags: output size.
        n_frames: input frames T of the mel (sets T').
        encoder: ``fixed`` (inputs are code indices, or ``z_e`` with ``z_q+z_e``) or
            ``finetune`` (inputs are mels).
        latent: ``z_q`` (the tagger reads the code vectors) or ``z_q+z_e`` (and the
            encoder's output beside them, ``TagConfig.latent``).
    """

    def __init__(self, vqvae: VQVAE, tagger_config: TaggerConfig, n_tags: int, n_frames: int,
                 encoder: str, latent: str = "z_q"):
        super().__init__()
        self.vqvae, self.encoder_mode, self.n_tags = vqvae, encoder, n_tags
        self.with_z_e = latent == "z_q+z_e"
        d, h, t = vqvae.latent_shape(n_frames)
        self.tagger = build_tagger(tagger_config, in_features=d * h * (2 if self.with_z_e else 1),
                                   n_frames=t, n_tags=n_tags)
        if encoder == "fixed":
            for p in self.vqvae.parameters():
                p.requires_grad_(False)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str | torch.device = "cpu"
                        ) -> TaggingModel:
        """Rebuild a trained tagging model from its checkpoint alone (eval mode)."""
        ckpt = load_checkpoint(Path(path), map_location=device)
        if ckpt.get("kind") != "tagger":
            raise ValueError(f"{path} is not a tagging checkpoint")
        vqvae = VQVAE(from_dict(VQVAEConfig, ckpt["vqvae_config"], where=f"{path}: vqvae_config"))
        cfg = from_dict(TagConfig, ckpt["tag_config"], where=f"{path}: tag_config")
        model = cls(vqvae, cfg.tagger, len(ckpt["tags"]), ckpt["n_frames"], cfg.encoder,
                    cfg.latent)
        model.load_state_dict(ckpt["model"])
        return model.to(device).eval()

    def train(self, mode: bool = True) -> TaggingModel:
        super().train(mode)
        if self.encoder_mode == "fixed":
            self.vqvae.eval()  # frozen: BatchNorm statistics and EMA buffers stay as pretrained
        return self

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """inputs: fixed: LongTensor[B, H', T'] codes, or Tensor[B, D, H', T'] ``z_e`` when
        the tagger reads it; finetune: Tensor[B, 1, n_mels, T] mels.

        Returns ``(logits [B, n_tags], codebook_loss, commitment_loss)``.
        """
        if self.encoder_mode == "fixed":
            z_e = inputs if self.with_z_e else None
            z_q = self.vqvae.embed(inputs if z_e is None else self.vqvae.quantizer.nearest(z_e))
            zero = z_q.new_zeros(())
            return self.tagger(self._sequence(z_q, z_e)), zero, zero
        z_e = self.vqvae.encode_latent(inputs)
        q = self.vqvae.quantizer(z_e)
        return (self.tagger(self._sequence(q.z_q, z_e if self.with_z_e else None)),
                q.codebook_loss, q.commitment_loss)

    @staticmethod
    def _sequence(z_q: torch.Tensor, z_e: torch.Tensor | None) -> torch.Tensor:
        """The tagger's input ``[B, T', D * H']``, ``z_e``'s features after ``z_q``'s."""
        seq = latent_to_sequence(z_q)
        if z_e is None:
            return seq
        return torch.cat([seq, latent_to_sequence(z_e.to(seq.dtype))], dim=-1)


def predict_scores(model: TaggingModel, data: Dataset, hw: Hardware, batch_size: int
                   ) -> np.ndarray:
    """float32 ``[clips, tags]`` sigmoid scores; over ``TiledCrops``, each clip's mean."""
    model.eval()
    outs = []
    with torch.no_grad():
        # A private generator: scoring draws nothing from the global RNG, so how often a
        # run validates cannot shift its dropout masks.
        for inputs, _ in DataLoader(data, batch_size=batch_size, shuffle=False,
                                    generator=torch.Generator()):
            with hw.autocast():
                logits, _, _ = model(inputs.to(hw.device))
            # The taggers' last Linear already returns fp32 logits; the sigmoid runs
            # outside autocast on them so the scores keep fp32 resolution (bf16 scores
            # tie often enough to move PR-AUC).
            outs.append(torch.sigmoid(logits.float()).cpu().numpy())
    scores = np.concatenate(outs) if outs else np.zeros((0, model.n_tags), np.float32)
    if isinstance(data, TiledCrops):
        # Whole-clip scores: the mean of the clip's crops (Won et al. 2020).
        return average_by_clip(scores, data.clip_index, data.n_clips)
    return scores


def _labels(data: Dataset) -> np.ndarray:
    return np.asarray(data.labels, dtype=bool)


def encoder_checkpoint(run: Run) -> Path:
    """The pretrained VQ-VAE a run's tagger starts from."""
    return run.owner("pretrain").paths.checkpoint("pretrain")


def tagging_data(run: Run, vqvae: VQVAE, progress: bool = True) -> dict[str, Dataset]:
    """Train/validation/test datasets: cached codes (fixed) or mels (finetune)."""
    store = FeatureStore(run.features_dir("tag"))
    splits = {s: store.split(s) for s in SPLITS}
    if run.params.tag.encoder == "finetune":
        return splits
    source = file_sha256(encoder_checkpoint(run))
    z_e = run.params.tag.latent == "z_q+z_e"
    folder = run.paths.step_dir("tag") / ("z_e" if z_e else "codes")
    return {s: CodeSplit(cache_codes(vqvae, fs, folder / f"{s}.npy", source,
                                     progress=progress, z_e=z_e), fs.labels)
            for s, fs in splits.items()}


def crop_views(run: Run, data: dict[str, Dataset]) -> dict[str, Dataset]:
    """With ``tag.crop_frames``: random crops to train on, and every crop at
    ``tag.eval_hop_frames`` to validate and predict on (scores averaged per clip).
    Cached codes are cropped in code steps: the encoder halves time."""
    cfg = run.params.tag
    if cfg.crop_frames is None:
        return data
    per_step = 2 if cfg.encoder == "fixed" else 1
    crop, hop = cfg.crop_frames // per_step, cfg.eval_hop // per_step
    return {"train": RandomCrops(data["train"], crop, run.params.seed),
            **{s: TiledCrops(data[s], crop, hop) for s in EVAL_SPLITS}}


def build_tagging(run: Run, hw: Hardware, progress: bool = True
                  ) -> tuple[Trainer, TaggingModel, dict[str, Dataset], FeatureStore]:
    """The tagging ``Trainer``: pretrained encoder, tagger, data, optimizer, step."""
    p, cfg = run.params, run.params.tag
    fingerprint = run_fingerprint(run, "tag")
    last = run.paths.checkpoint("tag", "last")
    set_aside = lambda why: run.archive("tag", why, notebook=False)  # noqa: E731
    if last.exists():
        # Before any code is cached: outputs of other settings move away first.
        set_aside_if_stale(load_checkpoint(last), fingerprint, set_aside, "tag", last)
    vqvae = VQVAE.from_checkpoint(encoder_checkpoint(run), hw.device)
    store = FeatureStore(run.features_dir("tag"))
    data = crop_views(run, tagging_data(run, vqvae, progress))
    torch.manual_seed(p.seed)
    n_frames = cfg.crop_frames or p.features.frames
    model = TaggingModel(vqvae, cfg.tagger, len(store.tags), n_frames, cfg.encoder, cfg.latent)
    model = model.to(hw.device)
    if hasattr(model.tagger, "frontend"):
        model.tagger.frontend.fft_for_weights = hw.fft_frontend
    beta = vqvae.config.quantizer.beta
    params = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    val = data["validation"]
    y_val = _labels(val)

    def step(batch: Any) -> dict[str, float]:
        inputs, y = batch[0].to(hw.device), batch[1].to(hw.device)
        with hw.autocast():
            logits, cb, commit = model(inputs)
        bce = F.binary_cross_entropy_with_logits(logits.float(), y)
        loss = bce + cb.float() + beta * commit.float()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "bce": bce.item(), "codebook": cb.item(),
                "commitment": commit.item()}

    warned: list[bool] = []

    def validate() -> dict[str, float]:
        pred = predict_scores(model, val, hw, cfg.batch_size)
        eps = 1e-7
        bce = float(-np.mean(y_val * np.log(pred + eps) + (~y_val) * np.log(1 - pred + eps)))
        with warnings.catch_warnings():
            if warned:  # the tags left out of the macro average are named once, not per epoch
                warnings.simplefilter("ignore", UserWarning)
            ranks = ranking_metrics(y_val, pred, tags=store.tags)
        warned.append(True)
        return {"val_loss": bce, "val_roc_auc_macro": ranks["roc_auc_macro"],
                "val_pr_auc_macro": ranks["pr_auc_macro"]}

    trainer = Trainer(
        model=model, optimizer=optimizer, train_set=data["train"], config=cfg,
        out_dir=run.paths.step_dir("tag"), log_path=run.paths.log("tag"), step_fn=step,
        validate_fn=validate, monitor="val_roc_auc_macro", mode="max", seed=p.seed,
        log_fields=LOG_FIELDS, desc=f"tag ({cfg.tagger.classifier}, {cfg.encoder})",
        extra={"kind": "tagger", "vqvae_config": to_dict(vqvae.config),
               "tag_config": to_dict(cfg), "tags": list(store.tags),
               "n_frames": n_frames, "clip_frames": p.features.frames, "run": p.name,
               # what ``predict`` needs to make features like these from any audio file
               "features": store.settings.get("features") or to_dict(p.features)},
        fingerprint=fingerprint, set_aside=set_aside)
    return trainer, model, data, store


def train_tagger(run: Run, progress: bool = True) -> TrainState:
    """Train (or resume) the run's tagger, then write predictions in the MediaEval layout:
    ``predictions_{validation,test}.npy`` (float32 [clips, tags], rows in split order),
    ``groundtruth_{train,validation,test}.npy``, ``tags.txt`` and ``clip_ids_{split}.txt``."""
    p = run.params
    set_threads(p.threads)
    hw = select_hardware(p.device, p.tag.amp, False)
    trainer, model, data, store = build_tagging(run, hw, progress)
    if progress:
        print(f"tagger {p.tag.tagger.classifier.upper()} ({p.tag.encoder} encoder): "
              f"{count_parameters(model.tagger):,} tagger parameters, on {hw.describe()}"
              + (", FFT front-end" if getattr(model.tagger, "frontend", None) is not None
                 and hw.fft_frontend else ""))
    state = trainer.fit(progress=progress)
    best = load_checkpoint(trainer.best_path if trainer.best_path.exists() else trainer.last_path)
    model.load_state_dict(best["model"])
    # The training labels feed the popularity baseline of the evaluation step.
    paths = run.paths
    np.save(paths.groundtruth("train"), _labels(data["train"]))
    for split in EVAL_SPLITS:
        np.save(paths.predictions(split),
                predict_scores(model, data[split], hw, p.tag.batch_size).astype(np.float32))
        np.save(paths.groundtruth(split), _labels(data[split]))
        paths.clip_ids(split).write_text("\n".join(store.split(split).ids) + "\n")
    paths.tags.write_text("\n".join(store.tags) + "\n")
    return state
