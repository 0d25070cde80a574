"""The fork server gives every kernel the sandbox a kernel of its own would have, and nothing of the last one.

The fork server (``korea_nato.grading.forkserver``) starts kernels for one student after another
from the same sandboxed process. Each test runs a hostile kernel first and then the next
student's kernel from the same server, and checks that the next one finds nothing the first left:
no process, no file in any place it could write, no changed device, no way into the server; and
that a kernel that stops or kills the server only costs the grader a new server.
"""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from korea_nato.grading import forkserver
from sandbox_tools import processes_with, require_sandbox, run_sandboxed, text_of

pytestmark = pytest.mark.slow

MARK = f"left-by-{uuid.uuid4().hex[:8]}"

#: Everything the first kernel leaves behind: files in every place it can write, a changed
#: device, a daemon, an IPython startup file.
LEAVE_BEHIND = (
    "import os, pathlib, subprocess, sys\n"
    "writable = []\n"
    "for root, dirs, files in os.walk('/'):\n"
    "    if root.startswith(('/proc', '/sys')):\n"
    "        dirs[:] = []\n"
    "        continue\n"
    "    dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]\n"
    "    if os.access(root, os.W_OK):\n"
    "        writable.append(root)\n"
    f"for folder in writable:\n"
    f"    try:\n"
    f"        pathlib.Path(folder, '{MARK}').write_text('x')\n"
    f"    except OSError:\n"
    f"        pass\n"
    "startup = pathlib.Path.home() / '.ipython/profile_default/startup'\n"
    "startup.mkdir(parents=True, exist_ok=True)\n"
    f"(startup / '00-{MARK}.py').write_text('print(\"STARTUP RAN\")')\n"
    f"subprocess.Popen(['setsid', sys.executable, '-c', 'import time; time.sleep(120)', '{MARK}'])\n"
    "print('left in', sorted(writable))"
)

#: What the next kernel looks for: the marks, and any process but itself and its server.
LOOK_AROUND = (
    "import os, sys\n"
    "found = []\n"
    "for root, dirs, files in os.walk('/'):\n"
    "    if root.startswith(('/proc', '/sys')):\n"
    "        dirs[:] = []\n"
    "        continue\n"
    f"    found += [os.path.join(root, f) for f in files + dirs if '{MARK}' in f]\n"
    "print('found', found)\n"
    "others = []\n"
    "for pid in os.listdir('/proc'):\n"
    "    if pid.isdigit():\n"
    "        try:\n"
    "            others.append(open(f'/proc/{pid}/cmdline').read().replace(chr(0), ' '))\n"
    "        except OSError:\n"
    "            pass\n"
    f"print('daemons', [c for c in others if '{MARK}' in c])\n"
    "print('preloaded', 'pandas' in sys.modules)"
)


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    require_sandbox()


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "autograded" / "student" / "ps1"
    folder.mkdir(parents=True)
    return folder


def server_pids() -> set[int]:
    return {server.pid for server in forkserver._servers}


def test_the_next_kernel_finds_nothing_the_last_one_left(workdir):
    first = run_sandboxed([LEAVE_BEHIND], workdir, timeout=60)
    assert "left in" in text_of(first.cells[0]), text_of(first.cells[0])
    for place in ("/tmp", "/dev/shm", "/dev"):
        assert f"'{place}'" in text_of(first.cells[0]), f"the test must write into {place}"
    servers = server_pids()
    after = run_sandboxed([LOOK_AROUND], workdir, timeout=60)
    seen = text_of(after.cells[0])
    assert server_pids() & servers, "the second kernel must come from the same fork server"
    assert "preloaded True" in seen, seen
    # Only the mark in the submission's own folder is kept (copied back, as a kernel of its own writes it).
    found = [path for path in seen.split("found ", 1)[1].split("\n", 1)[0].strip("[]").split(", ") if path]
    assert all("/kernel/work/" in path for path in found), found
    assert "daemons []" in seen, seen
    assert "STARTUP RAN" not in seen
    assert processes_with(MARK) == []


