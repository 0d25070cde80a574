"""Benchmark: grade a synthetic class three (or four) ways, time the lessons and the package import.

    python benchmarks/grading.py --students 100 --workers 2 [--shards 2] [--target-only]

For N fake students x every assignment in ``source/`` (submissions built from the committed
notebooks: the solution, the untouched release, and half the answers, in turn), it times

- (a) serial, unsandboxed: ``nbgrader autograde ASSIGNMENT`` with nbgrader's own execution step
  (what an nbgrader course does by default), once per assignment;
- (a') serial, sandboxed: the same with the course's ``nbgrader_config.py`` as shipped (bubblewrap
  kernels, tests that prove they ran); (a') minus (a) is the sandbox's cost per submission;
- (b) recommended: ``python -m korea_nato.grading ASSIGNMENT... --workers W`` (parallel shards, one
  call), sandboxed;
- (c) floor: the same autograded notebooks executed in-process with nbclient, one after another;
- (d) with ``--shards N``: N processes ``python -m korea_nato.grading ... --shard K/N --workers 1``
  at once against a throw-away PostgreSQL gradebook, as N pods of a Kubernetes Indexed Job would
  (needs Debian's ``postgresql`` and ``psycopg2``, as the PostgreSQL tests do);

and prints, for each, total seconds, seconds per submission, submissions per core per hour (the
figure to size a class by: cores used are 1, W, N and 1) and peak memory (resident memory of
the process tree, sampled every 0.1 s with psutil; without psutil, the largest single child
process). It checks that (a), (b) and (d) leave the same scores, then times the headless execution of
each lesson and a cold ``import korea_nato``. ``--target-only`` times (a) and (b) alone (the
speed target's comparison). Everything runs in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from assignment_tools import (  # noqa: E402 -- the test helpers build courses and submissions
    ASSIGNMENTS,
    SOURCE,
    build_submission,
    cells_by_grade_id,
    isolated_env,
    make_course,
    nbgrader_meta,
    notebook_path,
    read,
    submit,
)

TARGET_SPEEDUP = 1.8
TARGET_LESSON_S = 10.0
TARGET_IMPORT_S = 0.5


# --- Measuring ---------------------------------------------------------------------------------


class PeakMemory:
    """Peak resident memory (MiB) of a process and its descendants while the block runs."""

    def __init__(self, pid: int | None = None):
        self.pid = pid or os.getpid()
        self.peak = 0.0
        self._stop = threading.Event()

    def sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        self.peak = max(self.peak, total / 2**20)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.sample()

    def __enter__(self):
        try:
            import psutil  # noqa: F401
        except ImportError:
            self._thread = None
            return self
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()
        else:  # no psutil: the largest single child process so far
            self.peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed_subprocess(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run ``command``; return wall seconds, peak MiB of its process tree and its exit code."""
    env = isolated_env(cwd.parent / "jupyter-home")
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    with PeakMemory(process.pid) as memory:
        code = process.wait()
    return time.perf_counter() - start, memory.peak, code


# --- The synthetic class -----------------------------------------------------------------------


