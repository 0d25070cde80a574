"""The parallel grading path (``python -m korea_nato.grading``) gives exactly the grades of serial autograde.

Two courses get the same submissions: the ps1 corpus and one broken notebook. One is graded by
``nbgrader autograde`` in one process, the other by two parallel workers; their gradebooks must
agree cell by cell.
"""

from __future__ import annotations

import random

import pytest

from assignment_tools import gradebook_scores, nbgrader, submit
from course_tools import (
    ASSIGNMENT,
    BROKEN_NOTEBOOK,
    expected_cells,
    make_course_with_config,
    run_module,
    submit_corpus,
    wrote_written_answer,
)
from korea_nato import grading
from test_ps1_grading import CORPUS

BROKEN = "fake-broken-notebook"


def build(root):
    course = make_course_with_config(root)
    submit_corpus(course)
    submit(course, BROKEN, ASSIGNMENT, BROKEN_NOTEBOOK)
    return course


@pytest.fixture(scope="module")
def serial_and_parallel(tmp_path_factory):
    serial = build(tmp_path_factory.mktemp("serial"))
    parallel = build(tmp_path_factory.mktemp("parallel"))
    serial_run = nbgrader(serial, "autograde", ASSIGNMENT, check=False)
    parallel_run = run_module("korea_nato.grading", ASSIGNMENT, "--workers", "2", cwd=parallel)
    graded = grading.graded_students(f"sqlite:///{parallel / 'gradebook.db'}", parallel, ASSIGNMENT)
    return (
        serial_run,
        parallel_run,
        gradebook_scores(serial, ASSIGNMENT),
        gradebook_scores(parallel, ASSIGNMENT),
        graded,
    )


@pytest.mark.slow
def test_parallel_grading_leaves_the_same_scores_as_serial_autograde(serial_and_parallel):
    _, _, serial, parallel, _ = serial_and_parallel
    assert sorted(serial) == sorted([*CORPUS, BROKEN])
    assert parallel == serial


@pytest.mark.slow
@pytest.mark.parametrize("student", CORPUS)
def test_parallel_grading_scores_every_corpus_cell_as_expected(student, serial_and_parallel):
    parallel = serial_and_parallel[3]
    assert parallel[student]["cells"] == expected_cells(student)


@pytest.mark.slow
def test_a_broken_submission_is_regraded_once_then_named_in_an_error(serial_and_parallel):
    serial_run, parallel_run, _, _, graded = serial_and_parallel
    assert serial_run.returncode == 1  # nbgrader's own behaviour, which ours mirrors
    assert parallel_run.returncode == 1
    assert f"re-grading once: {BROKEN}" in parallel_run.stdout
    assert f"error: could not grade {BROKEN}" in parallel_run.stderr
    assert f"graded {len(CORPUS)}, kept 0, failed 1" in parallel_run.stdout
    assert graded == set(CORPUS)
    assert f"  {BROKEN}: not graded (" in parallel_run.stdout


@pytest.mark.slow
@pytest.mark.parametrize("student", CORPUS)
def test_grading_ends_with_each_students_score_and_what_waits_for_a_grader(student, serial_and_parallel):
    parallel_run = serial_and_parallel[1]
    (line,) = [line for line in parallel_run.stdout.splitlines() if line.startswith(f"  {student}: ")]
    score = f"  {student}: {sum(expected_cells(student).values()):g} / 22"
    waiting = ", 4 point(s) wait for a grader (written answers)" if wrote_written_answer(student) else ""
    assert line == score + waiting


@pytest.mark.slow
def test_an_assignment_missing_from_the_gradebook_is_a_clear_error(serial_and_parallel, tmp_path):
    course = make_course_with_config(tmp_path)
    result = run_module("korea_nato.grading", "ps0_not_an_assignment", cwd=course)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: assignment 'ps0_not_an_assignment' is not in the gradebook at "
        f"sqlite:///{course / 'gradebook.db'}: run `nbgrader generate_assignment ps0_not_an_assignment` first"
    ]


# --- Units: sharding, ports, commands ----------------------------------------------------------


def test_shards_are_disjoint_cover_every_student_and_are_never_empty():
    students = [f"fake-{i:03}" for i in range(7)]
    shards = grading.shard(students, 3)
    assert sorted(s for shard in shards for s in shard) == students
    assert [len(shard) for shard in shards] == [3, 2, 2]
    assert grading.shard(students[:1], 4) == [["fake-000"]]


def test_worker_ports_are_distinct_and_below_the_ephemeral_range():
    ports = grading.free_ports(10, random.Random(1))
    assert len(set(ports)) == 10
    assert all(grading.PORT_RANGE[0] <= port < grading.PORT_RANGE[1] < 32768 for port in ports)


def test_a_worker_command_excludes_the_other_shards_and_pins_its_kernel_ports():
    command = grading.autograde_command(
        ASSIGNMENT, ["fake-b", "fake-c"], [20001, 20002, 20003, 20004, 20005], "x"
    )
    assert "--CourseDirectory.student_id_exclude=fake-b,fake-c" in command
    assert "--KernelManager.cache_ports=False" in command
    assert "--KernelManager.shell_port=20001" in command and "--KernelManager.hb_port=20005" in command


def test_a_sqlite_gradebook_gets_a_lock_timeout_and_others_are_left_alone():
    assert grading.with_sqlite_timeout("sqlite:////c/gradebook.db") == "sqlite:////c/gradebook.db?timeout=30"
    assert grading.with_sqlite_timeout("sqlite:////c/g.db?timeout=5") == "sqlite:////c/g.db?timeout=5"
    url = "postgresql+psycopg2://grader@db.example/course"
    assert grading.with_sqlite_timeout(url) == url
