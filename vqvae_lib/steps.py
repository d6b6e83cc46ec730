"""The step registry and the run folder: what each notebook reads and writes.

The runner, the notebooks and the tests all read ``STEPS``; no other place names a
step's notebook or output files. A ``Run`` maps a params file to its folder
``<outputs>/<name>/`` and knows, for a reused step, the folder of the run it reuses.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .cliptable import ClipTable
from .config import to_dict
from .params import STEP_NAMES, RunParams, default_outputs_root, load_params, resolve_params_path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass(frozen=True)
class Step:
    """One pipeline step.

    Args:
        name: the step's name in params files and on the command line.
        notebook: file name in ``notebooks/``.
        needs: steps whose outputs this one reads.
        config_keys: ``RunParams`` sections that decide this step's result (its fingerprint).
        outputs: files or folders, relative to the run folder, that exist once it is done.
    """

    name: str
    notebook: str
    needs: tuple[str, ...]
    config_keys: tuple[str, ...]
    outputs: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step("extract", "01_extract.ipynb", (), ("data", "features"), ("features",)),
    Step("pretrain", "02_pretrain.ipynb", ("extract",), ("seed", "vqvae", "pretrain"),
         ("pretrain/best.pt", "pretrain_log.csv")),
    Step("reconstruct_visualize", "03_reconstruct_visualize.ipynb", ("extract", "pretrain"),
         ("inspect",), ("inspect.json", "figures")),
    Step("tag", "04_tag.ipynb", ("extract", "pretrain"), ("seed", "tag"),
         ("predictions_validation.npy", "predictions_test.npy", "tags.txt",
          "clip_ids_validation.txt", "clip_ids_test.txt", "tag/best.pt")),
    Step("evaluate", "05_evaluate.ipynb", ("tag",), (), ("metrics.json", "per_tag.tsv")),
)
STEP_BY_NAME = {s.name: s for s in STEPS}
assert tuple(STEP_BY_NAME) == STEP_NAMES


def get_step(name: str) -> Step:
    try:
        return STEP_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown step {name!r} (steps are: {', '.join(STEP_NAMES)})") from None


def _sha(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class StepNotDone(RuntimeError):
    """A step's inputs are not there yet; the message says which command makes them."""


