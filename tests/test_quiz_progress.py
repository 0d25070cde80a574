"""Progress is saved in a small JSON file, survives a restart, and a bad file never stops a lesson."""

from __future__ import annotations

import json
import warnings
from html import escape as html_escape

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


DAY1, DAY2 = "2026-03-01", "2026-03-02"


def test_a_record_is_first_try_only_when_the_first_attempt_is_right():
    assert QuestionRecord().after(True, DAY1) == QuestionRecord(1, True, True, None, DAY1)
    assert QuestionRecord().after(False, DAY1).after(True, DAY1) == QuestionRecord(2, True, False, DAY1, DAY1)


def test_answers_after_a_question_is_solved_are_not_attempts():
    solved = QuestionRecord().after(False, DAY1).after(True, DAY1)
    again = solved.after(True, DAY2).after(False, DAY2)
    assert (again.attempts, again.solved, again.first_try) == (2, True, False)


def test_a_missed_question_leaves_the_revisit_list_only_when_answered_right_on_a_later_day():
    missed = QuestionRecord().after(False, DAY1)
    assert missed.to_revisit
    assert missed.after(True, DAY1).to_revisit, "right on the same day is not yet retrieval"
    assert not missed.after(True, DAY1).after(True, DAY2).to_revisit
    assert not QuestionRecord().after(True, DAY1).to_revisit
    assert QuestionRecord().after(True, DAY1).after(False, DAY2).to_revisit, "a later miss brings it back"
    assert not QuestionRecord().to_revisit


def test_records_saved_before_dates_existed_still_load():
    old = QuestionRecord.from_json({"attempts": 2, "solved": True, "first_try": False})
    assert old == QuestionRecord(2, True, False) and old.to_revisit


