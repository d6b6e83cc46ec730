"""What a person sees: JupyterLab in headless Chromium runs 03 (tiny.yaml on 40 clips), and
the page shows the kit's kernel, a figure, audio that can play, the steps 03 ran first as
progress widgets, and the explorer with a picture and playable audio; picking another
code redraws its text, picture and players. Screenshots are kept in the test's temporary
folder (``screenshots/``).

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and
the ``playwright`` package of the test extra; without them the test skips."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK = "03_reconstruct_visualize.ipynb"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium: install Debian's chromium (apt-get install "
                             "chromium) to run the browser test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with a token, rooted at a copy of the notebooks, writing
    runs under the test's folder; stopped afterwards."""
    from vqvae_lib.runs.kernel import ensure_kernel

    ensure_kernel()
    root = tmp_path / "lab"
    (root / "notebooks").mkdir(parents=True)
    # tiny.yaml on 40 clips with 4 pretraining epochs: the same cells, outputs and widgets
    # as tiny.yaml itself, in half the time
    params = tmp_path / "lab.yaml"
    params.write_text(f"extends: {REPO / 'params' / 'tiny.yaml'}\nname: lab\n"
                      "data: {tag: {kind: demo, n_clips: 40, clip_seconds: 1.6, seed: 0}}\n"
                      "pretrain: {epochs: 4}\n")
    nb = nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    cell.source = f"params_file = {str(params)!r}\noutputs_root = ''\n"
    nbformat.write(nb, root / "notebooks" / NOTEBOOK)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VQVAE_KIT_")}
    env.update(VQVAE_KIT_OUTPUTS=str(tmp_path / "outputs"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    # Every cell rendered (not only those in view), and no news prompt over the page.
    for name, text in (("notebook-extension/tracker", '{"windowingMode": "none"}'),
                       ("apputils-extension/notification", '{"fetchNews": "false"}')):
        path = tmp_path / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()}")
        yield url, token, tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait_playable(page, audio) -> None:
    """Wait until the audio element ``audio`` (a locator) has loaded a non-zero duration."""
    page.wait_for_function("a => a.duration > 0", arg=audio.element_handle(),
                           timeout=30_000)


def test_03_in_jupyterlab_shows_figures_audio_progress_and_the_explorer(lab):
    from playwright.sync_api import sync_playwright

    url, token, folder = lab
    shots = folder / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/notebooks/{NOTEBOOK}?token={token}")
            kernel = page.locator(".jp-NotebookPanel-toolbar .jp-KernelName").first
            kernel.wait_for(timeout=120_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-NotebookPanel-toolbar "
                ".jp-KernelName')].some(e => e.textContent.includes('vqvae-kit'))",
                timeout=120_000)
            page.get_by_text("Python (vqvae-kit) | Idle").wait_for(timeout=120_000)
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            # the first cells run (a prompt number appears) before the long wait
            page.locator(".jp-InputPrompt", has_text="[1]").first.wait_for(timeout=60_000)
            tabs = page.locator(".jupyter-widgets.widget-tab, .jupyter-widget-tab").first
            tabs.wait_for(timeout=420_000)
            page.screenshot(path=str(shots / "after_run_all.png"), full_page=True)

            # the kit's kernel, a figure, audio that can play
            assert "vqvae-kit" in kernel.inner_text()
            assert page.locator(".jp-OutputArea-output img").count() >= 1  # a figure
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-OutputArea audio')]"
                ".some(a => a.duration > 0)", timeout=60_000)
            # the steps 03 ran first showed as progress widgets, not as stderr lines
            widgets = page.locator(".jp-OutputArea .widget-hprogress, "
                                   ".jp-OutputArea .jupyter-widget-hprogress")
            assert widgets.count() >= 2
            widgets.first.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "nested_progress.png"))
            stderr = " ".join(page.locator(
                "[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts())
            assert "extract tag:" not in stderr and "pretrain" not in stderr, stderr

            # the explorer: its picture, and its audio ready to play
            explorer = tabs
            explorer.scroll_into_view_if_needed()
            assert explorer.locator("img").count() >= 1
            info = explorer.locator(".widget-html, .jupyter-widget-html").first
            assert "used" in info.inner_text() and "times" in info.inner_text()
            _wait_playable(page, explorer.locator("audio").first)
            page.screenshot(path=str(shots / "explorer.png"), full_page=True)

            # picking another code redraws the view and its audio
            before = (info.inner_text(), explorer.locator("img").first.get_attribute("src"),
                      explorer.locator("audio").first.get_attribute("src"))
            listbox = explorer.locator("select[size]").first
            label = listbox.locator("option").nth(1).get_attribute("value")
            listbox.select_option(index=1)
            code = label.split(":")[0]
            page.wait_for_function(
                "([e, code]) => e.textContent.startsWith(`code ${code}:`)",
                arg=[info.element_handle(), code], timeout=30_000)
            # the players are new elements: look them up again rather than hold the old
            page.wait_for_function(
                "([root, src]) => { const a = root.querySelector('audio');"
                " return a !== null && a.getAttribute('src') !== src; }",
                arg=[explorer.element_handle(), before[2]], timeout=30_000)
            after = (info.inner_text(), explorer.locator("img").first.get_attribute("src"),
                     explorer.locator("audio").first.get_attribute("src"))
            assert all(a != b for a, b in zip(after, before)), (before, after)
            _wait_playable(page, explorer.locator("audio").first)
            page.screenshot(path=str(shots / "explorer_code_picked.png"), full_page=True)
            explorer.screenshot(path=str(shots / "explorer_panel.png"))
        finally:
            page.screenshot(path=str(shots / "last.png"), full_page=True)
            browser.close()
