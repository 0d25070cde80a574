"""Quiz banks load and validate; the quiz widget gives the right feedback when driven headless."""

from __future__ import annotations

import copy
import html
import json
import re
from importlib.resources import files

import ipywidgets as widgets
import pytest

from korea_nato import data, quiz
from korea_nato.quiz import QuizBankError, SingleChoiceQuiz, ask, bank_names, load_bank

BANKS = bank_names()

GOOD_QUESTION = {
    "id": "thesis",
    "type": "single",
    "prompt": "Which sentence paraphrases the thesis?",
    "options": [
        {
            "text": "A brief reaction that will fade",
            "correct": False,
            "feedback": "The author argues against this.",
        },
        {"text": "A deliberate and durable turn", "correct": True, "feedback": "Yes, in our words."},
        {"text": "Korea will join NATO", "correct": False, "feedback": "Partnership is not membership."},
    ],
    "explanation": "The turn is called durable.",
    "source": "ARTICLE.md §2 Thesis",
}


def write_bank(tmp_path, questions, lesson="99-test"):
    path = tmp_path / f"{lesson}.json"
    path.write_text(json.dumps({"lesson": lesson, "questions": questions}, indent=2), encoding="utf-8")
    return path


def good_question(**changes):
    question = copy.deepcopy(GOOD_QUESTION)
    question.update(changes)
    return question


