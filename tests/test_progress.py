"""Grading shows its progress and ends with a summary naming every failed and flagged student.

A small ps1 class (two honest submissions, two nbgrader cannot grade, one that patches pandas)
is graded with ``python -m korea_nato.grading``; its stderr is a pipe, as in a log file, so
progress comes as plain lines. The units check the terminal bar and the log parsing.
"""

from __future__ import annotations

import io
import re

import pytest

from assignment_tools import build_submission, submit
from course_tools import ASSIGNMENT, make_course_with_config, run_module
from korea_nato.grading import progress
from test_ps1_grading import HOSTILE

HONEST = ["solution", "untouched-release"]
FAILING = ["invalid-json", "process-exit"]
FLAGGED = ["monkeypatched-comparison"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course_with_config(tmp_path_factory.mktemp("progress"))
    submit(course, "solution", ASSIGNMENT, build_submission(ASSIGNMENT))
    submit(course, "untouched-release", ASSIGNMENT, build_submission(ASSIGNMENT, answered=[]))
    for case in FAILING + FLAGGED:
        notebook, name, _ = HOSTILE[case]
        submit(course, case, ASSIGNMENT, notebook, name)
    result = run_module("korea_nato.grading", ASSIGNMENT, "--workers", "2", "--progress", "lines", cwd=course)
    print(result.stdout, result.stderr[-3000:], sep="\n")  # shown with a failing test's report
    return result


def summary_block(stdout: str) -> list[str]:
    """From ``summary:`` up to the per-assignment counts and per-student scores that follow it."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("summary:"))
    end = next((i for i, line in enumerate(lines) if i > start and ": graded " in line), len(lines))
    return lines[start:end]


@pytest.mark.slow
def test_the_run_fails_and_the_summary_counts_graded_failed_and_flagged(graded):
    assert graded.returncode == 1
    block = summary_block(graded.stdout)
    assert re.fullmatch(r"summary: 5 submission\(s\) in \d+ s: 3 graded, 2 failed, 1 flagged", block[0]), block


@pytest.mark.slow
@pytest.mark.parametrize("student", FAILING)
def test_the_summary_names_every_failed_student_with_a_reason(graded, student):
    block = summary_block(graded.stdout)
    failed_at = block.index("failed (no grade; read the reason, fix or re-collect, then run again):")
    flagged_at = block.index("flagged (graded; read the notebook before trusting the score):")
    (line,) = [line for line in block[failed_at:flagged_at] if line.startswith(f"  {student} ({ASSIGNMENT}): ")]
    assert len(line) > len(f"  {student} ({ASSIGNMENT}): ") + 10  # a reason, not just the name


@pytest.mark.slow
def test_the_reasons_say_what_went_wrong(graded):
    block = "\n".join(summary_block(graded.stdout))
    assert re.search(r"invalid-json \(ps1_event_table\): .*(JSON|json).*integrity scan: invalid-notebook", block)
    assert re.search(r"process-exit \(ps1_event_table\): .*integrity scan: process-exit", block)


@pytest.mark.slow
def test_the_summary_names_the_flagged_student_with_the_finding(graded):
    block = summary_block(graded.stdout)
    flagged_at = block.index("flagged (graded; read the notebook before trusting the score):")
    named = [line for line in block[flagged_at + 1 :] if line.startswith("  ")]
    assert len(named) == 1 and named[0].startswith(f"  monkeypatched-comparison ({ASSIGNMENT}): monkeypatch")
    assert not any(line.startswith(f"  {s} ") for s in HONEST for line in block)


@pytest.mark.slow
def test_progress_lines_count_up_to_the_whole_class_in_the_log(graded):
    lines = [line for line in graded.stderr.splitlines() if line.startswith("grading: ")]
    assert lines, graded.stderr
    done = [int(re.match(r"grading: (\d+)/5 done", line).group(1)) for line in lines]
    assert done == sorted(done) and done[-1] == 5
    assert re.match(r"grading: 5/5 done, 2 failed, 1 flagged; \d+ s elapsed, about 0 s left", lines[-1])
    assert "\r" not in graded.stderr  # no terminal control characters in a log file


# --- Units -------------------------------------------------------------------------------------


def test_a_log_file_gets_a_plain_line_per_change_and_none_when_nothing_changed():
    stream = io.StringIO()
    display = progress.ProgressDisplay(6, stream, tty=False, every_s=3600)
    for counts in [(0, 0, 0), (1, 0, 0), (1, 0, 0), (3, 1, 1)]:
        display.show(*counts)
    lines = stream.getvalue().splitlines()
    assert [line.split(";")[0] for line in lines] == [
        "grading: 0/6 done, 0 failed, 0 flagged",
        "grading: 1/6 done, 0 failed, 0 flagged",
        "grading: 3/6 done, 1 failed, 1 flagged",
    ]
    assert lines[0].endswith("time left unknown yet") and "s left" in lines[-1]


def test_a_terminal_gets_a_bar_with_the_failed_and_flagged_counts():
    stream = io.StringIO()
    display = progress.ProgressDisplay(6, stream, tty=True)
    display.show(3, 1, 2)
    display.close()
    text = stream.getvalue()
    assert "3/6" in text and "failed 1, flagged 2" in text and "\r" in text


def test_time_left_is_the_pace_so_far_times_the_students_left(monkeypatch):
    display = progress.ProgressDisplay(10, io.StringIO(), tty=False)
    monkeypatch.setattr(progress.time, "monotonic", lambda: display.started + 40)
    assert display.time_left(0) is None
    assert display.time_left(4) == 60


LOG = """\
[AutogradeApp | INFO] Grading submission ...
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/fake-a/ps1_event_table
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "x.py", line 1, in <module>
    nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{ this'
[AutogradeApp | WARNING] Removing failed assignment: /c/autograded/fake-a/ps1_event_table
[AutogradeApp | ERROR] While processing assignment /c/submitted/fake-b/ps1_event_table, the kernel became unresponsive
[AutogradeApp | ERROR] There was an error processing assignment 'ps1_event_table' for student 'fake-a'
[AutogradeApp | ERROR] There was an error processing assignment 'ps1_event_table' for student 'fake-c'
"""


def test_failures_are_read_from_the_log_with_the_exception_as_reason():
    found = progress.failures_in_log(LOG)
    assert found == {
        ("fake-a", ASSIGNMENT): "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{ this'",
        ("fake-b", ASSIGNMENT): "the kernel became unresponsive (an infinite loop that ignores interrupts?)",
        ("fake-c", ASSIGNMENT): "nbgrader could not grade it (see its log)",
    }


def test_the_summary_of_a_clean_run_is_one_line():
    lines = progress.summary_lines({}, {}, {("a", "ps1"), ("b", "ps1")}, 12.4, 2)
    assert lines == ["summary: 2 submission(s) in 12 s: 2 graded, 0 failed, 0 flagged"]


def test_looking_at_a_big_gradebook_is_spaced_out_to_a_tenth_of_the_time(tmp_path, monkeypatch):
    clock = iter([100.0, 103.0])  # the look starts at 100 s and takes 3 s
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    watch = progress.GradingWatch(tmp_path, "sqlite:///unused", {}, tmp_path)
    monkeypatch.setattr(watch, "_count", lambda: None)
    watch.poll(force=True)
    assert watch.poll_s == 30.0
