"""The bank bias check: can a quiz be answered without reading? (pure functions, no widgets)

Shuffling hides where a key sits on screen, but not what it looks like. The check flags a bank
(or the module's banks together) when:

- in a lesson, the key is the longest option in most single-choice questions;
- in a lesson, the key sits in the same place in the bank in most single-choice questions (the
  order text renders and nbgrader show);
- all true/false keys go one way, or across the module the two answers differ by more than one;
- multiple-select keys always sit together in the bank, or every question has as many keys.

Run it with ``python -m korea_nato.quiz.bias``; the test suite runs it on every shipped bank.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable

from .bank import Bank, MultipleChoiceQuestion, SingleChoiceQuestion, TrueFalseQuestion, bank_names, load_bank

__all__ = ["bias_problems", "key_is_longest", "main"]

#: "Most" means more than this share of a lesson's single-choice questions.
MOST = 0.5


def key_is_longest(question: SingleChoiceQuestion) -> bool:
    """True when no wrong option is as long as the key (in characters)."""
    key = question.options[question.correct_index]
    return all(len(o.text) < len(key.text) for o in question.options if not o.correct)


def _singles(bank: Bank) -> list[SingleChoiceQuestion]:
    return [q for q in bank.questions if isinstance(q, SingleChoiceQuestion)]


def _lesson_problems(bank: Bank) -> list[str]:
    problems = []
    singles = _singles(bank)
    if len(singles) >= 2:
        longest = [q.id for q in singles if key_is_longest(q)]
        if len(longest) > MOST * len(singles):
            problems.append(
                f"{bank.lesson}: the key is the longest option in {len(longest)} of {len(singles)} "
                f"single-choice questions ({', '.join(longest)}); lengthen a wrong option or shorten the key"
            )
        place, count = Counter(q.correct_index for q in singles).most_common(1)[0]
        if len(singles) >= 3 and count > MOST * len(singles):
            problems.append(
                f"{bank.lesson}: the key is option {place + 1} in {count} of {len(singles)} "
                "single-choice questions; move some keys to other places"
            )
    answers = [q.answer for q in bank.questions if isinstance(q, TrueFalseQuestion)]
    if len(answers) >= 2 and len(set(answers)) == 1:
        problems.append(f"{bank.lesson}: every true/false key is {answers[0]}")
    return problems


def _module_problems(banks: list[Bank]) -> list[str]:
    problems = []
    answers = Counter(q.answer for b in banks for q in b.questions if isinstance(q, TrueFalseQuestion))
    if sum(answers.values()) >= 2:
        if len(answers) == 1:
            problems.append(f"every true/false key in the module is {next(iter(answers))}")
        elif abs(answers[True] - answers[False]) > 1:
            problems.append(
                f"true/false keys are unbalanced: {answers[True]} True and {answers[False]} False"
            )
    multiples = [q for b in banks for q in b.questions if isinstance(q, MultipleChoiceQuestion)]
    if len(multiples) >= 2:
        together = [q.id for q in multiples if _keys_together(q)]
        if len(together) == len(multiples):
            problems.append(
                f"in every multiple-select question the keys sit together ({', '.join(together)}); "
                "spread them among the wrong options"
            )
        counts = {len(q.correct_indices) for q in multiples}
        if len(multiples) >= 3 and len(counts) == 1:
            problems.append(
                f"every multiple-select question has {counts.pop()} keys; vary how many options are right"
            )
    return problems


def _keys_together(question: MultipleChoiceQuestion) -> bool:
    keys = sorted(question.correct_indices)
    return keys[-1] - keys[0] == len(keys) - 1


def bias_problems(banks: Iterable[Bank]) -> list[str]:
    """Every bias found, one sentence each naming the lesson and what to change; empty if none."""
    banks = list(banks)
    return [p for bank in banks for p in _lesson_problems(bank)] + _module_problems(banks)


def main() -> int:
    """Check the shipped banks; print what is wrong and return 1, or say they pass and return 0."""
    problems = bias_problems(load_bank(name) for name in bank_names())
    for problem in problems:
        print(problem)
    if not problems:
        print(f"The {len(bank_names())} banks pass the bias check.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
