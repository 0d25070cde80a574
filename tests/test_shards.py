"""``python -m korea_nato.grading --shard K/N``: N processes grade disjoint shards of one class.

Two shard processes run at once against one PostgreSQL gradebook and one course directory, as
two pods of a Kubernetes Indexed Job would; their grades must be those of serial ``nbgrader
autograde`` on a copy of the course. Then one shard is killed mid-run and run again: no grade may
be lost or duplicated. Without Debian's ``postgresql`` or ``psycopg2`` the PostgreSQL tests are
skipped locally (with the install command) and fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from assignment_tools import gradebook_scores, isolated_env, nbgrader
from course_tools import ASSIGNMENT, make_course_with_config, run_module, submit_corpus
from korea_nato import grading
from korea_nato.grading import runner

SHARD_0 = ["untouched-release", "window-off-by-one", "year-as-day"]
SHARD_1 = ["part-a-only", "solution", "unsorted-table"]
STUDENTS = sorted(SHARD_0 + SHARD_1)



@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """``{student: {grade_id: score}}`` from plain serial ``nbgrader autograde`` (SQLite)."""
    course = make_course_with_config(tmp_path_factory.mktemp("serial"))
    submit_corpus(course, STUDENTS)
    nbgrader(course, "autograde", ASSIGNMENT)
    return {s: found["cells"] for s, found in gradebook_scores(course, ASSIGNMENT).items()}


def pg_course(root, url):
    return make_course_with_config(root, f'c.CourseDirectory.db_url = "{url}"')


def shard_process(course, shard: str, home) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "korea_nato.grading", ASSIGNMENT, "--shard", shard, "--workers", "1"],
        cwd=course,
        env=isolated_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a kill takes nbgrader and the kernel too
    )


def cell_scores(url) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        return {
            submission.student.id: {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            for submission in gradebook.find_assignment(ASSIGNMENT).submissions
        }


def row_counts(url) -> tuple[dict, dict]:
    """Rows per student in the gradebook: submissions, and grades (one per test cell each)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            submissions = dict(
                connection.execute(
                    text(
                        "SELECT s.student_id, count(*) FROM submitted_assignment s "
                        "JOIN assignment a ON a.id = s.assignment_id WHERE a.name = :name GROUP BY s.student_id"
                    ),
                    {"name": ASSIGNMENT},
                ).all()
            )
            grades = dict(
                connection.execute(
                    text(
                        "SELECT s.student_id, count(*) FROM grade g "
                        "JOIN submitted_notebook n ON n.id = g.notebook_id "
                        "JOIN submitted_assignment s ON s.id = n.assignment_id GROUP BY s.student_id"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    return submissions, grades


def test_the_corpus_falls_into_both_shards_so_each_process_has_work():
    assert runner.in_shard(STUDENTS, 0, 2) == SHARD_0
    assert runner.in_shard(STUDENTS, 1, 2) == SHARD_1


@pytest.mark.slow
def test_two_shards_at_once_grade_like_serial_autograde(postgres, serial, tmp_path):
    url = postgres.create_database("course_two_shards")
    course = pg_course(tmp_path, url)
    submit_corpus(course, STUDENTS)
    runs = [shard_process(course, shard, tmp_path / "jupyter-home") for shard in ("0/2", "1/2")]
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out + err
    assert "shard 0/2 has 3 of 6 submissions" in outputs[0][0]
    assert "shard 1/2 has 3 of 6 submissions" in outputs[1][0]
    assert sorted(serial) == STUDENTS
    assert cell_scores(url) == serial
    submissions, grades = row_counts(url)
    cells = len(next(iter(serial.values())))
    assert submissions == dict.fromkeys(STUDENTS, 1)
    assert grades == dict.fromkeys(STUDENTS, cells)


def wait_for_a_cut(url, course, students, timeout=300):
    """Poll until one of ``students`` is graded and another is being graded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        graded = grading.graded_students(url, course, ASSIGNMENT) & set(students)
        busy = [s for s in students if s not in graded and (course / "autograded" / s / ASSIGNMENT).is_dir()]
        if graded and busy:
            return graded, busy
        time.sleep(0.1)
    raise AssertionError("never saw a shard's submission being graded after another was finished")


@pytest.mark.slow
def test_a_killed_shard_run_again_loses_and_duplicates_nothing(postgres, serial, tmp_path):
    url = postgres.create_database("course_killed_shard")
    course = pg_course(tmp_path, url)
    submit_corpus(course, STUDENTS)
    home = tmp_path / "jupyter-home"
    other = shard_process(course, "0/2", home)
    doomed = shard_process(course, "1/2", home)
    try:
        graded_before, cut = wait_for_a_cut(url, course, SHARD_1)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.communicate()
    out, err = other.communicate(timeout=900)
    assert other.returncode == 0, out + err
    scores_before = cell_scores(url)
    assert len(graded_before) < len(SHARD_1)

    again = run_module("korea_nato.grading", ASSIGNMENT, "--shard", "1/2", "--workers", "1", cwd=course)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(graded_before)} already graded, kept" in again.stdout
    assert cell_scores(url) == serial
    assert all(scores_before[s] == serial[s] for s in graded_before)
    submissions, grades = row_counts(url)
    cells = len(next(iter(serial.values())))
    assert submissions == dict.fromkeys(STUDENTS, 1)
    assert grades == dict.fromkeys(STUDENTS, cells)
    assert cut[0] in grading.graded_students(url, course, ASSIGNMENT)


# --- Units -------------------------------------------------------------------------------------


def test_shards_are_disjoint_cover_the_class_and_do_not_depend_on_who_else_submitted():
    students = [f"fake-{i:04}" for i in range(400)]
    shards = [runner.in_shard(students, k, 4) for k in range(4)]
    assert sorted(s for shard in shards for s in shard) == students
    assert all(60 <= len(shard) <= 140 for shard in shards), [len(s) for s in shards]
    assert runner.in_shard(students[::3], 2, 4) == [s for s in shards[2] if s in students[::3]]


@pytest.mark.parametrize("text", ["2", "2/2", "-1/2", "a/b", "0/0", "1/2/3"])
def test_a_bad_shard_is_a_clear_error(text):
    with pytest.raises(grading.GradingError, match="--shard"):
        runner.parse_shard(text)


def test_a_good_shard_counts_from_zero():
    assert runner.parse_shard("0/4") == (0, 4) and runner.parse_shard("3/4") == (3, 4)


def test_a_bad_shard_on_the_command_line_is_one_line_and_status_1(tmp_path, capsys):
    assert runner.main([ASSIGNMENT, "--shard", "4/4", "--course-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: --shard K/N needs 0 <= K < N (K counts from 0), got '4/4'"
    )


# --- The example job definitions in docs/ ------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"


def grading_args(command: str, substitutions: dict) -> list[str]:
    """The ``korea_nato.grading`` arguments of a shell command, its variables substituted."""
    for name, value in substitutions.items():
        command = command.replace(f"${{{name}}}", value).replace(f"${name}", value)
    words = shlex.split(command.replace("\\\n", " "))
    return words[words.index("korea_nato.grading") + 1 :]


def parsed(args: list[str]):
    """The runner's own parser on these arguments (as ``main`` would parse them)."""
    captured = {}

    def fake_grade_all(course, assignments, workers, force, db_url, shard_spec, display):
        captured.update(assignments=assignments, workers=workers, shard=shard_spec)
        return {}

    original = runner.grade_all
    runner.grade_all = fake_grade_all
    try:
        assert runner.main(args) == 0
    finally:
        runner.grade_all = original
    return captured


def test_the_kubernetes_indexed_job_runs_one_shard_per_completion_index():
    job = yaml.safe_load((DOCS / "grading-indexed-job.yaml").read_text(encoding="utf-8"))
    spec = job["spec"]
    assert job["kind"] == "Job" and spec["completionMode"] == "Indexed"
    (container,) = spec["template"]["spec"]["containers"]
    command = " ".join(container["args"])
    assert "$JOB_COMPLETION_INDEX" in command
    for index in range(spec["completions"]):
        found = parsed(grading_args(command, {"JOB_COMPLETION_INDEX": str(index)}))
        assert found["shard"] == (index, spec["completions"])
    assert spec["template"]["spec"]["restartPolicy"] == "Never" and spec["backoffLimitPerIndex"] >= 1


def test_the_slurm_array_runs_one_shard_per_task():
    script = (DOCS / "grading-slurm-array.sh").read_text(encoding="utf-8")
    first, last = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)", script).groups())
    shards = int(re.search(r"^SHARDS=(\d+)$", script, re.M).group(1))
    assert (first, last) == (0, shards - 1)
    command = script[script.index("python -m korea_nato.grading") :]
    for task in range(first, last + 1):
        args = grading_args(command, {"SLURM_ARRAY_TASK_ID": str(task), "SHARDS": str(shards)})
        args = [a.replace("${SLURM_CPUS_PER_TASK:-2}", "2") for a in args]
        assert parsed(args)["shard"] == (task, shards)
