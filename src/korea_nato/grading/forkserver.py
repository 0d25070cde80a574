"""The grader's side of the fork server: sandboxed kernels without a second of start-up each.

:class:`ForkServer` starts :mod:`korea_nato.grading.zygote` in the grading sandbox (the same
bubblewrap command as one kernel, minus the submission's folder) and asks it for one kernel at a
time. :class:`korea_nato.grading.sandbox.SandboxKernelManager` uses it when
``c.SandboxKernelManager.fork_server`` is on (the default):

1. **Before a kernel**, the server kills whatever is left in its sandbox and empties the places
   a kernel can write inside (``/tmp``, ``/dev/shm``, ``/dev``); the grader then empties the
   server's private folder (home, caches, the previous kernel's sockets and copy).
2. The submission's folder is **copied in** (notebooks as empty files, symbolic links as links,
   so a link still points into the sandbox's own view) and the kernel works in the copy.
3. **After it**, every process is killed again and the files the kernel wrote in its folder are
   **copied back** into the submission's folder (regular files only, never through a link).

A server that misbehaves (does not answer in time, reports a change it cannot undo, or died) is
killed with everything in its sandbox and replaced; the kernel is then started the ordinary way
if a new server cannot start either.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

#: Seconds the server has to start (it imports pandas and IPython) and to answer a request.
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 20.0


class ForkServerBroken(RuntimeError):
    """The fork server did not answer, or answered that it cannot be trusted any more."""


class ForkedKernel:
    """A ``subprocess.Popen``-like handle on a kernel the server forked, seen from outside."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._start_time = _start_time(pid)

    def poll(self) -> int | None:
        if self.returncode is None and not _running(self.pid, self._start_time):
            self.returncode = 0  # the exit status belongs to the server, which reaps it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> str:
    fields = _stat_fields(pid)
    return fields[19] if fields else ""


def _running(pid: int, start_time: str) -> bool:
    """Alive, not a zombie, and still the same process (its pid not reused)."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in {"Z", "X"} and fields[19] == start_time


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def descendant_pid(root: int, inner: int) -> int | None:
    """The pid outside of the process below ``root`` whose pid inside its namespace is ``inner``."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        nspid = _status(pid).get("NSpid", "").split()
        if len(nspid) >= 2 and nspid[-1] == str(inner) and _descends_from(pid, root):
            return pid
    return None


def _descends_from(pid: int, root: int) -> bool:
    for _ in range(64):
        parent = _status(pid).get("PPid", "").strip()
        if not parent.isdigit() or int(parent) <= 1:
            return False
        if int(parent) == root:
            return True
        pid = int(parent)
    return False


