"""Autograde one problem set's corpus of honest and hostile submissions and check every score.

A ``test_psN_grading`` module describes its corpus as a ``GradingCorpus`` and installs the
shared fixture and tests with ``globals().update(corpus_tests(CORPUS_NAME))``: pytest collects
the ``graded`` fixture and the ``test_*`` functions from the module's names, so each module
reports them under its own name and with its own parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat
import pytest

from assignment_tools import (
    EXTRA_FILES,
    HIDDEN_MARKERS,
    HOSTILE_FINDINGS,
    PROVISIONAL,
    UNGRADEABLE,
    build_submission,
    failed_students,
    gradebook_scores,
    integrity_kinds,
    nbgrader,
    page_text,
    region,
    submit,
)

#: Cheats that change the kernel itself (here: patch pandas) in the first answer: the grader's
#: check before each test finds the change, so every test scores 0, below the mistake they hide.
KERNEL_TAMPERING = ("monkeypatched-comparison",)
#: The loops stuck in the last answer: the cell timeout stops them, so only that answer's test fails.
STUCK_LOOPS = ("infinite-loop", "swallowed-interrupt")


@dataclass(frozen=True)
class GradingCorpus:
    """One problem set's submissions and the score nbgrader must give each test cell of each."""

    assignment: str
    #: student -> (``build_submission`` keywords, the autograded score of every test cell)
    honest: dict
    #: ``assignment_tools.hostile_submissions``: case -> (notebook or raw text, file name, base)
    hostile: dict
    #: The honest student whose mistake the cheats in ``CHEATS_ON_THE_MISTAKE`` are built on.
    mistake: str
    #: The autograded score of every test cell of a submission stuck in a loop in its last answer.
    stuck: dict
    #: test cell grade id -> its points
    points: dict
    #: The assignment's maximum score, written answer included.
    total: int
    #: The grade id of the written answer a person grades, and its points.
    written: str
    written_points: int
    #: The students whose feedback page is generated and read, and lines it must never show.
    feedback_students: tuple
    feedback_secrets: tuple

    def __post_init__(self):
        if self.mistake not in self.honest:
            raise ValueError(f"the mistake {self.mistake!r} is not an honest submission")
        for student, cells in self.expected.items():
            if set(cells) != set(self.points):
                raise ValueError(
                    f"{student}'s expected cells {sorted(cells)} are not the test cells {sorted(self.points)}"
                )
        unknown = set(self.feedback_students) - set(self.expected)
        if unknown:
            raise ValueError(f"no graded submission for the feedback students {sorted(unknown)}")

    @property
    def expected(self) -> dict:
        """The autograded score of every test cell of every submission nbgrader can grade."""
        expected = {student: cells for student, (_, cells) in self.honest.items()}
        expected |= dict.fromkeys(STUCK_LOOPS, self.stuck)
        expected |= dict.fromkeys(KERNEL_TAMPERING, dict.fromkeys(self.points, 0))
        # Every other cheat scores exactly what the honest work it is built on scores.
        for case, (_, _, base) in self.hostile.items():
            if case not in expected and case not in UNGRADEABLE:
                expected[case] = expected[self.base[base]]
        return expected

    @property
    def base(self) -> dict:
        """A hostile case's base (``"solution"``, ``"mistake"``, ``"release"``) -> the honest student."""
        return {"solution": "solution", "mistake": self.mistake, "release": "untouched-release"}


