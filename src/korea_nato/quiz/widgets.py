"""The ipywidgets front end: one widget class per question type, and the lesson's score panel.

Every quiz is a :class:`QuizWidget`: the prompt, the type's controls, a "Check answer" button and a
feedback area. Tests drive a quiz like a student would, by setting the controls' ``.value`` and
calling ``.click()`` on buttons, then read :attr:`QuizWidget.last_verdict`, ``feedback.value`` and
:attr:`QuizWidget.record`.

Accessibility: every control has a visible label and works from the keyboard with Tab, Space and
Enter alone: radio buttons (each one its own Tab stop), check boxes, buttons and a text box.
Nothing relies on the arrow keys, which JupyterLab takes in command mode to move between cells.
Feedback is given in words ("Correct.", "Not quite.", "Partly right: 3 of 4.") in a
``role="status"`` region, and colour only repeats what the words say.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from .bank import (
    ClassificationQuestion,
    MultipleChoiceQuestion,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TrueFalseQuestion,
    load_bank,
)
from .grading import Verdict, grade
from .progress import ProgressStore, QuestionRecord, default_store, summarise
from .static import INSTRUCTION, question_as_html, question_as_text, summary_lines

__all__ = [
    "EXPLAIN_AFTER_TRIES",
    "ClassificationQuiz",
    "MultipleChoiceQuiz",
    "OrderingQuiz",
    "QuizWidget",
    "ScorePanel",
    "ShortAnswerQuiz",
    "SingleChoiceQuiz",
    "TrueFalseQuiz",
    "make_quiz",
]

#: The explanation is shown after a correct answer, or after this many tries at one widget.
EXPLAIN_AFTER_TRIES = 3

#: Long labels wrap instead of being cut off with an ellipsis (ipywidgets' default).
_STYLE = (
    "<style>"
    ".kn-quiz .widget-label, .kn-quiz .widget-radio-box label, .kn-quiz .widget-checkbox label"
    " {white-space: normal; overflow: visible; text-overflow: clip; height: auto; line-height: 1.4;}"
    ".kn-quiz .widget-radio-box label {margin-bottom: 0.3em;}"
    ".kn-quiz .kn-classify-row {flex-wrap: wrap;}"
    ".kn-quiz .kn-classify-row > .widget-label {flex: 1 0 100%; font-weight: 600;}"
    ".kn-quiz .kn-classify-row .widget-radio-box label {margin-right: 1.5em;}"
    ".kn-verdict {border-left: 4px solid #888; padding: 0.2em 0.8em; margin: 0.3em 0;}"
    ".kn-verdict-correct {border-left-color: #1a7f37;}"
    ".kn-verdict-partial {border-left-color: #9a6700;}"
    ".kn-verdict-wrong {border-left-color: #cf222e;}"
    "</style>"
)
_WIDE = widgets.Layout(width="auto")
_MOVE_BUTTON = widgets.Layout(width="8.5em", min_width="8.5em")
_ROW = widgets.Layout(align_items="center")
_LABEL_STYLE = {"description_width": "initial"}


def _verdict_html(verdict: Verdict, explanation: str | None, *, explained_after_tries: bool) -> str:
    """The feedback area: headline in bold words, notes, and the explanation when it is due."""
    notes = list(verdict.notes)
    lead = notes.pop(0) if notes else ""
    parts = [f"<p><strong>{html.escape(verdict.headline)}</strong> {html.escape(lead)}</p>"]
    if notes and verdict.total > 1:
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    elif notes:
        parts[0] = parts[0][: -len("</p>")] + " " + html.escape(" ".join(notes)) + "</p>"
    if verdict.is_attempt and not verdict.correct:
        parts.append("<p>Change your answer and press “Check answer” again.</p>")
    if explanation:
        label = "Explanation (shown after three tries)." if explained_after_tries else "Explanation."
        parts.append(f"<p><strong>{label}</strong> {html.escape(explanation)}</p>")
    status = verdict.status if verdict.is_attempt else "unanswered"
    return (
        f'<div class="kn-verdict kn-verdict-{status}" role="status" aria-live="polite">{"".join(parts)}</div>'
    )


class QuizWidget(widgets.VBox):
    """Prompt, controls, "Check answer" button and feedback for one question.

    Subclasses build their controls in :meth:`_controls` and read the student's answer in
    :meth:`response`, which is handed to :func:`korea_nato.quiz.grading.grade`.
    """

    def __init__(self, question: Question, *, store: ProgressStore | None = None, **kwargs: Any) -> None:
        self.question = question
        self.store = store if store is not None else default_store()
        #: Checked answers at this widget (the explanation shows after EXPLAIN_AFTER_TRIES of them).
        self.tries = 0
        self.last_verdict: Verdict | None = None
        self.prompt = widgets.HTML(
            value=f"{_STYLE}<p><strong>Question.</strong> {html.escape(question.prompt)}</p>"
            f"<p><em>{html.escape(INSTRUCTION[question.type])}</em></p>"
        )
        self.check_button = widgets.Button(
            description="Check answer", tooltip="Check your answer", button_style="primary"
        )
        self.feedback = widgets.HTML(value="")
        self.feedback.add_class("kn-feedback")
        self.check_button.on_click(lambda _button: self.check())
        controls = self._controls()
        super().__init__(children=[self.prompt, *controls, self.check_button, self.feedback], **kwargs)
        self.add_class("kn-quiz")
        self.add_class(f"kn-quiz-{question.id}")

    # -- subclass hooks ---------------------------------------------------------------------

    def _controls(self) -> list[widgets.Widget]:
        raise NotImplementedError

    def response(self) -> Any:
        """The student's current answer, in the shape :func:`grade` takes for this type."""
        raise NotImplementedError

    # -- behaviour --------------------------------------------------------------------------

    @property
    def record(self) -> QuestionRecord:
        """This question's saved progress (attempts, solved, first try)."""
        return self.store.record(self.question.lesson, self.question.id)

    def check(self) -> Verdict:
        """Judge the current answer, record it if it counts as a try, and show the feedback."""
        verdict = grade(self.question, self.response())
        if verdict.is_attempt:
            self.tries += 1
            self.store.record_attempt(self.question.lesson, self.question.id, verdict.correct)
        explain = verdict.correct or (verdict.is_attempt and self.tries >= EXPLAIN_AFTER_TRIES)
        self.feedback.value = _verdict_html(
            verdict, self.question.explanation if explain else None, explained_after_tries=not verdict.correct
        )
        self.last_verdict = verdict
        return verdict

    def _answer_changed(self, _change: Any = None) -> None:
        """A changed answer has not been checked: do not leave the old verdict beside it."""
        self.feedback.value = ""
        self.last_verdict = None

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = question_as_text(self.question)
        bundle["text/html"] = question_as_html(self.question)
        return bundle


