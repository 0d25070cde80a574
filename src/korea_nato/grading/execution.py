"""How nbgrader runs a submission here: in the sandbox, with tests that must prove they ran.

The course's ``nbgrader_config.py`` puts :class:`GuardedExecute` in place of nbgrader's
``Execute`` and :class:`LimitOutputBytes` in place of ``LimitOutput``.

A sandbox keeps student code away from the file system, the network and other processes, but
code in the kernel can still change how the kernel runs *later* cells: an IPython input or AST
transformer, a replaced ``run_cell`` or ``showtraceback``, an event hook, a patched pandas
method, a shadowed module. A test that never really ran scores full marks in nbgrader, because
a test cell without an error counts as passed. So, for every graded test cell:

1. **Before it**, the grader probes the kernel (:mod:`korea_nato.grading.kernel_probe`) and
   compares the report with the one taken before any student code ran. Anything that changes
   how cells run, and was not there then nor comes from the installed Python, fails the test
   with a message saying what was found.
2. **The test runs** with a line appended that prints a one-time token, and without entering
   IPython's history (``In``, ``_ih``), so later cells cannot print its source. No token in its
   output and no error means the test did not run to its end: it fails.
3. **After it**, its source is removed from ``linecache`` and the last traceback is dropped, so
   no later cell can read the hidden lines or their constants. When the next cell to run is
   another test, the next test's probe does this, saving one round trip to the kernel.

Every cell's output is capped in bytes while it arrives (nbgrader's own limit counts lines, and
a single 100 MB line passed it). A cell that outlives the time limit is interrupted, as in
nbgrader; if it is still running one more time limit later (code that swallows the interrupt),
the kernel will never answer again, so no later cell is sent to it: each gets an error saying
why and scores 0, instead of each waiting out the time limit in turn.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from queue import Empty
from time import monotonic

from jupyter_core.utils import ensure_async
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, LimitOutput
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer

from .sandbox import SandboxKernelManager, _python_folders

PROBE_SOURCE = (Path(__file__).with_name("kernel_probe.py")).read_text(encoding="utf-8")
PROBE_FUNCTION = PROBE_SOURCE[PROBE_SOURCE.index("def _kn_probe") :]
TRUNCATED = "\n... output truncated: this cell printed more than {limit} bytes ...\n"


class TestDidNotRun(Exception):
    """Raised (as an error output) for a test cell that could not prove it ran."""


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded, not an answer, code."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def trusted_folders() -> tuple[str, ...]:
    """Files under these folders belong to the installed Python and packages, not to a student."""
    return tuple(str(folder) + os.sep for folder in _python_folders())


#: Places where nothing but installed code belongs: a new entry must come from a trusted folder.
STRICT_PLACES = (
    "shell.",
    "input_transformers",
    "ast_transformers",
    "manager.",
    "event.",
    "sys.",
    "builtins",
    "displayhook",
    "display_pub",
    "compile",
    "InteractiveTB",
    "kernel",
    "session",
)


def is_untrusted(file: str, trusted: tuple[str, ...], strict: bool) -> bool:
    """Whether code from ``file`` (as the kernel probe reports it) may be a student's."""
    if file.startswith("main:"):
        return True
    if file in ("instance", "class", "none", "builtin"):
        return False
    if file.startswith(trusted):
        return False
    # Compiled (Cython) and generated code reports relative or bracketed names; a student's
    # cells report absolute paths of the kernel's cell files. In the places that run cells,
    # only installed code is accepted at all.
    return strict or file.startswith("/")


def tampered_places(baseline: dict, report: dict, trusted: tuple[str, ...]) -> list[str]:
    """Places in ``report`` holding code that was not in ``baseline`` and may be a student's."""
    found = []
    for place, files in sorted(report.items()):
        before = set(baseline.get(place, []))
        if place.startswith("shell.") and place in baseline and files[1:] != baseline[place][1:]:
            found.append(f"{place} (replaced on the shell itself)")
            continue
        strict = place.startswith(STRICT_PLACES)
        new = [f for f in files if f not in before and is_untrusted(f, trusted, strict)]
        if new:
            found.append(f"{place} ({', '.join(sorted(new)[:3])})")
    return found


