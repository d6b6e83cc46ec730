"""A step's fingerprint covers the files it reads, and ``status`` never says done for a
folder whose files disagree (the probes: tag redone under evaluate, predictions cut
short, a product edited after the step ran)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest

from vqvae_lib.runs.products import disagreements


@pytest.fixture(scope="module")
def tagged(tiny_pretrained):
    """A fresh ``[tag, evaluate]`` run on the shared tiny VQ-VAE, recorded as the runner
    records it."""
    from vqvae_lib.steps.evaluate import evaluate_run
    from vqvae_lib.steps.tag import train_tagger

    project = tiny_pretrained
    path = project.run_file("products", "tag: {epochs: 2}\n", pretrained=True)
    run = project.run(path)
    train_tagger(run, progress=False)
    run.mark_done("tag", 1.0)
    evaluate_run(run)
    run.mark_done("evaluate", 1.0)
    return project, path


@contextmanager
def _restored(path):
    """The file's bytes put back after the block (the module's run is shared)."""
    kept = path.read_bytes()
    try:
        yield
    finally:
        path.write_bytes(kept)


def _states(project, path):
    run = project.run(path)
    return {s: run.status(s) for s in ("tag", "evaluate")}


def test_a_recorded_run_is_done_and_its_record_lists_its_products(tagged):
    project, path = tagged
    states = _states(project, path)
    assert {s: st.state for s, st in states.items()} == {"tag": "done", "evaluate": "done"}
    record = project.run(path).read_record("tag")
    assert {"tag/best.pt", "predictions_test.npy", "clip_ids_test.txt"} <= set(
        record["products"])


def test_redoing_tag_makes_evaluate_stale(tagged, tmp_path):
    project, path = tagged
    run = project.run(path)
    preds = run.paths.predictions("test")
    try:
        with _restored(preds):
            # tag ran again with the same settings and wrote other predictions
            np.save(preds, np.load(preds) * 0.5)
            run.mark_done("tag", 1.0)
            states = _states(project, path)
            assert states["tag"].state == "done"
            assert states["evaluate"].state == "stale", states["evaluate"]
            assert any("upstream" in w for w in states["evaluate"].why), states["evaluate"].why
    finally:
        project.run(path).mark_done("tag", 1.0)
    assert _states(project, path)["evaluate"].state == "done"


def test_predictions_cut_short_are_not_done(tagged, tmp_path):
    project, path = tagged
    run = project.run(path)
    preds = run.paths.predictions("test")
    with _restored(preds):
        np.save(preds, np.load(preds)[:5])
        assert disagreements(run.dir, "tag") and "5 rows" in disagreements(run.dir, "tag")[0]
        states = _states(project, path)
        assert states["tag"].state == "stale"
        said = "; ".join(states["tag"].why)
        assert "predictions_test.npy size changed since the step ran" in said, said
        assert "test files disagree" in said, said
        assert states["evaluate"].state != "done"
    assert _states(project, path)["tag"].state == "done"


def test_an_edited_metrics_file_is_not_done(tagged, tmp_path):
    project, path = tagged
    metrics = project.run(path).paths.metrics
    with _restored(metrics):
        metrics.write_text(metrics.read_text().replace("roc_auc_macro", "roc_auc_macro ", 1))
        st = _states(project, path)["evaluate"]
        assert st.state == "stale" and "metrics.json size changed" in "; ".join(st.why)
    assert _states(project, path)["evaluate"].state == "done"


def test_a_truncated_checkpoint_is_broken_and_named(tagged, tmp_path, capsys):
    from vqvae_lib.cli import main

    project, path = tagged
    best = project.run(path).paths.checkpoint("tag")
    kept = best.read_bytes()
    try:
        best.write_bytes(kept[: len(kept) // 2])
        st = _states(project, path)["tag"]
        assert st.state == "broken", st
        assert "tag/best.pt cannot be read" in st.why[0]
        assert main(["status", str(path), "--outputs", str(project.outputs)]) == 0
        line = [ln for ln in capsys.readouterr().out.splitlines() if " tag " in ln][0]
        assert "broken" in line and "tag/best.pt" in line
        code = main(["predict", str(path), "--outputs", str(project.outputs),
                     str(tmp_path / "x.wav")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and str(best) in err, err
    finally:
        best.write_bytes(kept)
    assert _states(project, path)["tag"].state == "done"


def test_an_unreadable_last_checkpoint_without_records_is_broken(tiny_project, capsys):
    from vqvae_lib.cli import main

    path = tiny_project.run_file("halfway")
    run = tiny_project.run(path)
    last = run.paths.checkpoint("pretrain", "last")
    last.parent.mkdir(parents=True)
    last.write_bytes(b"PK\x03\x04" + bytes(200))  # a zip's first bytes, then nothing
    st = run.status("pretrain")
    assert st.state == "broken" and "pretrain/last.pt cannot be read" in st.why[0], st
    assert main(["status", str(path), "--outputs", str(tiny_project.outputs)]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_a_folder_that_cannot_be_written_is_one_line(tiny_project, monkeypatch, capsys):
    import errno

    from vqvae_lib.cli import main
    from vqvae_lib.runs.lock import RunLock

    def read_only(self):
        raise OSError(errno.EROFS, "Read-only file system", str(self.path))

    monkeypatch.setattr(RunLock, "acquire", read_only)
    code = main(["run", str(tiny_project.tiny), "--outputs", str(tiny_project.outputs),
                 "--to", "extract"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "read-only file system" in err and "--outputs" in err, err
