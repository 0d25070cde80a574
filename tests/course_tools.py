"""Helpers for the instructor-side tests: courses with extra config, the ps1 corpus, module runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from assignment_tools import REPO, SOURCE, build_submission, isolated_env, nbgrader, submit
from test_ps1_grading import CORPUS, PART_A, PART_B, PART_C

ASSIGNMENT = "ps1_event_table"
PART_D = ["youngest_long_term_driver"]
PARTS = {"Part A": PART_A, "Part B": PART_B, "Part C": PART_C, "Part D": PART_D}
BROKEN_NOTEBOOK = "{ this is not a notebook"


def make_course_with_config(root: Path, extra_config: str = "", assignments=(ASSIGNMENT,)) -> Path:
    """A course like ``assignment_tools.make_course``, with ``extra_config`` appended to its config."""
    course = root / "course"
    course.mkdir(parents=True)
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(config + "\n" + extra_config + "\n", encoding="utf-8")
    for assignment in assignments:
        shutil.copytree(SOURCE / assignment, course / "source" / assignment)
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def submit_corpus(course: Path, students=None) -> None:
    """Place the ps1 corpus submissions (all, or the named students) in ``course/submitted``."""
    for student in students or CORPUS:
        how, _ = CORPUS[student]
        submit(course, student, ASSIGNMENT, build_submission(ASSIGNMENT, **how))


def expected_cells(student: str) -> dict:
    """The autograded score of every test cell of a corpus student (written answer: 0 until graded)."""
    return {**CORPUS[student][1], "youngest_long_term_driver": 0}


def expected_parts(student: str) -> dict:
    cells = expected_cells(student)
    return {part: float(sum(cells[c] for c in ids)) for part, ids in PARTS.items()}


def wrote_written_answer(student: str) -> bool:
    how = CORPUS[student][0]
    return "answered" not in how or "youngest_long_term_driver" in how["answered"]


def run_module(module: str, *args: str, cwd: Path, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    """``python -m module ARGS`` in ``cwd`` with the isolated Jupyter environment nbgrader runs get."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=isolated_env(cwd.parent / "jupyter-home"),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def graded_class(root: Path, submitted, broken: str, absent: str, hand_graded: str) -> Path:
    """A graded ps1 class: ``submitted`` from the corpus, one broken notebook, one student who
    never submitted, and one written answer scored 4 by a grader."""
    from nbgrader.api import Gradebook

    from assignment_tools import nbgrader, submit

    course = make_course_with_config(root)
    submit_corpus(course, submitted)
    submit(course, broken, ASSIGNMENT, BROKEN_NOTEBOOK)
    nbgrader(course, "autograde", ASSIGNMENT, check=False)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        gradebook.add_student(absent)
        grade = gradebook.find_grade(PART_D[0], ASSIGNMENT, ASSIGNMENT, hand_graded)
        grade.manual_score = 4
        grade.needs_manual_grade = False  # what the formgrader does when a grader saves a score
        gradebook.db.commit()
    return course
