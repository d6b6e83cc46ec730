"""``vqvae-kit check``: validate a params file and its datasets without heavy work.

Reads the metadata, counts clips per split and tags, and checks that each audio file
exists and has a readable header (no decoding).
"""

from __future__ import annotations

from typing import Any

from .run import Run

SHOW_MISSING = 5


def check_dataset(run: Run, role: str, progress: bool = True) -> dict[str, Any]:
    """Figures of one dataset role: ``splits``, ``n_tags``, ``missing``, ``unreadable``."""
    from ..datasets import check_audio

    table = run.clip_table(role)
    audio = check_audio(table, progress=progress)
    return {
        "dataset": table.name,
        "splits": table.split_sizes(),
        "n_tags": len(table.tags),
        "missing": len(audio.missing),
        "unreadable": len(audio.unreadable),
        "missing_examples": audio.missing[:SHOW_MISSING],
        "unreadable_examples": audio.unreadable[:SHOW_MISSING],
        "notes": list(table.notes),
    }


def check_run(run: Run, progress: bool = True) -> dict[str, Any]:
    """Check every dataset the run names.

    With one dataset its figures are the top level. With a pretraining and a tagging
    dataset, each is nested under its role, and the tagging dataset's figures are also
    repeated at the top level, so ``splits``, ``n_tags``, ``missing`` and ``unreadable``
    always describe the data being tagged (or pretrained on, for a pretraining-only run).
    """
    data = run.params.data
    roles = ["tag"] if data.tag is not None else []
    if data.pretrain is not None and data.pretrain != data.tag:
        roles.append("pretrain")
    figures = {role: check_dataset(run, role, progress) for role in roles}
    main = figures["tag"] if "tag" in figures else figures["pretrain"]
    result: dict[str, Any] = {"params": str(run.params_path), "run": run.params.name, **main}
    if len(figures) > 1:
        result.update(figures)
    result["usable"] = main["missing"] == 0 and sum(main["splits"].values()) > main["unreadable"]
    return result


def describe(result: dict[str, Any]) -> str:
    """A few human lines for the check result."""
    lines = [f"run {result['run']!r} ({result['params']})"]
    roles = [r for r in ("tag", "pretrain") if r in result] or [None]
    for role in roles:
        fig = result[role] if role else result
        label = f"[{role}] " if role else ""
        splits = ", ".join(f"{k} {v}" for k, v in fig["splits"].items())
        lines.append(f"{label}{fig['dataset']}: {splits}; {fig['n_tags']} tags; "
                     f"{fig['missing']} missing, {fig['unreadable']} unreadable")
        for note in fig["notes"]:
            lines.append(f"{label}note: {note}")
    return "\n".join(lines)
