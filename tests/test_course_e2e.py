"""A whole course run through nbgrader's exchange: release, fetch, submit, collect, grade, feed back, export.

The instructor's course and each fake student's folder have their own ``nbgrader_config.py``,
sharing only a temporary exchange (``Exchange.root``). Running as root, ``collect`` is told not
to check file owners and ``submit`` / ``fetch_feedback`` name the student with ``--student``.
"""

from __future__ import annotations

import csv

import nbformat
import pytest

from assignment_tools import (
    HIDDEN_MARKERS,
    PROVISIONAL,
    SOURCE,
    build_submission,
    nbgrader,
    notebook_path,
    outside_regions,
    page_text,
    read,
    region,
)
from course_tools import ASSIGNMENT, expected_cells, make_course_with_config
from test_ps1_grading import CORPUS

pytestmark = pytest.mark.slow

# fake student id -> which corpus submission they hand in
STUDENTS = {
    "fake-student-01": "solution",
    "fake-student-02": "year-as-day",
    "fake-student-03": "untouched-release",
}
NOTEBOOK = notebook_path(SOURCE, ASSIGNMENT).name


def student_folder(root, student, exchange):
    folder = root / "students" / student
    folder.mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        'c.CourseDirectory.course_id = "korea-nato"\n'
        f'c.Exchange.root = "{exchange}"\n'
        f'c.CourseDirectory.root = "{folder}"\n'
        # Where submit remembers submissions for fetch_feedback: per student, as in their own home.
        f'c.Exchange.cache = "{folder / ".nbgrader_cache"}"\n'
    )
    return folder


@pytest.fixture(scope="module")
def course_run(tmp_path_factory):
    """Run every step once; return the folders and the exported grades."""
    root = tmp_path_factory.mktemp("exchange-run")
    exchange = root / "exchange"
    course = make_course_with_config(
        root, f'c.Exchange.root = "{exchange}"\nc.ExchangeCollect.check_owner = False  # tests run as root'
    )
    nbgrader(course, "release_assignment", ASSIGNMENT)
    folders = {student: student_folder(root, student, exchange) for student in STUDENTS}
    for student, folder in folders.items():
        nbgrader(folder, "fetch_assignment", ASSIGNMENT)
        work = folder / ASSIGNMENT / NOTEBOOK
        assert work.is_file(), f"{student} did not receive {NOTEBOOK}"
        how, _ = CORPUS[STUDENTS[student]]
        nbformat.write(build_submission(ASSIGNMENT, **how), work)
        nbgrader(folder, "submit", ASSIGNMENT, f"--student={student}")
    nbgrader(course, "collect", ASSIGNMENT)
    collected = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{ASSIGNMENT}"))
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT, PROVISIONAL)  # nobody hand-graded Part D here
    nbgrader(course, "release_feedback", ASSIGNMENT, PROVISIONAL)
    for student, folder in folders.items():
        nbgrader(folder, "fetch_feedback", ASSIGNMENT, f"--student={student}")
    nbgrader(course, "export")
    with (course / "grades.csv").open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    return {"course": course, "folders": folders, "collected": collected, "exported": exported}


def fetched_feedback(folder) -> str:
    (page,) = (folder / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
    return page_text(page)


def hidden_lines() -> list[str]:
    """Every hidden-test line of the source notebook that students never see anywhere else."""
    cells = read(notebook_path(SOURCE, ASSIGNMENT)).cells
    visible = "\n".join(line for cell in cells for line in outside_regions(cell.source))
    hidden = {line.strip() for cell in cells for line in region(cell.source, HIDDEN_MARKERS)}
    # A hidden line that is part of a visible one (a generator in a hidden test, the same loop in
    # a visible one) is no secret.
    return sorted(line for line in hidden if len(line) > 8 and line not in visible)


def test_collect_gathers_every_submission(course_run):
    assert course_run["collected"] == sorted(STUDENTS)


@pytest.mark.parametrize("student", STUDENTS)
def test_every_student_fetches_feedback_with_their_score(student, course_run):
    page = fetched_feedback(course_run["folders"][student])
    score = sum(expected_cells(STUDENTS[student]).values())
    assert f"Score: {score:.1f} / 22.0" in page or f"{score:.1f} / 22" in page, (
        f"{student}'s feedback lacks its score"
    )


@pytest.mark.parametrize("student", STUDENTS)
def test_fetched_feedback_shows_no_hidden_test(student, course_run):
    page = fetched_feedback(course_run["folders"][student])
    assert "BEGIN HIDDEN TESTS" not in page
    lines = hidden_lines()
    assert lines, "the source notebook should have hidden tests to hide"
    leaked = [line for line in lines if line in page]
    assert not leaked, f"{student}'s feedback shows hidden lines: {leaked}"


def test_export_lists_every_student_with_their_score(course_run):
    scores = {
        row["student_id"]: float(row["score"])
        for row in course_run["exported"]
        if row["assignment"] == ASSIGNMENT
    }
    assert scores == {
        student: float(sum(expected_cells(kind).values())) for student, kind in STUDENTS.items()
    }
