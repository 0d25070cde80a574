"""The grading sandbox denies a probe notebook everything outside its folder, and the kernel keeps answering.

A probe notebook, run in a sandboxed kernel whose working folder sits inside a fake course
directory, tries what hostile submissions tried: read the solutions and the gradebook, write
into the course, reach the network, allocate past the memory limit, fork past the process
limit, write a huge file, leave a daemon behind, read the notebook being graded (which holds the
hidden tests once nbgrader restores them), import a shadowing ``pandas.py`` and leave a startup
file for the next kernel. Each attempt is denied, and a last cell shows the kernel still answers.
"""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from korea_nato.grading import sandbox
from sandbox_tools import processes_with, require_sandbox, run_sandboxed, text_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake_course(tmp_path_factory):
    """A course with solutions, a gradebook and a config, and one student's working folder."""
    require_sandbox()
    course = tmp_path_factory.mktemp("sandbox") / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "source" / "ps1" / "ps1.ipynb").write_text("SOLUTION-SECRET")
    (course / "gradebook.db").write_bytes(b"SQLite format 3\x00 GRADEBOOK-SECRET")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "submitted" / "classmate" / "ps1").mkdir(parents=True)
    (course / "submitted" / "classmate" / "ps1" / "ps1.ipynb").write_text("CLASSMATE-WORK")
    workdir = course / "autograded" / "student" / "ps1"
    workdir.mkdir(parents=True)
    (workdir / "ps1.ipynb").write_text("HIDDEN-TEST-SECRET")
    (workdir / "pandas.py").write_text("raise RuntimeError('SHADOW-IMPORTED')\n")
    return course, workdir


@pytest.fixture(scope="module")
def listening_port():
    """A TCP server on loopback the sandboxed kernel must not be able to reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    yield server.getsockname()[1]
    server.close()


MARKER = f"korea-nato-daemon-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module", params=[True, False], ids=["forked", "own-bubblewrap"])
def probe(fake_course, listening_port, request):
    """Every attempt, in a kernel forked by the fork server and in one started in its own bubblewrap."""
    course, workdir = fake_course
    for written in ("own.txt", "big.bin"):
        (workdir / written).unlink(missing_ok=True)
    attempts = {
        "read_solutions": f"print(open({str(course / 'source/ps1/ps1.ipynb')!r}).read())",
        "read_gradebook": f"print(open({str(course / 'gradebook.db')!r}, 'rb').read())",
        "write_config": f"open({str(course / 'nbgrader_config.py')!r}, 'a').write('c.Execute.timeout = 0')",
        "write_classmate": f"open({str(course / 'submitted/classmate/ps1/ps1.ipynb')!r}, 'w').write('')",
        "write_elsewhere": "open('/usr/evil.txt', 'w').write('x')",
        "network": f"import socket\nsocket.create_connection(('127.0.0.1', {listening_port}), timeout=3)",
        "memory": "blob = bytearray(3 * 2**30)",
        "processes": (
            "import subprocess\nchildren = []\ntry:\n    for _ in range(200):\n"
            "        children.append(subprocess.Popen(['sleep', '30']))\nfinally:\n"
            "    print('started', len(children))\n    for child in children:\n        child.kill()\n        child.wait()"
        ),
        "huge_file": "open('big.bin', 'wb').write(b'0' * (100 * 2**20))",
        "package_data": (
            "import pathlib, korea_nato.data\n"
            "open(pathlib.Path(korea_nato.data.__file__).with_name('drivers.csv'), 'a').write('junk')"
        ),
        "daemon": (
            "import subprocess, sys\n"
            f"subprocess.Popen(['setsid', sys.executable, '-c', 'import time; time.sleep(90)', {MARKER!r}])\n"
            "print('daemon started')"
        ),
        "graded_notebook": "print(repr(open('ps1.ipynb').read()))",
        "shadow": "import pandas\nprint(pandas.__file__)",
        "identity": "import os\nprint('uid', os.getuid())",
        "own_folder": "open('own.txt', 'w').write('mine')\nprint('wrote own.txt')",
        "startup_file": (
            "import pathlib\nstartup = pathlib.Path.home() / '.ipython/profile_default/startup'\n"
            "startup.mkdir(parents=True, exist_ok=True)\n(startup / '00-evil.py').write_text('raise SystemExit')\n"
            "print('startup file written')"
        ),
        "alive": "print('still answering')",
    }
    nb = run_sandboxed(list(attempts.values()), workdir, timeout=60, fork_server=request.param)
    return {name: text_of(cell) for name, cell in zip(attempts, nb.cells, strict=True)}


@pytest.mark.parametrize("attempt", ["read_solutions", "read_gradebook"])
def test_nothing_of_the_course_outside_the_submission_folder_is_visible(probe, attempt):
    assert "FileNotFoundError" in probe[attempt], probe[attempt]
    assert "SECRET" not in probe[attempt]


def test_writes_into_the_course_never_reach_it(probe, fake_course):
    """Here the course lies under /tmp, so such a write lands in the sandbox's throw-away /tmp."""
    course, _ = fake_course
    assert (course / "nbgrader_config.py").read_text() == "c = get_config()\n"
    assert (course / "submitted/classmate/ps1/ps1.ipynb").read_text() == "CLASSMATE-WORK"


