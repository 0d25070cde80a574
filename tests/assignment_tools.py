"""Helpers the assignment tests share: read nbgrader notebooks, build submissions, run a course.

Submissions are built from the committed notebooks, never from solution code copied into the
tests: the perfect submission is the release notebook with each solution cell filled from
``source/``, and a "typical mistake" is the same with one small text patch applied.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "source"
RELEASE = REPO / "release"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("."))

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
#: The flag that lets feedback be generated (and released) while a written answer waits for a grader.
PROVISIONAL = "--ProvisionalGrades.allow=True"


def notebook_path(folder: Path, assignment: str) -> Path:
    """The one notebook of an assignment (each assignment has exactly one)."""
    (path,) = sorted((folder / assignment).glob("*.ipynb"))
    return path


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cells_by_grade_id(nb) -> dict:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if "grade_id" in nbgrader_meta(c)}


def without_marker_lines(source: str, markers=SOLUTION_MARKERS) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def region(source: str, markers) -> list[str]:
    """The lines between a begin and an end marker (all such regions, concatenated)."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == markers[0]:
            inside = True
        elif line.strip() == markers[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def outside_regions(source: str) -> list[str]:
    """The lines a student sees: everything outside solution and hidden-test regions."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]):
            inside = True
        elif line.strip() in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1]):
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def solution_code(assignment: str, grade_id: str) -> str:
    """The instructor's answer cell, markers removed, ready to run or to paste into a submission."""
    cell = cells_by_grade_id(read(notebook_path(SOURCE, assignment)))[grade_id]
    return without_marker_lines(cell.source)


def build_submission(assignment: str, answered=None, patches=None) -> nbformat.NotebookNode:
    """The release notebook with solution cells filled in from source.

    ``answered``: grade ids of the solution cells to fill (default: all); the others stay as
    released. ``patches``: ``{grade_id: [(old, new), ...]}`` text replacements that turn the
    instructor's answer into a student's mistake; a patch that does not apply is an error.
    """
    patches = patches or {}
    source_cells = cells_by_grade_id(read(notebook_path(SOURCE, assignment)))
    submission = copy.deepcopy(read(notebook_path(RELEASE, assignment)))
    for grade_id, cell in cells_by_grade_id(submission).items():
        if not nbgrader_meta(cell).get("solution"):
            continue
        if answered is not None and grade_id not in answered:
            continue
        text = without_marker_lines(source_cells[grade_id].source)
        for old, new in patches.get(grade_id, []):
            if old not in text:
                raise ValueError(f"patch for {grade_id!r} does not apply: {old!r} not found")
            text = text.replace(old, new)
        cell.source = text
    unknown = set(patches) - set(source_cells)
    if unknown:
        raise ValueError(f"patches name unknown cells: {sorted(unknown)}")
    return submission


# --- Running nbgrader in a throw-away course ---------------------------------------------------


def isolated_env(home: Path) -> dict:
    """Environment for nbgrader subprocesses: no user-level Jupyter config can leak in."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env.pop("NBGRADER_EXECUTION", None)
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` with this interpreter; raise with its log on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=isolated_env(course.parent / "jupyter-home"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def make_course(root: Path, assignments=ASSIGNMENTS) -> Path:
    """A course directory with this repository's config and sources, assignments generated."""
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    for assignment in assignments:
        shutil.copytree(SOURCE / assignment, course / "source" / assignment)
        nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def submit(course: Path, student: str, assignment: str, nb, name: str | None = None,
           extra_files: dict | None = None) -> Path:
    """Place a submission as ``nbgrader collect`` would; ``nb`` may be a notebook or raw text.

    ``extra_files`` (``{name: text}``) are placed beside the notebook, as a student may hand in.
    """
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for extra, text in (extra_files or {}).items():
        (folder / extra).write_text(text, encoding="utf-8")
    path = folder / (name or notebook_path(SOURCE, assignment).name)
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    (folder / "timestamp.txt").write_text("2026-11-01 12:00:00.000000 UTC")
    return path


def page_text(page: Path) -> str:
    """An HTML page's text as a reader sees it: tags removed and entities decoded.

    Searching the raw HTML is not enough: where a Pygments IPython lexer is installed,
    nbconvert wraps every token of a code cell in its own ``<span>``, so a leaked line would
    never match as one string.
    """
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def gradebook_scores(course: Path, assignment: str) -> dict:
    """``{student: {"score", "max_score", "cells": {grade_id: score}, "needs_manual_grade"}}``.

    Read from the gradebook itself, which (unlike ``nbgrader export``) tells a failed
    submission from a zero and shows what awaits manual grading.
    """
    from nbgrader.api import Gradebook, MissingEntry

    results = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[grade.name] = grade.score
            results[student.id] = {
                "score": submission.score,
                "max_score": submission.max_score,
                "cells": cells,
                "needs_manual_grade": submission.needs_manual_grade,
            }
    return results


# --- Hostile and broken submissions ------------------------------------------------------------

INFINITE_LOOP = "while True:\n    pass\n\n"
SWALLOWED_INTERRUPT = (
    "import time\n\nwhile True:\n    try:\n        time.sleep(0.5)\n    except KeyboardInterrupt:\n        pass\n\n"
)
PROCESS_EXIT = "import os\n\nos._exit(0)\n\n"
PANDAS_COMPARISON_PATCH = (
    "import pandas\n\n"
    "pandas.DataFrame.equals = lambda self, other: True\n"
    "pandas.Series.equals = lambda self, other: True\n"
    "pandas.testing.assert_frame_equal = lambda *args, **kwargs: None\n\n"
)
# Cheats that change how IPython runs later cells, so that blank work passes every test. Each is
# put at the top of the first answer of the untouched release: it must still score 0.
INPUT_TRANSFORMER = (
    "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n\n"
)
AST_TRANSFORMER = (
    "import ast\n\n"
    "class _DropAsserts(ast.NodeTransformer):\n"
    "    def visit_Assert(self, node):\n"
    "        return ast.Pass()\n\n"
    "get_ipython().ast_transformers.append(_DropAsserts())\n\n"
)
# ``functools.wraps`` keeps the real methods' signatures, which ipykernel reads to decide which
# arguments to pass (IPython 8's ``run_cell_async`` takes no ``cell_meta``).
REPLACED_RUN_CELL = (
    "import functools\n"
    "_shell = get_ipython()\n"
    "_real_run_cell, _real_run_cell_async = _shell.run_cell, _shell.run_cell_async\n\n"
    "def _quiet(raw_cell):\n"
    "    return 'pass' if 'assert' in raw_cell or 'Check' in raw_cell else raw_cell\n\n"
    "@functools.wraps(_real_run_cell_async)\n"
    "async def _run_cell_async(raw_cell, *args, **kwargs):\n"
    "    kwargs['transformed_cell'] = _shell.transform_cell(_quiet(raw_cell))\n"
    "    return await _real_run_cell_async(_quiet(raw_cell), *args, **kwargs)\n\n"
    "@functools.wraps(_real_run_cell)\n"
    "def _run_cell(raw_cell, *args, **kwargs):\n"
    "    return _real_run_cell(_quiet(raw_cell), *args, **kwargs)\n\n"
    "_shell.run_cell, _shell.run_cell_async = _run_cell, _run_cell_async\n\n"
)
SILENCED_TRACEBACK = (
    "def _forget_errors(result):\n"
    "    result.error_in_exec = None\n"
    "    result.error_before_exec = None\n\n"
    "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
    "get_ipython().events.register('post_run_cell', _forget_errors)\n\n"
)
#: A ``pandas.py`` beside the notebook: the setup cell's ``import pandas`` would load it.
SHADOW_PANDAS = "from IPython import get_ipython\n\nget_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"
#: Blank work that runs the instructor's solutions, read from ``source/`` at grading time.
READ_SOURCE = (
    "import json as _json, pathlib as _pathlib\n\n"
    "try:\n"
    "    for _path in _pathlib.Path('../../../source').glob('*/*.ipynb'):\n"
    "        for _cell in _json.loads(_path.read_text())['cells']:\n"
    "            if _cell['cell_type'] == 'code' and 'BEGIN SOLUTION' in ''.join(_cell['source']):\n"
    "                exec(''.join(_cell['source']), globals())\n"
    "except Exception:\n"
    "    pass\n\n"
)
#: Prints what the kernel remembers of earlier cells and the notebook file on disk: the hidden
#: tests must not reach the feedback. Put at the top of the last answer, after hidden tests ran.
PRINT_HISTORY = (
    "import glob as _glob, linecache as _linecache\n\n"
    "print(In)\n"
    "print([''.join(_entry[2]) for _entry in _linecache.cache.values() if len(_entry) > 2])\n"
    "for _path in _glob.glob('*.ipynb'):\n"
    "    try:\n"
    "        print(open(_path).read())\n"
    "    except OSError as _error:\n"
    "        print(_error)\n\n"
)
#: Extra files a hostile submission places beside its notebook: case -> {file name: text}.
EXTRA_FILES = {"shadowed-pandas": {"pandas.py": SHADOW_PANDAS}}

#: The students nbgrader cannot grade at all: it lists them as failed and exits 1. Stripped
#: metadata is among them because the course restores missing cells (``add_missing_cells``):
#: nbgrader 0.9.6 then fails with a KeyError looking for the answer cell before each test cell.
UNGRADEABLE = {"process-exit", "invalid-json", "renamed-notebook", "stripped-metadata"}
#: What the integrity scan must report for each hostile case, and nothing else.
HOSTILE_FINDINGS = {
    "infinite-loop": {"infinite-loop"},
    "swallowed-interrupt": {"infinite-loop", "swallowed-interrupt"},
    "process-exit": {"process-exit"},
    "deleted-test-cell": {"missing-cell"},
    "edited-locked-cell": {"changed-cell"},
    "monkeypatched-comparison": {"monkeypatch"},
    "rebound-test-helper": {"rebinding"},
    "invalid-json": {"invalid-notebook"},
    "renamed-notebook": {"renamed-notebook"},
    "stripped-metadata": {"missing-metadata"},
    "input-transformer": {"ipython-hook"},
    "ast-transformer": {"ipython-hook"},
    "replaced-run-cell": {"ipython-hook"},
    "silenced-traceback": {"ipython-hook"},
    "shadowed-pandas": {"shadow-module"},
    "reads-source": {"file-access", "dynamic-code", "rebinding"},
    "prints-history": {"ipython-hook"},
}


def _edited(nb, grade_id: str, edit) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cells = cells_by_grade_id(nb)
    if grade_id not in cells:
        raise ValueError(f"no cell {grade_id!r} in the notebook")
    edit(cells[grade_id])
    return nb


def prepend_code(nb, grade_id: str, code: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cell ``grade_id`` starts with ``code``."""
    return _edited(nb, grade_id, lambda cell: setattr(cell, "source", code + cell.source))


def without_cell(nb, grade_id: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the cell ``grade_id`` deleted."""
    nb = copy.deepcopy(nb)
    kept = [cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") != grade_id]
    if len(kept) == len(nb.cells):
        raise ValueError(f"no cell {grade_id!r} in the notebook")
    nb.cells = kept
    return nb


def emptied_test(nb, grade_id: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose test cell ``grade_id`` keeps its docstring and asserts nothing."""
    return _edited(nb, grade_id, lambda cell: setattr(cell, "source", cell.source.splitlines()[0] + "\npass"))


def stripped_of_nbgrader_metadata(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` as an editor that drops unknown metadata would save it."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)
    return nb


def hostile_submissions(assignment, *, mistake: dict, mistake_fails: str, first_answer: str,
                        last_answer: str, rebinding: str) -> dict:
    """The hostile or broken submissions, each built on honest work.

    Returns ``{case: (notebook or raw text, file name or None, base)}``. ``base`` says which
    honest work the case is built on: ``"solution"``, ``"release"`` (the untouched release) or
    ``"mistake"`` (the submission made with ``mistake``, whose test cell ``mistake_fails``
    fails); a cheat must score exactly what its base scores. Stuck loops go in
    ``last_answer``, exits and patches at the top of ``first_answer``, so a loop costs the
    course's cell timeout once or twice, not once per remaining cell.
    """
    perfect = build_submission(assignment)
    flawed = build_submission(assignment, **mistake)
    blank = build_submission(assignment, answered=[])
    text = nbformat.writes(perfect)
    name = notebook_path(SOURCE, assignment).name
    return {
        "infinite-loop": (prepend_code(perfect, last_answer, INFINITE_LOOP), None, "solution"),
        "swallowed-interrupt": (prepend_code(perfect, last_answer, SWALLOWED_INTERRUPT), None, "solution"),
        "process-exit": (prepend_code(perfect, first_answer, PROCESS_EXIT), None, "solution"),
        "deleted-test-cell": (without_cell(flawed, mistake_fails), None, "mistake"),
        "edited-locked-cell": (emptied_test(flawed, mistake_fails), None, "mistake"),
        "monkeypatched-comparison": (prepend_code(flawed, first_answer, PANDAS_COMPARISON_PATCH), None, "mistake"),
        "rebound-test-helper": (prepend_code(flawed, first_answer, rebinding), None, "mistake"),
        "invalid-json": (text[: len(text) // 2], None, "solution"),
        "renamed-notebook": (perfect, name.replace(".ipynb", "-Copy1.ipynb"), "solution"),
        "stripped-metadata": (stripped_of_nbgrader_metadata(perfect), None, "solution"),
        "input-transformer": (prepend_code(blank, first_answer, INPUT_TRANSFORMER), None, "release"),
        "ast-transformer": (prepend_code(blank, first_answer, AST_TRANSFORMER), None, "release"),
        "replaced-run-cell": (prepend_code(blank, first_answer, REPLACED_RUN_CELL), None, "release"),
        "silenced-traceback": (prepend_code(blank, first_answer, SILENCED_TRACEBACK), None, "release"),
        "shadowed-pandas": (blank, None, "release"),
        "reads-source": (prepend_code(blank, first_answer, READ_SOURCE), None, "release"),
        "prints-history": (prepend_code(flawed, last_answer, PRINT_HISTORY), None, "mistake"),
    }


def failed_students(result: subprocess.CompletedProcess, assignment: str) -> set[str]:
    """The students nbgrader's log lists as failed for ``assignment``."""
    import re

    pattern = rf"error processing assignment '{re.escape(assignment)}' for student '([^']+)'"
    return set(re.findall(pattern, result.stdout + result.stderr))


def integrity_kinds(course: Path, student: str, assignment: str) -> set[str]:
    """The kinds of finding the integrity scan reports for one submission in ``course``."""
    from korea_nato.grading.integrity import scan_submission_dir

    results = scan_submission_dir(course / "submitted" / student / assignment, course / "source" / assignment)
    return {finding.kind for findings in results.values() for finding in findings}
