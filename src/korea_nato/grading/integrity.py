"""Flag submitted notebooks that tamper with grading, for the instructor to look at.

nbgrader runs the tests in the student's own kernel, so code in a submission can rebind the
names the tests use, patch pandas or the builtins, change how IPython runs the test cells,
reach files outside its folder, exit the kernel or hang it. Our tests are written to resist
most of this (plain comparisons, values recomputed from fresh loader calls), grading runs in a
sandbox, and nbgrader restores locked and test cells before grading; this scan covers the rest
by reading the submission, never running it. It compares a submitted notebook with the
instructor's source notebook and reports:

- ``invalid-notebook``: not JSON, or not a valid notebook (nbgrader cannot grade it), or a
  file over 100 MB (reported, not read);
- ``renamed-notebook``: a file name nbgrader does not grade (``ps1-Copy1.ipynb``);
- ``missing-notebook``: a notebook of the assignment is absent from the submission folder;
- ``missing-metadata``: cells stripped of their nbgrader metadata (graded 0 without a word);
- ``missing-cell`` / ``duplicate-cell``: a graded, locked or answer cell deleted or copied;
- ``changed-cell``: a locked or test cell whose text or nbgrader metadata was edited;
- ``unparsable-cell``: a cell nbgrader runs as code that the scan cannot read (a syntax error,
  null bytes, code nested too deeply, a cell of more than 200,000 characters): read it by hand;
- ``monkeypatch``: assignment to attributes of pandas, numpy, the builtins and other shared
  modules (``pd.DataFrame.equals = ...``), ``setattr`` on them, or ``__builtins__``;
- ``comparison-override``: a class that redefines ``==``, truth or ``isinstance``;
- ``lying-equality``: a class (a ``class`` statement or ``type(name, bases, dict)``) that
  defines ``__eq__``, ``__ne__``, ``__hash__``, ``__str__``, ``__repr__`` or ``__bool__``, or
  subclasses a builtin value type or a pandas object, so it can pass for the value a test wants;
- ``rebinding``: a name set by a locked setup cell, or a builtin the tests call, bound anew
  (importing the same module under the same name again is not);
- ``ipython-hook``: code that changes how IPython runs later cells or what they show (input
  and AST transformers, ``run_cell``, ``showtraceback``, event hooks, ``sys.settrace``,
  ``sys.stdout`` or builtins replaced), or reads their source (``In``, ``_ih``, frames);
- ``file-access``: a path outside the submission folder (absolute, ``..``, ``~``, the course's
  ``gradebook.db``, ``nbgrader_config.py``, ``source/`` ...), ``sqlite3``, ``shutil``,
  ``os.remove`` and friends, and any file-system write through ``pathlib``;
- ``process-spawn``: ``subprocess``, ``os.system``, ``os.fork``, ``os.setsid``,
  ``multiprocessing``, ``pty``, ``socket``, ``!shell`` lines and ``%%bash``;
- ``shadow-module``: a file in the submission folder that Python could import instead of a
  real module (``pandas.py``, a package folder, a ``.pth`` file, ``sitecustomize``);
- ``process-exit``: ``os._exit``, ``sys.exit``, ``os.kill``, ``signal`` calls, ``raise SystemExit``;
- ``infinite-loop``: a ``while True`` loop with no ``break``;
- ``swallowed-interrupt``: ``except KeyboardInterrupt`` / ``except BaseException`` that
  does not re-raise, which stops nbgrader from interrupting a stuck cell;
- ``dynamic-code``: ``exec``, ``eval``, ``compile`` or ``__import__``, which can hide any of the above.

The scan never raises on a student's file: whatever it cannot read becomes a finding. Cells
nbgrader runs as code are read as code, markdown or raw cells with a code cell's grade id
included. A finding is a prompt to read the notebook, not a verdict. Use :func:`scan` for one
notebook, :func:`scan_submission_dir` for a student's assignment folder, or the command line::

    python -m korea_nato.grading.integrity submitted/*/ps2_drivers source/ps2_drivers
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path

import nbformat

from . import codescan

__all__ = ["KINDS", "Finding", "scan", "scan_submission_dir", "main"]

KINDS = (
    "invalid-notebook",
    "renamed-notebook",
    "missing-notebook",
    "missing-metadata",
    "missing-cell",
    "duplicate-cell",
    "changed-cell",
    "unparsable-cell",
    "monkeypatch",
    "comparison-override",
    "lying-equality",
    "rebinding",
    "ipython-hook",
    "file-access",
    "process-spawn",
    "shadow-module",
    "process-exit",
    "infinite-loop",
    "swallowed-interrupt",
    "dynamic-code",
)

HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
#: File endings Python imports as modules (``pandas.py``, ``pandas.cpython-311-x86_64-linux-gnu.so``).
IMPORTABLE_SUFFIXES = (".py", ".pyc", ".pyw", ".so", ".pyd")
STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize"})
#: Submitted notebooks larger than this are reported, not read (nbgrader's exchange refuses
#: files over 100 MB by default; reading one takes memory and time from the whole class).
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One thing an instructor should look at: its ``kind`` (one of :data:`KINDS`), the
    ``cell`` (a grade id, a cell index, or None for the whole notebook) and a ``detail``."""

    kind: str
    cell: str | int | None
    detail: str

    def __str__(self) -> str:
        where = "" if self.cell is None else f" [{self.cell}]"
        return f"{self.kind}{where}: {self.detail}"


