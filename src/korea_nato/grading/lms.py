"""Grades into a learning-management system: Canvas's gradebook import, or a generic long table.

``korea-nato report --lms canvas --roster roster.csv`` (or ``--lms generic``) writes, beside the
grade report, a CSV an LMS imports as it is. Students are matched through a roster the
instructor provides (:data:`ROSTER_COLUMNS`; only ``student_id``, the nbgrader id, is required).

Rules, the same in both layouts:

- a submission that failed to grade, or is missing, is an **empty** cell, never 0; the
  instructor is told how many there are;
- a student in the gradebook but not in the roster is kept (with empty LMS ids) and named;
  a roster student the gradebook does not know gets empty cells and is named too;
- a student whose submission still needs manual grading stops the export, naming them,
  unless ``provisional`` is set: then the file is written as ``*-provisional.csv`` and says so;
- the score is the score after the late penalty (:mod:`korea_nato.grading.late`).

The same export runs inside nbgrader: ``nbgrader export --exporter
korea_nato.grading.lms.CanvasExportPlugin --CanvasExportPlugin.roster=roster.csv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from traitlets import Bool, Unicode

try:  # nbgrader is a dependency; the import only fails in a broken installation
    from nbgrader.plugins import ExportPlugin
except ImportError:  # pragma: no cover
    ExportPlugin = object

LAYOUTS = ("canvas", "generic")
#: The roster's columns: ``student_id`` is required (the nbgrader id, the folder name under
#: ``submitted/``); the others are copied into the LMS file when present.
ROSTER_COLUMNS = ("student_id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section")
#: Canvas's gradebook import: these five columns, then one column per assignment.
CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
#: Headers Canvas's importer drops as its own computed columns (it matches them anywhere in a
#: header, so an assignment named e.g. "Final Score 1" would be dropped without a word).
CANVAS_COMPUTED_HEADERS = (
    "Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
    "Override Score", "Override Grade", "Override Status",
)
GENERIC_COLUMNS = (
    "student_id", "name", "sis_user_id", "sis_login_id", "section", "assignment", "score",
    "max_score", "raw_score", "days_late", "late_penalty", "status", "provisional",
)
EMPTY_STATUSES = ("failed to grade", "missing")
NEEDS_MANUAL = "needs manual grading"
FLAGGED = "integrity flag"


class LmsError(Exception):
    """The export cannot be written (bad roster, students still to grade by hand)."""


# --- The roster --------------------------------------------------------------------------------


def read_roster(path: Path):
    """The roster as a DataFrame of strings, one row per student; :class:`LmsError` if unusable."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise LmsError(f"no roster at {path}: give a CSV with the columns {', '.join(ROSTER_COLUMNS)}")
    try:
        roster = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as error:
        raise LmsError(f"cannot read the roster {path}: {error}") from None
    roster.columns = [str(c).strip() for c in roster.columns]
    if "student_id" not in roster.columns:
        raise LmsError(
            f"the roster {path} has no student_id column (its columns: {', '.join(roster.columns)}); "
            f"expected {', '.join(ROSTER_COLUMNS)}"
        )
    unknown = sorted(set(roster.columns) - set(ROSTER_COLUMNS))
    if unknown:
        raise LmsError(
            f"the roster {path} has unknown columns {', '.join(unknown)}; use {', '.join(ROSTER_COLUMNS)}"
        )
    roster["student_id"] = roster["student_id"].str.strip()
    blank = roster.index[roster["student_id"] == ""].tolist()
    if blank:
        rows = [i + 1 for i in blank]
        raise LmsError(f"the roster {path} has rows without a student_id (data rows {rows})")
    duplicated = sorted(set(roster.loc[roster["student_id"].duplicated(), "student_id"]))
    if duplicated:
        raise LmsError(f"the roster {path} lists these students twice: {', '.join(duplicated)}")
    if "canvas_id" in roster.columns:
        roster["canvas_id"] = roster["canvas_id"].str.strip()
        not_numeric = roster.index[(roster["canvas_id"] != "") & ~roster["canvas_id"].str.isdigit()]
        if len(not_numeric):
            shown = ", ".join(
                f"{roster.at[i, 'student_id']} ({roster.at[i, 'canvas_id']!r})" for i in not_numeric
            )
            raise LmsError(
                f"the roster {path} has canvas_id values that are not Canvas's numeric user ids: {shown}; "
                "Canvas reads the ID column as a number, so put SIS ids in sis_user_id and logins in "
                "sis_login_id"
            )
    for column in ROSTER_COLUMNS:
        if column not in roster.columns:
            roster[column] = ""
    return roster[list(ROSTER_COLUMNS)]


def roster_from_grades(grades):
    """A roster of the gradebook's students alone, for an export without ``--roster``."""
    import pandas as pd

    ids = sorted(set(grades["student_id"]))
    return pd.DataFrame({c: ids if c == "student_id" else [""] * len(ids) for c in ROSTER_COLUMNS})


