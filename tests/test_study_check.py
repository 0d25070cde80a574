"""``korea-nato check``: a self-learner's notebook graded as the instructor would, with no secret shown.

Submissions are built from the committed notebooks (``assignment_tools.build_submission``), as
in the grading-corpus tests; the secrets are the hidden-test lines of ``source/`` that the
release notebook does not show.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from assignment_tools import (
    HIDDEN_MARKERS,
    RELEASE,
    SOURCE,
    build_submission,
    cells_by_grade_id,
    notebook_path,
    read,
    region,
)
from korea_nato.study import check

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ps1_event_table"
# The honest mistake of tests/test_ps1_grading.py: sorted by id, so only a hidden test can tell (2 points).
SORTED_BY_ID = {"build_event_table": [('.sort_values(["date", "event_id"])', '.sort_values("event_id")')]}

#: A student's parse_date that gathers everything its kernel can reach (the input history, the
#: namespace, every notebook in the folders above) and puts it into the error that the visible
#: test then reports.
SNOOPING = """\
import os as _os
import time as _time


def _everything_i_can_reach():
    parts = [repr(globals().get("In", "")), repr(sorted(globals()))]
    folder = _os.getcwd()
    for _ in range(4):
        folder = _os.path.dirname(folder)
    # Four folders up may be the sandbox's root: search for 3 s (the cell's timeout is 10 s).
    found, deadline = [], _time.monotonic() + 3
    for root, dirs, files in _os.walk(folder):
        dirs[:] = [d for d in dirs if _os.path.join(root, d) not in ("/proc", "/sys")]
        found += [_os.path.join(root, f) for f in files if f.endswith(".ipynb")]
        if len(found) >= 40 or _time.monotonic() > deadline:
            break
    for name in sorted(found)[:40]:
        try:
            parts.append(open(name, encoding="utf-8").read())
        except OSError:
            pass
    return "\\n".join(parts)


def parse_date(text):
    raise ValueError(_everything_i_can_reach())
