"""Evaluation with the MediaEval 2019 metrics: ``vqvae-kit evaluate`` and notebook 05.

Command line, on files in the MediaEval layout (``.npy``, clips x tags, columns in
``tags.txt`` order)::

    vqvae-kit evaluate --groundtruth GT.npy --predictions P.npy [--decisions D.npy]
        [--tags TAGS.txt] [--validation-groundtruth VG.npy --validation-predictions VP.npy]
        [--json OUT.json|-] [--per-tag OUT.tsv]

Without ``--decisions`` each tag's threshold is tuned on the validation pair (the F-max
point of its PR curve) and applied to the test predictions. Shapes and dtypes are
checked before anything is computed; a mismatch names the file and exits with 2.

``evaluate_run(run)``: the same for a run folder written by the tagging step, beside
the plain baselines of ``baselines`` (a logistic regression on log-mel statistics, and
the popularity baseline) with a verdict in words, and on MTG-Jamendo split-0 mood/theme
beside the paper's Table 2 and the 2019 leaderboard when its test split is the complete
official one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .baselines import (
    MEL_STATS,
    POPULARITY,
    mel_stats_baseline,
    popularity_metrics,
    verdict,
)
# The file readers live in ``inputs`` (no scikit-learn there, for ``compare``); they
# stay importable from here.
from .inputs import InputError, expect_shape, load_matrix, load_tags  # noqa: F401
from .metrics import (
    METRIC_KEYS,
    all_metrics,
    decide,
    per_tag_metrics,
    tune_thresholds,
    tuned_metrics,
)
from .paper import (
    MOODTHEME_TAGS,
    MOODTHEME_TEST_CLIPS,
    leaderboard,
    moodtheme_test_ids,
    paper_table,
)


def evaluate_files(groundtruth: str | Path, predictions: str | Path,
                   decisions: str | Path | None = None, tags: str | Path | None = None,
                   validation_groundtruth: str | Path | None = None,
                   validation_predictions: str | Path | None = None) -> dict[str, Any]:
    """Check and evaluate MediaEval-layout files.

    Returns:
        dict(metrics (``all_metrics``), per_tag (DataFrame), thresholds (float
        ``[n_tags]`` or None when decisions were given), decisions (bool ``[N, n_tags]``),
        tags (list), n_clips).
    """
    gt = load_matrix(groundtruth, "labels")
    pred = load_matrix(predictions, "scores")
    expect_shape(pred, predictions, gt.shape, f"clips x tags of the ground truth {groundtruth}")
    names = None
    if tags is not None:
        names = load_tags(tags)
        if len(names) != gt.shape[1]:
            raise InputError(f"{tags}: {len(names)} tags, expected {gt.shape[1]} "
                             f"(the columns of {groundtruth})")
    validation = (validation_groundtruth, validation_predictions)
    if decisions is not None and any(v is not None for v in validation):
        raise InputError("give either --decisions or the validation pair to tune thresholds "
                         "on, not both")
    thresholds = None
    if decisions is not None:
        dec = load_matrix(decisions, "labels")
        expect_shape(dec, decisions, gt.shape, f"clips x tags of the ground truth {groundtruth}")
    else:
        if any(v is None for v in validation):
            raise InputError("no --decisions: give --validation-groundtruth and "
                             "--validation-predictions to tune one threshold per tag on "
                             "validation (thresholds are never tuned on the test split)")
        vgt = load_matrix(validation_groundtruth, "labels")
        if vgt.shape[1] != gt.shape[1]:
            raise InputError(f"{validation_groundtruth}: shape {vgt.shape}, expected "
                             f"({vgt.shape[0]}, {gt.shape[1]}) (the tags of {groundtruth})")
        vpred = load_matrix(validation_predictions, "scores")
        expect_shape(vpred, validation_predictions, vgt.shape,
                     f"clips x tags of the validation ground truth {validation_groundtruth}")
        thresholds = tune_thresholds(vgt, vpred)
        dec = decide(pred, thresholds)
    return {"metrics": all_metrics(gt, pred, dec, names),
            "per_tag": per_tag_metrics(gt, pred, dec, names), "thresholds": thresholds,
            "decisions": dec, "tags": names or [f"tag{j}" for j in range(gt.shape[1])],
            "n_clips": gt.shape[0]}


def format_metrics(metrics: dict[str, Any]) -> str:
    """The ten metrics as a two-column table with 6 decimals (and the tags left out)."""
    lines = [f"{'metric':<16} value"]
    lines += [f"{k:<16} {metrics[k]:.6f}" for k in METRIC_KEYS]
    if metrics.get("excluded_tags"):
        lines.append(f"left out of macro averages: {', '.join(metrics['excluded_tags'])}")
    return "\n".join(lines)


def _json_ready(obj: Any) -> Any:
    """Plain JSON: numpy scalars to Python, NaN and infinities to null."""
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


# -- command line ---------------------------------------------------------------------
def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("evaluate", help="MediaEval 2019 metrics of predictions (.npy files)",
                       description="ROC-AUC and PR-AUC (macro, micro) from predictions; "
                       "precision, recall and F-score (macro, micro) from decisions, given "
                       "or made with thresholds tuned on a validation pair.")
    p.add_argument("--groundtruth", required=True, help="bool [clips, tags] .npy (test split)")
    p.add_argument("--predictions", required=True, help="float [clips, tags] .npy scores")
    p.add_argument("--decisions", help="bool [clips, tags] .npy; else tuned on validation")
    p.add_argument("--tags", help="tag names, one a line, in column order (tags.txt)")
    p.add_argument("--validation-groundtruth", help="bool [clips, tags] .npy to tune on")
    p.add_argument("--validation-predictions", help="float [clips, tags] .npy to tune on")
    p.add_argument("--json", help="write the metrics as JSON to this file ('-': stdout)")
    p.add_argument("--per-tag", help="write per-tag metrics as TSV to this file")
    return p


def main(args: argparse.Namespace) -> int:
    try:
        result = evaluate_files(args.groundtruth, args.predictions, args.decisions, args.tags,
                                args.validation_groundtruth, args.validation_predictions)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    metrics = result["metrics"]
    source = (f"decisions from {args.decisions}" if args.decisions else
              f"thresholds tuned on {args.validation_predictions}")
    table = (f"MediaEval 2019 metrics of {args.predictions} against {args.groundtruth} "
             f"({result['n_clips']} clips, {len(result['tags'])} tags; {source})\n"
             + format_metrics(metrics))
    text = json.dumps(_json_ready(metrics), indent=2)
    # JSON on stdout must stay parseable, so the table goes to stderr then.
    print(table, file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(text)
    elif args.json:
        Path(args.json).write_text(text + "\n")
    if args.per_tag:
        per_tag = result["per_tag"]
        if result["thresholds"] is not None:
            per_tag = per_tag.assign(threshold=result["thresholds"])
        per_tag.to_csv(args.per_tag, sep="\t", index=False)
    return 0


# -- a run folder (notebook 05) -------------------------------------------------------
RUN_INPUTS = ("predictions_validation.npy", "predictions_test.npy",
              "groundtruth_validation.npy", "groundtruth_test.npy", "tags.txt")


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        obj = getattr(obj, name, None)
    return obj


def is_moodtheme_split0(run: Any, tags: list[str], n_test: int) -> bool:
    """True for MTG-Jamendo split-0 mood/theme, the data of the paper's Table 2: by the
    run's tagging dataset, or else by its 56 official tags and 4231 test clips."""
    ds = _get(run, "params", "data", "tag")
    if (_get(ds, "kind") == "jamendo" and _get(ds, "split") == 0
            and _get(ds, "subset") == "moodtheme"):
        return True
    return tuple(tags) == MOODTHEME_TAGS and n_test == MOODTHEME_TEST_CLIPS


