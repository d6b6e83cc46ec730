"""The MediaEval 2019 metrics against the official files, thresholds, excluded tags,
the popularity baseline, and the paper's data."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from vqvae_lib.evaluation import baselines, metrics
from vqvae_lib.evaluation.official import official_array
from vqvae_lib.evaluation.paper import MOODTHEME_TAGS, PAPER_CLAIMS, leaderboard, paper_table

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mediaeval2019"
RUNS = ("paper-run1", "paper-run2", "paper-run3", "paper-run4", "paper-run5", "vggish", "popular")
# The team's submission names in the leaderboard (they are numbered differently from the paper).
SUBMISSION = {
    "paper-run1": ("Taiinn (Taiwan)", "run_1_vqvae+gru/vqvae+gru"),
    "paper-run2": ("Taiinn (Taiwan)", "run_3_fixed_vqvae+gru/fixed_vqvae+gru"),
    "paper-run3": ("Taiinn (Taiwan)", "run_2_vqvae+cnn/vqvae+cnn"),
    "paper-run4": ("Taiinn (Taiwan)", "run_4_fixed_vqvae+cnn/fixed_vqvae+cnn"),
    "paper-run5": ("Taiinn (Taiwan)", "run_5_one_hot_gru/one_hot_gru"),
    "vggish": ("baseline", "vggish"),
    "popular": ("baseline", "popular"),
}


def official(key: str) -> np.ndarray:
    """An official array from the archive shipped with the kit
    (vqvae_lib/evaluation/data/mediaeval2019.md)."""
    return official_array(key)


def official_tags() -> list[str]:
    return (FIXTURES / "tags.txt").read_text().split()


def leaderboard_row(run: str) -> pd.Series:
    board = pd.read_csv(FIXTURES / "leaderboard.tsv", sep="\t")
    team, name = SUBMISSION[run]
    return board[(board["team"] == team) & (board["run"] == name)].iloc[0]


@pytest.mark.parametrize("run", RUNS)
def test_official_runs_reproduce_the_leaderboard(run):
    gt = official("groundtruth")
    m = metrics.all_metrics(gt, official(f"{run}_predictions"), official(f"{run}_decisions"))
    assert list(m) == list(metrics.METRIC_KEYS)
    row = leaderboard_row(run)
    for key in ("pr_auc_macro", "roc_auc_macro", "f1_macro", "f1_micro", "pr_auc_micro",
                "roc_auc_micro"):
        assert m[key] == pytest.approx(row[key], abs=1e-6), key


def test_macro_averages_are_means_of_the_per_tag_values():
    gt, pred, dec = (official("groundtruth"), official("paper-run4_predictions"),
                     official("paper-run4_decisions"))
    m = metrics.all_metrics(gt, pred, dec)
    per_tag = metrics.per_tag_metrics(gt, pred, dec, official_tags())
    assert list(per_tag.columns) == ["tag", "positives", "roc_auc", "pr_auc", "precision",
                                     "recall", "f1"]
    assert per_tag["positives"].tolist() == gt.sum(axis=0).tolist()
    for col, key in (("roc_auc", "roc_auc_macro"), ("pr_auc", "pr_auc_macro"),
                     ("precision", "precision_macro"), ("recall", "recall_macro"),
                     ("f1", "f1_macro")):
        assert per_tag[col].mean() == pytest.approx(m[key], abs=1e-12)
    assert m["f1_micro"] == pytest.approx(f1_score(gt, dec, average="micro"), abs=1e-12)


def test_threshold_tuning_picks_the_f_max_point():
    # Tag 0 by hand: thresholds .9 .8 .7 .6 .3 .1 give F = .50 .80 .67 .86 .75 .67.
    y = np.array([[1, 0], [1, 1], [0, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    s = np.array([[.9, .2], [.8, .9], [.7, .8], [.6, .7], [.3, .6], [.1, .1]])
    th = metrics.tune_thresholds(y, s)
    assert th[0] == pytest.approx(0.6)
    # Tag 1: .9 -> F .67, .8 -> .5, .7 -> .4, .6 -> .67 (tie: the lower threshold, more recall)
    assert th[1] == pytest.approx(0.6)
    assert metrics.decide(s, th)[:, 0].tolist() == [True, True, True, True, False, False]

    rng = np.random.default_rng(0)
    y = rng.random((200, 6)) < 0.2
    s = rng.random((200, 6)) + y * rng.random(6)
    d = metrics.decide(s, metrics.tune_thresholds(y, s))
    for j in range(6):
        above = s[:, j][None, :] >= np.unique(s[:, j])[:, None]  # every candidate threshold
        tp = (above & y[:, j]).sum(axis=1)
        best = np.max(2 * tp / (above.sum(axis=1) + y[:, j].sum()))  # F = 2TP / (P + T)
        assert f1_score(y[:, j], d[:, j]) == pytest.approx(best)


def test_the_organisers_vggish_decisions_are_the_f_max_rule_tuned_on_test():
    # How the official baseline's decisions were made (on test, which the kit never does):
    # our F-max thresholds, applied with '>', give them exactly.
    gt, pred = official("groundtruth"), official("vggish_predictions")
    mine = metrics.decide(pred, metrics.tune_thresholds(gt, pred), strict=True)
    assert (mine == official("vggish_decisions")).all()


def test_a_tag_without_positives_warns_and_is_left_out_of_macro_averages():
    rng = np.random.default_rng(1)
    y = rng.random((60, 4)) < 0.3
    y[:, 2] = False
    s = rng.random((60, 4)) + y
    d = s > 0.9
    names = ["calm", "dark", "christmas", "happy"]
    with pytest.warns(UserWarning, match="christmas"):
        m = metrics.all_metrics(y, s, d, names)
    assert m["excluded_tags"] == ["christmas"]
    kept = [0, 1, 3]
    assert m["roc_auc_macro"] == pytest.approx(
        np.mean([roc_auc_score(y[:, j], s[:, j]) for j in kept]))
    assert m["f1_macro"] == pytest.approx(np.mean([f1_score(y[:, j], d[:, j]) for j in kept]))
    assert m["f1_micro"] == pytest.approx(f1_score(y.ravel(), d.ravel()))  # micro keeps it
    # Never decided positive; no per-tag AUC.
    assert np.isinf(metrics.tune_thresholds(y, s)[2])
    assert np.isnan(metrics.per_tag_metrics(y, s, d, names).loc[2, "roc_auc"])


def test_popularity_baseline_matches_the_official_one():
    tags = official_tags()
    y_train = []
    with gzip.open(FIXTURES / "autotagging_moodtheme-train.tsv.gz", "rt", newline="") as f:
        for line in f.read().splitlines()[1:]:
            clip_tags = set(line.rstrip("\r").split("\t")[5:])
            y_train.append([t in clip_tags for t in tags])
    y_train = np.array(y_train)
    assert y_train.shape == (9949, 56)
    pred, dec = baselines.popularity_baseline(y_train, 4231)
    assert pred.dtype == np.float32 and dec.dtype == bool
    assert (pred == official("popular_predictions")).all()
    assert (dec == official("popular_decisions")).all()


def test_paper_table_is_table_2_and_supports_its_claims():
    t = paper_table().set_index("run")
    assert list(t.index) == ["Run-1", "Run-2", "Run-3", "Run-4", "Run-5", "VGG-ish baseline",
                             "Popularity baseline"]
    assert t.loc["Run-4", ["roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro"]].tolist() \
        == [0.7207, 0.1077, 0.1068, 0.1522]
    assert t["val_roc_auc_macro"].dropna().tolist() == [0.6829, 0.6973, 0.6928, 0.6966, 0.6662]
    assert t.loc["VGG-ish baseline", ["vqvae", "classifier", "encoder"]].isna().all()
    for claim in PAPER_CLAIMS:
        for better, worse in claim.paper_pairs:
            a, b = t.loc[better], t.loc[worse]
            assert (a[claim.factor], b[claim.factor]) == (claim.better, claim.worse)
            assert all(a[k] == b[k] for k in claim.same)
            assert a[claim.metric] > b[claim.metric], (claim.text, better, worse)


def test_packaged_leaderboard_is_the_official_one():
    board = leaderboard()
    official_board = pd.read_csv(FIXTURES / "leaderboard.tsv", sep="\t")
    assert len(board) == len(official_board) == 29
    assert board.loc[0, ["team", "run", "rank"]].tolist() == ["CP-JKU", "3_avg_ensemble", 1]
    assert board["pr_auc_macro"].is_monotonic_decreasing
    pd.testing.assert_frame_equal(board.drop(columns="rank"), official_board)
    assert official_tags() == list(MOODTHEME_TAGS)
