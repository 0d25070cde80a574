"""The quiz widgets, driven headless like a student would: set ``.value``, press ``.click()``."""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import pytest

from korea_nato import quiz
from korea_nato.quiz import (
    ClassificationQuiz,
    MultipleChoiceQuiz,
    OrderingQuiz,
    ProgressStore,
    ShortAnswerQuiz,
    SingleChoiceQuiz,
    TrueFalseQuiz,
    ask,
    bank_names,
    load_bank,
    make_quiz,
    question_as_html,
    question_as_text,
)
from quiz_examples import EXAMPLES, LESSON, load_example


@pytest.fixture(autouse=True)
def live_front_end(monkeypatch, tmp_path):
    """As if in JupyterLab (no NBGRADER_EXECUTION), with progress in a temporary file."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("KOREA_NATO_PROGRESS", str(tmp_path / "default-progress.json"))


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


def plain(widget) -> str:
    """The feedback area's words, without tags."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", widget.feedback.value)).split())


def quiz_for(tmp_path, store, kind, **changes):
    return make_quiz(load_example(tmp_path, kind, **changes), store=store)


# ---------------------------------------------------------------------------------------------
# Common behaviour (shown on the single-choice widget)
# ---------------------------------------------------------------------------------------------


def test_make_quiz_builds_the_widget_of_each_type(tmp_path, store):
    expected = {
        "single": SingleChoiceQuiz,
        "multiple": MultipleChoiceQuiz,
        "true_false": TrueFalseQuiz,
        "ordering": OrderingQuiz,
        "classification": ClassificationQuiz,
        "short_number": ShortAnswerQuiz,
        "short_text": ShortAnswerQuiz,
    }
    for kind, cls in expected.items():
        widget = quiz_for(tmp_path, store, kind)
        assert type(widget) is cls
        assert widget.check_button.description == "Check answer"
        assert {"kn-quiz", f"kn-quiz-{widget.question.id}"} <= set(widget._dom_classes)


