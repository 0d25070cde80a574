"""The integrity scan flags each way of tampering with grading, and leaves honest code alone.

Each case is a snippet put into an answer cell of the ps2 solution, or a small change to the
notebook's cells or file. The whole corpora (honest and hostile, every assignment) are scanned
in the grading tests; these tests pin down the individual rules, fast and without a kernel.
"""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import time

import nbformat
import pytest

from assignment_tools import (
    ASSIGNMENTS,
    RELEASE,
    SOURCE,
    build_submission,
    cells_by_grade_id,
    notebook_path,
    prepend_code,
    read,
    stripped_of_nbgrader_metadata,
    without_cell,
)
from korea_nato.grading import integrity
from korea_nato.grading.integrity import KINDS, Finding, main, scan, scan_submission_dir

ASSIGNMENT = "ps2_drivers"
SOURCE_NB = notebook_path(SOURCE, ASSIGNMENT)
ANSWER_CELL = "driver_events"

TAMPERING = {
    # monkeypatching shared modules and classes
    "pd.DataFrame.equals = lambda self, other: True": "monkeypatch",
    "import pandas.testing\npandas.testing.assert_frame_equal = print": "monkeypatch",
    "from pandas import testing as t\nt.assert_frame_equal = print": "monkeypatch",
    "import builtins\nbuiltins.len = lambda value: 0": {"monkeypatch", "ipython-hook"},
    "setattr(pd.Series, 'tolist', lambda self: [])": "monkeypatch",
    "setattr(type(statements), 'equals', lambda self, other: True)": "monkeypatch",
    "statements.__class__.equals = lambda self, other: True": "monkeypatch",
    "__builtins__.len = len": {"monkeypatch", "ipython-hook"},
    "import korea_nato.data\nkorea_nato.data.driver_statements = lambda: None": "monkeypatch",
    "import sys\nsys.modules['pandas'] = None": "monkeypatch",
    "import numpy as np\nnp.array_equal = lambda *args: True": "monkeypatch",
    # objects that answer True to any comparison
    "class Always(str):\n    def __eq__(self, other):\n        return True": {"comparison-override", "lying-equality"},
    "Always = type('Always', (str,), {'__eq__': lambda self, other: True})": {"comparison-override", "lying-equality"},
    # rebinding what the setup cell defines, or a builtin the tests call
    "events = events.head(3)": "rebinding",
    "from korea_nato.data import drivers as statements": "rebinding",
    "for pd in range(3):\n    pass": "rebinding",
    "def cheat():\n    global events\n    events = None": "rebinding",
    "str = lambda value: 'L3'": "rebinding",
    "def sorted(values):\n    return values": "rebinding",
    "globals()['events'] = None": "rebinding",
    # leaving the kernel
    "import os\nos._exit(0)": "process-exit",
    "from os import _exit\n_exit(1)": "process-exit",
    "import sys\nsys.exit()": "process-exit",
    "exit()": "process-exit",
    "raise SystemExit(0)": "process-exit",
    "import os\nos.kill(os.getpid(), 9)": "process-exit",
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)": "process-exit",
    # hanging the kernel
    "while True:\n    pass": "infinite-loop",
    "while 1:\n    x = 1": "infinite-loop",
    "try:\n    pass\nexcept KeyboardInterrupt:\n    pass": "swallowed-interrupt",
    "try:\n    pass\nexcept (ValueError, BaseException):\n    x = 1": "swallowed-interrupt",
    # hiding code
    "exec('x = 1')": "dynamic-code",
    "__import__('os')": "dynamic-code",
    # changing how IPython runs the test cells, or reading them
    "get_ipython().input_transformers_post.append(lambda lines: [])": "ipython-hook",
    "ip = get_ipython()\nip.ast_transformers.append(None)": "ipython-hook",
    "shell = get_ipython\nshell().run_cell = print": "ipython-hook",
    "def shell():\n    return get_ipython()\n\nshell().showtraceback = print": "ipython-hook",
    "from IPython import get_ipython as g\nip = g()\nip.events.register('post_run_cell', print)": "ipython-hook",
    "ip, n = get_ipython(), 0\nip.set_custom_exc((Exception,), print)": "ipython-hook",
    "getattr(get_ipython(), 'input_transformer_manager')": "ipython-hook",
    "type(get_ipython()).run_cell_async = None": {"ipython-hook", "monkeypatch"},
    "get_ipython().kernel.shell_handlers.clear()": "ipython-hook",
    "from IPython.core.interactiveshell import InteractiveShell\nInteractiveShell.instance().ast_transformers.clear()": "ipython-hook",
    "import IPython\nIPython.get_ipython().events.callbacks.clear()": "ipython-hook",
    "import sys\nsys.settrace(print)": "ipython-hook",
    "from sys import setprofile\nsetprofile(print)": "ipython-hook",
    "import sys\nsys.excepthook = print": {"ipython-hook", "monkeypatch"},
    "import sys, io\nsys.stdout = io.StringIO()": {"ipython-hook", "monkeypatch"},
    "import builtins\nsetattr(builtins, 'print', len)": {"ipython-hook", "monkeypatch"},
    "print(In)": "ipython-hook",
    "secret = _ih[-1]": "ipython-hook",
    "last = _i3": "ipython-hook",
    "import linecache": "ipython-hook",
    "import inspect\nframes = inspect.stack()": "ipython-hook",
    "import sys\nframe = sys._getframe(1)": "ipython-hook",
    "%load_ext my_hooks": "ipython-hook",
    "import os\nstartup = get_ipython().profile_dir.startup_dir": "ipython-hook",
    "get_ipython().user_ns['events'] = None": "ipython-hook",
    "import gc\nshells = [o for o in gc.get_objects() if type(o).__name__ == 'ZMQInteractiveShell']": "ipython-hook",
    "when = 'post_run_cell'": "ipython-hook",
    "import ctypes": "dynamic-code",
    # reaching files outside the submission folder
    "open('/etc/passwd').read()": "file-access",
    "open('../../source/ps2_drivers/ps2_drivers.ipynb')": "file-access",
    "open('~/.ipython/profile_default/startup/x.py', 'w')": "file-access",
    "db = 'gradebook.db'": "file-access",
    "open('nbgrader_config.py', 'a')": "file-access",
    "answers = 'autograded/other-student'": "file-access",
    "import sqlite3": "file-access",
    "import shutil\nshutil.rmtree('x')": "file-access",
    "import os\nos.remove('x.csv')": "file-access",
    "from os import unlink\nunlink('x')": "file-access",
    "import os\nos.chmod('x', 0o777)": "file-access",
    "from pathlib import Path\nPath('pandas.py').write_text('')": "file-access",
    "from pathlib import Path\ndraft = Path('x.csv')\ndraft.rename('y.csv')": "file-access",
    "import pathlib\n(pathlib.Path('a') / 'b').unlink()": "file-access",
    "from pathlib import Path\nPath.home()": "file-access",
    "from pathlib import Path\nhere = Path.cwd()\nkey = (here.parents[2] / 'source').read_text()": "file-access",
    "%%writefile pandas.py\nx = 1": "file-access",
    "import korea_nato\nopen(korea_nato.__file__, 'w')": "file-access",
    "target = 'x.py'\nwith open(target, mode='a') as handle:\n    handle.write('')": "file-access",
    # starting processes
    "import subprocess\nsubprocess.run(['ls'])": "process-spawn",
    "import subprocess as sp\nsp.Popen('sleep 100', shell=True)": "process-spawn",
    "import os\nos.system('ls')": "process-spawn",
    "from os import popen\npopen('ls')": "process-spawn",
    "import os\nif os.fork() == 0:\n    os.setsid()": "process-spawn",
    "import os\nos.spawnl(os.P_NOWAIT, '/bin/sleep', 'sleep', '9')": {"process-spawn", "file-access"},
    "import multiprocessing": "process-spawn",
    "import pty": "process-spawn",
    "import socket\nsocket.create_connection(('example.org', 80))": "process-spawn",
    "import importlib\nimportlib.import_module('subprocess')": "process-spawn",
    "getattr(__import__('os'), 'system')('ls')": {"process-spawn", "dynamic-code"},
    "!ls": "process-spawn",
    "files = !ls": "process-spawn",
    "%%bash\nsleep 100 &": "process-spawn",
    "%%capture\nimport subprocess": "process-spawn",
    "%time import os; os.system('ls')": "process-spawn",
    "%timeit -n 1 import os; os.system('ls')": "process-spawn",
    # objects that lie about equality or their text
    "class Label:\n    def __str__(self):\n        return 'L3'": "lying-equality",
    "class Label:\n    __repr__ = lambda self: 'L3'": "lying-equality",
    "class Label(str):\n    pass": "lying-equality",
    "import pandas\nclass Table(pandas.DataFrame):\n    pass": "lying-equality",
    "Label = type('Label', (object,), {'__str__': lambda self: 'L3'})": "lying-equality",
    "Label = type('Label', (), dict(__repr__=lambda self: 'L3'))": "lying-equality",
    "class Label:\n    pass\nsetattr(Label, '__str__', lambda self: 'L3')": "lying-equality",
    "class Label:\n    pass\nLabel.__hash__ = None": {"lying-equality", "monkeypatch"},
}

