"""Autograding ps3 in a throw-away course: every honest and hostile submission scores exactly as expected.

The corpus is built from the committed notebooks (see ``assignment_tools``): the solution, the
untouched release, a partial attempt, typical honest mistakes and a defensible alternative
coding (each a small patch to the instructor's answer), and the issue's ten hostile or broken
submissions, each built on honest work. All of it is autograded in one batch. Part D (4 points)
is graded by hand, so the autograded maximum is 17 of 21.
"""

from __future__ import annotations

import pytest

from assignment_tools import (
    HOSTILE_FINDINGS,
    UNGRADEABLE,
    build_submission,
    failed_students,
    gradebook_scores,
    hostile_submissions,
    integrity_kinds,
    nbgrader,
    submit,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps3_forecast"
TOTAL = 21
PART_A = ["later_table_columns_and_dtypes", "later_table_dates", "later_table_periods"]
PART_B = ["coding_form", "coding_clear_supports", "coding_clear_weakens", "coding_defensible_rows"]
PART_C = ["driver_scorecard_counts", "period_scorecard_counts", "period_figure_bars"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [1, 1, 1, 1, 2, 2, 3, 2, 2, 2], strict=True))
WRITTEN = "forecast_memo"
X21 = '("X21", "L2", "complicates", "Losing the submarine contract shows the Polish arms tie has limits.")'


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


# student id -> (how the submission is made, the autograded score of every test cell)
HONEST = {
    "solution": (dict(), full_marks_except()),
    "untouched-release": (dict(answered=[]), full_marks_except(*POINTS)),
    "part-a-only": (dict(answered=["later_table"]), full_marks_except(*PART_B, *PART_C)),
    # Lee's first day counted in the Yoon years.
    "lee-from-the-day-after": (
        dict(patches={"later_table": [('(dated["date"] >= lee_took_office)', '(dated["date"] > lee_took_office)')]}),
        full_marks_except("later_table_periods"),
    ),
    # Martial law read as "points both ways" rather than as a failure of the values driver.
    "martial-law-as-complicates": (
        dict(patches={"coding": [('("X13", "L3", "weakens",', '("X13", "L3", "complicates",')]}),
        full_marks_except("coding_clear_weakens"),
    ),
    # A defensible alternative (the lost submarine deal weakens L2), but with no rationale: not accepted.
    "alternative-without-rationale": (
        dict(patches={"coding": [(X21, '("X21", "L2", "weakens", None)')]}),
        full_marks_except("coding_defensible_rows"),
    ),
    # The same alternative with a one-line rationale: accepted, full marks.
    "alternative-with-rationale": (
        dict(patches={"coding": [(X21, X21.replace('"complicates"', '"weakens"'))]}),
        full_marks_except(),
    ),
    # Periods left in crosstab's alphabetical order (Lee before Yoon); the figure still shows the right bars.
    "periods-in-alphabetical-order": (
        dict(patches={"period_scorecard": [('reindex(index=["Yoon", "Lee"], columns=VERDICTS', "reindex(columns=VERDICTS")]}),
        full_marks_except("period_scorecard_counts"),
    ),
}
MISTAKE = "martial-law-as-complicates"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=HONEST[MISTAKE][0],
    mistake_fails="coding_clear_weakens",
    first_answer="later_table",
    last_answer="period_figure",
    # A loader the hidden tests could have used; they import a fresh one instead.
    rebinding="later_events = lambda: notes.iloc[:0]\n\n",
)
BASE = {"solution": "solution", "mistake": MISTAKE}
EXPECTED = {student: cells for student, (_, cells) in HONEST.items()}
EXPECTED |= {
    "infinite-loop": full_marks_except("period_figure_bars"),
    "swallowed-interrupt": full_marks_except("period_figure_bars"),
    "deleted-test-cell": EXPECTED[MISTAKE],
    "edited-locked-cell": EXPECTED[MISTAKE],
    "monkeypatched-comparison": EXPECTED[MISTAKE],
    "rebound-test-helper": EXPECTED[MISTAKE],
}
GRADED = sorted(EXPECTED)