# --- Reading notebooks -------------------------------------------------------------------------


def _read_source(path: Path) -> nbformat.NotebookNode:
    if not path.is_file():
        raise FileNotFoundError(f"source notebook {path} does not exist")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types
        raise ValueError(f"cannot read the source notebook {path}: {error}") from error


def _first_line(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "it is nested too deeply to read"
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return text or type(error).__name__


def _invalid(detail: str) -> Finding:
    return Finding("invalid-notebook", None, detail)


def _read_submitted(path: Path) -> tuple[nbformat.NotebookNode | None, Finding | None]:
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            mb, limit = size / 1024 / 1024, MAX_NOTEBOOK_BYTES // 1024 // 1024
            return None, _invalid(f"{path.name} is {mb:,.0f} MB, more than the scan reads ({limit} MB)")
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except OSError as error:
        return None, _invalid(f"{path.name} cannot be read ({_first_line(error)})")
    except UnicodeDecodeError as error:
        return None, _invalid(f"{path.name} is not valid JSON (not UTF-8 text: {error})")
    except Exception as error:  # JSONDecodeError, or RecursionError on deeply nested junk
        return None, _invalid(f"{path.name} is not valid JSON ({_first_line(error)})")
    try:
        with warnings.catch_warnings():  # nbformat warns about (and fixes) missing or repeated cell ids
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as error:  # nbformat's ValidationError, or a KeyError on a broken layout
        return None, _invalid(f"{path.name} is not a valid notebook ({_first_line(error)})")
    return nb, None


def _meta(cell) -> dict:
    """A cell's nbgrader metadata; ``{}`` when absent or not a mapping."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell) -> str | None:
    grade_id = _meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _text_of(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _released_text(source: str) -> str:
    """A source cell's text as students receive it: hidden-test regions removed (as nbgrader does)."""
    lines, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def _is_protected(cell) -> bool:
    """Locked and test cells, which nbgrader restores from the gradebook before grading."""
    meta = _meta(cell)
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


# --- Comparing cells with the source -------------------------------------------------------------


def _cell_findings(submitted, source) -> Iterator[Finding]:
    source_cells = {_grade_id(c): c for c in source.cells if _grade_id(c)}
    submitted_ids = [_grade_id(c) for c in submitted.cells if _grade_id(c)]
    if source_cells and not submitted_ids:
        yield Finding(
            "missing-metadata", None,
            "no cell carries nbgrader metadata: nbgrader cannot find the tests and scores the notebook 0",
        )
        return
    counts = Counter(submitted_ids)
    for grade_id in sorted(g for g, n in counts.items() if n > 1):
        yield Finding("duplicate-cell", grade_id, f"{counts[grade_id]} cells carry this grade id")
    unlabelled = {_normalised(_text_of(c)) for c in submitted.cells if not _grade_id(c)}
    submitted_cells = {_grade_id(c): c for c in submitted.cells if _grade_id(c)}
    for grade_id, original in source_cells.items():
        cell = submitted_cells.get(grade_id)
        released = _normalised(_released_text(_text_of(original)))
        if cell is None:
            if _is_protected(original) and released in unlabelled:
                yield Finding("missing-metadata", grade_id, "the cell is there, its nbgrader metadata is not")
            else:
                yield Finding("missing-cell", grade_id, f"the {original.cell_type} cell was deleted")
            continue
        if not _is_protected(original):
            continue
        if _normalised(_text_of(cell)) != released:
            yield Finding("changed-cell", grade_id, "the text of a locked or test cell was edited")
        changed = [
            key for key in ("grade", "solution", "locked", "points")
            if _meta(cell).get(key) != _meta(original).get(key)
        ]
        if changed:
            yield Finding("changed-cell", grade_id, f"nbgrader metadata changed: {', '.join(changed)}")


# --- Reading the student's code ------------------------------------------------------------------


def _source_code(source) -> list[tuple[dict, str]]:
    return [(_meta(c), _text_of(c)) for c in source.cells if c.get("cell_type") == "code"]


def _cells_run_as_code(submitted, source) -> Iterator[tuple[str | int, str, str]]:
    """``(where, text, note)`` for each submitted cell nbgrader will run as code and not restore.

    nbgrader gives a cell whose grade id is in the source the source cell's type (a solution
    cell turned into markdown or raw runs as code again), replaces locked and test cells by the
    source's text, and drops the grade ids it does not know.
    """
    source_types = {_grade_id(c): c.get("cell_type") for c in source.cells if _grade_id(c)}
    restored = {_grade_id(c) for c in source.cells if _grade_id(c) and _is_protected(c)}
    untouched = {_normalised(_released_text(_text_of(c))) for c in source.cells if _is_protected(c)}
    for index, cell in enumerate(submitted.cells):
        grade_id = _grade_id(cell)
        cell_type = cell.get("cell_type")
        runs_as = source_types.get(grade_id, cell_type) if grade_id else cell_type
        if runs_as != "code" or grade_id in restored:
            continue
        text = _text_of(cell)
        if _normalised(text) in untouched:
            continue
        note = "" if cell_type == "code" else f"(a {cell_type} cell that nbgrader runs as code) "
        yield (grade_id if grade_id is not None else index), text, note


def _student_code_findings(submitted, source) -> Iterator[Finding]:
    cells = list(_cells_run_as_code(submitted, source))
    notes = {where: note for where, _, note in cells}
    found = codescan.code_findings([(where, text) for where, text, _ in cells], _source_code(source))
    for kind, where, detail in found:
        yield Finding(kind, where, notes.get(where, "") + detail)


# --- Public interface ----------------------------------------------------------------------------


def scan(submitted: str | PathLike, source: str | PathLike) -> list[Finding]:
    """Findings for one submitted notebook, compared with the instructor's ``source`` notebook.

    Raises FileNotFoundError or ValueError when ``submitted`` is missing or ``source`` is not a
    readable notebook (that is the instructor's input, not the student's). Whatever is wrong
    with the submitted file itself is a finding, never an exception.
    """
    submitted, source = Path(submitted), Path(source)
    if not submitted.is_file():
        raise FileNotFoundError(f"submitted notebook {submitted} does not exist")
    original = _read_source(source)
    findings = []
    if submitted.name != source.name:
        detail = f"submitted as {submitted.name}, which nbgrader skips: it grades only {source.name}"
        findings.append(Finding("renamed-notebook", None, detail))
    nb, problem = _read_submitted(submitted)
    if problem is not None:
        return [*findings, problem]
    try:
        findings += _cell_findings(nb, original)
        findings += _student_code_findings(nb, original)
    except Exception as error:  # a bug in a rule must not hide the rest of the class
        findings.append(Finding(
            "unparsable-cell", None,
            f"the scan stopped reading {submitted.name} ({type(error).__name__}: {_first_line(error)}): "
            "read it by hand",
        ))
    return _unique(findings)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


@lru_cache(maxsize=1)
def _installed_modules() -> frozenset[str]:
    """Top-level names of the standard library and of every installed distribution."""
    from importlib.metadata import packages_distributions

    try:
        installed = set(packages_distributions())
    except Exception:  # a broken distribution's metadata must not stop the scan
        installed = set()
    return frozenset(installed | set(sys.stdlib_module_names))


def _shadow_detail(entry: Path) -> str | None:
    """Why Python could import ``entry`` (a file or folder beside the notebook), or None."""
    name = entry.name
    module = name.split(".")[0]
    if entry.is_dir():
        if not any((entry / f"__init__{suffix}").exists() for suffix in IMPORTABLE_SUFFIXES):
            return None
        what = f"the folder {name}/ is a Python package"
    elif name.endswith(".pth"):
        return f"{name} is a .pth file, which adds import paths or runs code when Python starts"
    elif name.endswith(IMPORTABLE_SUFFIXES) and module.isidentifier():
        what = f"{name} is a Python module"
    else:
        return None
    if module in STARTUP_MODULES:
        return f"{what} that Python runs at start-up ({module})"
    shadows = (
        f"instead of the installed module {module}" if module in _installed_modules() else "from this folder"
    )
    return f"{what}: `import {module}`, in the notebook or in the tests, would load it {shadows}"


def _shadow_findings(folder: Path) -> dict[str, list[Finding]]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        return {folder.name: [Finding("shadow-module", None, f"the folder cannot be listed ({error})")]}
    results = {}
    for entry in entries:
        try:
            detail = _shadow_detail(entry)
        except OSError as error:
            detail = f"{entry.name} cannot be read ({error}): look at it by hand"
        if detail:
            results[entry.name] = [Finding("shadow-module", None, detail)]
    return results


def scan_submission_dir(folder: str | PathLike, source_folder: str | PathLike) -> dict[str, list[Finding]]:
    """Findings for every notebook in a student's assignment folder, by file name.

    A notebook whose name is not in ``source_folder`` is reported as renamed and, when the
    assignment has one notebook, also compared with it; a source notebook with no submitted
    copy (renamed or not) is reported under its own name as ``missing-notebook``. A file or
    folder Python could import instead of a real module is reported under its own name as
    ``shadow-module``.
    """
    folder, source_folder = Path(folder), Path(source_folder)
    for path, role in ((folder, "submission"), (source_folder, "source")):
        if not path.is_dir():
            raise NotADirectoryError(f"{role} folder {path} does not exist")
    sources = {p.name: p for p in _notebooks(source_folder)}
    if not sources:
        raise ValueError(f"source folder {source_folder} holds no notebook")
    results, stand_ins = {}, set()
    for path in _notebooks(folder):
        if path.name in sources:
            results[path.name] = scan(path, sources[path.name])
        elif len(sources) == 1:  # a renamed copy of the one notebook: report it, and read it
            (only,) = sources.values()
            results[path.name] = scan(path, only)
            stand_ins.add(only.name)
        else:
            results[path.name] = [
                Finding("renamed-notebook", None, f"{path.name} is not one of {sorted(sources)}")
            ]
    for name in sources:
        if name not in results and name not in stand_ins:
            results[name] = [Finding("missing-notebook", None, f"{name} was not submitted")]
    for name, findings in _shadow_findings(folder).items():
        results.setdefault(name, []).extend(findings)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m korea_nato.grading.integrity",
        description="Flag submitted notebooks that tamper with grading. Exits 1 if anything is flagged.",
    )
    parser.add_argument("submitted", nargs="+", type=Path, help="a student's assignment folder (one or more)")
    parser.add_argument("source", type=Path, help="the assignment's folder in source/")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"source folder {args.source} does not exist")
    flagged = False
    for folder in args.submitted:
        try:
            results = scan_submission_dir(folder, args.source)
        except NotADirectoryError as error:
            parser.error(str(error))
        except ValueError as error:  # the instructor's source notebook: nothing can be scanned
            parser.error(str(error))
        except Exception as error:  # one folder that cannot be scanned does not stop the class
            flagged = True
            print(f"{folder}: the scan failed ({type(error).__name__}: {error}); read it by hand")
            continue
        for name, findings in results.items():
            for finding in findings:
                flagged = True
                print(f"{folder / name}: {finding}")
    if not flagged:
        print(f"no findings in {len(args.submitted)} folder(s)")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
