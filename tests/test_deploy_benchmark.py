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
    row = bench.measure("pipeline", make, 2_000, 1, skl2onnx, onnxruntime, 0.01)
    assert row[0] == "pipeline" and row[1] == "2,000"
    assert row[-1] == "1.0000"  # every ONNX label equals the Python model's
    assert row[5] == "folded (same nodes)"  # the shift is in the last bias
    assert row[4].endswith("x") and float(row[6].split("x")[0]) > 0
    forest = bench.inner_models()["RandomForest"]
    row = bench.measure("forest", forest, 500, 1, skl2onnx, onnxruntime, 0.01)
    assert row[5] == "appended" and row[-1] == "1.0000"


def test_paired_ratio_interleaves_and_takes_the_median_of_ratios():
    bench = load_benchmark("bench_deploy")
    calls = []
    first, second, ratio, pairs = bench.paired_ratio(
        lambda: calls.append("a"), lambda: calls.append("b"), 3, 0.0
    )
    assert pairs == 3 and first > 0 and second > 0 and ratio > 0
    # One warm-up call each, then pairs in alternating order.
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]


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
