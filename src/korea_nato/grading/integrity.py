"""Flag submitted notebooks that tamper with grading, for the instructor to look at.

nbgrader runs the tests in the student's own kernel, so code in a submission can rebind the
names the tests use, patch pandas or the builtins, exit the kernel or hang it. Our tests are
written to resist most of this (plain comparisons, values recomputed from fresh loader calls),
and nbgrader restores locked and test cells before grading; this scan covers the rest by
reading the submission, never running it. It compares a submitted notebook with the
instructor's source notebook and reports:

- ``invalid-notebook``: not JSON, or not a valid notebook (nbgrader cannot grade it);
- ``renamed-notebook``: a file name nbgrader does not grade (``ps1-Copy1.ipynb``);
- ``missing-notebook``: a notebook of the assignment is absent from the submission folder;
- ``missing-metadata``: cells stripped of their nbgrader metadata (graded 0 without a word);
- ``missing-cell`` / ``duplicate-cell``: a graded, locked or answer cell deleted or copied;
- ``changed-cell``: a locked or test cell whose text or nbgrader metadata was edited;
- ``monkeypatch``: assignment to attributes of pandas, numpy, the builtins and other shared
  modules (``pd.DataFrame.equals = ...``), ``setattr`` on them, or ``__builtins__``;
- ``comparison-override``: a class that redefines ``==``, truth or ``isinstance``;
- ``rebinding``: a name set by a locked setup cell, or a builtin the tests call, bound anew;
- ``process-exit``: ``os._exit``, ``sys.exit``, ``os.kill``, ``signal`` calls, ``raise SystemExit``;
- ``infinite-loop``: a ``while True`` loop with no ``break``;
- ``swallowed-interrupt``: ``except KeyboardInterrupt`` / ``except BaseException`` that
  does not re-raise, which stops nbgrader from interrupting a stuck cell;
- ``dynamic-code``: ``exec``, ``eval``, ``compile`` or ``__import__``, which can hide any of the above.

A finding is a prompt to read the notebook, not a verdict. Use :func:`scan` for one notebook,
:func:`scan_submission_dir` for a student's assignment folder, or the command line::

    python -m korea_nato.grading.integrity submitted/*/ps2_drivers source/ps2_drivers
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import nbformat

__all__ = ["KINDS", "Finding", "scan", "scan_submission_dir", "main"]

KINDS = (
    "invalid-notebook",
    "renamed-notebook",
    "missing-notebook",
    "missing-metadata",
    "missing-cell",
    "duplicate-cell",
    "changed-cell",
    "monkeypatch",
    "comparison-override",
    "rebinding",
    "process-exit",
    "infinite-loop",
    "swallowed-interrupt",
    "dynamic-code",
)

#: Modules whose attributes a submission has no business reassigning.
PROTECTED_MODULES = frozenset(
    {
        "builtins", "pandas", "numpy", "korea_nato", "sys", "os", "re", "math", "operator",
        "functools", "collections", "datetime", "matplotlib", "nbgrader", "IPython",
        "ipykernel", "importlib", "inspect", "types", "unittest", "itertools",
    }
)
#: Attribute paths on those modules that ordinary code sets (display options, plot styles).
ALLOWED_SETTINGS = frozenset({"options", "rcParams"})
#: Special methods that decide comparisons, truth and type checks.
COMPARISON_METHODS = frozenset(
    {
        "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__hash__",
        "__instancecheck__", "__subclasscheck__",
    }
)
EXIT_CALLS = frozenset({"os._exit", "os.kill", "os.killpg", "os.abort", "sys.exit", "builtins.exit",
                        "builtins.quit", "exit", "quit"})
DYNAMIC_CALLS = frozenset({"exec", "eval", "compile", "__import__"})
INTERRUPT_CATCHERS = frozenset({"KeyboardInterrupt", "BaseException"})
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


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


def _read_submitted(path: Path) -> tuple[nbformat.NotebookNode | None, Finding | None]:
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, Finding("invalid-notebook", None, f"{path.name} is not valid JSON ({error})")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat's ValidationError, or a KeyError on a broken layout
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        return None, Finding("invalid-notebook", None, f"{path.name} is not a valid notebook ({message})")
    return nb, None


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


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
    source_cells = {_meta(c)["grade_id"]: c for c in source.cells if "grade_id" in _meta(c)}
    submitted_ids = [_meta(c)["grade_id"] for c in submitted.cells if "grade_id" in _meta(c)]
    if source_cells and not submitted_ids:
        yield Finding(
            "missing-metadata", None,
            "no cell carries nbgrader metadata: nbgrader cannot find the tests and scores the notebook 0",
        )
        return
    for grade_id in sorted({g for g in submitted_ids if submitted_ids.count(g) > 1}):
        count = submitted_ids.count(grade_id)
        yield Finding("duplicate-cell", grade_id, f"{count} cells carry this grade id")
    unlabelled = {_normalised(c.source) for c in submitted.cells if "grade_id" not in _meta(c)}
    submitted_cells = {_meta(c)["grade_id"]: c for c in submitted.cells if "grade_id" in _meta(c)}
    for grade_id, original in source_cells.items():
        cell = submitted_cells.get(grade_id)
        released = _normalised(_released_text(original.source))
        if cell is None:
            if _is_protected(original) and released in unlabelled:
                yield Finding("missing-metadata", grade_id, "the cell is there, its nbgrader metadata is not")
            else:
                yield Finding("missing-cell", grade_id, f"the {original.cell_type} cell was deleted")
            continue
        if not _is_protected(original):
            continue
        if _normalised(cell.source) != released:
            yield Finding("changed-cell", grade_id, "the text of a locked or test cell was edited")
        changed = [
            key for key in ("grade", "solution", "locked", "points")
            if _meta(cell).get(key) != _meta(original).get(key)
        ]
        if changed:
            yield Finding("changed-cell", grade_id, f"nbgrader metadata changed: {', '.join(changed)}")


# --- Reading the student's code ------------------------------------------------------------------


def _parse(source: str) -> ast.Module | None:
    """Parse a code cell; IPython magics are turned into Python first. None if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython is optional here: plain Python still parses
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _dotted(node: ast.AST) -> list[str] | None:
    """``pd.DataFrame.equals`` -> ["pd", "DataFrame", "equals"]; None if not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _imports(tree: ast.AST) -> dict[str, str]:
    """Names an import statement binds, mapped to the module path they stand for."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _module_level_bindings(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Names a cell binds in the notebook's namespace (not inside functions or classes)."""

    def targets(node):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                yield from targets(element)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)

    def visit(statements):
        for node in statements:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in targets(target):
                        yield name, node
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                for name in targets(node.target):
                    yield name, node
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                for name in targets(node.target):
                    yield name, node
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        for name in targets(item.optional_vars):
                            yield name, node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    yield (alias.asname or alias.name.split(".")[0]), node
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield node.name, node
                # ``global x`` inside a function makes its assignments to x module-level.
                declared = {n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names}
                for inner in ast.walk(node):
                    stored = isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store)
                    if stored and inner.id in declared:
                        yield inner.id, inner
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    for name in targets(target):
                        yield name, node
            for field in ("body", "orelse", "finalbody", "handlers"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    yield from visit(getattr(node, field, []) or [])
            if isinstance(node, ast.ExceptHandler) and node.name:
                yield node.name, node
        # walrus operators at module level
    yield from visit(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.NamedExpr):
            yield node.target.id, node


def _resolve(parts: list[str] | None, aliases: dict[str, str]) -> str | None:
    """The full dotted path of ``parts`` if its first name is an imported module or object."""
    if not parts:
        return None
    root = aliases.get(parts[0])
    if root is None:
        return ".".join(parts) if parts[0] in ("builtins", "__builtins__") else None
    return ".".join([root, *parts[1:]])


def _is_protected_path(path: str | None) -> bool:
    if path is None:
        return False
    parts = path.split(".")
    return parts[0] in PROTECTED_MODULES and not ALLOWED_SETTINGS & set(parts)


def _attribute_tamper(target: ast.AST, aliases: dict[str, str]) -> str | None:
    """Why assigning to ``target`` tampers with shared code, or None."""
    node = target.value if isinstance(target, ast.Subscript) else target
    if not isinstance(node, ast.Attribute):
        return None
    chain = []
    base = node
    while isinstance(base, ast.Attribute):
        chain.append(base.attr)
        base = base.value
    text = ast.unparse(target)
    if any(attr.startswith("__") and attr.endswith("__") for attr in chain):
        return f"assigns to the special attribute in {text}"
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type":
        return f"assigns to an attribute of a class: {text}"
    path = _resolve(_dotted(node), aliases)
    if _is_protected_path(path):
        return f"assigns to {path}"
    return None


def _handler_swallows_interrupt(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return False
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    catches = any(isinstance(n, ast.Name) and n.id in INTERRUPT_CATCHERS for n in names)
    reraises = any(isinstance(n, ast.Raise) for n in ast.walk(handler))
    return catches and not reraises


def _loop_never_breaks(loop: ast.While) -> bool:
    test = loop.test
    if not (isinstance(test, ast.Constant) and test.value):
        return False

    def breaks(statements):
        for node in statements:
            if isinstance(node, (ast.Break, ast.Return, ast.Raise)):
                return True
            if isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
                # a break in a nested loop leaves only that loop; returns and raises still count
                if any(isinstance(n, (ast.Return, ast.Raise)) for n in ast.walk(node)):
                    return True
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for field in ("body", "orelse", "finalbody"):
                if breaks(getattr(node, field, []) or []):
                    return True
            for handler in getattr(node, "handlers", []) or []:
                if breaks(handler.body):
                    return True
        return False

    return not breaks(loop.body)


def _code_findings(tree: ast.Module, cell, aliases, protected_names) -> Iterator[Finding]:
    for name, node in _module_level_bindings(tree):
        if name in protected_names:
            yield Finding("rebinding", cell, f"line {node.lineno}: rebinds {name!r}, {protected_names[name]}")
    for node in ast.walk(tree):
        line = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                why = _attribute_tamper(target, aliases)
                if why:
                    yield Finding("monkeypatch", cell, f"{line}: {why}")
                if isinstance(target, ast.Name) and target.id in COMPARISON_METHODS:
                    yield Finding("comparison-override", cell, f"{line}: sets {target.id}")
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            yield Finding("monkeypatch", cell, f"{line}: uses __builtins__")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in COMPARISON_METHODS:
            yield Finding("comparison-override", cell, f"{line}: defines {node.name}")
        elif isinstance(node, ast.Constant) and node.value in COMPARISON_METHODS:
            yield Finding("comparison-override", cell, f"{line}: names {node.value}")
        elif isinstance(node, ast.Call):
            yield from _call_findings(node, cell, line, aliases)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "SystemExit":
                yield Finding("process-exit", cell, f"{line}: raises SystemExit")
        elif isinstance(node, ast.While) and _loop_never_breaks(node):
            yield Finding("infinite-loop", cell, f"{line}: `while {ast.unparse(node.test)}` never breaks")
        elif isinstance(node, ast.ExceptHandler) and _handler_swallows_interrupt(node):
            yield Finding(
                "swallowed-interrupt", cell,
                f"{line}: `except {ast.unparse(node.type)}` swallows KeyboardInterrupt",
            )


def _call_findings(node: ast.Call, cell, line: str, aliases) -> Iterator[Finding]:
    parts = _dotted(node.func)
    if parts is None:
        return
    name = ".".join(parts)
    path = _resolve(parts, aliases) or name
    if path in EXIT_CALLS or path.startswith("signal."):
        yield Finding("process-exit", cell, f"{line}: calls {path}")
    elif name in DYNAMIC_CALLS:
        yield Finding("dynamic-code", cell, f"{line}: calls {name}")
    elif name in ("setattr", "delattr") and node.args:
        obj = node.args[0]
        target = _resolve(_dotted(obj), aliases)
        is_class_of = isinstance(obj, ast.Call) and isinstance(obj.func, ast.Name) and obj.func.id == "type"
        if _is_protected_path(target) or is_class_of:
            yield Finding("monkeypatch", cell, f"{line}: {name} on {ast.unparse(obj)}")
    elif name in ("globals", "vars") or (parts[-1] == "update" and parts[0] in ("globals", "vars")):
        yield Finding("rebinding", cell, f"{line}: writes to the notebook's namespace through {name}()")


def _protected_names(source) -> dict[str, str]:
    """Names a submission must not rebind, each with the reason."""
    setup, answers, test_loads = set(), set(), set()
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        bound = {name for name, _ in _module_level_bindings(tree)}
        meta = _meta(cell)
        if meta.get("solution"):
            answers |= bound
        elif meta.get("grade"):
            loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            test_loads |= loads
        elif meta.get("locked"):
            setup |= bound
    names = {name: "which a locked setup cell defines" for name in setup - answers}
    for name in test_loads & set(dir(builtins)):
        names[name] = "a builtin the tests call"
    return names


def _student_code_findings(submitted, source) -> Iterator[Finding]:
    restored = {  # cells nbgrader replaces by the source's version before running anything
        _meta(c)["grade_id"] for c in source.cells if "grade_id" in _meta(c) and _is_protected(c)
    }
    untouched = {_normalised(_released_text(c.source)) for c in source.cells if _is_protected(c)}
    protected_names = _protected_names(source)
    trees = []
    for index, cell in enumerate(submitted.cells):
        grade_id = _meta(cell).get("grade_id")
        if cell.cell_type != "code" or grade_id in restored or _normalised(cell.source) in untouched:
            continue
        tree = _parse(cell.source)
        if tree is not None:
            trees.append((grade_id if grade_id is not None else index, tree))
    aliases = {}
    for cell in source.cells:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        if tree is not None:
            aliases |= _imports(tree)
    for _, tree in trees:
        aliases |= _imports(tree)
    for where, tree in trees:
        yield from _code_findings(tree, where, aliases, protected_names)


# --- Public interface ----------------------------------------------------------------------------


def scan(submitted: str | PathLike, source: str | PathLike) -> list[Finding]:
    """Findings for one submitted notebook, compared with the instructor's ``source`` notebook.

    Raises FileNotFoundError or ValueError when ``submitted`` is missing or ``source`` is not a
    readable notebook (that is the instructor's input, not the student's).
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
    findings += _cell_findings(nb, original)
    findings += _student_code_findings(nb, original)
    return _unique(findings)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def scan_submission_dir(folder: str | PathLike, source_folder: str | PathLike) -> dict[str, list[Finding]]:
    """Findings for every notebook in a student's assignment folder, by file name.

    A notebook whose name is not in ``source_folder`` is reported as renamed and, when the
    assignment has one notebook, also compared with it; a source notebook with no submitted
    copy (renamed or not) is reported under its own name as ``missing-notebook``.
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
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m korea_nato.grading.integrity",
        description="Flag submitted notebooks that tamper with grading. Exits 1 if anything is flagged.",
    )
    parser.add_argument("submitted", nargs="+", type=Path, help="a student's assignment folder (one or more)")
    parser.add_argument("source", type=Path, help="the assignment's folder in source/")
    args = parser.parse_args(argv)
    flagged = False
    for folder in args.submitted:
        try:
            results = scan_submission_dir(folder, args.source)
        except (OSError, ValueError) as error:
            parser.error(str(error))
        for name, findings in results.items():
            for finding in findings:
                flagged = True
                print(f"{folder / name}: {finding}")
    if not flagged:
        print(f"no findings in {len(args.submitted)} folder(s)")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
