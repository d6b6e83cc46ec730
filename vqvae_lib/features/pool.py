"""The crash-tolerant process pool that computes clip features for ``extract``.

A job is ``(split, row, audio path)``; its result ``(split, row, status, features,
message)``, where ``features`` is float16 ``[n_mels, frames]`` for status ``ok`` and None
otherwise. A bad file never raises here: it comes back as a failure status, and a worker
killed by a decoder crash costs the files then in flight one solo retry each, not the run.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..settings.features import FeatureConfig
from .logmel import AudioError, clip_features, log_mel

Job = tuple[str, int, str]  # (split, row in that split's arrays, audio path)
# (split, row, status name, float16 [n_mels, frames] or None, message)
Result = tuple[str, int, str, "np.ndarray | None", str]
OnResult = Callable[[str, int, str, "np.ndarray | None", str], None]


# -- one clip (runs in the worker processes) ---------------------------------------------
def _features_or_failure(path: str, cfg: FeatureConfig) -> tuple[str, np.ndarray | None, str]:
    """``(status, float16 [n_mels, frames] or None, message)``; never raises an Exception,
    so one bad file cannot stop an extraction."""
    try:
        return "ok", clip_features(path, cfg).astype(np.float16), ""
    except AudioError as exc:
        return exc.reason, None, exc.message
    except Exception as exc:  # a decoder bug on one file must not end the run
        return "error", None, f"{type(exc).__name__}: {exc}"


def _work(job: Job, cfg: FeatureConfig) -> Result:
    split, row, path = job
    # Looked up by name at call time, so a test can stand in for it (forked workers too).
    return (split, row, *_features_or_failure(path, cfg))


# -- the pool ----------------------------------------------------------------------------
def _pool(workers: int) -> cf.ProcessPoolExecutor:
    # fork (where it exists and is safe) starts workers in milliseconds with librosa
    # already imported; spawn elsewhere (macOS, Windows).
    ctx = None
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("fork")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def run_jobs(jobs: list[Job], cfg: FeatureConfig, workers: int, on_result: OnResult) -> None:
    """Compute every job, calling ``on_result(split, row, status, feats, message)`` in the
    calling process as results arrive (in any order); ``feats`` is float16
    ``[n_mels, frames]`` or None.

    ``workers <= 1`` (or a single job) computes in this process. A job whose worker
    dies is run again alone; if that worker dies too, the job is reported ``corrupt``.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            on_result(*_work(job, cfg))
        return
    # A file that is not there is reported here, as a worker would, without a round trip
    # through the pool: with a dataset not yet (or only partly) downloaded those round
    # trips were most of the time.
    present = []
    for job in jobs:
        if Path(job[2]).is_file():
            present.append(job)
        else:
            on_result(*_work(job, cfg))
    jobs = present
    if not jobs:
        return
    # Build the cached filterbank and window (and librosa's lazy imports, ~1 s) once
    # here, so that forked workers start warm.
    log_mel(np.zeros(cfg.n_fft, np.float32), cfg)
    pending = list(reversed(jobs))
    window = 4 * workers  # bounded: results are written as they come, memory stays flat
    while pending:
        suspects: list[Job] = []
        with _pool(workers) as pool:
            running: dict[cf.Future, Job] = {}
            try:
                while pending or running:
                    while pending and len(running) < window:
                        job = pending.pop()
                        running[pool.submit(_work, job, cfg)] = job
                    done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                    for fut in done:
                        result = fut.result()  # a dead worker raises here: job stays in running
                        del running[fut]
                        on_result(*result)
            except cf.process.BrokenProcessPool:
                # A worker died (a decoder crash on some file): find the file by running
                # each job that was in flight on its own.
                suspects = list(running.values())
        for job in suspects:
            with _pool(1) as solo:
                try:
                    on_result(*solo.submit(_work, job, cfg).result())
                except cf.process.BrokenProcessPool:
                    on_result(job[0], job[1], "corrupt", None,
                              "the audio decoder crashed on this file")


__all__ = ["Job", "OnResult", "Result", "run_jobs"]
