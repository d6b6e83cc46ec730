"""The papermill runner: skip when up to date, resume, --force, failing cells."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from vqvae_lib.runs.run import Run
from vqvae_lib.runs.runner import run_pipeline
from vqvae_lib.settings.registry import STEPS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny(tmp_path):
    """A copy of params/tiny.yaml (and the files it extends) in a temporary project, on
    40 of its 160 clips: the runner's work is the same, its notebooks' is a quarter."""
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    tiny = params / "tiny.yaml"
    text = tiny.read_text()
    assert "n_clips: 160" in text
    tiny.write_text(text.replace("n_clips: 160", "n_clips: 40"))
    return tiny, tmp_path / "outputs"


def test_registry_names_existing_notebooks_in_order():
    names = [s.notebook for s in STEPS]
    assert names == sorted(names)
    for s in STEPS:
        nb = nbformat.read(REPO / "notebooks" / s.notebook, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{s.notebook} needs exactly one 'parameters' cell"


def test_skip_resume_and_force(tiny, capsys):
    params, outputs = tiny
    assert run_pipeline(params, outputs_root=outputs, stop="extract") == 0
    run = Run(params, outputs)
    executed = run.dir / "01_extract.ipynb"
    assert executed.exists() and run.is_done("extract")
    first = json.loads(run.done_file("extract").read_text())
    capsys.readouterr()

    # Unchanged: skipped, the executed notebook is left as it was.
    mtime = executed.stat().st_mtime_ns
    assert run_pipeline(params, outputs_root=outputs, stop="extract") == 0
    assert "= extract: up to date" in capsys.readouterr().out
    assert executed.stat().st_mtime_ns == mtime

    # --force re-runs it.
    assert run_pipeline(params, outputs_root=outputs, stop="extract", force=True) == 0
    assert "+ extract: done" in capsys.readouterr().out
    assert executed.stat().st_mtime_ns != mtime

    # A changed feature setting changes the fingerprint: the step runs again.
    text = params.read_text().replace("frames: 32", "frames: 34")
    params.write_text(text)
    assert Run(params, outputs).fingerprint("extract") != first["fingerprint"]
    assert not Run(params, outputs).is_done("extract")


def test_from_a_step_whose_inputs_are_missing_says_what_to_run(tiny, capsys):
    params, outputs = tiny
    assert run_pipeline(params, outputs_root=outputs, start="tag", stop="tag") == 1
    out = capsys.readouterr().out
    assert "'extract'" in out and "vqvae-kit run" in out


def test_a_failing_cell_keeps_the_partial_notebook(tiny, tmp_path, capsys):
    params, outputs = tiny
    manifest = tmp_path / "songs.csv"
    manifest.write_text("path,tags,split\nnot-there.wav,calm,train\n")
    bad = params.parent / "broken.yaml"
    bad.write_text(f"extends: tiny.yaml\nname: broken\n"
                   f"data: {{tag: {{kind: manifest, path: {manifest}}}}}\n")
    # every clip is missing: extraction records them, and pretraining then fails
    assert run_pipeline(bad, outputs_root=outputs, stop="pretrain") == 1
    out = capsys.readouterr().out
    assert "x pretrain failed in cell" in out
    run = Run(bad, outputs)
    assert (run.dir / "02_pretrain.ipynb").exists()
    assert run.is_done("extract") and not run.is_done("pretrain")
    report = json.loads((run.features_dir("tag") / "extract_report.json").read_text())
    assert "missing" in json.dumps(report)
