"""Seeds: a params file run once per seed as runs ``<name>-s<seed>``, sharing the steps
that do not take the seed, and reported as one row with the spread over seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from vqvae_lib.analysis.seed_runs import seed_groups
from vqvae_lib.cli import main
from vqvae_lib.evaluation.metrics import METRIC_KEYS
from vqvae_lib.runs.run import Run
from vqvae_lib.runs.seeds import per_seed_steps, write_seed_runs
from vqvae_lib.utils.config import ConfigError

# A quick tagger on the shared tiny VQ-VAE: the seeds' files reuse tiny.yaml through it.
QUICK = ("seeds: [0, 1]\nthreads: 1\n"
         "tag: {epochs: 1, patience: 1, amp: off, checkpoint_every: 0}\n")


def test_the_seed_reaches_the_named_steps_and_what_reads_them():
    assert per_seed_steps(["tag"]) == ("tag", "evaluate")
    assert per_seed_steps(["pretrain", "tag"]) == ("pretrain", "reconstruct_visualize", "tag",
                                                   "evaluate")


def test_seed_runs_share_extraction_and_pretraining_unless_seeded(tiny_pretrained):
    project = tiny_pretrained
    base = project.run(project.tiny)
    s0, s1 = (Run(p, project.outputs) for p in write_seed_runs(project.tiny, [0, 1],
                                                                  project.outputs))
    assert [r.params.name for r in (s0, s1)] == ["tiny-s0", "tiny-s1"]
    assert [r.params.seed for r in (s0, s1)] == [0, 1]
    assert s0.dir == project.outputs / "tiny-s0" and s0.params.steps == ["tag", "evaluate"]
    for run in (s0, s1):
        # One extraction and one pretraining, the file's own run's: a new seed does not
        # make the shared VQ-VAE stale.
        for step in ("extract", "pretrain", "reconstruct_visualize"):
            assert run.owner(step).dir == base.dir
        assert run.features_dir("tag") == base.features_dir("tag")
        assert run.is_done("pretrain") and run.status("pretrain").state == "reused"
    assert s0.fingerprint("tag") != s1.fingerprint("tag")

    # seed_steps: [pretrain, tag]: each seed pretrains its own VQ-VAE, on the same features.
    path = project.params / "perseed.yaml"
    path.write_text("extends: tiny.yaml\nname: perseed\nsteps: [pretrain, tag, evaluate]\n"
                    "reuse: {extract: tiny.yaml}\nseed_steps: [pretrain, tag]\n")
    p0, p1 = (Run(p, project.outputs) for p in write_seed_runs(path, [0, 1], project.outputs))
    assert p0.params.steps == ["pretrain", "tag", "evaluate"]
    assert p0.owner("extract").dir == p1.owner("extract").dir == base.dir
    assert (p0.owner("pretrain").dir, p1.owner("pretrain").dir) == (p0.dir, p1.dir)
    assert p0.fingerprint("pretrain") != p1.fingerprint("pretrain")
    assert p0.status("pretrain").state == "never"


def test_run_seeds_through_the_runner_reuses_the_shared_steps(tiny_pretrained, capsys):
    project = tiny_pretrained
    code = main(["run", str(project.tiny), "--seeds", "2", "--to", "pretrain",
                 "--outputs", str(project.outputs)])
    out = capsys.readouterr().out
    assert code == 0, out
    # Extraction and pretraining are the tiny run's, up to date: no notebook ran.
    assert "> " not in out
    assert out.count("= extract: up to date") >= 1
    assert out.count("= pretrain: reused from run 'tiny'") == 2
    for seed in (0, 1):
        recorded = json.loads((project.outputs / f"tiny-s{seed}" / "params.json").read_text())
        assert (recorded["name"], recorded["seed"]) == (f"tiny-s{seed}", seed)
        assert recorded["seed_of"] == str(project.tiny)
        assert not (project.outputs / f"tiny-s{seed}" / "01_extract.ipynb").exists()
    assert "vqvae-kit report" in out


def test_seeded_taggers_differ_and_report_as_one_row(tiny_pretrained, capsys):
    from vqvae_lib.steps.evaluate import evaluate_run
    from vqvae_lib.steps.tag import train_tagger

    project = tiny_pretrained
    path = project.run_file("quick", QUICK, pretrained=True)
    runs = [Run(p, project.outputs) for p in write_seed_runs(path, [0, 1], project.outputs)]
    for run in runs:
        # The seed's own extraction and VQ-VAE are tiny.yaml's, through quick.yaml.
        assert run.owner("pretrain").params.name == "tiny" and run.is_done("pretrain")
        train_tagger(run, progress=False)
        run.mark_done("tag", 0.0)
        evaluate_run(run)
        run.mark_done("evaluate", 0.0)
        run.write_params()
    first, second = (np.load(r.dir / "predictions_test.npy") for r in runs)
    assert first.shape == second.shape and not np.allclose(first, second)

    out = project.outputs / "quick-report"
    assert main(["report", *(str(r.dir) for r in runs), "--out", str(out),
                 "--resamples", "50"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "runs.tsv", sep="\t")
    assert list(table["run"]) == ["quick"] and table.at[0, "seeds"] == 2
    scores = [json.loads((r.dir / "metrics.json").read_text())["test"]["roc_auc_macro"]
              for r in runs]
    assert table.at[0, "roc_auc_macro"] == pytest.approx(np.mean(scores))
    assert table.at[0, "roc_auc_macro_std"] == pytest.approx(np.std(scores, ddof=1))
    shown = f"{np.mean(scores):.4f} ± {np.std(scores, ddof=1):.4f}"
    assert shown in (out / "report.md").read_text() and shown in printed
    report = json.loads((out / "report.json").read_text())
    assert report["seed_runs"] == {"quick": ["quick-s0", "quick-s1"]}


# -- report on seed runs, from fake run folders ----------------------------------------
LABELS = np.random.default_rng(0).random((300, 3)) < 0.25
CLIP_IDS = [f"clip{i:03d}" for i in range(len(LABELS))]


def fake_seed_run(root: Path, name: str, seed: int, encoder: str, separation: float,
                  order: np.ndarray | None = None) -> Path:
    """A seed run's folder as 04 and 05 leave it, its test rows in ``order``."""
    folder = root / f"{name}-s{seed}"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(100 + seed + 10 * len(name))
    scores = rng.normal(size=LABELS.shape) + separation * LABELS
    order = np.arange(len(LABELS)) if order is None else order
    np.save(folder / "groundtruth_test.npy", LABELS[order])
    np.save(folder / "predictions_test.npy", scores[order].astype(np.float32))
    (folder / "clip_ids_test.txt").write_text("\n".join(CLIP_IDS[i] for i in order) + "\n")
    params = {"name": folder.name, "seed": seed, "seed_of": f"params/{name}.yaml",
              "vqvae": {"kind": "type1"},
              "tag": {"encoder": encoder, "tagger": {"classifier": "gru"}}}
    (folder / "params.json").write_text(json.dumps(params))
    roc = roc_auc_score(LABELS, scores, average="macro")
    test = {k: 0.5 for k in METRIC_KEYS} | {"roc_auc_macro": roc}
    (folder / "metrics.json").write_text(json.dumps({"validation": test, "test": test}))
    return folder


