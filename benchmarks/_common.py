"""Small helpers shared by the benchmark scripts (not part of the package).

A script imports them with ``from _common import ...``: Python puts a script's own
folder on ``sys.path``, so this works from any working directory.
"""

import os
import sys
import time

import numpy as np

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


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
