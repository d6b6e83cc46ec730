"""Dataset adapters: each dataset, as its users have it, read into a clip table."""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from vqvae_lib.datasets import DatasetConfig, check_audio, load_clip_table
from vqvae_lib.datasets.demo import DemoConfig
from vqvae_lib.datasets.jamendo import JamendoConfig
from vqvae_lib.datasets.manifest import ManifestConfig, read_manifest
from vqvae_lib.datasets.msd import MSDConfig
from vqvae_lib.datasets.mtat import MTATConfig
from vqvae_lib.utils.config import ConfigError, from_dict

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "jamendo"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference"
EXCERPT_ROWS = 20


@dataclasses.dataclass(frozen=True)
class Data:
    """The ``data`` section of a params file: the roles that hold a dataset."""

    tag: DatasetConfig | None = None
    pretrain: DatasetConfig | None = None


def write_audio(path: Path, seconds: float = 0.2, sr: int = 8000) -> Path:
    """A short tone in the format of the file's extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype("float32"), sr)
    return path


def groundtruth() -> np.ndarray:
    packed = np.load(FIXTURE / "groundtruth-split0-test.packbits.npy")
    return np.unpackbits(packed, axis=1)[:, :56].astype(bool)


# -- config validation ----------------------------------------------------------------
@pytest.mark.parametrize("data, words", [
    ({"tag": {"kind": "foo"}}, ["data.tag.kind", "'foo'", "'jamendo'", "'mtat'", "'demo'"]),
    ({"tag": {"metadata_dir": "x"}}, ["data.tag.kind", "missing"]),
    ({"tag": {"kind": "jamendo", "metadata_dir": "m"}}, ["data.tag.audio_dir", "missing"]),
    ({"tag": {"kind": "jamendo", "metadata_dir": "m", "audio_dir": "a", "split": 7}},
     ["data.tag", "split must be 0 to 4"]),
    ({"tag": {"kind": "mtat", "annotations": "a.csv", "audio_dir": "a", "top_n": 5}},
     ["data.tag", "'top_n'", "top_k"]),
    ({"pretrain": {"kind": "msd", "audio_list": "l.txt", "validation_fraction": "half"}},
     ["data.pretrain.validation_fraction", "'half'"]),
])
def test_dataset_kind_errors_name_the_key_of_the_chosen_kind(data, words):
    with pytest.raises(ConfigError) as err:
        from_dict(Data, data, "data")
    for word in words:
        assert word in str(err.value)


def test_each_kind_validates_from_yaml_data():
    data = from_dict(Data, {
        "tag": {"kind": "manifest", "path": "m.csv", "split_fraction": {"validation": 0.2}},
        "pretrain": {"kind": "msd", "audio_list": "previews/*.mp3"},
    }, "data")
    assert isinstance(data.tag, ManifestConfig) and data.tag.split_fraction == (0.2, 0.0)
    assert isinstance(data.pretrain, MSDConfig) and data.pretrain.validation_fraction == 0.05
    listed = from_dict(Data, {"tag": {"kind": "manifest", "path": "m.csv",
                                            "split_fraction": [0.2, 0]}}, "data")
    assert listed.tag == data.tag


# -- MTG-Jamendo ----------------------------------------------------------------------
def test_jamendo_excerpt_vocabulary_paths_and_labels(tmp_path):
    raw = (FIXTURE / "data/splits/split-0/autotagging_moodtheme-test.tsv").read_bytes()
    assert raw.count(b"\r\n") == EXCERPT_ROWS + 1, "the fixture must keep its CRLF endings"
    cfg = JamendoConfig(kind="jamendo", metadata_dir=FIXTURE / "data", audio_dir=Path("audio"))
    table = load_clip_table(cfg, tmp_path, tmp_path / "cache")

    official = (FIXTURE / "data/tags/moodtheme_split.txt").read_text().split()
    assert table.tags == official and len(table.tags) == 56
    assert table.tags[:3] == ["mood/theme---action", "mood/theme---adventure",
                              "mood/theme---advertising"]
    assert table.split_sizes() == {"train": 20, "validation": 20, "test": 20}
    assert table.notes == []  # every tag of the files is known: no "tag\r" left over

    test = table.split("test")
    assert test.loc[0, "id"] == "track_0003524"
    assert test.loc[0, "path"] == str(tmp_path / "audio" / "24" / "3524.mp3")
    assert test.loc[0, "tags"] == ("mood/theme---melodic",)
    # Rows and columns as MediaEval 2019 scored them.
    np.testing.assert_array_equal(table.label_matrix(test), groundtruth()[:EXCERPT_ROWS])


def test_jamendo_low_bitrate_and_tag_fallback_strip_crlf(tmp_path):
    meta = tmp_path / "data"
    shutil.copytree(FIXTURE / "data" / "splits", meta / "splits")  # no tags/ folder
    cfg = JamendoConfig(kind="jamendo", metadata_dir=Path("data"), audio_dir=Path("/music"),
                        low_bitrate=True)
    table = load_clip_table(cfg, tmp_path, tmp_path)
    seen = {t for tags in table.clips["tags"] for t in tags}
    assert table.tags == sorted(seen)
    assert set(table.tags) <= set((FIXTURE / "data/tags/moodtheme_split.txt").read_text().split())
    assert not any(t != t.strip() for t in table.tags)
    assert "no official tag list" in table.notes[0]
    assert table.split("test").loc[0, "path"] == "/music/24/3524.low.mp3"


def test_jamendo_missing_metadata_names_file_and_key(tmp_path):
    cfg = JamendoConfig(kind="jamendo", metadata_dir=Path("nowhere"), audio_dir=Path("a"))
    with pytest.raises(FileNotFoundError) as err:
        load_clip_table(cfg, tmp_path, tmp_path)
    assert "autotagging_moodtheme-train.tsv" in str(err.value)
    assert "metadata_dir" in str(err.value)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference is not beside the repo")
def test_jamendo_full_split0_equals_mediaeval_groundtruth(tmp_path):
    cfg = JamendoConfig(kind="jamendo", metadata_dir=SHARED / "mtg-jamendo" / "data",
                        audio_dir=tmp_path)
    table = load_clip_table(cfg, tmp_path, tmp_path)
    assert table.split_sizes() == {"train": 9949, "validation": 3802, "test": 4231}
    assert table.tags == (SHARED / "mediaeval2019" / "tags.txt").read_text().split()
    official = np.load(SHARED / "mediaeval2019" / "groundtruth.npy")
    np.testing.assert_array_equal(table.label_matrix(table.split("test")), official)
    np.testing.assert_array_equal(groundtruth(), official)  # the vendored copy is faithful


# -- MagnaTagATune ----------------------------------------------------------------------
MTAT_TAGS = ["guitar", "classical", "slow", "techno", "strings"]
MTAT_CLIPS = [  # clip_id, mp3_path, tags
    (2, "0/a-0-1.mp3", {"guitar", "slow"}),
    (6, "0/b-0-2.wav", {"guitar"}),
    (10, "9/c-9-1.flac", {"classical", "strings"}),
    (11, "9/d-9-2.ogg", set()),
    (15, "a/e-a-1.mp3", {"guitar", "techno"}),
    (20, "a/f-a-2.wav", {"classical"}),
    (22, "c/g-c-1.flac", {"guitar", "classical"}),
    (25, "c/h-c-2.ogg", set()),
    (30, "d/i-d-1.mp3", {"slow"}),
    (31, "d/j-d-2.wav", {"strings", "classical"}),
    (40, "f/k-f-1.flac", {"guitar"}),
    (41, "f/broken-f-2.mp3", {"techno"}),
]


def write_mtat(root: Path) -> Path:
    """annotations_final.csv in the distribution's format, with real audio beside it."""
    lines = ["\t".join(f'"{c}"' for c in ["clip_id", *MTAT_TAGS, "mp3_path"])]
    for clip_id, path, tags in MTAT_CLIPS:
        flags = [str(int(t in tags)) for t in MTAT_TAGS]
        lines.append("\t".join(f'"{v}"' for v in [clip_id, *flags, path]))
        if "broken" in path:
            (root / "audio" / path).write_bytes(b"\x00" * 64)
        else:
            write_audio(root / "audio" / path)
    ann = root / "annotations_final.csv"
    ann.write_text("\n".join(lines) + "\n")
    return ann


