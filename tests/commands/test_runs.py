"""``vqvae-kit runs`` finds the runs where ``run`` put them by default, from another
folder too, and names the params file that made each."""

from __future__ import annotations

import json

from vqvae_lib.cli import main


def test_runs_from_another_folder_finds_the_default_outputs(tiny_tagged, monkeypatch, capsys):
    project, run = tiny_tagged
    run.write_params()  # as ``run`` does: params.json names the params file
    monkeypatch.delenv("VQVAE_KIT_OUTPUTS", raising=False)
    elsewhere = project.params / "somewhere"  # no outputs/ here; the project's is above
    elsewhere.mkdir(exist_ok=True)
    monkeypatch.chdir(elsewhere)
    assert main(["runs", "--json"]) == 0
    rows = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["learns"]["steps"] == "tag,evaluate"
    assert rows["learns"]["params"] == str(run.params_path)
