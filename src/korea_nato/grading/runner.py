"""Grade a class in parallel: the module's recommended way to autograde many submissions.

``python -m korea_nato.grading ASSIGNMENT [ASSIGNMENT ...] --workers 2`` (run from the course
directory) shards the students who submitted each assignment into ``--workers`` concurrent
``nbgrader autograde`` processes; each worker grades its shard of every assignment in turn
(in one ``nbgrader autograde '*'`` call when the assignments asked for are all that were
submitted and none is already graded, so that each worker starts nbgrader once).
Each process skips the other shards' students
(``--CourseDirectory.student_id_exclude``) and starts its kernels on ports of its own, so two
kernels never race for one port. Afterwards every student whose submission is still unscored is
re-graded once; whoever still fails is listed and the exit status is 1, as with nbgrader.

It is safe to interrupt and re-run: a student counts as graded only when every autograded test
cell has a score in the gradebook and the autograded notebook exists, so a submission cut off
mid-run is graded again, and finished ones are kept (``--force`` re-grades everyone).

The gradebook is the course's (``CourseDirectory.db_url`` in ``nbgrader_config.py``, by default
``gradebook.db``) or ``--db-url``; a SQLite gradebook gets a 30 s lock timeout so concurrent
writers wait for each other instead of failing.

``--shard K/N`` (K from 0 to N-1) grades only the students of shard K of N: a student's shard is
fixed by a hash of their id, so N processes on N machines (a Kubernetes Indexed Job, a Slurm
array) grade disjoint sets against one shared gradebook (PostgreSQL) and course directory, and a
shard that dies is simply run again. A run shows its progress on stderr (:mod:`.progress`) and
ends with a summary naming every failed or flagged student and why.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import (
    GradebookError,
    GradingError,
    check_gradebook,
    configured_db_url,
    graded_students,
    require_assignment,
    submission_scores,
    with_sqlite_timeout,
)
from .progress import ProgressDisplay

KERNEL_PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
#: Kernel ports are picked here, below Linux's ephemeral range (32768-60999), where the
#: operating system does not hand out ports to outgoing connections behind our back.
PORT_RANGE = (20000, 32000)


def submitted_students(course: Path, assignment: str) -> list[str]:
    """Students with a folder ``submitted/<student>/<assignment>``, sorted."""
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())


# --- Shards of a class, one per machine ---------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)``, with 0 <= K < N; :class:`GradingError` otherwise."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise GradingError(f"--shard takes K/N (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise GradingError(f"--shard K/N needs 0 <= K < N (K counts from 0), got {text!r}")
    return index, count


def shard_of(student: str, count: int) -> int:
    """The shard (0 to ``count`` - 1) of a student: a hash of the id, the same on every machine."""
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def in_shard(students: list[str], index: int, count: int) -> list[str]:
    """The students of shard ``index`` of ``count``."""
    return [s for s in students if shard_of(s, count) == index]


# --- Workers -----------------------------------------------------------------------------------


def shard(students: list[str], workers: int) -> list[list[str]]:
    """Deal students round-robin into at most ``workers`` non-empty, disjoint shards."""
    shards = [students[i::workers] for i in range(max(1, workers))]
    return [s for s in shards if s]


def free_ports(count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` distinct ports in :data:`PORT_RANGE` that are free on localhost right now."""
    rng = rng or random.Random()
    held: list[socket.socket] = []
    try:
        while len(held) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", rng.randrange(*PORT_RANGE)))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        return [s.getsockname()[1] for s in held]
    finally:
        for sock in held:
            sock.close()


