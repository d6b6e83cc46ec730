"""A step notebook run to its end in a kernel with the run's params (as in JupyterLab,
not through ``vqvae-kit run``) records its step, and the next ``run`` skips it."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from vqvae_lib.features.store import FeatureStore
from vqvae_lib.runs.run import NOTEBOOKS_DIR, StepNotDone
from vqvae_lib.runs.runner import ensure_kernel, finish_step, open_run, run_pipeline


def test_an_interactive_run_of_03_records_its_step(tiny_pretrained, tmp_path):
    project = tiny_pretrained
    path = project.params / "explore.yaml"
    path.write_text("extends: tiny.yaml\nname: explore\nsteps: [reconstruct_visualize]\n"
                    "reuse: {extract: tiny.yaml, pretrain: tiny.yaml}\n")
    run = project.run(path)
    assert run.status("reconstruct_visualize").state == "never"

    pm.execute_notebook(str(NOTEBOOKS_DIR / "03_reconstruct_visualize.ipynb"),
                        str(tmp_path / "03.ipynb"), kernel_name=ensure_kernel(),
                        cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                        parameters={"params_file": str(path),
                                    "outputs_root": str(project.outputs)})

    record = run.read_record("reconstruct_visualize")
    assert record is not None and record["fingerprint"] == run.fingerprint("reconstruct_visualize")
    assert project.run(path).status("reconstruct_visualize").state == "done"
    said: list[str] = []
    assert run_pipeline(path, outputs_root=project.outputs, echo=said.append) == 0
    assert any(line.startswith("= reconstruct_visualize: up to date") for line in said), said


def test_a_step_is_not_recorded_without_its_outputs(tiny_pretrained):
    project = tiny_pretrained
    path = project.params / "unfinished.yaml"
    path.write_text("extends: tiny.yaml\nname: unfinished\nsteps: [reconstruct_visualize]\n"
                    "reuse: {extract: tiny.yaml, pretrain: tiny.yaml}\n")
    run = open_run(str(path), str(project.outputs), step="reconstruct_visualize")
    with pytest.raises(StepNotDone, match="did not write"):
        finish_step(run)
    assert run.read_record("reconstruct_visualize") is None


def test_05_run_interactively_shows_no_bare_outputs_and_whole_paths(tiny_tagged, tmp_path):
    """On data that is not MTG-Jamendo, 05 says so in one line rather than showing empty
    ``''`` results, and its predict table shows each file's whole path."""
    project, run = tiny_tagged
    executed = tmp_path / "05.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "05_evaluate.ipynb"), str(executed),
                        kernel_name=ensure_kernel(), cwd=str(NOTEBOOKS_DIR),
                        progress_bar=False,
                        parameters={"params_file": str(run.params_path),
                                    "outputs_root": str(project.outputs)})

    nb = nbformat.read(executed, as_version=4)
    shown = [o["data"].get("text/plain", "") for c in nb.cells if c.cell_type == "code"
             for o in c.outputs if o.output_type in ("execute_result", "display_data")]
    assert "''" not in shown and '""' not in shown
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs if o.output_type == "stream")
    assert "no published comparison" in printed
    store_paths = [p for p in FeatureStore(run.features_dir("tag")).index["path"]]
    assert sum(str(p) in printed for p in store_paths) == 2, printed