HONEST_CODE = [
    "pd.options.display.max_rows = 100",
    "pd.set_option('display.max_colwidth', 200)",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (8, 4)",
    "table = events.copy()\ntable.columns = [c.upper() for c in table.columns]\ntable.index.name = 'row'",
    "try:\n    value = int('x')\nexcept:\n    value = None",
    "try:\n    value = int('x')\nexcept Exception:\n    value = None",
    "n = 0\nwhile True:\n    n += 1\n    if n > 3:\n        break",
    "try:\n    pass\nexcept KeyboardInterrupt:\n    raise",
    "%matplotlib inline\nx = 1",
    "text = 'exit() is not called here'",
    "def fresh(events):\n    events = events.copy()\n    return events",
    "sorted_statements = statements.sort_values('text')",
    "total = pd.eval('1 + 2')",
    "recent = events.query('driver == \"L3\"')",
    "import re\nyears = re.findall(r'\\d{4}', 'since 1991')",
    "n = 0\nwhile n < 3:\n    n += 1",
    # honest repeats and ordinary code (issue 9: these were flagged, or could be)
    "import pandas as pd\nimport pandas as pd",
    "from korea_nato.data import driver_statements",
    "from pathlib import Path\nraw = Path('x.csv')\ntext = raw.read_text() if raw.exists() else ''",
    "def helper(frame):\n    return frame.copy()\n\nlabels = helper(events)",
    "for i, row in events.iterrows():\n    total = i",
    "lengths = statements['text'].apply(len)",
    "from datetime import datetime\nwhen = datetime.strptime('24/05/2022', '%d/%m/%Y')",
    "parts = 'L3/L4'.split('/')\njoined = '/'.join(parts)",
    "note = 'a long-term driver... or a short-term one?'",
    "from dataclasses import dataclass\n\n@dataclass\nclass Pair:\n    left: str\n    right: str",
    "with open('notes.txt', 'w') as handle:\n    handle.write('draft')",
    "table = events.rename(columns={'driver': 'horizon'})\nclean = 'x'.replace('x', 'y')",
    "%config InlineBackend.figure_format = 'svg'",
    "%timeit -n 3 -r 2 sorted([3, 1])",
    "%time total = len(events)",
    "%%capture captured\nprint(len(events))",
    "import os\nhere = os.getcwd()\nname = os.path.join('data', 'x.csv')",
    "source = 'EURACTIV'",
    "name = 'notes.txt'\nwith open(name) as handle:\n    text = handle.read()",
    "with open('notes.txt', encoding='utf-8') as handle:\n    text = handle.read()",
]


