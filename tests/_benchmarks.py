"""Import a script of ``benchmarks/`` as a module, for the tests of the benchmarks."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name):
    """``benchmarks/<name>.py`` as a module named ``name``.

    The scripts import ``_common`` from their own folder, as when they run, so that
    folder is on ``sys.path`` while the script is imported. The module is registered
    in ``sys.modules`` first, as an import would (dataclasses look it up there).
    """
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module
