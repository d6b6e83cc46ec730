"""``vqvae-kit compare`` on the official files and on run folders, and its input checks."""

import json
from pathlib import Path

import numpy as np
import pytest

from vqvae_lib.cli import main
from vqvae_lib.evaluation.official import official_groundtruth, official_predictions
from vqvae_lib.evaluation.paper import moodtheme_test_ids
from vqvae_lib.evaluation.ranking import KEYS
from vqvae_lib.evaluation.stats import RESULT_KEYS


@pytest.fixture(scope="module")
def official(tmp_path_factory) -> Path:
    """The official ground truth and Run-2 and Run-4 predictions as ``.npy`` files."""
    out = tmp_path_factory.mktemp("official")
    np.save(out / "groundtruth.npy", official_groundtruth())
    for run in ("paper-run2", "paper-run4"):
        np.save(out / f"{run}_predictions.npy", official_predictions(run))
    return out


def test_official_run4_against_run2(official, tmp_path, capsys):
    out = tmp_path / "compare.json"
    assert main(["compare", "--groundtruth", str(official / "groundtruth.npy"),
                 "--a", str(official / "paper-run4_predictions.npy"),
                 "--b", str(official / "paper-run2_predictions.npy"),
                 "--resamples", "1000", "--seed", "0", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert list(result) == list(KEYS)
    assert all(list(r) == list(RESULT_KEYS) for r in result.values())
    roc = result["roc_auc_macro"]
    # The paper's Table 2 (Run-4 0.7207, Run-2 0.7141) and the bootstrap.
    assert (round(roc["a"], 4), round(roc["b"], 4)) == (0.7207, 0.7141)
    assert roc["delta"] == pytest.approx(0.0067, abs=1e-4)
    assert roc["ci_low"] == pytest.approx(0.0010, abs=0.002)
    assert roc["ci_high"] == pytest.approx(0.0130, abs=0.002)
    assert 0 < roc["p_le_0"] < 0.05
    printed = capsys.readouterr().out
    assert "4231 clips paired by row, 56 tags; 1000 resamples" in printed
    assert "roc_auc_macro    0.7207   0.7141  +0.0067" in printed
    assert printed.splitlines()[4].endswith("holds")


def test_json_on_stdout_stays_parseable(official, capsys):
    assert main(["compare", "--groundtruth", str(official / "groundtruth.npy"),
                 "--a", str(official / "paper-run2_predictions.npy"),
                 "--b", str(official / "paper-run2_predictions.npy"),
                 "--resamples", "20", "--json", "-"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert all((r["delta"], r["ci_low"], r["ci_high"]) == (0, 0, 0) for r in result.values())
    assert "not significant" in captured.err


def test_shape_errors_name_the_file(official, tmp_path, capsys):
    short = tmp_path / "short.npy"
    np.save(short, official_predictions("paper-run2")[:-1])
    code = main(["compare", "--groundtruth", str(official / "groundtruth.npy"),
                 "--a", str(official / "paper-run4_predictions.npy"), "--b", str(short)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{short}: shape (4230, 56), expected (4231, 56)" in err
    assert main(["compare", "--groundtruth", str(tmp_path / "missing.npy"), "--a", str(short),
                 "--b", str(short)]) == 2
    assert "missing.npy: file not found" in capsys.readouterr().err
    assert main(["compare", "--groundtruth", str(short)]) == 2
    assert "all of --groundtruth, --a and --b" in capsys.readouterr().err


def run_folder(root: Path, name: str, y: np.ndarray, scores: np.ndarray,
               ids: list[str] | None) -> Path:
    """A run folder with the test files the tagging step writes."""
    folder = root / name
    folder.mkdir()
    np.save(folder / "groundtruth_test.npy", y)
    np.save(folder / "predictions_test.npy", scores.astype(np.float32))
    if ids is not None:
        (folder / "clip_ids_test.txt").write_text("\n".join(ids) + "\n")
    (folder / "tags.txt").write_text("\n".join(f"tag{j}" for j in range(y.shape[1])) + "\n")
    return folder


@pytest.fixture
def two_runs(tmp_path):
    """Two runs on the same 300 clips, run B's rows in another order."""
    rng = np.random.default_rng(0)
    y = rng.random((300, 5)) < 0.15
    a, b = rng.random(y.shape) + 0.6 * y, rng.random(y.shape) + 0.2 * y
    ids = [f"clip{i:03d}" for i in range(len(y))]
    perm = rng.permutation(len(y))
    folder_a = run_folder(tmp_path, "a", y, a, ids)
    folder_b = run_folder(tmp_path, "b", y[perm], b[perm], [ids[i] for i in perm])
    return tmp_path, y, a, b, folder_a, folder_b


def test_run_folders_are_paired_by_clip_id(two_runs, capsys):
    root, y, a, b, folder_a, folder_b = two_runs
    np.save(root / "gt.npy", y)
    np.save(root / "a.npy", a.astype(np.float32))
    np.save(root / "b.npy", b.astype(np.float32))
    assert main(["compare", str(folder_a), str(folder_b), "--resamples", "200",
                 "--json", str(root / "runs.json")]) == 0
    assert "300 clips paired by clip id" in capsys.readouterr().out
    assert main(["compare", "--groundtruth", str(root / "gt.npy"), "--a", str(root / "a.npy"),
                 "--b", str(root / "b.npy"), "--resamples", "200",
                 "--json", str(root / "files.json")]) == 0
    by_folder = json.loads((root / "runs.json").read_text())
    assert by_folder == json.loads((root / "files.json").read_text())
    assert by_folder["roc_auc_macro"]["ci_low"] > 0


def test_mismatched_clip_ids_are_reported(two_runs, capsys):
    root, *_, folder_a, folder_b = two_runs
    ids = (folder_b / "clip_ids_test.txt").read_text().split()
    (folder_b / "clip_ids_test.txt").write_text("\n".join(["other"] + ids[1:]) + "\n")
    assert main(["compare", str(folder_a), str(folder_b)]) == 2
    err = capsys.readouterr().err
    assert f"{folder_a / 'clip_ids_test.txt'} and {folder_b / 'clip_ids_test.txt'} list " \
           "different test clips (1 only in a" in err
    assert "1 only in b: other" in err


def test_other_labels_or_shapes_in_run_folders_are_reported(two_runs, capsys):
    root, y, *_, folder_a, folder_b = two_runs
    flipped = np.load(folder_b / "groundtruth_test.npy")
    flipped[0, 0] = ~flipped[0, 0]
    np.save(folder_b / "groundtruth_test.npy", flipped)
    assert main(["compare", str(folder_a), str(folder_b)]) == 2
    assert "disagree on the labels of 1 of 300 clips" in capsys.readouterr().err
    np.save(folder_b / "predictions_test.npy", np.zeros((300, 4), dtype=np.float32))
    assert main(["compare", str(folder_a), str(folder_b)]) == 2
    assert (f"{folder_b / 'predictions_test.npy'}: shape (300, 4), expected (300, 5)"
            in capsys.readouterr().err)
    (folder_b / "predictions_test.npy").unlink()
    assert main(["compare", str(folder_a), str(folder_b)]) == 2
    assert f"{folder_b}: no predictions_test.npy" in capsys.readouterr().err


def test_runs_without_clip_ids_are_paired_by_row(tmp_path, capsys):
    rng = np.random.default_rng(1)
    y = rng.random((50, 3)) < 0.3
    a = run_folder(tmp_path, "a", y, rng.random(y.shape), None)
    b = run_folder(tmp_path, "b", y, rng.random(y.shape), [f"c{i}" for i in range(50)])
    assert main(["compare", str(a), str(b), "--resamples", "10"]) == 0
    assert (f"50 clips paired by row (no {a / 'clip_ids_test.txt'} to pair them by clip id)"
            in capsys.readouterr().out)
    short = run_folder(tmp_path, "short", y[:40], rng.random((40, 3)), None)
    assert main(["compare", str(a), str(short)]) == 2
    assert "were not scored on the same test clips" in capsys.readouterr().err


def test_the_official_test_ids_pair_the_official_runs(tmp_path, capsys):
    y = official_groundtruth()
    ids = list(moodtheme_test_ids())
    a = run_folder(tmp_path, "run4", y, official_predictions("paper-run4"), ids)
    b = run_folder(tmp_path, "run2", y, official_predictions("paper-run2"), ids)
    assert main(["compare", str(a), str(b), "--resamples", "100",
                 "--json", str(tmp_path / "c.json")]) == 0
    roc = json.loads((tmp_path / "c.json").read_text())["roc_auc_macro"]
    assert roc["delta"] == pytest.approx(0.0067, abs=1e-4)
    assert "4231 clips paired by clip id" in capsys.readouterr().out


def test_runs_given_by_their_params_files(tmp_path, capsys):
    params = Path(__file__).resolve().parents[2] / "params"
    rng = np.random.default_rng(2)
    y = rng.random((60, 3)) < 0.3
    ids = [f"c{i}" for i in range(60)]
    run_folder(tmp_path, "tiny", y, rng.random(y.shape) + y, ids)
    run_folder(tmp_path, "demo", y, rng.random(y.shape), ids)
    assert main(["compare", str(params / "tiny.yaml"), str(params / "demo.yaml"),
                 "--outputs", str(tmp_path), "--resamples", "50"]) == 0
    printed = capsys.readouterr().out
    assert f"A = {tmp_path / 'tiny'}" in printed and f"B = {tmp_path / 'demo'}" in printed
    assert main(["compare", str(tmp_path / "nothing"), str(tmp_path / "demo")]) == 2
    assert "neither a run folder nor a params file" in capsys.readouterr().err