def test_single_starts_with_no_selection_a_visible_label_and_no_feedback(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    assert widget.choices.value is None
    assert widget.choices.description == "Your answer:"
    assert widget.feedback.value == ""
    assert html.escape(widget.question.prompt) in widget.prompt.value
    assert list(widget.choices.options) == [widget.question.options[i].text for i in widget.shown_order]
    assert sorted(widget.shown_order) == list(range(len(widget.question.options)))


def test_the_chosen_option_is_judged_whatever_its_shuffled_position(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "A deliberate and durable turn"
    assert widget.response() == 1  # its place in the bank, not on screen
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")


def test_checking_with_nothing_selected_says_so_and_is_not_an_attempt(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.check_button.click()
    assert plain(widget).startswith("No answer selected yet.")
    assert widget.record.attempts == 0 and widget.tries == 0


def test_single_wrong_answer_shows_its_feedback_then_retry_succeeds(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "Korea will join NATO"
    widget.check_button.click()
    shown = plain(widget)
    assert shown.startswith("Not quite. Partnership is not membership.")
    assert "Explanation" not in shown
    assert (widget.record.attempts, widget.record.solved) == (1, False)

    widget.choices.value = "A deliberate and durable turn"
    widget.check_button.click()
    shown = plain(widget)
    assert shown.startswith("Correct. Yes, in our words.")
    assert "Explanation. The turn is called durable." in shown
    assert (widget.record.attempts, widget.record.solved, widget.record.first_try) == (2, True, False)


def test_single_right_first_time_counts_as_first_try(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "A deliberate and durable turn"
    widget.check_button.click()
    assert widget.last_verdict.correct
    assert widget.record.first_try


def test_explanation_appears_after_three_wrong_tries(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    for n, wrong in enumerate(
        ["Korea will join NATO", "A brief reaction that will fade", "Korea will join NATO"], 1
    ):
        widget.choices.value = wrong
        widget.check_button.click()
        assert ("Explanation" in plain(widget)) == (n == 3), n
    assert "Explanation (shown after three tries). The turn is called durable." in plain(widget)
    assert not widget.record.solved


def test_choosing_a_new_answer_clears_the_old_verdict(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "Korea will join NATO"
    widget.check_button.click()
    widget.choices.value = "A brief reaction that will fade"
    assert widget.feedback.value == "" and widget.last_verdict is None


def test_feedback_is_in_words_in_a_status_region(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "Korea will join NATO"
    widget.check_button.click()
    assert 'role="status"' in widget.feedback.value
    assert "<strong>Not quite.</strong>" in widget.feedback.value


# ---------------------------------------------------------------------------------------------
# Each other type
# ---------------------------------------------------------------------------------------------


def test_multiple_shows_partial_credit_and_feedback_for_each_misjudged_option(tmp_path, store):
    widget = quiz_for(tmp_path, store, "multiple")
    assert [box.description for box in widget.boxes] == [o["text"] for o in EXAMPLES["multiple"]["options"]]
    widget.check_button.click()
    assert plain(widget).startswith("Nothing ticked yet.") and widget.record.attempts == 0

    widget.boxes[0].value = True
    widget.boxes[2].value = True
    widget.check_button.click()
    shown = plain(widget)
    assert shown.startswith("Partly right: 1 of 4.")
    for feedback in ("Missed: first time since 2018.", "That is threat convergence.", "Missed: the envoy"):
        assert feedback in shown
    assert "Missed: this is values evidence." not in shown
    assert widget.last_verdict.score == 0.25

    widget.boxes[2].value = False
    widget.boxes[1].value = True
    widget.boxes[3].value = True
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")
    assert "All the values evidence is from recent weeks." in plain(widget)
    assert (widget.record.attempts, widget.record.solved, widget.record.first_try) == (2, True, False)


def test_true_false_explains_why_for_either_answer(tmp_path, store):
    widget = quiz_for(tmp_path, store, "true_false")
    assert list(widget.choices.options) == ["True", "False"]
    widget.choices.value = "True"
    widget.check_button.click()
    assert plain(widget).startswith("Not quite. It was approved on 26 Sep 2022")
    widget.choices.value = "False"
    widget.check_button.click()
    assert plain(widget).startswith("Correct. Right to doubt it")
    assert "Approval and opening were two steps." in plain(widget)


def test_ordering_starts_shuffled_with_one_place_picker_per_item(tmp_path, store):
    widget = quiz_for(tmp_path, store, "ordering")
    assert widget.order == list(widget.shown_order) != [0, 1, 2, 3]
    shown = [html.unescape(label.value) for label in widget.item_labels]
    assert shown == [widget.question.items[i].text for i in widget.order]
    assert [p.value for p in widget.place_pickers] == [0, 1, 2, 3]
    assert all(p.description == "Place" for p in widget.place_pickers)
    first = widget.question.items[widget.order[0]].text
    assert widget.place_pickers[0].tooltip == f"Place of “{first}”"


def test_ordering_is_sorted_with_one_choice_per_item_after_a_wrong_try(tmp_path, store):
    widget = quiz_for(tmp_path, store, "ordering")
    widget.check_button.click()  # the shuffled order is a real (wrong) answer
    assert plain(widget).startswith(("Not quite.", "Partly right:"))
    assert widget.record.attempts == 1

    choices = 0
    for item in range(4):
        if widget.order.index(item) != item:
            widget.place_pickers[widget.order.index(item)].value = item  # what the student picks
            choices += 1
    assert widget.order == [0, 1, 2, 3] and choices <= 4
    assert widget.item_labels[0].value == "Russia invades Ukraine"
    assert [p.value for p in widget.place_pickers] == [0, 1, 2, 3]
    assert widget.feedback.value == "", "moving an item clears the old verdict"
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")
    assert widget.record.solved and not widget.record.first_try


def test_a_wrong_order_names_the_first_pair_out_of_order_and_no_item_date(tmp_path, store):
    widget = quiz_for(tmp_path, store, "ordering")
    widget.order = [0, 1, 3, 2]
    widget.check_button.click()
    shown = plain(widget)
    assert shown.startswith("Partly right: 2 of 4. 2 of 4 items are in the right place.")
    assert "“NATO approves Korea's mission” should come after “Yoon at the Madrid summit”" in shown
    assert "2022" not in shown


def test_ordering_move_to_shifts_the_items_between_and_rejects_places_off_the_list(tmp_path, store):
    widget = quiz_for(tmp_path, store, "ordering")
    before = list(widget.order)
    widget.move_to(3, 0)
    assert widget.order == [before[3], *before[:3]]
    with pytest.raises(ValueError, match="places run from 0 to 3"):
        widget.move_to(0, 4)
    assert widget.record.attempts == 0


def test_options_are_shuffled_the_same_for_one_student_and_differently_between_students(tmp_path):
    from korea_nato.quiz.shuffle import display_order

    question = load_bank("01-the-argument").question("thesis")
    assert display_order(question, "student-a") == display_order(question, "student-a")
    orders = {display_order(question, f"student-{n}") for n in range(40)}
    assert len(orders) > 10, "different students see different orders"
    keys = {order.index(question.correct_index) for order in orders}
    assert keys == set(range(len(question.options))), "the key can sit in any position"
    store = ProgressStore(tmp_path / "one.json")
    store.record_attempt("01-the-argument", "author", correct=True)
    first = make_quiz(question, store=store).choices.options
    again = make_quiz(question, store=ProgressStore(tmp_path / "one.json")).choices.options  # a new kernel
    assert first == again


def test_classification_needs_every_item_then_gives_partial_credit(tmp_path, store):
    widget = quiz_for(tmp_path, store, "classification")
    assert [s.description for s in widget.selectors] == [
        i["text"] for i in EXAMPLES["classification"]["items"]
    ]
    assert all(s.value is None for s in widget.selectors)
    widget.selectors[0].value = "long-term"
    widget.check_button.click()
    assert plain(widget).startswith("Not every item has a category yet. 3 items have none")
    assert widget.record.attempts == 0

    for selector in widget.selectors:
        selector.value = "long-term"
    widget.check_button.click()
    shown = plain(widget)
    assert shown.startswith("Partly right: 2 of 4. 2 of 4 items are sorted into the right category.")
    assert "“The Taiwan precedent”: Inside the Ukraine paragraph." in shown
    assert "“Shared values”" not in shown

    widget.selectors[1].value = "short-term"
    widget.selectors[3].value = "short-term"
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")
    assert "The author sorts his reasons himself." in plain(widget)


def test_short_number_answer_rejects_text_without_counting_it(tmp_path, store):
    widget = quiz_for(tmp_path, store, "short_number")
    assert widget.answer_box.description == "Your answer:"
    widget.answer_box.value = "about 140"
    widget.check_button.click()
    assert plain(widget).startswith("“about 140” is not a number.")
    assert widget.record.attempts == 0 and widget.tries == 0

    widget.answer_box.value = "141"
    widget.check_button.click()
    assert plain(widget).startswith("Not quite. 141 is the March 2022 vote")
    widget.answer_box.value = "143 states"
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")
    assert widget.record.attempts == 2


def test_short_text_answer_accepts_variants_of_case_space_and_punctuation(tmp_path, store):
    widget = quiz_for(tmp_path, store, "short_text")
    widget.answer_box.value = "  madrid. "
    widget.check_button.click()
    assert plain(widget).startswith("Correct.")
    assert widget.record.first_try


# ---------------------------------------------------------------------------------------------
# Static forms never show the answer
# ---------------------------------------------------------------------------------------------


def _secrets(question) -> list[str]:
    """Every text that would give the answer away: feedback, explanation, accepted answers."""
    texts = [question.explanation]
    for name in ("options", "items", "wrong_answers"):
        texts += [part.feedback for part in getattr(question, name, ())]
    texts += [getattr(question, "feedback_true", ""), getattr(question, "feedback_false", "")]
    texts += [getattr(question, "feedback", "")] + list(getattr(question, "accepted", ()))
    return [t for t in texts if t]


ALL_SHIPPED = [(lesson, qid) for lesson in bank_names() for qid in load_bank(lesson).ids]


@pytest.mark.parametrize(("lesson", "question_id"), ALL_SHIPPED)
def test_static_forms_of_shipped_questions_show_the_question_but_not_the_answer(lesson, question_id):
    question = load_bank(lesson).question(question_id)
    for shown in (question_as_text(question), html.unescape(question_as_html(question))):
        assert question.prompt in shown
        for secret in _secrets(question):
            assert secret not in shown, secret


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_widget_bundle_is_the_widget_alone_so_the_question_is_not_shown_twice(tmp_path, store, kind):
    bundle = quiz_for(tmp_path, store, kind)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "text/html" not in bundle and bundle["text/plain"] == ""


def test_static_ordering_lists_items_in_the_shuffled_order_not_the_answer(tmp_path):
    question = load_example(tmp_path, "ordering")
    text = question_as_text(question)
    positions = [text.index(item.text) for item in question.items]
    assert positions != sorted(positions)
    shown = [question.items[i].text for i in question.display_order]
    assert [text.index(t) for t in shown] == sorted(text.index(t) for t in shown)


# ---------------------------------------------------------------------------------------------
# ask(): a widget in a live front end, text under nbgrader
# ---------------------------------------------------------------------------------------------


def test_ask_displays_the_page_copy_then_the_live_widget(monkeypatch):
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append((objs, kw)))
    assert ask("01-the-argument", "horizons") is None
    (page, page_kw), (live, _kw) = shown
    assert page_kw.get("raw") is True
    assert 'data-kn-live="kn-live-01-the-argument--horizons"' in page[0]["text/html"]
    assert '<div class="kn-quiz" data-question-id="horizons"' in page[0]["text/html"]
    assert page[0]["text/plain"].startswith("Quiz question:")
    assert isinstance(live[0], ClassificationQuiz)
    assert "kn-live-01-the-argument--horizons" in live[0]._dom_classes


def test_ask_under_nbgrader_shows_text_without_answer_or_widget(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    shown, created = [], []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append((objs, kw)))
    monkeypatch.setattr(widgets.Widget, "open", lambda self: created.append(self))
    question = load_bank("01-the-argument").question("thesis")

    assert ask("01-the-argument", "thesis") is None

    ((objs, kw),) = shown
    assert kw.get("raw") is True
    assert not created, "no widget may be created under nbgrader"
    for mime in ("text/plain", "text/html"):
        text = html.unescape(objs[0][mime])
        assert question.prompt in text
        for option in question.options:
            assert option.text in text
        for secret in _secrets(question):
            assert secret not in text


def test_widgets_share_the_lesson_of_their_bank(tmp_path, store):
    widget = quiz_for(tmp_path, store, "single")
    widget.choices.value = "A deliberate and durable turn"
    widget.check_button.click()
    assert set(store.records(LESSON)) == {"thesis"}
