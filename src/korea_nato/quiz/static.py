"""Static forms of quizzes and score panels: plain text and HTML for nbviewer, GitHub and nbgrader.

A static question shows the prompt and what the student would choose from, never the answer:
no ``correct`` flags, no feedback, no explanation, and ordering items only in their shuffled order.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from .bank import (
    ClassificationQuestion,
    MultipleChoiceQuestion,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)
from .progress import LessonSummary

__all__ = ["INSTRUCTION", "NO_FRONT_END_NOTE", "question_as_html", "question_as_text", "summary_lines"]

NO_FRONT_END_NOTE = "(Run this notebook in JupyterLab to answer and get feedback.)"

#: What the student is asked to do, per question type.
INSTRUCTION = {
    "single": "Choose one answer.",
    "multiple": "Tick every answer that is right (there may be more than one).",
    "true_false": "Is this statement true or false?",
    "ordering": "Put the items in order, first at the top: choose each item's place.",
    "classification": "Choose a category for each item.",
    "short_answer": "Type your answer.",
}


def _choices(question: Question, order: Sequence[int] | None = None) -> tuple[str, list[str]]:
    """A marker for the choice kind and the texts the student chooses among (never the answer).

    ``order`` lists the options' (or ordering items') bank positions in the order to show them
    (default: the bank's order for options, the question's own shuffle for ordering items).
    """
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        marker = "( )" if isinstance(question, SingleChoiceQuestion) else "[ ]"
        shown = order if order is not None else range(len(question.options))
        return marker, [question.options[i].text for i in shown]
    if isinstance(question, TrueFalseQuestion):
        return "( )", ["True", "False"]
    if isinstance(question, OrderingQuestion):
        shown = order if order is not None else question.display_order
        return "", [f"{n}. {question.items[i].text}" for n, i in enumerate(shown, start=1)]
    if isinstance(question, ClassificationQuestion):
        return "[ ? ]", [item.text for item in question.items]
    if isinstance(question, ShortAnswerQuestion):
        unit = f" {question.unit}" if question.unit else ""
        return "", [f"Your answer: ________{unit}"]
    raise TypeError(f"no static form for {type(question).__name__}")


def _extra(question: Question) -> str:
    if isinstance(question, ClassificationQuestion):
        return "Categories: " + ", ".join(question.categories) + "."
    return ""


def question_as_text(question: Question, order: Sequence[int] | None = None) -> str:
    """The question and what to choose from, as plain text, without the answer or any feedback."""
    marker, choices = _choices(question, order)
    lines = [f"Quiz question: {question.prompt}", INSTRUCTION[question.type]]
    if _extra(question):
        lines.append(_extra(question))
    lines += [f"  {marker} {text}".rstrip() if marker else f"  {text}" for text in choices]
    lines.append(NO_FRONT_END_NOTE)
    return "\n".join(lines)


def question_as_html(question: Question) -> str:
    """The question and what to choose from, as static HTML, without the answer or any feedback."""
    marker, choices = _choices(question)
    tag = "ol" if isinstance(question, OrderingQuestion) else "ul"
    shown = [text.split(". ", 1)[1] if tag == "ol" else text for text in choices]
    items = "".join(f"<li>{html.escape(text)}</li>" for text in shown)
    extra = f"<p>{html.escape(_extra(question))}</p>" if _extra(question) else ""
    return (
        f'<div class="kn-quiz-static kn-quiz-{question.id}">'
        f"<p><strong>Quiz question:</strong> {html.escape(question.prompt)}</p>"
        f"<p>{html.escape(INSTRUCTION[question.type])}</p>{extra}"
        f"<{tag}>{items}</{tag}>"
        f"<p><em>{html.escape(NO_FRONT_END_NOTE)}</em></p>"
        "</div>"
    )


def summary_lines(summary: LessonSummary) -> list[str]:
    """The score panel in words, one sentence per line (the last ones list what to revisit)."""
    noun = "question" if summary.total == 1 else "questions"
    lines = [
        f"Solved: {summary.solved} of {summary.total} {noun}, {summary.first_try} of them on the first try.",
        f"Still open: {summary.still_open}.",
    ]
    if not summary.to_revisit:
        lines.append("Nothing to revisit." if summary.solved else "Nothing to revisit yet.")
        return lines
    lines.append(f"To revisit ({len(summary.to_revisit)}):")
    lines += [f"{number}. {question.title} ({reason})" for number, question, reason in summary.to_revisit]
    return lines
