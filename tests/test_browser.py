"""A student's view, in a real browser: open lesson 01, run it, answer quizzes, read feedback and score.

Headless Debian chromium drives JupyterLab and Notebook 7 through Playwright (recipe in
tests/browser_tools.py). Screenshots go to test-artifacts/browser/. Without chromium or playwright
the tests skip, naming the install command; in CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
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
from korea_nato.quiz import fixed_warm_up, load_bank

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
    # The live widgets stand in for the page copies, which hide themselves.
    assert notebook.page.locator(".kn-quiz[data-kn-payload]:visible").count() == 0
    panel_shows(notebook, "Solved: 0 of 7 questions, 0 of them on the first try. Still open: 7.")

    # A single-choice question, answered wrongly, then rightly.
    thesis = notebook.quiz("thesis")
    thesis.scroll_into_view_if_needed()
    # Every radio button sits at the start of its own label's first line, however long the label.
    offsets = thesis.get_by_role("radio").evaluate_all(
        """radios => radios.map(r => {
            const box = r.getBoundingClientRect(), label = r.closest('label').getBoundingClientRect();
            return [box.left - label.left, box.top - label.top];
        })"""
    )
    assert all(0 <= dx < 6 and 0 <= dy < 12 for dx, dy in offsets), offsets
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
    labels = [" ".join(label.split()) for label in author.get_by_role("radio").evaluate_all(
        "radios => radios.map(r => r.closest('label').textContent)")]
    right = next(i for i, label in enumerate(labels) if label.startswith("It turns one scholar's signed opinion piece"))
    author.get_by_role("radio").first.focus()
    keys = notebook.page.keyboard
    for _ in range(right):
        keys.press("Tab")  # to the right option, wherever this student's shuffle put it
    keys.press("Space")
    for _ in range(len(labels) - right):
        keys.press("Tab")  # past the remaining options, on to "Check answer"
    assert notebook.page.evaluate("document.activeElement.textContent") == "Check answer"
    keys.press("Enter")
    author.locator(".kn-feedback").get_by_text("Correct.").wait_for()
    assert author.get_by_role("radio").nth(right).is_checked()

    text = panel_shows(
        notebook,
        "Solved: 2 of 7 questions, 1 of them on the first try. Still open: 5. To revisit (1):",
        "4. Which sentence best paraphrases the op-ed's thesis? (right in the end;",
    )
    assert "Who wrote the op-ed" not in text

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
        "Solved: 3 of 7 questions, 1 of them on the first try. Still open: 4. To revisit (2):",
        "6. The author sorts his six reasons by time horizon.",
    )
    notebook.screenshot("score-panel", notebook.score_panel())

    # The kernel saved the progress where the server told it to.
    saved = json.loads(lesson_server.progress_path.read_text(encoding="utf-8"))["lessons"][LESSON_01]
    counts = {qid: (r["attempts"], r["solved"], r["first_try"]) for qid, r in saved.items()}
    assert counts == {"author": (1, True, True), "horizons": (2, True, False), "thesis": (2, True, False)}


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
        label = "short-term" if "international law" in row.inner_text() else "long-term"
        row.get_by_label(label, exact=True).check()
    shown = check(quiz, "Partly right: 5 of 6.")
    assert "The Taiwan worry sits inside the paragraph on the invasion" in shown
    assert "another long-term driver" not in shown, "feedback names only the misplaced item"
    notebook.screenshot("horizon-of-each-driver-partly-right", quiz)

    quiz.locator(".kn-classify-row", has_text="Taiwan").get_by_label("short-term", exact=True).check()
    shown = check(quiz, "Correct.")
    assert "Explanation. S1 and S2 are short-term" in shown
    panel_shows(notebook, "Solved: 1 of 7 questions, 0 of them on the first try.", "To revisit (1):")


@pytest.mark.slow
def test_lesson_04_renders_the_timeline_figure_with_its_text_description(open_lesson):
    notebook = open_lesson("04-events-in-time", "lab")
    figure = notebook.page.locator("""img[alt^="Events by driver: the op-ed's evidence and 1 later event."]""")
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


# ---------------------------------------------------------------------------------------------
# Quizzes wherever they are seen: a lesson reopened the next day, and nbconvert HTML offline
# ---------------------------------------------------------------------------------------------

MODEL_NOT_FOUND = "Error displaying widget: model not found"
DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* \d{4}\b|\b(19|20)\d\d\b")


def choose_places_one_item_at_a_time(quiz, texts_in_order) -> int:
    """Put each item in its place with the "Place" drop-down of its row; return how many choices it took."""
    from playwright.sync_api import expect

    rows = quiz.locator(".widget-hbox")
    choices = 0
    for place, text in enumerate(texts_in_order):
        # Under load the rows may still be redrawing after the last move: read them until the item shows.
        for _ in range(50):
            labels = [" ".join(rows.nth(i).locator(".widget-html").inner_text().split()) for i in range(rows.count())]
            if text in labels:
                break
            quiz.page.wait_for_timeout(200)
        row = labels.index(text)
        if row != place:
            rows.nth(row).locator("select").select_option(label=str(place + 1))
            choices += 1
        # Wait for the kernel to move the item before reading the rows again.
        expect(rows.nth(place).locator(".widget-html")).to_have_text(text)
    return choices


@pytest.mark.slow
def test_a_lesson_reopened_without_running_keeps_every_quiz_answerable_and_warm_ups_bring_misses_back(
    browser, tmp_path
):
    """Day 1: run lesson 01, miss the thesis, sort the timeline, save. Day 2: reopen it unrun, then lesson 02."""
    root = copy_lessons(tmp_path / "lessons")
    env = {"KOREA_NATO_PROGRESS": str(tmp_path / "progress.json")}
    mission = load_bank(LESSON_01).question("mission")
    with jupyter_server(root, tmp_path / "jupyter", env=env) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        notebook = NotebookPage(page, server, "lab", artifact_prefix="lab-01-day-1")
        notebook.open(f"{LESSON_01}.ipynb")
        notebook.run_all_cells()
        notebook.score_panel().wait_for()
        notebook.wait_until_idle()

        thesis = notebook.quiz("thesis")
        thesis.get_by_label("South Korea is preparing to join NATO as a full member").check()
        check(thesis, "Not quite.")

        # The ordering question, checked untouched: counts and the first pair out of order, no dates.
        timeline = notebook.quiz("mission")
        timeline.scroll_into_view_if_needed()
        shown = check(timeline, "of 5 items are in the right place.")
        assert "The first pair out of order:" in shown
        assert not DATE.search(shown), f"a wrong order shows a date: {shown}"
        for item in mission.items:
            assert item.feedback not in shown
        notebook.screenshot("ordering-wrong", timeline)
        choices = choose_places_one_item_at_a_time(timeline, [item.text for item in mission.items])
        assert choices <= len(mission.items) - 1
        assert check(timeline, "Correct.").startswith("Correct.")
        notebook.save()
        page.close()

    # The next day: a new server (the kernel is gone), the same browser profile and trust database.
    with jupyter_server(root, tmp_path / "jupyter", env=env) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        notebook = NotebookPage(page, server, "lab", artifact_prefix="lab-01-reopened")
        notebook.open(f"{LESSON_01}.ipynb")
        copies = page.locator(".kn-quiz[data-kn-payload]")
        copies.first.wait_for()
        # JupyterLab renders only the cells near the view of a long notebook: scroll through it,
        # checking each quiz copy as it comes into view, then back to the top.
        wanted = {question.id for question in load_bank(LESSON_01).questions}
        shown, noted = set(), set()
        page.mouse.move(640, 450)
        steps = 0
        while shown != wanted and steps < 80:
            for copy in copies.all():
                if copy.is_visible():
                    question_id = copy.get_attribute("data-question-id")
                    shown.add(question_id)
                    if copy.get_by_text("run the cell in JupyterLab (Shift+Enter) to record it").count():
                        noted.add(question_id)
            assert page.get_by_text(MODEL_NOT_FOUND).filter(visible=True).count() == 0
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(200)
            steps += 1
        assert shown == wanted, f"not shown in the reopened lesson: {sorted(wanted - shown)}"
        assert noted == wanted, f"no 'run the cell' note under: {sorted(wanted - noted)}"
        for _ in range(steps + 5):
            page.mouse.wheel(0, -600)
            page.wait_for_timeout(100)

        thesis = notebook.page_copy("thesis")
        thesis.get_by_label("South Korea is preparing to join NATO as a full member").check()
        thesis.locator(".kn-check").click()
        assert thesis.locator(".kn-feedback").inner_text().startswith("Not quite.")
        thesis.get_by_label("Seoul's turn toward NATO is deliberate and durable", exact=False).check()
        thesis.locator(".kn-check").click()
        assert thesis.locator(".kn-feedback").inner_text().startswith("Correct.")
        notebook.screenshot("thesis-answered-in-the-page", thesis)
        notebook.screenshot("window")
        page.close()

        # Lesson 02 opens with a warm-up that brings the missed thesis question back.
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        notebook = NotebookPage(page, server, "lab", artifact_prefix="lab-02-warm-up")
        notebook.open("02-short-term-drivers.ipynb", workspace="lesson-02")
        notebook.run_all_cells()
        notebook.score_panel().wait_for()  # Run All has reached the end (and scrolled there)
        notebook.wait_until_idle()
        warm = page.locator(".kn-warm-up.jupyter-widgets")
        warm.wait_for(state="attached")
        warm.scroll_into_view_if_needed()
        assert warm.locator(".kn-quiz-thesis").count() == 1, "the warm-up does not bring back the missed question"
        assert "Questions you missed before come first" in warm.text_content()
        notebook.screenshot("warm-up", warm)
        page.close()


@pytest.mark.slow
def test_opening_and_running_a_lesson_leaves_its_checkout_clean(browser, tmp_path):
    """Open lesson 03 from a git checkout and run it: nothing is marked modified by opening; a save adds
    outputs only (no kernelspec rewrite, no widget state)."""
    root = copy_lessons(tmp_path / "checkout")
    shutil.copyfile(browser_tools.REPO / ".gitignore", root / ".gitignore")  # as in a clone
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "lessons"]):
        subprocess.run([*git, *command], cwd=root, check=True)
    name = "03-long-term-drivers.ipynb"
    committed = nbformat.read(root / name, as_version=4)
    env = {"KOREA_NATO_PROGRESS": str(tmp_path / "progress.json")}
    with jupyter_server(root, tmp_path / "jupyter", env=env) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        notebook = NotebookPage(page, server, "lab", artifact_prefix="lab-03-clean")
        notebook.open(name)
        page.wait_for_timeout(1500)  # JupyterLab writes the kernel's metadata into the model on connect
        assert not notebook.is_modified(), "opening the lesson changed it (kernelspec or language_info)"
        notebook.run_all_cells()
        notebook.score_panel().wait_for()
        notebook.wait_until_idle()
        status = subprocess.run([*git, "status", "--porcelain"], cwd=root, capture_output=True, text=True)
        assert status.stdout == "", f"running the lesson changed the checkout:\n{status.stdout}"

        notebook.save()
        saved = nbformat.read(root / name, as_version=4)
        assert saved.metadata == committed.metadata, "saving rewrote the notebook's metadata"
        assert "widgets" not in saved.metadata
        for cell in saved.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        assert nbformat.writes(saved) == nbformat.writes(committed), "a save changes more than outputs"
        page.close()


def block_the_network(context) -> list[str]:
    """Let only file:// requests through; return the list the blocked URLs are appended to."""
    blocked: list[str] = []

    def handle(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
    return blocked


def build_html(lesson: str, out_dir, progress) -> str:
    """``jupyter nbconvert --to html --execute`` of a lesson, as a course website would build it."""
    env = {**os.environ, "KOREA_NATO_PROGRESS": str(progress)}
    env.pop("NBGRADER_EXECUTION", None)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
         str(browser_tools.REPO / "lessons" / f"{lesson}.ipynb"), "--output-dir", str(out_dir)],
        check=True, capture_output=True, env=env, timeout=180,
    )
    return str(out_dir / f"{lesson}.html")


