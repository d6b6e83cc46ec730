"""A feature folder checks itself when a step opens it: damaged or edited files are named,
with the command that makes them again; an untouched or copied folder opens as before."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from vqvae_lib.features.checksums import CHECKSUMS_FILE, FeatureFolderError
from vqvae_lib.features.store import FeatureStore

FIX = "--force --from extract"


@pytest.fixture
def folder(tiny_project, tmp_path):
    """A copy of the tiny run's tag features, in a run folder whose params.json names
    its params file (as every run folder's does)."""
    run = tiny_project.run(tiny_project.tiny)
    dest = tmp_path / "run" / "features" / "tag"
    shutil.copytree(run.features_dir("tag"), dest)
    (tmp_path / "run" / "params.json").write_text(
        json.dumps({"params_file": str(tiny_project.tiny)}))
    return dest


def _write_rows(path, rows, values):
    arr = np.load(path, mmap_mode="r+")
    arr[rows] = values
    arr.flush()
    del arr


def _fails(folder, name, *said):
    with pytest.raises(FeatureFolderError) as err:
        FeatureStore(folder)
    text = str(err.value)
    assert str(folder / name) in text, text
    assert "vqvae-kit run " in text and FIX in text, text
    for words in said:
        assert words in text, text
    return text


def test_an_untouched_folder_and_a_copy_without_kept_times_open(folder):
    store = FeatureStore(folder)
    assert len(store.split("train")) > 0
    for path in folder.iterdir():
        os.utime(path, ns=(1, 1))  # a copy that did not keep modification times
    assert len(FeatureStore(folder).split("test")) == len(store.split("test"))


def test_finite_noise_in_train_rows_is_found(folder):
    # The probe: ROC 0.589 instead of 0.644, exit 0, before the folder checked itself.
    noise = np.random.default_rng(0).normal(size=(5, *np.load(folder / "train.npy",
                                                               mmap_mode="r").shape[1:]))
    _write_rows(folder / "train.npy", slice(0, 5), noise.astype(np.float16))
    _fails(folder, "train.npy", "content changed since extraction")


def test_nans_are_found_in_a_folder_without_checksums(folder):
    (folder / CHECKSUMS_FILE).unlink()  # written by a kit before checksums
    FeatureStore(folder)
    _write_rows(folder / "validation.npy", 0, np.nan)
    _fails(folder, "validation.npy", "row 0", "not finite")


@pytest.mark.parametrize("checksums", [True, False])
def test_an_index_cut_short_is_found(folder, checksums):
    if not checksums:
        (folder / CHECKSUMS_FILE).unlink()
    lines = (folder / "index.csv").read_text().splitlines(keepends=True)
    (folder / "index.csv").write_text("".join(lines[:-3]))
    said = "size changed" if checksums else "lists"
    _fails(folder, "index.csv" if checksums else "test.npy", said)


def test_a_damaged_array_header_is_named_without_pickle_advice(folder):
    (folder / CHECKSUMS_FILE).unlink()
    data = bytearray((folder / "test.npy").read_bytes())
    data[10:40] = b"\x00" * 30
    (folder / "test.npy").write_bytes(bytes(data))
    text = _fails(folder, "test.npy", "not a readable .npy array")
    assert "allow_pickle" not in text


def test_random_bytes_in_the_index_are_named(folder):
    (folder / CHECKSUMS_FILE).unlink()
    (folder / "index.csv").write_bytes(np.random.default_rng(1).bytes(3000))
    _fails(folder, "index.csv", "not the CSV extraction wrote")


def test_a_missing_array_is_named(folder):
    (folder / "train_status.npy").unlink()
    _fails(folder, "train_status.npy", "missing")