class Run:
    """A params file bound to its output folder.

    Args:
        params_path: the run's params file.
        outputs_root: folder holding all runs; default from ``default_outputs_root``.
    """

    def __init__(self, params_path: str | Path, outputs_root: str | Path | None = None):
        self.params_path = resolve_params_path(params_path)
        self.params: RunParams = load_params(self.params_path)
        self.outputs_root = (
            Path(outputs_root).expanduser().resolve() if outputs_root
            else default_outputs_root(self.params_path)
        )
        self.dir = self.outputs_root / self.params.name
        self._tables: dict[str, ClipTable] = {}

    def __repr__(self) -> str:
        return f"Run({self.params.name!r}, dir={str(self.dir)!r})"

    # -- reuse ---------------------------------------------------------------------
    @cached_property
    def reused(self) -> dict[str, "Run"]:
        """Step name -> the run whose outputs this run reads for that step."""
        out = {}
        for step, path in self.params.reuse.items():
            p = Path(path)
            p = p if p.is_absolute() else (self.params_path.parent / p).resolve()
            if p == self.params_path:
                raise ValueError(f"{self.params_path}: reuse.{step} points at the file itself")
            out[step] = Run(p, self.outputs_root)
        return out

    def owner(self, step: str) -> "Run":
        """The run that makes ``step``'s outputs: this one or the one it reuses."""
        get_step(step)
        return self.reused[step].owner(step) if step in self.reused else self

    def step_dir(self, step: str) -> Path:
        return self.owner(step).dir

    # -- data ----------------------------------------------------------------------
    def dataset_roles(self) -> dict[str, object]:
        """Role -> DatasetConfig for the roles this run's own extraction covers.

        ``tag`` when the run tags, ``pretrain`` when it pretrains or inspects on a
        dataset other than the tagging one.
        """
        p = self.params
        roles: dict[str, object] = {}
        if p.data.tag is not None:
            roles["tag"] = p.data.tag
        needs_pretrain_data = any(s in p.steps for s in ("pretrain", "reconstruct_visualize"))
        if p.data.pretrain is not None and (needs_pretrain_data or p.data.tag is None):
            if p.data.pretrain != p.data.tag:
                roles["pretrain"] = p.data.pretrain
        return roles

    def feature_role(self, role: str) -> str:
        """The feature folder name that holds ``role``'s data (pretrain may share tag's)."""
        if role == "pretrain" and (self.params.data.pretrain is None
                                   or self.params.data.pretrain == self.params.data.tag):
            return "tag"
        return role

    def features_dir(self, role: str) -> Path:
        """Folder of the extracted features of ``role`` (``tag`` or ``pretrain``)."""
        owner = self.owner("extract")
        return owner.dir / "features" / owner.feature_role(role)

    def clip_table(self, role: str) -> ClipTable:
        """The dataset of ``role`` as a clip table (cached; demo audio is made on first use)."""
        from .datasets import load_clip_table

        if role not in self._tables:
            cfg = self.params.data.tag if role == "tag" else self.params.data.pretrain_dataset
            if cfg is None:
                raise ValueError(f"{self.params_path}: data.{role} is not set")
            self._tables[role] = load_clip_table(cfg, self.params_path.parent, self.dir / "data")
        return self._tables[role]

    # -- state ---------------------------------------------------------------------
    def fingerprint(self, step: str) -> str:
        """Hash of what decides ``step``'s result: its params sections, its notebook, and
        the fingerprints of the steps it reads (so a change upstream re-runs it)."""
        s = get_step(step)
        if step in self.reused:
            return self.reused[step].fingerprint(step)
        params = to_dict(self.params)
        upstream = {n: self.fingerprint(n) for n in s.needs}
        if step == "extract":
            params["data"] = {r: to_dict(c) for r, c in self.dataset_roles().items()}
        nb = NOTEBOOKS_DIR / s.notebook
        nb_hash = hashlib.sha256(nb.read_bytes()).hexdigest()[:16] if nb.exists() else "none"
        return _sha({"step": step, "config": {k: params[k] for k in s.config_keys},
                     "notebook": nb_hash, "upstream": upstream})

    def write_params(self) -> Path:
        """Record the resolved params as ``params.json`` in the run folder (for reports and
        for reading a run months later)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "params.json"
        data = {**to_dict(self.params), "params_file": str(self.params_path)}
        path.write_text(json.dumps(data, indent=2))
        return path

    def done_file(self, step: str) -> Path:
        return self.dir / ".steps" / f"{step}.json"

    def is_done(self, step: str) -> bool:
        """True when ``step`` finished with the current fingerprint and its outputs exist."""
        owner = self.owner(step)
        f = owner.done_file(step)
        if not f.exists():
            return False
        try:
            rec = json.loads(f.read_text())
        except json.JSONDecodeError:
            return False
        return rec.get("fingerprint") == owner.fingerprint(step) and all(
            (owner.dir / o).exists() for o in get_step(step).outputs)

    def mark_done(self, step: str, seconds: float) -> None:
        f = self.done_file(step)
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps({"step": step, "fingerprint": self.fingerprint(step),
                                   "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                   "seconds": round(seconds, 2)}, indent=2))
        tmp.replace(f)

    def require(self, step: str) -> None:
        """Raise ``StepNotDone`` unless every step that ``step`` reads has finished."""
        for need in get_step(step).needs:
            if not self.is_done(need):
                owner = self.owner(need)
                raise StepNotDone(
                    f"step {step!r} of run {self.params.name!r} reads the outputs of "
                    f"{need!r}, which has not finished for run {owner.params.name!r} "
                    f"(looked in {owner.dir}). Run: vqvae-kit run {owner.params_path} "
                    f"--to {need}")


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
            from .runner import run_pipeline

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
    run.write_params()
    return run
