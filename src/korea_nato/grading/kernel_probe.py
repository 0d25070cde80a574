"""Code the grader sends into a student's kernel around each test cell (never imported by the grader).

Its source is sent as it is by :class:`korea_nato.grading.execution.GuardedExecute`. It does two
things, in the student's kernel, outside the student's cells:

1. **Cleanup** after a test cell: the test's source leaves ``linecache`` (where IPython keeps it
   for tracebacks, and where a later student cell could read the hidden tests), and the last
   traceback (whose frames hold the hidden test's constants) is dropped. With ``full=False`` it
   stops there.
2. **Report** everything that decides how the kernel runs the next cell: IPython's input and
   AST transformers, its run/transform/traceback methods, event callbacks, ``sys`` hooks, the
   kernel's message methods, builtins, and the modules the tests rely on. Each entry is the
   file that defines the callable. The grader compares this with the report taken before any
   student code ran, and accepts only what was there then or comes from the installed Python.

The report is printed as one line ``KN-GUARD <nonce> <json>``; a kernel that prints no such line
has been changed so much that it cannot even report. The grader sends the function below with a
call ``_kn_probe(nonce, test_hashes, full)`` after it, and deletes the name again.
"""


def _kn_probe(nonce, test_hashes, full=True):
    import builtins
    import hashlib
    import json
    import linecache
    import sys

    import IPython.core.interactiveshell as shell_module

    for key, entry in list(linecache.cache.items()):
        try:
            text = "".join(entry[2])
        except Exception:
            continue
        if hashlib.sha256(text.encode("utf-8", "replace")).hexdigest() in test_hashes:
            del linecache.cache[key]
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    if not full:
        print("KN-GUARD", nonce, "{}")
        return

    shell = shell_module.InteractiveShell._instance
    report = {}

    def origin(obj):
        """Where a callable is defined: its code's file, ``builtin`` for C functions, and a
        ``main:`` prefix for anything defined in the notebook itself (module ``__main__``)."""
        func = getattr(obj, "__func__", obj)
        code = getattr(func, "__code__", None)
        owner = (
            getattr(func, "__globals__", {}).get("__name__")
            if code is not None
            else (
                getattr(func, "__module__", None)
                if isinstance(func, type)
                else getattr(type(func), "__module__", None)
            )
        )
        mark = "main:" if owner == "__main__" else ""
        if code is not None and "cython" in type(func).__name__:
            # A compiled (Cython) function's code names the .pyx file where the wheel was built
            # (pandas 2.2.3: "/project/pandas/_libs/..."): its module's own file is where it is.
            module = sys.modules.get(getattr(func, "__module__", None) or "")
            file = getattr(module, "__file__", None)
            if isinstance(file, str):
                return mark + file
        if code is not None:
            return mark + code.co_filename
        if type(func).__name__ in {
            "builtin_function_or_method",
            "method-wrapper",
            "wrapper_descriptor",
            "method_descriptor",
            "classmethod_descriptor",
            "getset_descriptor",
            "member_descriptor",
        }:
            return "builtin"
        call = vars(type(func)).get("__call__")
        code = getattr(getattr(call, "__func__", call), "__code__", None)
        return mark + (code.co_filename if code is not None else "object:" + type(func).__qualname__)

    seen_classes = {}

    def own_origins(klass):
        """The files defining the methods in ``klass``'s own namespace (once per probe)."""
        files = seen_classes.get(id(klass))
        if files is None:
            files = set()
            for value in list(vars(klass).values()):
                value = getattr(value, "__func__", value)
                if callable(value) or isinstance(value, property):
                    fget = getattr(value, "fget", None)
                    files.add(origin(fget if fget is not None else value))
            seen_classes[id(klass)] = files
        return files

    def class_origins(cls):
        """The files defining every method of ``cls`` and its bases (not ``object``)."""
        files = set()
        for klass in getattr(cls, "__mro__", (cls,)):
            if klass is not object:
                files |= own_origins(klass)
        return sorted(files)

    for name in (
        "run_cell",
        "run_cell_async",
        "run_ast_nodes",
        "run_code",
        "transform_cell",
        "transform_ast",
        "showtraceback",
        "_showtraceback",
        "showsyntaxerror",
        "should_run_async",
        "ex",
        "ev",
        "run_line_magic",
        "run_cell_magic",
        "get_ipython",
    ):
        if hasattr(shell, name):
            report["shell." + name] = [
                origin(getattr(shell, name)),
                "instance" if name in vars(shell) else "class",
            ]
    manager = shell.input_transformer_manager
    for place, items in (
        ("input_transformers_cleanup", shell.input_transformers_cleanup),
        ("input_transformers_post", shell.input_transformers_post),
        ("ast_transformers", shell.ast_transformers),
        ("manager.cleanup_transforms", manager.cleanup_transforms),
        ("manager.line_transforms", manager.line_transforms),
        ("manager.token_transformers", manager.token_transformers),
    ):
        report[place] = sorted(
            {origin(item) for item in items}
            | {f for item in items for f in class_origins(item if isinstance(item, type) else type(item))}
        )
    report["manager.class"] = class_origins(type(manager))
    for event, callbacks in shell.events.callbacks.items():
        report["event." + event] = sorted({origin(callback) for callback in callbacks})
    report["shell.class"] = class_origins(type(shell))
    for place, obj in (
        ("displayhook", shell.displayhook),
        ("display_pub", shell.display_pub),
        ("compile", shell.compile),
        ("InteractiveTB", shell.InteractiveTB),
        ("kernel", getattr(shell, "kernel", None)),
        ("session", getattr(getattr(shell, "kernel", None), "session", None)),
        ("sys.stdout", sys.stdout),
        ("sys.stderr", sys.stderr),
        ("sys.displayhook", sys.displayhook),
        ("sys.excepthook", sys.excepthook),
    ):
        if obj is not None:
            report[place] = sorted({origin(obj)} | set(class_origins(type(obj))))
            report[place + ".instance"] = (
                sorted(origin(v) for k, v in vars(obj).items() if callable(v) and not isinstance(v, type))
                if hasattr(obj, "__dict__")
                else []
            )
    report["sys.trace"] = [
        origin(sys.gettrace()) if sys.gettrace() else "none",
        origin(sys.getprofile()) if sys.getprofile() else "none",
    ]
    report["builtins"] = sorted(
        {origin(v) for k, v in vars(builtins).items() if callable(v) and not isinstance(v, type)}
        | {f for v in vars(builtins).values() if isinstance(v, type) for f in class_origins(v)}
    )
    for name in (
        "pandas",
        "pandas.testing",
        "pandas.api.types",
        "datetime",
        "re",
        "math",
        "operator",
        "functools",
        "json",
        "korea_nato",
        "korea_nato.data",
    ):
        module = sys.modules.get(name)
        if module is None:
            continue
        files = {str(getattr(module, "__file__", "builtin"))}
        for value in list(vars(module).values()):
            if isinstance(value, type):
                if getattr(value, "__module__", "").split(".")[0] in {"pandas", "numpy", "korea_nato"}:
                    files.update(class_origins(value))
            elif callable(value):
                files.add(origin(value))
        report["module." + name] = sorted(files)
    print("KN-GUARD", nonce, json.dumps(report, sort_keys=True))