class ForkServer:
    """One fork server in its own sandbox, serving one kernel at a time."""

    def __init__(self, limits: dict, private_root: str = ""):
        from .sandbox import _enter, bwrap_command, make_cgroups, make_private_folder

        self.limits = limits
        self.busy = False
        self.private = make_private_folder("korea-nato-forkserver-", private_root)
        self.clear_private()
        command = bwrap_command(
            [sys.executable, "-I", "-m", "korea_nato.grading.zygote", str(self.private)],
            None,
            self.private,
            memory_mb=None,
        )
        command[0] = shutil.which("bwrap") or command[0]
        # The server and its kernel, as a whole: the kernel's limits, plus the server's own share.
        self._cgroups = make_cgroups(
            self.private.name, limits["processes"] + 8, limits["memory_mb"] + 512
        )
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_enter(self._cgroups),
        )
        self._buffer = b""
        try:
            ready = self._answer(START_TIMEOUT_S)
            self.pid = descendant_pid(self.process.pid, int(ready["ready"]))
            if self.pid is None:
                raise ForkServerBroken("the fork server's process cannot be found from outside its sandbox")
        except BaseException:
            self.close()
            raise

    # --- talking to it ---------------------------------------------------------------------

    def _answer(self, timeout: float) -> dict:
        end = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise ForkServerBroken(f"the fork server did not answer within {timeout:.0f} s")
            readable, _, _ = select.select([self.process.stdout], [], [], left)
            if readable:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise ForkServerBroken("the fork server ended")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def request(self, **request) -> dict:
        if self.process.poll() is not None:
            raise ForkServerBroken("the fork server ended")
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except OSError as error:
            raise ForkServerBroken(f"the fork server cannot be reached ({error})") from error
        answer = self._answer(REQUEST_TIMEOUT_S)
        if answer.get("status") != "ok":
            raise ForkServerBroken(f"the fork server says: {answer.get('status')}")
        return answer

    # --- one kernel --------------------------------------------------------------------------

    def reset(self) -> None:
        """Kill everything in the sandbox, empty its scratch places and the private folder."""
        self.request(cmd="reset")
        self.clear_private()

    def clear_private(self) -> None:
        for entry in list(self.private.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        from .sandbox import prepare_private

        prepare_private(self.private)
        (self.kernel_folder / "work").mkdir(parents=True)

    @property
    def kernel_folder(self) -> Path:
        """The next kernel's own folder: its connection file, sockets and working copy."""
        return self.private / "kernel"

    def fork(self, argv: list[str]) -> int:
        """Start a kernel (``ipykernel_launcher``'s arguments) in the working copy; its pid outside."""
        limits = {
            "memory": self.limits["memory_mb"] * 2**20,
            "cpu": self.limits["cpu_seconds"],
            "fsize": self.limits["file_mb"] * 2**20,
            "nproc": self.limits["processes"],
            "nofile": self.limits["open_files"],
        }
        answer = self.request(cmd="fork", cwd=str(self.kernel_folder / "work"), argv=argv, limits=limits)
        pid = descendant_pid(self.pid, int(answer["pid"]))
        if pid is None:
            raise ForkServerBroken("the forked kernel cannot be found from outside the sandbox")
        return pid

    def stop(self) -> None:
        """End the server and everything in its sandbox (its pid namespace ends with bubblewrap)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self) -> None:
        """End the server and everything in its sandbox; remove its folder and cgroups."""
        from .sandbox import remove_cgroups

        self.stop()
        shutil.rmtree(self.private, ignore_errors=True)
        # The pid namespace ends with bubblewrap; the cgroups can go once it is empty.
        for _ in range(50):
            remove_cgroups(self._cgroups)
            if not any(group.exists() for group in self._cgroups):
                break
            time.sleep(0.02)


# --- the servers of this process -------------------------------------------------------------

_servers: list[ForkServer] = []
_lock = threading.Lock()


def acquire(limits: dict, private_root: str = "") -> ForkServer:
    """A free fork server with these limits (started if none is), reset and marked busy."""
    with _lock:
        for server in list(_servers):
            if server.process.poll() is not None:
                _servers.remove(server)
                server.close()
        server = next((s for s in _servers if not s.busy and s.limits == limits), None)
        if server is None:
            server = ForkServer(limits, private_root)
            _servers.append(server)
        server.busy = True
    try:
        server.reset()
    except ForkServerBroken:
        discard(server)
        raise
    return server


def release(server: ForkServer) -> None:
    """The kernel and all it started are gone (``reset``): keep the server for the next one."""
    server.clear_private()
    server.busy = False


def discard(server: ForkServer) -> None:
    with _lock:
        if server in _servers:
            _servers.remove(server)
    server.close()


@atexit.register
def close_all() -> None:
    with _lock:
        servers, _servers[:] = list(_servers), []
    for server in servers:
        server.close()


# --- the working copy ------------------------------------------------------------------------


def copy_in(workdir: Path, copy: Path) -> None:
    """Copy the submission's folder into the kernel's; notebooks become empty, links stay links."""
    notebooks = shutil.ignore_patterns("*.ipynb")
    shutil.copytree(workdir, copy, symlinks=True, ignore=notebooks, dirs_exist_ok=True)
    for root, _dirs, files in os.walk(workdir):
        for name in files:
            if name.endswith(".ipynb"):
                target = copy / Path(root).relative_to(workdir) / name
                if target.parent.is_dir() and not target.parent.is_symlink():
                    target.touch()


def copy_back(copy: Path, workdir: Path, max_bytes: int) -> None:
    """Copy the regular files the kernel wrote in its folder back into the submission's folder.

    Never through a symbolic link on either side, never a notebook, never a file over
    ``max_bytes``; unchanged files (same size and time) are left alone.
    """
    for root, dirs, files in os.walk(copy):
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        relative = Path(root).relative_to(copy)
        for name in files:
            source = Path(root) / name
            info = source.lstat()
            if not stat.S_ISREG(info.st_mode) or name.endswith(".ipynb") or info.st_size > max_bytes:
                continue
            target = workdir / relative / name
            if not _plain_folder(workdir, target.parent):
                continue
            try:
                existing = target.lstat()
            except FileNotFoundError:
                existing = None
            if existing is not None:
                if not stat.S_ISREG(existing.st_mode):
                    continue
                if existing.st_size == info.st_size and existing.st_mtime_ns == info.st_mtime_ns:
                    continue
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as out, open(source, "rb") as data:
                shutil.copyfileobj(data, out)
            os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))


def _plain_folder(workdir: Path, folder: Path) -> bool:
    """``folder`` is ``workdir`` or below it through real folders only (made if missing)."""
    current = workdir
    for part in folder.relative_to(workdir).parts:
        current = current / part
        if current.is_symlink():
            return False
        if not current.exists():
            current.mkdir()
        elif not current.is_dir():
            return False
    return not workdir.is_symlink()