def answer_in_page(page, question_id: str, label: str) -> str:
    quiz = page.locator(f'.kn-quiz[data-question-id="{question_id}"]')
    quiz.get_by_label(label, exact=True).check()
    quiz.locator(".kn-check").click()
    return " ".join(quiz.locator(".kn-feedback").inner_text().split())


def classify_in_page(page, question_id: str, chosen: dict[str, str]) -> str:
    quiz = page.locator(f'.kn-quiz[data-question-id="{question_id}"]')
    for row in quiz.locator(".kn-classify-row").all():
        item = " ".join(row.locator("legend").inner_text().split())
        row.get_by_label(chosen[item], exact=True).check()
    quiz.locator(".kn-check").click()
    return " ".join(quiz.locator(".kn-feedback").inner_text().split())


def page_feedback(quiz) -> str:
    quiz.locator(".kn-check").click()
    return " ".join(quiz.locator(".kn-feedback").inner_text().split())


def check_ordering_in_page(page, question) -> None:
    """Untouched order: counts and a first pair, no dates; then one place choice per item sorts it."""
    quiz = page.locator(f'.kn-quiz[data-question-id="{question.id}"]')
    shown = page_feedback(quiz)
    assert "items are in the right place" in shown and "The first pair out of order:" in shown
    assert not DATE.search(shown), shown
    for place, item in enumerate(question.items):
        row = quiz.locator(".kn-order-row", has_text=item.text)
        row.locator("select").select_option(str(place + 1))
    assert page_feedback(quiz).startswith("Correct.")
    quiz.screenshot(path=str(ARTIFACTS / f"static-{question.lesson}-{question.id}.png"))


