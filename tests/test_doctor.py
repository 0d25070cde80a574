"""``korea-nato doctor`` says whether an installation is ready, and gives the fix for each problem.

Problems are made for real where that is cheap and safe: an extension disabled with
``jupyter labextension disable --level=user`` in a throw-away ``JUPYTER_CONFIG_DIR``, a
``python3`` kernelspec in a throw-away ``JUPYTER_DATA_DIR`` whose Python cannot import the
module. Nothing outside the test's temporary folders is changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from korea_nato import doctor


@pytest.fixture
def jupyter_home(tmp_path, monkeypatch):
    """Empty user-level Jupyter config and data folders, for this process and its children."""
    env = {}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = tmp_path / name.lower()
        path.mkdir()
        monkeypatch.setenv(name, str(path))
        env[name] = str(path)
    return env


def run_doctor(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "korea_nato.cli", "doctor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_ready_installation_passes_every_check_and_shows_the_versions(tmp_path, jupyter_home):
    course = course_with(tmp_path)
    result = run_doctor("--course-dir", str(course), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "ready."
    for package in ("korea-nato", "jupyterlab", "nbgrader", "pandas", "ipywidgets", "matplotlib"):
        assert ["ok", package, metadata.version(package)] in [line.split() for line in lines]
    assert any(line.startswith("ok") and "imports korea_nato" in line for line in lines)
    assert any(line.startswith("ok") and "nbgrader and alembic on PATH" in line for line in lines)


@pytest.mark.slow
def test_outside_a_course_the_doctor_fails_and_says_where_to_run_it(tmp_path, jupyter_home):
    result = run_doctor(cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    (problem,) = [i for i, line in enumerate(lines) if line.startswith("PROBLEM")]
    assert lines[problem].split()[1:3] == ["course", "directory"]
    assert f"{tmp_path} is not a course directory: it has no nbgrader_config.py" in lines[problem]
    assert "korea-nato doctor --student" in lines[problem + 1]


@pytest.mark.slow
def test_a_student_machine_needs_no_course(tmp_path, jupyter_home):
    result = run_doctor("--student", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "ready."
    assert "alembic" not in result.stdout and "grading sandbox" not in result.stdout


def test_without_alembic_on_path_the_doctor_fails_with_the_fix(tmp_path, monkeypatch):
    """nbgrader starts ``alembic`` from PATH to open a gradebook: a PATH without it is a problem."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: nothing can be found
    check = doctor.check_console_scripts()
    assert not check.ok
    assert check.found.startswith("not on PATH: nbgrader, alembic")
    scripts = Path(sys.executable).parent
    if (scripts / "alembic").exists():  # installed, just not on PATH: the fix puts it there
        assert str(scripts) in check.fix


def test_with_nbgrader_and_alembic_on_path_the_check_asks_alembic_as_nbgrader_does(monkeypatch):
    scripts = Path(sys.executable).parent
    if not (scripts / "alembic").exists():
        pytest.skip("alembic is installed elsewhere than beside this Python")
    monkeypatch.setenv("PATH", f"{scripts}:/usr/bin:/bin")
    check = doctor.check_console_scripts()
    assert check.ok, check.found
    assert f"({scripts / 'alembic'}; gradebook schema " in check.found


def test_an_alembic_that_fails_is_a_problem(tmp_path, monkeypatch):
    fake = tmp_path / "alembic"
    fake.write_text("#!/bin/sh\necho 'broken install' >&2\nexit 1\n")
    fake.chmod(0o755)
    (tmp_path / "nbgrader").symlink_to(fake)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    check = doctor.check_console_scripts()
    assert not check.ok and check.found.startswith(f"alembic ({fake}) fails as nbgrader runs it")


