"""Writing the demo set: which clips it holds (tags and splits), then its folder.

``plan_demo_dataset`` draws every clip's musical choices and split from the seed alone;
``write_demo_dataset`` renders them (see ``synthesis``) into audio files and a manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from ...utils.progress import progress_bar
from .synthesis import DEMO_TAGS, DEMO_VERSION, INSTRUMENTS, LEVELS, PITCHED, TEMPI, render_clip

SPLIT_SHARES = (("train", 0.70), ("validation", 0.15), ("test", 0.15))


# -- plan: tags and splits -----------------------------------------------------------------
def _draw_tags(rng: np.random.Generator) -> dict:
    """One clip's musical choices; ``tags`` lists its demo tags."""
    drums = rng.random() < 0.42
    inst = {"drums": drums, "piano": rng.random() < 0.38, "plucked": rng.random() < 0.22,
            "bowed": rng.random() < (0.12 if drums else 0.28),
            "organ": rng.random() < 0.13, "flute": rng.random() < (0.08 if drums else 0.2),
            "bass": rng.random() < (0.55 if drums else 0.15)}
    if not any(inst.values()):
        inst[str(rng.choice(PITCHED))] = True
    tempo = str(rng.choice(list(TEMPI), p=[0.15, 0.35, 0.5] if drums else [0.4, 0.35, 0.25]))
    level = str(rng.choice(list(LEVELS), p=[0.1, 0.45, 0.45] if drums else [0.4, 0.4, 0.2]))
    pitched = any(inst[i] for i in PITCHED)
    mode = str(rng.choice(["major", "minor"], p=[0.6, 0.4]))
    tags = [i for i in INSTRUMENTS if inst[i]]
    if pitched:
        tags.append(mode)
    tags += [t for t in (tempo, level) if t != "moderate"]
    return {"instruments": [i for i in INSTRUMENTS if inst[i]], "mode": mode,
            "tempo": tempo, "level": level, "tags": [t for t in DEMO_TAGS if t in tags]}


def _assign_splits(tag_sets: list[list[str]], rng: np.random.Generator) -> list[str]:
    """About 70/15/15, then swaps so that every tag with enough clips has positives in
    every split (a test split without positives of a tag has no ROC-AUC for it)."""
    n = len(tag_sets)
    order = rng.permutation(n)
    bounds = np.cumsum([round(share * n) for _, share in SPLIT_SHARES[:-1]])
    split = np.empty(n, dtype=object)
    for part, (name, _) in zip(np.split(order, bounds), SPLIT_SHARES):
        split[part] = name
    has = np.array([[t in tags for t in DEMO_TAGS] for tags in tag_sets], dtype=bool)
    for _ in range(4 * len(DEMO_TAGS)):
        short = [(j, s) for j in range(len(DEMO_TAGS)) for s, _ in SPLIT_SHARES
                 if has[:, j].sum() >= len(SPLIT_SHARES) and not has[split == s, j].any()]
        if not short:
            break
        j, s = short[0]
        donors = np.flatnonzero(has[:, j] & (split != s))
        donor_split = split[donors]
        # Take from the split holding the most positives of the tag.
        best = max({str(x) for x in donor_split}, key=lambda x: int((donor_split == x).sum()))
        donor = rng.choice(donors[donor_split == best])
        takers = np.flatnonzero((split == s) & ~has[:, j])
        taker = rng.choice(takers) if len(takers) else rng.choice(np.flatnonzero(split == s))
        split[donor], split[taker] = split[taker], split[donor]
    return [str(s) for s in split]


def plan_demo_dataset(n_clips: int = 400, seed: int = 0) -> pd.DataFrame:
    """Which clips the demo set holds, without synthesising them.

    Returns one row per clip (``n_clips`` rows): ``id``, ``path`` (relative), ``tags``
    (tuple), ``split``, and the musical choices ``instruments``, ``mode``, ``tempo``,
    ``level``.
    """
    rng = np.random.default_rng([seed, 0])
    clips = [_draw_tags(rng) for _ in range(n_clips)]
    splits = _assign_splits([c["tags"] for c in clips], rng)
    fmt = rng.choice(["wav", "flac", "ogg"], size=n_clips, p=[0.5, 0.45, 0.05])
    rows = []
    for i, (c, s, f) in enumerate(zip(clips, splits, fmt)):
        rows.append({"id": f"demo{i:04d}", "path": f"audio/demo{i:04d}.{f}",
                     "tags": tuple(c["tags"]), "split": s,
                     **{k: c[k] for k in ("instruments", "mode", "tempo", "level")}})
    return pd.DataFrame(rows)


# -- the folder --------------------------------------------------------------------------
def write_demo_dataset(out_dir: str | Path, n_clips: int = 400, clip_seconds: float = 3.5,
                       sample_rate: int = 22050, seed: int = 0, progress: bool = True) -> Path:
    """Write the demo set: audio files (WAV, FLAC, a few OGG) and ``manifest.csv``.

    Args:
        out_dir: folder to write; audio goes to ``out_dir/audio/``.
        n_clips: clips over all splits (about 70/15/15 train/validation/test).
        clip_seconds: length of every clip.
        sample_rate: rate of the files.
        seed: the same seed gives the same manifest and the same audio.
        progress: show a tqdm bar.

    Returns:
        The path of ``manifest.csv`` (header ``id,path,tags,split``; tags joined by ';',
        paths relative to the CSV). If it already exists with the same settings, nothing
        is written.
    """
    out_dir = Path(out_dir)
    manifest = out_dir / "manifest.csv"
    record = out_dir / "demo_settings.json"
    settings = {"version": DEMO_VERSION, "n_clips": int(n_clips),
                "clip_seconds": float(clip_seconds), "sample_rate": int(sample_rate),
                "seed": int(seed)}
    if manifest.exists() and record.exists():
        try:
            if json.loads(record.read_text()) == settings:
                return manifest
        except json.JSONDecodeError:
            pass
    if n_clips < 1 or clip_seconds <= 0 or sample_rate < 1:
        raise ValueError("n_clips, clip_seconds and sample_rate must be positive")
    manifest.unlink(missing_ok=True)  # written last: its absence marks an unfinished set
    (out_dir / "audio").mkdir(parents=True, exist_ok=True)
    plan = plan_demo_dataset(n_clips, seed)
    for i, spec in enumerate(progress_bar(plan.to_dict("records"), desc="demo audio", unit="clip",
                                          disable=not progress, mininterval=1.0)):
        # One seed per clip: a clip's audio does not depend on the clips before it.
        clip_seed = int(np.random.SeedSequence([seed, 1, i]).generate_state(1)[0])
        y = render_clip(spec, clip_seconds, sample_rate, seed=clip_seed)
        path = out_dir / spec["path"]
        subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}[path.suffix[1:]]
        sf.write(path, y, sample_rate, subtype=subtype)
    record.write_text(json.dumps(settings, indent=2))
    table = plan[["id", "path", "tags", "split"]].copy()
    table["tags"] = [";".join(t) for t in table["tags"]]
    tmp = manifest.with_name("manifest.csv.tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(manifest)
    return manifest


__all__ = ["plan_demo_dataset", "write_demo_dataset"]
