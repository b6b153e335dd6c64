"""The main job's output reads in order in a log, and its figures say what they show."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _benchmarks import load_benchmark

pytest.importorskip("torch")
pytest.importorskip("skorch")
pytest.importorskip("matplotlib")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_results_and_progress_come_out_in_order_through_a_pipe(tmp_path):
    # stdout and stderr into one pipe, as `python reproduce.py 2>&1 | tee log` does:
    # the results (stdout) must not arrive after the progress (stderr) that followed.
    # PYTHONUNBUFFERED (set on some machines) would hide the buffering checked here.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "synthetic.py"), "--quick",
         "--out-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        check=True,
        timeout=300,
    ).stdout  # fmt: skip
    lines = out.splitlines()

    def first(prefix):
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    progress = [i for i, line in enumerate(lines) if line.startswith("  seeds [")]
    assert progress, out
    assert first("# Synthetic experiment") < progress[0]
    assert progress[-1] < first("## Two Gaussians") < first("Done in")


def test_the_method_tables_panels_name_their_data_and_share_one_axis(tmp_path):
    method_table = load_benchmark("method_table")
    import matplotlib.pyplot as plt

    per_row = {name: {"balanced": [0.2, 0.3]} for name, _, _ in method_table.ROWS}
    saved = []
    original = plt.close
    plt.close = saved.append  # keep the figure open to read it back
    try:
        method_table.save_figure(
            {"digits-100": per_row, "digits-10": per_row}, tmp_path / "f.png"
        )
    finally:
        plt.close = original
    (fig,) = saved
    left, right = fig.axes
    assert left.get_title() == "long-tailed digits, imbalance ratio 100"
    assert right.get_title() == "long-tailed digits, imbalance ratio 10"
    assert left.get_shared_x_axes().joined(left, right)
    assert "over 2 seeds" in left.get_xlabel()
    plt.close(fig)
