"""Checking answers: pure functions from a question and a response to a :class:`Verdict`. No widgets.

The response each type takes:

===================  =========================================================================
``single``           the chosen option's position, or ``None``
``multiple``         the ticked options' positions (any iterable; empty: nothing ticked yet)
``true_false``       ``True``, ``False`` or ``None``
``ordering``         item positions (as in the bank, i.e. the correct order) in the student's order
``classification``   one category name (or ``None``) per item, in the bank's item order
``short_answer``     the typed text
===================  =========================================================================

A response that cannot be judged (nothing chosen, a category left empty, a number that does not
parse) gives a verdict with status ``"unanswered"``: it says what to do and is not an attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .bank import (
    ClassificationQuestion,
    MultipleChoiceQuestion,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)
from .normalise import normalise_text, numbers_match, parse_number

__all__ = ["CORRECT", "PARTIAL", "UNANSWERED", "WRONG", "Verdict", "grade"]

CORRECT, PARTIAL, WRONG, UNANSWERED = "correct", "partial", "wrong", "unanswered"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check.

    ``headline`` says it in words ("Correct.", "Not quite.", "Partly right: 3 of 4."); ``notes``
    are the feedback sentences that go with it; ``right`` of ``total`` parts were right.
    """

    status: str
    headline: str
    notes: tuple[str, ...] = ()
    right: int = 0
    total: int = 1

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    @property
    def is_attempt(self) -> bool:
        """False when the response could not be judged (and so does not count as a try)."""
        return self.status != UNANSWERED

    @property
    def score(self) -> float:
        """The share of parts right, from 0 to 1 (the partial credit)."""
        return self.right / self.total

    @property
    def message(self) -> str:
        return " ".join((self.headline, *self.notes))


def _unanswered(headline: str, hint: str) -> Verdict:
    return Verdict(UNANSWERED, headline, (hint,), right=0, total=1)


def _parts(right: int, total: int, summary: str, notes: list[str]) -> Verdict:
    """A verdict for a question of several parts, with partial credit in the headline."""
    if right == total:
        return Verdict(CORRECT, "Correct.", (), right, total)
    if right == 0:
        return Verdict(WRONG, "Not quite.", (summary, *notes), right, total)
    return Verdict(PARTIAL, f"Partly right: {right} of {total}.", (summary, *notes), right, total)


def _labelled(text: str, feedback: str) -> str:
    return f"“{text}”: {feedback}"


def _grade_single(question: SingleChoiceQuestion, choice: int | None) -> Verdict:
    if choice is None:
        return _unanswered("No answer selected yet.", "Choose one of the options, then press “Check answer”.")
    option = question.options[choice]
    if option.correct:
        return Verdict(CORRECT, "Correct.", (option.feedback,), 1, 1)
    return Verdict(WRONG, "Not quite.", (option.feedback, "Try another option."), 0, 1)


def _grade_multiple(question: MultipleChoiceQuestion, ticked: Iterable[int]) -> Verdict:
    ticked = set(ticked)
    if not ticked:
        return _unanswered(
            "Nothing ticked yet.", "Tick every option you think is right, then press “Check answer”."
        )
    misjudged = [o for i, o in enumerate(question.options) if (i in ticked) != o.correct]
    right = len(question.options) - len(misjudged)
    summary = (
        f"{right} of {len(question.options)} options are judged correctly "
        "(ticked when right, left blank when wrong)."
    )
    return _parts(right, len(question.options), summary, [_labelled(o.text, o.feedback) for o in misjudged])


def _grade_true_false(question: TrueFalseQuestion, answer: bool | None) -> Verdict:
    if answer is None:
        return _unanswered("No answer selected yet.", "Choose True or False, then press “Check answer”.")
    feedback = question.feedback_true if answer else question.feedback_false
    if answer == question.answer:
        return Verdict(CORRECT, "Correct.", (feedback,), 1, 1)
    return Verdict(WRONG, "Not quite.", (feedback,), 0, 1)


