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

from assignment_tools import hostile_submissions, solution_code
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


def rewritten(**answers):
    """Patches that replace whole answer cells (grade id -> new code) with a student's own version."""
    return {grade_id: [(solution_code(ASSIGNMENT, grade_id), code)] for grade_id, code in answers.items()}


# An honest student who writes loops and ``datetime.strptime`` instead of pandas' parser, keeps its
# guess words in a global named ``cases`` (a name hidden tests used to rebind), and builds every
# table row by row.
LOOPS_AND_STRPTIME = rewritten(
    parse_date='''import re
from datetime import datetime

cases = ("c.", "circa", "around", "about", "early", "mid", "late")
DAY_FORMATS = ["%d %b %Y", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m-%d"]


def parse_date(text):
    """Return the date written in ``text`` and its precision, as a (pd.Timestamp, str) pair."""
    words = text.split()
    if words and words[0].lower() in cases:
        date, _ = parse_date(" ".join(words[1:]))
        return date, "approximate"
    cleaned = " ".join(words)
    for pattern, precision in [("%Y", "year"), ("%B %Y", "month"), ("%b %Y", "month")]:
        try:
            return pd.Timestamp(datetime.strptime(cleaned, pattern)), precision
        except ValueError:
            pass
    for pattern in DAY_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(cleaned, pattern)), "day"
        except ValueError:
            pass
    raise ValueError(f"cannot read the date {text!r}")
''',
    build_event_table='''def build_event_table(notes):
    """Return the tidy, chronologically ordered event table built from reading notes."""
    rows = []
    for note in notes.itertuples(index=False):
        date, precision = parse_date(note.date_text)
        rows.append(
            {"event_id": note.event_id, "date": date, "date_precision": precision, "driver": note.driver,
             "actor": note.actor, "target": note.target, "description": note.description}
        )
    table = pd.DataFrame(rows)
    table["date_precision"] = pd.Categorical(table["date_precision"], categories=["day", "month", "year", "approximate"])
    return table.sort_values(["date", "event_id"]).reset_index(drop=True)


events = build_event_table(notes)
events
''',
    events_per_driver='''from collections import Counter

counts = Counter(code for code in events["driver"] if isinstance(code, str))
events_per_driver = pd.Series(dict(sorted(counts.items())))
events_per_driver
''',
    first_six_months='''start = events["date"][events["event_id"] == "E09"].min()
first_six_months = events[events["date"].between(start, start + pd.DateOffset(months=6), inclusive="left")]
first_six_months
''',
)
# An honest student who uses ``.apply`` and a precision lookup, and groups with ``apply``.
WITH_APPLY = rewritten(
    build_event_table='''PRECISIONS = pd.CategoricalDtype(["day", "month", "year", "approximate"], ordered=False)


def build_event_table(notes):
    """Return the tidy, chronologically ordered event table built from reading notes."""
    table = notes.copy()
    table["date"] = table["date_text"].apply(lambda text: parse_date(text)[0])
    table["date_precision"] = table["date_text"].apply(lambda text: parse_date(text)[1]).astype(PRECISIONS)
    table = table[["event_id", "date", "date_precision", "driver", "actor", "target", "description"]]
    return table.sort_values(by=["date", "event_id"], ignore_index=True)


events = build_event_table(notes)
events
''',
    driver_evidence_span='''driver_evidence_span = (
    events.dropna(subset=["driver"])
    .groupby("driver")
    .apply(lambda group: pd.Series({"earliest": group["date"].min(), "latest": group["date"].max()}), include_groups=False)
)
driver_evidence_span
''',
)


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
    "loops-and-strptime": (dict(patches=LOOPS_AND_STRPTIME), full_marks_except()),
    "with-apply": (dict(patches=WITH_APPLY), full_marks_except()),
    # Guess words matched only in lower case: "Late 1991" and "EARLY 2001" are read as no guess.
    "case-sensitive-guess-words": (
        dict(patches={"parse_date": [("if first_word.lower() in guess_words:", "if first_word in guess_words:")]}),
        full_marks_except("parse_date_approximate"),
    ),
    # The guess words are ignored: "around 5 May 2022" fails to parse as a day, "c. 8 Nov 2022" is cut.
    "guess-words-ignored": (
        dict(patches={"parse_date": [("if first_word.lower() in guess_words:", "if first_word.lower() in ('c.',):")]}),
        full_marks_except("parse_date_approximate"),
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


# --- Test cells that objects lying about equality cannot fool ---------------------------------


class LyingStr(str):
    """A string that equals everything, as a hostile answer would return (issue 9)."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__

    def __str__(self):
        return self


def failures_with(assignment: str, answers: str, grade_ids) -> dict:
    """Run the setup cells, ``answers`` and each source test cell in one namespace: grade id -> error.

    The solution cells are not run: ``answers`` defines the targets, here with lying objects.
    """
    import matplotlib

    from assignment_tools import SOURCE, cells_by_grade_id, notebook_path, read

    matplotlib.use("Agg")
    cells = cells_by_grade_id(read(notebook_path(SOURCE, assignment)))
    namespace = {"LyingStr": LyingStr}
    for grade_id, cell in cells.items():
        if cell.cell_type == "code" and grade_id.startswith("setup") or grade_id == "drivers_reference":
            exec(cell.source, namespace)  # noqa: S102 -- the course's own locked cells
    exec(answers, namespace)  # noqa: S102
    errors = {}
    for grade_id in grade_ids:
        try:
            exec(cells[grade_id].source, namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001 -- any error fails the cell, as under nbgrader
            errors[grade_id] = error
    return errors


@pytest.mark.parametrize("grade_id", PART_A)
def test_a_precision_that_equals_everything_fails_every_part_a_test(grade_id):
    answers = 'def parse_date(text):\n    return pd.Timestamp(2022, 3, 3), LyingStr("day")\n'
    assert grade_id in failures_with(ASSIGNMENT, answers, [grade_id])
