"""The bank bias check catches banks answerable without reading, and the module's banks pass it."""

from __future__ import annotations

from korea_nato.quiz import bank_names, load_bank, parse_bank
from korea_nato.quiz.bias import bias_problems, main


def single(qid, texts, key):
    return {
        "id": qid, "type": "single", "prompt": f"Question {qid}?", "explanation": "E.", "source": "ARTICLE.md §2",
        "options": [{"text": t, "correct": i == key, "feedback": f"F{i}."} for i, t in enumerate(texts)],
    }


def true_false(qid, answer):
    return {
        "id": qid, "type": "true_false", "prompt": f"Statement {qid}.", "answer": answer, "feedback_true": "T.",
        "feedback_false": "F.", "explanation": "E.", "source": "ARTICLE.md §2",
    }


def multiple(qid, keys, n=5):
    return {
        "id": qid, "type": "multiple", "prompt": f"Which {qid}?", "explanation": "E.", "source": "ARTICLE.md §2",
        "options": [{"text": f"option {i}", "correct": i in keys, "feedback": f"F{i}."} for i in range(n)],
    }


def bank(lesson, *questions):
    return parse_bank({"lesson": lesson, "questions": list(questions)}, f"{lesson}.json")


SHORT = ["a", "bb", "ccc"]


def test_the_shipped_banks_pass_the_bias_check(capsys):
    assert bias_problems(load_bank(name) for name in bank_names()) == []
    assert main() == 0 and "pass the bias check" in capsys.readouterr().out


def test_a_lesson_whose_keys_are_mostly_the_longest_option_is_flagged():
    biased = bank("10-x", single("a", [*SHORT, "the long right answer"], 3),
                  single("b", ["the long right answer", *SHORT], 0), single("c", ["x", "the key", "y", "z"], 2))
    (problem,) = [p for p in bias_problems([biased]) if "longest" in p]
    assert problem.startswith("10-x: the key is the longest option in 2 of 3 single-choice questions (a, b)")


def test_a_lesson_whose_keys_sit_mostly_in_one_place_is_flagged():
    biased = bank("10-x", *(single(q, ["long wrong option", "key", "other wrong one"], 0) for q in "abc"))
    assert any("the key is option 1 in 3 of 3" in p for p in bias_problems([biased]))


def test_true_false_keys_all_one_way_or_unbalanced_are_flagged():
    all_false = bank("10-x", true_false("a", False), true_false("b", False))
    assert "10-x: every true/false key is False" in bias_problems([all_false])
    assert "every true/false key in the module is False" in bias_problems([all_false])
    lopsided = [bank("10-x", true_false("a", True)), bank("11-y", *(true_false(q, False) for q in "bcd"))]
    assert "true/false keys are unbalanced: 1 True and 3 False" in bias_problems(lopsided)
    balanced = [bank("10-x", true_false("a", True), true_false("b", False)), bank("11-y", true_false("c", False))]
    assert bias_problems(balanced) == []


def test_multiple_select_keys_always_together_or_always_as_many_are_flagged():
    together = bank("10-x", multiple("a", {0, 1, 2}), multiple("b", {1, 2}), multiple("c", {2, 3, 4}))
    assert any("keys sit together (a, b, c)" in p for p in bias_problems([together]))
    same_count = bank("10-x", multiple("a", {0, 2, 4}), multiple("b", {1, 3, 4}), multiple("c", {0, 1, 3}))
    assert bias_problems([same_count]) == ["every multiple-select question has 3 keys; vary how many options are right"]
    fine = bank("10-x", multiple("a", {0, 2, 4}), multiple("b", {1, 3}), multiple("c", {0, 1}))
    assert bias_problems([fine]) == []
