"""The step registry and the run layout: which steps there are, and every file a run writes.

Imports nothing from the package, so the params loader, the run machinery, the analyses
and the command line all read the same names without loading torch. ``STEPS`` lists the
pipeline in order; ``RunPaths`` names each file of a run folder ``<outputs>/<run>/``;
a step's ``outputs`` and ``files`` are spelled with ``RunPaths``' names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

SPLITS = ("train", "validation", "test")
EVAL_SPLITS = ("validation", "test")


@dataclass(frozen=True)
class RunPaths:
    """Every file a run writes, as paths under ``root`` (the run folder).

    The class attributes are the names relative to the run folder; the methods and
    properties join them to ``root``.
    """

    root: Path

    PARAMS: ClassVar[str] = "params.json"
    RECORDS: ClassVar[str] = ".steps"
    LOCK: ClassVar[str] = ".lock"
    PREVIOUS: ClassVar[str] = "previous"
    DATA: ClassVar[str] = "data"
    FEATURES: ClassVar[str] = "features"
    FIGURES: ClassVar[str] = "figures"
    AUDIO: ClassVar[str] = "audio"
    PRETRAIN_DIR: ClassVar[str] = "pretrain"
    TAG_DIR: ClassVar[str] = "tag"
    BEST: ClassVar[str] = "best.pt"
    LAST: ClassVar[str] = "last.pt"
    PRETRAIN_LOG: ClassVar[str] = "pretrain_log.csv"
    TAG_LOG: ClassVar[str] = "tag_log.csv"
    INSPECT: ClassVar[str] = "inspect.json"
    EXPLORER: ClassVar[str] = "explorer.npz"
    TAGS: ClassVar[str] = "tags.txt"
    METRICS: ClassVar[str] = "metrics.json"
    PER_TAG: ClassVar[str] = "per_tag.tsv"
    DECISIONS: ClassVar[str] = "decisions_test.npy"
    PREDICTIONS: ClassVar[str] = "predictions_{split}.npy"
    GROUNDTRUTH: ClassVar[str] = "groundtruth_{split}.npy"
    CLIP_IDS: ClassVar[str] = "clip_ids_{split}.txt"

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # -- names relative to the run folder (for the registry and messages) --------------
    @classmethod
    def checkpoint_name(cls, step: str, which: str = "best") -> str:
        """``pretrain/best.pt``, ``tag/last.pt``, ..."""
        return f"{step}/{cls.BEST if which == 'best' else cls.LAST}"

    @classmethod
    def figure_name(cls, stem: str) -> str:
        """``figures/<stem>.png`` (globs allowed in ``stem``)."""
        return f"{cls.FIGURES}/{stem}.png"

    @classmethod
    def split_name(cls, pattern: str, split: str) -> str:
        """One of ``PREDICTIONS``, ``GROUNDTRUTH``, ``CLIP_IDS`` for ``split`` (or ``*``)."""
        return pattern.format(split=split)

    # -- paths -------------------------------------------------------------------------
    def __truediv__(self, name: str) -> Path:
        return self.root / name

    @property
    def params(self) -> Path:
        return self.root / self.PARAMS

    @property
    def records(self) -> Path:
        return self.root / self.RECORDS

    def record(self, step: str) -> Path:
        """``.steps/<step>.json``: the record of the step's last finished run."""
        return self.records / f"{step}.json"

    @property
    def previous(self) -> Path:
        return self.root / self.PREVIOUS

    @property
    def data(self) -> Path:
        """Data the kit makes for the run (the demo audio)."""
        return self.root / self.DATA

    @property
    def features(self) -> Path:
        return self.root / self.FEATURES

    @property
    def figures(self) -> Path:
        return self.root / self.FIGURES

    def figure(self, stem: str) -> Path:
        return self.root / self.figure_name(stem)

    @property
    def audio(self) -> Path:
        return self.root / self.AUDIO

    def step_dir(self, step: str) -> Path:
        """Checkpoint folder of a training step (``pretrain/`` or ``tag/``)."""
        return self.root / step

    def checkpoint(self, step: str, which: str = "best") -> Path:
        return self.root / self.checkpoint_name(step, which)

    def log(self, step: str) -> Path:
        """The training log of ``pretrain`` or ``tag`` (CSV, a row per step and epoch)."""
        return self.root / (self.PRETRAIN_LOG if step == "pretrain" else self.TAG_LOG)

    @property
    def inspect(self) -> Path:
        return self.root / self.INSPECT

    @property
    def explorer(self) -> Path:
        """The explorer's cache: every clip's codes, made on first use (``explore``)."""
        return self.root / self.EXPLORER

    @property
    def tags(self) -> Path:
        return self.root / self.TAGS

    @property
    def metrics(self) -> Path:
        return self.root / self.METRICS

    @property
    def per_tag(self) -> Path:
        return self.root / self.PER_TAG

    @property
    def decisions(self) -> Path:
        return self.root / self.DECISIONS

    def predictions(self, split: str) -> Path:
        return self.root / self.split_name(self.PREDICTIONS, split)

    def groundtruth(self, split: str) -> Path:
        return self.root / self.split_name(self.GROUNDTRUTH, split)

    def clip_ids(self, split: str) -> Path:
        return self.root / self.split_name(self.CLIP_IDS, split)


