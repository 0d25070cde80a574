"""Question banks: the schema as frozen dataclasses, and validation of JSON banks against it.

No widget code runs here. A bank is one JSON file per lesson, ``korea_nato/quizzes/<lesson>.json``::

    {"lesson": "01-the-argument", "questions": [ ... ], "key_ideas": ["thesis", ...]}

``key_ideas`` (optional) lists the questions that later lessons' warm-ups bring back.

Every question has ``id`` (lower-case letters, digits and "-", unique in the bank), ``type``,
``prompt``, ``explanation`` and ``source`` (the ``ARTICLE.md`` section or fact it rests on), plus
the fields of its type:

``single``
    ``options``: ``[{"text", "correct", "feedback"}]``, at least two, exactly one correct.
``multiple``
    ``options`` as above, at least one correct. An option's feedback is shown when the student
    judges that option wrongly (ticks a wrong one or misses a right one).
``true_false``
    ``answer`` (true or false), ``feedback_true`` (shown for the answer True) and
    ``feedback_false`` (shown for the answer False).
``ordering``
    ``items``: ``[{"text", "feedback"}]`` in the correct order, at least three. They are shown in
    a shuffled order seeded by the question id, never already correct.
``classification``
    ``categories`` (at least two names) and ``items``: ``[{"text", "category", "feedback"}]``.
``short_answer``
    ``answer_kind``: ``"number"`` (with ``answer``, ``tolerance`` >= 0 and optional ``unit``) or
    ``"text"`` (with ``accepted``, a list of answers compared after :func:`normalise_text`).
    Both take ``feedback`` (for any wrong answer) and optional ``wrong_answers``:
    ``[{"answer", "feedback"}]`` for common mistakes.

Unknown keys are rejected, so a misspelt ``"explaination"`` is an error rather than a silently
missing explanation. Every error is a :class:`QuizBankError` naming the file, the question and
the field.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from .normalise import normalise_text, numbers_match

__all__ = [
    "QUESTION_TYPES",
    "Bank",
    "ClassificationQuestion",
    "Item",
    "MultipleChoiceQuestion",
    "Option",
    "OrderingQuestion",
    "Question",
    "QuizBankError",
    "ShortAnswerQuestion",
    "SingleChoiceQuestion",
    "TrueFalseQuestion",
    "WrongAnswer",
    "bank_names",
    "load_bank",
    "load_bank_file",
    "parse_bank",
]

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BANK_KEYS = {"lesson", "questions", "key_ideas"}
_COMMON_KEYS = {"id", "type", "prompt", "explanation", "source"}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class QuizBankError(ValueError):
    """A question bank is malformed.

    The message names the file, the question (by id, or by position when the id itself is the
    problem) and the field; the same parts are available as attributes.
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


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """A choice in a ``single`` or ``multiple`` question."""

    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Item:
    """An item to order (``category`` is ``None``) or to classify."""

    text: str
    feedback: str
    category: str | None = None


@dataclass(frozen=True)
class WrongAnswer:
    """A common wrong short answer and the feedback that corrects it."""

    answer: float | str
    feedback: str


@dataclass(frozen=True, kw_only=True)
class Question:
    """Fields every question has. ``source`` names the fact-sheet section it rests on."""

    type: ClassVar[str] = ""

    id: str
    prompt: str
    explanation: str
    source: str
    lesson: str = ""

    @property
    def title(self) -> str:
        """A short name for lists (the score panel, warm-ups): the prompt, cut at about 70 characters."""
        return short_title(self.prompt)


@dataclass(frozen=True, kw_only=True)
class SingleChoiceQuestion(Question):
    type: ClassVar[str] = "single"
    options: tuple[Option, ...]

    @property
    def correct_index(self) -> int:
        return next(i for i, option in enumerate(self.options) if option.correct)


@dataclass(frozen=True, kw_only=True)
class MultipleChoiceQuestion(Question):
    type: ClassVar[str] = "multiple"
    options: tuple[Option, ...]

    @property
    def correct_indices(self) -> frozenset[int]:
        return frozenset(i for i, option in enumerate(self.options) if option.correct)


@dataclass(frozen=True, kw_only=True)
class TrueFalseQuestion(Question):
    type: ClassVar[str] = "true_false"
    answer: bool
    feedback_true: str
    feedback_false: str


@dataclass(frozen=True, kw_only=True)
class OrderingQuestion(Question):
    """``items`` are in the correct order; :attr:`display_order` is the order students first see."""

    type: ClassVar[str] = "ordering"
    items: tuple[Item, ...]

    @property
    def display_order(self) -> tuple[int, ...]:
        """Item positions in a shuffled order seeded by the question id, never the correct one."""
        return shuffled_order(len(self.items), self.id)


