"""The nbgrader gradebook, for every grading tool: where it is, whether it is usable, who is graded.

The runner, the report and the LMS export all read the gradebook through this module, so a
missing, unreachable or foreign database gives the same one-line error everywhere.
"""

from __future__ import annotations

from pathlib import Path

#: Tables every nbgrader gradebook has; a database without them is not a gradebook.
GRADEBOOK_TABLES = {"assignment", "student", "submitted_assignment", "grade", "grade_cells"}
SQLITE_TIMEOUT_S = 30


class GradebookError(Exception):
    """The gradebook cannot be used: missing, unreachable, or not an nbgrader gradebook."""


class GradingError(Exception):
    """Grading cannot start (no submissions, unknown assignment, bad option)."""


def course_config(course: Path):
    """The traitlets config of ``course/nbgrader_config.py`` (empty if the file is absent)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if not (course / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def configured_db_url(course: Path) -> str:
    """The gradebook URL nbgrader would use when run from ``course``."""
    from nbgrader.coursedir import CourseDirectory

    config = course_config(course)
    coursedir = CourseDirectory(config=config)
    if "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(course.resolve())
    return coursedir.db_url


def shown_url(db_url: str) -> str:
    """The URL with any password masked, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given; check_gradebook reports it
        return db_url


def check_gradebook(db_url: str) -> None:
    """Raise :class:`GradebookError` with a one-line reason unless ``db_url`` is a reachable gradebook.

    Never creates or changes anything (nbgrader's ``Gradebook`` would add its tables to any
    database it opens, including someone else's).
    """
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        url = make_url(db_url)
    except ArgumentError:
        raise GradebookError(f"{db_url!r} is not a database URL (e.g. sqlite:///gradebook.db)") from None
    where = shown_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not url.database or not path.is_file():
            raise GradebookError(
                f"no gradebook at {path}: run `nbgrader generate_assignment` and `nbgrader autograde` "
                "in the course directory first, or pass --course-dir / --db-url"
            )
        where = str(path)
    try:
        engine = create_engine(url)
    except ModuleNotFoundError as error:
        raise GradebookError(
            f"cannot open the gradebook at {where}: missing database driver {error.name!r} "
            "(for PostgreSQL: pip install psycopg2-binary and use postgresql+psycopg2://...)"
        ) from None
    try:
        tables = set(inspect(engine).get_table_names())
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise GradebookError(f"cannot open the gradebook at {where}: {reason}") from None
    finally:
        engine.dispose()
    missing = GRADEBOOK_TABLES - tables
    if missing:
        raise GradebookError(
            f"{where} is not an nbgrader gradebook (it lacks the tables {', '.join(sorted(missing))})"
        )


def with_sqlite_timeout(db_url: str) -> str:
    """A SQLite URL with a lock timeout, so concurrent graders wait instead of failing."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or "timeout" in url.query:
        return db_url
    return url.update_query_dict({"timeout": str(SQLITE_TIMEOUT_S)}).render_as_string(hide_password=False)


def is_scored(submission) -> bool:
    """Whether every autograded (code) test cell of a gradebook submission has a score."""
    return all(
        grade.auto_score is not None or grade.manual_score is not None
        for notebook in submission.notebooks
        for grade in notebook.grades
        if grade.cell_type == "code"
    )


def graded_students(db_url: str, course: Path, assignment: str) -> set[str]:
    """Students whose submission is fully autograded: scored in the gradebook, notebook on disk."""
    from nbgrader.api import Gradebook, MissingEntry

    graded = set()
    with Gradebook(db_url) as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return graded
        for submission in submissions:
            folder = course / "autograded" / submission.student.id / assignment
            on_disk = all((folder / f"{nb.name}.ipynb").is_file() for nb in submission.notebooks)
            if on_disk and is_scored(submission):
                graded.add(submission.student.id)
    return graded


def submission_scores(db_url: str, assignment: str, students) -> dict[str, tuple[float, float, float]]:
    """``{student: (score, max score, points still waiting for a grader)}`` of each submission."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(db_url) as gradebook:
        for student in students:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                continue
            grades = [grade for nb in submission.notebooks for grade in nb.grades]
            waiting = sum(grade.max_score for grade in grades if grade.needs_manual_grade)
            scores[student] = (submission.score, submission.max_score, waiting)
    return scores


def require_assignment(db_url: str, assignment: str) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(
                f"assignment {assignment!r} is not in the gradebook at {shown_url(db_url)}: "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from None
