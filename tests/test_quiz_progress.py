"""Progress is saved in a small JSON file, survives a restart, and a bad file never stops a lesson."""

from __future__ import annotations

import json
import warnings

import pytest

from korea_nato import quiz
from korea_nato.quiz import (
    ProgressStore,
    ProgressWarning,
    QuestionRecord,
    ScorePanel,
    default_progress_path,
    default_store,
    load_bank,
    make_quiz,
    score_panel,
)
from korea_nato.quiz import progress as progress_module

LESSON = "01-the-argument"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No NBGRADER_EXECUTION, progress in a temporary file, and no store cached from another test."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("KOREA_NATO_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setattr(progress_module, "_STORES", {})


@pytest.fixture
def path(tmp_path):
    return tmp_path / "progress.json"


def answer(widget_or_question, text, store):
    """Answer a single-choice question of lesson 01 with the option ``text``; return the widget."""
    widget = widget_or_question
    if not hasattr(widget, "check_button"):
        widget = make_quiz(widget_or_question, store=store)
    widget.choices.value = text
    widget.check_button.click()
    return widget


def right_text(question_id):
    question = load_bank(LESSON).question(question_id)
    return question.options[question.correct_index].text


def wrong_text(question_id):
    question = load_bank(LESSON).question(question_id)
    return next(o.text for o in question.options if not o.correct)


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def test_a_record_is_first_try_only_when_the_first_attempt_is_right():
    assert QuestionRecord().after(True) == QuestionRecord(1, True, True)
    assert QuestionRecord().after(False).after(True) == QuestionRecord(2, True, False)
    assert QuestionRecord().after(True).after(False) == QuestionRecord(2, True, True)


def test_a_missing_file_is_a_fresh_start_without_warning_and_is_not_created_by_reading(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = ProgressStore(path)
    assert store.records(LESSON) == {} and store.problem is None
    assert not path.exists()


def test_an_attempt_is_written_to_the_file(path):
    ProgressStore(path).record_attempt(LESSON, "thesis", correct=False)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved == {
        "format": 1,
        "lessons": {LESSON: {"thesis": {"attempts": 1, "solved": False, "first_try": False}}},
    }


def test_progress_survives_a_restart(path):
    store = ProgressStore(path)
    answer(load_bank(LESSON).question("author"), right_text("author"), store)
    widget = answer(load_bank(LESSON).question("thesis"), wrong_text("thesis"), store)
    answer(widget, right_text("thesis"), store)

    restarted = ProgressStore(path)  # a new kernel reads the same file
    assert restarted.records(LESSON) == {
        "author": QuestionRecord(1, True, True),
        "thesis": QuestionRecord(2, True, False),
    }
    panel = ScorePanel(LESSON, store=restarted)
    assert "Right on the first try: 1 of 7 questions." in panel.text
    assert "Attempts so far: 3." in panel.text


def test_deleting_the_file_starts_afresh_even_in_a_running_kernel(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "author", correct=False)
    path.unlink()
    store.record_attempt(LESSON, "date", correct=True)
    assert set(ProgressStore(path).records(LESSON)) == {"date"}


def test_two_kernels_sharing_the_file_keep_each_others_answers(path):
    first, second = ProgressStore(path), ProgressStore(path)
    first.record_attempt(LESSON, "author", correct=True)
    second.record_attempt("02-short-term-drivers", "x", correct=False)
    first.record_attempt(LESSON, "date", correct=True)
    lessons = json.loads(path.read_text(encoding="utf-8"))["lessons"]
    assert set(lessons) == {LESSON, "02-short-term-drivers"}
    assert set(lessons[LESSON]) == {"author", "date"}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2, 3]",
        '{"format": 99, "lessons": {}}',
        '{"format": 1, "lessons": {"01-the-argument": {"thesis": {"attempts": -1, "solved": false, "first_try": false}}}}',
        '{"format": 1, "lessons": {"01-the-argument": {"thesis": {"attempts": 1}}}}',
    ],
    ids=["not-json", "a-list", "unknown-format", "negative-attempts", "missing-fields"],
)
def test_a_corrupt_file_starts_fresh_warns_once_and_is_kept_aside(path, content):
    path.write_text(content, encoding="utf-8")
    with pytest.warns(ProgressWarning, match="starting fresh") as caught:
        store = ProgressStore(path)
        store.record_attempt(LESSON, "thesis", correct=True)
        store.record_attempt(LESSON, "date", correct=True)
    assert len(caught) == 1
    assert store.records(LESSON)["thesis"] == QuestionRecord(1, True, True)
    assert path.with_name("progress.json.corrupt").read_text(encoding="utf-8") == content
    assert ProgressStore(path).records(LESSON).keys() == {"thesis", "date"}


