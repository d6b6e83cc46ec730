"""``vqvae-kit run`` into a log file: no kernel or tqdm warnings, no carriage returns, no
line over 200 characters, and the progress of each loop as plain lines."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from vqvae_lib.utils.progress import ENV, MAX_LINE

REPO = Path(__file__).resolve().parents[2]


def test_a_run_logged_to_a_file_is_quiet_and_short(tmp_path):
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    quiet = params / "quiet.yaml"
    quiet.write_text("extends: tiny.yaml\nname: quiet\n"
                     "data: {tag: {kind: demo, n_clips: 40, clip_seconds: 1.6, seed: 0}}\n")
    log = tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if k != ENV}
    with log.open("w") as out:
        code = subprocess.call([sys.executable, "-m", "vqvae_lib", "run", str(quiet),
                                "--to", "extract", "--outputs", str(tmp_path / "outputs")],
                               stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
                               timeout=300)
    text = log.read_text()
    assert code == 0, text
    assert "\r" not in text
    lines = text.splitlines()
    assert not [line for line in lines if "WARNING | Kernel" in line or "TqdmWarning" in line]
    assert not [line for line in lines if len(line.encode()) > MAX_LINE]
    assert any(line.startswith("> extract:") for line in lines)
    assert any(line.startswith("+ extract: done") for line in lines)
    # one loop in the runner itself, one in the kernel it started
    assert any(line.startswith("demo audio: 100% 40/40") for line in lines), text
    assert any(line.startswith("extract tag: 100% 40/40") for line in lines), text