def official_test_split_mismatch(clip_ids: list[str] | None) -> str | None:
    """Why ``clip_ids`` (a run's test rows) are not the official split-0 mood/theme test
    split, all ``MOODTHEME_TEST_CLIPS`` tracks in the official order; None when they are.

    The paper's and the leaderboard's scores are over exactly those clips, so a run
    scored on fewer (clips whose audio failed to decode, say) or on others is not
    comparable with them, even when its numbers look close.
    """
    if clip_ids is None:
        return "the run has no clip_ids_test.txt to check its test clips against the official split"
    official = moodtheme_test_ids()
    if list(clip_ids) == list(official):
        return None
    have, known = set(clip_ids), set(official)
    missing = [c for c in official if c not in have]
    problems = []
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        problems.append(f"{len(missing)} of the {len(official)} official test clips "
                        f"{'is' if len(missing) == 1 else 'are'} missing ({shown})")
    extra = [c for c in clip_ids if c not in known]
    if extra:
        problems.append(f"{len(extra)} test clips are not in the official test split "
                        f"({', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''})")
    repeated = len(clip_ids) - len(have)
    if repeated:
        problems.append(f"{repeated} test clips appear more than once")
    if not problems:
        problems.append("the test clips are the official ones but in another order")
    return "; ".join(problems)