def _grade_ordering(question: OrderingQuestion, order: Sequence[int]) -> Verdict:
    """How many items are in place and the first neighbouring pair out of order; never the items' dates."""
    order = list(order)
    if sorted(order) != list(range(len(question.items))):
        raise ValueError(f"an ordering response must list each item position once, got {order!r}")
    right = sum(item == place for place, item in enumerate(order))
    swapped = next((p for p in range(len(order) - 1) if order[p] > order[p + 1]), None)
    if swapped is None:
        return Verdict(CORRECT, "Correct.", (), right, len(order))
    first, second = question.items[order[swapped]].text, question.items[order[swapped + 1]].text
    summary = f"{right} of {len(order)} items are in the right place."
    pair = f"The first pair out of order: “{first}” should come after “{second}”."
    headline = "Not quite." if right == 0 else f"Partly right: {right} of {len(order)}."
    return Verdict(WRONG if right == 0 else PARTIAL, headline, (summary, pair), right, len(order))


def _grade_classification(question: ClassificationQuestion, chosen: Sequence[str | None]) -> Verdict:
    chosen = list(chosen)
    if len(chosen) != len(question.items):
        raise ValueError(f"expected one category per item ({len(question.items)}), got {len(chosen)}")
    missing = sum(category is None for category in chosen)
    if missing:
        items = "item has" if missing == 1 else "items have"
        return _unanswered(
            "Not every item has a category yet.", f"{missing} {items} none: choose one for each."
        )
    unknown = [c for c in chosen if c not in question.categories]
    if unknown:
        raise ValueError(f"unknown category {unknown[0]!r}; categories are {question.categories}")
    wrong = [item for item, category in zip(question.items, chosen, strict=True) if category != item.category]
    right = len(chosen) - len(wrong)
    summary = f"{right} of {len(chosen)} items are sorted into the right category."
    return _parts(right, len(chosen), summary, [_labelled(i.text, i.feedback) for i in wrong])


def _grade_short_answer(question: ShortAnswerQuestion, typed: str | None) -> Verdict:
    typed = (typed or "").strip()
    if not typed:
        return _unanswered("No answer typed yet.", "Type your answer in the box, then press “Check answer”.")
    if question.answer_kind == "number":
        value = parse_number(typed, question.unit)
        if value is None:
            unit = f", optionally followed by {question.unit}" if question.unit else ""
            return _unanswered(
                f"“{typed}” is not a number.",
                f"Type digits only, such as 42 or 3.5{unit}. This did not count as a try.",
            )
        if numbers_match(value, question.answer, question.tolerance):
            return Verdict(CORRECT, "Correct.", (), 1, 1)
        for wrong in question.wrong_answers:
            if numbers_match(value, wrong.answer, question.tolerance):
                return Verdict(WRONG, "Not quite.", (wrong.feedback,), 0, 1)
        return Verdict(WRONG, "Not quite.", (question.feedback,), 0, 1)

    given = normalise_text(typed)
    if given in {normalise_text(text) for text in question.accepted}:
        return Verdict(CORRECT, "Correct.", (), 1, 1)
    for wrong in question.wrong_answers:
        if given == normalise_text(wrong.answer):
            return Verdict(WRONG, "Not quite.", (wrong.feedback,), 0, 1)
    return Verdict(WRONG, "Not quite.", (question.feedback,), 0, 1)


_GRADERS = {
    SingleChoiceQuestion: _grade_single,
    MultipleChoiceQuestion: _grade_multiple,
    TrueFalseQuestion: _grade_true_false,
    OrderingQuestion: _grade_ordering,
    ClassificationQuestion: _grade_classification,
    ShortAnswerQuestion: _grade_short_answer,
}


def grade(question: Question, response) -> Verdict:
    """Judge ``response`` (shape depends on the question type, see the module doc) to ``question``."""
    return _GRADERS[type(question)](question, response)
