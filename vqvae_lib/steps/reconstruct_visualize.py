"""Step 03: what a pretrained VQ-VAE learned, for the 03_reconstruct_visualize notebook.

``inspect_run(run)`` encodes every pretraining clip once with ``pretrain/best.pt`` and
returns an ``InspectResult``: reconstructions as mels and as audio (Griffin-Lim, as
librosa inverts a mel), and the ``codebook_analysis`` of the codes. It writes
``inspect.json`` (``InspectResult.to_json()``) and ``audio/*.wav``; ``plots`` draws.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader

from ..analysis.codebook import (
    ClipError,
    EncodedClips,
    ProbeResult,
    RecErrors,
    SplitStats,
    bag_of_codes,
    best_and_worst,
    code_tag_lift,
    codebook_projections,
    codebook_usage,
    dead_codes,
    linear_probe,
    perplexity,
)
from ..features.logmel import mel_to_audio, write_wav
from ..features.store import FeatureStore
from ..models.vqvae import VQVAE
from ..training.hardware import select_hardware, set_threads

if TYPE_CHECKING:  # steps imports params, which imports InspectConfig from here
    from ..runs.run import Run

# Splits searched for a held-out split, in order of preference.
HELD_OUT = ("validation", "test", "train")


class EncodedSplit(NamedTuple):
    """One split passed through the VQ-VAE.

    Attributes:
        indices: int64 ``[N, H', T']`` code indices.
        recon_error: float64 ``[N]`` per-clip reconstruction MSE (scaled log-mel units).
        x: float32 ``[n, n_mels, T]`` the first ``n`` inputs.
        x_hat: float32 ``[n, n_mels, T]`` their reconstructions.
    """

    indices: np.ndarray
    recon_error: np.ndarray
    x: np.ndarray
    x_hat: np.ndarray


@torch.no_grad()
def encode_split(model: torch.nn.Module, split: Any, batch_size: int = 16,
                 device: str | torch.device | None = None, keep: int = 0) -> EncodedSplit:
    """Encode and reconstruct every clip of ``split`` once, in fp32.

    Args:
        model: a VQ-VAE; ``model(x)`` returns an object with ``x_hat [B, 1, n_mels, T]``
            and ``indices [B, H', T']``.
        split: a dataset of ``(x [1, n_mels, T], y)`` (a ``FeatureSplit``).
        batch_size: clips per forward pass.
        device: where to run; None = where the model's parameters are.
        keep: how many of the first clips' inputs and reconstructions to return.

    Returns an ``EncodedSplit`` (unpacks as ``indices, recon_error, x, x_hat``).
    """
    model.eval()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    indices, errors, xs, x_hats = [], [], [], []
    kept = 0
    for x, _ in DataLoader(split, batch_size=batch_size, shuffle=False):
        x = x.to(device, torch.float32)
        out = model(x)
        x_hat = out.x_hat.float()
        errors.append(((x_hat - x) ** 2).flatten(1).mean(1).double().cpu().numpy())
        indices.append(out.indices.cpu().numpy().astype(np.int64))
        if kept < keep:
            take = min(keep - kept, len(x))
            xs.append(x[:take, 0].cpu().numpy())
            x_hats.append(x_hat[:take, 0].cpu().numpy())
            kept += take
    if not indices:
        raise ValueError("encode_split: the split is empty")
    shape = xs[0].shape[1:] if xs else (0, 0)
    empty = np.zeros((0, *shape), np.float32)
    return EncodedSplit(np.concatenate(indices), np.concatenate(errors),
                        np.concatenate(xs) if xs else empty,
                        np.concatenate(x_hats) if x_hats else empty)


# -- audio -------------------------------------------------------------------------
def reconstruction_audio(x_scaled: np.ndarray, x_hat_scaled: np.ndarray, cfg: Any,
                         n_iter: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Both mels as waveforms, through the same Griffin-Lim inversion.

    The input is inverted too (rather than played from the original file) so that the
    two sounds differ only by what the VQ-VAE lost, not by Griffin-Lim's phase artefacts.

    Args:
        x_scaled, x_hat_scaled: ``[n_mels, T]`` scaled log-mels.
        cfg: the run's ``FeatureConfig``.
        n_iter: Griffin-Lim iterations.

    Returns ``(audio_in, audio_out)``, float32 ``[samples]`` at ``cfg.sample_rate``.
    """
    # One BLAS thread: librosa's small NNLS and STFT problems run 10-20x slower when
    # OpenBLAS threads compete with torch's OpenMP threads for the same cores.
    with threadpool_limits(1):
        return (mel_to_audio(np.asarray(x_scaled, dtype=np.float32), cfg, n_iter),
                mel_to_audio(np.asarray(x_hat_scaled, dtype=np.float32), cfg, n_iter))