def test_claims_on_seed_runs_bootstrap_the_mean_over_seeds(tmp_path, capsys):
    shuffled = np.random.default_rng(5).permutation(len(LABELS))
    folders = [fake_seed_run(tmp_path, "fine", 0, "finetune", 0.5),
               fake_seed_run(tmp_path, "fine", 1, "finetune", 0.5, order=shuffled),
               fake_seed_run(tmp_path, "fixed", 0, "fixed", 1.5),
               fake_seed_run(tmp_path, "fixed", 1, "fixed", 1.5),
               fake_seed_run(tmp_path, "fixed", 2, "fixed", 1.5)]
    assert [(n, [f.name for f in fs]) for n, fs in seed_groups(folders)] == [
        ("fine", ["fine-s0", "fine-s1"]), ("fixed", ["fixed-s0", "fixed-s1", "fixed-s2"])]
    out = tmp_path / "report"
    assert main(["report", *map(str, folders), "--out", str(out), "--resamples", "100"]) == 0
    table = pd.read_csv(out / "runs.tsv", sep="\t")
    assert list(table["run"]) == ["fine", "fixed"] and list(table["seeds"]) == [2, 3]
    (claim,) = [c for c in json.loads((out / "report.json").read_text())["claims"]
                if c["verdict"] != "untested"]
    assert (claim["better"], claim["worse"], claim["verdict"]) == ("fixed", "fine", "holds")
    # The claim compares the means the table shows (each seed scored on its own rows,
    # the shuffled seed included), with the interval of that mean's difference.
    assert claim["better_score"] == pytest.approx(table.at[1, "roc_auc_macro"])
    assert claim["worse_score"] == pytest.approx(table.at[0, "roc_auc_macro"])
    assert claim["ci_low"] <= claim["difference"] <= claim["ci_high"]
    assert claim["paired"] == ("300 clips paired by clip id; each score the mean over its "
                               "run's seeds (3 and 2)")
    # Resample by resample: the same clips for every seed of both runs.
    from vqvae_lib.evaluation.ranking import weighted_ranking_metrics
    from vqvae_lib.evaluation.stats import resample_weights

    weights = resample_weights(len(LABELS), 100, seed=0)

    def resampled_mean(group: list[Path]) -> np.ndarray:
        each = []
        for f in group:
            order = np.argsort((f / "clip_ids_test.txt").read_text().split())
            each.append(weighted_ranking_metrics(
                LABELS, np.load(f / "predictions_test.npy")[order], weights,
                ("roc_auc_macro",))["roc_auc_macro"])
        return np.mean(each, axis=0)

    diff = resampled_mean(folders[2:]) - resampled_mean(folders[:2])
    assert (claim["ci_low"], claim["ci_high"]) == pytest.approx(
        tuple(np.percentile(diff, [2.5, 97.5])))

    # One seed given twice is refused, naming both folders.
    twice = tmp_path / "again" / "fine-s0"
    twice.parent.mkdir()
    fake_seed_run(twice.parent, "fine", 0, "finetune", 0.5)
    with pytest.raises(ConfigError, match="both seed 0 of"):
        seed_groups([folders[0], twice])


