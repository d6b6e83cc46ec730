"""``vqvae-kit check PARAMS --json``: clip and tag counts, and the audio that is missing."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from vqvae_lib.cli import main

SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference"
JAMENDO_META = SHARED / "mtg-jamendo" / "data"
needs_shared = pytest.mark.skipif(not JAMENDO_META.is_dir(),
                                  reason="../shared/reference is not beside the repo")


def write_audio(path: Path, seconds: float = 0.2, sr: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.1 * np.sin(2 * np.pi * 220 * t)).astype("float32"), sr)
    return path


def check(tmp_path: Path, params_text: str, capsys) -> tuple[int, dict, str]:
    params = tmp_path / "run.yaml"
    params.write_text(params_text)
    code = main(["check", str(params), "--json", "--outputs", str(tmp_path / "outputs")])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def write_first_tracks(audio_dir: Path, split: str, n: int = 3, **audio) -> list[str]:
    """Audio for the first ``n`` tracks of a split-0 file, at their official PATHs."""
    tsv = JAMENDO_META / "splits" / "split-0" / f"autotagging_moodtheme-{split}.tsv"
    paths = [line.split("\t")[3] for line in tsv.read_text().splitlines()[1:n + 1]]
    for p in paths:
        write_audio(audio_dir / p, **audio)
    return paths


def jamendo_params(audio_dir: Path) -> str:
    return (f"name: check-jamendo\n"
            f"data:\n  tag:\n    kind: jamendo\n    metadata_dir: {JAMENDO_META}\n"
            f"    audio_dir: {audio_dir.name}\n")


@needs_shared
def test_check_jamendo_without_audio_counts_everything_missing(tmp_path, capsys):
    audio = tmp_path / "audio"
    audio.mkdir()
    code, result, err = check(tmp_path, jamendo_params(audio), capsys)
    assert code == 2
    assert result["splits"] == {"train": 9949, "validation": 3802, "test": 4231}
    assert result["n_tags"] == 56
    assert result["missing"] == 17982 and result["unreadable"] == 0
    assert result["usable"] is False
    # Where it looked, and the first files it did not find there.
    assert str(audio) in err
    assert str(audio / "48" / "948.mp3") in err
    assert all(p in err for p in result["missing_examples"][:3])


@needs_shared
def test_check_jamendo_with_a_few_files_present(tmp_path, capsys):
    audio = tmp_path / "audio"
    first_paths = write_first_tracks(audio, "train")
    code, result, err = check(tmp_path, jamendo_params(audio), capsys)
    assert code == 2
    assert result["missing"] == 17979 and result["unreadable"] == 0
    assert not any(str(audio / p) in err for p in first_paths)


def test_check_names_the_key_when_metadata_is_missing(tmp_path, capsys):
    params = tmp_path / "run.yaml"
    params.write_text("name: r\ndata:\n  tag: {kind: jamendo, metadata_dir: nowhere, "
                      "audio_dir: audio}\n")
    assert main(["check", str(params), "--json", "--outputs", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err and "metadata_dir" in err


def test_check_nests_pretrain_and_tag_figures(tmp_path, capsys):
    for i in range(5):
        write_audio(tmp_path / "previews" / f"TR{i}.mp3")
    (tmp_path / "previews.txt").write_text("".join(f"previews/TR{i}.mp3\n" for i in range(5)))
    for name in ("a.wav", "b.flac", "c.ogg"):
        write_audio(tmp_path / "mine" / name)
    (tmp_path / "mine" / "list.csv").write_text(
        "path,tags,split\na.wav,calm;piano,train\nb.flac,calm,validation\nc.ogg,loud,test\n")
    code, result, err = check(tmp_path, (
        "name: both\n"
        "data:\n"
        "  pretrain: {kind: msd, audio_list: previews.txt, validation_fraction: 0.2}\n"
        "  tag: {kind: manifest, path: mine/list.csv}\n"), capsys)
    assert code == 0, err
    assert result["pretrain"]["splits"] == {"train": 4, "validation": 1, "test": 0}
    assert result["pretrain"]["n_tags"] == 0
    assert result["tag"]["splits"] == {"train": 1, "validation": 1, "test": 1}
    assert result["tag"]["n_tags"] == 3
    for key in ("splits", "n_tags", "missing", "unreadable"):
        assert result[key] == result["tag"][key]
    assert result["missing"] == 0 and result["usable"] is True


@needs_shared
def test_extract_jamendo_with_a_few_files_present_reports_the_rest_missing(tmp_path, capsys):
    audio = tmp_path / "audio"
    write_first_tracks(audio, "test", seconds=1.5, sr=44100)
    params = tmp_path / "run.yaml"
    params.write_text(jamendo_params(audio)
                      + "features: {frames: 32, max_seconds: 2.0, workers: 2}\n")
    outputs = tmp_path / "outputs"
    assert main(["extract", str(params), "--outputs", str(outputs)]) == 0
    capsys.readouterr()
    folder = outputs / "check-jamendo" / "features" / "tag"
    report = json.loads((folder / "extract_report.json").read_text())
    assert report["splits"]["test"] == {"ok": 3, "total": 4231}
    assert report["splits"]["train"]["ok"] == 0 and report["counts"]["missing"] == 17979
    from vqvae_lib.features.store import FeatureStore

    test = FeatureStore(folder).split("test")
    assert len(test) == 3 and test[0][0].shape == (1, 128, 32)
