"""Hand grading: the mark scheme beside the answer in the formgrader, and no provisional grade
released by accident.

One small ps1 class is graded once for the module (``course_tools.graded_class``): ``solution``,
whose written answer a grader has scored; ``unsorted-table`` and ``year-as-day``, whose written
answers still wait; a broken notebook; a student who submitted nothing. The browser test grades
``year-as-day`` in the real formgrader; every other test is about ``unsorted-table``.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from assignment_tools import REPO, nbgrader, page_text
from browser_tools import (
    ARTIFACTS as SHOTS,
)
from browser_tools import (
    PAGE_TIMEOUT_MS,
    chromium_browser,
    jupyter_server,
    require_browser,
)
from course_tools import ASSIGNMENT, PART_D, graded_class
from korea_nato.grading import markscheme, provisional

WRITTEN = PART_D[0]
HAND_GRADED, WAITING, GRADED_IN_BROWSER = "solution", "unsorted-table", "year-as-day"
SUBMITTED = [HAND_GRADED, WAITING, GRADED_IN_BROWSER]
BROKEN, ABSENT = "fake-broken-notebook", "fake-never-submitted"
SOURCE_NOTEBOOK = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
#: The heading of the mark scheme the formgrader shows: it must never reach a student's page.
MARK_SCHEME_HEADING = f"Mark scheme for {WRITTEN} (graders only"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = graded_class(tmp_path_factory.mktemp("hand"), SUBMITTED, BROKEN, ABSENT, HAND_GRADED)
    for student in SUBMITTED:  # what `nbgrader collect` leaves beside each submission
        (course / "autograded" / student / ASSIGNMENT / "submission_secret.txt").write_text(student)
    return course


def db(course) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def feedback_page(course, student):
    return course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"


def release(course, *args):
    (course.parent / "exchange").mkdir(exist_ok=True)
    return nbgrader(course, "release_feedback", ASSIGNMENT, f"--Exchange.root={course.parent / 'exchange'}",
                    *args, check=False)


# ---------------------------------------------------------------------------------------------
# The mark scheme, without a server
# ---------------------------------------------------------------------------------------------


def formgrader_resources():
    return {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "student": "s"}


def inserted(notebook):
    return [c for c in notebook.cells if markscheme.MARK_SCHEME_TAG in c.metadata.get("tags", [])]


def run_show_mark_scheme(course_root, resources):
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course_root)
    notebook = nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    notebook, _ = markscheme.ShowMarkScheme(config=config).preprocess(notebook, resources)
    return notebook


def test_the_formgrader_page_shows_the_written_answers_source_text_right_below_it():
    notebook = run_show_mark_scheme(REPO, formgrader_resources())
    (scheme,) = inserted(notebook)
    answer = notebook.cells[notebook.cells.index(scheme) - 1]
    assert answer.metadata["nbgrader"]["grade_id"] == WRITTEN
    source_text = markscheme.mark_schemes(SOURCE_NOTEBOOK)[WRITTEN]
    assert "Mark scheme (4 points" in source_text
    quoted = "\n".join(line.removeprefix("> ").removeprefix(">") for line in scheme.source.splitlines()[2:])
    assert quoted == source_text


def test_every_other_export_of_the_notebook_is_left_without_a_mark_scheme():
    feedback = {"nbgrader": {"assignment": ASSIGNMENT, "notebook": ASSIGNMENT, "student": "s"}}
    for resources in ({}, feedback, {**formgrader_resources(), **feedback}):
        assert inserted(run_show_mark_scheme(REPO, resources)) == []


def test_a_missing_source_notebook_is_said_on_the_page_instead_of_a_mark_scheme(tmp_path):
    (note,) = inserted(run_show_mark_scheme(tmp_path, formgrader_resources()))
    assert f"No mark scheme for `{WRITTEN}`" in note.source
    assert f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb is missing" in note.source


def test_every_hand_graded_answer_has_criteria_with_points_a_model_answer_and_common_errors():
    for notebook in sorted((REPO / "source").glob("*/*.ipynb")):
        schemes = markscheme.mark_schemes(notebook)
        assert schemes, f"{notebook.name} has no hand-graded cell"
        for grade_id, text in schemes.items():
            where = f"{notebook.name}: {grade_id}"
            assert "**Model answer.**" in text, f"{where} has no model answer"
            assert "**Mark scheme (" in text and "1 point:" in text, f"{where} has no criteria with points"
            assert "Common errors" in text, f"{where} names no common errors"


# ---------------------------------------------------------------------------------------------
# Feedback: refused while an answer waits, provisional only on purpose
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_feedback_is_refused_for_a_student_whose_written_answer_waits_naming_student_and_cell(course):
    result = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force", check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 1, log
    assert (
        f"not generating feedback for {WAITING}: {ASSIGNMENT}/{ASSIGNMENT} still waits for a grader ({WRITTEN})"
        in log
    )
    assert "--ProvisionalGrades.allow=True" in log
    assert not feedback_page(course, WAITING).exists()
    assert feedback_page(course, HAND_GRADED).exists()  # the graded student still gets feedback
    with Gradebook(db(course)) as gradebook:  # and nothing in the gradebook changed
        assert gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, WAITING).needs_manual_grade


@pytest.mark.slow
def test_provisional_feedback_is_generated_on_purpose_and_says_so(course):
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", WAITING, "--force",
             "--ProvisionalGrades.allow=True")
    page = feedback_page(course, WAITING)
    text = page_text(page)
    assert "Provisional feedback. A grader has not read your answer to youngest_long_term_driver yet" in text
    assert f"Provisional: {WRITTEN} has not been graded yet" in text
    assert provisional.PROVISIONAL_MARKER in page.read_text(encoding="utf-8")
    for student in (WAITING, HAND_GRADED):
        assert MARK_SCHEME_HEADING not in page_text(feedback_page(course, student))
    assert "Provisional" not in page_text(feedback_page(course, HAND_GRADED))


@pytest.mark.slow
def test_release_refuses_while_an_answer_waits_and_releases_provisional_feedback_only_with_the_flag(course):
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", WAITING, "--force",
             "--ProvisionalGrades.allow=True")
    outbox = course.parent / "exchange" / "korea-nato" / "feedback"
    refused = release(course)
    assert refused.returncode == 1
    assert (
        f"these students' answers still wait for a grader: {WAITING} ({ASSIGNMENT}: {WRITTEN})"
        in refused.stdout + refused.stderr
    )
    assert not list(outbox.glob("*.html"))  # nothing was released, not even the graded student's
    released = release(course, "--ProvisionalGrades.allow=True")
    assert released.returncode == 0, released.stdout + released.stderr
    pages = {page_text(p).count("Provisional feedback.") for p in outbox.glob("*.html")}
    assert pages == {0, 1}  # the graded student's final page and the waiting student's provisional one


@pytest.mark.slow
def test_release_refuses_a_provisional_page_once_its_answer_is_graded_until_it_is_regenerated(tmp_path, course):
    copy = tmp_path / "course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("feedback"))
    nbgrader(copy, "generate_feedback", ASSIGNMENT, "--student", WAITING, "--ProvisionalGrades.allow=True")
    with Gradebook(db(copy)) as gradebook:
        grade = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, WAITING)
        grade.manual_score, grade.needs_manual_grade = 2, False
        gradebook.db.commit()
    stale = release(copy)
    assert stale.returncode == 1
    assert f"the pages of {WAITING} were generated as provisional and are now out of date" in stale.stdout + stale.stderr
    nbgrader(copy, "generate_feedback", ASSIGNMENT, "--student", WAITING, "--force")
    assert "Provisional" not in page_text(feedback_page(copy, WAITING))
    assert release(copy).returncode == 0


# ---------------------------------------------------------------------------------------------
# The formgrader in a real browser
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_grader_sees_the_mark_scheme_beside_the_answer_enters_points_and_a_comment_and_they_stay(
    tmp_path, course
):
    require_browser()
    with Gradebook(db(course)) as gradebook:
        submission_id = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, GRADED_IN_BROWSER).id
    comment = "Names L3 and its span; the contrast with L4 is missing."
    with jupyter_server(course, tmp_path / "jupyter") as server, chromium_browser() as browser:
        # The token in the page's URL does not reach the formgrader's own API calls: send it as a header.
        page = browser.new_page(viewport={"width": 1280, "height": 1000},
                                extra_http_headers={"Authorization": f"token {server.token}"})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(server.url(f"/formgrader/submissions/{submission_id}/"))
        answer = page.locator(".nbgrader_cell", has=page.locator(f"input#{WRITTEN}"))
        scheme = page.locator(f".text_cell_render:has-text('Mark scheme for {WRITTEN}')")
        scheme.wait_for()
        assert "graders only" in scheme.inner_text()
        assert "1 point: names values (L3) as the long-term driver with the youngest evidence." in (
            " ".join(scheme.inner_text().split())
        )
        below = answer.bounding_box()["y"] + answer.bounding_box()["height"]
        assert 0 <= scheme.bounding_box()["y"] - below < 120  # right below the answer and its boxes
        for selector, value, api in ((f"input#{WRITTEN}", "3", "/formgrader/api/grade/"),
                                     (f"textarea#{WRITTEN}-comment", comment, "/formgrader/api/comment/")):
            with page.expect_response(lambda r, api=api: api in r.url and r.request.method == "PUT") as saved:
                page.fill(selector, value)
                page.locator(selector).press("Tab")  # the formgrader saves when the field loses focus
            assert saved.value.ok
        SHOTS.mkdir(parents=True, exist_ok=True)
        answer.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "formgrader-mark-scheme.png"), full_page=False)
        page.reload()
        page.locator(f"input#{WRITTEN}").wait_for()
        page.wait_for_function(f"document.getElementById('{WRITTEN}').value === '3'")
        assert page.input_value(f"textarea#{WRITTEN}-comment") == comment
    with Gradebook(db(course)) as gradebook:
        grade = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, GRADED_IN_BROWSER)
        assert (grade.manual_score, grade.needs_manual_grade) == (3, False)
        assert gradebook.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, GRADED_IN_BROWSER).manual_comment == comment


# ---------------------------------------------------------------------------------------------
# The guide's re-grading commands (docs/instructor-guide.md, section 3)
# ---------------------------------------------------------------------------------------------


def hand_grade(course, student):
    with Gradebook(db(course)) as gradebook:
        grade = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, student)
        return grade.manual_score, grade.needs_manual_grade


@pytest.mark.slow
def test_regrading_one_student_with_student_leaves_the_others_hand_grades_alone(tmp_path, course):
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    assert hand_grade(copy, HAND_GRADED) == (4, False)
    nbgrader(copy, "autograde", ASSIGNMENT, "--student", WAITING, "--force")
    assert hand_grade(copy, HAND_GRADED) == (4, False)  # not flagged again
    # Re-grading the hand-graded student keeps the grader's score but flags it for a second look;
    # the formgrader's "Resolve" button clears the flag (the browser test's page has it).
    nbgrader(copy, "autograde", ASSIGNMENT, "--student", HAND_GRADED, "--force")
    assert hand_grade(copy, HAND_GRADED) == (4, True)