def test_mtat_top_k_folder_and_clean_splits_and_a_broken_file(tmp_path):
    write_mtat(tmp_path)
    cfg = MTATConfig(kind="mtat", annotations=Path("annotations_final.csv"),
                     audio_dir=Path("audio"), top_k=3)
    table = load_clip_table(cfg, tmp_path, tmp_path)
    # guitar 5, classical 4, then slow/techno/strings tie at 2: the file's order decides.
    assert table.tags == ["guitar", "classical", "slow"]
    assert table.split_sizes() == {"train": 6, "validation": 2, "test": 4}
    by_id = table.clips.set_index("id")
    assert by_id.loc["15", "tags"] == ("guitar",)
    assert by_id.loc["31", "split"] == "test" and by_id.loc["31", "tags"] == ("classical",)
    assert by_id.loc["22", "path"] == str(tmp_path / "audio" / "c" / "g-c-1.flac")

    audio = check_audio(table, progress=False)
    assert audio.n_checked == 12 and audio.missing == []
    assert audio.unreadable == [str(tmp_path / "audio" / "f" / "broken-f-2.mp3")]

    clean = load_clip_table(dataclasses.replace(cfg, split_scheme="clean"),
                            tmp_path, tmp_path)
    # Left out: 11 and 25 (no tag at all) and 41 (techno only, not in the top 3).
    assert clean.split_sizes() == {"train": 5, "validation": 1, "test": 3}
    assert "left out 3 clips" in clean.notes[0]


