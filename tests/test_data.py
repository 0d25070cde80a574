"""The article's data: loaders return documented, well-typed tables that agree with the fact sheet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from assignment_tools import REPO, solution_code
from korea_nato import data

LOADERS = {
    "event_notes": (data.event_notes, (21, 7), "event_id"),
    "drivers": (data.drivers, (6, 5), "driver_id"),
    "driver_statements": (data.driver_statements, (8, 2), "statement_id"),
    "later_events": (data.later_events, (22, 5), "event_id"),
    "glossary": (data.glossary, (33, 4), "spun"),
    "claims": (data.claims, (10, 2), "claim_id"),
    "record_notes": (data.record_notes, (7, 2), "record_id"),
    "damaged_passage": (data.damaged_passage, (8, 2), "sentence_id"),
}


@pytest.mark.parametrize("name", LOADERS)
def test_loader_returns_the_documented_shape(name):
    loader, shape, _ = LOADERS[name]
    assert loader().shape == shape
    assert f"Shape: {shape}" in loader.__doc__


@pytest.mark.parametrize("name", LOADERS)
def test_docstring_lists_every_column_with_its_dtype(name):
    loader, _, _ = LOADERS[name]
    frame = loader()
    for column in frame.columns:
        documented = re.search(rf"``{column}`` \((\w+)", loader.__doc__)
        assert documented, f"{name}() docstring does not list column {column!r}"
        if documented.group(1) == "string":
            assert pd.api.types.is_string_dtype(frame[column]), (column, frame[column].dtype)
        else:
            assert str(frame[column].dtype) == documented.group(1), (column, frame[column].dtype)


@pytest.mark.parametrize("name", LOADERS)
def test_ids_are_unique_and_present(name):
    loader, _, id_column = LOADERS[name]
    ids = loader()[id_column]
    assert ids.notna().all()
    assert ids.is_unique


@pytest.mark.parametrize("name", ["event_notes", "later_events"])
def test_notes_have_text_in_every_required_column(name):
    frame = LOADERS[name][0]()
    for column in ("date_text", "actor", "description"):
        assert frame[column].notna().all(), column
        assert (frame[column].str.strip() != "").all(), column


def test_event_ids_run_e01_to_e21_and_later_ids_x01_to_x22():
    assert sorted(data.event_notes()["event_id"]) == [f"E{n:02d}" for n in range(1, 22)]
    assert data.later_events()["event_id"].tolist() == [f"X{n:02d}" for n in range(1, 23)]


def test_event_notes_are_in_reading_order_not_date_order():
    notes = data.event_notes()
    paragraphs = notes["paragraph"].dropna()
    assert paragraphs.is_monotonic_increasing
    assert notes["event_id"].tolist() != sorted(notes["event_id"]), "students must have to sort"


def test_event_drivers_are_valid_codes():
    drivers = data.event_notes()["driver"]
    assert set(drivers.dropna()) <= set(data.DRIVER_CODES)
    assert drivers.isna().sum() == 1, "only the op-ed's own publication has no driver"


def test_drivers_are_s1_s2_and_l1_to_l4_with_their_horizons():
    drivers = data.drivers().set_index("driver_id")
    assert drivers.index.tolist() == ["S1", "S2", "L1", "L2", "L3", "L4"]
    assert drivers["horizon"].to_dict() == {
        "S1": "short-term",
        "S2": "short-term",
        "L1": "long-term",
        "L2": "long-term",
        "L3": "long-term",
        "L4": "long-term",
    }
    assert drivers["marker_phrase"].str.len().between(3, 40).all()


def test_later_events_carry_no_verdict_and_no_driver():
    assert list(data.later_events().columns) == ["event_id", "date_text", "actor", "target", "description"]


def test_glossary_kinds_are_the_documented_five():
    kinds = set(data.glossary()["kind"])
    assert kinds == {
        "meaning-changing swap",
        "damaged proper noun",
        "broken idiom",
        "not an error",
        "template artefact",
    }


def test_only_template_artefacts_lack_an_intended_wording():
    glossary = data.glossary()
    missing = glossary[glossary["intended"].isna()]
    assert set(missing["kind"]) == {"template artefact"}


# --- Dates parse under the rules ps1 teaches --------------------------------------------------


@pytest.fixture(scope="module")
def parse_date():
    """ps1's own answer to Part A, taken from the source notebook (not a copy of it)."""
    namespace = {"pd": pd}
    exec(solution_code("ps1_event_table", "parse_date"), namespace)  # noqa: S102
    return namespace["parse_date"]


