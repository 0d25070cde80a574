"""What in a submission's Python code can tamper with grading: read, never run.

:mod:`.integrity` picks the cells nbgrader will run as code and hands them here. This module
parses each one (IPython magics and ``!`` lines turned into Python first, as IPython does),
learns which names stand for modules, for the IPython shell and for ``pathlib`` paths (also
through assignments such as ``ip = get_ipython()``), and yields ``(kind, cell, detail)`` for
everything a person should read. It never raises on a student's cell: a cell it cannot read
is itself reported (``unparsable-cell``).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator

#: Cells longer than this are reported instead of parsed (an honest answer is a few hundred
#: lines; parsing 5 MB of code takes tens of seconds on a loaded machine).
MAX_CELL_CHARS = 200_000
#: Syntax trees nested deeper than this are reported instead of read (honest code: under 30).
MAX_DEPTH = 150
#: How many magics deep the scan follows code hidden in ``%time``, ``%%capture`` and the like.
MAX_MAGIC_NESTING = 3

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
#: Special methods through which an object can lie to ``==``, ``str()`` or ``repr()``.
LYING_METHODS = frozenset({"__eq__", "__ne__", "__hash__", "__str__", "__repr__", "__bool__"})
#: Classes whose subclasses can pass for the plain value a test expects.
LYING_BASES = frozenset({"str", "int", "float", "list", "dict", "tuple", "bool", "set", "frozenset", "bytes"})
LYING_BASE_MODULES = ("pandas", "numpy", "collections.UserString", "collections.UserList",
                      "collections.UserDict")
EXIT_CALLS = frozenset({"os._exit", "os.kill", "os.killpg", "os.abort", "sys.exit", "builtins.exit",
                        "builtins.quit", "exit", "quit"})
DYNAMIC_CALLS = frozenset({"exec", "eval", "compile", "__import__"})
INTERRUPT_CATCHERS = frozenset({"KeyboardInterrupt", "BaseException"})

#: Attributes of the IPython shell that change how later cells (the tests) run or what they show.
HOOK_ATTRS = frozenset(
    {
        "input_transformers_post", "input_transformers_cleanup", "input_transformer_manager",
        "ast_transformers", "run_cell", "run_cell_async", "run_ast_nodes", "run_code",
        "transform_cell", "showtraceback", "_showtraceback", "showsyntaxerror", "events",
        "register_magic_function", "set_custom_exc", "displayhook", "display_pub",
        "history_manager", "user_ns_hidden", "kernel", "__dict__", "__class__",
        # and what reaches the same from a little further: the profile's startup folder, the
        # namespace the tests run in, the compiler, the extension, magic and prefilter machinery
        "profile_dir", "ipython_dir", "user_ns", "user_global_ns", "ns_table", "compile", "hooks",
        "set_hook", "custom_exceptions", "extension_manager", "magics_manager", "register_magics",
        "prefilter_manager", "input_splitter", "configurables", "config", "push",
    }
)
#: Strings that name IPython's hooks: ``getattr(shell, name)`` and ``gc`` searches use them.
HOOK_NAMES = frozenset(
    {
        "input_transformers_post", "input_transformers_cleanup", "input_transformer_manager",
        "ast_transformers", "run_cell", "run_cell_async", "run_ast_nodes", "showtraceback",
        "_showtraceback", "showsyntaxerror", "set_custom_exc", "register_magic_function",
        "pre_execute", "pre_run_cell", "post_execute", "post_run_cell", "InteractiveShell",
        "ZMQInteractiveShell",
    }
)
#: Shell methods that run a shell command.
SHELL_SPAWN_ATTRS = frozenset({"system", "system_piped", "system_raw", "getoutput"})
#: IPython's record of the cells run so far (the tests included).
HISTORY_NAMES = re.compile(r"^(In|Out|_ih|_oh|_i|_ii|_iii|_i\d+)$")
GETTERS = frozenset({"get_ipython"})
SHELL_CLASSES = frozenset({"InteractiveShell", "ZMQInteractiveShell", "TerminalInteractiveShell"})
PATH_CLASSES = frozenset(
    f"pathlib.{name}"
    for name in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")
)
#: Path methods that return another path (so ``Path("a").resolve().write_text`` is a write).
PATH_RETURNING = frozenset(
    {"resolve", "absolute", "with_name", "with_suffix", "with_stem", "joinpath", "expanduser", "parent",
     "home", "cwd"}
)
#: Methods only paths have, each of which changes the file system.
PATH_WRITES = frozenset({"write_text", "write_bytes", "touch", "symlink_to", "hardlink_to", "link_to",
                         "lchmod", "unlink", "rmdir"})
#: Methods that change the file system when called on a path (and mean something else elsewhere).
PATH_WRITES_IF_PATH = frozenset({"rename", "replace", "chmod", "mkdir"})

#: ``(kind, pattern)``: dotted names (after resolving imports) that each kind covers.
PATH_RULES = [
    ("process-spawn", re.compile(
        r"^(subprocess|multiprocessing|pty|socket|socketserver|_posixsubprocess|asyncio\.subprocess"
        r"|urllib\.request|http\.client|requests|ftplib|smtplib|concurrent\.futures\.process)(\.|$)"
        r"|^concurrent\.futures\.ProcessPoolExecutor$"
        r"|^asyncio\.create_subprocess_(exec|shell)$"
        r"|^os\.(system|popen|fork|forkpty|setsid|setpgrp|setpgid|spawn\w*|posix_spawn\w*|exec\w+)$"
    )),
    ("file-access", re.compile(
        r"^(sqlite3|shutil|tempfile)(\.|$)"
        r"|^os\.(remove|unlink|rename|renames|replace|rmdir|removedirs|chmod|lchmod|fchmod|chown|lchown"
        r"|fchown|truncate|ftruncate|symlink|link|chdir|fchdir|chroot|mkfifo|mknod|utime)$"
        r"|^os\.path\.(expanduser|expandvars)$"
        r"|^pathlib\.(Pure)?(Posix|Windows)?Path\.(home|expanduser)$"
    )),
    ("ipython-hook", re.compile(
        r"^sys\.(settrace|setprofile|excepthook|__excepthook__|displayhook|__displayhook__|_getframe"
        r"|addaudithook|meta_path|path_hooks|monitoring)(\.|$)"
        r"|^inspect\.(stack|currentframe|getouterframes|getinnerframes|trace)$"
        r"|^threading\.(settrace|setprofile|settrace_all_threads|setprofile_all_threads)$"
        r"|^traceback\.(walk_stack|extract_stack)$"
        r"|^(linecache|ipykernel|IPython\.core\.(interactiveshell|events|inputtransformer2?|magic))(\.|$)"
        r"|^IPython\.terminal(\.|$)"
        r"|^gc\.(get_objects|get_referrers|get_referents)$"
    )),
    ("dynamic-code", re.compile(r"^(ctypes|_ctypes|cffi)(\.|$)")),
]
#: What a name of each kind does, for the finding's detail.
PATH_REASONS = {
    "process-spawn": "starts a process or opens a connection",
    "file-access": "reaches files outside the notebook's own",
    "ipython-hook": "changes how IPython runs or shows later cells, or reads their frames",
    "dynamic-code": "runs machine code the scan cannot read",
}
#: Built-in ways to open a file (a write to a path the scan cannot read is flagged).
OPEN_CALLS = frozenset({"open", "io.open", "codecs.open", "builtins.open"})
#: Standard output and error: replacing them hides or forges what the tests print.
STREAMS = frozenset({"sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"})

#: Magics (``%name`` / ``%%name``) by what they do.
SPAWN_MAGICS = frozenset({"system", "sx", "bash", "sh", "script", "perl", "ruby", "python", "python2",
                          "python3", "pypy", "sc", "rm", "rmdir", "mv", "cp", "mkdir", "ln", "cat", "ls",
                          "ll", "lf", "ldir", "lk", "lx"})
FILE_MAGICS = frozenset({"writefile", "load", "run", "cd", "pushd", "popd", "save", "store", "bookmark",
                         "edit", "notebook", "logstart", "pycat", "less"})
HOOK_MAGICS = frozenset({"load_ext", "reload_ext", "unload_ext", "alias_magic", "alias", "macro",
                         "history", "hist", "rerun", "recall", "autocall", "config"})
#: Magics whose line (or cell body) is Python the scan should read too.
CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
CODE_CELL_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture"})

#: Strings that name a place outside the submission folder, or the course's own files.
OUTSIDE_PATH = re.compile(
    r"^(/[\w.~-]|[A-Za-z]:[\\/]|\\\\)"  # absolute (POSIX, Windows, network share)
    r"|(^|[/\\])\.\.([/\\]|$)"  # a parent folder
    r"|^~[\w.-]*([/\\]|$)"  # a home folder
    r"|gradebook\.db|nbgrader_config\.py|\.ipython[/\\]|jupyter_\w*config",
    re.IGNORECASE,
)
COURSE_FOLDER = re.compile(r"(^|[/\\])(source|submitted|autograded|release|feedback)([/\\]|$)")


# --- Parsing ---------------------------------------------------------------------------------


def _why(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "it is nested too deeply for Python to read (RecursionError)"
    if isinstance(error, SyntaxError):
        return f"line {error.lineno}: {error.msg} (SyntaxError; the kernel cannot run it either)"
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def parse_cell(source) -> tuple[ast.Module | None, str | None]:
    """``(tree, None)`` for a cell the scan can read, else ``(None, why not)``. Never raises.

    Plain Python is parsed as it is (IPython leaves it unchanged); anything else goes through
    IPython's ``TransformerManager`` first, which turns ``%magic``, ``%%cell magic`` and
    ``!shell`` lines into the ``get_ipython()`` calls the kernel really runs.
    """
    if not isinstance(source, str):
        return None, f"its source is a {type(source).__name__}, not text"
    if len(source) > MAX_CELL_CHARS:
        return None, f"it holds {len(source):,} characters, more than the scan reads ({MAX_CELL_CHARS:,})"
    if "\x00" in source:
        return None, "it contains null bytes (the kernel cannot run it either)"
    tree, error = None, None
    try:
        tree = ast.parse(source)
    except SyntaxError as first:
        error = first
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            python = TransformerManager().transform_cell(source)
        except Exception:  # IPython missing, or a cell its transformers choke on
            python = None
        if python is not None and python != source:
            try:
                tree = ast.parse(python)
            except Exception as second:
                error = second
    except Exception as other:  # RecursionError, MemoryError, ValueError: what the parser can raise
        error = other
    if tree is None:
        return None, _why(error)
    try:
        depth = _depth(tree)
    except Exception as other:
        return None, _why(other)
    if depth > MAX_DEPTH:
        return None, f"its code is nested {depth} levels deep, more than the scan follows ({MAX_DEPTH})"
    return tree, None


# --- Names -----------------------------------------------------------------------------------


def _dotted(node: ast.AST) -> list[str] | None:
    """``pd.DataFrame.equals`` -> ["pd", "DataFrame", "equals"]; None if not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _import_bindings(node: ast.AST) -> Iterator[tuple[str, str]]:
    """``(name, module path)`` for each name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def imports(tree: ast.AST) -> dict[str, str]:
    """Names the import statements of ``tree`` bind, mapped to the module path they stand for."""
    return {name: path for node in ast.walk(tree) for name, path in _import_bindings(node)}


def module_level_bindings(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
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

    yield from visit(tree.body)
    for node in ast.walk(tree):  # walrus operators bind in the enclosing scope
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


def _simple_assignments(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """``(name, value)`` for ``name = value``, ``a, b = x, y``, ``name: T = value``, ``(name := value)``."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name):
                        yield element.id, value
    elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
        yield node.target.id, node.value
    elif isinstance(node, ast.NamedExpr):
        yield node.target.id, node.value


