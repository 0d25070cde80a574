"""``korea-nato study [PATH]``: the student's own workspace, created or updated, opened in JupyterLab.

The workspace (default ``~/korea-nato/``) holds copies of the course's ``lessons/`` and the
student versions of its problem sets (``release/``), never ``source/``, plus a generated start
page, ``START-HERE.ipynb``, that links to every lesson and problem set. Students work in these
copies, so the course repository itself is never modified and ``git pull`` never conflicts.

Updating follows the merge rules of nbgitpuller (the tool JupyterHub courses use to hand out
material), with one difference: where nbgitpuller merges, we never merge inside a notebook.

- A file the student never changed is replaced by the new version ("updated").
- A file the student changed is kept as it is; if the course changed it too, the new version is
  written beside it as ``NAME.new-YYYYMMDD-HHMMSS.ipynb`` ("kept").
- A file the student deleted is restored from the course, as nbgitpuller does ("restored").
- A file new in the course is copied in ("added"); if the student already has a file of that
  name, theirs is kept and the course's is put beside it.
- A file the course dropped is deleted if the student never changed it, else kept.

"Changed" means a cell's type or source differs from the copy last handed out: opening a
notebook, running it, or saving its outputs does not count as a change (JupyterLab rewrites a
notebook's metadata as soon as it opens it). What was handed out is recorded, with hashes, in
``.korea-nato/manifest.json`` inside the workspace.

The server it starts shows the student's nbgrader tools (assignment list, Validate) and hides
the instructor's (formgrader, create assignment, course list) for that server only: a private
Jupyter config directory is put first on ``JUPYTER_CONFIG_PATH``, so the user's own settings
still apply and nothing global is changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import korea_nato

DEFAULT_WORKSPACE = Path("~/korea-nato")
STATE_DIR = ".korea-nato"
MANIFEST = "manifest.json"
START_PAGE = "START-HERE.ipynb"
#: Folders of the course copied into the workspace. ``source/`` (solutions) never is.
COPIED_FOLDERS = ("lessons", "release")
NEW_VERSION_PATTERN = "{stem}.new-{stamp}{suffix}"

#: nbgrader's instructor tools, hidden from the study server: front-end plugins and server extensions.
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
#: JupyterLab's news toast asks an outside server; the study server does without it.
QUIET_LAB_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)


class StudyError(Exception):
    """A problem the student can fix; its message says how."""


# --------------------------------------------------------------------------------------------
# Where the course is
# --------------------------------------------------------------------------------------------


def find_course(start: Path | None = None) -> Path:
    """The course repository this package was installed from (a folder with ``lessons/`` and ``release/``)."""
    here = Path(start or korea_nato.__file__).resolve()
    for folder in [here, *here.parents]:
        if all((folder / name).is_dir() for name in COPIED_FOLDERS):
            return folder
    raise StudyError(
        "the course's lessons/ and release/ folders were not found beside the installed package "
        f"({Path(korea_nato.__file__).parent}). Install the module from its repository with "
        "`python -m pip install -e .`, or name the repository with --course DIR."
    )


def check_course(course: Path) -> Path:
    course = Path(course).expanduser().resolve()
    missing = [name for name in COPIED_FOLDERS if not (course / name).is_dir()]
    if missing:
        raise StudyError(f"{course} is not the course repository: it has no {' or '.join(missing)}/ folder")
    return course


def course_notebooks(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            yield path


def course_files(course: Path) -> dict[str, bytes]:
    """What the workspace should hold: ``{relative path: content}``, the start page included."""
    files = {}
    for name in COPIED_FOLDERS:
        for path in course_notebooks(course / name):
            files[path.relative_to(course).as_posix()] = path.read_bytes()
    files[START_PAGE] = start_page(course).encode("utf-8")
    return files


# --------------------------------------------------------------------------------------------
# The start page
# --------------------------------------------------------------------------------------------


def notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, without its ``#``; the file name if it has none."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return path.stem
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in (source if isinstance(source, str) else "".join(source)).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return path.stem


def course_plan_links(
    course: Path, *, suffix: str = ".ipynb", download_problem_sets: bool = False, from_folder: str = "."
) -> str:
    """Markdown lists linking to every lesson and problem set, relative to ``from_folder`` of the course."""

    def link(path: Path, new_suffix: str) -> str:
        return Path(os.path.relpath(path.with_suffix(new_suffix), course / from_folder)).as_posix()

    lines = ["## Lessons", ""]
    for path in course_notebooks(course / "lessons"):
        lines.append(f"- [{notebook_title(path)}]({link(path, suffix)})")
    lines += ["", "## Problem sets", ""]
    for path in course_notebooks(course / "release"):
        target = link(path, ".ipynb")
        note = " (download the notebook)" if download_problem_sets else ""
        lines.append(f"- [{notebook_title(path)}]({target}){note}")
    return "\n".join(lines) + "\n"


def _lesson_metadata(course: Path) -> dict:
    """The notebook metadata the course's lessons carry (so that JupyterLab need not rewrite it)."""
    default = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    for path in course_notebooks(course / "lessons"):
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("metadata") or default
        except (OSError, ValueError):
            continue
    return default


