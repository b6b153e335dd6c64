"""pytest configuration shared by the doctests of the package and the tests."""

import importlib.util

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
