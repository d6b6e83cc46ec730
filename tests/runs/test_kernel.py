"""The ``vqvae-kit`` kernel, started the way the runner starts it, runs the first cells of
a step notebook."""

import os

import nbformat
import pytest
import zmq

from vqvae_lib.runs.kernel import (
    KERNEL_NAME,
    ensure_kernel,
    kernel_config,
    kernel_manager_class,
)
from vqvae_lib.runs.run import NOTEBOOKS_DIR


def run_cell(kc, source: str) -> tuple[dict, list[dict]]:
    outputs: list[dict] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] in ("stream", "error", "execute_result", "display_data"):
            outputs.append({"type": msg["msg_type"], **msg["content"]})

    reply = kc.execute_interactive(source, timeout=300, output_hook=keep)
    return reply["content"], outputs


def test_the_kit_kernel_runs_the_first_cells_of_extract(tmp_path, capfd):
    from jupyter_client.manager import KernelManager

    # The runner registers the kernel on first use; a fresh environment has none yet.
    assert ensure_kernel() == KERNEL_NAME
    nb = nbformat.read(NOTEBOOKS_DIR / "01_extract.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"][:2]
    assert "params_file" in cells[0]

    km = KernelManager(kernel_name=KERNEL_NAME, config=kernel_config())
    km.start_kernel(cwd=str(NOTEBOOKS_DIR),
                    env={**os.environ, "VQVAE_KIT_OUTPUTS": str(tmp_path)})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        results = [run_cell(kc, source) for source in cells]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    for (reply, outputs), source in zip(results, cells):
        assert reply["status"] == "ok", (source, reply)
        assert not [o for o in outputs if o["type"] == "error"], outputs
        stderr = "".join(o["text"] for o in outputs if o.get("name") == "stderr")
        assert "Traceback" not in stderr and "Error" not in stderr, stderr
    shown = [o["data"]["text/plain"] for o in results[1][1] if o["type"] == "execute_result"]
    assert shown and shown[0].startswith("Run('tiny'")
    assert (tmp_path / "tiny").is_dir()
    if zmq.has("curve"):
        assert "WARNING | Kernel" not in capfd.readouterr().err


@pytest.mark.skipif(not zmq.has("curve"), reason="pyzmq without CurveZMQ")
def test_the_runner_asks_for_encrypted_kernel_sockets():
    from jupyter_client.kernelspec import KernelSpecManager

    ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert "curve" in spec.metadata.get("supported_encryption", [])
    assert kernel_config().KernelManager.transport_encryption == "auto"


@pytest.mark.parametrize("manager", ["runner", "jupyter_client"])
def test_shutting_the_runners_kernel_down_does_not_interrupt_it(tmp_path, manager):
    """jupyter_client interrupts a kernel before asking it to shut down; a SIGINT that lands
    in a message handler prints ``KeyboardInterrupt caught in kernel.`` after a notebook
    that succeeded. The runner's kernels are asked to shut down, not interrupted."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    cls = kernel_manager_class() if manager == "runner" else AsyncKernelManager
    mark = tmp_path / "interrupted"
    started = tmp_path / "started"
    # Busy in a handler when the shutdown comes; a KeyboardInterrupt leaves a mark.
    cell = ("import pathlib, time\n"
            f"pathlib.Path({str(started)!r}).touch()\n"
            "try:\n    time.sleep(20)\n"
            f"except KeyboardInterrupt:\n    pathlib.Path({str(mark)!r}).touch()\n    raise")

    async def run() -> None:
        km = cls(kernel_name=KERNEL_NAME, config=kernel_config())
        km.shutdown_wait_time = 2.0
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            kc.execute(cell)
            for _ in range(600):
                if started.exists():
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel()

    ensure_kernel()
    asyncio.run(run())
    assert started.exists()
    assert mark.exists() == (manager == "jupyter_client")
