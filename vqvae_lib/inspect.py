"""What a pretrained VQ-VAE learned: reconstructions, codebook use, codes and tags.

Computations only (``plots`` draws them). The 03_reconstruct_visualize notebook calls
``inspect_run(run)``, which encodes every clip of the pretraining features once and
derives from the code indices:

- per-clip reconstruction MSE, and input/reconstruction pairs as mels and as audio
  (Griffin-Lim, as librosa inverts a mel);
- codebook usage, perplexity and dead codes over a held-out split;
- which codes are over-represented in clips of each tag (lift), and how much tag
  information a bag of codes carries (a linear probe scored by ROC-AUC);
- a 2-D projection of the codebook vectors (PCA; t-SNE for small codebooks).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soundfile as sf
import torch
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE
from sklearn.metrics import roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader

from .feature_store import FeatureStore
from .features import mel_to_audio
from .hardware import select_hardware, set_threads
from .pretrain import load_vqvae
from .quantizer import codebook_perplexity

# t-SNE over the codebook costs O(K^2) memory and about a second per 1,000 codes on a
# CPU; above this size (the paper's K = 1024 fits) only PCA is drawn.
TSNE_MAX_CODES = 2048
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
    return EncodedSplit(np.concatenate(indices), np.concatenate(errors),
                        np.concatenate(xs) if xs else np.zeros((0, *shape), np.float32),
                        np.concatenate(x_hats) if x_hats else np.zeros((0, *shape), np.float32))


# -- codebook usage ----------------------------------------------------------------
def codebook_usage(indices: np.ndarray, K: int) -> np.ndarray:
    """Uses of each code over all clips and positions: int64 ``[K]``."""
    return np.bincount(np.asarray(indices, dtype=np.int64).ravel(), minlength=K).astype(np.int64)


def perplexity(counts: np.ndarray) -> float:
    """exp(entropy) of the code distribution: K when all codes are used equally, 1 when one is."""
    return float(codebook_perplexity(torch.as_tensor(np.asarray(counts), dtype=torch.float64)))


def dead_codes(counts: np.ndarray) -> int:
    """How many codes are never chosen (the same figure as ``dead_codes`` in the training log)."""
    return int((np.asarray(counts) == 0).sum())


# -- codes and tags ----------------------------------------------------------------
def bag_of_codes(indices: np.ndarray, K: int) -> np.ndarray:
    """Each clip's code histogram, normalised to sum to one: float64 ``[N, K]``.

    Args:
        indices: int ``[N, H', T']`` (or any ``[N, ...]``) code indices.
    """
    flat = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    n, positions = flat.shape
    # One bincount over (clip, code) pairs instead of a Python loop over clips.
    counts = np.bincount((flat + K * np.arange(n)[:, None]).ravel(), minlength=n * K).reshape(n, K)
    return counts / max(positions, 1)


def code_tag_lift(indices: np.ndarray, labels: np.ndarray, K: int, alpha: float = 1.0) -> np.ndarray:
    """How over-represented each code is among the clips of each tag: float64 ``[n_tags, K]``.

    ``lift[t, c] = P(c | t) / P(c)``: the share of code ``c`` among the code positions of
    the clips tagged ``t``, over its share among all clips. 1 = as often as anywhere,
    > 1 = typical of the tag, < 1 = avoided by it. Smoothing, so that a code seen a few
    times in a rare tag does not get a huge ratio:

    - ``P(c) = (n_c + alpha) / (n + alpha K)`` (add-alpha over all positions);
    - ``P(c | t) = (n_tc + m P(c)) / (n_t + m)`` with ``m = alpha K`` pseudo-positions
      distributed like the whole data, which shrinks rare tags towards lift 1.

    Tags without clips and codes never used get lift exactly 1 (no evidence).

    Args:
        indices: int ``[N, H', T']`` code indices.
        labels: bool ``[N, n_tags]``.
        K: codebook size.
        alpha: smoothing strength (pseudo-uses per code).
    """
    labels = np.asarray(labels, dtype=np.float64)
    flat = np.asarray(indices, dtype=np.int64).reshape(len(indices), -1)
    counts = bag_of_codes(indices, K) * flat.shape[1]  # uses per clip and code
    per_tag = labels.T @ counts  # [n_tags, K]
    overall = counts.sum(axis=0)
    p_code = (overall + alpha) / (overall.sum() + alpha * K)
    m = alpha * K
    p_code_tag = (per_tag + m * p_code) / (per_tag.sum(axis=1, keepdims=True) + m)
    lift = p_code_tag / p_code
    lift[:, overall == 0] = 1.0
    return lift


def top_codes_per_tag(lift: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` codes with the highest lift for each tag, highest first: int ``[n_tags, k]``."""
    return np.argsort(-np.asarray(lift), axis=1, kind="stable")[:, :k]


