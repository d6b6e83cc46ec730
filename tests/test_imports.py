"""What importing a part of the kit loads: the settings, the run bookkeeping, the scoring
and the command line answer without torch or librosa (and the settings and the report
without scikit-learn), so that ``vqvae-kit --help``, ``status`` or ``compare`` start at
once. Each check runs in a fresh interpreter and reads its ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NO_MODELS = ("torch", "librosa")
NO_SKLEARN = (*NO_MODELS, "sklearn")

CASES = {
    # the settings layer: the params loader, every settings dataclass, the registry
    "vqvae_lib.settings.params": NO_SKLEARN,
    "vqvae_lib.settings.features": NO_SKLEARN,
    "vqvae_lib.settings.models": NO_SKLEARN,
    "vqvae_lib.settings.training": NO_SKLEARN,
    "vqvae_lib.settings.steps": NO_SKLEARN,
    "vqvae_lib.settings.registry": NO_SKLEARN,
    "vqvae_lib.settings.archive": NO_SKLEARN,
    # a run's bookkeeping: status, runs, check (opening audio aside)
    "vqvae_lib.runs.run": NO_MODELS,
    "vqvae_lib.runs.runner": NO_MODELS,
    "vqvae_lib.runs.check": NO_MODELS,
    "vqvae_lib.runs.seeds": NO_MODELS,
    # a finished feature folder, as 01_extract's first cell reads it
    "vqvae_lib.features.store": NO_MODELS,
    # scoring
    "vqvae_lib.steps.evaluate": NO_MODELS,
    "vqvae_lib.evaluation.files": NO_MODELS,
    "vqvae_lib.evaluation.compare": NO_MODELS,
    "vqvae_lib.analysis.report": NO_SKLEARN,
    # the command line: building every parser loads none of the heavy libraries
    "vqvae_lib.cli": (*NO_SKLEARN, "pandas", "scipy", "matplotlib", "papermill"),
}


def loaded_after_import(module: str, watched: tuple[str, ...]) -> list[str]:
    code = (f"import sys, json; import {module}; "
            f"print(json.dumps([m for m in {list(watched)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", sorted(CASES))
def test_module_loads_no_heavy_library(module):
    assert loaded_after_import(module, CASES[module]) == [], \
        f"importing {module} loads them; import them inside the function that needs them"


def test_the_check_sees_a_heavy_import():
    assert loaded_after_import("vqvae_lib.models.vqvae", NO_MODELS) == ["torch"]
