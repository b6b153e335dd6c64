"""The decisions benchmark's pieces run end to end on tiny configurations."""

import math

import numpy as np
import pytest
from _benchmarks import load_benchmark
from numpy.testing import assert_array_equal


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_decisions")


def test_cost_matrix_charges_ten_for_missing_the_rarest_half(bench):
    classes = np.array(["a", "b", "c", "d", "e"])
    y = np.array(["a"] * 9 + ["b"] * 2 + ["c"] * 5 + ["d"] * 2 + ["e"] * 7)
    cost = bench.cost_matrix(y, classes)
    # Counts 9, 2, 5, 2, 7: the rarest two (5 // 2) are "b" and "d" (a tie at 2).
    expected = 1.0 - np.eye(5)
    expected[[1, 3]] *= 10.0
    assert_array_equal(cost, expected)


def test_verdict_says_met_or_missed_without_asserting(bench):
    assert bench.verdict(1.04, 1.3) == "1.04x (target <= 1.3x: met)"
    assert bench.verdict(1.31, 1.3) == "1.31x (target <= 1.3x: MISSED)"
    assert bench.verdict(0.123, 0.10, percent=True) == ("12.3% (target < 10%: MISSED)")


def test_every_row_is_measured_on_digits(bench):
    per_row, text = bench.metrics_table(
        "digits-10", range(1), {"digits-10"}, black_box_iter=1
    )
    assert list(per_row) == list(bench.ROWS)
    for name, values in per_row.items():
        for metric in ("balanced", "worst", "gmean", "hmean"):
            (value,) = values[metric]
            assert 0.0 <= value <= 1.0 and math.isfinite(value), (name, metric)
        (cost,) = values["cost"]
        assert 0.0 <= cost <= bench.RARE_COST, name
        assert f"| {name} |" in text
    # The balanced-error objective's gains are uniform, i.e. logit adjustment with
    # tau=1 on the same (deterministic, lbfgs) logistic regression: the same
    # predictions, hence exactly the same metrics.
    tuned = per_row["Tuned gains: balanced_error"]
    plain = per_row["Logit adjustment (tau=1)"]
    for metric in ("balanced", "worst", "gmean", "hmean", "cost"):
        assert tuned[metric] == plain[metric], metric


def test_rows_not_run_are_marked_in_the_table(bench):
    per_row, text = bench.metrics_table("digits-10", range(1), set())
    assert per_row[bench.BLACK_BOX] == {}
    assert f"| {bench.BLACK_BOX} | not run |" in text


def test_timing_parts_print_one_ratio_per_run(bench):
    problem = bench.digits_problem(10, seed=0)
    text = bench.tuning_cost(problem, repeats=1)
    for objective in bench.RECALL_OBJECTIVES:
        assert f"TunedAdjustmentClassifierCV({objective!r})" in text
    assert text.count("(target <= 1.3x: ") == len(bench.RECALL_OBJECTIVES)
    text = bench.optimiser_cost(n_classes=10, n_rows=1000)
    assert text.count("(target < 10%: ") == 3
    assert "5 parts of 200" in text
