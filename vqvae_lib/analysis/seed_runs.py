"""Seed runs side by side: run folders grouped by the params file they are seeds of
(``seed_groups``), and the seeds' test scores averaged clip by clip (``average_scores``).

``report`` shows each group as one row and tests the paper's claims on the mean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..evaluation.compare import TestScores, pair_runs
from ..settings.registry import RunPaths
from ..utils.config import ConfigError


# -- report ---------------------------------------------------------------------------
def seed_groups(folders: Sequence[str | Path]) -> list[tuple[str | None, list[Path]]]:
    """Run folders grouped by the params file they are seeds of, in order of first
    appearance.

    Returns:
        ``(name, folders)`` per group: the name of the file the runs are seeds of, or
        None for a run made without seeds (then one folder).

    Raises:
        FileNotFoundError: a folder without ``params.json``.
        ConfigError: one seed of a file given twice.
    """
    groups: dict[object, tuple[str | None, list[Path]]] = {}
    seen: dict[object, dict[int, Path]] = {}
    for folder in map(Path, folders):
        params_file = RunPaths(folder).params
        if not params_file.is_file():
            raise FileNotFoundError(f"{params_file} not found: is {folder} a run folder?")
        params = json.loads(params_file.read_text())
        seed_of = params.get("seed_of")
        if not seed_of:
            groups[folder] = (None, [folder])
            continue
        suffix = f"-s{params['seed']}"
        name = params["name"]
        stem = name[:-len(suffix)] if name.endswith(suffix) else name
        key = (seed_of, stem)
        before = seen.setdefault(key, {}).get(params["seed"])
        if before is not None:
            raise ConfigError(f"{folder} and {before} are both seed {params['seed']} of "
                              f"{seed_of}: give each seed run once")
        seen[key][params["seed"]] = folder
        groups.setdefault(key, (stem, []))[1].append(folder)
    return list(groups.values())


def average_scores(scores: Sequence[TestScores], name: str) -> TestScores:
    """The seeds' test scores as one run's, rows paired clip by clip.

    Args:
        scores: each seed's scores; rows are paired by clip id (``compare.pair_runs``,
            which also checks that the seeds share the test clips, tags and labels).
        name: the run's name.

    Returns:
        The first seed's ground truth, clip ids and tags; ``seed_predictions``, each
        seed's float ``[N, n_tags]`` in the first seed's row order, and ``predictions``
        their mean.
    """
    first = scores[0]
    each = [first.predictions] + [pair_runs(first, other)[2] for other in scores[1:]]
    mean = np.mean([p.astype(np.float64) for p in each], axis=0)
    return TestScores(name, first.groundtruth, mean, first.clip_ids, first.tags, first.source,
                      seed_predictions=tuple(each))