"""


def write(nb, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or notebook_path(RELEASE, ASSIGNMENT).name)
    nbformat.write(nb, path)
    return path


def run_check(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBGRADER")}
    return subprocess.run(
        [sys.executable, "-m", "korea_nato.cli", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def hidden_test_lines() -> list[str]:
    """Every hidden-test line of the source notebook that the release notebook does not show."""
    release_text = notebook_path(RELEASE, ASSIGNMENT).read_text(encoding="utf-8")
    lines = []
    for cell in read(notebook_path(SOURCE, ASSIGNMENT)).cells:
        for line in region(cell.source, HIDDEN_MARKERS):
            line = line.strip()
            if len(line) >= 12 and json.dumps(line)[1:-1] not in release_text and line not in release_text:
                lines.append(line)
    assert len(lines) > 20, "the secrets list is suspiciously short"
    return lines


# --------------------------------------------------------------------------------------------
# With the hidden tests: graded by nbgrader
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_solution_gets_full_autograded_marks_and_the_written_answer_is_left_to_the_grader(tmp_path):
    result = run_check(str(write(build_submission(ASSIGNMENT), tmp_path)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == f"{ASSIGNMENT}: 18 of 18 autograded points (4 more for written answers, graded by hand)"
    )
    assert "  Part A: 6 of 6 points" in lines and "  Part C: 6 of 6 points" in lines
    assert "  Part D: written answer (4 points), graded by hand" in lines
    assert "failed" not in result.stdout


@pytest.mark.slow
def test_the_untouched_release_scores_zero_and_names_each_failed_check(tmp_path):
    release = notebook_path(RELEASE, ASSIGNMENT)
    result = run_check(str(write(read(release), tmp_path)), "--course", str(REPO))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{ASSIGNMENT}: 0 of 18 autograded points")
    assert "  Part B: 0 of 6 points" in result.stdout
    # A visible test: its docstring, then its error type and message.
    assert (
        "    - failed: Check that parse_date returns a (Timestamp, precision) pair for every note\n"
        in result.stdout
    )
    # The test names the note parse_date raised on (an AssertionError of its own). The note's text
    # also appears in a hidden test, but the student has it in the package's data: it is shown.
    assert "      AssertionError: parse_date('2022-09-26') raised NotImplementedError: " in result.stdout
    assert check.WITHHELD not in result.stdout
    # A hidden test: its docstring only.
    assert (
        "    - a hidden check failed: Check that dates marked as guesses are approximate\n" in result.stdout
    )


@pytest.mark.slow
def test_an_honest_mistake_gets_its_exact_score(tmp_path):
    submission = build_submission(ASSIGNMENT, patches=SORTED_BY_ID)
    result = run_check(str(write(submission, tmp_path)))
    assert result.stdout.splitlines()[:5] == [
        f"{ASSIGNMENT}: 16 of 18 autograded points (4 more for written answers, graded by hand)",
        "  Part A: 6 of 6 points",
        "  Part B: 4 of 6 points",
        "    - a hidden check failed: Check that the event table is in chronological order with a fresh index",
        "  Part C: 6 of 6 points",
    ]


@pytest.mark.slow
def test_a_submission_that_gathers_everything_it_can_reach_sees_no_hidden_test_in_the_output(tmp_path):
    snooping = build_submission(ASSIGNMENT)
    answer = cells_by_grade_id(snooping)["parse_date"]
    answer.source += "\n\n" + SNOOPING  # redefines the working parse_date
    # Also under a name the student chose: the check grades it under the assignment's name.
    result = run_check(str(write(snooping, tmp_path, "my attempt.ipynb")))
    output = result.stdout + result.stderr
    assert result.stdout.startswith(f"{ASSIGNMENT}: 0 of 18"), output
    assert check.WITHHELD in output, "the snooping error should have reached a visible test's message"
    for line in hidden_test_lines():
        assert line not in output, f"the self-check printed a hidden test line: {line!r}"
    for secret in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "_fresh_event_notes", "1991-01-01", "relabelled"):
        assert secret not in output


def test_a_message_that_quotes_a_hidden_test_is_withheld_even_when_escaped():
    source, release = read(notebook_path(SOURCE, ASSIGNMENT)), read(notebook_path(RELEASE, ASSIGNMENT))
    secrets = check.secret_fragments(source, release)
    line = max(hidden_test_lines(), key=len)  # a line long enough to count as a secret
    assert check.safe_message(f"oops {line}", secrets) == check.WITHHELD
    assert check.safe_message(json.dumps({"source": [line]}), secrets) == check.WITHHELD
    assert check.safe_message("expected a DataFrame; got list", secrets) == "expected a DataFrame; got list"
    assert check.safe_message("x" * 1000, secrets).endswith("…")


def ps1_secrets() -> set[str]:
    return check.secret_fragments(read(notebook_path(SOURCE, ASSIGNMENT)), read(notebook_path(RELEASE, ASSIGNMENT)))


def test_a_message_quoting_text_the_student_can_see_is_shown():
    """A note's date from the package's data, and a sentence of the release notebook, are no secret."""
    from korea_nato.data import event_notes

    secrets = ps1_secrets()
    note = "2022-09-26"
    assert note in event_notes()["date_text"].tolist()
    assert any(note in line for line in region(cell_source(SOURCE, "event_table_dates_and_precision"), HIDDEN_MARKERS))
    message = f"parse_date({note!r}) raised ValueError: boom -- run parse_date on this note in a cell of your own"
    assert check.safe_message(message, secrets) == message
    visible = "the event table has the agreed columns and dtypes"
    assert visible in notebook_path(RELEASE, ASSIGNMENT).read_text(encoding="utf-8")
    assert check.safe_message(f"oops: {visible}", secrets) == f"oops: {visible}"


def test_a_message_quoting_a_hidden_constant_is_still_withheld():
    """A grader's input that only a hidden test holds, however it is quoted."""
    hidden = "around 5 May 2022"
    assert any(hidden in line for line in region(cell_source(SOURCE, "parse_date_approximate"), HIDDEN_MARKERS))
    assert hidden not in notebook_path(RELEASE, ASSIGNMENT).read_text(encoding="utf-8")
    secrets = ps1_secrets()
    for message in (f"parse_date({hidden!r}) raised ValueError: boom", json.dumps({"seen": hidden.upper()})):
        assert check.safe_message(message, secrets) == check.WITHHELD