def start_page(course: Path) -> str:
    """The workspace's start page, a notebook of one Markdown cell, as JSON text."""
    intro = (
        "# Your Korea–NATO workspace\n\n"
        "These are your own copies of the course: work in them freely. Run `korea-nato study` again "
        "to get a newer version of the course; it never overwrites a notebook you changed (the new "
        "version is put beside it as `NAME.new-DATE-TIME.ipynb`).\n\n"
        "Begin with the course plan, the first lesson below, for the order and the timings. "
        "To see how a problem set would be graded, run `korea-nato check release/NAME/NAME.ipynb` "
        "in a terminal.\n\n"
    )
    notebook = {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "start-here",
                "metadata": {},
                "source": intro + course_plan_links(course),
            }
        ],
        "metadata": _lesson_metadata(course),
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# Hashes and the manifest
# --------------------------------------------------------------------------------------------


def content_hash(data: bytes, name: str) -> str:
    """A hash of what the student can change: for a notebook, its cells' types and sources only."""
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(data.decode("utf-8")).get("cells", [])
            essence = [
                [cell.get("cell_type"), "".join(s) if isinstance(s := cell.get("source", ""), list) else s]
                for cell in cells
            ]
            data = json.dumps(essence, ensure_ascii=False).encode("utf-8")
        except (UnicodeDecodeError, ValueError, AttributeError):
            pass  # not a readable notebook: the raw bytes are what counts
    return hashlib.sha256(data).hexdigest()


def read_manifest(workspace: Path) -> dict[str, str]:
    path = workspace / STATE_DIR / MANIFEST
    if not path.exists():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        return {str(name): str(digest) for name, digest in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise StudyError(
            f"{path} is damaged ({error}); delete it and run again: every notebook you have will be "
            "kept and the course's version put beside any that differ"
        ) from error


def write_manifest(workspace: Path, course: Path, files: dict[str, str]) -> None:
    state = workspace / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    record = {
        "what": "the course files korea-nato study last handed out here, with content hashes",
        "course": str(course),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": dict(sorted(files.items())),
    }
    temporary = state / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    temporary.replace(state / MANIFEST)


# --------------------------------------------------------------------------------------------
# Creating and updating
# --------------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What an update did, file by file (paths relative to the workspace)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    kept: dict[str, str | None] = field(default_factory=dict)  # path -> new version beside it, if any
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for label, names in (("added", self.added), ("updated", self.updated), ("restored", self.restored)):
            out += [f"  {label:9} {name}" for name in names]
        for name, beside in self.kept.items():
            if beside:
                out.append(f"  kept      {name} (yours; the course's new version is beside it: {beside})")
            else:
                out.append(f"  kept      {name} (yours, changed by you)")
        out += [
            f"  removed   {name} (no longer in the course; you had not changed it)" for name in self.removed
        ]
        return out


def _new_version_name(workspace: Path, relative: str) -> str:
    path = Path(relative)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = NEW_VERSION_PATTERN.format(stem=path.stem, stamp=stamp, suffix=path.suffix)
    candidate, n = path.with_name(name), 1
    while (workspace / candidate).exists():
        n += 1
        candidate = path.with_name(
            NEW_VERSION_PATTERN.format(stem=path.stem, stamp=f"{stamp}-{n}", suffix=path.suffix)
        )
    return candidate.as_posix()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".korea-nato-tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def check_workspace_path(workspace: Path, course: Path) -> Path:
    workspace = Path(workspace).expanduser().resolve()
    if workspace.exists() and not workspace.is_dir():
        raise StudyError(f"{workspace} is a file, not a folder: name another folder for the workspace")
    if workspace == course or course in workspace.parents or workspace in course.parents:
        raise StudyError(
            f"the workspace {workspace} must be outside the course repository {course} "
            "(so that your work and the course's files never mix): name another folder"
        )
    return workspace


def sync_workspace(workspace: Path, course: Path) -> SyncReport:
    """Create or update ``workspace`` from ``course`` by the rules in this module's docstring."""
    course = check_course(course)
    workspace = check_workspace_path(workspace, course)
    workspace.mkdir(parents=True, exist_ok=True)
    handed_out = read_manifest(workspace)
    upstream = course_files(course)
    report, record = SyncReport(), {}

    for name, data in upstream.items():
        target = workspace / name
        new_hash = content_hash(data, name)
        record[name] = new_hash
        if not target.exists():
            _write(target, data)
            (report.restored if name in handed_out else report.added).append(name)
            continue
        local_hash = content_hash(target.read_bytes(), name)
        old_hash = handed_out.get(name)
        if local_hash == new_hash:
            report.unchanged.append(name)
        elif local_hash == old_hash:
            _write(target, data)
            report.updated.append(name)
        elif old_hash == new_hash:
            report.kept[name] = None  # the student's change; the course has nothing new
        else:
            beside = _new_version_name(workspace, name)
            _write(workspace / beside, data)
            report.kept[name] = beside

    for name in sorted(set(handed_out) - set(upstream)):
        target = workspace / name
        if not target.exists():
            continue
        if content_hash(target.read_bytes(), name) == handed_out[name]:
            target.unlink()
            report.removed.append(name)
        else:
            report.kept[name] = None

    write_manifest(workspace, course, record)
    write_server_config(workspace)
    return report


# --------------------------------------------------------------------------------------------
# The study server
# --------------------------------------------------------------------------------------------


def server_config_dir(workspace: Path) -> Path:
    return Path(workspace) / STATE_DIR / "jupyter-config"


def write_server_config(workspace: Path) -> Path:
    """A Jupyter config directory that hides nbgrader's instructor tools (front end and server)."""
    config = server_config_dir(workspace)
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    disabled = dict.fromkeys(INSTRUCTOR_LAB_PLUGINS + QUIET_LAB_PLUGINS, True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": disabled}, indent=1) + "\n", encoding="utf-8"
    )
    server = {"ServerApp": {"jpserver_extensions": dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)}}
    (config / "jupyter_server_config.json").write_text(json.dumps(server, indent=1) + "\n", encoding="utf-8")
    return config