class Names:
    """What the names of one notebook stand for: modules, the IPython shell, paths."""

    def __init__(self, aliases: dict[str, str]):
        self.aliases = dict(aliases)
        self.shells: set[str] = set()  # ``ip = get_ipython()``
        self.getters: set[str] = set(GETTERS)  # ``g = get_ipython`` or ``def g(): return get_ipython()``
        self.paths: set[str] = set()  # ``p = Path("x")``

    def path(self, node: ast.AST) -> str | None:
        return _resolve(_dotted(node), self.aliases)

    def is_getter(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name) and node.id in self.getters:
            return True
        if isinstance(node, ast.Lambda):
            return self.is_shell(node.body)
        path = self.path(node)
        return path is not None and path.rsplit(".", 1)[-1] in GETTERS

    def is_shell_class(self, node: ast.AST) -> bool:
        path = self.path(node)
        if path is not None and path.rsplit(".", 1)[-1] in SHELL_CLASSES:
            return True
        return (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"
            and len(node.args) == 1 and self.is_shell(node.args[0])
        )

    def is_shell(self, node: ast.AST) -> bool:
        """Whether ``node`` is the IPython shell, or its class."""
        if isinstance(node, ast.Name) and node.id in self.shells:
            return True
        if isinstance(node, ast.Call):
            if self.is_getter(node.func):
                return True
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "instance":
                return self.is_shell_class(func.value)
        return self.is_shell_class(node)

    def is_path(self, node: ast.AST) -> bool:
        """Whether ``node`` is a ``pathlib`` path (as far as the scan can tell)."""
        if isinstance(node, ast.Name):
            return node.id in self.paths
        if isinstance(node, ast.Call):
            func = self.path(node.func) or ""
            if func in PATH_CLASSES or func.rsplit(".", 1)[0] in PATH_CLASSES:
                return True
            attribute = node.func
            return (
                isinstance(attribute, ast.Attribute) and attribute.attr in PATH_RETURNING
                and self.is_path(attribute.value)
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.is_path(node.left)
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            return self.is_path(node.value)
        return False

    def learn(self, trees: Iterable[ast.AST]) -> None:
        """Follow assignments (over all cells, until nothing new) to names of the shell and of paths."""
        trees = list(trees)
        for _ in range(10):
            before = (len(self.shells), len(self.getters), len(self.paths))
            for tree in trees:
                for node in ast.walk(tree):
                    for name, value in _simple_assignments(node):
                        if self.is_shell(value):
                            self.shells.add(name)
                        elif self.is_getter(value):
                            self.getters.add(name)
                        elif self.is_path(value):
                            self.paths.add(name)
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                        isinstance(r, ast.Return) and r.value is not None and self.is_shell(r.value)
                        for r in ast.walk(node)
                    ):
                        self.getters.add(node.name)
            if (len(self.shells), len(self.getters), len(self.paths)) == before:
                return