def autograde_command(assignment: str, exclude: list[str], ports: list[int], db_url: str) -> list[str]:
    """The ``nbgrader autograde`` call of one worker: its students only, its own kernel ports."""
    kernel_ports = [
        f"--KernelManager.{name}={port}" for name, port in zip(KERNEL_PORT_NAMES, ports, strict=True)
    ]
    return [
        sys.executable,
        "-m",
        "nbgrader",
        "autograde",
        assignment,
        "--force",  # only the students this worker is given, and none of them is fully graded
        f"--CourseDirectory.student_id_exclude={','.join(exclude)}",
        f"--CourseDirectory.db_url={db_url}",
        "--KernelManager.cache_ports=False",
        *kernel_ports,
    ]


#: nbgrader's assignment id is a glob over ``submitted/<student>/``: this one matches every folder.
EVERY_ASSIGNMENT = "*"


def grades_in_one_call(course: Path, todo: dict[str, list[str]], results: dict) -> bool:
    """Can each worker grade all of ``todo`` in one ``nbgrader autograde '*'`` call?

    Only when the assignments asked for are exactly those submitted (``*`` selects no other) and
    every submission is to be graded (nbgrader's exclusion list cannot differ by assignment).
    """
    if len([a for a, students in todo.items() if students]) < 2:
        return False
    if any(result.kept for result in results.values()):
        return False
    submitted = {folder.name for folder in course.glob("submitted/*/*") if folder.is_dir()}
    return submitted == set(todo)


def run_chains(
    course: Path, chains: list[list[list[str]]], log_dir: Path, tick=None, name: str = "worker"
) -> None:
    """Run each chain of commands in ``course``, the chains at once, each one's commands in turn.

    A worker's chain holds its ``nbgrader autograde`` call for every assignment, so no worker
    waits for another between assignments. Output goes to ``log_dir`` (``NAME-I-STEP.log``);
    ``tick()`` is called about twice a second while they run; an interrupt kills all.
    """
    running: list[subprocess.Popen] = []
    lock = threading.Lock()

    def run(number: int, chain: list[list[str]]) -> None:
        for step, command in enumerate(chain):
            with (log_dir / f"{name}-{number}-{step}.log").open("w") as log:
                with lock:
                    process = subprocess.Popen(command, cwd=course, stdout=log, stderr=subprocess.STDOUT)
                    running.append(process)
                process.wait()

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(chains)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
                if tick is not None:
                    tick()
    finally:
        with lock:
            for process in running:
                if process.poll() is None:
                    process.kill()
                    process.wait()


@dataclass
class GradingResult:
    graded: list[str] = field(default_factory=list)  # graded by this run
    kept: list[str] = field(default_factory=list)  # already graded before, left alone
    regraded: list[str] = field(default_factory=list)  # failed once, tried again
    failed: list[str] = field(default_factory=list)  # still unscored after the second try
    logs: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # failed student -> why
    flags: dict[str, list[str]] = field(default_factory=dict)  # graded student -> integrity findings


def grade(
    course: Path, assignment: str, workers: int = 2, force: bool = False, db_url: str | None = None, say=print
) -> GradingResult:
    """Autograde every submission of ``assignment`` in ``course`` with ``workers`` processes."""
    return grade_all(course, [assignment], workers, force, db_url, say)[assignment]


def no_display(total: int):
    """The default of :func:`grade_all`: no progress display."""
    return None


