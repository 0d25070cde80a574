"""The feedback preprocessors turn a failed test into sentences, name each check, and stay quiet.

Notebooks here are built by hand with the outputs nbgrader's autograder leaves (tracebacks in
IPython's format), so no kernel runs; the corpora (``corpus_grading``) check real feedback pages.
"""

from __future__ import annotations

import logging

import nbformat
import pytest
from nbgrader.preprocessors import ClearHiddenTests as NbgraderClearHiddenTests
from traitlets.config import Config

from korea_nato.grading import feedback

RED, RESET = "\x1b[31m", "\x1b[39m"


def answer_cell(grade_id, source, count):
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": grade_id, "locked": False}
    return cell


def checking_cell(grade_id, source, error):
    cell = nbformat.v4.new_code_cell(source, execution_count=3)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 2}
    cell.outputs = [nbformat.v4.new_output("error", **error)]
    return cell


PARSE_DATE = "import pandas as pd\n\ndef parse_date(text):\n    return pd.Timestamp(text.split()[5]), 'day'\n"
TEST_SOURCE = '"""Check that parse_date returns a pair"""\nfor _t_text in ["x"]:\n    parse_date(_t_text)\n'


def explained(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb, _ = feedback.NameChecks().preprocess(nb, {})
    nb, _ = feedback.ExplainTestFailures().preprocess(nb, {})
    return nb.cells[-1].outputs[0]["traceback"]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ('"""Check that the table is sorted"""\nassert x', "Check that the table is sorted"),
        ("# Check the dates\nassert x", "Check the dates"),
        ("\n'''Check every row'''", "Check every row"),
        ("assert x  # no name", ""),
    ],
)
def test_a_check_is_named_by_its_docstring_or_first_comment(source, name):
    assert feedback.check_name(source) == name


def test_an_error_in_the_students_code_is_that_error_and_the_line_of_their_cell():
    frames = [
        f"{RED}IndexError{RESET}  Traceback (most recent call last)",
        f"Cell {RED}In[3]{RESET}, line 3\n      2 for _t_text in ['x']:\n----> 3     parse_date(_t_text)",
        "Cell In[2], line 4, in parse_date(text)\n----> 4     return pd.Timestamp(text.split()[5]), 'day'",
        "File /usr/lib/python3/site-packages/pandas/core/base.py:99, in f()\n  Could not get source",
        f"{RED}IndexError{RESET}: list index out of range",
    ]
    lines = explained(
        answer_cell("parse_date", PARSE_DATE, 2),
        checking_cell("pairs", TEST_SOURCE, {"ename": "IndexError", "evalue": "list index out of range", "traceback": frames}),
    )
    assert lines == [
        "\u2717 Check that parse_date returns a pair: your code raised IndexError: list index out of range",
        "  in your cell `parse_date` (In [2]), line 4: return pd.Timestamp(text.split()[5]), 'day'",
    ]


def test_the_test_cells_own_count_is_never_taken_for_the_students_next_cell():
    """nbgrader runs a test without counting it: its In [3] is the number the next answer gets."""
    frames = ["Cell In[3], line 3\n----> 3 assert sorted(x)", "AssertionError: x should be sorted by date"]
    nb = nbformat.v4.new_notebook(cells=[
        answer_cell("parse_date", PARSE_DATE, 2),
        checking_cell("pairs", TEST_SOURCE, {"ename": "AssertionError", "evalue": "x should be sorted by date", "traceback": frames}),
        answer_cell("later_answer", "y = 1\n", 3),
    ])
    nb, _ = feedback.NameChecks().preprocess(nb, {})
    nb, _ = feedback.ExplainTestFailures().preprocess(nb, {})
    lines = nb.cells[1].outputs[0]["traceback"]
    assert lines == ["\u2717 Check that parse_date returns a pair: x should be sorted by date"]


def test_an_assertion_without_a_sentence_never_shows_its_value():
    error = {"ename": "AssertionError", "evalue": "['E09', 'E10', 'E19']", "traceback": ["Cell In[3], line 2"]}
    lines = explained(answer_cell("parse_date", PARSE_DATE, 2), checking_cell("pairs", TEST_SOURCE, error))
    assert lines == ["\u2717 Check that parse_date returns a pair: this check failed."]


def test_a_missing_name_says_which_and_what_to_do():
    error = {"ename": "NameError", "evalue": "name 'events' is not defined", "traceback": ["Cell In[3], line 2"]}
    (line,) = explained(checking_cell("pairs", TEST_SOURCE, error))
    assert line.startswith("\u2717 Check that parse_date returns a pair: your notebook does not define `events`")


def test_an_unanswered_cell_is_called_unanswered():
    stub = "def parse_date(text):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    frames = ["Cell In[3], line 3", "Cell In[2], line 3, in parse_date(text)"]
    lines = explained(
        answer_cell("parse_date", stub, 2),
        checking_cell("pairs", TEST_SOURCE, {"ename": "NotImplementedError", "evalue": "", "traceback": frames}),
    )
    assert lines == [
        "\u2717 Check that parse_date returns a pair: your cell `parse_date` is not answered yet "
        "(it raises NotImplementedError)."
    ]


def warnings_of(cls) -> list[str]:
    """What building ``cls`` under the HTML exporter's configuration logs as warnings."""
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    log = logging.getLogger(f"test-feedback-{cls.__name__}")
    log.addHandler(handler)
    config = Config({"NbConvertBase": {"display_data_priority": ["text/html", "text/plain"]}})
    cls(config=config, log=log)
    log.removeHandler(handler)
    return [r for r in records if "not recognized" in r]


@pytest.mark.parametrize(
    "cls",
    [feedback.RedactHiddenTests, feedback.NameChecks, feedback.ExplainTestFailures, feedback.ClearHiddenTests],
)
def test_the_modules_preprocessors_raise_no_config_warning(cls):
    assert warnings_of(NbgraderClearHiddenTests), "nbgrader's own step warns: the check can see a warning"
    assert warnings_of(cls) == []


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        ("2 of 6 dates the grader wrote got the wrong date or precision", True),
        ("events should be sorted by date, earliest first", True),
        ("'1979' names a year, not a day, so its precision is 'year'", True),
        ("'E09 E10 E19 and more'", False),
        ("['E09', 'E10', 'E19']", False),
        ("('E09', 3)", False),
        ("42", False),
        ("", False),
    ],
)
def test_a_sentence_is_told_from_a_bare_value(message, sentence):
    assert feedback.is_sentence(message) is sentence
