"""What ``vqvae-kit predict`` writes: the table of ``predict.predict_files`` as text,
JSON records, a flat CSV table, or an ``.npz`` of embeddings.

``predict_files`` gives one row per file: ``path``, ``error`` (None, or why the file
could not be tagged), ``note`` (None, or that only the file's start was heard), ``top``
(``(tag, score)`` pairs, best first), ``tags`` (decided positive), one score column per
tag and, with embeddings, ``embedding`` (float32 ``[D*H']``) and ``code_histogram``
(``[K]``). No torch here: only the table is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def to_json_records(table: pd.DataFrame) -> list[dict]:
    """The ``--json`` layout: ``{"path", "top": [[tag, score], ...], "tags"}`` per file,
    or ``{"path", "error"}`` for a file that failed."""
    out = []
    for row in table.itertuples(index=False):
        if isinstance(row.error, str):
            out.append({"path": row.path, "error": row.error})
        else:
            rec = {"path": row.path, "top": [[t, round(s, 6)] for t, s in row.top],
                   "tags": list(row.tags)}
            if isinstance(row.note, str):
                rec["note"] = row.note
            out.append(rec)
    return out


def to_csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """The ``--csv`` layout: one row per file, every tag's score, ``top`` as
    ``tag:score;...`` and ``tags`` as ``tag;...`` text; the embeddings left out (they
    go to ``--embeddings``)."""
    flat = table.drop(columns=[c for c in ("embedding", "code_histogram") if c in table])
    flat["top"] = [";".join(f"{t}:{s:.4f}" for t, s in tops) for tops in flat["top"]]
    flat["tags"] = [";".join(tags) for tags in flat["tags"]]
    return flat


def format_table(table: pd.DataFrame) -> str:
    """Per file: its path, then the top tags with scores, ``*`` on those decided positive."""
    lines = []
    width = max((len(t) for tops in table["top"] for t, _ in tops), default=0)
    for row in table.itertuples(index=False):
        if isinstance(row.error, str):
            lines.append(f"x {row.path}: {row.error}")
            continue
        lines.append(row.path)
        chosen = set(row.tags)
        for tag, score in row.top:
            lines.append(f"  {score:6.3f}  {tag:<{width}}{'  *' if tag in chosen else ''}")
    if any(len(tags) for tags in table["tags"]):
        lines.append("* decided positive: the score reaches the tag's threshold")
    return "\n".join(lines)


def write_embeddings(table: pd.DataFrame, path: str | Path) -> Path:
    """``--embeddings``: an .npz with ``paths`` [N], ``embedding`` float32 [N, D*H'] and
    ``code_histogram`` float32 [N, K] of the files that were tagged."""
    ok = table[table["error"].isna()]
    path = Path(path)
    np.savez(path, paths=np.array(ok["path"].tolist(), dtype=str),
             embedding=np.stack(ok["embedding"].tolist()).astype(np.float32)
             if len(ok) else np.zeros((0, 0), np.float32),
             code_histogram=np.stack(ok["code_histogram"].tolist()).astype(np.float32)
             if len(ok) else np.zeros((0, 0), np.float32))
    return path
