"""Question banks: every shipped bank loads, and every broken bank names its file, question and field."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import nbformat
import pytest

from korea_nato import data
from korea_nato.quiz import (
    ClassificationQuestion,
    OrderingQuestion,
    QuizBankError,
    SingleChoiceQuestion,
    bank_names,
    load_bank,
    load_bank_file,
)
from korea_nato.quiz.bank import shuffled_order
from quiz_examples import EXAMPLES, LESSON, example, write_bank

BANKS = bank_names()
LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"
ASK_CALL = re.compile(r"""ask\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")


# ---------------------------------------------------------------------------------------------
# Shipped banks
# ---------------------------------------------------------------------------------------------


def test_the_package_ships_the_lesson_01_bank():
    assert "01-the-argument" in BANKS


@pytest.mark.parametrize("lesson", BANKS)
def test_every_shipped_bank_loads_and_each_question_names_its_fact_sheet_source(lesson):
    bank = load_bank(lesson)
    assert bank.lesson == lesson
    assert bank.questions
    for question in bank.questions:
        assert question.source.startswith("ARTICLE.md"), question.id
        assert question.lesson == lesson


@pytest.mark.parametrize("lesson", BANKS)
def test_shipped_single_choice_questions_have_three_or_four_options(lesson):
    for question in load_bank(lesson).questions:
        if isinstance(question, SingleChoiceQuestion):
            assert 3 <= len(question.options) <= 4, question.id


def _spun_phrases():
    table = data.glossary()
    damaged = table[~table["kind"].isin(["not an error", "template artefact"])]
    return sorted(set(damaged["spun"].tolist()) | {"Chilly Warfare", "Basic Meeting"})


# The lesson on the damaged source quotes spun fragments as data (ARTICLE.md §6), as test_lessons allows.
@pytest.mark.parametrize("lesson", [b for b in BANKS if "damaged" not in b])
def test_shipped_banks_contain_no_spun_phrase(lesson):
    text = (files("korea_nato") / "quizzes" / f"{lesson}.json").read_text(encoding="utf-8")
    found = [p for p in _spun_phrases() if p.lower() in text.lower()]
    assert not found, f"{lesson}.json copies spun phrases: {found}"


def _asked_in_lessons() -> dict[str, set[str]]:
    asked: dict[str, set[str]] = {}
    for path in sorted(LESSONS_DIR.glob("*.ipynb")):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        for lesson, question_id in ASK_CALL.findall(source):
            asked.setdefault(lesson, set()).add(question_id)
    return asked


def test_every_question_a_lesson_asks_exists_in_its_bank():
    for lesson, ids in _asked_in_lessons().items():
        assert lesson in BANKS, f"a lesson asks from a bank that does not exist: {lesson}"
        missing = ids - set(load_bank(lesson).ids)
        assert not missing, f"lessons ask for questions missing from {lesson}.json: {sorted(missing)}"


@pytest.mark.parametrize("lesson", [b for b in BANKS if (LESSONS_DIR / f"{b}.ipynb").exists()])
def test_every_bank_question_is_asked_in_its_lesson(lesson):
    asked = _asked_in_lessons().get(lesson, set())
    unasked = set(load_bank(lesson).ids) - asked
    assert not unasked, f"questions of {lesson}.json that no lesson asks: {sorted(unasked)}"


def test_lesson_01_bank_mixes_types_and_has_a_classification_question_for_the_browser_test():
    bank = load_bank("01-the-argument")
    assert len(bank.questions) >= 5
    assert isinstance(bank.question("horizons"), ClassificationQuestion)
    assert isinstance(bank.question("thesis"), SingleChoiceQuestion)
    assert isinstance(bank.question("mission"), OrderingQuestion)


def test_lesson_01_horizons_question_agrees_with_the_drivers_table():
    drivers = data.drivers()
    expected = dict(zip(drivers["name"].tolist(), drivers["horizon"].tolist(), strict=True))
    question = load_bank("01-the-argument").question("horizons")
    assert {item.text: item.category for item in question.items} == expected


def test_correct_single_choice_answers_are_not_always_in_the_same_position():
    positions = {
        q.correct_index for q in load_bank("01-the-argument").questions if isinstance(q, SingleChoiceQuestion)
    }
    assert len(positions) > 1


def test_load_bank_caches_the_parsed_bank():
    assert load_bank("01-the-argument") is load_bank("01-the-argument")


def test_unknown_bank_and_unknown_question_name_what_exists():
    with pytest.raises(LookupError, match="01-the-argument"):
        load_bank("no-such-lesson")
    with pytest.raises(LookupError, match="thesis"):
        load_bank("01-the-argument").question("no-such-question")


# ---------------------------------------------------------------------------------------------
# Valid examples of every type
# ---------------------------------------------------------------------------------------------


def test_one_bank_with_an_example_of_every_type_loads(tmp_path):
    bank = load_bank_file(write_bank(tmp_path, list(EXAMPLES.values())))
    assert [q.type for q in bank.questions] == [
        "single",
        "multiple",
        "true_false",
        "ordering",
        "classification",
        "short_answer",
        "short_answer",
    ]


