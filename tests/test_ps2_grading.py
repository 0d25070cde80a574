"""Autograding ps2 in a throw-away course: every honest and hostile submission scores exactly as expected.

The corpus is built from the committed notebooks (see ``assignment_tools``): the solution, the
untouched release, a partial attempt, typical honest mistakes (each a small patch to the
instructor's answer), and the issue's ten hostile or broken submissions, each built on honest
work. All of it is autograded in one batch. Part D (4 points) is graded by hand, so the
autograded maximum is 16 of 20.

The ``graded`` fixture and the tests every problem set shares come from ``corpus_grading``;
this module keeps what is particular to ps2: its corpus and the score of every test cell.
"""

from __future__ import annotations

import pytest

from assignment_tools import hostile_submissions
from corpus_grading import GradingCorpus, corpus_tests

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps2_drivers"
TOTAL = 20
PART_A = ["statement_horizons_short_term", "statement_horizons_long_term"]
PART_B = [
    "classify_horizon_signal_words",
    "classify_horizon_date_cues",
    "classify_horizon_signal_words_first",
    "classify_horizon_no_cue",
]
PART_C = ["driver_events_join", "evidence_span_dates_and_years", "youngest_long_term_evidence"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [2, 2, 2, 2, 1, 1, 2, 2, 2], strict=True))
WRITTEN = "values_long_term_answer"


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


# student id -> (how the submission is made, the autograded score of every test cell)
HONEST = {
    "solution": (dict(), full_marks_except()),
    "untouched-release": (dict(answered=[]), full_marks_except(*POINTS)),
    "parts-a-and-b-only": (dict(answered=["statement_horizons", "classify_horizon"]), full_marks_except(*PART_C)),
    # The values statement says "in recent weeks", and the student trusts the date over the author's words.
    "values-as-short-term": (
        dict(patches={"statement_horizons": [('"ST03": "long-term"', '"ST03": "short-term"')]}),
        full_marks_except("statement_horizons_long_term"),
    ),
    # Matching without lowering the case: "IMMEDIATE", "Enduring", "COLD WAR" and "Lasting" slip through.
    "case-sensitive-classifier": (
        dict(patches={"classify_horizon": [("lowered = text.lower()", "lowered = text")]}),
        full_marks_except(
            "classify_horizon_signal_words", "classify_horizon_date_cues", "classify_horizon_signal_words_first"
        ),
    ),
    # A left join keeps the thesis events and the op-ed itself, which have no driver and no horizon.
    "left-join": (
        dict(patches={"driver_events": [('right_on="driver_id")', 'right_on="driver_id", how="left")')]}),
        full_marks_except("driver_events_join"),
    ),
    # Forgetting to keep only the long-term drivers finds S2, whose one event is the most recent.
    "youngest-of-all-drivers": (
        dict(patches={"youngest_long_term": [('evidence_span[evidence_span["horizon"] == "long-term"]', "evidence_span")]}),
        full_marks_except("youngest_long_term_evidence"),
    ),
}
MISTAKE = "values-as-short-term"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=HONEST[MISTAKE][0],
    mistake_fails="statement_horizons_long_term",
    first_answer="statement_horizons",
    last_answer="youngest_long_term",
    # A loader the hidden tests could have used; they import a fresh one instead.
    rebinding="driver_statements = lambda: statements.iloc[:0]\n\n",
)
GRADING = GradingCorpus(
    assignment=ASSIGNMENT,
    honest=HONEST,
    hostile=HOSTILE,
    mistake=MISTAKE,
    stuck=full_marks_except("youngest_long_term_evidence"),
    points=POINTS,
    total=TOTAL,
    written=WRITTEN,
    written_points=4,
    feedback_students=("case-sensitive-classifier",),
    feedback_secrets=(
        "BEGIN HIDDEN TESTS",
        "An IMMEDIATE worry",
        "COLD WAR",
        "_fresh_driver_statements",
        "expected_years",
    ),
)

globals().update(corpus_tests(GRADING))