# --- Building the export -----------------------------------------------------------------------


@dataclass
class LmsExport:
    layout: str
    rows: list[list[str]]  # the CSV, header first
    provisional: bool = False
    empty_cells: dict[str, int] = field(default_factory=dict)  # status -> count
    not_in_roster: list[str] = field(default_factory=list)  # in the gradebook, not in the roster
    not_in_gradebook: list[str] = field(default_factory=list)  # in the roster, not in the gradebook
    needs_manual: list[str] = field(default_factory=list)  # "student (assignment)"
    flagged: list[str] = field(default_factory=list)  # "student (assignment)" with an integrity flag

    @property
    def file_name(self) -> str:
        name = "canvas_grades" if self.layout == "canvas" else "lms_long"
        return f"{name}-provisional.csv" if self.provisional else f"{name}.csv"

    def messages(self) -> list[str]:
        """What the instructor must know before importing the file."""
        lines = []
        for status, count in self.empty_cells.items():
            if count:
                lines.append(f"{count} {status} submission(s) left as empty cells (not 0)")
        if self.not_in_roster:
            lines.append(
                "not in the roster, exported without LMS ids (add them to the roster): "
                + ", ".join(self.not_in_roster)
            )
        if self.not_in_gradebook:
            lines.append(
                "in the roster but not in the gradebook (empty cells): " + ", ".join(self.not_in_gradebook)
            )
        if self.flagged:
            lines.append(
                "exported with an integrity flag (read the notebook; korea-nato report's detail column): "
                + ", ".join(self.flagged)
            )
        if self.provisional and self.needs_manual:
            lines.append(
                "PROVISIONAL: written answers not graded yet, their points missing, for "
                + ", ".join(self.needs_manual)
            )
        return lines


def score_text(value) -> str:
    """A score as the LMS reads it: ``18`` or ``17.5``; empty for no score."""
    if value is None or value != value:  # None or NaN
        return ""
    return f"{float(value):g}"


def check_canvas_names(assignments, names) -> None:
    """Refuse names Canvas's gradebook import would misread (:class:`LmsError`, naming them).

    Canvas drops a column whose header contains one of its computed headers, reads a header
    ending in ``(digits)`` as that Canvas assignment id, and takes a row whose first cell contains
    "Points Possible" for the points row.
    """
    problems = []
    for assignment in assignments:
        clash = [h for h in CANVAS_COMPUTED_HEADERS if h in assignment]
        if clash:
            problems.append(
                f"assignment {assignment!r} contains {clash[0]!r}, which Canvas drops as its own column"
            )
        if re.search(r"\(\d+\)\s*$", assignment):
            problems.append(
                f"assignment {assignment!r} ends in '(digits)', which Canvas reads as an assignment id"
            )
    for name in names:
        if CANVAS_POINTS_ROW in name:
            problems.append(
                f"student name {name!r} contains {CANVAS_POINTS_ROW!r}, which Canvas reads as the points row"
            )
    if problems:
        raise LmsError(
            "Canvas would misread this export: " + "; ".join(problems)
            + " (rename the assignment, or fix the roster's name column)"
        )


def build_export(grades, roster, layout: str = "canvas", provisional: bool = False) -> LmsExport:
    """The LMS file for the report's ``grades`` table (see :func:`korea_nato.grading.report.read_report`)."""
    if layout not in LAYOUTS:
        raise LmsError(f"unknown LMS layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    needs_manual = [
        f"{r.student_id} ({r.assignment})" for r in grades.itertuples() if r.status == NEEDS_MANUAL
    ]
    if needs_manual and not provisional:
        raise LmsError(
            "these submissions still need manual grading: " + ", ".join(needs_manual)
            + "; grade them in the formgrader, or export anyway with --provisional"
        )
    flagged = [f"{r.student_id} ({r.assignment})" for r in grades.itertuples() if r.status == FLAGGED]
    known = set(grades["student_id"])
    listed = list(roster["student_id"])
    not_in_roster = sorted(known - set(listed))
    not_in_gradebook = [s for s in listed if s not in known]
    people = roster.to_dict("records") + [
        {**dict.fromkeys(ROSTER_COLUMNS, ""), "student_id": s} for s in not_in_roster
    ]
    assignments = sorted(set(grades["assignment"]))
    by_key = {(r["student_id"], r["assignment"]): r for r in grades.to_dict("records")}
    max_scores = {r["assignment"]: r["max_score"] for r in by_key.values()}
    empty = {status: 0 for status in EMPTY_STATUSES}
    for row in by_key.values():
        if row["status"] in empty:
            empty[row["status"]] += 1

    if layout == "canvas":
        check_canvas_names(assignments, [p["name"] or p["student_id"] for p in people])
        rows = [[*CANVAS_ID_COLUMNS, *assignments]]
        rows.append([CANVAS_POINTS_ROW, "", "", "", "", *(score_text(max_scores[a]) for a in assignments)])
        for person in people:
            cells = [score_text(by_key.get((person["student_id"], a), {}).get("score")) for a in assignments]
            name = person["name"] or person["student_id"]
            rows.append(
                [name, *(person[c] for c in ("canvas_id", "sis_user_id", "sis_login_id", "section")), *cells]
            )
    else:
        rows = [list(GENERIC_COLUMNS)]
        for person in people:
            for assignment in assignments:
                row = by_key.get((person["student_id"], assignment))
                if row is None:
                    row = {"status": "not in the gradebook", "max_score": max_scores[assignment]}
                rows.append(
                    [
                        person["student_id"], person["name"], person["sis_user_id"], person["sis_login_id"],
                        person["section"], assignment, score_text(row.get("score")),
                        score_text(row.get("max_score")), score_text(row.get("raw_score")),
                        score_text(row.get("days_late")),
                        score_text(row.get("late_penalty")), row["status"],
                        "yes" if row["status"] == NEEDS_MANUAL else "no",
                    ]
                )
    return LmsExport(
        layout=layout,
        rows=rows,
        provisional=bool(needs_manual),
        empty_cells=empty,
        not_in_roster=not_in_roster,
        not_in_gradebook=not_in_gradebook,
        needs_manual=needs_manual,
        flagged=flagged,
    )


