"""``vqvae-kit report``: runs side by side, beside the paper, and the paper's claims."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vqvae_lib.analysis.tables import mel_stats_standing, standing_lines
from vqvae_lib.cli import main
from vqvae_lib.evaluation.metrics import METRIC_KEYS

# The test clips of the fake runs: 400 clips, 4 tags, their ids in file order.
LABELS = np.random.default_rng(0).random((400, 4)) < 0.2
CLIP_IDS = [f"clip{i:03d}" for i in range(len(LABELS))]


def separated(separation: float, seed: int) -> np.ndarray:
    """float32 ``[400, 4]`` scores of the fake runs: noise, positives shifted up."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=LABELS.shape) + separation * LABELS).astype(np.float32)


def fake_run(root: Path, name: str, vqvae: str, classifier: str, encoder: str,
             roc: float, mel_stats_roc: float | None = None,
             scores: np.ndarray | None = None) -> Path:
    """A finished run folder as 05_evaluate leaves it (params.json and metrics.json), its
    mel_stats baseline at ``mel_stats_roc`` (None: a metrics.json from before baselines),
    with its test predictions ``scores`` when given (as 04_tag leaves them)."""
    folder = root / name
    folder.mkdir(parents=True)
    if scores is not None:
        np.save(folder / "groundtruth_test.npy", LABELS)
        np.save(folder / "predictions_test.npy", scores)
        (folder / "clip_ids_test.txt").write_text("\n".join(CLIP_IDS) + "\n")
    params = {"name": name, "vqvae": {"kind": vqvae},
              "tag": {"encoder": encoder, "tagger": {"classifier": classifier}}}
    scores = {k: 0.5 for k in METRIC_KEYS} | {"roc_auc_macro": roc}
    (folder / "params.json").write_text(json.dumps(params))
    record = {"validation": scores, "test": scores}
    if mel_stats_roc is not None:
        base = {k: 0.5 for k in METRIC_KEYS} | {"roc_auc_macro": mel_stats_roc}
        record["baselines"] = {"mel_stats": {"validation": base, "test": base},
                               "popularity": {"labels_from": "train", "validation": scores,
                                              "test": {k: 0.5 for k in METRIC_KEYS}}}
    (folder / "metrics.json").write_text(json.dumps(record))
    return folder


def test_report_sets_runs_beside_the_paper_and_checks_the_claims(tmp_path, capsys):
    strong = separated(1.2, seed=2)
    runs = [fake_run(tmp_path, "r1", "type1", "gru", "finetune", 0.80, mel_stats_roc=0.88,
                     scores=separated(0.6, seed=1)),
            fake_run(tmp_path, "r2", "type1", "gru", "fixed", 0.85, mel_stats_roc=0.88,
                     scores=strong),
            fake_run(tmp_path, "r3", "type1", "cnn", "finetune", 0.78,
                     scores=separated(0.0, seed=3)),
            fake_run(tmp_path, "r4", "type1", "cnn", "fixed", 0.90, mel_stats_roc=0.88,
                     scores=strong)]
    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out), "--resamples", "300"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "runs.tsv", sep="\t")
    assert list(table["run"]) == ["r1", "r2", "r3", "r4"]
    assert list(table["paper_run"]) == ["Run-1", "Run-2", "Run-3", "Run-4"]
    report = json.loads((out / "report.json").read_text())
    claims = {c["claim"]: c for c in report["claims"]}
    assert {k: c["verdict"] for k, c in claims.items()} == {
        "fixed encoder beats finetuned (GRU)": "holds",
        "fixed encoder beats finetuned (CNN)": "holds",
        "CNN beats GRU (finetuned)": "reversed",     # r3 ranks at random, r1 does not
        "CNN beats GRU (fixed)": "not significant",  # r4 and r2: the same predictions
        "Type-1 beats Type-2": "untested",
    }
    same = claims["CNN beats GRU (fixed)"]
    assert (same["better"], same["worse"]) == ("r4", "r2")
    assert (same["difference"], same["ci_low"], same["ci_high"]) == (0, 0, 0)
    assert claims["CNN beats GRU (finetuned)"]["ci_high"] < 0
    assert claims["Type-1 beats Type-2"]["why"] == "no pair of runs differs only there"
    assert report["bootstrap"] == {"resamples": 300, "seed": 0, "confidence": 0.95}
    assert (out / "report.png").stat().st_size > 0 and (out / "report.md").exists()
    gru = claims["fixed encoder beats finetuned (GRU)"]
    assert (f"fixed encoder beats finetuned (GRU): holds (r2 vs r1: {gru['difference']:+.4f}, "
            f"95% interval [{gru['ci_low']:+.4f}, {gru['ci_high']:+.4f}])") in printed
    assert "- CNN beats GRU (fixed): **not significant** (r4 vs r2: +0.0000, 95% interval " \
           "[+0.0000, +0.0000])" in (out / "report.md").read_text()
    # Each run beside its own mel_stats baseline; r3's metrics.json predates baselines.
    assert table["mel_stats_roc_auc_macro"].tolist()[:2] == [0.88, 0.88]
    assert table["popularity_roc_auc_macro"].tolist()[:2] == [0.5, 0.5]
    assert report["mel_stats"] == {"below": ["r1", "r2"], "above": ["r4"], "within_noise": [],
                                   "missing": ["r3"]}
    assert "r1: below the mel_stats baseline (0.800 vs 0.880, -0.080)" in printed
    assert "r4: above the mel_stats baseline" in printed
    assert "r3: no mel_stats score" in printed
    assert "below the mel_stats baseline on test ROC-AUC macro: r1, r2" in printed
    assert "below the mel_stats baseline on test ROC-AUC macro: r1, r2" in \
        (out / "report.md").read_text()


