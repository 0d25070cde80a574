"""Helpers the assignment tests share: read nbgrader notebooks, build submissions, run a course.

Submissions are built from the committed notebooks, never from solution code copied into the
tests: the perfect submission is the release notebook with each solution cell filled from
``source/``, and a "typical mistake" is the same with one small text patch applied.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "source"
RELEASE = REPO / "release"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("."))

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def notebook_path(folder: Path, assignment: str) -> Path:
    """The one notebook of an assignment (each assignment has exactly one)."""
    (path,) = sorted((folder / assignment).glob("*.ipynb"))
    return path


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cells_by_grade_id(nb) -> dict:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if "grade_id" in nbgrader_meta(c)}


def without_marker_lines(source: str, markers=SOLUTION_MARKERS) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def region(source: str, markers) -> list[str]:
    """The lines between a begin and an end marker (all such regions, concatenated)."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == markers[0]:
            inside = True
        elif line.strip() == markers[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def outside_regions(source: str) -> list[str]:
    """The lines a student sees: everything outside solution and hidden-test regions."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]):
            inside = True
        elif line.strip() in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1]):
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def solution_code(assignment: str, grade_id: str) -> str:
    """The instructor's answer cell, markers removed, ready to run or to paste into a submission."""
    cell = cells_by_grade_id(read(notebook_path(SOURCE, assignment)))[grade_id]
    return without_marker_lines(cell.source)


def build_submission(assignment: str, answered=None, patches=None) -> nbformat.NotebookNode:
    """The release notebook with solution cells filled in from source.

    ``answered``: grade ids of the solution cells to fill (default: all); the others stay as
    released. ``patches``: ``{grade_id: [(old, new), ...]}`` text replacements that turn the
    instructor's answer into a student's mistake; a patch that does not apply is an error.
    """
    patches = patches or {}
    source_cells = cells_by_grade_id(read(notebook_path(SOURCE, assignment)))
    submission = copy.deepcopy(read(notebook_path(RELEASE, assignment)))
    for grade_id, cell in cells_by_grade_id(submission).items():
        if not nbgrader_meta(cell).get("solution"):
            continue
        if answered is not None and grade_id not in answered:
            continue
        text = without_marker_lines(source_cells[grade_id].source)
        for old, new in patches.get(grade_id, []):
            if old not in text:
                raise ValueError(f"patch for {grade_id!r} does not apply: {old!r} not found")
            text = text.replace(old, new)
        cell.source = text
    unknown = set(patches) - set(source_cells)
    if unknown:
        raise ValueError(f"patches name unknown cells: {sorted(unknown)}")
    return submission


# --- Running nbgrader in a throw-away course ---------------------------------------------------


def isolated_env(home: Path) -> dict:
    """Environment for nbgrader subprocesses: no user-level Jupyter config can leak in."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env.pop("NBGRADER_EXECUTION", None)
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` with this interpreter; raise with its log on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=isolated_env(course.parent / "jupyter-home"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def make_course(root: Path, assignments=ASSIGNMENTS) -> Path:
    """A course directory with this repository's config and sources, assignments generated."""
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    for assignment in assignments:
        shutil.copytree(SOURCE / assignment, course / "source" / assignment)
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def submit(course: Path, student: str, assignment: str, nb, name: str | None = None) -> Path:
    """Place a submission as ``nbgrader collect`` would; ``nb`` may be a notebook or raw text."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or notebook_path(SOURCE, assignment).name)
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    (folder / "timestamp.txt").write_text("2026-11-01 12:00:00.000000 UTC")
    return path


def gradebook_scores(course: Path, assignment: str) -> dict:
    """``{student: {"score", "max_score", "cells": {grade_id: score}, "needs_manual_grade"}}``.

    Read from the gradebook itself, which (unlike ``nbgrader export``) tells a failed
    submission from a zero and shows what awaits manual grading.
    """
    from nbgrader.api import Gradebook, MissingEntry

    results = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[grade.name] = grade.score
            results[student.id] = {
                "score": submission.score,
                "max_score": submission.max_score,
                "cells": cells,
                "needs_manual_grade": submission.needs_manual_grade,
            }
    return results
