"""Repair a submission nbgrader cannot grade because an nbgrader cell id appears twice.

A student who copies a cell (even a locked instructions cell) gives two cells the same grade
id, and ``nbgrader autograde`` then fails on the whole notebook. Run, in the course directory::

    python -m korea_nato.grading.repair dedupe submitted/<student>/<assignment>

and then regrade the student as the tool says
(``nbgrader autograde <assignment> --student <student> --force``).

Which copy keeps the id:

- a locked or test cell (nbgrader restores its text from the gradebook anyway): the first
  copy; later copies with the same text are removed, later copies the student edited are kept
  as ordinary cells (their nbgrader metadata removed);
- an answer cell: the cell the student was given (its cell id is the released one) if it
  holds an answer (text other than the released placeholder), else the first copy that holds
  an answer, else the first copy; every other copy is kept as an ordinary cell, so nothing the
  student wrote is lost. Check the kept answer when both copies hold different answers.

The original notebook is kept beside it as ``<name>.ipynb.bak`` (``.bak1``, ``.bak2``, ... if
that exists; a backup is never overwritten). ``--dry-run`` says what would change and writes
nothing.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Change", "dedupe_notebook", "dedupe_folder", "main"]

#: What nbgrader leaves in an answer cell it releases (its default ``code_stub`` and ``text_stub``).
PLACEHOLDERS = ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE")


@dataclass(frozen=True)
class Change:
    """One copy of a duplicated grade id and what was done with it."""

    grade_id: str
    index: int  # the cell's position in the submitted notebook
    action: str  # "kept", "removed" or "unlabelled"

    def __str__(self) -> str:
        what = {
            "kept": "keeps the id",
            "removed": "removed (an exact copy of the kept cell)",
            "unlabelled": "kept as an ordinary cell without nbgrader metadata",
        }[self.action]
        return f"grade id {self.grade_id!r}, cell {self.index}: {what}"


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell) -> str | None:
    grade_id = _meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def _is_protected(cell) -> bool:
    meta = _meta(cell)
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def released_cells(release: Path | None) -> dict[str, tuple[str, str | None]]:
    """``{grade_id: (normalised text, cell id)}`` of the released notebook, if it is at hand."""
    if release is None or not release.is_file():
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = nbformat.read(release, as_version=4)
    return {_grade_id(c): (_normalised(c.source), c.get("id")) for c in nb.cells if _grade_id(c)}


def _holds_answer(cell, released: dict) -> bool:
    text = _normalised(cell.source)
    placeholders = {_normalised(p) for p in PLACEHOLDERS}
    if _grade_id(cell) in released:
        placeholders.add(released[_grade_id(cell)][0])
    return bool(text) and text not in placeholders


def _answer_to_keep(nb, grade_id: str, indexes: list[int], released: dict) -> int:
    answered = [i for i in indexes if _holds_answer(nb.cells[i], released)]
    given_id = released.get(grade_id, ("", None))[1]
    given = [i for i in answered if given_id is not None and nb.cells[i].get("id") == given_id]
    return (given or answered or indexes)[0]


def dedupe_notebook(nb, released: dict | None = None) -> tuple[nbformat.NotebookNode, list]:
    """A copy of ``nb`` in which each grade id is on one cell, and what was changed (see the module doc).

    ``released``: :func:`released_cells` of the released notebook (without it, nbgrader's
    default placeholders tell an answer from none, and no copy is known as the original)."""
    released = released or {}
    nb = copy.deepcopy(nb)
    copies: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        grade_id = _grade_id(cell)
        if grade_id:
            copies.setdefault(grade_id, []).append(index)
    changes, remove = [], set()
    for grade_id, indexes in copies.items():
        if len(indexes) < 2:
            continue
        cells = [nb.cells[i] for i in indexes]
        if any(_is_protected(c) for c in cells):
            keep = indexes[0]
        else:
            keep = _answer_to_keep(nb, grade_id, indexes, released)
        kept_text = _normalised(nb.cells[keep].source)
        for index in indexes:
            cell = nb.cells[index]
            if index == keep:
                changes.append(Change(grade_id, index, "kept"))
            elif _is_protected(nb.cells[keep]) and _normalised(cell.source) == kept_text:
                remove.add(index)
                changes.append(Change(grade_id, index, "removed"))
            else:
                del cell.metadata["nbgrader"]
                changes.append(Change(grade_id, index, "unlabelled"))
    nb.cells = [cell for index, cell in enumerate(nb.cells) if index not in remove]
    return nb, sorted(changes, key=lambda c: (c.grade_id, c.index))


def _backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{number}")
        number += 1
    return candidate


def dedupe_folder(folder: Path, release_folder: Path | None = None, dry_run: bool = False
                  ) -> dict[str, tuple[list[Change], Path | None]]:
    """Dedupe every notebook in a student's assignment folder: ``{name: (changes, backup)}``.

    Raises ValueError, naming the file, for a notebook that cannot be read (nothing is written).
    """
    if not folder.is_dir():
        raise NotADirectoryError(f"submission folder {folder} does not exist")
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"{folder} holds no notebook")
    results = {}
    for path in notebooks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = nbformat.read(path, as_version=4)
        except Exception as error:  # not JSON, not a notebook: another problem, not a duplicate
            raise ValueError(f"cannot read {path} ({error}): it is not a valid notebook") from error
        release = release_folder / path.name if release_folder else None
        fixed, changes = dedupe_notebook(nb, released_cells(release))
        backup = None
        if changes and not dry_run:
            backup = _backup_path(path)
            shutil.copy2(path, backup)
            nbformat.write(fixed, path)
        results[path.name] = (changes, backup)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m korea_nato.grading.repair",
        description="Repair submissions nbgrader cannot grade: 'dedupe' leaves each cell id on one cell.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dedupe = commands.add_parser("dedupe", help="leave each nbgrader grade id on one cell (backup kept)")
    dedupe.add_argument("folder", type=Path, help="a student's folder: submitted/<student>/<assignment>")
    dedupe.add_argument(
        "--release", type=Path, help="the assignment's release/ folder (default: COURSE/release/ASSIGNMENT)"
    )
    dedupe.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    args = parser.parse_args(argv)
    folder = args.folder
    assignment, student = folder.resolve().name, folder.resolve().parent.name
    course = folder.resolve().parents[2] if len(folder.resolve().parents) > 2 else folder.resolve()
    release = args.release or course / "release" / assignment
    try:
        results = dedupe_folder(folder, release, dry_run=args.dry_run)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    changed = False
    for name, (changes, backup) in results.items():
        if not changes:
            print(f"{folder / name}: no grade id appears twice; nothing to do")
            continue
        changed = True
        for change in changes:
            print(f"{folder / name}: {change}")
        print(f"{folder / name}: " + (f"original kept as {backup}" if backup else "dry run, nothing written"))
    if changed and not args.dry_run:
        print(f"now regrade: nbgrader autograde {assignment} --student {student} --force")
    return 0


if __name__ == "__main__":
    sys.exit(main())
