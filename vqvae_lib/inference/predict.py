"""Tag any audio file with a trained run (``vqvae-kit predict``).

Each file goes through the pipeline the run was trained with, read from the run folder
alone: decode, resample, log-mel and scale with the run's feature settings, encode,
quantise, and score with the tagger, averaged over the crops that tile the clip when
the run trained on crops (as validation and test were scored). Per file: every tag's
score, the top tags, the tags above the run's validation-tuned thresholds and,
optionally, an embedding for other models (the mean encoder output and the code
histogram, as musicnn's extractor gives).

What a run folder must hold: ``tag/best.pt`` (the tagger with its VQ-VAE, tags, tag
and feature settings) and, for ``tuned`` thresholds, ``metrics.json`` or the
validation predictions it is computed from. The dataset is not needed.

The table is printed or written by ``predict_output``; ``predict_cli`` is the command.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from ..evaluation.metrics import tune_thresholds
from ..features.crops import TiledCrops
from ..features.logmel import AudioError, audio_seconds, clip_features
from ..models.checkpoint import load_checkpoint
from ..models.taggers import latent_to_sequence
from ..settings.features import FeatureConfig
from ..settings.params import find_run_folder
from ..settings.registry import RunPaths
from ..training.hardware import Hardware, select_hardware
from ..utils.config import from_dict
from ..utils.progress import progress_bar

#: File name endings searched for in folders (what libsndfile decodes).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
                  ".au", ".snd", ".caf", ".w64", ".rf64")


class RunFolderError(FileNotFoundError):
    """A run folder lacks what prediction needs; the message says what to run."""


def run_folder(run: str | Path, outputs: str | Path | None = None) -> Path:
    """The folder of ``run``: a run folder itself, or the params file of a run."""
    folder = find_run_folder(run, outputs)
    if folder is not None:
        return folder
    raise RunFolderError(f"{run}: neither a run folder nor a params file (.yaml)")


def audio_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Files, folders (searched recursively for ``AUDIO_SUFFIXES``) and globs -> files.

    A name that is neither an existing path nor a matching glob is kept, so that it is
    reported as missing rather than silently dropped.
    """
    out: list[Path] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            out += sorted(p for p in path.rglob("*")
                          if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
        elif not path.exists() and glob.has_magic(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            out += [p for p in matches if p.is_file()] or [path]
        else:
            out.append(path)
    return out


@dataclass
class Tagger:
    """A trained run, ready to tag audio.

    Attributes:
        folder: the run folder.
        model: ``tagging.TaggingModel`` in eval mode.
        tags: tag names, score column order.
        features: the feature settings the run was trained on.
        thresholds: float ``[n_tags]`` from validation (NaN: never decided positive).
        crop, hop: the tagger's crop and evaluation hop in frames (None: whole clips).
        hw: device and precision.
    """

    folder: Path
    model: torch.nn.Module
    tags: list[str]
    features: FeatureConfig
    thresholds: np.ndarray
    crop: int | None
    hop: int | None
    hw: Hardware


def _feature_settings(folder: Path, ckpt: dict) -> FeatureConfig:
    record = ckpt.get("features")
    paths = RunPaths(folder)
    where = f"{paths.checkpoint('tag')}: features"
    if record is None:  # runs tagged before the settings were kept in the checkpoint
        params_json = paths.params
        if not params_json.exists():
            raise RunFolderError(f"{folder}: the tagger's feature settings are neither in "
                                 f"{paths.checkpoint_name('tag')} nor in {paths.PARAMS}; "
                                 "run the tag step again")
        record = json.loads(params_json.read_text())["features"]
        where = f"{params_json}: features"
    return from_dict(FeatureConfig, dict(record), where=where)


def _thresholds(folder: Path, n_tags: int) -> np.ndarray:
    paths = RunPaths(folder)
    metrics = paths.metrics
    if metrics.exists():
        values = json.loads(metrics.read_text()).get("thresholds")
        if values is not None and len(values) == n_tags:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    val_pred, val_gt = paths.predictions("validation"), paths.groundtruth("validation")
    if val_pred.exists() and val_gt.exists():
        # Evaluation has not run (or was removed): tune as it would.
        thr = tune_thresholds(np.load(val_gt).astype(bool), np.load(val_pred))
        return np.asarray(thr, dtype=np.float64)
    raise RunFolderError(f"{folder}: no {paths.METRICS} or validation predictions to take "
                         f"tuned thresholds from; run the evaluate step, or pass a fixed "
                         f"threshold (--threshold 0.5)")


def load_tagger(run: str | Path, outputs: str | Path | None = None, device: str = "auto",
                amp: str | None = None, need_thresholds: bool = True) -> Tagger:
    """Load a trained run for tagging new audio.

    Args:
        run: a run folder, or the run's params file (then ``outputs`` locates its folder).
        device: ``auto`` (CUDA if present), ``cpu`` or ``cuda``.
        amp: ``auto`` (bf16 where the hardware has it), ``bf16``, ``off``; None = the
            run's own ``tag.amp``, so that scores match the run's test predictions.
        need_thresholds: fail when no tuned thresholds can be found.

    Raises:
        RunFolderError: no trained tagger (or thresholds) in the folder.
    """
    from ..steps.tag import TaggingModel

    folder = run_folder(run, outputs)
    best = RunPaths(folder).checkpoint("tag")
    if not best.exists():
        raise RunFolderError(f"{folder}: no trained tagger ({RunPaths.checkpoint_name('tag')}); "
                             "run the tag step first: vqvae-kit run PARAMS --to tag")
    try:
        ckpt = load_checkpoint(best, map_location="cpu")
        cfg = ckpt["tag_config"]
    except (RuntimeError, KeyError) as exc:
        raise RunFolderError(f"{best}: not a readable tagger checkpoint ({exc}); redo the "
                             "tag step: vqvae-kit run PARAMS --force --from tag") from None
    run_amp = cfg.get("amp", "auto")
    run_amp = {True: "bf16", False: "off"}.get(run_amp, run_amp)
    hw = select_hardware(device, amp or run_amp)
    model = TaggingModel.from_checkpoint(best, hw.device)
    tags = list(ckpt["tags"])
    crop = cfg.get("crop_frames")
    hop = None if crop is None else (cfg.get("eval_hop_frames") or crop)
    try:
        thresholds = _thresholds(folder, len(tags))
    except RunFolderError:
        if need_thresholds:
            raise
        thresholds = np.full(len(tags), np.nan)
    return Tagger(folder, model, tags, _feature_settings(folder, ckpt), thresholds,
                  crop, hop, hw)


class _Clips(Dataset):
    """Items ``(x, y)`` as the tagging data gives them; ``y`` is unused here."""

    def __init__(self, items: Sequence[torch.Tensor], n_tags: int):
        self.items, self.y = items, torch.zeros(n_tags)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.items[i], self.y


@torch.no_grad()
def _score_batch(tagger: Tagger, mels: np.ndarray, batch_size: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mels: float32 [B, n_mels, T] -> (scores [B, n_tags], mean encoder output [B, D*H'],
    code histogram [B, K], share of the clip's code positions per code)."""
    from ..steps.tag import predict_scores

    model, hw = tagger.model, tagger.hw
    vqvae = model.vqvae
    x = torch.from_numpy(mels).unsqueeze(1).to(hw.device)
    # fp32, as the codes the tagger was trained on were cached
    z_e = vqvae.encode_latent(x)
    codes = vqvae.quantizer.nearest(z_e)  # [B, H', T']
    mean_z = latent_to_sequence(z_e.float()).mean(dim=1).cpu().numpy()
    k = vqvae.config.quantizer.codebook_size
    flat = codes.reshape(len(codes), -1)
    hist = torch.zeros(len(codes), k, device=flat.device).scatter_add_(
        1, flat, torch.ones_like(flat, dtype=torch.float32))
    hist = (hist / flat.shape[1]).cpu().numpy()

    fixed = model.encoder_mode == "fixed"
    # what the tagger was trained on: cached codes (or z_e beside them), or mels
    items = list((z_e.float() if model.with_z_e else codes).cpu()) if fixed else list(x.cpu())
    data: Dataset = _Clips(items, len(tagger.tags))
    if tagger.crop is not None:
        per_step = 2 if fixed else 1  # cached codes have half the frames
        data = TiledCrops(data, tagger.crop // per_step, tagger.hop // per_step)
    scores = predict_scores(model, data, hw, batch_size)
    return scores, mean_z, hist


def _length_note(path: Path, cfg: FeatureConfig) -> str | None:
    """A note when the tagger hears only the start of a file: its features hold the first
    ``frames`` frames (``frames_seconds``), as the run's clips did."""
    heard = cfg.frames_seconds
    total = audio_seconds(path)
    if total is None or total <= heard + 1.0:
        return None
    return (f"{total:.0f} s long; only its first {heard:.1f} s were tagged (the run's "
            f"features: frames {cfg.frames}); cut it into clips to tag the rest")


def _error_text(exc: Exception) -> str:
    if isinstance(exc, AudioError):
        return f"{exc.reason}: {exc.message}" if exc.message else exc.reason
    return f"{type(exc).__name__}: {exc}"


def predict_files(run: str | Path | Tagger, paths: Iterable[str | Path], top: int = 5,
                  threshold: str | float = "tuned", batch_size: int = 16,
                  outputs: str | Path | None = None, embeddings: bool = False,
                  progress: bool = False) -> pd.DataFrame:
    """Tag audio files with a trained run.

    Args:
        run: a run folder, its params file, or a ``Tagger`` from ``load_tagger``.
        paths: audio files, folders or globs (see ``audio_paths``).
        top: how many of the highest-scoring tags go into ``top``.
        threshold: ``tuned`` (the run's per-tag thresholds from validation) or a fixed
            score in [0, 1] for every tag.
        batch_size: clips encoded and scored together.
        embeddings: also return ``embedding`` (mean encoder output, float32 ``[D*H']``)
            and ``code_histogram`` (share of code positions per code, ``[K]``).

    Returns:
        One row per input file, in input order: ``path``, ``error`` (None, or why the
        file could not be tagged), ``note`` (None, or that only the file's start was
        heard), ``top`` (list of ``(tag, score)``, best first),
        ``tags`` (the tags decided positive), then one float column per tag (its
        score; NaN for a failed file) and, with ``embeddings``, the two arrays.
    """
    tagger = run if isinstance(run, Tagger) else load_tagger(
        run, outputs, need_thresholds=threshold == "tuned")
    if threshold == "tuned":
        thr = tagger.thresholds
    else:
        value = float(threshold)
        if not 0.0 <= value <= 1.0:  # NaN fails this too
            raise ValueError(f"threshold must be 'tuned' or a score in [0, 1], got {threshold}")
        thr = np.full(len(tagger.tags), value)
    files = audio_paths(paths)
    rows: list[dict] = [{"path": str(p), "error": None, "note": None} for p in files]
    pending: list[tuple[int, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        scores, mean_z, hist = _score_batch(tagger, np.stack([m for _, m in pending]),
                                            batch_size)
        for (i, _), s, z, h in zip(pending, scores, mean_z, hist):
            rows[i]["scores"], rows[i]["embedding"], rows[i]["code_histogram"] = s, z, h
        pending.clear()

    for i, path in enumerate(progress_bar(files, desc="predict", disable=not progress)):
        try:
            # Stored features are float16 (01_extract): the same rounding here gives the
            # tagger the very inputs it was trained and tested on.
            mel = clip_features(path, tagger.features).astype(np.float16)
            pending.append((i, mel.astype(np.float32)))
            rows[i]["note"] = _length_note(path, tagger.features)
        except Exception as exc:  # one bad file must not stop the others
            rows[i]["error"] = _error_text(exc)
        if len(pending) >= batch_size:
            flush()
    flush()

    n_tags = len(tagger.tags)
    records = []
    for row in rows:
        scores = row.pop("scores", np.full(n_tags, np.nan, dtype=np.float32))
        order = [] if row["error"] else list(np.argsort(-scores, kind="stable")[:top])
        # A tag with no tuned threshold (no validation positive) is never decided positive.
        chosen = [] if row["error"] else [tagger.tags[j] for j in np.argsort(-scores, kind="stable")
                                          if not np.isnan(thr[j]) and scores[j] >= thr[j]]
        record = {"path": row["path"], "error": row["error"], "note": row["note"],
                  "top": [(tagger.tags[j], float(scores[j])) for j in order],
                  "tags": chosen, **dict(zip(tagger.tags, scores.astype(float)))}
        if embeddings:
            record["embedding"] = row.get("embedding")
            record["code_histogram"] = row.get("code_histogram")
        records.append(record)
    columns = ["path", "error", "note", "top", "tags", *tagger.tags]
    if embeddings:
        columns += ["embedding", "code_histogram"]
    return pd.DataFrame.from_records(records, columns=columns)


__all__ = ["AUDIO_SUFFIXES", "RunFolderError", "Tagger", "audio_paths", "load_tagger",
           "predict_files", "run_folder"]
