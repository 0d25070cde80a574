"""The grade report reads the gradebook and tells what ``nbgrader export`` hides.

A course gets part of the ps1 corpus, one broken notebook and one student who submitted
nothing; it is autograded and one written answer is graded by hand, then
``korea-nato report`` runs on it. Expected values come from the corpus, not from the report.
"""

from __future__ import annotations

import csv
import sqlite3
import types

import nbformat
import pytest
from PIL import Image

from assignment_tools import SOURCE, nbgrader, notebook_path, submit
from course_tools import (
    ASSIGNMENT,
    BROKEN_NOTEBOOK,
    PARTS,
    expected_cells,
    expected_parts,
    make_course_with_config,
    run_module,
    submit_corpus,
    wrote_written_answer,
)
from korea_nato.grading import report
from test_ps1_grading import POINTS

SUBMITTED = ["solution", "untouched-release", "part-a-only", "year-as-day", "unsorted-table"]
BROKEN, ABSENT = "fake-broken-notebook", "fake-never-submitted"
HAND_GRADED = "solution"  # its written answer gets 4 of 4 from a (simulated) grader


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    course = make_course_with_config(tmp_path_factory.mktemp("report"))
    submit_corpus(course, SUBMITTED)
    submit(course, BROKEN, ASSIGNMENT, BROKEN_NOTEBOOK)
    nbgrader(course, "autograde", ASSIGNMENT, check=False)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        gradebook.add_student(ABSENT)
        grade = gradebook.find_grade("youngest_long_term_driver", ASSIGNMENT, ASSIGNMENT, HAND_GRADED)
        grade.manual_score = 4
        grade.needs_manual_grade = False  # what the formgrader does when a grader saves a score
        gradebook.db.commit()
    return course


@pytest.fixture(scope="module")
def written(course):
    """Run the report through the console-script entry point, as an instructor would."""
    result = run_module("korea_nato.cli", "report", "--out", "out", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, course / "out"


def expected_status(student):
    if student == BROKEN:
        return report.FAILED
    if student == ABSENT:
        return report.MISSING
    if wrote_written_answer(student) and student != HAND_GRADED:
        return report.NEEDS_MANUAL
    return report.GRADED


def expected_score(student):
    return sum(expected_cells(student).values()) + (4 if student == HAND_GRADED else 0)


@pytest.mark.slow
def test_one_row_per_student_and_assignment_with_its_status(written):
    rows = read_csv(written[1] / "grades.csv")
    students = [*SUBMITTED, BROKEN, ABSENT]
    assert sorted((r["student_id"], r["assignment"]) for r in rows) == sorted(
        (s, ASSIGNMENT) for s in students
    )
    assert {r["student_id"]: r["status"] for r in rows} == {s: expected_status(s) for s in students}


@pytest.mark.slow
@pytest.mark.parametrize("student", SUBMITTED)
def test_points_of_each_part_are_those_of_its_test_cells(student, written):
    (row,) = [r for r in read_csv(written[1] / "grades.csv") if r["student_id"] == student]
    parts = expected_parts(student)
    if student == HAND_GRADED:
        parts["Part D"] = 4.0
    assert {part: float(row[part]) for part in PARTS} == parts
    assert float(row["score"]) == expected_score(student)
    assert float(row["max_score"]) == 22


@pytest.mark.slow
def test_no_points_are_shown_for_a_failed_or_missing_submission(written):
    rows = {r["student_id"]: r for r in read_csv(written[1] / "grades.csv")}
    for student in (BROKEN, ABSENT):
        assert [rows[student][c] for c in ["score", *PARTS]] == ["", "", "", "", ""]
    assert rows[BROKEN]["detail"]  # nbgrader's reason, or the integrity scan's


@pytest.mark.slow
def test_difficulty_is_the_share_of_scored_students_with_full_marks(written):
    rows = {r["question"]: r for r in read_csv(written[1] / "difficulty.csv")}
    assert set(rows) == set(POINTS) | {"youngest_long_term_driver"}
    for question, points in POINTS.items():
        full = [s for s in SUBMITTED if expected_cells(s)[question] == points]
        assert int(rows[question]["students_scored"]) == len(SUBMITTED), question
        assert float(rows[question]["share_full_marks"]) == round(len(full) / len(SUBMITTED), 3), question
    # The written answer counts only where it has a score: hand-graded, or left blank (0 from nbgrader).
    scored = [s for s in SUBMITTED if s == HAND_GRADED or not wrote_written_answer(s)]
    written_answer = rows["youngest_long_term_driver"]
    assert (written_answer["part"], int(written_answer["students_scored"])) == ("Part D", len(scored))
    assert float(written_answer["share_full_marks"]) == round(1 / len(scored), 3)


@pytest.mark.slow
def test_the_lms_csv_has_import_columns_and_no_score_without_a_graded_submission(written):
    rows = read_csv(written[1] / "lms_grades.csv")
    assert list(rows[0]) == ["student_id", "assignment", "score", "max_score", "status"]
    by_student = {r["student_id"]: r for r in rows}
    assert by_student[BROKEN]["score"] == by_student[ABSENT]["score"] == ""
    for student in SUBMITTED:
        assert float(by_student[student]["score"]) == expected_score(student)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["score_histogram.png", "question_difficulty.png"])
