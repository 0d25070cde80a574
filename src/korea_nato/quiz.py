"""Data-driven quizzes for the lessons: load and validate question banks, render them as widgets.

A lesson asks one question per cell::

    from korea_nato.quiz import ask
    ask("01-the-argument", "thesis")

The module has three layers, kept apart so that new question types can be added later:

1. **Data** -- :class:`Option`, :class:`Question` and :class:`Bank`, plain frozen dataclasses.
2. **Loading and validation** -- :func:`load_bank` (a bank shipped in ``korea_nato/quizzes/``,
   cached) and :func:`load_bank_file` (any file) turn JSON into those dataclasses and raise
   :class:`QuizBankError` for anything malformed. No widget code runs here.
3. **Rendering and recording** -- :class:`AnswerLog` records attempts without any widget;
   :class:`SingleChoiceQuiz` is the ipywidgets front end; :func:`question_as_text` and
   :func:`question_as_html` are the static forms shown by nbviewer/GitHub and under
   nbgrader. Static forms never show which option is correct.

Bank format (one JSON file per lesson, ``quizzes/<lesson>.json``)::

    {
      "lesson": "01-the-argument",              # must equal the file name without .json
      "questions": [
        {
          "id": "thesis",                       # unique in the bank: lower case, digits, "-"
          "type": "single",                     # one of QUESTION_TYPES
          "prompt": "...",                      # plain text (escaped when rendered)
          "options": [                          # at least two, option texts unique
            {"text": "...", "correct": true, "feedback": "..."},
            {"text": "...", "correct": false, "feedback": "..."}
          ],
          "explanation": "...",                 # shown after a correct answer
          "source": "ARTICLE.md §2 Thesis"      # the fact sheet section the question rests on
        }
      ]
    }

Every field is required and unknown keys are rejected (a misspelt ``"explaination"`` is an
error, not a silently missing explanation). A ``single`` question has exactly one correct
option.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

__all__ = [
    "QUESTION_TYPES",
    "AnswerLog",
    "Bank",
    "Option",
    "Question",
    "QuizBankError",
    "SingleChoiceQuiz",
    "Verdict",
    "ask",
    "bank_names",
    "load_bank",
    "load_bank_file",
    "make_quiz",
    "parse_bank",
    "question_as_html",
    "question_as_text",
    "running_headless",
]

#: The environment variable nbgrader sets while it executes a notebook.
HEADLESS_ENV_VAR = "NBGRADER_EXECUTION"

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BANK_KEYS = {"lesson", "questions"}
_QUESTION_KEYS = {"id", "type", "prompt", "options", "explanation", "source"}
_OPTION_KEYS = {"text", "correct", "feedback"}


# --------------------------------------------------------------------------------------------
# Errors and data
# --------------------------------------------------------------------------------------------


class QuizBankError(ValueError):
    """A question bank is malformed.

    The message names the file, the question (by id, or by position when the id itself is
    the problem) and the field; the same parts are available as attributes.
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        question_id: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.problem = problem
        self.question_id = question_id
        self.field = field
        self.line = line
        where = [file]
        if line is not None:
            where.append(f"line {line}")
        if question_id is not None:
            # A question whose own id is missing or malformed is named by position: "#2".
            label = question_id if question_id.startswith("#") else repr(question_id)
            where.append(f"question {label}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


@dataclass(frozen=True)
class Option:
    """One answer option: its text, whether it is correct, and the feedback it triggers."""

    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    """One validated question. ``source`` names the fact-sheet section it rests on."""

    id: str
    type: str
    prompt: str
    options: tuple[Option, ...]
    explanation: str
    source: str
    lesson: str = ""

    @property
    def correct_indices(self) -> tuple[int, ...]:
        """Positions of the correct options (exactly one for a ``single`` question)."""
        return tuple(i for i, option in enumerate(self.options) if option.correct)


@dataclass(frozen=True)
class Bank:
    """A lesson's validated question bank, questions in file order."""

    lesson: str
    questions: tuple[Question, ...]
    file: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def question(self, question_id: str) -> Question:
        """Return the question with this id; ``LookupError`` names the ids that exist."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise LookupError(
            f"no question {question_id!r} in quiz bank {self.lesson!r}; "
            f"its questions are: {', '.join(self.ids)}"
        )


# --------------------------------------------------------------------------------------------
# Loading and validation (no widgets here)
# --------------------------------------------------------------------------------------------


def _check_single(question: Question, fail: Callable[..., QuizBankError]) -> None:
    """A single-choice question has exactly one correct option."""
    n_correct = len(question.correct_indices)
    if n_correct == 0:
        raise fail("no option is marked correct; a 'single' question needs exactly one", field="options")
    if n_correct > 1:
        raise fail(
            f"{n_correct} options are marked correct; a 'single' question needs exactly one", field="options"
        )


#: Question types and the type-specific check each one adds to the common validation.
#: A new type registers a checker here and a widget in ``_WIDGETS``.
QUESTION_TYPES: dict[str, Callable[[Question, Callable[..., QuizBankError]], None]] = {
    "single": _check_single,
}


def _require_text(obj: dict, key: str, fail: Callable[..., QuizBankError], *, field_name: str) -> str:
    if key not in obj:
        raise fail("is missing", field=field_name)
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"must be a non-empty string, got {value!r}", field=field_name)
    return value.strip()


def _reject_unknown_keys(
    obj: dict, allowed: set[str], fail: Callable[..., QuizBankError], *, prefix: str = ""
) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise fail(f"unknown key; allowed keys are {', '.join(sorted(allowed))}", field=prefix + unknown[0])


def _parse_option(raw: Any, position: int, fail: Callable[..., QuizBankError]) -> Option:
    prefix = f"options[{position}]"
    if not isinstance(raw, dict):
        raise fail(f"must be an object with keys text, correct, feedback; got {raw!r}", field=prefix)
    _reject_unknown_keys(raw, _OPTION_KEYS, fail, prefix=prefix + ".")
    text = _require_text(raw, "text", fail, field_name=f"{prefix}.text")
    feedback = _require_text(raw, "feedback", fail, field_name=f"{prefix}.feedback")
    if "correct" not in raw:
        raise fail("is missing", field=f"{prefix}.correct")
    if not isinstance(raw["correct"], bool):
        raise fail(f"must be true or false, got {raw['correct']!r}", field=f"{prefix}.correct")
    return Option(text=text, correct=raw["correct"], feedback=feedback)


def _parse_question(raw: Any, position: int, lesson: str, file: str) -> Question:
    label = f"#{position + 1}"

    def fail(problem: str, *, field: str | None = None) -> QuizBankError:
        return QuizBankError(file, problem, question_id=label, field=field)

    if not isinstance(raw, dict):
        raise fail(f"must be an object, got {type(raw).__name__}")
    raw_id = raw.get("id")
    if isinstance(raw_id, str) and _ID_PATTERN.match(raw_id):
        label = raw_id
    elif "id" not in raw:
        raise fail("is missing", field="id")
    else:
        raise fail(f"must be lower-case letters, digits and '-', got {raw_id!r}", field="id")
    _reject_unknown_keys(raw, _QUESTION_KEYS, fail)

    qtype = _require_text(raw, "type", fail, field_name="type")
    if qtype not in QUESTION_TYPES:
        raise fail(
            f"unknown question type {qtype!r}; known types: {', '.join(sorted(QUESTION_TYPES))}", field="type"
        )
    prompt = _require_text(raw, "prompt", fail, field_name="prompt")
    explanation = _require_text(raw, "explanation", fail, field_name="explanation")
    source = _require_text(raw, "source", fail, field_name="source")

    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or len(raw_options) < 2:
        raise fail("must be a list of at least two options", field="options")
    options = tuple(_parse_option(o, i, fail) for i, o in enumerate(raw_options))
    texts = [o.text for o in options]
    for i, text in enumerate(texts):
        if texts.index(text) != i:
            raise fail(
                f"repeats the text of options[{texts.index(text)}]: {text!r}", field=f"options[{i}].text"
            )

    question = Question(
        id=label,
        type=qtype,
        prompt=prompt,
        options=options,
        explanation=explanation,
        source=source,
        lesson=lesson,
    )
    QUESTION_TYPES[qtype](question, fail)
    return question


def parse_bank(data: Any, file: str, *, expected_lesson: str | None = None) -> Bank:
    """Validate already-decoded JSON ``data`` and return a :class:`Bank`.

    ``file`` is only used in error messages. If ``expected_lesson`` is given, the bank's
    ``lesson`` must equal it (the loaders pass the file name without ``.json``).
    """

    def fail(problem: str, *, field: str | None = None) -> QuizBankError:
        return QuizBankError(file, problem, field=field)

    if not isinstance(data, dict):
        raise fail(f"the bank must be a JSON object, got {type(data).__name__}")
    _reject_unknown_keys(data, _BANK_KEYS, fail)
    lesson = _require_text(data, "lesson", fail, field_name="lesson")
    if expected_lesson is not None and lesson != expected_lesson:
        raise fail(f"is {lesson!r} but the file is named {expected_lesson}.json", field="lesson")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise fail("must be a non-empty list", field="questions")

    questions: list[Question] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_questions):
        question = _parse_question(raw, position, lesson, file)
        if question.id in seen:
            raise QuizBankError(
                file, "duplicate id; ids must be unique within a bank", question_id=question.id, field="id"
            )
        seen.add(question.id)
        questions.append(question)
    return Bank(lesson=lesson, questions=tuple(questions), file=file)


def _decode(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuizBankError(
            file, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None


def load_bank_file(path: str | os.PathLike) -> Bank:
    """Load and validate a bank from any file (not cached). The lesson must match the name."""
    path = Path(path)
    return parse_bank(
        _decode(path.read_text(encoding="utf-8"), path.name), path.name, expected_lesson=path.stem
    )


def _bank_dir():
    return files("korea_nato").joinpath("quizzes")


def bank_names() -> list[str]:
    """Names of the banks shipped with the package (file names without ``.json``), sorted."""
    return sorted(p.name[:-5] for p in _bank_dir().iterdir() if p.name.endswith(".json"))


@functools.cache
def load_bank(lesson: str) -> Bank:
    """Load, validate and cache the bank shipped for ``lesson`` (e.g. ``"01-the-argument"``)."""
    resource = _bank_dir().joinpath(f"{lesson}.json")
    if not resource.is_file():
        raise LookupError(f"no quiz bank {lesson!r}; available banks: {', '.join(bank_names())}")
    name = f"quizzes/{lesson}.json"
    return parse_bank(_decode(resource.read_text(encoding="utf-8"), name), name, expected_lesson=lesson)


# --------------------------------------------------------------------------------------------
# Recording answers (no widgets here)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: a headline in words ("Correct.", "Not quite.") and details."""

    correct: bool
    headline: str
    detail: str

    @property
    def message(self) -> str:
        return f"{self.headline} {self.detail}"


@dataclass
class AnswerLog:
    """What a student did with one question, independent of any widget.

    ``attempts`` counts checked answers (pressing the button with nothing selected is not an
    attempt); ``choices`` lists the chosen option positions in order.
    """

    question_id: str
    attempts: int = 0
    choices: list[int] = field(default_factory=list)
    solved: bool = False
    first_try: bool = False

    def record(self, question: Question, choice: int | None) -> Verdict:
        """Record a check of option ``choice`` (``None``: nothing selected) and judge it."""
        if choice is None:
            return Verdict(
                False,
                "No answer selected yet.",
                "Choose one of the options above, then press “Check answer”.",
            )
        option = question.options[choice]
        self.attempts += 1
        self.choices.append(choice)
        if option.correct:
            if not self.solved:
                self.first_try = self.attempts == 1
            self.solved = True
            return Verdict(True, "Correct.", f"{option.feedback} {question.explanation}")
        return Verdict(False, "Not quite.", f"{option.feedback} Try another option.")


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def question_as_text(question: Question) -> str:
    """The question and its options as plain text, without the answer or any feedback."""
    lines = [f"Quiz question: {question.prompt}"]
    lines += [f"  ( ) {option.text}" for option in question.options]
    lines.append("(Run this notebook in JupyterLab to answer and get feedback.)")
    return "\n".join(lines)


def question_as_html(question: Question) -> str:
    """The question and its options as static HTML, without the answer or any feedback."""
    items = "".join(f"<li>{html.escape(option.text)}</li>" for option in question.options)
    return (
        '<div class="korea-nato-quiz">'
        f"<p><strong>Quiz question:</strong> {html.escape(question.prompt)}</p>"
        f"<ul>{items}</ul>"
        "<p><em>Run this notebook in JupyterLab to answer and get feedback.</em></p>"
        "</div>"
    )


class SingleChoiceQuiz(widgets.VBox):
    """A single-choice question: prompt, radio buttons, a "Check answer" button, feedback.

    State lives in :attr:`answers` (an :class:`AnswerLog`), so tests can drive the widget by
    setting ``quiz.choices.value`` and calling ``quiz.check_button.click()``, then assert
    on ``quiz.answers`` and ``quiz.feedback.value``.
    """

    def __init__(self, question: Question, **kwargs: Any) -> None:
        self.question = question
        self.answers = AnswerLog(question.id)
        self.prompt = widgets.HTML(value=f"<p><strong>Question.</strong> {html.escape(question.prompt)}</p>")
        self.choices = widgets.RadioButtons(
            options=[option.text for option in question.options],
            value=None,
            description="Your answer:",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="max-content"),
        )
        self.check_button = widgets.Button(description="Check answer", tooltip="Check the selected answer")
        self.feedback = widgets.HTML(value="")
        self.check_button.on_click(self._on_check)
        self.choices.observe(self._on_choice_change, names="value")
        super().__init__(children=[self.prompt, self.choices, self.check_button, self.feedback], **kwargs)

    def _on_check(self, _button: widgets.Button) -> None:
        verdict = self.answers.record(self.question, self.choices.index)
        self.feedback.value = (
            '<div role="status" aria-live="polite">'
            f"<p><strong>{html.escape(verdict.headline)}</strong> {html.escape(verdict.detail)}</p>"
            "</div>"
        )

    def _on_choice_change(self, _change: dict) -> None:
        # A new choice has not been checked yet: do not leave the old verdict beside it.
        if not self.answers.solved:
            self.feedback.value = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = question_as_text(self.question)
        bundle["text/html"] = question_as_html(self.question)
        return bundle


#: Widget class for each question type.
_WIDGETS: dict[str, type] = {"single": SingleChoiceQuiz}


def make_quiz(question: Question) -> SingleChoiceQuiz:
    """Build the interactive widget for ``question`` (not displayed)."""
    return _WIDGETS[question.type](question)


def running_headless() -> bool:
    """True when no one can answer: nbgrader is executing the notebook."""
    return bool(os.environ.get(HEADLESS_ENV_VAR))


def ask(lesson: str, question_id: str) -> None:
    """Display question ``question_id`` of ``lesson``'s bank, as a widget or as static text.

    Under nbgrader (``NBGRADER_EXECUTION`` set) the question and its options are shown as
    plain HTML/text, without the answer; nothing ever waits for input.
    """
    question = load_bank(lesson).question(question_id)
    if running_headless():
        display({"text/plain": question_as_text(question), "text/html": question_as_html(question)}, raw=True)
        return
    display(make_quiz(question))
