"""Lesson content: quizzes that need transfer, terms defined at first use, sources students can see,
and a student action in every numbered section (issue 12).

Each check is a plain function over a notebook (and its quiz bank) that returns what is wrong, so the
unit tests at the end can feed it a bad notebook and see it fail.
"""

from __future__ import annotations

import ast
import json
import re
from importlib.resources import files
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from korea_nato.terms import Term, parse_terms, terms

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "lessons").glob("[0-9][0-9]-*.ipynb"))
RELEASE_NOTEBOOKS = sorted((REPO / "release").glob("*/*.ipynb"))
STUDY_PACKAGE = REPO / "src" / "korea_nato" / "study"
ASK_CALL = re.compile(r"""\bask\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def bank_of(lesson: str) -> dict | None:
    """A lesson's quiz bank as plain JSON, or None for a lesson without one (the course plan)."""
    resource = files("korea_nato").joinpath("quizzes", f"{lesson}.json")
    return json.loads(resource.read_text(encoding="utf-8")) if resource.is_file() else None


def normalised(text: str) -> str:
    """Lower case, emphasis marks and line breaks removed, curly quotes made straight."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.replace("*", "").split()).lower()


def asked_cells(notebook, lesson: str) -> list[tuple[int, str]]:
    """(cell index, question id) for every question of ``lesson``'s own bank the notebook asks."""
    return [
        (index, question_id)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for bank_lesson, question_id in ASK_CALL.findall(cell.source)
        if bank_lesson == lesson
    ]


def markdown_above(notebook, index: int) -> tuple[int, str]:
    """The nearest markdown cell above cell ``index`` (code cells skipped): its index and text."""
    for above in range(index - 1, -1, -1):
        if notebook.cells[above].cell_type == "markdown":
            return above, notebook.cells[above].source
    return -1, ""


def question_text(question: dict) -> str:
    """Everything a student reads in a question: prompt, options or items, feedback, explanation."""
    parts = [question.get("prompt", ""), question.get("explanation", ""), question.get("feedback", "")]
    for entry in question.get("options", []) + question.get("items", []):
        parts += [entry.get("text", ""), entry.get("feedback", "")]
    parts += [question.get("feedback_true", ""), question.get("feedback_false", "")]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# 1. Transfer: a question is "cued" when its key text, or a year or a name in it, is in the
#    markdown cell just above it (lessons-common item 2).
# ---------------------------------------------------------------------------------------------

#: Capitalised words that are ordinary English at the start of a sentence (or "True or false:"), not names.
COMMON_WORDS = set(
    "A An And As At After All Also Before Both But By Each Every First For From He His How If In "
    "Is It Its Most No None Not Of On One Only Or So Some That The Their Then There These They This "
    "Those To Two Three Four Five True False Was Were What When Which Who Why With Yes".split()
)
YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
NAME = re.compile(r"\b[A-Z][A-Za-z0-9-]*[A-Za-z0-9]|\b[A-Z]\b")


def key_texts(question: dict) -> list[str]:
    """The text of a question's answer: each correct option, each item, or the accepted answers."""
    kind = question["type"]
    if kind in ("single", "multiple"):
        return [option["text"] for option in question["options"] if option["correct"]]
    if kind in ("ordering", "classification"):
        return [item["text"] for item in question["items"]]
    if kind == "true_false":
        return [question["prompt"]]  # the statement judged is the answer's content
    if question["answer_kind"] == "number":
        return [f"{question['answer']:g}"]
    return list(question["accepted"])


def cues_of(text: str) -> set[str]:
    """Every 4-digit year and capitalised name (not a common sentence-opening word) in ``text``."""
    names = {name for name in NAME.findall(text) if name not in COMMON_WORDS}
    return set(YEAR.findall(text)) | names


def cue_in(question: dict, cell_text: str) -> str | None:
    """The first piece of the question's key found in ``cell_text``, or None."""
    for key in key_texts(question):
        if re.search(rf"(?<!\w){re.escape(normalised(key))}(?!\w)", normalised(cell_text)):
            return key
        for cue in sorted(cues_of(key)):
            if re.search(rf"(?<![\w-]){re.escape(cue)}(?![\w-])", cell_text):
                return cue
    return None


def cued_questions(notebook, lesson: str, bank: dict) -> tuple[list[str], int]:
    """The lesson's cued questions (each with its cue and cell) and how many questions it asks."""
    by_id = {question["id"]: question for question in bank["questions"]}
    cued, asked = [], asked_cells(notebook, lesson)
    for index, question_id in asked:
        above, text = markdown_above(notebook, index)
        cue = cue_in(by_id[question_id], text)
        if cue is not None:
            cued.append(f"{question_id} (cell {above} above it shows {cue!r})")
    return cued, len(asked)


def too_many_cued(notebook, lesson: str, bank: dict) -> str | None:
    """A failure message when more than half of the lesson's questions are cued, else None."""
    cued, total = cued_questions(notebook, lesson, bank)
    if 2 * len(cued) > total:
        return (
            f"{lesson}: {len(cued)} of {total} quiz questions are answered by the markdown cell just "
            f"above them (at most half may be): {'; '.join(cued)}"
        )
    return None


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_at_most_half_of_a_lessons_questions_are_cued_by_the_cell_above(path):
    bank = bank_of(path.stem)
    if bank is None:
        assert not asked_cells(nbformat.read(path, as_version=4), path.stem)
        return
    problem = too_many_cued(nbformat.read(path, as_version=4), path.stem, bank)
    assert problem is None, problem


# ---------------------------------------------------------------------------------------------
# 2. Terms: the first markdown cell that uses a term shows it in bold with its gloss, and no quiz
#    question uses a term the lesson has not defined above it (lessons-common item 3).
# ---------------------------------------------------------------------------------------------


def uses(text: str, term: Term) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text) for s in term.spellings)


