"""``vqvae-kit evaluate`` on the official files, its input checks, and ``evaluate_run``
on a run folder as the tagging step writes it."""

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from vqvae_lib.commands import evaluate as evaluate_cli
from vqvae_lib.evaluation.metrics import METRIC_KEYS, all_metrics, decide, tune_thresholds
from vqvae_lib.evaluation.official import (
    OFFICIAL_RUNS,
    official_decisions,
    official_groundtruth,
    official_predictions,
)
from vqvae_lib.evaluation.paper import MOODTHEME_TEST_CLIPS, moodtheme_test_ids
from vqvae_lib.steps import evaluate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mediaeval2019"
JAMENDO = Path(__file__).parents[1] / "fixtures" / "jamendo" / "data" / "splits" / "split-0"

# The paper's Table 2 (4 decimals) and each run's row in the official leaderboard.
PUBLISHED = {  # run file: (ROC-AUC, PR-AUC, F1 macro, F1 micro), (team, submission)
    "paper-run1": ((0.7103, 0.0984, 0.1183, 0.1439),
                   ("Taiinn (Taiwan)", "run_1_vqvae+gru/vqvae+gru")),
    "paper-run2": ((0.7141, 0.1037, 0.0901, 0.1184),
                   ("Taiinn (Taiwan)", "run_3_fixed_vqvae+gru/fixed_vqvae+gru")),
    "paper-run3": ((0.7147, 0.0994, 0.1013, 0.1233),
                   ("Taiinn (Taiwan)", "run_2_vqvae+cnn/vqvae+cnn")),
    "paper-run4": ((0.7207, 0.1077, 0.1068, 0.1522),
                   ("Taiinn (Taiwan)", "run_4_fixed_vqvae+cnn/fixed_vqvae+cnn")),
    "paper-run5": ((0.6916, 0.0860, 0.0884, 0.1209),
                   ("Taiinn (Taiwan)", "run_5_one_hot_gru/one_hot_gru")),
    "vggish": ((0.7258, 0.1077, 0.1657, 0.1771), ("baseline", "vggish")),
    "popular": ((0.5000, 0.0319, 0.0026, 0.0573), ("baseline", "popular")),
}


