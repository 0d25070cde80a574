"""What a grading run shows while it runs, and the summary it ends with.

While ``python -m korea_nato.grading`` grades, :class:`GradingWatch` looks every few seconds at
the gradebook (who is fully scored), at nbgrader's logs (whose submission failed, and why) and at
the integrity scan of each student done (who is flagged). :class:`ProgressDisplay` shows it:

- on a terminal, a tqdm bar: ``grading ━━━━━  3/6 [00:12<00:12] failed 1, flagged 1``;
- in a log file (stderr not a terminal), a plain line whenever a count changes and at least
  every ``every_s`` seconds: ``grading: 3/6 done, 1 failed, 1 flagged; 12 s elapsed, about 12 s left``.

:func:`summary_lines` names, at the end, every student who failed or was flagged, and why.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

#: nbgrader logs this as soon as a submission fails (the path ends .../submitted/STUDENT/ASSIGNMENT).
FAILED_NOW = re.compile(
    r"(?:There was an error processing assignment: |While processing assignment )"
    r"(?P<path>\S*?submitted[/\\](?P<student>[^/\\\s]+)[/\\](?P<assignment>[^/\\\s,]+))"
)
#: ...and this for each failed one at the end of its run.
FAILED_AT_END = re.compile(
    r"There was an error processing assignment '(?P<assignment>[^']+)' for student '(?P<student>[^']+)'"
)
LOG_RECORD = re.compile(r"^\[\w+ \| (?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\]")
REASON_CHARS = 200
#: Seconds between two looks at the gradebook, at least (more if a look takes long).
POLL_S = 2.0


def failures_in_log(text: str) -> dict[tuple[str, str], str]:
    """``{(student, assignment): reason}`` for each failure an nbgrader log reports.

    The reason is the last line of the traceback nbgrader logs after the failure (the
    exception), or its own message when there is none.
    """
    records: list[list[str]] = []
    for line in text.splitlines():
        if LOG_RECORD.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    found: dict[tuple[str, str], str] = {}
    for number, record in enumerate(records):
        head = record[0]
        match = FAILED_NOW.search(head)
        if match:
            key = (match["student"], match["assignment"])
            reason = "the kernel became unresponsive (an infinite loop that ignores interrupts?)"
            following = records[number + 1] if number + 1 < len(records) else []
            if "While processing" not in head and following and "Traceback" in following[0]:
                lines = [line.strip() for line in following if line.strip()]
                reason = lines[-1] if lines else "nbgrader raised an error"
            elif "While processing" not in head:
                reason = "nbgrader raised an error (see its log)"
            found[key] = reason[:REASON_CHARS]
            continue
        match = FAILED_AT_END.search(head)
        if match:
            key = (match["student"], match["assignment"])
            found.setdefault(key, "nbgrader could not grade it (see its log)")
    return found


class ProgressDisplay:
    """A progress bar on a terminal, plain lines in a log file."""

    def __init__(
        self, total: int, stream=None, tty: bool | None = None, every_s: float = 10.0, label: str = "grading"
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total, self.every_s, self.label = total, every_s, label
        self.started = time.monotonic()
        self.last: tuple | None = None
        self.last_line_at = 0.0
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="student", desc=label, file=self.stream, dynamic_ncols=True)

    def time_left(self, done: int) -> float | None:
        """Seconds left at the pace so far (None before the first student is done)."""
        if not done:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / done * (self.total - done)

    def line(self, done: int, failed: int, flagged: int) -> str:
        elapsed = time.monotonic() - self.started
        left = self.time_left(done)
        estimate = "time left unknown yet" if left is None else f"about {left:.0f} s left"
        return (
            f"{self.label}: {done}/{self.total} done, {failed} failed, {flagged} flagged; "
            f"{elapsed:.0f} s elapsed, {estimate}"
        )

    def show(self, done: int, failed: int, flagged: int) -> None:
        counts = (done, failed, flagged)
        if self.bar is not None:
            self.bar.set_postfix_str(f"failed {failed}, flagged {flagged}", refresh=False)
            if done > self.bar.n:
                self.bar.update(done - self.bar.n)  # update(), not n =: tqdm's rate and time left follow it
            else:
                self.bar.refresh()
        else:
            now = time.monotonic()
            if counts != self.last or now - self.last_line_at >= self.every_s:
                print(self.line(*counts), file=self.stream, flush=True)
                self.last_line_at = now
        self.last = counts

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class GradingWatch:
    """Counts a grading run's students as the gradebook and nbgrader's logs see them."""

    course: Path
    db_url: str
    todo: dict[str, list[str]]  # assignment -> students this run grades
    log_dir: Path
    display: ProgressDisplay | None = None
    poll_s: float = POLL_S  # grows with the cost of a look (see poll)
    graded: set = field(default_factory=set)  # (student, assignment)
    failed: dict = field(default_factory=dict)  # (student, assignment) -> reason
    flags: dict = field(default_factory=dict)  # (student, assignment) -> [finding]
    checked: set = field(default_factory=set)
    polled_at: float = 0.0

    @property
    def total(self) -> int:
        return sum(len(students) for students in self.todo.values())

    def read_logs(self) -> dict[tuple[str, str], str]:
        found = {}
        for log in sorted(self.log_dir.glob("*.log")):
            try:
                found.update(failures_in_log(log.read_text(errors="replace")))
            except OSError:  # a log being rotated or removed: read it next time
                continue
        return found

    def poll(self, force: bool = False) -> None:
        """Update the counts (at most every ``poll_s`` seconds unless ``force``) and the display."""
        now = time.monotonic()
        if not force and now - self.polled_at < self.poll_s:
            return
        self.polled_at = now
        try:
            self._count()
        finally:  # a big class makes a look costly: keep it under a tenth of the run's time
            self.poll_s = max(POLL_S, 10 * (time.monotonic() - now))

    def _count(self) -> None:
        from .gradebook import graded_students
        from .report import integrity_findings

        graded = set()
        for assignment, students in self.todo.items():
            try:
                scored = graded_students(self.db_url, self.course, assignment)
            except Exception:  # the gradebook busy for a moment: count again at the next poll
                return
            graded |= {(s, assignment) for s in students if s in scored}
        mine = {(s, a) for a, students in self.todo.items() for s in students}
        self.graded = graded
        self.failed = {key: why for key, why in self.read_logs().items() if key in mine and key not in graded}
        for key in (graded | set(self.failed)) - self.checked:
            findings = integrity_findings(self.course, *key)
            if findings:
                self.flags[key] = findings
            self.checked.add(key)
        if self.display is not None:
            flagged = sum(1 for key in self.flags if key in graded)
            self.display.show(len(graded | set(self.failed)), len(self.failed), flagged)


def summary_lines(failed: dict, flags: dict, graded: set, elapsed_s: float, total: int) -> list[str]:
    """The end of a run: counts, then every failed and every flagged student, and why.

    ``failed``: ``{(student, assignment): reason}`` of the students still without a grade;
    ``flags``: ``{(student, assignment): [finding, ...]}``; ``graded``: the keys scored.
    """
    flagged = {key: found for key, found in flags.items() if key in graded}
    lines = [
        f"summary: {total} submission(s) in {elapsed_s:.0f} s: {len(graded)} graded, "
        f"{len(failed)} failed, {len(flagged)} flagged"
    ]
    if failed:
        lines.append("failed (no grade; read the reason, fix or re-collect, then run again):")
        for (student, assignment), reason in sorted(failed.items()):
            found = flags.get((student, assignment))
            why = reason + (f"; integrity scan: {'; '.join(found)}" if found else "")
            lines.append(f"  {student} ({assignment}): {why}")
    if flagged:
        lines.append("flagged (graded; read the notebook before trusting the score):")
        for (student, assignment), found in sorted(flagged.items()):
            lines.append(f"  {student} ({assignment}): {'; '.join(found)}")
    return lines