def test_a_claim_on_a_run_without_predictions_is_untested(tmp_path, capsys):
    runs = [fake_run(tmp_path, "r1", "type1", "gru", "finetune", 0.80,
                     scores=separated(0.6, seed=1)),
            fake_run(tmp_path, "r2", "type1", "gru", "fixed", 0.85)]
    assert main(["report", *map(str, runs), "--out", str(tmp_path / "report"),
                 "--resamples", "50"]) == 0
    printed = capsys.readouterr().out
    assert (f"fixed encoder beats finetuned: untested ({runs[1]}: no groundtruth_test.npy or "
            "predictions_test.npy") in printed


def test_report_needs_runs_or_official(capsys):
    assert main(["report"]) == 2
    assert "give run folders, or --official" in capsys.readouterr().err


# The paired bootstrap on the official files (200 resamples), and each claim's
# verdict from 1000 resamples with seed 0.
OFFICIAL_CLAIMS = {
    "fixed encoder beats finetuned (GRU)": ("Run-2", "Run-1", 0.0037, (-0.0027, 0.0102),
                                            "not significant"),
    "fixed encoder beats finetuned (CNN)": ("Run-4", "Run-3", 0.0060, (-0.0010, 0.0133),
                                            "not significant"),
    "CNN beats GRU (finetuned)": ("Run-3", "Run-1", 0.0044, (-0.0037, 0.0104),
                                  "not significant"),
    "CNN beats GRU (fixed)": ("Run-4", "Run-2", 0.0067, (0.0010, 0.0130), "holds"),
    "Type-1 beats Type-2": ("Run-1", "Run-5", 0.0187, (0.0118, 0.0248), "holds"),
}


def test_report_on_the_official_files(tmp_path, capsys):
    out = tmp_path / "official"
    assert main(["report", "--official", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    # The five runs, VGG-ish and popularity: each as published in the paper's Table 2.
    table = pd.read_csv(out / "runs.tsv", sep="\t")
    assert list(table["run"]) == ["Run-1", "Run-2", "Run-3", "Run-4", "Run-5",
                                  "VGG-ish baseline", "Popularity baseline"]
    for m in ("roc_auc_macro", "pr_auc_macro", "f1_macro", "f1_micro"):
        assert (table[m].round(4) == table[f"paper_{m}"]).all(), m
    claims = {c["claim"]: c for c in report["claims"]}
    assert list(claims) == list(OFFICIAL_CLAIMS)
    for text, (better, worse, delta, (low, high), said) in OFFICIAL_CLAIMS.items():
        c = claims[text]
        assert (c["better"], c["worse"], c["verdict"]) == (better, worse, said), text
        assert c["difference"] == pytest.approx(delta, abs=1e-4), text
        assert c["ci_low"] == pytest.approx(low, abs=0.002), text
        assert c["ci_high"] == pytest.approx(high, abs=0.002), text
        assert (f"  {text}: {said} ({better} vs {worse}: {c['difference']:+.4f}, 95% interval "
                f"[{c['ci_low']:+.4f}, {c['ci_high']:+.4f}])") in printed
    assert "standing" not in report and (out / "report.png").stat().st_size > 0


def test_a_gap_whose_interval_holds_zero_is_within_noise_in_the_report():
    rows = []
    for name, (low, high) in {"close": (-0.02, +0.03), "ahead": (+0.01, +0.05)}.items():
        rows.append({"run": name, "roc_auc_macro": 0.89, "mel_stats_roc_auc_macro": 0.88,
                     "vs_mel_stats": 0.01, "vs_mel_stats_low": low, "vs_mel_stats_high": high})
    runs = pd.DataFrame(rows)
    assert mel_stats_standing(runs) == {"below": [], "above": ["ahead"],
                                        "within_noise": ["close"], "missing": []}
    lines = standing_lines(runs)
    assert lines[0] == ("close: within noise of the mel_stats baseline (0.890 vs 0.880, +0.010, "
                        "95% interval [-0.020, +0.030])")
    assert lines[1].startswith("ahead: above the mel_stats baseline")


def test_only_runs_on_the_papers_data_are_set_against_the_paper(tmp_path):
    from vqvae_lib.analysis.figure import plot_runs
    from vqvae_lib.analysis.tables import load_run, match_paper, seed_row

    demo = fake_run(tmp_path, "demo", "type1", "cnn", "fixed", 0.89, mel_stats_roc=0.88)
    jamendo = fake_run(tmp_path, "jam", "type1", "cnn", "fixed", 0.71, mel_stats_roc=0.66)
    params = json.loads((jamendo / "params.json").read_text())
    params["data"] = {"tag": {"kind": "jamendo", "split": 0, "subset": "moodtheme"}}
    (jamendo / "params.json").write_text(json.dumps(params))

    table = match_paper(pd.DataFrame([seed_row([load_run(f)]) for f in (demo, jamendo)]))
    assert list(table["paper_run"]) == ["Run-4", "Run-4"]  # the same design, for reading
    assert pd.isna(table.at[0, "paper_roc_auc_macro"])  # not drawn against the paper
    assert table.at[1, "paper_roc_auc_macro"] == pytest.approx(0.7205, abs=1e-3)

    def labels(fig):
        return {t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()}

    assert "paper (MTG-Jamendo)" not in labels(plot_runs(table.iloc[:1]))
    assert "mel_stats baseline" in labels(plot_runs(table.iloc[:1]))
    assert "paper (MTG-Jamendo)" in labels(plot_runs(table))