def test_an_unwritable_location_warns_once_and_the_lesson_carries_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    store = ProgressStore(blocker / "progress.json")
    with pytest.warns(ProgressWarning, match="Could not save") as caught:
        widget = answer(load_bank(LESSON).question("thesis"), right_text("thesis"), store)
        answer(widget, right_text("thesis"), store)
    assert len(caught) == 1
    assert widget.last_verdict.correct
    assert store.record(LESSON, "thesis").attempts == 2
    assert "Could not use the progress file" in ScorePanel(LESSON, store=store).body.value


def test_a_corrupt_default_file_never_stops_ask_or_score_panel(path, monkeypatch):
    path.write_text("{corrupt", encoding="utf-8")
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: None)
    with pytest.warns(ProgressWarning):
        quiz.ask(LESSON, "thesis")
        score_panel(LESSON)


# ---------------------------------------------------------------------------------------------
# Where the file lives
# ---------------------------------------------------------------------------------------------


def test_the_environment_variable_names_the_file(path):
    assert default_progress_path() == path
    assert default_store().path == path
    assert default_store() is default_store()


def test_without_the_variable_the_file_is_in_the_jupyter_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("KOREA_NATO_PROGRESS")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    assert default_progress_path() == tmp_path / "jupyter-data" / "korea_nato" / "progress.json"


# ---------------------------------------------------------------------------------------------
# The score panel
# ---------------------------------------------------------------------------------------------


def test_a_new_panel_lists_every_question_as_not_answered_yet(path):
    panel = ScorePanel(LESSON, store=ProgressStore(path))
    lines = panel.text.splitlines()
    assert lines[:3] == [
        "Right on the first try: 0 of 7 questions.",
        "Attempts so far: 0.",
        "To revisit (7):",
    ]
    assert lines[3] == "Question 1 (author): not answered yet."
    assert 'role="status"' in panel.body.value
    assert str(path) in panel.body.value


def test_the_panel_updates_live_and_names_what_to_revisit_and_why(path):
    store = ProgressStore(path)
    panel = ScorePanel(LESSON, store=store)
    answer(load_bank(LESSON).question("author"), right_text("author"), store)
    thesis = answer(load_bank(LESSON).question("thesis"), wrong_text("thesis"), store)
    assert "Question 4 (thesis): not right yet." in panel.text
    assert "Question 1 (author)" not in panel.text
    answer(thesis, right_text("thesis"), store)
    assert "Right on the first try: 1 of 7 questions." in panel.text
    assert "Attempts so far: 3." in panel.text
    assert "To revisit (6):" in panel.text
    assert "Question 4 (thesis): right in the end, after a wrong try." in panel.text
    assert "Question 4 (thesis): right in the end" in panel.body.value


def test_the_panel_says_when_nothing_is_left_to_revisit(path):
    store = ProgressStore(path)
    bank = load_bank(LESSON)
    for question in bank.questions:
        store.record_attempt(LESSON, question.id, correct=True)
    panel = ScorePanel(LESSON, store=store)
    assert panel.text.splitlines() == [
        "Right on the first try: 7 of 7 questions.",
        "Attempts so far: 7.",
        "Nothing to revisit: every question was right on the first try.",
    ]


def test_the_panel_ignores_records_of_questions_no_longer_in_the_bank(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "a-removed-question", correct=True)
    assert ScorePanel(LESSON, store=store).summary.attempts == 0


def test_score_panel_under_nbgrader_shows_a_note_and_never_touches_the_file(monkeypatch, path):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    path.write_text("{corrupt", encoding="utf-8")
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append((objs, kw)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score_panel(LESSON)
    ((objs, kw),) = shown
    assert kw.get("raw") is True
    assert "run this notebook in JupyterLab" in objs[0]["text/plain"]
    assert path.read_text(encoding="utf-8") == "{corrupt"


def test_score_panel_displays_a_live_panel_from_the_default_store(monkeypatch, path):
    shown = []
    monkeypatch.setattr(quiz, "display", lambda *objs, **kw: shown.append(objs[0]))
    score_panel(LESSON)
    (panel,) = shown
    assert isinstance(panel, ScorePanel) and panel.store.path == path
    default_store().record_attempt(LESSON, "date", correct=True)
    assert "Right on the first try: 1 of 7 questions." in panel.text
    assert "text/html" in panel._repr_mimebundle_()
