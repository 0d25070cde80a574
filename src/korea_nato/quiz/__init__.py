"""Data-driven quizzes for the lessons: six question types, feedback that teaches, saved progress.

A lesson asks one question per cell and ends with its score panel::

    from korea_nato.quiz import ask, score_panel
    ask("01-the-argument", "thesis")
    score_panel("01-the-argument")

The questions live in ``korea_nato/quizzes/<lesson>.json`` (the schema is in
:mod:`korea_nato.quiz.bank`). The subpackage keeps its layers apart:

- :mod:`~korea_nato.quiz.bank` -- the schema as dataclasses; loading and validation;
- :mod:`~korea_nato.quiz.normalise` and :mod:`~korea_nato.quiz.grading` -- pure answer checking;
- :mod:`~korea_nato.quiz.progress` -- attempts per question in a small JSON file;
- :mod:`~korea_nato.quiz.static` -- text/HTML forms that never show the answer;
- :mod:`~korea_nato.quiz.widgets` -- the ipywidgets front end and the score panel.

Lessons 02 to 06 open with :func:`warm_up`: a few questions from earlier lessons.

Where a quiz is seen (the mechanism, see :mod:`~korea_nato.quiz.web`): every quiz is two outputs.
The first is a self-contained HTML/JS quiz rendered from the bank (answerable with the bank's
feedback, no kernel, no outside request, answers encoded) with a ``text/plain`` form that never
marks the key; the second is the live ipywidgets quiz, which records progress. JupyterLab 4 never
falls back from a widget output to its ``text/html``, so the two are separate outputs: when the
live widget renders, the page copy hides itself; in a notebook reopened without its kernel, the
page copy stays and hides the "model not found" widget output; nbconvert HTML and course websites
show the page copy; GitHub shows its HTML without scripts, or its text.

With no live front end (nbgrader sets ``NBGRADER_EXECUTION``) :func:`ask` and :func:`score_panel`
show static text instead, so nothing waits for input and no answer is shown.
"""

from __future__ import annotations

import html
import os

from IPython.display import display

from .bank import (
    QUESTION_TYPES,
    Bank,
    ClassificationQuestion,
    Item,
    MultipleChoiceQuestion,
    Option,
    OrderingQuestion,
    Question,
    QuizBankError,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TrueFalseQuestion,
    WrongAnswer,
    bank_names,
    load_bank,
    load_bank_file,
    parse_bank,
)
from .grading import Verdict, grade
from .progress import (
    PROGRESS_ENV_VAR,
    ProgressStore,
    ProgressWarning,
    QuestionRecord,
    default_progress_path,
    default_store,
    summarise,
)
from .shuffle import display_order
from .static import question_as_html, question_as_text
from .warmup import fixed_warm_up, warm_up_questions
from .web import question_as_web, wrap_fallback
from .widgets import (
    ClassificationQuiz,
    MultipleChoiceQuiz,
    OrderingQuiz,
    QuizWidget,
    ScorePanel,
    ShortAnswerQuiz,
    SingleChoiceQuiz,
    TrueFalseQuiz,
    WarmUp,
    make_quiz,
    panel_static_text,
)

__all__ = [
    "HEADLESS_ENV_VAR",
    "PROGRESS_ENV_VAR",
    "QUESTION_TYPES",
    "Bank",
    "ClassificationQuestion",
    "ClassificationQuiz",
    "Item",
    "MultipleChoiceQuestion",
    "MultipleChoiceQuiz",
    "Option",
    "OrderingQuestion",
    "OrderingQuiz",
    "ProgressStore",
    "ProgressWarning",
    "Question",
    "QuestionRecord",
    "QuizBankError",
    "QuizWidget",
    "ScorePanel",
    "ShortAnswerQuestion",
    "ShortAnswerQuiz",
    "SingleChoiceQuestion",
    "SingleChoiceQuiz",
    "TrueFalseQuestion",
    "TrueFalseQuiz",
    "WarmUp",
    "Verdict",
    "WrongAnswer",
    "ask",
    "fixed_warm_up",
    "bank_names",
    "default_progress_path",
    "default_store",
    "grade",
    "load_bank",
    "load_bank_file",
    "make_quiz",
    "parse_bank",
    "question_as_html",
    "question_as_text",
    "question_as_web",
    "running_headless",
    "score_panel",
    "summarise",
    "warm_up",
    "warm_up_questions",
]