def test_ordering_items_are_shown_shuffled_deterministically_and_never_in_the_correct_order(tmp_path):
    bank = load_bank_file(write_bank(tmp_path, [example("ordering")]))
    question = bank.questions[0]
    order = question.display_order
    assert sorted(order) == list(range(len(question.items)))
    assert order != tuple(range(len(question.items)))
    assert order == load_bank_file(write_bank(tmp_path, [example("ordering")])).questions[0].display_order


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8])
def test_shuffled_order_leaves_fewer_than_half_the_items_in_place(n):
    for seed in ("a", "thesis", "mission", "timeline", "x-1"):
        order = shuffled_order(n, seed)
        assert sorted(order) == list(range(n))
        assert sum(item == place for place, item in enumerate(order)) <= (n - 1) // 2


# ---------------------------------------------------------------------------------------------
# Broken banks: the error names file, question and field
# ---------------------------------------------------------------------------------------------


def _options(*flags, feedback=True):
    return [
        {"text": f"option {i}", "correct": flag, **({"feedback": f"feedback {i}"} if feedback else {})}
        for i, flag in enumerate(flags)
    ]


def _items(*categories):
    return [
        {"text": f"item {i}", "category": c, "feedback": f"feedback {i}"} for i, c in enumerate(categories)
    ]


