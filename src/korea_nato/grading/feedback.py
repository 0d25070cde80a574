"""nbgrader preprocessors that keep hidden tests out of the students' feedback.

nbgrader's own ``ClearHiddenTests`` removes the hidden lines from a test cell's source, but a
failing test's traceback still prints the lines around the failure, hidden ones included.
:class:`HideHiddenTestTracebacks` shortens those tracebacks to the error's type and message
(the visible tests' messages are written to be read on their own). The course's
``nbgrader_config.py`` runs it, then ``ClearHiddenTests``, before nbgrader's feedback steps.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


class HideHiddenTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of every cell that holds hidden tests by one line: ``Error: message``."""

    begin_hidden_tests = Unicode("BEGIN HIDDEN TESTS", help="The marker that opens a hidden-test region").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.begin_hidden_tests not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
                output["traceback"] = [message]
        return cell, resources


class RedactHiddenTests(NbGraderPreprocessor):
    """Keep every hidden-test line out of the feedback, whatever the student's code printed.

    Runs before ``ClearHiddenTests``, while the hidden lines are still in the notebook: the
    outputs of cells with hidden tests keep only their errors (a student function called by a
    hidden test could print its caller's source or constants), and any line of any other
    output that contains a hidden-test line is replaced by ``[hidden test line removed]``.
    """

    begin_hidden_tests = Unicode("BEGIN HIDDEN TESTS", help="The marker that opens a hidden-test region").tag(
        config=True
    )
    end_hidden_tests = Unicode("END HIDDEN TESTS", help="The marker that closes a hidden-test region").tag(
        config=True
    )
    #: Hidden lines shorter than this (``)``, ``else:``) are too common to redact.
    shortest_secret = 8

    def preprocess(self, nb, resources):
        self._secrets = sorted(self._hidden_lines(nb), key=len, reverse=True)
        return super().preprocess(nb, resources)

    def _hidden_lines(self, nb) -> set[str]:
        lines: set[str] = set()
        for cell in nb.cells:
            inside = False
            for line in cell.source.splitlines():
                if self.begin_hidden_tests in line:
                    inside = True
                elif self.end_hidden_tests in line:
                    inside = False
                elif inside and len(line.strip()) >= self.shortest_secret:
                    lines.add(line.strip())
        return lines

    def _redacted(self, text: str) -> str:
        kept = []
        for line in text.split("\n"):
            if any(secret in line for secret in self._secrets) or self.begin_hidden_tests in line:
                line = "[hidden test line removed]"
            kept.append(line)
        return "\n".join(kept)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        if self.begin_hidden_tests in cell.source:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = self._redacted(output["text"])
            if output.get("output_type") == "error":
                output["evalue"] = self._redacted(output.get("evalue", ""))
                output["traceback"] = [self._redacted(line) for line in output.get("traceback", [])]
            for mime, value in list(output.get("data", {}).items()):
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = self._redacted(value)
        return cell, resources
