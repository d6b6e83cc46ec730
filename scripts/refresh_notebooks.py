"""Re-execute the step notebooks with their default (tiny) parameters and store only
the outputs that nbval compares.

nbval (``--nbval-lax``) compares the cells that start with ``# NBVAL_CHECK_OUTPUT``
against the outputs stored in the committed notebook. This script runs every notebook
in pipeline order into a temporary outputs folder, copies the outputs and execution
counts of those checked cells back into ``notebooks/``, and clears every other output,
so the committed notebooks stay small (no images) and their checked outputs are real.

    python scripts/refresh_notebooks.py            # all five notebooks
    python scripts/refresh_notebooks.py 03 04      # only these (their inputs are made first)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
CHECK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and (
        cell.source.lstrip().startswith(CHECK)
        or "nbval-check-output" in cell.metadata.get("tags", []))


def refresh(notebook: Path, executed: Path) -> int:
    """Copy the checked cells' outputs of ``executed`` into ``notebook``; clear the rest.
    Returns the number of checked cells."""
    source = nbformat.read(notebook, as_version=4)
    ran = nbformat.read(executed, as_version=4)
    ran_cells = [c for c in ran.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if len(ran_cells) != len(source.cells):
        raise RuntimeError(f"{executed}: cell count differs from {notebook}")
    n = 0
    for cell, done in zip(source.cells, ran_cells):
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if is_checked(cell):
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
            n += 1
        else:
            cell.outputs, cell.execution_count = [], None
    nbformat.write(source, notebook)
    return n


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("MPLBACKEND", "Agg")
    import papermill as pm

    from vqvae_lib.runs.runner import ensure_kernel
    from vqvae_lib.settings.registry import STEPS

    wanted = [s for s in STEPS if not argv or any(s.notebook.startswith(a) for a in argv)]
    kernel = ensure_kernel()
    with tempfile.TemporaryDirectory(prefix="vqvae-kit-refresh-") as tmp:
        # The notebooks' defaults write under $VQVAE_KIT_OUTPUTS: keep outputs/ untouched.
        os.environ["VQVAE_KIT_OUTPUTS"] = tmp
        for step in wanted:
            nb = REPO / "notebooks" / step.notebook
            out = Path(tmp) / f"executed-{step.notebook}"
            print(f"executing {nb.relative_to(REPO)}", flush=True)
            pm.execute_notebook(str(nb), str(out), kernel_name=kernel, cwd=str(nb.parent),
                                progress_bar=False)
            print(f"  {refresh(nb, out)} checked cell(s) stored", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
