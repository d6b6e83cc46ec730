"""Execute the step notebooks of a run with papermill, in order, resumably.

Each executed notebook is written to ``<outputs>/<name>/<NN_step>.ipynb``. A step whose
fingerprint (params, notebook, input data, upstream steps) is unchanged since it last
finished is skipped, so re-running a params file resumes where it stopped. A step that
must run again (a changed fingerprint, or ``force``) starts from scratch, and what it
wrote before moves whole to ``previous/<step>-<UTC time>/``: nothing is reused from other
settings and nothing is deleted. Extraction is the exception: it re-runs incrementally
(see ``extract``), unless forced or its feature settings changed.

The kernels show progress as suits the runner's stderr: a live bar on a terminal, short
plain lines in a log (``VQVAE_KIT_PROGRESS``, see ``vqvae_lib.utils.progress``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..settings.registry import STEP_NAMES, STEPS, RunPaths, get_step
from ..utils import progress
from ..utils.config import to_dict
from ..utils.progress import RUNNER_ENV
from .kernel import (
    KERNEL_NAME,
    ensure_kernel,
    kernel_config,
    kernel_env,
    kernel_manager_class,
    kernel_progress_mode,
)
from .lock import LOCK_HOLDER_ENV, RunLock
from .run import NOTEBOOKS_DIR, Run, StepNotDone

if TYPE_CHECKING:  # pandas loads only when runs are listed
    import pandas as pd



def notebook_parameters(run: Run) -> dict[str, str]:
    """Values the runner can give a step notebook; it passes those the notebook declares."""
    return {"params_file": str(run.params_path), "outputs_root": str(run.outputs_root)}


def select_steps(start: str | None, stop: str | None) -> list[str]:
    """The step names from ``start`` to ``stop`` (by name; None: the first, the last)."""
    for s in (start, stop):
        if s is not None:
            get_step(s)
    i = STEP_NAMES.index(start) if start else 0
    j = STEP_NAMES.index(stop) if stop else len(STEP_NAMES) - 1
    if i > j:
        raise ValueError(f"--from {start} comes after --to {stop}")
    return list(STEP_NAMES[i:j + 1])


def run_pipeline(params_path: str | Path, *, outputs_root: str | Path | None = None,
                 start: str | None = None, stop: str | None = None, force: bool = False,
                 echo: Callable[[str], None] = print, _seen: tuple[Path, ...] = ()) -> int:
    """Run the steps of one params file; returns a process exit code (0 = all done).

    One run: the file's ``seeds`` are ``seeds.run_seeds``'s (a seed run reuses the
    shared steps from this run, which then must not fan out into seeds itself).

    Args:
        params_path: the run's params file.
        outputs_root: the folder holding all runs (default: ``outputs/`` beside ``params/``).
        start, stop: first and last step to consider (by name).
        force: re-run the selected steps even when they are up to date.
        echo: where progress lines go.

    Raises:
        RunLocked: another process is writing the run folder (``lock``).
    """
    run = Run(params_path, outputs_root)
    if run.params_path in _seen:
        raise ValueError(f"{run.params_path}: 'reuse' forms a loop")
    selected = [s for s in select_steps(start, stop) if s in run.params.steps or s in run.reused]
    # Runs this one reuses are brought up to date first (each only as far as needed).
    for step in selected:
        if step in run.reused:
            other = run.reused[step]
            code = run_pipeline(other.params_path, outputs_root=run.outputs_root, stop=step,
                                echo=echo, _seen=_seen + (run.params_path,))
            if code != 0:
                return code
    with RunLock(run.dir, f"vqvae-kit run {run.params_path}"):
        return _run_steps(run, selected, force, echo)


def _run_steps(run: Run, selected: list[str], force: bool,
               echo: Callable[[str], None]) -> int:
    """The body of ``run_pipeline``, under the run folder's lock."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    run.write_params()
    kernel = None
    for step_name in selected:
        if step_name in run.reused:
            echo(f"= {step_name}: reused from run {run.owner(step_name).params.name!r}")
            continue
        step = get_step(step_name)
        try:
            run.require(step_name)
        except RuntimeError as exc:
            echo(f"x {step_name}: {exc}")
            return 1
        status = run.status(step_name)
        if not force and status.state == "done":
            echo(f"= {step_name}: up to date ({run.dir / step.notebook})")
            if status.library_changed:
                echo(f"  ! vqvae_lib changed since {step_name} ran "
                     f"({', '.join(status.library_changed)}); kept. To redo it: "
                     f"vqvae-kit run {run.params_path} --force --from {step_name}")
            continue
        if status.state in ("stale", "broken"):
            echo(f"~ {step_name}: runs again: {'; '.join(status.why)}")
        _set_aside(run, step_name, status, force, echo)
        kernel = kernel or ensure_kernel()
        source = NOTEBOOKS_DIR / step.notebook
        target = run.dir / step.notebook
        declared = pm.inspect_notebook(str(source))
        parameters = {k: v for k, v in notebook_parameters(run).items() if k in declared}
        run.done_file(step_name).unlink(missing_ok=True)
        echo(f"> {step_name}: {source.name} -> {target}")
        t0 = time.time()
        # Chosen before kernel_env sets this process's environment for the kernel.
        stderr = progress.relay(sys.stderr)
        try:
            with kernel_env(**{progress.ENV: kernel_progress_mode(), RUNNER_ENV: "1",
                               LOCK_HOLDER_ENV: str(os.getpid())}):
                pm.execute_notebook(str(source), str(target), parameters=parameters,
                                    kernel_name=kernel, cwd=str(NOTEBOOKS_DIR),
                                    progress_bar=False, stdout_file=sys.stdout,
                                    stderr_file=stderr,
                                    config=kernel_config(),
                                    kernel_manager_class=kernel_manager_class())
        except PapermillExecutionError as exc:
            echo(f"x {step_name} failed in cell {exc.cell_index} ({exc.ename}): {exc.evalue}")
            echo(f"  the partial notebook is kept at {target}")
            return 1
        missing = [o for o in step.outputs if not (run.dir / o).exists()]
        if missing:
            echo(f"x {step_name}: the notebook finished but did not write {missing}")
            return 1
        run.mark_done(step_name, time.time() - t0)
        echo(f"+ {step_name}: done in {time.time() - t0:.1f} s")
    return 0


