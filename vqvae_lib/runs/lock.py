"""One writer per run folder: a lock file naming its holder.

``vqvae-kit run`` holds ``<run>/.lock`` for its whole length, and a step notebook run in
JupyterLab holds it from ``open_run`` to ``finish_step`` (or until its kernel stops). A
second writer stops at once, told who holds the folder. A lock left by a process that no
longer runs on this host is taken over, with a note. The lock is re-entrant within one
process: a notebook that runs the steps it needs first takes it again.

The file is made with ``O_CREAT | O_EXCL``, which is atomic on local file systems: of two
processes that start together, exactly one creates it.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sys
import time
from pathlib import Path

from ..settings.registry import RunPaths
from ..utils.errors import KitError

LOCK_FILE = RunPaths.LOCK
# Set in the kernels the runner starts: they write under the runner's lock.
LOCK_HOLDER_ENV = "VQVAE_KIT_LOCK_HOLDER"


class RunLocked(KitError, RuntimeError):
    """Another process is writing the run folder; the message names it."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _describe(holder: dict) -> str:
    what = holder.get("command") or "a process"
    return (f"{what} (pid {holder.get('pid')} on {holder.get('host')}, since "
            f"{holder.get('started')})")


class RunLock:
    """The lock of one run folder.

    Args:
        folder: the run folder (made if absent).
        command: what holds it, for the message another writer sees.
    """

    _held: dict[Path, int] = {}  # folder -> depth, in this process

    def __init__(self, folder: str | Path, command: str | None = None):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.command = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]).strip()

    def _mine(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S")}

    def holder(self) -> dict | None:
        """The holder's record, or None when the folder is not locked."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # being written, or damaged: held by someone unknown
        return data if isinstance(data, dict) else {}

    def acquire(self) -> RunLock:
        """Take the lock, or raise ``RunLocked`` naming its holder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self.folder.resolve()
        if self._held.get(key):
            self._held[key] += 1
            return self
        inherited = os.environ.get(LOCK_HOLDER_ENV)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder and inherited and str(holder.get("pid")) == inherited:
                    return self  # a kernel of the runner that holds the folder
                if not self._take_over(holder):
                    raise RunLocked(
                        f"{self.folder} is being written by {_describe(holder or {})}. "
                        f"Wait for it to finish, or stop it. If it no longer runs, delete "
                        f"{self.path}") from None
                continue
            with os.fdopen(fd, "w") as fh:
                json.dump(self._mine(), fh)
            self._held[key] = 1
            atexit.register(self.release)
            return self
        raise RunLocked(f"{self.path}: could not be taken (another process keeps taking it)")

    def hold(self) -> RunLock:
        """Take the lock unless this process holds it already (a notebook's cells run
        again in the same kernel); one ``release`` then gives it back."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self if self._held.get(self.folder.resolve()) else self.acquire()

    def _take_over(self, holder: dict | None) -> bool:
        """Remove a lock whose holder is gone (same host, no such process); say so."""
        if holder is None:
            return True  # released meanwhile
        pid = holder.get("pid")
        if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
            return False
        if _alive(pid):
            return False
        print(f"note: taking over the lock of {self.folder} from {_describe(holder)}, "
              "which no longer runs", file=sys.stderr)
        self.path.unlink(missing_ok=True)
        return True

    def release(self) -> None:
        """Give the lock back (the last of nested ``acquire`` calls removes the file)."""
        key = self.folder.resolve()
        depth = self._held.get(key, 0)
        if depth > 1:
            self._held[key] = depth - 1
            return
        if depth == 1:
            del self._held[key]
            holder = self.holder()
            if holder and holder.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


__all__ = ["LOCK_FILE", "LOCK_HOLDER_ENV", "RunLock", "RunLocked"]
