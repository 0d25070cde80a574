"""The de-spinner restores the glossary's phrases, reports each swap with its kind, and touches nothing else."""

from __future__ import annotations

import pandas as pd
import pytest

from korea_nato.data import glossary
from korea_nato.despin import Restoration, despin

GLOSSARY = glossary()
REPAIRABLE = GLOSSARY[GLOSSARY["intended"].notna() & (GLOSSARY["kind"] != "not an error")]


@pytest.mark.parametrize("row", list(REPAIRABLE.itertuples(index=False)), ids=lambda row: row.spun)
def test_every_glossary_phrase_is_restored_to_its_intended_wording(row):
    result = despin(f"Before {row.spun} after.")
    assert result.restored == f"Before {row.intended} after."
    assert [(swap.found, swap.replacement, swap.kind) for swap in result.swaps] == [
        (row.spun, row.intended, row.kind)
    ]


def test_a_swap_reports_its_kind_why_it_matters_and_position():
    text = "After the Chilly Warfare the alliance went global."
    (swap,) = despin(text).swaps
    assert swap.kind == "damaged proper noun"
    assert swap.why_it_matters == "a historical period becomes nonsense"
    assert text[swap.start : swap.start + len(swap.found)] == "Chilly Warfare"


def test_several_swaps_are_reported_in_reading_order():
    result = despin("Yoon took workplace final Could; the UN Basic Meeting voted, so to talk.")
    assert result.restored == "Yoon took office last May; the UN General Assembly voted, so to speak."
    assert [swap.kind for swap in result.swaps] == ["meaning-changing swap", "damaged proper noun", "broken idiom"]


def test_template_artefacts_are_deleted_and_the_spacing_tidied():
    result = despin("[ad_1] Seoul opened a mission. Source link")
    assert result.restored == "Seoul opened a mission."
    assert [swap.replacement for swap in result.swaps] == ["", ""]
    assert {swap.kind for swap in result.swaps} == {"template artefact"}


def test_phrases_marked_not_an_error_are_left_alone_and_listed():
    text = "THAAD and the ADIZ are real; NATO sits on Boulevard Leopold III."
    result = despin(text)
    assert result.restored == text
    assert result.swaps == ()
    assert result.left_alone == ("THAAD", "ADIZ", "Leopold III")


def test_a_sentence_without_known_damage_comes_back_unchanged():
    text = "The envoy post had been vacant since 2018."
    result = despin(text)
    assert (result.restored, result.swaps, result.changed) == (text, (), False)
    assert "No known swap found." in str(result)


def test_matching_ignores_case_and_keeps_the_sentence_capitalisation():
    assert despin("much more apparently, it held.").restored == "even more interestingly, it held."
    assert despin("Much more apparently, it held.").restored == "Even more interestingly, it held."
    assert despin("the chilly warfare ended").restored == "the Cold War ended"


def test_curly_apostrophes_and_line_breaks_inside_a_phrase_still_match():
    assert despin("It gained\u2019t last.").restored == "It won't last."
    assert despin("a summer\nseason fling").restored == "a summer fling"


def test_only_whole_words_are_matched():
    text = "The navy toolsets and the sunseating area."
    assert despin(text).restored == text


def test_the_longest_phrase_wins_over_a_shorter_one_inside_it():
    table = pd.DataFrame(
        {
            "spun": ["Basic Meeting", "UN Basic Meeting"],
            "intended": ["General Meeting", "UN General Assembly"],
            "kind": ["broken idiom", "damaged proper noun"],
            "why_it_matters": ["a", "b"],
        }
    )
    assert despin("at the UN Basic Meeting", table).restored == "at the UN General Assembly"


def test_the_report_table_has_one_row_per_swap():
    table = despin("[ad_1] After the Chilly Warfare, the threat looms giant.").table()
    assert table.columns.tolist() == ["found", "replacement", "kind", "why_it_matters"]
    assert table["found"].tolist() == ["[ad_1]", "Chilly Warfare", "looms giant"]


def test_the_printed_report_names_each_swap_and_its_kind():
    report = str(despin("Koreans need to know why."))
    assert "Restored: Koreans want to know why." in report
    assert "'Koreans need to know' -> 'Koreans want to know' [meaning-changing swap]" in report


def test_despin_returns_a_restoration():
    assert isinstance(despin(""), Restoration)


@pytest.mark.parametrize("bad", [None, 42, ["Chilly Warfare"]])
def test_text_that_is_not_a_string_is_refused_with_a_clear_message(bad):
    with pytest.raises(TypeError, match="needs a string"):
        despin(bad)


def test_a_glossary_without_the_needed_columns_is_refused():
    with pytest.raises(ValueError, match="missing \\['intended', 'kind', 'why_it_matters'\\]"):
        despin("text", pd.DataFrame({"spun": ["x"]}))
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        despin("text", {"spun": ["x"]})