def cli(*argv: str) -> int:
    """``vqvae-kit evaluate ARGV``: the subcommand as the kit's CLI registers it."""
    parser = argparse.ArgumentParser(prog="vqvae-kit")
    sub = parser.add_subparsers(dest="command", required=True)
    evaluate_cli.add_parser(sub).set_defaults(func=evaluate_cli.main)
    args = parser.parse_args(["evaluate", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def official(tmp_path_factory) -> Path:
    """The official files shipped with the kit, unpacked to ``.npy`` as the task
    distributed them."""
    out = tmp_path_factory.mktemp("mediaeval2019")
    np.save(out / "groundtruth.npy", official_groundtruth())
    for run in OFFICIAL_RUNS:
        np.save(out / f"{run}_predictions.npy", official_predictions(run))
        np.save(out / f"{run}_decisions.npy", official_decisions(run))
    (out / "tags.txt").write_text((FIXTURES / "tags.txt").read_text())
    return out


@pytest.mark.parametrize("run", list(PUBLISHED))
def test_cli_reproduces_the_paper_and_the_leaderboard(official, tmp_path, capsys, run):
    out = tmp_path / "metrics.json"
    code = cli("--groundtruth", str(official / "groundtruth.npy"),
               "--predictions", str(official / f"{run}_predictions.npy"),
               "--decisions", str(official / f"{run}_decisions.npy"),
               "--tags", str(official / "tags.txt"), "--json", str(out))
    assert code == 0
    m = json.loads(out.read_text())
    assert list(m) == list(METRIC_KEYS)
    paper, (team, submission) = PUBLISHED[run]
    for key, value in zip(("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro"), paper):
        assert round(m[key], 4) == value, key
    board = pd.read_csv(FIXTURES / "leaderboard.tsv", sep="\t")
    row = board[(board["team"] == team) & (board["run"] == submission)].iloc[0]
    for key in ("pr_auc_macro", "roc_auc_macro", "f1_macro", "f1_micro", "pr_auc_micro",
                "roc_auc_micro"):
        assert m[key] == pytest.approx(row[key], abs=1e-6), key
    printed = capsys.readouterr().out
    assert f"roc_auc_macro    {m['roc_auc_macro']:.6f}" in printed


def test_cli_json_to_stdout_and_per_tag(official, tmp_path, capsys):
    per_tag = tmp_path / "per_tag.tsv"
    assert cli("--groundtruth", str(official / "groundtruth.npy"),
               "--predictions", str(official / "paper-run4_predictions.npy"),
               "--decisions", str(official / "paper-run4_decisions.npy"),
               "--tags", str(official / "tags.txt"), "--json", "-", "--per-tag", str(per_tag)) == 0
    captured = capsys.readouterr()
    assert round(json.loads(captured.out)["f1_micro"], 4) == 0.1522
    assert "pr_auc_macro" in captured.err  # the table moves to stderr
    table = pd.read_csv(per_tag, sep="\t")
    assert len(table) == 56 and table["tag"].iloc[0] == "mood/theme---action"


def _synthetic(folder: Path, n_val: int, n_test: int, n_tags: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for split, n in (("validation", n_val), ("test", n_test)):
        y = rng.random((n, n_tags)) < 0.3
        np.save(folder / f"groundtruth_{split}.npy", y)
        np.save(folder / f"predictions_{split}.npy",
                (rng.random((n, n_tags)) * 0.7 + 0.3 * y).astype(np.float32))


def test_cli_tunes_thresholds_on_validation(tmp_path, capsys):
    _synthetic(tmp_path, 80, 60, 5)
    names = ("groundtruth_validation", "predictions_validation", "groundtruth_test",
             "predictions_test")
    f = {k: str(tmp_path / f"{k}.npy") for k in names}
    common = ("--groundtruth", f["groundtruth_test"], "--predictions", f["predictions_test"])
    assert cli(*common) == 2
    assert "--validation-groundtruth" in capsys.readouterr().err
    out = tmp_path / "m.json"
    assert cli(*common, "--validation-groundtruth", f["groundtruth_validation"],
               "--validation-predictions", f["predictions_validation"], "--json", str(out)) == 0
    y_val, p_val, y, p = (np.load(f[k]) for k in names)
    expected = all_metrics(y, p, decide(p, tune_thresholds(y_val, p_val)))
    assert json.loads(out.read_text()) == pytest.approx(expected)


def test_cli_names_the_file_with_the_wrong_shape_or_dtype(official, tmp_path, capsys):
    gt = official / "groundtruth.npy"
    short = tmp_path / "short_predictions.npy"
    np.save(short, np.load(official / "vggish_predictions.npy")[:, :55])
    assert cli("--groundtruth", str(gt), "--predictions", str(short),
               "--decisions", str(official / "vggish_decisions.npy")) == 2
    err = capsys.readouterr().err
    assert str(short) in err and "(4231, 55)" in err and "expected (4231, 56)" in err

    # Predictions given where decisions belong: float, not bool.
    assert cli("--groundtruth", str(gt), "--predictions", str(official / "vggish_predictions.npy"),
               "--decisions", str(official / "vggish_predictions.npy")) == 2
    err = capsys.readouterr().err
    assert "vggish_predictions.npy" in err and "float32" in err and "expected bool" in err

    tags = tmp_path / "tags.txt"
    tags.write_text("mood/theme---happy\nmood/theme---sad\n")
    assert cli("--groundtruth", str(gt), "--predictions", str(official / "vggish_predictions.npy"),
               "--decisions", str(official / "vggish_decisions.npy"), "--tags", str(tags)) == 2
    err = capsys.readouterr().err
    assert str(tags) in err and "2 tags, expected 56" in err


def test_evaluate_run_writes_metrics_for_both_splits(tmp_path):
    folder = tmp_path / "tiny"  # a run folder alone: the run is named by its folder
    folder.mkdir()
    _synthetic(folder, 80, 60, 5)
    tags = ["calm", "dark", "happy", "sad", "christmas"]
    y_test = np.load(folder / "groundtruth_test.npy")
    y_test[:, 4] = False  # no test clip is tagged christmas
    np.save(folder / "groundtruth_test.npy", y_test)
    (folder / "tags.txt").write_text("\n".join(tags) + "\n")
    (folder / "clip_ids_test.txt").write_text("\n".join(f"clip{i}" for i in range(60)) + "\n")

    with pytest.warns(UserWarning) as caught:
        result = evaluate.evaluate_run(folder)
    said = [str(w.message) for w in caught]
    assert any("christmas" in m for m in said) and any("no mel_stats baseline" in m for m in said)

    saved = json.loads((folder / "metrics.json").read_text())
    for split in ("validation", "test"):
        assert sorted(saved[split]) == sorted(METRIC_KEYS)
        assert saved[split] == pytest.approx(result.metrics[split])
    assert saved["excluded_tags"] == {"validation": [], "test": ["christmas"]}
    assert len(saved["thresholds"]) == 5
    assert sorted(p.name for p in result.files) == ["decisions_test.npy", "metrics.json",
                                                    "per_tag.tsv"]
    decisions = np.load(folder / "decisions_test.npy")
    assert decisions.dtype == bool and decisions.shape == (60, 5)
    assert len(pd.read_csv(folder / "per_tag.tsv", sep="\t")) == 5
    # The popularity baseline from validation labels (no groundtruth_train.npy here); no
    # mel_stats baseline without a feature folder (tests/evaluation/test_baselines.py has one).
    comparison = result.comparison.set_index("run")
    assert list(comparison.index) == ["tiny", "popularity baseline (from validation labels)"]
    assert comparison.loc["popularity baseline (from validation labels)", "roc_auc_macro"] == 0.5
    popularity = saved["baselines"]["popularity"]
    assert popularity["labels_from"] == "validation"
    assert sorted(popularity["test"]) == sorted(METRIC_KEYS)
    assert popularity["test"] == pytest.approx(comparison.iloc[1].to_dict())
    assert "no feature folder" in saved["baselines"]["mel_stats"]["skipped"]
    assert saved["verdict"] == result.verdict
    assert result.verdict.startswith("no mel_stats baseline to compare with")
    assert result.paper_table is None and result.leaderboard is None
    assert (folder / "metrics.json").read_text() == result.to_json()


def test_the_shipped_test_ids_are_the_official_split_in_its_order():
    ids = moodtheme_test_ids()
    assert len(ids) == len(set(ids)) == MOODTHEME_TEST_CLIPS
    # The excerpt of the official split file: its first 20 rows, and their tags are the
    # first 20 rows of the MediaEval ground truth.
    gt = official_groundtruth()
    tags = (FIXTURES / "tags.txt").read_text().split()
    rows = (JAMENDO / "autotagging_moodtheme-test.tsv").read_text().splitlines()[1:]
    assert [r.split("\t")[0] for r in rows] == list(ids[:20])
    for i, r in enumerate(rows):
        assert {tags[j] for j in np.flatnonzero(gt[i])} == set(r.strip().split("\t")[5:])


def _moodtheme_run(official: Path, folder: Path, ids: list[str]) -> SimpleNamespace:
    """A Jamendo split-0 mood/theme run scored with the official Run-4 on the test clips
    ``ids`` (rows picked from the official test split by id).

    The official test split stands in for both splits (so thresholds are tuned on test
    here); only the placement in the published tables is under test.
    """
    row = {c: i for i, c in enumerate(moodtheme_test_ids())}
    rows = [row[c] for c in ids]
    for split in ("validation", "test"):
        np.save(folder / f"groundtruth_{split}.npy", np.load(official / "groundtruth.npy")[rows])
        np.save(folder / f"predictions_{split}.npy",
                np.load(official / "paper-run4_predictions.npy")[rows])
    (folder / "tags.txt").write_text((official / "tags.txt").read_text())
    (folder / "clip_ids_test.txt").write_text("\n".join(ids) + "\n")
    np.save(folder / "groundtruth_train.npy", np.load(official / "groundtruth.npy")[:100])
    params = SimpleNamespace(
        name="jamendo-run4", data=SimpleNamespace(tag=SimpleNamespace(kind="jamendo", split=0,
                                                                      subset="moodtheme")),
        vqvae=SimpleNamespace(kind="type1"),
        tag=SimpleNamespace(encoder="fixed", tagger=SimpleNamespace(classifier="cnn")))
    # No feature folder there: no mel_stats baseline.
    return SimpleNamespace(dir=folder, params=params,
                           features_dir=lambda role: folder / "features" / role)


def test_evaluate_run_on_moodtheme_sits_in_table_2_and_the_leaderboard(official, tmp_path):
    result = evaluate.evaluate_run(_moodtheme_run(official, tmp_path, list(moodtheme_test_ids())))

    table = result.paper_table
    assert len(table) == 8 and table["roc_auc_macro"].is_monotonic_decreasing
    mine = table[table["source"] == "this kit"].iloc[0]
    assert (mine["run"], mine["vqvae"], mine["classifier"], mine["encoder"]) == \
        ("jamendo-run4", "type1", "cnn", "fixed")
    assert round(mine["roc_auc_macro"], 4) == 0.7207
    board = result.leaderboard
    assert len(board) == 30 and board["rank"].tolist() == list(range(1, 31))
    assert board["pr_auc_macro"].is_monotonic_decreasing
    # PR-AUC 0.107682: below the VGG-ish baseline (12th), level with its own submission.
    assert result.leaderboard_rank in (13, 14)
    assert board.loc[result.leaderboard_rank - 1, "team"] == "this kit"
    assert "popularity baseline (from train labels)" in result.comparison["run"].tolist()
    assert result.placement.startswith("placed") and f"rank {result.leaderboard_rank} " \
        in result.placement


def test_evaluate_run_without_one_official_test_clip_is_not_placed(official, tmp_path):
    ids = list(moodtheme_test_ids())
    del ids[1]
    with pytest.warns(UserWarning, match="not placed"):
        result = evaluate.evaluate_run(_moodtheme_run(official, tmp_path, ids))
    assert result.paper_table is None and result.leaderboard is None
    assert "1 of the 4231 official test clips is missing (track_0004882)" in result.placement
    assert round(result.metrics["test"]["roc_auc_macro"], 2) == 0.72  # still evaluated


def test_evaluate_run_on_the_official_clips_in_another_order_is_not_placed(official, tmp_path):
    ids = list(moodtheme_test_ids())
    ids[0], ids[1] = ids[1], ids[0]
    with pytest.warns(UserWarning, match="not placed"):
        result = evaluate.evaluate_run(_moodtheme_run(official, tmp_path, ids))
    assert result.paper_table is None
    assert "missing" not in result.placement and "another order" in result.placement
