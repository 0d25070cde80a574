"""The objective map (``src/korea_nato/objectives.csv``) matches the lessons, the quiz banks and the graded work.

Each lesson states its objectives in its first markdown cell; the map gives each one an id
(``L05.2`` is lesson 05's second objective) and names the quiz questions (ids in that lesson's
bank) and the graded items (``assignment:grade_id``) that assess it. These tests fail when the
map and the course drift apart: an objective added, reworded or dropped in a lesson, a quiz id or
grade id that no longer exists, an objective nothing assesses, or graded work that assesses no
objective.
"""

from __future__ import annotations

import csv
import json
import re

import pytest

from assignment_tools import ASSIGNMENTS, REPO, SOURCE, nbgrader_meta, notebook_path, read

MAP = REPO / "src" / "korea_nato" / "objectives.csv"
COLUMNS = ["objective_id", "lesson", "objective", "quiz_ids", "graded_items"]
LESSONS = sorted(p.stem for p in (REPO / "lessons").glob("[0-9][0-9]-*.ipynb"))


def lesson_objectives(lesson: str) -> list[str]:
    """The objectives listed under **Objectives** in a lesson's first markdown cell, one line each."""
    nb = json.loads((REPO / "lessons" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"])
    if "**Objectives**" not in first:
        return []
    block = first.split("**Objectives**", 1)[1].strip().split("\n\n")[0]
    return [" ".join(item.split()) for item in re.split(r"^- ", block, flags=re.M) if item.strip()]


def lesson_objective_ids() -> dict[str, tuple[str, str]]:
    """``{objective id: (lesson, text)}`` for every objective every lesson states."""
    found = {}
    for lesson in LESSONS:
        for number, text in enumerate(lesson_objectives(lesson), start=1):
            found[f"L{lesson[:2]}.{number}"] = (lesson, text)
    return found


def objective_map() -> list[dict]:
    with MAP.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS, f"objectives.csv should have the columns {COLUMNS}"
        return [
            row | {"quiz_ids": row["quiz_ids"].split(), "graded_items": row["graded_items"].split()}
            for row in reader
        ]


def quiz_ids(lesson: str) -> set[str]:
    path = REPO / "src" / "korea_nato" / "quizzes" / f"{lesson}.json"
    if not path.exists():
        return set()
    return {question["id"] for question in json.loads(path.read_text(encoding="utf-8"))["questions"]}


def graded_items() -> set[str]:
    """Every graded test cell and written answer in source/, as ``assignment:grade_id``."""
    items = set()
    for assignment in ASSIGNMENTS:
        for cell in read(notebook_path(SOURCE, assignment)).cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                items.add(f"{assignment}:{meta['grade_id']}")
    return items


ROWS = objective_map()
BY_ID = {row["objective_id"]: row for row in ROWS}


def test_every_objective_id_appears_once():
    ids = [row["objective_id"] for row in ROWS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert all(re.fullmatch(r"L\d{2}\.\d+", i) for i in ids), ids


def test_the_lessons_state_objectives_to_map():
    assert len(lesson_objective_ids()) >= 20, "the scan found too few objectives; has the lesson format changed?"


@pytest.mark.parametrize("objective_id", sorted(lesson_objective_ids()))
def test_every_lesson_objective_is_in_the_map_with_its_text(objective_id):
    lesson, text = lesson_objective_ids()[objective_id]
    assert objective_id in BY_ID, f"{lesson} states an objective the map lacks: {objective_id} {text!r}"
    row = BY_ID[objective_id]
    assert row["lesson"] == lesson, f"{objective_id} belongs to {lesson}, not {row['lesson']}"
    assert " ".join(row["objective"].split()) == text, (
        f"{objective_id}'s text differs from {lesson}: the lesson says {text!r}"
    )


def test_the_map_has_no_objective_the_lessons_dropped():
    stale = sorted(set(BY_ID) - set(lesson_objective_ids()))
    assert not stale, f"the map lists objectives no lesson states any more: {stale}"


@pytest.mark.parametrize("objective_id", sorted(BY_ID))
def test_listed_quiz_questions_exist_in_the_lessons_bank(objective_id):
    row = BY_ID[objective_id]
    unknown = sorted(set(row["quiz_ids"]) - quiz_ids(row["lesson"]))
    assert not unknown, f"{objective_id}: no question {unknown} in the quiz bank of {row['lesson']}"


@pytest.mark.parametrize("objective_id", sorted(BY_ID))
def test_listed_graded_items_exist_in_source(objective_id):
    unknown = sorted(set(BY_ID[objective_id]["graded_items"]) - graded_items())
    assert not unknown, f"{objective_id}: no graded cell {unknown} in source/ (assignment:grade_id)"


@pytest.mark.parametrize("objective_id", sorted(BY_ID))
def test_every_objective_is_assessed_by_a_quiz_or_graded_work(objective_id):
    row = BY_ID[objective_id]
    assert row["quiz_ids"] or row["graded_items"], f"{objective_id}: nothing assesses {row['objective']!r}"


def test_every_graded_item_assesses_an_objective():
    mapped = {item for row in ROWS for item in row["graded_items"]}
    orphans = sorted(graded_items() - mapped)
    assert not orphans, f"graded work that names no objective (add it to objectives.csv): {orphans}"


def test_the_counting_sees_the_graded_work_of_every_assignment():
    assignments = {item.split(":")[0] for item in graded_items()}
    assert assignments == set(ASSIGNMENTS), "an assignment has no graded cell, or the scan missed it"


def part_objective_notes(assignment: str) -> list[tuple[str, set[str], set[str]]]:
    """For each part heading that names its objectives: (heading, ids named, ids its graded cells assess)."""
    parts, current = [], None
    for cell in read(notebook_path(SOURCE, assignment)).cells:
        heading = re.search(r"^## Part \w.*$", cell.source, re.M) if cell.cell_type == "markdown" else None
        if heading:
            named = re.search(r"^\*Lesson objectives assessed:\* (.+?)(?: \(|\.$)", cell.source, re.M)
            current = (heading.group(0), set(re.findall(r"L\d{2}\.\d+", named.group(1))) if named else None, set())
            parts.append(current)
        meta = nbgrader_meta(cell)
        if current and meta.get("grade"):
            item = f"{assignment}:{meta['grade_id']}"
            current[2].update(row["objective_id"] for row in ROWS if item in row["graded_items"])
    return [(heading, named, assessed) for heading, named, assessed in parts if named is not None]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_objectives_named_in_a_part_heading_are_those_its_graded_cells_assess(assignment):
    for heading, named, assessed in part_objective_notes(assignment):
        assert named == assessed, f"{assignment} {heading!r} names {sorted(named)}; the map says {sorted(assessed)}"


def test_ps4_names_the_objectives_of_every_part():
    assert len(part_objective_notes("ps4_check_the_source")) == 4