def _safe_name(clip_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(clip_id)).strip("_") or "clip"


# -- what inspect_run returns ------------------------------------------------------
@dataclass(frozen=True)
class Reconstructions:
    """Inputs and reconstructions ``x``, ``x_hat`` float32 ``[n, n_mels, T]``, and one
    ``"split: id"`` title per clip."""

    x: np.ndarray
    x_hat: np.ndarray
    titles: list[str]


@dataclass(frozen=True)
class CodeMap:
    """One clip: its scaled log-mel ``mel [n_mels, T]`` and the code indices
    ``codes [H', T']`` it is made of."""

    mel: np.ndarray
    codes: np.ndarray
    title: str


@dataclass(frozen=True)
class AudioPair:
    """One clip's two wav files (absolute paths), input and reconstruction."""

    split: str
    id: str
    input: Path
    reconstruction: Path


@dataclass(frozen=True)
class InspectResult:
    """Everything 03_reconstruct_visualize shows.

    ``usage_split`` is the held-out split that ``counts``, the named clips and the
    summary figures come from; ``folder`` the run folder (``inspect.json`` holds paths
    relative to it); ``files`` every file written, ``inspect.json`` first.
    """

    folder: Path
    K: int
    latent_shape: tuple[int, int, int]  # (D, H', T') of one clip
    usage_split: str
    counts: np.ndarray  # int64 [K] code uses on usage_split
    perplexity: float  # of counts
    used_codes: int
    dead_codes: int
    splits: dict[str, EncodedClips]
    split_stats: dict[str, SplitStats]
    best_clips: list[ClipError]  # lowest MSE first
    worst_clips: list[ClipError]  # highest MSE first
    reconstructions: Reconstructions
    code_map: CodeMap
    projections: dict[str, np.ndarray]  # figure title -> float [K, 2]
    tags: list[str]
    lift: np.ndarray  # float64 [n_tags, K]
    probe: ProbeResult | None  # None without tags, or without a train and held-out split
    audio: list[AudioPair]
    files: list[Path]

    @property
    def errors(self) -> RecErrors:
        """Every split's per-clip MSE, for the error histogram."""
        return RecErrors.pooled(self.splits)

    def to_json(self) -> dict[str, Any]:
        """What ``inspect.json`` holds (key order included)."""
        return {
            "K": self.K, "latent_shape": list(self.latent_shape),
            "usage_split": self.usage_split, "perplexity": self.perplexity,
            "used_codes": self.used_codes, "dead_codes": self.dead_codes,
            "recon_mse_mean": self.split_stats[self.usage_split].recon_mse_mean,
            "splits": {s: st.to_json() for s, st in self.split_stats.items()},
            "best_clips": [c.to_json() for c in self.best_clips],
            "worst_clips": [c.to_json() for c in self.worst_clips],
            "probe_roc_auc_macro": self.probe.roc_auc_macro if self.probe else None,
            "probe": self.probe.to_json() if self.probe else None,
            "audio": [{"split": a.split, "id": a.id,
                       "input": str(a.input.relative_to(self.folder)),
                       "reconstruction": str(a.reconstruction.relative_to(self.folder))}
                      for a in self.audio],
        }


