"""Manifest mistakes stop ``vqvae-kit check`` (exit 2) with one line naming the file, the
line or header, and the fix; doubtful tags are named in its notes (the probes of a misspelt
header, a Latin-1 file, ``../`` paths, and tags differing in case or joined by ``,``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from vqvae_lib.cli import main


def _audio(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(1600) / 8000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 220 * t)).astype("float32"), 8000)


def _check(tmp_path: Path, csv_bytes: bytes, capsys, extra: str = "") -> tuple[int, str, str]:
    folder = tmp_path / "mine"
    for name in ("a.wav", "b.wav", "c.wav"):
        _audio(folder / name)
    (folder / "list.csv").write_bytes(csv_bytes)
    params = tmp_path / "run.yaml"
    params.write_text(f"name: mine\ndata:\n  tag: {{kind: manifest, path: mine/list.csv{extra}}}\n")
    code = main(["check", str(params), "--json", "--outputs", str(tmp_path / "outputs")])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("header, seen, meant", [
    ("path,tag,split", "'tag'", "'tags'"),
    ("path,tags,Split", "'Split'", "'split'"),
])
def test_a_misspelt_column_is_named_with_the_header_seen(tmp_path, capsys, header, seen, meant):
    code, _, err = _check(tmp_path, f"{header}\na.wav,calm,train\n".encode(), capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "list.csv:1" in err
    assert f"column {seen}" in err and f"did you mean {meant}" in err and header in err, err


def test_a_header_without_tags_is_refused(tmp_path, capsys):
    code, _, err = _check(tmp_path, b"path,split\na.wav,train\n", capsys)
    assert code == 2 and "lacks 'tags'" in err and "got path,split" in err, err


def test_a_latin1_file_is_one_line(tmp_path, capsys):
    text = "path,tags,split\na.wav,caf\u00e9;calm,train\n"
    code, _, err = _check(tmp_path, text.encode("latin-1"), capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert "not UTF-8" in err and "list.csv" in err and "0xe9" in err, err


def test_paths_outside_the_folder_need_allow_outside(tmp_path, capsys):
    _audio(tmp_path / "elsewhere" / "d.wav")
    rows = b"path,tags,split\na.wav,calm,train\n../elsewhere/d.wav,calm,test\n"
    code, _, err = _check(tmp_path, rows, capsys)
    assert code == 2 and "list.csv:3" in err and "'../elsewhere/d.wav'" in err, err
    assert "allow_outside: true" in err
    code, out, err = _check(tmp_path, rows, capsys, ", allow_outside: true")
    assert code == 0, err
    assert json.loads(out)["splits"] == {"train": 1, "validation": 0, "test": 1}


def test_tags_differing_in_case_or_holding_a_comma_are_named(tmp_path, capsys):
    rows = (b'path,tags,split\na.wav,Calm;piano,train\nb.wav,calm,validation\n'
            b'c.wav,"rock,pop",test\n')
    code, out, err = _check(tmp_path, rows, capsys)
    assert code == 0, err
    notes = " ".join(json.loads(out)["notes"])
    assert "'Calm', 'calm'" in notes and "differ only in case" in notes, notes
    assert "'rock,pop'" in notes, notes