def defines(text: str, term: Term) -> bool:
    bold = any(f"**{spelling}**" in text for spelling in term.spellings)
    return bold and normalised(term.gloss) in normalised(text)


def undefined_terms(notebook, lesson: str, table: list[Term], bank: dict | None) -> list[str]:
    """One message per term used before it is defined, naming the term, the lesson and the cell."""
    problems, defined = [], set()
    questions = {question["id"]: question for question in (bank or {"questions": []})["questions"]}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for term in table:
                if term.term in defined or not uses(cell.source, term):
                    continue
                defined.add(term.term)
                if not defines(cell.source, term):
                    problems.append(
                        f"{lesson} cell {index}: first use of {term.term} without its definition; write "
                        f"**{term.spellings[0]}** and the gloss \"{term.gloss}\" in this cell"
                    )
            continue
        for bank_lesson, question_id in ASK_CALL.findall(cell.source):
            if bank_lesson != lesson or question_id not in questions:
                continue
            for term in table:
                if term.term not in defined and uses(question_text(questions[question_id]), term):
                    problems.append(
                        f"{lesson} cell {index}: quiz question {question_id!r} uses {term.term}, which the "
                        f"lesson has not defined above it"
                    )
    return problems


def test_the_terms_table_splits_article_section_8_one_term_a_row():
    table = {term.term: term for term in terms()}
    assert len(table) == 17
    assert table["ADIZ"].spellings == ("ADIZ", "KADIZ") and table["AP4"].spellings == ("AP4", "IP4")
    assert table["ROK"].gloss == "Republic of Korea (South Korea)"
    assert table["THAAD"].gloss == "Terminal High Altitude Area Defense, a US missile-defence system"
    assert table["FA-50"].gloss == "Korean-made light combat aircraft"
    assert all(";" not in term.gloss for term in table.values())


def test_a_terms_table_with_a_missing_gloss_names_its_line():
    with pytest.raises(ValueError, match="line 3"):
        parse_terms("term,spellings,gloss\nPLA,PLA,People's Liberation Army\nSWIFT,SWIFT,\n")
    with pytest.raises(ValueError, match="columns"):
        parse_terms("term,gloss\nPLA,x\n")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_term_is_defined_where_the_lesson_first_uses_it(path):
    problems = undefined_terms(nbformat.read(path, as_version=4), path.stem, terms(), bank_of(path.stem))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# 3. Sources students can see: no appeal to "the fact sheet" anywhere a student reads.
# ---------------------------------------------------------------------------------------------

