"""The grading fork server: runs INSIDE the sandbox and forks one student's kernel at a time.

Starting a kernel costs about a second of CPU (Python, IPython, ipykernel and pandas imported
afresh); a class pays it once per submission. This process imports them once, inside the
same bubblewrap sandbox the per-kernel path uses (:mod:`korea_nato.grading.sandbox`), and then
forks a kernel for each submission. It never runs student code itself.

One kernel at a time. Before each fork and after each kernel, it kills every other process in
its pid namespace (the previous student's kernel and anything it left behind), empties every
place a kernel can write (``/tmp``, ``/dev/shm``, anything new in ``/dev``; the grader empties
the private folder outside), and checks that nothing it cannot restore was changed: if so it
says "dirty" and the grader replaces it by a fresh one. It is not dumpable, so no kernel can
read or change its memory, and a kernel that stops or kills it only makes the grader start a
new one.

It speaks JSON lines over its stdin/stdout (pipes from the grader, closed in every kernel):
``{"cmd": "reset"}``, ``{"cmd": "fork", "cwd": ..., "argv": [...], "limits": {...}}``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import time

#: Modules every kernel imports (or most submissions do): loaded once, before any fork.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",  # debugpy and pydevd: 150 modules every kernel loads as it starts
    "IPython",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "sqlite3",
    "pandas",
    "numpy",
)
#: Places inside the sandbox a kernel can write to, beside the private folder (emptied by the grader).
SCRATCH = ("/tmp", "/dev/shm")
PR_SET_DUMPABLE = 4
LIMITS = {
    "memory": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "fsize": resource.RLIMIT_FSIZE,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
}


def not_dumpable() -> None:
    """No process of the same user may ptrace this one or read its memory (prctl, Linux)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def dev_state() -> dict[str, tuple]:
    """Every entry under ``/dev``: its type, mode, owner and device number."""
    state = {}
    for root, dirs, files in os.walk("/dev"):
        for name in dirs + files:
            path = os.path.join(root, name)
            if path.startswith("/dev/pts/") or path.startswith("/dev/shm/"):
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            link = os.readlink(path) if os.path.islink(path) else ""
            state[path] = (st.st_mode, st.st_uid, st.st_rdev, link)
    return state


def other_processes() -> list[int]:
    """Processes in this pid namespace other than this one and its init (pid 1)."""
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]


def kill_everything_else(deadline_s: float = 10.0) -> bool:
    """Kill every other process here and reap this one's children; True once none is left."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            os.kill(-1, signal.SIGKILL)  # all we may signal, except ourselves and init
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        left = [pid for pid in other_processes() if not _is_zombie(pid)]
        if not left:
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.01)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except (OSError, IndexError):
        return True


def empty(folder: str, keep: str) -> None:
    """Remove everything in ``folder`` but ``keep`` (the private folder, bound there) and its parents."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if path == keep:
            continue
        if keep.startswith(path + os.sep) and not os.path.islink(path):
            empty(path, keep)
        elif os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def leftovers(folder: str, keep: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.join(root, d) != keep]
        found += [os.path.join(root, f) for f in files]
        found += [os.path.join(root, d) for d in dirs if not keep.startswith(os.path.join(root, d) + os.sep)]
    return found


def reset(clean_dev: dict, private: str) -> str:
    """Kill every kernel process, empty the scratch places; ``ok`` or why the server is dirty."""
    if not kill_everything_else():
        return "dirty: a process would not die"
    for folder in SCRATCH:
        if os.path.isdir(folder):
            empty(folder, private)
            left = leftovers(folder, private)
            if left:
                return f"dirty: {left[0]} could not be removed"
    now = dev_state()
    for path in sorted(set(now) - set(clean_dev), reverse=True):
        try:
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
        except OSError:
            return f"dirty: {path} could not be removed"
    if dev_state() != clean_dev:
        return "dirty: /dev was changed"
    return "ok"


def run_kernel(request: dict, ready_fd: int) -> None:  # pragma: no cover -- runs in the forked kernel
    """In the forked child: become the student's kernel. Never returns."""
    try:
        os.setsid()  # its own process group: the grader's interrupts reach it and its children
        for name in (signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(name, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with open("/proc/self/oom_score_adj", "w") as adj:
                adj.write("1000")  # out of memory, the kernel goes first, never the server
        except OSError:
            pass
        for name, value in request.get("limits", {}).items():
            resource.setrlimit(LIMITS[name], (value, value))
        os.chdir(request["cwd"])
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        os.closerange(3, 65536)  # the server's control pipes among them
        argv = list(request["argv"])
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
    except BaseException as error:  # noqa: BLE001 -- the child must never return to the server loop
        try:
            os.write(2, f"korea-nato fork server: kernel failed: {error!r}\n".encode())
        finally:
            os._exit(1)
    os._exit(0)


def serve(control_in, control_out, private: str) -> None:
    def reply(**answer) -> None:
        control_out.write(json.dumps(answer) + "\n")
        control_out.flush()

    for name in PRELOAD:
        try:
            __import__(name)
        except Exception as error:  # noqa: BLE001 -- a module that cannot load is imported by the kernel, as before
            print(f"korea-nato fork server: {name} not preloaded: {error!r}", file=sys.stderr)
    import threading

    clean_dev = dev_state()
    reply(ready=os.getpid(), threads=threading.active_count())
    for line in control_in:
        request = json.loads(line)
        command = request.get("cmd")
        if command == "reset":
            reply(status=reset(clean_dev, private))
        elif command == "fork":
            status = reset(clean_dev, private)
            if status != "ok":
                reply(status=status)
                continue
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                run_kernel(request, write_end)
            os.close(write_end)
            started = os.read(read_end, 1) == b"1"
            os.close(read_end)
            reply(status="ok" if started else "kernel failed to start", pid=pid)
        elif command == "exit":
            break
        else:
            reply(status=f"unknown command {command!r}")
    kill_everything_else()


def main() -> None:
    # The control pipes move off 0 and 1, which become /dev/null (kernels inherit those).
    control_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    control_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    not_dumpable()
    serve(control_in, control_out, os.path.realpath(sys.argv[1]))


if __name__ == "__main__":
    main()