def test_a_missing_file_is_a_fresh_start_without_warning_and_is_not_created_by_reading(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = ProgressStore(path)
    assert store.records(LESSON) == {} and store.problem is None
    assert not path.exists()


def test_an_attempt_is_written_to_the_file(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "thesis", correct=False, day=DAY1)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved == {
        "format": 1,
        "student": store.student,
        "lessons": {
            LESSON: {"thesis": {"attempts": 1, "solved": False, "first_try": False, "last_missed": DAY1}}
        },
    }


def test_the_student_id_is_random_saved_with_the_first_answer_and_kept(path, tmp_path):
    store = ProgressStore(path)
    assert len(store.student) == 16 and store.student == store.student
    assert not path.exists(), "showing a quiz does not create the file"
    store.record_attempt(LESSON, "thesis", correct=True)
    assert ProgressStore(path).student == store.student
    assert ProgressStore(tmp_path / "someone-else.json").student != store.student


def test_reset_forgets_one_lesson_and_keeps_the_others_and_the_student(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "thesis", correct=False)
    store.record_attempt("02-short-term-drivers", "lethal-aid", correct=True)
    student = store.student
    store.reset(LESSON)
    reread = ProgressStore(path)
    assert reread.records(LESSON) == {}
    assert set(reread.records("02-short-term-drivers")) == {"lethal-aid"}
    assert reread.student == student


def test_progress_survives_a_restart(path):
    store = ProgressStore(path)
    answer(load_bank(LESSON).question("author"), right_text("author"), store)
    widget = answer(load_bank(LESSON).question("thesis"), wrong_text("thesis"), store)
    answer(widget, right_text("thesis"), store)

    restarted = ProgressStore(path)  # a new kernel reads the same file
    records = restarted.records(LESSON)
    assert set(records) == {"author", "thesis"}
    assert (records["author"].attempts, records["author"].first_try) == (1, True)
    assert (records["thesis"].attempts, records["thesis"].solved, records["thesis"].first_try) == (2, True, False)
    panel = ScorePanel(LESSON, store=restarted)
    assert "Solved: 2 of 7 questions, 1 of them on the first try." in panel.text


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
    thesis = store.records(LESSON)["thesis"]
    assert (thesis.attempts, thesis.solved, thesis.first_try) == (1, True, True)
    assert path.with_name("progress.json.corrupt").read_text(encoding="utf-8") == content
    assert ProgressStore(path).records(LESSON).keys() == {"thesis", "date"}


def test_an_unwritable_location_warns_once_and_the_lesson_carries_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    store = ProgressStore(blocker / "progress.json")
    with pytest.warns(ProgressWarning, match="Could not save") as caught:
        widget = answer(load_bank(LESSON).question("thesis"), wrong_text("thesis"), store)
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


def test_a_new_panel_counts_nothing_solved_and_every_question_open(path):
    panel = ScorePanel(LESSON, store=ProgressStore(path))
    assert panel.text.splitlines() == [
        "Solved: 0 of 7 questions, 0 of them on the first try.",
        "Still open: 7.",
        "Nothing to revisit yet.",
    ]
    assert 'role="status"' in panel.body.value
    assert str(path) in panel.body.value


def test_the_panel_counts_per_question_and_lists_missed_questions_by_title(path):
    store = ProgressStore(path)
    panel = ScorePanel(LESSON, store=store)
    answer(load_bank(LESSON).question("author"), right_text("author"), store)
    thesis = answer(load_bank(LESSON).question("thesis"), wrong_text("thesis"), store)
    title = load_bank(LESSON).question("thesis").title
    assert f"4. {title} (not right yet)" in panel.text
    answer(thesis, wrong_text("thesis"), store)  # the same wrong answer, clicked again
    assert store.record(LESSON, "thesis").attempts == 1, "a repeated click is not an attempt"
    answer(thesis, right_text("thesis"), store)
    answer(thesis, right_text("thesis"), store)
    assert store.record(LESSON, "thesis").attempts == 2
    assert panel.text.splitlines()[:3] == [
        "Solved: 2 of 7 questions, 1 of them on the first try.",
        "Still open: 5.",
        "To revisit (1):",
    ]
    assert "answer it right again on another day to clear it" in panel.text
    assert html_escape(title) in panel.body.value
    assert "thesis" not in panel.text.replace(title, ""), "questions are named by title, not id"


def test_re_running_a_question_is_not_an_attempt(path):
    store = ProgressStore(path)
    question = load_bank(LESSON).question("thesis")
    answer(question, right_text("thesis"), store)
    make_quiz(question, store=store)  # the cell is run again: a fresh widget, nothing checked
    assert store.record(LESSON, "thesis").attempts == 1


def test_the_revisit_list_clears_when_the_question_is_answered_right_on_a_later_day(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "thesis", correct=False, day=DAY1)
    store.record_attempt(LESSON, "thesis", correct=True, day=DAY1)
    panel = ScorePanel(LESSON, store=store)
    assert "To revisit (1):" in panel.text
    store.record_attempt(LESSON, "thesis", correct=True, day=DAY2)
    assert "To revisit" not in panel.text
    assert panel.text.splitlines()[0] == "Solved: 1 of 7 questions, 0 of them on the first try."


def test_the_panel_says_when_nothing_is_left_to_revisit(path):
    store = ProgressStore(path)
    for question in load_bank(LESSON).questions:
        store.record_attempt(LESSON, question.id, correct=True)
    assert ScorePanel(LESSON, store=store).text.splitlines() == [
        "Solved: 7 of 7 questions, 7 of them on the first try.",
        "Still open: 0.",
        "Nothing to revisit.",
    ]


def test_reset_asks_for_confirmation_then_forgets_the_lesson(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "thesis", correct=False)
    store.record_attempt("02-short-term-drivers", "lethal-aid", correct=False)
    panel = ScorePanel(LESSON, store=store)
    panel.reset_button.click()
    assert panel.confirming and "cannot be undone" in panel.confirm_text.value
    panel.cancel_button.click()
    assert not panel.confirming and "To revisit (1):" in panel.text
    panel.reset_button.click()
    panel.confirm_button.click()
    assert not panel.confirming
    assert "Still open: 7." in panel.text and "To revisit" not in panel.text
    assert ProgressStore(path).records(LESSON) == {}
    assert set(ProgressStore(path).records("02-short-term-drivers")) == {"lethal-aid"}


def test_the_panel_ignores_records_of_questions_no_longer_in_the_bank(path):
    store = ProgressStore(path)
    store.record_attempt(LESSON, "a-removed-question", correct=True)
    assert ScorePanel(LESSON, store=store).summary.solved == 0


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
    page_copy, panel = shown
    assert "run this notebook in JupyterLab" in page_copy["text/plain"]
    assert 'data-kn-live="kn-live-panel--01-the-argument"' in page_copy["text/html"]
    assert isinstance(panel, ScorePanel) and panel.store.path == path
    assert "kn-live-panel--01-the-argument" in panel._dom_classes
    default_store().record_attempt(LESSON, "date", correct=True)
    assert "Solved: 1 of 7 questions, 1 of them on the first try." in panel.text
