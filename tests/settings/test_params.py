"""Params files: extends, validation errors that name the file and the key."""

from pathlib import Path

import pytest

from vqvae_lib.settings.params import load_params
from vqvae_lib.utils.config import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_every_shipped_params_file_validates():
    files = sorted((REPO / "params").rglob("*.yaml"))
    assert len(files) >= 15
    names = set()
    for f in files:
        if f.name in ("base.yaml", "paper_runs.yaml"):
            continue
        params = load_params(f)
        assert params.name not in names, f"two params files use the name {params.name}"
        names.add(params.name)
    assert {"demo", "tiny", "jamendo-run4", "msd-pretrain-type1", "mtat-run1"} <= names


def test_extends_merges_and_the_run_file_wins(tmp_path):
    write(tmp_path, "base.yaml", "data: {tag: {kind: demo, n_clips: 40}}\n"
          "features: {frames: 64, workers: 1}\n")
    run = write(tmp_path, "run.yaml", "extends: base.yaml\nname: r\nfeatures: {frames: 32}\n")
    params = load_params(run)
    assert params.features.frames == 32 and params.features.workers == 1
    assert params.data.tag.n_clips == 40
    assert params.tag.lr == pytest.approx(2e-4)  # the paper's default


def test_another_dataset_kind_replaces_the_base_dataset_but_vqvae_kind_merges(tmp_path):
    write(tmp_path, "base.yaml", "data: {tag: {kind: demo, n_clips: 40}}\n"
          "vqvae: {kind: type1, channels: 32, quantizer: {codebook_size: 64}}\n")
    run = write(tmp_path, "run.yaml", "extends: base.yaml\nname: r\n"
                "data: {tag: {kind: manifest, path: songs.csv}}\nvqvae: {kind: type2}\n")
    params = load_params(run)
    assert params.data.tag.kind == "manifest" and str(params.data.tag.path) == "songs.csv"
    assert params.vqvae.kind == "type2" and params.vqvae.channels == 32
    assert params.vqvae.quantizer.codebook_size == 64


@pytest.mark.parametrize("text, words", [
    ("name: r\ndata: {tag: {kind: demo}}\nfeatures: {frame: 64}\n", ["features", "'frame'"]),
    ("name: r\ndata: {tag: {kind: demo}}\npretrain: {lr: fast}\n", ["pretrain.lr", "'fast'"]),
    ("data: {tag: {kind: demo}}\n", ["name", "missing"]),
    ("name: r\ndata: {tag: {kind: demo}}\nvqvae: {kind: type3}\n", ["vqvae.kind", "type1"]),
    ("name: r\ndata: {tag: {kind: demo}}\nsteps: [extract, train]\n", ["unknown step", "train"]),
    ("name: r\ndata: {tag: {kind: jamendo}}\n", ["data.tag", "metadata_dir"]),
    ("name: r\ndata: {tag: {kind: demo}}\ntag: {batch_size: 0}\n", ["tag", "batch_size"]),
])
def test_bad_values_name_the_file_and_key(tmp_path, text, words):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_params(path)
    message = str(err.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_missing_extended_file_is_named(tmp_path):
    path = write(tmp_path, "run.yaml", "extends: nowhere.yaml\nname: r\n")
    with pytest.raises(ConfigError, match="nowhere.yaml: params file not found"):
        load_params(path)


def test_cli_check_reports_a_bad_params_file_with_exit_2(tmp_path, capsys):
    from vqvae_lib.cli import main

    path = write(tmp_path, "bad.yaml", "name: r\ndata: {tag: {kind: demo}}\nseed: many\n")
    assert main(["check", str(path)]) == 2
    assert "seed" in capsys.readouterr().err


def test_the_command_line_prints_its_version(capsys):
    from vqvae_lib import __version__
    from vqvae_lib.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"vqvae-kit {__version__}"


def test_a_key_written_twice_is_refused_naming_both_lines(tmp_path):
    path = write(tmp_path, "dup.yaml", "name: r\ndata: {tag: {kind: demo}}\n"
                 "tag:\n  lr: 0.1\n  epochs: 3\ntag:\n  epochs: 4\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    msg = str(err.value)
    assert str(path) in msg and "'tag' appears twice" in msg and "lines 3 and 6" in msg


def test_a_section_set_to_null_is_refused(tmp_path):
    write(tmp_path, "base.yaml", "name: b\ndata: {tag: {kind: demo}}\npretrain: {epochs: 3}\n")
    run = write(tmp_path, "run.yaml", "extends: base.yaml\nname: r\npretrain: null\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: pretrain: null would reset"):
        load_params(run)
    # a null that is a value, not a section, stays allowed
    ok = write(tmp_path, "ok.yaml", "extends: base.yaml\nname: r\nthreads: null\n")
    assert load_params(ok).threads is None


def test_a_negative_thread_count_is_refused(tmp_path):
    path = write(tmp_path, "neg.yaml", "name: r\ndata: {tag: {kind: demo}}\nthreads: -3\n")
    with pytest.raises(ConfigError, match="threads must be at least 1"):
        load_params(path)


def test_an_unknown_key_is_named_in_the_file_that_holds_it(tmp_path):
    write(tmp_path, "base.yaml", "name: b\ndata: {tag: {kind: demo}}\npretrain: {epochz: 3}\n")
    run = write(tmp_path, "run.yaml", "extends: base.yaml\nname: r\n")
    with pytest.raises(ConfigError) as err:
        load_params(run)
    assert str(err.value).startswith(f"{tmp_path / 'base.yaml'}: pretrain: unknown key 'epochz'")
    # written in the run file itself, the run file is named
    run2 = write(tmp_path, "run2.yaml", "extends: base.yaml\nname: r\ntag: {lrr: 1}\n")
    write(tmp_path, "base.yaml", "name: b\ndata: {tag: {kind: demo}}\n")
    with pytest.raises(ConfigError, match=r"run2\.yaml: tag: unknown key 'lrr'"):
        load_params(run2)


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "name: r\ntag:\n  lr: [0.1\n  epochs: 3\n")
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert str(path) in str(err.value) and "line" in str(err.value)
