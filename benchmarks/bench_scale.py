"""How post-hoc adjustment and the CV tuner scale with rows and classes.

Measures, in one run on this machine:

1. **Post-hoc predict as N grows** (1e4, 1e5, 1e6 rows; C = 100) and **as C grows**
   (10, 100, 1,000, 8,142 classes; N = 2e4, or 5e3 in --quick): the time of
   ``LogitAdjustedClassifier.predict`` and its peak extra memory (tracemalloc: what
   predict allocates beyond its input), at the default ``batch_size`` (batches of
   32 MiB of scores) or a given one, with the growth ratio per 10x. The wrapped
   model, ``LogitsClassifier``, takes precomputed logits as its input (the route for
   ImageNet-LT or iNaturalist scale: score the data once with the trained net, then
   adjust); its own scoring (a log-softmax of all rows at once) is timed too, as
   the reference. Targets: time linear in N and in C (ratio about 10 per 10x), peak
   memory flat in N (and, at the default batch size, in C).
2. **The CV tuner's sweep over 41 taus** on 1e5 validation rows (C = 10) against
   one fit of the base model (logistic regression) on 1e5 rows: target at most 5%.
   The sweep is timed as ``LogitAdjustedClassifierCV(FrozenEstimator(model))`` on
   one split whose validation part is every row (``PredefinedSplit``), minus the
   model's own ``predict_log_proba`` on the same rows.

Every timing is the median of --repeats runs. Run:
python benchmarks/bench_scale.py [--quick] [--repeats 3] [--batch-size ROWS]
"""

import argparse
import tracemalloc

import numpy as np
from _common import machine_line, markdown_table, median_seconds, progress
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit

from sklearn_lt import (
    LogitAdjustedClassifier,
    LogitAdjustedClassifierCV,
    LogitsClassifier,
)

SWEEP_TARGET = 0.05