KERNEL_LOST = (
    "an earlier cell kept running after it was interrupted at the time limit, so the kernel no "
    "longer answers: this cell was not run and scores 0"
)


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, sandboxed, checking before each test that the kernel is unchanged."""

    max_cell_output_bytes = Integer(
        256 * 1024, help="Bytes of output one cell may produce; the rest is dropped as it arrives."
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        # nbgrader's Execute sets its own kernel manager class over any configured one.
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)
        self._configured = {"shutdown_kernel": self.shutdown_kernel, "iopub_timeout": self.iopub_timeout}

    def preprocess(self, nb, resources=None, km=None):
        self._baseline = None
        self._stuck = False  # a cell ignored the time limit's interrupt: the kernel is lost
        for name, value in self._configured.items():
            setattr(self, name, value)
        self._waiting_for: str | None = None
        self._trusted = trusted_folders()
        self._tampering: list[str] = []
        self._proof: str | None = None
        self._pending_cleanup: tuple[str, ...] = ()
        return super().preprocess(nb, resources, km)

    # --- the probe ---------------------------------------------------------------------------

    def _probe(self, index: int, cleanup: tuple[str, ...] = (), full: bool = True) -> dict | None:
        """Run the kernel probe as a cell of its own; its report, or ``None`` if it printed none."""
        nonce = secrets.token_hex(8)
        call = f"try:\n    _kn_probe({nonce!r}, {tuple(cleanup)!r}, {full!r})\nfinally:\n    del _kn_probe\n"
        code = f"{PROBE_FUNCTION}\n{call}"
        probe = NotebookNode(cell_type="code", source=code, metadata={}, outputs=[], execution_count=None)
        cell = self.nb.cells[index]
        try:
            self.execute_cell(probe, index, store_history=False)
        finally:
            self.nb.cells[index] = cell  # nbclient puts the cell it ran at this index
        prefix = f"KN-GUARD {nonce} "
        # The kernel may send one print as several stream messages: join them first.
        text = "".join(
            output.get("text", "")
            for output in probe.outputs
            if output.get("output_type") == "stream" and output.get("name") == "stdout"
        )
        for line in text.splitlines():
            if line.startswith(prefix):
                try:
                    return json.loads(line[len(prefix) :])
                except json.JSONDecodeError:
                    return None
        return None

    def _kernel_changes(self, index: int, cleanup: tuple[str, ...]) -> list[str]:
        report = self._probe(index, cleanup)
        if report is None:
            return ["the kernel no longer runs the grader's check (its output is gone)"]
        return tampered_places(self._baseline, report, self._trusted)

    # --- cells -------------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        self._check_assign_resources(resources)
        if self._stuck and cell.cell_type == "code":
            cell.outputs = [error_output("KernelNotAnswering", KERNEL_LOST)]
            return cell, self.resources
        if self._baseline is None:
            self._baseline = self._probe(index) or {}
        if not is_test_cell(cell) or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if not self._tampering:
            cleanup, self._pending_cleanup = self._pending_cleanup, ()
            self._tampering = self._kernel_changes(index, cleanup)
            if self._tampering:
                self.log.warning(
                    "Kernel changed by the submission; its tests score 0: %s", "; ".join(self._tampering)
                )
        if self._tampering:
            cell.outputs = [
                error_output(
                    "GradingIntegrityError",
                    "code earlier in this notebook changed how the kernel runs cells ("
                    + "; ".join(self._tampering[:3])
                    + "), so this test cannot run and scores 0",
                )
            ]
            return cell, self.resources
        original = cell.source
        nonce = secrets.token_hex(8)
        cell.source = f"{original}\nprint('KN-PROOF {nonce}')\n"
        sent = cell.source
        self._proof = nonce
        try:
            self.execute_cell(cell, index, store_history=False)
        finally:
            cell.source = original
            self._proof = None
        if self._next_code_cell_is_a_test(index):
            # No student code runs before the next test's probe: it does this cleanup too.
            self._pending_cleanup = (source_hash(sent),)
        else:
            self._probe(index, (source_hash(sent),), full=False)
        if not _take_proof(cell, nonce) and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(
                error_output(
                    "TestDidNotRun",
                    "this test did not run to its end, so it scores 0: code earlier in the notebook "
                    "changes how the kernel runs cells",
                )
            )
        return cell, self.resources

    def _next_code_cell_is_a_test(self, index: int) -> bool:
        for cell in self.nb.cells[index + 1 :]:
            if cell.cell_type == "code":
                return is_test_cell(cell) and bool(cell.source.strip())
        return False

    # --- a cell that will not stop ------------------------------------------------------------

    async def _async_poll_for_reply(self, msg_id, *args, **kwargs):
        self._waiting_for = msg_id
        return await super()._async_poll_for_reply(msg_id, *args, **kwargs)

    async def _async_handle_timeout(self, timeout, cell=None):
        """nbgrader's interrupt at the time limit; then, if the cell still runs, the kernel is lost."""
        reply = await super()._async_handle_timeout(timeout, cell)
        if self.interrupt_on_timeout and not await self._interrupted_cell_ended(timeout):
            self._stuck = True
            # Nothing more will come from this kernel: do not wait for the cell's last output, nor
            # for a graceful shutdown it cannot answer.
            self.iopub_timeout, self.shutdown_kernel = 0, "immediate"
            self.log.warning("A cell ignored the interrupt at the time limit: later cells are not run")
        return reply

    async def _interrupted_cell_ended(self, wait: float) -> bool:
        """Whether the kernel answers the interrupted cell within ``wait`` seconds."""
        deadline = monotonic() + wait
        while (left := deadline - monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return False
            if msg.get("parent_header", {}).get("msg_id") == self._waiting_for:
                return True
        return False

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._cell_bytes = 0
        self._truncated_streams: set[str] = set()
        return super().execute_cell(cell, cell_index, execution_count, store_history)

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's output within :attr:`max_cell_output_bytes` while it arrives.

        Errors always pass (a test that failed must not pass by printing a lot first), and so
        does the test's proof line; a stream cut short ends with a note, on stderr for stderr.
        """
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            return super().output(outs, msg, display_id, cell_index)
        text = content.get("text", "")
        proof = f"KN-PROOF {self._proof}" if self._proof else None
        size = len(text) if isinstance(text, str) else 0
        size += len(json.dumps(content.get("data", {}), default=str))
        self._cell_bytes += size
        if self._cell_bytes <= self.max_cell_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if proof and isinstance(text, str) and proof in text:
            note = NotebookNode(output_type="stream", name="stdout", text=f"\n{proof}\n")
            outs.append(note)
            return note
        name = content.get("name", "stdout") if msg.get("msg_type") == "stream" else "stdout"
        if name in self._truncated_streams:
            return None
        self._truncated_streams.add(name)
        note = NotebookNode(
            output_type="stream", name=name, text=TRUNCATED.format(limit=self.max_cell_output_bytes)
        )
        outs.append(note)
        return note


def _take_proof(cell, nonce: str) -> bool:
    """Remove the proof line from a test cell's output; whether it was there.

    The stdout of the cell is joined into its first stdout output first (the kernel may split
    one line over several messages).
    """
    pattern = re.compile(rf"KN-PROOF {nonce}\n")
    kept, stdout = [], None
    for output in cell.outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            if stdout is not None:
                stdout["text"] += output.get("text", "")
                continue
            stdout = output
        kept.append(output)
    token = f"KN-PROOF {nonce}"
    for output in kept:
        if output.get("output_type") == "error":  # a traceback shows the lines around a failure
            output["traceback"] = [
                "\n".join(line for line in entry.split("\n") if token not in line)
                for entry in output.get("traceback", [])
            ]
    if stdout is None:
        cell.outputs = kept
        return False
    stdout["text"], count = pattern.subn("", stdout.get("text", ""))
    cell.outputs = [o for o in kept if o is not stdout or o["text"]]
    return count > 0


class LimitOutputBytes(LimitOutput):
    """nbgrader's ``LimitOutput`` (lines), and a cap on the bytes of text each cell keeps."""

    max_bytes = Integer(64 * 1024, help="Characters of text output one cell keeps in the notebook.").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type != "code":
            return cell, resources
        budget = self.max_bytes
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                if len(text) > budget:
                    output["text"] = text[: max(budget, 0)] + TRUNCATED.format(limit=self.max_bytes)
                budget -= len(output["text"])
        return cell, resources