def _write(tmp_path, nb, name=None):
    path = tmp_path / (name or SOURCE_NB.name)
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    return path


def _kinds(tmp_path, nb, name=None):
    return {finding.kind for finding in scan(_write(tmp_path, nb, name), SOURCE_NB)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_and_untouched_release_of_every_assignment_raise_no_finding(assignment, tmp_path):
    source = notebook_path(SOURCE, assignment)
    for nb in (build_submission(assignment), read(notebook_path(RELEASE, assignment))):
        path = tmp_path / source.name
        nbformat.write(nb, path)
        assert scan(path, source) == []


@pytest.mark.parametrize("snippet", TAMPERING)
def test_tampering_code_is_flagged_with_its_kind(snippet, tmp_path):
    nb = prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, snippet + "\n\n")
    findings = scan(_write(tmp_path, nb), SOURCE_NB)
    expected = TAMPERING[snippet]
    expected = {expected} if isinstance(expected, str) else expected
    assert {f.kind for f in findings} == expected | ({"infinite-loop"} if "while" in snippet else set())
    assert all(f.cell == ANSWER_CELL for f in findings), findings


@pytest.mark.parametrize("snippet", HONEST_CODE)
def test_honest_code_is_not_flagged(snippet, tmp_path):
    nb = prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, snippet + "\n\n")
    assert scan(_write(tmp_path, nb), SOURCE_NB) == []


