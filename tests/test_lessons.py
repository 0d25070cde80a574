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
def test_lesson_executes_headless_without_error(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    # The kernel inherits this: quiz progress goes to a throw-away file, never the user's own.
    monkeypatch.setenv("KOREA_NATO_PROGRESS", str(tmp_path / "progress.json"))
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


# ---------------------------------------------------------------------------------------------
# Lesson structure: the Carpentries skeleton, quizzes from the lesson's own bank, figures with alt
# text, helpers in the package (not in notebooks), and a course plan that names every lesson.
# ---------------------------------------------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
from importlib.resources import files  # noqa: E402

COURSE_PLAN = LESSONS_DIR / "00-start-here.ipynb"
#: The numbered teaching lessons (the course plan is not one).
TEACHING_LESSONS = [p for p in LESSONS if re.match(r"\d\d-", p.name) and p != COURSE_PLAN]
QUIZ_TYPES = {"single", "multiple", "true_false", "ordering", "classification", "short_answer"}
ASK_CALL = re.compile(r"""\bask\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")
FIGURE_CALL = re.compile(r"\b(timeline|evidence_span_chart|scorecard_chart)\(")
REPO_ROOT = LESSONS_DIR.parent


def cells_of(path, cell_type=None):
    cells = nbformat.read(path, as_version=4).cells
    return [cell for cell in cells if cell_type is None or cell.cell_type == cell_type]


def bank_json(stem):
    """A lesson's quiz bank as plain JSON (independent of the quiz library's validation)."""
    resource = files("korea_nato").joinpath("quizzes", f"{stem}.json")
    assert resource.is_file(), f"no quiz bank quizzes/{stem}.json for lesson {stem}"
    return json.loads(resource.read_text(encoding="utf-8"))


def asked(path):
    """The (lesson, question id) pairs a notebook asks, in order."""
    return [pair for cell in cells_of(path, "code") for pair in ASK_CALL.findall(cell.source)]


def test_the_course_plan_and_lessons_02_to_06_exist():
    names = {p.name for p in LESSONS}
    assert COURSE_PLAN.name in names
    for number in ["02", "03", "04", "05", "06"]:
        assert any(name.startswith(f"{number}-") for name in names), f"lesson {number} is missing"


def test_only_the_damaged_source_lesson_is_exempt_from_the_spun_phrase_check():
    exempt = [p.name for p in LESSONS if "damaged" in p.name]
    assert exempt == ["05-reading-a-damaged-source.ipynb"]


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_lesson_opens_with_questions_objectives_and_a_time_estimate(path):
    first = cells_of(path)[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "the first cell is the title"
    for heading in ["**Questions**", "**Objectives**"]:
        assert heading in first.source, f"{path.name}: the first cell has no {heading}"
    assert re.search(r"\b\d+\s*min\b", first.source), f"{path.name}: the first cell gives no time estimate"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_lesson_closes_with_key_points(path):
    last = cells_of(path)[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Key points"), (
        f"{path.name}: the last cell should be '## Key points'"
    )
    assert last.source.count("\n- ") >= 3, f"{path.name}: key points should list at least three points"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_lesson_asks_at_least_four_questions_from_its_own_bank(path):
    pairs = asked(path)
    assert len(pairs) >= 4, f"{path.name} asks {len(pairs)} quiz questions; each lesson needs at least 4"
    assert {lesson for lesson, _ in pairs} == {path.stem}, f"{path.name} asks questions from another bank"
    ids = [question_id for _, question_id in pairs]
    assert len(ids) == len(set(ids)), f"{path.name} asks a question twice"
    bank_ids = [question["id"] for question in bank_json(path.stem)["questions"]]
    assert set(ids) <= set(bank_ids), f"{path.name} asks unknown questions {sorted(set(ids) - set(bank_ids))}"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_every_question_of_a_bank_is_asked_in_its_lesson(path):
    bank_ids = {question["id"] for question in bank_json(path.stem)["questions"]}
    never_asked = bank_ids - {question_id for _, question_id in asked(path)}
    assert not never_asked, f"{path.stem}.json has questions its lesson never asks: {sorted(never_asked)}"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_lesson_shows_its_score_panel(path):
    calls = [cell.source for cell in cells_of(path, "code") if "score_panel(" in cell.source]
    assert calls == [f'score_panel("{path.stem}")'], f"{path.name} should end with one score_panel cell"


def test_the_module_uses_every_quiz_type():
    used = {question["type"] for path in TEACHING_LESSONS for question in bank_json(path.stem)["questions"]}
    assert QUIZ_TYPES <= used, f"quiz types never used in any lesson: {sorted(QUIZ_TYPES - used)}"


@pytest.mark.parametrize("path", [p for p in TEACHING_LESSONS if "damaged" not in p.name], ids=lambda p: p.name)
def test_quiz_bank_contains_no_spun_phrase(path):
    text = json.dumps(bank_json(path.stem), ensure_ascii=False).lower()
    found = [phrase for phrase in spun_phrases() if phrase.lower() in text]
    assert not found, f"{path.stem}.json copies phrases from the spun copy: {found}"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_first_code_cell_is_a_short_import(path):
    lines = cells_of(path, "code")[0].source.strip().splitlines()
    assert len(lines) <= 6, f"{path.name}: the first code cell should be a short import"
    assert all(line.startswith(("import ", "from ")) for line in lines), (
        f"{path.name}: the first code cell should only import"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_defines_no_helper_function_or_class(path):
    for cell in cells_of(path, "code"):
        assert not re.search(r"^\s*(def|class)\s", cell.source, flags=re.MULTILINE), (
            f"{path.name} defines a helper; helpers live in the korea_nato package:\n{cell.source}"
        )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_figure_is_shown_with_its_text_description(path):
    for cell in cells_of(path, "code"):
        assert not re.search(r"\bplt\.|\.plot\(|import matplotlib", cell.source), (
            f"{path.name} draws a figure directly; use korea_nato.figures and show(), which add alt text"
        )
        if FIGURE_CALL.search(cell.source):
            assert "show(" in cell.source, f"{path.name}: a figure is made without show():\n{cell.source}"


@pytest.mark.parametrize("path", TEACHING_LESSONS, ids=lambda p: p.name)
def test_every_result_is_read_in_a_sentence(path):
    cells = cells_of(path)
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or index == 0:
            continue
        is_quiz = ASK_CALL.search(cell.source) or "score_panel(" in cell.source
        if is_quiz or cells_of(path, "code")[0] is cell:
            continue
        following = cells[index + 1] if index + 1 < len(cells) else None
        assert following is not None and following.cell_type == "markdown", (
            f"{path.name}: the code cell below is not followed by a sentence that reads its result:\n{cell.source}"
        )


def test_the_course_plan_names_every_lesson_and_assignment():
    text = "\n".join(cell.source for cell in cells_of(COURSE_PLAN))
    for lesson in TEACHING_LESSONS:
        assert lesson.name in text, f"the course plan does not mention {lesson.name}"
    for assignment in sorted((REPO_ROOT / "source").glob("ps*")):
        assert assignment.name in text, f"the course plan does not mention {assignment.name}"
    assert "time" in text.lower() and "self" in text.lower()
