"""The grade report: what ``nbgrader export`` hides, read straight from the gradebook.

``python -m korea_nato.grading.report`` (or ``korea-nato report``), run in the course directory, writes
to ``grade-report/``:

- ``grades.csv``: one row per student and assignment, with a status (graded / failed to grade /
  missing / needs manual grading / integrity flag), the score and the points of each part
  (``Part A``, ``Part B``, ... from the ``## Part X`` headings of the source notebook), and for
  a submission nbgrader could not grade a ``reason`` and ``what_to_do`` (see :mod:`.ungradeable`);
- ``lms_grades.csv``: student id, assignment, score, max score and status, for a learning
  management system's grade import (the score is empty when there is nothing to grade, and
  while a written answer waits for a grader: an LMS would take the provisional total as final;
  ``grades.csv`` keeps it);
- ``difficulty.csv``: per question, the students scored on it, those with full marks and their
  share, and apart from them the students who did not attempt it (its answer cells left as released);
- ``score_histogram.png`` and ``question_difficulty.png``: the same at a glance.

A submission whose every answer cell is still as released is ``not attempted`` (its score, 0, still
goes to the LMS), not a graded 0; a question whose answer cells are as released is counted as not
attempted, not as wrong.

The gradebook is the course's (``CourseDirectory.db_url``, by default ``gradebook.db``) or
``--db-url``; a missing, unreachable or foreign database is a one-line error and exit status 1.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from . import integrity, late, lms, ungradeable
from .gradebook import GradebookError, check_gradebook, configured_db_url, course_config

GRADED = "graded"
FAILED = "failed to grade"
MISSING = "missing"
NEEDS_MANUAL = "needs manual grading"
INTEGRITY = "integrity flag"
NOT_ATTEMPTED = "not attempted"
STATUSES = (GRADED, NEEDS_MANUAL, INTEGRITY, NOT_ATTEMPTED, FAILED, MISSING)
#: Statuses whose submission has scores worth counting (a failed one has none).
SCORED = (GRADED, NEEDS_MANUAL, INTEGRITY, NOT_ATTEMPTED)
#: Statuses of the submissions a score chart or mean describes (not attempted ones are told apart).
ATTEMPTED = (GRADED, NEEDS_MANUAL, INTEGRITY)

PART_HEADING = re.compile(r"^#{1,6}\s+Part\s+([A-Za-z0-9]+)\b")
OTHER_PART = "Other"
LMS_COLUMNS = ["student_id", "assignment", "score", "max_score", "status"]
#: Text columns of grades.csv: the integrity findings, and for an ungradeable submission why and the fix.
TEXT_COLUMNS = ["detail", "reason", "what_to_do"]


# --- Parts of an assignment --------------------------------------------------------------------


def parts_of_notebook(nb) -> dict[str, str]:
    """``{grade_id: "Part X"}``: each graded cell belongs to the last ``## Part X`` heading above it."""
    parts, current = {}, OTHER_PART
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = PART_HEADING.match(line.strip())
                if match:
                    current = f"Part {match.group(1)}"
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            parts[meta["grade_id"]] = current
    return parts


def parts_of_assignment(course: Path, assignment: str) -> dict[tuple[str, str], str]:
    """``{(notebook, grade_id): part}`` for every source notebook of ``assignment`` (empty if none)."""
    import nbformat

    parts = {}
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        for grade_id, part in parts_of_notebook(nbformat.read(path, as_version=4)).items():
            parts[(path.stem, grade_id)] = part
    return parts


# --- What a student attempted ------------------------------------------------------------------


def answer_cells_of_notebook(nb) -> dict[str, list[str]]:
    """``{grade_id: [grade ids of its answer cells]}`` for every graded cell of a notebook.

    A test cell checks the run of answer (solution) cells above it, back to the previous test
    cell's run; a graded answer cell (a written answer) is its own answer.
    """
    answers_of, run, run_closed = {}, [], False
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        if meta.get("solution"):
            if run_closed:
                run, run_closed = [], False
            run.append(grade_id)
            if meta.get("grade"):
                answers_of[grade_id] = [grade_id]
        elif meta.get("grade"):
            answers_of[grade_id] = list(run)
            run_closed = True
    return answers_of