def logits_problem(n_rows, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    # Long-tailed labels, logits that favour the true class a little.
    priors = np.geomspace(1.0, 0.01, n_classes)
    priors /= priors.sum()
    y = rng.choice(n_classes, size=n_rows, p=priors)
    logits = rng.standard_normal((n_rows, n_classes))
    logits[np.arange(n_rows), y] += 2.0
    logits += np.log(priors)
    return logits, y


def fitted_adjuster(n_classes, batch_size):
    # Fit on a small labelled sample that holds every class once at least.
    X, y = logits_problem(max(2000, 3 * n_classes), n_classes, seed=1)
    y[:n_classes] = np.arange(n_classes)
    return LogitAdjustedClassifier(LogitsClassifier(), batch_size=batch_size).fit(X, y)


def peak_bytes(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def predict_row(n_rows, n_classes, batch_size, repeats):
    clf = fitted_adjuster(n_classes, batch_size)
    X, _ = logits_problem(n_rows, n_classes)
    seconds = median_seconds(lambda: clf.predict(X), repeats)
    model = median_seconds(lambda: clf.estimator_.predict_log_proba(X), repeats)
    peak = peak_bytes(lambda: clf.predict(X))
    return seconds, peak, model


def growth(values):
    return ["–"] + [f"{b / a:.1f}x" for a, b in zip(values, values[1:], strict=False)]


def scaling_table(label, grid, measure, repeats):
    seconds, peaks, models = [], [], []
    for value in progress(grid, desc=label):
        s, p, m = measure(value)
        seconds.append(s)
        peaks.append(p)
        models.append(m)
    rows = [
        [f"{value:,}", f"{s * 1e3:.1f}", g, f"{s / m:.2f}x", f"{p / 2**20:.1f}", pg]
        for value, s, g, m, p, pg in zip(
            grid, seconds, growth(seconds), models, peaks, growth(peaks), strict=True
        )
    ]
    header = [
        label,
        "predict (ms)",
        "growth",
        "/ model's own scoring",
        "peak extra (MiB)",
        "growth",
    ]
    return markdown_table(header, rows), seconds, peaks


def sweep_versus_fit(n_rows, repeats):
    rng = np.random.default_rng(0)
    n_classes, n_features = 10, 20
    priors = np.geomspace(1.0, 0.01, n_classes)
    y = rng.choice(n_classes, size=2 * n_rows, p=priors / priors.sum())
    centres = rng.normal(size=(n_classes, n_features))
    X = centres[y] + rng.normal(scale=2.0, size=(y.size, n_features))
    X_train, y_train, X_val, y_val = X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]
    model = LogisticRegression(max_iter=200)
    fit = median_seconds(lambda: model.fit(X_train, y_train), repeats)
    score = median_seconds(lambda: model.predict_log_proba(X_val), repeats)
    # The fitted model, frozen, scored once on all the validation rows.
    everything = PredefinedSplit(np.zeros(y_val.size))
    tuner = LogitAdjustedClassifierCV(FrozenEstimator(model), taus=41, cv=everything)
    tune = median_seconds(lambda: tuner.fit(X_val, y_val), repeats)
    return fit, score, tune


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller grids")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="rows per batch (default: the library's, 32 MiB of scores)",
    )
    args = parser.parse_args()
    rows_grid = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    classes_grid = [10, 100, 1000] if args.quick else [10, 100, 1000, 8142]
    n_for_classes = 5_000 if args.quick else 20_000
    batch = "default (32 MiB)" if args.batch_size is None else args.batch_size
    print(f"# Scaling, batch_size={batch}; {machine_line()}\n")
    if args.quick:
        print("(--quick: a smoke run on small grids, not the measured targets)\n")

    table, seconds, peaks = scaling_table(
        "rows (C=100)",
        rows_grid,
        lambda n: predict_row(n, 100, args.batch_size, args.repeats),
        args.repeats,
    )
    print(f"## Post-hoc predict as N grows\n\n{table}\n")
    per_10x = (seconds[-1] / seconds[0]) ** (1 / (len(seconds) - 1))
    memory = peaks[-1] / peaks[0]
    print(
        f"Time per 10x rows: {per_10x:.1f}x (linear: 10x). Peak extra memory from "
        f"{rows_grid[0]:,} to {rows_grid[-1]:,} rows: {memory:.2f}x (the output, "
        "one int per row, grows; the batch of scores does not).\n"
    )

    table, seconds, _ = scaling_table(
        f"classes (N={n_for_classes:,})",
        classes_grid,
        lambda c: predict_row(n_for_classes, c, args.batch_size, args.repeats),
        args.repeats,
    )
    print(f"## Post-hoc predict as C grows\n\n{table}\n")
    ratios = [b / a for a, b in zip(seconds, seconds[1:], strict=False)]
    print(
        "Time growth per step of C: "
        + ", ".join(
            f"{a:,} -> {b:,}: {r:.1f}x (C grew {b / a:.1f}x)"
            for a, b, r in zip(classes_grid, classes_grid[1:], ratios, strict=False)
        )
        + ".\n"
    )

    n_sweep = 20_000 if args.quick else 100_000
    fit, score, tune = sweep_versus_fit(n_sweep, args.repeats)
    sweep = max(tune - score, 0.0)
    ratio = sweep / fit
    verdict = "met" if ratio <= SWEEP_TARGET else "NOT MET"
    print(f"## CV tuner's sweep (41 taus) on {n_sweep:,} rows, C=10\n")
    print(
        markdown_table(
            ["step", "seconds"],
            [
                ["one LogisticRegression fit", f"{fit:.3f}"],
                ["its predict_log_proba on the validation rows", f"{score:.3f}"],
                ["tuner, frozen model (scoring + sweep)", f"{tune:.3f}"],
                ["sweep alone (tuner - scoring)", f"{sweep:.3f}"],
            ],
        )
    )
    print(
        f"\nSweep / one fit: {ratio:.3f} (target <= {SWEEP_TARGET}): "
        f"{verdict if not args.quick else 'smoke run, not the target'}."
    )


if __name__ == "__main__":
    main()