@dataclass(frozen=True, kw_only=True)
class ClassificationQuestion(Question):
    type: ClassVar[str] = "classification"
    categories: tuple[str, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class ShortAnswerQuestion(Question):
    """A typed answer: a number within ``tolerance`` of ``answer``, or text matching ``accepted``."""

    type: ClassVar[str] = "short_answer"
    answer_kind: str
    feedback: str
    answer: float | None = None
    tolerance: float | None = None
    unit: str | None = None
    accepted: tuple[str, ...] = ()
    wrong_answers: tuple[WrongAnswer, ...] = ()


def short_title(prompt: str, limit: int = 70) -> str:
    """``prompt`` if short, else its words up to ``limit`` characters followed by "…"."""
    text = " ".join(prompt.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def shuffled_order(n: int, seed: str) -> tuple[int, ...]:
    """A deterministic permutation of ``range(n)`` (n >= 2) seeded by ``seed``.

    Fewer than half the items stay in their place, so the shuffled order is never the correct
    one and is not nearly correct either.
    """
    rng = random.Random(seed)
    order = list(range(n))
    while sum(item == place for place, item in enumerate(order)) > (n - 1) // 2:
        rng.shuffle(order)
    return tuple(order)


@dataclass(frozen=True)
class Bank:
    """A lesson's validated question bank, questions in file order."""

    lesson: str
    questions: tuple[Question, ...]
    file: str = ""
    #: Ids of the questions later lessons' warm-ups bring back (the lesson's key ideas).
    key_ideas: tuple[str, ...] = ()

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
# Field readers: each raises through ``fail`` with the field's full name
# --------------------------------------------------------------------------------------------

Fail = Callable[..., QuizBankError]


def _reject_unknown_keys(obj: dict, allowed: set[str], fail: Fail, *, prefix: str = "") -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise fail(f"unknown key; allowed keys are {', '.join(sorted(allowed))}", field=prefix + unknown[0])


def _text(obj: dict, key: str, fail: Fail, *, prefix: str = "") -> str:
    if key not in obj:
        raise fail("is missing", field=prefix + key)
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"must be a non-empty string, got {value!r}", field=prefix + key)
    return value.strip()


def _flag(obj: dict, key: str, fail: Fail, *, prefix: str = "") -> bool:
    if key not in obj:
        raise fail("is missing", field=prefix + key)
    if not isinstance(obj[key], bool):
        raise fail(f"must be true or false, got {obj[key]!r}", field=prefix + key)
    return obj[key]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(obj: dict, key: str, fail: Fail, *, prefix: str = "") -> float:
    if key not in obj:
        raise fail("is missing", field=prefix + key)
    if not _is_number(obj[key]):
        raise fail(f"must be a number, got {obj[key]!r}", field=prefix + key)
    return float(obj[key])


def _objects(obj: dict, key: str, fail: Fail, *, minimum: int, what: str) -> list[dict]:
    raw = obj.get(key)
    if key not in obj:
        raise fail("is missing", field=key)
    if not isinstance(raw, list) or len(raw) < minimum:
        raise fail(f"must be a list of at least {minimum} {what}", field=key)
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise fail(f"must be an object, got {entry!r}", field=f"{key}[{i}]")
    return raw


def _unique_texts(texts: list[str], key: str, fail: Fail, *, field: str = "text") -> None:
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        folded = normalise_text(text)
        if folded in seen:
            raise fail(f"repeats {key}[{seen[folded]}]: {text!r}", field=f"{key}[{i}].{field}")
        seen[folded] = i


# --------------------------------------------------------------------------------------------
# One parser per type: returns the type's own fields
# --------------------------------------------------------------------------------------------


def _parse_options(raw: dict, fail: Fail) -> tuple[Option, ...]:
    options = []
    for i, entry in enumerate(_objects(raw, "options", fail, minimum=2, what="options")):
        prefix = f"options[{i}]."
        _reject_unknown_keys(entry, {"text", "correct", "feedback"}, fail, prefix=prefix)
        options.append(
            Option(
                text=_text(entry, "text", fail, prefix=prefix),
                correct=_flag(entry, "correct", fail, prefix=prefix),
                feedback=_text(entry, "feedback", fail, prefix=prefix),
            )
        )
    _unique_texts([o.text for o in options], "options", fail)
    return tuple(options)


def _parse_single(raw: dict, fail: Fail) -> dict:
    options = _parse_options(raw, fail)
    n_correct = sum(o.correct for o in options)
    if n_correct != 1:
        found = "no option is" if n_correct == 0 else f"{n_correct} options are"
        raise fail(f"{found} marked correct; a 'single' question needs exactly one", field="options")
    return {"options": options}


def _parse_multiple(raw: dict, fail: Fail) -> dict:
    options = _parse_options(raw, fail)
    if not any(o.correct for o in options):
        raise fail("no option is marked correct; a 'multiple' question needs at least one", field="options")
    return {"options": options}


def _parse_true_false(raw: dict, fail: Fail) -> dict:
    return {
        "answer": _flag(raw, "answer", fail),
        "feedback_true": _text(raw, "feedback_true", fail),
        "feedback_false": _text(raw, "feedback_false", fail),
    }


def _parse_items(raw: dict, fail: Fail, *, keys: set[str], minimum: int) -> list[dict]:
    entries = _objects(raw, "items", fail, minimum=minimum, what="items")
    for i, entry in enumerate(entries):
        _reject_unknown_keys(entry, keys, fail, prefix=f"items[{i}].")
    return entries


def _parse_ordering(raw: dict, fail: Fail) -> dict:
    entries = _parse_items(raw, fail, keys={"text", "feedback"}, minimum=3)
    items = tuple(
        Item(
            text=_text(entry, "text", fail, prefix=f"items[{i}]."),
            feedback=_text(entry, "feedback", fail, prefix=f"items[{i}]."),
        )
        for i, entry in enumerate(entries)
    )
    _unique_texts([item.text for item in items], "items", fail)
    return {"items": items}


def _parse_classification(raw: dict, fail: Fail) -> dict:
    categories = raw.get("categories")
    if "categories" not in raw:
        raise fail("is missing", field="categories")
    if not isinstance(categories, list) or len(categories) < 2:
        raise fail("must be a list of at least 2 category names", field="categories")
    for i, name in enumerate(categories):
        if not isinstance(name, str) or not name.strip():
            raise fail(f"must be a non-empty string, got {name!r}", field=f"categories[{i}]")
    categories = [name.strip() for name in categories]
    if len(set(categories)) != len(categories):
        raise fail("repeats a category name", field="categories")

    entries = _parse_items(raw, fail, keys={"text", "category", "feedback"}, minimum=1)
    items = []
    for i, entry in enumerate(entries):
        prefix = f"items[{i}]."
        category = _text(entry, "category", fail, prefix=prefix)
        if category not in categories:
            raise fail(
                f"unknown category {category!r}; categories are: {', '.join(categories)}",
                field=prefix + "category",
            )
        items.append(
            Item(
                text=_text(entry, "text", fail, prefix=prefix),
                feedback=_text(entry, "feedback", fail, prefix=prefix),
                category=category,
            )
        )
    _unique_texts([item.text for item in items], "items", fail)
    return {"categories": tuple(categories), "items": tuple(items)}


_SHORT_NUMBER_KEYS = {"answer_kind", "answer", "tolerance", "unit", "feedback", "wrong_answers"}
_SHORT_TEXT_KEYS = {"answer_kind", "accepted", "feedback", "wrong_answers"}


def _parse_short_answer(raw: dict, fail: Fail) -> dict:
    kind = _text(raw, "answer_kind", fail)
    if kind not in ("number", "text"):
        raise fail(f"must be 'number' or 'text', got {kind!r}", field="answer_kind")
    _reject_unknown_keys(
        raw, _COMMON_KEYS | (_SHORT_NUMBER_KEYS if kind == "number" else _SHORT_TEXT_KEYS), fail
    )
    fields: dict[str, Any] = {"answer_kind": kind, "feedback": _text(raw, "feedback", fail)}

    if kind == "number":
        fields["answer"] = _number(raw, "answer", fail)
        fields["tolerance"] = _number(raw, "tolerance", fail)
        if fields["tolerance"] < 0:
            raise fail(f"must be 0 or more, got {raw['tolerance']!r}", field="tolerance")
        if "unit" in raw:
            fields["unit"] = _text(raw, "unit", fail)
    else:
        accepted = raw.get("accepted")
        if not isinstance(accepted, list) or not accepted:
            raise fail(
                "is missing" if "accepted" not in raw else "must be a non-empty list of strings",
                field="accepted",
            )
        for i, text in enumerate(accepted):
            if not isinstance(text, str) or not normalise_text(text):
                raise fail(f"must be a string with letters or digits, got {text!r}", field=f"accepted[{i}]")
        fields["accepted"] = tuple(text.strip() for text in accepted)

    wrong = raw.get("wrong_answers", [])
    if not isinstance(wrong, list):
        raise fail("must be a list of {answer, feedback} objects", field="wrong_answers")
    accepted_forms = {normalise_text(text) for text in fields.get("accepted", ())}
    wrong_answers = []
    for i, entry in enumerate(wrong):
        prefix = f"wrong_answers[{i}]."
        if not isinstance(entry, dict):
            raise fail(f"must be an object, got {entry!r}", field=f"wrong_answers[{i}]")
        _reject_unknown_keys(entry, {"answer", "feedback"}, fail, prefix=prefix)
        if kind == "number":
            answer: float | str = _number(entry, "answer", fail, prefix=prefix)
            if numbers_match(answer, fields["answer"], fields["tolerance"]):
                raise fail("lies within the tolerance of the correct answer", field=prefix + "answer")
        else:
            answer = _text(entry, "answer", fail, prefix=prefix)
            if normalise_text(answer) in accepted_forms:
                raise fail("matches an accepted answer", field=prefix + "answer")
        wrong_answers.append(
            WrongAnswer(answer=answer, feedback=_text(entry, "feedback", fail, prefix=prefix))
        )
    fields["wrong_answers"] = tuple(wrong_answers)
    return fields


@dataclass(frozen=True)
class _TypeSpec:
    cls: type[Question]
    parse: Callable[[dict, Fail], dict]
    keys: frozenset[str] | None  # None: the parser checks keys itself


#: Each question type: its class, its parser and the keys it allows beside the common ones.
QUESTION_TYPES: dict[str, _TypeSpec] = {
    "single": _TypeSpec(SingleChoiceQuestion, _parse_single, frozenset({"options"})),
    "multiple": _TypeSpec(MultipleChoiceQuestion, _parse_multiple, frozenset({"options"})),
    "true_false": _TypeSpec(
        TrueFalseQuestion, _parse_true_false, frozenset({"answer", "feedback_true", "feedback_false"})
    ),
    "ordering": _TypeSpec(OrderingQuestion, _parse_ordering, frozenset({"items"})),
    "classification": _TypeSpec(
        ClassificationQuestion, _parse_classification, frozenset({"categories", "items"})
    ),
    "short_answer": _TypeSpec(ShortAnswerQuestion, _parse_short_answer, None),
}


# --------------------------------------------------------------------------------------------
# Questions and banks
# --------------------------------------------------------------------------------------------


def _parse_question(raw: Any, position: int, lesson: str, file: str) -> Question:
    label = f"#{position + 1}"

    def fail(problem: str, *, field: str | None = None) -> QuizBankError:
        return QuizBankError(file, problem, question_id=label, field=field)

    if not isinstance(raw, dict):
        raise fail(f"must be an object, got {type(raw).__name__}")
    raw_id = raw.get("id")
    if "id" not in raw:
        raise fail("is missing", field="id")
    if not isinstance(raw_id, str) or not _ID_PATTERN.match(raw_id):
        raise fail(f"must be lower-case letters, digits and '-', got {raw_id!r}", field="id")
    label = raw_id

    qtype = _text(raw, "type", fail)
    if qtype not in QUESTION_TYPES:
        raise fail(f"unknown question type {qtype!r}; known types: {', '.join(QUESTION_TYPES)}", field="type")
    spec = QUESTION_TYPES[qtype]
    if spec.keys is not None:
        _reject_unknown_keys(raw, _COMMON_KEYS | spec.keys, fail)
    common = {
        "id": raw_id,
        "prompt": _text(raw, "prompt", fail),
        "explanation": _text(raw, "explanation", fail),
        "source": _text(raw, "source", fail),
        "lesson": lesson,
    }
    return spec.cls(**common, **spec.parse(raw, fail))


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
    lesson = _text(data, "lesson", fail)
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
    key_ideas = data.get("key_ideas", [])
    if not isinstance(key_ideas, list) or not all(isinstance(k, str) for k in key_ideas):
        raise fail("must be a list of question ids", field="key_ideas")
    for i, key in enumerate(key_ideas):
        if key not in seen:
            raise fail(f"{key!r} is not a question of this bank", field=f"key_ideas[{i}]")
    return Bank(lesson=lesson, questions=tuple(questions), file=file, key_ideas=tuple(key_ideas))


def _decode(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuizBankError(
            file, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None


def load_bank_file(path: str | os.PathLike) -> Bank:
    """Load and validate a bank from any file (not cached). The lesson must match the file name."""
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
