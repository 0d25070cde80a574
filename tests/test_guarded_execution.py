"""Tests must prove they ran: a kernel changed by student code fails every later test, with a reason.

Each cheat below makes a failing test pass under nbgrader's own ``Execute`` (shown first, so the
attack is real), and fails it under the course's ``GuardedExecute``. Honest notebooks that import
pandas and matplotlib, print, and fail a test the ordinary way are graded as before.
"""

from __future__ import annotations

import nbformat
import pytest
from nbgrader.preprocessors import Execute

from assignment_tools import AST_TRANSFORMER, INPUT_TRANSFORMER, REPLACED_RUN_CELL, SILENCED_TRACEBACK
from korea_nato.grading.execution import (
    GuardedExecute,
    LimitOutputBytes,
    _take_proof,
    is_untrusted,
    tampered_places,
)
from korea_nato.grading.feedback import RedactHiddenTests
from sandbox_tools import require_sandbox, text_of

FAILING_TEST = '"""Check that one equals two."""\nassert 1 == 2, "one is not two"'
PASSING_TEST = '"""Check that one equals one."""\nassert 1 == 1'


def graded_notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    """A notebook of ``(kind, source)`` cells; kind ``test`` is an autograded test cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for number, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if kind == "test":
            cell.metadata["nbgrader"] = {
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 1,
                "grade_id": f"test_{number}",
                "schema_version": 3,
            }
        nb.cells.append(cell)
    return nb


def errors(nb) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for cell in nb.cells for o in cell.outputs if o.output_type == "error"]


def run(preprocessor_class, nb, tmp_path, timeout=30):
    """Run ``nb`` as the course's ``nbgrader_config.py`` does (a cell time limit, no IOPub error)."""
    preprocessor = preprocessor_class(timeout=timeout, raise_on_iopub_timeout=False)
    preprocessor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    require_sandbox()


CHEATS = {
    "input transformer": INPUT_TRANSFORMER,
    "AST transformer": AST_TRANSFORMER,
    "replaced run_cell": REPLACED_RUN_CELL,
    "silenced traceback and post_run_cell hook": SILENCED_TRACEBACK,
}


@pytest.mark.slow
@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_cheat_that_passes_plain_nbgrader_fails_under_the_guard(cheat, tmp_path):
    plain = run(Execute, graded_notebook(("answer", CHEATS[cheat]), ("test", FAILING_TEST)), tmp_path)
    assert errors(plain) == [], "the cheat must make the failing test pass without the guard"
    guarded = run(
        GuardedExecute, graded_notebook(("answer", CHEATS[cheat]), ("test", FAILING_TEST)), tmp_path
    )
    (error,) = [o for o in guarded.cells[1].outputs if o.output_type == "error"]
    assert error.ename in {"GradingIntegrityError", "TestDidNotRun"}
    assert "scores 0" in error.evalue


@pytest.mark.slow
def test_honest_cells_and_an_honest_failure_are_graded_as_nbgrader_would(tmp_path):
    nb = graded_notebook(
        ("answer", "import pandas as pd\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nprint('hello')"),
        ("test", PASSING_TEST),
        ("answer", "def helper():\n    return 3\nimport pandas as pd"),
        ("test", FAILING_TEST),
        ("test", '"""Check the helper."""\nassert helper() == 3\nprint("checked")'),
    )
    run(GuardedExecute, nb, tmp_path)
    assert [o.output_type for o in nb.cells[1].outputs] == []
    assert errors(nb) == ["AssertionError: one is not two"]
    assert nb.cells[4].outputs[0].text == "checked\n"
    assert "KN-PROOF" not in nbformat.writes(nb) and "KN-GUARD" not in nbformat.writes(nb)
    assert nb.cells[3].source == FAILING_TEST, "the saved notebook keeps the test as written"


@pytest.mark.slow
def test_a_test_cell_does_not_enter_the_history_or_the_source_cache(tmp_path):
    nb = graded_notebook(
        ("test", '"""Check a secret."""\nSECRET_VALUE = "kn-hidden-constant"\nassert SECRET_VALUE'),
        (
            "answer",
            "import linecache\nprint(In)\nprint([''.join(e[2]) for e in linecache.cache.values() if len(e) > 2])",
        ),
    )
    run(GuardedExecute, nb, tmp_path)
    assert "kn-hidden-constant" not in nb.cells[1].outputs[0].text


class CountingGuardedExecute(GuardedExecute):
    """The guard, counting the probes it sends (each one a round trip to the kernel)."""

    probes = 0

    def _probe(self, *args, **kwargs):
        type(self).probes += 1
        return super()._probe(*args, **kwargs)


@pytest.mark.slow
def test_consecutive_tests_share_their_cleanup_and_none_reaches_a_later_cell(tmp_path):
    snoop = "import linecache\nprint([''.join(e[2]) for e in linecache.cache.values() if len(e) > 2])"
    nb = graded_notebook(
        ("test", '"""Check a first secret."""\nFIRST = "kn-first-secret"\nassert FIRST'),
        ("test", '"""Check a second secret."""\nSECOND = "kn-second-secret"\nassert SECOND'),
        ("test", '"""Check a third secret."""\nTHIRD = "kn-third-secret"\nassert THIRD'),
        ("answer", snoop),
    )
    run(CountingGuardedExecute, nb, tmp_path)
    shown = nb.cells[3].outputs[0].text
    assert all(f"kn-{n}-secret" not in shown for n in ("first", "second", "third")), shown
    assert errors(nb) == []
    # one baseline, one probe before each test, and one cleanup only after the last of the run
    assert CountingGuardedExecute.probes == 1 + 3 + 1