class SingleChoiceQuiz(QuizWidget):
    """Radio buttons; set ``choices.value`` to an option's text."""

    question: SingleChoiceQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.choices = widgets.RadioButtons(
            options=[o.text for o in self.question.options],
            value=None,
            description="Your answer:",
            style=_LABEL_STYLE,
            layout=_WIDE,
        )
        self.choices.observe(self._answer_changed, names="value")
        return [self.choices]

    def response(self) -> int | None:
        return self.choices.index


class MultipleChoiceQuiz(QuizWidget):
    """One check box per option; set ``boxes[i].value = True`` to tick option ``i``."""

    question: MultipleChoiceQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.boxes = [
            widgets.Checkbox(value=False, description=o.text, indent=False, layout=_WIDE)
            for o in self.question.options
        ]
        for box in self.boxes:
            box.observe(self._answer_changed, names="value")
        return [widgets.Label("Your answers (tick all that apply):"), *self.boxes]

    def response(self) -> set[int]:
        return {i for i, box in enumerate(self.boxes) if box.value}


class TrueFalseQuiz(QuizWidget):
    """Two radio buttons; set ``choices.value`` to ``"True"`` or ``"False"``."""

    question: TrueFalseQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.choices = widgets.RadioButtons(
            options=["True", "False"], value=None, description="Your answer:", style=_LABEL_STYLE
        )
        self.choices.observe(self._answer_changed, names="value")
        return [self.choices]

    def response(self) -> bool | None:
        return {"True": True, "False": False}.get(self.choices.value)


class OrderingQuiz(QuizWidget):
    """One row per place: "Move up" and "Move down" buttons, then the item now in that place.

    ``up_buttons[p].click()`` swaps the items in places ``p`` and ``p - 1``; :attr:`order` is
    the current order (item positions as in the bank, so ``[0, 1, 2, ...]`` is correct).
    """

    question: OrderingQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.order = list(self.question.display_order)
        places = range(len(self.order))
        self.up_buttons = [widgets.Button(description="Move up", layout=_MOVE_BUTTON) for _ in places]
        self.down_buttons = [widgets.Button(description="Move down", layout=_MOVE_BUTTON) for _ in places]
        self.item_labels = [widgets.HTML() for _ in places]
        for place in places:
            self.up_buttons[place].on_click(lambda _button, place=place: self.move(place, -1))
            self.down_buttons[place].on_click(lambda _button, place=place: self.move(place, +1))
        # The ends cannot move further; disabled buttons also drop out of the Tab order.
        self.up_buttons[0].disabled = True
        self.down_buttons[-1].disabled = True
        self._show_order()
        rows = [
            widgets.HBox([self.up_buttons[p], self.down_buttons[p], self.item_labels[p]], layout=_ROW)
            for p in places
        ]
        return [widgets.Label("Current order, first at the top:"), *rows]

    def _show_order(self) -> None:
        for place, item in enumerate(self.order):
            text = self.question.items[item].text
            self.item_labels[place].value = f"{place + 1}. {html.escape(text)}"
            self.up_buttons[place].tooltip = f"Move “{text}” up one place"
            self.down_buttons[place].tooltip = f"Move “{text}” down one place"

    def move(self, place: int, step: int) -> None:
        """Swap the item in ``place`` with its neighbour ``step`` places away (−1 is up)."""
        other = place + step
        if not 0 <= other < len(self.order):
            return
        self.order[place], self.order[other] = self.order[other], self.order[place]
        self._show_order()
        self._answer_changed()

    def response(self) -> list[int]:
        return list(self.order)


