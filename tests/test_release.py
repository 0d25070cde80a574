"""release/ is nbgrader's own output: in sync with source/, answerable, and free of answers."""

from __future__ import annotations

import ast
import json
import re
from importlib.resources import files

import nbformat
import pytest

from assignment_tools import (
    ASSIGNMENTS,
    HIDDEN_MARKERS,
    RELEASE,
    REPO,
    SOLUTION_MARKERS,
    SOURCE,
    build_submission,
    cells_by_grade_id,
    nbgrader,
    nbgrader_meta,
    notebook_path,
    outside_regions,
    read,
    region,
    submit,
    without_marker_lines,
)

pytestmark = pytest.mark.slow


def _without_cell_ids(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell.pop("id", None)
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_equals_a_fresh_generate_assignment(assignment, course):
    fresh = notebook_path(course / "release", assignment)
    committed = notebook_path(RELEASE, assignment)
    assert sorted(p.name for p in (course / "release" / assignment).iterdir()) == sorted(
        p.name for p in (RELEASE / assignment).iterdir()
    )
    assert _without_cell_ids(committed) == _without_cell_ids(fresh), (
        f"release/{assignment} is out of date: run `nbgrader generate_assignment {assignment} --force`"
        " at the repository root and commit the result"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_all_its_tests(assignment, course):
    result = nbgrader(course, "validate", str(notebook_path(course / "source", assignment)))
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_model_solution_scores_full_marks_when_autograded_as_instructors_grade(assignment, course):
    """Through the course's own grading (sandboxed kernel, guarded tests), not ``validate``.

    CI runs this under the lowest pandas, nbgrader, JupyterLab and IPython allowed as well:
    the guard must not take an installed library's compiled code for a student's.
    """
    from nbgrader.api import Gradebook

    submit(course, "model-solution", assignment, build_submission(assignment))
    nbgrader(course, "autograde", assignment, "--student", "model-solution", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, "model-solution")
        autograded = {
            grade.name: (grade.auto_score, grade.max_score)
            for notebook in submission.notebooks
            for grade in notebook.grades
            if grade.auto_score is not None
        }
    assert autograded, f"{assignment} has no autograded cell"
    lost = sorted(name for name, (score, most) in autograded.items() if score != most)
    assert lost == [], f"the model solution of {assignment} lost points in {lost}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_fails_every_test(assignment, course):
    result = nbgrader(course, "validate", "--invert", str(notebook_path(RELEASE, assignment)))
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout


# --- Nothing that answers a question reaches students --------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _student_visible_texts():
    """Every text a student receives: the release notebooks and the installed package's files."""
    texts = {}
    for path in RELEASE.rglob("*"):
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            texts[path.relative_to(REPO).as_posix()] = "\n".join(cell.source for cell in cells)
        elif path.is_file():
            texts[path.relative_to(REPO).as_posix()] = path.read_text(encoding="utf-8")

    def walk(node, prefix):
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith((".py", ".csv", ".json", ".txt", ".md")):
                texts[f"korea_nato/{prefix}{child.name}"] = child.read_text(encoding="utf-8")

    walk(files("korea_nato"), "")
    return texts


STUDENT_TEXTS = _student_visible_texts()


def _answer_lines(assignment):
    """Solution and hidden-test lines of a source notebook that say something (not `pass`, `)`...)."""
    lines, visible = [], set()
    for cell in read(notebook_path(SOURCE, assignment)).cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "markdown" and meta.get("solution"):
            lines += cell.source.splitlines()
            continue
        lines += region(cell.source, SOLUTION_MARKERS) + region(cell.source, HIDDEN_MARKERS)
        visible |= {_normalise(line) for line in outside_regions(cell.source)}
    # A line the visible tests also use (say, `date, precision = parse_date(text)`) is no leak.
    return {_normalise(line) for line in lines if len(_normalise(line)) >= 20} - visible


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_or_hidden_test_line_reaches_students(assignment):
    answer_lines = _answer_lines(assignment)
    assert len(answer_lines) > 10, "the scan found too little to check; is the source notebook empty?"
    for name, text in STUDENT_TEXTS.items():
        released = {_normalise(line) for line in text.splitlines()}
        leaked = sorted(answer_lines & released)
        assert not leaked, f"{name} contains answer lines: {leaked[:3]}"


def _expected_records(assignment):
    """From hidden tests, each dict entry keyed by an id whose value is a tuple: key + values.

    Only entries keyed by an id of the data (``E01``, ``L3``, ``X12``...) are answers about the
    article. Entries keyed by an input string (``"1991": ("1991-01-01", "year")``) are worked
    examples of a rule the assignment states openly, and a lesson may teach the same rule.
    """
    records = []
    for cell in read(notebook_path(SOURCE, assignment)).cells:
        hidden = "\n".join(region(cell.source, HIDDEN_MARKERS))
        if not hidden:
            continue
        for node in ast.walk(ast.parse(hidden)):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    is_id = isinstance(key, ast.Constant) and re.fullmatch(r"[A-Z]+\d+", str(key.value))
                    if is_id and isinstance(value, ast.Tuple):
                        parts = [e.value for e in value.elts if isinstance(e, ast.Constant)]
                        records.append((key.value, *parts))
    return records


# How many expected records each assignment's hidden tests hold at least (20 unless listed): ps2's
# hidden tests are mostly labels and held-out sentences, with one record per driver's evidence span.
MIN_EXPECTED_RECORDS = {"ps2_drivers": 6}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_expected_answer_record_reaches_students(assignment):
    records = _expected_records(assignment)
    minimum = MIN_EXPECTED_RECORDS.get(assignment, 20)
    assert len(records) >= minimum, "the scan found too few expected records; has the format changed?"
    for name, text in STUDENT_TEXTS.items():
        for line in text.splitlines():
            tokens = set(re.findall(r"[\w.-]+", line))
            for record in records:
                assert not {str(part) for part in record} <= tokens, (
                    f"{name} holds the expected answer {record} on one line: {line.strip()[:120]}"
                )


def test_release_is_what_students_get_and_holds_no_source_only_files():
    for assignment in ASSIGNMENTS:
        for path in (RELEASE / assignment).iterdir():
            nb = nbformat.read(path, as_version=4) if path.suffix == ".ipynb" else None
            if nb is not None:
                for cell in nb.cells:
                    assert "BEGIN SOLUTION" not in cell.source and "BEGIN HIDDEN" not in cell.source


# --- A visible test whose call into the student's code raises names the error in a few lines ------

BOOM = "boom"
#: lines the error may take: IPython's header, the test cell's one frame with its context (IPython 9
#: shows a few lines around the failing one, 8.x the whole statement it sits in: 13-20 lines here),
#: and the message. A student's function and the libraries it calls would add a frame each.
SHORT_TRACEBACK = 30
#: how IPython heads each frame of a traceback: a notebook cell, or a file (a library, a module)
FRAME = re.compile(r"^(Cell In\[\d+\]|File |Input In \[)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _student_functions(assignment):
    """The names of the functions the solution cells define."""
    names = set()
    for cell in read(notebook_path(SOURCE, assignment)).cells:
        if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
            tree = ast.parse(without_marker_lines(cell.source))
            names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names


def _visible_calls(assignment):
    """``{grade_id: [function, ...]}``: the student's functions each test cell's visible part calls."""
    functions, calls = _student_functions(assignment), {}
    for cell in read(notebook_path(SOURCE, assignment)).cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        tree = ast.parse("\n".join(outside_regions(cell.source)))
        called = sorted({
            node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions
        })
        if called:
            calls[meta["grade_id"]] = called
    return calls


VISIBLE_CALLS = [(a, grade_id) for a in ASSIGNMENTS for grade_id in _visible_calls(a)]


def _raising_submission(assignment):
    """The model solution, with each function a test cell calls raising ValueError while that cell runs."""
    submission = build_submission(assignment)
    calls, cells = _visible_calls(assignment), []
    for cell in submission.cells:
        names = calls.get(nbgrader_meta(cell).get("grade_id"), [])
        cells += [nbformat.v4.new_code_cell("".join(
            f"_boom_{name} = {name}\n\ndef {name}(*args, **kwargs):\n    raise ValueError({BOOM!r})\n\n"
            for name in names
        ))] if names else []
        cells.append(cell)
        cells += [nbformat.v4.new_code_cell("".join(f"{name} = _boom_{name}\n" for name in names))] if names else []
    submission.cells = cells
    return submission


@pytest.fixture(scope="module")
def raising_runs(tmp_path_factory):
    """``run(assignment)``: the raising submission executed headless (once per assignment)."""
    from nbclient import NotebookClient

    runs = {}

    def run(assignment):
        if assignment not in runs:
            submission = _raising_submission(assignment)
            NotebookClient(
                submission, kernel_name="python3", timeout=600, allow_errors=True,
                resources={"metadata": {"path": str(tmp_path_factory.mktemp(assignment))}},
            ).execute()
            runs[assignment] = cells_by_grade_id(submission)
        return runs[assignment]

    return run


@pytest.mark.parametrize(("assignment", "grade_id"), VISIBLE_CALLS)
def test_a_visible_test_names_the_error_of_the_students_function_in_a_few_lines(assignment, grade_id, raising_runs):
    cell = raising_runs(assignment)[grade_id]
    errors = [output for output in cell.outputs if output.output_type == "error"]
    assert errors, f"{grade_id} passed although the function it calls raises"
    lines = ANSI.sub("", "\n".join(errors[0].traceback)).splitlines()
    shown = "\n".join(lines)
    assert BOOM in lines[-1], f"{grade_id}'s error does not end by naming the student's error:\n{shown}"
    frames = [line for line in lines if FRAME.match(line)]
    assert len(frames) == 1, (
        f"{grade_id}'s error shows {len(frames)} frames, not only the test cell's line:\n{shown}"
    )
    assert len(lines) <= SHORT_TRACEBACK, f"{grade_id}'s error takes {len(lines)} lines:\n{shown}"
