"""Small helpers shared by the benchmark scripts (not part of the package).

A script imports them with ``from _common import ...``: Python puts a script's own
folder on ``sys.path``, so this works from any working directory.
"""

import os
import statistics
import sys
import time

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_lt.datasets import make_long_tailed

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

# Results go to stdout, progress to stderr (flushed at once). Into a file or a pipe
# stdout is block-buffered and its lines would land after progress lines printed
# later; line buffering keeps the two streams in the order they were written.
# (A stream replaced by a test harness may not be a TextIOWrapper.)
if hasattr(sys.stdout, "reconfigure"):
    sys.stdout.reconfigure(line_buffering=True)


def progress(iterable, total=None, desc=""):
    """Yield from ``iterable``, drawing a progress bar with elapsed time on stderr.

    On a terminal the bar redraws in place; in a log (CI) it prints one line per step.
    """
    total = len(iterable) if total is None else total
    tty = sys.stderr.isatty()
    start = time.perf_counter()

    def draw(done):
        width = 24
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.perf_counter() - start
        line = f"  {desc} [{bar}] {done}/{total} {elapsed:6.1f} s"
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr)
        sys.stderr.flush()

    draw(0)
    for done, item in enumerate(iterable, start=1):
        yield item
        draw(done)
    if tty:
        print(file=sys.stderr)


def median_seconds(func, repeats):
    """The median wall-clock time of ``repeats`` calls of ``func()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def note(message):
    """Print a timestamped progress message on stderr (for steps without a count)."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def mean_std(values, percent=True):
    """``"12.34 ± 0.56"`` of a list of numbers (in percent by default)."""
    values = np.asarray(values, dtype=float) * (100 if percent else 1)
    if values.size == 0 or np.all(np.isnan(values)):
        return "–"
    return f"{np.nanmean(values):5.2f} ± {np.nanstd(values):4.2f}"


def markdown_table(header, rows):
    """A Markdown table from a header and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def save_text(text, path):
    """Write ``text`` to ``path`` (creating its folder) and say where."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    print(f"(written to {os.path.relpath(path)})")


def machine_line():
    """One line naming the versions and the CPU count, for result files."""
    import platform

    import sklearn

    parts = [
        f"Python {platform.python_version()}",
        f"scikit-learn {sklearn.__version__}",
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})",
    ]
    try:
        import torch

        parts.insert(2, f"torch {torch.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def pyplot():
    """matplotlib's pyplot on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_figure(fig, path, **savefig_kwargs):
    """Save ``fig`` to ``path`` at 120 dpi, close it, and say where."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120, **savefig_kwargs)
    plt.close(fig)
    print(f"(figure written to {os.path.relpath(path)})")


# --- Long-tailed problems (method_table.py's protocol), shared by the scripts ---


class Problem:
    """One seed's long-tailed training set, balanced validation and test sets."""

    def __init__(self, name, X_train, y_train, X_val, y_val, X_test, y_test):
        self.name = name
        self.X_train, self.y_train = X_train, y_train
        self.X_val, self.y_val = X_val, y_val
        self.X_test, self.y_test = X_test, y_test
        self.counts = dict(zip(*np.unique(y_train, return_counts=True), strict=True))


def digits_problem(imbalance_ratio, seed):
    """digits-LT: scikit-learn's digits, a long-tailed training set, balanced rest.

    A stratified split into a balanced test set (30%), a balanced validation set
    (10%) and a training pool (60%, about 106 images per class), subsampled to the
    exponential profile with ``imbalance_ratio`` and a seed-dependent class order.
    """
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    X_pool, X_val, y_pool, y_val = train_test_split(
        X_pool, y_pool, test_size=1 / 7, stratify=y_pool, random_state=seed
    )
    rng = np.random.default_rng(seed)
    X_lt, y_lt = make_long_tailed(
        X_pool,
        y_pool,
        imbalance_ratio,
        class_order=rng.permutation(10),
        random_state=seed,
    )
    return Problem(
        f"digits-LT, ratio {imbalance_ratio}", X_lt, y_lt, X_val, y_val, X_test, y_test
    )


def gaussians_problem(imbalance_ratio, seed, n_max=500, n_classes=100):
    """gaussians-100-LT: ``make_classification``'s classes, a long-tailed training set.

    64 features (32 informative), balanced validation (10 per class) and test (30
    per class) sets; the training set follows the exponential profile from
    ``n_max`` examples down by ``imbalance_ratio`` (10,847 examples at the
    defaults, the size of CIFAR-100-LT).
    """
    n_val, n_test = 10, 30  # per class, balanced
    X, y = make_classification(
        n_samples=(n_max + n_val + n_test) * n_classes,
        n_features=64,
        n_informative=32,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=1.5,
        flip_y=0.0,
        random_state=seed,
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=n_test * n_classes, stratify=y, random_state=seed
    )
    X_pool, X_val, y_pool, y_val = train_test_split(
        X_pool, y_pool, test_size=n_val * n_classes, stratify=y_pool, random_state=seed
    )
    X_lt, y_lt = make_long_tailed(
        X_pool, y_pool, imbalance_ratio, n_max=n_max, random_state=seed
    )
    return Problem(
        f"gaussians-100-LT, ratio {imbalance_ratio}",
        X_lt,
        y_lt,
        X_val,
        y_val,
        X_test,
        y_test,
    )
