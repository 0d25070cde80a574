"""Every lesson executes headless, and no lesson copies the spun copy's garbled phrases."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from korea_nato.data import glossary

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("*.ipynb"))

#: Phrases ARTICLE.md §6 lists, in case the glossary ever loses one.
LISTED_SPUN_PHRASES = {
    "Chilly Warfare",
    "Basic Meeting",
    "assume tankers",
    "workplace final Could",
    "navy tools",
    "summer season fling",
    "King's School London",
    "Brussels College of Governance",
    "Worldwide Relations",
    "zero-sum recreation",
    "right here to remain",
}


def spun_phrases() -> list[str]:
    """Every damaged phrase of the spun copy: the glossary's errors plus the listed ones."""
    table = glossary()
    errors = table[~table["kind"].isin(["not an error", "template artefact"])]
    return sorted(set(errors["spun"].tolist()) | LISTED_SPUN_PHRASES)


def test_there_is_at_least_one_lesson():
    assert LESSONS, f"no lessons found in {LESSONS_DIR}"


def test_spun_phrase_list_covers_the_glossary_and_the_fact_sheet():
    phrases = spun_phrases()
    assert "UN Basic Meeting" in phrases and "living proof" in phrases
    assert "Leopold III" not in phrases and "[ad_1]" not in phrases


@pytest.mark.parametrize("path", [p for p in LESSONS if "damaged" not in p.name], ids=lambda p: p.name)
def test_lesson_contains_no_spun_phrase(path):
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells).lower()
    found = [phrase for phrase in spun_phrases() if phrase.lower() in text]
    assert not found, f"{path.name} copies phrases from the spun copy: {found}"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_executes_headless_without_error(path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(LESSONS_DIR)}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
