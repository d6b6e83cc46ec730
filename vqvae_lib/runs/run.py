"""A run: a params file bound to its folder, its steps' fingerprints, records and status.

A ``Run`` maps a params file to its folder ``<outputs>/<name>/`` (files named by
``registry.RunPaths``) and knows, for a reused step, the folder of the run it reuses.
Whether a step is done, stale or never run is decided here, from the step's fingerprint
and its record in ``.steps/``; the runner (``runner.py``) acts on it.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import cached_property
from pathlib import Path

from ..datasets.cliptable import ClipTable
from ..settings.archive import archive_step, list_archives, new_archive
from ..settings.params import (
    RunParams,
    claim_run_folder,
    load_params,
    resolve_params_path,
    run_location,
)
from ..settings.registry import READS_FEATURES, RunPaths, get_step
from ..utils import provenance
from ..utils.config import to_dict
from ..utils.provenance import (
    changed_files,
    describe_changes,
    environment,
    file_sha256,
    library_hashes,
    notebook_source_sha256,
)
from .products import (
    checkpoint_problem,
    features_digest,
    problems,
    products_digest,
    record_products,
    unreadable,
)
from .state import StepNotDone, StepStatus

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def _sha(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Run:
    """A params file bound to its output folder.

    Args:
        params_path: the run's params file.
        outputs_root: folder holding all runs; default from ``default_outputs_root`` (for
            a seed run's file, the folder holding its run folder).

    ``base_dir`` is the folder that relative paths in the params resolve against.
    """

    def __init__(self, params_path: str | Path, outputs_root: str | Path | None = None):
        self.params_path = resolve_params_path(params_path)
        self.params: RunParams = load_params(self.params_path)
        self.base_dir, self.outputs_root = run_location(self.params_path, self.params, outputs_root)
        self.dir = self.outputs_root / self.params.name
        self.paths = RunPaths(self.dir)
        self._tables: dict[str, ClipTable] = {}
        self._parts: dict[str, dict[str, object]] = {}
        self.opened: tuple[str, float] | None = None  # (step, start): set by open_run

    def __repr__(self) -> str:
        return f"Run({self.params.name!r}, dir={str(self.dir)!r})"

    # -- reuse ---------------------------------------------------------------------
    @cached_property
    def reused(self) -> dict[str, Run]:
        """Step name -> the run whose outputs this run reads for that step."""
        out = {}
        for step, path in self.params.reuse.items():
            p = Path(path)
            p = p if p.is_absolute() else (self.base_dir / p).resolve()
            if p == self.params_path:
                raise ValueError(f"{self.params_path}: reuse.{step} points at the file itself")
            out[step] = Run(p, self.outputs_root)
        return out

    def owner(self, step: str) -> Run:
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
        return owner.paths.features / owner.feature_role(role)

    def clip_table(self, role: str) -> ClipTable:
        """The dataset of ``role`` as a clip table (cached; demo audio is made on first use)."""
        from ..datasets import load_clip_table

        if role not in self._tables:
            cfg = self.params.data.tag if role == "tag" else self.params.data.pretrain_dataset
            if cfg is None:
                raise ValueError(f"{self.params_path}: data.{role} is not set")
            self._tables[role] = load_clip_table(cfg, self.base_dir, self.paths.data)
        return self._tables[role]

    # -- fingerprints ----------------------------------------------------------------
    def fingerprint_parts(self, step: str) -> dict[str, object]:
        """What decides ``step``'s result, as plain data: its params sections, its
        notebook, its input data (extraction: the clip table and each audio file's size
        and mtime), and what it reads of upstream steps (their fingerprints). The
        fingerprint is the hash of this; records and checkpoints keep it whole, so that a
        change can be named."""
        if step in self.reused:
            return self.reused[step].fingerprint_parts(step)
        if step in self._parts:  # only extraction's: the others read records that change
            return self._parts[step]
        s = get_step(step)
        params = to_dict(self.params)
        config = {k: params[k] for k in s.config_keys}
        for section in set(config) & {"pretrain", "tag"}:
            config[section] = provenance.without_neutral_settings(config[section])
        nb = NOTEBOOKS_DIR / s.notebook
        parts: dict[str, object] = {
            "step": step, "config": config,
            "notebook": notebook_source_sha256(nb)[:16] if nb.exists() else "none"}
        if step == "extract":
            roles = self.dataset_roles()
            config["data"] = {r: to_dict(c) for r, c in roles.items()}
            parts["data"] = {r: self.clip_table(r).data_fingerprint() for r in roles}
        else:
            parts["upstream"] = {n: self._upstream(n, step) for n in s.needs}
        if step == "pretrain" and self.params.pretrain.checkpoint:
            src = Path(self.params.pretrain.checkpoint)
            src = src if src.is_absolute() else self.base_dir / src
            parts["checkpoint_file"] = file_sha256(src)[:16] if src.exists() else "missing"
        if step == "extract":
            self._parts[step] = parts
        return parts

    def _upstream(self, need: str, step: str) -> str:
        """What ``step`` reads of ``need``: for extraction, the identity of the features
        it reads (settings, clips, audio, labels where it uses them, and the arrays'
        checksums), not the extraction notebook; for other steps, their fingerprint and
        the hashes of the products they recorded."""
        if need != "extract":
            products = (self.read_record(need) or {}).get("products")
            fingerprint = self.fingerprint(need)
            return _sha({"fingerprint": fingerprint, "products": products_digest(products)}
                        ) if products else fingerprint
        owner = self.owner("extract")
        role, labels = READS_FEATURES[step]
        role = owner.feature_role(role)
        data = dict(owner.fingerprint_parts("extract")["data"].get(role, {}))
        if not labels:
            data.pop("labels", None)
        identity = {"features": to_dict(owner.params.features), "data": data}
        contents = features_digest(owner.paths.features / role)
        return _sha({**identity, "contents": contents} if contents else identity)

    def fingerprint(self, step: str) -> str:
        """Hash of ``fingerprint_parts(step)``: equal fingerprints, equal results."""
        return _sha(self.fingerprint_parts(step))

    def write_params(self) -> Path:
        """Record the resolved params, the params file and its sha256 as ``params.json``;
        a folder made by another params file is refused first (``claim_run_folder``)."""
        path = self.paths.params
        claim_run_folder(self.params_path, self.params.name, path)
        self.dir.mkdir(parents=True, exist_ok=True)
        data = {**to_dict(self.params), "params_file": str(self.params_path),
                "params_sha256": file_sha256(self.params_path)}
        path.write_text(json.dumps(data, indent=2))
        return path

    # -- records -----------------------------------------------------------------------
    def done_file(self, step: str) -> Path:
        return self.paths.record(step)

    def read_record(self, step: str) -> dict | None:
        """The record of ``step``'s last finished run (in the run that owns it), or None."""
        f = self.owner(step).done_file(step)
        try:
            return json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def is_done(self, step: str) -> bool:
        """True when ``step`` finished with the current fingerprint, and its files are
        there and agree (``status`` says ``done``)."""
        return self.owner(step).status(step).state == "done"

    def mark_done(self, step: str, seconds: float) -> None:
        """Write ``.steps/<step>.json``: the fingerprint and what it was made of, when and
        how long, the hash of every ``vqvae_lib`` file, library versions, git commit."""
        f = self.done_file(step)
        f.parent.mkdir(parents=True, exist_ok=True)
        record = {"step": step, "fingerprint": self.fingerprint(step),
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "seconds": round(seconds, 2), "parts": self.fingerprint_parts(step),
                  "products": record_products(self.dir, step),
                  "library": library_hashes(), **environment()}
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, default=str))
        tmp.replace(f)

    # -- archives (``archive.py``) ------------------------------------------------------
    def new_archive(self, step: str) -> Path:
        return new_archive(self.paths, step)

    def archives(self) -> list[Path]:
        return list_archives(self.paths)

    def archive(self, step: str, reason: str, notebook: bool = True) -> Path | None:
        return archive_step(self.paths, self.params.name, step, reason, notebook)

    # -- status ------------------------------------------------------------------------
    def status(self, step: str) -> StepStatus:
        """Where ``step`` stands; ``why`` names what changed since it ran."""
        get_step(step)
        if step in self.reused:
            owner = self.owner(step)
            inner = owner.status(step)
            why = [f"from run {owner.params.name!r} ({owner.params_path})"]
            if inner.state != "done":
                why.append(f"that run's step is {inner.state}: run brings it up to date first")
            return StepStatus(step, "reused", why, inner.fingerprint, inner.finished,
                              inner.seconds, inner.library_changed, owner.params.name)
        current = self.fingerprint(step)
        rec = self.read_record(step)
        last = self.paths.checkpoint(step, "last")
        if rec is None and last.exists() and (why := checkpoint_problem(last)):
            return StepStatus(step, "broken", [f"{step}/last.pt cannot be read ({why}): run "
                                               "sets it aside and starts the step over"], current)
        if rec is None:
            return StepStatus(step, "never", self._partial(step), current)
        done = StepStatus(step, "done", [], current, rec.get("finished"), rec.get("seconds"),
                          changed_files(rec.get("library")))
        if broken := unreadable(self.dir, step):
            done.state, done.why = "broken", [*broken, "run sets the step's files aside and "
                                                       "redoes it"]
            return done
        if rec.get("fingerprint") != current:
            done.state = "stale"
            done.why = (describe_changes(rec["parts"], self.fingerprint_parts(step))
                        if "parts" in rec else ["recorded by an older version of the kit"])
            if step == "extract":
                done.why = [w for w in done.why if not w.startswith("data")]
                done.why += self._data_changes()
        missing = [o for o in get_step(step).outputs if not (self.dir / o).exists()]
        found = [f"outputs missing: {', '.join(missing)}"] if missing else problems(
            self.dir, step, rec)
        if found:
            done.state = "stale"
            done.why += found
        return done

    def _partial(self, step: str) -> list[str]:
        """What an interrupted training step left, and whether ``run`` resumes it."""
        last = self.paths.checkpoint(step, "last")
        if not last.exists():
            return []
        from ..models.checkpoint import load_checkpoint  # torch: only for a checkpoint to read

        fp = load_checkpoint(last).get("fingerprint")
        if isinstance(fp, dict) and fp.get("fingerprint") == self.fingerprint(step):
            return [f"interrupted: run resumes it from {step}/last.pt"]
        return [f"interrupted: {step}/last.pt is from other settings; run starts over"]

    def _data_changes(self) -> list[str]:
        """Per role: clips added, removed, changed, relabelled or moved since extraction."""
        from ..features.layout import read_index
        from ..features.plan import compare_clips

        out = []
        for role in self.dataset_roles():
            diff = compare_clips(read_index(self.features_dir(role)), self.clip_table(role))
            said = ", ".join(f"{n} {what}" for what, n in diff.items() if n)
            if said:
                out.append(f"data [{role}]: clips {said}")
        return out

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
