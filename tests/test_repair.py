"""``python -m korea_nato.grading.repair dedupe`` leaves each grade id on one cell and loses nothing.

These tests build the duplicated notebooks and check the repaired file; test_report.py grades
the same kind of notebook with nbgrader before and after the repair.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from assignment_tools import (
    RELEASE,
    SOURCE,
    build_submission,
    cells_by_grade_id,
    nbgrader_meta,
    notebook_path,
)
from korea_nato.grading import repair
from korea_nato.grading.integrity import scan

ASSIGNMENT = "ps2_drivers"
NAME = notebook_path(SOURCE, ASSIGNMENT).name
LOCKED = "part_a_intro"
ANSWER = "statement_horizons"


def copied(nb, grade_id, where="end", source=None):
    """A copy of ``nb`` with cell ``grade_id`` copied to the end, or just before the original."""
    nb = copy.deepcopy(nb)
    original = cells_by_grade_id(nb)[grade_id]
    twin = copy.deepcopy(original)
    twin.id = f"copy-{grade_id}"[:64]
    if source is not None:
        twin.source = source
    if where == "end":
        nb.cells.append(twin)
    else:
        nb.cells.insert(nb.cells.index(original), twin)
    return nb


def grade_ids(nb):
    return [nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c).get("grade_id")]


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "course" / "submitted" / "fake-student" / ASSIGNMENT
    path.mkdir(parents=True)
    return path


def run(capsys, *args):
    status = repair.main(["dedupe", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_an_exact_copy_of_a_locked_cell_is_removed_and_the_original_kept_as_backup(folder, capsys):
    honest = build_submission(ASSIGNMENT)
    path = folder / NAME
    nbformat.write(copied(honest, LOCKED), path)
    before = path.read_bytes()
    status, out, _ = run(capsys, folder, "--release", RELEASE / ASSIGNMENT)
    assert status == 0
    repaired = nbformat.read(path, as_version=4)
    assert [c.source for c in repaired.cells] == [c.source for c in honest.cells]
    assert grade_ids(repaired) == grade_ids(honest)
    assert (folder / f"{NAME}.bak").read_bytes() == before
    copy_index = len(honest.cells)  # the copy was appended after the last cell
    assert f"grade id '{LOCKED}', cell {copy_index}: removed (an exact copy of the kept cell)" in out
    assert f"now regrade: nbgrader autograde {ASSIGNMENT} --student fake-student --force" in out
    assert scan(path, notebook_path(SOURCE, ASSIGNMENT)) == []


def test_the_cell_the_student_was_given_keeps_an_answer_cells_id_and_the_other_copy_stays(folder, capsys):
    honest = build_submission(ASSIGNMENT)
    answer = cells_by_grade_id(honest)[ANSWER].source
    # the student pasted a scratch copy of the answer cell above the real answer
    nb = copied(honest, ANSWER, where="before", source="# scratch: try the horizons here\n")
    nbformat.write(nb, folder / NAME)
    status, out, _ = run(capsys, folder, "--release", RELEASE / ASSIGNMENT)
    assert status == 0
    repaired = nbformat.read(folder / NAME, as_version=4)
    assert cells_by_grade_id(repaired)[ANSWER].source == answer
    assert grade_ids(repaired) == grade_ids(honest)
    scratch = [c for c in repaired.cells if c.source.startswith("# scratch")]
    assert len(scratch) == 1 and "nbgrader" not in scratch[0].metadata  # kept, as an ordinary cell
    assert "kept as an ordinary cell" in out


def test_when_only_the_copy_holds_the_answer_the_copy_keeps_the_id(folder, capsys):
    release = nbformat.read(notebook_path(RELEASE, ASSIGNMENT), as_version=4)
    answer = cells_by_grade_id(build_submission(ASSIGNMENT))[ANSWER].source
    nbformat.write(copied(release, ANSWER, source=answer), folder / NAME)  # answered in a copy at the end
    run(capsys, folder, "--release", RELEASE / ASSIGNMENT)
    repaired = nbformat.read(folder / NAME, as_version=4)
    assert cells_by_grade_id(repaired)[ANSWER].source == answer
    assert repaired.cells[-1].source == answer and grade_ids(repaired).count(ANSWER) == 1


def test_when_no_copy_holds_an_answer_the_first_keeps_the_id(folder, capsys):
    release = nbformat.read(notebook_path(RELEASE, ASSIGNMENT), as_version=4)
    nbformat.write(copied(release, ANSWER), folder / NAME)
    run(capsys, folder, "--release", RELEASE / ASSIGNMENT)
    repaired = nbformat.read(folder / NAME, as_version=4)
    first = next(i for i, c in enumerate(repaired.cells) if nbgrader_meta(c).get("grade_id") == ANSWER)
    assert first == next(i for i, c in enumerate(release.cells) if nbgrader_meta(c).get("grade_id") == ANSWER)
    assert len(repaired.cells) == len(release.cells) + 1


def test_an_edited_copy_of_a_locked_cell_is_kept_as_an_ordinary_cell(folder, capsys):
    nb = copied(build_submission(ASSIGNMENT), LOCKED, source="My notes on Part A.")
    nbformat.write(nb, folder / NAME)
    run(capsys, folder)
    repaired = nbformat.read(folder / NAME, as_version=4)
    assert repaired.cells[-1].source == "My notes on Part A."
    assert "nbgrader" not in repaired.cells[-1].metadata
    assert grade_ids(repaired).count(LOCKED) == 1


def test_a_notebook_without_duplicates_is_left_alone(folder, capsys):
    path = folder / NAME
    nbformat.write(build_submission(ASSIGNMENT), path)
    before = path.read_bytes()
    status, out, _ = run(capsys, folder)
    assert status == 0 and "nothing to do" in out and "regrade" not in out
    assert path.read_bytes() == before and not (folder / f"{NAME}.bak").exists()


def test_a_dry_run_writes_nothing(folder, capsys):
    path = folder / NAME
    nbformat.write(copied(build_submission(ASSIGNMENT), LOCKED), path)
    before = path.read_bytes()
    status, out, _ = run(capsys, folder, "--dry-run")
    assert status == 0 and "dry run, nothing written" in out and "removed" in out
    assert path.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == [NAME]


def test_a_backup_is_never_overwritten(folder, capsys):
    path = folder / NAME
    (folder / f"{NAME}.bak").write_text("an older backup")
    nbformat.write(copied(build_submission(ASSIGNMENT), LOCKED), path)
    run(capsys, folder)
    assert (folder / f"{NAME}.bak").read_text() == "an older backup"
    assert (folder / f"{NAME}.bak1").is_file()


def test_bad_input_is_a_clear_error_and_changes_nothing(folder, tmp_path, capsys):
    path = folder / NAME
    path.write_text("{ not a notebook")
    status, _, err = run(capsys, folder)
    assert status == 1 and f"cannot read {path}" in err and "not a valid notebook" in err
    assert path.read_text() == "{ not a notebook"
    status, _, err = run(capsys, tmp_path / "nowhere")
    assert status == 1 and "does not exist" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = run(capsys, empty)
    assert status == 1 and "holds no notebook" in err