def sources_by_grade_id(path: Path) -> dict[str, str]:
    """``{grade_id: source}`` of a notebook's nbgrader cells; empty if it cannot be read."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable notebook is reported elsewhere; here it just tells nothing
        return {}
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source.strip()
        for cell in nb.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }


def attempted_questions(course: Path, student: str, assignment: str) -> dict[tuple[str, str], bool]:
    """``{(notebook, grade_id): attempted}``: False where every answer cell of the question is
    exactly as released. Questions whose release or submission cannot be read are left out."""
    import nbformat

    attempted = {}
    for release_path in sorted((course / "release" / assignment).glob("*.ipynb")):
        submitted = sources_by_grade_id(course / "submitted" / student / assignment / release_path.name)
        released = sources_by_grade_id(release_path)
        if not submitted or not released:
            continue
        answers_of = answer_cells_of_notebook(nbformat.read(release_path, as_version=4))
        for grade_id, answers in answers_of.items():
            if not answers or any(a not in submitted or a not in released for a in answers):
                continue  # nothing to compare: the question counts as attempted
            attempted[(release_path.stem, grade_id)] = any(submitted[a] != released[a] for a in answers)
    return attempted


# --- Integrity ---------------------------------------------------------------------------------


def scan_findings(course: Path, student: str, assignment: str) -> tuple[dict, str | None]:
    """The integrity scan of a submission, ``({notebook: [Finding]}, None)``, or ``({}, why it failed)``."""
    submitted = course / "submitted" / student / assignment
    source = course / "source" / assignment
    if not submitted.is_dir() or not source.is_dir():
        return {}, None
    try:
        return integrity.scan_submission_dir(submitted, source), None
    except Exception as error:  # a scan that cannot run is itself worth a look; it never stops the class
        return {}, f"integrity scan failed: {error}"


def finding_lines(findings: dict) -> list[str]:
    """``kind (cell): detail`` for each finding of :mod:`korea_nato.grading.integrity`."""
    return [
        f"{finding.kind} ({finding.cell}): {finding.detail}"
        if finding.cell is not None and finding.cell != ""
        else f"{finding.kind}: {finding.detail}"
        for notebook in sorted(findings)
        for finding in findings[notebook]
    ]


def integrity_findings(course: Path, student: str, assignment: str) -> list[str]:
    """``kind (cell): detail`` for each finding of the integrity scan of one submission."""
    findings, failure = scan_findings(course, student, assignment)
    return [failure] if failure else finding_lines(findings)


def reasons_for(course: Path, student: str, assignment: str, findings: dict, in_gradebook: bool):
    """The :class:`.ungradeable.Reason` list for a submission nbgrader could not grade; never raises."""
    notebooks = sorted(p.name for p in (course / "source" / assignment).glob("*.ipynb"))
    try:
        return ungradeable.explain(course, student, assignment, findings, notebooks, in_gradebook)
    except Exception as error:  # an explanation that fails must not stop the report for the class
        return [ungradeable.Reason(
            f"the report could not tell why ({type(error).__name__}: {error})",
            f"run `{ungradeable.regrade_command(student, assignment)}` and read its log",
        )]


# --- Ungradeable submissions -------------------------------------------------------------------


def submitted_students(course: Path) -> set[str]:
    """Students with a folder in ``submitted/`` (nbgrader may have recorded nothing for some)."""
    folder = course / "submitted"
    try:
        return {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")}
    except OSError:  # no submitted/ yet, or unreadable: the gradebook's students are all there is
        return set()


def reason_columns(reasons) -> dict[str, str]:
    return {
        "reason": "; ".join(r.reason for r in reasons),
        "what_to_do": " Then: ".join(r.what_to_do for r in reasons),
    }


def unrecorded_row(course: Path, student: str, assignment: str) -> dict:
    """Status, detail and reason of a student the gradebook has no submission for."""
    if not (course / "submitted" / student / assignment).is_dir():
        return {"status": MISSING, "score": None, "detail": "no submission"}
    scanned, failure = scan_findings(course, student, assignment)
    reasons = reasons_for(course, student, assignment, scanned, in_gradebook=False)
    status = FAILED if reasons else MISSING
    detail = "; ".join([failure] if failure else finding_lines(scanned)) or "not graded"
    return {
        "status": status, "score": None, "detail": detail,
        **reason_columns(reasons or [ungradeable.not_graded_yet(student, assignment)]),
    }


# --- Reading the gradebook ---------------------------------------------------------------------


@dataclass
class Report:
    grades: object  # pandas.DataFrame, one row per student and assignment
    questions: object  # pandas.DataFrame, one row per graded cell

    def lms(self):
        """The table for an LMS's grade import: no score if failed, missing or not fully graded."""
        table = self.grades[LMS_COLUMNS].copy()
        table["score"] = table["score"].where(table["status"] != NEEDS_MANUAL)
        return table