def test_seed_settings_are_checked_with_the_key_named(tiny_project, tmp_path, capsys):
    params = tiny_project.params
    bad = params / "badseeds.yaml"
    bad.write_text("extends: tiny.yaml\nname: badseeds\nseed_steps: [extract]\n")
    assert main(["run", str(bad), "--seeds", "2", "--outputs", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "seed_steps[0]: got 'extract', expected one of 'pretrain', 'tag'" in err

    assert main(["run", str(params / "tiny.yaml"), "--seeds", "0"]) == 2
    assert "--seeds 0: expected 1 or more" in capsys.readouterr().err

    bad.write_text("extends: tiny.yaml\nname: badseeds\nseeds: [1, 1]\n")
    assert main(["run", str(bad), "--outputs", str(tmp_path)]) == 2
    assert "seeds [1, 1]: expected distinct seeds" in capsys.readouterr().err

    # A file that runs no step that takes the seed: every seed would be the same run.
    pretrain_only = params / "demo" / "pretrain_type1.yaml"
    assert main(["run", str(pretrain_only), "--seeds", "2", "--outputs", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "none of this file's steps" in err and "seed_steps" in err

    # The seed cannot reach a step the file reuses from a run of one seed.
    seeded = params / "demo" / "run1-seeded.yaml"
    seeded.write_text("extends: run1.yaml\nseed_steps: [pretrain, tag]\n")
    with pytest.raises(ConfigError, match="'pretrain' takes the seed, but this file reuses"):
        write_seed_runs(seeded, [0], tmp_path)