def check_other_types_in_page(page, bank) -> None:
    """True/false, multiple select and a short text answer, each wrong and then right."""
    statement = bank.question("cyber-centre")
    quiz = page.locator('.kn-quiz[data-question-id="cyber-centre"]')
    quiz.get_by_label(str(not statement.answer), exact=True).check()
    assert page_feedback(quiz).startswith("Not quite.")
    quiz.get_by_label(str(statement.answer), exact=True).check()
    assert page_feedback(quiz).startswith("Correct.")

    select_all = bank.question("values-corrections")
    quiz = page.locator('.kn-quiz[data-question-id="values-corrections"]')
    for option in select_all.options:
        quiz.get_by_label(option.text, exact=True).check()
    assert page_feedback(quiz).startswith("Partly right:")
    for option in select_all.options:
        quiz.get_by_label(option.text, exact=True).set_checked(option.correct)
    assert page_feedback(quiz).startswith("Correct.")

    typed = bank.question("airspace-aircraft")
    quiz = page.locator('.kn-quiz[data-question-id="airspace-aircraft"]')
    quiz.locator("input.kn-typed").fill("bombers")
    assert page_feedback(quiz).startswith(f"Not quite. {typed.wrong_answers[1].feedback}")
    quiz.locator("input.kn-typed").fill("  a Russian a-50. ")
    assert page_feedback(quiz).startswith("Correct.")