def cell_source(folder: Path, grade_id: str) -> str:
    return cells_by_grade_id(read(notebook_path(folder, ASSIGNMENT)))[grade_id].source


# --------------------------------------------------------------------------------------------
# Without the hidden tests: the visible tests alone
# --------------------------------------------------------------------------------------------


@pytest.fixture
def course_without_source(tmp_path) -> Path:
    root = tmp_path / "release-only-course"
    for name in ("lessons", "release"):
        shutil.copytree(REPO / name, root / name)
    return root


@pytest.mark.slow
def test_without_source_it_says_so_and_runs_the_visible_tests(tmp_path, course_without_source):
    release = write(read(notebook_path(RELEASE, ASSIGNMENT)), tmp_path / "release")
    solution = write(build_submission(ASSIGNMENT), tmp_path / "solution")

    failing = run_check(str(release), "--course", str(course_without_source))
    passing = run_check(str(solution), "--course", str(course_without_source))

    assert "the hidden tests are not available in this installation" in failing.stdout
    assert "  Part A: visible tests pass in 0 of 4 test cells\n" in failing.stdout
    assert (
        "    - failed: Check that parse_date returns a (Timestamp, precision) pair for every note"
        in failing.stdout
    )
    assert "  Part A: visible tests pass in 4 of 4 test cells\n" in passing.stdout
    assert "failed" not in passing.stdout


@pytest.mark.slow
def test_with_no_course_installed_it_runs_the_notebooks_own_visible_tests(tmp_path, monkeypatch):
    def nowhere():
        raise check.StudyError("no course here")

    monkeypatch.setattr(check, "find_course", nowhere)
    path = write(read(notebook_path(RELEASE, ASSIGNMENT)), tmp_path)
    result, text = check.check(path)
    assert "the hidden tests are not available in this installation" in text
    assert "  Part B: visible tests pass in 0 of 3 test cells" in text
    assert not any(result.passed.values())


# --------------------------------------------------------------------------------------------
# Bad input and the notebook entry point
# --------------------------------------------------------------------------------------------


def test_a_test_cell_with_only_its_docstring_left_has_no_visible_checks():
    assert not check._has_statements('"""Check that the dates are right"""\n')
    assert check._has_statements('"""Check that the dates are right"""\nassert parse_date("1991")')
    assert check._has_statements("this is not python (")


def test_a_notebook_that_is_no_problem_set_or_missing_is_a_clear_error(tmp_path):
    lesson = run_check(str(REPO / "lessons" / "01-the-argument.ipynb"))
    assert lesson.returncode == 1 and "is not one of the course's problem sets" in lesson.stderr
    missing = run_check(str(tmp_path / "nothing.ipynb"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ half a notebook")
    damaged = run_check(str(broken))
    assert damaged.returncode == 1 and "is not a readable notebook" in damaged.stderr


@pytest.mark.slow
def test_the_one_line_cell_at_the_end_of_a_problem_set_checks_the_saved_notebook(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    submission = build_submission(ASSIGNMENT, patches=SORTED_BY_ID)
    assert "check.this_notebook()" in submission.cells[-1].source, "every problem set ends with the check"
    path = write(submission, tmp_path)
    NotebookClient(
        submission, kernel_name="python3", timeout=600, allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    printed = "".join(o.get("text", "") for o in submission.cells[-1].outputs)
    assert f"Checking the saved copy of {path.name}" in printed
    assert f"{ASSIGNMENT}: 16 of 18 autograded points" in printed


def test_this_notebook_does_nothing_while_nbgrader_grades(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check.this_notebook() is None
    assert "does not run while the notebook is being graded" in capsys.readouterr().out


def test_this_notebook_finds_the_problem_set_in_the_kernels_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    path = write(read(notebook_path(RELEASE, ASSIGNMENT)), tmp_path)
    assert check.notebook_in_kernel(tmp_path, REPO) == path
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    assert check.notebook_in_kernel(Path("/"), REPO) == path
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(check.StudyError, match="could not tell which notebook"):
        check.notebook_in_kernel(tmp_path / "elsewhere", REPO)
