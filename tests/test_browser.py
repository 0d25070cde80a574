"""A student's view, in a real browser: open lesson 01, run it, answer quizzes, read feedback and score.

Headless Debian chromium drives JupyterLab and Notebook 7 through Playwright (recipe in
tests/browser_tools.py). Screenshots go to test-artifacts/browser/. Without chromium or playwright
the tests skip, naming the install command; in CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import json
import shutil

import pytest

import browser_tools
from browser_tools import (
    ARTIFACTS,
    NotebookPage,
    chromium_browser,
    copy_lessons,
    jupyter_server,
    require_browser,
)

LESSON_01 = "01-the-argument"


# ---------------------------------------------------------------------------------------------
# Fixtures (reusable for other lessons)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the module."""
    require_browser()
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def lesson_server(tmp_path, request):
    """``jupyter lab`` serving a throw-away copy of lessons/, with quiz progress in a temporary file.

    The server's log is copied to test-artifacts/browser/<test name>-server.log afterwards.
    """
    require_browser()
    progress = tmp_path / "progress.json"
    root = copy_lessons(tmp_path / "lessons")
    with jupyter_server(root, tmp_path / "jupyter", env={"KOREA_NATO_PROGRESS": str(progress)}) as server:
        server.progress_path = progress
        try:
            yield server
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, ARTIFACTS / f"server-{_artifact_name(request)}.log")


def _artifact_name(request) -> str:
    return request.node.name.replace("[", "-").replace("]", "").replace("/", "-")


@pytest.fixture
def open_lesson(browser, lesson_server, request):
    """Open a lesson in ``ui`` ("lab" or "notebook"), run all its cells, return its NotebookPage.

    Screenshots are named ``<ui>-<lesson>-<what>.png``; one of the window is saved when the test
    ends, pass or fail.
    """
    pages = []

    def _open(name: str, ui: str) -> NotebookPage:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        notebook = NotebookPage(page, lesson_server, ui, artifact_prefix=f"{ui}-{name}")
        pages.append(notebook)
        notebook.open(f"{name}.ipynb")
        notebook.run_all_cells()
        notebook.score_panel().wait_for()
        notebook.wait_until_idle()
        return notebook

    yield _open
    for notebook in pages:
        notebook.screenshot("window-at-end")
        notebook.page.close()


# ---------------------------------------------------------------------------------------------
# Helpers that read like a student's actions
# ---------------------------------------------------------------------------------------------


def check(quiz, expected_headline: str) -> str:
    """Press the quiz's "Check answer" button; wait for the headline; return the feedback text."""
    quiz.get_by_role("button", name="Check answer").click()
    feedback = quiz.locator(".kn-feedback")
    feedback.get_by_text(expected_headline).wait_for()
    return " ".join(feedback.inner_text().split())


def panel_shows(notebook: NotebookPage, *phrases: str) -> str:
    """Wait until the score panel, as the student sees it, shows every phrase; return its words.

    The panel is scrolled into view first: JupyterLab does not paint cells far off screen.
    """
    from playwright.sync_api import expect  # imported here: without playwright the tests skip or fail

    panel = notebook.score_panel()
    panel.scroll_into_view_if_needed()
    for phrase in phrases:
        expect(panel).to_contain_text(phrase, use_inner_text=True)
    return " ".join(panel.inner_text().split())


# ---------------------------------------------------------------------------------------------
# Lesson 01, in JupyterLab and in Notebook 7
# ---------------------------------------------------------------------------------------------


def test_a_missing_browser_skips_locally_naming_the_install_command_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_tools, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-chromium"):
        require_browser()


