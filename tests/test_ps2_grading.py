"""Autograding ps2 in a throw-away course: every honest and hostile submission scores exactly as expected.

The corpus is built from the committed notebooks (see ``assignment_tools``): the solution, the
untouched release, a partial attempt, typical honest mistakes (each a small patch to the
instructor's answer), and the issue's ten hostile or broken submissions, each built on honest
work. All of it is autograded in one batch. Part D (4 points) is graded by hand, so the
autograded maximum is 16 of 20.
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
BASE = {"solution": "solution", "mistake": MISTAKE}
EXPECTED = {student: cells for student, (_, cells) in HONEST.items()}
EXPECTED |= {
    "infinite-loop": full_marks_except("youngest_long_term_evidence"),
    "swallowed-interrupt": full_marks_except("youngest_long_term_evidence"),
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
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "case-sensitive-classifier")
    (page,) = (course / "feedback" / "case-sensitive-classifier" / ASSIGNMENT).glob("*.html")
    html = page.read_text(encoding="utf-8").replace("&quot;", '"').replace("&#39;", "'")
    total = sum(EXPECTED["case-sensitive-classifier"].values())
    assert f"{total:.1f} / {TOTAL}" in html or f"{total} / {TOTAL}" in html
    for secret in ["BEGIN HIDDEN TESTS", "An IMMEDIATE worry", "COLD WAR", "_fresh_driver_statements", "expected_years"]:
        assert secret not in html, f"the feedback shows {secret!r}"
