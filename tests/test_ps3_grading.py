"""Autograding ps3 in a throw-away course: every honest and hostile submission scores exactly as expected.

The corpus is built from the committed notebooks (see ``assignment_tools``): the solution, the
untouched release, a partial attempt, typical honest mistakes, honest work in other styles, a
submission for each coding ARTICLE section 5 accepts besides ours, inconsistent codings of the
crisis rows, and the issue's ten hostile or broken submissions, each built on honest work. All of
it is autograded in one batch. Part D (6 points: the coding reasons and the memo) is graded by
hand, so the autograded maximum is 15 of 21.

The ``graded`` fixture and the tests every problem set shares come from ``corpus_grading``;
this module keeps what is particular to ps3: its corpus and the score of every test cell.
"""

from __future__ import annotations

import pytest

from assignment_tools import REPO, hostile_submissions, solution_code
from corpus_grading import GradingCorpus, corpus_tests

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps3_forecast"
TOTAL = 21
PART_A = ["later_table_columns_and_dtypes", "later_table_dates", "later_table_periods"]
PART_B = [
    "coding_form",
    "coding_clear_rows",
    "coding_listed_alternatives",
    "coding_yoon_crisis_verdicts",
    "coding_yoon_crisis_consistent",
    "coding_other_rows",
]
PART_C = ["driver_scorecard_counts", "period_scorecard_counts", "period_figure_bars"]
POINTS = dict(zip(PART_A + PART_B + PART_C, [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2], strict=True))
WRITTEN = "forecast_memo"
CRISIS = ["X13", "X15", "X16"]


def full_marks_except(*failed):
    return {cell: (0 if cell in failed else points) for cell, points in POINTS.items()}


def row(event_id: str) -> str:
    """The model answer's line for one event, as it stands in the solution's list of rows."""
    (line,) = [line for line in solution_code(ASSIGNMENT, "coding").splitlines() if line.strip().startswith(f'("{event_id}"')]
    return line


def recoded(*codings) -> dict:
    """Patches that code rows another way: ``(event_id, driver, verdict)`` each."""
    patches = []
    for event_id, driver, verdict in codings:
        indent = row(event_id)[: len(row(event_id)) - len(row(event_id).lstrip())]
        patches.append((row(event_id), f'{indent}("{event_id}", {driver!r}, "{verdict}"),'))
    return {"patches": {"coding": patches}}


def rewritten(**answers):
    """Patches that replace whole answer cells (grade id -> new code) with a student's own version."""
    return {grade_id: [(solution_code(ASSIGNMENT, grade_id), code)] for grade_id, code in answers.items()}


# An honest student in another style who keeps a global ``periods`` (the name a hidden test used to
# rebind, which cost a correct notebook 4 points), codes with a dict and categorical columns, and
# counts with ``groupby``/``unstack`` and ``np.where``.
OWN_STYLE = rewritten(
    later_table='''import numpy as np

periods = ["Yoon", "Lee"]
later = notes.copy()
later["date"] = later["date_text"].apply(lambda text: pd.to_datetime(text, format="mixed"))
start_of_lee = later["date"][later["event_id"] == "X17"].iloc[0]
later["period"] = pd.Series(np.where(later["date"] < start_of_lee, periods[0], periods[1]), index=later.index, dtype="str")
later = later.sort_values("date").reset_index(drop=True)[["event_id", "date", "period", "actor", "target", "description"]]
later
''',
    coding='''codes = {
    "X01": ("T", "supports"), "X02": ("S1", "complicates"), "X03": ("S1", "complicates"),
    "X04": ("T", "supports"), "X05": ("L3", "supports"), "X06": ("L2", "supports"),
    "X07": ("T", "supports"), "X08": ("L2", "supports"), "X09": ("L2", "supports"),
    "X10": ("L4", "supports"), "X11": ("L1", "supports"), "X12": ("L4", "supports"),
    "X13": ("L3", "complicates"), "X14": ("T", "supports"), "X15": ("L3", "complicates"),
    "X16": ("L3", "complicates"), "X17": (None, "complicates"), "X18": ("L1", "weakens"),
    "X19": ("L2", "supports"), "X20": ("L2", "supports"), "X21": ("L2", "complicates"),
    "X22": ("T", "supports"),
}
coding = pd.DataFrame(
    [(event_id, driver, verdict) for event_id, (driver, verdict) in codes.items()],
    columns=["event_id", "driver", "verdict"],
).astype({"driver": "category", "verdict": "category"})
coding
''',
    driver_scorecard='''VERDICTS = ["supports", "complicates", "weakens"]


def driver_scorecard(coding):
    """Count each driver's verdicts: one row per driver code, one column per verdict."""
    rows = coding.dropna(subset=["driver"]).astype({"driver": str, "verdict": str})
    counts = rows.groupby(["driver", "verdict"]).size().unstack(fill_value=0)
    return counts.reindex(columns=VERDICTS, fill_value=0).sort_index()


by_driver = driver_scorecard(coding)
by_driver
''',
    period_scorecard='''def period_scorecard(coding, later):
    """Count the verdicts of the Yoon years and of the Lee years: one row per period, one column per verdict."""
    period_of = dict(zip(later["event_id"], later["period"]))
    counts = {period: dict.fromkeys(VERDICTS, 0) for period in periods}
    for event_id, verdict in zip(coding["event_id"], coding["verdict"]):
        counts[period_of[event_id]][str(verdict)] += 1
    return pd.DataFrame.from_dict(counts, orient="index")[VERDICTS]


by_period = period_scorecard(coding, later)
by_period
''',
)

