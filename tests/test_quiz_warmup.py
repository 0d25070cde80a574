"""Warm-ups bring earlier questions back: the revisit list first, then earlier key ideas."""

from __future__ import annotations

import pytest

from korea_nato import quiz
from korea_nato.quiz import ProgressStore, QuizBankError, WarmUp, bank_names, load_bank, parse_bank, warm_up
from korea_nato.quiz.warmup import earlier_lessons, fixed_warm_up, warm_up_questions

L01, L02, L03, L04 = "01-the-argument", "02-short-term-drivers", "03-long-term-drivers", "04-events-in-time"


@pytest.fixture(autouse=True)
def live_front_end(monkeypatch, tmp_path):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("KOREA_NATO_PROGRESS", str(tmp_path / "default-progress.json"))
    monkeypatch.setattr(quiz.progress, "_STORES", {})


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


def ids(questions):
    return [(q.lesson, q.id) for q in questions]


def test_every_bank_before_the_last_names_two_or_more_key_ideas():
    for name in bank_names()[:-1]:
        assert len(load_bank(name).key_ideas) >= 2, name


def test_a_key_idea_must_be_a_question_of_its_bank():
    data = {"lesson": "x", "key_ideas": ["nope"], "questions": [load_bank_json_question()]}
    with pytest.raises(QuizBankError, match="'nope' is not a question of this bank"):
        parse_bank(data, "x.json")


def load_bank_json_question():
    return {
        "id": "q", "type": "true_false", "prompt": "P?", "answer": True, "feedback_true": "Yes.",
        "feedback_false": "No.", "explanation": "E.", "source": "ARTICLE.md §2",
    }


def test_earlier_lessons_are_listed_nearest_first():
    assert earlier_lessons(L04) == [L03, L02, L01]
    assert earlier_lessons(L01) == []


def test_the_fixed_selection_takes_key_ideas_from_the_nearest_lessons_in_turn():
    assert ids(fixed_warm_up(L02)) == [(L01, k) for k in load_bank(L01).key_ideas[:3]]
    assert ids(fixed_warm_up(L04)) == [(L03, "ap4"), (L02, "taiwan-precedent"), (L01, "thesis")]


def test_without_progress_the_warm_up_is_the_fixed_selection(store):
    assert ids(warm_up_questions(L03, store)) == ids(fixed_warm_up(L03))


def test_questions_missed_earlier_come_first_latest_miss_first(store):
    store.record_attempt(L01, "genre", correct=False, day="2026-03-01")
    store.record_attempt(L02, "lethal-aid", correct=False, day="2026-03-02")
    store.record_attempt(L01, "author", correct=True, day="2026-03-02")  # right first time: not missed
    chosen = ids(warm_up_questions(L03, store))
    assert chosen[:2] == [(L02, "lethal-aid"), (L01, "genre")]
    assert len(chosen) == 3 and chosen[2] == ids(fixed_warm_up(L03))[0]


def test_a_question_answered_right_on_a_later_day_leaves_the_warm_up(store):
    store.record_attempt(L01, "genre", correct=False, day="2026-03-01")
    store.record_attempt(L01, "genre", correct=True, day="2026-03-02")
    assert (L01, "genre") not in ids(warm_up_questions(L02, store))


def test_the_warm_up_never_asks_a_question_of_its_own_or_a_later_lesson(store):
    store.record_attempt(L03, "ap4", correct=False)
    assert all(q.lesson < L02 for q in warm_up_questions(L02, store))


def test_warm_up_displays_the_fixed_page_copy_then_the_students_live_selection(monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append(objs[0]))
    quiz.default_store().record_attempt(L01, "genre", correct=False)
    warm_up(L02)
    page, live = shown
    assert 'data-kn-live="kn-live-warm-up--02-short-term-drivers"' in page["text/html"]
    for question in fixed_warm_up(L02):
        assert f'data-question-id="{question.id}"' in page["text/html"]
        assert question.prompt in page["text/plain"]
    assert isinstance(live, WarmUp)
    assert [q.question.id for q in live.quizzes][0] == "genre"
    live.quizzes[0].choices.value = live.quizzes[0].question.options[0].text
    live.quizzes[0].check_button.click()
    assert quiz.default_store().record(L01, "genre").attempts == 2, "the answer counts in lesson 01"


def test_warm_up_under_nbgrader_is_static_text_with_the_fixed_selection(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append(objs[0]))
    warm_up(L02)
    (page,) = shown
    assert "<script" not in page["text/html"]
    assert all(q.prompt in page["text/plain"] for q in fixed_warm_up(L02))
