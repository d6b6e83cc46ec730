"""Is run A better than run B beyond the luck of the test clips? (``vqvae-kit compare``)

Two runs are given as run folders (or their params files): their ``predictions_test.npy``
and ``groundtruth_test.npy`` are compared, rows paired by ``clip_ids_test.txt``. For
each ranking metric (ROC-AUC and PR-AUC, macro and micro) it prints A, B, the
difference A - B on the full test set, its 95% paired-bootstrap interval over the test
clips (``stats.paired_bootstrap``) and whether "A beats B" holds, is not significant or
is reversed (``format_comparison``). Files are checked before anything is computed, as
``evaluate`` does: a wrong shape, or runs scored on other clips or labels, raises
``InputError`` naming the files.

``load_run_scores`` and ``pair_runs`` are what ``report`` uses for its claims, too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..settings.registry import RunPaths
from .inputs import InputError, expect_shape, load_matrix, load_tags
from .stats import verdict

CONFIDENCE = 0.95
# A run folder's files read here, relative to it: test ground truth, then predictions.
RUN_FILES = (RunPaths.split_name(RunPaths.GROUNDTRUTH, "test"),
             RunPaths.split_name(RunPaths.PREDICTIONS, "test"))
# Named in messages about a run's test rows and its columns.
CLIP_IDS_FILE = RunPaths.split_name(RunPaths.CLIP_IDS, "test")


@dataclass(frozen=True)
class TestScores:
    """One run's scores on its test split, with where they came from (for messages).

    Attributes:
        name: the run, in messages and tables.
        groundtruth: bool ``[N, n_tags]``.
        predictions: float ``[N, n_tags]``, rows as in ``groundtruth``.
        clip_ids: ``N`` clip ids, one per row, or None when the run has none.
        tags: ``n_tags`` names, or None when unknown.
        source: the folder (or file) the scores were read from.
        seed_predictions: for a run of several seeds (``seeds.average_scores``), each
            seed's float ``[N, n_tags]``, rows as in ``groundtruth``; ``predictions`` is
            then their mean. Empty for a run of one seed.
    """

    __test__ = False  # not a pytest test class, despite its name

    name: str
    groundtruth: np.ndarray
    predictions: np.ndarray
    clip_ids: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    source: str = ""
    seed_predictions: tuple[np.ndarray, ...] = ()

    def where(self, what: str) -> str:
        """How to name one of the run's files in a message."""
        return str(Path(self.source) / what) if self.source else f"{self.name} {what}"


def run_folder(run: str | Path, outputs: str | Path | None = None) -> Path:
    """The folder of ``run``: a run folder itself, or the params file of a run (its folder
    under ``outputs``)."""
    from ..settings.params import find_run_folder

    folder = find_run_folder(run, outputs)
    if folder is not None:
        return folder
    raise InputError(f"{run}: neither a run folder nor a params file (.yaml)")


def load_run_scores(folder: str | Path, name: str | None = None) -> TestScores:
    """A run folder's test scores: ``groundtruth_test.npy``, ``predictions_test.npy``
    and, when there, ``clip_ids_test.txt`` and ``tags.txt`` (as the tagging step writes
    them), checked against each other."""
    folder = Path(folder)
    paths = RunPaths(folder)
    missing = [n for n in RUN_FILES if not (paths / n).is_file()]
    if missing:
        raise InputError(f"{folder}: no {' or '.join(missing)}; is it a run folder whose "
                         "tagging step (04_tag) has finished?")
    gt_path, pred_path = paths.groundtruth("test"), paths.predictions("test")
    gt = load_matrix(gt_path, "labels")
    pred = load_matrix(pred_path, "scores")
    expect_shape(pred, pred_path, gt.shape, f"clips x tags of {gt_path.name}")
    ids = tags = None
    ids_path, tags_path = paths.clip_ids("test"), paths.tags
    if ids_path.is_file():
        ids = tuple(load_tags(ids_path))
        if len(ids) != len(gt):
            raise InputError(f"{ids_path}: {len(ids)} clip ids, expected {len(gt)} (the rows "
                             f"of {gt_path.name})")
        if len(set(ids)) != len(ids):
            raise InputError(f"{ids_path}: {len(ids) - len(set(ids))} clip ids appear more "
                             "than once, so its rows cannot be paired by clip")
    if tags_path.is_file():
        tags = tuple(load_tags(tags_path))
        if len(tags) != gt.shape[1]:
            raise InputError(f"{tags_path}: {len(tags)} tags, expected {gt.shape[1]} (the "
                             f"columns of {gt_path.name})")
    return TestScores(name or folder.name, gt, pred, ids, tags, str(folder))


