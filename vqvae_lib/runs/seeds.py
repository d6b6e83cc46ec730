"""Seeds: one params file run once per seed, as runs ``<name>-s<seed>``.

``vqvae-kit run PARAMS --seeds N`` (seeds 0 to N-1), or ``seeds: [...]`` in the file,
makes one run per seed. The steps in ``seed_steps`` (default ``[tag]``; or ``[pretrain,
tag]``) and the steps that read them take the seed (``per_seed_steps``); the others are
shared: every seed run reuses them from the file's own run ``<name>``, which makes them
once with the file's ``seed``, or from the run the file itself reuses them from. So the
seeds share extraction, and pretraining unless ``seed_steps`` names it.

Each seed run is an ordinary params file, written into its run folder
(``<outputs>/<name>-s<seed>/params.yaml``): it extends the file and sets ``name``,
``seed``, ``steps`` and ``reuse``, and ``seed_of`` names the file, whose folder its
relative paths resolve against. The notebooks read it as any params file, and the
fingerprints hold as they are: a shared step is the file's own run's step, made with the
file's ``seed``, so a new seed never makes it stale.

``report`` shows the seed runs of one file as one row (``seed_groups``) and tests the
paper's claims on the mean over seeds of each seed's score (``average_scores``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from ..settings.params import RunParams
from ..settings.registry import STEP_NAMES, STEPS
from ..utils.config import ConfigError
from .run import Run

SEED_FILE = "params.yaml"


def seed_name(name: str, seed: int) -> str:
    """The run name of seed ``seed`` of the params file named ``name``."""
    return f"{name}-s{seed}"


def per_seed_steps(seed_steps: Sequence[str]) -> tuple[str, ...]:
    """The steps that take the seed: those in ``seed_steps`` and every step that reads
    one of them (05 scores the tagger of its own seed), in pipeline order."""
    out: list[str] = []
    for s in STEPS:
        if s.name in seed_steps or any(n in out for n in s.needs):
            out.append(s.name)
    return tuple(out)


def seed_run_params(params_path: Path, params: RunParams, seed: int) -> dict[str, object]:
    """The params of seed run ``seed`` of the file ``params_path`` (read as ``params``),
    as the mapping its ``params.yaml`` holds.

    Raises:
        ConfigError: the file runs none of the steps that take the seed, or reuses one of
            them from another run (the seed cannot reach it there).
    """
    taking = per_seed_steps(params.seed_steps)
    where = f"{params_path}: seed_steps {list(params.seed_steps)}"
    reused = [s for s in taking if s in params.reuse]
    if reused:
        raise ConfigError(f"{where}: step {reused[0]!r} takes the seed, but this file reuses "
                          f"it from {params.reuse[reused[0]]}, which has one seed. Drop it "
                          "from seed_steps, or run the step in this file")
    steps = [s for s in params.steps if s in taking]
    if not steps:
        raise ConfigError(f"{where}: none of this file's steps ({', '.join(params.steps)}) "
                          "takes the seed, so every seed would be the same run. Add "
                          "'pretrain' to seed_steps, or run the file without seeds")
    # Every step the file runs or reuses and that does not take the seed is read from the
    # same run by all seeds; paths are absolute, as this file lives in a run folder.
    reuse: dict[str, str] = {}
    for step in STEP_NAMES:
        if step in taking:
            continue
        if step in params.reuse:
            reuse[step] = str((params_path.parent / params.reuse[step]).resolve())
        elif step in params.steps:
            reuse[step] = str(params_path)
    return {"extends": str(params_path), "name": seed_name(params.name, seed), "seed": seed,
            "seeds": [], "seed_of": str(params_path), "steps": steps, "reuse": reuse}


def write_seed_runs(params_path: str | Path, seeds: Sequence[int],
                    outputs_root: str | Path | None = None) -> list[Path]:
    """Write the params file of each seed run into its run folder; returns their paths.

    A file whose content is unchanged is left as it is.

    Raises:
        ConfigError: no seeds, the file is itself a seed run's, or ``seed_run_params``'s
            reasons.
    """
    base = Run(params_path, outputs_root)
    if base.params.seed_of:
        raise ConfigError(f"{base.params_path}: this is the params file of one seed of "
                          f"{base.params.seed_of}; run that file with seeds instead")
    if not seeds:
        raise ConfigError(f"{base.params_path}: no seeds to run (give --seeds N, N >= 1, or "
                          "seeds: [...] in the file)")
    paths = []
    for seed in seeds:
        data = seed_run_params(base.params_path, base.params, int(seed))
        path = base.outputs_root / str(data["name"]) / SEED_FILE
        text = (f"# Seed {seed} of {base.params_path}, written by vqvae-kit run: edit that "
                "file, not this one.\n" + yaml.safe_dump(data, sort_keys=False))
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        Run(path, base.outputs_root)  # fail here, naming the file, rather than mid-way
        paths.append(path)
    return paths


def run_seeds(params_path: str | Path, seeds: Sequence[int] | None = None, *,
              outputs_root: str | Path | None = None, start: str | None = None,
              stop: str | None = None, force: bool = False,
              echo: Callable[[str], None] = print) -> tuple[int, list[Run]]:
    """Run a params file once per seed (``seeds``, default the file's own ``seeds``).

    The steps the seeds share that the file runs itself are brought up to date first,
    in the file's own run (``force`` re-runs them once, not once per seed); then each
    seed run, in seed order. ``start``, ``stop`` and ``force`` are as in
    ``runner.run_pipeline``.

    Returns:
        (a process exit code: 0 when every seed run finished, else the first failure's;
        the seed runs).
    """
    from .runner import run_pipeline, select_steps

    base = Run(params_path, outputs_root)
    seeds = list(base.params.seeds if seeds is None else seeds)
    paths = write_seed_runs(base.params_path, seeds, base.outputs_root)
    taking = per_seed_steps(base.params.seed_steps)
    shared = [s for s in select_steps(start, stop)
              if s in base.params.steps and s not in taking]
    if shared:
        echo(f"== shared steps ({', '.join(shared)}): run {base.params.name!r}")
        code = run_pipeline(base.params_path, outputs_root=base.outputs_root, start=start,
                            stop=shared[-1], force=force, echo=echo)
        if code != 0:
            return code, []
    runs = []
    for seed, path in zip(seeds, paths):
        run = Run(path, base.outputs_root)
        echo(f"== seed {seed}: run {run.params.name!r} ({path})")
        code = run_pipeline(path, outputs_root=base.outputs_root, start=start, stop=stop,
                            force=force, echo=echo)
        if code != 0:
            return code, runs
        runs.append(run)
    return 0, runs