def variants(assignment: str) -> list[dict]:
    """Three kinds of submission: everything answered, nothing answered, the first half answered."""
    answers = [
        grade_id
        for grade_id, cell in cells_by_grade_id(read(notebook_path(REPO / "source", assignment))).items()
        if nbgrader_meta(cell).get("solution")
    ]
    return [{}, {"answered": []}, {"answered": answers[: len(answers) // 2]}]


def fill(course: Path, students: int) -> int:
    """Submit every assignment for ``students`` fake students; return the number of submissions."""
    count = 0
    for assignment in ASSIGNMENTS:
        kinds = [build_submission(assignment, **how) for how in variants(assignment)]
        for i in range(students):
            submit(course, f"fake-{i + 1:04}", assignment, kinds[i % len(kinds)])
            count += 1
    return count


def scores(course: Path, db_url: str | None = None) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            (assignment.name, sub.student.id): sorted(
                (g.name, g.score) for nb in sub.notebooks for g in nb.grades
            )
            for assignment in gradebook.assignments
            for sub in assignment.submissions
        }


# --- The three paths ---------------------------------------------------------------------------


#: nbgrader 0.9's own autograde steps: appended to a course's config, grading runs unsandboxed.
UNSANDBOXED = """
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""


def unsandboxed(course: Path) -> Path:
    """``course`` with nbgrader's default, unsandboxed execution step."""
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(UNSANDBOXED)
    return course


def path_serial(course: Path) -> tuple[float, float, bool]:
    total, peak, ok = 0.0, 0.0, True
    for assignment in ASSIGNMENTS:
        seconds, memory, code = timed_subprocess(
            [sys.executable, "-m", "nbgrader", "autograde", assignment], course
        )
        total, peak, ok = total + seconds, max(peak, memory), ok and code == 0
    return total, peak, ok


def path_recommended(course: Path, workers: int) -> tuple[float, float, bool]:
    """One call for every assignment: each worker grades its shard of each assignment in turn."""
    command = [sys.executable, "-m", "korea_nato.grading", *ASSIGNMENTS, "--workers", str(workers)]
    seconds, memory, code = timed_subprocess(command, course)
    return seconds, memory, code == 0


def make_pg_course(root: Path, db_url: str) -> Path:
    """A course like ``make_course`` whose gradebook is the PostgreSQL database ``db_url``."""
    import shutil

    course = root / "course"
    course.mkdir(parents=True)
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(f'{config}\nc.CourseDirectory.db_url = "{db_url}"\n')
    env = isolated_env(root / "jupyter-home")
    for assignment in ASSIGNMENTS:
        shutil.copytree(SOURCE / assignment, course / "source" / assignment)
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
            cwd=course, env=env, check=True, capture_output=True,
        )
    return course


def path_shards(course: Path, shards: int) -> tuple[float, float, bool]:
    """``shards`` processes at once, one shard each, against the course's PostgreSQL gradebook."""
    env = isolated_env(course.parent / "jupyter-home")
    base = [sys.executable, "-m", "korea_nato.grading", *ASSIGNMENTS, "--workers", "1", "--progress", "none"]
    start = time.perf_counter()
    with PeakMemory() as memory:
        processes = [
            subprocess.Popen(
                [*base, "--shard", f"{k}/{shards}"],
                cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for k in range(shards)
        ]
        codes = [process.wait() for process in processes]
    return time.perf_counter() - start, memory.peak, all(code == 0 for code in codes)


def execute(path: Path, timeout: int) -> float:
    """Execute one notebook in-process with nbclient (errors allowed, as in grading); seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # As nbgrader does, so the notebooks behave as they do when graded (the self-check cell skips).
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up warnings would drown the report
    return time.perf_counter() - start


def path_floor(graded_course: Path) -> tuple[float, float, bool]:
    notebooks = sorted((graded_course / "autograded").glob("*/*/*.ipynb"))
    start = time.perf_counter()
    with PeakMemory() as memory:
        for path in notebooks:
            execute(path, timeout=10)
    return time.perf_counter() - start, memory.peak, bool(notebooks)


# --- Lessons and import ------------------------------------------------------------------------


def lesson_times() -> dict[str, float]:
    return {path.name: execute(path, timeout=60) for path in sorted((REPO / "lessons").glob("*.ipynb"))}


def python_seconds(code: str, repeats: int = 7) -> float:
    """Best wall time of ``python -c code`` over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def import_seconds() -> tuple[float, float]:
    """Cold ``import korea_nato``: wall time over bare start-up, and ``-X importtime``'s cumulative time."""
    wall = python_seconds("import korea_nato") - python_seconds("pass")
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import korea_nato"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    cumulative_us = next(
        int(line.split("|")[1]) for line in trace.splitlines() if line.rstrip().endswith("| korea_nato")
    )
    return max(wall, 0.0), cumulative_us / 1e6


# --- Report ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100, help="fake students (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="workers for path (b) (default 2)")
    parser.add_argument(
        "--shards", type=int, default=0, help="also (d): N shard processes on PostgreSQL (default: skip)"
    )
    parser.add_argument(
        "--target-only",
        action="store_true",
        help="time only (a) and (b), the speed target's comparison (for a large class: half the time)",
    )
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")
    if args.shards < 0 or args.shards == 1:
        parser.error("--shards must be 2 or more (or 0 to skip)")
    if args.shards:
        from postgres_tools import Cluster, missing_requirement

        reason = missing_requirement()
        if reason:
            parser.error(f"--shards needs PostgreSQL: {reason}")

    with tempfile.TemporaryDirectory(prefix="korea-nato-bench-") as tmp:
        tmp = Path(tmp)
        print(
            f"setting up {args.students} students x {len(ASSIGNMENTS)} assignment(s) {ASSIGNMENTS} ...",
            flush=True,
        )
        serial, parallel = unsandboxed(make_course(tmp / "a")), make_course(tmp / "b")
        submissions = fill(serial, args.students)
        fill(parallel, args.students)
        if not args.target_only:
            sandboxed_serial = make_course(tmp / "a-sandboxed")
            fill(sandboxed_serial, args.students)

        results = {}
        print("(a) serial nbgrader autograde, unsandboxed ...", flush=True)
        results["(a) serial autograde, unsandboxed"] = path_serial(serial)
        sandboxed = None
        if not args.target_only:
            print("(a') serial nbgrader autograde, sandboxed ...", flush=True)
            sandboxed = path_serial(sandboxed_serial)
        print(f"(b) korea_nato.grading --workers {args.workers} ...", flush=True)
        results[f"(b) korea_nato.grading, {args.workers} workers"] = path_recommended(parallel, args.workers)
        same = scores(serial) == scores(parallel)
        if not args.target_only:
            print("(c) nbclient in-process floor ...", flush=True)
            results["(c) nbclient in-process, serial"] = path_floor(serial)
            same = same and scores(serial) == scores(sandboxed_serial)
        cores = {name: 1 for name in results}
        cores[f"(b) korea_nato.grading, {args.workers} workers"] = args.workers
        if args.shards:
            with Cluster() as postgres:
                url = postgres.create_database("bench")
                sharded = make_pg_course(tmp / "d", url)
                fill(sharded, args.students)
                name = f"(d) {args.shards} shards on PostgreSQL"
                print(f"{name} ...", flush=True)
                results[name] = path_shards(sharded, args.shards)
                cores[name] = args.shards
                same = same and scores(serial) == scores(sharded, url)
        lessons = {} if args.target_only else lesson_times()
        wall_import, traced_import = (None, None) if args.target_only else import_seconds()

    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"\n{submissions} submissions ({args.students} students x {len(ASSIGNMENTS)} assignments), "
        f"{cpus} CPUs, load average {load:.1f} at the end (other work on the machine skews the figures)\n"
    )
    print(f"{'path':40} {'total s':>9} {'s/submission':>13} {'/core/hour':>11} {'peak MiB':>9}  exit ok")
    for name, (seconds, memory, ok) in results.items():
        used = min(cores[name], cpus or 1)  # on a machine with fewer cores, only those can work
        per_core_hour = submissions / seconds * 3600 / used
        each = seconds / submissions
        print(f"{name:40} {seconds:9.1f} {each:13.2f} {per_core_hour:11.0f} {memory:9.0f}  {ok}")
    (a, _, _), (b, _, _) = list(results.values())[:2]
    speedup = a / b
    if sandboxed is not None:
        print(
            f"\n(a') serial autograde, sandboxed: {sandboxed[0]:.1f} s, "
            f"{sandboxed[0] / submissions:.2f} s/submission; "
            f"the sandbox costs {(sandboxed[0] - a) / submissions:+.2f} s per submission"
        )
    print(
        f"\n(b) vs (a): {speedup:.2f}x faster (target >= {TARGET_SPEEDUP}x): "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}"
    )
    compared = ["(a)", *([] if args.target_only else ["(a')"]), "(b)", *(["(d)"] if args.shards else [])]
    compared = ", ".join(compared[:-1]) + " and " + compared[-1]
    print(f"{compared} leave the same scores in the gradebook: {'yes' if same else 'NO'}")
    if args.target_only:
        return 0 if same and all(ok for _, _, ok in results.values()) else 1
    print("\nlesson (headless, nbclient)           seconds")
    for name, seconds in lessons.items():
        verdict = "ok" if seconds < TARGET_LESSON_S else f"MISSED (target < {TARGET_LESSON_S:g} s)"
        print(f"{name:38} {seconds:7.2f}  {verdict}")
    verdict = "met" if wall_import < TARGET_IMPORT_S else "MISSED"
    print(
        f"\ncold import korea_nato: {1000 * wall_import:.1f} ms over bare python start-up "
        f"(-X importtime: {1000 * traced_import:.2f} ms); target < {TARGET_IMPORT_S} s: {verdict}"
    )
    print(f"median lesson: {statistics.median(lessons.values()):.2f} s" if lessons else "no lessons found")
    return 0 if same and all(ok for _, _, ok in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
