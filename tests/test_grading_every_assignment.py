"""Grading several assignments at once: one nbgrader call per worker, the grades of serial autograde.

When the assignments asked for are all the class submitted, each worker grades its students'
submissions of every assignment in one ``nbgrader autograde '*'`` call (one start-up, one fork
server, instead of one per assignment). The grades must be those of ``nbgrader autograde`` run
for each assignment in turn; a subset, or a class with submissions already graded, falls back to
one call per assignment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assignment_tools import build_submission, gradebook_scores, make_course, nbgrader, submit
from course_tools import run_module
from korea_nato.grading import runner

ASSIGNMENTS = ("ps1_event_table", "ps2_drivers")
#: student -> the assignments they hand in, and how (``build_submission`` keywords)
CLASS = {
    "fake-0001": {"ps1_event_table": {}, "ps2_drivers": {}},
    "fake-0002": {"ps1_event_table": {"answered": []}, "ps2_drivers": {"answered": []}},
    "fake-0003": {"ps1_event_table": {}},
}


def build(root: Path) -> Path:
    course = make_course(root, assignments=ASSIGNMENTS)
    for student, handed_in in CLASS.items():
        for assignment, how in handed_in.items():
            submit(course, student, assignment, build_submission(assignment, **how))
    return course


@pytest.fixture(scope="module")
def graded_both_ways(tmp_path_factory):
    serial = build(tmp_path_factory.mktemp("serial"))
    together = build(tmp_path_factory.mktemp("together"))
    for assignment in ASSIGNMENTS:
        nbgrader(serial, "autograde", assignment, check=False)
    run = run_module("korea_nato.grading", *ASSIGNMENTS, "--workers", "2", cwd=together)
    return run, serial, together


@pytest.mark.slow
def test_each_worker_grades_every_assignment_in_one_call(graded_both_ways):
    run, _, _ = graded_both_ways
    assert run.returncode == 0, run.stdout + run.stderr
    assert "grading 5 submissions of ps1_event_table, ps2_drivers in 2 worker(s)" in run.stdout, run.stdout


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grading_every_assignment_at_once_gives_the_grades_of_serial_autograde(assignment, graded_both_ways):
    _, serial, together = graded_both_ways
    expected = gradebook_scores(serial, assignment)
    assert sorted(expected) == sorted(s for s, handed_in in CLASS.items() if assignment in handed_in)
    assert gradebook_scores(together, assignment) == expected
    assert expected["fake-0001"]["score"] > expected["fake-0002"]["score"]


def results(kept: dict[str, list[str]] | None = None) -> dict:
    kept = kept or {}
    return {a: runner.GradingResult(kept=kept.get(a, [])) for a in ASSIGNMENTS}


def test_one_call_only_when_every_submitted_assignment_is_asked_for_and_none_is_kept(tmp_path):
    for student, handed_in in CLASS.items():
        for assignment in handed_in:
            (tmp_path / "submitted" / student / assignment).mkdir(parents=True)
    todo = {"ps1_event_table": ["fake-0001", "fake-0002", "fake-0003"], "ps2_drivers": ["fake-0001", "fake-0002"]}
    assert runner.grades_in_one_call(tmp_path, todo, results())
    assert not runner.grades_in_one_call(tmp_path, {"ps1_event_table": todo["ps1_event_table"]}, results())
    assert not runner.grades_in_one_call(tmp_path, todo, results({"ps2_drivers": ["fake-0003"]}))
    (tmp_path / "submitted" / "fake-0001" / "ps3_forecast").mkdir()
    assert not runner.grades_in_one_call(tmp_path, todo, results()), "'*' would grade ps3 too"
