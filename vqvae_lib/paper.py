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
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

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
    with resources.files("vqvae_lib").joinpath("data", name).open("r", encoding="utf-8") as f:
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
    text = resources.files("vqvae_lib").joinpath("data", MOODTHEME_TEST_IDS_FILE).read_text(
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