# --- Rules -----------------------------------------------------------------------------------


def _text(node: ast.AST, limit: int = 80) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # unparse recurses; the depth check makes this unlikely, not impossible
        return type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_protected_path(path: str | None) -> bool:
    if path is None:
        return False
    parts = path.split(".")
    return parts[0] in PROTECTED_MODULES and not ALLOWED_SETTINGS & set(parts)


def _attribute_tamper(target: ast.AST, names: Names) -> str | None:
    """Why assigning to ``target`` tampers with shared code, or None."""
    node = target.value if isinstance(target, ast.Subscript) else target
    if not isinstance(node, ast.Attribute):
        return None
    chain = []
    base = node
    while isinstance(base, ast.Attribute):
        chain.append(base.attr)
        base = base.value
    text = _text(target)
    if any(attr.startswith("__") and attr.endswith("__") for attr in chain):
        return f"assigns to the special attribute in {text}"
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type":
        return f"assigns to an attribute of a class: {text}"
    path = names.path(node)
    if _is_protected_path(path):
        return f"assigns to {path}"
    return None


def _handler_swallows_interrupt(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return False
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    catches = any(isinstance(n, ast.Name) and n.id in INTERRUPT_CATCHERS for n in caught)
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


def path_kind(path: str | None) -> str | None:
    """The kind of finding a dotted name (``os.system``, ``sqlite3.connect``) calls for, if any."""
    if not path:
        return None
    for kind, pattern in PATH_RULES:
        if pattern.search(path):
            return kind
    return None


def _outside_path(text: str) -> bool:
    if OUTSIDE_PATH.search(text):
        return True
    return bool(COURSE_FOLDER.search(text)) and bool(re.search(r"[/\\]", text))


def _writes(node: ast.Call) -> bool:
    """Whether an ``open(path, mode)`` call opens for writing (its mode has w, a, x or +)."""
    modes = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "mode")]
    return any(set(_constant_str(m) or "r") & set("wax+") or _constant_str(m) is None for m in modes)


