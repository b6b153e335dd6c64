"""Smoke test of benchmarks/synthetic.py on a tiny configuration."""

import math

import pytest
from _benchmarks import load_benchmark

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("matplotlib")


@pytest.fixture
def synthetic():
    module = load_benchmark("synthetic")
    # main() sets torch's thread count for the process; give the next tests theirs.
    threads = torch.get_num_threads()
    yield module
    torch.set_num_threads(threads)


def test_run_writes_table_and_figure_and_returns_every_method(synthetic, tmp_path):
    results = synthetic.run(
        quick=True, seeds=2, out_dir=tmp_path, n_train=600, n_test=2_000, max_epochs=2
    )

    table = (tmp_path / "synthetic.md").read_text(encoding="utf-8")
    assert "| method |" in table
    assert (tmp_path / "synthetic.png").stat().st_size > 0
    expected = {
        "ERM",
        "Weight normalisation (tau=1)",
        "Logit adjustment post-hoc (tau=1)",
        "Logit adjustment loss (tau=1)",
        "Bayes-optimal",
    }
    assert set(results["methods"]) == expected
    for name in expected:
        assert name in table
        errors = results["methods"][name]["balanced"]
        assert len(errors) == 2
        assert all(math.isfinite(e) and 0.0 <= e <= 1.0 for e in errors), name


def test_main_parses_arguments(synthetic, tmp_path, capsys):
    results = synthetic.main(["--quick", "--seeds", "1", "--out-dir", str(tmp_path)])

    assert results["settings"]["n_seeds"] == 1
    assert "python benchmarks/synthetic.py --quick --seeds 1" in (
        tmp_path / "synthetic.md"
    ).read_text(encoding="utf-8")
    assert "Within 1 percentage point of Bayes" in capsys.readouterr().out