def submission_status(submission, findings: list[str], attempted: dict | None = None) -> str:
    code = [g for nb in submission.notebooks for g in nb.grades if g.cell_type == "code"]
    if code and all(g.auto_score is None and g.manual_score is None for g in code):
        return FAILED
    if findings:
        return INTEGRITY
    if attempted and not any(attempted.values()):
        return NOT_ATTEMPTED
    if submission.needs_manual_grade:
        return NEEDS_MANUAL
    return GRADED


def read_report(db_url: str, course: Path) -> Report:
    """Read every student x assignment from the gradebook (checked first: see ``check_gradebook``)."""
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    check_gradebook(db_url)
    rows, questions = [], []
    with Gradebook(db_url) as gradebook:
        students = sorted({s.id for s in gradebook.students} | submitted_students(course))
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            parts = parts_of_assignment(course, assignment.name)
            part_names = sorted(
                {
                    parts.get((nb.name, c.name), OTHER_PART)
                    for nb in assignment.notebooks
                    for c in nb.grade_cells
                }
            )
            cells = [(nb.name, c) for nb in assignment.notebooks for c in nb.grade_cells]
            for student in students:
                row = {
                    "student_id": student,
                    "assignment": assignment.name,
                    "max_score": assignment.max_score,
                }
                try:
                    submission = gradebook.find_submission(assignment.name, student)
                except MissingEntry:
                    rows.append({**row, **unrecorded_row(course, student, assignment.name)})
                    continue
                scanned, failure = scan_findings(course, student, assignment.name)
                findings = [failure] if failure else finding_lines(scanned)
                attempted = attempted_questions(course, student, assignment.name)
                status = submission_status(submission, findings, attempted)
                reasons = []
                points = dict.fromkeys(part_names, 0.0)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        part = parts.get((notebook.name, grade.name), OTHER_PART)
                        points[part] += grade.score
                        scored = grade.auto_score is not None or grade.manual_score is not None
                        questions.append(
                            {
                                "assignment": assignment.name,
                                "notebook": notebook.name,
                                "question": grade.name,
                                "part": part,
                                "max_score": grade.max_score,
                                "student_id": student,
                                "score": grade.score if scored else None,
                                "status": status,
                                "attempted": attempted.get((notebook.name, grade.name), True),
                            }
                        )
                if status == FAILED:  # nothing was scored: no points rather than zeros
                    points = dict.fromkeys(points)
                    findings = findings or [
                        "nbgrader could not execute this submission; see its autograde log"
                    ]
                    reasons = reasons_for(course, student, assignment.name, scanned, in_gradebook=True)
                score = None if status == FAILED else submission.score
                rows.append(
                    {
                        **row, "status": status, "score": score, **points, "detail": "; ".join(findings),
                        **reason_columns(reasons),
                    }
                )
            if not students:
                for notebook, cell in cells:
                    questions.append(
                        {
                            "assignment": assignment.name,
                            "notebook": notebook,
                            "question": cell.name,
                            "part": parts.get((notebook, cell.name), OTHER_PART),
                            "max_score": cell.max_score,
                            "student_id": None,
                            "score": None,
                            "status": MISSING,
                            "attempted": False,
                        }
                    )
    columns = ["student_id", "assignment", "status", "score", "max_score"]
    grades = pd.DataFrame(rows)
    if grades.empty:
        grades = pd.DataFrame(columns=[*columns, *TEXT_COLUMNS])
    part_columns = sorted(c for c in grades.columns if c.startswith("Part ") or c == OTHER_PART)
    grades = grades[[*columns, *part_columns, *TEXT_COLUMNS]].fillna(dict.fromkeys(TEXT_COLUMNS, ""))
    grades = late.with_lateness(grades, db_url)  # score after the late penalty; days late, penalty
    return Report(grades=grades, questions=pd.DataFrame(questions))


DIFFICULTY_COLUMNS = [
    "assignment",
    "notebook",
    "question",
    "part",
    "max_score",
    "students_scored",
    "full_marks",
    "not_attempted",
    "share_full_marks",
]