# -- the notebook's entry ----------------------------------------------------------
def inspect_run(run: Run, progress: bool = True) -> InspectResult:
    """Everything 03_reconstruct_visualize shows, for a run whose pretraining is done.

    Reads ``pretrain/best.pt`` and the pretraining features (every non-empty split of
    train/validation/test); writes ``inspect.json`` and ``audio/*.wav`` in the run folder.
    Usage figures and the best/worst clips come from the held-out split (validation,
    else test, else train); lift from all splits; the probe trains on train and is
    scored on the held-out split (None without tags or without two splits).
    """
    p = run.params
    cfg = p.inspect
    set_threads(p.threads)
    torch.manual_seed(p.seed)
    # fp32 (amp off): low-precision distances can pick other codes than training did.
    device = select_hardware(p.device, amp="off", channels_last=False).device
    model = VQVAE.from_checkpoint(run.step_dir("pretrain") / "pretrain" / "best.pt", device)
    K = int(model.config.quantizer.codebook_size)
    store = FeatureStore(run.features_dir("pretrain"))
    tags = list(store.tags)
    splits = {s: store.split(s) for s in ("train", "validation", "test")}
    if cfg.max_clips is not None:
        splits = {s: fs.subset(cfg.max_clips, seed=p.seed) for s, fs in splits.items()}
    splits = {s: fs for s, fs in splits.items() if len(fs) > 0}
    if not splits:
        raise ValueError(f"{run.features_dir('pretrain')}: every split is empty")
    held_out = next(s for s in HELD_OUT if s in splits)
    keep = max(cfg.n_clips, cfg.n_audio, 1)
    encoded = {}
    for name, fs in splits.items():
        if progress:
            print(f"encoding {name}: {len(fs)} clips")
        encoded[name] = encode_split(model, fs, keep=keep)
    ids = list(splits[held_out].ids)
    best, worst = best_and_worst(encoded[held_out].recon_error, ids)

    # Lift over every clip: it describes the codebook, it is not a held-out score.
    all_idx = np.concatenate([encoded[s].indices for s in splits])
    all_labels = np.concatenate([np.asarray(fs.labels, dtype=bool).reshape(len(fs), -1)
                                 for fs in splits.values()])
    lift = code_tag_lift(all_idx, all_labels, K) if tags else np.zeros((0, K))

    probe = None
    if tags and "train" in splits and held_out != "train":
        probe = linear_probe(bag_of_codes(encoded["train"].indices, K), splits["train"].labels,
                             bag_of_codes(encoded[held_out].indices, K), splits[held_out].labels,
                             max_iter=cfg.probe_max_iter, tags=tags)
        probe = replace(probe, train_split="train", eval_split=held_out)

    codebook = model.quantizer.codebook.detach().float().cpu().numpy()  # [K, D]
    projections = codebook_projections(codebook, tsne=cfg.tsne, seed=p.seed)

    # Pairs from the training split and the held-out one: a gap shows overfitting.
    n = cfg.n_clips
    shown = [s for s in dict.fromkeys(("train", held_out)) if s in splits]
    recon = Reconstructions(np.concatenate([encoded[s].x[:n] for s in shown]),
                            np.concatenate([encoded[s].x_hat[:n] for s in shown]),
                            [f"{s}: {cid}" for s in shown for cid in list(splits[s].ids)[:n]])
    code_map = CodeMap(encoded[held_out].x[0], encoded[held_out].indices[0],
                       f"{held_out}: {ids[0]}")

    audio = []
    sr = p.features.sample_rate
    # The first audio_seconds of each clip: frame t is centred on sample t * hop.
    frames = (None if cfg.audio_seconds is None
              else max(2, round(cfg.audio_seconds * sr / p.features.hop_length) + 1))
    for i in range(min(cfg.n_audio, len(ids))):
        a_in, a_out = reconstruction_audio(encoded[held_out].x[i][:, :frames],
                                           encoded[held_out].x_hat[i][:, :frames],
                                           p.features, cfg.griffin_lim_iters)
        stem = run.dir / "audio" / f"{held_out}_{_safe_name(ids[i])}"
        pair = AudioPair(held_out, ids[i], write_wav(f"{stem}_input.wav", a_in, sr),
                         write_wav(f"{stem}_reconstruction.wav", a_out, sr))
        audio.append(pair)

    d, h, t = model.latent_shape(splits[held_out][0][0].shape[-1])
    json_path = run.dir / "inspect.json"
    counts = codebook_usage(encoded[held_out].indices, K)
    result = InspectResult(
        folder=run.dir, K=K, latent_shape=(int(d), int(h), int(t)), usage_split=held_out,
        counts=counts, perplexity=perplexity(counts), used_codes=int((counts > 0).sum()),
        dead_codes=dead_codes(counts),
        splits={s: EncodedClips(list(fs.ids), encoded[s].indices, encoded[s].recon_error)
                for s, fs in splits.items()},
        split_stats={s: SplitStats.of(encoded[s].recon_error, encoded[s].indices, K)
                     for s in splits},
        best_clips=best, worst_clips=worst, reconstructions=recon, code_map=code_map,
        projections=projections, tags=tags, lift=lift, probe=probe, audio=audio,
        files=[json_path, *(f for a in audio for f in (a.input, a.reconstruction))])
    run.dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result.to_json(), indent=2))
    return result


__all__ = ["AudioPair", "CodeMap", "EncodedSplit", "HELD_OUT", "InspectResult",
           "Reconstructions", "encode_split", "inspect_run", "reconstruction_audio"]
