"""The report's figures for a hand-checked class of six, worked out by hand (no nbgrader run).

The class, ps1 (22 points), two questions: ``q1`` (a test cell, 2 points) and ``written``
(a written answer, 4 points, graded by hand):

========  =====================  =====  ==========================  ==============================
student   status                 score  q1                          written
========  =====================  =====  ==========================  ==============================
ana       graded                 22     2 (attempted)               4
ben       graded                 15     0, answer left as released  4
cho       needs manual grading   11     2                           not graded yet
dan       needs manual grading   16.5   1                           not graded yet
fay       not attempted          0      0, left as released         0, left as released
gus       missing                -      -                           -
========  =====================  =====  ==========================  ==============================

By hand:

- The score chart shows the four attempted submissions: 100 %, 15/22 = 68.18 %, 11/22 = 50 %,
  16.5/22 = 75 %. Sorted 50, 68.18, 75, 100: an even count, so the median is the mean of the two
  middle values, (68.18 + 75) / 2 = 71.59 % (the upper-middle value, 75 %, is wrong).
- Of the four, two are fully graded and two still have a written answer to grade; fay's untouched
  notebook is "not attempted" and gus "missing", neither drawn.
- Mean score of the attempted: (22 + 15 + 11 + 16.5) / 4 = 16.125, shown "16.1".
- q1: scored ana, cho, dan (3), full marks ana, cho (2): 2/3 = 0.667; not attempted ben, fay (2).
- written: scored ana, ben (2), both full: 1.0; cho and dan not graded yet, fay not attempted (1).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from korea_nato.grading import report

ASSIGNMENT = "ps1_event_table"
STUDENTS = [
    ("ana", report.GRADED, 22.0, (2.0, True), (4.0, True)),
    ("ben", report.GRADED, 15.0, (0.0, False), (4.0, True)),
    ("cho", report.NEEDS_MANUAL, 11.0, (2.0, True), (None, True)),
    ("dan", report.NEEDS_MANUAL, 16.5, (1.0, True), (None, True)),
    ("fay", report.NOT_ATTEMPTED, 0.0, (0.0, False), (0.0, False)),
    ("gus", report.MISSING, None, None, None),
]


@pytest.fixture
def hand_checked():
    grades, questions = [], []
    for student, status, score, q1, written in STUDENTS:
        grades.append(
            {
                "student_id": student, "assignment": ASSIGNMENT, "status": status, "score": score,
                "max_score": 22.0, "reason": "", "what_to_do": "",
            }
        )
        for name, points, answer in (("q1", 2.0, q1), ("written", 4.0, written)):
            if answer is None:
                continue
            questions.append(
                {
                    "assignment": ASSIGNMENT, "notebook": ASSIGNMENT, "question": name, "part": "Part A",
                    "max_score": points, "student_id": student, "score": answer[0], "status": status,
                    "attempted": answer[1],
                }
            )
    return report.Report(grades=pd.DataFrame(grades), questions=pd.DataFrame(questions))


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values(hand_checked):
    figures = report.score_figures(hand_checked.grades, ASSIGNMENT)
    assert sorted(round(p, 2) for p in figures.percent) == [50.0, 68.18, 75.0, 100.0]
    assert math.isclose(figures.median, (100 * 15 / 22 + 75) / 2)
    assert f"{figures.median:.1f}" == "71.6"


def test_the_chart_title_counts_graded_ungraded_and_left_out_submissions(hand_checked):
    figures = report.score_figures(hand_checked.grades, ASSIGNMENT)
    assert (figures.graded, figures.needs_grading, figures.not_attempted, figures.missing_or_failed) == (2, 2, 1, 1)
    assert figures.title == (
        "scores of 4 submissions (2 fully graded, 2 with written answers still to grade, counted 0 for now); "
        "not shown: 1 not attempted, 1 missing or failed"
    )


def test_a_fully_graded_class_is_titled_graded():
    grades = pd.DataFrame(
        [{"student_id": "ana", "assignment": ASSIGNMENT, "status": report.GRADED, "score": 11.0, "max_score": 22.0}]
    )
    assert report.score_figures(grades, ASSIGNMENT).title == "scores of 1 graded submission"


def test_difficulty_keeps_not_attempted_apart_from_wrong(hand_checked):
    table = report.difficulty(hand_checked).set_index("question")
    got = {
        q: (int(r.students_scored), int(r.full_marks), int(r.not_attempted), float(r.share_full_marks))
        for q, r in table.iterrows()
    }
    assert got == {"q1": (3, 2, 2, 0.667), "written": (2, 2, 1, 1.0)}
    labels = [report.difficulty_label(r) for r in report.difficulty(hand_checked).itertuples()]
    assert labels == ["67% (2 of 3); 2 not attempted", "100% (2 of 2); 1 not attempted"]


def test_a_question_nobody_attempted_says_so_rather_than_zero():
    questions = pd.DataFrame(
        [{
            "assignment": ASSIGNMENT, "notebook": ASSIGNMENT, "question": "q1", "part": "Part A", "max_score": 2.0,
            "student_id": "fay", "score": 0.0, "status": report.NOT_ATTEMPTED, "attempted": False,
        }]
    )
    (row,) = report.difficulty(report.Report(grades=pd.DataFrame(), questions=questions)).itertuples()
    assert report.difficulty_label(row) == "nobody attempted it (1 not attempted)"


def test_the_summary_line_has_the_true_counts_mean_and_median(hand_checked):
    first = report.summary(hand_checked).splitlines()[0]
    assert first.startswith(
        f"{ASSIGNMENT}: 2 graded, 2 needs manual grading, 1 not attempted, 1 missing; mean 16.1 / 22, median 71.6%"
    )


def test_the_charts_are_drawn_from_these_figures(hand_checked, tmp_path):
    files = report.write_report(hand_checked, tmp_path)
    rows = pd.read_csv(files["difficulty.csv"])
    assert rows["not_attempted"].tolist() == [2, 1]
    assert files["score_histogram.png"].stat().st_size > 0
