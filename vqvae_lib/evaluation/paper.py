"""The paper's published numbers and claims, and the MediaEval 2019 leaderboard, as data.

``paper_table()``: Table 2 of Hung et al. (MediaEval 2019), MTG-Jamendo split-0
mood/theme test set, with the validation ROC-AUC the paper gives for Run-1..5. The
popularity baseline's two F1 values are the ones recomputed from the official files
(the paper prints them swapped). Design columns use the params files' words
(``vqvae: type1|type2``, ``classifier: gru|cnn``, ``encoder: fixed|finetune``), so a run's
``params.json`` matches its paper row; baselines have none. ``submission`` is the
run's name in the leaderboard (the team's submission numbers differ from the paper's
run numbers), ``runs_file`` the prefix of its official prediction files.

``leaderboard()``: every 2019 submission's scores, recomputed from the official files.

``PAPER_CLAIMS``: the three claims, with the runs that differ only in the claimed factor.

``moodtheme_test_ids()``: the 4231 track ids of the split-0 mood/theme test split in
the official order, the clips those scores were computed on.

A run of one's own on that data is placed beside them (``evaluate.evaluate_run``):
``is_moodtheme_split0`` says whether it is that data, ``official_test_split_mismatch``
whether its test clips are the complete official split in its order (else its scores
are not comparable), ``beside_paper`` and ``on_leaderboard`` give the tables with the
run's row in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..settings.registry import RunPaths

if TYPE_CHECKING:
    from ..datasets import DatasetConfig

PAPER_COLUMNS = ("run", "vqvae", "classifier", "encoder", "roc_auc_macro", "pr_auc_macro",
                 "f1_macro", "f1_micro", "val_roc_auc_macro")
LEADERBOARD_METRIC = "pr_auc_macro"

# MTG-Jamendo split-0 mood/theme, in the order of data/tags/moodtheme_split.txt and of the
# official groundtruth.npy columns.
MOODTHEME_TAGS = tuple("mood/theme---" + t for t in """
action adventure advertising background ballad calm children christmas commercial cool
corporate dark deep documentary drama dramatic dream emotional energetic epic fast film
fun funny game groovy happy heavy holiday hopeful inspiring love meditative melancholic
melodic motivational movie nature party positive powerful relaxing retro romantic sad
sexy slow soft soundscape space sport summer trailer travel upbeat uplifting""".split())
MOODTHEME_TEST_CLIPS = 4231
MOODTHEME_TEST_IDS_FILE = "moodtheme_split0_test_ids.txt"


def _read_tsv(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, sep="\t")


def paper_table() -> pd.DataFrame:
    """Table 2 of the paper: Run-1..5, VGG-ish and popularity baselines (test split).

    Columns: ``PAPER_COLUMNS`` then ``submission``, ``runs_file``; scores as published
    (4 decimals); missing design or validation values are NaN.
    """
    return _read_tsv("paper_table.tsv")


def moodtheme_test_ids() -> tuple[str, ...]:
    """Track ids of MTG-Jamendo split-0 mood/theme test, in the order of the official
    split file and of the MediaEval 2019 ground truth rows (``track_0003524``, ...).

    Returns:
        ``MOODTHEME_TEST_CLIPS`` ids. The file's ``#`` lines hold its source and license.
    """
    text = resources.files(__package__).joinpath("data", MOODTHEME_TEST_IDS_FILE).read_text(
        encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))


def leaderboard() -> pd.DataFrame:
    """The 2019 leaderboard, best first by PR-AUC macro, with its ``rank`` (1 = winner).

    Columns: team, run, rank, pr_auc_macro, roc_auc_macro, f1_macro, f1_micro,
    pr_auc_micro, roc_auc_micro (6 decimals, as in the official recomputation).
    """
    t = _read_tsv("leaderboard.tsv")
    t = t.sort_values(LEADERBOARD_METRIC, ascending=False, kind="stable").reset_index(drop=True)
    t.insert(2, "rank", range(1, len(t) + 1))
    return t


@dataclass(frozen=True)
class Claim:
    """One of the paper's claims, tested by test ROC-AUC macro on pairs of runs.

    Args:
        text: the claim in words.
        factor: the design column that differs (``vqvae``, ``classifier``, ``encoder``).
        better: the setting the paper finds better; worse: the other one.
        same: the design columns held equal within a pair.
        paper_pairs: ``(better run, worse run)`` pairs of the paper's Table 2.
        metric: the score compared.
    """

    text: str
    factor: str
    better: str
    worse: str
    same: tuple[str, ...]
    paper_pairs: tuple[tuple[str, str], ...]
    metric: str = "roc_auc_macro"


PAPER_CLAIMS: tuple[Claim, ...] = (
    Claim("fixed encoder beats finetuned", "encoder", "fixed", "finetune",
          ("vqvae", "classifier"), (("Run-2", "Run-1"), ("Run-4", "Run-3"))),
    Claim("CNN beats GRU", "classifier", "cnn", "gru",
          ("vqvae", "encoder"), (("Run-3", "Run-1"), ("Run-4", "Run-2"))),
    Claim("Type-1 beats Type-2", "vqvae", "type1", "type2",
          ("classifier", "encoder"), (("Run-1", "Run-5"),)),
)


# -- a run of the kit beside the published numbers ------------------------------------
def is_moodtheme_split0(dataset: DatasetConfig | None, tags: Sequence[str],
                        n_test: int) -> bool:
    """True for MTG-Jamendo split-0 mood/theme, the data of the paper's Table 2: by the
    run's tagging dataset (``params.data.tag``; None when unknown), or else by its 56
    official tags and 4231 test clips."""
    # ``kind`` tells the dataset settings apart; only jamendo ones have split and subset.
    if (dataset is not None and dataset.kind == "jamendo" and dataset.split == 0
            and dataset.subset == "moodtheme"):
        return True
    return tuple(tags) == MOODTHEME_TAGS and n_test == MOODTHEME_TEST_CLIPS


def official_test_split_mismatch(clip_ids: Sequence[str] | None) -> str | None:
    """Why ``clip_ids`` (a run's test rows) are not the official split-0 mood/theme test
    split, all ``MOODTHEME_TEST_CLIPS`` tracks in the official order; None when they are.

    The paper's and the leaderboard's scores are over exactly those clips, so a run
    scored on fewer (clips whose audio failed to decode, say) or on others is not
    comparable with them, even when its numbers look close.
    """
    if clip_ids is None:
        ids_file = RunPaths.split_name(RunPaths.CLIP_IDS, "test")
        return f"the run has no {ids_file} to check its test clips against the official split"
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


def beside_paper(name: str, design: dict[str, Any],
                 metrics: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The paper's Table 2 with a run's row, best test ROC-AUC first.

    Args:
        name: the run's name.
        design: its ``vqvae``, ``classifier`` and ``encoder`` (the params files' words).
        metrics: ``{"validation": ..., "test": ...}``, each a ``metrics.METRIC_KEYS`` dict.

    Returns:
        ``PAPER_COLUMNS`` and ``source`` (``paper`` or ``this kit``), one row per run.
    """
    paper = paper_table()[list(PAPER_COLUMNS)].assign(source="paper")
    test = {m: metrics["test"][m]
            for m in ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")}
    row = {"run": name, **design, **test,
           "val_roc_auc_macro": metrics["validation"]["roc_auc_macro"], "source": "this kit"}
    table = pd.concat([paper, pd.DataFrame([row])], ignore_index=True)
    return table.sort_values("roc_auc_macro", ascending=False, kind="stable").reset_index(drop=True)


def on_leaderboard(name: str, test: dict[str, Any]) -> pd.DataFrame:
    """The 2019 leaderboard with a run (team ``this kit``, its test ``metrics.METRIC_KEYS``
    dict ``test``) placed by PR-AUC macro; ``rank`` re-numbered."""
    board = leaderboard().drop(columns="rank")
    row = {"team": "this kit", "run": name, **{m: test[m] for m in board.columns if m in test}}
    board = pd.concat([board, pd.DataFrame([row])], ignore_index=True)
    board = board.sort_values(LEADERBOARD_METRIC, ascending=False,
                              kind="stable").reset_index(drop=True)
    board.insert(2, "rank", range(1, len(board) + 1))
    return board