@pytest.fixture(autouse=True)
def live_front_end(monkeypatch):
    """Tests run as if in JupyterLab unless they set NBGRADER_EXECUTION themselves."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


@pytest.fixture
def question():
    return load_bank("01-the-argument").question("thesis")


# ---------------------------------------------------------------------------------------------
# Shipped banks
# ---------------------------------------------------------------------------------------------


def test_the_package_ships_the_lesson_01_bank():
    assert "01-the-argument" in BANKS


@pytest.mark.parametrize("lesson", BANKS)
def test_every_shipped_bank_loads_and_validates(lesson):
    bank = load_bank(lesson)
    assert bank.lesson == lesson
    assert len(bank.questions) >= 1
    for question in bank.questions:
        assert len(question.correct_indices) == 1, question.id
        assert question.source.startswith("ARTICLE.md"), question.id


@pytest.mark.parametrize("lesson", BANKS)
def test_shipped_single_choice_questions_have_three_or_four_options(lesson):
    for question in load_bank(lesson).questions:
        assert 3 <= len(question.options) <= 4, question.id


def test_lesson_01_bank_has_at_least_five_questions():
    assert len(load_bank("01-the-argument").questions) >= 5


def test_correct_answers_are_not_always_in_the_same_position():
    positions = {q.correct_indices[0] for q in load_bank("01-the-argument").questions}
    assert len(positions) > 1


def _spun_phrases():
    table = data.glossary()
    damaged = table[~table["kind"].isin(["not an error", "template artefact"])]
    return sorted(set(damaged["spun"].tolist()) | {"Chilly Warfare", "Basic Meeting"})


@pytest.mark.parametrize("lesson", BANKS)
def test_shipped_banks_contain_no_spun_phrase(lesson):
    text = (files("korea_nato") / "quizzes" / f"{lesson}.json").read_text(encoding="utf-8")
    found = [p for p in _spun_phrases() if p.lower() in text.lower()]
    assert not found, f"{lesson}.json copies spun phrases: {found}"


def test_load_bank_caches_the_parsed_bank():
    assert load_bank("01-the-argument") is load_bank("01-the-argument")


def test_unknown_bank_and_unknown_question_name_what_exists():
    with pytest.raises(LookupError, match="01-the-argument"):
        load_bank("no-such-lesson")
    with pytest.raises(LookupError, match="thesis"):
        load_bank("01-the-argument").question("no-such-question")


# ---------------------------------------------------------------------------------------------
# Broken banks: the error names file, question and field
# ---------------------------------------------------------------------------------------------


def test_a_good_bank_written_to_disk_loads(tmp_path):
    bank = quiz.load_bank_file(write_bank(tmp_path, [good_question()]))
    assert bank.ids == ("thesis",)


def _options_with_correct(*flags):
    return [
        {"text": f"option {i}", "correct": flag, "feedback": f"feedback {i}"} for i, flag in enumerate(flags)
    ]


BROKEN = {
    "no correct option": (
        [good_question(options=_options_with_correct(False, False, False))],
        "thesis",
        "options",
        "no option is marked correct",
    ),
    "two correct options": (
        [good_question(options=_options_with_correct(True, True, False))],
        "thesis",
        "options",
        "2 options are marked correct",
    ),
    "duplicate id": ([good_question(), good_question()], "thesis", "id", "duplicate id"),
    "unknown type": ([good_question(type="essay")], "thesis", "type", "unknown question type 'essay'"),
    "option without feedback": (
        [
            good_question(
                options=[{"text": "a", "correct": True}, {"text": "b", "correct": False, "feedback": "no"}]
            )
        ],
        "thesis",
        "options[0].feedback",
        "is missing",
    ),
    "empty feedback": (
        [
            good_question(
                options=[
                    {"text": "a", "correct": True, "feedback": "  "},
                    {"text": "b", "correct": False, "feedback": "no"},
                ]
            )
        ],
        "thesis",
        "options[0].feedback",
        "non-empty string",
    ),
    "missing prompt": (
        [{k: v for k, v in good_question().items() if k != "prompt"}],
        "thesis",
        "prompt",
        "is missing",
    ),
    "missing explanation": (
        [{k: v for k, v in good_question().items() if k != "explanation"}],
        "thesis",
        "explanation",
        "is missing",
    ),
    "missing source": (
        [{k: v for k, v in good_question().items() if k != "source"}],
        "thesis",
        "source",
        "is missing",
    ),
    "misspelt key": ([good_question(explaination="typo")], "thesis", "explaination", "unknown key"),
    "correct given as a string": (
        [
            good_question(
                options=[
                    {"text": "a", "correct": "true", "feedback": "yes"},
                    {"text": "b", "correct": False, "feedback": "no"},
                ]
            )
        ],
        "thesis",
        "options[0].correct",
        "must be true or false",
    ),
    "repeated option text": (
        [
            good_question(
                options=[
                    {"text": "a", "correct": True, "feedback": "yes"},
                    {"text": "a", "correct": False, "feedback": "no"},
                ]
            )
        ],
        "thesis",
        "options[1].text",
        "repeats the text",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_bank_error_names_file_question_and_field(tmp_path, case):
    questions, question_id, field, problem = BROKEN[case]
    path = write_bank(tmp_path, questions)
    with pytest.raises(QuizBankError) as info:
        quiz.load_bank_file(path)
    message = str(info.value)
    assert "99-test.json" in message
    assert f"question '{question_id}'" in message
    assert f"field '{field}'" in message
    assert problem in message
    assert (info.value.question_id, info.value.field) == (question_id, field)


def test_quiz_bank_error_is_a_value_error():
    assert issubclass(QuizBankError, ValueError)


def test_question_without_id_is_named_by_position(tmp_path):
    second = {k: v for k, v in good_question().items() if k != "id"}
    path = write_bank(tmp_path, [good_question(), second])
    with pytest.raises(QuizBankError, match=r"99-test\.json, question #2, field 'id': is missing"):
        quiz.load_bank_file(path)


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "99-test.json"
    path.write_text(
        '{\n  "lesson": "99-test",\n  "questions": [\n    {"id": "a",}\n  ]\n}\n', encoding="utf-8"
    )
    with pytest.raises(QuizBankError, match=r"99-test\.json, line 4: not valid JSON") as info:
        quiz.load_bank_file(path)
    assert info.value.line == 4


def test_lesson_field_must_match_file_name(tmp_path):
    path = write_bank(tmp_path, [good_question()], lesson="99-test")
    renamed = path.rename(tmp_path / "98-other.json")
    with pytest.raises(QuizBankError, match=r"98-other\.json, field 'lesson'"):
        quiz.load_bank_file(renamed)


def test_empty_question_list_is_rejected(tmp_path):
    with pytest.raises(QuizBankError, match=r"field 'questions': must be a non-empty list"):
        quiz.load_bank_file(write_bank(tmp_path, []))


# ---------------------------------------------------------------------------------------------
# The widget, driven headless
# ---------------------------------------------------------------------------------------------


def plain(html_text):
    return re.sub(r"<[^>]+>", "", html_text)


def test_widget_starts_with_no_selection_a_visible_label_and_no_feedback(question):
    widget = SingleChoiceQuiz(question)
    assert widget.choices.value is None and widget.choices.index is None
    assert widget.choices.description.strip()
    assert widget.check_button.description == "Check answer"
    assert widget.feedback.value == ""
    assert html.escape(question.prompt) in widget.prompt.value
    assert list(widget.choices.options) == [o.text for o in question.options]


def test_checking_with_nothing_selected_says_so_and_is_not_an_attempt(question):
    widget = SingleChoiceQuiz(question)
    widget.check_button.click()
    assert "No answer selected" in plain(widget.feedback.value)
    assert widget.answers.attempts == 0


def test_wrong_answer_shows_its_own_feedback_and_allows_retry(question):
    widget = SingleChoiceQuiz(question)
    wrong = [o for o in question.options if not o.correct]
    right = question.options[question.correct_indices[0]]

    widget.choices.value = wrong[0].text
    widget.check_button.click()
    shown = plain(html.unescape(widget.feedback.value))
    assert shown.startswith("Not quite.")
    assert wrong[0].feedback in shown
    assert question.explanation not in shown
    assert widget.answers.attempts == 1 and not widget.answers.solved

    widget.choices.value = wrong[1].text
    widget.check_button.click()
    assert wrong[1].feedback in plain(html.unescape(widget.feedback.value))
    assert widget.answers.attempts == 2

    widget.choices.value = right.text
    widget.check_button.click()
    shown = plain(html.unescape(widget.feedback.value))
    assert shown.startswith("Correct.")
    assert question.explanation in shown
    assert widget.answers.attempts == 3
    assert widget.answers.solved and not widget.answers.first_try
    assert widget.answers.choices == [question.options.index(o) for o in (*wrong[:2], right)]


def test_right_answer_first_time_says_correct_with_explanation(question):
    widget = SingleChoiceQuiz(question)
    widget.choices.value = question.options[question.correct_indices[0]].text
    widget.check_button.click()
    shown = plain(html.unescape(widget.feedback.value))
    assert shown.startswith("Correct.")
    assert question.explanation in shown
    assert widget.answers.attempts == 1
    assert widget.answers.solved and widget.answers.first_try


def test_choosing_a_new_option_clears_the_old_verdict(question):
    widget = SingleChoiceQuiz(question)
    wrong = [o for o in question.options if not o.correct]
    widget.choices.value = wrong[0].text
    widget.check_button.click()
    widget.choices.value = wrong[1].text
    assert widget.feedback.value == ""


def test_answer_log_works_without_any_widget(question):
    log = quiz.AnswerLog(question.id)
    verdict = log.record(question, question.correct_indices[0])
    assert verdict.correct and verdict.headline == "Correct."
    assert log.first_try


def _answer_texts(question):
    right = question.options[question.correct_indices[0]]
    return [right.feedback, question.explanation] + [o.feedback for o in question.options if not o.correct]


def test_static_repr_shows_question_and_options_but_not_the_answer(question):
    bundle = SingleChoiceQuiz(question)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    for mime in ("text/plain", "text/html"):
        shown = html.unescape(bundle[mime])
        assert question.prompt in shown
        for option in question.options:
            assert option.text in shown
        for secret in _answer_texts(question):
            assert secret not in shown
        assert "correct" not in shown.lower()


def test_ask_displays_the_widget_in_a_live_front_end(monkeypatch):
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append((objs, kw)))
    assert ask("01-the-argument", "thesis") is None
    ((objs, _kw),) = shown
    assert isinstance(objs[0], SingleChoiceQuiz)


def test_ask_under_nbgrader_shows_text_without_answer_or_widget(monkeypatch, question):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append((objs, kw)))
    created = []
    monkeypatch.setattr(widgets.Widget, "open", lambda self: created.append(self))

    assert ask("01-the-argument", "thesis") is None

    ((objs, kw),) = shown
    assert kw.get("raw") is True
    bundle = objs[0]
    assert not isinstance(bundle, widgets.Widget)
    assert not created, "no widget may be created under nbgrader"
    for mime in ("text/plain", "text/html"):
        text = html.unescape(bundle[mime])
        assert question.prompt in text
        for option in question.options:
            assert option.text in text
        for secret in _answer_texts(question):
            assert secret not in text
