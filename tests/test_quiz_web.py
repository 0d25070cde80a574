"""The page copy of every quiz: answerable without a kernel, self-contained, the key never in plain text."""

from __future__ import annotations

import html
import re

import pytest

from korea_nato.quiz import bank_names, load_bank, question_as_web
from korea_nato.quiz.bank import MultipleChoiceQuestion, SingleChoiceQuestion
from korea_nato.quiz.shuffle import display_order
from korea_nato.quiz.web import decode_payload, encode_payload, wrap_fallback

ALL_SHIPPED = [(lesson, qid) for lesson in bank_names() for qid in load_bank(lesson).ids]
STUDENT = "0123456789abcdef"


def secrets_of(question) -> list[str]:
    """Texts that would give the answer away: feedback, explanation, accepted answers."""
    texts = [question.explanation]
    for name in ("options", "items", "wrong_answers"):
        texts += [part.feedback for part in getattr(question, name, ())]
    texts += [getattr(question, "feedback_true", ""), getattr(question, "feedback_false", "")]
    texts += [getattr(question, "feedback", "")] + list(getattr(question, "accepted", ()))
    return [t for t in texts if t and len(t) > 3]


def payload(page: str) -> str:
    return re.search(r'data-kn-payload="([^"]+)"', page).group(1)


@pytest.mark.parametrize(("lesson", "question_id"), ALL_SHIPPED)
def test_the_page_copy_shows_the_question_and_hides_the_key(lesson, question_id):
    question = load_bank(lesson).question(question_id)
    page = question_as_web(question, STUDENT)
    shown = html.unescape(page)
    assert f'<div class="kn-quiz" data-question-id="{question_id}"' in page
    assert 'class="kn-check"' in page and 'class="kn-feedback"' in page
    assert question.prompt in shown
    for part in getattr(question, "options", ()) + getattr(question, "items", ()):
        assert part.text in shown
    for secret in secrets_of(question):
        assert secret not in shown, secret
    assert '"correct"' not in shown and '"answer"' not in shown


@pytest.mark.parametrize(("lesson", "question_id"), ALL_SHIPPED)
def test_the_encoded_payload_carries_the_banks_answers_in_display_order(lesson, question_id):
    question = load_bank(lesson).question(question_id)
    data = decode_payload(payload(question_as_web(question, STUDENT)), question_id)
    assert data["t"] == question.type and data["ex"] == question.explanation
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        order = display_order(question, STUDENT)
        assert data["ok"] == [question.options[i].correct for i in order]
        assert data["fb"] == [question.options[i].feedback for i in order]


def test_payload_round_trips_unicode():
    data = {"fb": ["“Seoul” — 서울"], "ok": [True]}
    assert decode_payload(encode_payload(data, "q"), "q") == data
    assert "Seoul" not in encode_payload(data, "q")


def test_the_page_copy_is_self_contained_and_names_the_live_widget_it_stands_for():
    question = load_bank("01-the-argument").question("thesis")
    page = wrap_fallback(question_as_web(question, STUDENT), "01-the-argument--thesis")
    assert page.startswith('<div class="kn-fallback" data-kn-live="kn-live-01-the-argument--thesis">')
    assert "<script>" in page and "<style>" in page
    assert not re.search(r"(src|href)=|https?://|import\(|fetch\(|XMLHttpRequest", page)


def test_two_students_see_the_options_of_the_page_copy_in_different_orders():
    question = load_bank("01-the-argument").question("thesis")
    pages = {question_as_web(question, f"student-{n}") for n in range(10)}
    assert len(pages) > 1
    assert question_as_web(question, STUDENT) == question_as_web(question, STUDENT)