@dataclass(frozen=True)
class Step:
    """One pipeline step.

    Args:
        name: the step's name in params files and on the command line.
        notebook: file name in ``notebooks/``.
        needs: steps whose outputs this one reads.
        config_keys: ``RunParams`` sections that decide this step's result (its fingerprint).
        outputs: files or folders, relative to the run folder, that exist once it is done.
        files: everything the step writes (glob patterns allowed): what moves to
            ``previous/`` when the step runs again from scratch.
        products: the files later steps read (glob patterns allowed). Their hashes go in
            the step's record, and into the fingerprints of the steps that read them, so
            that redoing a step makes everything downstream stale.
    """

    name: str
    notebook: str
    needs: tuple[str, ...]
    config_keys: tuple[str, ...]
    outputs: tuple[str, ...]
    files: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


_P = RunPaths
STEPS: tuple[Step, ...] = (
    Step("extract", "01_extract.ipynb", (), ("data", "features"), (_P.FEATURES,),
         (_P.FEATURES, _P.figure_name("tag_frequency"), _P.figure_name("mels")),
         (f"{_P.FEATURES}/*/checksums.json",)),
    Step("pretrain", "02_pretrain.ipynb", ("extract",), ("seed", "vqvae", "pretrain"),
         (_P.checkpoint_name("pretrain"), _P.PRETRAIN_LOG),
         (_P.PRETRAIN_DIR, _P.PRETRAIN_LOG, _P.figure_name("pretrain_*")),
         (_P.checkpoint_name("pretrain"),)),
    Step("reconstruct_visualize", "03_reconstruct_visualize.ipynb", ("extract", "pretrain"),
         ("inspect",), (_P.INSPECT, _P.FIGURES),
         (_P.INSPECT, _P.AUDIO, _P.figure_name("reconstructions"), _P.figure_name("recon_error"),
          _P.figure_name("codebook_*"), _P.figure_name("code_map"),
          _P.figure_name("code_tag_lift")),
         (_P.INSPECT,)),
    Step("tag", "04_tag.ipynb", ("extract", "pretrain"), ("seed", "tag"),
         (_P.split_name(_P.PREDICTIONS, "validation"), _P.split_name(_P.PREDICTIONS, "test"),
          _P.TAGS, _P.split_name(_P.CLIP_IDS, "validation"), _P.split_name(_P.CLIP_IDS, "test"),
          _P.checkpoint_name("tag")),
         (_P.TAG_DIR, _P.TAG_LOG, _P.split_name(_P.PREDICTIONS, "*"),
          _P.split_name(_P.GROUNDTRUTH, "*"), _P.split_name(_P.CLIP_IDS, "*"), _P.TAGS,
          _P.figure_name("tag_curves")),
         (_P.checkpoint_name("tag"), _P.split_name(_P.PREDICTIONS, "*"),
          _P.split_name(_P.GROUNDTRUTH, "*"), _P.split_name(_P.CLIP_IDS, "*"), _P.TAGS)),
    Step("evaluate", "05_evaluate.ipynb", ("tag",), (), (_P.METRICS, _P.PER_TAG),
         (_P.METRICS, _P.PER_TAG, _P.DECISIONS, _P.figure_name("per_tag"),
          _P.figure_name("pr_curves")),
         (_P.METRICS, _P.PER_TAG, _P.DECISIONS)),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)
STEP_BY_NAME = {s.name: s for s in STEPS}
# Which feature role a step reads, and whether it reads the labels: pretraining sees only
# the audio, so relabelling clips leaves a pretrained VQ-VAE valid.
READS_FEATURES = {"pretrain": ("pretrain", False), "reconstruct_visualize": ("pretrain", True),
                  "tag": ("tag", True)}
STATES = ("done", "stale", "never", "broken", "reused")


def get_step(name: str) -> Step:
    try:
        return STEP_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown step {name!r} (steps are: {', '.join(STEP_NAMES)})") from None
