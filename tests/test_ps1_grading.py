"""Autograding ps1 in a throw-away course gives every fixture submission exactly its expected score.

The submissions are built from the committed notebooks (see ``assignment_tools``): the
solution, the untouched release, a partial attempt and typical honest mistakes, each a small
patch to the instructor's answer, and the ten hostile or broken submissions of
``assignment_tools.hostile_submissions``, each built on honest work. All of it is autograded in
one batch. Part D (4 points) is graded by hand, so the autograded maximum is 18 of 22.

The ``graded`` fixture and the tests every problem set shares come from ``corpus_grading``;
this module keeps what is particular to ps1: its corpus and the score of every test cell.
"""

from __future__ import annotations

import pytest

from assignment_tools import hostile_submissions
from corpus_grading import GradingCorpus, corpus_tests

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps1_event_table"
TOTAL = 22
PART_A = [
    "parse_date_returns_pairs",
    "parse_date_day_styles",
    "parse_date_year_and_month",
    "parse_date_approximate",
]
PART_B = ["event_table_columns_and_dtypes", "event_table_chronological", "event_table_dates_and_precision"]
PART_C = ["events_per_driver_counts", "driver_evidence_span_dates", "first_six_months_events"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [1, 2, 2, 1, 2, 2, 2, 2, 2, 2], strict=True))
WRITTEN = "youngest_long_term_driver"


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
GRADING = GradingCorpus(
    assignment=ASSIGNMENT,
    honest=CORPUS,
    hostile=HOSTILE,
    mistake=MISTAKE,
    stuck=full_marks_except("first_six_months_events"),
    points=POINTS,
    total=TOTAL,
    written=WRITTEN,
    written_points=4,
    feedback_students=("solution", "year-as-day", "sorted-by-id"),
    feedback_secrets=("BEGIN HIDDEN TESTS", "relabelled", "_fresh_event_notes", '"1991-01-01"'),
)

globals().update(corpus_tests(GRADING))