@pytest.mark.slow
def test_a_problem_gives_exit_status_1_and_its_fix(tmp_path, jupyter_home):
    missing = tmp_path / "no-such-course"
    result = run_doctor("--course-dir", str(missing), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    problem = lines.index(next(line for line in lines if line.startswith("PROBLEM")))
    assert f"{missing} does not exist" in lines[problem]
    assert lines[problem + 1].split() == ["fix:", "mkdir", "-p", str(missing), "(or", "pass", "--course-dir)"]
    assert lines[-1] == "1 problem(s): run the fixes above, then run this again."


@pytest.mark.slow
def test_a_disabled_widget_extension_is_a_problem_and_disabled_instructor_plugins_are_not(jupyter_home):
    for name in ("@jupyter-widgets/jupyterlab-manager", "@jupyter/nbgrader:formgrader"):
        subprocess.run(
            ["jupyter", "labextension", "disable", "--level=user", name],
            check=True,
            capture_output=True,
            timeout=120,
        )
    installed, disabled = doctor.lab_extensions()
    widgets = doctor.check_lab_extension(doctor.WIDGETS_LAB, "jupyterlab_widgets", installed, disabled)
    nbgrader = doctor.check_lab_extension(doctor.NBGRADER_LAB, "nbgrader", installed, disabled)
    assert (widgets.ok, widgets.found) == (False, "disabled")
    assert widgets.fix == "jupyter labextension enable --level=user @jupyter-widgets/jupyterlab-manager"
    assert (nbgrader.ok, nbgrader.found) == (True, "enabled; plugins disabled here: formgrader")


def test_an_extension_that_is_not_installed_is_a_problem_with_a_reinstall_fix():
    check = doctor.check_lab_extension(doctor.WIDGETS_LAB, "jupyterlab_widgets", set(), {})
    assert not check.ok
    assert check.fix == 'python -m pip install --force-reinstall "jupyterlab_widgets"'


@pytest.mark.slow
def test_a_kernel_that_cannot_import_the_module_is_a_problem(jupyter_home, tmp_path, monkeypatch):
    # A python3 kernelspec that hides korea_nato, as a kernel from another Python would.
    launcher = "import sys; sys.modules['korea_nato'] = None; from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    spec = {
        "argv": [sys.executable, "-c", launcher, "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }
    folder = doctor_kernel_folder(tmp_path, monkeypatch)
    (folder / "kernel.json").write_text(json.dumps(spec))
    check = doctor.check_kernel(timeout=60)
    assert not check.ok
    assert check.found.startswith("cannot import korea_nato (ModuleNotFoundError")
    assert (
        check.fix
        == f"install the module into the kernel's Python: {sys.executable} -m pip install -e <repository>"
    )


def doctor_kernel_folder(tmp_path, monkeypatch):
    """A kernelspec folder that Jupyter searches first: on JUPYTER_PATH.

    (Not the user data folder: inside a virtual environment Jupyter prefers the environment's
    own kernelspecs to the user's.)
    """
    folder = tmp_path / "jupyter-path" / "kernels" / "python3"
    folder.mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter-path"))
    return folder


def test_the_course_directory_must_be_a_writable_folder(tmp_path, monkeypatch):
    assert doctor.check_course_dir(tmp_path, student=True).ok
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    assert doctor.check_course_dir(a_file).found == f"{a_file} is not a directory"

    def refuse(*args, **kwargs):  # root may write anywhere, so refuse the way a read-only folder does
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(doctor.tempfile, "NamedTemporaryFile", refuse)
    check = doctor.check_course_dir(tmp_path, student=True)
    assert check.found == f"{tmp_path} is not writable (Permission denied)"
    assert check.fix.startswith(f"chmod u+w {tmp_path}")


def test_an_old_package_is_a_problem_with_an_upgrade_fix(monkeypatch):
    monkeypatch.setattr(doctor.metadata, "version", lambda name: "2.1.0")
    check = doctor.check_package("pandas", "2.2")
    assert (check.found, check.fix) == ("2.1.0, older than 2.2", 'python -m pip install -U "pandas>=2.2"')


REPO = Path(__file__).resolve().parents[1]


def course_with(tmp_path, extra: str = "") -> Path:
    """A course folder with this repository's nbgrader_config.py, plus ``extra`` lines."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text() + extra)
    return course


def test_the_doctor_says_grading_will_be_sandboxed_where_bubblewrap_works(tmp_path):
    from sandbox_tools import require_sandbox

    require_sandbox()
    check = doctor.check_grading_sandbox(course_with(tmp_path))
    assert check.ok and check.found.startswith("every autograded kernel runs in bubblewrap")
    assert "forked from a sandboxed fork server" in check.found


def test_the_doctor_says_when_each_kernel_gets_its_own_bubblewrap(tmp_path):
    from sandbox_tools import require_sandbox

    require_sandbox()
    (tmp_path / "own").mkdir()
    course = course_with(tmp_path / "own", "\nc.SandboxKernelManager.fork_server = False\n")
    check = doctor.check_grading_sandbox(course)
    assert check.ok and "each started in its own bubblewrap" in check.found


def test_without_bubblewrap_the_doctor_names_the_fix(tmp_path, monkeypatch):
    from korea_nato.grading import sandbox

    monkeypatch.setattr(
        sandbox, "sandbox_problem", lambda: "bubblewrap (`bwrap`) is not installed: " + sandbox.INSTALL_HINT
    )
    check = doctor.check_grading_sandbox(course_with(tmp_path))
    assert check.found == "grading will refuse to start"
    assert "apt-get install bubblewrap" in check.fix


def test_an_explicit_opt_out_is_reported_as_unsandboxed(tmp_path, monkeypatch):
    from korea_nato.grading import sandbox

    monkeypatch.setattr(sandbox, "sandbox_problem", lambda: "no bubblewrap; install it")
    check = doctor.check_grading_sandbox(
        course_with(tmp_path, "\nc.SandboxKernelManager.allow_unsandboxed = True\n")
    )
    assert check.ok and check.found.startswith("UNSANDBOXED by choice")


def test_a_course_config_without_the_sandbox_is_a_problem(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    check = doctor.check_grading_sandbox(course)
    assert check.found == "this course's nbgrader_config.py runs kernels unsandboxed"
    assert "GuardedExecute" in check.fix


def test_a_folder_without_nbgrader_config_is_not_a_course(tmp_path):
    check = doctor.check_course_dir(tmp_path)
    assert not check.ok and "has no nbgrader_config.py" in check.found
    assert doctor.check_course_dir(course_with(tmp_path)).ok


def test_outside_a_course_the_sandbox_is_not_checked(tmp_path):
    check = doctor.check_grading_sandbox(tmp_path)
    assert check.ok and check.found.startswith("not a course directory")
