"""``korea-nato check NOTEBOOK``: grade a problem set as the instructor would; show what a student may see.

Where the course's ``source/`` (hidden tests) sits beside the installed package, the notebook is
graded by nbgrader itself, in a throw-away course: the repository's ``nbgrader_config.py``
(and so its sandbox and time limits) applies, the assignment is generated from ``source/``, the
notebook is submitted as a fake student and autograded, and the points are read from the
gradebook. Where there is no ``source/`` (a student given only ``release/``), the command says
so and runs the visible tests alone.

What it prints, and nothing else: the points of each part, and for each test cell that did not
get its points, the first line of its docstring, with the error type and message if the cell
is a visible test, or only "a hidden check failed" if it has hidden tests. A message is
withheld if it quotes anything from a hidden test or a solution that the student cannot already
see (a student's code can put what it reads into an error message); text the release notebook or
the package's data also shows, such as a note's date, is no secret. Never a hidden test's source,
an expected value or a solution.

In a problem set, a last cell ``from korea_nato.study import check; check.this_notebook()``
checks the saved notebook from inside JupyterLab. It does nothing while nbgrader grades.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .workspace import StudyError, check_course, find_course

STUDENT = "self-check"
#: Set in the kernels this module starts, so that a ``this_notebook()`` cell does not recurse.
RUNNING_ENV = "KOREA_NATO_SELF_CHECK"
CELL_TIMEOUT_S = 10
MESSAGE_LIMIT = 300
WITHHELD = "(message withheld: it quotes a hidden test or a solution)"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
PART_HEADING = re.compile(r"^#{1,6}\s*(Part\s+[A-Z0-9]+)\b", re.MULTILINE)
#: A fragment of hidden text shorter than this (letters and digits only) is too common to count.
MIN_SECRET = 8


# --------------------------------------------------------------------------------------------
# Reading the notebooks
# --------------------------------------------------------------------------------------------


def _read(path: Path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, KeyError) as error:
        raise StudyError(f"{path} is not a readable notebook ({type(error).__name__}: {error})") from error


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _grade_ids(nb) -> set[str]:
    return {_meta(c)["grade_id"] for c in nb.cells if "grade_id" in _meta(c)}


def find_assignment(nb, course: Path) -> tuple[str, Path]:
    """The assignment whose release notebook shares most cells with ``nb``, and that notebook."""
    ids = _grade_ids(nb)
    best, best_overlap = None, 0
    for release_nb in sorted((course / "release").glob("*/*.ipynb")):
        overlap = len(ids & _grade_ids(_read(release_nb)))
        if overlap > best_overlap:
            best, best_overlap = release_nb, overlap
    if best is None:
        raise StudyError(
            "this notebook is not one of the course's problem sets: none of its cells carries the "
            "nbgrader ids of a notebook in release/ (was it copied from a lesson, or saved by an "
            "editor that drops cell metadata?)"
        )
    return best.parent.name, best


@dataclass
class GradedCell:
    """A graded test cell, as a student may know it."""

    grade_id: str
    part: str
    points: float
    docstring: str
    hidden: bool
    written: bool = False  # a written answer, graded by hand
    has_visible_checks: bool = True  # False: the student's copy holds only the docstring


def _has_statements(code: str) -> bool:
    """Whether ``code`` does anything beyond a docstring (unparsable code counts as doing something)."""
    import ast

    try:
        body = ast.parse(code).body
    except SyntaxError:
        return True
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    return bool(body)


def graded_cells(release_nb, source_nb=None) -> list[GradedCell]:
    """The graded cells of an assignment, in order, each with its part (from the ``## Part X`` headings)."""
    hidden_ids = set()
    if source_nb is not None:
        hidden_ids = {_meta(c).get("grade_id") for c in source_nb.cells if HIDDEN_BEGIN in _source(c)}
    cells, part = [], "Other"
    for cell in release_nb.cells:
        text, meta = _source(cell), _meta(cell)
        if cell.cell_type == "markdown":
            headings = PART_HEADING.findall(text)
            if headings:
                part = headings[-1]
        if not meta.get("grade"):
            continue
        first = text.strip().splitlines()[0] if text.strip() else ""
        doc = first.strip().strip('"').strip("'").strip() if first.lstrip().startswith(('"', "'")) else ""
        kind = "written" if meta.get("solution") else "test"
        cells.append(
            GradedCell(
                grade_id=meta["grade_id"],
                part=part,
                points=float(meta.get("points", 0)),
                docstring=doc
                or (f"the written answer {meta['grade_id']}" if kind == "written" else meta["grade_id"]),
                hidden=meta["grade_id"] in hidden_ids,
                written=kind == "written",
                has_visible_checks=kind == "written" or _has_statements(text),
            )
        )
    return cells


# --------------------------------------------------------------------------------------------
# Keeping secrets
# --------------------------------------------------------------------------------------------


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _regions(text: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def student_visible_texts(release_nb) -> list[str]:
    """What a student sees anyway: each cell of the release notebook, and each line of the package's data."""
    from importlib.resources import files

    texts = [_source(cell) for cell in release_nb.cells]
    for resource in sorted(files("korea_nato").joinpath("data").iterdir(), key=lambda r: r.name):
        if resource.name.endswith((".csv", ".json")):
            texts += resource.read_text(encoding="utf-8").splitlines()
    return texts


def secret_fragments(source_nb, release_nb) -> set[str]:
    """What a student must not be shown: the hidden-test and solution lines, and the string literals
    in them, reduced to letters and digits (so that quoting or JSON escaping cannot disguise them),
    leaving out whatever a student sees anyway (a release cell or a line of the package's data
    holds it)."""
    visible = "\n".join(_letters(text) for text in student_visible_texts(release_nb))
    fragments = set()
    for cell in source_nb.cells:
        text = _source(cell)
        for line in _regions(text, HIDDEN_BEGIN, HIDDEN_END) + _regions(text, SOLUTION_BEGIN, SOLUTION_END):
            pieces = [line, *re.findall(r"\"([^\"]+)\"|'([^']+)'", line)]
            for piece in pieces:
                piece = "".join(piece) if isinstance(piece, tuple) else piece
                reduced = _letters(piece)
                if len(reduced) >= MIN_SECRET and reduced not in visible:
                    fragments.add(reduced)
    return fragments


def safe_message(message: str, secrets: set[str]) -> str:
    """The first line of ``message``, shortened, or a notice if it quotes a secret."""
    reduced = _letters(message)
    if any(secret in reduced for secret in secrets):
        return WITHHELD
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= MESSAGE_LIMIT else first[: MESSAGE_LIMIT - 1] + "…"


# --------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """What the self-check found: points per test cell, and the errors of the cells that failed."""

    assignment: str
    with_hidden_tests: bool
    cells: list[GradedCell]
    scores: dict[str, float] = field(default_factory=dict)  # grade_id -> points (graded: with hidden tests)
    passed: dict[str, bool] = field(default_factory=dict)  # grade_id -> visible checks passed
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # grade_id -> (type, message)
    failure: str = ""  # nbgrader could not grade the notebook at all
    visible_only_requested: bool = False

    def report(self, secrets: set[str]) -> str:
        out = io.StringIO()
        if self.failure:
            print(f"{self.assignment}: {self.failure}", file=out)
            return out.getvalue()
        tests = [c for c in self.cells if not c.written]
        written = [c for c in self.cells if c.written]
        if self.with_hidden_tests:
            got, total = sum(self.scores.get(c.grade_id, 0) for c in tests), sum(c.points for c in tests)
            hand = sum(c.points for c in written)
            print(f"{self.assignment}: {_num(got)} of {_num(total)} autograded points", end="", file=out)
            print(f" ({_num(hand)} more for written answers, graded by hand)" if hand else "", file=out)
        else:
            why = (
                "the hidden tests are not available in this installation (there is no source/ folder "
                "beside the package, or no course at all)"
                if not self.visible_only_requested
                else "you asked for the visible tests alone"
            )
            print(
                f"{self.assignment}: {why}, so only the visible tests were run. They check the form of "
                "your answers; the grader's hidden tests check their values.",
                file=out,
            )
        for part in dict.fromkeys(c.part for c in self.cells):
            in_part = [c for c in tests if c.part == part]
            hand = [c for c in written if c.part == part]
            if in_part and self.with_hidden_tests:
                got = sum(self.scores.get(c.grade_id, 0) for c in in_part)
                print(f"  {part}: {_num(got)} of {_num(sum(c.points for c in in_part))} points", file=out)
            elif in_part:
                checked = [c for c in in_part if c.has_visible_checks]
                ok = sum(self.passed.get(c.grade_id, False) for c in checked)
                line = f"  {part}: visible tests pass in {ok} of {len(checked)} test cells"
                if len(checked) < len(in_part):
                    line += (
                        f"; {len(in_part) - len(checked)} more are checked only by the grader's hidden tests"
                    )
                print(line, file=out)
            if hand:
                print(
                    f"  {part}: written answer ({_num(sum(c.points for c in hand))} points), graded by hand",
                    file=out,
                )
            for cell in in_part:
                if self._cell_ok(cell) or not (self.with_hidden_tests or cell.has_visible_checks):
                    continue
                if cell.hidden and self.with_hidden_tests:
                    print(f"    - a hidden check failed: {cell.docstring}", file=out)
                    continue
                print(f"    - failed: {cell.docstring}", file=out)
                if cell.grade_id in self.errors:
                    kind, message = self.errors[cell.grade_id]
                    print(f"      {kind}: {safe_message(message, secrets)}", file=out)
        return out.getvalue()

    def _cell_ok(self, cell: GradedCell) -> bool:
        if self.with_hidden_tests:
            return self.scores.get(cell.grade_id, 0) >= cell.points
        return self.passed.get(cell.grade_id, False)


def _num(value: float) -> str:
    return f"{value:g}"


def _errors_by_cell(nb) -> dict[str, tuple[str, str]]:
    errors = {}
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors[grade_id] = (str(output.get("ename", "Error")), str(output.get("evalue", "")))
    return errors


def _isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_CONFIG", "NBGRADER"))}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        (home / name.lower()).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / name.lower())
    env[RUNNING_ENV] = "1"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def _nbgrader(course_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run nbgrader in the throw-away course, its gradebook there whatever the course's config says."""
    here = [
        f"--CourseDirectory.root={course_dir}",
        f"--CourseDirectory.db_url=sqlite:///{course_dir / 'gradebook.db'}",
    ]
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, *here],
        cwd=course_dir,
        env=_isolated_env(course_dir.parent / "jupyter-home"),
        capture_output=True,
        text=True,
        timeout=1800,
    )


def grade_with_hidden_tests(
    notebook: Path, course: Path, assignment: str, release_nb_path: Path
) -> CheckResult:
    """Autograde ``notebook`` with nbgrader in a throw-away copy of the course."""
    from nbgrader.api import Gradebook, MissingEntry

    source_nb_path = course / "source" / assignment / release_nb_path.name
    cells = graded_cells(_read(release_nb_path), _read(source_nb_path))
    result = CheckResult(assignment, True, cells)
    with tempfile.TemporaryDirectory(prefix="korea-nato-check-") as temporary:
        course_dir = Path(temporary) / "course"
        course_dir.mkdir()
        if (course / "nbgrader_config.py").is_file():
            shutil.copy(course / "nbgrader_config.py", course_dir / "nbgrader_config.py")
        shutil.copytree(course / "source" / assignment, course_dir / "source" / assignment)
        generated = _nbgrader(course_dir, "generate_assignment", assignment, "--force")
        if generated.returncode != 0:
            raise StudyError(
                f"nbgrader could not generate {assignment} from source/ (exit {generated.returncode})"
            )
        submitted = course_dir / "submitted" / STUDENT / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / release_nb_path.name)  # under its own name, even if renamed
        (submitted / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")
        _nbgrader(course_dir, "autograde", assignment, "--force")
        with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
            try:
                submission = gradebook.find_submission(assignment, STUDENT)
                grades = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            except MissingEntry:
                grades = {}
        graded_nb = course_dir / "autograded" / STUDENT / assignment / release_nb_path.name
        if (
            not grades
            or not graded_nb.exists()
            or all(grades.get(c.grade_id) is None for c in cells if not c.written)
        ):
            result.failure = (
                "nbgrader could not grade this notebook (it stopped the kernel, ran too long, or is "
                "not valid). Restart the kernel, run all cells, save, and check again."
            )
            return result
        result.scores = {name: float(score or 0) for name, score in grades.items()}
        result.errors = _errors_by_cell(_read(graded_nb))
    return result


def grade_visible_tests(notebook: Path, release_nb_path: Path, assignment: str) -> CheckResult:
    """Run the notebook with nbclient and see which visible test cells raise."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = _read(notebook)
    result = CheckResult(assignment, False, graded_cells(_read(release_nb_path)))
    with tempfile.TemporaryDirectory(prefix="korea-nato-check-") as temporary:
        shutil.copy(notebook, Path(temporary) / notebook.name)
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": temporary}},
            raise_on_iopub_timeout=False,
        )
        previous = os.environ.get(RUNNING_ENV)
        os.environ[RUNNING_ENV] = "1"
        try:
            client.execute()
        except (DeadKernelError, RuntimeError) as error:
            result.failure = (
                f"the notebook stopped its kernel ({type(error).__name__}); restart it and run all cells"
            )
            return result
        finally:
            if previous is None:
                os.environ.pop(RUNNING_ENV, None)
            else:
                os.environ[RUNNING_ENV] = previous
    result.errors = _errors_by_cell(nb)
    present = _grade_ids(nb)
    result.passed = {
        c.grade_id: c.grade_id in present and c.grade_id not in result.errors
        for c in result.cells
        if not c.written
    }
    return result


def check(notebook: Path, course: Path | None = None, *, hidden: bool = True) -> tuple[CheckResult, str]:
    """Grade ``notebook`` and return the result with the text a student may see."""
    notebook = Path(notebook).expanduser().resolve()
    if not notebook.is_file():
        raise StudyError(f"{notebook} does not exist (give the path of a problem set's .ipynb file)")
    if course is None:
        try:
            course = find_course()
        except StudyError:  # only the student's notebook: its own test cells are all there is
            if not _grade_ids(_read(notebook)):
                raise StudyError(f"{notebook} has no nbgrader test cells: it is not a problem set") from None
            result = grade_visible_tests(notebook, notebook, notebook.stem)
            return result, result.report(set())
    course = check_course(course)
    assignment, release_nb_path = find_assignment(_read(notebook), course)
    source_nb_path = course / "source" / assignment / release_nb_path.name
    if hidden and source_nb_path.is_file():
        result = grade_with_hidden_tests(notebook, course, assignment, release_nb_path)
        secrets = secret_fragments(_read(source_nb_path), _read(release_nb_path))
    else:
        result = grade_visible_tests(notebook, release_nb_path, assignment)
        result.visible_only_requested = not hidden
        secrets = set()
        if source_nb_path.is_file():
            secrets = secret_fragments(_read(source_nb_path), _read(release_nb_path))
    return result, result.report(secrets)


# --------------------------------------------------------------------------------------------
# From inside a notebook
# --------------------------------------------------------------------------------------------


def notebook_in_kernel(cwd: Path | None = None, course: Path | None = None) -> Path:
    """The problem-set notebook this kernel runs: from ``JPY_SESSION_NAME``, else the one in the cwd."""
    cwd = Path(cwd or os.getcwd())
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        for candidate in (Path(session), cwd / Path(session).name):
            if candidate.is_file():
                return candidate
    course = check_course(course) if course else find_course()
    names = {p.name for p in (course / "release").glob("*/*.ipynb")}
    found = sorted(p for p in cwd.glob("*.ipynb") if p.name in names)
    if len(found) == 1:
        return found[0]
    raise StudyError(
        f"could not tell which notebook this is (looked in {cwd}); run "
        "`korea-nato check PATH/TO/NOTEBOOK.ipynb` in a terminal instead"
    )


def this_notebook(course: Path | None = None) -> CheckResult | None:
    """Check the saved copy of the problem set this kernel runs, and print the report."""
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get(RUNNING_ENV):
        print("(The self-check does not run while the notebook is being graded.)")
        return None
    try:
        path = notebook_in_kernel(course=course)
        print(f"Checking the saved copy of {path.name} (save the notebook first: Ctrl-S) ...", flush=True)
        result, text = check(path, course)
    except StudyError as error:
        print(f"The self-check could not run: {error}")
        return None
    print(text)
    return result


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="korea-nato check",
        description="Grade a problem-set notebook as the instructor would, without showing hidden tests.",
    )
    parser.add_argument("notebook", type=Path, help="the problem set's .ipynb file")
    parser.add_argument("--course", type=Path, help="the course repository (default: the installed one)")
    parser.add_argument("--visible-only", action="store_true", help="run the visible tests alone")
    args = parser.parse_args(argv)
    try:
        result, text = check(args.notebook, args.course, hidden=not args.visible_only)
    except StudyError as error:
        print(f"korea-nato check: {error}", file=sys.stderr)
        return 1
    print(text, end="")
    return 0 if not result.failure else 1


if __name__ == "__main__":
    sys.exit(main())
