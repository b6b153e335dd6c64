import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_lt


def test_version_is_exposed():
    assert isinstance(sklearn_lt.__version__, str)
    assert sklearn_lt.__version__[0].isdigit()


def test_import_does_not_load_torch_or_matplotlib():
    # A fresh interpreter: this test process may have imported them already.
    code = (
        "import sys, sklearn_lt, sklearn_lt.metrics, sklearn_lt.priors, "
        "sklearn_lt.label_shift; "
        "heavy = ('torch', 'skorch', 'matplotlib'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_torch_backed_names_resolve_lazily():
    code = (
        "import sys, sklearn_lt; assert 'torch' not in sys.modules; "
        "net = sklearn_lt.LogitAdjustedNet; losses = sklearn_lt.losses; "
        "assert net.__module__ == 'sklearn_lt.net' and 'torch' in sys.modules; "
        "assert 'LogitAdjustedNet' not in sklearn_lt.__all__; print('ok')"
    )
    pytest.importorskip("torch")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        sklearn_lt.nope  # noqa: B018


# --- the import graph of the package ----------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sklearn_lt"
# The estimators: the plain-numpy modules below them must not import them.
ESTIMATORS = ("sklearn_lt._posthoc", "sklearn_lt._tuning", "sklearn_lt.net")
# Imports that run only when a name is looked up, never at import time: the
# deprecation shim of sklearn_lt.priors, which serves the moved names of
# sklearn_lt.label_shift until 0.3. Any other is counted.
LAZY_IMPORTS = {("sklearn_lt.priors", "__getattr__", "sklearn_lt.label_shift")}


def _module_names():
    """{dotted module name: path} of every module of the package."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _imports(module, path, modules):
    """``(function or None, imported module)`` for every import in the file.

    Function-local imports count (a cycle closed inside a function is still a
    cycle); relative imports are resolved against the module's package.
    """
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name if function is None else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((function, alias.name))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.rsplit(".", child.level - 1)[0]
                    target = f"{base}.{child.module}" if child.module else base
                else:
                    target = child.module
                # `from . import x` imports the module x; names that are not
                # modules are attributes of `target`, which they need run first.
                submodules = [f"{target}.{a.name}" for a in child.names]
                submodules = [name for name in submodules if name in modules]
                if len(submodules) < len(child.names):
                    found.append((function, target))
                found.extend((function, name) for name in submodules)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def _import_graph():
    """{module: set of package modules it imports}, and the lazy imports seen."""
    modules = _module_names()
    graph, lazy = {}, set()
    for module, path in modules.items():
        graph[module] = set()
        for function, target in _imports(module, path, modules):
            if target not in modules or target == module:
                continue
            if (module, function, target) in LAZY_IMPORTS:
                lazy.add((module, function, target))
                continue
            graph[module].add(target)
    return graph, lazy


def _find_cycle(graph):
    """One cycle of the graph as a list of modules (first == last), or None."""
    state = {}  # module -> "open" while on the DFS stack, "done" after

    def dfs(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = dfs(target, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = dfs(module, [])
            if cycle:
                return cycle
    return None


def test_the_import_graph_finds_known_edges_and_cycles():
    # The walker itself: it sees relative, absolute and function-local imports.
    graph, lazy = _import_graph()
    assert "sklearn_lt._posthoc" in graph["sklearn_lt.label_shift"]
    assert "sklearn_lt.priors" in graph["sklearn_lt._posthoc"]
    assert "sklearn_lt.label_shift" in graph["sklearn_lt"]
    assert lazy == LAZY_IMPORTS
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    graph, _ = _import_graph()
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# The floors of docs/design.rst, lowest first. A module imports only from floors below
# its own; modules of one subpackage (losses, net) may import each other (acyclic, as
# above). A new module must be given a floor here: that is the design decision.
FLOORS = {
    "sklearn_lt._compat": 0,
    "sklearn_lt._version": 0,
    "sklearn_lt._validation": 1,
    "sklearn_lt._namespace": 1,
    "sklearn_lt._doc_link": 1,
    "sklearn_lt.priors": 2,
    "sklearn_lt.metrics": 2,
    "sklearn_lt.datasets": 2,
    "sklearn_lt._calibration": 2,
    "sklearn_lt._posthoc": 3,
    "sklearn_lt._logits": 3,
    "sklearn_lt._evaluation": 3,
    "sklearn_lt.losses": 3,
    "sklearn_lt._gains": 3,
    "sklearn_lt._tuning": 4,
    "sklearn_lt._cost_sensitive": 4,
    "sklearn_lt.label_shift": 4,
    "sklearn_lt.report": 4,
    "sklearn_lt.plotting": 4,
    "sklearn_lt.net": 4,
    "sklearn_lt.onnx": 5,
    "sklearn_lt": 5,
}


def _floor_of(module):
    """The floor of a module: its own entry, else its subpackage's."""
    if module in FLOORS:
        return FLOORS[module]
    subpackage = _subpackage(module)
    if subpackage in FLOORS:
        return FLOORS[subpackage]
    raise KeyError(module)


def _subpackage(module):
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else None


def _upward_imports(graph):
    """``(importer, imported)`` pairs that do not go strictly down a floor."""
    upward = []
    for module, targets in graph.items():
        for target in targets:
            if _subpackage(module) and _subpackage(module) == _subpackage(target):
                continue
            if target.startswith(module + "."):  # a package imports its own parts
                continue
            if _floor_of(target) >= _floor_of(module):
                upward.append((module, target))
    return sorted(upward)


def test_every_module_has_a_floor():
    graph, _ = _import_graph()
    missing = []
    for module in graph:
        try:
            _floor_of(module)
        except KeyError:
            missing.append(module)
    assert not missing, (
        f"modules without a floor: {missing}; add each to FLOORS in this file and to "
        "the table of docs/design.rst"
    )


def test_imports_only_go_down_the_floors():
    graph, _ = _import_graph()
    upward = _upward_imports(graph)
    assert not upward, "imports that do not go down a floor (see docs/design.rst): " + (
        ", ".join(
            f"{a} -> {b} (floor {_floor_of(a)} -> {_floor_of(b)})" for a, b in upward
        )
    )


def test_a_module_without_a_floor_is_not_given_the_packages():
    with pytest.raises(KeyError):
        _floor_of("sklearn_lt._new_module")
    assert _floor_of("sklearn_lt.losses._ldam") == FLOORS["sklearn_lt.losses"]


def test_the_floor_check_sees_an_upward_and_a_sideways_import():
    graph = {
        "sklearn_lt.priors": {"sklearn_lt._posthoc"},  # up
        "sklearn_lt.metrics": {"sklearn_lt.datasets"},  # sideways
        "sklearn_lt.losses._ldam": {"sklearn_lt.losses._base"},  # inside a package
        "sklearn_lt.net": {"sklearn_lt.net._classifier"},  # a package's own part
        "sklearn_lt.report": {"sklearn_lt.metrics"},  # down
    }
    assert _upward_imports(graph) == [
        ("sklearn_lt.metrics", "sklearn_lt.datasets"),
        ("sklearn_lt.priors", "sklearn_lt._posthoc"),
    ]


def test_priors_imports_no_estimator():
    # Transitively: priors is plain numpy on the ground floor (_validation, _compat).
    graph, _ = _import_graph()
    seen, todo = set(), ["sklearn_lt.priors"]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    losses = {m for m in graph if m.startswith("sklearn_lt.losses")}
    reached = seen & {*ESTIMATORS, *losses}
    assert not reached, f"sklearn_lt.priors imports {sorted(reached)}"


# --- private scikit-learn names come through sklearn_lt._compat only ---------------


def _private_sklearn_imports(path):
    """``line: text`` of each import of a private scikit-learn module or name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in names:
            if module.split(".")[0] != "sklearn":
                continue
            private_module = any(part.startswith("_") for part in module.split("."))
            private_name = (
                name is not None and name.startswith("_") and not name.endswith("__")
            )
            if private_module or private_name:
                found.append(f"{node.lineno}: {module}" + (f".{name}" if name else ""))
    return found


def test_no_private_scikit_learn_import_outside_compat():
    files = [
        path
        for folder in ("sklearn_lt", "tests", "benchmarks", "docs")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    files.append(ROOT / "conftest.py")
    assert PACKAGE / "_compat.py" in files and Path(__file__) in files
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in files
        if path != PACKAGE / "_compat.py" and (found := _private_sklearn_imports(path))
    }
    assert not offenders, (
        "private scikit-learn imports outside sklearn_lt/_compat.py (import them "
        f"from sklearn_lt._compat instead): {offenders}"
    )


def test_the_private_import_check_sees_private_modules_and_names(tmp_path):
    path = tmp_path / "example.py"
    path.write_text(
        "import sklearn.utils._param_validation\n"
        "from sklearn.utils import _safe_indexing, check_array\n"
        "from sklearn import __version__\n"
        "from sklearn.utils.validation import check_is_fitted\n"
        "from ._compat import _num_samples\n"
    )
    assert _private_sklearn_imports(path) == [
        "1: sklearn.utils._param_validation",
        "2: sklearn.utils._safe_indexing",
    ]