@pytest.mark.slow
def test_output_is_capped_in_bytes_as_it_arrives(tmp_path):
    nb = graded_notebook(
        ("answer", "print('x' * 5_000_000)"), ("test", "print('y' * 5_000_000)\nassert False")
    )
    run(GuardedExecute, nb, tmp_path)
    assert len(nbformat.writes(nb)) < 1_000_000
    assert "output truncated" in nb.cells[0].outputs[-1].text
    assert errors(nb) == ["AssertionError: "], "an error after a huge output still fails the test"


def test_student_code_in_a_place_that_runs_cells_is_reported():
    trusted = ("/usr/lib/python3/",)
    baseline = {
        "input_transformers_post": [],
        "event.post_run_cell": [],
        "module.pandas": ["/usr/lib/python3/pandas/core/frame.py"],
    }
    report = {
        "input_transformers_post": ["main:/tmp/ipykernel_7/123.py"],
        "event.post_run_cell": ["/usr/lib/python3/matplotlib_inline/backend_inline.py"],
        "module.pandas": ["/usr/lib/python3/pandas/core/frame.py", "pandas/_libs/lib.pyx"],
    }
    assert tampered_places(baseline, report, trusted) == [
        "input_transformers_post (main:/tmp/ipykernel_7/123.py)"
    ]


def test_a_method_replaced_on_the_shell_is_reported_even_with_installed_code():
    baseline = {"shell.run_cell": ["/usr/lib/python3/IPython/core/interactiveshell.py", "class"]}
    report = {"shell.run_cell": ["/usr/lib/python3/IPython/core/interactiveshell.py", "instance"]}
    assert tampered_places(baseline, report, ("/usr/lib/python3/",)) == [
        "shell.run_cell (replaced on the shell itself)"
    ]


@pytest.mark.parametrize(
    ("origin", "strict", "untrusted"),
    [
        ("main:/tmp/ipykernel_1/1.py", False, True),
        ("/tmp/ipykernel_1/1.py", False, True),
        ("/usr/lib/python3/x.py", True, False),
        ("pandas/_libs/lib.pyx", False, False),
        ("<string>", True, True),
        ("builtin", True, False),
    ],
)
def test_what_counts_as_a_students_code(origin, strict, untrusted):
    assert is_untrusted(origin, ("/usr/lib/python3/",), strict) is untrusted


def test_the_proof_line_is_taken_out_even_when_split_over_messages():
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="checked\nKN-PR"),
        nbformat.v4.new_output("stream", name="stdout", text="OOF abc\n"),
    ]
    assert _take_proof(cell, "abc") is True
    assert [o.text for o in cell.outputs] == ["checked\n"]
    assert _take_proof(cell, "abc") is False


def test_long_text_output_is_cut_to_the_byte_limit():
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 200_000)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    LimitOutputBytes(max_bytes=1000).preprocess(nb, {})
    assert len(cell.outputs[0].text) < 1200 and "output truncated" in cell.outputs[0].text


def test_feedback_keeps_no_hidden_line_whatever_was_printed():
    hidden = '"""Check the key."""\n### BEGIN HIDDEN TESTS\nassert answer == ["E09", "E19"], "wrong"\n### END HIDDEN TESTS'
    test = nbformat.v4.new_code_cell(hidden)
    test.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="caller said E09, E19"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong", traceback=["tb"]),
    ]
    student = nbformat.v4.new_code_cell("print(In)")
    student.outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text='ok\n[\'assert answer == ["E09", "E19"], "wrong"\']\n'
        )
    ]
    nb = nbformat.v4.new_notebook(cells=[test, student])
    RedactHiddenTests().preprocess(nb, {})
    assert [o.output_type for o in test.outputs] == ["error"]
    assert student.outputs[0].text == "ok\n[hidden test line removed]\n"


SWALLOWS_INTERRUPTS = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass"
#: Stops one second after the interrupt, as a long computation in C would.
STOPS_SOON_AFTER = "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    time.sleep(1)"
INFINITE_LOOP = "while True:\n    pass"


def enames(nb) -> list[list[str]]:
    return [[o.ename for o in cell.outputs if o.output_type == "error"] for cell in nb.cells]


@pytest.mark.slow
def test_after_a_cell_that_swallows_the_interrupt_no_later_cell_waits_out_the_time_limit(tmp_path):
    nb = graded_notebook(("answer", SWALLOWS_INTERRUPTS), ("test", PASSING_TEST), ("answer", "print('after')"))
    run(GuardedExecute, nb, tmp_path, timeout=3)
    assert "CellTimeoutError" in enames(nb)[0]
    assert enames(nb)[1:] == [["KernelNotAnswering"], ["KernelNotAnswering"]]
    assert "was interrupted at the time limit" in nb.cells[1].outputs[0].evalue


@pytest.mark.slow
@pytest.mark.parametrize("stuck", [INFINITE_LOOP, STOPS_SOON_AFTER], ids=["infinite loop", "stops 1 s after"])
def test_a_cell_that_stops_when_interrupted_costs_only_its_own_test(stuck, tmp_path):
    nb = graded_notebook(("answer", stuck), ("test", PASSING_TEST), ("answer", "print('after')"))
    run(GuardedExecute, nb, tmp_path, timeout=3)
    assert "CellTimeoutError" in enames(nb)[0]
    assert enames(nb)[1:] == [[], []]
    assert text_of(nb.cells[2]) == "after\n"
