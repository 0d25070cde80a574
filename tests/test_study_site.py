"""``korea-nato site``: the course website builds, makes no outside request, and works in a browser.

The site is built once per module into a temporary folder, served by Python's ``http.server``
on 127.0.0.1, and opened in Debian's chromium with every request to another host aborted and
counted. In each lesson with a quiz bank it answers one question wrongly, then rightly.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from browser_tools import ARTIFACTS, PAGE_TIMEOUT_MS, chromium_browser, require_browser
from korea_nato.study import site

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "lessons").glob("*.ipynb"))
PROBLEM_SETS = sorted((REPO / "release").glob("*/*.ipynb"))
SITE_ARTIFACTS = ARTIFACTS.parent / "site"
#: Lessons with a question bank: every one has at least one single-choice question to answer.
QUIZ_LESSONS = [p.stem for p in LESSONS if (REPO / "src/korea_nato/quizzes" / f"{p.stem}.json").is_file()]


def answer_a_quiz_wrongly_then_rightly(page, href: str) -> int:
    """Answer the lesson's first single-choice question wrongly, then rightly, in the static page."""
    from korea_nato.quiz import load_bank
    from korea_nato.quiz.bank import SingleChoiceQuestion

    lesson = href.split("/")[-1].removesuffix(".html")
    question = next(q for q in load_bank(lesson).questions if isinstance(q, SingleChoiceQuestion))
    quiz = page.locator(f'.kn-quiz[data-question-id="{question.id}"]').first
    quiz.scroll_into_view_if_needed()
    wrong = next(o for o in question.options if not o.correct)
    right = question.options[question.correct_index]
    for option, verdict in ((wrong, "Not quite."), (right, "Correct.")):
        quiz.get_by_label(option.text, exact=True).check()
        quiz.locator(".kn-check").click()
        shown = " ".join(quiz.locator(".kn-feedback").inner_text().split())
        assert shown.startswith(verdict), f"{lesson} {question.id}: {option.text!r} gave {shown!r}"
        assert " ".join(option.feedback.split()) in shown
    if lesson == QUIZ_LESSONS[0]:
        quiz.screenshot(path=str(SITE_ARTIFACTS / f"quiz-{lesson}-{question.id}.png"))
    return 1


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "korea-nato-site"
    return site.build_site(out, REPO, log=lambda *_: None)


def test_links_to_lessons_become_html_and_problem_set_links_stay_downloads():
    names = {p.name for p in LESSONS}
    html = '<a href="02-short-term-drivers.ipynb#Key-points">x</a> <a href="../release/ps1/ps1.ipynb">y</a>'
    assert site.rewrite_links(html, names) == (
        '<a href="02-short-term-drivers.html#Key-points">x</a> <a href="../release/ps1/ps1.ipynb">y</a>'
    )
    rebased = site.rewrite_links(html, names, base="lessons")
    assert 'href="lessons/02-short-term-drivers.html#Key-points"' in rebased
    assert 'href="release/ps1/ps1.ipynb"' in rebased
    assert (
        site.rewrite_links('<img src="data:image/png;base64,AA">', names, base="lessons").count("data:") == 1
    )


def test_outside_requests_are_found():
    assert site.outside_requests('<script src="https://cdn.example/x.js"></script>')
    assert site.outside_requests("<style>@import 'https://fonts.example/a.css';</style>")
    assert site.outside_requests('<link rel="stylesheet" href="//cdn.example/a.css">')
    assert not site.outside_requests('<a href="https://www.euractiv.com/">the op-ed</a> <img src="data:,">')


@pytest.mark.slow
def test_the_site_has_the_course_plan_every_lesson_and_every_problem_set(built):
    out = built.out
    assert (out / "index.html").is_file()
    for lesson in LESSONS:
        assert (out / "lessons" / (lesson.stem + ".html")).is_file()
    for problem_set in PROBLEM_SETS:
        copy = out / problem_set.relative_to(REPO)
        assert copy.read_bytes() == problem_set.read_bytes()
    assert not (out / "source").exists()
    assert not any("BEGIN SOLUTION" in p.read_text(encoding="utf-8") for p in out.rglob("*.*"))


@pytest.mark.slow
def test_no_page_names_an_outside_address_except_in_a_link(built):
    for page in built.out.rglob("*.html"):
        text = re.sub(r"""<a\b[^>]*\bhref=["']https?://[^"']*["']""", "<a", page.read_text(encoding="utf-8"))
        found = [text[max(0, m.start() - 60) : m.end() + 60] for m in re.finditer(r"https?://", text)]
        assert not found, f"{page.name} names outside addresses: {found[:3]}"


@pytest.mark.slow
def test_every_figure_carries_its_description(built):
    figures = 0
    for page in built.out.glob("lessons/*.html"):
        for img in re.findall(r"<img\b[^>]*>", page.read_text(encoding="utf-8")):
            alt = re.search(r'\balt="([^"]*)"', img)
            assert alt and len(alt.group(1)) > 40, f"{page.name} has a figure without a description"
            figures += 1
    assert figures >= 3  # lesson 04's timeline and evidence spans, lesson 06's scorecard


# --------------------------------------------------------------------------------------------
# In a browser, from a local server, nothing else reachable
# --------------------------------------------------------------------------------------------


@pytest.fixture
def served(built):
    handler = functools.partial(QuietHandler, directory=str(built.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_in_a_browser_the_plan_leads_to_every_lesson_its_figures_and_quizzes_work_and_nothing_leaves_the_site(
    served,
):
    require_browser()
    blocked: list[str] = []

    def only_the_site(route):
        if route.request.url.startswith(served + "/") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    SITE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.route("**/*", only_the_site)
        page.goto(served + "/index.html")
        page.screenshot(path=str(SITE_ARTIFACTS / "index.png"))
        links = page.locator("a[href$='.html']")
        lesson_links = [h for h in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
        assert sorted(lesson_links) == sorted(f"lessons/{p.stem}.html" for p in LESSONS)
        figures = answered = 0
        for href in lesson_links:
            page.goto(served + "/index.html")
            page.locator(f"a[href='{href}']").first.click()
            page.wait_for_url(f"**/{href}")
            page.locator(".jp-Notebook h1").first.wait_for()
            for image in page.locator(".jp-OutputArea-output img").all():
                image.scroll_into_view_if_needed()
                assert image.evaluate("img => img.complete && img.naturalWidth > 0"), (
                    f"{href}: a figure did not load"
                )
                alt = image.get_attribute("alt") or ""
                assert len(alt) > 40, f"{href}: a figure has no description"
                figures += 1
            if href.split("/")[-1].removesuffix(".html") in QUIZ_LESSONS:
                answered += answer_a_quiz_wrongly_then_rightly(page, href)
            if href.endswith("04-events-in-time.html"):
                page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
                page.screenshot(path=str(SITE_ARTIFACTS / "lesson-04-figure.png"))
        assert figures >= 3
        assert answered == len(QUIZ_LESSONS)

        page.goto(served + "/index.html")
        download = page.locator("a[href$='.ipynb']").first.get_attribute("href")
        response = page.request.get(f"{served}/{download}")
        assert response.ok and json.loads(response.text())["nbformat"] == 4
    assert blocked == [], f"the site asked for outside addresses: {blocked}"