def test_mtat_published_split_files_keep_their_order(tmp_path):
    write_mtat(tmp_path)
    (tmp_path / "train.tsv").write_text("0\td/i-d-1.mp3\n1\t0/a-0-1.mp3\n")
    (tmp_path / "valid.tsv").write_text("0\tc/g-c-1.flac\n")
    (tmp_path / "test.tsv").write_text("0\tf/k-f-1.flac\n1\tf/not-there.mp3\n")
    cfg = from_dict(MTATConfig, {
        "kind": "mtat", "annotations": "annotations_final.csv", "audio_dir": "audio",
        "split_scheme": "files", "top_k": 2,
        "split_files": {"train": "train.tsv", "validation": "valid.tsv", "test": "test.tsv"},
    }, "data.tag")
    table = load_clip_table(cfg, tmp_path, tmp_path)
    assert list(table.split("train")["id"]) == ["30", "2"]
    assert list(table.split("validation")["id"]) == ["22"]
    assert list(table.split("test")["id"]) == ["40"]
    assert any("not-there.mp3" in n for n in table.notes)


def test_mtat_known_broken_mp3s_are_notes_not_errors(tmp_path):
    bad = "6/norine_braun-now_and_zen-08-gently-117-146.mp3"
    (tmp_path / "annotations_final.csv").write_text(
        f'"clip_id"\t"guitar"\t"mp3_path"\n"35644"\t"1"\t"{bad}"\n"2"\t"0"\t"0/x.mp3"\n')
    cfg = MTATConfig(kind="mtat", annotations=Path("annotations_final.csv"),
                     audio_dir=Path("audio"), top_k=1)
    table = load_clip_table(cfg, tmp_path, tmp_path)
    assert len(table.clips) == 2
    assert "known to be broken" in table.notes[0] and "norine_braun" in table.notes[0]


# -- your own CSV ----------------------------------------------------------------------
def test_manifest_paths_tags_and_default_split(tmp_path):
    elsewhere = write_audio(tmp_path / "elsewhere" / "take2.flac")
    write_audio(tmp_path / "music" / "rock" / "song1.mp3")
    (tmp_path / "music" / "list.csv").write_text(
        "path,tags,split\n"
        "rock/song1.mp3,guitar;energetic,train\n"
        f"{elsewhere},piano; calm,validation\n"
        "misc/sketch.wav,calm,\n")
    # An absolute path elsewhere is read when the params say so (allow_outside).
    cfg = ManifestConfig(kind="manifest", path=Path("music/list.csv"), allow_outside=True)
    table = load_clip_table(cfg, tmp_path, tmp_path)
    assert table.tags == ["calm", "energetic", "guitar", "piano"]
    assert list(table.clips["split"]) == ["train", "validation", "train"]
    assert list(table.clips["tags"]) == [("guitar", "energetic"), ("piano", "calm"), ("calm",)]
    assert list(table.clips["path"]) == [str(tmp_path / "music" / "rock" / "song1.mp3"),
                                         str(elsewhere),
                                         str(tmp_path / "music" / "misc" / "sketch.wav")]
    audio = check_audio(table, progress=False)
    assert audio.missing == [str(tmp_path / "music" / "misc" / "sketch.wav")]
    assert audio.unreadable == []


