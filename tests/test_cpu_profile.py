"""benchmarks/cpu_profile.py runs at a params file's sizes and reports what it promises:
FLOPs per step, one row per memory format and precision with the kit's choice marked,
the top operators, and a finished run's time split."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cpu_profile():
    spec = importlib.util.spec_from_file_location("cpu_profile",
                                                  REPO / "benchmarks" / "cpu_profile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_profile_reports_flops_variants_and_operators(cpu_profile, capsys, one_thread):
    figures = cpu_profile.main([str(REPO / "params" / "tiny.yaml"), "--steps", "1",
                                "--warmup", "0"])
    out = capsys.readouterr().out
    assert "matrix-multiply peak" in out and "<- the kit" in out
    assert figures["peaks"]["fp32"] > 0
    for step in ("pretrain", "tag"):
        rows = figures[step]["variants"]
        assert figures[step]["gflop"] > 0
        assert sum(r["kit_choice"] for r in rows.values()) == 1  # exactly one is the kit's
        assert all(r["seconds"] > 0 and r["gflops"] > 0 for r in rows.values())
        assert figures[step]["top_operators"]
    # the CNN tagger is timed with both ways of training its timbral filters
    assert any("fft front-end" in k for k in figures["tag"]["variants"])


def test_the_profile_splits_a_finished_run(cpu_profile, tiny_tagged, capsys):
    _, run = tiny_tagged
    split = {**cpu_profile.run_split(run.owner("pretrain").dir), **cpu_profile.run_split(run.dir)}
    out = capsys.readouterr().out
    assert set(split) == {"pretrain", "tag"}
    for parts in split.values():
        assert parts["seconds"] > 0 and parts["validate_seconds"] > 0
    assert "validation" in out and "data loading" in out