def _set_aside(run: Run, step: str, status, force: bool, echo: Callable[[str], None]) -> None:
    """Before ``step`` runs again: move what it wrote to ``previous/`` when it must start
    from scratch. An interrupted training step with unchanged settings is left to resume
    from ``last.pt`` (the trainer checks the checkpoint's fingerprint itself); extraction
    is incremental unless forced or its feature settings changed."""
    record = run.read_record(step)
    if step == "extract" and not force:
        old = (record or {}).get("parts", {}).get("config", {}).get("features")
        if record is None or old == to_dict(run.params.features):
            return
        reason = "other feature settings"
    elif force:
        reason = "--force"
    elif status.state == "broken" or record is not None:
        reason = "; ".join(status.why) or "its fingerprint changed"
    else:
        return  # never finished: a partial run resumes, or its step starts over itself
    moved = run.archive(step, reason)
    if moved is not None:
        echo(f"  {step}: the previous outputs are kept in {moved}")


def summary(run: Run) -> dict[str, object]:
    """Where a run's results are, for the end of ``vqvae-kit run``."""
    out: dict[str, object] = {"run": run.params.name, "folder": str(run.dir)}
    metrics = run.paths.metrics
    if metrics.exists():
        test = json.loads(metrics.read_text()).get("test", {})
        out["test"] = {k: round(v, 4) for k, v in test.items()
                       if k in ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro")}
        out["metrics"] = str(metrics)
    for name in (RunPaths.split_name(RunPaths.PREDICTIONS, "test"), RunPaths.INSPECT,
                 RunPaths.FIGURES, RunPaths.checkpoint_name("pretrain")):
        if (run.paths / name).exists():
            out[name] = str(run.paths / name)
    return out


def open_run(params_file: str, outputs_root: str = "", step: str | None = None,
             prepare: bool = True) -> Run:
    """The notebooks' entry: bind the params to their run folder, and for ``step`` make
    sure the steps it reads are done (running them through the runner when ``prepare``,
    so any notebook also works on its own in JupyterLab)."""
    run = Run(params_file, outputs_root or None)
    if step is not None:
        try:
            run.require(step)
        except StepNotDone:
            if not prepare:
                raise
            last = max((STEP_NAMES.index(n) for n in get_step(step).needs), default=-1)
            if last >= 0:
                print(f"preparing the inputs of {step!r}: running steps up to "
                      f"{STEP_NAMES[last]!r} for run {run.params.name!r}")
                code = run_pipeline(run.params_path, outputs_root=run.outputs_root,
                                    stop=STEP_NAMES[last])
                if code != 0:
                    raise StepNotDone(f"could not prepare the inputs of {step!r} (exit {code})")
            run = Run(run.params_path, run.outputs_root)
            run.require(step)
    if step is not None:
        # Held until finish_step, or until the kernel stops.
        RunLock(run.dir, f"notebook {get_step(step).notebook} ({run.params_path})").hold()
    run.write_params()
    if step is not None:
        run.opened = (step, time.time())
    return run


def finish_step(run: Run) -> None:
    """A step notebook's last cell: record the step ``open_run`` opened as done, as the
    runner does (``.steps/<step>.json``, same fingerprint), so that a notebook run to its
    end in JupyterLab with the run's params counts and ``run`` does not redo it. Under
    the runner it does nothing: the runner records the step itself, once."""
    if run.opened is None:
        raise StepNotDone("the run was opened without a step: open_run(..., step=...)")
    if os.environ.get(RUNNER_ENV):
        return
    step, started = run.opened
    missing = [o for o in get_step(step).outputs if not (run.dir / o).exists()]
    if missing:
        raise StepNotDone(f"step {step!r} did not write {missing}; not recorded as done")
    run.mark_done(step, time.time() - started)
    RunLock(run.dir).release()
    print(f"recorded: {step} done for run {run.params.name!r} ({run.done_file(step)})")


def list_runs(outputs_root: str | Path) -> pd.DataFrame:
    """One row per run folder under ``outputs_root``: ``run``, ``steps`` done (comma
    separated, pipeline order), test ``roc_auc_macro`` and ``pr_auc_macro`` (NaN before
    evaluation), ``finished`` (UTC time of its newest step record) and ``params`` (the
    params file that made it, from ``params.json``), newest first.

    Read from the folders' step records alone, so it lists runs whose params files moved.
    """
    import pandas as pd

    rows = []
    for folder in sorted(Path(outputs_root).iterdir()):
        paths = RunPaths(folder)
        if not paths.records.is_dir():
            continue
        done, finished = [], ""
        for name in STEP_NAMES:
            try:
                rec = json.loads(paths.record(name).read_text())
            except (OSError, json.JSONDecodeError):
                continue
            done.append(name)
            finished = max(finished, str(rec.get("finished", "")))
        test: dict = {}
        try:
            test = json.loads(paths.metrics.read_text()).get("test", {})
        except (OSError, json.JSONDecodeError):
            pass
        try:
            made_by = json.loads(paths.params.read_text()).get("params_file", "")
        except (OSError, json.JSONDecodeError, AttributeError):
            made_by = ""
        rows.append({"run": folder.name, "steps": ",".join(done) or "-",
                     "test_roc_auc_macro": test.get("roc_auc_macro", float("nan")),
                     "test_pr_auc_macro": test.get("pr_auc_macro", float("nan")),
                     "finished": finished.replace("T", " ").rstrip("Z"),
                     "params": made_by or "-"})
    columns = ["run", "steps", "test_roc_auc_macro", "test_pr_auc_macro", "finished", "params"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("finished", ascending=False, kind="stable").reset_index(drop=True)


__all__ = ["run_pipeline", "KERNEL_NAME", "ensure_kernel", "kernel_config", "kernel_manager_class",
           "kernel_progress_mode", "summary",
           "open_run", "list_runs", "STEPS"]
