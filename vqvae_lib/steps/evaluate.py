"""A run evaluated with the MediaEval 2019 metrics (notebook 05): ``evaluate_run``.

Reads the files the tagging step wrote into the run folder (named by
``registry.RunPaths``), tunes one threshold per tag on validation, scores both splits,
sets the run beside the plain baselines of ``baselines`` (a logistic regression on
log-mel statistics, and the popularity baseline) with a verdict in words, and, on
MTG-Jamendo split-0 mood/theme, beside the paper's Table 2 and the 2019 leaderboard
(``paper``) when its test split is the complete official one. The result is an
``Evaluation``; ``metrics.json`` holds ``Evaluation.to_json()``.

Files in the MediaEval layout are evaluated by ``vqvae-kit evaluate`` (``evaluate_cli``).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..evaluation.baselines import (
    MEL_STATS,
    POPULARITY,
    mel_stats_baseline,
    popularity_metrics,
    verdict,
    versus_mel_stats,
)
from ..evaluation.inputs import InputError, expect_shape, json_ready, load_matrix, load_tags
from ..evaluation.metrics import per_tag_metrics, tuned_metrics
from ..evaluation.paper import (
    beside_paper,
    is_moodtheme_split0,
    official_test_split_mismatch,
    on_leaderboard,
)
from ..settings.registry import EVAL_SPLITS, RunPaths

if TYPE_CHECKING:
    from ..runs.run import Run
    from ..settings.params import RunParams

# What the tagging step must have written, relative to the run folder.
RUN_INPUTS = (*(RunPaths.split_name(RunPaths.PREDICTIONS, s) for s in EVAL_SPLITS),
              *(RunPaths.split_name(RunPaths.GROUNDTRUTH, s) for s in EVAL_SPLITS),
              RunPaths.TAGS)
# The excluded-tag warning names the same tags for a baseline as for the run it sits beside.
_EXCLUDED_WARNING = ".*left out of the macro averages"


@dataclass(frozen=True)
class Evaluation:
    """A run evaluated by ``evaluate_run``.

    Attributes:
        name: the run's name (its params' ``name``, else its folder's).
        metrics: ``{"validation": ..., "test": ...}``, each a ``metrics.METRIC_KEYS`` dict
            (thresholds tuned on validation, so validation F-scores are optimistic).
        thresholds: float ``[n_tags]`` tuned on validation; NaN for a tag with no
            validation positive (never decided positive; ``null`` in ``metrics.json``).
        excluded_tags: ``{split: [tags]}`` left out of that split's macro averages.
        per_tag: one row per tag on test: tag, positives, roc_auc, pr_auc, precision,
            recall, f1, threshold.
        decisions_test: bool ``[N_test, n_tags]``.
        baselines: ``{"mel_stats": {validation, test, constant_tags, n_features,
            n_train, run_minus_mel_stats} or {"skipped": why}, "popularity": {labels_from,
            validation, test}}``; ``run_minus_mel_stats`` is the run minus the baseline on
            test ROC-AUC macro with its paired-bootstrap interval (``versus_mel_stats``).
        verdict: where the run stands beside ``mel_stats`` on test ROC-AUC macro, in words:
            above or below only when the whole interval is, else within noise.
        comparison: the run, then each baseline: one row each, test ``METRIC_KEYS``.
        groundtruth_test: bool ``[N_test, n_tags]``; predictions_test: float, same shape.
        tags: ``n_tags`` names, column order.
        files: the files written (``metrics.json``, ``per_tag.tsv``, ``decisions_test.npy``).
        placement: on MTG-Jamendo split-0 mood/theme, where the run was placed in the
            published tables or why not, in words; None on other data.
        paper_table, leaderboard, leaderboard_rank: the paper's Table 2 and the 2019
            leaderboard with the run's row, and its rank there; None unless placed.
    """

    name: str
    metrics: dict[str, dict[str, Any]]
    thresholds: np.ndarray
    excluded_tags: dict[str, list[str]]
    per_tag: pd.DataFrame
    decisions_test: np.ndarray
    baselines: dict[str, Any]
    verdict: str
    comparison: pd.DataFrame
    groundtruth_test: np.ndarray
    predictions_test: np.ndarray
    tags: list[str]
    files: tuple[Path, ...] = ()
    placement: str | None = None
    paper_table: pd.DataFrame | None = None
    leaderboard: pd.DataFrame | None = None
    leaderboard_rank: int | None = None

    def to_json(self) -> str:
        """The text of ``metrics.json``: validation, test, thresholds, excluded_tags,
        baselines and verdict, NaN as null."""
        record = {"validation": self.metrics["validation"], "test": self.metrics["test"],
                  "thresholds": self.thresholds, "excluded_tags": self.excluded_tags,
                  "baselines": self.baselines, "verdict": self.verdict}
        return json.dumps(json_ready(record), indent=2) + "\n"


def _read_run(paths: RunPaths) -> tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]],
                                        list[str] | None]:
    """(tags, ``{split: (groundtruth bool [N, n_tags], predictions float [N, n_tags])}``
    for validation and test, the test clip ids or None), each file checked."""
    missing = [n for n in RUN_INPUTS if not (paths / n).exists()]
    if missing:
        raise FileNotFoundError(f"{paths.root}: missing {', '.join(missing)}; the tagging step "
                                "(04_tag) writes them")
    tags = load_tags(paths.tags)
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in EVAL_SPLITS:
        gt_path, pred_path = paths.groundtruth(split), paths.predictions(split)
        gt = load_matrix(gt_path, "labels")
        expect_shape(gt, gt_path, (gt.shape[0], len(tags)), f"one column per tag of {paths.TAGS}")
        pred = load_matrix(pred_path, "scores")
        expect_shape(pred, pred_path, gt.shape, f"clips x tags of {gt_path.name}")
        data[split] = (gt, pred)
    ids_path = paths.clip_ids("test")
    clip_ids = load_tags(ids_path) if ids_path.exists() else None
    if clip_ids is not None and len(clip_ids) != len(data["test"][0]):
        raise InputError(f"{ids_path}: {len(clip_ids)} clip ids, expected "
                         f"{len(data['test'][0])} (the rows of {paths.groundtruth('test').name})")
    return tags, data, clip_ids


def _mel_stats_record(run: Run | None, tags: list[str],
                      data: dict[str, tuple[np.ndarray, np.ndarray]],
                      clip_ids: list[str] | None) -> tuple[dict[str, Any] | None, str]:
    """``(mel_stats baseline, "")`` on the run's tagging features, or ``(None, why not)``
    when there are none or they are not the clips and labels the run was scored on."""
    if run is None:
        return None, "the run has no feature folder (features_dir) to train it on"
    from ..features.layout import TAGS_FILE
    from ..features.store import FeatureStore

    try:
        store = FeatureStore(run.features_dir("tag"))
    except (FileNotFoundError, ValueError) as exc:
        return None, str(exc)
    if list(store.tags) != list(tags):
        return None, f"{store.folder}: its {TAGS_FILE} differs from the run's {RunPaths.TAGS}"
    for split in EVAL_SPLITS:
        fs = store.split(split)
        same_ids = clip_ids is None or split != "test" or fs.ids == list(clip_ids)
        if not same_ids or not np.array_equal(fs.labels, data[split][0]):
            return None, (f"{store.folder}: its {split} clips or labels differ from the run's "
                          "(features extracted again since tagging?)")
    return mel_stats_baseline(store, seed=run.params.seed), ""


def _baselines(run: Run | None, paths: RunPaths, tags: list[str],
               data: dict[str, tuple[np.ndarray, np.ndarray]], clip_ids: list[str] | None
               ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, str]:
    """(the baselines as ``metrics.json`` holds them, their rows of the comparison, the
    mel_stats baseline or None, why there is none)."""
    train_path = paths.groundtruth("train")
    if train_path.exists():
        y_train, labels_from = load_matrix(train_path, "labels"), "train"
        expect_shape(y_train, train_path, (y_train.shape[0], len(tags)), "one column per tag")
    else:  # the most frequent tag rarely differs between train and validation
        y_train, labels_from = data["validation"][0], "validation"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _EXCLUDED_WARNING, UserWarning)
        popularity = popularity_metrics(y_train, {s: gt for s, (gt, _) in data.items()}, tags)
        mel_stats, why_not = _mel_stats_record(run, tags, data, clip_ids)
    baselines: dict[str, Any] = {
        MEL_STATS: ({"skipped": why_not} if mel_stats is None else
                    {k: mel_stats[k] for k in ("validation", "test", "constant_tags",
                                               "n_features", "n_train")}),
        POPULARITY: {"labels_from": labels_from, **popularity}}
    if mel_stats is None:
        # stacklevel 3: the warning points at the caller of ``evaluate_run``.
        warnings.warn(f"no mel_stats baseline: {why_not}", UserWarning, stacklevel=3)
    rows = [] if mel_stats is None else [{"run": "mel_stats baseline", **mel_stats["test"]}]
    rows.append({"run": f"popularity baseline (from {labels_from} labels)",
                 **popularity["test"]})
    return baselines, rows, mel_stats, why_not


def _placement(name: str, params: RunParams | None, metrics: dict[str, dict[str, Any]],
               clip_ids: list[str] | None) -> dict[str, Any]:
    """The ``Evaluation`` fields of a run on split-0 mood/theme: placement and, when its
    test clips are the complete official split in its order, the published tables."""
    mismatch = official_test_split_mismatch(clip_ids)
    if mismatch is not None:
        said = ("not placed in the paper's Table 2 or the 2019 leaderboard, which score the "
                f"complete official test split in its order: {mismatch}")
        warnings.warn(said, UserWarning, stacklevel=3)
        return {"placement": said}
    design = {"vqvae": None, "classifier": None, "encoder": None} if params is None else {
        "vqvae": params.vqvae.kind, "classifier": params.tag.tagger.classifier,
        "encoder": params.tag.encoder}
    board = on_leaderboard(name, metrics["test"])
    rank = int(board.loc[board["team"] == "this kit", "rank"].iloc[0])
    return {"paper_table": beside_paper(name, design, metrics), "leaderboard": board,
            "leaderboard_rank": rank,
            "placement": (f"placed in the paper's Table 2 and the 2019 leaderboard "
                          f"(rank {rank} of {len(board)} by PR-AUC macro)")}


def evaluate_run(run: Run | Path) -> Evaluation:
    """Evaluate a run folder written by the tagging step.

    Reads ``predictions_{validation,test}.npy`` (float ``[N, n_tags]``),
    ``groundtruth_{validation,test}.npy`` (bool ``[N, n_tags]``), ``tags.txt`` and, when
    there, ``clip_ids_test.txt`` (one id per test row) and ``groundtruth_train.npy``.
    Tunes one threshold per tag on validation and applies it to both splits (so the
    validation F-scores are optimistic; the test ones are not). Writes ``metrics.json``
    (``Evaluation.to_json()``), ``per_tag.tsv`` (test) and ``decisions_test.npy`` into
    the run folder.

    Two baselines are scored on the same clips with the same code (``baselines``):
    ``mel_stats``, trained on the run's tagging features (``run.features_dir("tag")``),
    and ``popularity``, from ``groundtruth_train.npy`` or, without it, the validation
    labels. Without usable features ``mel_stats`` is ``{"skipped": why}`` and a
    ``UserWarning`` says why. On MTG-Jamendo split-0 mood/theme the run is placed in the
    paper's Table 2 and the 2019 leaderboard only when ``clip_ids_test.txt`` lists all
    4231 official test clips in the official order; otherwise ``placement`` says what
    differs, and is also issued as a ``UserWarning``.

    Args:
        run: a ``steps.Run`` (its params give the run's name, design, dataset and seed;
            its features the ``mel_stats`` baseline), or a run folder alone (named by
            its folder; no ``mel_stats`` baseline).
    """
    params = None if isinstance(run, (str, Path)) else run.params
    paths = RunPaths(Path(run) if isinstance(run, (str, Path)) else run.dir)
    name = params.name if params is not None else paths.root.name
    tags, data, clip_ids = _read_run(paths)

    scored = tuned_metrics(data["validation"], data["test"], tags)
    thresholds, decisions, metrics = scored["thresholds"], scored["decisions"], scored["metrics"]
    gt_test, pred_test = data["test"]
    per_tag = per_tag_metrics(gt_test, pred_test, decisions["test"], tags)
    per_tag["threshold"] = thresholds
    baselines, rows, mel_stats, why_not = _baselines(
        None if params is None else run, paths, tags, data, clip_ids)
    difference = None
    if mel_stats is not None:
        difference = versus_mel_stats(gt_test, pred_test, mel_stats["predictions"]["test"])
        baselines[MEL_STATS]["run_minus_mel_stats"] = difference
    result = Evaluation(
        name=name, metrics=metrics, thresholds=thresholds,
        excluded_tags=scored["excluded_tags"], per_tag=per_tag,
        decisions_test=decisions["test"], baselines=baselines,
        verdict=verdict(metrics["test"], None if mel_stats is None else mel_stats["test"],
                        why_not, difference),
        comparison=pd.DataFrame([{"run": name, **metrics["test"]}, *rows]),
        groundtruth_test=gt_test, predictions_test=pred_test, tags=tags,
        files=(paths.metrics, paths.per_tag, paths.decisions))
    paths.metrics.write_text(result.to_json())
    per_tag.to_csv(paths.per_tag, sep="\t", index=False)
    np.save(paths.decisions, result.decisions_test)

    if is_moodtheme_split0(None if params is None else params.data.tag, tags, len(gt_test)):
        result = replace(result, **_placement(name, params, metrics, clip_ids))
    return result
