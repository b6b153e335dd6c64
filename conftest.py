"""pytest configuration shared by the doctests of the package and the tests."""

import importlib.util
import os

# scikit-learn's array API dispatch needs scipy's own, switched on by this variable
# before scipy is first imported (pytest has imported neither yet). It changes no
# NumPy result (the suite passes with and without it); with it, the array API
# tests and scikit-learn's array API common checks run instead of skipping.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# The torch-backed modules cannot even be imported without the `torch` extra: leave
# their doctests out then (tests/ skip themselves with pytest.importorskip).
collect_ignore = []
if (
    importlib.util.find_spec("torch") is None
    or importlib.util.find_spec("skorch") is None
):
    collect_ignore += ["sklearn_lt/losses", "sklearn_lt/net"]

# sklearn_lt.onnx needs the `onnx` extra (skl2onnx, onnxruntime) to be imported.
if (
    importlib.util.find_spec("skl2onnx") is None
    or importlib.util.find_spec("onnxruntime") is None
):
    collect_ignore += ["sklearn_lt/onnx.py"]
