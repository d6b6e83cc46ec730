"""Shared fixtures: a tiny project (params/tiny.yaml and the files it extends) whose
features and pretrained VQ-VAE are made once per test session and reused by the
pretraining and tagging tests through ``reuse``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class TinyProject:
    """A temporary copy of ``params/`` with an outputs folder.

    ``run_file(name, text)`` writes a params file that extends ``tiny.yaml`` and reuses
    its extracted features (and, with ``pretrained=True``, its VQ-VAE).
    """

    def __init__(self, root: Path):
        self.params = root / "params"
        shutil.copytree(REPO / "params", self.params)
        self.outputs = root / "outputs"
        self.tiny = self.params / "tiny.yaml"

    def run_file(self, name: str, text: str = "", pretrained: bool = False) -> Path:
        reuse = ("{extract: tiny.yaml, pretrain: tiny.yaml}" if pretrained
                 else "{extract: tiny.yaml}")
        steps = "[tag, evaluate]" if pretrained else "[pretrain]"
        path = self.params / f"{name}.yaml"
        path.write_text(f"extends: tiny.yaml\nname: {name}\nsteps: {steps}\nreuse: {reuse}\n{text}")
        return path

    def run(self, path: Path):
        from vqvae_lib.runs.run import Run

        return Run(path, self.outputs)


@pytest.fixture
def one_thread():
    """One intra-op thread and a fixed seed: small models run faster and reproducibly."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(before)


class Killed(Exception):
    """Stands in for a process killed in the middle of an epoch."""


@pytest.fixture
def killed_after():
    """``killed_after(trainer, n)``: run ``trainer.fit`` until it dies at step ``n + 1``
    (after ``n`` steps), as a killed job would; checkpoints written so far remain."""

    def run(trainer, n: int) -> None:
        step, calls = trainer.step_fn, []

        def dies(batch):
            if len(calls) == n:
                raise Killed
            calls.append(1)
            return step(batch)

        trainer.step_fn = dies
        with pytest.raises(Killed):
            trainer.fit(progress=False)

    return run


@pytest.fixture
def toy_trainer():
    """``toy_trainer(folder, cfg, on_step=None, on_validate=None)``: a ``Trainer`` of a
    linear regression onto a fixed noisy target (64 rows, 4 features; seed 0), for the
    loop's own tests. ``on_step(optimizer)`` runs after each step and
    ``on_validate(model, trainer)`` before each validation."""
    import torch
    from torch.utils.data import TensorDataset

    from vqvae_lib.training.trainer import Trainer

    def make(folder, cfg, on_step=None, on_validate=None):
        torch.manual_seed(0)
        x = torch.randn(64, 4)
        y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.3 * torch.randn(64)
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
        trainer: Trainer

        def step(batch):
            loss = torch.nn.functional.mse_loss(model(batch[0]).squeeze(1), batch[1])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if on_step:
                on_step(opt)
            return {"loss": loss.item()}

        def validate():
            if on_validate:
                on_validate(model, trainer)
            with torch.no_grad():
                return {"val_loss": torch.nn.functional.mse_loss(model(x).squeeze(1), y).item()}

        trainer = Trainer(model=model, optimizer=opt, train_set=TensorDataset(x, y), config=cfg,
                          out_dir=folder, log_path=folder / "log.csv", step_fn=step,
                          validate_fn=validate, monitor="val_loss", mode="min", seed=0,
                          log_fields=["loss", "val_loss"])
        return trainer

    return make


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory) -> TinyProject:
    """Features of the tiny demo set, extracted once (the ``extract`` step of tiny.yaml)."""
    from vqvae_lib.steps.extract import extract_run

    project = TinyProject(tmp_path_factory.mktemp("tiny"))
    run = project.run(project.tiny)
    extract_run(run)
    run.mark_done("extract", 0.0)
    return project


@pytest.fixture(scope="session")
def tiny_pretrained(tiny_project) -> TinyProject:
    """The tiny project with its VQ-VAE pretrained (the ``pretrain`` step of tiny.yaml)."""
    from vqvae_lib.steps.pretrain import pretrain

    run = tiny_project.run(tiny_project.tiny)
    pretrain(run, progress=False)
    run.mark_done("pretrain", 0.0)
    return tiny_project


@pytest.fixture(scope="session")
def tiny_tagged(tiny_pretrained):
    """A tagger trained and evaluated on the shared tiny VQ-VAE (a ``[tag, evaluate]``
    run reusing tiny.yaml's features and pretraining): ``(project, run)``."""
    from vqvae_lib.steps.evaluate import evaluate_run
    from vqvae_lib.steps.tag import train_tagger

    run = tiny_pretrained.run(tiny_pretrained.run_file("learns", pretrained=True))
    train_tagger(run, progress=False)
    run.mark_done("tag", 0.0)
    evaluate_run(run)
    run.mark_done("evaluate", 0.0)
    return tiny_pretrained, run