def test_manifest_seeded_split_fraction(tmp_path):
    rows = "".join(f"c{i}.wav,t{i % 3},\n" for i in range(40))
    (tmp_path / "m.csv").write_text("path,tags,split\nfixed.wav,t0,test\n" + rows)

    def splits(seed):
        cfg = ManifestConfig(kind="manifest", path=Path("m.csv"),
                             split_fraction=(0.25, 0.1), seed=seed)
        return load_clip_table(cfg, tmp_path, tmp_path)

    table = splits(0)
    assert table.split_sizes() == {"train": 26, "validation": 10, "test": 5}
    assert table.clips.loc[0, "split"] == "test"  # a given split is kept
    assert list(splits(0).clips["split"]) == list(table.clips["split"])
    assert list(splits(1).clips["split"]) != list(table.clips["split"])


@pytest.mark.parametrize("row, words", [
    ("b.wav,calm,testing", [":3:", "'split'", "'testing'"]),
    (",calm,train", [":3:", "'path'"]),
])
def test_manifest_bad_row_names_csv_line_and_field(tmp_path, row, words):
    csv = tmp_path / "m.csv"
    csv.write_text(f"path,tags,split\na.wav,calm,train\n{row}\n")
    with pytest.raises(ConfigError) as err:
        load_clip_table(ManifestConfig(kind="manifest", path=csv), tmp_path, tmp_path)
    assert str(csv) in str(err.value)
    for word in words:
        assert word in str(err.value)


# -- Million Song Dataset ---------------------------------------------------------------
def test_msd_list_file_glob_and_validation(tmp_path):
    names = [f"TR{i:04d}.clip.mp3" for i in range(10)]
    (tmp_path / "previews").mkdir()
    for n in names:
        (tmp_path / "previews" / n).write_bytes(b"")
    (tmp_path / "train.txt").write_text("".join(f"previews/{n}\r\n" for n in names[:8]))
    (tmp_path / "valid.txt").write_text("".join(f"previews/{n}\n" for n in names[8:]))

    listed = load_clip_table(MSDConfig(kind="msd", audio_list="train.txt",
                                       validation_list="valid.txt"), tmp_path, tmp_path)
    assert listed.split_sizes() == {"train": 8, "validation": 2, "test": 0}
    assert listed.tags == [] and listed.clips.loc[0, "id"] == "TR0000"
    assert listed.clips.loc[9, "path"] == str(tmp_path / "previews" / names[9])

    globbed = load_clip_table(MSDConfig(kind="msd", audio_list="previews/*.mp3",
                                        validation_fraction=0.2, seed=3), tmp_path, tmp_path)
    assert globbed.split_sizes() == {"train": 8, "validation": 2, "test": 0}
    assert list(globbed.clips["id"]) == [f"TR{i:04d}" for i in range(10)]

    with pytest.raises(FileNotFoundError, match="audio_list"):
        load_clip_table(MSDConfig(kind="msd", audio_list="nope/*.mp3"), tmp_path, tmp_path)


# -- demo ---------------------------------------------------------------------------------
def test_demo_is_written_once_and_read_with_its_tag_order(tmp_path):
    demo_data = pytest.importorskip("vqvae_lib.datasets.demo")
    cfg = DemoConfig(kind="demo", n_clips=12, clip_seconds=0.5, seed=1, sample_rate=8000)
    table = load_clip_table(cfg, tmp_path, tmp_path / "cache")
    assert table.tags == list(demo_data.DEMO_TAGS)
    assert sum(table.split_sizes().values()) == 12
    assert all(Path(p).is_relative_to(tmp_path / "cache") for p in table.clips["path"])
    audio = check_audio(table, progress=False)
    assert audio.missing == [] and audio.unreadable == []


def test_manifest_groups_keep_a_recording_in_one_split(tmp_path):
    """Segments of one track (one ``group``) never end up in two splits."""
    lines = ["path,tags,split,group"]
    for track in range(30):
        lines += [f"t{track}_{seg}.wav,calm,,track{track}" for seg in range(4)]
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    table = read_manifest(tmp_path / "m.csv", split_fraction=(0.2, 0.2), seed=3)
    group = table.clips["id"].str.split("_").str[0]
    assert (table.clips.groupby(group)["split"].nunique() == 1).all()
    sizes = table.split_sizes()
    assert sizes["validation"] >= 20 and sizes["test"] >= 20 and sizes["train"] >= 60

    (tmp_path / "bad.csv").write_text("path,tags,split,group\na.wav,,train,x\nb.wav,,test,x\n")
    with pytest.raises(ConfigError, match=r"bad.csv:3: group 'x' is in split 'test'"):
        read_manifest(tmp_path / "bad.csv")
