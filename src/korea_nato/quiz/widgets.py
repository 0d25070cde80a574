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
from .shuffle import display_order
from .static import INSTRUCTION, summary_lines
from .web import live_class

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
    "WarmUp",
    "make_quiz",
]

#: The explanation is shown after a correct answer, or after this many tries at one widget.
EXPLAIN_AFTER_TRIES = 3

#: Long labels wrap instead of being cut off with an ellipsis (ipywidgets' default).
_STYLE = (
    "<style>"
    ".kn-quiz .widget-label, .kn-quiz .widget-radio-box label, .kn-quiz .widget-checkbox label"
    " {white-space: normal; overflow: visible; text-overflow: clip; height: auto; line-height: 1.4;}"
    # The radio button stays beside its label however long the label is.
    ".kn-quiz .widget-radio-box label"
    " {display: flex; align-items: flex-start; gap: 0.4em; margin-bottom: 0.3em;}"
    ".kn-quiz .widget-radio-box label input {flex: none; margin-top: 0.25em;}"
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
_PLACE = widgets.Layout(width="9em", min_width="9em")
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

    def __init__(
        self, question: Question, *, store: ProgressStore | None = None, live_key: str = "", **kwargs: Any
    ) -> None:
        self.question = question
        self.store = store if store is not None else default_store()
        #: Bank positions of the options (or items) in the order this student sees them.
        self.shown_order = display_order(question, self.store.student)
        #: Checked answers at this widget (the explanation shows after EXPLAIN_AFTER_TRIES of them).
        self.tries = 0
        self.last_verdict: Verdict | None = None
        self._last_checked: Any = None
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
        self.add_class("kn-live")
        self.add_class(f"kn-quiz-{question.id}")
        if live_key:
            self.add_class(live_class(live_key))

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
        """Judge the current answer and show the feedback; record it if it is a new answer.

        Checking the same answer again (a repeated click) shows the same feedback and records nothing.
        """
        response = self.response()
        verdict = grade(self.question, response)
        if verdict.is_attempt and response != self._last_checked:
            self._last_checked = response
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
        # The question's text and HTML forms are in the output just before this one (see ask()):
        # repeating them here would show the question twice on GitHub.
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = ""
        bundle.pop("text/html", None)
        return bundle


class SingleChoiceQuiz(QuizWidget):
    """Radio buttons; set ``choices.value`` to an option's text."""

    question: SingleChoiceQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.choices = widgets.RadioButtons(
            options=[self.question.options[i].text for i in self.shown_order],
            value=None,
            description="Your answer:",
            style=_LABEL_STYLE,
            layout=_WIDE,
        )
        self.choices.observe(self._answer_changed, names="value")
        return [self.choices]

    def response(self) -> int | None:
        """The chosen option's position in the bank (the radio buttons are shuffled)."""
        index = self.choices.index
        return None if index is None else self.shown_order[index]


class MultipleChoiceQuiz(QuizWidget):
    """One check box per option; set ``boxes[i].value = True`` to tick the bank's option ``i``.

    ``boxes`` follows the bank's order; they are shown in the student's shuffled order.
    """

    question: MultipleChoiceQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.boxes = [
            widgets.Checkbox(value=False, description=o.text, indent=False, layout=_WIDE)
            for o in self.question.options
        ]
        for box in self.boxes:
            box.observe(self._answer_changed, names="value")
        shown = [self.boxes[i] for i in self.shown_order]
        return [widgets.Label("Your answers (tick all that apply):"), *shown]

    def response(self) -> frozenset[int]:
        return frozenset(i for i, box in enumerate(self.boxes) if box.value)


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
    """One row per place: a "Place" drop-down, then the item now in that place.

    Choosing place ``q`` in the row of place ``p`` moves that item to place ``q`` (the others shift),
    so sorting takes at most one choice per item; :meth:`move_to` does the same. :attr:`order` is the
    current order (item positions as in the bank, so ``[0, 1, 2, ...]`` is correct).
    """

    question: OrderingQuestion

    def _controls(self) -> list[widgets.Widget]:
        self.order = list(self.shown_order)
        places = range(len(self.order))
        self.place_pickers = [
            widgets.Dropdown(
                options=[(str(q + 1), q) for q in places], value=p, description="Place", layout=_PLACE
            )
            for p in places
        ]
        self.item_labels = [widgets.HTML() for _ in places]
        self._showing = False
        for place, picker in enumerate(self.place_pickers):
            picker.observe(lambda change, place=place: self._picked(place, change["new"]), names="value")
        self._show_order()
        rows = [widgets.HBox([self.place_pickers[p], self.item_labels[p]], layout=_ROW) for p in places]
        return [
            widgets.Label(
                "Current order, first at the top. Choose a new place for an item to move it there."
            ),
            *rows,
        ]

    def _picked(self, place: int, new_place: int) -> None:
        if not self._showing:
            self.move_to(place, new_place)

    def _show_order(self) -> None:
        self._showing = True
        try:
            for place, item in enumerate(self.order):
                text = self.question.items[item].text
                self.item_labels[place].value = html.escape(text)
                self.place_pickers[place].value = place
                self.place_pickers[place].tooltip = f"Place of “{text}”"
        finally:
            self._showing = False

    def move_to(self, place: int, new_place: int) -> None:
        """Move the item in ``place`` to ``new_place`` (0 is the top); the items between shift by one."""
        if not (0 <= place < len(self.order) and 0 <= new_place < len(self.order)):
            raise ValueError(f"places run from 0 to {len(self.order) - 1}, got {place} and {new_place}")
        item = self.order.pop(place)
        self.order.insert(new_place, item)
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


def make_quiz(question: Question, *, store: ProgressStore | None = None, live_key: str = "") -> QuizWidget:
    """Build (but do not display) the widget for ``question``.

    ``live_key`` names the page copy this widget replaces when it renders (see :mod:`.web`).
    """
    return _WIDGETS[type(question)](question, store=store, live_key=live_key)


# --------------------------------------------------------------------------------------------
# Score panel
# --------------------------------------------------------------------------------------------


def panel_static_text(lesson: str) -> str:
    return (
        f"Score panel for lesson {lesson}: run this notebook in JupyterLab to see your progress "
        "(solved questions, first tries, and what to revisit)."
    )


class ScorePanel(widgets.VBox):
    """A lesson's progress in words, updated after every checked answer, with a reset button.

    Counts are per question: solved, solved on the first try, still open. The revisit list names
    the questions by title. "Reset my progress…" asks for confirmation before it forgets anything.
    """

    def __init__(
        self, lesson: str, *, store: ProgressStore | None = None, live_key: str = "", **kwargs: Any
    ) -> None:
        self.bank = load_bank(lesson)
        self.store = store if store is not None else default_store()
        self.body = widgets.HTML()
        self.reset_button = widgets.Button(
            description="Reset my progress…", tooltip=f"Forget every answer in lesson {lesson}"
        )
        self.confirm_text = widgets.HTML(
            f"<p><strong>Forget every answer you gave in lesson {html.escape(lesson)}?</strong> "
            "Other lessons keep theirs. This cannot be undone.</p>"
        )
        self.confirm_button = widgets.Button(description="Yes, reset", button_style="danger")
        self.cancel_button = widgets.Button(description="Cancel")
        self.confirm_box = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_button, self.cancel_button])],
            layout=widgets.Layout(display="none"),
        )
        self.reset_button.on_click(lambda _b: self._ask_to_confirm(True))
        self.cancel_button.on_click(lambda _b: self._ask_to_confirm(False))
        self.confirm_button.on_click(lambda _b: self.reset())
        super().__init__(children=[self.body, self.reset_button, self.confirm_box], **kwargs)
        self.add_class("kn-score-panel")
        self.add_class("kn-live")
        if live_key:
            self.add_class(live_class(live_key))
        self.store.subscribe(lesson, self.refresh)
        self.refresh()

    @property
    def summary(self):
        return summarise(self.bank, self.store.records(self.bank.lesson))

    @property
    def text(self) -> str:
        """The panel's words as plain text, one line per sentence."""
        return "\n".join(summary_lines(self.summary))

    @property
    def confirming(self) -> bool:
        return self.confirm_box.layout.display != "none"

    def _ask_to_confirm(self, show: bool) -> None:
        self.confirm_box.layout.display = "flex" if show else "none"
        self.reset_button.disabled = show

    def reset(self) -> None:
        """Forget this lesson's answers (what "Yes, reset" does)."""
        self._ask_to_confirm(False)
        self.store.reset(self.bank.lesson)

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
        bundle["text/plain"] = ""
        bundle.pop("text/html", None)
        return bundle


class WarmUp(widgets.VBox):
    """A lesson's warm-up: a heading and one live quiz per chosen earlier question.

    Each answer counts in the question's own lesson (its score panel and revisit list).
    """

    def __init__(
        self,
        lesson: str,
        questions: list[Question],
        *,
        store: ProgressStore | None = None,
        live_key: str = "",
        **kwargs: Any,
    ) -> None:
        self.lesson = lesson
        self.store = store if store is not None else default_store()
        self.quizzes = [make_quiz(q, store=self.store) for q in questions]
        lessons = sorted({q.lesson for q in questions})
        intro = widgets.HTML(
            f"<p><strong>Warm-up: {len(questions)} questions from earlier lessons "
            f"({html.escape(', '.join(lessons))}).</strong> Answer from memory before you read on: "
            "recalling what you learnt helps you keep it. Questions you missed before come first.</p>"
        )
        super().__init__(children=[intro, *self.quizzes], **kwargs)
        self.add_class("kn-warm-up")
        self.add_class("kn-live")
        if live_key:
            self.add_class(live_class(live_key))
