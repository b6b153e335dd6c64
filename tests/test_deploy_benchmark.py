"""Smoke test of benchmarks/bench_deploy.py's pieces (ONNX and Array API)."""

import pytest
from _benchmarks import load_benchmark


def test_measure_exports_predicts_the_same_labels_and_reports_ratios():
    pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
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


def test_array_api_routes_agree_and_keep_the_tensor_namespace():
    pytest.importorskip("torch", reason="the torch extra is not installed")
    bench = load_benchmark("bench_deploy")
    rows = bench.measure_array_api(64, 1)
    assert [row[1] for row in rows] == ["NumPy route", "Array API route", "bare torch"]
    assert all(row[-1] == "1.0000" for row in rows)  # every route's labels agree
    assert [row[5] for row in rows] == ["numpy, cpu", "torch, cpu", "torch, cpu"]
    assert rows[0][4] == "1.00x" and all(row[4].endswith("x") for row in rows)