def test_code_in_a_cell_the_student_added_is_read_too(tmp_path):
    nb = build_submission(ASSIGNMENT)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(0)"))
    (finding,) = scan(_write(tmp_path, nb), SOURCE_NB)
    assert (finding.kind, finding.cell) == ("process-exit", 3)


def test_a_deleted_answer_or_test_cell_is_missing(tmp_path):
    nb = without_cell(without_cell(build_submission(ASSIGNMENT), "classify_horizon_no_cue"), "evidence_span")
    findings = scan(_write(tmp_path, nb), SOURCE_NB)
    assert {(f.kind, f.cell) for f in findings} == {
        ("missing-cell", "classify_horizon_no_cue"),
        ("missing-cell", "evidence_span"),
    }


def test_an_edited_locked_markdown_cell_and_changed_points_are_changed_cells(tmp_path):
    nb = build_submission(ASSIGNMENT)
    cells = cells_by_grade_id(nb)
    cells["part_a_intro"].source += "\n\nAll answers are long-term."
    cells["classify_horizon_no_cue"].metadata["nbgrader"]["points"] = 10
    findings = scan(_write(tmp_path, nb), SOURCE_NB)
    assert {(f.kind, f.cell) for f in findings} == {
        ("changed-cell", "part_a_intro"),
        ("changed-cell", "classify_horizon_no_cue"),
    }
    assert any("points" in f.detail for f in findings)


def test_a_copied_cell_is_a_duplicate(tmp_path):
    nb = build_submission(ASSIGNMENT)
    copy = nbformat.from_dict(dict(cells_by_grade_id(nb)["classify_horizon"]))
    copy.id = "copied01"
    nb.cells.append(copy)
    assert _kinds(tmp_path, nb) == {"duplicate-cell"}


def test_stripped_metadata_is_reported_once_for_the_notebook_or_per_cell(tmp_path):
    stripped = stripped_of_nbgrader_metadata(build_submission(ASSIGNMENT))
    (finding,) = scan(_write(tmp_path, stripped), SOURCE_NB)
    assert (finding.kind, finding.cell) == ("missing-metadata", None)
    nb = build_submission(ASSIGNMENT)
    del cells_by_grade_id(nb)["setup"].metadata["nbgrader"]
    (finding,) = scan(_write(tmp_path, nb), SOURCE_NB)
    assert (finding.kind, finding.cell) == ("missing-metadata", "setup")


@pytest.mark.parametrize("text", ["{not json", '{"cells": 3, "nbformat": 4}', "[]"])
def test_a_file_nbgrader_cannot_read_is_an_invalid_notebook(text, tmp_path):
    (finding,) = scan(_write(tmp_path, text), SOURCE_NB)
    assert finding.kind == "invalid-notebook"
    assert SOURCE_NB.name in finding.detail