# case: (question dicts, question id named, field named, words in the problem)
BROKEN = {
    # every type
    "duplicate ids": ([example("single"), example("multiple", id="thesis")], "thesis", "id", "duplicate id"),
    "unknown type": ([example("single", type="essay")], "thesis", "type", "unknown question type 'essay'"),
    "id with capitals": ([example("single", id="Thesis")], "#1", "id", "lower-case letters"),
    "missing prompt": ([example("true_false", prompt=None)], "mission-open", "prompt", "is missing"),
    "missing explanation": ([example("ordering", explanation=None)], "timeline", "explanation", "is missing"),
    "missing source": ([example("classification", source=None)], "horizons", "source", "is missing"),
    "empty prompt": ([example("single", prompt="  ")], "thesis", "prompt", "non-empty string"),
    "misspelt key": ([example("single", explaination="typo")], "thesis", "explaination", "unknown key"),
    # single
    "single without a correct option": (
        [example("single", options=_options(False, False, False))],
        "thesis",
        "options",
        "no option is marked correct",
    ),
    "single with two correct options": (
        [example("single", options=_options(True, True, False))],
        "thesis",
        "options",
        "2 options are marked correct",
    ),
    "option without feedback": (
        [example("single", options=_options(True, False, feedback=False))],
        "thesis",
        "options[0].feedback",
        "is missing",
    ),
    "correct given as a string": (
        [example("single", options=[{"text": "a", "correct": "true", "feedback": "x"}, *_options(False)])],
        "thesis",
        "options[0].correct",
        "must be true or false",
    ),
    "repeated option text": (
        [
            example(
                "single", options=[*_options(True), {"text": "Option 0 ", "correct": False, "feedback": "x"}]
            )
        ],
        "thesis",
        "options[1].text",
        "repeats options[0]",
    ),
    "single with one option": (
        [example("single", options=_options(True))],
        "thesis",
        "options",
        "at least 2 options",
    ),
    # multiple
    "multiple without a correct option": (
        [example("multiple", options=_options(False, False, False))],
        "values-evidence",
        "options",
        "needs at least one",
    ),
    "multiple distractor without feedback": (
        [example("multiple", options=[*_options(True), {"text": "b", "correct": False}])],
        "values-evidence",
        "options[1].feedback",
        "is missing",
    ),
    # true_false
    "true_false answer as a string": (
        [example("true_false", answer="false")],
        "mission-open",
        "answer",
        "must be true or false",
    ),
    "true_false without feedback_false": (
        [example("true_false", feedback_false=None)],
        "mission-open",
        "feedback_false",
        "is missing",
    ),
    "true_false with options": (
        [example("true_false", options=_options(True, False))],
        "mission-open",
        "options",
        "unknown key",
    ),
    # ordering
    "ordering with two items": (
        [example("ordering", items=EXAMPLES["ordering"]["items"][:2])],
        "timeline",
        "items",
        "at least 3 items",
    ),
    "ordering item without feedback": (
        [
            example(
                "ordering",
                items=[{"text": "a"}, {"text": "b", "feedback": "x"}, {"text": "c", "feedback": "y"}],
            )
        ],
        "timeline",
        "items[0].feedback",
        "is missing",
    ),
    "ordering item with a category": (
        [example("ordering", items=_items("x", "y", "z"))],
        "timeline",
        "items[0].category",
        "unknown key",
    ),
    "ordering with repeated items": (
        [example("ordering", items=[*EXAMPLES["ordering"]["items"][:3], EXAMPLES["ordering"]["items"][0]])],
        "timeline",
        "items[3].text",
        "repeats items[0]",
    ),
    # classification
    "classification item with an unknown category": (
        [example("classification", items=_items("short-term", "medium-term"))],
        "horizons",
        "items[1].category",
        "unknown category 'medium-term'",
    ),
    "classification with one category": (
        [example("classification", categories=["long-term"])],
        "horizons",
        "categories",
        "at least 2 category names",
    ),
    "classification with repeated categories": (
        [example("classification", categories=["long-term", "long-term"])],
        "horizons",
        "categories",
        "repeats a category",
    ),
    "classification without categories": (
        [example("classification", categories=None)],
        "horizons",
        "categories",
        "is missing",
    ),
    "classification item without a category": (
        [example("classification", items=[{"text": "a", "feedback": "x"}, *_items("long-term")])],
        "horizons",
        "items[0].category",
        "is missing",
    ),
    "classification item without feedback": (
        [example("classification", items=[{"text": "a", "category": "long-term"}, *_items("long-term")])],
        "horizons",
        "items[0].feedback",
        "is missing",
    ),
    # short_answer
    "short_answer number without tolerance": (
        [example("short_number", tolerance=None)],
        "annexation-vote",
        "tolerance",
        "is missing",
    ),
    "short_answer negative tolerance": (
        [example("short_number", tolerance=-1)],
        "annexation-vote",
        "tolerance",
        "must be 0 or more",
    ),
    "short_answer number given as text": (
        [example("short_number", answer="143")],
        "annexation-vote",
        "answer",
        "must be a number",
    ),
    "short_answer unknown kind": (
        [example("short_number", answer_kind="date")],
        "annexation-vote",
        "answer_kind",
        "must be 'number' or 'text'",
    ),
    "short_answer without kind": (
        [example("short_text", answer_kind=None)],
        "summit-city",
        "answer_kind",
        "is missing",
    ),
    "short_answer text without accepted answers": (
        [example("short_text", accepted=None)],
        "summit-city",
        "accepted",
        "is missing",
    ),
    "short_answer text with a number field": (
        [example("short_text", tolerance=0)],
        "summit-city",
        "tolerance",
        "unknown key",
    ),
    "short_answer accepted answer of punctuation only": (
        [example("short_text", accepted=["Madrid", "..."])],
        "summit-city",
        "accepted[1]",
        "letters or digits",
    ),
    "short_answer without feedback": (
        [example("short_text", feedback=None)],
        "summit-city",
        "feedback",
        "is missing",
    ),
    "short_answer wrong answer that is accepted": (
        [example("short_text", wrong_answers=[{"answer": " madrid.", "feedback": "x"}])],
        "summit-city",
        "wrong_answers[0].answer",
        "matches an accepted answer",
    ),
    "short_answer wrong number inside the tolerance": (
        [example("short_number", tolerance=5, wrong_answers=[{"answer": 141, "feedback": "x"}])],
        "annexation-vote",
        "wrong_answers[0].answer",
        "within the tolerance",
    ),
    "short_answer wrong answer without feedback": (
        [example("short_number", wrong_answers=[{"answer": 141}])],
        "annexation-vote",
        "wrong_answers[0].feedback",
        "is missing",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_bank_error_names_file_question_and_field(tmp_path, case):
    questions, question_id, field, problem = BROKEN[case]
    with pytest.raises(QuizBankError) as info:
        load_bank_file(write_bank(tmp_path, questions))
    message = str(info.value)
    label = question_id if question_id.startswith("#") else repr(question_id)
    assert message.startswith(f"{LESSON}.json, question {label}, field '{field}': ")
    assert problem in message
    assert (info.value.file, info.value.question_id, info.value.field) == (
        f"{LESSON}.json",
        question_id,
        field,
    )


def test_quiz_bank_error_is_a_value_error():
    assert issubclass(QuizBankError, ValueError)


def test_question_without_id_is_named_by_position(tmp_path):
    path = write_bank(tmp_path, [example("single"), example("multiple", id=None)])
    with pytest.raises(QuizBankError, match=rf"{LESSON}\.json, question #2, field 'id': is missing"):
        load_bank_file(path)


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / f"{LESSON}.json"
    path.write_text(
        '{\n  "lesson": "99-test",\n  "questions": [\n    {"id": "a",}\n  ]\n}\n', encoding="utf-8"
    )
    with pytest.raises(QuizBankError, match=rf"{LESSON}\.json, line 4: not valid JSON") as info:
        load_bank_file(path)
    assert info.value.line == 4


def test_lesson_field_must_match_file_name(tmp_path):
    renamed = write_bank(tmp_path, [example("single")]).rename(tmp_path / "98-other.json")
    with pytest.raises(QuizBankError, match=r"98-other\.json, field 'lesson'"):
        load_bank_file(renamed)


def test_empty_question_list_is_rejected(tmp_path):
    with pytest.raises(QuizBankError, match=r"field 'questions': must be a non-empty list"):
        load_bank_file(write_bank(tmp_path, []))


def test_unknown_bank_key_is_rejected(tmp_path):
    path = tmp_path / f"{LESSON}.json"
    path.write_text('{"lesson": "99-test", "questions": [], "title": "x"}', encoding="utf-8")
    with pytest.raises(QuizBankError, match=r"field 'title': unknown key"):
        load_bank_file(path)