def _examples(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")


def pair_runs(a: TestScores, b: TestScores) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Two runs' test scores, rows paired clip by clip.

    With clip ids on both sides, B's rows are put in A's order; the two must list the
    same clips. Without, rows are paired in file order. Either way both runs must have
    the same tags and the same labels on every clip: else they were scored on different
    test data and no difference between them means anything.

    Returns:
        (groundtruth bool ``[N, n_tags]``, A's predictions, B's predictions (float ``[N,
        n_tags]``), how the rows were paired, in words).

    Raises:
        InputError: naming the files that disagree, and how.
    """
    gt_a, gt_b = a.where(RUN_FILES[0]), b.where(RUN_FILES[0])
    if a.groundtruth.shape[1] != b.groundtruth.shape[1]:
        raise InputError(f"{gt_a} has {a.groundtruth.shape[1]} tags, {gt_b} has "
                         f"{b.groundtruth.shape[1]}: compare runs tagged with the same tags")
    if a.tags is not None and b.tags is not None and a.tags != b.tags:
        raise InputError(f"{a.where(RunPaths.TAGS)} and {b.where(RunPaths.TAGS)} differ: the "
                         "columns are not the same tags; compare runs of the same dataset")
    pred_b, truth_b = b.predictions, b.groundtruth
    if a.clip_ids is not None and b.clip_ids is not None:
        ids_a, ids_b = a.where(CLIP_IDS_FILE), b.where(CLIP_IDS_FILE)
        set_a, set_b = set(a.clip_ids), set(b.clip_ids)
        only_a = [c for c in a.clip_ids if c not in set_b]
        only_b = [c for c in b.clip_ids if c not in set_a]
        if only_a or only_b:
            raise InputError(
                f"{ids_a} and {ids_b} list different test clips ({len(only_a)} only in "
                f"{a.name}{': ' + _examples(only_a) if only_a else ''}; {len(only_b)} only "
                f"in {b.name}{': ' + _examples(only_b) if only_b else ''}): compare runs "
                "scored on the same test split (a clip whose audio failed in one run "
                "but not the other also does this)")
        row_b = {c: i for i, c in enumerate(b.clip_ids)}
        order = np.array([row_b[c] for c in a.clip_ids], dtype=np.intp)
        pred_b, truth_b = pred_b[order], truth_b[order]
        paired = f"{len(order)} clips paired by clip id"
    else:
        if a.groundtruth.shape != b.groundtruth.shape:
            raise InputError(f"{gt_a} has shape {a.groundtruth.shape}, {gt_b} "
                             f"{b.groundtruth.shape}: the runs were not scored on the same "
                             "test clips")
        without = [s.where(CLIP_IDS_FILE) for s in (a, b) if s.clip_ids is None]
        paired = (f"{len(a.groundtruth)} clips paired by row (no "
                  f"{' or '.join(without)} to pair them by clip id)")
    differ = np.flatnonzero((a.groundtruth != truth_b).any(axis=1))
    if len(differ):
        raise InputError(f"{gt_a} and {gt_b} disagree on the labels of {len(differ)} of "
                         f"{len(truth_b)} clips: the runs were not scored on "
                         "the same test data (another split or tag set?)")
    return a.groundtruth, a.predictions, pred_b, paired


def load_files(groundtruth: str | Path, a: str | Path, b: str | Path
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The MediaEval-layout files of the first form, checked: (groundtruth bool ``[N,
    n_tags]``, A's and B's predictions float ``[N, n_tags]``)."""
    gt = load_matrix(groundtruth, "labels")
    pa, pb = load_matrix(a, "scores"), load_matrix(b, "scores")
    for path, pred in ((a, pa), (b, pb)):
        expect_shape(pred, path, gt.shape, f"clips x tags of the ground truth {groundtruth}")
    return gt, pa, pb


def format_comparison(result: dict[str, dict[str, float]], name_a: str = "A",
                      name_b: str = "B") -> str:
    """The comparison as a table: one row per metric, with the verdict on "A beats B"."""
    interval = f"{CONFIDENCE:.0%} interval"
    head = (f"{'metric':<14} {'A':>8} {'B':>8} {'A - B':>8}  {interval:<20} {'P(<=0)':>6}  "
            "A beats B")
    lines = [f"A = {name_a}", f"B = {name_b}", head]
    for key, r in result.items():
        interval = f"[{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]"
        lines.append(f"{key:<14} {r['a']:8.4f} {r['b']:8.4f} {r['delta']:+8.4f}  {interval:<20} "
                     f"{r['p_le_0']:6.3f}  {verdict(r['ci_low'], r['ci_high'])}")
    return "\n".join(lines)
