"""The Jupyter kernel the runner executes step notebooks in: its registration, its
manager's settings, and what the runner tells it through the environment."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..utils import progress

KERNEL_NAME = "vqvae-kit"
def ensure_kernel() -> str:
    """Register this interpreter as the ``vqvae-kit`` Jupyter kernel inside its own
    environment, so notebooks never run under another Python that happens to own the
    name ``python3``. Returns the kernel name."""
    from ipykernel.kernelspec import get_kernel_dict, install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        # The metadata says what the kernel supports (transport encryption among it): a
        # spec written by another ipykernel version is written again.
        if (spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
                and spec.metadata == get_kernel_dict()["metadata"]):
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    install(kernel_name=KERNEL_NAME, display_name="Python (vqvae-kit)", prefix=sys.prefix)
    return KERNEL_NAME


def kernel_config() -> Any:
    """The kernel manager's settings for the runner's kernels: CurveZMQ keys for the
    kernel's sockets where pyzmq has CurveZMQ and the kernelspec declares support. The
    kernel warns about plain-text TCP otherwise; the warning then stays, as it is true."""
    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve") and KernelManager.class_traits().get("transport_encryption"):
        config.KernelManager.transport_encryption = "auto"
    return config


@functools.lru_cache(maxsize=1)
def kernel_manager_class() -> type:
    """The kernel manager of the runner's kernels: jupyter_client's, except that shutting a
    kernel down does not interrupt it first.

    jupyter_client sends SIGINT before its shutdown request. When that signal lands while
    the kernel handles a message, ipykernel logs ``KeyboardInterrupt caught in kernel.``
    to the terminal after a notebook that ran to its end. The runner shuts a kernel down
    only when its cells are done (or failed), so the interrupt has nothing to stop; a
    kernel that does not answer the request is still terminated, then killed."""
    from jupyter_client.manager import AsyncKernelManager

    class RunnerKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return RunnerKernelManager


def kernel_progress_mode(stream: Any = None) -> str:
    """How the runner's kernels show progress (``vqvae_lib.utils.progress``): as it was asked
    for in ``VQVAE_KIT_PROGRESS``, else a live bar when ``stream`` (default stderr, where
    the kernels' output goes) is a terminal and plain lines otherwise. Never widgets: no
    one sees the executed notebook while it runs."""
    chosen = os.environ.get(progress.ENV, "").strip().lower()
    if chosen in ("bar", "plain"):
        return chosen
    return progress.stream_mode(sys.stderr if stream is None else stream)


@contextmanager
def kernel_env(**values: str) -> Iterator[None]:
    """Set environment variables for the kernels started inside the block.

    A kernel inherits the environment of the process that starts it; papermill offers
    no other way to give it variables."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


__all__ = ["KERNEL_NAME", "ensure_kernel", "kernel_config", "kernel_env",
           "kernel_manager_class", "kernel_progress_mode"]
