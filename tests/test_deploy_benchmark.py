"""Smoke test of benchmarks/bench_deploy.py's pieces (the ONNX part)."""

import pytest
from _benchmarks import load_benchmark

pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")


def test_measure_exports_predicts_the_same_labels_and_reports_ratios():
    bench = load_benchmark("bench_deploy")
    skl2onnx, onnxruntime = bench._require_onnx()
    from sklearn_lt.onnx import register_converters

    register_converters()
    make = bench.inner_models()["Pipeline(scaler, LR)"]
    row = bench.measure("pipeline", make, 2_000, 1, skl2onnx, onnxruntime)
    assert row[0] == "pipeline" and row[1] == "2,000"
    assert row[-1] == "1.0000"  # every ONNX label equals the Python model's
    assert row[4].endswith("x") and float(row[5].rstrip("x")) > 0


def test_problem_is_long_tailed():
    bench = load_benchmark("bench_deploy")
    X, y, X_test = bench.problem(100)
    counts = [int((y == k).sum()) for k in range(10)]
    assert counts[0] == 2000 and counts[-1] == 20
    assert X.dtype.name == X_test.dtype.name == "float32" and X_test.shape == (100, 20)