def grade_all(
    course: Path,
    assignments: list[str],
    workers: int = 2,
    force: bool = False,
    db_url: str | None = None,
    say=print,
    shard_spec: tuple[int, int] = (0, 1),
    display=no_display,
) -> dict[str, GradingResult]:
    """Autograde every submission of each assignment, ``workers`` nbgrader processes at a time.

    Only the students of shard ``shard_spec = (K, N)`` are graded (all of them by default).
    Students are dealt into ``workers`` shards per assignment; worker ``i`` grades shard ``i`` of
    every assignment in turn, on kernel ports of its own. Then each student still unscored is
    graded once more. ``display(total)`` makes the progress display (or None for none).
    """
    from .progress import GradingWatch

    course = Path(course).resolve()
    if workers < 1:
        raise GradingError(f"--workers must be at least 1, got {workers}")
    db_url = db_url or configured_db_url(course)
    check_gradebook(db_url)
    everyone: dict[str, list[str]] = {}
    results: dict[str, GradingResult] = {}
    todo: dict[str, list[str]] = {}
    for assignment in assignments:
        require_assignment(db_url, assignment)
        students = submitted_students(course, assignment)
        if not students:
            raise GradingError(f"no submissions: no folder matches {course / 'submitted' / '*' / assignment}")
        bad = [s for s in students if "," in s]
        if bad:
            raise GradingError(f"student ids must not contain commas: {bad}")
        whole_class = students
        students = in_shard(students, *shard_spec)
        if shard_spec[1] > 1:
            say(
                f"{assignment}: shard {shard_spec[0]}/{shard_spec[1]} has {len(students)} "
                f"of {len(whole_class)} submissions"
            )
        done = set() if force else graded_students(db_url, course, assignment)
        everyone[assignment] = whole_class
        results[assignment] = GradingResult(kept=[s for s in students if s in done])
        todo[assignment] = [s for s in students if s not in done]
        kept = results[assignment].kept
        if kept:
            say(f"{assignment}: {len(kept)} already graded, kept (use --force to re-grade them)")
    if not any(todo.values()):
        return results

    worker_url = with_sqlite_timeout(db_url)
    width = len(KERNEL_PORT_NAMES)
    ports = free_ports(width * workers)

    def command(assignment: str, grading: list[str], worker: int) -> list[str]:
        exclude = [s for s in everyone[assignment] if s not in grading]
        return autograde_command(
            assignment, exclude, ports[worker * width : (worker + 1) * width], worker_url
        )

    chains: list[list[list[str]]] = [[] for _ in range(workers)]
    if grades_in_one_call(course, todo, results):
        # One nbgrader process per worker for every assignment: each pays its start-up (and its
        # fork server's) once, not once per assignment.
        union = sorted(set().union(*todo.values()))
        whole = set().union(*everyone.values())
        shards = shard(union, workers)
        say(
            f"grading {sum(len(s) for s in todo.values())} submissions of {', '.join(todo)} "
            f"in {len(shards)} worker(s)"
        )
        for worker, mine in enumerate(shards):
            exclude = sorted(whole - set(mine))
            own_ports = ports[worker * width : (worker + 1) * width]
            chains[worker].append(autograde_command(EVERY_ASSIGNMENT, exclude, own_ports, worker_url))
    else:
        for assignment, students in todo.items():
            if students:
                shards = shard(students, workers)
                say(f"grading {len(students)} submissions of {assignment} in {len(shards)} worker(s)")
                for worker, mine in enumerate(shards):
                    chains[worker].append(command(assignment, mine, worker))
    from .sandbox import private_folder  # the logs of a killed run are removed by a later one

    with private_folder("korea-nato-grading-") as log_dir:
        total = sum(len(students) for students in todo.values())
        watch = GradingWatch(course, db_url, todo, log_dir, display(total))
        started = time.monotonic()
        run_chains(course, [chain for chain in chains if chain], log_dir, tick=watch.poll)
        retry = []
        for assignment, students in todo.items():
            scored = graded_students(db_url, course, assignment)
            results[assignment].regraded = [s for s in students if s not in scored]
            if results[assignment].regraded:
                say(f"re-grading once: {', '.join(results[assignment].regraded)}")
                retry.append(command(assignment, results[assignment].regraded, 0))
        if retry:
            run_chains(course, [retry], log_dir, tick=watch.poll, name="retry")
        watch.poll(force=True)
        if watch.display is not None:
            watch.display.close()
        error_lines = [
            line
            for log in sorted(log_dir.glob("*.log"))
            for line in log.read_text().splitlines()
            if "ERROR" in line
        ]
        for assignment, students in todo.items():
            scored = (
                graded_students(db_url, course, assignment) if results[assignment].regraded else set(students)
            )
            result = results[assignment]
            result.failed = [s for s in students if s not in scored]
            result.graded = [s for s in students if s in scored]
            result.reasons = {
                s: watch.failed.get((s, assignment), "nbgrader left it unscored (see its log)")
                for s in result.failed
            }
            result.flags = {
                s: watch.flags[(s, assignment)] for s in students if (s, assignment) in watch.flags
            }
            if result.failed:
                result.logs = error_lines
        elapsed = time.monotonic() - started
        for line in summary_of(results, elapsed):
            say(line)
    return results


