"""Install check, ``korea-nato doctor`` (or ``python -m korea_nato.doctor``): ready for the course?

It checks the versions of Python and the packages the module needs, whether JupyterLab will
load nbgrader's and ipywidgets' front-end extensions, whether a ``python3`` kernel can import
``korea_nato``, that the course directory (``.`` or ``--course-dir``) is one (its
``nbgrader_config.py`` is there) and writable, that the console scripts nbgrader runs
(``nbgrader``, and ``alembic``, which nbgrader starts to create the gradebook) are on ``PATH``
and work, and whether grading will run each kernel in the bubblewrap sandbox. With ``--student``
(a student's machine) only the install and a writable folder are checked. Every problem is
printed with the command that fixes it; the exit status is 1 if there is any.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

#: distribution -> minimum version (as in pyproject.toml)
REQUIRED = {
    "korea-nato": "0.1",
    "jupyterlab": "4.2",
    "nbgrader": "0.9.4",
    "pandas": "2.2.3",
    "ipywidgets": "8.1",
    "matplotlib": "3.8",
    "tqdm": "4.66",
    "ipython": "8.10",
}
MIN_PYTHON = (3, 10)
NBGRADER_LAB = "@jupyter/nbgrader"
WIDGETS_LAB = "@jupyter-widgets/jupyterlab-manager"
#: nbgrader server extensions a student needs (formgrader is for instructors only).
NBGRADER_SERVER = ("assignment_list", "course_list", "validate_assignment")
KERNEL = "python3"
KERNEL_TIMEOUT_S = 30


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, and the fix if it is a problem."""

    name: str
    found: str
    fix: str = ""  # empty: no problem

    @property
    def ok(self) -> bool:
        return not self.fix


# --- Versions ----------------------------------------------------------------------------------


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", f"{version} ({sys.executable})")
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("python", version, f"install Python {wanted} or newer and reinstall the module with it")


def check_package(name: str, minimum: str) -> Check:
    from packaging.version import Version

    install = "python -m pip install -e .  (in the repository)" if name == "korea-nato" else None
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, "not installed", install or f'python -m pip install "{name}>={minimum}"')
    if Version(version) < Version(minimum):
        return Check(
            name,
            f"{version}, older than {minimum}",
            install or f'python -m pip install -U "{name}>={minimum}"',
        )
    return Check(name, version)


# --- Front-end extensions ----------------------------------------------------------------------


def lab_extensions() -> tuple[set[str], dict[str, bool]]:
    """Installed JupyterLab (prebuilt) extensions, and JupyterLab's ``disabledExtensions`` setting."""
    import os

    from jupyter_core.paths import jupyter_path
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.config import get_federated_extensions, get_page_config

    paths = jupyter_path("labextensions")
    installed = set(get_federated_extensions(paths))
    page_config = get_page_config(paths, app_settings_dir=os.path.join(get_app_dir(), "settings"))
    disabled = page_config.get("disabledExtensions", {})
    if isinstance(disabled, list):  # the older list form
        disabled = dict.fromkeys(disabled, True)
    return installed, {key: bool(value) for key, value in disabled.items()}


def check_lab_extension(name: str, package: str, installed: set[str], disabled: dict[str, bool]) -> Check:
    """Installed and not disabled as a whole; disabled plugins (``name:plugin``) are only noted."""
    if name not in installed:
        return Check(
            f"{name} (front end)", "not installed", f'python -m pip install --force-reinstall "{package}"'
        )
    if disabled.get(name):
        return Check(f"{name} (front end)", "disabled", f"jupyter labextension enable --level=user {name}")
    plugins = sorted(
        key.partition(":")[2] for key, off in disabled.items() if off and key.startswith(f"{name}:")
    )
    note = f"enabled; plugins disabled here: {', '.join(plugins)}" if plugins else "enabled"
    return Check(f"{name} (front end)", note)


