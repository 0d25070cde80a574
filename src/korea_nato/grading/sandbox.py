"""The grading sandbox: every kernel that runs a student's code starts inside bubblewrap.

:class:`SandboxKernelManager` is a jupyter_client kernel manager that nbgrader uses through the
course's ``nbgrader_config.py`` (``c.Execute.kernel_manager_class``, set by
:class:`korea_nato.grading.execution.GuardedExecute`). Each kernel it starts:

- runs in its own user (uid 65534), pid, ipc, uts, cgroup and network namespaces, with no
  network at all: the kernel talks to nbgrader over unix sockets in a private folder;
- sees a read-only system (``/usr``, ``/etc``, the Python installation and this package), a
  private empty ``/tmp`` and home (so no IPython profile or startup file survives it), and, of
  the course directory, only the submission's own working folder, writable, with the notebook
  being graded masked (it holds the hidden tests after nbgrader restores them);
- runs Python isolated (``-I`` and IPython's ``ignore_cwd``: no current folder on
  ``sys.path``, so a ``pandas.py`` beside the notebook is never imported, and no ``PYTHON*``
  variables);
- has limits on memory, CPU time, file size, processes and open files;
- takes every process it started with it when it ends (its pid namespace dies with it, and
  bubblewrap dies with nbgrader).

Where bubblewrap is missing or cannot run, starting a kernel fails with one message naming
the fix. ``c.SandboxKernelManager.allow_unsandboxed = True`` (documented in the instructor
guide) grades without the sandbox instead; ``korea-nato report`` and ``korea-nato doctor`` then
say so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode

#: The uid (and gid) the kernel runs as inside its user namespace: "nobody".
SANDBOX_UID = 65534
#: Environment variables passed into the sandbox as they are (everything else is dropped).
PASSED_ENV = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "NBGRADER_EXECUTION",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "KOREA_NATO_PROGRESS",
)
INSTALL_HINT = "install it with `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`"
OPT_OUT_HINT = (
    "or, to grade without a sandbox on a machine you trust no student with, set "
    "`c.SandboxKernelManager.allow_unsandboxed = True` in nbgrader_config.py (the report will say so)"
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here."""


@lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """``None`` if bubblewrap can sandbox a kernel on this machine, else why not, with the fix."""
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux (this is {sys.platform}); " + OPT_OUT_HINT
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bubblewrap (`bwrap`) is not installed: {INSTALL_HINT}; " + OPT_OUT_HINT
    probe = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--die-with-parent",
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "true",
    ]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not run ({error}); " + OPT_OUT_HINT
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return (
            f"bubblewrap cannot create its namespaces here ({reason}); allow unprivileged user "
            "namespaces (sysctl kernel.unprivileged_userns_clone=1, or run the container with "
            "--security-opt seccomp=unconfined), " + OPT_OUT_HINT
        )
    return None


def _system_binds() -> list[str]:
    """Read-only binds of the system folders a Python process needs (symlinks kept as links)."""
    args: list[str] = []
    for folder in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    return args


def _python_folders() -> list[Path]:
    """The folders the kernel's Python must read: installation, environment, this package."""
    import korea_nato

    folders = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.base_exec_prefix),
        Path(korea_nato.__file__).resolve().parent,
    }
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        folders.add(Path(sysconfig.get_paths()[name]))
    folders.add(Path(sys.executable).resolve().parent.parent)
    # Editable installs of other packages: whatever their finders point at is read-only too.
    existing = {folder.resolve() for folder in folders if folder.exists()}
    # Bind the outermost ones only (a folder inside another is already visible).
    return sorted(f for f in existing if not any(f != o and o in f.parents for o in existing))


def _matplotlib_cache() -> Path | None:
    """The grader's matplotlib cache folder, copied into each sandbox so fonts aren't rebuilt."""
    try:
        from matplotlib import get_cachedir
    except ImportError:
        return None
    path = Path(get_cachedir())
    return path if path.is_dir() else None


#: The private folders' name prefixes: a kernel's own, a fork server's, the runner's logs.
PRIVATE_PREFIXES = ("korea-nato-kernel-", "korea-nato-forkserver-", "korea-nato-grading-")


def make_private_folder(prefix: str, root: str = "") -> Path:
    """A new private folder ``<prefix><pid>-<random>`` under ``root`` (default: the temp folder).

    The grading process's pid in the name lets :func:`remove_stale_private_folders` recognise,
    and remove, what a grading process killed outright (``kill -9``, a lost pod) left behind.
    """
    remove_stale_private_folders(Path(root or tempfile.gettempdir()))
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root or None)).resolve()


#: A private folder untouched this long whose grading process is gone is stale. The age guards
#: a folder whose process lives in another pid namespace (another container sharing ``/tmp``).
STALE_AFTER_S = 3600


