"""nbgrader preprocessors that make the students' feedback safe to read and worth reading.

nbgrader's own ``ClearHiddenTests`` removes the hidden lines from a test cell's source, but a
failing test's traceback still prints the lines around the failure, hidden ones included, and
its feedback page calls every check "Test cell". The course's ``nbgrader_config.py`` runs, before
nbgrader's feedback steps:

- :class:`RedactHiddenTests`: no hidden-test line in any output;
- :class:`NameChecks`: each test cell is named by what it checks (its docstring), which the
  course's feedback template (``templates/korea_nato_feedback``) shows instead of "Test cell";
- :class:`ExplainTestFailures`: a failing test's traceback becomes one or two sentences: the
  check, and its message, or the error the student's own code raised and where in their cells.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbconvert.filters import strip_ansi
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

#: The course's feedback template (it extends nbgrader's ``feedback`` template).
TEMPLATE_NAME = "korea_nato_feedback"
TEMPLATE_FILE = "page.html.j2"
TEMPLATE_DIR = Path(__file__).with_name("templates")

#: A frame of an IPython traceback in a notebook cell: ``Cell In[5], line 12`` (IPython >= 8.4),
#: ``Input In [5], in <cell line: 12>()`` (IPython 8.0-8.3).
CELL_FRAME = re.compile(r"(?:Cell In|Input In) ?\[(\d+)\](?:, line (\d+)|, in <cell line: (\d+)>)")
NAME_ERROR = re.compile(r"name '(\w+)' is not defined")
#: A message made of words: at least three words of letters, not a bare value such as ``['E09', ...]``.
WORDS = re.compile(r"[A-Za-z]{2,}")
FAILED = "\u2717"  # the cross a student sees beside a failed check
#: nbgrader's default for its preprocessors (nbgrader.preprocessors.base).
DISPLAY_DATA_PRIORITY = [
    "text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "text/plain"
]


def template_dirs() -> list[str]:
    """The folders nbconvert must search for the course's feedback template and nbgrader's own."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    return [str(TEMPLATE_DIR), str(nbgrader_templates)]


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter under a config section of its own (``c.FeedbackExporter``).

    ``nbgrader_config.py`` gives it the course's feedback template. Set on ``HTMLExporter``, the
    template would also replace the formgrader's page (nbgrader renders it with an
    ``HTMLExporter`` too), and the grader would lose the score boxes and the mark scheme.
    """


class CoursePreprocessor(NbGraderPreprocessor):
    """nbgrader's preprocessor base, with ``display_data_priority`` configurable as nbconvert's is.

    nbconvert's HTML exporter configures ``display_data_priority`` for every preprocessor;
    nbgrader's base redeclares it without ``config=True``, so each subclass would log "Config
    option `display_data_priority` not recognized" on every feedback run.
    """

    display_data_priority = List(DISPLAY_DATA_PRIORITY).tag(config=True)


class ClearHiddenTests(nbgrader_preprocessors.ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests``, without its "Config option `display_data_priority` not
    recognized" warning on every feedback run (see :class:`CoursePreprocessor`)."""

    display_data_priority = List(DISPLAY_DATA_PRIORITY).tag(config=True)


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def check_name(source: str) -> str:
    """What a test cell checks: its docstring's first line, else its first comment; "" if neither."""
    for line in source.splitlines():
        text = line.strip()
        if not text:
            continue
        if text[:3] in ('"""', "'''"):
            return text.strip("\"' ").strip()
        if text.startswith("#"):
            return text.lstrip("# ").strip()
        return ""
    return ""


