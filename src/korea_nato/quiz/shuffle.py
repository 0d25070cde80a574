"""Option order that tells nothing: a per-student shuffle, the same at every retry (pure functions).

The order is seeded by the student's id (a random id kept in the progress file), the lesson and the
question id, so one student always sees one question the same way, and two students see it
differently. Ordering questions never start in the correct order.
"""

from __future__ import annotations

import random

from .bank import (
    MultipleChoiceQuestion,
    OrderingQuestion,
    Question,
    SingleChoiceQuestion,
    shuffled_order,
)

__all__ = ["display_order"]


def _seed(question: Question, student: str) -> str:
    return f"{student}/{question.lesson}/{question.id}"


def display_order(question: Question, student: str) -> tuple[int, ...]:
    """Positions (as in the bank) of the options or items in the order ``student`` sees them.

    Single and multiple choice: a shuffle of the options. Ordering: a shuffle of the items that is
    never the correct order. Other types: the bank's order.
    """
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        order = list(range(len(question.options)))
        random.Random(_seed(question, student)).shuffle(order)
        return tuple(order)
    if isinstance(question, OrderingQuestion):
        return shuffled_order(len(question.items), _seed(question, student))
    return tuple(range(len(getattr(question, "items", ()))))
