"""Autograding ps3 in a throw-away course: every honest and hostile submission scores exactly as expected.

The corpus is built from the committed notebooks (see ``assignment_tools``): the solution, the
untouched release, a partial attempt, typical honest mistakes and a defensible alternative
coding (each a small patch to the instructor's answer), and the issue's ten hostile or broken
submissions, each built on honest work. All of it is autograded in one batch. Part D (4 points)
is graded by hand, so the autograded maximum is 17 of 21.

The ``graded`` fixture and the tests every problem set shares come from ``corpus_grading``;
this module keeps what is particular to ps3: its corpus and the score of every test cell.
"""

from __future__ import annotations

import pytest

from assignment_tools import hostile_submissions
from corpus_grading import GradingCorpus, corpus_tests

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
GRADING = GradingCorpus(
    assignment=ASSIGNMENT,
    honest=HONEST,
    hostile=HOSTILE,
    mistake=MISTAKE,
    stuck=full_marks_except("period_figure_bars"),
    points=POINTS,
    total=TOTAL,
    written=WRITTEN,
    written_points=4,
    feedback_students=("martial-law-as-complicates",),
    feedback_secrets=(
        "BEGIN HIDDEN TESTS",
        "alternates",
        "A row the grader made up",
        "_fresh_later_events",
        "Seoul refused what NATO",
    ),
)

globals().update(corpus_tests(GRADING))
