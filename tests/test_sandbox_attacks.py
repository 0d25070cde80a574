"""A hostile class graded the way instructors grade: no attack reaches the gradebook, a classmate or the course.

Each attack is put at the top of the first answer of an honest submission with a known mistake
(``sorted-by-id`` of ps1, 16 of 18), wrapped so that a denied attack leaves the honest work
running. The class also holds the solution and two classmates who hand in the solution, one
graded before the attackers and one after. Everyone is autograded in one ``nbgrader autograde``
batch, sandboxed as ``nbgrader_config.py`` says; then the test checks every score, the course
files, the package's data and the processes left running.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from assignment_tools import (
    build_submission,
    gradebook_scores,
    integrity_kinds,
    make_course,
    nbgrader,
    prepend_code,
    submit,
)
from sandbox_tools import processes_with, require_sandbox
from test_ps1_grading import CORPUS

pytestmark = pytest.mark.slow

ASSIGNMENT = "ps1_event_table"
MISTAKE = "sorted-by-id"
MARKER = "korea-nato-attack-daemon"


def attempt(code: str) -> str:
    """``code`` wrapped so that, denied, it lets the rest of the answer run."""
    body = "".join(f"    {line}\n" for line in code.strip().splitlines())
    return f"try:\n{body}except Exception as _denied:\n    print('denied:', type(_denied).__name__)\n\n"


ATTACKS = {
    # About 35 lines of sqlite3 raised an attacker from 6 to 18 and zeroed a classmate.
    "gradebook-tamper": attempt("""
import sqlite3
_db = sqlite3.connect('../../../gradebook.db')
_db.execute('UPDATE grade SET auto_score = 0')
_db.execute("UPDATE grade SET auto_score = max_score_cache WHERE id IN (SELECT grade.id FROM grade)")
_db.commit()
with open('../../../gradebook.db', 'r+b') as _file:
    _file.write(b'0' * 4096)
"""),
    "writes-classmates": attempt("""
import glob
for _path in glob.glob('../../*/*/*.ipynb') + glob.glob('../../../submitted/*/*/*'):
    with open(_path, 'w') as _file:
        _file.write('{}')
"""),
    "config-append": attempt("""
with open('../../../nbgrader_config.py', 'a') as _file:
    _file.write('\\nimport os; os.system("touch /tmp/korea-nato-config-ran")\\n')
"""),
    "profile-startup": attempt("""
import os, pathlib
for _home in {pathlib.Path.home(), pathlib.Path(os.environ.get('IPYTHONDIR', '/nonexistent'))}:
    _startup = _home / '.ipython' / 'profile_default' / 'startup'
    _startup.mkdir(parents=True, exist_ok=True)
    (_startup / '00-zero.py').write_text("get_ipython().input_transformers_post.append(lambda l: ['1/0\\\\n'])")
"""),
    "deletes-package-data": attempt("""
import pathlib, korea_nato.data
_folder = pathlib.Path(korea_nato.data.__file__).parent
with open(_folder / 'drivers.csv', 'a') as _file:
    _file.write('junk')
(_folder / 'event_notes.csv').unlink()
"""),
    "detached-daemon": attempt(f"""
import subprocess, sys
subprocess.Popen(['setsid', sys.executable, '-c',
                  'import time, sqlite3; time.sleep(5); sqlite3.connect("../../../gradebook.db").execute("DELETE FROM grade")',
                  '{MARKER}'])
"""),
    "memory-hog": attempt("_hog = bytearray(3 * 2**30)"),
    "huge-output": attempt("print('x' * 100_000_000)"),
}
CLASSMATES = ("aa-early-classmate", "zz-late-classmate")
#: What the integrity scan reports for each attack. Resource abuse reads as ordinary code: only
#: the sandbox's limits stop it, so the scan flags nothing there.
FLAGS = {
    "gradebook-tamper": {"file-access"},
    "writes-classmates": {"file-access"},
    "config-append": {"file-access"},
    "profile-startup": {"file-access"},
    "deletes-package-data": {"file-access"},
    "detached-daemon": {"file-access", "process-spawn"},
    "memory-hog": set(),
    "huge-output": set(),
}


def package_data_hash() -> str:
    from importlib import resources

    folder = resources.files("korea_nato") / "data"
    return hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(folder.iterdir(), key=str) if p.is_file())
    ).hexdigest()


def folder_hashes(folder) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    require_sandbox()
    course = make_course(tmp_path_factory.mktemp("attacks"), [ASSIGNMENT])
    how = CORPUS[MISTAKE][0]
    flawed = build_submission(ASSIGNMENT, **how)
    submissions = {"solution": build_submission(ASSIGNMENT), MISTAKE: flawed}
    submissions |= dict.fromkeys(CLASSMATES, build_submission(ASSIGNMENT))
    submissions |= {case: prepend_code(flawed, "parse_date", code) for case, code in ATTACKS.items()}
    for student, nb in submissions.items():
        submit(course, student, ASSIGNMENT, nb)
    before = {
        "config": (course / "nbgrader_config.py").read_bytes(),
        "submitted": folder_hashes(course / "submitted"),
        "source": folder_hashes(course / "source"),
        "data": package_data_hash(),
    }
    result = nbgrader(course, "autograde", ASSIGNMENT, check=False)
    scores = gradebook_scores(course, ASSIGNMENT)
    return course, result, scores, before


def test_every_submission_is_graded(hostile_class):
    course, result, scores, _ = hostile_class
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(scores) == sorted(["solution", MISTAKE, *CLASSMATES, *ATTACKS])


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_scores_exactly_the_honest_work_it_is_built_on(hostile_class, attack):
    _, _, scores, _ = hostile_class
    assert scores[attack]["cells"] == scores[MISTAKE]["cells"]
    assert scores[MISTAKE]["score"] == 16


@pytest.mark.parametrize("student", ["solution", *CLASSMATES])
def test_classmates_before_and_after_the_attackers_keep_full_marks(hostile_class, student):
    _, _, scores, _ = hostile_class
    assert scores[student]["score"] == 18


def test_the_gradebook_outlives_the_daemon_unchanged(hostile_class):
    course, _, scores, _ = hostile_class
    time.sleep(6)  # the daemon would have woken by now
    assert gradebook_scores(course, ASSIGNMENT) == scores
    assert processes_with(MARKER) == []


def test_the_course_config_submissions_and_sources_are_unchanged(hostile_class):
    course, _, _, before = hostile_class
    assert (course / "nbgrader_config.py").read_bytes() == before["config"]
    assert folder_hashes(course / "submitted") == before["submitted"]
    assert folder_hashes(course / "source") == before["source"]


def test_the_package_data_is_unchanged(hostile_class):
    _, _, _, before = hostile_class
    assert package_data_hash() == before["data"]


def test_no_startup_file_reached_the_graders_profile(hostile_class):
    course, _, _, _ = hostile_class
    home = course.parent / "jupyter-home"
    assert list(home.rglob("00-zero.py")) == []


def test_a_huge_output_is_cut_to_size(hostile_class):
    course, _, _, _ = hostile_class
    (notebook,) = (course / "autograded" / "huge-output" / ASSIGNMENT).glob("*.ipynb")
    assert notebook.stat().st_size < 2 * 2**20
    assert "output truncated" in notebook.read_text()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_integrity_scan_flags_each_attack_as_documented(hostile_class, attack):
    course, _, _, _ = hostile_class
    assert integrity_kinds(course, attack, ASSIGNMENT) == FLAGS[attack]