class NameChecks(CoursePreprocessor):
    """Store each test cell's check name (its docstring) as ``metadata.nbgrader.check``."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_test_cell(cell):
            name = check_name(cell.source)
            if name:
                cell.metadata.nbgrader["check"] = name
        return cell, resources


def is_sentence(message: str) -> bool:
    """A message a student can read: words ("2 of 6 dates ... got the wrong date"), not a bare
    value (``['E09', 'E10']``, ``42``, ``''``)."""
    text = message.strip()
    if len(WORDS.findall(text)) < 3 or text[:1] in "[({":
        return False
    try:  # a quoted value ("'E09 E10 E19'") is a value; "'1979' names a year, ..." is a sentence
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return True
    return False


class ExplainTestFailures(CoursePreprocessor):
    """Replace the traceback of each failed test cell by what a student can act on.

    - a failed assertion: ``✗ <check>: <its message>``, or ``✗ <check>: this check failed.`` if
      the message is not a sentence (a bare value could be a hidden expected one);
    - an error raised in the student's own code: that error and the line of their cell it
      came from (``in your cell `parse_date` (In [2]), line 7: raise NotImplementedError()``);
    - any other error inside the check: the error, and that the check could not run on the answer.
    """

    begin_hidden_tests = Unicode("BEGIN HIDDEN TESTS", help="The marker that opens a hidden-test region").tag(
        config=True
    )
    #: Longest error message kept (a student's error could carry a long value).
    longest_message = 300

    def preprocess(self, nb, resources):
        self._cells_by_count = {}
        for cell in nb.cells:
            count = cell.get("execution_count")
            if cell.cell_type == "code" and count is not None and not is_test_cell(cell):
                self._cells_by_count.setdefault(count, cell)
        return super().preprocess(nb, resources)

    def _student_frame(self, traceback: list[str]):
        """``(cell, line number)`` of the deepest frame in one of the student's cells, or None.

        The first cell frame is the test cell itself; nbgrader runs it without counting it, so
        its ``In [n]`` is the number the next cell gets, never that of a cell it can call.
        """
        found, test_count = None, None
        for frame in traceback:
            match = CELL_FRAME.search(strip_ansi(frame))
            if not match:
                continue
            count = int(match.group(1))
            if test_count is None:
                test_count = count
            elif count != test_count and count in self._cells_by_count:
                found = self._cells_by_count[count], int(match.group(2) or match.group(3))
        return found

    def _short(self, text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= self.longest_message else text[: self.longest_message - 3] + "..."

    def explain(self, cell, output) -> list[str]:
        check = cell.metadata.get("nbgrader", {}).get("check") or check_name(cell.source) or "This check"
        ename, evalue = output.get("ename", "Error"), self._short(output.get("evalue", ""))
        student = self._student_frame(output.get("traceback", []))
        if student is not None:
            answer, line_number = student
            lines = answer.source.splitlines()
            line = lines[line_number - 1].strip() if 0 < line_number <= len(lines) else ""
            name = answer.metadata.get("nbgrader", {}).get("grade_id")
            where = f"your cell `{name}`" if name else "one of your cells"
            error = f"{ename}: {evalue}" if evalue else ename
            if ename == "NotImplementedError" and line.startswith("raise NotImplementedError"):
                return [f"{FAILED} {check}: {where} is not answered yet (it raises NotImplementedError)."]
            return [
                f"{FAILED} {check}: your code raised {error}",
                f"  in {where} (In [{answer.execution_count}]), line {line_number}: {line}",
            ]
        if ename == "NameError" and NAME_ERROR.match(evalue):
            missing = NAME_ERROR.match(evalue).group(1)
            return [
                f"{FAILED} {check}: your notebook does not define `{missing}` (NameError); "
                "run the answer cell that should create it, and check its spelling against the instructions."
            ]
        if ename == "AssertionError":
            if is_sentence(evalue):
                return [f"{FAILED} {check}: {evalue}"]
            return [f"{FAILED} {check}: this check failed."]
        error = f"{ename}: {evalue}" if evalue else ename
        return [
            f"{FAILED} {check}: the check could not run on your answer ({error}); "
            "check the names, columns and types the instructions ask for."
        ]

    def preprocess_cell(self, cell, resources, cell_index):
        if not is_test_cell(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = self.explain(cell, output)
        return cell, resources


class HideHiddenTestTracebacks(ExplainTestFailures):
    """The former name of :class:`ExplainTestFailures`, kept for course configs that still use it."""


class RedactHiddenTests(CoursePreprocessor):
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
