"""One writer per run folder: a second ``run`` stops at once naming the holder, a lock
left by a dead process is taken over with a note, and a notebook opened in JupyterLab
holds the folder until it finishes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from vqvae_lib.cli import main
from vqvae_lib.runs.lock import LOCK_FILE, RunLock, RunLocked
from vqvae_lib.runs.runner import finish_step, open_run, run_pipeline

HOLD = ("import sys, time\n"
        "from vqvae_lib.runs.lock import RunLock\n"
        "RunLock(sys.argv[1], 'vqvae-kit run other.yaml').acquire()\n"
        "print('holding', flush=True)\n"
        "time.sleep(120)\n")


@pytest.fixture
def holder(tiny_project):
    """Another live process holding the tiny run's folder."""
    folder = tiny_project.run(tiny_project.tiny).dir
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        (folder / LOCK_FILE).unlink(missing_ok=True)


def test_a_second_run_stops_at_once_naming_the_holder(tiny_project, holder, capsys):
    with pytest.raises(RunLocked) as err:
        run_pipeline(tiny_project.tiny, outputs_root=tiny_project.outputs, stop="extract")
    said = str(err.value)
    assert f"pid {holder.pid} on {socket.gethostname()}" in said
    assert "vqvae-kit run other.yaml" in said

    code = main(["run", str(tiny_project.tiny), "--outputs", str(tiny_project.outputs),
                 "--to", "extract"])
    err_text = capsys.readouterr().err
    assert code == 2
    assert err_text.count("\n") == 1 and f"pid {holder.pid}" in err_text, err_text


def test_a_lock_of_a_dead_process_is_taken_over_with_a_note(tiny_project, capsys):
    run = tiny_project.run(tiny_project.tiny)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run.dir / LOCK_FILE).write_text(json.dumps(
        {"pid": dead.pid, "host": socket.gethostname(), "command": "vqvae-kit run x.yaml",
         "started": "2026-01-01T00:00:00"}))
    said: list[str] = []
    assert run_pipeline(tiny_project.tiny, outputs_root=tiny_project.outputs, stop="extract",
                        echo=said.append) == 0
    assert "taking over the lock" in capsys.readouterr().err
    assert any(line.startswith("= extract: up to date") for line in said), said
    assert not (run.dir / LOCK_FILE).exists()


def test_a_lock_on_another_host_is_not_taken(tiny_project):
    run = tiny_project.run(tiny_project.tiny)
    (run.dir / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    try:
        with pytest.raises(RunLocked, match="on elsewhere"):
            RunLock(run.dir).acquire()
    finally:
        (run.dir / LOCK_FILE).unlink()


def test_a_notebook_opened_interactively_holds_the_folder(tiny_pretrained, capsys):
    project = tiny_pretrained
    path = project.params / "locked.yaml"
    path.write_text("extends: tiny.yaml\nname: locked\nsteps: [reconstruct_visualize]\n"
                    "reuse: {extract: tiny.yaml, pretrain: tiny.yaml}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VQVAE_KIT_")}
    run = open_run(str(path), str(project.outputs), step="reconstruct_visualize")
    try:
        holder = json.loads((run.dir / LOCK_FILE).read_text())
        assert holder["pid"] == os.getpid() and "03_reconstruct_visualize" in holder["command"]
        # the same cell run again in the same kernel
        open_run(str(path), str(project.outputs), step="reconstruct_visualize")
        other = subprocess.run([sys.executable, "-m", "vqvae_lib", "status", str(path),
                                "--outputs", str(project.outputs)], env=env,
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 0, other.stderr  # reading needs no lock
        other = subprocess.run([sys.executable, "-m", "vqvae_lib", "run", str(path),
                                "--outputs", str(project.outputs)], env=env,
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 2 and f"pid {os.getpid()}" in other.stderr, other.stderr
    finally:
        # the notebook's cells write the step's outputs, then its last cell:
        run.paths.inspect.write_text("{}")
        run.paths.figures.mkdir(exist_ok=True)
        finish_step(run)
    assert not (run.dir / LOCK_FILE).exists()