def write_export(export: LmsExport, out: Path) -> Path:
    """Write the export into the folder ``out`` (UTF-8, RFC 4180 quoting); return the file."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / export.file_name
    for stale in out.glob(export.file_name.replace("-provisional", "").replace(".csv", "*.csv")):
        if stale != path:  # a final file must not sit beside a provisional one, or the reverse
            stale.unlink()
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(export.rows)
    return path


def export_report(
    report, out: Path, layout: str, roster_path: Path | None, provisional: bool
) -> tuple[Path, LmsExport]:
    """``korea-nato report --lms``: build the export from a report and write it into ``out``."""
    roster = read_roster(roster_path) if roster_path else roster_from_grades(report.grades)
    export = build_export(report.grades, roster, layout, provisional)
    return write_export(export, out), export


# --- nbgrader export plugins -------------------------------------------------------------------


class CanvasExportPlugin(ExportPlugin):
    """``nbgrader export --exporter korea_nato.grading.lms.CanvasExportPlugin``: Canvas's import CSV.

    ``--to`` names the file (default ``canvas_grades.csv``); ``--CanvasExportPlugin.roster`` the
    roster; ``--CanvasExportPlugin.provisional=True`` exports with written answers ungraded.
    """

    layout = "canvas"
    roster = Unicode("", help="the roster CSV (columns: " + ", ".join(ROSTER_COLUMNS) + ")").tag(config=True)
    provisional = Bool(False, help="export even if written answers still need grading").tag(config=True)

    def export(self, gradebook) -> None:
        from .report import read_report

        course = Path(self.parent.coursedir.root) if self.parent is not None else Path.cwd()
        report = read_report(gradebook.engine.url.render_as_string(hide_password=False), course)
        grades = report.grades
        if self.assignment:
            grades = grades[grades["assignment"].isin([str(a) for a in self.assignment])]
        if self.student:
            grades = grades[grades["student_id"].isin([str(s) for s in self.student])]
        roster = read_roster(Path(self.roster)) if self.roster else roster_from_grades(grades)
        try:
            export = build_export(grades, roster, self.layout, self.provisional)
        except LmsError as error:
            self.log.error("%s", error)
            raise SystemExit(1) from None
        path = Path(self.to) if self.to else Path(export.file_name)
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(export.rows)
        self.log.info("Wrote %s", path)
        for line in export.messages():
            self.log.warning("%s", line)


class GenericExportPlugin(CanvasExportPlugin):
    """``nbgrader export --exporter korea_nato.grading.lms.GenericExportPlugin``: the long layout."""

    layout = "generic"


# --- ``korea-nato report --lms`` -----------------------------------------------------------------


def add_arguments(parser) -> None:
    """The report's LMS options."""
    parser.add_argument("--lms", choices=LAYOUTS, help="also write the grades in an LMS's import layout")
    columns = ", ".join(ROSTER_COLUMNS)
    parser.add_argument("--roster", type=Path, help=f"CSV matching students to the LMS ({columns})")
    parser.add_argument(
        "--provisional", action="store_true", help="export even if written answers still need manual grading"
    )


def run_from_report(args, report, out: Path) -> int:
    """Write the LMS file the options ask for; the exit status (1 if refused)."""
    import sys

    if not args.lms:
        if args.roster or args.provisional:
            print("error: --roster and --provisional need --lms canvas or --lms generic", file=sys.stderr)
            return 1
        return 0
    try:
        path, export = export_report(report, out, args.lms, args.roster, args.provisional)
    except LmsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for line in export.messages():
        print(f"note: {line}")
    print(f"wrote {path} ({args.lms} layout{', PROVISIONAL' if export.provisional else ''})")
    return 0