# student id -> (how the submission is made, the autograded score of every test cell)
HONEST = {
    "solution": (dict(), full_marks_except()),
    "untouched-release": (dict(answered=[]), full_marks_except(*POINTS)),
    "part-a-only": (dict(answered=["later_table"]), full_marks_except(*PART_B, *PART_C)),
    "own-style": (dict(patches=OWN_STYLE), full_marks_except()),
    # Lee's first day counted in the Yoon years.
    "lee-from-the-day-after": (
        dict(patches={"later_table": [('(dated["date"] >= lee_took_office)', '(dated["date"] > lee_took_office)')]}),
        full_marks_except("later_table_periods"),
    ),
    # Each coding ARTICLE section 5 accepts besides ours scores full marks.
    "stoltenberg-weakens": (recoded(("X02", "S1", "weakens")), full_marks_except()),
    "stoltenberg-about-the-tie": (recoded(("X02", "T", "complicates")), full_marks_except()),
    "vilnius-as-summit-attendance": (recoded(("X04", "L1", "supports")), full_marks_except()),
    "kyiv-about-the-war": (recoded(("X05", "S1", "supports")), full_marks_except()),
    "kyiv-aid-stays-non-lethal": (recoded(("X05", "S1", "complicates")), full_marks_except()),
    "the-hague-complicates": (recoded(("X18", "L1", "complicates")), full_marks_except()),
    "saab-weakens": (recoded(("X21", "L2", "weakens")), full_marks_except()),
    "crisis-complicates": (recoded(*[(event_id, "L3", "complicates") for event_id in CRISIS]), full_marks_except()),
    # The fact sheet's own table: martial law and removal weaken, the impeachment complicates.
    # Each row is accepted, but the three are not coded alike: exactly the consistency point is lost.
    "impeachment-alone-complicates": (
        recoded(("X15", "L3", "complicates")),
        full_marks_except("coding_yoon_crisis_consistent"),
    ),
    "martial-law-alone-complicates": (
        recoded(("X13", "L3", "complicates")),
        full_marks_except("coding_yoon_crisis_consistent"),
    ),
    # The impeachment and removal read as the system working, "supports": not a reading the grader
    # accepts for the crisis rows, and no longer alike with martial law.
    "crisis-institutions-support": (
        recoded(("X15", "L3", "supports"), ("X16", "L3", "supports")),
        full_marks_except("coding_yoon_crisis_verdicts", "coding_yoon_crisis_consistent"),
    ),
    # Another coding of a row the grader checks one way: the point waits for a person to read the reason.
    "lee-rutte-call-as-industry": (recoded(("X22", "L2", "supports")), full_marks_except("coding_other_rows")),
    # A clear row coded another way.
    "treaty-as-short-term": (recoded(("X10", "S1", "supports")), full_marks_except("coding_clear_rows")),
    # Periods left in crosstab's alphabetical order (Lee before Yoon); the figure still shows the right bars.
    "periods-in-alphabetical-order": (
        dict(patches={"period_scorecard": [('reindex(index=["Yoon", "Lee"], columns=VERDICTS', "reindex(columns=VERDICTS")]}),
        full_marks_except("period_scorecard_counts"),
    ),
}
MISTAKE = "impeachment-alone-complicates"
HOSTILE = hostile_submissions(
    ASSIGNMENT,
    mistake=HONEST[MISTAKE][0],
    mistake_fails="coding_yoon_crisis_consistent",
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
    written_points=6,
    feedback_students=("impeachment-alone-complicates", "lee-rutte-call-as-industry"),
    feedback_secrets=(
        "BEGIN HIDDEN TESTS",
        "_t_accepted",
        "_t_key",
        "_t_reference",
        '"X04": ("T", "supports", "L1", "supports")',
    ),
)