def test_a_renamed_notebook_is_reported_and_still_read(tmp_path):
    nb = prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, "import os\nos._exit(0)\n")
    findings = scan(_write(tmp_path, nb, "ps2_drivers-Copy1.ipynb"), SOURCE_NB)
    assert [f.kind for f in findings] == ["renamed-notebook", "process-exit"]


def test_submission_dir_reports_each_notebook_and_the_missing_one(tmp_path):
    folder = tmp_path / "submitted"
    folder.mkdir()
    assert scan_submission_dir(folder, SOURCE / ASSIGNMENT) == {
        SOURCE_NB.name: [Finding("missing-notebook", None, f"{SOURCE_NB.name} was not submitted")]
    }
    nbformat.write(build_submission(ASSIGNMENT), folder / SOURCE_NB.name)
    nbformat.write(build_submission(ASSIGNMENT), folder / "notes.ipynb")
    results = scan_submission_dir(folder, SOURCE / ASSIGNMENT)
    assert results[SOURCE_NB.name] == []
    assert [f.kind for f in results["notes.ipynb"]] == ["renamed-notebook"]


def test_bad_instructor_input_gets_a_clear_error(tmp_path):
    submitted = _write(tmp_path, build_submission(ASSIGNMENT))
    with pytest.raises(FileNotFoundError, match="source notebook"):
        scan(submitted, tmp_path / "nowhere.ipynb")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read the source notebook"):
        scan(submitted, broken)
    with pytest.raises(FileNotFoundError, match="submitted notebook"):
        scan(tmp_path / "missing.ipynb", SOURCE_NB)
    with pytest.raises(NotADirectoryError, match="submission folder"):
        scan_submission_dir(tmp_path / "missing", SOURCE / ASSIGNMENT)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no notebook"):
        scan_submission_dir(tmp_path, empty)


def test_findings_are_frozen_and_read_well():
    finding = Finding("process-exit", "parse_date", "line 2: calls os._exit")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "changed-cell"
    assert str(finding) == "process-exit [parse_date]: line 2: calls os._exit"
    named = {k for v in TAMPERING.values() for k in ({v} if isinstance(v, str) else v)}
    assert named <= set(KINDS)


def test_command_line_prints_findings_and_exits_1_only_when_something_is_flagged(tmp_path, capsys):
    honest, hostile = tmp_path / "honest", tmp_path / "hostile"
    honest.mkdir()
    hostile.mkdir()
    nbformat.write(build_submission(ASSIGNMENT), honest / SOURCE_NB.name)
    nbformat.write(prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, "exit()\n"), hostile / SOURCE_NB.name)
    assert main([str(honest), str(SOURCE / ASSIGNMENT)]) == 0
    assert "no findings in 1 folder(s)" in capsys.readouterr().out
    assert main([str(honest), str(hostile), str(SOURCE / ASSIGNMENT)]) == 1
    out = capsys.readouterr().out
    assert f"{hostile / SOURCE_NB.name}: process-exit [{ANSWER_CELL}]: line 1: calls exit" in out
    assert str(honest) not in out
    with pytest.raises(SystemExit) as exited:
        main([str(tmp_path / "missing"), str(SOURCE / ASSIGNMENT)])
    assert exited.value.code == 2
    assert "submission folder" in capsys.readouterr().err


