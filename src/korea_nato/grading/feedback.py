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
