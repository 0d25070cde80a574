"""The grade report reads the gradebook and tells what ``nbgrader export`` hides.

A course gets part of the ps1 corpus, one broken notebook and one student who submitted
nothing; it is autograded and one written answer is graded by hand, then
``korea-nato report`` runs on it. Expected values come from the corpus, not from the report.
"""

from __future__ import annotations

import csv
import sqlite3
import types
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from assignment_tools import SOURCE, nbgrader, notebook_path, submit
from course_tools import (
    ASSIGNMENT,
    PART_D,
    PARTS,
    expected_cells,
    expected_parts,
    graded_class,
    run_module,
    wrote_written_answer,
)
from korea_nato.grading import report
from test_ps1_grading import CORPUS, POINTS

SUBMITTED = ["solution", "untouched-release", "part-a-only", "year-as-day", "unsorted-table"]
BROKEN, ABSENT = "fake-broken-notebook", "fake-never-submitted"
HAND_GRADED = "solution"  # its written answer gets 4 of 4 from a (simulated) grader


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = graded_class(tmp_path_factory.mktemp("report"), SUBMITTED, BROKEN, ABSENT, HAND_GRADED)
    return course


@pytest.fixture(scope="module")
def written(course):
    """Run the report through the console-script entry point, as an instructor would."""
    result = run_module("korea_nato.cli", "report", "--out", "out", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, course / "out"


#: The answer cell each test cell of ps1 checks (the cell above it in the notebook).
ANSWER_CELL = {
    **dict.fromkeys(PARTS["Part A"], "parse_date"),
    **dict.fromkeys(PARTS["Part B"], "build_event_table"),
    "events_per_driver_counts": "events_per_driver",
    "driver_evidence_span_dates": "driver_evidence_span",
    "first_six_months_events": "first_six_months",
}


def attempted(student, question):
    """Whether the corpus filled in the answer cells of ``question`` (else they are as released)."""
    how = CORPUS[student][0]
    if question == PART_D[0]:
        return wrote_written_answer(student)
    return "answered" not in how or ANSWER_CELL[question] in how["answered"]


def expected_status(student):
    if student == BROKEN:
        return report.FAILED
    if student == ABSENT:
        return report.MISSING
    if not any(attempted(student, q) for q in [*POINTS, *PART_D]):
        return report.NOT_ATTEMPTED
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


def expected_shares():
    """``{question: share of full marks}`` among the students who attempted each test cell."""
    shares = {}
    for question, points in POINTS.items():
        tried = [s for s in SUBMITTED if attempted(s, question)]
        shares[question] = round(sum(expected_cells(s)[question] == points for s in tried) / len(tried), 3)
    return shares


@pytest.mark.slow
def test_difficulty_is_the_share_of_attempting_students_with_full_marks(written):
    rows = {r["question"]: r for r in read_csv(written[1] / "difficulty.csv")}
    assert set(rows) == set(POINTS) | {"youngest_long_term_driver"}
    for question, share in expected_shares().items():
        tried = [s for s in SUBMITTED if attempted(s, question)]
        assert int(rows[question]["students_scored"]) == len(tried), question
        assert int(rows[question]["not_attempted"]) == len(SUBMITTED) - len(tried), question
        assert float(rows[question]["share_full_marks"]) == share, question
    # The written answer counts only where it has a score: here only the hand-graded one. A blank
    # one is not attempted (not a wrong answer); a written one waiting for a grader is neither.
    written_answer = rows["youngest_long_term_driver"]
    blank = [s for s in SUBMITTED if not wrote_written_answer(s)]
    assert (written_answer["part"], int(written_answer["students_scored"])) == ("Part D", 1)
    assert int(written_answer["not_attempted"]) == len(blank)
    assert float(written_answer["share_full_marks"]) == 1.0


@pytest.mark.slow
def test_the_lms_csv_has_import_columns_and_no_score_without_a_fully_graded_submission(written):
    rows = read_csv(written[1] / "lms_grades.csv")
    assert list(rows[0]) == ["student_id", "assignment", "score", "max_score", "status"]
    by_student = {r["student_id"]: r for r in rows}
    assert by_student[BROKEN]["score"] == by_student[ABSENT]["score"] == ""
    for student in SUBMITTED:
        if by_student[student]["status"] == "needs manual grading":  # a provisional total never goes to the LMS
            assert by_student[student]["score"] == "" and wrote_written_answer(student)
        else:
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
    assert (
        f"{ASSIGNMENT}: 2 graded, 2 needs manual grading, 1 not attempted, 1 failed to grade, 1 missing" in stdout
    )
    hard = [line.strip() for line in stdout.splitlines() if line.strip().startswith("hard:")]
    hardest = min(expected_shares().values())
    assert hard[0].endswith(f"): {100 * hardest:.0f}% full marks"), hard


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


# --- Submissions nbgrader cannot grade: the reason, what to do, and the fix for a copied cell ----

UNGRADEABLE_ASSIGNMENT = "ps2_drivers"


def _ungradeable_class():
    """``{student: (notebook or text, file name or None, timestamp text or None)}``: one honest
    student and one of each kind of submission nbgrader cannot grade, all built on honest work."""
    import copy

    from assignment_tools import PROCESS_EXIT, build_submission, cells_by_grade_id, prepend_code

    honest = build_submission(UNGRADEABLE_ASSIGNMENT)
    text = nbformat.writes(honest)

    def copied(grade_id, source=None, before=False):
        nb = copy.deepcopy(honest)
        original = cells_by_grade_id(nb)[grade_id]
        twin = copy.deepcopy(original)
        twin.id = f"copy-{grade_id}"
        if source is not None:
            twin.source = source
        nb.cells.insert(nb.cells.index(original) if before else len(nb.cells), twin)
        return nb

    stripped = copy.deepcopy(honest)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    name = notebook_path(SOURCE, UNGRADEABLE_ASSIGNMENT).name
    return {
        "fake-honest": (honest, None, None),
        "fake-copied-locked-cell": (copied("part_a_intro"), None, None),
        "fake-copied-answer-cell": (copied("statement_horizons", "# scratch\n", before=True), None, None),
        "fake-bad-timestamp": (honest, None, "yesterday at noon"),
        "fake-invalid-json": (text[: len(text) // 2], None, None),
        "fake-renamed": (honest, name.replace(".ipynb", "-Copy1.ipynb"), None),
        "fake-stripped-metadata": (stripped, None, None),
        "fake-kernel-exit": (prepend_code(honest, "statement_horizons", PROCESS_EXIT), None, None),
    }


#: What the reason and the advice must say for each student (checked as substrings).
EXPECTED_REASONS = {
    "fake-copied-locked-cell": ("'part_a_intro' appears in more than one cell", "korea_nato.grading.repair dedupe"),
    "fake-copied-answer-cell": ("'statement_horizons' appears in more than one cell", "korea_nato.grading.repair dedupe"),
    "fake-bad-timestamp": ("timestamp.txt holds 'yesterday at noon', which is not a date", "timestamp.txt"),
    "fake-invalid-json": ("is not valid JSON", "resubmit"),
    "fake-renamed": ("submitted as ps2_drivers-Copy1.ipynb", "mv submitted/fake-renamed/ps2_drivers/ps2_drivers-Copy1.ipynb"),
    "fake-stripped-metadata": ("every cell lost its nbgrader metadata", "fresh copy of the released notebook"),
    "fake-kernel-exit": ("the kernel died", "os._exit"),
}


@pytest.fixture(scope="module")
def ungradeable_course(tmp_path_factory):
    from assignment_tools import make_course

    course = make_course(tmp_path_factory.mktemp("ungradeable"), [UNGRADEABLE_ASSIGNMENT])
    for student, (nb, name, timestamp) in _ungradeable_class().items():
        path = submit(course, student, UNGRADEABLE_ASSIGNMENT, nb, name)
        if timestamp is not None:
            (path.parent / "timestamp.txt").write_text(timestamp)
    nbgrader(course, "autograde", UNGRADEABLE_ASSIGNMENT, check=False)
    result = run_module("korea_nato.cli", "report", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    return course, result.stdout


@pytest.mark.slow
def test_every_ungradeable_submission_gets_its_reason_and_what_to_do(ungradeable_course):
    course, _ = ungradeable_course
    rows = {r["student_id"]: r for r in read_csv(course / "grade-report" / "grades.csv")}
    assert set(rows) == set(_ungradeable_class())
    assert rows["fake-honest"]["status"] == report.NEEDS_MANUAL  # the written answer awaits a grader
    assert rows["fake-honest"]["reason"] == rows["fake-honest"]["what_to_do"] == ""
    for student, (reason, advice) in EXPECTED_REASONS.items():
        row = rows[student]
        assert row["status"] == report.FAILED, (student, row)
        assert reason in row["reason"], (student, row["reason"])
        assert advice in row["what_to_do"] + row["reason"], (student, row["what_to_do"])
        assert row["score"] == "", student
        if student != "fake-bad-timestamp":  # nbgrader stopped before anything to regrade was there
            assert f"nbgrader autograde {UNGRADEABLE_ASSIGNMENT} --student {student} --force" in row["what_to_do"]


@pytest.mark.slow
def test_the_printed_summary_names_each_ungradeable_student_with_the_fix(ungradeable_course):
    _, stdout = ungradeable_course
    assert f"{UNGRADEABLE_ASSIGNMENT}: 1 needs manual grading, {len(EXPECTED_REASONS)} failed to grade" in stdout
    for student, (reason, _) in EXPECTED_REASONS.items():
        (line,) = [x for x in stdout.splitlines() if x.startswith(f"  not graded: {student}: ")]
        assert reason in line
    assert stdout.count("    what to do: ") == len(EXPECTED_REASONS)


@pytest.mark.slow
def test_dedupe_then_regrade_gives_the_honest_score_and_a_fixed_timestamp_too(ungradeable_course):
    from assignment_tools import gradebook_scores

    course, _ = ungradeable_course
    before = gradebook_scores(course, UNGRADEABLE_ASSIGNMENT)
    honest = before["fake-honest"]
    assert honest["score"] > 0
    fixed = ["fake-copied-locked-cell", "fake-copied-answer-cell", "fake-bad-timestamp"]
    for student in fixed:
        assert student not in before or before[student]["score"] == 0, before.get(student)
    for student in fixed[:2]:
        result = run_module(
            "korea_nato.grading.repair", "dedupe", f"submitted/{student}/{UNGRADEABLE_ASSIGNMENT}", cwd=course
        )
        assert result.returncode == 0, result.stderr
        regrade = f"nbgrader autograde {UNGRADEABLE_ASSIGNMENT} --student {student} --force"
        assert f"now regrade: {regrade}" in result.stdout
        nbgrader(course, *regrade.split()[1:])
    (course / "submitted" / "fake-bad-timestamp" / UNGRADEABLE_ASSIGNMENT / "timestamp.txt").write_text(
        "2026-11-01 12:00:00 UTC"  # the format the advice names
    )
    nbgrader(course, "autograde", UNGRADEABLE_ASSIGNMENT, "--student", "fake-bad-timestamp", "--force")
    after = gradebook_scores(course, UNGRADEABLE_ASSIGNMENT)
    for student in fixed:
        assert after[student]["cells"] == honest["cells"], student
        assert after[student]["score"] == honest["score"], student
    grades = report.read_report(f"sqlite:///{course / 'gradebook.db'}", course).grades.set_index("student_id")
    for student in fixed:
        assert grades.loc[student, "status"] == report.NEEDS_MANUAL, student
        assert grades.loc[student, "reason"] == "", student


def _course_with_one_submission(tmp_path, timestamp):
    import shutil

    from assignment_tools import build_submission

    course = tmp_path / "course"
    shutil.copytree(SOURCE / UNGRADEABLE_ASSIGNMENT, course / "source" / UNGRADEABLE_ASSIGNMENT)
    path = submit(course, "fake-student", UNGRADEABLE_ASSIGNMENT, build_submission(UNGRADEABLE_ASSIGNMENT))
    (path.parent / "timestamp.txt").write_text(timestamp)
    return course


def test_a_submission_nbgrader_has_not_graded_yet_is_missing_with_the_command_to_run(tmp_path):
    course = _course_with_one_submission(tmp_path, "2026-11-01 12:00:00 UTC")
    assert report.submitted_students(course) == {"fake-student"}
    row = report.unrecorded_row(course, "fake-student", UNGRADEABLE_ASSIGNMENT)
    assert row["status"] == report.MISSING and row["score"] is None
    assert "nbgrader has recorded no grade" in row["reason"]
    assert f"nbgrader autograde {UNGRADEABLE_ASSIGNMENT} --student fake-student --force" in row["what_to_do"]
    assert report.unrecorded_row(course, "fake-other", UNGRADEABLE_ASSIGNMENT) == {
        "status": report.MISSING, "score": None, "detail": "no submission"
    }


@pytest.mark.parametrize("timestamp", ["yesterday at noon", "2026-13-45 10:00", "\udcff"])
def test_a_bad_timestamp_is_failed_to_grade_not_missing(timestamp, tmp_path):
    course = _course_with_one_submission(tmp_path, "")
    stamp = course / "submitted" / "fake-student" / UNGRADEABLE_ASSIGNMENT / "timestamp.txt"
    stamp.write_bytes(timestamp.encode("utf-8", errors="surrogateescape"))
    row = report.unrecorded_row(course, "fake-student", UNGRADEABLE_ASSIGNMENT)
    assert row["status"] == report.FAILED
    assert row["reason"].startswith("timestamp.txt ")
    assert "YYYY-MM-DD HH:MM:SS UTC" in row["what_to_do"]


def test_an_empty_timestamp_is_no_problem(tmp_path):
    course = _course_with_one_submission(tmp_path, "")
    assert report.ungradeable.timestamp_problem(course / "submitted" / "fake-student" / UNGRADEABLE_ASSIGNMENT) is None


@pytest.mark.slow
def test_a_scan_that_fails_on_one_student_does_not_stop_the_report(course, monkeypatch):
    real = report.integrity.scan_submission_dir

    def scan_submission_dir(folder, source_folder):
        if folder.parent.name == "year-as-day":
            raise RecursionError("maximum recursion depth exceeded")
        return real(folder, source_folder)

    monkeypatch.setattr(report.integrity, "scan_submission_dir", scan_submission_dir)
    grades = report.read_report(f"sqlite:///{course / 'gradebook.db'}", course).grades.set_index("student_id")
    assert grades.loc["year-as-day", "status"] == report.INTEGRITY
    assert grades.loc["year-as-day", "detail"].startswith("integrity scan failed: maximum recursion depth")
    assert grades.loc["solution", "status"] == report.GRADED
    assert grades.loc[BROKEN, "status"] == report.FAILED
    assert "not valid JSON" in grades.loc[BROKEN, "reason"]


def test_the_report_says_when_a_class_is_graded_without_the_sandbox(tmp_path, monkeypatch):
    from korea_nato.grading import sandbox

    course = tmp_path / "course"
    course.mkdir()
    config = (Path(__file__).resolve().parents[1] / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + "\nc.SandboxKernelManager.allow_unsandboxed = True\n")
    monkeypatch.setattr(sandbox, "sandbox_problem", lambda: "bubblewrap is not installed; install it")
    assert report.sandbox_line(course) == (
        "grading sandbox: OFF -- UNSANDBOXED by choice (allow_unsandboxed): bubblewrap is not installed"
    )
