"""The training loop's CSV log: one row per ``log_every`` steps (``scope`` = step) and one
per epoch (``scope`` = epoch, with the validation figures), read by the notebooks' curves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class TrainingLog:
    """Appends rows to ``path``; only the writing process (rank 0) touches the file.

    Args:
        path: the CSV file.
        fields: every figure name that may appear, in column order.
        writer: False on the other DDP ranks.
    """

    path: Path
    fields: list[str]
    writer: bool = True

    @property
    def columns(self) -> list[str]:
        return ["scope", "epoch", "step", "seconds", *self.fields]

    def write(self, scope: str, epoch: int, step: int, seconds: float,
              figures: dict[str, Any]) -> None:
        row = {"scope": scope, "epoch": epoch, "step": step, "seconds": round(seconds, 3)}
        row.update({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in figures.items()})
        self._write_rows([row])

    def truncate(self, step: int, epoch: int) -> None:
        """Drop the rows written after the checkpoint a resumed run starts from (its
        ``step`` and ``epoch``)."""
        if not self.path.exists():
            return
        with open(self.path, newline="") as fh:
            rows = [r for r in csv.DictReader(fh)
                    if int(r["step"]) <= step
                    and (r["scope"] != "epoch" or int(r["epoch"]) < epoch)]
        self._write_rows(rows, mode="w")

    def _write_rows(self, rows: list[dict[str, Any]], mode: str = "a") -> None:
        if not self.writer:
            return
        new = mode == "w" or not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, mode, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.columns, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerows(rows)
