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

With no live front end (nbgrader sets ``NBGRADER_EXECUTION``) :func:`ask` and :func:`score_panel`
show static text instead of widgets, so nothing waits for input and no answer is shown. In a saved
notebook rendered by nbviewer or GitHub, the widgets' own static HTML is shown, also answer-free.
"""

from __future__ import annotations

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
from .static import question_as_html, question_as_text
from .widgets import (
    ClassificationQuiz,
    MultipleChoiceQuiz,
    OrderingQuiz,
    QuizWidget,
    ScorePanel,
    ShortAnswerQuiz,
    SingleChoiceQuiz,
    TrueFalseQuiz,
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
    "Verdict",
    "WrongAnswer",
    "ask",
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
    "running_headless",
    "score_panel",
    "summarise",
]

#: The environment variable nbgrader sets while it executes a notebook.
HEADLESS_ENV_VAR = "NBGRADER_EXECUTION"


def running_headless() -> bool:
    """True when no one can answer: nbgrader is executing the notebook."""
    return bool(os.environ.get(HEADLESS_ENV_VAR))


def ask(lesson: str, question_id: str) -> None:
    """Display question ``question_id`` of ``lesson``'s bank: a widget, or static text under nbgrader."""
    question = load_bank(lesson).question(question_id)
    if running_headless():
        display({"text/plain": question_as_text(question), "text/html": question_as_html(question)}, raw=True)
        return
    display(make_quiz(question))


def score_panel(lesson: str) -> None:
    """Display ``lesson``'s score panel (right at the first try, attempts, questions to revisit).

    Under nbgrader it shows a one-line note instead and never touches the progress file.
    """
    bank = load_bank(lesson)
    if running_headless():
        text = panel_static_text(bank.lesson)
        display({"text/plain": text, "text/html": f"<p><em>{text}</em></p>"}, raw=True)
        return
    display(ScorePanel(lesson))
