"""The ``korea-nato`` command: ``study``, ``check`` and ``site`` (students), ``report``, ``doctor``."""

from __future__ import annotations

import sys

COMMANDS = {
    "study": (
        "korea_nato.study.workspace",
        "create or update your own copy of the course and open it in JupyterLab",
    ),
    "check": (
        "korea_nato.study.check",
        "grade a problem-set notebook as the instructor would, without showing hidden tests",
    ),
    "site": ("korea_nato.study.site", "build the course as a static website"),
    "report": (
        "korea_nato.grading.report",
        "grade report from the nbgrader gradebook (CSV for the LMS, charts)",
    ),
    "doctor": ("korea_nato.doctor", "check that this installation is ready for the course"),
}


def usage() -> str:
    lines = ["usage: korea-nato COMMAND [options]", "", "commands:"]
    lines += [f"  {name:8} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "korea-nato COMMAND --help shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand named first in ``argv`` with the rest of the arguments."""
    from importlib import import_module

    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"korea-nato: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return import_module(COMMANDS[command][0]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
