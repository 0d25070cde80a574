"""Helpers for the sandbox tests: is bubblewrap here, and running a notebook in a sandboxed kernel."""

from __future__ import annotations

import os
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from korea_nato.grading.sandbox import SandboxKernelManager, sandbox_problem

INSTALL = "apt-get install -y bubblewrap"


def require_sandbox() -> None:
    """Skip (or, when CI is set, fail) unless bubblewrap can sandbox a kernel on this machine."""
    problem = sandbox_problem()
    if problem is None:
        return
    message = f"the grading sandbox is unavailable ({problem}); install it with `{INSTALL}`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_sandboxed(cells: list[str], workdir, timeout: int = 20, fork_server: bool = True) -> nbformat.NotebookNode:
    """Execute ``cells`` in a sandboxed kernel whose working folder is ``workdir``; errors are kept.

    ``fork_server=False`` starts the kernel in its own bubblewrap instead of forking it.
    """
    from traitlets.config import Config

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        kernel_manager_class=SandboxKernelManager,
        resources={"metadata": {"path": str(workdir)}},
        config=Config({"SandboxKernelManager": {"fork_server": fork_server}}),
    )
    client.execute()
    return nb


def text_of(cell) -> str:
    """Everything a cell printed or raised, as one string."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        if output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        parts.extend(str(value) for value in output.get("data", {}).values())
    return "".join(parts)


def processes_with(marker: str) -> list[str]:
    """Command lines of running processes that contain ``marker`` (this test's own pgrep aside)."""
    result = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    return [line for line in result.stdout.splitlines() if marker in line and "ps -eo" not in line]
