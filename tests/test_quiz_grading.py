"""Answer checking without widgets: normalisation, number parsing, and a verdict for every type."""

from __future__ import annotations

import pytest

from korea_nato.quiz import grade
from korea_nato.quiz.normalise import normalise_text, numbers_match, parse_number
from quiz_examples import load_example


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Madrid", "madrid"),
        ("  MADRID  ", "madrid"),
        ("Madrid.", "madrid"),
        ("Madrid!?", "madrid"),
        ("the   Cold\tWar", "the cold war"),
        ("“Cold War”", "“cold war"),  # trailing punctuation only, as the schema says
        ("Straße", "strasse"),
        ("...", ""),
    ],
)
def test_normalise_text_case_folds_collapses_spaces_and_strips_trailing_punctuation(typed, normal):
    assert normalise_text(typed) == normal


@pytest.mark.parametrize(
    ("typed", "unit", "number"),
    [
        ("143", None, 143.0),
        (" -3.5 ", None, -3.5),
        ("1,000", None, 1000.0),
        ("1,000.5", None, 1000.5),
        ("143 states", "states", 143.0),
        ("143States", "states", 143.0),
        ("1e3", None, 1000.0),
        ("12,5", None, None),  # a decimal comma is ambiguous: refused, not misread as 125
        ("forty", None, None),
        ("143 km", "states", None),
        ("nan", None, None),
        ("inf", None, None),
        ("", None, None),
    ],
)
def test_parse_number_reads_plain_numbers_thousands_and_the_unit(typed, unit, number):
    assert parse_number(typed, unit) == number


def test_numbers_match_within_tolerance_including_the_boundary():
    assert numbers_match(0.3, 0.1 + 0.2, 0)
    assert numbers_match(145, 143, 2)
    assert not numbers_match(145.01, 143, 2)


# ---------------------------------------------------------------------------------------------
# Verdicts per type
# ---------------------------------------------------------------------------------------------


def test_single_right_wrong_and_unanswered(tmp_path):
    q = load_example(tmp_path, "single")
    right = grade(q, 1)
    assert (right.status, right.headline, right.score) == ("correct", "Correct.", 1)
    assert right.notes == ("Yes, in our words.",)
    wrong = grade(q, 2)
    assert (wrong.status, wrong.headline, wrong.score) == ("wrong", "Not quite.", 0)
    assert "Partnership is not membership." in wrong.notes
    none = grade(q, None)
    assert not none.is_attempt and none.headline == "No answer selected yet."


def test_multiple_gives_partial_credit_for_options_judged_correctly(tmp_path):
    q = load_example(tmp_path, "multiple")  # options 0, 1, 3 are right; 2 is wrong
    verdict = grade(q, {0, 2, 3})  # missed 1, wrongly ticked 2
    assert verdict.status == "partial"
    assert verdict.headline == "Partly right: 2 of 4."
    assert (verdict.right, verdict.total, verdict.score) == (2, 4, 0.5)
    assert any("Missed: first time since 2018." in note for note in verdict.notes)
    assert any("That is threat convergence." in note for note in verdict.notes)
    assert not any("Missed: this is values evidence." in note for note in verdict.notes)
    assert grade(q, [0, 1, 3]).headline == "Correct."
    assert grade(q, {2}).headline == "Not quite."  # 0 of 4 judged correctly
    assert not grade(q, set()).is_attempt


def test_true_false_shows_the_feedback_of_the_answer_given(tmp_path):
    q = load_example(tmp_path, "true_false")  # the statement is false
    said_true = grade(q, True)
    assert said_true.headline == "Not quite." and said_true.notes == (q.feedback_true,)
    said_false = grade(q, False)
    assert said_false.headline == "Correct." and said_false.notes == (q.feedback_false,)
    assert not grade(q, None).is_attempt


def test_ordering_counts_items_in_place_and_names_the_first_pair_out_of_order_without_dates(tmp_path):
    q = load_example(tmp_path, "ordering")
    assert grade(q, [0, 1, 2, 3]).headline == "Correct."
    swapped = grade(q, [0, 1, 3, 2])
    assert swapped.headline == "Partly right: 2 of 4."
    assert swapped.notes == (
        "2 of 4 items are in the right place.",
        "The first pair out of order: “NATO approves Korea's mission” should come after “Yoon at the Madrid summit”.",
    )
    reversed_ = grade(q, [3, 2, 1, 0])
    assert reversed_.headline == "Not quite."
    assert reversed_.notes[1].startswith("The first pair out of order: “NATO approves Korea's mission”")
    # No item's feedback (which carries its date) is shown for a wrong order.
    for verdict in (swapped, reversed_, grade(q, [1, 0, 3, 2])):
        assert "2022" not in verdict.message
    assert grade(q, [1, 0, 3, 2]).headline == "Not quite."
    with pytest.raises(ValueError, match="each item position once"):
        grade(q, [0, 0, 1, 2])


def test_classification_counts_items_in_the_right_category(tmp_path):
    q = load_example(tmp_path, "classification")  # long, short, long, short
    assert grade(q, ["long-term", "short-term", "long-term", "short-term"]).headline == "Correct."
    verdict = grade(q, ["long-term", "long-term", "long-term", "short-term"])
    assert verdict.headline == "Partly right: 3 of 4."
    assert verdict.notes == (
        "3 of 4 items are sorted into the right category.",
        "“Russia's invasion of Ukraine”: An immediate reason.",
    )
    incomplete = grade(q, ["long-term", None, None, "short-term"])
    assert not incomplete.is_attempt
    assert incomplete.notes == ("2 items have none: choose one for each.",)
    with pytest.raises(ValueError, match="unknown category"):
        grade(q, ["long-term", "medium", "long-term", "short-term"])


def test_short_number_answer_uses_tolerance_unit_and_common_mistakes(tmp_path):
    q = load_example(tmp_path, "short_number", tolerance=1)
    assert grade(q, "143").correct
    assert grade(q, "144 states").correct
    assert grade(q, "142.0").correct
    mistake = grade(q, "141")
    assert mistake.headline == "Not quite." and mistake.notes == (
        "141 is the March 2022 vote on Russia's aggression.",
    )
    other = grade(q, "100")
    assert other.notes == ("Look at event E17 in the event table.",)


def test_short_number_answer_that_does_not_parse_is_explained_and_not_an_attempt(tmp_path):
    q = load_example(tmp_path, "short_number")
    verdict = grade(q, "about 140")
    assert not verdict.is_attempt
    assert verdict.headline == "“about 140” is not a number."
    assert "did not count as a try" in verdict.message
    assert not grade(q, "   ").is_attempt


def test_short_text_answer_is_normalised_and_knows_common_mistakes(tmp_path):
    q = load_example(tmp_path, "short_text")
    assert grade(q, "  MADRID. ").correct
    assert grade(q, "vilnius!").notes == ("Vilnius was his second summit, in 2023.",)
    assert grade(q, "Brussels").notes == ("Look at event E11.",)