def summary_of(results: dict[str, GradingResult], elapsed_s: float) -> list[str]:
    """:func:`.progress.summary_lines` for the students this run graded."""
    from .progress import summary_lines

    failed = {(s, a): why for a, r in results.items() for s, why in r.reasons.items()}
    flags = {(s, a): found for a, r in results.items() for s, found in r.flags.items()}
    graded = {(s, a) for a, r in results.items() for s in r.graded}
    total = sum(len(r.graded) + len(r.failed) for r in results.values())
    return summary_lines(failed, flags, graded, elapsed_s, total)


def student_lines(db_url: str, assignment: str, result: GradingResult) -> list[str]:
    """One line per student of a run: the score, points still waiting for a grader, or the failure."""
    scores = submission_scores(db_url, assignment, [*result.graded, *result.kept])
    lines = []
    for student in sorted({*result.graded, *result.kept, *result.failed}):
        if student in result.failed or student not in scores:
            lines.append(f"  {student}: not graded ({result.reasons.get(student, 'see the errors below')})")
            continue
        score, max_score, waiting = scores[student]
        note = f", {waiting:g} point(s) wait for a grader (written answers)" if waiting else ""
        kept = " (kept from an earlier run)" if student in result.kept else ""
        lines.append(f"  {student}: {score:g} / {max_score:g}{note}{kept}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m korea_nato.grading",
        description="Autograde every submission of one or more assignments with parallel nbgrader workers.",
    )
    parser.add_argument("assignments", nargs="+", metavar="ASSIGNMENT", help="e.g. ps1_event_table")
    parser.add_argument("--workers", type=int, default=2, help="concurrent nbgrader processes (default 2)")
    parser.add_argument(
        "--course-dir", type=Path, default=Path.cwd(), help="the course directory (default: .)"
    )
    parser.add_argument("--db-url", help="the gradebook (default: the course's CourseDirectory.db_url)")
    parser.add_argument("--force", action="store_true", help="re-grade students already graded")
    parser.add_argument(
        "--shard",
        default="0/1",
        metavar="K/N",
        help="grade only shard K of N (K from 0 to N-1), e.g. $JOB_COMPLETION_INDEX/4 (default: all)",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="progress on stderr: a bar on a terminal, plain lines in a log (default: auto)",
    )
    args = parser.parse_args(argv)

    def display(total: int):
        if args.progress == "none" or not total:
            return None
        tty = {"auto": None, "bar": True, "lines": False}[args.progress]
        return ProgressDisplay(total, sys.stderr, tty=tty)

    try:
        shard_spec = parse_shard(args.shard)
        results = grade_all(
            args.course_dir, args.assignments, args.workers, args.force, args.db_url,
            shard_spec=shard_spec, display=display,
        )
    except (GradebookError, GradingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    failed = []
    db_url = args.db_url or configured_db_url(args.course_dir.resolve())
    for assignment, result in results.items():
        print(
            f"{assignment}: graded {len(result.graded)}, kept {len(result.kept)}, failed {len(result.failed)}"
        )
        for line in student_lines(db_url, assignment, result):
            print(line)
        failed += [f"{student} ({assignment})" for student in result.failed]
    if failed:
        logs = next(result.logs for result in results.values() if result.failed)
        print("\n".join(logs[-20:]), file=sys.stderr)
        print(f"error: could not grade {', '.join(failed)}; see the errors above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