def test_the_system_is_read_only(probe):
    assert "Read-only file system" in probe["write_elsewhere"], probe["write_elsewhere"]


def test_the_package_and_its_data_are_read_only(probe):
    assert "Read-only file system" in probe["package_data"], probe["package_data"]
    from korea_nato import data

    assert not data.drivers().to_csv().endswith("junk")


def test_there_is_no_network(probe, listening_port):
    """The kernel has its own network namespace: the grader's loopback server is not there."""
    assert "ConnectionRefusedError" in probe["network"] or "unreachable" in probe["network"], probe["network"]


def test_memory_past_the_limit_raises_memory_error(probe):
    assert "MemoryError" in probe["memory"], probe["memory"]


def test_processes_past_the_limit_are_refused(probe):
    if not sandbox.process_limit_enforced():
        pytest.fail("no writable pids cgroup on this machine: the kernel's process limit cannot hold")
    assert "BlockingIOError" in probe["processes"] or "Resource temporarily unavailable" in probe["processes"]
    started = int(probe["processes"].split("started", 1)[1].split()[0])
    assert started < sandbox.SandboxKernelManager().process_limit


def test_files_past_the_size_limit_are_refused(probe, fake_course):
    _, workdir = fake_course
    assert "File too large" in probe["huge_file"], probe["huge_file"]
    assert (workdir / "big.bin").stat().st_size <= 64 * 2**20


def test_no_process_outlives_the_kernel(probe):
    assert "daemon started" in probe["daemon"]
    assert processes_with(MARKER) == []


def test_the_notebook_being_graded_reads_as_empty(probe, fake_course):
    assert probe["graded_notebook"].strip() == "''"


def test_a_module_beside_the_notebook_is_not_imported(probe):
    assert "SHADOW-IMPORTED" not in probe["shadow"]
    assert "site-packages" in probe["shadow"] or "/lib/python" in probe["shadow"], probe["shadow"]


def test_the_kernel_runs_as_nobody(probe):
    assert "uid 65534" in probe["identity"]


def test_the_submission_folder_itself_is_writable(probe, fake_course):
    _, workdir = fake_course
    assert (workdir / "own.txt").read_text() == "mine"


def test_the_kernel_still_answers_after_every_denial(probe):
    assert probe["alive"].strip() == "still answering"


def test_no_startup_file_survives_into_the_next_kernel(probe, fake_course):
    _, workdir = fake_course
    assert "startup file written" in probe["startup_file"]
    nb = run_sandboxed(
        ["import pathlib\nprint(list(pathlib.Path.home().rglob('*.py')))", "print('ran')"], workdir
    )
    assert text_of(nb.cells[0]).strip() == "[]"
    assert text_of(nb.cells[1]).strip() == "ran"


def test_an_interrupt_stops_a_stuck_cell_and_the_kernel_goes_on(fake_course):
    _, workdir = fake_course
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("while True:\n    pass"),
        nbformat.v4.new_code_cell("print('after')"),
    ]
    client = NotebookClient(
        nb,
        timeout=3,
        allow_errors=True,
        kernel_name="python3",
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "", "traceback": []},
        kernel_manager_class=sandbox.SandboxKernelManager,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    assert text_of(nb.cells[1]).strip() == "after"


def test_without_bubblewrap_grading_refuses_naming_the_fix(monkeypatch):
    monkeypatch.setattr(
        sandbox, "sandbox_problem", lambda: "bubblewrap (`bwrap`) is not installed: " + sandbox.INSTALL_HINT
    )
    with pytest.raises(sandbox.SandboxUnavailable, match="grading refused: .*apt-get install bubblewrap"):
        sandbox.SandboxKernelManager()


def test_the_documented_opt_out_grades_unsandboxed(monkeypatch):
    monkeypatch.setattr(sandbox, "sandbox_problem", lambda: "no bubblewrap here")
    manager = sandbox.SandboxKernelManager(allow_unsandboxed=True)
    assert manager.sandboxed is False
    assert manager.transport == "tcp"


def test_a_killed_grading_process_leaves_no_private_folder_behind_for_long(tmp_path):
    """What a grading process killed outright (``kill -9``) left is removed by the next one."""
    import os
    import subprocess
    import sys
    import time

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    old = time.time() - sandbox.STALE_AFTER_S - 60
    folders = {
        "stale kernel": tmp_path / f"korea-nato-kernel-{dead}-abc",
        "stale fork server": tmp_path / f"korea-nato-forkserver-{dead}-def",
        "recent, its process gone": tmp_path / f"korea-nato-kernel-{dead}-ghi",
        "old, its process alive": tmp_path / f"korea-nato-kernel-{os.getppid()}-jkl",
        "another tool's folder": tmp_path / f"other-tool-{dead}-mno",
    }
    for name, folder in folders.items():
        (folder / "home").mkdir(parents=True)
        (folder / "home" / "notes.txt").write_text("a student's copy")
        if name != "recent, its process gone":
            os.utime(folder, (old, old))

    made = sandbox.make_private_folder("korea-nato-kernel-", str(tmp_path))

    left = {name for name, folder in folders.items() if folder.exists()}
    assert left == {"recent, its process gone", "old, its process alive", "another tool's folder"}
    assert made.is_dir() and made.name.startswith(f"korea-nato-kernel-{os.getpid()}-")