def test_module_runs_as_a_script(tmp_path):
    nbformat.write(prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, "exit()\n"), tmp_path / SOURCE_NB.name)
    result = subprocess.run(
        [sys.executable, "-m", "korea_nato.grading.integrity", str(tmp_path), str(SOURCE / ASSIGNMENT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "process-exit" in result.stdout


# --- The scan never raises on what a student hands in ------------------------------------------

UNREADABLE_CELLS = {
    "syntax error": "this is not Python (",
    "null bytes": "x = 1\x00\nimport os",
    "deep nesting": "x = " + "(" * 5000 + "1" + ")" * 5000,
    "deep brackets": "x = " + "[" * 180 + "]" * 180,
    "deep calls": "x = " + "f(" * 400 + ")" * 400,
    "huge cell": "x = 1\n" * 900_000,  # 5.4 MB
    "broken magic": "%%bash\n\x00",
}


@pytest.mark.parametrize("case", UNREADABLE_CELLS)
def test_a_cell_the_scan_cannot_read_is_an_unparsable_cell_finding_naming_the_cell(case, tmp_path):
    nb = build_submission(ASSIGNMENT)
    cells_by_grade_id(nb)[ANSWER_CELL].source = UNREADABLE_CELLS[case]
    findings = scan(_write(tmp_path, nb), SOURCE_NB)
    assert [(f.kind, f.cell) for f in findings] == [("unparsable-cell", ANSWER_CELL)], findings
    assert "cannot read this cell" in findings[0].detail


def test_a_syntax_error_names_its_line(tmp_path):
    nb = build_submission(ASSIGNMENT)
    cells_by_grade_id(nb)[ANSWER_CELL].source = "x = 1\ny = (\n"
    (finding,) = scan(_write(tmp_path, nb), SOURCE_NB)
    assert "line 2" in finding.detail and "SyntaxError" in finding.detail


def _notebook_json(**changes) -> dict:
    data = json.loads(nbformat.writes(build_submission(ASSIGNMENT)))
    data.update(changes)
    return data


WRONG_TYPES = {
    "cells is a number": _notebook_json(cells=3),
    "cells are not objects": _notebook_json(cells=[3, "x", None, []]),
    "a cell without fields": _notebook_json(cells=[{}]),
    "metadata is a list": _notebook_json(metadata=[1, 2]),
    "nbformat is text": _notebook_json(nbformat="four"),
    "top level is a list": [1, 2, 3],
    "top level is a string": "notebook",
    "deeply nested JSON": json.loads("[" * 400 + "]" * 400),
}


@pytest.mark.parametrize("case", WRONG_TYPES)
def test_json_of_the_wrong_shape_is_an_invalid_notebook(case, tmp_path):
    (finding,) = scan(_write(tmp_path, json.dumps(WRONG_TYPES[case])), SOURCE_NB)
    assert finding.kind == "invalid-notebook"


def test_json_nested_deeper_than_the_parser_goes_is_an_invalid_notebook(tmp_path):
    (finding,) = scan(_write(tmp_path, "[" * 200_000 + "]" * 200_000), SOURCE_NB)
    assert finding.kind == "invalid-notebook"


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_are_an_invalid_notebook(seed, tmp_path):
    path = tmp_path / SOURCE_NB.name
    path.write_bytes(random.Random(seed).randbytes(50_000))
    (finding,) = scan(path, SOURCE_NB)
    assert finding.kind == "invalid-notebook"


def test_a_notebook_too_large_to_read_is_reported_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(integrity, "MAX_NOTEBOOK_BYTES", 1000)
    (finding,) = scan(_write(tmp_path, build_submission(ASSIGNMENT)), SOURCE_NB)
    assert finding.kind == "invalid-notebook" and "more than the scan reads" in finding.detail


def test_many_cells_with_their_own_grade_ids_are_scanned_quickly(tmp_path):
    nb = build_submission(ASSIGNMENT)
    nb.cells += [
        nbformat.v4.new_markdown_cell(f"note {i}", metadata={"nbgrader": {"grade_id": f"note_{i}"}})
        for i in range(20_000)
    ]
    started = time.perf_counter()
    assert scan(_write(tmp_path, nb), SOURCE_NB) == []
    assert time.perf_counter() - started < 60


def test_nbgrader_metadata_of_the_wrong_type_is_read_as_no_metadata(tmp_path):
    nb = build_submission(ASSIGNMENT)
    cells = cells_by_grade_id(nb)
    cells["setup"].metadata["nbgrader"] = "locked"
    cells[ANSWER_CELL].metadata["nbgrader"]["grade_id"] = 7
    cells["part_a_intro"].metadata["nbgrader"] = ["grade_id", "part_a_intro"]
    findings = scan(_write(tmp_path, nb), SOURCE_NB)
    assert {(f.kind, f.cell) for f in findings} == {
        ("missing-metadata", "setup"),
        ("missing-cell", ANSWER_CELL),
        ("missing-metadata", "part_a_intro"),
    }


#: Pieces a fuzzed notebook is built from: odd values, odd code, odd text.
JUNK = [
    None, True, 0, -1, 2**70, 1.5e308, float("nan"), "", "\x00", "\udcff"[:0] + "\u202e", "é" * 3,
    [], {}, [None], {"nbgrader": None}, {"grade_id": None}, {"grade_id": ["x"]}, "%%bash\nls",
    "!rm -rf /", "%time", "%%capture\n%%capture\n%time exit()", "def f(:\n", "\\", "'''", "lambda: (",
    "import os\nos._exit(0)", "get_ipython().ast_transformers", "class A(str):\n  __eq__ = 1",
    "x = " + "(" * 300 + ")" * 300, "a." * 500 + "b", "ip = get_ipython()\nip = ip\nip.kernel",
    "\t\t  \n   if True:\n", "@" * 50, "type('x', (), x)", "setattr()", "getattr(1)", "__import__()",
    "get_ipython().run_line_magic()", "get_ipython().run_cell_magic('time', '', 1)",
]


def _mutated(rng: random.Random, value, rate: float, depth=0):
    """``value`` with some of its parts (each with probability ``rate``) replaced by junk."""
    if rng.random() < rate:
        return rng.choice(JUNK)
    if isinstance(value, dict) and depth < 8:
        return {k: _mutated(rng, v, rate, depth + 1) for k, v in value.items() if rng.random() > rate / 3}
    if isinstance(value, list) and depth < 8:
        items = [_mutated(rng, v, rate, depth + 1) for v in value if rng.random() > rate / 3]
        if rng.random() < rate * 5 and items:
            items.append(rng.choice(items))  # a copied cell, or a copied line
        return items
    if isinstance(value, str) and rng.random() < rate * 5:
        cut = rng.randrange(len(value) + 1)
        return value[:cut] + rng.choice([j for j in JUNK if isinstance(j, str)]) + value[cut:]
    return value


def test_fuzzed_notebooks_never_make_the_scan_raise(tmp_path):
    """Hundreds of notebooks with random damage: every one gets findings of known kinds, none raises."""
    rng = random.Random(20261201)
    honest = json.loads(nbformat.writes(build_submission(ASSIGNMENT)))
    path = tmp_path / SOURCE_NB.name
    kinds_seen = set()
    for _ in range(300):
        data = _mutated(rng, honest, rng.choice([0.0005, 0.002, 0.01, 0.05]))
        try:
            text = json.dumps(data)
        except ValueError:  # nan and friends: write what a broken editor would
            text = json.dumps(data, allow_nan=True)
        if rng.random() < 0.1:
            text = text[: rng.randrange(len(text))]
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        findings = scan(path, SOURCE_NB)
        assert all(isinstance(f, Finding) and f.kind in KINDS for f in findings)
        kinds_seen |= {f.kind for f in findings}
    # the damage was real: the fuzzer reached several different findings
    assert {"invalid-notebook", "unparsable-cell"} <= kinds_seen and len(kinds_seen) >= 5, kinds_seen


def test_random_code_cells_never_make_the_scan_raise(tmp_path):
    rng = random.Random(7)
    tokens = [
        "get_ipython()", "ip", "=", ".", "(", ")", "[", "]", "{", "}", ":", ",", "\n", "    ", "os",
        "import", "from", "as", "type", "class", "def", "lambda", "'x'", "0", "Path", "/", "setattr",
        "getattr", "%time", "%%capture", "!", "__eq__", "In", "while True", "try", "except", "yield",
        "await", "global", ":=", "*", "**", "@", "'../x'", "sys", "ast_transformers", "run_cell_magic",
    ]
    nb = build_submission(ASSIGNMENT)
    for _ in range(150):
        cells_by_grade_id(nb)[ANSWER_CELL].source = " ".join(rng.choices(tokens, k=rng.randrange(1, 40)))
        findings = scan(_write(tmp_path, nb), SOURCE_NB)
        assert all(f.kind in KINDS for f in findings)


def test_one_broken_submission_does_not_stop_the_command_line_for_the_class(tmp_path, capsys):
    folders = []
    for student, content in (("a-junk", b"\x00\xff" * 100), ("b-honest", None), ("c-exit", "exit")):
        folder = tmp_path / student
        folder.mkdir()
        folders.append(str(folder))
        if content is None:
            nbformat.write(build_submission(ASSIGNMENT), folder / SOURCE_NB.name)
        elif content == "exit":
            nbformat.write(prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, "exit()\n"), folder / SOURCE_NB.name)
        else:
            (folder / SOURCE_NB.name).write_bytes(content)
    assert main([*folders, str(SOURCE / ASSIGNMENT)]) == 1
    out = capsys.readouterr().out
    assert "a-junk" in out and "invalid-notebook" in out
    assert "c-exit" in out and "process-exit" in out
    assert "b-honest" not in out


# --- Cells nbgrader runs as code, and files beside the notebook --------------------------------


@pytest.mark.parametrize("cell_type", ["markdown", "raw"])
def test_an_answer_cell_turned_into_markdown_or_raw_is_read_as_code(cell_type, tmp_path):
    """nbgrader gives a cell the type its grade id has in the source, so this code runs."""
    nb = build_submission(ASSIGNMENT)
    cell = cells_by_grade_id(nb)[ANSWER_CELL]
    cell.source = "import os\nos._exit(0)\n" + cell.source
    cell.cell_type = cell_type
    del cell["outputs"], cell["execution_count"]
    (finding,) = scan(_write(tmp_path, nb), SOURCE_NB)
    assert (finding.kind, finding.cell) == ("process-exit", ANSWER_CELL)
    assert f"a {cell_type} cell that nbgrader runs as code" in finding.detail


def test_a_markdown_cell_without_a_code_cells_grade_id_is_not_read_as_code(tmp_path):
    nb = build_submission(ASSIGNMENT)
    nb.cells.append(nbformat.v4.new_markdown_cell("import os\nos._exit(0)"))
    nb.cells.append(nbformat.v4.new_raw_cell("!rm -rf /"))
    assert scan(_write(tmp_path, nb), SOURCE_NB) == []


def test_files_python_could_import_instead_of_a_real_module_are_shadow_modules(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    nbformat.write(build_submission(ASSIGNMENT), folder / SOURCE_NB.name)
    (folder / "pandas.py").write_text("DataFrame = None\n")
    (folder / "helpers.py").write_text("x = 1\n")
    (folder / "sitecustomize.py").write_text("import os\n")
    (folder / "evil.pth").write_text("import os\n")
    (folder / "numpy").mkdir()
    (folder / "numpy" / "__init__.py").write_text("")
    # honest extras: data, notes, a folder that is not a package, a timestamp
    (folder / "notes.txt").write_text("draft\n")
    (folder / "timestamp.txt").write_text("2026-11-01 12:00:00.000000 UTC")
    (folder / "figures").mkdir()
    (folder / "figures" / "plot.py").write_text("")
    results = scan_submission_dir(folder, SOURCE / ASSIGNMENT)
    shadows = {name: [f.kind for f in found] for name, found in results.items() if name != SOURCE_NB.name}
    assert shadows == dict.fromkeys(
        ["evil.pth", "helpers.py", "numpy", "pandas.py", "sitecustomize.py"], ["shadow-module"]
    )
    assert results[SOURCE_NB.name] == []
    assert "instead of the installed module pandas" in results["pandas.py"][0].detail
    assert "from this folder" in results["helpers.py"][0].detail
    assert "start-up" in results["sitecustomize.py"][0].detail


def test_every_code_finding_says_on_which_line(tmp_path):
    snippet = "x = 1\nip = get_ipython()\nip.ast_transformers.append(None)\nimport subprocess"
    nb = prepend_code(build_submission(ASSIGNMENT), ANSWER_CELL, snippet + "\n\n")
    findings = {f.kind: f.detail for f in scan(_write(tmp_path, nb), SOURCE_NB)}
    assert findings["ipython-hook"].startswith("line 3: ")
    assert findings["process-spawn"].startswith("line 4: ")
