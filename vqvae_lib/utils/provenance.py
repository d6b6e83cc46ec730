"""What made a result: the kit's source files, library versions and git commit.

Every finished step records these beside its fingerprint (``.steps/<step>.json``), so a
number in a run folder can be traced to the code that produced it months later. They
are recorded, not fingerprinted: an edit of the library does not silently re-run a long
step, but ``vqvae-kit run`` and ``vqvae-kit status`` name the files that changed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
VERSIONED = ("torch", "librosa", "soundfile", "numpy", "scikit-learn")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 hex digest of a file's bytes (streamed: checkpoints can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_state(path: str | Path) -> dict[str, object]:
    """What identifies a file's bytes: ``{"size", "mtime_ns", "sha256"}``."""
    st = Path(path).stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(path)}


def file_changed(path: str | Path, state: dict) -> str | None:
    """Why ``path`` is no longer the file ``file_state`` described (``"missing"``, ``"size"``
    or ``"content"``), or None. Cheap when nothing changed: the bytes are hashed only
    when the modification time differs (a copy without kept times, or an edit)."""
    try:
        st = Path(path).stat()
    except OSError:
        return "missing"
    if st.st_size != state.get("size"):
        return "size"
    if st.st_mtime_ns == state.get("mtime_ns"):
        return None
    return None if file_sha256(path) == state.get("sha256") else "content"


def notebook_source_sha256(path: str | Path) -> str:
    """sha256 hex digest of what a notebook does: each cell's kind and source, and for the
    cell tagged ``parameters`` only the names it sets (papermill replaces their values).
    Outputs, execution counts, cell ids and metadata are left out, so running a notebook
    in JupyterLab and saving it changes nothing, while an edited cell does."""
    cells = []
    for cell in json.loads(Path(path).read_text(encoding="utf-8")).get("cells", []):
        source = cell.get("source", "")
        source = source if isinstance(source, str) else "".join(source)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = ",".join(sorted(_assigned_names(source)))
        cells.append([cell.get("cell_type"), source])
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # not Python after all: the whole text counts
        return {source}
    return {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)}


def library_hashes() -> dict[str, str]:
    """``{path relative to vqvae_lib: sha256[:16]}`` for every source and data file."""
    files = sorted(p for p in PACKAGE_DIR.rglob("*")
                   if p.is_file() and p.suffix in (".py", ".tsv", ".txt", ".json", ".npz")
                   and "__pycache__" not in p.parts)
    return {p.relative_to(PACKAGE_DIR).as_posix(): file_sha256(p)[:16] for p in files}


def changed_files(recorded: dict[str, str] | None, current: dict[str, str] | None = None
                  ) -> list[str]:
    """Library files added, removed or edited since ``recorded`` (sorted)."""
    if not recorded:
        return []
    current = library_hashes() if current is None else current
    return sorted(k for k in set(recorded) | set(current) if recorded.get(k) != current.get(k))


# Settings added after runs existed, at the value that reproduces those runs: left out of
# the fingerprint at that value, so a finished run is not redone for a key it never had.
NEUTRAL_SETTINGS = {"validate_every": 1, "keep": "best", "latent": "z_q"}


def without_neutral_settings(section: dict) -> dict:
    """``section`` of the params without the ``NEUTRAL_SETTINGS`` at their neutral value."""
    return {k: v for k, v in section.items()
            if not (k in NEUTRAL_SETTINGS and v == NEUTRAL_SETTINGS[k])}


def _flatten(obj: object, prefix: str = "") -> dict[str, object]:
    if isinstance(obj, dict):
        out: dict[str, object] = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): obj}


def _renamed(a: dict, b: dict, keys: list[str]) -> dict[str, str]:
    """Keys that only lost a prefix, with their value kept (``tag.tagger.cnn_filters`` ->
    ``tag.tagger.filters``): a new spelling of the same setting, named as such."""
    added = [k for k in keys if k in b and k not in a]
    out = {}
    for k in keys:
        if k in a and k not in b:
            parent, _, leaf = k.rpartition(".")
            for n in added:
                n_parent, _, n_leaf = n.rpartition(".")
                if n_parent == parent and leaf.endswith("_" + n_leaf) and a[k] == b[n]:
                    out[k] = n
                    break
    return out


def describe_changes(old: dict, new: dict, limit: int = 6) -> list[str]:
    """What differs between two fingerprints' parts (``Run.fingerprint_parts``), in words:
    ``params tag.lr: 0.0002 -> 0.05``, ``notebook changed``, ``upstream step 'pretrain'
    changed``, ``data [tag]: labels changed``."""
    out: list[str] = []
    a, b = _flatten(old.get("config", {})), _flatten(new.get("config", {}))
    keys = sorted(k for k in set(a) | set(b) if a.get(k, "<unset>") != b.get(k, "<unset>"))
    renamed = _renamed(a, b, keys)
    if renamed:
        out.append("settings renamed by the kit, same values: " + ", ".join(
            f"{old} -> {new.rpartition('.')[2]}" for old, new in renamed.items()))
        keys = [k for k in keys if k not in renamed and k not in renamed.values()]
    out += [f"params {k}: {a.get(k, '<unset>')!r} -> {b.get(k, '<unset>')!r}"
            for k in keys[:limit]]
    if len(keys) > limit:
        out.append(f"and {len(keys) - limit} more params")
    if old.get("notebook") != new.get("notebook"):
        out.append("notebook changed")
    up_a, up_b = old.get("upstream", {}), new.get("upstream", {})
    out += [f"upstream step {n!r} changed" for n in sorted(set(up_a) | set(up_b))
            if up_a.get(n) != up_b.get(n)]
    data_a, data_b = old.get("data", {}), new.get("data", {})
    for role in sorted(set(data_a) | set(data_b)):
        da, db = data_a.get(role, {}), data_b.get(role, {})
        what = [k for k in ("clips", "labels", "audio") if da.get(k) != db.get(k)]
        if what:
            out.append(f"data [{role}]: {', '.join(what)} changed")
    if old.get("checkpoint_file") != new.get("checkpoint_file"):
        out.append("the pretrain.checkpoint file changed")
    return out or ["fingerprint differs"]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_state() -> dict[str, object] | None:
    """``{"commit", "dirty"}`` of the checkout holding the kit, or None outside git."""
    root = PACKAGE_DIR.parent
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True)
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no", "--", "vqvae_lib", "notebooks"],
                                capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def environment() -> dict[str, object]:
    """The kit's version, its git commit (with a dirty flag) and the versions of the
    libraries that decide a result."""
    from .. import __version__

    return {"kit": __version__, "git": git_state(),
            "versions": {name: _version(name) for name in VERSIONED}}


__all__ = ["changed_files", "describe_changes", "environment", "file_changed", "file_sha256",
           "file_state", "git_state", "library_hashes"]
