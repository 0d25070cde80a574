"""Show each written answer's mark scheme to the grader, in nbgrader's formgrader.

nbgrader keeps the model answer and mark scheme of a hand-graded cell only in ``source/``: its
formgrader shows the student's answer, a score box and a comment field, nothing else (nbgrader
issue #1155, open). :class:`ShowMarkScheme` is an nbconvert preprocessor that the course's
``nbgrader_config.py`` adds to the formgrader's ``HTMLExporter``: when the formgrader renders a
submission, it reads the source notebook and puts, right below each hand-graded answer, that
cell's source text (model answer, criteria with points, common errors), marked "graders only".

Nothing is written anywhere: the autograded notebook, ``release/`` and the students' feedback
never hold the mark scheme. nbgrader's ``generate_feedback`` uses an ``HTMLExporter`` too, so the
step runs only when the formgrader is the caller (it alone passes a ``submission_id``;
``generate_feedback`` passes ``resources["nbgrader"]``); a test checks the feedback pages.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory

#: The tag of an inserted mark-scheme cell (nbconvert writes it as the class ``celltag_<tag>``).
MARK_SCHEME_TAG = "korea-nato-mark-scheme"


def is_hand_graded(cell) -> bool:
    """A cell a person scores: a graded answer cell (nbgrader "manually graded answer") or a task."""
    return (utils.is_grade(cell) and utils.is_solution(cell)) or utils.is_task(cell)


def mark_schemes(source_notebook: Path) -> dict[str, str]:
    """``grade_id -> source text`` of every hand-graded cell of an instructor (source) notebook."""
    notebook = nbformat.read(source_notebook, as_version=nbformat.NO_CONVERT)
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in notebook.cells
        if is_hand_graded(cell)
    }


def mark_scheme_cell(grade_id: str, text: str, where: str):
    """The markdown cell the grader sees below the answer ``grade_id``: a heading, then ``text``."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    heading = f"#### Mark scheme for `{grade_id}` (graders only; from `{where}`, never shown to students)"
    return nbformat.v4.new_markdown_cell(f"{heading}\n\n{quoted}", metadata={"tags": [MARK_SCHEME_TAG]})


def missing_mark_scheme_cell(grade_id: str, why: str):
    text = f"**No mark scheme for `{grade_id}`:** {why}. Grade it from the source notebook."
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [MARK_SCHEME_TAG]})


class ShowMarkScheme(Preprocessor):
    """Insert each hand-graded cell's mark scheme (from ``source/``) below the student's answer.

    Runs only for the formgrader's page (``resources`` has ``submission_id`` and no
    ``nbgrader`` entry); every other export of the notebook is left as it was.
    """

    def preprocess(self, nb, resources):
        if not is_formgrader_page(resources):
            return nb, resources
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", resources["assignment_id"]))
        where = source / f"{resources['notebook_id']}.ipynb"
        shown = where.relative_to(coursedir.root) if where.is_relative_to(coursedir.root) else where
        try:
            schemes, why = mark_schemes(where), ""
        except FileNotFoundError:
            schemes, why = {}, f"the source notebook {shown} is missing"
        except (OSError, ValueError) as error:  # unreadable or invalid JSON
            schemes, why = {}, f"the source notebook {shown} could not be read ({error})"
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if not is_hand_graded(cell):
                continue
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            if grade_id in schemes:
                cells.append(mark_scheme_cell(grade_id, schemes[grade_id], str(shown)))
            else:
                reason = why or f"the source notebook {shown} has no hand-graded cell `{grade_id}`"
                self.log.warning("No mark scheme for %s: %s", grade_id, reason)
                cells.append(missing_mark_scheme_cell(grade_id, reason))
        nb.cells = cells
        return nb, resources


def is_formgrader_page(resources) -> bool:
    """Whether nbgrader's formgrader is rendering this notebook for a grader."""
    return bool(resources) and "submission_id" in resources and "nbgrader" not in resources