#: The environment variable nbgrader sets while it executes a notebook.
HEADLESS_ENV_VAR = "NBGRADER_EXECUTION"


def running_headless() -> bool:
    """True when no one can answer: nbgrader is executing the notebook."""
    return bool(os.environ.get(HEADLESS_ENV_VAR))


def _live_key(question: Question) -> str:
    return f"{question.lesson}--{question.id}"


ORDERED_TYPES = (SingleChoiceQuestion, MultipleChoiceQuestion, OrderingQuestion)


def _text_order(question: Question, student: str) -> tuple[int, ...] | None:
    """The options or items in the order the page copy shows them (None: the type has no order)."""
    return display_order(question, student) if isinstance(question, ORDERED_TYPES) else None


def _page_copy(question: Question, student: str, *, uid: str = "") -> str:
    return question_as_web(question, student, uid=uid)


def ask(lesson: str, question_id: str) -> None:
    """Display question ``question_id`` of ``lesson``'s bank: the page copy, then the live widget.

    Under nbgrader: static text and HTML only, without the answer.
    """
    question = load_bank(lesson).question(question_id)
    if running_headless():
        display({"text/plain": question_as_text(question), "text/html": question_as_html(question)}, raw=True)
        return
    store = default_store()
    key = _live_key(question)
    page = wrap_fallback(_page_copy(question, store.student), key)
    text = question_as_text(question, _text_order(question, store.student))
    display({"text/plain": text, "text/html": page}, raw=True)
    display(make_quiz(question, store=store, live_key=key))


def score_panel(lesson: str) -> None:
    """Display ``lesson``'s score panel (solved, first tries, still open, what to revisit, reset).

    Under nbgrader it shows a one-line note instead and never touches the progress file.
    """
    bank = load_bank(lesson)
    text = panel_static_text(bank.lesson)
    note = f'<p class="kn-score-static"><em>{html.escape(text)}</em></p>'
    if running_headless():
        display({"text/plain": text, "text/html": note}, raw=True)
        return
    key = f"panel--{bank.lesson}"
    display({"text/plain": text, "text/html": wrap_fallback(note, key)}, raw=True)
    display(ScorePanel(lesson, live_key=key))


WARM_UP_INTRO = (
    "Warm-up: {n} questions from earlier lessons. Answer from memory before you read on: "
    "recalling what you learnt helps you keep it."
)


def warm_up(lesson: str) -> None:
    """Open ``lesson`` with 2 or 3 questions from earlier lessons (retrieval practice).

    Live, the questions come from the student's revisit list first, then the earlier key ideas;
    answers count in the question's own lesson. The page copy shows the key ideas only.
    """
    load_bank(lesson)  # a clear error for an unknown lesson
    fixed = fixed_warm_up(lesson)
    if running_headless():
        text = "\n\n".join([WARM_UP_INTRO.format(n=len(fixed))] + [question_as_text(q) for q in fixed])
        body = "".join(question_as_html(q) for q in fixed)
        display(
            {
                "text/plain": text,
                "text/html": f"<p>{html.escape(WARM_UP_INTRO.format(n=len(fixed)))}</p>{body}",
            },
            raw=True,
        )
        return
    store = default_store()
    key = f"warm-up--{lesson}"
    intro = f"<p><strong>{html.escape(WARM_UP_INTRO.format(n=len(fixed)))}</strong></p>"
    page = intro + "".join(_page_copy(q, store.student, uid="warm-up") for q in fixed)
    texts = [question_as_text(q, _text_order(q, store.student)) for q in fixed]
    text = "\n\n".join([WARM_UP_INTRO.format(n=len(fixed)), *texts])
    display({"text/plain": text, "text/html": wrap_fallback(page, key)}, raw=True)
    display(WarmUp(lesson, warm_up_questions(lesson, store), store=store, live_key=key))