def check_nbgrader_server() -> Check:
    """The server halves of the student-facing nbgrader extensions must be enabled too."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    manager = ExtensionConfigManager(read_config_path=jupyter_config_path())
    names = [f"nbgrader.server_extensions.{short}" for short in NBGRADER_SERVER]
    off = [name for name in names if not manager.enabled(name)]
    if off:
        fixes = "; ".join(f"jupyter server extension enable --sys-prefix {name}" for name in off)
        return Check("nbgrader (server)", f"disabled: {', '.join(off)}", fixes)
    formgrader = manager.enabled("nbgrader.server_extensions.formgrader")
    return Check("nbgrader (server)", f"enabled (formgrader {'on' if formgrader else 'off'})")


# --- Compatibility of the front end --------------------------------------------------------------

#: Old names nbgrader's front end had before 0.9.3, when it became ``@jupyter/nbgrader``.
OLD_NBGRADER_LAB = "nbgrader"


def core_requirements() -> tuple[str, dict]:
    """The running JupyterLab's version and its core data (``resolutions``, singleton packages)."""
    from jupyterlab import __version__
    from jupyterlab.coreconfig import _get_default_core_data

    return __version__, _get_default_core_data()


def incompatible_requirements(extension: dict, core: dict) -> list[tuple[str, str, str]]:
    """``[(package, JupyterLab's version range, the extension's)]`` that do not overlap.

    The same test ``jupyter labextension list`` applies (``jupyterlab.commands``): only the
    packages JupyterLab shares as singletons count.
    """
    from jupyterlab.commands import _validate_compatibility

    return _validate_compatibility(extension.get("name", ""), extension.get("dependencies", {}), core)


def check_extension_compatibility(installed: dict, lab_version: str, core: dict) -> Check:
    """Every installed front-end extension accepts the running JupyterLab's packages."""
    name = "front-end compatibility"
    problems, fixes = [], []
    for ext_name, extension in sorted(installed.items()):
        bad = incompatible_requirements(extension, core)
        if not bad:
            continue
        wants = ", ".join(f"{package} {wanted} (JupyterLab has {has})" for package, has, wanted in bad)
        problems.append(f"{ext_name} {extension.get('version', '?')} needs {wants}")
        package = (extension.get("install") or {}).get("packageName")
        fixes.append(
            f'python -m pip install -U "{package}"  (or uninstall it)'
            if package
            else f"upgrade or remove {ext_name} (the folder {extension.get('ext_path', '?')})"
        )
    if problems:
        return Check(
            name,
            f"incompatible with JupyterLab {lab_version}, so JupyterLab skips them: " + "; ".join(problems),
            "; ".join(fixes),
        )
    return Check(name, f"all {len(installed)} front-end extensions accept JupyterLab {lab_version}")


def check_known_bad_combinations(
    installed: dict, disabled: dict[str, bool], versions: dict[str, str]
) -> Check:
    """Version combinations and leftovers known to break nbgrader's menus or plugins."""
    from packaging.version import Version

    name = "known-bad combinations"
    problems, fixes = [], []
    nbgrader, lab, notebook = (versions.get(k) for k in ("nbgrader", "jupyterlab", "notebook"))
    if nbgrader and Version(nbgrader) < Version("0.9") and (
        (lab and Version(lab) >= Version("4")) or (notebook and Version(notebook) >= Version("7"))
    ):
        problems.append(f"nbgrader {nbgrader} predates JupyterLab 4 / Notebook 7: its menus do not load")
        fixes.append('python -m pip install -U "nbgrader>=0.9.4"')
    if OLD_NBGRADER_LAB in installed and NBGRADER_LAB in installed:
        folder = installed[OLD_NBGRADER_LAB].get("ext_path", "its labextensions folder")
        problems.append(
            f"an old '{OLD_NBGRADER_LAB}' front end (before nbgrader 0.9.3) is installed beside "
            f"'{NBGRADER_LAB}': menus and tabs appear twice or clash"
        )
        fixes.append(f"remove the folder {folder}")
    stale = sorted(
        key for key, off in disabled.items() if off and key.split(":")[0].split("/")[0] == OLD_NBGRADER_LAB
    )
    if stale:
        problems.append(
            f"plugins disabled under nbgrader's old names ({', '.join(stale)}) are enabled again, "
            "since nbgrader 0.9.3 calls them @jupyter/nbgrader:..."
        )
        renamed = [f"{NBGRADER_LAB}:{key.replace('/', ':').partition(':')[2]}" for key in stale]
        fixes.append(f"jupyter labextension disable --level=sys_prefix {' '.join(renamed)}")
    if problems:
        return Check(name, "; ".join(problems), "; ".join(fixes))
    return Check(name, "none found")