globals().update(corpus_tests(GRADING))


# --- Quiz 06 and ps3 agree on every verdict --------------------------------------------------


def _accepted_verdicts() -> dict:
    """Each later event's verdicts that ps3's hidden tests accept, read from the source notebook."""
    import ast

    from assignment_tools import HIDDEN_MARKERS, SOURCE, notebook_path, read, region

    accepted = {}
    for cell in read(notebook_path(SOURCE, ASSIGNMENT)).cells:
        for node in ast.walk(ast.parse("\n".join(region(cell.source, HIDDEN_MARKERS)))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    values = [e.value for e in getattr(value, "elts", []) if isinstance(e, ast.Constant)]
                    verdicts = {v for v in values if v in ("supports", "weakens", "complicates")}
                    if isinstance(key, ast.Constant) and str(key.value).startswith("X") and verdicts:
                        accepted.setdefault(key.value, set()).update(verdicts)
    for event_id in CRISIS:
        accepted[event_id] = {"weakens", "complicates"}
    return accepted


def test_quiz_06_keys_only_verdicts_ps3_accepts_and_names_the_other_accepted_ones():
    import json
    import re

    import pandas as pd

    from korea_nato.data import later_events

    accepted = _accepted_verdicts()
    assert len(accepted) == 22, sorted(accepted)
    notes = later_events()
    by_date = dict(zip(pd.to_datetime(notes["date_text"], format="mixed"), notes["event_id"], strict=True))
    bank = json.loads((REPO / "src/korea_nato/quizzes/06-did-it-hold.json").read_text(encoding="utf-8"))
    (question,) = [q for q in bank["questions"] if q["id"] == "verdicts"]
    for item in question["items"]:
        event_id = by_date[pd.Timestamp(re.search(r"\(([^)]+)\)\s*$", item["text"]).group(1))]
        assert item["category"] in accepted[event_id], (event_id, item["category"], accepted[event_id])
        for other in accepted[event_id] - {item["category"]}:
            assert f"'{other}'" in item["feedback"].lower(), f"{event_id}: the feedback should say ps3 also accepts '{other}'"


# --- Test cells that objects lying about equality cannot fool ---------------------------------

LYING_CODING = """
from korea_nato.data import later_events as _later_events

later = _later_events().assign(date=lambda t: pd.to_datetime(t["date_text"], format="mixed"))
later["period"] = pd.Series([LyingStr("Yoon")] * len(later), dtype=object)
later = later[["event_id", "date", "period", "actor", "target", "description"]]
coding = pd.DataFrame(
    {"event_id": later["event_id"].tolist(), "driver": [LyingStr("L3")] * 22, "verdict": [LyingStr("weakens")] * 22},
    dtype=object,
)
"""


@pytest.mark.parametrize("grade_id", ["later_table_periods", *PART_B])
def test_labels_that_equal_everything_fail_the_period_and_coding_tests(grade_id):
    from test_ps1_grading import failures_with

    assert grade_id in failures_with(ASSIGNMENT, LYING_CODING, [grade_id])
