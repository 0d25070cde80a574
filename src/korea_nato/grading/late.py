"""The course's late policy: a penalty per day late, capped, applied by nbgrader while it autogrades.

nbgrader's own :class:`nbgrader.plugins.LateSubmissionPlugin` knows only "none" and "zero", so
:class:`PerDayLatePenalty` subclasses it. nbgrader's ``AssignLatePenalties`` step (in the
course's ``Autograde.autograde_preprocessors``) calls it for each notebook of a submission that
arrived after the due date (``nbgrader db assignment add NAME --duedate=...``; the arrival time
is ``timestamp.txt``, written by ``nbgrader collect`` or ``submit``) and stores the penalty in the
gradebook; nbgrader never lets a penalty exceed the notebook's score.

Days late are counted in started days after the grace period: 1 minute to 24 hours late is
1 day. The penalty is ``penalty_per_day`` times the days late, at most ``max_penalty``, both
fractions of the notebook's points (so 0.1 means 10 % of the points, not of the score).

:func:`lateness` reads days late and penalties back for the grade report and the LMS export.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float, TraitError, validate

DAY_S = 24 * 3600


def days_late(seconds_late: float, grace_minutes: float = 0) -> int:
    """Started days late after the grace period (0 if on time or within it)."""
    if seconds_late <= grace_minutes * 60:
        return 0
    return math.ceil((seconds_late - grace_minutes * 60) / DAY_S)


def penalty_fraction(days: int, per_day: float, cap: float) -> float:
    """The share of the points a submission ``days`` late loses."""
    return min(days * per_day, cap)


class PerDayLatePenalty(LateSubmissionPlugin):
    """A penalty per started day late, capped: set in ``nbgrader_config.py``."""

    penalty_per_day = Float(
        0.0, help="share of the notebook's points lost per started day late (0.1 = 10 %); 0 = no penalty"
    ).tag(config=True)
    max_penalty = Float(1.0, help="the most a late submission loses, as a share of the points").tag(
        config=True
    )
    grace_minutes = Float(0.0, help="minutes after the due date that still count as on time").tag(config=True)

    @validate("penalty_per_day", "max_penalty")
    def _a_share(self, proposal):
        if not 0 <= proposal["value"] <= 1:
            name, value = proposal["trait"].name, proposal["value"]
            raise TraitError(f"{name} must be a share between 0 and 1, got {value}")
        return proposal["value"]

    @validate("grace_minutes")
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"grace_minutes must be 0 or more, got {proposal['value']}")
        return proposal["value"]

    def notebook_points(self) -> float | None:
        """The points of the notebook being graded, from the gradebook nbgrader has open."""
        step = self.parent  # nbgrader's AssignLatePenalties preprocessor
        try:
            notebook = step.gradebook.find_notebook(step.notebook_id, step.assignment_id)
        except Exception:  # not called from AssignLatePenalties: no points to scale by
            return None
        return notebook.max_score

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        days = days_late(total_seconds_late, self.grace_minutes)
        share = penalty_fraction(days, self.penalty_per_day, self.max_penalty)
        if share == 0:
            return None
        points = self.notebook_points()
        if points is None:
            self.log.warning("late penalty: notebook points unknown, taking a share of the score instead")
            points = score
        penalty = round(share * points, 6)
        self.log.info(
            "%s is %d day(s) late: penalty %g point(s) (%g %%)", student_id, days, penalty, 100 * share
        )
        return penalty


def policy_text(config) -> str:
    """One line saying the course's late policy, for the report."""
    settings = config.get("PerDayLatePenalty", {})
    plugin = str(config.get("AssignLatePenalties", {}).get("plugin_class", ""))
    per_day = settings.get("penalty_per_day", 0)
    if "PerDayLatePenalty" not in plugin or not per_day:
        return "late policy: none (late submissions are graded like any other)"
    cap = settings.get("max_penalty", 1.0)
    grace = settings.get("grace_minutes", 0)
    return (
        f"late policy: {100 * per_day:g} % of the points per started day late, at most {100 * cap:g} %"
        + (f", after {grace:g} minutes' grace" if grace else "")
    )


def lateness(db_url: str) -> dict[tuple[str, str], dict]:
    """``{(student, assignment): {"days_late", "late_penalty", "raw_score"}}`` from the gradebook.

    ``days_late`` counts started days (without the grace period, which only the plugin knows;
    a submission inside it has a penalty of 0).
    """
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                found[(submission.student.id, assignment.name)] = {
                    "days_late": days_late(submission.total_seconds_late),
                    "late_penalty": float(submission.late_submission_penalty or 0.0),
                    "raw_score": float(submission.score),
                }
    return found


def with_lateness(grades, db_url: str):
    """The report's grades table with ``raw_score``, ``days_late`` and ``late_penalty`` added.

    ``score`` becomes the score after the penalty (as ``nbgrader export`` computes it); a row
    without a score (failed, missing) keeps empty cells.
    """
    found = lateness(db_url)
    keys = list(zip(grades["student_id"], grades["assignment"], strict=True))
    scored = grades["score"].notna()
    raw = grades["score"]
    penalty = [found.get(k, {}).get("late_penalty", 0.0) for k in keys]
    days = [found.get(k, {}).get("days_late", 0) for k in keys]
    grades = grades.assign(
        raw_score=raw,
        days_late=[d if s else None for d, s in zip(days, scored, strict=True)],
        late_penalty=[p if s else None for p, s in zip(penalty, scored, strict=True)],
    )
    grades["score"] = (raw - grades["late_penalty"].fillna(0)).clip(lower=0).where(scored)
    return grades