def _is_call_to(node: ast.Call, name: str) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == name


def _constant_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _imported_module(node: ast.AST) -> str | None:
    """The module ``__import__("name")`` or ``importlib.import_module("name")`` returns, if named."""
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func = _dotted(node.func)
    if func in (["__import__"], ["importlib", "import_module"]):
        return _constant_str(node.args[0])
    return None


def _lying_base(base: ast.AST, names: Names) -> str | None:
    if isinstance(base, ast.Name) and base.id in LYING_BASES and base.id not in names.aliases:
        return base.id
    path = names.path(base)
    if path and (path.startswith("builtins.") and path.split(".", 1)[1] in LYING_BASES):
        return path
    if path and any(path == m or path.startswith(m + ".") for m in LYING_BASE_MODULES):
        return path
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type":
        return f"the type of {_text(base.args[0]) if base.args else 'an object'}"
    return None


def _class_lies(node: ast.ClassDef, names: Names) -> Iterator[str]:
    for base in node.bases:
        what = _lying_base(base, names)
        if what:
            yield f"class {node.name} subclasses {what}, so it can pass for a plain value"
    for statement in node.body:
        defined = []
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined = [statement.name]
        elif isinstance(statement, ast.Assign):
            defined = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        for method in defined:
            if method in LYING_METHODS:
                yield f"class {node.name} defines {method}"