class ClassificationQuiz(QuizWidget):
    """One row of radio buttons per item, labelled with the item; set ``selectors[i].value`` to a category."""

    question: ClassificationQuestion

    def _controls(self) -> list[widgets.Widget]:
        # Each item's name on its own line, its categories side by side below it.
        self.selectors = [
            widgets.RadioButtons(
                options=list(self.question.categories),
                value=None,
                description=item.text,
                orientation="horizontal",
                style=_LABEL_STYLE,
                layout=_WIDE,
            )
            for item in self.question.items
        ]
        for selector in self.selectors:
            selector.add_class("kn-classify-row")
            selector.observe(self._answer_changed, names="value")
        return [widgets.Label(f"Categories: {', '.join(self.question.categories)}."), *self.selectors]

    def response(self) -> list[str | None]:
        return [selector.value for selector in self.selectors]


class ShortAnswerQuiz(QuizWidget):
    """A text box (with the unit beside it, if any); set ``answer_box.value`` to the typed text."""

    question: ShortAnswerQuestion

    def _controls(self) -> list[widgets.Widget]:
        number = self.question.answer_kind == "number"
        self.answer_box = widgets.Text(
            value="",
            description="Your answer:",
            placeholder="a number, e.g. 42" if number else "a word or short phrase",
            style=_LABEL_STYLE,
        )
        self.answer_box.observe(self._answer_changed, names="value")
        row = [self.answer_box] + ([widgets.Label(self.question.unit)] if self.question.unit else [])
        return [widgets.HBox(row, layout=_ROW)]

    def response(self) -> str:
        return self.answer_box.value


_WIDGETS: dict[type[Question], type[QuizWidget]] = {
    SingleChoiceQuestion: SingleChoiceQuiz,
    MultipleChoiceQuestion: MultipleChoiceQuiz,
    TrueFalseQuestion: TrueFalseQuiz,
    OrderingQuestion: OrderingQuiz,
    ClassificationQuestion: ClassificationQuiz,
    ShortAnswerQuestion: ShortAnswerQuiz,
}


def make_quiz(question: Question, *, store: ProgressStore | None = None) -> QuizWidget:
    """Build (but do not display) the widget for ``question``."""
    return _WIDGETS[type(question)](question, store=store)


# --------------------------------------------------------------------------------------------
# Score panel
# --------------------------------------------------------------------------------------------


def panel_static_text(lesson: str) -> str:
    return f"Score panel for lesson {lesson}: run this notebook in JupyterLab to see your progress."


class ScorePanel(widgets.VBox):
    """A lesson's progress in words, updated after every checked answer in that lesson."""

    def __init__(self, lesson: str, *, store: ProgressStore | None = None, **kwargs: Any) -> None:
        self.bank = load_bank(lesson)
        self.store = store if store is not None else default_store()
        self.body = widgets.HTML()
        super().__init__(children=[self.body], **kwargs)
        self.add_class("kn-score-panel")
        self.store.subscribe(lesson, self.refresh)
        self.refresh()

    @property
    def summary(self):
        return summarise(self.bank, self.store.records(self.bank.lesson))

    @property
    def text(self) -> str:
        """The panel's words as plain text, one line per sentence."""
        return "\n".join(summary_lines(self.summary))

    def refresh(self) -> None:
        lines = summary_lines(self.summary)
        head, revisit = lines[:3], lines[3:]
        body = "".join(f"<p>{html.escape(line)}</p>" for line in head)
        if revisit:
            body += "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in revisit) + "</ul>"
        saved = (
            f"Could not use the progress file: {self.store.problem}"
            if self.store.problem
            else f"Your progress is saved on this computer in {self.store.path}."
        )
        self.body.value = (
            "<style>.kn-score p, .kn-score li {margin: 0.25em 0;}</style>"
            '<div class="kn-score" role="status" aria-live="polite" style="border: 1px solid #888; '
            'padding: 0.3em 0.8em;">'
            f"<p><strong>Your progress in lesson {html.escape(self.bank.lesson)}</strong></p>{body}"
            f"<p><small>{html.escape(saved)}</small></p></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = panel_static_text(self.bank.lesson)
        bundle["text/html"] = f"<p><em>{html.escape(panel_static_text(self.bank.lesson))}</em></p>"
        return bundle
