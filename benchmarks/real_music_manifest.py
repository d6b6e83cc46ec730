"""A small real multi-label tagging set cut from freely licensed game soundtracks in Debian.

The kit's demo set is synthetic; this script builds one from real recordings, with
nothing but Debian's archive: the music packages of a few free games (each one's licence
checked in its ``debian/copyright``, noted in its ``Source``). Settings tuned on one set of
soundtracks need checking on music they were not tuned on, so there are two disjoint sets
(``--set``, in ``SETS``): ``first`` (the default, ``SOURCES``: Wesnoth, Warzone 2100,
SuperTux, Hedgewars, Nexuiz, MegaGlest, FreedroidRPG) and ``second`` (``SECOND_SOURCES``:
Naev, Widelands, SuperTuxKart, Lugaru): no package in both, and no music file of one
in the other. Each package is fetched with ``apt-get download`` and unpacked with
``dpkg-deb -x`` under ``OUT_DIR`` (never installed), its music tracks (the files under
its music folders, at least ``MIN_TRACK_S`` long, a file whose bytes repeat an earlier
one's left out) are cut into non-overlapping segments of ``--seconds``, the remainder
shorter than one segment dropped, and up to ``--clips`` segments are written as FLAC
(lossless over the decoded source, at its sample rate and channels) with a manifest for
the kit.

Tags, all read from metadata that ships with the music, none invented:

- the game a track comes from: ``wesnoth``, ``warzone2100``, ... (one per source);
- the game's genre, from the Debian tags (debtags ``game::*``) of the game's own
  package as ``apt-cache show`` gives them: ``strategy-game``, ``arcade-game``, ...;
- ``artist-<name>``: the ARTIST Vorbis comment of the file (spelling unified by
  ``ARTIST_ALIASES`` where one composer signs three ways, or a duo in two orders);
- ``genre-<name>``: the GENRE Vorbis comment (spelling unified by ``GENRE_ALIASES``),
  except values true of every track here (``GENERIC_GENRES``: "soundtrack", "game
  music", ...).

A tag is kept when at least ``--min-tag-clips`` of the chosen clips carry it and it does
not mark nearly the same clips as a tag kept before it, in the order above (Jaccard index
of the two clip sets at least ``SAME_CLIPS``): a genre only one game has, or a genre or
composer that covers (almost) a whole soundtrack, would only repeat the game's tag.

Segments of one track share a ``group``: ``<source>/<track>``, lower-cased, a version
suffix (``_enhanced``, ``_old``, ``_remix``, ``_sd``, ``_2``) dropped so that a remake
stays with its original. The kit draws splits by group, so one recording never sits in
two; ``split`` is left empty for it to draw.

With more segments than ``--clips``, the clips are shared out evenly over the sources (a
source with fewer segments gives all it has, the rest goes to the others), and within a
source spread round-robin over its tracks, each track's segments in a seeded random
order: as many different tracks as the budget allows. A source with fewer segments than
``--min-tag-clips`` is skipped with a note: its own tag could not be kept, and its clips
would carry no tag at all.

Writes under ``OUT_DIR``: ``debs/`` and ``pkgs/`` (the packages, reused on a re-run),
``clips/<source>/<track>_<k>.flac``, ``manifest.csv`` (``id,path,tags,split,group``, paths
relative to it), ``tracks.csv`` (package, file, artist, title and licence of each track
used, for attribution) and ``licenses/<package>.copyright``. Prints clips per tag and per
source, hours of audio, and the packages with their licences. A package over
``--max-package-mb``, without music, or with too little of it is skipped with a note; one
that cannot be downloaded makes the script exit 1 after it has built the set from the
others.

    python benchmarks/real_music_manifest.py OUT_DIR
    python benchmarks/real_music_manifest.py OUT_DIR --clips 600 --seconds 30 --seed 0
    python benchmarks/real_music_manifest.py OUT_DIR_2 --set second
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm


@dataclass(frozen=True)
class Source:
    """One game's soundtrack, as a Debian package holds it.

    Args:
        tag: the source tag, the game's name.
        package: the Debian package with the music; a ``*`` picks the newest name that
            matches (the Wesnoth music package carries the game's version in its name).
        game: the game's own package, whose debtags give the genre tags.
        music: globs, relative to the unpacked package, of the music files.
        licence: the music's licence, as the package's ``debian/copyright`` states it.
        archives: zip archives (Quake-style ``.pk3``) in the package, opened into
            ``<archive>.d/`` before ``music`` is globbed.
        exclude: globs of files under ``music`` that are not music.
    """

    tag: str
    package: str
    game: str
    music: tuple[str, ...]
    licence: str
    archives: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


SOURCES = (
    Source("wesnoth", "wesnoth-*-music", "wesnoth",
           ("usr/share/games/wesnoth/*/data/core/music/*.ogg",),
           "GPL-2+ (whole package)"),
    Source("warzone2100", "warzone2100-music", "warzone2100",
           ("usr/share/games/warzone2100/music/*.opus",
            "usr/share/games/warzone2100/music/albums/*/*.opus"),
           "GPL-2+; the two community albums also CC-BY-SA-3.0+ (their license.txt)"),
    Source("supertux", "supertux-data", "supertux",
           ("usr/share/games/supertux2/music/*/*.ogg",),
           "GPL-2+ (Files: data/music/*)"),
    Source("hedgewars", "hedgewars-data", "hedgewars",
           ("usr/share/games/hedgewars/Data/Music/*.ogg",),
           "GPL-2 (Files: *)"),
    Source("nexuiz", "nexuiz-music", "nexuiz",
           ("usr/share/games/nexuiz/data/music.pk3.d/sound/cdtracks/*.ogg",),
           "GPL-2+ (whole package)",
           archives=("usr/share/games/nexuiz/data/music.pk3",),
           exclude=("*/thunder.ogg",)),  # a 48 s, 11 kHz thunder effect among the tracks
    Source("megaglest", "megaglest-data", "megaglest",
           ("usr/share/games/megaglest/data/core/menu/music/*.ogg",
            "usr/share/games/megaglest/techs/*/factions/*/music/*.ogg"),
           "CC-BY-SA-3.0 (Files: *)"),
    Source("freedroidrpg", "freedroidrpg-data", "freedroidrpg",
           ("usr/share/freedroidrpg/data/sound/music/*.ogg",),
           "GPL-2+ (Files: *)"),
)

# The second set: other games, other composers, to check settings tuned on the first.
SECOND_SOURCES = (
    Source("naev", "naev-data", "naev",
           ("usr/share/naev/dat/snd/music/*.ogg",),
           "by file (Files: ./dat/snd/music/...): GPL-2+ (Vega Strike), GPL-3 or CC-BY-3.0 "
           "(Nikola Whallon), CC-BY-3.0 (Zeropage), CC-BY-SA-3.0 (Askyel); "
           "the others GPL-3+ (Files: *)"),
    Source("widelands", "widelands-data", "widelands",
           ("usr/share/games/widelands/data/music/*.ogg",),
           "GPL-2+ (Files: *); ingame_24-26 CC-BY-SA-3.0 (Files: data/music/ingame_2[4-6].ogg)"),
    # Only data/music: the tracks' own folders (data/tracks/*/) hold a piece from
    # SuperTux, which is in the first set, among sound effects.
    Source("supertuxkart", "supertuxkart-data", "supertuxkart",
           ("usr/share/games/supertuxkart/data/music/*.ogg",),
           "by file (Files: data/music/...): CC-BY-SA-3.0, Boom_boom_boom and alien_signal "
           "CC-BY-SA-4.0, klabauter_dance GPL; cocoa_river, Penguin_Party, snowmountain, "
           "theGreatFair, not listed, GPL-3+ (Files: *)",
           # The faster takes the game plays on the last lap: the same pieces again.
           exclude=("*_fast.ogg", "*/farm_f.ogg")),
    # Five loops of 28-64 s: one reaches MIN_TRACK_S, too little for a tag of its own.
    Source("lugaru", "lugaru-data", "lugaru",
           ("usr/share/games/lugaru/Sounds/Music*.ogg",),
           "CC-BY-SA-3.0 (Files: Data/*)"),
)
SETS = {"first": SOURCES, "second": SECOND_SOURCES}

MIN_TRACK_S = 45.0  # shorter files in music folders are stingers (victory, defeat)
MAX_PACKAGE_MB = 700.0  # supertuxkart-data, music among all its tracks, is 628 MB
ARTIST_ALIASES = {"gerd (elysis) raudenbusch": "elysis", "www.elysis.de": "elysis",
                  "chris leutwyler & max freeman": "max freeman & chris leutwyler",
                  "klaus halfmann aka hasi50": "klaus halfmann"}
GENRE_ALIASES = {"trash metal": "thrash metal"}  # one composer's three Widelands tracks
GENERIC_GENRES = {"soundtrack", "game soundtrack", "game music", "game"}
SAME_CLIPS = 0.9  # Jaccard index from which two tags count as one
# A remake or an earlier take of a piece ends in one of these; it joins the piece's group.
VERSION_SUFFIX = re.compile(r"([_-](enhanced|old|remix|revisited|sd|\d)|_)$")
MANIFEST_HEADER = ("id", "path", "tags", "split", "group")


@dataclass
class Track:
    """One music file and what its package and its tags say about it."""

    source: Source
    path: Path
    rel: str  # path inside the unpacked package
    name: str  # unique within the source: file name without suffix
    samplerate: int
    frames: int
    artist: str = ""
    title: str = ""
    genre: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.source.tag}/{self.name}"

    @property
    def group(self) -> str:
        return f"{self.source.tag}/{VERSION_SUFFIX.sub('', self.name.lower())}"


class BuildError(RuntimeError):
    """A step that cannot go on, with a message for the person running the script."""


class Skipped(BuildError):
    """A package left out on purpose: too large, or no music where expected."""


# -- Debian packages ---------------------------------------------------------------------
def _run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def require_apt() -> None:
    missing = [t for t in ("apt-get", "apt-cache", "dpkg-deb") if shutil.which(t) is None]
    if missing:
        raise BuildError(f"{', '.join(missing)} not found: this script fetches its music "
                         "from Debian packages and needs apt and dpkg (Debian or Ubuntu)")


def resolve_package(pattern: str) -> str:
    """The package named by ``pattern``; with a ``*``, the newest matching name."""
    if "*" not in pattern:
        return pattern
    prefix = pattern.split("*")[0]
    names = [n for n in _run(["apt-cache", "pkgnames", prefix]).split()
             if fnmatch.fnmatchcase(n, pattern)]
    if not names:
        raise BuildError(f"no package matches {pattern!r} (run 'apt-get update' first?)")

    def version_key(name: str) -> tuple[int, ...]:
        return tuple(int(d) for d in re.findall(r"\d+", name[len(prefix):]))
    return max(names, key=version_key)


def package_fields(name: str) -> dict[str, str]:
    """``apt-cache show`` of the candidate version, continuation lines joined."""
    try:
        text = _run(["apt-cache", "show", "--no-all-versions", name])
    except BuildError as err:
        raise BuildError(f"package {name} is not known to apt (run 'apt-get update' "
                         f"first?): {err}") from None
    fields: dict[str, str] = {}
    key = None
    for line in text.split("\n\n")[0].splitlines():
        if line[:1].isspace() and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def game_genres(game: str) -> list[str]:
    """The ``game::*`` debtags of a game's package: ``["strategy", ...]``."""
    tags = package_fields(game).get("Tag", "")
    return sorted({t.strip().split("::", 1)[1].split(":")[0]
                   for t in tags.split(",") if t.strip().startswith("game::")})


def fetch(name: str, debs: Path, max_mb: float) -> Path:
    """The ``.deb`` of the candidate version of ``name`` in ``debs``, downloaded once."""
    fields = package_fields(name)
    size_mb = int(fields.get("Size", "0")) / 1e6
    if size_mb > max_mb:
        raise Skipped(f"{name} is {size_mb:.0f} MB, over the {max_mb:.0f} MB limit")
    version = fields.get("Version", "").replace(":", "%3a")  # as apt names the file
    cached = sorted(debs.glob(f"{name}_{version}_*.deb"))
    if cached:
        return cached[0]
    _run(["apt-get", "download", name], cwd=debs)
    got = sorted(debs.glob(f"{name}_{version}_*.deb"))
    if not got:
        raise BuildError(f"apt-get download {name} left no {name}_{version}_*.deb")
    return got[0]


def unpack(deb: Path, dest: Path, archives: tuple[str, ...]) -> None:
    """``dpkg-deb -x`` into ``dest`` (once per version), then open the zip ``archives``."""
    stamp = dest / ".unpacked"
    if not (stamp.exists() and stamp.read_text() == deb.name):
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        _run(["dpkg-deb", "-x", str(deb), str(dest)])
        for rel in archives:
            with zipfile.ZipFile(dest / rel) as zf:
                zf.extractall(dest / f"{rel}.d")
        stamp.write_text(deb.name)


# -- tracks, segments, tags --------------------------------------------------------------
def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def find_tracks(source: Source, root: Path) -> list[Track]:
    """The music files of one unpacked package, ``MIN_TRACK_S`` or longer, by path.

    A file with the same bytes as one before it is left out: a package may ship a piece
    twice under two names (Widelands' menu theme is also ``ingame_14``), and the two
    would sit in different groups, one recording on both sides of a split.
    """
    paths = sorted({p for g in source.music for p in root.glob(g) if p.is_file()})
    tracks = []
    seen: set[str] = set()
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(rel, g) for g in source.exclude):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        with sf.SoundFile(path) as fh:
            meta = fh.copy_metadata()
            track = Track(source, path, rel, path.stem, fh.samplerate, fh.frames,
                          artist=meta.get("artist", "").strip(),
                          title=meta.get("title", "").strip(),
                          genre=meta.get("genre", "").strip())
        if track.frames >= MIN_TRACK_S * track.samplerate:
            tracks.append(track)
    # Two folders may hold the same file name (a game's world themes): keep names unique.
    stems = Counter(t.name for t in tracks)
    for t in tracks:
        if stems[t.name] > 1:
            t.name = f"{t.path.parent.name}-{t.name}"
    return tracks


