"""Grades into an LMS: Canvas's gradebook import layout and the generic long layout.

A ps1 course is autograded (one perfect submission whose written answer is then hand-graded, one
with part A only, one still awaiting manual grading, one broken notebook, one student who
submitted nothing); ``korea-nato report --lms ...`` and ``nbgrader export --exporter ...`` run
on it. The unit tests below build the report's table by hand.
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from assignment_tools import nbgrader
from course_tools import (
    ASSIGNMENT,
    expected_cells,
    graded_class,
    run_module,
)
from korea_nato.grading import lms

SUBMITTED = ["solution", "part-a-only", "unsorted-table"]
BROKEN, ABSENT = "fake-broken-notebook", "fake-never-submitted"
HAND_GRADED = "solution"
WAITING = "unsorted-table"  # wrote a written answer nobody has graded yet
NOT_IN_ROSTER = "part-a-only"
ROSTER_ONLY = "fake-dropped-the-course"
ROSTER = {  # student_id -> (name, canvas_id, sis_user_id, sis_login_id, section)
    "solution": ("Kim, Min-jun", "1001", "S1001", "mkim", "Seminar A"),
    WAITING: ("Lee, Seo-yeon", "1002", "S1002", "slee", "Seminar A"),
    BROKEN: ("Park, Ji-ho", "1003", "S1003", "jpark", "Seminar B"),
    ABSENT: ("Choi, Ha-eun", "1004", "S1004", "hchoi", "Seminar B"),
    ROSTER_ONLY: ("Jung, Do-yun", "1005", "S1005", "djung", "Seminar B"),
}


def write_roster(path, roster=ROSTER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(lms.ROSTER_COLUMNS)
        for student, fields in roster.items():
            writer.writerow([student, *fields])
    return path


def expected_score(student) -> float:
    return float(sum(expected_cells(student).values()) + (4 if student == HAND_GRADED else 0))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = graded_class(tmp_path_factory.mktemp("lms"), SUBMITTED, BROKEN, ABSENT, HAND_GRADED)
    write_roster(course / "roster.csv")
    return course


def report(course, *args):
    return run_module("korea_nato.cli", "report", "--out", "out", *args, cwd=course)


@pytest.mark.slow
def test_canvas_export_is_refused_while_a_written_answer_waits_naming_the_student(course):
    result = report(course, "--lms", "canvas", "--roster", "roster.csv")
    assert result.returncode == 1
    assert f"these submissions still need manual grading: {WAITING} ({ASSIGNMENT})" in result.stderr
    assert not list((course / "out").glob("canvas_grades*.csv"))


@pytest.fixture(scope="module")
def provisional(course):
    result = report(course, "--lms", "canvas", "--roster", "roster.csv", "--provisional")
    assert result.returncode == 0, result.stdout + result.stderr
    return result, course / "out" / "canvas_grades-provisional.csv"


@pytest.mark.slow
def test_the_canvas_csv_has_canvas_header_points_possible_row_and_roster_ids(provisional):
    with provisional[1].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert rows[1] == ["Points Possible", "", "", "", "", "22"]
    by_name = {row[0]: row for row in rows[2:]}
    for student, (name, canvas_id, sis_user, sis_login, section) in ROSTER.items():
        assert by_name[name][1:5] == [canvas_id, sis_user, sis_login, section], student
    assert float(by_name["Kim, Min-jun"][5]) == expected_score("solution")
    assert float(by_name["Lee, Seo-yeon"][5]) == expected_score(WAITING)
    assert by_name["Park, Ji-ho"][5] == by_name["Choi, Ha-eun"][5] == by_name["Jung, Do-yun"][5] == ""


def canvas_importer_reading(path):
    """What Canvas's gradebook import makes of a CSV, following the rules of its importer.

    The rules are read from Canvas's source (instructure/canvas-lms,
    ``app/models/gradebook_importer.rb``), restated here rather than copied: the delimiter is
    whichever of ``,`` and ``;`` splits the first three lines into equal counts; the header needs
    "Student" then "ID", then optionally "SIS User ID" and "SIS Login ID", and its last student
    column must be "Section"; headers containing Canvas's computed columns are dropped; a row
    whose first cell contains "Points Possible" sets the points; a student is found by the numeric
    ID, else the SIS user id, else the login, else the name. Returns ``(points, students)``:
    points per assignment header, and per student the key Canvas matches on and their cells.
    """
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[:3]
    counts = {sep: {len(next(csv.reader([line], delimiter=sep))) for line in first} for sep in ",;"}
    sizes = {sep: next(iter(c)) if len(c) == 1 else 0 for sep, c in counts.items()}
    assert sizes[","] >= sizes[";"], "Canvas would read this file as semicolon-separated"
    rows = [r for r in csv.reader(text.splitlines()) if "".join(r).strip(" ,;")]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], header
    student_columns = 3
    sis_user = sis_login = None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        sis_login, student_columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        sis_user, sis_login, student_columns = 2, 3, 5
    assert "Section" in header[student_columns - 1], f"Canvas: invalid header row {header}"
    computed = re.compile("|".join(lms.CANVAS_COMPUTED_HEADERS))
    columns = {i: h for i, h in enumerate(header) if i >= student_columns and not computed.search(h)}
    points, students = {}, []
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {h: row[i] for i, h in columns.items()}
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I) for c in row if c):
            continue  # Canvas skips a "muted" row
        if row[1].strip():
            key = ("ID", int(row[1]))
        elif sis_user is not None and row[sis_user]:
            key = ("SIS User ID", row[sis_user])
        elif sis_login is not None and row[sis_login]:
            key = ("SIS Login ID", row[sis_login])
        else:
            key = ("name", row[0])
        students.append((key, {h: row[i].strip() or None for i, h in columns.items()}))
    return points, students


@pytest.mark.slow
def test_canvas_importer_finds_every_student_by_id_and_every_score(provisional):
    points, students = canvas_importer_reading(provisional[1])
    assert points == {ASSIGNMENT: "22"}
    found = dict(students)
    assert len(found) == len(students) == len(ROSTER) + 1  # no student read twice or skipped
    for student, (_name, canvas_id, *_rest) in ROSTER.items():
        cell = found[("ID", int(canvas_id))][ASSIGNMENT]
        assert cell == (None if student in (BROKEN, ABSENT, ROSTER_ONLY) else f"{expected_score(student):g}")
    assert found[("name", NOT_IN_ROSTER)][ASSIGNMENT] == f"{expected_score(NOT_IN_ROSTER):g}"


@pytest.mark.slow
def test_the_canvas_csv_round_trips_through_pandas_with_empty_cells_not_zeros(provisional):
    table = pd.read_csv(provisional[1], skiprows=[1], dtype={"ID": str})
    assert list(table.columns) == [*lms.CANVAS_ID_COLUMNS, ASSIGNMENT]
    scores = dict(zip(table["Student"], table[ASSIGNMENT], strict=True))
    assert scores["Park, Ji-ho"] != scores["Park, Ji-ho"]  # NaN: nothing to import, not a 0
    assert scores["Choi, Ha-eun"] != scores["Choi, Ha-eun"]
    assert scores[NOT_IN_ROSTER] == expected_score(NOT_IN_ROSTER)
    assert len(table) == len(ROSTER) + 1


@pytest.mark.slow
def test_the_instructor_is_told_about_empty_cells_roster_gaps_and_provisional_scores(provisional):
    out = provisional[0].stdout
    assert "note: 1 failed to grade submission(s) left as empty cells (not 0)" in out
    assert "note: 1 missing submission(s) left as empty cells (not 0)" in out
    assert f"not in the roster, exported without LMS ids (add them to the roster): {NOT_IN_ROSTER}" in out
    assert f"in the roster but not in the gradebook (empty cells): {ROSTER_ONLY}" in out
    assert f"PROVISIONAL: written answers not graded yet, their points missing, for {WAITING} ({ASSIGNMENT})" in out


@pytest.mark.slow
def test_the_generic_layout_has_one_row_per_student_and_assignment(course):
    result = report(course, "--lms", "generic", "--roster", "roster.csv", "--provisional")
    assert result.returncode == 0, result.stdout + result.stderr
    table = pd.read_csv(course / "out" / "lms_long-provisional.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(lms.GENERIC_COLUMNS)
    rows = table.set_index("student_id")
    assert sorted(rows.index) == sorted([*ROSTER, NOT_IN_ROSTER])
    assert rows.loc[BROKEN, "score"] == "" and rows.loc[BROKEN, "status"] == "failed to grade"
    assert rows.loc[ABSENT, "score"] == "" and rows.loc[ABSENT, "status"] == "missing"
    assert float(rows.loc["solution", "score"]) == expected_score("solution")
    assert rows.loc[WAITING, "provisional"] == "yes" and rows.loc["solution", "provisional"] == "no"


@pytest.mark.slow
def test_the_nbgrader_export_plugin_writes_the_same_canvas_csv(course, provisional):
    result = nbgrader(
        course,
        "export",
        "--exporter",
        "korea_nato.grading.lms.CanvasExportPlugin",
        "--to",
        "from-nbgrader.csv",
        "--CanvasExportPlugin.roster=roster.csv",
        "--CanvasExportPlugin.provisional=True",
    )
    assert (course / "from-nbgrader.csv").read_text() == provisional[1].read_text()
    assert f"not in the roster, exported without LMS ids (add them to the roster): {NOT_IN_ROSTER}" in result.stderr


@pytest.mark.slow
def test_the_nbgrader_export_plugin_refuses_while_a_written_answer_waits(course):
    result = nbgrader(
        course, "export", "--exporter", "korea_nato.grading.lms.CanvasExportPlugin", "--to", "x.csv", check=False
    )
    assert result.returncode != 0
    assert WAITING in result.stderr
    assert not (course / "x.csv").exists()


# --- Units: the export from a hand-made report table -------------------------------------------


def grades_table(rows):
    columns = ["student_id", "assignment", "status", "score", "max_score"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows])


def test_a_failed_submission_is_an_empty_cell_and_counted():
    grades = grades_table([("a", "ps1", "graded", 20.0, 22.0), ("b", "ps1", "failed to grade", None, 22.0)])
    export = lms.build_export(grades, lms.roster_from_grades(grades), "canvas")
    assert export.rows[2:] == [["a", "", "", "", "", "20"], ["b", "", "", "", "", ""]]
    assert export.empty_cells == {"failed to grade": 1, "missing": 0}
    assert not export.provisional and export.file_name == "canvas_grades.csv"


def test_a_flagged_submission_is_exported_and_named():
    grades = grades_table([("a", "ps1", "integrity flag", 22.0, 22.0), ("b", "ps1", "graded", 20.0, 22.0)])
    export = lms.build_export(grades, lms.roster_from_grades(grades), "canvas")
    assert export.rows[2][5] == "22"
    assert export.messages() == [
        "exported with an integrity flag (read the notebook; korea-nato report's detail column): a (ps1)"
    ]


def test_one_column_per_assignment_with_its_points():
    grades = grades_table([("a", "ps2", "graded", 7.5, 10.0), ("a", "ps1", "graded", 20.0, 22.0)])
    export = lms.build_export(grades, lms.roster_from_grades(grades), "canvas")
    assert export.rows[0][5:] == ["ps1", "ps2"]
    assert export.rows[1] == ["Points Possible", "", "", "", "", "22", "10"]
    assert export.rows[2][5:] == ["20", "7.5"]


@pytest.mark.parametrize(
    "assignment, student, message",
    [
        ("Final Score bonus", "a", "contains 'Final Score', which Canvas drops"),
        ("ps1 (123)", "a", "ends in '(digits)', which Canvas reads as an assignment id"),
        ("ps1", "Points Possible Jr", "which Canvas reads as the points row"),
    ],
)
def test_names_canvas_would_misread_are_refused(assignment, student, message):
    grades = grades_table([(student, assignment, "graded", 20.0, 22.0)])
    with pytest.raises(lms.LmsError, match=re.escape(message)):
        lms.build_export(grades, lms.roster_from_grades(grades), "canvas")
    assert lms.build_export(grades, lms.roster_from_grades(grades), "generic").rows[1][6] == "20"


def test_an_unknown_layout_is_a_clear_error():
    grades = grades_table([("a", "ps1", "graded", 20.0, 22.0)])
    with pytest.raises(lms.LmsError, match="unknown LMS layout 'moodle': use one of canvas, generic"):
        lms.build_export(grades, lms.roster_from_grades(grades), "moodle")


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,canvas_id\nKim,1\n", "has no student_id column"),
        ("student_id,email\na,a@example.edu\n", "unknown columns email"),
        ("student_id,name\na,A\na,B\n", "lists these students twice: a"),
        ("student_id,name\n,A\n", "rows without a student_id"),
        ("student_id,canvas_id\na,S1001\nb,1002\n", r"not Canvas's numeric user ids: a \('S1001'\);"),
    ],
)
def test_a_bad_roster_is_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(lms.LmsError, match=message):
        lms.read_roster(path)


def test_a_missing_roster_names_the_expected_columns(tmp_path):
    with pytest.raises(lms.LmsError, match="no roster at .*student_id, name, canvas_id"):
        lms.read_roster(tmp_path / "nope.csv")
