"""One params file, one run folder: a second file that resolves to a finished run's folder
(a copy that kept ``name``) is refused before anything runs, naming both files."""

from __future__ import annotations

import json
import shutil

from vqvae_lib.cli import main as cli
from vqvae_lib.runs.run import Run
from vqvae_lib.utils.provenance import file_sha256


def test_a_second_params_file_with_the_same_name_is_refused(tiny_tagged, capsys):
    _, run = tiny_tagged
    run.write_params()  # as ``run`` and ``open_run`` do
    record = run.paths.params
    before = record.read_text()
    assert json.loads(before)["params_file"] == str(run.params_path)
    assert json.loads(before)["params_sha256"] == file_sha256(run.params_path)
    copy = run.params_path.with_name("mine.yaml")
    shutil.copy(run.params_path, copy)
    try:
        code = cli(["run", str(copy), "--outputs", str(run.outputs_root)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1 and str(copy) in err and str(run.params_path) in err
        assert "set a different 'name:'" in err
        assert record.read_text() == before  # nothing written, nothing run
        states = {s: Run(run.params_path, run.outputs_root).status(s).state
                  for s in ("tag", "evaluate")}
        assert states == {"tag": "done", "evaluate": "done"}
    finally:
        copy.unlink()


def test_the_same_file_and_a_moved_one_still_open_their_folder(tiny_tagged, tmp_path):
    _, run = tiny_tagged
    Run(run.params_path, run.outputs_root).write_params()  # the same file: as before
    record = json.loads(run.paths.params.read_text())
    gone = tmp_path / "was-here.yaml"
    record["params_file"] = str(gone)  # the file that made the run no longer exists
    run.paths.params.write_text(json.dumps(record))
    Run(run.params_path, run.outputs_root).write_params()
    assert json.loads(run.paths.params.read_text())["params_file"] == str(run.params_path)