def server_env(workspace: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the study server: the private config first on ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ if base is None else base)
    paths = [str(server_config_dir(workspace))]
    if env.get("JUPYTER_CONFIG_PATH"):
        paths.append(env["JUPYTER_CONFIG_PATH"])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def server_command(
    workspace: Path, *, notebook: bool = False, open_browser: bool = True, port: int | None = None
) -> list[str]:
    """The ``jupyter lab`` (or Notebook 7) command that serves ``workspace`` and opens its start page."""
    command = [sys.executable, "-m", "notebook" if notebook else "jupyterlab", START_PAGE]
    command.append(f"--ServerApp.root_dir={workspace}")
    if not notebook:  # no news or update checks, no extension installs (Notebook 7 has none of these)
        command += [
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
    if not open_browser:
        command.append("--no-browser")
    if port is not None:
        command += [f"--port={port}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="korea-nato study",
        description="Create or update your own copy of the course and open it in JupyterLab.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=DEFAULT_WORKSPACE,
        help="your workspace folder (default: ~/korea-nato)",
    )
    parser.add_argument("--notebook", action="store_true", help="open Notebook 7 instead of JupyterLab")
    parser.add_argument(
        "--no-browser", action="store_true", help="start the server without opening a browser"
    )
    parser.add_argument(
        "--port", type=int, help="the port to serve on (default: Jupyter's, 8888 or the next free)"
    )
    parser.add_argument("--no-server", action="store_true", help="only create or update the workspace")
    parser.add_argument(
        "--course",
        type=Path,
        help="the course repository to copy from (default: the one this package is installed from)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        course = check_course(args.course) if args.course else find_course()
        workspace = check_workspace_path(args.path, course)
        fresh = not (workspace / STATE_DIR / MANIFEST).exists()
        report = sync_workspace(workspace, course)
    except (StudyError, OSError) as error:
        print(f"korea-nato study: {error}", file=sys.stderr)
        return 1
    print(f"{'Created' if fresh else 'Updated'} your workspace {workspace} from {course}:")
    lines = report.lines()
    print("\n".join(lines) if lines else "  everything is up to date")
    if args.no_server:
        return 0
    command = server_command(
        workspace, notebook=args.notebook, open_browser=not args.no_browser, port=args.port
    )
    print(
        f"Opening {START_PAGE} in {'Notebook 7' if args.notebook else 'JupyterLab'} (Ctrl-C twice stops it)."
    )
    sys.stdout.flush()
    try:
        return subprocess.call(command, cwd=workspace, env=server_env(workspace))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