def candidate_tags(track: Track, genres: list[str]) -> list[str]:
    """All tags the metadata gives a track, before the count rule."""
    tags = [track.source.tag] + [f"{g}-game" for g in genres]
    artist = _norm(track.artist)
    if artist:
        tags.append("artist-" + _slug(ARTIST_ALIASES.get(artist, artist)))
    genre = _norm(track.genre)
    genre = GENRE_ALIASES.get(genre, genre)
    if genre and genre not in GENERIC_GENRES:
        tags.append("genre-" + _slug(genre))
    return tags


def n_segments(track: Track, seconds: float) -> int:
    return int(track.frames // round(seconds * track.samplerate))


def share_out(available: dict[str, int], total: int) -> dict[str, int]:
    """Quotas summing to ``min(total, sum(available))``, as even as ``available`` allows."""
    quota = {k: 0 for k in available}
    left = min(total, sum(available.values()))
    open_ = sorted(available, key=lambda k: available[k])
    while left > 0 and open_:
        each, extra = divmod(left, len(open_))
        k = open_[0]
        room = available[k] - quota[k]
        if room <= each:  # the smallest source gives all it has; the rest is shared again
            quota[k] += room
            left -= room
            open_.pop(0)
            continue
        for i, k in enumerate(open_):
            quota[k] += each + (1 if i >= len(open_) - extra else 0)
        left = 0
    return quota


def choose_segments(tracks: list[Track], seconds: float, n_clips: int,
                    seed: int) -> list[tuple[Track, int]]:
    """Up to ``n_clips`` (track, segment index) pairs; see the module docstring."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[Track]] = defaultdict(list)
    for t in tracks:
        by_source[t.source.tag].append(t)
    available = {s: sum(n_segments(t, seconds) for t in ts) for s, ts in by_source.items()}
    quota = share_out(available, n_clips)
    chosen = []
    for s, ts in by_source.items():
        order = [ts[i] for i in rng.permutation(len(ts))]
        queues = [[(t, int(k)) for k in rng.permutation(n_segments(t, seconds))] for t in order]
        picked: list[tuple[Track, int]] = []
        while len(picked) < quota[s]:
            for q in queues:
                if q and len(picked) < quota[s]:
                    picked.append(q.pop(0))
        chosen += sorted(picked, key=lambda p: (p[0].rel, p[1]))
    return chosen


def _kind(tag: str) -> int:
    """0 source, 1 game genre, 2 artist, 3 genre: the order in which tags are kept."""
    if tag.startswith("artist-"):
        return 2
    if tag.startswith("genre-"):
        return 3
    return 1 if tag.endswith("-game") else 0


def vocabulary(tag_sets: list[list[str]], min_clips: int) -> list[str]:
    """Tags kept by the count rule, sources first, then game genres, artists, genres."""
    clips_of: dict[str, set[int]] = defaultdict(set)
    for i, tags in enumerate(tag_sets):
        for t in tags:
            clips_of[t].add(i)
    kept: list[str] = []
    for t in sorted(clips_of, key=_kind):  # stable: first-seen order within a kind
        clips = clips_of[t]
        if len(clips) >= min_clips and all(
                len(clips & clips_of[k]) < SAME_CLIPS * len(clips | clips_of[k]) for k in kept):
            kept.append(t)
    return kept


# -- writing -----------------------------------------------------------------------------
def write_clips(chosen: list[tuple[Track, int]], seconds: float,
                clip_dir: Path) -> list[tuple[Track, int, Path]]:
    """One FLAC per chosen segment, each track decoded once; (track, k, path) in order."""
    segments: dict[str, list[int]] = defaultdict(list)
    track_of = {}
    for t, k in chosen:
        segments[t.key].append(k)
        track_of[t.key] = t
    written = {}
    for key in tqdm(segments, desc="cutting tracks", unit="track"):
        t = track_of[key]
        audio, sr = sf.read(t.path, dtype="float32", always_2d=True)
        hop = round(seconds * sr)
        out = clip_dir / t.source.tag
        out.mkdir(parents=True, exist_ok=True)
        for k in segments[key]:
            piece = audio[k * hop:(k + 1) * hop]
            if len(piece) < hop:  # the header promised more frames than decoded
                continue
            path = out / f"{t.name}_{k:03d}.flac"
            # Decoded Vorbis and Opus overshoot full scale a little (up to 1.5 here);
            # 16 bits cannot hold that, so clip as a player would.
            sf.write(path, np.clip(piece, -1.0, 1.0), sr, format="FLAC", subtype="PCM_16")
            written[(key, k)] = path
    return [(t, k, written[(t.key, k)]) for t, k in chosen if (t.key, k) in written]


def write_manifest(out_dir: Path, clips: list[tuple[Track, int, Path]],
                   vocab: list[str]) -> Path:
    manifest = out_dir / "manifest.csv"
    tmp = manifest.with_name("manifest.csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(MANIFEST_HEADER)
        for t, k, path in clips:
            tags = [tag for tag in t.tags if tag in vocab]
            writer.writerow([f"{t.source.tag}-{t.name}-{k:03d}",
                             path.relative_to(out_dir).as_posix(), ";".join(tags), "",
                             t.group])
    tmp.replace(manifest)
    return manifest


def write_credits(out_dir: Path, clips: list[tuple[Track, int, Path]],
                  package_of: dict[str, str]) -> None:
    tracks = {t.key: t for t, _, _ in clips}.values()
    with (out_dir / "tracks.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("group", "source", "package", "file", "artist", "title", "licence"))
        for t in sorted(tracks, key=lambda t: (t.source.tag, t.rel)):
            writer.writerow((t.group, t.source.tag, package_of[t.source.tag], t.rel,
                             t.artist, t.title, t.source.licence))
    lic = out_dir / "licenses"
    lic.mkdir(exist_ok=True)
    for pkg in package_of.values():
        copyright_file = out_dir / "pkgs" / pkg / "usr/share/doc" / pkg / "copyright"
        if copyright_file.exists():
            shutil.copyfile(copyright_file, lic / f"{pkg}.copyright")


def print_summary(clips: list[tuple[Track, int, Path]], vocab: list[str], seconds: float,
                  package_of: dict[str, str], sources: tuple[Source, ...]) -> None:
    per_tag = Counter(tag for t, _, _ in clips for tag in t.tags if tag in vocab)
    per_source = Counter(t.source.tag for t, _, _ in clips)
    tracks = Counter(t.source.tag for t in {t.key: t for t, _, _ in clips}.values())
    print(f"\n{len(clips)} clips of {seconds:g} s = {len(clips) * seconds / 3600:.2f} h, "
          f"from {sum(tracks.values())} tracks, {len(vocab)} tags")
    print("clips per tag:")
    for tag in vocab:
        print(f"  {tag:28s} {per_tag[tag]:5d}")
    print("clips per source (package, licence):")
    for s in sources:
        if s.tag in per_source:
            print(f"  {s.tag:14s} {per_source[s.tag]:4d} clips from {tracks[s.tag]:3d} tracks"
                  f"  {package_of[s.tag]}: {s.licence}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path, help="folder for packages, clips and manifest")
    parser.add_argument("--set", choices=sorted(SETS), default="first", dest="set_name",
                        help="which soundtracks: the first set (default) or the second, "
                             "disjoint from it")
    parser.add_argument("--clips", type=int, default=600, help="at most this many clips")
    parser.add_argument("--seconds", type=float, default=30.0, help="segment length")
    parser.add_argument("--seed", type=int, default=0, help="seed of the subsample")
    parser.add_argument("--min-tag-clips", type=int, default=20,
                        help="a tag needs at least this many clips")
    parser.add_argument("--max-package-mb", type=float, default=MAX_PACKAGE_MB,
                        help="skip larger packages")
    args = parser.parse_args(argv)
    out_dir = args.out_dir.resolve()
    debs, pkgs, clip_dir = out_dir / "debs", out_dir / "pkgs", out_dir / "clips"
    debs.mkdir(parents=True, exist_ok=True)

    try:
        require_apt()
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed: dict[str, str] = {}
    package_of: dict[str, str] = {}
    tracks: list[Track] = []
    sources = SETS[args.set_name]
    for source in tqdm(sources, desc="packages", unit="pkg"):
        try:
            name = resolve_package(source.package)
            deb = fetch(name, debs, args.max_package_mb)
            unpack(deb, pkgs / name, source.archives)
            found = find_tracks(source, pkgs / name)
            if not found:
                raise Skipped(f"{name} has no music under {', '.join(source.music)}")
            segments = sum(n_segments(t, args.seconds) for t in found)
            if segments < args.min_tag_clips:
                raise Skipped(f"{name} has {segments} segments of {args.seconds:g} s in "
                              f"{len(found)} tracks of {MIN_TRACK_S:g} s or more, under "
                              f"--min-tag-clips {args.min_tag_clips}")
            genres = game_genres(source.game)
        except BuildError as err:
            if not isinstance(err, Skipped):
                failed[source.package] = str(err)
            tqdm.write(f"skipping {source.tag}: {err}")
            continue
        for t in found:
            t.tags = candidate_tags(t, genres)
        package_of[source.tag] = name
        tracks += found
    if not tracks:
        print("error: no package gave any music; " + "; ".join(failed.values()), file=sys.stderr)
        return 1

    chosen = choose_segments(tracks, args.seconds, args.clips, args.seed)
    shutil.rmtree(clip_dir, ignore_errors=True)  # no clip of an earlier run stays behind
    clips = write_clips(chosen, args.seconds, clip_dir)
    vocab = vocabulary([t.tags for t, _, _ in clips], args.min_tag_clips)
    manifest = write_manifest(out_dir, clips, vocab)
    write_credits(out_dir, clips, package_of)
    print_summary(clips, vocab, args.seconds, package_of, sources)
    print(f"manifest: {manifest}")
    if failed:
        print("error: these packages could not be used, the set was built without them:\n"
              + "\n".join(f"  {p}: {why}" for p, why in failed.items()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
