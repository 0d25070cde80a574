"""Keep provisional grades away from students: feedback waits for the graders, unless told.

nbgrader's ``generate_feedback`` turns an answer nobody has graded yet into "0.0 / 4.0", and its
``release_feedback`` sends whatever is in ``feedback/``. Two steps of the course's
``nbgrader_config.py`` stop that by default, through nbgrader's own extension points:

- :class:`RefuseProvisionalFeedback`, the first of ``c.GenerateFeedback.preprocessors``, refuses a
  submission with cells still waiting for a grader, naming the student and the cells (nbgrader
  then names the student again in its list of failures and exits 1; other students' feedback is
  generated);
- :class:`CheckedReleaseFeedback`, the course's ``c.ExchangeFactory.release_feedback``, refuses
  to release anything while a student whose feedback is in ``feedback/`` still waits for a
  grader, or while a page generated as provisional is out of date, naming them.

``--ProvisionalGrades.allow=True`` on either command releases provisional grades: each such
feedback page then opens with a "Provisional feedback" note and marks each answer still to grade.
"""

from __future__ import annotations

import glob
import os
import re

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool
from traitlets.config import Configurable

#: Written into a provisional feedback page, so that a release can tell it from a final one.
PROVISIONAL_MARKER = "<!-- korea-nato: provisional feedback -->"
ALLOW_FLAG = "--ProvisionalGrades.allow=True"


class ProvisionalGradesError(Exception):
    """Feedback would show students grades that are not final."""


class ProvisionalGrades(Configurable):
    """The one switch shared by feedback generation and release (``--ProvisionalGrades.allow``)."""

    allow = Bool(
        False,
        help="Generate and release feedback for submissions whose answers still wait for a grader, "
        "marked 'provisional' in the page. Off: such students are refused, by name.",
    ).tag(config=True)


def waiting_cells(gradebook: Gradebook, assignment: str, notebook: str, student: str) -> list[str]:
    """The cells of one submitted notebook that still wait for a grader (empty if none or unknown)."""
    try:
        submission = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        return []
    return sorted(grade.name for grade in submission.grades if grade.needs_manual_grade)


def waiting_students(db_url: str, assignment: str) -> dict[str, list[str]]:
    """``student -> ["notebook: cell", ...]`` for every submission of ``assignment`` still waiting."""
    waiting: dict[str, list[str]] = {}
    with Gradebook(db_url) as gradebook:
        try:
            submissions = gradebook.assignment_submissions(assignment)
        except MissingEntry:
            return {}
        for submission in submissions:
            for notebook in submission.notebooks:
                cells = waiting_cells(gradebook, assignment, notebook.name, submission.student.id)
                waiting.setdefault(submission.student.id, []).extend(f"{notebook.name}: {c}" for c in cells)
    return {student: cells for student, cells in sorted(waiting.items()) if cells}


def provisional_note(cells: list[str]) -> str:
    names = ", ".join(f"`{cell}`" for cell in cells)
    return (
        f"{PROVISIONAL_MARKER}\n**Provisional feedback.** A grader has not read your answer to "
        f"{names} yet. Its score shows as 0 below, and your total will change once it is graded."
    )


class RefuseProvisionalFeedback(NbGraderPreprocessor, ProvisionalGrades):
    """Refuse feedback for a submission still waiting for a grader; with ``allow``, mark it provisional."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            cells = waiting_cells(gradebook, info["assignment"], info["notebook"], info["student"])
        if not cells:
            return nb, resources
        if not self.allow:
            raise ProvisionalGradesError(
                f"not generating feedback for {info['student']}: {info['assignment']}/{info['notebook']} "
                f"still waits for a grader ({', '.join(cells)}). Grade it in the formgrader, then run "
                f"generate_feedback again; or pass {ALLOW_FLAG} to generate provisional feedback, "
                "marked as such."
            )
        self.log.warning("Provisional feedback for %s: %s not graded yet", info["student"], ", ".join(cells))
        marked = [nbformat.v4.new_markdown_cell(provisional_note(cells))]
        for cell in nb.cells:
            marked.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in cells:
                marked.append(nbformat.v4.new_markdown_cell(
                    f"*Provisional: `{grade_id}` has not been graded yet; the 0 above is not your score.*"
                ))
        nb.cells = marked
        return nb, resources


class CheckedReleaseFeedback(ExchangeReleaseFeedback, ProvisionalGrades):
    """nbgrader's ``release_feedback`` that releases nothing while a grade in it is provisional."""

    def copy_files(self):
        students = self._students_with_feedback()
        waiting = waiting_students(self.coursedir.db_url, self.coursedir.assignment_id)
        refused = [f"{s} ({'; '.join(waiting[s])})" for s in students if s in waiting]
        stale = [s for s in students if s not in waiting and self._is_marked_provisional(s)]
        if stale:
            self.fail(
                "not releasing feedback: the pages of " + ", ".join(stale) + " were generated as "
                "provisional and are now out of date; regenerate them with "
                f"nbgrader generate_feedback {self.coursedir.assignment_id} --student STUDENT --force"
            )
        if refused and not self.allow:
            self.fail(
                "not releasing feedback: these students' answers still wait for a grader: "
                + ", ".join(refused)
                + f". Grade them in the formgrader and regenerate their feedback, or pass {ALLOW_FLAG} "
                "to release provisional feedback."
            )
        if refused:
            self.log.warning("Releasing provisional feedback for: %s", ", ".join(refused))
        super().copy_files()

    def _feedback_pattern(self) -> str:
        coursedir = self.coursedir
        return coursedir.format_path(
            coursedir.feedback_directory, "(?P<student_id>[^/]*)", coursedir.assignment_id, escape=True
        )

    def _students_with_feedback(self) -> list[str]:
        excluded = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        pattern = re.compile(self._feedback_pattern() + re.escape(os.path.sep))
        students = set()
        for page in glob.glob(os.path.join(self.src_path, "*.html")):
            match = pattern.match(page)
            if match and match["student_id"] not in excluded:
                students.add(match["student_id"])
        return sorted(students)

    def _is_marked_provisional(self, student: str) -> bool:
        coursedir = self.coursedir
        folder = coursedir.format_path(coursedir.feedback_directory, student, coursedir.assignment_id)
        for page in glob.glob(os.path.join(folder, "*.html")):
            with open(page, encoding="utf-8", errors="replace") as handle:
                if PROVISIONAL_MARKER in handle.read():
                    return True
        return False
