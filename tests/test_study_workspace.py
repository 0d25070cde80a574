"""``korea-nato study``: the student's own workspace, its updates, and the study server.

The course is a throw-away copy of this repository's ``lessons/``, ``release/`` and ``source/``,
so that a test can change it "upstream" the way a new version of the course would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_tools import (
    ARTIFACTS,
    PAGE_TIMEOUT_MS,
    JupyterServer,
    _stop,
    _wait_until_ready,
    chromium_browser,
    free_port,
    require_browser,
)
from korea_nato.study import workspace

REPO = Path(__file__).resolve().parent.parent
LESSON_EDITED = "lessons/01-the-argument.ipynb"
LESSON_UNTOUCHED = "lessons/02-short-term-drivers.ipynb"


@pytest.fixture
def course(tmp_path) -> Path:
    """A copy of the course that the test may change as a new release would."""
    root = tmp_path / "course"
    for name in ("lessons", "release", "source"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def append_to_first_cell(path: Path, text: str) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source = notebook["cells"][0]["source"]
    notebook["cells"][0]["source"] = ("".join(source) if isinstance(source, list) else source) + text
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def first_cell_text(path: Path) -> str:
    source = cells(path)[0]["source"]
    return "".join(source) if isinstance(source, list) else source


def test_a_new_workspace_holds_the_lessons_problem_sets_and_start_page_but_no_source(course, tmp_path):
    home = tmp_path / "ws"
    report = workspace.sync_workspace(home, course)
    names = {p.relative_to(home).as_posix() for p in home.rglob("*.ipynb")}
    expected = {p.relative_to(course).as_posix() for p in (course / "lessons").glob("*.ipynb")}
    expected |= {p.relative_to(course).as_posix() for p in (course / "release").rglob("*.ipynb")}
    assert names == expected | {"START-HERE.ipynb"}
    assert sorted(report.added) == sorted(names)
    assert not (home / "source").exists()
    solution_marker = "### BEGIN SOLUTION"
    assert not any(solution_marker in p.read_text(encoding="utf-8") for p in home.rglob("*.ipynb"))


def test_the_start_page_links_to_every_lesson_and_problem_set_relatively(course, tmp_path):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    text = first_cell_text(home / "START-HERE.ipynb")
    targets = [part.split(")")[0] for part in text.split("](")[1:]]
    lessons = len(list((course / "lessons").glob("*.ipynb")))
    problem_sets = len(list((course / "release").glob("*/*.ipynb")))
    assert len(targets) == lessons + problem_sets
    for target in targets:
        assert not target.startswith(("/", "http")), target
        assert (home / target).is_file(), f"the start page links to {target}, which is not in the workspace"


def test_an_update_replaces_untouched_files_and_keeps_edited_ones_with_the_new_version_beside(
    course, tmp_path
):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    append_to_first_cell(home / LESSON_EDITED, "\n\nMy own note.")
    for name in (LESSON_EDITED, LESSON_UNTOUCHED):
        append_to_first_cell(course / name, "\n\nA correction from the course.")

    report = workspace.sync_workspace(home, course)

    assert report.updated == [LESSON_UNTOUCHED]
    assert first_cell_text(home / LESSON_UNTOUCHED).endswith("A correction from the course.")
    assert list(report.kept) == [LESSON_EDITED]
    assert first_cell_text(home / LESSON_EDITED).endswith("My own note.")
    beside = home / report.kept[LESSON_EDITED]
    assert beside.name.startswith("01-the-argument.new-") and beside.suffix == ".ipynb"
    assert first_cell_text(beside).endswith("A correction from the course.")
    assert any(LESSON_EDITED in line and report.kept[LESSON_EDITED] in line for line in report.lines())

    again = workspace.sync_workspace(home, course)
    assert again.kept == {LESSON_EDITED: None}, "a second update must not put yet another copy beside"
    assert not again.updated and not again.added


def test_opening_or_running_a_notebook_is_not_a_change(course, tmp_path):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    notebook = json.loads((home / LESSON_UNTOUCHED).read_text(encoding="utf-8"))
    notebook["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    code["outputs"], code["execution_count"] = [{"output_type": "stream", "name": "stdout", "text": "x"}], 1
    (home / LESSON_UNTOUCHED).write_text(json.dumps(notebook), encoding="utf-8")
    append_to_first_cell(course / LESSON_UNTOUCHED, "\n\nA correction from the course.")

    report = workspace.sync_workspace(home, course)

    assert report.updated == [LESSON_UNTOUCHED] and not report.kept


def test_a_deleted_file_is_restored_and_a_file_the_course_dropped_goes_unless_changed(course, tmp_path):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    (home / LESSON_UNTOUCHED).unlink()
    append_to_first_cell(home / LESSON_EDITED, "\n\nMy own note.")
    (course / LESSON_EDITED).unlink()
    (course / "lessons/05-reading-a-damaged-source.ipynb").unlink()

    report = workspace.sync_workspace(home, course)

    assert report.restored == [LESSON_UNTOUCHED] and (home / LESSON_UNTOUCHED).is_file()
    assert report.removed == ["lessons/05-reading-a-damaged-source.ipynb"]
    assert not (home / "lessons/05-reading-a-damaged-source.ipynb").exists()
    assert report.kept == {LESSON_EDITED: None} and (home / LESSON_EDITED).is_file()


def test_a_students_own_file_where_the_course_adds_one_is_kept(course, tmp_path):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    (home / "lessons/07-extra.ipynb").write_text('{"cells": [], "nbformat": 4, "nbformat_minor": 5}')
    shutil.copy(course / LESSON_UNTOUCHED, course / "lessons/07-extra.ipynb")

    report = workspace.sync_workspace(home, course)

    assert list(report.kept) == ["lessons/07-extra.ipynb"]
    assert cells(home / "lessons/07-extra.ipynb") == []
    assert cells(home / report.kept["lessons/07-extra.ipynb"]) == cells(course / LESSON_UNTOUCHED)


def run_study(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "korea_nato.cli", "study", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_command_says_what_it_did_and_refuses_a_workspace_inside_the_course(course, tmp_path):
    home = tmp_path / "home"
    first = run_study("--no-server", "--course", str(course), home=home)
    assert first.returncode == 0, first.stderr
    assert f"Created your workspace {home / 'korea-nato'}" in first.stdout
    assert "added     lessons/01-the-argument.ipynb" in first.stdout

    second = run_study("--no-server", "--course", str(course), home=home)
    assert "everything is up to date" in second.stdout

    inside = run_study(str(course / "mine"), "--no-server", "--course", str(course), home=home)
    assert inside.returncode == 1
    assert "must be outside the course repository" in inside.stderr
    assert not (course / "mine").exists()


def test_a_damaged_manifest_is_reported_and_nothing_is_lost(course, tmp_path):
    home = tmp_path / "ws"
    workspace.sync_workspace(home, course)
    append_to_first_cell(home / LESSON_EDITED, "\n\nMy own note.")
    (home / ".korea-nato/manifest.json").write_text("{not json")
    with pytest.raises(workspace.StudyError, match="damaged"):
        workspace.sync_workspace(home, course)
    assert first_cell_text(home / LESSON_EDITED).endswith("My own note.")


def test_the_server_command_adds_allow_root_only_as_root(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--allow-root" in workspace.server_command(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    command = workspace.server_command(tmp_path, notebook=True, open_browser=False, port=9999)
    assert "--allow-root" not in command
    assert command[2] == "notebook" and "--no-browser" in command and "--port=9999" in command


def test_the_server_config_is_private_and_leaves_the_users_config_path_in_place(tmp_path):
    env = workspace.server_env(tmp_path, {"JUPYTER_CONFIG_PATH": "/etc/mine"})
    private = str(workspace.server_config_dir(tmp_path))
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [private, "/etc/mine"]
    assert "JUPYTER_CONFIG_DIR" not in env


# --------------------------------------------------------------------------------------------
# The study server in a real browser
# --------------------------------------------------------------------------------------------

STUDY_ARTIFACTS = ARTIFACTS.parent / "study"


@pytest.mark.slow
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_the_study_server_hides_the_instructors_tools_and_opens_a_lesson_from_the_start_page(
    course, tmp_path, ui
):
    require_browser()
    home, port, token = tmp_path / "home", free_port(), secrets.token_hex(16)
    jupyter = tmp_path / "jupyter"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    env.update(
        HOME=str(home),
        JUPYTER_TOKEN=token,
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
        IPYTHONDIR=str(jupyter / "ipython"),
    )
    args = ["--no-browser", f"--port={port}", "--course", str(course)] + (
        ["--notebook"] if ui == "notebook" else []
    )
    log_path = tmp_path / "study.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "korea_nato.cli", "study", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ws = home / "korea-nato"
    server = JupyterServer(ws, port, token, process, log_path)
    try:
        _wait_until_ready(server, timeout_s=90)
        assert not (ws / "source").exists()
        page_config = json.loads((ws / ".korea-nato/jupyter-config/labconfig/page_config.json").read_text())
        assert "@jupyter/nbgrader:formgrader" in page_config["disabledExtensions"]
        with chromium_browser() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            start = "/lab/tree/START-HERE.ipynb" if ui == "lab" else "/notebooks/START-HERE.ipynb"
            page.goto(server.url(start), wait_until="domcontentloaded")
            link = page.locator(".jp-RenderedMarkdown a", has_text="01. The argument").first
            link.wait_for()
            STUDY_ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(STUDY_ARTIFACTS / f"{ui}-start-page.png"))

            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
            page.wait_for_timeout(1000)  # the menu opens at once; an empty one never shows
            items = " ".join(page.locator(".lm-Menu-content:visible").all_inner_texts())
            page.screenshot(path=str(STUDY_ARTIFACTS / f"{ui}-nbgrader-menu.png"))
            page.keyboard.press("Escape")
            if ui == "lab":
                assert "Assignment List" in items
            for hidden in ("Formgrader", "Course List"):
                assert hidden not in items, f"the study server's Nbgrader menu shows {hidden!r}: {items!r}"
            body = page.locator("body").inner_text()
            assert "Create Assignment" not in body

            link.click()
            lesson_page = _page_showing(page, ".jp-RenderedMarkdown h1", "01. The argument")
            lesson_page.locator(".jp-Toolbar-kernelName:visible", has_text="Python 3").first.wait_for(
                timeout=90_000
            )
            lesson_page.screenshot(path=str(STUDY_ARTIFACTS / f"{ui}-lesson-01.png"))
            assert "Create Assignment" not in lesson_page.locator("body").inner_text()
    finally:
        _stop(process)


def _page_showing(page, selector: str, text: str, timeout_s: float = 60):
    """The tab (this one, or one a link opened) that shows ``selector`` with ``text``."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for candidate in reversed(page.context.pages):
            if candidate.locator(f"{selector}:visible", has_text=text).count():
                candidate.set_default_timeout(PAGE_TIMEOUT_MS)
                return candidate
        page.wait_for_timeout(250)
    raise AssertionError(f"no tab shows {selector} with {text!r} after {timeout_s:g} s")