def compatibility_checks() -> list[Check]:
    """The front end's compatibility with the running JupyterLab, and known-bad combinations."""
    import os

    from jupyter_core.paths import jupyter_path
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.config import get_federated_extensions, get_page_config

    paths = jupyter_path("labextensions")
    installed = get_federated_extensions(paths)
    page_config = get_page_config(paths, app_settings_dir=os.path.join(get_app_dir(), "settings"))
    disabled = page_config.get("disabledExtensions", {})
    if isinstance(disabled, list):
        disabled = dict.fromkeys(disabled, True)
    versions = {}
    for package in ("nbgrader", "jupyterlab", "notebook"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    try:
        lab_version, core = core_requirements()
        compatibility = check_extension_compatibility(installed, lab_version, core)
    except (ImportError, KeyError, OSError) as error:  # JupyterLab's internals moved: say so
        compatibility = Check(
            "front-end compatibility",
            f"cannot be checked with this JupyterLab ({type(error).__name__}: {error})",
            "jupyter labextension list  (it marks incompatible extensions)",
        )
    return [compatibility, check_known_bad_combinations(installed, disabled, versions)]


# --- Kernel and course directory ----------------------------------------------------------------


def check_kernel(timeout: float = KERNEL_TIMEOUT_S) -> Check:
    """Start the ``python3`` kernel and import ``korea_nato`` in it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import start_new_kernel

    name = f"kernel {KERNEL!r}"
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return Check(name, "no such kernel", f"{sys.executable} -m ipykernel install --user")
    kernel_python = spec.argv[0] if spec.argv else "python"
    try:
        manager, client = start_new_kernel(
            kernel_name=KERNEL, startup_timeout=timeout, stderr=subprocess.DEVNULL
        )
    except Exception as error:  # whatever stops the kernel from starting is the problem to report
        return Check(
            name,
            f"does not start ({type(error).__name__}: {error})",
            f"{sys.executable} -m pip install -U ipykernel && {sys.executable} -m ipykernel install --user",
        )
    outputs: list[str] = []

    def collect(message):
        content = message["content"]
        if message["msg_type"] == "stream":
            outputs.append(content["text"])
        elif message["msg_type"] == "error":
            outputs.append(f"{content['ename']}: {content['evalue']}")

    code = "import sys, korea_nato; print(korea_nato.__version__, sys.executable)"
    try:
        reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
        status = reply["content"]["status"]
    except TimeoutError:
        status, outputs = "timeout", [f"no answer in {timeout:g} s"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    text = " ".join("".join(outputs).split())
    if status == "ok":
        return Check(name, f"imports korea_nato {text}")
    return Check(
        name,
        f"cannot import korea_nato ({text})",
        f"install the module into the kernel's Python: {kernel_python} -m pip install -e <repository>",
    )


def check_course_dir(course: Path, student: bool = False) -> Check:
    """The folder exists and is writable, and (unless ``student``) holds ``nbgrader_config.py``."""
    name = "course directory"
    if not course.exists():
        return Check(name, f"{course} does not exist", f"mkdir -p {course}  (or pass --course-dir)")
    if not course.is_dir():
        return Check(name, f"{course} is not a directory", "pass --course-dir with a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=course, prefix=".korea-nato-doctor-"):
            pass
    except OSError as error:
        return Check(
            name,
            f"{course} is not writable ({error.strerror})",
            f"chmod u+w {course}, or work in a folder you own and pass --course-dir",
        )
    if (course / "nbgrader_config.py").is_file():
        return Check(name, f"{course} is writable, an nbgrader course (nbgrader_config.py)")
    if student:
        return Check(name, f"{course} is writable, a folder")
    return Check(
        name,
        f"{course} is not a course directory: it has no nbgrader_config.py, so nbgrader run here would "
        "use none of the course's settings (course id, grading sandbox, feedback steps)",
        "cd into the course directory (your copy of the repository, beside nbgrader_config.py) or pass "
        "--course-dir DIR; on a student's machine run `korea-nato doctor --student`",
    )


#: Console scripts nbgrader needs on PATH: ``nbgrader`` itself, and ``alembic``, which nbgrader
#: runs (``alembic -c ... heads`` / ``upgrade``) every time it opens or creates a gradebook.
NBGRADER_SCRIPTS = ("nbgrader", "alembic")


def path_fix(script: str) -> str:
    """How to put ``script`` on PATH: this Python's scripts folder if it has it, else install it."""
    folder = Path(sys.executable).parent
    if (folder / script).exists():
        activate = folder / "activate"
        how = f"source {activate}" if activate.exists() else f'export PATH="{folder}:$PATH"'
        return f"{how}  (this Python's scripts folder, {folder}, is not on PATH)"
    package = "alembic" if script == "alembic" else "nbgrader"
    return f"{sys.executable} -m pip install {package}  (then open a new shell)"


def alembic_head() -> str:
    """The gradebook schema's newest revision, asked of ``alembic`` as nbgrader asks it."""
    try:
        from nbgrader.api import get_alembic_version
    except ImportError:  # an nbgrader without it: at least run alembic from PATH
        result = subprocess.run(
            ["alembic", "--version"], capture_output=True, text=True, timeout=60, check=True
        )
        return result.stdout.strip()
    return get_alembic_version()


def check_console_scripts() -> Check:
    """``nbgrader`` and ``alembic`` on PATH, and alembic answering as nbgrader calls it."""
    name = "nbgrader's commands"
    missing = [script for script in NBGRADER_SCRIPTS if shutil.which(script) is None]
    if missing:
        return Check(
            name,
            f"not on PATH: {', '.join(missing)} (nbgrader starts alembic to open the gradebook, so "
            "grading would crash)",
            "; ".join(path_fix(script) for script in missing),
        )
    try:
        head = alembic_head()
    except (OSError, subprocess.SubprocessError) as error:
        return Check(
            name,
            f"alembic ({shutil.which('alembic')}) fails as nbgrader runs it: {error}",
            f"{sys.executable} -m pip install --force-reinstall alembic",
        )
    return Check(name, f"nbgrader and alembic on PATH ({shutil.which('alembic')}; gradebook schema {head})")


def check_grading_sandbox(course: Path) -> Check:
    """Whether grading in ``course`` will be sandboxed; only for a course directory."""
    name = "grading sandbox"
    if not (course / "nbgrader_config.py").is_file():
        return Check(name, "not a course directory: grading not checked (pass --course-dir)")
    from korea_nato.grading.sandbox import sandbox_status

    _, found, fix = sandbox_status(course)
    return Check(name, found, fix)


# --- Running it --------------------------------------------------------------------------------


def run_checks(course: Path, student: bool = False) -> list[Check]:
    checks = [check_python()]
    checks += [check_package(name, minimum) for name, minimum in REQUIRED.items()]
    installed, disabled = lab_extensions()
    checks.append(check_lab_extension(NBGRADER_LAB, "nbgrader", installed, disabled))
    checks.append(check_nbgrader_server())
    checks.append(check_lab_extension(WIDGETS_LAB, "jupyterlab_widgets", installed, disabled))
    checks += compatibility_checks()
    checks.append(check_kernel())
    checks.append(check_course_dir(course, student))
    if not student:
        checks.append(check_console_scripts())
        checks.append(check_grading_sandbox(course))
    return checks


def render(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{'ok' if check.ok else 'PROBLEM':7}  {check.name:{width}}  {check.found}")
        if not check.ok:
            lines.append(f"{'':7}  {'':{width}}  fix: {check.fix}")
    problems = sum(not check.ok for check in checks)
    lines.append(
        "ready." if not problems else f"{problems} problem(s): run the fixes above, then run this again."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="korea-nato doctor", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--course-dir", type=Path, default=Path.cwd(), help="the folder you work in (default: .)"
    )
    parser.add_argument(
        "--student",
        action="store_true",
        help="a student's machine: check the install and a writable folder, not a course or grading",
    )
    args = parser.parse_args(argv)
    checks = run_checks(args.course_dir.resolve(), args.student)
    print(render(checks))
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
