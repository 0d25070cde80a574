"""Autograding ps1 in a throw-away course gives every fixture submission exactly its expected score.

The submissions are built from the committed notebooks (see ``assignment_tools``): the
solution, the untouched release, a partial attempt and typical honest mistakes, each a small
patch to the instructor's answer, and the ten hostile or broken submissions of
``assignment_tools.hostile_submissions``, each built on honest work. All of it is autograded in
one batch. Part D (4 points) is graded by hand, so the autograded maximum is 18 of 22.
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

ASSIGNMENT = "ps1_event_table"
PART_A = [
    "parse_date_returns_pairs",
    "parse_date_day_styles",
    "parse_date_year_and_month",
    "parse_date_approximate",
]
PART_B = ["event_table_columns_and_dtypes", "event_table_chronological", "event_table_dates_and_precision"]
PART_C = ["events_per_driver_counts", "driver_evidence_span_dates", "first_six_months_events"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [1, 2, 2, 1, 2, 2, 2, 2, 2, 2], strict=True))


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


# student id -> (how the submission is made, the autograded score of every test cell)
CORPUS = {
    "solution": (dict(), full_marks_except()),
    "untouched-release": (dict(answered=[]), full_marks_except(*POINTS)),
    "part-a-only": (dict(answered=["parse_date"]), full_marks_except(*PART_B, *PART_C)),
    # Year-only dates get day precision: Part A's year/month test and the per-event check fail.
    "year-as-day": (
        dict(
            patches={
                "parse_date": [
                    (
                        'return pd.Timestamp(int(cleaned), 1, 1), "year"',
                        'return pd.Timestamp(int(cleaned), 1, 1), "day"',
                    )
                ]
            }
        ),
        full_marks_except("parse_date_year_and_month", "event_table_dates_and_precision"),
    ),
    # The table is left in reading order: order checks fail, here and in the six-month window.
    "unsorted-table": (
        dict(patches={"build_event_table": [('.sort_values(["date", "event_id"])', "")]}),
        full_marks_except("event_table_chronological", "first_six_months_events"),
    ),
    # Sorted by id, not date: right on these notes (ids follow dates), so only a hidden test can tell.
    "sorted-by-id": (
        dict(
            patches={
                "build_event_table": [('.sort_values(["date", "event_id"])', '.sort_values("event_id")')]
            }
        ),
        full_marks_except("event_table_chronological"),
    ),
    # The event without a driver is counted as a driver of its own.
    "counts-missing-driver": (
        dict(patches={"events_per_driver": [("value_counts()", "value_counts(dropna=False)")]}),
        full_marks_except("events_per_driver_counts"),
    ),
    # The six-month window includes its last day.
    "window-off-by-one": (
        dict(
            patches={
                "first_six_months": [
                    ("< took_office + pd.DateOffset(months=6)", "<= took_office + pd.DateOffset(months=6)"),
                    ('events["date"] >= took_office', 'events["date"] > took_office'),
                ]
            }
        ),
        full_marks_except("first_six_months_events"),
    ),
}


MISTAKE = "sorted-by-id"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=CORPUS[MISTAKE][0],
    mistake_fails="event_table_chronological",
    first_answer="parse_date",
    last_answer="first_six_months",
    # The loader the hidden test relabels; it imports a fresh one instead.
    rebinding='event_notes = lambda: notes.sort_values("event_id", ignore_index=True)\n\n',
)
BASE = {"solution": "solution", "mistake": MISTAKE}
EXPECTED = {student: cells for student, (_, cells) in CORPUS.items()}
EXPECTED |= {
    "infinite-loop": full_marks_except("first_six_months_events"),
    "swallowed-interrupt": full_marks_except("first_six_months_events"),
    "deleted-test-cell": EXPECTED[MISTAKE],
    "edited-locked-cell": EXPECTED[MISTAKE],
    "monkeypatched-comparison": EXPECTED[MISTAKE],
    "rebound-test-helper": EXPECTED[MISTAKE],
}
GRADED = sorted(EXPECTED)


@pytest.fixture(scope="module")
def graded(course):
    """Submit the whole corpus, autograde it in one batch, and read the gradebook."""
    for student, (how, _) in CORPUS.items():
        submit(course, student, ASSIGNMENT, build_submission(ASSIGNMENT, **how))
    for student, (notebook, name, _) in HOSTILE.items():
        submit(course, student, ASSIGNMENT, notebook, name=name)
    result = nbgrader(course, "autograde", ASSIGNMENT, check=False)
    return result, gradebook_scores(course, ASSIGNMENT)


def test_the_batch_finishes_and_fails_only_the_ungradeable_submissions(graded, course):
    result, scores = graded
    assert result.returncode == 1, "nbgrader exits 1 when some submission fails"
    assert failed_students(result, ASSIGNMENT) == UNGRADEABLE, result.stdout + result.stderr
    assert sorted(scores) == sorted([*CORPUS, *HOSTILE])
    for student in GRADED:
        assert (course / "autograded" / student / ASSIGNMENT).is_dir(), student
    for student in UNGRADEABLE:
        assert not (course / "autograded" / student / ASSIGNMENT).exists(), student
    assert {student: scores[student]["score"] for student in UNGRADEABLE} == dict.fromkeys(UNGRADEABLE, 0)


@pytest.mark.parametrize("student", GRADED)
def test_each_test_cell_scores_as_expected(student, graded):
    _, scores = graded
    expected_cells = EXPECTED[student]
    actual = {cell: scores[student]["cells"][cell] for cell in expected_cells}
    assert actual == expected_cells


@pytest.mark.parametrize("student", GRADED)
def test_total_is_the_sum_of_passed_tests_and_only_a_written_answer_awaits_a_grader(student, graded):
    _, scores = graded
    how = CORPUS.get(student, (dict(),))[0]
    wrote_part_d = "answered" not in how or "youngest_long_term_driver" in how["answered"]
    assert scores[student]["score"] == sum(EXPECTED[student].values())
    assert scores[student]["max_score"] == 22
    assert scores[student]["cells"]["youngest_long_term_driver"] == 0
    # nbgrader scores an untouched written answer 0 by itself; a written one waits for a person.
    assert scores[student]["needs_manual_grade"] is wrote_part_d


def test_solution_gets_every_autograded_point_and_the_release_none(graded):
    _, scores = graded
    assert scores["solution"]["score"] == 18
    assert scores["untouched-release"]["score"] == 0


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_no_cheat_scores_above_the_honest_work_it_is_built_on(student, graded):
    _, scores = graded
    honest = BASE[HOSTILE[student][2]]
    assert scores[student]["score"] <= scores[honest]["score"], (student, honest)


@pytest.mark.parametrize("student", sorted(CORPUS))
def test_integrity_scan_passes_every_honest_submission(student, graded, course):
    assert integrity_kinds(course, student, ASSIGNMENT) == set()


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_integrity_scan_flags_every_hostile_submission(student, graded, course):
    assert integrity_kinds(course, student, ASSIGNMENT) == HOSTILE_FINDINGS[student]


def test_feedback_shows_scores_but_no_hidden_test(course, graded):
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    hidden_marker_lines = ["BEGIN HIDDEN TESTS", "relabelled", "_fresh_event_notes", '"1991-01-01"']
    for student in ("solution", "year-as-day", "sorted-by-id"):
        (page,) = (course / "feedback" / student / ASSIGNMENT).glob("*.html")
        html = page.read_text(encoding="utf-8")
        total = sum(EXPECTED[student].values())
        assert f"{total:.1f} / 22" in html or f"{total} / 22" in html, f"{student}'s feedback lacks its score"
        for secret in hidden_marker_lines:
            assert secret not in html.replace("&quot;", '"'), f"{student}'s feedback shows {secret!r}"