@pytest.mark.parametrize("name", ["event_notes", "later_events"])
def test_every_date_text_parses_under_the_ps1_rules(name, parse_date):
    for text in LOADERS[name][0]()["date_text"]:
        date, precision = parse_date(text)
        assert isinstance(date, pd.Timestamp), text
        assert precision in {"day", "month", "year", "approximate"}, text


def test_date_texts_use_at_least_five_styles(parse_date):
    notes = data.event_notes()["date_text"]
    styles = {
        "year": r"\d{4}",
        "month": r"[A-Z][a-z]+ \d{4}",
        "iso": r"\d{4}-\d\d-\d\d",
        "day month year": r"\d{1,2} [A-Z][a-z]+ \d{4}",
        "month day, year": r"[A-Z][a-z]+ \d{1,2}, \d{4}",
        "circa": r"c\. .*",
    }
    used = {style for style, pattern in styles.items() if notes.str.fullmatch(pattern).any()}
    assert used == set(styles)


# --- Agreement with the fact sheet (../shared/ARTICLE.md) --------------------------------------


def _fact_sheet() -> Path:
    path = Path(os.environ.get("KOREA_NATO_ARTICLE", REPO.parent / "shared" / "ARTICLE.md"))
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the data against the fact sheet, but {path} is missing")
        pytest.skip("the fact sheet ../shared/ARTICLE.md is only beside the repository for maintainers")
    return path


def _table_rows(section: str) -> list[list[str]]:
    """Every row of every markdown table in ``section``, as a list of stripped cells."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ]


def _section(number: int) -> str:
    text = _fact_sheet().read_text(encoding="utf-8")
    return text.split(f"## {number}.", 1)[1].split(f"## {number + 1}.", 1)[0]


def test_events_agree_with_the_fact_sheet(parse_date):
    rows = [r for r in _table_rows(_section(3)) if re.fullmatch(r"E\d\d", r[0])]
    assert len(rows) == 21
    notes = data.event_notes().set_index("event_id")
    for event_id, date, precision, actor, target, _what, driver in rows:
        parsed, parsed_precision = parse_date(notes.loc[event_id, "date_text"])
        expected_date = pd.Timestamp(date + ("-01" if precision == "month" else ""))
        assert (parsed, parsed_precision) == (expected_date, precision), event_id
        assert notes.loc[event_id, "actor"] == actor, event_id
        assert (notes.loc[event_id, "target"] if pd.notna(notes.loc[event_id, "target"]) else "–") == target
        assert (notes.loc[event_id, "driver"] if pd.notna(notes.loc[event_id, "driver"]) else "–") == driver


def test_later_events_agree_with_the_fact_sheet(parse_date):
    rows = [r for r in _table_rows(_section(5)) if re.fullmatch(r"\d{4}-\d\d(-\d\d)?", r[0])]
    assert len(rows) == 22
    parsed = [parse_date(t) for t in data.later_events()["date_text"]]
    for (date, *_), (got, precision) in zip(rows, parsed, strict=True):
        expected_precision = "day" if len(date) == 10 else "month"
        assert (got, precision) == (
            pd.Timestamp(date if len(date) == 10 else date + "-01"),
            expected_precision,
        )


def test_glossary_covers_every_swap_in_the_fact_sheet():
    section = _section(6)
    swaps = {r[0] for r in _table_rows(section)[2:]}
    prose = " ".join(section.split("\n\n", 3)[-1].split())
    damaged = prose.split("Proper nouns damaged:", 1)[1].split("Not errors:", 1)[0]
    listed = {m.strip() for m in re.findall(r"(?:^|[,:] )([A-Za-z' -]+?) \(", damaged)}
    assert len(listed) == 15, listed
    spun = set(data.glossary()["spun"])
    assert swaps | listed <= spun, (swaps | listed) - spun