def difficulty(report: Report):
    """Per question: points, the students who attempted it and were scored, those of them with
    full marks and their share, and apart from them the students who did not attempt it."""
    import pandas as pd

    q = report.questions
    if q.empty:
        return pd.DataFrame(columns=DIFFICULTY_COLUMNS)
    attempted = q["attempted"] if "attempted" in q else pd.Series(True, index=q.index)
    submitted = q["status"].isin(SCORED)
    counted = submitted & attempted.astype(bool) & q["score"].notna()
    q = q.assign(
        students_scored=counted,
        full_marks=counted & (q["score"] >= q["max_score"]),
        not_attempted=submitted & ~attempted.astype(bool),
    )
    table = (
        q.groupby(["assignment", "notebook", "question", "part", "max_score"], sort=False)[
            ["students_scored", "full_marks", "not_attempted"]
        ]
        .sum()
        .reset_index()
    )
    share = table["full_marks"] / table["students_scored"].where(table["students_scored"] > 0)
    return table.assign(share_full_marks=share.round(3))[DIFFICULTY_COLUMNS]


# --- Charts ------------------------------------------------------------------------------------


@dataclass
class ScoreFigures:
    """What one assignment's score chart shows: the percentages drawn, their median, and counts."""

    percent: list[float]
    median: float | None
    graded: int
    needs_grading: int
    not_attempted: int
    missing_or_failed: int

    @property
    def title(self) -> str:
        shown = len(self.percent)
        if self.needs_grading:
            what = (
                f"{shown} submissions ({self.graded} fully graded, {self.needs_grading} with written "
                "answers still to grade, counted 0 for now)"
            )
        else:
            what = f"{shown} graded submission{'s' if shown != 1 else ''}"
        notes = [f"{self.not_attempted} not attempted"] if self.not_attempted else []
        notes += [f"{self.missing_or_failed} missing or failed"] if self.missing_or_failed else []
        return f"scores of {what}" + (f"; not shown: {', '.join(notes)}" if notes else "")


def score_figures(grades, assignment: str) -> ScoreFigures:
    """The figures of ``assignment``'s score chart, from the report's grades table."""
    rows = grades[grades["assignment"] == assignment]
    shown = rows[rows["status"].isin(ATTEMPTED) & rows["score"].notna()]
    percent = [float(p) for p in (100 * shown["score"] / shown["max_score"]).tolist()]
    return ScoreFigures(
        percent=percent,
        median=statistics.median(percent) if percent else None,
        graded=int((shown["status"] != NEEDS_MANUAL).sum()),
        needs_grading=int((shown["status"] == NEEDS_MANUAL).sum()),
        not_attempted=int((rows["status"] == NOT_ATTEMPTED).sum()),
        missing_or_failed=int(rows["status"].isin([FAILED, MISSING]).sum()),
    )


def plot_histogram(report: Report, path: Path) -> None:
    """One panel per assignment: how many students got what share of the points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments = sorted(report.grades["assignment"].unique()) or ["(no assignments)"]
    fig, axes = plt.subplots(len(assignments), 1, figsize=(8, 3.6 * len(assignments)), squeeze=False)
    for ax, assignment in zip(axes[:, 0], assignments, strict=True):
        figures = score_figures(report.grades, assignment)
        ax.hist(figures.percent, bins=range(0, 101, 10), color="#4C72B0", edgecolor="white")
        if figures.median is not None:
            ax.axvline(
                figures.median, color="#C44E52", linestyle="--", label=f"median {figures.median:.1f}%"
            )
            ax.legend(loc="upper left")
        ax.set_title(f"{assignment}: {figures.title}", fontsize=9, wrap=True)
        ax.set_xlabel("Score (% of the assignment's points; written answers count once graded)")
        ax.set_ylabel("Students")
        ax.set_xlim(0, 100)
        ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def difficulty_label(row) -> str:
    """The text beside a question's bar: ``50% (2 of 4); 1 not attempted``."""
    share = row.share_full_marks
    if share != share:  # NaN: nobody scored on it
        text = "not graded yet" if not row.not_attempted else "nobody attempted it"
    else:
        text = f"{100 * share:.0f}% ({row.full_marks} of {row.students_scored})"
    if row.not_attempted and share == share:
        text += f"; {row.not_attempted} not attempted"
    elif row.not_attempted:
        text += f" ({row.not_attempted} not attempted)"
    return text