@pytest.mark.slow
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_lesson_01_quizzes_give_feedback_and_update_the_score_panel(open_lesson, lesson_server, ui):
    notebook = open_lesson(LESSON_01, ui)
    assert notebook.page.locator(".kn-quiz.jupyter-widgets").count() == 7
    panel_shows(notebook, "Right on the first try: 0 of 7 questions. Attempts so far: 0.")

    # A single-choice question, answered wrongly, then rightly.
    thesis = notebook.quiz("thesis")
    thesis.get_by_label("South Korea is preparing to join NATO as a full member").check()
    shown = check(thesis, "Not quite.")
    assert shown.startswith("Not quite. This confuses partnership with membership.")
    assert "Explanation" not in shown
    notebook.screenshot("thesis-wrong", thesis)

    thesis.get_by_label("Seoul's turn toward NATO is deliberate and durable", exact=False).check()
    shown = check(thesis, "Correct.")
    assert shown.startswith("Correct. Yes: this is the thesis in our words.")
    assert "Explanation. In the author's words, the turn is" in shown
    notebook.screenshot("thesis-right", thesis)

    # Another single-choice question, answered rightly at the first try with the keyboard only:
    # Tab moves between options and on to the button, Space chooses, Enter presses.
    author = notebook.quiz("author")
    author.get_by_role("radio").first.focus()
    keys = notebook.page.keyboard
    keys.press("Tab")  # to the second option
    keys.press("Space")
    for _ in range(author.get_by_role("radio").count() - 1):
        keys.press("Tab")  # past the remaining options, on to "Check answer"
    assert notebook.page.evaluate("document.activeElement.textContent") == "Check answer"
    keys.press("Enter")
    author.locator(".kn-feedback").get_by_text("Correct.").wait_for()
    assert author.get_by_role("radio").nth(1).is_checked()

    text = panel_shows(
        notebook,
        "Right on the first try: 1 of 7 questions. Attempts so far: 3. To revisit (6):",
        "Question 4 (thesis): right in the end, after a wrong try.",
    )
    assert "Question 1 (author)" not in text

    # The classification question: every reason "long-term" (4 of 6 right), then corrected.
    horizons = notebook.quiz("horizons")
    for long_term in horizons.get_by_label("long-term", exact=True).all():
        long_term.check()
    shown = check(horizons, "Partly right: 4 of 6.")
    assert "4 of 6 items are sorted into the right category." in shown
    assert "“Russia's invasion of Ukraine”: Short-term:" in shown
    assert "“The Taiwan precedent”: Short-term:" in shown
    assert "“Shared values”" not in shown
    notebook.screenshot("horizons-partly-right", horizons)

    for reason in ("Russia's invasion of Ukraine", "The Taiwan precedent"):
        row = horizons.locator(".kn-classify-row", has_text=reason)
        row.get_by_label("short-term", exact=True).check()
    shown = check(horizons, "Correct.")
    assert "Explanation. The author sorts his reasons himself" in shown
    notebook.screenshot("horizons-right", horizons)

    panel_shows(
        notebook,
        "Right on the first try: 1 of 7 questions. Attempts so far: 5. To revisit (6):",
        "Question 6 (horizons): right in the end, after a wrong try.",
        "Question 2 (date): not answered yet.",
    )
    notebook.screenshot("score-panel", notebook.score_panel())

    # The kernel saved the progress where the server told it to.
    saved = json.loads(lesson_server.progress_path.read_text(encoding="utf-8"))["lessons"][LESSON_01]
    assert saved == {
        "author": {"attempts": 1, "solved": True, "first_try": True},
        "horizons": {"attempts": 2, "solved": True, "first_try": False},
        "thesis": {"attempts": 2, "solved": True, "first_try": False},
    }


# ---------------------------------------------------------------------------------------------
# Lessons 03 and 04 in JupyterLab: the classification quiz over the drivers, and the timeline
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_lesson_03_classification_quiz_marks_each_misplaced_driver(open_lesson):
    notebook = open_lesson("03-long-term-drivers", "lab")
    quiz = notebook.quiz("horizon-of-each-driver")
    quiz.scroll_into_view_if_needed()
    # A student who reads "long-term" into every reason but the invasion itself.
    for row in quiz.locator(".kn-classify-row").all():
        label = "short-term" if "(S1)" in row.inner_text() else "long-term"
        row.get_by_label(label, exact=True).check()
    shown = check(quiz, "Partly right: 5 of 6.")
    assert "The Taiwan worry sits inside the paragraph on the invasion" in shown
    assert "(L3)" not in shown, "feedback names only the misplaced item"
    notebook.screenshot("horizon-of-each-driver-partly-right", quiz)

    quiz.locator(".kn-classify-row", has_text="(S2)").get_by_label("short-term", exact=True).check()
    shown = check(quiz, "Correct.")
    assert "Explanation. S1 and S2 are short-term" in shown
    panel_shows(notebook, "Attempts so far: 2.", "(horizon-of-each-driver): right in the end, after a wrong try.")


@pytest.mark.slow
def test_lesson_04_renders_the_timeline_figure_with_its_text_description(open_lesson):
    notebook = open_lesson("04-events-in-time", "lab")
    figure = notebook.page.locator('img[alt^="Events the op-ed relies on, by driver."]')
    figure.scroll_into_view_if_needed()
    figure.wait_for(state="visible")
    width, height = figure.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 600 and height > 300, "the timeline PNG did not load"
    # The same description is shown in words under the figure, for every reader.
    caption = notebook.page.locator(".jp-RenderedMarkdown", has_text="Figure description.").filter(
        has_text="Timeline of 20 events"
    )
    assert caption.count() >= 1, "the timeline's text description is not shown under it"
    notebook.screenshot("timeline", figure)