@pytest.mark.slow
def test_nbconvert_html_of_lessons_01_and_03_answers_offline_with_no_request_and_no_key_in_the_source(
    browser, tmp_path
):
    cases = {LESSON_01: ("thesis", "horizons"), "03-long-term-drivers": ("ap4", "horizon-of-each-driver")}
    for lesson, (single_id, classify_id) in cases.items():
        path = build_html(lesson, tmp_path, tmp_path / "progress.json")
        source = open(path, encoding="utf-8").read()
        bank = load_bank(lesson)
        for question in bank.questions:
            assert re.search(rf'<div class="kn-quiz" [^>]*data-question-id="{question.id}"', source), question.id
            assert html.escape(question.explanation, quote=False) not in source
            assert question.explanation not in source
            for part in getattr(question, "options", ()) + getattr(question, "items", ()):
                assert html.escape(part.feedback, quote=False) not in source, part.feedback

        context = browser.new_context()
        outside = block_the_network(context)
        page = context.new_page()
        page.goto(f"file://{path}")
        warm_ups = fixed_warm_up(lesson)  # lesson 03 opens with a fixed warm-up
        assert page.locator(".kn-quiz").count() == len(bank.questions) + len(warm_ups)

        single = bank.question(single_id)
        wrong = next(o.text for o in single.options if not o.correct)
        right = single.options[single.correct_index].text
        assert answer_in_page(page, single_id, wrong).startswith("Not quite.")
        shown = answer_in_page(page, single_id, right)
        assert shown.startswith("Correct.") and single.options[single.correct_index].feedback in shown
        page.locator(f'.kn-quiz[data-question-id="{single_id}"]').screenshot(
            path=str(ARTIFACTS / f"static-{lesson}-{single_id}.png")
        )

        sorting = bank.question(classify_id)
        all_long = {item.text: "long-term" for item in sorting.items}
        shown = classify_in_page(page, classify_id, all_long)
        assert shown.startswith("Partly right: 4 of 6.")
        misplaced = [item for item in sorting.items if item.category != "long-term"]
        assert all(item.feedback in shown for item in misplaced)
        assert classify_in_page(page, classify_id, {i.text: i.category for i in sorting.items}).startswith(
            "Correct."
        )
        page.locator(f'.kn-quiz[data-question-id="{classify_id}"]').screenshot(
            path=str(ARTIFACTS / f"static-{lesson}-{classify_id}.png")
        )
        if lesson == LESSON_01:
            check_ordering_in_page(page, bank.question("mission"))
        else:
            check_other_types_in_page(page, bank)
        # What the page tried to fetch is nbconvert's own template (MathJax, require.js, the widget
        # manager), all written into the page's head; the quizzes ask for nothing.
        quiz_parts = re.findall(r'<div class="kn-fallback".*?</script></div>', source, flags=re.DOTALL)
        assert quiz_parts and not any(re.search(r"https?://|src=", part) for part in quiz_parts)
        head = source.split("<body", 1)[0]
        assert all(url.split("?")[0] in head for url in outside), outside
        context.close()