def plot_difficulty(table, path: Path) -> None:
    """One panel per assignment: a bar per question, the share of students with full marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments = sorted(table["assignment"].unique()) or ["(no assignments)"]
    heights = [max(2.5, 0.45 * (table["assignment"] == a).sum() + 1.4) for a in assignments]
    fig, axes = plt.subplots(
        len(assignments), 1, figsize=(9, sum(heights)), squeeze=False, gridspec_kw={"height_ratios": heights}
    )
    colours = plt.get_cmap("tab10")
    for ax, assignment in zip(axes[:, 0], assignments, strict=True):
        rows = table[table["assignment"] == assignment].iloc[::-1]
        parts = sorted(rows["part"].unique())
        labels = [f"{r.question} ({r.part}, {r.max_score:g} pt)" for r in rows.itertuples()]
        values = (100 * rows["share_full_marks"].fillna(0)).tolist()
        ax.barh(labels, values, color=[colours(parts.index(p) % 10) for p in rows["part"]])
        for y, row in enumerate(rows.itertuples()):
            ax.text(min(values[y], 100) + 1, y, difficulty_label(row), va="center", fontsize=8)
        ax.set_xlim(0, 120)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel("Students with full marks (% of those who attempted it and were scored)")
        ax.set_title(f"{assignment}: which questions were hard (short bar = hard)")
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --- Writing it out ----------------------------------------------------------------------------


def write_report(report: Report, out: Path) -> dict[str, Path]:
    """Write the CSVs and PNGs into ``out``; return them by name."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        name: out / name
        for name in (
            "grades.csv",
            "lms_grades.csv",
            "difficulty.csv",
            "score_histogram.png",
            "question_difficulty.png",
        )
    }
    table = difficulty(report)
    report.grades.to_csv(files["grades.csv"], index=False)
    report.lms().to_csv(files["lms_grades.csv"], index=False)
    table.to_csv(files["difficulty.csv"], index=False)
    plot_histogram(report, files["score_histogram.png"])
    plot_difficulty(table, files["question_difficulty.png"])
    return files


def summary(report: Report) -> str:
    """A few lines per assignment: counts by status, mean score, hardest questions, and for each
    submission nbgrader could not grade, why and what to do."""
    lines = []
    table = difficulty(report)
    for assignment, rows in report.grades.groupby("assignment"):
        counts = rows["status"].value_counts()
        status_text = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
        figures = score_figures(report.grades, assignment)
        scored = rows[rows["status"].isin(ATTEMPTED) & rows["score"].notna()]
        mean = (
            f"mean {scored['score'].mean():.1f} / {rows['max_score'].iloc[0]:g}, "
            f"median {figures.median:.1f}% of the points"
            if len(scored)
            else "no scores"
        )
        lines.append(f"{assignment}: {status_text}; {mean}")
        rows_of = table[table["assignment"] == assignment]
        hard = rows_of[rows_of["share_full_marks"] < 1]
        for r in hard.nsmallest(3, "share_full_marks").itertuples():
            lines.append(f"  hard: {r.question} ({r.part}): {100 * r.share_full_marks:.0f}% full marks")
        for r in rows[rows["reason"].astype(str) != ""].itertuples():
            lines.append(f"  not graded: {r.student_id}: {r.reason}")
            lines.append(f"    what to do: {r.what_to_do}")
    return "\n".join(lines) or "the gradebook has no assignments"


def sandbox_line(course: Path) -> str:
    """One line saying how this course's submissions are graded: in the sandbox, or not."""
    from .sandbox import sandbox_status

    sandboxed, found, fix = sandbox_status(course)
    if sandboxed:
        return f"grading sandbox: {found}"
    return f"grading sandbox: OFF -- {found}" + (f"; fix: {fix}" if fix else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="korea-nato report",
        description="Grade report from the gradebook: statuses, part points, difficulty, charts, LMS CSV.",
    )
    parser.add_argument(
        "--course-dir", type=Path, default=Path.cwd(), help="the course directory (default: .)"
    )
    parser.add_argument("--db-url", help="the gradebook (default: the course's CourseDirectory.db_url)")
    parser.add_argument("--out", type=Path, help="where to write the report (default: COURSE/grade-report)")
    lms.add_arguments(parser)
    args = parser.parse_args(argv)
    course = args.course_dir.resolve()
    try:
        report = read_report(args.db_url or configured_db_url(course), course)
    except GradebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    files = write_report(report, args.out or course / "grade-report")
    print(summary(report))
    print(sandbox_line(course))
    print(late.policy_text(course_config(course)))
    print("wrote " + ", ".join(str(p) for p in files.values()))
    return lms.run_from_report(args, report, args.out or course / "grade-report")


if __name__ == "__main__":
    sys.exit(main())
