"""Every committed notebook is clean, and every source notebook carries valid nbgrader metadata."""

from __future__ import annotations

import re

import nbformat
import pytest

from assignment_tools import REPO, nbgrader_meta

NOTEBOOKS = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("lessons", "source", "release")
    for p in (REPO / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
SOURCE_NOTEBOOKS = [p for p in NOTEBOOKS if p.startswith("source/")]
NBGRADER_KEYS = {"grade", "solution", "locked", "grade_id", "schema_version"}


def test_there_are_lessons_sources_and_releases():
    folders = {p.split("/")[0] for p in NOTEBOOKS}
    assert folders == {"lessons", "source", "release"}


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_is_valid_and_clean(path):
    nb = nbformat.read(REPO / path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "widget state is saved in the notebook; clear it"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"
        assert "attachments" not in cell or not cell.attachments, f"cell {index} has attachments"
        # nbgrader's LockCells writes deletable/editable into release notebooks; nothing else may.
        allowed = {"nbgrader", "tags"} | ({"deletable", "editable"} if path.startswith("release/") else set())
        extra = set(cell.metadata) - allowed
        assert not extra, f"cell {index} carries editor metadata {sorted(extra)}"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS)
def test_every_source_cell_has_valid_nbgrader_metadata(path):
    nb = nbformat.read(REPO / path, as_version=4)
    seen = set()
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        where = f"{path} cell {index}"
        expected_keys = NBGRADER_KEYS | ({"points"} if meta.get("grade") else set())
        assert set(meta) == expected_keys, f"{where}: nbgrader keys {sorted(meta)}"
        assert meta["schema_version"] == 3, where
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta["grade_id"]), where
        assert meta["grade_id"] not in seen, f"{where}: duplicate grade_id {meta['grade_id']}"
        seen.add(meta["grade_id"])
        if meta["grade"]:
            assert meta["points"] > 0, where
            assert cell.cell_type == "code" or meta["solution"], (
                f"{where}: a graded markdown cell must also be a solution cell"
            )
        if cell.cell_type == "code" and meta["grade"]:
            assert meta["locked"] and not meta["solution"], f"{where}: a test cell must be locked"
            first_line = cell.source.lstrip().splitlines()[0]
            assert re.fullmatch(r'"""Check .+"""', first_line), (
                f"{where}: a test cell opens with a one-line docstring saying what it checks"
            )
        if "### BEGIN SOLUTION" in cell.source:
            assert meta["solution"], f"{where}: solution region outside a solution cell"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS)
def test_points_appear_in_the_headings_and_add_up(path):
    nb = nbformat.read(REPO / path, as_version=4)
    total = sum(nbgrader_meta(c).get("points", 0) for c in nb.cells if nbgrader_meta(c).get("grade"))
    assert total >= 20
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    title = re.search(r"^# .*\((\d+) points\)", text, re.M)
    assert title and int(title.group(1)) == total, "the title gives the total points"
    parts = [int(n) for n in re.findall(r"^## Part \w.*\((\d+) points?\)", text, re.M)]
    assert parts and sum(parts) == total, f"Part headings give {parts}, the cells {total}"
