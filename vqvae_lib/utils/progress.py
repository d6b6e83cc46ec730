"""Progress bars that suit where they are shown.

Every loop of the kit that reports progress goes through ``progress_bar`` (tqdm's
arguments). How it shows depends on ``VQVAE_KIT_PROGRESS``, which ``vqvae-kit run`` sets
for the kernels it starts:

- ``bar``: tqdm's live bar, for a terminal;
- ``plain``: one short line (at most 200 characters, no carriage returns) each time another
  tenth is done or 30 s have passed, and one at the end, for log files and CI;
- ``widget``: a notebook widget (``tqdm.auto``), for JupyterLab.

Unset (or another value), a kernel the runner did not start gets widgets; anywhere else a
terminal on stderr gets the live bar and anything else plain lines.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterable
from typing import Any

from tqdm import std

ENV = "VQVAE_KIT_PROGRESS"
# Set in the kernels ``vqvae-kit run`` starts (the runner records their steps itself), and
# by a test run with no one to see a widget (nbval): interactive panels print a line.
RUNNER_ENV = "VQVAE_KIT_RUNNER"
HEADLESS_ENV = "VQVAE_KIT_HEADLESS"
MODES = ("bar", "plain", "widget")
MAX_LINE = 200
PLAIN_STEP = 0.1
PLAIN_SECONDS = 30.0


def in_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, papermill, nbval)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def stream_mode(stream: Any) -> str:
    """``bar`` when ``stream`` is a terminal, else ``plain``."""
    try:
        return "bar" if stream.isatty() else "plain"
    except (AttributeError, ValueError):  # no isatty, or already closed
        return "plain"


def mode() -> str:
    """How this process shows progress: ``bar``, ``plain`` or ``widget``."""
    chosen = os.environ.get(ENV, "").strip().lower()
    if chosen in MODES:
        return chosen
    if in_kernel():
        return "widget"
    return stream_mode(sys.stderr)


def plain_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line of at most ``limit`` bytes (a log's tools count bytes)."""
    line = " ".join(text.replace("\r", " ").split())
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    return data[:limit - 3].decode("utf-8", "ignore") + "..."


class _Discard(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


class PlainProgress(std.tqdm):
    """A tqdm bar that prints whole lines instead of redrawing itself: when another tenth
    is done or ``PLAIN_SECONDS`` have passed (never closer together than ``mininterval``),
    and once when it closes."""

    # The monitor thread exists to redraw stalled bars; a line is due only on progress.
    monitor_interval = 0

    def __init__(self, iterable: Iterable | None = None, *args: Any, **kwargs: Any):
        self._out = kwargs.pop("file", None)
        self._last_t: float | None = None
        self._last_tenth: int | None = None
        self._last_n: float | None = None
        # Every update may be due for a line; tqdm would otherwise skip ever more of them.
        kwargs.setdefault("miniters", 1)
        # tqdm's own redraws (carriage returns, clearing) go nowhere; lines come from display.
        super().__init__(iterable, *args, file=_Discard(), **kwargs)

    def _tenth(self) -> int | None:
        return int(self.n / self.total / PLAIN_STEP) if self.total else None

    def _emit(self) -> None:
        meter = dict(self.format_dict, ncols=0, bar_format=None)  # width 0: tqdm drops the bar
        print(plain_line(self.format_meter(**meter)), file=self._out or sys.stderr, flush=True)
        self._last_t, self._last_tenth, self._last_n = self._time(), self._tenth(), self.n

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if self.disable:  # tqdm disables a bar before its closing display
            if self._last_n != self.n or self._last_t is None:
                self._emit()
            return True
        if self._last_t is None:  # the display at creation: no line, only the baseline
            self._last_t, self._last_tenth, self._last_n = self._time(), self._tenth(), self.n
            return True
        since = self._time() - self._last_t
        tenth = self._tenth()
        due = since >= PLAIN_SECONDS or (tenth is not None and tenth > (self._last_tenth or 0))
        if due and since >= self.mininterval and self.n != self._last_n:
            self._emit()
        return True


# A plain progress line: "<desc>: <percent>% <n>/<total> [...]" (PlainProgress).
_PLAIN = re.compile(r"^(?P<desc>.+?): +(?P<pct>\d+)%\|? ?(?P<n>\d+)/(?P<total>\d+)\b")


class ProgressRelay(io.TextIOBase):
    """A text stream that shows another process's plain progress lines as bars here.

    The kernels the runner starts print plain lines; when a notebook in JupyterLab runs
    the steps it needs first, their lines come through this stream, and each loop
    (``desc``) gets a widget bar like the notebook's own. Other text goes on to ``out``.
    """

    def __init__(self, out: Any, bar_class: Any = None):
        self.out = out
        self.bar_class = bar_class or _widget_class()
        self.bars: dict[str, std.tqdm] = {}
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        match = _PLAIN.match(line.strip())
        if match is None:
            if line.strip():
                print(line, file=self.out)
            return
        desc, n, total = match["desc"], int(match["n"]), int(match["total"])
        bar = self.bars.get(desc)
        if bar is None or bar.total != total or n < bar.n:
            bar = self.bars[desc] = self.bar_class(total=total, desc=desc)
        bar.update(n - bar.n)
        if n >= total:
            bar.close()
            del self.bars[desc]

    def flush(self) -> None:
        if self._pending:
            self._line(self._pending)
            self._pending = ""


def relay(out: Any) -> Any:
    """Where a child kernel's stderr should go: ``out`` itself, or, in a notebook that
    shows widgets, a ``ProgressRelay`` onto it."""
    return ProgressRelay(out) if mode() == "widget" else out


def _widget_class() -> type:
    from tqdm.auto import tqdm as auto_tqdm

    return auto_tqdm


def progress_bar(iterable: Iterable | None = None, **kwargs: Any) -> std.tqdm:
    """A tqdm bar (tqdm's arguments) shown as ``mode()`` says."""
    chosen = mode()
    cls = PlainProgress if chosen == "plain" else std.tqdm if chosen == "bar" else _widget_class()
    return cls(iterable, **kwargs)


__all__ = ["ENV", "HEADLESS_ENV", "MAX_LINE", "MODES", "PlainProgress", "ProgressRelay",
           "RUNNER_ENV", "in_kernel", "mode", "plain_line", "progress_bar", "relay",
           "stream_mode"]