FACT_SHEET = re.compile(r"\bfact[\s-]+sheet", re.IGNORECASE)


def fact_sheet_mentions(name: str, text: str) -> list[str]:
    return [f"{name}: ...{text[max(0, m.start() - 40) : m.end() + 20]}..." for m in FACT_SHEET.finditer(text)]


def student_facing_strings(path: Path) -> str:
    """The string literals of a module, without its docstrings (which only developers read)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return "\n".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )


def student_texts() -> dict[str, str]:
    texts = {}
    for path in LESSONS + RELEASE_NOTEBOOKS:
        texts[str(path.relative_to(REPO))] = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    for resource in files("korea_nato").joinpath("quizzes").iterdir():
        if resource.name.endswith(".json"):
            texts[f"quizzes/{resource.name}"] = resource.read_text(encoding="utf-8")
    for path in sorted(STUDY_PACKAGE.glob("*.py")):
        texts[str(path.relative_to(REPO))] = student_facing_strings(path)
    return texts


STUDENT_TEXTS = student_texts()


@pytest.mark.parametrize("name", sorted(STUDENT_TEXTS))
def test_no_student_facing_text_appeals_to_the_fact_sheet(name):
    found = fact_sheet_mentions(name, STUDENT_TEXTS[name])
    assert not found, (
        "students cannot see the fact sheet; cite the public record (events, votes, dates) or a source:\n"
        + "\n".join(found)
    )


def test_the_student_texts_cover_lessons_banks_release_and_the_study_package():
    names = set(STUDENT_TEXTS)
    assert any(n.startswith("lessons/") for n in names) and any(n.startswith("quizzes/") for n in names)
    assert any(n.startswith("release/") for n in names) and any("study" in n for n in names)


# ---------------------------------------------------------------------------------------------
# 4. Every numbered section has a student action: a "### Try it" or "### Predict" markdown cell
#    with a folded solution (lessons-common item 1). A Predict, or a written Try it, has a markdown
#    cell below it for the student's answer; a coding Try it has a code cell and a self-check.
# ---------------------------------------------------------------------------------------------

NUMBERED_SECTION = re.compile(r"## \d+\.")
ACTION = re.compile(r"### (Try it|Predict)\b")
SOLUTION = re.compile(r"<details>\s*<summary>Solution</summary>.+</details>", re.DOTALL)


def sections_without_action(notebook) -> list[str]:
    """The headings of numbered sections with no well-formed student action, each with the reason."""
    problems, sections, current = [], [], None
    for index, cell in enumerate(notebook.cells):
        heading = cell.source.splitlines()[0] if cell.cell_type == "markdown" and cell.source else ""
        if heading.startswith("## "):
            current = [heading, []] if NUMBERED_SECTION.match(heading) else None
            if current:
                sections.append(current)
        if current is not None:
            current[1].append(index)
    for heading, indices in sections:
        actions = [
            i
            for i in indices
            if notebook.cells[i].cell_type == "markdown" and ACTION.match(notebook.cells[i].source)
        ]
        if not actions:
            problems.append(f"{heading!r}: no '### Try it' or '### Predict' cell")
            continue
        for i in actions:
            cell, following = notebook.cells[i], indices[indices.index(i) + 1 :]
            if not SOLUTION.search(cell.source):
                problems.append(f"{heading!r} cell {i}: the solution is not folded in <details><summary>Solution")
            elif cell.source.startswith("### Try it") and following and notebook.cells[following[0]].cell_type == "code":
                later = " ".join(notebook.cells[j].source for j in following if notebook.cells[j].cell_type == "code")
                if "✓" not in later or "Not yet" not in later:
                    problems.append(f"{heading!r} cell {i}: a coding Try it needs a self-check cell below it")
            elif not following or notebook.cells[following[0]].cell_type != "markdown":
                problems.append(f"{heading!r} cell {i}: a Predict or written Try it needs a markdown cell below it")
    return problems


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_numbered_section_ends_with_something_the_student_does(path):
    problems = sections_without_action(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The checks can fail: each is fed a small bad notebook.
# ---------------------------------------------------------------------------------------------

TINY_BANK = {
    "questions": [
        {"id": "when", "type": "single", "prompt": "When?", "options": [
            {"text": "On 8 July 2016", "correct": True, "feedback": "."},
            {"text": "Never", "correct": False, "feedback": "."}]},
        {"id": "who", "type": "short_answer", "prompt": "Who?", "answer_kind": "text", "accepted": ["Lotte"],
         "feedback": "."},
    ]
}


def test_the_cue_check_fails_a_lesson_whose_cells_give_the_answers_away():
    notebook = new_notebook(cells=[
        new_markdown_cell("The decision came in 2016."),
        new_code_cell('ask("99-x", "when")'),
        new_markdown_cell("Lotte stores were shut."),
        new_code_cell('ask("99-x", "who")'),
    ])
    message = too_many_cued(notebook, "99-x", TINY_BANK)
    assert message and "2 of 2" in message and "when" in message and "'Lotte'" in message


def test_the_cue_check_passes_questions_that_need_transfer():
    notebook = new_notebook(cells=[
        new_markdown_cell("Apply the idea to a date we have not shown."),
        new_code_cell('ask("99-x", "when")'),
        new_markdown_cell("Lotte stores were shut."),
        new_code_cell('ask("99-x", "who")'),
    ])
    assert cued_questions(notebook, "99-x", TINY_BANK)[0] == ["who (cell 2 above it shows 'Lotte')"]
    assert too_many_cued(notebook, "99-x", TINY_BANK) is None


def test_the_terms_check_names_the_term_the_lesson_and_the_cell():
    table = [Term("THAAD", ("THAAD",), "Terminal High Altitude Area Defense, a US missile-defence system"),
             Term("ADIZ", ("ADIZ", "KADIZ"), "air defence identification zone: airspace beyond a country's own")]
    notebook = new_notebook(cells=[
        new_markdown_cell("China retaliated over THAAD."),
        new_markdown_cell("**THAAD** (Terminal High Altitude Area Defense, a US missile-defence system)."),
        new_code_cell('ask("99-x", "q")'),
    ])
    bank = {"questions": [{"id": "q", "type": "true_false", "prompt": "Flights entered the KADIZ.",
                           "explanation": "", "feedback_true": "", "feedback_false": ""}]}
    problems = undefined_terms(notebook, "99-x", table, bank)
    assert len(problems) == 2
    assert "99-x cell 0" in problems[0] and "THAAD" in problems[0]
    assert "'q'" in problems[1] and "ADIZ" in problems[1]
    good = new_notebook(cells=[new_markdown_cell(
        "the **KADIZ** (air defence identification\nzone: airspace beyond a country’s own), and THAAD later")])
    assert undefined_terms(good, "99-x", table[1:], None) == []


def test_the_fact_sheet_check_finds_the_phrase_in_any_case_and_ignores_docstrings(tmp_path):
    assert fact_sheet_mentions("x", "As The Fact\nSheet says") and not fact_sheet_mentions("x", "the record")
    module = tmp_path / "m.py"
    module.write_text('"""Built from the fact sheet."""\nLABEL = "see the fact-sheet"\n', encoding="utf-8")
    assert student_facing_strings(module) == "see the fact-sheet"


def test_the_action_check_fails_sections_without_a_folded_challenge():
    solution = "<details><summary>Solution</summary>\n\nIt is 4.\n</details>"
    notebook = new_notebook(cells=[
        new_markdown_cell("## 1. No action"),
        new_code_cell("1 + 1"),
        new_markdown_cell("## 2. Unfolded\n"),
        new_markdown_cell("### Predict\n\nWhat is 2 + 2? It is 4."),
        new_markdown_cell("*Your prediction:*"),
        new_markdown_cell("## 3. Try it without a self-check"),
        new_markdown_cell("### Try it\n\nCompute 2 + 2.\n\n" + solution),
        new_code_cell(""),
        new_markdown_cell("## 4. Good"),
        new_markdown_cell("### Try it\n\nCompute 2 + 2.\n\n" + solution),
        new_code_cell("answer = None"),
        new_code_cell('print("✓ right" if answer == 4 else "Not yet: add them")'),
        new_markdown_cell("## Key points"),
    ])
    problems = sections_without_action(notebook)
    assert len(problems) == 3
    assert "No action" in problems[0] and "folded" in problems[1] and "self-check" in problems[2]
