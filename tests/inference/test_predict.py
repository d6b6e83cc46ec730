"""``vqvae-kit predict``: any audio file through the run's own pipeline, from a copied
run folder alone; bad files are reported and the others still tagged."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from vqvae_lib.cli import main
from vqvae_lib.features.store import FeatureStore
from vqvae_lib.inference.predict import audio_paths, load_tagger, predict_files


def _test_clips(run):
    store = FeatureStore(run.features_dir("tag"))
    split = store.split("test")
    rows = store.index.set_index("id").loc[split.ids]
    return [str(p) for p in rows["path"]], split.labels, store.tags


@pytest.fixture
def copied_run(tiny_tagged, tmp_path):
    """The tagged run's folder copied elsewhere, without the dataset's feature folder."""
    _, run = tiny_tagged
    dest = tmp_path / "copied-run"
    shutil.copytree(run.dir, dest, ignore=shutil.ignore_patterns("features", "codes"))
    return run, dest


def test_predict_json_tags_test_clips_and_reports_bad_files(copied_run, tmp_path, capsys):
    run, folder = copied_run
    paths, labels, tags = _test_clips(run)
    corrupt = tmp_path / "corrupt.flac"
    corrupt.write_bytes(b"fLaC" + bytes(range(256)) * 4)
    text = tmp_path / "notes.mp3"
    text.write_text("these are liner notes, not audio\n")
    out = tmp_path / "tags.json"

    code = main(["predict", str(folder), *paths, str(corrupt), str(text), "--json", str(out)])

    assert code == 1
    records = json.loads(out.read_text())
    assert [r["path"] for r in records] == paths + [str(corrupt), str(text)]
    assert set(records[-2]) == {"path", "error"} and "corrupt" in records[-2]["error"]
    assert set(records[-1]) == {"path", "error"} and "not_audio" in records[-1]["error"]
    good = records[:-2]
    assert all(set(r) == {"path", "top", "tags"} for r in good)
    assert all(len(r["top"]) == 5 and all(t in tags for t, _ in r["top"]) for r in good)
    assert all(r["top"][0][1] >= r["top"][-1][1] for r in good)
    truth = [{tags[j] for j in np.flatnonzero(row)} for row in labels]
    hits = np.mean([r["top"][0][0] in true for r, true in zip(good, truth)])
    assert hits >= 0.6, f"top tag among the true tags for only {hits:.0%} of test clips"
    err = capsys.readouterr().err
    assert f"x {corrupt}: corrupt" in err and f"x {text}: not_audio" in err


def test_predict_scores_equal_the_runs_test_predictions(copied_run):
    """Same features, codes and tiling as tagging, so the same scores (fp32 here)."""
    run, folder = copied_run
    paths, _, tags = _test_clips(run)
    table = predict_files(folder, paths)
    expected = np.load(run.dir / "predictions_test.npy")
    np.testing.assert_allclose(table[tags].to_numpy(), expected, atol=1e-5)
    thresholds = np.array([np.nan if t is None else t for t in
                           json.loads((run.dir / "metrics.json").read_text())["thresholds"]])
    decided = np.load(run.dir / "decisions_test.npy")
    for row, want in zip(table["tags"], decided):
        assert sorted(row) == sorted(t for t, d in zip(tags, want) if d)
    assert np.isfinite(thresholds).any()


def test_embeddings_and_csv(copied_run, tmp_path):
    run, folder = copied_run
    paths, _, tags = _test_clips(run)
    emb, csv = tmp_path / "emb.npz", tmp_path / "tags.csv"
    assert main(["predict", str(folder), *paths[:3], "--csv", str(csv), "--embeddings",
                 str(emb), "--threshold", "0.5"]) == 0
    data = np.load(emb)
    tagger = load_tagger(folder)
    vq = tagger.model.vqvae.config
    assert data["embedding"].shape == (3, vq.channels * vq.latent_rows)
    assert data["code_histogram"].shape == (3, vq.quantizer.codebook_size)
    np.testing.assert_allclose(data["code_histogram"].sum(axis=1), 1.0, rtol=1e-5)
    import pandas as pd

    table = pd.read_csv(csv)
    assert list(table["path"]) == paths[:3] and set(tags) <= set(table.columns)


def test_folders_and_globs_are_searched(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.wav", "a/b/y.FLAC", "a/readme.txt"):
        (tmp_path / name).write_bytes(b"")
    found = audio_paths([tmp_path / "a"])
    assert sorted(p.name for p in found) == ["x.wav", "y.FLAC"]
    assert [p.name for p in audio_paths([str(tmp_path / "a" / "*.wav")])] == ["x.wav"]
    assert audio_paths([tmp_path / "missing.wav"]) == [tmp_path / "missing.wav"]


def test_a_run_without_a_tagger_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty-run").mkdir()
    assert main(["predict", str(tmp_path / "empty-run"), "x.wav"]) == 2
    err = capsys.readouterr().err
    assert "no trained tagger (tag/best.pt)" in err and "--to tag" in err


def test_runs_lists_the_tagged_run(tiny_tagged, capsys):
    project, run = tiny_tagged
    assert main(["runs", "--outputs", str(project.outputs), "--json"]) == 0
    rows = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    row = rows["learns"]
    assert row["steps"] == "tag,evaluate"
    metrics = json.loads((run.dir / "metrics.json").read_text())["test"]
    assert row["test_roc_auc_macro"] == pytest.approx(metrics["roc_auc_macro"])
    assert rows["tiny"]["steps"] == "extract,pretrain" and row["finished"]


def test_the_text_table_says_what_the_star_means():
    import pandas as pd

    from vqvae_lib.inference.output import format_table

    table = pd.DataFrame({"path": ["a.wav", "b.wav"], "error": [None, None],
                          "top": [[("drums", 0.9), ("bass", 0.2)], [("bass", 0.4)]],
                          "tags": [["drums"], []]})
    lines = format_table(table).splitlines()
    assert lines[1].rstrip().endswith("*") and not lines[2].rstrip().endswith("*")
    assert lines[-1] == "* decided positive: the score reaches the tag's threshold"
    assert "decided positive" not in format_table(table.iloc[1:])
