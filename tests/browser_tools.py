"""Drive a real browser against a real Jupyter server: the plumbing behind tests/test_browser.py.

The recipe is the one measured in FIELD-NOTES.md ("A real browser against JupyterLab"): Debian's
``/usr/bin/chromium`` driven by Python Playwright (never Playwright's own browser download), and a
``jupyter lab`` server on 127.0.0.1 with fresh config, data, runtime and IPython directories, a
token, a fixed port and no news or update checks. The same server answers both JupyterLab
(``/lab/tree/NAME``) and Notebook 7 (``/notebooks/NAME``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
INSTALL_HINT = "apt-get install -y chromium && python -m pip install playwright (never `playwright install`)"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

#: Timeouts in milliseconds (Playwright) for the slow steps; the machine has 2 shared cores.
PAGE_TIMEOUT_MS = 60_000
KERNEL_TIMEOUT_MS = 90_000


def require_browser() -> None:
    """Skip (or, when CI is set, fail) unless Debian's chromium and Python Playwright are installed."""
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if missing:
        message = f"the browser test needs {' and '.join(missing)}; install with: {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# The Jupyter server
# --------------------------------------------------------------------------------------------


@dataclass
class JupyterServer:
    """A running server: where it serves from, and how to reach it."""

    root_dir: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _fresh_jupyter_env(work_dir: Path, extra_env: dict[str, str]) -> dict[str, str]:
    """Fresh config, data, runtime and IPython directories; the news toast switched off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    for name in ("config", "data", "runtime", "ipython"):
        (work_dir / name).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(work_dir / "config"),
        JUPYTER_DATA_DIR=str(work_dir / "data"),
        JUPYTER_RUNTIME_DIR=str(work_dir / "runtime"),
        IPYTHONDIR=str(work_dir / "ipython"),
    )
    labconfig = work_dir / "config" / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}),
        encoding="utf-8",
    )
    env.update(extra_env)
    return env


def _wait_until_ready(server: JupyterServer, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url("/api/status"), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer /api/status within {timeout_s} s:\n{server.log_tail()}")


@contextmanager
def jupyter_server(
    root_dir: Path, work_dir: Path, *, env: dict[str, str] | None = None, log_path: Path | None = None
) -> Iterator[JupyterServer]:
    """Serve ``root_dir`` with ``jupyter lab`` on 127.0.0.1; stop the server (and its kernels) after."""
    port, token = free_port(), secrets.token_hex(16)
    log_path = log_path or work_dir / "jupyter.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=root_dir,
            env=_fresh_jupyter_env(work_dir, env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that kernels stop with it
        )
        server = JupyterServer(Path(root_dir), port, token, process, log_path)
        try:
            _wait_until_ready(server)
            yield server
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def copy_lessons(destination: Path) -> Path:
    """A throw-away copy of ``lessons/`` to serve, so that nothing is written into the repository."""
    shutil.copytree(REPO / "lessons", destination, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return destination


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


@contextmanager
def chromium_browser():
    """A headless Debian chromium under Playwright (a ``playwright.sync_api.Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class NotebookPage:
    """One notebook opened in JupyterLab (``ui="lab"``) or Notebook 7 (``ui="notebook"``).

    Knows the few things a lesson test needs: open, wait for the kernel, run all cells, find a
    quiz by question id, and save screenshots under ``test-artifacts/browser/``.
    """

    def __init__(self, page, server: JupyterServer, ui: str, *, artifact_prefix: str) -> None:
        if ui not in ("lab", "notebook"):
            raise ValueError(f"ui must be 'lab' or 'notebook', got {ui!r}")
        self.page, self.server, self.ui = page, server, ui
        self.artifact_prefix = artifact_prefix
        page.set_default_timeout(PAGE_TIMEOUT_MS)

    def open(self, name: str) -> None:
        path = f"/lab/tree/{name}" if self.ui == "lab" else f"/notebooks/{name}"
        self.page.goto(self.server.url(path), wait_until="domcontentloaded")
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="attached")
        self.wait_for_kernel()

    def wait_for_kernel(self) -> None:
        """Idle *and* named "Python 3" (the indicator says idle before a kernel exists)."""
        self.page.locator(".jp-Toolbar-kernelName", has_text="Python 3").first.wait_for(
            timeout=KERNEL_TIMEOUT_MS
        )
        self.wait_until_idle()

    def wait_until_idle(self) -> None:
        self.page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(
            state="attached", timeout=KERNEL_TIMEOUT_MS
        )

    def run_all_cells(self) -> None:
        """Menu Run, then Run All Cells."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        self.page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    def quiz(self, question_id: str):
        """The rendered quiz widget for ``question_id`` (a Playwright Locator)."""
        return self.page.locator(f".kn-quiz-{question_id}.jupyter-widgets")

    def page_copy(self, question_id: str):
        """The quiz's page copy (answerable without a kernel) for ``question_id``."""
        return self.page.locator(f'.kn-quiz[data-kn-payload][data-question-id="{question_id}"]')

    def save(self) -> None:
        """Save with Ctrl+S and wait until the notebook is no longer marked modified."""
        self.page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")
        self.page.locator(".jp-mod-dirty").wait_for(state="detached")

    def is_modified(self) -> bool:
        """True when JupyterLab marks the open notebook as changed since it was opened or saved."""
        return self.page.locator(".jp-mod-dirty").count() > 0

    def score_panel(self):
        return self.page.locator(".kn-score-panel.jupyter-widgets")

    def screenshot(self, name: str, locator=None) -> Path:
        """Save a screenshot (of ``locator``, or of the whole window) as test-artifacts/browser/PREFIX-NAME.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.artifact_prefix}-{name}.png"
        if locator is None:
            self.page.screenshot(path=str(path))
        else:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(path))
        return path
