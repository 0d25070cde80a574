"""The gradebook on a real PostgreSQL server: grading, the report, a dead server, an interrupted run.

Each test module run starts a throw-away PostgreSQL cluster (``postgres_tools.Cluster``). Without
Debian's ``postgresql`` package or ``psycopg2`` these tests are skipped locally, with the install
command as the reason, and fail when the ``CI`` environment variable is set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assignment_tools import isolated_env
from course_tools import (
    ASSIGNMENT,
    expected_cells,
    make_course_with_config,
    run_module,
    submit_corpus,
    wrote_written_answer,
)
from korea_nato import grading
from postgres_tools import free_port

pytestmark = pytest.mark.slow



def pg_course(root, url):
    return make_course_with_config(root, f'c.CourseDirectory.db_url = "{url}"')


def cell_scores(url) -> dict:
    """``{student: {grade_id: score}}`` for ps1, read from the gradebook at ``url``."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        return {
            submission.student.id: {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            for submission in gradebook.find_assignment(ASSIGNMENT).submissions
        }


def test_parallel_autograde_and_the_report_run_against_postgresql(postgres, tmp_path):
    url = postgres.create_database("course_report")
    course = pg_course(tmp_path, url)
    students = ["solution", "untouched-release", "year-as-day", "counts-missing-driver"]
    submit_corpus(course, students)
    graded = run_module("korea_nato.grading", ASSIGNMENT, "--workers", "2", cwd=course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert not (course / "gradebook.db").exists(), "grading wrote to SQLite instead of PostgreSQL"
    assert cell_scores(url) == {s: expected_cells(s) for s in students}

    result = run_module("korea_nato.cli", "report", "--out", "report", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = (course / "report" / "lms_grades.csv").read_text().splitlines()
    assert rows[0] == "student_id,assignment,score,max_score,status"
    def lms_row(student: str) -> str:
        if student == "untouched-release":  # every answer as released: a 0, not a wrong answer
            return f"{student},{ASSIGNMENT},0.0,22.0,not attempted"
        if wrote_written_answer(student):  # no provisional total for an LMS
            return f"{student},{ASSIGNMENT},,22.0,needs manual grading"
        return f"{student},{ASSIGNMENT},{float(sum(expected_cells(student).values()))},22.0,graded"

    expected = [lms_row(s) for s in sorted(students)]
    assert rows[1:] == expected


def wait_for_a_submission_cut_in_the_middle(url, course, students, timeout=180):
    """Poll until some students are graded and another is being graded (its notebook written, unscored)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        graded = grading.graded_students(url, course, ASSIGNMENT)
        in_progress = [
            s for s in students if s not in graded and (course / "autograded" / s / ASSIGNMENT).is_dir()
        ]
        if graded and in_progress:
            return graded, in_progress
        time.sleep(0.1)
    raise AssertionError("never saw a submission being graded after another was finished")


def test_an_interrupted_run_loses_no_grade_when_it_is_run_again(postgres, tmp_path):
    url = postgres.create_database("course_interrupted")
    course = pg_course(tmp_path, url)
    students = sorted(
        ["solution", "part-a-only", "year-as-day", "unsorted-table", "sorted-by-id", "window-off-by-one"]
    )
    submit_corpus(course, students)
    run = subprocess.Popen(
        [sys.executable, "-m", "korea_nato.grading", ASSIGNMENT, "--workers", "1"],
        cwd=course,
        env=isolated_env(tmp_path / "jupyter-home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes nbgrader and the kernel too
    )
    try:
        graded_before, cut = wait_for_a_submission_cut_in_the_middle(url, course, students)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert len(graded_before) < len(students)
    scores_before = cell_scores(url)

    again = run_module("korea_nato.grading", ASSIGNMENT, "--workers", "2", cwd=course)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(graded_before)} already graded, kept" in again.stdout
    scores = cell_scores(url)
    assert scores == {s: expected_cells(s) for s in students}
    assert all(scores[s] == scores_before[s] for s in graded_before)
    assert cut[0] in grading.graded_students(url, course, ASSIGNMENT)


@pytest.mark.parametrize("command", [["korea_nato.cli", "report"], ["korea_nato.grading", ASSIGNMENT]])
def test_an_unreachable_database_is_a_one_line_error_without_the_password(command, postgres, tmp_path):
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg2://grader:s3cret-pw@127.0.0.1:{port}/course"
    result = run_module(*command, "--db-url", url, cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"error: cannot open the gradebook at postgresql+psycopg2://grader:***@127.0.0.1:{port}/course: "
    )
    assert "Connection refused" in line
    assert "s3cret-pw" not in result.stderr + result.stdout
