"""Retrieval practice: which earlier questions a lesson's warm-up brings back (pure functions).

A warm-up asks 2 or 3 questions from earlier lessons: first the ones on the student's revisit
list (missed, and not answered right on a later day since), the most recently missed first; then
the earlier lessons' key ideas (each bank's ``key_ideas``), taken in turn from the nearest lesson
back. Without a kernel (static renders) a warm-up shows the key ideas only: a fixed selection.
"""

from __future__ import annotations

from itertools import zip_longest

from .bank import Question, bank_names, load_bank
from .progress import ProgressStore

__all__ = ["WARM_UP_SIZE", "earlier_lessons", "fixed_warm_up", "warm_up_questions"]

#: How many questions a warm-up asks (fewer if the earlier lessons have fewer).
WARM_UP_SIZE = 3


def earlier_lessons(lesson: str) -> list[str]:
    """The banks before ``lesson`` in course order, nearest first."""
    return [name for name in reversed(bank_names()) if name < lesson]


def fixed_warm_up(lesson: str, size: int = WARM_UP_SIZE) -> list[Question]:
    """The key ideas of earlier lessons, one from each lesson in turn, nearest lesson first."""
    banks = [load_bank(name) for name in earlier_lessons(lesson)]
    rounds = zip_longest(*[[bank.question(qid) for qid in bank.key_ideas] for bank in banks])
    chosen = [question for round_ in rounds for question in round_ if question is not None]
    return chosen[:size]


def warm_up_questions(lesson: str, store: ProgressStore, size: int = WARM_UP_SIZE) -> list[Question]:
    """This student's warm-up: revisit list first (latest miss first), then the fixed key ideas."""
    missed: list[tuple[str, int, Question]] = []
    for distance, name in enumerate(earlier_lessons(lesson)):
        bank = load_bank(name)
        records = store.records(name)
        for question in bank.questions:
            record = records.get(question.id)
            if record is not None and record.to_revisit:
                missed.append((record.last_missed or "", -distance, question))
    missed.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    chosen = [question for _day, _distance, question in missed][:size]
    for question in fixed_warm_up(lesson, size=size * 3):
        if len(chosen) >= size:
            break
        if all((q.lesson, q.id) != (question.lesson, question.id) for q in chosen):
            chosen.append(question)
    return chosen