def corpus_tests(corpus: GradingCorpus) -> dict:
    """The ``graded`` fixture and the tests every problem set's corpus must pass, by name."""
    assignment = corpus.assignment
    expected = corpus.expected
    graded_students = sorted(expected)

    @pytest.fixture(scope="module")
    def graded(course):
        """Submit the whole corpus, autograde it in one batch, and read the gradebook."""
        for student, (how, _) in corpus.honest.items():
            submit(course, student, assignment, build_submission(assignment, **how))
        for student, (notebook, name, _) in corpus.hostile.items():
            submit(course, student, assignment, notebook, name=name, extra_files=EXTRA_FILES.get(student))
        result = nbgrader(course, "autograde", assignment, check=False)
        return result, gradebook_scores(course, assignment)

    def test_the_batch_finishes_and_fails_only_the_ungradeable_submissions(graded, course):
        result, scores = graded
        assert result.returncode == 1, "nbgrader exits 1 when some submission fails"
        assert failed_students(result, assignment) == UNGRADEABLE, result.stdout + result.stderr
        assert sorted(scores) == sorted([*corpus.honest, *corpus.hostile])
        for student in graded_students:
            assert (course / "autograded" / student / assignment).is_dir(), student
        for student in UNGRADEABLE:
            assert not (course / "autograded" / student / assignment).exists(), student

    @pytest.mark.parametrize("student", graded_students)
    def test_each_test_cell_scores_as_expected(student, graded):
        _, scores = graded
        actual = {cell: scores[student]["cells"][cell] for cell in corpus.points}
        assert actual == expected[student]

    @pytest.mark.parametrize("student", graded_students)
    def test_total_is_the_sum_of_passed_tests_and_the_written_answer_waits_for_a_grader(student, graded):
        _, scores = graded
        # A cheat wrote (or left blank) the written answer as the honest work it is built on.
        honest = corpus.base[corpus.hostile[student][2]] if student in corpus.hostile else student
        how = corpus.honest[honest][0]
        wrote_it = "answered" not in how or corpus.written in how["answered"]
        assert scores[student]["score"] == sum(expected[student].values())
        assert scores[student]["max_score"] == corpus.total
        assert scores[student]["cells"][corpus.written] == 0
        # nbgrader scores an untouched written answer 0 by itself; a written one waits for a person.
        assert scores[student]["needs_manual_grade"] is wrote_it

    def test_ungradeable_submissions_score_nothing(graded):
        _, scores = graded
        assert {student: scores[student]["score"] for student in UNGRADEABLE} == dict.fromkeys(UNGRADEABLE, 0)

    def test_solution_gets_every_autograded_point_and_the_release_none(graded):
        _, scores = graded
        assert scores["solution"]["score"] == corpus.total - corpus.written_points
        assert scores["untouched-release"]["score"] == 0

    @pytest.mark.parametrize("student", sorted(corpus.hostile))
    def test_no_cheat_scores_above_the_honest_work_it_is_built_on(student, graded):
        _, scores = graded
        honest = corpus.base[corpus.hostile[student][2]]
        assert scores[student]["score"] <= scores[honest]["score"], (student, honest)

    @pytest.mark.parametrize("student", sorted(corpus.honest))
    def test_integrity_scan_passes_every_honest_submission(student, graded, course):
        assert integrity_kinds(course, student, assignment) == set()

    @pytest.mark.parametrize("student", sorted(corpus.hostile))
    def test_integrity_scan_flags_every_hostile_submission(student, graded, course):
        assert integrity_kinds(course, student, assignment) == HOSTILE_FINDINGS[student]

    def test_feedback_shows_scores_but_no_hidden_test(course, graded):
        for student in corpus.feedback_students:
            nbgrader(course, "generate_feedback", assignment, "--student", student, PROVISIONAL)
            (page,) = (course / "feedback" / student / assignment).glob("*.html")
            text = page_text(page)
            score = sum(expected[student].values())
            assert f"{score:.1f} / {corpus.total}" in text or f"{score} / {corpus.total}" in text, (
                f"{student}'s feedback lacks its score"
            )
            for secret in corpus.feedback_secrets:
                assert secret not in text, f"{student}'s feedback shows {secret!r}"

    def test_a_submission_that_prints_all_it_can_reach_shows_no_hidden_test_line(course, graded):
        """It prints ``In``, the kernel's source cache and the notebook file, after hidden tests ran."""
        student = "prints-history"
        nbgrader(course, "generate_feedback", assignment, "--student", student, PROVISIONAL)
        (page,) = (course / "feedback" / student / assignment).glob("*.html")
        text = page_text(page)
        assert "print(In)" in text, "the hostile cell itself is shown, so its output would be too"
        # Lines students see anyway are no secret: the release, and the submission's own answers
        # (built on the solution, they spell out what a hidden test expects).
        seen = [course / "release" / assignment, course / "submitted" / student / assignment]
        visible = "\n".join(cell.source for folder in seen for path in folder.glob("*.ipynb")
                            for cell in nbformat.read(path, as_version=4).cells)
        secrets = {line for line in hidden_test_lines(course / "source" / assignment) if line not in visible}
        assert secrets, "the assignment has hidden tests to keep secret"
        assert sorted(line for line in secrets if line in text) == []

    def test_every_failed_check_is_named_and_explained_in_words(course, graded):
        """For each test cell, a graded submission that fails it (an honest mistake where there is
        one): its feedback lists the check by its docstring with its score, and a line ``✗ <check>:``
        says in words what went wrong; no hidden-test line the student cannot see shows."""
        checks = test_cell_checks(course / "source" / assignment)
        failing = failing_submissions(expected, corpus.honest)
        secrets = hidden_test_lines(course / "source" / assignment)
        pages = {}
        for student in sorted({failing[cell] for cell in checks}):
            nbgrader(course, "generate_feedback", assignment, "--student", student, "--force", PROVISIONAL)
            (page,) = (course / "feedback" / student / assignment).glob("*.html")
            pages[student] = page_text(page)
        for cell, check in checks.items():
            student = failing[cell]
            text = pages[student]
            assert f"{check} (Score: 0.0 / {float(corpus.points[cell])})" in text, (
                f"{student}'s feedback does not list the check of {cell} by name: {check!r}"
            )
            lines = [line.strip() for line in text.splitlines() if line.strip().startswith(f"\u2717 {check}:")]
            assert lines, f"{student}'s feedback does not explain why {cell} failed"
            explanation = lines[0].removeprefix(f"\u2717 {check}:").strip()
            assert explanation != "this check failed." and len(explanation.split()) >= 4, (
                f"{cell}'s failure is not explained in words: {explanation!r}"
            )
            assert "Test cell" not in text
        seen = "\n".join(
            cell.source
            for student in pages
            for folder in (course / "release" / assignment, course / "submitted" / student / assignment)
            for path in folder.glob("*.ipynb")
            for cell in nbformat.read(path, as_version=4).cells
        )
        for student, text in pages.items():
            shown = sorted(line for line in secrets if line not in seen and line in text)
            assert shown == [], f"{student}'s feedback shows hidden-test lines"

    return {name: value for name, value in locals().items() if name == "graded" or name.startswith("test_")}


def test_cell_checks(folder) -> dict[str, str]:
    """``{grade id: first line of its docstring}`` for every test cell of ``folder``'s notebooks."""
    checks = {}
    for path in folder.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                first = cell.source.splitlines()[0].strip()
                assert first.startswith('"""'), f"the test cell {meta['grade_id']} has no docstring"
                checks[meta["grade_id"]] = first.strip('"').strip()
    return checks


def failing_submissions(expected: dict, honest: dict) -> dict[str, str]:
    """``{test cell: a student who scores 0 on it}``, honest mistakes first, the untouched release last."""
    order = sorted(expected, key=lambda s: (s not in honest, s == "untouched-release", s))
    failing = {}
    for student in order:
        for cell, score in expected[student].items():
            if score == 0 and cell not in failing:
                failing[cell] = student
    return failing


def hidden_test_lines(folder) -> set[str]:
    """Every line of 8 characters or more between hidden-test markers in ``folder``'s notebooks."""
    lines = set()
    for path in folder.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            lines.update(line.strip() for line in region(cell.source, HIDDEN_MARKERS) if len(line.strip()) >= 8)
    return lines
