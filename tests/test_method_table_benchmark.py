"""The method-table benchmark runs end to end on a tiny configuration."""

import math

import pytest
from _benchmarks import load_benchmark

pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def method_table():
    return load_benchmark("method_table")


def test_every_row_of_the_paper_is_measured_and_written(method_table, tmp_path):
    results = method_table.main(
        [
            "--seeds", "1", "--epochs", "3", "--hidden", "16",
            "--datasets", "digits-100", "--out-dir", str(tmp_path),
        ]
    )  # fmt: skip
    rows = results["digits-100"]
    assert list(rows) == [name for name, _, _ in method_table.ROWS]
    for name, metrics in rows.items():
        for metric in ("balanced", "many", "medium", "few"):
            (value,) = metrics[metric]
            assert 0.0 <= value <= 1.0 and math.isfinite(value), (name, metric)
    assert rows["Weight normalisation (tau=tau*)"]["tau"][0] in set(
        method_table.WEIGHT_NORM_TAUS.tolist()
    )
    text = (tmp_path / "method_table.md").read_text()
    for name, cifar10, _ in method_table.ROWS:
        assert f"| {name} |" in text and f"{cifar10:.2f}" in text
    assert (tmp_path / "method_table.png").stat().st_size > 0


def test_digits_problem_is_long_tailed_with_balanced_test_set(method_table):
    problem = method_table.digits_problem(100, seed=0)
    counts = sorted(problem.counts.values(), reverse=True)
    assert counts[0] > 100 and counts[-1] == 1
    test_counts = [int((problem.y_test == k).sum()) for k in range(10)]
    # Digits' classes hold 174 to 183 images, so the stratified test set is
    # balanced to within a few images (balanced error weighs classes equally anyway).
    assert max(test_counts) - min(test_counts) <= 4
    assert len(problem.y_val) > 0


def test_ordering_reports_agreement_from_the_measured_means(method_table):
    names = [name for name, _, _ in method_table.ROWS]
    per_row = {name: {"balanced": [0.5]} for name in names}
    per_row["Logit adjustment loss (tau=1)"]["balanced"] = [0.1]
    per_row["ERM"]["balanced"] = [0.9]
    text = method_table.ordering(per_row)
    assert "Best row here: Logit adjustment loss (tau=1) (10.00%)" in text
    assert "Logit adjustment loss (tau=1) < ERM (10.00 vs 90.00): agrees" in text
    assert "Logit adjustment post-hoc (tau=1) >= ERM" not in text
    assert "Adaptive + DRW >= Adaptive (LDAM) (50.00 vs 50.00): differs" in text