@pytest.fixture(scope="module")
def graded(course):
    """Submit the whole corpus, autograde it in one batch, and read the gradebook."""
    for student, (how, _) in HONEST.items():
        submit(course, student, ASSIGNMENT, build_submission(ASSIGNMENT, **how))
    for student, (notebook, name, _) in HOSTILE.items():
        submit(course, student, ASSIGNMENT, notebook, name=name)
    result = nbgrader(course, "autograde", ASSIGNMENT, check=False)
    return result, gradebook_scores(course, ASSIGNMENT)


def test_the_batch_finishes_and_fails_only_the_ungradeable_submissions(graded, course):
    result, scores = graded
    assert result.returncode == 1, "nbgrader exits 1 when some submission fails"
    assert failed_students(result, ASSIGNMENT) == UNGRADEABLE, result.stdout + result.stderr
    assert sorted(scores) == sorted([*HONEST, *HOSTILE])
    for student in GRADED:
        assert (course / "autograded" / student / ASSIGNMENT).is_dir(), student
    for student in UNGRADEABLE:
        assert not (course / "autograded" / student / ASSIGNMENT).exists(), student


@pytest.mark.parametrize("student", GRADED)
def test_each_test_cell_scores_as_expected(student, graded):
    _, scores = graded
    actual = {cell: scores[student]["cells"][cell] for cell in POINTS}
    assert actual == EXPECTED[student]


@pytest.mark.parametrize("student", GRADED)
def test_total_is_the_sum_of_passed_tests_and_the_written_answer_waits_for_a_grader(student, graded):
    _, scores = graded
    how = HONEST.get(student, (dict(),))[0]
    wrote_part_d = "answered" not in how or WRITTEN in how["answered"]
    assert scores[student]["score"] == sum(EXPECTED[student].values())
    assert scores[student]["max_score"] == TOTAL
    assert scores[student]["cells"][WRITTEN] == 0
    assert scores[student]["needs_manual_grade"] is wrote_part_d


def test_ungradeable_submissions_score_nothing(graded):
    _, scores = graded
    assert {student: scores[student]["score"] for student in UNGRADEABLE} == dict.fromkeys(UNGRADEABLE, 0)


def test_solution_gets_every_autograded_point_and_the_release_none(graded):
    _, scores = graded
    assert scores["solution"]["score"] == TOTAL - 4
    assert scores["untouched-release"]["score"] == 0


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_no_cheat_scores_above_the_honest_work_it_is_built_on(student, graded):
    _, scores = graded
    honest = BASE[HOSTILE[student][2]]
    assert scores[student]["score"] <= scores[honest]["score"], (student, honest)


@pytest.mark.parametrize("student", sorted(HONEST))
def test_integrity_scan_passes_every_honest_submission(student, graded, course):
    assert integrity_kinds(course, student, ASSIGNMENT) == set()


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_integrity_scan_flags_every_hostile_submission(student, graded, course):
    assert integrity_kinds(course, student, ASSIGNMENT) == HOSTILE_FINDINGS[student]


def test_feedback_shows_scores_but_no_hidden_test(course, graded):
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "martial-law-as-complicates")
    (page,) = (course / "feedback" / "martial-law-as-complicates" / ASSIGNMENT).glob("*.html")
    html = page.read_text(encoding="utf-8").replace("&quot;", '"').replace("&#39;", "'")
    total = sum(EXPECTED["martial-law-as-complicates"].values())
    assert f"{total:.1f} / {TOTAL}" in html or f"{total} / {TOTAL}" in html
    for secret in ["BEGIN HIDDEN TESTS", "alternates", "A row the grader made up", "_fresh_later_events", "Seoul refused what NATO"]:
        assert secret not in html, f"the feedback shows {secret!r}"