@contextmanager
def private_folder(prefix: str):
    """:func:`make_private_folder` as a context: the folder, removed on leaving."""
    folder = make_private_folder(prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_private_folders(parent: Path) -> list[Path]:
    """Remove this user's private folders under ``parent`` whose grading process is gone.

    A folder is stale when the pid in its name is not running and it has not changed for
    :data:`STALE_AFTER_S`; other users' folders and anything else are left alone.
    """
    removed = []
    now = time.time()
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        prefix = next((p for p in PRIVATE_PREFIXES if entry.name.startswith(p)), None)
        owner = entry.name[len(prefix):].split("-", 1)[0] if prefix else ""
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            info = entry.lstat()
            recent = now - info.st_mtime < STALE_AFTER_S
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or recent:
                continue
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        except OSError:  # alive under another user (PermissionError), or unreadable: keep it
            continue
    return removed


def prepare_private(private: Path) -> None:
    """A kernel's private folder: home, runtime and matplotlib folders, the font cache copied in."""
    for name in ("home", "runtime", "matplotlib"):
        (private / name).mkdir(parents=True, exist_ok=True)
    cache = _matplotlib_cache()
    if cache is not None:
        for font_list in cache.glob("fontlist-*.json"):
            shutil.copy(font_list, private / "matplotlib" / font_list.name)


def bwrap_command(
    kernel_cmd: list[str],
    workdir: Path | None,
    private: Path,
    *,
    memory_mb: int | None,
    cpu_seconds: int = 0,
    file_mb: int = 0,
    processes: int = 0,
    open_files: int = 0,
) -> list[str]:
    """The command that runs ``kernel_cmd`` in the sandbox, with ``workdir`` its only writable folder.

    ``private`` is the kernel's own folder (its unix sockets, connection file, home and
    caches), bound at the same path so nbgrader reaches the sockets by the same name. The fork
    server (:mod:`korea_nato.grading.forkserver`) runs with no ``workdir`` (its kernels work in a
    copy inside ``private``) and ``memory_mb=None``: it sets each kernel's limits itself.
    """
    home = private / "home"
    args = [
        "bwrap",
        "--die-with-parent",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--hostname",
        "grading-sandbox",
        *_system_binds(),
    ]
    for folder in _python_folders():
        args += ["--ro-bind", str(folder), str(folder)]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--bind",
        str(private),
        str(private),
    ]
    if workdir is not None:
        workdir = workdir.resolve()
        args += ["--bind", str(workdir), str(workdir)]
        # The notebook being graded holds the hidden tests once nbgrader has restored its cells:
        # inside, it (and any other notebook there) is an empty file.
        empty = private / "empty"
        empty.touch()
        for notebook in sorted(workdir.rglob("*.ipynb")):
            args += ["--ro-bind", str(empty), str(notebook)]
    # Everything not bound above (the sandbox's own root) is read-only too.
    args += ["--remount-ro", "/", "--chdir", str(workdir or private), "--clearenv"]
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env |= {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": "/tmp",
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local/share/jupyter"),
        "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
        "MPLCONFIGDIR": str(private / "matplotlib"),
        "MPLBACKEND": "agg",
        "MALLOC_ARENA_MAX": "2",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    for name, value in sorted(env.items()):
        args += ["--setenv", name, value]
    if memory_mb is None:
        return args + ["--", *kernel_cmd]
    # prlimit (util-linux) sets the limits and replaces itself by the kernel. Interrupts reach
    # the kernel through its process group; bubblewrap itself ignores them (see FIELD-NOTES).
    limits = [
        f"--as={memory_mb * 2**20}",
        f"--cpu={cpu_seconds}",
        f"--fsize={file_mb * 2**20}",
        f"--nproc={processes}",
        f"--nofile={open_files}",
    ]
    return args + ["prlimit", *limits, "--", *kernel_cmd]


def isolated_kernel_cmd(kernel_cmd: list[str]) -> list[str]:
    """The kernel command with the current folder kept off ``sys.path`` when it starts Python.

    ``-I`` keeps Python itself from adding it; ``ignore_cwd`` keeps IPython from adding it back
    (IPython before 9.7 puts ``''`` on ``sys.path`` whatever the interpreter's flags).
    """
    if not kernel_cmd or not Path(kernel_cmd[0]).name.startswith("python"):
        return kernel_cmd
    command = list(kernel_cmd)
    if "-I" not in command[1:2]:
        command.insert(1, "-I")
    if any("ipykernel" in part for part in command) and IGNORE_CWD not in command:
        command.append(IGNORE_CWD)
    return command


#: IPython's switch (since 8.0) that keeps the kernel's current folder off ``sys.path``.
IGNORE_CWD = "--IPKernelApp.ignore_cwd=True"


#: cgroup v1 controllers (or the v2 root) where a kernel's processes and memory are capped as a whole.
CGROUP_V1 = {"pids": Path("/sys/fs/cgroup/pids"), "memory": Path("/sys/fs/cgroup/memory")}
CGROUP_V2 = Path("/sys/fs/cgroup")


def make_cgroups(name: str, processes: int, memory_mb: int) -> list[Path]:
    """Make this kernel's cgroups (processes, and memory, as a whole); empty where none can be made.

    ``ulimit``'s process limit does not hold for a sandbox that root starts (the kernel counts
    root's processes and exempts them), so the process limit needs a pids cgroup. Where none is
    writable, only the per-process limits hold; ``korea-nato doctor`` says so.
    """
    made = []
    settings = {
        "pids": {"pids.max": str(processes)},
        "memory": {"memory.limit_in_bytes": str(memory_mb * 2**20)},
    }
    if (CGROUP_V2 / "cgroup.controllers").is_file():
        settings = {"": {"pids.max": str(processes), "memory.max": str(memory_mb * 2**20)}}
        roots = {"": CGROUP_V2}
    else:
        roots = CGROUP_V1
    for controller, values in settings.items():
        root = roots.get(controller)
        if root is None or not root.is_dir():
            continue
        # Below the grader's own cgroup, so the kernel stays inside whatever limits the grader has.
        group = root / _own_cgroup(controller).lstrip("/") / "korea-nato" / name
        try:
            group.mkdir(parents=True, exist_ok=True)
            for key, value in values.items():
                if (group / key).exists():
                    (group / key).write_text(value)
        except OSError:
            continue
        made.append(group)
    return made


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for ``controller`` (``""`` for cgroup v2), from /proc/self/cgroup."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controller == "" and controllers == ""):
            return path
    return "/"


def remove_cgroups(groups: list[Path]) -> None:
    for group in groups:
        try:
            group.rmdir()
        except OSError:
            pass


def process_limit_enforced() -> bool:
    """Whether a pids cgroup can be made here, so the kernel's process limit holds."""
    groups = make_cgroups(f"probe-{os.getpid()}", 64, 2048)
    try:
        return any((group / "pids.max").exists() for group in groups)
    finally:
        remove_cgroups(groups)


def _enter(groups: list[Path]):
    """A ``preexec_fn``: ignore interrupts (bubblewrap must survive them) and join ``groups``."""

    def enter() -> None:  # pragma: no cover -- runs in the child between fork and exec
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for group in groups:
            with open(group / "cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))

    return enter


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the grading sandbox (see the module docstring)."""

    allow_unsandboxed = Bool(
        False,
        help="Start kernels without the sandbox where bubblewrap is missing (the report says so).",
    ).tag(config=True)
    memory_limit_mb = Integer(2048, help="Address-space limit of the kernel, MiB.").tag(config=True)
    cpu_limit_s = Integer(600, help="CPU time of one kernel, all cells together, seconds.").tag(config=True)
    file_size_limit_mb = Integer(64, help="Largest file the kernel may write, MiB.").tag(config=True)
    process_limit = Integer(
        64, help="Processes and threads the kernel may run (its user namespace's count)."
    ).tag(config=True)
    open_files_limit = Integer(256, help="Open files of the kernel.").tag(config=True)
    private_root = Unicode(
        "", help="Where each kernel's private folder is made (default: the temp dir)."
    ).tag(config=True)
    fork_server = Bool(
        True,
        help=(
            "Fork each kernel from a sandboxed process that has already imported IPython and pandas "
            "(korea_nato.grading.forkserver): the same sandbox, about a second less per submission. "
            "False starts every kernel in its own bubblewrap."
        ),
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sandboxed = False
        self._server = None
        problem = sandbox_problem()
        if problem is not None:
            if not self.allow_unsandboxed:
                raise SandboxUnavailable(f"grading refused: {problem}")
            self.log.warning("Grading WITHOUT the sandbox: %s", problem)
            return
        self.sandboxed = True
        # Unix sockets in the private folder: the kernel needs no network, and two kernels
        # started at once can never race for a port.
        self.transport = "ipc"
        self._use_private(make_private_folder("korea-nato-kernel-", self.private_root))

    def _use_private(self, private: Path) -> None:
        self._private = private
        self.ip = str(private / "kernel")
        self.connection_file = str(private / "connection.json")

    @property
    def _limits(self) -> dict:
        return {
            "memory_mb": self.memory_limit_mb,
            "cpu_seconds": self.cpu_limit_s,
            "file_mb": self.file_size_limit_mb,
            "processes": self.process_limit,
            "open_files": self.open_files_limit,
        }

    def _forkable(self) -> bool:
        """The kernel is this Python's ipykernel, which the fork server has loaded."""
        argv = list(self.kernel_spec.argv)
        if len(argv) < 3 or argv[1:3] != ["-m", "ipykernel_launcher"]:
            return False
        python = argv[0]
        major, minor = sys.version_info[:2]
        if python in {"python", f"python{major}", f"python{major}.{minor}"}:
            return True
        return Path(python).resolve() == Path(sys.executable).resolve()

    async def _async_pre_start_kernel(self, **kw):
        if self.sandboxed and self.fork_server and self._server is None and self._forkable():
            from . import forkserver

            try:
                self._server = forkserver.acquire(self._limits, self.private_root)
            except (forkserver.ForkServerBroken, OSError) as error:
                self.log.warning("No fork server (%s): this kernel starts in its own sandbox", error)
            else:
                shutil.rmtree(self._private, ignore_errors=True)
                self._use_private(self._server.kernel_folder)
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if not self.sandboxed:
            return kernel_cmd, kw
        workdir = Path(kw.get("cwd") or os.getcwd())
        if self._server is not None:
            from .forkserver import copy_in

            self._workdir = workdir.resolve()
            copy_in(self._workdir, self._private / "work")
            return kernel_cmd, kw
        prepare_private(self._private)
        command = bwrap_command(
            isolated_kernel_cmd(kernel_cmd),
            workdir,
            self._private,
            memory_mb=self.memory_limit_mb,
            cpu_seconds=self.cpu_limit_s,
            file_mb=self.file_size_limit_mb,
            processes=self.process_limit,
            open_files=self.open_files_limit,
        )
        command[0] = shutil.which("bwrap") or command[0]
        self._cgroups = make_cgroups(self._private.name, self.process_limit, self.memory_limit_mb)
        kw["preexec_fn"] = _enter(self._cgroups)
        # ipykernel prints its connection banner on stdout (noise in nbgrader's log); errors
        # still reach stderr.
        kw["stdout"] = subprocess.DEVNULL
        (self._private / "sandbox.json").write_text(json.dumps({"command": command}, indent=1))
        return command, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self._server is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        from .forkserver import ForkedKernel

        arguments = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1 :]
        if IGNORE_CWD not in arguments:
            arguments.append(IGNORE_CWD)
        pid = self._server.fork(arguments)
        provisioner = self.provisioner
        provisioner.process = ForkedKernel(pid)
        provisioner.pid = provisioner.pgid = pid  # the kernel leads its own process group
        provisioner.cwd = str(self._workdir)
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not self.sandboxed or restart:
            return
        if self._server is not None:
            from . import forkserver

            server, self._server = self._server, None
            try:
                server.request(cmd="reset")  # nothing of the kernel runs while its files are copied back
                healthy = True
            except forkserver.ForkServerBroken:
                server.stop()  # ends its sandbox, and everything in it
                healthy = False
            forkserver.copy_back(self._private / "work", self._workdir, self.file_size_limit_mb * 2**20)
            (forkserver.release if healthy else forkserver.discard)(server)
            return
        shutil.rmtree(self._private, ignore_errors=True)
        remove_cgroups(getattr(self, "_cgroups", []))


GUARDED_EXECUTE = "korea_nato.grading.execution.GuardedExecute"


def sandbox_status(course: Path) -> tuple[bool, str, str]:
    """Will ``nbgrader autograde`` in ``course`` run kernels in the sandbox? ``(sandboxed, found, fix)``.

    ``fix`` is empty when nothing needs doing: the sandbox works, or the instructor chose to grade
    without it (``allow_unsandboxed``), which ``found`` then says in capitals.
    """
    from .gradebook import course_config

    config = course_config(course)
    preprocessors = [
        str(getattr(p, "__module__", "") + "." + getattr(p, "__name__", ""))
        if isinstance(p, type)
        else str(p)
        for p in config.get("Autograde", {}).get("autograde_preprocessors", [])
    ]
    if GUARDED_EXECUTE not in preprocessors:
        return (
            False,
            "this course's nbgrader_config.py runs kernels unsandboxed",
            (
                f"put {GUARDED_EXECUTE!r} in c.Autograde.autograde_preprocessors (copy the block from the "
                "module's nbgrader_config.py)"
            ),
        )
    opted_out = bool(config.get("SandboxKernelManager", {}).get("allow_unsandboxed", False))
    problem = sandbox_problem()
    if problem is None:
        limits = (
            "processes capped"
            if process_limit_enforced()
            else ("per-process limits only: no writable pids cgroup, so the process limit does not hold")
        )
        forked = config.get("SandboxKernelManager", {}).get("fork_server", True)
        how = "forked from a sandboxed fork server" if forked else "each started in its own bubblewrap"
        return True, f"every autograded kernel runs in bubblewrap ({how}; {limits})", ""
    if opted_out:
        return False, f"UNSANDBOXED by choice (allow_unsandboxed): {problem.split(';')[0]}", ""
    return False, "grading will refuse to start", problem
