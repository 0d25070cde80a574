"""Why nbgrader could not grade a submission, and what the instructor can do about it.

nbgrader's own log says only that it "failed" on a student, and ``nbgrader export`` shows a 0.
:func:`explain` reads the student's folder in ``submitted/`` (and the integrity scan of it)
and gives a :class:`Reason` for each problem it finds, each with a fix:

- a ``timestamp.txt`` nbgrader cannot read as a date (nbgrader stops before grading, and the
  student used to show as "missing");
- a notebook that is not valid JSON or not a valid notebook;
- a renamed notebook (``ps1-Copy1.ipynb``), or none at all;
- an nbgrader cell id that appears twice (a copied cell, even a copied locked one): fixed by
  ``python -m korea_nato.grading.repair dedupe``;
- cells stripped of their nbgrader metadata;
- a kernel that died (``os._exit``, a crash, memory): no autograded notebook was written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reason:
    """One reason a submission could not be graded, and what to do about it."""

    reason: str
    what_to_do: str


def regrade_command(student: str, assignment: str) -> str:
    return f"nbgrader autograde {assignment} --student {student} --force"


def not_graded_yet(student: str, assignment: str) -> Reason:
    """For a folder in ``submitted/`` that nbgrader has no grade for and nothing explains."""
    return Reason(
        f"submitted/{student}/{assignment} is there, but nbgrader has recorded no grade for it (autograde "
        "has not run for this student yet, or stopped before recording anything)",
        f"run `{regrade_command(student, assignment)}` and read its log",
    )


def timestamp_problem(folder: Path) -> str | None:
    """Why nbgrader cannot read ``folder/timestamp.txt``, or None (a missing or empty file is fine)."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        return f"timestamp.txt cannot be read as text ({type(error).__name__})"
    if not text:
        return None
    from nbgrader.utils import parse_utc

    try:
        parse_utc(text)
    except Exception:  # dateutil's ParserError (a ValueError), OverflowError on huge numbers
        shown = text if len(text) <= 60 else text[:57] + "..."
        return f"timestamp.txt holds {shown!r}, which is not a date nbgrader can read"
    return None


def _kinds(findings: Mapping[str, Sequence]) -> dict[str, list]:
    by_kind: dict[str, list] = {}
    for name, found in findings.items():
        for finding in found:
            by_kind.setdefault(finding.kind, []).append((name, finding))
    return by_kind


def explain(course: Path, student: str, assignment: str, findings: Mapping[str, Sequence] | None,
            graded_notebooks: Sequence[str] = (), in_gradebook: bool = True) -> list[Reason]:
    """The reasons ``student``'s ``assignment`` could not be graded, most decisive first.

    ``findings`` is :func:`korea_nato.grading.integrity.scan_submission_dir`'s result for the
    folder (None if the scan could not run); ``graded_notebooks`` the source notebooks' names;
    ``in_gradebook`` whether nbgrader recorded a submission at all (if not, only a problem found
    in the folder is a reason: see :func:`not_graded_yet`). Returns ``[]`` when the folder does
    not exist (nothing was submitted).
    """
    folder = course / "submitted" / student / assignment
    if not folder.is_dir():
        return []
    where = f"submitted/{student}/{assignment}"
    regrade = regrade_command(student, assignment)
    reasons = []
    problem = timestamp_problem(folder)
    if problem:
        reasons.append(Reason(
            f"{problem}, so nbgrader stopped before grading",
            f"write the submission time as YYYY-MM-DD HH:MM:SS UTC into {where}/timestamp.txt, or delete "
            f"that file (nbgrader then records no time and applies no late penalty); then run `{regrade}`",
        ))
    by_kind = _kinds(findings or {})
    for _, finding in by_kind.get("invalid-notebook", []):
        reasons.append(Reason(
            f"{finding.detail}; nbgrader cannot open it",
            "ask the student to resubmit (Jupyter keeps an autosaved copy in .ipynb_checkpoints/), "
            f"or repair the file by hand; then run `{regrade}`",
        ))
    renamed = [name for name, _ in by_kind.get("renamed-notebook", [])]
    missing = [name for name, _ in by_kind.get("missing-notebook", [])]
    expected = missing or [n for n in graded_notebooks if not (folder / n).exists()]
    for name in renamed:
        target = expected[0] if len(expected) == 1 else "the name in source/"
        graded = ", ".join(graded_notebooks) or target
        reasons.append(Reason(
            f"the notebook was submitted as {name}, and nbgrader grades only {graded}",
            f"rename it: `mv {where}/{name} {where}/{target}`; then run `{regrade}`",
        ))
    if missing and not renamed:
        reasons.append(Reason(
            f"{where} holds no {', '.join(missing)}",
            f"collect the submission again (`nbgrader collect {assignment} --update`) or ask the student to "
            f"resubmit; then run `{regrade}`",
        ))
    duplicated = sorted({str(f.cell) for _, f in by_kind.get("duplicate-cell", [])})
    if duplicated:
        reasons.append(Reason(
            f"the nbgrader cell id {', '.join(repr(d) for d in duplicated)} appears in more than one cell "
            "(a copied cell), and nbgrader stops on a repeated id",
            f"run `python -m korea_nato.grading.repair dedupe {where}` (it keeps a backup and says which "
            f"copy it kept); then run `{regrade}`",
        ))
    stripped = [f for _, f in by_kind.get("missing-metadata", [])]
    if stripped:
        cells = sorted(str(f.cell) for f in stripped if f.cell is not None)
        what = f"the cells {', '.join(cells)} lost their" if cells else "every cell lost its"
        reasons.append(Reason(
            f"{what} nbgrader metadata (an editor that drops unknown metadata saved the notebook), "
            "so nbgrader cannot match the answers to the tests",
            "ask the student to copy their answers into a fresh copy of the released notebook and resubmit, "
            f"then run `{regrade}`; or grade this one by hand",
        ))
    if reasons:
        return reasons
    if not in_gradebook:
        return []
    exits = [f for _, f in by_kind.get("process-exit", [])]
    autograded = course / "autograded" / student / assignment
    if not any((autograded / name).is_file() for name in graded_notebooks) or exits:
        evidence = f" (the integrity scan found: {'; '.join(str(f) for f in exits)})" if exits else ""
        return [Reason(
            "nbgrader wrote no autograded notebook: the kernel died or nbgrader stopped while running the "
            f"student's code{evidence}",
            f"read the student's notebook at the flagged line; run `{regrade}` and read its log; if the "
            "kernel dies again, grade the notebook by hand",
        )]
    return [Reason(
        "nbgrader ran the notebook but recorded no score",
        f"run `{regrade}` and read its log",
    )]