def _design(run: Any) -> dict[str, Any]:
    return {"vqvae": _get(run, "params", "vqvae", "kind"),
            "classifier": _get(run, "params", "tag", "tagger", "classifier"),
            "encoder": _get(run, "params", "tag", "encoder")}


def _with_paper(name: str, run: Any, metrics: dict[str, Any]) -> pd.DataFrame:
    """The paper's Table 2 with this run's row, best test ROC-AUC first."""
    paper = paper_table()[["run", "vqvae", "classifier", "encoder", "roc_auc_macro",
                           "pr_auc_macro", "f1_macro", "f1_micro", "val_roc_auc_macro"]]
    paper = paper.assign(source="paper")
    test = {m: metrics["test"][m]
            for m in ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")}
    row = {"run": name, **_design(run), **test,
           "val_roc_auc_macro": metrics["validation"]["roc_auc_macro"], "source": "this kit"}
    table = pd.concat([paper, pd.DataFrame([row])], ignore_index=True)
    return table.sort_values("roc_auc_macro", ascending=False, kind="stable").reset_index(drop=True)


def _with_leaderboard(name: str, metrics: dict[str, Any]) -> pd.DataFrame:
    """The 2019 leaderboard with this run placed by PR-AUC macro; ``rank`` re-numbered."""
    board = leaderboard().drop(columns="rank")
    row = {"team": "this kit", "run": name, **{m: metrics["test"][m] for m in board.columns
                                               if m in metrics["test"]}}
    board = pd.concat([board, pd.DataFrame([row])], ignore_index=True)
    board = board.sort_values("pr_auc_macro", ascending=False, kind="stable").reset_index(drop=True)
    board.insert(2, "rank", range(1, len(board) + 1))
    return board


# The excluded-tag warning names the same tags for a baseline as for the run it sits beside.
_EXCLUDED_WARNING = ".*left out of the macro averages"


def _mel_stats_record(run: Any, tags: list[str], data: dict[str, tuple[np.ndarray, np.ndarray]],
                      clip_ids: list[str] | None) -> tuple[dict[str, Any] | None, str]:
    """``(mel_stats baseline, "")`` on the run's tagging features, or ``(None, why not)``
    when there are none or they are not the clips and labels the run was scored on."""
    if not callable(getattr(run, "features_dir", None)):
        return None, "the run has no feature folder (features_dir) to train it on"
    from .feature_store import FeatureStore  # torch, only when a run folder is evaluated

    try:
        store = FeatureStore(run.features_dir("tag"))
    except (FileNotFoundError, ValueError) as exc:
        return None, str(exc)
    if list(store.tags) != list(tags):
        return None, f"{store.folder}: its tags.txt differs from the run's tags.txt"
    for split in ("validation", "test"):
        fs = store.split(split)
        same_ids = clip_ids is None or split != "test" or fs.ids == list(clip_ids)
        if not same_ids or not np.array_equal(fs.labels, data[split][0]):
            return None, (f"{store.folder}: its {split} clips or labels differ from the run's "
                          "(features extracted again since tagging?)")
    return mel_stats_baseline(store, seed=_get(run, "params", "seed") or 0), ""


def evaluate_run(run: Any) -> dict[str, Any]:
    """Evaluate a run folder written by the tagging step.

    Reads ``predictions_{validation,test}.npy`` (float ``[N, n_tags]``),
    ``groundtruth_{validation,test}.npy`` (bool ``[N, n_tags]``), ``tags.txt`` and, when
    there, ``clip_ids_test.txt`` (one id per test row) and ``groundtruth_train.npy``.
    Tunes one threshold per tag on validation and applies it to both splits (so the
    validation F-scores are optimistic; the test ones are not). Writes ``metrics.json``,
    ``per_tag.tsv`` (test) and ``decisions_test.npy`` into ``run.dir``. In ``metrics.json``
    a threshold is ``null`` for a tag with no validation positive (never decided positive).

    Two baselines are scored on the same clips with the same code (``baselines``) and
    stored under ``metrics.json["baselines"]``: ``mel_stats`` (``{validation, test,
    constant_tags, n_features, n_train}``), trained on the run's tagging features
    (``run.features_dir("tag")``), and ``popularity`` (``{labels_from, validation,
    test}``), from ``groundtruth_train.npy`` or, without it, the validation labels (the
    most frequent tag rarely differs between the two). Without usable features
    ``mel_stats`` is ``{"skipped": why}``. ``metrics.json["verdict"]`` says in words
    whether the run is below or above ``mel_stats`` on test ROC-AUC macro.

    Args:
        run: a ``steps.Run``, or any object with ``dir`` (the run folder) and ``params``
            (used for the run's name, design, dataset and seed; may be None) and, for
            the ``mel_stats`` baseline, ``features_dir(role)``.

    Returns:
        dict(metrics, per_tag, files, comparison (the run, then each baseline, test
        split), baselines (as in ``metrics.json``), verdict, groundtruth_test,
        predictions_test, tags, thresholds) and, on MTG-Jamendo split-0 mood/theme,
        ``placement`` (a sentence: where the run was placed, or why not). ``paper_table``,
        ``leaderboard`` and ``leaderboard_rank`` only when ``clip_ids_test.txt`` lists
        all 4231 official test clips in the official order; otherwise ``placement``
        says what differs, and is also issued as a ``UserWarning``.
    """
    folder = Path(run.dir)
    missing = [n for n in RUN_INPUTS if not (folder / n).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(missing)}; the tagging step "
                                "(04_tag) writes them")
    name = _get(run, "params", "name") or folder.name
    tags = load_tags(folder / "tags.txt")
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in ("validation", "test"):
        gt_path = folder / f"groundtruth_{split}.npy"
        pred_path = folder / f"predictions_{split}.npy"
        gt = load_matrix(gt_path, "labels")
        expect_shape(gt, gt_path, (gt.shape[0], len(tags)), "one column per tag of tags.txt")
        pred = load_matrix(pred_path, "scores")
        expect_shape(pred, pred_path, gt.shape, f"clips x tags of {gt_path.name}")
        data[split] = (gt, pred)
    ids_path = folder / "clip_ids_test.txt"
    clip_ids = load_tags(ids_path) if ids_path.exists() else None
    if clip_ids is not None and len(clip_ids) != len(data["test"][0]):
        raise InputError(f"{ids_path}: {len(clip_ids)} clip ids, expected "
                         f"{len(data['test'][0])} (the rows of groundtruth_test.npy)")

    scored = tuned_metrics(data["validation"], data["test"], tags)
    thresholds, decisions = scored["thresholds"], scored["decisions"]
    metrics, left_out = scored["metrics"], scored["excluded_tags"]
    gt_test, pred_test = data["test"]
    per_tag = per_tag_metrics(gt_test, pred_test, decisions["test"], tags)
    per_tag["threshold"] = thresholds

    train_path = folder / "groundtruth_train.npy"
    if train_path.exists():
        y_train, labels_from = load_matrix(train_path, "labels"), "train"
        expect_shape(y_train, train_path, (y_train.shape[0], len(tags)), "one column per tag")
    else:
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
        warnings.warn(f"no mel_stats baseline: {why_not}", UserWarning, stacklevel=2)
    rows = [{"run": name, **metrics["test"]}]
    if mel_stats is not None:
        rows.append({"run": "mel_stats baseline",
                     **mel_stats["test"]})
    rows.append({"run": f"popularity baseline (from {labels_from} labels)",
                 **popularity["test"]})
    comparison = pd.DataFrame(rows)
    said = verdict(metrics["test"], None if mel_stats is None else mel_stats["test"], why_not)

    record = {"validation": metrics["validation"], "test": metrics["test"],
              "thresholds": thresholds, "excluded_tags": left_out, "baselines": baselines,
              "verdict": said}
    files = [folder / "metrics.json", folder / "per_tag.tsv", folder / "decisions_test.npy"]
    files[0].write_text(json.dumps(_json_ready(record), indent=2) + "\n")
    per_tag.to_csv(files[1], sep="\t", index=False)
    np.save(files[2], decisions["test"])

    result: dict[str, Any] = {
        "metrics": metrics, "per_tag": per_tag, "files": files, "comparison": comparison,
        "baselines": baselines, "verdict": said, "groundtruth_test": gt_test, "predictions_test": pred_test, "tags": tags,
        "thresholds": thresholds}
    if is_moodtheme_split0(run, tags, len(gt_test)):
        mismatch = official_test_split_mismatch(clip_ids)
        if mismatch is None:
            result["paper_table"] = _with_paper(name, run, metrics)
            board = _with_leaderboard(name, metrics)
            result["leaderboard"] = board
            rank = int(board.loc[board["team"] == "this kit", "rank"].iloc[0])
            result["leaderboard_rank"] = rank
            result["placement"] = (f"placed in the paper's Table 2 and the 2019 leaderboard "
                                   f"(rank {rank} of {len(board)} by PR-AUC macro)")
        else:
            result["placement"] = ("not placed in the paper's Table 2 or the 2019 "
                                   f"leaderboard, which score the complete official test "
                                   f"split in its order: {mismatch}")
            warnings.warn(result["placement"], UserWarning, stacklevel=2)
    return result

