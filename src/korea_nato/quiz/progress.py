"""A self-learner's progress: attempts per question, kept in a small JSON file. No widgets.

The file is ``$KOREA_NATO_PROGRESS`` if that is set, else ``progress.json`` in a ``korea_nato``
folder under Jupyter's data directory (``jupyter --data-dir``). It looks like::

    {"format": 1, "lessons": {"01-the-argument": {"thesis": {"attempts": 2, "solved": true,
                                                            "first_try": false}}}}

Progress must never stop a lesson: a missing file means a fresh start, and a file that cannot be
read or written gives one :class:`ProgressWarning` and the lesson carries on (a corrupt file is
kept beside the new one as ``<name>.corrupt``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from .bank import Bank, Question

__all__ = [
    "PROGRESS_ENV_VAR",
    "LessonSummary",
    "ProgressStore",
    "ProgressWarning",
    "QuestionRecord",
    "default_progress_path",
    "default_store",
    "summarise",
]

#: Environment variable naming the progress file (tests always point it at a temporary path).
PROGRESS_ENV_VAR = "KOREA_NATO_PROGRESS"
FILE_FORMAT = 1


class ProgressWarning(UserWarning):
    """The progress file could not be read or written; the lesson carries on without it."""


@dataclass(frozen=True)
class QuestionRecord:
    """What a student has done with one question.

    ``attempts`` counts checked answers until the question is solved (checks after that are
    practice, not attempts); ``last_missed`` and ``last_right`` are the ISO dates of the latest
    wrong and right answers, which decide whether the question is still worth revisiting.
    """

    attempts: int = 0
    solved: bool = False
    first_try: bool = False
    last_missed: str | None = None
    last_right: str | None = None

    def after(self, correct: bool, day: str | None = None) -> QuestionRecord:
        """The record after one more checked answer on ``day`` (ISO date; today if omitted)."""
        day = day or date.today().isoformat()
        attempts = self.attempts if self.solved else self.attempts + 1
        solved = self.solved or correct
        first_try = self.first_try or (correct and not self.solved and attempts == 1)
        return QuestionRecord(
            attempts,
            solved,
            first_try,
            self.last_missed if correct else day,
            day if correct else self.last_right,
        )

    @property
    def to_revisit(self) -> bool:
        """Missed once, and not answered right on a later day than the latest miss."""
        if self.last_missed is None:
            return self.attempts > 0 and not self.first_try
        return self.last_right is None or self.last_right <= self.last_missed

    @classmethod
    def from_json(cls, raw: object) -> QuestionRecord:
        required = {"attempts", "solved", "first_try"}
        if not isinstance(raw, dict) or not required <= set(raw) <= required | {"last_missed", "last_right"}:
            raise ValueError(f"a question record needs attempts, solved and first_try, got {raw!r}")
        attempts, solved, first_try = raw["attempts"], raw["solved"], raw["first_try"]
        if not (isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 0):
            raise ValueError(f"attempts must be a whole number >= 0, got {attempts!r}")
        if not (isinstance(solved, bool) and isinstance(first_try, bool)):
            raise ValueError("solved and first_try must be true or false")
        days = [raw.get("last_missed"), raw.get("last_right")]
        for day in days:
            if day is not None and not (isinstance(day, str) and _is_iso_date(day)):
                raise ValueError(f"last_missed and last_right must be dates like 2026-01-31, got {day!r}")
        return cls(attempts, solved, first_try, *days)


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _parse(text: str) -> tuple[dict[str, dict[str, QuestionRecord]], str | None]:
    raw = json.loads(text)
    if (
        not isinstance(raw, dict)
        or raw.get("format") != FILE_FORMAT
        or not isinstance(raw.get("lessons"), dict)
    ):
        raise ValueError(f"expected {{'format': {FILE_FORMAT}, 'lessons': {{...}}}}")
    lessons: dict[str, dict[str, QuestionRecord]] = {}
    for lesson, questions in raw["lessons"].items():
        if not isinstance(questions, dict):
            raise ValueError(f"lesson {lesson!r} must map question ids to records")
        lessons[lesson] = {qid: QuestionRecord.from_json(record) for qid, record in questions.items()}
    student = raw.get("student")
    if student is not None and not (isinstance(student, str) and student.strip()):
        raise ValueError(f"student must be a non-empty string, got {student!r}")
    return lessons, student


class ProgressStore:
    """Reads and writes one progress file; tells subscribers when a lesson's records change."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        #: Set when the file could not be read or written: a sentence for the score panel.
        self.problem: str | None = None
        self._listeners: dict[str, list[Callable[[], None]]] = defaultdict(list)
        self._corrupt = False  # the file exists but is unreadable: back it up before replacing it
        self._synced = True  # memory holds nothing the file lacks, so it is safe to re-read the file
        self._student: str | None = None
        self._lessons = self._load(fallback={})

    def _warn(self, problem: str) -> None:
        if self.problem is None:
            warnings.warn(problem, ProgressWarning, stacklevel=3)
        self.problem = problem

    def _load(self, *, fallback: dict) -> dict[str, dict[str, QuestionRecord]]:
        """The file's records: none if there is no file; ``fallback`` and one warning if it is unreadable."""
        try:
            lessons, student = _parse(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self._corrupt, self._synced = True, False
            self._warn(f"Could not read your quiz progress from {self.path} ({exc}); starting fresh.")
            return fallback
        if student:
            self._student = student
        return lessons

    @property
    def student(self) -> str:
        """This student's random id: it seeds the option order, so a retry shows the same order.

        Made up on first use and saved with the first recorded answer.
        """
        if self._student is None:
            self._student = secrets.token_hex(8)
        return self._student

    def records(self, lesson: str) -> dict[str, QuestionRecord]:
        """Records of ``lesson``'s questions by id (questions never answered are absent)."""
        return dict(self._lessons.get(lesson, {}))

    def record(self, lesson: str, question_id: str) -> QuestionRecord:
        return self._lessons.get(lesson, {}).get(question_id, QuestionRecord())

    def record_attempt(
        self, lesson: str, question_id: str, correct: bool, *, day: str | None = None
    ) -> QuestionRecord:
        """Record one checked answer, save the file, tell the lesson's subscribers; return the new record."""
        self._refresh()
        updated = self.record(lesson, question_id).after(correct, day)
        self._lessons.setdefault(lesson, {})[question_id] = updated
        self._write()
        self._notify(lesson)
        return updated

    def reset(self, lesson: str) -> None:
        """Forget every answer in ``lesson`` (other lessons and the student's id are kept)."""
        self._refresh()
        self._lessons.pop(lesson, None)
        self._write()
        self._notify(lesson)

    def _refresh(self) -> None:
        # Re-read first so that two kernels (two lessons open at once) do not undo each other's work,
        # unless memory holds answers the file lacks (after a failed read or write).
        if self._synced:
            self._lessons = self._load(fallback=self._lessons)

    def _notify(self, lesson: str) -> None:
        for callback in list(self._listeners[lesson]):
            callback()

    def _write(self) -> None:
        data = {
            "format": FILE_FORMAT,
            "student": self.student,
            "lessons": {
                lesson: {qid: _record_json(record) for qid, record in sorted(questions.items())}
                for lesson, questions in sorted(self._lessons.items())
            },
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._corrupt and self.path.exists():
                shutil.copyfile(self.path, self.path.with_name(self.path.name + ".corrupt"))
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, prefix=".progress-", suffix=".tmp", delete=False
            ) as tmp:
                json.dump(data, tmp, indent=1)
            os.replace(tmp.name, self.path)
            self._corrupt, self._synced = False, True
        except OSError as exc:
            self._synced = False
            self._warn(
                f"Could not save your quiz progress to {self.path} ({exc}); "
                "it is kept only until the kernel stops."
            )

    def subscribe(self, lesson: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every recorded attempt in ``lesson``."""
        self._listeners[lesson].append(callback)


def _record_json(record: QuestionRecord) -> dict:
    """A record as saved: the dates only once there are any."""
    return {key: value for key, value in asdict(record).items() if value is not None}


def default_progress_path() -> Path:
    """``$KOREA_NATO_PROGRESS``, else ``<jupyter data dir>/korea_nato/progress.json``."""
    if os.environ.get(PROGRESS_ENV_VAR):
        return Path(os.environ[PROGRESS_ENV_VAR]).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "korea_nato" / "progress.json"


_STORES: dict[Path, ProgressStore] = {}


def default_store() -> ProgressStore:
    """The kernel's store for :func:`default_progress_path` (one per path, so widgets share it)."""
    path = default_progress_path()
    if path not in _STORES:
        _STORES[path] = ProgressStore(path)
    return _STORES[path]


@dataclass(frozen=True)
class LessonSummary:
    """What the score panel shows for one lesson, counted per question."""

    lesson: str
    total: int
    solved: int
    first_try: int
    #: (position in the bank from 1, question, reason in words), in bank order.
    to_revisit: tuple[tuple[int, Question, str], ...]

    @property
    def still_open(self) -> int:
        return self.total - self.solved


def summarise(bank: Bank, records: dict[str, QuestionRecord]) -> LessonSummary:
    """Solved, solved on the first try, and the questions worth revisiting.

    A question is to revisit when it was missed and not answered right on a later day since.
    """
    known = [records.get(q.id, QuestionRecord()) for q in bank.questions]
    revisit = []
    for number, (question, record) in enumerate(zip(bank.questions, known, strict=True), start=1):
        if not record.to_revisit:
            continue
        reason = (
            "right in the end; answer it right again on another day to clear it"
            if record.solved
            else "not right yet"
        )
        revisit.append((number, question, reason))
    return LessonSummary(
        lesson=bank.lesson,
        total=len(bank.questions),
        solved=sum(r.solved for r in known),
        first_try=sum(r.first_try for r in known),
        to_revisit=tuple(revisit),
    )