def _type_call_lies(node: ast.Call, names: Names) -> Iterator[str]:
    """``type(name, bases, namespace)``: a class built at run time."""
    bases, namespace = node.args[1], node.args[2]
    for base in bases.elts if isinstance(bases, (ast.Tuple, ast.List)) else []:
        what = _lying_base(base, names)
        if what:
            yield f"type() builds a class that subclasses {what}"
    if isinstance(namespace, ast.Dict):
        keys = [_constant_str(k) for k in namespace.keys if k is not None]
    elif isinstance(namespace, ast.Call) and _is_call_to(namespace, "dict"):
        keys = [k.arg for k in namespace.keywords]
    else:
        yield f"type() builds a class from {_text(namespace)}, which the scan cannot read"
        return
    for key in keys:
        if key in LYING_METHODS:
            yield f"type() builds a class that defines {key}"


def _without_options(line: str) -> str:
    """The code of a line magic such as ``%timeit -n 3 f()``: its leading options dropped."""
    words = line.split()
    if not words or not words[0].startswith("-"):
        return line
    for start in range(1, min(len(words), 8) + 1):
        candidate = " ".join(words[start:])
        if parse_cell(candidate)[0] is not None:
            return candidate
    return line


class _Cell:
    """The rules, applied to one cell's syntax tree."""

    def __init__(self, where, names: Names, protected: dict[str, str], setup_imports: dict[str, str],
                 own_names: set[str], nesting: int = 0):
        self.where, self.names, self.protected = where, names, protected
        self.setup_imports, self.own_names, self.nesting = setup_imports, own_names, nesting
        self.by_path: dict[tuple[str, int], str] = {}  # longest dotted name per kind and line

    def finding(self, kind: str, node: ast.AST | int, detail: str) -> tuple[str, object, str]:
        line = node if isinstance(node, int) else getattr(node, "lineno", "?")
        return kind, self.where, f"line {line}: {detail}"

    def findings(self, tree: ast.Module) -> Iterator[tuple[str, object, str]]:
        yield from self.rebindings(tree)
        for node in ast.walk(tree):
            yield from self.node_findings(node)
        for (kind, line), path in self.by_path.items():
            yield self.finding(kind, line, f"uses {path}, which {PATH_REASONS[kind]}")

    def note_path(self, kind: str | None, node: ast.AST, path: str) -> None:
        if kind:
            key = (kind, getattr(node, "lineno", 0))
            if len(path) > len(self.by_path.get(key, "")):
                self.by_path[key] = path

    def rebindings(self, tree: ast.Module) -> Iterator[tuple[str, object, str]]:
        for name, node in module_level_bindings(tree):
            if name not in self.protected:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                bound == name and path == self.setup_imports.get(name)
                for bound, path in _import_bindings(node)
            ):
                continue  # ``import pandas as pd`` again: the same name for the same module
            yield self.finding("rebinding", node, f"rebinds {name!r}, {self.protected[name]}")

    def node_findings(self, node: ast.AST) -> Iterator[tuple[str, object, str]]:
        names = self.names
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                yield from self.target_findings(node, target)
        elif isinstance(node, ast.Name):
            if node.id == "__builtins__":
                yield self.finding("monkeypatch", node, "uses __builtins__")
            if isinstance(node.ctx, ast.Load):
                if HISTORY_NAMES.match(node.id) and node.id not in self.own_names:
                    yield self.finding(
                        "ipython-hook", node,
                        f"reads {node.id}, IPython's record of the cells run so far (hidden tests too)",
                    )
                if node.id in names.aliases:
                    self.note_path(path_kind(names.path(node)), node, names.path(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in COMPARISON_METHODS:
            yield self.finding("comparison-override", node, f"defines {node.name}")
        elif isinstance(node, ast.Constant) and node.value in COMPARISON_METHODS:
            yield self.finding("comparison-override", node, f"names {node.value}")
        elif isinstance(node, ast.Call):
            yield from self.call_findings(node)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "SystemExit":
                yield self.finding("process-exit", node, "raises SystemExit")
        elif isinstance(node, ast.While) and _loop_never_breaks(node):
            yield self.finding("infinite-loop", node, f"`while {_text(node.test)}` never breaks")
        elif isinstance(node, ast.ExceptHandler) and _handler_swallows_interrupt(node):
            yield self.finding(
                "swallowed-interrupt", node, f"`except {_text(node.type)}` swallows KeyboardInterrupt"
            )
        elif isinstance(node, ast.ClassDef):
            for why in _class_lies(node, names):
                yield self.finding("lying-equality", node, why)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for _, path in _import_bindings(node):
                self.note_path(path_kind(path), node, path)
        if isinstance(node, ast.Attribute):
            yield from self.attribute_findings(node)
        text = _constant_str(node)
        if text is not None and _outside_path(text):
            shown = text if len(text) <= 60 else text[:57] + "..."
            yield self.finding(
                "file-access", node, f"names {shown!r}, a path outside the submission folder or a course file"
            )
        elif text in HOOK_NAMES:
            yield self.finding("ipython-hook", node, f"names {text!r}, a part of IPython that runs the tests")

    def target_findings(self, node: ast.AST, target: ast.AST) -> Iterator[tuple[str, object, str]]:
        names = self.names
        why = _attribute_tamper(target, names)
        if why:
            yield self.finding("monkeypatch", node, why)
        if isinstance(target, ast.Name) and target.id in COMPARISON_METHODS:
            yield self.finding("comparison-override", node, f"sets {target.id}")
        if isinstance(target, ast.Attribute) and target.attr in LYING_METHODS:
            yield self.finding("lying-equality", node, f"sets {_text(target)}")
        inner = target.value if isinstance(target, ast.Subscript) else target
        path = names.path(inner)
        if path in STREAMS:
            yield self.finding("ipython-hook", node, f"replaces {path}, which carries what the tests print")
        elif path and (path.startswith("builtins.") or path.startswith("__builtins__")):
            yield self.finding(
                "ipython-hook", node, f"changes the builtins every later cell uses ({_text(target)})"
            )

    def attribute_findings(self, node: ast.Attribute) -> Iterator[tuple[str, object, str]]:
        names = self.names
        if names.is_shell(node.value):
            if node.attr in HOOK_ATTRS:
                yield self.finding("ipython-hook", node, f"reaches {_text(node)} on the IPython shell")
            elif node.attr in SHELL_SPAWN_ATTRS:
                yield self.finding("process-spawn", node, f"runs a shell command through {_text(node)}")
        if node.attr in ("parent", "parents") and names.is_path(node.value):
            yield self.finding("file-access", node, f"climbs out of the submission folder with {_text(node)}")
        path = names.path(node)
        if path:
            self.note_path(path_kind(path), node, path)

    def call_findings(self, node: ast.Call) -> Iterator[tuple[str, object, str]]:
        names = self.names
        parts = _dotted(node.func)
        func = node.func
        if isinstance(func, ast.Attribute):
            yield from self.method_findings(node, func)
        if parts is None:
            return
        name = ".".join(parts)
        path = names.path(node.func) or name
        if path in EXIT_CALLS or path.startswith("signal."):
            yield self.finding("process-exit", node, f"calls {path}")
        elif name in DYNAMIC_CALLS:
            yield self.finding("dynamic-code", node, f"calls {name}")
        elif name in ("setattr", "delattr") and node.args:
            obj = node.args[0]
            target = names.path(obj)
            is_class_of = isinstance(obj, ast.Call) and _is_call_to(obj, "type")
            if _is_protected_path(target) or is_class_of:
                yield self.finding("monkeypatch", node, f"{name} on {_text(obj)}")
        elif name in ("globals", "vars") or (parts[-1] == "update" and parts[0] in ("globals", "vars")):
            yield self.finding("rebinding", node, f"writes to the notebook's namespace through {name}()")
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            yield from self.named_attribute_findings(node, name)
        if path in ("type", "builtins.type") and len(node.args) == 3:
            for why in _type_call_lies(node, names):
                yield self.finding("lying-equality", node, why)
        if path in OPEN_CALLS and node.args and _constant_str(node.args[0]) is None and _writes(node):
            yield self.finding(
                "file-access", node, f"opens {_text(node.args[0])} for writing, a path the scan cannot read"
            )
        if path in ("__import__", "importlib.import_module") and node.args:
            module = _constant_str(node.args[0])
            if module:
                self.note_path(path_kind(module), node, module)

    def named_attribute_findings(self, node: ast.Call, name: str) -> Iterator[tuple[str, object, str]]:
        """``getattr(obj, "attr")`` and friends: the attribute is named by a string."""
        obj, attr = node.args[0], _constant_str(node.args[1])
        if attr is None:
            return
        if self.names.is_shell(obj) and attr in HOOK_ATTRS:
            yield self.finding("ipython-hook", node, f"{name} reaches {attr!r} on the IPython shell")
        if name in ("setattr", "delattr"):
            target = self.names.path(obj)
            if target in ("builtins", "__builtins__"):
                yield self.finding("ipython-hook", node, f"{name} changes the builtin {attr!r}")
            if attr in LYING_METHODS:
                yield self.finding("lying-equality", node, f"{name} sets {attr} on {_text(obj)}")
        base = self.names.path(obj) or _imported_module(obj)
        if base:
            self.note_path(path_kind(f"{base}.{attr}"), node, f"{base}.{attr}")

    def method_findings(self, node: ast.Call, func: ast.Attribute) -> Iterator[tuple[str, object, str]]:
        names = self.names
        if func.attr in PATH_WRITES or (func.attr in PATH_WRITES_IF_PATH and names.is_path(func.value)):
            yield self.finding("file-access", node, f"changes the file system with {_text(func)}()")
        elif func.attr == "open" and names.is_path(func.value):
            modes = [_constant_str(a) for a in [*node.args, *(k.value for k in node.keywords)]]
            if any(m and set(m) & set("wax+") for m in modes):
                yield self.finding("file-access", node, f"opens {_text(func.value)} for writing")
        if func.attr in ("run_line_magic", "run_cell_magic", "magic") and names.is_shell(func.value):
            yield from self.magic_findings(node, func.attr)

    def magic_findings(self, node: ast.Call, how: str) -> Iterator[tuple[str, object, str]]:
        args = [_constant_str(a) for a in node.args]
        if not args or args[0] is None:
            yield self.finding("dynamic-code", node, "runs a magic whose name the scan cannot read")
            return
        if how == "magic":  # the old ``get_ipython().magic("name line")``
            magic, _, line = args[0].lstrip("%").partition(" ")
            body = None
        else:
            magic = args[0].lstrip("%")
            line = args[1] if len(args) > 1 else ""
            body = args[2] if len(args) > 2 else None
        sign = "%%" if body is not None else "%"
        if magic in SPAWN_MAGICS:
            yield self.finding("process-spawn", node, f"runs {sign}{magic}, which starts a process")
        elif magic in FILE_MAGICS:
            yield self.finding("file-access", node, f"runs {sign}{magic} {(line or '')[:60]}".rstrip())
        elif magic in HOOK_MAGICS and not (magic == "config" and (line or "").startswith("InlineBackend")):
            yield self.finding("ipython-hook", node, f"runs {sign}{magic} {(line or '')[:60]}".rstrip())
        code = body if body is not None and magic in CODE_CELL_MAGICS else None
        if body is None and magic in CODE_LINE_MAGICS:
            code = _without_options(line or "")
        if code and self.nesting < MAX_MAGIC_NESTING:
            yield from self.embedded_findings(node, f"{sign}{magic}", code)

    def embedded_findings(self, node: ast.AST, magic: str, code: str) -> Iterator[tuple[str, object, str]]:
        """Code run by a magic such as ``%%capture``: read it as a cell of its own."""
        tree, why = parse_cell(code)
        if tree is None:
            yield self.finding("unparsable-cell", node, f"the code under {magic} cannot be read: {why}")
            return
        names = Names({**self.names.aliases, **imports(tree)})
        names.shells, names.getters, names.paths = self.names.shells, self.names.getters, self.names.paths
        inner = _Cell(self.where, names, self.protected, self.setup_imports, self.own_names, self.nesting + 1)
        for kind, where, detail in inner.findings(tree):
            yield kind, where, f"line {getattr(node, 'lineno', '?')}, under {magic}: {detail}"


def protected_names(cells: Iterable[tuple[dict, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """From the source notebook's code cells ``(nbgrader metadata, text)``: the names a submission
    must not rebind, each with the reason, and the modules the locked setup cells import by name."""
    setup, answers, test_loads, setup_imports = set(), set(), set(), {}
    for meta, text in cells:
        tree, _ = parse_cell(text)
        if tree is None:
            continue
        bound = {name for name, _ in module_level_bindings(tree)}
        if meta.get("solution"):
            answers |= bound
        elif meta.get("grade"):
            test_loads |= {
                n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
        elif meta.get("locked"):
            setup |= bound
            setup_imports |= imports(tree)
    names = {name: "which a locked setup cell defines" for name in setup - answers}
    for name in test_loads & set(dir(builtins)):
        names[name] = "a builtin the tests call"
    return names, setup_imports


def code_findings(cells: Iterable[tuple[object, str]], source_code: Iterable[tuple[dict, str]]
                  ) -> list[tuple[str, object, str]]:
    """``(kind, cell, detail)`` for the student's ``cells`` (``(where, text)``: every cell nbgrader
    runs as code, minus those it restores), given the source notebook's code cells ``(meta, text)``."""
    source_code = list(source_code)
    protected, setup_imports = protected_names(source_code)
    aliases: dict[str, str] = {}
    for _, text in source_code:
        tree, _ = parse_cell(text)
        if tree is not None:
            aliases |= imports(tree)
    results, trees = [], []
    for where, text in cells:
        tree, why = parse_cell(text)
        if tree is None:
            results.append(("unparsable-cell", where, f"the scan cannot read this cell: {why}"))
        else:
            trees.append((where, tree))
    own_names = set()
    for _, tree in trees:
        aliases |= imports(tree)
        own_names |= {name for name, _ in module_level_bindings(tree)}
    names = Names(aliases)
    try:
        names.learn(tree for _, tree in trees)
    except Exception:  # the depth limit should prevent this; the rules still run without aliases
        pass
    for where, tree in trees:
        rules = _Cell(where, names, protected, setup_imports, own_names)
        try:
            results.extend(rules.findings(tree))
        except Exception as error:  # a rule that trips on odd code must not stop the scan
            results.append(("unparsable-cell", where, f"the scan stopped reading this cell: {_why(error)}"))
    return results
