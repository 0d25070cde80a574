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

from assignment_tools import hostile_submissions, solution_code
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
PART_C = ["driver_events_join", "evidence_span_dates_and_years", "strict_span_dates", "older_evidence_drivers"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [2, 2, 2, 2, 1, 1, 2, 2, 1, 1], strict=True))
WRITTEN = "values_long_term_answer"


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


def rewritten(**answers):
    """Patches that replace whole answer cells (grade id -> new code) with a student's own version."""
    return {grade_id: [(solution_code(ASSIGNMENT, grade_id), code)] for grade_id, code in answers.items()}


# An honest student in another style: labels typed as two lists, a classifier driven by a global
# word table named ``cases`` (a name hidden tests used to rebind) and a regular expression, spans
# built row by row in a loop, the strict count with ``query``.
OWN_STYLE = rewritten(
    statement_horizons='''short = ["ST02", "ST04", "ST07"]
long = ["ST01", "ST03", "ST05", "ST06", "ST08"]
statement_horizons = {key: "short-term" for key in short} | {key: "long-term" for key in long}
''',
    classify_horizon='''import re

cases = {
    "long-term": ("long-term", "longer-term", "enduring", "lasting"),
    "short-term": ("short-term", "immediate"),
}


def classify_horizon(text):
    """Return "short-term" or "long-term" from the signal words and date cues in ``text``, or None."""
    lowered = text.lower()
    for horizon in ["long-term", "short-term"]:
        if re.search("|".join(map(re.escape, cases[horizon])), lowered):
            return horizon
    years = [int(y) for y in re.findall(r"\\b\\d{4}\\b", lowered)]
    if min(years, default=9999) < 2022 or re.search("cold war|decade", lowered):
        return "long-term"
    if years or re.search("week|month", lowered):
        return "short-term"
    return None


{statement_id: classify_horizon(text) for statement_id, text in zip(statements["statement_id"], statements["text"])}
''',
    driver_events='''driver_events = pd.merge(events, drivers(), how="inner", left_on="driver", right_on="driver_id")
driver_events
''',
    evidence_span='''def span_table(rows):
    """One row per driver: its horizon, earliest and latest event, and the span in years."""
    spans = {}
    for driver_id, group in rows.groupby("driver_id"):
        earliest, latest = group["date"].min(), group["date"].max()
        spans[driver_id] = {
            "horizon": group["horizon"].iloc[0],
            "earliest": earliest,
            "latest": latest,
            "span_years": round((latest - earliest).days / 365.25, 1),
        }
    return pd.DataFrame.from_dict(spans, orient="index")


evidence_span = span_table(driver_events)
evidence_span
''',
    strict_span='''strict_span = span_table(driver_events.query("event_id not in ['E01', 'E03']"))
strict_span
''',
    older_evidence='''older_evidence = []
for driver_id, row in strict_span.iterrows():
    if row["horizon"] == "long-term" and row["earliest"].year < 2022:
        older_evidence.append(driver_id)
older_evidence
''',
)


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
    "own-style": (dict(patches=OWN_STYLE), full_marks_except()),
    # The robustness check drops the framing row but keeps the inferred 2019 application (E03).
    "strict-span-keeps-e03": (
        dict(patches={"strict_span": [('isin(["E01", "E03"])', 'isin(["E01"])')]}),
        full_marks_except("strict_span_dates", "older_evidence_drivers"),
    ),
    # The older-evidence list read from the full count instead of the strict one.
    "older-evidence-from-full-count": (
        dict(patches={"older_evidence": [('long_term = strict_span[strict_span["horizon"]', 'long_term = evidence_span[evidence_span["horizon"]')]}),
        full_marks_except("older_evidence_drivers"),
    ),
}
MISTAKE = "values-as-short-term"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=HONEST[MISTAKE][0],
    mistake_fails="statement_horizons_long_term",
    first_answer="statement_horizons",
    last_answer="older_evidence",
    # A loader the hidden tests could have used; they import a fresh one instead.
    rebinding="driver_statements = lambda: statements.iloc[:0]\n\n",
)
GRADING = GradingCorpus(
    assignment=ASSIGNMENT,
    honest=HONEST,
    hostile=HOSTILE,
    mistake=MISTAKE,
    stuck=full_marks_except("older_evidence_drivers"),
    points=POINTS,
    total=TOTAL,
    written=WRITTEN,
    written_points=4,
    feedback_students=("case-sensitive-classifier",),
    feedback_secrets=(
        "BEGIN HIDDEN TESTS",
        "An IMMEDIATE worry",
        "COLD WAR",
        "expected_years",
        '"L1": ("long-term", "2022-05-10"',
    ),
)

globals().update(corpus_tests(GRADING))


# --- Test cells that objects lying about equality cannot fool ---------------------------------

LYING_ANSWERS = {
    "statement_horizons": 'statement_horizons = {f"ST{n:02d}": LyingStr("?") for n in range(1, 9)}\n',
    "classify_horizon": 'def classify_horizon(text):\n    return LyingStr("?")\n',
    "older_evidence": 'strict_span = pd.DataFrame({"horizon": ["long-term"], "earliest": [pd.Timestamp("2017-03-01")]},'
    ' index=["L4"])\nolder_evidence = [LyingStr("L4")]\n',
}
LYING_TARGETS = {
    "statement_horizons_short_term": "statement_horizons",
    "statement_horizons_long_term": "statement_horizons",
    "classify_horizon_signal_words": "classify_horizon",
    "classify_horizon_date_cues": "classify_horizon",
    "classify_horizon_signal_words_first": "classify_horizon",
    "classify_horizon_no_cue": "classify_horizon",
    "older_evidence_drivers": "older_evidence",
}


@pytest.mark.parametrize("grade_id", sorted(LYING_TARGETS))
def test_an_answer_that_equals_everything_fails_the_label_tests(grade_id):
    from test_ps1_grading import failures_with

    assert grade_id in failures_with(ASSIGNMENT, LYING_ANSWERS[LYING_TARGETS[grade_id]], [grade_id])