def linear_probe(train_hist: np.ndarray, train_labels: np.ndarray, val_hist: np.ndarray,
                 val_labels: np.ndarray, max_iter: int = 500,
                 tags: list[str] | None = None) -> dict[str, Any]:
    """How well a bag of codes predicts the tags: one logistic regression per tag.

    Features are standardised histograms (``bag_of_codes``); the classifier is
    scikit-learn's one-vs-rest ``LogisticRegression`` (lbfgs, L2, C = 1). A tag is
    scored only when both the training and the validation clips hold positives and
    negatives; the others are listed in ``skipped``.

    Args:
        train_hist, val_hist: float ``[N, K]``.
        train_labels, val_labels: bool ``[N, n_tags]``.
        max_iter: lbfgs iterations per tag.
        tags: tag names (default ``"0"``, ``"1"``, ...).

    Returns ``{"roc_auc_macro": float | None, "per_tag": {tag: roc_auc}, "skipped": [tag],
    "not_converged": [tag]}``.
    """
    train_labels = np.asarray(train_labels, dtype=bool)
    val_labels = np.asarray(val_labels, dtype=bool)
    n_tags = train_labels.shape[1]
    names = list(tags) if tags is not None else [str(i) for i in range(n_tags)]

    def both(y: np.ndarray) -> np.ndarray:
        return y.any(axis=0) & (~y).any(axis=0)

    scored = np.flatnonzero(both(train_labels) & both(val_labels))
    skipped = [names[i] for i in range(n_tags) if i not in set(scored)]
    if len(scored) == 0:
        return {"roc_auc_macro": None, "per_tag": {}, "skipped": skipped, "not_converged": []}
    probe = OneVsRestClassifier(make_pipeline(StandardScaler(),
                                              LogisticRegression(max_iter=max_iter)))
    with warnings.catch_warnings():
        # Reported per tag in "not_converged" instead of one warning per tag.
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(train_hist, train_labels[:, scored].astype(int))
    scores = probe.predict_proba(val_hist)
    if scores.ndim == 1:
        scores = scores[:, None]
    per_tag = {names[t]: float(roc_auc_score(val_labels[:, t], scores[:, j]))
               for j, t in enumerate(scored)}
    not_converged = [names[t] for est, t in zip(probe.estimators_, scored)
                     if est[-1].n_iter_.max() >= max_iter]
    return {"roc_auc_macro": float(np.mean(list(per_tag.values()))), "per_tag": per_tag,
            "skipped": skipped, "not_converged": not_converged}