def test_no_kernel_can_read_or_trace_the_server(workdir):
    nb = run_sandboxed(
        [
            "import os\nserver = os.getppid()\nprint('server', server)",
            "open(f'/proc/{server}/mem', 'rb').read(16)",
            "open(f'/proc/{server}/environ', 'rb').read()",
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "print('ptrace', libc.ptrace(16, server, 0, 0), ctypes.get_errno())",  # PTRACE_ATTACH
        ],
        workdir,
        timeout=60,
    )
    assert "PermissionError" in text_of(nb.cells[1]), text_of(nb.cells[1])
    assert "PermissionError" in text_of(nb.cells[2]), text_of(nb.cells[2])
    assert "ptrace -1" in text_of(nb.cells[3]), text_of(nb.cells[3])


def test_a_kernel_that_kills_the_server_ends_only_itself(workdir):
    """The server is the sandbox's main process: when it dies, so does the kernel that killed it."""
    from nbclient.exceptions import DeadKernelError

    with pytest.raises(DeadKernelError):
        run_sandboxed(["import os, time\nos.kill(os.getppid(), 9)\ntime.sleep(30)"], workdir, timeout=60)
    after = run_sandboxed(["import sys\nprint('ran', 'pandas' in sys.modules)"], workdir, timeout=60)
    assert text_of(after.cells[0]).strip() == "ran True"
    assert all(server.process.poll() is None for server in forkserver._servers)


def test_a_kernel_that_stops_the_server_is_still_graded_and_the_server_replaced(workdir, monkeypatch):
    monkeypatch.setattr(forkserver, "REQUEST_TIMEOUT_S", 3.0)
    first = run_sandboxed(
        [f"import os\nos.kill(os.getppid(), {int(signal.SIGSTOP)})\nprint('sent')", "print('still graded')"],
        workdir,
        timeout=30,
    )
    assert text_of(first.cells[1]).strip() == "still graded"
    stopped = {server.pid for server in forkserver._servers}
    after = run_sandboxed(["import sys\nprint('ran', 'pandas' in sys.modules)"], workdir, timeout=60)
    assert text_of(after.cells[0]).strip() == "ran True"
    assert not stopped & server_pids(), "the stopped server is replaced"
    for server in forkserver._servers:
        assert server.process.poll() is None and os.path.exists(f"/proc/{server.pid}")


def test_files_are_copied_back_but_never_through_a_link(workdir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "gradebook.db").write_text("GRADES")
    (workdir / "data.csv").write_text("a,b\n1,2\n")
    (workdir / "linked").symlink_to(outside, target_is_directory=True)
    (workdir / "ps1.ipynb").write_text("HIDDEN TESTS")
    nb = run_sandboxed(
        [
            "print(open('data.csv').read(), repr(open('ps1.ipynb').read()))",
            "open('result.txt', 'w').write('mine')",
            "import os\nos.makedirs('out', exist_ok=True)\nopen('out/figure.txt', 'w').write('fig')",
            f"import os\nos.symlink({str(outside / 'gradebook.db')!r}, 'grades')\nopen('ps1.ipynb', 'w').write('x')",
            "import os\nos.remove('linked')\nos.mkdir('linked')\nopen('linked/gradebook.db', 'w').write('ZERO')",
        ],
        workdir,
        timeout=60,
    )
    assert "a,b" in text_of(nb.cells[0]) and "''" in text_of(nb.cells[0]), text_of(nb.cells[0])
    assert (workdir / "result.txt").read_text() == "mine"
    assert (workdir / "out" / "figure.txt").read_text() == "fig"
    assert not (workdir / "grades").exists(), "a link the kernel made is not copied back"
    assert (workdir / "ps1.ipynb").read_text() == "HIDDEN TESTS", "notebooks are never copied back"
    assert (outside / "gradebook.db").read_text() == "GRADES", "nothing is written through a link"
    assert (workdir / "linked").is_symlink()
