"""The late policy: a penalty per started day late, capped, applied by nbgrader's plugin mechanism.

A ps1 course gets a due date in the gradebook (``nbgrader db assignment add --duedate``) and a
policy of its own in its config; three submissions are collected on time, two days late and ten
days late (``timestamp.txt``). The penalty must be exactly the configured one in the gradebook,
in the grade report and in the LMS export.
"""

from __future__ import annotations

import csv

import pytest

from assignment_tools import REPO, nbgrader
from course_tools import ASSIGNMENT, expected_cells, make_course_with_config, run_module, submit_corpus
from korea_nato.grading import gradebook, late

DUE = "2026-10-30 12:00:00 UTC"
ARRIVED = {  # student -> timestamp.txt
    "part-a-only": "2026-10-30 11:59:00.000000 UTC",  # on time
    "solution": "2026-11-01 12:00:00.000000 UTC",  # exactly two days late
    "year-as-day": "2026-11-09 11:00:00.000000 UTC",  # ten started days late: capped
}
PER_DAY, CAP, POINTS = 0.15, 0.4, 22
POLICY = (
    'c.AssignLatePenalties.plugin_class = "korea_nato.grading.late.PerDayLatePenalty"\n'
    f"c.PerDayLatePenalty.penalty_per_day = {PER_DAY}\n"
    f"c.PerDayLatePenalty.max_penalty = {CAP}\n"
    "c.PerDayLatePenalty.grace_minutes = 0\n"
)
DAYS = {"part-a-only": 0, "solution": 2, "year-as-day": 10}


def autograded(student) -> float:
    return float(sum(expected_cells(student).values()))


def expected_penalty(student) -> float:
    share = min(DAYS[student] * PER_DAY, CAP)
    return round(min(share * POINTS, autograded(student)), 6)  # nbgrader never takes more than the score


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course_with_config(tmp_path_factory.mktemp("late"), POLICY)
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE}")
    submit_corpus(course, list(ARRIVED))
    for student, stamp in ARRIVED.items():
        (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(stamp)
    graded = run_module("korea_nato.grading", ASSIGNMENT, "--workers", "2", cwd=course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    result = run_module(
        "korea_nato.cli", "report", "--out", "out", "--lms", "canvas", "--provisional", cwd=course
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return course


def test_the_penalties_of_the_corpus_are_distinct_so_the_test_can_fail():
    assert len({expected_penalty(s) for s in ARRIVED}) == 3
    assert expected_penalty("solution") == round(2 * PER_DAY * POINTS, 6)


@pytest.mark.slow
@pytest.mark.parametrize("student", list(ARRIVED))
def test_the_gradebook_holds_exactly_the_configured_penalty(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        submission = book.find_submission(ASSIGNMENT, student)
        assert late.days_late(submission.total_seconds_late) == DAYS[student]
        assert round(submission.late_submission_penalty or 0.0, 6) == expected_penalty(student)
        assert submission.score == autograded(student)  # the raw score is left as it was


@pytest.mark.slow
def test_the_report_shows_days_late_penalty_and_the_score_after_it(course):
    with (course / "out" / "grades.csv").open(newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    for student in ARRIVED:
        row = rows[student]
        assert float(row["days_late"]) == DAYS[student], student
        assert round(float(row["late_penalty"]), 6) == expected_penalty(student), student
        assert float(row["raw_score"]) == autograded(student), student
        assert round(float(row["score"]), 6) == round(autograded(student) - expected_penalty(student), 6)


@pytest.mark.slow
def test_the_lms_export_has_the_score_after_the_penalty(course):
    with (course / "out" / "canvas_grades-provisional.csv").open(newline="") as handle:
        rows = {r[0]: r[5] for r in csv.reader(handle)}
    for student in ARRIVED:
        assert round(float(rows[student]), 6) == round(autograded(student) - expected_penalty(student), 6)


# --- Units -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, grace, days",
    [(0, 0, 0), (1, 0, 1), (86400, 0, 1), (86401, 0, 2), (600, 15, 0), (901, 15, 1), (2 * 86400, 15, 2)],
)
def test_days_late_are_started_days_after_the_grace_period(seconds, grace, days):
    assert late.days_late(seconds, grace) == days


def test_the_penalty_grows_per_day_and_stops_at_the_cap():
    assert [late.penalty_fraction(d, 0.1, 0.5) for d in (0, 1, 4, 5, 9)] == [0, 0.1, 0.4, 0.5, 0.5]


def test_a_share_outside_0_to_1_is_refused():
    from traitlets import TraitError

    with pytest.raises(TraitError, match="penalty_per_day must be a share between 0 and 1, got 10"):
        late.PerDayLatePenalty(penalty_per_day=10)


def test_the_course_config_sets_a_capped_per_day_policy_and_says_it():
    config = gradebook.course_config(REPO)
    assert config.AssignLatePenalties.plugin_class == "korea_nato.grading.late.PerDayLatePenalty"
    assert late.policy_text(config) == (
        "late policy: 10 % of the points per started day late, at most 50 %, after 15 minutes' grace"
    )
    assert "nbgrader.preprocessors.AssignLatePenalties" in config.Autograde.autograde_preprocessors


def test_the_penalty_is_taken_from_the_score_and_rows_without_a_score_stay_empty(monkeypatch):
    import pandas as pd

    grades = pd.DataFrame(
        [
            {"student_id": "a", "assignment": "ps1", "status": "graded", "score": 18.0, "max_score": 22.0},
            {"student_id": "b", "assignment": "ps1", "status": "missing", "score": None, "max_score": 22.0},
            {"student_id": "c", "assignment": "ps1", "status": "graded", "score": 1.0, "max_score": 22.0},
        ]
    )
    found = {
        ("a", "ps1"): {"days_late": 2, "late_penalty": 4.4, "raw_score": 18.0},
        ("c", "ps1"): {"days_late": 0, "late_penalty": 0.0, "raw_score": 1.0},
    }
    monkeypatch.setattr(late, "lateness", lambda db_url: found)
    rows = late.with_lateness(grades, "sqlite:///unused").set_index("student_id")
    assert round(rows.loc["a", "score"], 6) == 13.6 and rows.loc["a", "raw_score"] == 18.0
    assert rows.loc["a", "days_late"] == 2 and rows.loc["a", "late_penalty"] == 4.4
    assert rows.loc["b", ["score", "days_late", "late_penalty"]].isna().all()
    assert rows.loc["c", "score"] == 1.0 and rows.loc["c", "late_penalty"] == 0.0