# -- codebook geometry -------------------------------------------------------------
def codebook_projection(codebook: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """The codebook vectors in two dimensions: float ``[K, 2]``.

    Args:
        codebook: ``[K, D]``.
        method: ``pca`` or ``tsne`` (t-SNE only up to ``TSNE_MAX_CODES`` codes).
        seed: t-SNE's random state.
    """
    codebook = np.asarray(codebook, dtype=np.float64)
    k = len(codebook)
    if codebook.shape[1] < 2:
        codebook = np.pad(codebook, ((0, 0), (0, 2 - codebook.shape[1])))
    if method == "pca":
        return PCA(n_components=2).fit_transform(codebook)
    if method == "tsne":
        if k > TSNE_MAX_CODES:
            raise ValueError(f"t-SNE of {k} codes is too slow here (limit {TSNE_MAX_CODES}); use pca")
        # sklearn needs perplexity < K; 30 is its default for larger codebooks. One thread:
        # at K <= 2048 OpenMP threads mostly wait on each other (10-100x slower on 2 busy cores).
        with threadpool_limits(1):
            return TSNE(n_components=2, perplexity=min(30.0, max(1.0, (k - 1) / 3)), init="pca",
                        random_state=seed).fit_transform(codebook)
    raise ValueError(f"unknown projection {method!r} (pca or tsne)")


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


def write_wav(path: str | Path, audio: np.ndarray, sr: int) -> Path:
    """Write 16-bit PCM (samples clipped to [-1, 1]); the folder is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0), int(sr), subtype="PCM_16")
    return path


def _safe_name(clip_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(clip_id)).strip("_") or "clip"


# -- the notebook's entry ----------------------------------------------------------
def inspect_run(run: Any, progress: bool = True) -> dict[str, Any]:
    """Everything 03_reconstruct_visualize shows, for a run whose pretraining is done.

    Reads ``pretrain/best.pt`` and the pretraining features (every non-empty split of
    train/validation/test); writes ``inspect.json`` and ``audio/*.wav`` in the run folder.
    Usage figures and the best/worst clips come from the held-out split (validation,
    else test, else train); lift from all splits; the probe trains on train and is
    scored on the held-out split (null without tags or without two splits).

    Returns a dict: ``summary`` (what ``inspect.json`` holds), ``K``, ``counts [K]``,
    ``splits`` (per split: ``ids``, ``recon_error [N]``, ``indices [N, H', T']``),
    ``errors`` (``errors``, ``ids``, ``groups`` over all splits), ``reconstructions``
    (``x``, ``x_hat`` ``[n, n_mels, T]``, ``titles``), ``code_map`` (``mel``, ``codes``,
    ``title``), ``projections`` (method -> ``[K, 2]``), ``lift [n_tags, K]``, ``tags``,
    ``probe``, ``audio`` (list of ``split``, ``id``, ``input``, ``reconstruction`` paths),
    ``files``.
    """
    p = run.params
    cfg = p.inspect
    set_threads(p.threads)
    torch.manual_seed(p.seed)
    # fp32 (amp off): low-precision distances can pick other codes than training did.
    device = select_hardware(p.device, amp="off", channels_last=False).device
    model = load_vqvae(run.step_dir("pretrain") / "pretrain" / "best.pt", device)
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

    counts = codebook_usage(encoded[held_out].indices, K)
    errors = encoded[held_out].recon_error
    ids = list(splits[held_out].ids)
    order = np.argsort(errors, kind="stable")
    n_named = min(3, len(order))

    per_split = {s: {"clips": len(fs), "recon_mse_mean": float(encoded[s].recon_error.mean()),
                     "perplexity": perplexity(codebook_usage(encoded[s].indices, K)),
                     "used_codes": int((codebook_usage(encoded[s].indices, K) > 0).sum())}
                 for s, fs in splits.items()}

    # Lift over every clip: it describes the codebook, it is not a held-out score.
    all_idx = np.concatenate([encoded[s].indices for s in splits])
    all_labels = np.concatenate([np.asarray(splits[s].labels, dtype=bool).reshape(len(splits[s]), -1)
                                 for s in splits])
    lift = code_tag_lift(all_idx, all_labels, K) if tags else np.zeros((0, K))

    probe = None
    if tags and "train" in splits and held_out != "train":
        probe = linear_probe(bag_of_codes(encoded["train"].indices, K), splits["train"].labels,
                             bag_of_codes(encoded[held_out].indices, K), splits[held_out].labels,
                             max_iter=cfg.probe_max_iter, tags=tags)
        probe.update(train_split="train", eval_split=held_out)

    codebook = model.quantizer.codebook.detach().float().cpu().numpy()  # [K, D]
    projections = {"PCA": codebook_projection(codebook, "pca")}
    if cfg.tsne and K <= TSNE_MAX_CODES:
        projections["t-SNE"] = codebook_projection(codebook, "tsne", seed=p.seed)

    # Pairs from the training split and the held-out one: a gap shows overfitting.
    shown = [s for s in dict.fromkeys(("train", held_out)) if s in splits]
    recon = {"x": np.concatenate([encoded[s].x[:cfg.n_clips] for s in shown]),
             "x_hat": np.concatenate([encoded[s].x_hat[:cfg.n_clips] for s in shown]),
             "titles": [f"{s}: {cid}" for s in shown for cid in list(splits[s].ids)[:cfg.n_clips]]}
    code_map = {"mel": encoded[held_out].x[0], "codes": encoded[held_out].indices[0],
                "title": f"{held_out}: {ids[0]}"}

    audio, files = [], []
    audio_dir = run.dir / "audio"
    for i in range(min(cfg.n_audio, len(ids))):
        a_in, a_out = reconstruction_audio(encoded[held_out].x[i], encoded[held_out].x_hat[i],
                                           p.features, cfg.griffin_lim_iters)
        stem = f"{held_out}_{_safe_name(ids[i])}"
        entry = {"split": held_out, "id": ids[i],
                 "input": write_wav(audio_dir / f"{stem}_input.wav", a_in, p.features.sample_rate),
                 "reconstruction": write_wav(audio_dir / f"{stem}_reconstruction.wav", a_out,
                                             p.features.sample_rate)}
        audio.append(entry)
        files += [entry["input"], entry["reconstruction"]]

    d, h, t = model.latent_shape(splits[held_out][0][0].shape[-1])
    summary = {
        "K": K, "latent_shape": [int(d), int(h), int(t)], "usage_split": held_out,
        "perplexity": perplexity(counts), "used_codes": int((counts > 0).sum()),
        "dead_codes": dead_codes(counts),
        "recon_mse_mean": per_split[held_out]["recon_mse_mean"], "splits": per_split,
        "best_clips": [{"id": ids[i], "mse": float(errors[i])} for i in order[:n_named]],
        "worst_clips": [{"id": ids[i], "mse": float(errors[i])} for i in order[::-1][:n_named]],
        "probe_roc_auc_macro": probe["roc_auc_macro"] if probe else None,
        "probe": probe,
        "audio": [{"split": a["split"], "id": a["id"],
                   "input": str(a["input"].relative_to(run.dir)),
                   "reconstruction": str(a["reconstruction"].relative_to(run.dir))} for a in audio],
    }
    run.dir.mkdir(parents=True, exist_ok=True)
    json_path = run.dir / "inspect.json"
    json_path.write_text(json.dumps(summary, indent=2))
    files.insert(0, json_path)

    return {
        "summary": summary, "K": K, "counts": counts, "tags": tags,
        "splits": {s: {"ids": list(splits[s].ids), "recon_error": encoded[s].recon_error,
                       "indices": encoded[s].indices} for s in splits},
        "errors": {"errors": np.concatenate([encoded[s].recon_error for s in splits]),
                   "ids": [cid for s in splits for cid in splits[s].ids],
                   "groups": [s for s in splits for _ in range(len(splits[s]))]},
        "reconstructions": recon, "code_map": code_map, "projections": projections,
        "lift": lift, "probe": probe, "audio": audio, "files": files,
    }
