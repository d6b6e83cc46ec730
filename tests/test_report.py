"""``vqvae-kit report``: runs side by side, beside the paper, and the paper's claims."""

import json
from pathlib import Path

import pandas as pd

from vqvae_lib.cli import main
from vqvae_lib.metrics import METRIC_KEYS


def fake_run(root: Path, name: str, vqvae: str, classifier: str, encoder: str,
             roc: float, mel_stats_roc: float | None = None) -> Path:
    """A finished run folder as 05_evaluate leaves it (params.json and metrics.json), its
    mel_stats baseline at ``mel_stats_roc`` (None: a metrics.json from before baselines)."""
    folder = root / name
    folder.mkdir(parents=True)
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
    runs = [fake_run(tmp_path, "r1", "type1", "gru", "finetune", 0.80, mel_stats_roc=0.88),
            fake_run(tmp_path, "r2", "type1", "gru", "fixed", 0.85, mel_stats_roc=0.88),
            fake_run(tmp_path, "r3", "type1", "cnn", "finetune", 0.78),
            fake_run(tmp_path, "r4", "type1", "cnn", "fixed", 0.90, mel_stats_roc=0.88)]
    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "runs.tsv", sep="\t")
    assert list(table["run"]) == ["r1", "r2", "r3", "r4"]
    assert list(table["paper_run"]) == ["Run-1", "Run-2", "Run-3", "Run-4"]
    report = json.loads((out / "report.json").read_text())
    verdicts = {c["claim"]: c["verdict"] for c in report["claims"]}
    assert verdicts["fixed encoder beats finetuned"] == "holds"
    assert verdicts["CNN beats GRU"] == "does not hold"  # r3 < r1
    assert verdicts["Type-1 beats Type-2"] == "untested"
    assert (out / "report.png").stat().st_size > 0 and (out / "report.md").exists()
    assert "fixed encoder beats finetuned: holds" in printed
    # Each run beside its own mel_stats baseline; r3's metrics.json predates baselines.
    assert table["mel_stats_roc_auc_macro"].tolist()[:2] == [0.88, 0.88]
    assert table["popularity_roc_auc_macro"].tolist()[:2] == [0.5, 0.5]
    assert report["mel_stats"] == {"below": ["r1", "r2"], "above": ["r4"], "missing": ["r3"]}
    assert "r1: below the mel_stats baseline (0.800 vs 0.880, -0.080)" in printed
    assert "r4: above the mel_stats baseline" in printed
    assert "r3: no mel_stats score" in printed
    assert "below the mel_stats baseline on test ROC-AUC macro: r1, r2" in printed
    assert "below the mel_stats baseline on test ROC-AUC macro: r1, r2" in \
        (out / "report.md").read_text()