def test_charts_are_readable_pngs(name, written):
    with Image.open(written[1] / name) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 900 and height >= 400, image.size
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 10, "the chart is blank"


@pytest.mark.slow
def test_the_summary_names_statuses_and_the_hardest_questions(written):
    stdout = written[0].stdout
    assert f"{ASSIGNMENT}: 3 graded, 2 needs manual grading, 1 failed to grade, 1 missing" in stdout
    # Only the hand-graded one of the three scored written answers has full marks: the hardest question.
    hard = [line.strip() for line in stdout.splitlines() if line.strip().startswith("hard:")]
    assert hard[0] == "hard: youngest_long_term_driver (Part D): 33% full marks"


@pytest.mark.slow
def test_integrity_findings_flag_a_submission(course, monkeypatch):
    finding = types.SimpleNamespace(
        kind="edited-test", cell="parse_date_returns_pairs", detail="assert removed"
    )

    def scan_submission_dir(folder, source_folder):
        assert source_folder == course / "source" / ASSIGNMENT
        return {"ps1_event_table.ipynb": [finding] if folder.parent.name == "year-as-day" else []}

    monkeypatch.setattr(report.integrity, "scan_submission_dir", scan_submission_dir)
    grades = report.read_report(f"sqlite:///{course / 'gradebook.db'}", course).grades.set_index("student_id")
    assert grades.loc["year-as-day", "status"] == report.INTEGRITY
    assert grades.loc["year-as-day", "detail"] == "edited-test (parse_date_returns_pairs): assert removed"
    assert grades.loc["unsorted-table", "status"] == report.NEEDS_MANUAL


# --- Errors ------------------------------------------------------------------------------------


def run_report(capsys, *args):
    status = report.main(list(args))
    return status, capsys.readouterr().err.strip().splitlines()


def test_a_missing_gradebook_is_a_one_line_error_naming_the_path(tmp_path, capsys):
    status, err = run_report(capsys, "--course-dir", str(tmp_path))
    assert status == 1
    assert len(err) == 1 and err[0].startswith(f"error: no gradebook at {tmp_path / 'gradebook.db'}")
    assert not (tmp_path / "gradebook.db").exists()


def test_a_foreign_database_is_refused_and_left_untouched(tmp_path, capsys):
    path = tmp_path / "gradebook.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    before = path.read_bytes()
    status, err = run_report(capsys, "--course-dir", str(tmp_path))
    assert status == 1
    assert err == [
        f"error: {path} is not an nbgrader gradebook (it lacks the tables assignment, grade, "
        "grade_cells, student, submitted_assignment)"
    ]
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "grades.db"
    path.write_text("student,score\nfake-a,3\n")
    status, err = run_report(capsys, "--db-url", f"sqlite:///{path}", "--course-dir", str(tmp_path))
    assert status == 1
    assert err == [f"error: cannot open the gradebook at {path}: file is not a database"]


def test_parts_come_from_the_part_headings_of_the_source_notebook():
    parts = report.parts_of_notebook(nbformat.read(notebook_path(SOURCE, ASSIGNMENT), as_version=4))
    assert parts == {cell: part for part, cells in PARTS.items() for cell in cells}


def test_graded_cells_before_any_part_heading_are_in_other():
    def cell(kind, source, **nbgrader_meta):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        return new(source, metadata={"nbgrader": nbgrader_meta} if nbgrader_meta else {})

    nb = nbformat.v4.new_notebook(
        cells=[
            cell("code", "assert True", grade=True, grade_id="warm_up", points=1),
            cell("markdown", "Intro\n\n### Part 2: Tables (3 points)"),
            cell("code", "assert True", grade=True, grade_id="tables", points=3),
        ]
    )
    assert report.parts_of_notebook(nb) == {"warm_up": "Other", "tables": "Part 2"}
