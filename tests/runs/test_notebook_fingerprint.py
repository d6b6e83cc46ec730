"""A step's fingerprint covers what its notebook does, not what a JupyterLab session left
in the file: running a notebook and saving it (outputs, execution counts, cell ids,
metadata, autosave) leaves every finished step done; editing a cell does not."""

from __future__ import annotations

import json
import shutil

import pytest

from vqvae_lib.runs import run as run_module
from vqvae_lib.runs.run import NOTEBOOKS_DIR, Run
from vqvae_lib.utils.provenance import notebook_source_sha256


def _edit(path, change) -> None:
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1))


def _saved_after_running(nb: dict) -> None:
    """What JupyterLab writes when a notebook has run and is saved."""
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i}"
        cell["metadata"]["execution"] = {"iopub.status.busy": "2026-12-04T10:00:00Z"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = i + 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": [f"ran cell {i}\n"]}]


@pytest.fixture
def notebooks(tmp_path, monkeypatch):
    """A copy of the step notebooks that the run machinery reads instead of the kit's."""
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, folder)
    monkeypatch.setattr(run_module, "NOTEBOOKS_DIR", folder)
    return folder


def _states(run: Run) -> dict[str, str]:
    fresh = Run(run.params_path, run.outputs_root)
    return {s: fresh.status(s).state for s in ("tag", "evaluate")}


def test_a_notebook_saved_with_new_outputs_leaves_every_step_done(tiny_tagged, notebooks):
    _, run = tiny_tagged
    assert _states(run) == {"tag": "done", "evaluate": "done"}
    for name in ("03_reconstruct_visualize.ipynb", "04_tag.ipynb", "05_evaluate.ipynb"):
        _edit(notebooks / name, _saved_after_running)
    assert _states(run) == {"tag": "done", "evaluate": "done"}


def test_an_edited_code_cell_makes_its_step_stale(tiny_tagged, notebooks):
    _, run = tiny_tagged

    def edit(nb):
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                    and "train_tagger(run)" in "".join(c["source"]))
        cell["source"] = "".join(cell["source"]).replace("train_tagger(run)",
                                                         "train_tagger(run, progress=False)")

    _edit(notebooks / "04_tag.ipynb", edit)
    fresh = Run(run.params_path, run.outputs_root)
    tag = fresh.status("tag")
    assert tag.state == "stale" and "notebook changed" in tag.why
    # evaluate reads tag's outputs: it is stale through its upstream
    assert fresh.status("evaluate").state == "stale"


def test_only_the_names_of_the_parameters_cell_count(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
              "source": 'params_file = "params/tiny.yaml"\noutputs_root = ""\n'},
             {"cell_type": "code", "metadata": {}, "source": "print(params_file)\n"}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}}))
    before = notebook_source_sha256(path)
    cells[0]["source"] = 'params_file = "params/demo.yaml"\noutputs_root = "/elsewhere"\n'
    path.write_text(json.dumps({"cells": cells, "metadata": {}}))
    assert notebook_source_sha256(path) == before  # papermill sets the values
    cells[0]["source"] += "seed = 3\n"
    path.write_text(json.dumps({"cells": cells, "metadata": {}}))
    assert notebook_source_sha256(path) != before  # a new parameter
