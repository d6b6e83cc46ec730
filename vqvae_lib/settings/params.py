"""Run parameters: one YAML file per run in ``params/``, validated into ``RunParams``.

A file may ``extends: other.yaml`` (path relative to itself); mappings merge key by key
and the extending file wins, so run files stay short. Relative paths inside dataset
settings are resolved against the folder of the file that is run.

Every later step reads its settings from here; nothing else holds configuration.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..datasets import DatasetConfig
from ..utils.config import ConfigError, from_dict, to_dict
from .features import FeatureConfig
from .models import VQVAEConfig
from .registry import STEP_NAMES
from .steps import InspectConfig, PretrainConfig, TagConfig

OUTPUTS_ENV = "VQVAE_KIT_OUTPUTS"


@dataclass(frozen=True)
class DataConfig:
    """Which dataset each role uses.

    Args:
        tag: the dataset that is tagged and evaluated (step 2 of the paper).
        pretrain: the dataset the VQ-VAE is pretrained on (step 1; the paper uses the
            Million Song Dataset). Defaults to ``tag``.
    """

    tag: DatasetConfig | None = None
    pretrain: DatasetConfig | None = None

    def __post_init__(self) -> None:
        if self.tag is None and self.pretrain is None:
            raise ValueError("data needs a 'tag' dataset, a 'pretrain' dataset, or both")

    @property
    def pretrain_dataset(self) -> DatasetConfig:
        return self.pretrain if self.pretrain is not None else self.tag  # type: ignore[return-value]


@dataclass(frozen=True)
class RunParams:
    """One run: its name, data, features, model, and the settings of each step.

    Everything the run makes goes under ``<outputs>/<name>/``. ``reuse`` maps a step to
    another params file whose outputs this run reads instead of running the step (runs
    that share one pretrained VQ-VAE, as the paper's Run-1 to Run-4 do).

    ``seeds`` runs the file once per seed, as runs ``<name>-s<seed>`` (``seeds``
    module); ``seed_steps`` says which steps take the seed, the others are shared.
    ``seed_of`` marks the params file of one such run, written by the kit: it names the
    file it is a seed of, whose folder relative paths resolve against.
    """

    name: str
    data: DataConfig
    description: str = ""
    seed: int = 0
    seeds: list[int] = field(default_factory=list)
    seed_steps: list[Literal["pretrain", "tag"]] = field(default_factory=lambda: ["tag"])
    seed_of: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None
    steps: list[str] = field(default_factory=lambda: list(STEP_NAMES))
    reuse: dict[str, str] = field(default_factory=dict)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    vqvae: VQVAEConfig = field(default_factory=VQVAEConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    inspect: InspectConfig = field(default_factory=InspectConfig)
    tag: TagConfig = field(default_factory=TagConfig)

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "/\\ ") or self.name.startswith("."):
            raise ValueError(f"name {self.name!r} must be a plain folder name (no '/', spaces)")
        for s in list(self.steps) + list(self.reuse):
            if s not in STEP_NAMES:
                raise ValueError(f"unknown step {s!r} (steps are: {', '.join(STEP_NAMES)})")
        if any(s in self.steps and s in self.reuse for s in STEP_NAMES):
            both = [s for s in STEP_NAMES if s in self.steps and s in self.reuse]
            raise ValueError(f"step {both[0]!r} is both run here and reused; drop it from 'steps'")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1 (or null: every core), got "
                             f"{self.threads}")
        if len(set(self.seeds)) != len(self.seeds) or any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds {self.seeds}: expected distinct seeds, 0 or more")
        if not self.seed_steps:
            raise ValueError("seed_steps is empty: name the steps that take the seed "
                             "(pretrain, tag)")
        if self.seed_of and self.seeds:
            raise ValueError("a seed run (seed_of is set) cannot have seeds of its own")
        if "tag" in self.steps and self.data.tag is None:
            raise ValueError("steps include 'tag' but data.tag is not set")
        for section in ("pretrain", "tag"):
            crop = getattr(self, section).crop_frames
            if crop is not None and crop > self.features.frames:
                raise ValueError(f"{section}.crop_frames {crop} is longer than the stored "
                                 f"clips (features.frames {self.features.frames})")


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping (plain YAML
    keeps the last one and silently drops the first, a whole ``tag:`` block included)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice, on lines {seen[key]} and {line}; "
                    "keep one (mappings are merged key by key, not block by block)",
                    key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _no_null_sections(base: dict, over: dict, where: Path, path: tuple[str, ...] = ()) -> None:
    """A settings section (a mapping in the file it extends) set to null would silently
    reset it to the kit's defaults: refuse it, naming the key."""
    for k, v in over.items():
        key = path + (k,)
        if v is None and isinstance(base.get(k), dict) and key[0] != "data":
            raise ConfigError(f"{where}: {'.'.join(key)}: null would reset the whole section "
                              "to the kit's defaults; remove the line, or set the keys that "
                              "should change")
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _no_null_sections(base[k], v, where, key)


def _merge(base: dict, over: dict, path: tuple[str, ...] = ()) -> dict:
    # A dataset mapping that names another ``kind`` (a manifest instead of the demo set)
    # replaces the base's: the keys of one dataset kind mean nothing to another. Other
    # mappings with a ``kind`` (``vqvae``: type1/type2) merge key by key as usual.
    if (len(path) == 2 and path[0] == "data" and "kind" in over and "kind" in base
            and over["kind"] != base["kind"]):
        return dict(over)
    # Likewise a tagger of another ``classifier``: a GRU's sizes mean nothing to the CNN.
    # (A base in the flat ``gru_*``/``cnn_*`` spelling of older versions merges as it
    # always did; ``TagConfig.upgrade_keys`` then picks the chosen classifier's keys.)
    if (path == ("tag", "tagger") and "classifier" in over and "classifier" in base
            and over["classifier"] != base["classifier"]
            and not any(k.startswith(("gru_", "cnn_")) for k in base)):
        return dict(over)
    out = dict(base)
    for k, v in over.items():
        out[k] = (_merge(out[k], v, path + (k,))
                  if isinstance(v, dict) and isinstance(out.get(k), dict) else v)
    return out


def _read_yaml(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in chain:
        raise ConfigError(f"{path}: 'extends' loops back to itself via {chain[-1]}")
    if not path.is_file():
        where = f" (extended by {chain[-1]})" if chain else ""
        raise ConfigError(f"{path}: params file not found{where}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: expected a file path, got {parent!r}")
    base = _read_yaml((path.parent / parent).resolve(), chain + (path,))
    _no_null_sections(base, data, path)
    return _merge(base, data)


def resolve_params_path(path: str | os.PathLike) -> Path:
    """Find a params file given as absolute, relative to the current folder, or relative
    to a parent folder (notebooks run with the ``notebooks/`` folder as current folder)."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    for folder in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (folder / p).is_file():
            return (folder / p).resolve()
    return (Path.cwd() / p).resolve()


def load_params(path: str | os.PathLike) -> RunParams:
    """Read, merge (``extends``) and validate a params file.

    Raises:
        ConfigError: naming the file and the key that is unknown, missing or invalid.
    """
    path = resolve_params_path(path)
    data = _read_yaml(path)
    try:
        return from_dict(RunParams, data, where="")
    except ConfigError as exc:
        holder = _file_holding(path, exc.key) if exc.key else path
        raise ConfigError(f"{holder}: {exc}") from None


def _file_holding(path: Path, key: str) -> Path:
    """The file of ``path``'s ``extends`` chain that writes the dotted ``key`` (the run
    file itself when none does, or when the chain cannot be read)."""
    current: Path | None = path
    while current is not None and current.is_file():
        try:
            data = yaml.load(current.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
        except yaml.YAMLError:
            break
        node: Any = data
        for part in key.split("."):
            if not (isinstance(node, dict) and part in node):
                break
            node = node[part]
        else:
            return current
        parent = data.get("extends") if isinstance(data, dict) else None
        current = (current.parent / parent).resolve() if isinstance(parent, str) else None
    return path


def default_outputs_root(params_path: Path) -> Path:
    """``$VQVAE_KIT_OUTPUTS`` if set, else the ``outputs/`` folder beside the ``params/``
    folder holding the file, else ``./outputs``."""
    env = os.environ.get(OUTPUTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for folder in params_path.resolve().parents:
        if folder.name == "params":
            return folder.parent / "outputs"
    return Path.cwd() / "outputs"


def default_runs_root() -> Path:
    """Where ``vqvae-kit runs`` looks without ``--outputs``, as ``run`` writes by default:
    ``$VQVAE_KIT_OUTPUTS`` if set; else ``./outputs``; else the ``outputs/`` beside the
    ``params/`` folder of this folder or a parent, or of the kit's own checkout."""
    env = os.environ.get(OUTPUTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd()
    if (here / "outputs").is_dir():
        return here / "outputs"
    for folder in (*here.parents, Path(__file__).resolve().parents[2]):
        if (folder / "params").is_dir() and (folder / "outputs").is_dir():
            return folder / "outputs"
    return here / "outputs"


def run_location(params_path: Path, params: RunParams, outputs_root: str | os.PathLike | None = None
                 ) -> tuple[Path, Path]:
    """Where a run lives: ``(base_dir, outputs_root)``. ``base_dir`` is the folder that
    relative paths in the params resolve against; the run folder is
    ``outputs_root / params.name``.

    A seed run's file lives in its run folder (``runs.seeds``) but stands for the file it
    is a seed of: its relative paths resolve against that file's folder, and its outputs
    root is the folder holding its run folder.
    """
    seed_of = params.seed_of
    base_dir = (params_path.parent / seed_of).resolve().parent if seed_of else params_path.parent
    if outputs_root:
        return base_dir, Path(outputs_root).expanduser().resolve()
    return base_dir, (params_path.parent.parent if seed_of else default_outputs_root(params_path))


def run_dir(params_path: str | os.PathLike, outputs_root: str | os.PathLike | None = None) -> Path:
    """The run folder of a params file (no run machinery: nothing is read but the file)."""
    path = resolve_params_path(params_path)
    params = load_params(path)
    return run_location(path, params, outputs_root)[1] / params.name


def find_run_folder(run: str | os.PathLike, outputs_root: str | os.PathLike | None = None
                    ) -> Path | None:
    """The folder of ``run``, given as a run folder itself or as the params file (``.yaml``)
    of a run; None when it is neither."""
    path = Path(run).expanduser()
    if path.is_dir():
        return path
    params = resolve_params_path(path)
    if params.is_file() and params.suffix in (".yaml", ".yml"):
        return run_dir(params, outputs_root)
    return None


def claim_run_folder(params_path: Path, name: str, record: Path) -> None:
    """One params file, one run folder: refuse ``params_path`` when the run folder's
    ``params.json`` (``record``) says another params file, which still exists, made it.

    Raises:
        ConfigError: naming both files, and saying to set a different ``name``.
    """
    try:
        owner = json.loads(record.read_text()).get("params_file")
    except (OSError, json.JSONDecodeError, AttributeError):
        return
    if owner and Path(owner) != params_path and Path(owner).is_file():
        raise ConfigError(
            f"{params_path}: its run folder {record.parent} is the run of {owner}, which has "
            f"the same name {name!r}; set a different 'name:' in {params_path.name} (one "
            "params file, one run folder)")


def params_to_dict(params: RunParams) -> dict[str, Any]:
    """Plain data for JSON, YAML and checkpoints."""
    return to_dict(params)
